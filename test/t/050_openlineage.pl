#
# openlineage_events() against the official OpenLineage JSON Schemas
# (RunEvent 2-0-2 and the columnLineage facet 1-2-0, copied under
# test/validate/openlineage/), with an offline validator (ajv from npm,
# installed by test/setup.sh), on the demo schema and on names that need
# quoting; then pg_schemaguard openlineage --post to a local stub of an
# OpenLineage endpoint (test/validate/lineage_stub.js), which checks the
# content type and that each body is one JSON event.
#
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__) . '/..');
my $validate = "$testdir/validate/validate.js";
my $stub = "$testdir/validate/lineage_stub.js";

my $node = PostgreSQL::Test::Cluster->new('ol');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');
$node->command_ok(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-f', "$testdir/demo.sql" ],
	'the demo schema loads');
$node->safe_psql(
	'postgres', q{
CREATE SCHEMA "we""ird; s";
CREATE TABLE "we""ird; s"."t a\b" ("col
nl" int, "x;y" int, "q""uote" text);
CREATE VIEW "we""ird; s"."v; DROP TABLE x; --" AS
    SELECT "col
nl" + 1 AS "out""put", upper("q""uote") AS "é"
    FROM "we""ird; s"."t a\b" WHERE "x;y" > 0;
CREATE FUNCTION "we""ird; s"."f(x)"(p int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN UPDATE "we""ird; s"."t a\b" SET "q""uote" = 'x' WHERE "x;y" = p; END $$;
});

my $dir = PostgreSQL::Test::Utils::tempdir;
my $events = $node->safe_psql('postgres',
	'SELECT e FROM schemaguard.openlineage_events() e');
my @events = split /\n/, $events;
my $nevents = $node->safe_psql('postgres',
	q{SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	          WHERE c.relkind IN ('v', 'm') AND n.nspname IN ('billing', 'we"ird; s'))
	       + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	          WHERE n.nspname IN ('billing', 'we"ird; s'))});
is(scalar @events, $nevents,
	'one event per view, materialized view and SQL or PL/pgSQL function');
append_to_file("$dir/events.jsonl", $events . "\n");

# the validator itself: the official schemas, offline
my ($stdout, $stderr);
IPC::Run::run [ 'node', $validate, 'openlineage', "$dir/events.jsonl" ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 0, 'every event validates against RunEvent 2-0-2 and ColumnLineageDatasetFacet 1-2-0')
  or diag($stderr);
like($stdout, qr/^valid: $nevents documents$/m, 'the validator read every event');

