#
# A paced backfill (CALL schemaguard.backfill(id, batch_size,
# max_rows_per_second)) as writers beside it need it:
#
# - its batches are short and spread out: the first of 100 rows, the next
#   ones as many rows as take about 0.5 ms (batch_size is only their upper
#   bound), a pause after each, the whole walk at the rate asked; without a
#   rate the batches are batch_size rows each, as before;
# - the copies of the indexes are built without parallel maintenance
#   workers (a parallel build takes every core while writers wait for one),
#   and the session's max_parallel_maintenance_workers is as it was after
#   the CALL, whether the build succeeded or failed; without a rate the
#   build is parallel as configured;
# - canceled in its middle, the error reaches the client whole (the walk
#   deletes its memory before re-throwing: the error's file name once
#   pointed into it) and the next call goes on.
#
# The batches are seen by a statement trigger that records, for each
# UPDATE of the table, its transaction and its rows; the builds by the
# server's own DEBUG1 message of index_build ("serially" or "with request
# for N parallel workers"), the table's parallel_workers storage parameter
# making a parallel build possible on a small table.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('paced');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->start;

$node->safe_psql(
	'postgres', q{
SET schemaguard.mode = off;
CREATE EXTENSION schemaguard;
CREATE SCHEMA p;
CREATE TABLE p.items (id bigint PRIMARY KEY, qty integer NOT NULL, price numeric NOT NULL)
    WITH (parallel_workers = 2);
INSERT INTO p.items SELECT g, g % 1000, g / 10.0 FROM generate_series(1, 5000) g;
CREATE INDEX items_qty_idx ON p.items (qty);
CREATE UNIQUE INDEX items_price_key ON p.items (price);
VACUUM ANALYZE p.items;
-- each UPDATE of the table: its transaction, its rows, when
CREATE TABLE p.batches (xid xid8, rows bigint, at timestamptz);
CREATE FUNCTION p.note_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO p.batches SELECT pg_current_xact_id(), count(*), clock_timestamp() FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER items_batches AFTER UPDATE ON p.items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION p.note_batch();
});

# one backfill (CALL arguments $args) of migration $id, or of a new one of
# $ddl, in a session with max_parallel_maintenance_workers = $workers and
# client_min_messages = debug1: (id, status, stderr, the setting after the
# CALL)
sub backfill
{
	my ($id, $ddl, $args, $workers) = @_;
	$id //= $node->safe_psql('postgres', "SELECT schemaguard.start(\$\$$ddl\$\$)");
	$node->safe_psql('postgres', 'TRUNCATE p.batches');
	my ($ret, $out, $err) = $node->psql(
		'postgres', qq{
SET max_parallel_maintenance_workers = $workers;
SET client_min_messages = debug1;
CALL schemaguard.backfill($id, $args);
RESET client_min_messages;
SHOW max_parallel_maintenance_workers;
}, on_error_stop => 0);
	return ($id, $ret, $err, $out);
}

my $batches = q{SELECT count(*), min(rows), max(rows), sum(rows) FROM p.batches WHERE rows > 0};
my $paced = q{SELECT count(*), max(rows), (SELECT rows FROM p.batches ORDER BY at LIMIT 1),
        sum(rows), round(extract(epoch FROM max(at) - min(at))::numeric, 1)
    FROM p.batches WHERE rows > 0};

# --- without a rate: batches of batch_size, the index built in parallel ----

my ($id, $ret, $err, $setting) =
  backfill(undef, 'ALTER TABLE p.items ALTER COLUMN qty TYPE bigint', '2000', 2);
unlike($err, qr/ERROR/, 'unpaced backfill succeeds');
is($node->safe_psql('postgres', $batches), '3|1000|2000|5000', 'unpaced: batches of batch_size rows, as many as needed');
like($err, qr/building index "_sg_new_items_qty_idx" on table "items" with request for 2 parallel workers/,
	'unpaced: the index copy is built with parallel workers, as configured');
