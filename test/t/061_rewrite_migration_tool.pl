#
# Rewrite mode under a migration tool: node-pg-migrate (from npm, installed
# by test/setup.sh in test/migrate_tool/), its migrations run without a
# transaction (pgm.noTransaction()).  With schemaguard.rewrite = on for the
# database, the plain CREATE INDEX and SET NOT NULL the tool sends are
# carried out in their safe forms (CREATE INDEX CONCURRENTLY; a CHECK NOT
# VALID, VALIDATE, SET NOT NULL), audited as "rewritten", and the tool
# records its migrations as done.  A migration in the tool's default
# transaction is blocked as without rewrite mode, and the tool fails on it.
#
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tool = abs_path(dirname(__FILE__) . '/../migrate_tool');
my $bin = "$tool/node_modules/.bin/node-pg-migrate";
plan skip_all => "node-pg-migrate is not installed in $tool (test/setup.sh)"
  unless -x $bin;

my $node = PostgreSQL::Test::Cluster->new('tool');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
schemaguard.large_table_threshold = '64kB'
schemaguard.consider_sessions = off
lock_timeout = '5s'
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE accounts (id int PRIMARY KEY, email text, balance int);
INSERT INTO accounts SELECT g, 'a' || g || '@example.com', g FROM generate_series(1, 10000) g;
ANALYZE accounts;
ALTER DATABASE postgres SET schemaguard.rewrite = on;
});

sub query { return $node->safe_psql('postgres', shift); }

# node-pg-migrate up, connected with the PG* variables (pg's defaults)
sub migrate
{
	my ($dir) = @_;
	my ($stdout, $stderr);
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGDATABASE} = 'postgres';
	local $ENV{PGUSER} = $ENV{USER} // scalar getpwuid($<);
	IPC::Run::run [
		'node', $bin, 'up', '-m', "$tool/$dir", '--no-single-transaction',
		'--no-check-order', '--no-verbose'
	  ],
	  '>', \$stdout, '2>', \$stderr;
	return ($? >> 8, $stdout . $stderr);
}

my ($ret, $out) = migrate('migrations');
is($ret, 0, 'node-pg-migrate runs its migrations without a transaction') or diag($out);
is( query(q{SELECT string_agg(name, ',' ORDER BY id) FROM pgmigrations}),
	'1700000000001_accounts_email_index,1700000000002_accounts_email_not_null',
	'the tool records both as run');
is( query(q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email'::regclass}),
	't', 'the index was built (CONCURRENTLY), valid');
is( query(q{SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'email';
            SELECT count(*) FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype = 'c'}),
	"t\n0", 'email is NOT NULL, and the check that proved it is gone');
is( query(
		q{SELECT string_agg(statement, ' | ' ORDER BY logged_at) FROM schemaguard.audit_log
		  WHERE decision = 'rewritten'}),
	'CREATE INDEX accounts_email ON accounts (email) | ALTER TABLE "accounts"' . "\n"
	  . '  ALTER "email" SET NOT NULL',
	'both statements audited as rewritten');
is( query(
		q{SELECT count(*) FROM schemaguard.audit_log
		  WHERE decision = 'rewritten' AND reason LIKE '%CREATE INDEX CONCURRENTLY accounts_email ON public.accounts%'}),
	'1', 'the audit row says it ran CREATE INDEX CONCURRENTLY');

($ret, $out) = migrate('migrations_in_transaction');
isnt($ret, 0, 'a migration in the tool\'s transaction fails');
like($out, qr/full-scan-under-lock/, 'it is blocked by the guard');
is( query(q{SELECT count(*) FROM pg_constraint WHERE conname = 'balance_positive';
            SELECT count(*) FROM pgmigrations}),
	"0\n2", 'nothing of it was done or recorded');

$node->stop;
done_testing();
