--
-- function_bodies: what SQL functions and procedures read, write and call,
-- analyzed exactly (parameters by name and by number are values, not
-- columns), and what calls them, transitively
--
CREATE SCHEMA fn;
SET search_path = fn, public;
CREATE TABLE invoices (id int PRIMARY KEY, customer_id int, amount numeric, status text);
CREATE TABLE audit (invoice_id int, note text);

-- string bodies: a named parameter, a $n parameter
CREATE FUNCTION invoice_total(p_customer int) RETURNS numeric
LANGUAGE sql STABLE AS
$$ SELECT sum(amount) FROM fn.invoices WHERE customer_id = p_customer $$;
CREATE FUNCTION invoice_count(int) RETURNS bigint
LANGUAGE sql STABLE AS
$$ SELECT count(*) FROM fn.invoices WHERE customer_id = $1 $$;
-- a parameter named like a column: inside the query the column wins, as
-- PostgreSQL resolves it; the parameter is reached as by_status.status
CREATE FUNCTION by_status(status text) RETURNS SETOF int
LANGUAGE sql STABLE AS
$$ SELECT id FROM fn.invoices WHERE invoices.status = by_status.status ORDER BY amount $$;
-- BEGIN ATOMIC: read from the stored tree; writes are "write"
CREATE FUNCTION mark_paid(p_id int) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    UPDATE fn.invoices SET status = 'paid' WHERE id = p_id;
    INSERT INTO fn.audit (invoice_id, note) VALUES (p_id, 'paid');
END;
-- a procedure; a RETURN-expression body
CREATE PROCEDURE close_open() LANGUAGE sql AS
$$ UPDATE fn.invoices SET status = 'closed' WHERE status = 'open' $$;
CREATE FUNCTION with_tax(x numeric) RETURNS numeric LANGUAGE sql RETURN x * 1.2;

-- calls: a function calling a function, a view calling one
CREATE FUNCTION customer_report(p_customer int) RETURNS numeric
LANGUAGE sql STABLE AS
$$ SELECT fn.with_tax(fn.invoice_total(p_customer)) $$;
CREATE VIEW customer_totals AS
SELECT DISTINCT customer_id, invoice_total(customer_id) AS total FROM invoices;

SELECT * FROM schemaguard.impact_of('invoices.amount');
SELECT * FROM schemaguard.impact_of('invoices.status');
SELECT * FROM schemaguard.impact_of('audit');
SELECT * FROM schemaguard.lineage_of('customer_totals.total');

-- names in a string body are resolved with the function's own search_path
CREATE SCHEMA fn2;
CREATE TABLE fn2.invoices (amount numeric);
CREATE FUNCTION fn2_total() RETURNS numeric LANGUAGE sql STABLE
SET search_path = fn2 AS $$ SELECT sum(amount) FROM invoices $$;
SELECT object_identity, usage FROM schemaguard.impact_of('fn2.invoices.amount');

-- a body that does not analyze is stored without edges; the DDL succeeds
SET check_function_bodies = off;
CREATE FUNCTION broken() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM fn.no_such_table $$;
RESET check_function_bodies;
SELECT count(*) AS broken_edges FROM schemaguard.lineage_edge
WHERE dependent_classid = 'pg_proc'::regclass AND dependent_objid = 'broken()'::regprocedure;

-- upkeep: CREATE OR REPLACE replaces the edges, a rename keeps them,
-- DROP FUNCTION forgets them (and the calls to it)
CREATE OR REPLACE FUNCTION invoice_total(p_customer int) RETURNS numeric
LANGUAGE sql STABLE AS
$$ SELECT max(amount) FROM fn.invoices WHERE id = p_customer $$;
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.customer_id', 1);
ALTER FUNCTION invoice_count(int) RENAME TO invoice_tally;
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.customer_id', 1);
DROP FUNCTION customer_report(int);
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices.amount');
-- CALL in an SQL string body is a call
CREATE PROCEDURE nightly_sql() LANGUAGE sql AS $$ CALL fn.close_open() $$;
SELECT depth, object_identity, usage, via FROM schemaguard.impact_of('invoices.status')
WHERE object_identity LIKE '%nightly_sql%';

-- MERGE, ON CONFLICT and RETURNING copy values unchanged: identity
CREATE TABLE totals (customer_id int PRIMARY KEY, amount numeric);
CREATE FUNCTION merge_totals() RETURNS void LANGUAGE sql AS $$
    MERGE INTO fn.totals t USING fn.invoices i ON t.customer_id = i.customer_id
    WHEN MATCHED THEN UPDATE SET amount = i.amount
    WHEN NOT MATCHED THEN INSERT (customer_id, amount) VALUES (i.customer_id, i.amount) $$;
CREATE FUNCTION upsert_total(p_customer int, p_amount numeric) RETURNS numeric LANGUAGE sql AS $$
    INSERT INTO fn.totals VALUES (p_customer, p_amount)
    ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount
    RETURNING amount $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices.amount', 1)
WHERE object_identity LIKE '%merge_totals%';
SELECT object_identity, usage, via FROM schemaguard.impact_of('totals.amount', 1);
RESET search_path;
