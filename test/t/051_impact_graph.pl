#
# impact_graph(): the DOT is rendered by Graphviz (dot -Tsvg must succeed,
# silently, and the picture must hold the names), the Mermaid flowchart's
# structure is checked line by line, on the demo schema and on names with
# quotes, spaces, semicolons, backslashes and newlines; pg_schemaguard
# impact gives the same.
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

my $node = PostgreSQL::Test::Cluster->new('graph');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');
$node->command_ok(
	[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-f', "$testdir/demo.sql" ],
	'the demo schema loads');
$node->safe_psql('postgres', <<'SQL');
CREATE SCHEMA "we""ird; s";
CREATE TABLE "we""ird; s"."t a\b&c" ("col
nl" int, "x#y<z>`|;" int, "]}end" int);
CREATE VIEW "we""ird; s"."v; DROP TABLE x; --" AS
    SELECT "col
nl" + 1 AS "out""put", "]}end" AS "a -> b" FROM "we""ird; s"."t a\b&c" WHERE "x#y<z>`|;" > 0;
CREATE INDEX "idx ""q""" ON "we""ird; s"."t a\b&c" ("col
nl");
CREATE FUNCTION "we""ird; s"."f""n"() RETURNS bigint LANGUAGE sql
    AS $$ SELECT count("x#y<z>`|;") FROM "we""ird; s"."t a\b&c" $$;
SQL
my $dir = PostgreSQL::Test::Utils::tempdir;

# Render DOT with Graphviz; returns (exit status, svg, stderr).
sub render
{
	my ($dot) = @_;
	my ($svg, $err);
	IPC::Run::run [ 'dot', '-Tsvg' ], '<', \$dot, '>', \$svg, '2>', \$err;
	return ($? >> 8, $svg, $err);
}

# The structure of a Mermaid flowchart; dies with the line that breaks it.
# Returns the number of nodes and edges.
sub check_mermaid
{
	my ($text) = @_;
	my @lines = split /\n/, $text;
	my $quoted = qr/"[^"\n]*"/;
	my (%nodes, @edges);
	my $depth = 0;
	die "first line is not 'flowchart LR'" unless shift(@lines) eq 'flowchart LR';
	foreach my $line (@lines)
	{
		if ($line =~ /^\s*subgraph c\d+\[$quoted\]$/)
		{
			$depth++;
		}
		elsif ($line =~ /^\s*end$/)
		{
			die "'end' without subgraph" if --$depth < 0;
		}
		elsif ($line =~ /^\s*(n\d+)(\[\[|\[\(|\(\[|\{\{|\[\/|\(\(|\[|\(|\{|>)$quoted(\]\]|\)\]|\]\)|\}\}|\\\]|\/\]|\)\)|\]|\)|\})$/)
		{
			die "node $1 declared twice" if $nodes{$1}++;
		}
		elsif ($line =~ /^\s*(n\d+) (-->|-\.->)\|[a-z_]+\| (n\d+)$/)
		{
			push @edges, [ $1, $3 ];
		}
		elsif ($line =~ /^\s*classDef target [^"]+$/ || $line =~ /^\s*class (n\d+,)*n\d+ target$/)
		{
		}
		else
		{
			die "not a flowchart statement: $line";
		}
	}
	die "subgraph not closed" if $depth != 0;
	foreach my $e (@edges)
	{
		die "edge from undeclared node $e->[0]" unless $nodes{ $e->[0] };
		die "edge to undeclared node $e->[1]" unless $nodes{ $e->[1] };
	}
	return (scalar keys %nodes, scalar @edges);
}

sub dot_counts
{
	my ($dot) = @_;
	my $nodes = () = $dot =~ /^\s*n\d+ \[label=/mg;
	my $edges = () = $dot =~ /^\s*n\d+ -> n\d+ /mg;
	return ($nodes, $edges);
}

foreach my $case (
	[ 'billing.invoices.amount', [ 'billing.invoice_total(integer)', 'payments_apply on billing.payments', 'monthly_revenue' ] ],
	[ 'billing.invoices', [ 'billing.invoices_pkey', 'customer_report' ] ],
	[ 'billing.customers.name', ['customer_totals'] ],
	[ '"we""ird; s"."t a\b&c"', [ 'out&quot;put', 'col', 'nl', 'x#y&lt;z&gt;`|;', 'a &#45;&gt; b', 'idx &quot;&quot;q&quot;&quot;', 'f&quot;&quot;n' ] ])
{
	my ($target, $names) = @$case;
	(my $quoted = $target) =~ s/'/''/g;
	my $dot = $node->safe_psql('postgres', "SELECT schemaguard.impact_graph('$quoted')");
	my ($rc, $svg, $err) = render($dot);
	is($rc, 0, "dot -Tsvg renders the graph of $target");
	is($err, '', "... without a warning");
	foreach my $name (@$names)
	{
		ok(index($svg, $name) >= 0, "... and the picture shows $name");
	}
	my $mermaid = $node->safe_psql('postgres', "SELECT schemaguard.impact_graph('$quoted', 'mermaid')");
	my @counts = eval { check_mermaid($mermaid) };
	is($@, '', "the Mermaid flowchart of $target is well formed");
	is_deeply(\@counts, [ dot_counts($dot) ], '... with the nodes and edges of the DOT');
}

# the checks can fail
my ($rc, $svg, $err) = render("digraph impact {\n  n1 [label=\"a\"b\"];\n}\n");
isnt($rc, 0, 'dot refuses a label with an unescaped quote');
eval { check_mermaid("flowchart LR\n  n1[\"a\"b\"]\n") };
like($@, qr/not a flowchart statement/, 'the Mermaid check refuses an unescaped quote');
eval { check_mermaid("flowchart LR\n  n1[\"a\"]\n  n1 -->|call| n2\n") };
like($@, qr/undeclared node n2/, 'the Mermaid check refuses an edge to nowhere');

# pg_schemaguard impact: the same text, and the picture renders
my $connstr = $node->connstr('postgres');
my ($stdout, $stderr);
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, 'billing.invoices.amount' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 0, 'pg_schemaguard impact');
sub trimmed { my ($s) = @_; $s =~ s/\n+\z//; return $s; }
is(trimmed($stdout), trimmed($node->safe_psql('postgres', "SELECT schemaguard.impact_graph('billing.invoices.amount')")),
	'... prints impact_graph() (DOT by default)');
($rc, $svg, $err) = render($stdout);
is($rc, 0, '... which dot renders');
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, '--format', 'mermaid', '--max-depth', '1', 'billing.invoices.amount' ],
  '>', \$stdout, '2>', \$stderr;
is(trimmed($stdout), trimmed($node->safe_psql('postgres', "SELECT schemaguard.impact_graph('billing.invoices.amount', 'mermaid', 1)")),
	'--format mermaid --max-depth 1');
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, '--format=json', 'billing.invoices.amount' ],
  '>', \$stdout, '2>', \$stderr;
my $rows = decode_json($stdout);
is( scalar @$rows,
	$node->safe_psql('postgres', "SELECT count(*) FROM schemaguard.impact_of('billing.invoices.amount')"),
	'--format json: impact_of()\'s rows');
is($rows->[0]{depth}, 1, '... as objects with its columns');
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, 'billing.invoices.nope' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 2, 'an unknown column: exit status 2');
like($stderr, qr/column "nope" of relation "invoices" does not exist/, '... with the server\'s message');
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, '--format', 'png', 'billing.invoices' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 2, 'an unknown format: exit status 2');
IPC::Run::run [ 'pg_schemaguard', 'impact', '-d', $connstr, '--max-depth', '0', 'billing.invoices' ],
  '>', \$stdout, '2>', \$stderr;
is($? >> 8, 2, '--max-depth 0: exit status 2');

$node->stop;
done_testing();
