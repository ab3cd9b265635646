#
# pg_schemaguard check against a live cluster: findings at file:line:column
# (columns in characters), a syntax error in the middle of a file at its
# line, -- schemaguard-ignore for the next statement only, every output
# format (SARIF validated against the SARIF 2.1.0 schema), the exit
# statuses, a bad connection string, an unreadable file, --help.
#
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__) . '/..');

my $node = PostgreSQL::Test::Cluster->new('cli');
$node->init;
$node->append_conf('postgresql.conf', "schemaguard.large_table_threshold = '64kB'\n");
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE big (id int PRIMARY KEY, d int, note text);
INSERT INTO big SELECT i, i, 'x' FROM generate_series(1, 10000) i;
CREATE VIEW big_notes AS SELECT id, d, note FROM big;
CREATE TABLE small (id int);
ANALYZE;
});
$node->safe_psql('postgres', 'CREATE DATABASE without_extension');
my $connstr = $node->connstr('postgres');
my $dir = PostgreSQL::Test::Utils::tempdir;

sub file
{
	my ($name, $text) = @_;
	my $path = "$dir/$name";
	append_to_file($path, $text);
	return $path;
}

# Run pg_schemaguard; returns (exit status, stdout, stderr).
sub run_cli
{
	my (@args) = @_;
	my %env = %ENV;
	my ($stdout, $stderr);
	local %ENV = %env;
	delete $ENV{GITHUB_ACTIONS};
	if (ref $args[0] eq 'HASH')
	{
		my $set = shift @args;
		$ENV{$_} = $set->{$_} foreach keys %$set;
	}
	IPC::Run::run [ 'pg_schemaguard', @args ], '>', \$stdout, '2>', \$stderr;
	return ($? >> 8, $stdout, $stderr);
}

my $clean = file('clean.sql', <<'SQL');
SET lock_timeout = '2s';
CREATE TABLE fresh (id int);
CREATE INDEX ON fresh (id);
CREATE INDEX CONCURRENTLY ON big (d);
SQL
my $risky = file('risky.sql', <<'SQL');
SET lock_timeout = '2s';

-- a comment, then a statement that does not start the line
  /* c */ CREATE INDEX ON big (d);
ALTER TABLE big ALTER COLUMN d TYPE bigint; ALTER TABLE small ADD COLUMN x int;
SQL
my $warning = file('warning.sql', "CREATE INDEX CONCURRENTLY ON big (note);\nALTER TABLE big ADD COLUMN y int;\n");

my ($rc, $out, $err) = run_cli('check', '-d', $connstr, $clean);
is($rc, 0, 'a clean file: exit status 0');
like($out, qr/no findings in 1 file/, '... and it says so');

($rc, $out, $err) = run_cli('check', '-d', $connstr, '--format=gcc', $risky, $clean);
is($rc, 1, 'findings at error severity: exit status 1');
is( $out,
	"$risky:4:11: error: blocking-index-build: CREATE INDEX blocks writes to table \"public.big\" while it builds\n"
	  . "$risky:5:1: error: breaks-dependents: changing the type of column \"d\" of \"public.big\" breaks 1 dependent\n"
	  . "$risky:5:1: error: table-rewrite: changing the type of column \"d\" to bigint rewrites table \"public.big\"\n",
	'gcc format: file:line:col: severity: rule: message, at each statement\'s first token');

($rc, $out, $err) = run_cli('check', '-d', $connstr, '--format=gcc', $warning);
is($rc, 0, 'only warnings: exit status 0');
like($out, qr/^\Q$warning\E:2:1: warning: lock-timeout: /m, '... the warning is reported');

# nothing was run: the checks run in a read-only transaction, rolled back
is($node->safe_psql('postgres', q{SELECT to_regclass('fresh') IS NULL,
	(SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass)}), 't|1',
	'nothing of the files was executed');

# columns count characters, not bytes
my $utf8 = file('utf8.sql', "SET lock_timeout = '2s'; /* é€ */ CREATE INDEX ON big (d);\n");
($rc, $out, $err) = run_cli({ PGCLIENTENCODING => 'UTF8' }, 'check', '-d', $connstr, '-f', 'gcc', $utf8);
like($out, qr/^\Q$utf8\E:1:35: error: blocking-index-build/m, 'a column after multibyte characters counts characters');

# a syntax error in the middle of a file, at its line and column
my $syntax = file('syntax.sql', <<'SQL');
SET lock_timeout = '2s';
CREATE TABLE t1 (id int);
CREATE INDEX ON big (d);
-- the next line is wrong
ALTER TABLE small
    ADD COLUMN z int,
    ALTER COLUMN z SET DEFAULT 0 FOO;
CREATE INDEX ON small (id);
SQL
($rc, $out, $err) = run_cli('check', '-d', $connstr, '-f', 'gcc', $syntax);
is($rc, 1, 'a syntax error: exit status 1');
is($out, "$syntax:7:34: error: syntax-error: syntax error at or near \"FOO\"\n",
	'a syntax error in the middle of a file is reported at its line and column');

