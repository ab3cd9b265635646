
# Copyright: schemaguard contributors
#
# Do no harm, a migration tool's automatic revert (issue 11 item 5), with
# sqitch from Debian: a change adds a nullable column to a table above the
# threshold (default settings), the next change is blocked by the guard (an
# application is connected, so an index build blocks it), and sqitch reverts
# what it deployed: ALTER TABLE orders DROP COLUMN coupon.  The column holds
# only NULLs: data-loss lets the revert through and the schema is back as it
# was.  The other side: a change whose column holds values (a default) is
# refused by data-loss on the revert, and sqitch says so.
#
use strict;
use warnings;

use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $sqitch = `which sqitch 2>/dev/null`;
chomp $sqitch;
plan skip_all => 'sqitch is not installed (test/setup.sh installs it)'
  unless $sqitch;

my $node = PostgreSQL::Test::Cluster->new('sqitch');
$node->init;
$node->start;

my $tmp = PostgreSQL::Test::Utils::tempdir;

# project(dir, first change name, its deploy, its revert): a sqitch project
# whose second change builds an index on orders
sub project
{
	my ($dir, $change, $deploy, $revert) = @_;
	make_path("$dir/deploy", "$dir/revert", "$dir/verify");
	append_to_file("$dir/sqitch.conf", "[core]\n\tengine = pg\n");
	append_to_file(
		"$dir/sqitch.plan", "%syntax-version=1.0.0
%project=shop

$change 2026-01-01T00:00:00Z Test <test\@example.com> # a column
index_orders 2026-01-01T00:01:00Z Test <test\@example.com> # an index
");
	append_to_file("$dir/deploy/$change.sql", "BEGIN;\n$deploy\nCOMMIT;\n");
	append_to_file("$dir/revert/$change.sql", "BEGIN;\n$revert\nCOMMIT;\n");
	append_to_file("$dir/verify/$change.sql", "SELECT 1;\n");
	append_to_file("$dir/deploy/index_orders.sql",
		"BEGIN;\nCREATE INDEX orders_created ON orders (created_at);\nCOMMIT;\n");
	append_to_file("$dir/revert/index_orders.sql",
		"BEGIN;\nDROP INDEX orders_created;\nCOMMIT;\n");
	append_to_file("$dir/verify/index_orders.sql", "SELECT 1;\n");
}

# deploy(dir, database): sqitch deploy with the cluster's own psql
sub deploy
{
	my ($dir, $db) = @_;
	local $ENV{HOME} = $dir;
	local $ENV{SQITCH_FULLNAME} = 'Test';
	local $ENV{SQITCH_EMAIL} = 'test@example.com';
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	my $psql = $node->installed_command('psql');
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ $sqitch, '-C', $dir, 'deploy', '--client', $psql, "db:pg:$db" ],
		'>', \$stdout, '2>', \$stderr);
	return "$stdout$stderr";
}

my $table = q{
CREATE EXTENSION schemaguard;
CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz, note text);
INSERT INTO orders SELECT i, now() - i * interval '1 minute', 'order ' || i
FROM generate_series(1, 300000) i;
};
$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('postgres', 'CREATE DATABASE shop2');
$node->safe_psql('shop', $table);
$node->safe_psql('shop2', $table);
is( $node->safe_psql(
		'shop', q{
LOAD 'schemaguard';
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('orders') > 10 * 1024 * 1024}),
	'10MB|t',
	'default threshold, orders above it');

# the application, connected to both databases
my $app = $node->background_psql('shop');
$app->query_safe("SET application_name = 'webapp'");
my $app2 = $node->background_psql('shop2');
$app2->query_safe("SET application_name = 'webapp'");

project("$tmp/coupon", 'add_coupon', 'ALTER TABLE orders ADD COLUMN coupon text;',
	'ALTER TABLE orders DROP COLUMN coupon;');
my $out = deploy("$tmp/coupon", 'shop');
like($out, qr/blocking-index-build: CREATE INDEX blocks writes to table "public.orders"/,
	'the second change is blocked by the guard');
like($out, qr/Reverting all changes/, 'sqitch reverts what it deployed');
like($out, qr/- add_coupon \.+ ok/, 'and the revert of add_coupon succeeds');
unlike($out, qr/data-loss|manually repaired/,
	'no data-loss finding: the column held only NULLs');
is( $node->safe_psql(
		'shop', q{
SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT count(*) FROM sqitch.changes;}),
	"id,created_at,note\n0",
	'the schema is back as it was, nothing recorded as deployed');

# the other side: the first change's column holds values
project("$tmp/status", 'add_status',
	q{ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';},
	'ALTER TABLE orders DROP COLUMN status;');
$out = deploy("$tmp/status", 'shop2');
like($out, qr/data-loss: dropping column "status" deletes its values in table "public.orders"/,
	'a revert dropping a column with values is refused by data-loss');
like($out, qr/The column holds values other than NULL/, 'with the evidence');
is( $node->safe_psql(
		'shop2',
		"SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'status'"),
	'1',
	'and the column is still there');

$app->quit;
$app2->quit;
done_testing();
