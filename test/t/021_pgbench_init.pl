
# Copyright: schemaguard contributors
#
# Do no harm, pgbench -i (issue 11 item 2): with default settings,
# pgbench -i -s 10 creates, fills (pgbench_accounts: about 130 MB, above
# the 10 MB threshold) and then keys its tables in one session; with
# schemaguard installed it works, keys included.
#
# Who is there, the other side: once another application is connected,
# the same kind of statement on the same large tables is judged again;
# when that application holds a lock the statement's lock conflicts with
# (an open transaction that read the table), the ERROR names it -- pid,
# application, role, state, transaction age, query -- and lock-timeout is
# an error, on a table of any size.  data-loss still applies with nobody
# connected: pgbench -i run again would drop a million rows.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pgbench');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE bench');
$node->safe_psql('bench', 'CREATE EXTENSION schemaguard');

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
my ($stdout, $stderr) =
  run_command([ 'pgbench', '-i', '-s', '10', '-q', 'bench' ]);
unlike($stderr, qr/ERROR|error/, 'pgbench -i -s 10: no error') or diag($stderr);
like($stderr, qr/done in/, 'pgbench -i -s 10: done');
is( $node->safe_psql(
		'bench', q{
LOAD 'schemaguard';
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('pgbench_accounts') > 10 * 1024 * 1024,
       (SELECT count(*) FROM pgbench_accounts),
       (SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
        WHERE contype = 'p' AND connamespace = 'public'::regnamespace)}),
	'10MB|t|1000000|pgbench_accounts_pkey,pgbench_branches_pkey,pgbench_tellers_pkey',
	'the table is above the default threshold, filled, and every primary key was added');

# Another application, in an open transaction that read pgbench_branches.
my $app = $node->background_psql('bench');
$app->query_safe("SET application_name = 'webapp'");
my $app_pid = $app->query_safe('SELECT pg_backend_pid()');
$app->query_safe('BEGIN');
$app->query_safe('SELECT count(*) FROM pgbench_branches');

# a metadata-only change of a small table, with lock_timeout 0: its ACCESS
# EXCLUSIVE lock would queue behind webapp and every later query behind it
my $ret = $node->psql('bench', 'ALTER TABLE pgbench_branches ADD COLUMN note text',
	stderr => \$stderr);
isnt($ret, 0, 'a change whose lock conflicts with an open transaction is refused');
like($stderr, qr/ERROR:  lock-timeout: ALTER TABLE waits for an ACCESS EXCLUSIVE lock on table "public.pgbench_branches"/,
	'by lock-timeout, as an error');
like(
	$stderr,
	qr/Session $app_pid \(application "webapp", role "\w+", idle in transaction, transaction open for \d+ s, query "SELECT count\(\*\) FROM pgbench_branches[^"]*"\) holds an ACCESS SHARE lock on "public.pgbench_branches"/,
	'the DETAIL names the holder: pid, application, role, state, transaction age, query');
$ret = $node->psql('bench',
	"SET lock_timeout = '1s'; ALTER TABLE pgbench_branches ADD COLUMN note text",
	stderr => \$stderr);
like($stderr, qr/canceling statement due to lock timeout/,
	'with a lock_timeout the guard lets it try, and it gives up instead of queueing');

# what the DETAIL shows of a session follows pg_stat_activity's rules: a
# query is cut at 60 characters; a role without pg_read_all_stats (or the
# session's role's privileges) sees its pid, application and role only
$node->safe_psql('bench',
	'CREATE ROLE migrator LOGIN; ALTER TABLE pgbench_tellers OWNER TO migrator');
$app->query_safe(
	'SELECT count(*) FROM pgbench_tellers WHERE tid > 0 AND bid > 0 AND tbalance IS NOT NULL');
$ret = $node->psql('bench', 'ALTER TABLE pgbench_tellers ADD COLUMN note text',
	stderr => \$stderr);
like(
	$stderr,
	qr/Session $app_pid \(application "webapp", role "\w+", idle in transaction, transaction open for \d+ s, query "SELECT count\(\*\) FROM pgbench_tellers WHERE tid > 0 AND bid >\.\.\."\) holds an ACCESS SHARE lock on "public.pgbench_tellers"/,
	'the query is cut at 60 characters');
$ret = $node->psql('bench', 'ALTER TABLE pgbench_tellers ADD COLUMN note text',
	stderr => \$stderr, extra_params => [ '-U', 'migrator' ]);
like(
	$stderr,
	qr/ERROR:  lock-timeout: .*Session $app_pid \(application "webapp", role "\w+"\) holds an ACCESS SHARE lock on "public.pgbench_tellers"/s,
	'a role that may not see the session in pg_stat_activity: pid, application and role only');

# a large table while webapp is connected: judged again
$ret = $node->psql('bench', 'ALTER TABLE pgbench_accounts ALTER COLUMN filler TYPE text',
	stderr => \$stderr);
like($stderr, qr/ERROR:  table-rewrite: changing the type of column "filler" to text rewrites table "public.pgbench_accounts"/,
	'a rewrite of the large table is refused with another application connected');
like($stderr, qr/WARNING:  lock-timeout: ALTER TABLE waits for an ACCESS EXCLUSIVE lock on table "public.pgbench_accounts"/,
	'lock-timeout warns (nobody holds a lock on it now)');
unlike($stderr, qr/Session $app_pid/,
	'webapp holds no lock on pgbench_accounts: not named');
$ret = $node->psql('bench', 'CREATE INDEX ON pgbench_accounts (abalance)',
	stderr => \$stderr);
like($stderr, qr/ERROR:  blocking-index-build: CREATE INDEX blocks writes to table "public.pgbench_accounts"/,
	'so is an index build');

# webapp gone: nobody to block (a session of another database does not count)
$app->quit;
$node->poll_query_until('bench',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'webapp'")
  or die 'webapp did not leave';
my $elsewhere = $node->background_psql('postgres');
$elsewhere->query_safe("SET application_name = 'other_database_app'");
$node->safe_psql('bench', 'CREATE INDEX accounts_abalance ON pgbench_accounts (abalance)');
pass('with nobody else connected to the database the index builds');
$elsewhere->quit;

# data-loss is not about locks: pgbench -i again would drop the rows
($stdout, $stderr) =
  run_command([ 'pgbench', '-i', '-s', '10', '-q', 'bench' ]);
like($stderr, qr/data-loss: DROP TABLE deletes the rows of table/,
	'pgbench -i over filled tables is refused by data-loss, nobody connected or not');
is($node->safe_psql('bench', 'SELECT count(*) FROM pgbench_accounts'),
	'1000000', 'and the rows are there');

done_testing();
