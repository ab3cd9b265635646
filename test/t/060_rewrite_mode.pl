#
# Rewrite mode (schemaguard.rewrite = on) on the extended query protocol,
# which psql 15 cannot send: pgbench -M extended (the unnamed statement) and
# -M prepared (named statements), as test/t/001 sends them.  A statement the
# guard would block is carried out in its safe form, in transactions of its
# own, with the NOTICE and an audit row "rewritten"; in a pipeline (an
# implicit transaction block) it is blocked and the HINT says why.
#
# Then a crash in the middle of a rewritten form: ADD PRIMARY KEY is cut
# while its unique index is built CONCURRENTLY (waiting for a reader's
# snapshot); after the restart the migration is where it was (expanded, the
# check NOT VALID, the index INVALID), rollback takes everything away, and
# the same statement run again carries it out; a crash while a rewritten
# ADD CHECK validates, and the next call (switch) finishes it.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
log_line_prefix = '%m [%p] %e '
log_statement = 'all'
schemaguard.large_table_threshold = '64kB'
schemaguard.consider_sessions = off
schemaguard.rewrite = on
lock_timeout = '5s'
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE big (id int, d int, e int) WITH (autovacuum_enabled = off);
INSERT INTO big SELECT i, i, i FROM generate_series(1, 10000) i;
ANALYZE;
});

sub query { return $node->safe_psql('postgres', shift); }

my $script_no = 0;

sub pgbench_script
{
	my ($mode, $script) = @_;
	my $file = $node->basedir . '/script_' . ++$script_no . '.sql';
	append_to_file($file, $script);
	my $offset = -s $node->logfile;
	my ($stdout, $stderr);
	IPC::Run::run [
		'pgbench', '-n', '-t', '1', '-M', $mode, '-f', $file,
		'-h', $node->host, '-p', $node->port, 'postgres'
	  ],
	  '>', \$stdout, '2>', \$stderr;
	die "pgbench exited with signal " . ($? & 127) if $? & 127;
	return ($? >> 8, $stderr, slurp_file($node->logfile, $offset));
}

# the library loaded first, so that the hook (not the event trigger) judges
my $load = "SELECT count(*) FROM schemaguard.check_ddl('');\n";

sub rewritten_ok
{
	my ($name, $mode, $stmt) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my ($ret, $stderr, $log) = pgbench_script($mode, $load . "$stmt;\n");
	is($ret, 0, "$name: runs") or diag($stderr);
	my $exec = $mode eq 'prepared' ? 'P_\d+' : '<unnamed>';
	like($log, qr/LOG:  execute $exec: \Q$stmt\E;?\n/,
		"$name: came as an extended protocol Execute");
	like($stderr, qr/NOTICE:  rewrite mode carried out the statement in its safe form/,
		"$name: the NOTICE says it was carried out");
	is( query(
			qq{SELECT count(*) FROM schemaguard.audit_log
			   WHERE decision = 'rewritten' AND statement = '$stmt'}),
		'1',
		"$name: audited as rewritten");
}

rewritten_ok('extended: CREATE INDEX', 'extended',
	'CREATE INDEX big_d ON big (d)');
is( query(q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_d'::regclass}),
	't', 'extended: the index was built, valid');
rewritten_ok('prepared: SET NOT NULL', 'prepared',
	'ALTER TABLE big ALTER COLUMN d SET NOT NULL');
is( query(q{SELECT attnotnull FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'd'}),
	't', 'prepared: d is NOT NULL');
rewritten_ok('prepared: ADD CHECK', 'prepared',
	'ALTER TABLE big ADD CONSTRAINT e_positive CHECK (e > 0)');
is( query(q{SELECT convalidated FROM pg_constraint WHERE conname = 'e_positive'}),
	't', 'prepared: the check is validated');

# in a pipeline (after a first statement: an implicit transaction block)
my ($ret, $stderr) = pgbench_script('extended',
	$load . "\\startpipeline\nSELECT 1;\nCREATE INDEX big_e ON big (e);\n\\endpipeline\n");
is($ret, 2, 'pipeline: pgbench aborts');
like($stderr, qr/blocking-index-build: /, 'pipeline: blocked');
like($stderr, qr/outside a transaction block \(autocommit\)/,
	'pipeline: the hint says rewrite mode needs autocommit');
is(query(q{SELECT to_regclass('big_e') IS NULL}), 't', 'pipeline: no index');

#
# A crash in the middle of a rewritten ADD PRIMARY KEY.
#
# psql running a script in the background (killed by the crash)
sub start_psql
{
	my ($sql) = @_;
	my $file = $node->basedir . '/script_' . ++$script_no . '.sql';
	my ($out, $err) = ('', '');
	append_to_file($file, $sql);
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-f', $file, '-h', $node->host, '-p', $node->port, 'postgres' ],
		'>', \$out, '2>', \$err);
}

