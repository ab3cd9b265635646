#
# The DDL guard on the extended query protocol (Parse/Bind/Execute), which
# psql 15 cannot send, so pg_regress cannot test it.  pgbench sends every
# command of a script that way: -M extended as the unnamed statement, -M
# prepared as named statements P_n; the server log (log_statement = all)
# says "execute <unnamed>:" or "execute P_n:", and each case checks it does.
#
# Covered, with pgbench in both modes:
#  - a session's first DDL command (the library is not loaded yet): judged
#    by the ddl_command_start event trigger;
#  - the ProcessUtility hook once the library is loaded, with TRUNCATE and
#    REINDEX, which fire no event trigger, so only the hook can stop them;
#  - a pipeline (several Executes before one Sync, an implicit transaction);
#  - each block: the rule id in the client's error, SQLSTATE SG001 in the
#    server log from that backend, the catalog unchanged, the audit row;
#  - the safe alternative (CREATE INDEX CONCURRENTLY) and an allow()
#    override pass; with schemaguard.mode = off the blocked statements run;
#  - TRUNCATE as a session's first command: judged only with
#    session_preload_libraries (set with ALTER SYSTEM and a reload).
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
# %e: the SQLSTATE of each message, which pgbench does not print
$node->append_conf(
	'postgresql.conf', qq{
log_line_prefix = '%m [%p] %e '
schemaguard.large_table_threshold = '64kB'
# judged as if other sessions used every table (who is there: 02*.pl)
schemaguard.consider_sessions = off
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE big (id int PRIMARY KEY, d int) WITH (autovacuum_enabled = off);
INSERT INTO big SELECT i, i FROM generate_series(1, 10000) i;
CREATE TABLE keep (id int) WITH (autovacuum_enabled = off);
INSERT INTO keep VALUES (1), (2), (3);
CREATE TABLE scratch (id int) WITH (autovacuum_enabled = off);
INSERT INTO scratch VALUES (1), (2), (3);
ANALYZE;
});
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM schemaguard.check_ddl('');
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('big') > 64 * 1024, pg_table_size('keep') < 64 * 1024}),
	"0\n64kB|t|t",
	'threshold 64kB from postgresql.conf: big is large, keep is small');

my $script_no = 0;

# Runs a script with pgbench -M $mode in a new session; returns its exit
# status, stderr and what the server logged meanwhile.
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

# The pid of the backend that logged "execute <name>: $stmt" (the extended
# protocol's Execute message), or undef.
sub execute_pid
{
	my ($mode, $log, $stmt) = @_;
	my $name = $mode eq 'prepared' ? 'P_\d+' : '<unnamed>';
	return $log =~ /\[(\d+)\] \S+ LOG:  execute $name: \Q$stmt\E;?\n/
	  ? $1
	  : undef;
}

my $blocked = 0;

# Runs the script and checks that $stmt came by the extended protocol, was
# refused by $rule with SG001, and left a "blocked" audit row.  Returns the
# pid of the backend.
sub blocked_ok
{
	my ($name, $mode, $script, $stmt, $rule) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my ($ret, $stderr, $log) = pgbench_script($mode, $script);
	is($ret, 2, "$name: pgbench aborts (exit status 2)");
	like($stderr, qr/ERROR:  \Q$rule\E: /, "$name: refused by $rule");
	my $pid = execute_pid($mode, $log, $stmt);
	ok(defined $pid, "$name: came as an extended protocol Execute")
	  or diag($log);
	$pid //= 0;
	like($log, qr/\[$pid\] SG001 ERROR:  \Q$rule\E: /,
		"$name: SQLSTATE SG001");
	# the event trigger records the whole query string, with its ';'
	like(
		$node->safe_psql(
			'postgres', qq{
SELECT string_agg(decision || ' ' || statement, ', ')
FROM schemaguard.audit_log
WHERE backend_pid = $pid AND findings \@> '[{"rule": "$rule"}]'}),
		qr/^blocked \Q$stmt\E;?$/,
		"$name: audited as blocked");
	$blocked++;
	return $pid;
}

# Runs the script and checks that it ran to the end.
sub passes_ok
{
	my ($name, $mode, $script, $stmt) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	my ($ret, $stderr, $log) = pgbench_script($mode, $script);
	is($ret, 0, "$name: runs") or diag($stderr);
	ok(defined execute_pid($mode, $log, $stmt),
		"$name: came as an extended protocol Execute")
	  or diag($log);
	return $stderr;
}

sub query { return $node->safe_psql('postgres', shift); }

my $load = "SELECT count(*) FROM schemaguard.check_ddl('');\n";
my $relfilenodes =
  q{SELECT string_agg(relname || ':' || relfilenode, ',' ORDER BY relname)
    FROM pg_class WHERE relname IN ('big', 'big_pkey', 'keep')};
my $before = query($relfilenodes);

#
# A session's first command: the ddl_command_start event trigger judges it.
#
for my $mode ('extended', 'prepared')
{
	my $stmt = "CREATE INDEX big_d_$mode ON big (d)";
	my $pid = blocked_ok("first command, $mode: CREATE INDEX",
		$mode, "$stmt;\n", $stmt, 'blocking-index-build');
	is(query("SELECT to_regclass('big_d_$mode') IS NULL"),
		't', "first command, $mode: no index was built");
	# nothing ran in that session before it
	my @lines = (slurp_file($node->logfile) =~ /\[$pid\] \S+ LOG:  (?:statement|execute)/g);
	is(scalar @lines, 1,
		"first command, $mode: the only statement of its session");
}
blocked_ok(
	'first command, extended: DROP TABLE',
	'extended', "DROP TABLE keep;\n",
	'DROP TABLE keep', 'data-loss');