# -- schemaguard-ignore: the next statement, the rules named, nothing else
my $ignore = file('ignore.sql', <<'SQL');
SET lock_timeout = '2s';
-- schemaguard-ignore blocking-index-build
-- (a second comment between them is fine)
CREATE INDEX ON big (d);
CREATE INDEX ON big (id);
-- schemaguard-ignore table-rewrite, breaks-dependents: reviewed with the team
ALTER TABLE big ALTER COLUMN d TYPE bigint;
SELECT '-- schemaguard-ignore data-loss',
       $$-- schemaguard-ignore data-loss$$;
DROP TABLE big CASCADE;
-- schemaguard-ignore no-such-rule
SELECT 1;
SQL
($rc, $out, $err) = run_cli('check', '-d', $connstr, '-f', 'gcc', $ignore);
is( $out,
	"$ignore:5:1: error: blocking-index-build: CREATE INDEX blocks writes to table \"public.big\" while it builds\n"
	  . "$ignore:10:1: error: data-loss: DROP TABLE deletes the rows of table \"public.big\"\n",
	'ignore comments suppress their rules for the next statement only, not from inside a string');
is($rc, 1, '... and what is left still fails the check');
like($err, qr/ignore\.sql:11: schemaguard-ignore names no rule "no-such-rule"/,
	'an ignore comment naming no rule is warned about');

($rc, $out, $err) = run_cli('check', '-d', $connstr, '-f', 'json', $ignore);
my $json = decode_json($out);
is_deeply(
	[ map { "$_->{line}:$_->{column}:$_->{rule}:" . ($_->{suppressed} ? 'suppressed' : 'reported') } @{ $json->{findings} } ],
	[
		'4:1:blocking-index-build:suppressed', '5:1:blocking-index-build:reported',
		'7:1:breaks-dependents:suppressed',    '7:1:table-rewrite:suppressed',
		'10:1:data-loss:reported'
	],
	'json: every finding, the suppressed ones marked');
is_deeply([ @$json{qw(files errors warnings suppressed)} ], [ 1, 2, 0, 3 ], 'json: the counts');
is($json->{findings}[1]{statement}, 3, 'json: the statement number');
like($json->{findings}[1]{hint}, qr/CREATE INDEX CONCURRENTLY/, 'json: the hint');

# SARIF 2.1.0, validated against the schema
($rc, $out, $err) = run_cli('check', '-d', $connstr, '-f', 'sarif', $ignore, $syntax);
my $sarif = "$dir/out.sarif";
append_to_file($sarif, $out);
my ($vout, $verr);
IPC::Run::run [ 'node', "$testdir/validate/validate.js", 'sarif', $sarif ], '>', \$vout, '2>', \$verr;
is($? >> 8, 0, 'sarif output validates against the SARIF 2.1.0 schema') or diag($verr);
my $log = decode_json($out);
my $run = $log->{runs}[0];
is($log->{version}, '2.1.0', 'sarif: version 2.1.0');
is_deeply(
	[ map { $_->{id} } @{ $run->{tool}{driver}{rules} } ],
	[qw(breaks-dependents table-rewrite full-scan-under-lock blocking-index-build data-loss lock-timeout syntax-error)],
	'sarif: the rules in a fixed order (stable ruleIds and ruleIndexes)');
my @results = @{ $run->{results} };
is(scalar @results, 6, 'sarif: every finding is a result');
is_deeply(
	[ map { "$_->{ruleId}/$_->{ruleIndex}/$_->{level}/" . ($_->{suppressions} ? 'inSource' : '-') } @results ],
	[
		'blocking-index-build/3/error/inSource', 'blocking-index-build/3/error/-',
		'breaks-dependents/0/error/inSource',    'table-rewrite/1/error/inSource',
		'data-loss/4/error/-',                   'syntax-error/6/error/-'
	],
	'sarif: ruleId, ruleIndex, level, in-source suppressions');
is_deeply($results[5]{locations}[0]{physicalLocation}{region}, { startLine => 7, startColumn => 34 },
	'sarif: the syntax error\'s region');
is($results[0]{locations}[0]{physicalLocation}{artifactLocation}{uri}, "file://$ignore",
	'sarif: an absolute path as a file URI');
# ... and the validation can fail
my $bad = decode_json($out);
$bad->{runs}[0]{results}[0]{level} = 'fatal';
append_to_file("$dir/bad.sarif", encode_json($bad));
IPC::Run::run [ 'node', "$testdir/validate/validate.js", 'sarif', "$dir/bad.sarif" ], '>', \$vout, '2>', \$verr;
is($? >> 8, 1, 'the SARIF validator rejects a wrong level');

# GitHub annotations when GITHUB_ACTIONS is set
($rc, $out, $err) = run_cli({ GITHUB_ACTIONS => 'true' }, 'check', '-d', $connstr, $risky);
like($out, qr/^::error file=\Q$risky\E,line=4,col=11,title=schemaguard blocking-index-build::CREATE INDEX blocks writes to table "public.big" while it builds%0A%0AThe table/m,
	'GITHUB_ACTIONS: workflow-command annotations, newlines escaped');