# a reader whose snapshot the concurrent build must wait for
my $reader = start_psql("BEGIN ISOLATION LEVEL REPEATABLE READ;\nSELECT 1;\nSELECT pg_sleep(600);\n");
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%'})
  or die 'the reader did not start';
my $ddl = start_psql("LOAD 'schemaguard';\nALTER TABLE big ADD PRIMARY KEY (id);\n");
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for old snapshots'})
  or die 'the concurrent build did not start';
$node->stop('immediate');
$reader->kill_kill;
$ddl->kill_kill;
$node->start;

is( query(q{SELECT state FROM schemaguard.migrations WHERE ddl = 'ALTER TABLE big ADD PRIMARY KEY (id)'}),
	'expanded', 'crash: the migration is where it was, expanded');
is( query(q{SELECT string_agg(conname || ' ' || convalidated, ',') FROM pg_constraint
            WHERE conrelid = 'big'::regclass AND conname = 'big_id_not_null'}),
	'big_id_not_null false', 'crash: its check NOT VALID is there');
is( query(q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_pkey'::regclass}),
	'f', 'crash: the index cut short is INVALID');
my $id = query(q{SELECT id FROM schemaguard.migrations WHERE ddl = 'ALTER TABLE big ADD PRIMARY KEY (id)'});
query("SELECT schemaguard.rollback($id)");
is( query(q{SELECT count(*) FROM pg_constraint WHERE conrelid = 'big'::regclass AND conname = 'big_id_not_null';
            SELECT to_regclass('big_pkey') IS NULL}),
	"0\nt", 'rollback: the check and the index are gone');
($ret, $stderr) = pgbench_script('extended', $load . "ALTER TABLE big ADD PRIMARY KEY (id);\n");
is($ret, 0, 'again: the statement runs') or diag($stderr);
is( query(q{SELECT contype FROM pg_constraint WHERE conrelid = 'big'::regclass AND conname = 'big_pkey'}),
	'p', 'again: the primary key is there');

#
# A crash while a rewritten ADD CHECK validates (its expression made slow
# in that session only): the next call, switch(), validates and finishes.
#
query(q{CREATE FUNCTION slow_positive(v int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(CASE WHEN current_setting('test.slow', true) = 'on' THEN 0.01 ELSE 0 END);
    RETURN v > 0;
END $$});
$ddl = start_psql("LOAD 'schemaguard';\nSET test.slow = on;\n"
	  . "ALTER TABLE big ADD CONSTRAINT e_slow CHECK (slow_positive(e));\n");
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE 'ALTER TABLE big ADD CONSTRAINT e_slow%'})
  or die 'the validation did not start';
$node->stop('immediate');
$ddl->kill_kill;
$node->start;
is( query(q{SELECT state FROM schemaguard.migrations WHERE ddl LIKE '%e_slow%';
            SELECT convalidated FROM pg_constraint WHERE conname = 'e_slow'}),
	"verified\nf", 'crash in the validation: verified, the check NOT VALID');
$id = query(q{SELECT id FROM schemaguard.migrations WHERE ddl LIKE '%e_slow%'});
query("SELECT schemaguard.switch($id)");
is( query(q{SELECT convalidated FROM pg_constraint WHERE conname = 'e_slow';
            SELECT state FROM schemaguard.migrations WHERE ddl LIKE '%e_slow%'}),
	"t\ncontracted", 'switch: the check validated, the migration contracted');

$node->stop;
done_testing();
