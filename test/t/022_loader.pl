
# Copyright: schemaguard contributors
#
# Do no harm, loaders (issue 11 item 3): the ordinary ETL session creates a
# table, fills it above the large-table threshold (default settings), then
# indexes, keys, constrains and retypes it -- while an application is
# connected to the same database.  Every step works: a table this session
# created, that no other session holds or awaits a lock on, blocks nobody.
#
# The other side: the same statements on that table from another session
# (which did not create it) are judged as usual; and once the application
# holds a lock on the loader's table (an open transaction that read it), the
# loader's own statements are judged again, and the one whose lock
# conflicts names the application's session.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('loader');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE etl');
$node->safe_psql(
	'etl', q{
CREATE EXTENSION schemaguard;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 1000) i;
});

# the application, connected the whole time
my $app = $node->background_psql('etl');
$app->query_safe("SET application_name = 'webapp'");
my $app_pid = $app->query_safe('SELECT pg_backend_pid()');
$app->query_safe('SELECT count(*) FROM customers');

my $loader = $node->background_psql('etl', on_error_stop => 0);
$loader->query_safe("SET application_name = 'nightly_load'");
$loader->query_safe(
	q{CREATE TABLE staging (id int, customer_id int, amount numeric(12,2), note text)});
$loader->query_safe(
	q{INSERT INTO staging SELECT i, 1 + i % 1000, i % 500, 'imported row ' || i
	  FROM generate_series(1, 300000) i});
is( $loader->query_safe(
		q{LOAD 'schemaguard';
		  SELECT current_setting('schemaguard.large_table_threshold'),
		         pg_table_size('staging') > 10 * 1024 * 1024}),
	"10MB|t",
	'the loaded table is above the default threshold');

foreach my $step (
	'CREATE INDEX staging_customer ON staging (customer_id)',
	'ALTER TABLE staging ADD PRIMARY KEY (id)',
	'ALTER TABLE staging ADD CONSTRAINT staging_amount CHECK (amount >= 0)',
	'ALTER TABLE staging ADD CONSTRAINT staging_customer_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID',
	'ALTER TABLE staging VALIDATE CONSTRAINT staging_customer_fk',
	'ALTER TABLE staging ALTER COLUMN note SET NOT NULL',
	'ALTER TABLE staging ALTER COLUMN amount TYPE numeric(14,2)')
{
	$loader->query($step);
	unlike($loader->{stderr}, qr/ERROR|WARNING/,
		"loader, application connected: $step");
	$loader->{stderr} = '';
}
# a foreign key validated at once also locks the referenced table, which
# the application uses: judged, whoever created the table it is added to
$loader->query(
	'ALTER TABLE staging ADD CONSTRAINT staging_customer_fk2 FOREIGN KEY (customer_id) REFERENCES customers');
like($loader->{stderr},
	qr/ERROR:  full-scan-under-lock: adding a FOREIGN KEY scans table "public.staging" under lock/,
	'a FOREIGN KEY validated at once, locking a table the application uses, is judged');
$loader->{stderr} = '';

is( $node->safe_psql(
		'etl', q{
SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
WHERE conrelid = 'staging'::regclass}),
	'staging_amount,staging_customer_fk,staging_pkey',
	'the keys and constraints are there');

# another session, which did not create the table: judged as usual
my ($ret, $stdout, $stderr);
$ret = $node->psql('etl', 'CREATE INDEX staging_note ON staging (note)',
	stderr => \$stderr);
like($stderr, qr/ERROR:  blocking-index-build: CREATE INDEX blocks writes to table "public.staging"/,
	'another session indexing the same table is refused');

# the application reads the loader's table and stays in its transaction:
# the table is not the loader's alone any more
$app->query_safe('BEGIN');
$app->query_safe('SELECT count(*) FROM staging');
$loader->query('CREATE INDEX staging_note ON staging (note)');
like($loader->{stderr}, qr/ERROR:  blocking-index-build: CREATE INDEX blocks writes to table "public.staging"/,
	'the loader is judged again once another session holds a lock on its table');
$loader->{stderr} = '';
$loader->query('ALTER TABLE staging ADD CONSTRAINT staging_id CHECK (id > 0)');
like(
	$loader->{stderr},
	qr/ERROR:  full-scan-under-lock, lock-timeout: .*Session $app_pid \(application "webapp", role "\w+", idle in transaction, transaction open for \d+ s, query "SELECT count\(\*\) FROM staging[^"]*"\) holds an ACCESS SHARE lock on "public.staging"/s,
	'a conflicting lock: the ERROR names the application session holding it');
$loader->{stderr} = '';
$app->query_safe('COMMIT');
$loader->query('ALTER TABLE staging ADD CONSTRAINT staging_id CHECK (id > 0)');
unlike($loader->{stderr}, qr/ERROR/, 'its transaction over, the loader goes on');

$loader->quit;
$app->quit;
done_testing();