like($out, qr/^schemaguard: 3 errors, 0 warnings in 1 file$/m, '... and a summary');
($rc, $out, $err) = run_cli({ GITHUB_ACTIONS => 'true' }, 'check', '-d', $connstr, '-f', 'gcc', $risky);
like($out, qr/^\Q$risky\E:4:11: error/m, '--format wins over GITHUB_ACTIONS');

# tty: the statement's line and a caret; colour on request only
($rc, $out, $err) = run_cli('check', '-d', $connstr, $risky);
like($out, qr/^error\[blocking-index-build\]: CREATE INDEX blocks writes .*\n --> \Q$risky\E:4:11\n  \|\n4 \|   \/\* c \*\/ CREATE INDEX ON big \(d\);\n  \|           \^\n/m,
	'tty: the rule, the location, the line and a caret under the statement');
like($out, qr/= hint: Build it CONCURRENTLY/, 'tty: the hint');
unlike($out, qr/\033\[/, 'tty: no colour when not a terminal');
($rc, $out, $err) = run_cli('check', '-d', $connstr, '--color=always', $risky);
like($out, qr/\033\[1;31merror\[blocking-index-build\]/, '--color=always: coloured');
($rc, $out, $err) = run_cli({ NO_COLOR => '1' }, 'check', '-d', $connstr, '--color=auto', $risky);
unlike($out, qr/\033\[/, 'NO_COLOR: not coloured');

# errors that are not findings: exit status 2
($rc, $out, $err) = run_cli('check', '-d', 'host=/nonexistent/socket/dir port=1', $clean);
is($rc, 2, 'a connection that fails: exit status 2');
like($err, qr/^pg_schemaguard: error: connection to server on socket "\/nonexistent\/socket\/dir\/\.s\.PGSQL\.1" failed/m,
	'... with libpq\'s message');
($rc, $out, $err) = run_cli('check', '-d', "host='unterminated", $clean);
is($rc, 2, 'a malformed connection string: exit status 2');
like($err, qr/unterminated quoted string/, '... with libpq\'s message');

my $unreadable = file('unreadable.sql', "SELECT 1;\n");
chmod 0000, $unreadable;
SKIP:
{
	skip 'running as root: every file is readable', 3 if -r $unreadable;
	($rc, $out, $err) = run_cli('check', '-d', $connstr, '-f', 'gcc', $unreadable, $risky);
	is($rc, 2, 'an unreadable file: exit status 2 (over the findings\' 1)');
	like($err, qr/could not open file "\Q$unreadable\E": Permission denied/, '... and it says why');
	like($out, qr/^\Q$risky\E:4:11: error/m, '... the other files are still checked');
}
($rc, $out, $err) = run_cli('check', '-d', $connstr, "$dir/no-such-file.sql");
is($rc, 2, 'a missing file: exit status 2');
like($err, qr/could not open file ".*no-such-file\.sql": No such file or directory/, '... and it says so');

($rc, $out, $err) = run_cli('check', '-d', $node->connstr('without_extension'), $clean);
is($rc, 2, 'a database without schemaguard: exit status 2');
like($err, qr/schemaguard 0\.3\.0 or later must be installed/, '... with what to do');

# standard input
{
	my ($stdout, $stderr);
	local $ENV{GITHUB_ACTIONS};
	delete $ENV{GITHUB_ACTIONS};
	IPC::Run::run [ 'pg_schemaguard', 'check', '-d', $connstr, '-f', 'gcc', '-' ],
	  '<', \"SELECT 1;\nDROP TABLE big CASCADE;\n", '>', \$stdout, '2>', \$stderr;
	like($stdout, qr/^-:2:1: error: data-loss/m, '"-" reads standard input');
}

# usage
($rc, $out, $err) = run_cli('--help');
is($rc, 0, '--help: exit status 0');
like($out, qr/^NAME\n.*^SYNOPSIS\n.*^DESCRIPTION\n.*^OPTIONS \(check\)\n.*^EXIT STATUS\n.*^ENVIRONMENT\n.*^EXAMPLES\n/ms,
	'--help is a manual page');
($rc, $out, $err) = run_cli('check', '--help');
like($out, qr/^SYNOPSIS/m, 'check --help too');
($rc, $out, $err) = run_cli('--version');
like($out, qr/^pg_schemaguard \(schemaguard\) \d+\.\d+\.\d+$/, '--version');
($rc, $out, $err) = run_cli('frobnicate');
is($rc, 2, 'an unknown command: exit status 2');
($rc, $out, $err) = run_cli('check', '-d', $connstr);
is($rc, 2, 'no file: exit status 2');
($rc, $out, $err) = run_cli('check', '-d', $connstr, '--format=xml', $clean);
is($rc, 2, 'an unknown format: exit status 2');
like($err, qr/unknown format "xml"/, '... named');
($rc, $out, $err) = run_cli('check', '--bogus', $clean);
is($rc, 2, 'an unknown option: exit status 2');

$node->stop;
done_testing();
