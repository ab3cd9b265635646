#
# impact_report() with the evidence a pg_regress cluster does not have:
# pg_stat_statements preloaded and installed (how often statements naming
# a changed relation ran), a role that may not read other roles'
# statements, and pg_stat_statements installed but not loaded.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('report');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'pg_stat_statements'
track_functions = 'all'
schemaguard.large_table_threshold = '64kB'
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION schemaguard;
CREATE EXTENSION pg_stat_statements;
CREATE TABLE orders (id int PRIMARY KEY, qty int);
INSERT INTO orders SELECT i, i % 10 FROM generate_series(1, 5000) i;
CREATE TABLE orders_archive (id int);
CREATE FUNCTION qty_of(p int) RETURNS int LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT qty FROM orders WHERE id = p); END $$;
ANALYZE;
SELECT pg_stat_statements_reset();
CREATE ROLE report_reader LOGIN;
GRANT USAGE ON SCHEMA public TO report_reader;
});
# statements naming orders: 3 runs of one, 2 of another; one naming only
# orders_archive (a whole-word match must not count it)
$node->safe_psql('postgres', 'SELECT count(*) FROM orders WHERE qty = 1') for 1 .. 3;
$node->safe_psql('postgres', 'SELECT qty_of(7)') for 1 .. 2;
$node->safe_psql('postgres', 'SELECT count(*) FROM orders_archive') for 1 .. 4;
$node->safe_psql('postgres', 'SELECT pg_stat_force_next_flush()');

my $report = $node->safe_psql('postgres',
	q{SELECT schemaguard.impact_report('ALTER TABLE orders RENAME COLUMN qty TO quantity')});
like($report, qr/^\| function \| `public\.qty_of\(integer\)` \|  \| transformation \| 1 \|$/m,
	'the function reading the column is a dependent');
like($report, qr/^\| function \| `public\.qty_of\(integer\)` \| 2 calls, [0-9.]+ ms in all \|$/m,
	'its calls are counted (track_functions = all)');
like($report, qr/^\| table \| `public\.orders` \| \d+ sequential scans, \d+ index scans, 5000 rows written, about \d+ rows \|$/m,
	'the table\'s scans and rows');
my ($statements, $calls) = $report =~ /^\| statements naming `orders` \| pg\\_stat\\_statements \| (\d+) statements, run (\d+) times \|$/m;
ok(defined $statements, 'pg_stat_statements: statements naming the table');
# the count(*) on orders, run 3 times (pg_stat_statements.track = top: the
# function's own SELECT is not a statement of its own; the statements
# before the reset are gone)
is("$statements/$calls", '1/3', '... one statement, run 3 times');
my $archive = $node->safe_psql('postgres',
	q{SELECT sum(calls) FROM pg_stat_statements WHERE query ~ '\morders_archive\M'});
is($archive, 4, 'the statement on orders_archive ran 4 times');
my $without_archive = $node->safe_psql('postgres',
	q{SELECT sum(calls) FROM pg_stat_statements WHERE query ~* '\morders\M'
	  AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())});
cmp_ok($calls, '<=', $without_archive, 'orders_archive is not counted as orders');
unlike($report, qr/pg\\_stat\\_statements is not installed/, 'no note that pg_stat_statements is missing');
like($report, qr/counts statements whose text names a relation, not the columns they read/,
	'the note on what pg_stat_statements can tell');

# a role that may not read other roles' statements is told so
my $as_reader = $node->safe_psql('postgres',
	q{SET ROLE report_reader; SELECT schemaguard.impact_report('ALTER TABLE orders RENAME COLUMN qty TO quantity')});
like($as_reader, qr/Statements of other roles are hidden from you in pg\\_stat\\_statements/,
	'a role without pg_read_all_stats: other roles\' statements said hidden');

# track_functions = none: calls not counted, and said so
my $untracked = $node->safe_psql('postgres',
	q{SET track_functions = 'none'; SELECT schemaguard.impact_report('ALTER TABLE orders RENAME COLUMN qty TO quantity')});
unlike($untracked, qr/`public\.qty_of\(integer\)` \| \d+ calls/, 'track_functions none: no call counts');
like($untracked, qr/Calls of functions are not counted: track\\_functions is none\./, '... and it says so');

# installed but not loaded: said, the report still made
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->restart;
my $unloaded = $node->safe_psql('postgres',
	q{SELECT schemaguard.impact_report('ALTER TABLE orders RENAME COLUMN qty TO quantity')});
like($unloaded, qr/How often queries reading the changed relations ran: pg\\_stat\\_statements could not be read: pg\\_stat\\_statements must be loaded via shared\\_preload\\_libraries/,
	'pg_stat_statements not loaded: the report says it could not read it');
like($unloaded, qr/`public\.qty_of\(integer\)`/, '... and the rest of the report is there');

$node->stop;
done_testing();
