
# Copyright: schemaguard contributors
#
# Do no harm, functions with temporary tables (issue 11 item 4): Pagila's
# rewards_report() creates a temporary table, fills it with dynamic SQL,
# reads it and drops it, on every call.  After CREATE EXTENSION it runs,
# call after call and in new sessions, with default settings and its
# tables above the threshold: the temporary table never resolves the body's
# unresolved name (lineage is never bound to a temporary object), and its
# DROP TABLE is never judged.  The other side: a permanent table of the
# same name is bound, and its DROP refused by breaks-dependents.
#
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('temp');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE pagila');
$node->safe_psql(
	'pagila', q{
CREATE TABLE customer (customer_id int PRIMARY KEY, first_name text, last_name text,
                       email text, active boolean DEFAULT true);
CREATE TABLE payment (payment_id int PRIMARY KEY, customer_id int REFERENCES customer,
                      amount numeric(5,2), payment_date timestamptz);
INSERT INTO customer SELECT i, 'first ' || i, 'last ' || i, 'c' || i || '@example.com'
FROM generate_series(1, 600) i;
INSERT INTO payment SELECT i, 1 + i % 600, 0.99 + (i % 10), now() - (i % 90) * interval '1 day'
FROM generate_series(1, 250000) i;
CREATE FUNCTION last_day(timestamp with time zone) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT
    AS $_$
  SELECT CASE
    WHEN EXTRACT(MONTH FROM $1) = 12 THEN
      (((EXTRACT(YEAR FROM $1) + 1) operator(pg_catalog.||) '-01-01')::date - INTERVAL '1 day')::date
    ELSE
      ((EXTRACT(YEAR FROM $1) operator(pg_catalog.||) '-' operator(pg_catalog.||) (EXTRACT(MONTH FROM $1) + 1) operator(pg_catalog.||) '-01')::date - INTERVAL '1 day')::date
    END
$_$;
-- Pagila's rewards_report(), as it is (the dates moved to this month)
CREATE FUNCTION rewards_report(min_monthly_purchases integer, min_dollar_amount_purchased numeric)
    RETURNS SETOF customer
    LANGUAGE plpgsql SECURITY DEFINER
    AS $_$
DECLARE
    last_month_start DATE;
    last_month_end DATE;
rr RECORD;
tmpSQL TEXT;
BEGIN

    /* Some sanity checks... */
    IF min_monthly_purchases = 0 THEN
        RAISE EXCEPTION 'Minimum monthly purchases parameter must be > 0';
    END IF;
    IF min_dollar_amount_purchased = 0.00 THEN
        RAISE EXCEPTION 'Minimum monthly dollar amount purchased parameter must be > $0.00';
    END IF;

    last_month_start := CURRENT_DATE - '1 month'::interval;
    last_month_start := to_date((extract(YEAR FROM last_month_start) || '-' || extract(MONTH FROM last_month_start) || '-01'),'YYYY-MM-DD');
    last_month_end := LAST_DAY(last_month_start);

    /*
    Create a temporary storage area for Customer IDs.
    */
    CREATE TEMPORARY TABLE tmpCustomer (customer_id INTEGER NOT NULL PRIMARY KEY);

    /*
    Find all customers meeting the monthly purchase requirements
    */

    tmpSQL := 'INSERT INTO tmpCustomer (customer_id)
        SELECT p.customer_id
        FROM payment AS p
        WHERE DATE(p.payment_date) BETWEEN '||quote_literal(last_month_start) ||' AND '|| quote_literal(last_month_end) || '
        GROUP BY customer_id
        HAVING SUM(p.amount) > '|| min_dollar_amount_purchased || '
        AND COUNT(customer_id) > ' ||min_monthly_purchases ;

    EXECUTE tmpSQL;

    /*
    Output ALL customer information of matching rewardees.
    Customize output as needed.
    */
    FOR rr IN EXECUTE 'SELECT c.* FROM tmpCustomer AS t INNER JOIN customer AS c ON t.customer_id = c.customer_id' LOOP
        RETURN NEXT rr;
    END LOOP;

    /* Clean up */
    tmpSQL := 'DROP TABLE tmpCustomer';
    EXECUTE tmpSQL;

RETURN;
END
$_$;
ANALYZE;
});
my $expected = $node->safe_psql('pagila', 'SELECT count(*) FROM rewards_report(7, 20.00)');
ok($expected > 0, 'without the extension, the report has rows');

$node->safe_psql('pagila', 'CREATE EXTENSION schemaguard');
is( $node->safe_psql(
		'pagila', q{
LOAD 'schemaguard';
SELECT current_setting('schemaguard.large_table_threshold'),
       pg_table_size('payment') > 10 * 1024 * 1024}),
	'10MB|t',
	'default threshold, payment above it');

is( $node->safe_psql(
		'pagila', q{
SELECT count(*) FROM rewards_report(7, 20.00);
SELECT count(*) FROM rewards_report(7, 20.00);
SELECT count(*) FROM rewards_report(7, 20.00);}),
	"$expected\n$expected\n$expected",
	'after CREATE EXTENSION it runs, again and again, in one session');
is($node->safe_psql('pagila', 'SELECT count(*) FROM rewards_report(7, 20.00)'),
	$expected, 'and as the first call of a new session');
# another application connected: the temporary table is still nobody else's
my $app = $node->background_psql('pagila');
$app->query_safe("SET application_name = 'webapp'");
is($node->safe_psql('pagila', 'SELECT count(*) FROM rewards_report(7, 20.00)'),
	$expected, 'and with another application connected');
$app->quit;

is( $node->safe_psql(
		'pagila', q{
SELECT count(*) FROM schemaguard.lineage_edge e JOIN pg_class c
    ON e.source_classid = 'pg_class'::regclass AND c.oid = e.source_objid
WHERE c.relpersistence = 't';
SELECT string_agg(reference, ',' ORDER BY reference) FROM schemaguard.unresolved_references()
WHERE object_identity = 'public.rewards_report(integer,numeric)';}),
	"0\ntmpcustomer",
	'no edge from a temporary table; the name stays unresolved');

# the other side: a permanent table of that name is bound, and its DROP is
# judged; so is a DROP of a permanent table holding rows
$node->safe_psql('pagila',
	'CREATE TABLE tmpcustomer (customer_id int PRIMARY KEY)');
is( $node->safe_psql(
		'pagila', q{
SELECT count(*) FROM schemaguard.unresolved_references()
WHERE object_identity = 'public.rewards_report(integer,numeric)';
SELECT count(*) > 0 FROM schemaguard.impact_of('public.tmpcustomer');}),
	"0\nt",
	'a permanent tmpcustomer resolves the name: the function depends on it');
my ($ret, $stdout, $stderr) = $node->psql('pagila', 'DROP TABLE tmpcustomer');
like($stderr, qr/ERROR:  breaks-dependents: dropping "public.tmpcustomer" breaks 1 dependent/,
	'and its DROP is refused by breaks-dependents');
($ret, $stdout, $stderr) = $node->psql('pagila', 'DROP TABLE payment CASCADE');
like($stderr, qr/ERROR:  breaks-dependents, data-loss: dropping "public.payment" breaks 1 dependent; DROP TABLE deletes the rows of table "public.payment"/,
	'a permanent table with rows: data-loss; and rewards_report() reads it (its statement naming tmpcustomer keeps its other names): breaks-dependents');
done_testing();