blocked_ok(
	'first command, prepared, in a pipeline: CREATE INDEX',
	'prepared',
	"\\startpipeline\nCREATE INDEX big_d_pipeline ON big (d);\nSELECT 1;\n\\endpipeline\n",
	'CREATE INDEX big_d_pipeline ON big (d)',
	'blocking-index-build');
is( query(
		q{SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass;
		  SELECT count(*) FROM keep}),
	"1\n3",
	'first commands: big has only its primary key, keep its three rows');

#
# The library loaded first (check_ddl()): the ProcessUtility hook judges.
# TRUNCATE and REINDEX fire no event trigger: only the hook sees them.
#
for my $mode ('extended', 'prepared')
{
	blocked_ok("hook, $mode: TRUNCATE",
		$mode, $load . "TRUNCATE keep;\n",
		'TRUNCATE keep', 'data-loss');
}
blocked_ok('hook, prepared: REINDEX',
	'prepared', $load . "REINDEX TABLE big;\n",
	'REINDEX TABLE big', 'blocking-index-build');
blocked_ok(
	'hook, extended, in a pipeline: TRUNCATE',
	'extended', "\\startpipeline\n" . $load . "TRUNCATE keep;\n\\endpipeline\n",
	'TRUNCATE keep', 'data-loss');
is(query('SELECT count(*) FROM keep'), '3', 'hook: keep has its three rows');
is(query($relfilenodes), $before,
	'no table or index was rewritten (same relfilenodes)');

#
# The safe alternative and an override go through.
#
my $stderr = passes_ok(
	'first command, prepared: CREATE INDEX CONCURRENTLY',
	'prepared',
	"CREATE INDEX CONCURRENTLY big_d_cic1 ON big (d);\n",
	'CREATE INDEX CONCURRENTLY big_d_cic1 ON big (d)');
unlike($stderr, qr/blocking-index-build/,
	'CREATE INDEX CONCURRENTLY: no finding');
passes_ok(
	'hook, extended: CREATE INDEX CONCURRENTLY',
	'extended',
	$load . "CREATE INDEX CONCURRENTLY big_d_cic2 ON big (d);\n",
	'CREATE INDEX CONCURRENTLY big_d_cic2 ON big (d)');
is( query(
		q{SELECT string_agg(indexrelid::regclass || ':' || indisvalid, ',' ORDER BY indexrelid::regclass::text)
		  FROM pg_index WHERE indexrelid::regclass::text LIKE 'big_d_cic%'}),
	'big_d_cic1:true,big_d_cic2:true',
	'both concurrent indexes built and valid');
$stderr = passes_ok(
	'extended: allow() then CREATE INDEX',
	'extended',
	"BEGIN;\nSELECT schemaguard.allow('blocking-index-build', 'tap: idle table');\n"
	  . "CREATE INDEX big_d_allowed ON big (d);\nCOMMIT;\n",
	'CREATE INDEX big_d_allowed ON big (d)');
like($stderr, qr/NOTICE:  blocking-index-build: /,
	'allow(): a NOTICE names the override');
is( query(
		q{SELECT to_regclass('big_d_allowed') IS NOT NULL,
		  (SELECT decision || ' ' || reason FROM schemaguard.audit_log
		   WHERE statement LIKE 'CREATE INDEX big_d_allowed%')}),
	't|allowed_by_override blocking-index-build: tap: idle table',
	'allow(): the index exists, audited as allowed_by_override');

#
# TRUNCATE as a session's first command is judged only with the library
# preloaded (docs/guard.md, Limits).
#
passes_ok('first command, extended, no preload: TRUNCATE',
	'extended', "TRUNCATE scratch;\n", 'TRUNCATE scratch');
is(query('SELECT count(*) FROM scratch'),
	'0', 'no preload: TRUNCATE as a first command is not judged (the documented limit)');
query(q{ALTER SYSTEM SET session_preload_libraries = 'schemaguard'});
$node->reload;
$node->poll_query_until('postgres',
	q{SELECT current_setting('session_preload_libraries') = 'schemaguard'})
  or die 'session_preload_libraries not in effect';
for my $mode ('extended', 'prepared')
{
	blocked_ok("first command, $mode, preloaded: TRUNCATE",
		$mode, "TRUNCATE keep;\n", 'TRUNCATE keep', 'data-loss');
}
is(query('SELECT count(*) FROM keep'), '3', 'preloaded: keep has its three rows');
query('ALTER SYSTEM RESET session_preload_libraries');
$node->reload;
$node->poll_query_until('postgres',
	q{SELECT current_setting('session_preload_libraries') = ''})
  or die 'session_preload_libraries still set';

#
# Without the guard (schemaguard.mode = off, set by a superuser) the same
# statements run: the blocks above were the guard's.
#
passes_ok(
	'mode off, first command, extended: CREATE INDEX',
	'extended',
	"SET schemaguard.mode = off;\nCREATE INDEX big_d_extended ON big (d);\n",
	'CREATE INDEX big_d_extended ON big (d)');
passes_ok('mode off, hook, prepared: TRUNCATE',
	'prepared', $load . "SET schemaguard.mode = off;\nTRUNCATE keep;\n",
	'TRUNCATE keep');
is( query(
		q{SELECT to_regclass('big_d_extended') IS NOT NULL, count(*) FROM keep}),
	't|0', 'mode off: the index was built and keep truncated');

is(query(q{SELECT count(*) FROM schemaguard.audit_log WHERE decision = 'blocked'}),
	$blocked, "one audit row per blocked attempt ($blocked)");

$node->stop;
done_testing();