# ... and it can fail: an event without runId, a facet field without inputFields
my $json = JSON::PP->new->canonical;
my $broken = $json->decode($events[0]);
delete $broken->{run}{runId};
my $broken_facet = $json->decode(
	(grep { /invoice_balance"/ && /columnLineage/ } @events)[0]);
$broken_facet->{outputs}[0]{facets}{columnLineage}{fields}{balance} = {};
append_to_file("$dir/broken.jsonl",
	$json->encode($broken) . "\n" . $json->encode($broken_facet) . "\n");
IPC::Run::run [ 'node', $validate, 'openlineage', "$dir/broken.jsonl" ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 1, 'the validator rejects broken events');
like($stderr, qr/runId/, 'a missing runId is reported');
like($stderr, qr/inputFields/, 'a field without inputFields is reported');

# what the events say
my %by_job = map { my $e = $json->decode($_); ($e->{job}{name} => $e) } @events;
my $balance = $by_job{'postgres.billing.invoice_balance'};
ok($balance, 'the view invoice_balance is a job');
is_deeply(
	[ sort map { $_->{name} } @{ $balance->{inputs} } ],
	[ 'postgres.billing.invoices', 'postgres.billing.payments' ],
	'its inputs: the tables it reads, named database.schema.table');
my $facet = $balance->{outputs}[0]{facets}{columnLineage};
is_deeply(
	[ map { [ $_->{name}, $_->{field}, $_->{transformations}[0]{type}, $_->{transformations}[0]{subtype} ] }
		  sort { $a->{name} cmp $b->{name} } @{ $facet->{fields}{balance}{inputFields} } ],
	[
		[ 'postgres.billing.invoices', 'amount', 'DIRECT', 'TRANSFORMATION' ],
		[ 'postgres.billing.payments', 'amount', 'DIRECT', 'AGGREGATION' ]
	],
	'balance: a DIRECT TRANSFORMATION of invoices.amount, AGGREGATION of payments.amount');
ok( (grep { $_->{field} eq 'invoice_id' && $_->{transformations}[0]{subtype} eq 'JOIN' }
		  @{ $facet->{dataset} }),
	'the join key is an INDIRECT JOIN at dataset level');
like($balance->{job}{namespace}, qr{^postgres://[^:/]+:\d+$}, 'default namespace postgres://host:port');

my $weird = $by_job{'postgres.we"ird; s.v; DROP TABLE x; --'};
ok($weird, 'a view whose names need quoting is a job, its name unquoted');
is_deeply(
	[ sort keys %{ $weird->{outputs}[0]{facets}{columnLineage}{fields} } ],
	[ 'out"put', 'é' ], 'its fields keep their names');
is($weird->{outputs}[0]{facets}{columnLineage}{fields}{'out"put'}{inputFields}[0]{field},
	"col\nnl", 'a column name with a newline survives JSON');
my $writer = $by_job{'postgres.we"ird; s.f(x)(integer)'};
is_deeply([ map { $_->{name} } @{ $writer->{outputs} } ], [ 'postgres.we"ird; s.t a\b' ],
	'a function writing a table has it as its output');

# pg_schemaguard openlineage: printed, one event a line
my $connstr = $node->connstr('postgres');
IPC::Run::run [ 'pg_schemaguard', 'openlineage', '-d', $connstr, '--namespace', 'pg-test' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 0, 'pg_schemaguard openlineage prints the events');
my @printed = split /\n/, $stdout;
is(scalar @printed, $nevents, 'one line per event');
is($json->decode($printed[0])->{job}{namespace}, 'pg-test', '--namespace is passed on');

# ... and posted to a stub of an OpenLineage endpoint
sub start_stub
{
	my ($name, @args) = @_;
	my $portfile = "$dir/$name.port";
	my $log = "$dir/$name.log";
	my $h = IPC::Run::start([ 'node', $stub, $portfile, $log, @args ]);
	for (my $i = 0; $i < 100 && !-e $portfile; $i++)
	{
		select(undef, undef, undef, 0.1);
	}
	die "the stub did not start" unless -e $portfile;
	return ($h, slurp_file($portfile), $log);
}

my ($h, $port, $log) = start_stub('accept');
IPC::Run::run [
	'pg_schemaguard', 'openlineage', '-d', $connstr,
	'--post', "http://127.0.0.1:$port/api/v1/lineage",
	'-H', 'Authorization: Bearer s3cret'
  ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 0, 'pg_schemaguard openlineage --post: every event accepted') or diag($stderr);
like($stderr, qr/posted $nevents events to/, 'it says how many it posted');
my @posted = map { $json->decode($_) } split /\n/, slurp_file($log);
is(scalar @posted, $nevents, 'the stub got every event, each a JSON object');
is_deeply([ grep { $_->{error} } @posted ], [], 'the stub logged no rejected request');
ok( (!grep { $_->{contentType} ne 'application/json' } @posted),
	'each with Content-Type application/json');
ok( (!grep { ($_->{authorization} // '') ne 'Bearer s3cret' } @posted),
	'each with the header given with -H');
is_deeply(
	[ sort map { $_->{event}{job}{name} } @posted ],
	[ sort keys %by_job ],
	'the events posted are the events of openlineage_events()');
append_to_file("$dir/posted.jsonl", join('', map { $json->encode($_->{event}) . "\n" } @posted));
IPC::Run::run [ 'node', $validate, 'openlineage', "$dir/posted.jsonl" ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 0, 'the events posted validate too') or diag($stderr);
$h->kill_kill;

# an endpoint that stops accepting: exit 1, the status said
($h, $port, $log) = start_stub('reject', 2);
IPC::Run::run [
	'pg_schemaguard', 'openlineage', '-d', $connstr,
	'--post', "http://127.0.0.1:$port/api/v1/lineage"
  ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 1, 'an event refused: exit status 1');
like($stderr, qr/did not accept event 3: HTTP 503/, 'the refused event and the HTTP status are said');
# a wrong path
IPC::Run::run [
	'pg_schemaguard', 'openlineage', '-d', $connstr,
	'--post', "http://127.0.0.1:$port/lineage"
  ],
  '>', \$stdout, '2>', \$stderr;
like($stderr, qr/did not accept event 1: HTTP 404/, 'a wrong endpoint path: HTTP 404 said');
$h->kill_kill;
# nobody listening
IPC::Run::run [
	'pg_schemaguard', 'openlineage', '-d', $connstr,
	'--post', "http://127.0.0.1:$port/api/v1/lineage"
  ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 1, 'nobody listening: exit status 1');
like($stderr, qr/could not post event 1/, 'and it says so');
IPC::Run::run [ 'pg_schemaguard', 'openlineage', '-d', $connstr, '--post', 'ftp://x/' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 2, 'a URL that is not http(s): usage error');

$node->stop;
done_testing();
