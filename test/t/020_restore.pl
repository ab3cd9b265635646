
# Copyright: schemaguard contributors
#
# Do no harm, restores (issue 11 item 1): a pg_dump of a database holding
# schemaguard, its tables above the large-table threshold (default
# settings: 10 MB), restored into a new database by psql -f, pg_restore,
# pg_restore -j 2 and pg_restore --single-transaction, ends with no error
# and the same indexes, constraints, rows, impact_of() answers (a dynamic
# SQL edge to a table the dump creates after the function included),
# unresolved references and rule_config customizations as the source.
#
# Who is there, both sides: nobody but the restore connected -- the
# parallel jobs of pg_restore -j share its role and application name -- so
# the lock-based rules have nobody to block; with another application
# connected, psql -f still restores (every table is new to its session),
# while pg_restore -j 2 does not: its jobs index tables another session
# created, which the guard refuses with the rule id.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('restore');
$node->init;
$node->start;

my $tmp = PostgreSQL::Test::Utils::tempdir;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
CREATE EXTENSION schemaguard;
UPDATE schemaguard.rule_config SET severity = 'warning' WHERE rule = 'data-loss';
UPDATE schemaguard.rule_config SET severity = 'error' WHERE rule = 'lock-timeout';
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text UNIQUE);
CREATE TABLE orders (id int PRIMARY KEY,
                     customer_id int NOT NULL REFERENCES customers,
                     qty int CHECK (qty > 0), price numeric(10,2), note text);
CREATE INDEX orders_customer_idx ON orders (customer_id);
INSERT INTO customers
SELECT i, 'customer number ' || i, 'customer' || i || '@example.com'
FROM generate_series(1, 160000) i;
INSERT INTO orders
SELECT i, 1 + i % 160000, 1 + i % 7, (i % 1000) / 10.0, 'order note ' || i
FROM generate_series(1, 200000) i;
CREATE VIEW order_totals AS
SELECT customer_id, sum(qty * price) AS total FROM orders GROUP BY customer_id;
CREATE FUNCTION customer_total(c int) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(qty * price) FROM orders WHERE customer_id = c);
END
$$;
-- dumped before the tables: its dynamic SQL names a table not there yet
CREATE FUNCTION purge_orders(before int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DELETE FROM orders WHERE id < ' || before;
END
$$;
CREATE FUNCTION missing_reader() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(*) FROM not_there_yet);
END
$$;
ANALYZE;
});

is( $node->safe_psql(
		'source', q{
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('customers') > 10 * 1024 * 1024,
       pg_table_size('orders') > 10 * 1024 * 1024,
       (SELECT count(*) FROM schemaguard.impact_of('public.orders') WHERE usage = 'dynamic')}),
	"10MB|t|t|2",
	'default threshold; both tables above it; the dynamic edges (the table, its column id) in the source');

# What must be the same after a restore.
my $state_sql = q{
SELECT 'indexes', string_agg(format('%s %s', indexrelid::regclass, pg_get_indexdef(indexrelid)), E'\n'
                             ORDER BY indexrelid::regclass::text)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'constraints', string_agg(format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)), E'\n'
                                 ORDER BY conrelid::regclass::text, conname)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'rows', format('%s %s %s %s', (SELECT count(*) FROM customers), (SELECT count(*) FROM orders),
                      (SELECT sum(id) FROM orders), (SELECT sum(qty * price) FROM orders))
UNION ALL
SELECT 'impact_of', string_agg(x, E'\n' ORDER BY x) FROM (
    SELECT format('%s.%s: %s', c.relname, a.attname, l.impact) AS x
    FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
    LATERAL (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', depth, object_type, object_identity,
                                      column_name, usage, via), '; '
                                ORDER BY depth, object_type, object_identity, column_name, usage, via) AS impact
             FROM schemaguard.impact_of(format('%I.%I.%I', 'public', c.relname, a.attname))) l
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')) s
UNION ALL
SELECT 'unresolved', string_agg(format('%s %s', object_identity, reference), E'\n'
                                ORDER BY object_identity, reference)
FROM schemaguard.unresolved_references()
UNION ALL
SELECT 'rule_config', string_agg(rule || '=' || severity, ', ' ORDER BY rule)
FROM schemaguard.rule_config;
};
my $source_state = $node->safe_psql('source', $state_sql);
like($source_state, qr/purge_orders\(integer\)\|\|dynamic/,
	'the source state holds the dynamic edge');
like($source_state, qr/data-loss=warning/, 'and the customized rule_config');

my $plain = "$tmp/source.sql";
my $custom = "$tmp/source.dump";
$node->command_ok([ 'pg_dump', '-d', $node->connstr('source'), '-f', $plain ],
	'pg_dump, plain');
$node->command_ok(
	[ 'pg_dump', '-Fc', '-d', $node->connstr('source'), '-f', $custom ],
	'pg_dump, custom format');
like(slurp_file($plain), qr/COPY schemaguard\.rule_config \(rule, severity\) FROM stdin;\ndata-loss\twarning\nlock-timeout\terror\n\\\./,
	'the dump keeps the changed rule_config rows, only those');

# restore(name, command...): into a new database (made unless it exists);
# no error, the same state
sub restore
{
	my ($name, @command) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $name")
	  unless $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_database WHERE datname = '$name'");
	my ($stdout, $stderr) = run_command(
		[ map { $_ eq 'DB' ? $node->connstr($name) : $_ } @command ]);
	unlike($stderr, qr/ERROR|error/, "$name: no error")
	  or diag($stderr);
	is($node->safe_psql($name, $state_sql), $source_state,
		"$name: the same indexes, constraints, rows, impact_of answers, unresolved references and rule_config"
	);
	return $stderr;
}

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
restore('r_psql', 'psql', '-X', '-q', '-d', 'DB', '-f', $plain);
restore('r_restore', 'pg_restore', '-d', 'DB', $custom);
restore('r_jobs', 'pg_restore', '-j', '2', '-d', 'DB', $custom);
restore('r_single', 'pg_restore', '--single-transaction', '-d', 'DB', $custom);

# The other side: another application connected to the database restored
# into.  psql -f creates every table in its own session: restored whole.
# pg_restore -j 2 builds indexes and keys in job sessions that did not
# create the tables: refused, by rule id.
$node->safe_psql('postgres', "CREATE DATABASE r_busy_psql");
my $app = $node->background_psql('r_busy_psql');
$app->query_safe("SET application_name = 'webapp'");
restore('r_busy_psql', 'psql', '-X', '-q', '-d', 'DB', '-f', $plain);
$app->quit;

$node->safe_psql('postgres', "CREATE DATABASE r_busy_jobs");
$app = $node->background_psql('r_busy_jobs');
$app->query_safe("SET application_name = 'webapp'");
my ($stdout, $stderr) = run_command(
	[ 'pg_restore', '-j', '2', '-d', $node->connstr('r_busy_jobs'), $custom ]);
like(
	$stderr,
	qr/(full-scan-under-lock|blocking-index-build)/,
	'pg_restore -j 2 with another application connected: the jobs are refused by the guard');
is( $node->safe_psql(
		'r_busy_jobs',
		"SELECT count(*) FROM pg_index WHERE indrelid = 'orders'::regclass"),
	'0',
	'and the index builds did not run');
$app->quit;

done_testing();
