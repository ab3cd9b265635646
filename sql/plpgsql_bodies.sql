--
-- plpgsql_bodies: what PL/pgSQL functions, procedures and trigger functions
-- read, write and call, found with libpg_query's PL/pgSQL parser and bound
-- by the server's analyzer; variables and parameters are values, not columns
--
CREATE SCHEMA pl;
SET search_path = pl, public;
CREATE TABLE invoices (id int PRIMARY KEY, customer_id int, amount numeric,
                       status text, updated_at timestamptz);
CREATE TABLE payments (id int, invoice_id int, amount numeric);
CREATE TABLE audit (invoice_id int, old_amount numeric, new_amount numeric);

-- SELECT INTO, a variable named like no column, a parameter, IF, FOR over a query,
-- RETURN of an expression over variables
CREATE FUNCTION balance(p_invoice int) RETURNS numeric LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_total numeric;
    r record;
BEGIN
    SELECT i.amount INTO v_total FROM pl.invoices i WHERE i.id = p_invoice;
    FOR r IN SELECT p.amount FROM pl.payments p WHERE p.invoice_id = p_invoice LOOP
        v_total := v_total - r.amount;
    END LOOP;
    IF v_total < 0 THEN
        RETURN 0;
    END IF;
    RETURN v_total;
END $$;

-- a parameter named like a column: #variable_conflict decides
CREATE FUNCTION count_use_column(amount numeric) RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN (SELECT count(*) FROM pl.invoices WHERE amount > 0);
END $$;
CREATE FUNCTION count_use_variable(status text) RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    RETURN (SELECT count(*) FROM pl.invoices i WHERE i.status = status);
END $$;

-- writes: UPDATE SET, INSERT column list, MERGE; RETURN QUERY; a CTE
CREATE FUNCTION settle(p_invoice int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pl.invoices SET status = 'paid', updated_at = now() WHERE id = p_invoice;
    INSERT INTO pl.audit (invoice_id, new_amount)
        SELECT id, amount FROM pl.invoices WHERE id = p_invoice;
    MERGE INTO pl.payments p USING pl.invoices i ON p.invoice_id = i.id
        WHEN NOT MATCHED THEN INSERT (invoice_id, amount) VALUES (i.id, i.amount);
END $$;
CREATE FUNCTION open_invoices() RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY WITH o AS (SELECT id FROM pl.invoices WHERE status = 'open') SELECT id FROM o;
END $$;

-- a trigger function: NEW/OLD are the trigger table's columns, assigning NEW.col writes it
CREATE FUNCTION audit_amount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount IS DISTINCT FROM OLD.amount THEN
        INSERT INTO pl.audit VALUES (NEW.id, OLD.amount, NEW.amount);
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_audit BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION audit_amount();

-- a procedure, and calls: a procedure calling a PL/pgSQL function
CREATE PROCEDURE close_paid() LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pl.invoices SET status = 'closed' WHERE pl.balance(id) = 0;
END $$;

-- dynamic SQL: a literal is analyzed; format() with a variable names its table
CREATE FUNCTION dyn_literal() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE pl.invoices SET status = ''void'' WHERE amount = 0';
END $$;
CREATE FUNCTION dyn_format(col text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE pl.payments SET %I = NULL', col);
END $$;

SELECT * FROM schemaguard.impact_of('invoices.amount');
SELECT * FROM schemaguard.impact_of('invoices.status');
SELECT * FROM schemaguard.impact_of('invoices.updated_at');
SELECT * FROM schemaguard.impact_of('payments.amount');
SELECT * FROM schemaguard.impact_of('audit', 1);

-- a syntax error in a body created with check_function_bodies = off: no
-- edges, no crash, and the DDL succeeds
SET check_function_bodies = off;
CREATE FUNCTION unparsable() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN ( ; END $$;
RESET check_function_bodies;
SELECT count(*) AS unparsable_edges FROM schemaguard.lineage_edge
WHERE dependent_objid = 'unparsable()'::regprocedure;
-- it is the only one of this file's functions with unresolved references
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'pl.%';

-- upkeep: CREATE OR REPLACE, DROP FUNCTION
CREATE OR REPLACE FUNCTION dyn_literal() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1;
END $$;
DROP PROCEDURE close_paid();
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.status', 1);
-- dropping the trigger: its function's NEW and OLD no longer name a table
DROP TRIGGER invoices_audit ON invoices;
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.amount', 1)
WHERE object_identity LIKE '%audit_amount%';
-- analyzing a body adds no warning of its own: under standard_conforming_strings
-- off, the two below are PostgreSQL's validator's (LINE 3, in the body);
-- schemaguard's analysis used to add a third
SET standard_conforming_strings = off;
SET escape_string_warning = on;
CREATE FUNCTION escaped_note() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT 'paid\in full ' || status FROM pl.invoices LIMIT 1);
END $$;
RESET standard_conforming_strings;
RESET escape_string_warning;
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.status', 1)
WHERE object_identity LIKE '%escaped_note%';
RESET search_path;
