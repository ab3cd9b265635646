
# Copyright: schemaguard contributors
#
# Do no harm, pg_upgrade (issue 11): PostgreSQL 15 to 15, two clusters.
# pg_upgrade keeps the object ids of relations but not those of functions,
# constraints, triggers, policies or rules, and copies schemaguard's tables
# as they are.  After it, impact_of(), lineage_of() and
# unresolved_references() answer as before the upgrade (the catalog, found
# computed in another cluster, is rebuilt once, with a NOTICE), and the
# guard judges with the right dependents.  Default settings, a table above
# the threshold.
#
use strict;
use warnings;

use Cwd;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $old = PostgreSQL::Test::Cluster->new('old');
$old->init;
$old->start;
$old->safe_psql('postgres', 'CREATE DATABASE app');
$old->safe_psql(
	'app', q{
CREATE EXTENSION schemaguard;
UPDATE schemaguard.rule_config SET severity = 'warning' WHERE rule = 'lock-timeout';
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                     qty int CHECK (qty > 0), price numeric(10,2) DEFAULT 0,
                     total numeric GENERATED ALWAYS AS (qty * price) STORED);
INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 1000) i;
INSERT INTO orders (id, customer_id, qty, price)
SELECT i, 1 + i % 1000, 1 + i % 9, i % 100 FROM generate_series(1, 250000) i;
CREATE VIEW big_orders AS SELECT id, customer_id, total FROM orders WHERE qty > 5;
CREATE FUNCTION order_value(o int) RETURNS numeric LANGUAGE sql
    AS 'SELECT qty * price FROM orders WHERE id = o';
CREATE FUNCTION customer_value(c int) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(order_value(id)) FROM orders WHERE customer_id = c);
END
$$;
CREATE FUNCTION check_qty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.qty > 100 THEN RAISE EXCEPTION 'too many'; END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER orders_qty BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION check_qty();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY small_orders ON orders USING (qty < 50);
CREATE RULE no_delete AS ON DELETE TO big_orders DO INSTEAD NOTHING;
CREATE FUNCTION later() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(*) FROM not_yet);
END
$$;
ANALYZE;
});

my $state_sql = q{
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
    SELECT format('%s %s.%s: %s', kind, c.relname, a.attname, l.answer) AS x
    FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
    LATERAL (VALUES ('impact'), ('lineage')) k(kind),
    LATERAL (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', depth, object_type, object_identity,
                                      column_name, usage, via), '; '
                               ORDER BY depth, object_type, object_identity, column_name, usage, via) AS answer
             FROM (SELECT * FROM schemaguard.impact_of(format('public.%I.%I', c.relname, a.attname))
                   WHERE kind = 'impact'
                   UNION ALL
                   SELECT * FROM schemaguard.lineage_of(format('public.%I.%I', c.relname, a.attname))
                   WHERE kind = 'lineage') q) l
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
    UNION ALL
    SELECT format('unresolved %s %s', object_identity, reference)
    FROM schemaguard.unresolved_references()
    UNION ALL
    SELECT format('rule_config %s=%s', rule, severity) FROM schemaguard.rule_config) s;
};
my $before = $old->safe_psql('app', $state_sql);
like($before, qr/impact orders\.qty: .*function\|public\.order_value\(integer\)/,
	'before: impact_of sees the function bodies');
like($before, qr/policy\|small_orders on public\.orders/, 'the policy');
like($before, qr/trigger\|orders_qty on public\.orders/, 'the trigger');
my $old_ids = $old->safe_psql(
	'app', q{
SELECT 'order_value'::regproc::oid, 'orders'::regclass::oid,
       (SELECT oid FROM pg_policy WHERE polname = 'small_orders'),
       (SELECT oid FROM pg_trigger WHERE tgname = 'orders_qty')});
$old->stop;

my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;

my $bindir = $new->config_data('--bindir');
my $cwd = getcwd();
my $work = PostgreSQL::Test::Utils::tempdir;
chdir $work;
command_ok(
	[
		'pg_upgrade', '--no-sync',
		'-d', $old->data_dir, '-D', $new->data_dir,
		'-b', $bindir, '-B', $bindir,
		'-s', $new->host,
		'-p', $old->port, '-P', $new->port
	],
	'pg_upgrade from 15 to 15');
chdir $cwd;
$new->start;

my $new_ids = $new->safe_psql(
	'app', q{
SELECT 'order_value'::regproc::oid, 'orders'::regclass::oid,
       (SELECT oid FROM pg_policy WHERE polname = 'small_orders'),
       (SELECT oid FROM pg_trigger WHERE tgname = 'orders_qty')});
my @o = split /\|/, $old_ids;
my @n = split /\|/, $new_ids;
is($n[1], $o[1], 'the table keeps its OID');
ok($n[0] != $o[0] && $n[2] != $o[2] && $n[3] != $o[3],
	'the function, the policy and the trigger do not');

my ($ret, $after, $stderr) = $new->psql('app', $state_sql);
is($ret, 0, 'the first question after the upgrade is answered');
like($stderr, qr/NOTICE:  rebuilding the lineage catalog of schemaguard, computed in another cluster/,
	'after rebuilding the catalog once, with a NOTICE');
is($after, $before,
	'impact_of, lineage_of, unresolved_references and rule_config answer as before the upgrade');
($ret, my $again, $stderr) = $new->psql('app', $state_sql);
is($stderr, '', 'once: the next session finds it current');

# the guard, with the new cluster's dependents
($ret, my $out, $stderr) = $new->psql('app', 'DROP FUNCTION order_value(int)');
like($stderr, qr/breaks-dependents: dropping function public\.order_value\(integer\) breaks 1 dependent/,
	'the guard sees the callers under their new OIDs');
like($stderr, qr/function public\.customer_value\(integer\)/, 'by name');
is( $new->safe_psql(
		'app', q{
LOAD 'schemaguard';
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('orders') > 10 * 1024 * 1024}),
	'10MB|t',
	'default threshold, orders above it');
done_testing();
