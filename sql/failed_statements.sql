--
-- failed_statements: a statement that cannot be analyzed does not lose the
-- names it carries -- it is listed with the reason, and its tables and the
-- columns its names resolve to (by the server's name rules) are kept;
-- temporary tables are never bound, and a table the body creates as TEMP
-- at run time is listed as such, not as broken
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA fs;
SET search_path = fs, public;
CREATE TABLE film (film_id int, rental_duration int, rental_rate numeric);
CREATE TABLE inventory (inventory_id int, film_id int);
CREATE TABLE rental (rental_id int, inventory_id int, customer_id int,
                     rental_date timestamptz, return_date timestamptz);
CREATE TABLE customer (customer_id int, first_name text, last_name text);
CREATE TABLE payment (customer_id int, amount numeric, payment_date timestamptz);

-- a function that does not exist (Pagila's get_customer_balance calls IF()):
-- listed, and its reads of rental.return_date are kept
CREATE FUNCTION overdue_fees(p_customer_id int) RETURNS int LANGUAGE plpgsql
SET search_path = fs AS $$
DECLARE
    v_overfees int;
BEGIN
    SELECT COALESCE(SUM(IF((rental.return_date - rental.rental_date) > (film.rental_duration * '1 day'::interval),
        ((rental.return_date - rental.rental_date) - (film.rental_duration * '1 day'::interval)), 0)), 0)
      INTO v_overfees
      FROM rental, inventory, film
     WHERE film.film_id = inventory.film_id
       AND inventory.inventory_id = rental.inventory_id
       AND rental.customer_id = p_customer_id;
    RETURN v_overfees;
END $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%overdue_fees%';
SELECT via, usage FROM schemaguard.impact_of('rental')
WHERE object_identity LIKE '%overdue_fees%' ORDER BY 1, 2;
SELECT via, usage FROM schemaguard.impact_of('film')
WHERE object_identity LIKE '%overdue_fees%' ORDER BY 1, 2;

-- the same in an SQL function (created unchecked), statement by statement:
-- the statement after the broken one is analyzed as before
SET check_function_bodies = off;
CREATE FUNCTION sql_fees(p int) RETURNS bigint LANGUAGE sql AS $$
    SELECT no_such_fn(r.return_date) FROM fs.rental r WHERE r.customer_id = p;
    SELECT count(*) FROM fs.payment WHERE amount > 0;
$$;
RESET check_function_bodies;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%sql_fees%';
SELECT object_identity, via, usage FROM schemaguard.impact_of('rental')
WHERE object_identity LIKE '%sql_fees%' ORDER BY 1, 2, 3;
SELECT object_identity, via, usage FROM schemaguard.impact_of('payment')
WHERE object_identity LIKE '%sql_fees%' ORDER BY 1, 2, 3;

-- a table the body creates as TEMP at run time (Pagila's rewards_report):
-- "created at run time by this function", and the read of customer stays
CREATE FUNCTION rewards(min_amount numeric) RETURNS SETOF fs.customer LANGUAGE plpgsql AS $$
DECLARE
    tmpSQL text;
BEGIN
    CREATE TEMPORARY TABLE tmpCustomer (customer_id integer NOT NULL PRIMARY KEY);
    tmpSQL := 'INSERT INTO tmpCustomer (customer_id) SELECT p.customer_id FROM fs.payment AS p'
        || ' GROUP BY customer_id HAVING SUM(p.amount) > ' || min_amount;
    EXECUTE tmpSQL;
    RETURN QUERY SELECT c.* FROM tmpCustomer AS t INNER JOIN fs.customer AS c ON t.customer_id = c.customer_id;
    DROP TABLE tmpCustomer;
END $$;
CREATE FUNCTION dyn_temp() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE 'CREATE TEMP TABLE IF NOT EXISTS "Work Set" AS SELECT rental_id FROM fs.rental';
    SELECT count(*) INTO n FROM "Work Set" w JOIN fs.rental r ON r.rental_id = w.rental_id
     WHERE r.return_date IS NULL;
    RETURN n;
END $$;
SELECT * FROM schemaguard.unresolved_references()
WHERE object_identity LIKE '%rewards%' OR object_identity LIKE '%dyn_temp%' ORDER BY 2, 3;
SELECT object_identity, via, usage FROM schemaguard.impact_of('customer')
WHERE object_identity LIKE '%rewards%' ORDER BY 1, 2, 3;
SELECT object_identity, via, usage FROM schemaguard.impact_of('payment')
WHERE object_identity LIKE '%rewards%' ORDER BY 1, 2, 3;
SELECT object_identity, via, usage FROM schemaguard.impact_of('rental')
WHERE object_identity LIKE '%dyn_temp%' ORDER BY 1, 2, 3;

-- temporary tables of the session running the DDL are never bound: one
-- that shadows a permanent table leaves the body on the permanent one, and
-- a name only a temporary table has does not resolve
CREATE TEMP TABLE customer (customer_id int, first_name text, last_name text);
CREATE TEMP TABLE scratch (x int);
CREATE FUNCTION names_customer() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(last_name) FROM customer);
END $$;
ALTER FUNCTION names_customer() SET search_path = fs;
CREATE FUNCTION names_scratch() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(x) FROM scratch $$;
SELECT object_identity, via, usage FROM schemaguard.impact_of('fs.customer.last_name')
WHERE object_identity LIKE '%names_%';
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%names_%';
SELECT count(*) AS edges_to_temporary FROM schemaguard.lineage_edge e
JOIN pg_class c ON c.oid = e.source_objid AND e.source_classid = 'pg_class'::regclass
WHERE c.relpersistence = 't';

-- upkeep and rebuild agree, in this session and with its temporary tables
SELECT * FROM pg_temp.upkeep_vs_rebuild();
DROP TABLE pg_temp.customer, pg_temp.scratch;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- creating the missing function resolves the statement, which then gets
-- its exact usages
CREATE FUNCTION "if"(boolean, interval, integer) RETURNS integer LANGUAGE sql
    AS $$ SELECT CASE WHEN $1 THEN extract(day FROM $2)::int ELSE $3 END $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%overdue_fees%';
SELECT via, usage FROM schemaguard.impact_of('rental')
WHERE object_identity LIKE '%overdue_fees%' ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();
RESET search_path;