is($setting, '2', 'unpaced: max_parallel_maintenance_workers unchanged');
$node->safe_psql('postgres', "SELECT schemaguard.rollback($id)");

# --- with a rate: short batches, spread out, the index built serially ------

($id, $ret, $err, $setting) =
  backfill(undef, 'ALTER TABLE p.items ALTER COLUMN qty TYPE bigint', '2000, 5000', 3);
unlike($err, qr/ERROR/, 'paced backfill succeeds');
my ($n, $max, $first, $sum, $secs) =
  split /\|/, $node->safe_psql('postgres', $paced);
is($first, 100, 'paced: the first batch is 100 rows');
is($sum, 5000, 'paced: every row walked once');
cmp_ok($n, '>=', 4, "paced: more batches than batch_size needs ($n)");
cmp_ok($max, '<', 2000, "paced: no batch of batch_size rows (largest $max)");
cmp_ok($secs, '>=', 0.7, "paced: spread over the time the rate asks ($secs s for 5000 rows at 5000/s)");
like($err, qr/building index "_sg_new_items_qty_idx" on table "items" serially/,
	'paced: the index copy is built serially');
unlike($err, qr/with request for \d+ parallel workers/, 'paced: no parallel build');
is($setting, '3', 'paced: max_parallel_maintenance_workers is as it was after the CALL');
is($node->safe_psql('postgres', "SELECT mismatches FROM schemaguard.verify($id)"), '0',
	'paced: the backfill is complete');
$node->safe_psql('postgres', "SELECT schemaguard.rollback($id)");

# --- a paced walk canceled: its error intact, the next call goes on ---------

$id = $node->safe_psql('postgres',
	q{SELECT schemaguard.start('ALTER TABLE p.items ALTER COLUMN qty TYPE bigint')});
for my $try (1 .. 3)
{
	my ($r, $out, $err) = $node->psql(
		'postgres', qq{
SET statement_timeout = '300ms';
CALL schemaguard.backfill($id, 2000, 2000);
\\errverbose
}, on_error_stop => 0);
	like($err, qr/canceling statement due to statement timeout.*LOCATION:\s+ProcessInterrupts, postgres\.c:\d+/s,
		"canceled paced walk $try: the error reaches the client whole, its location included");
}
is($node->safe_psql('postgres', "SELECT rows_done > 0 AND NOT backfill_done FROM schemaguard.migration WHERE id = $id"),
	't', 'the canceled walks kept what they did');
$node->safe_psql('postgres', "CALL schemaguard.backfill($id, 2000, 50000)");
is($node->safe_psql('postgres', "SELECT mismatches FROM schemaguard.verify($id)"), '0',
	'the next call goes on to the end');
$node->safe_psql('postgres', "SELECT schemaguard.rollback($id)");

# --- a paced build that fails: the setting is put back all the same --------

# 0.1 and 0.2 both become 0: the unique index copy cannot be built
($id, $ret, $err, $setting) =
  backfill(undef, 'ALTER TABLE p.items ALTER COLUMN price TYPE integer', '2000, 50000', 2);
like($err, qr/could not create unique index "_sg_new_items_price_key"/, 'the build failed on duplicates');
like($err, qr/building index "_sg_new_items_price_key" on table "items" serially/,
	'the failed build was serial');
is($setting, '2', 'after a failed paced build the session keeps its max_parallel_maintenance_workers (the default)');
# again: the index left INVALID is dropped, the build fails again
($id, $ret, $err, $setting) = backfill($id, undef, '2000, 50000', 3);
like($err, qr/could not create unique index "_sg_new_items_price_key"/, 'the second try fails the same way');
like($err, qr/dropping index .*_sg_new_items_price_key"?, left invalid by an earlier build/,
	'the second try drops the invalid index first');
is($setting, '3', 'after a failed paced build the session keeps its max_parallel_maintenance_workers (a value of its own)');
$node->safe_psql('postgres', "SELECT schemaguard.rollback($id)");

$node->stop;
done_testing();
