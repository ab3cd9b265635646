--
-- dynamic_sql: the SQL a dynamic statement runs, as far as the body shows
-- it -- literals, ||, format() (numbered placeholders too), quoting
-- functions, string variables, CASE and COALESCE between literal pieces --
-- analyzed; pieces known only at run time make its columns "dynamic"; what
-- the body does not show at all is listed, never silently dropped
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA ds;
SET search_path = ds, public;
CREATE TABLE invoices (id int, customer_id int, amount numeric, status text);
CREATE TABLE payments (id int, invoice_id int, amount numeric, paid_on date);
CREATE TABLE archive (id int, amount numeric);

-- a literal EXECUTE is analyzed as any SQL: exact usages, not "dynamic"
CREATE FUNCTION literal_execute() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE ds.invoices SET status = ''void'' WHERE amount = 0';
    EXECUTE 'TRUNCATE ds.archive';
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%literal_execute%' ORDER BY 2, 3;

-- a string variable assigned from literal pieces and a parameter, then run
CREATE FUNCTION through_variable(min_amount numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tmp text;
BEGIN
    tmp := 'INSERT INTO ds.archive (id, amount) SELECT p.invoice_id, SUM(p.amount) FROM ds.payments AS p'
        || ' WHERE p.paid_on > ' || quote_literal(now()::date)
        || ' GROUP BY p.invoice_id HAVING SUM(p.amount) > ' || min_amount;
    EXECUTE tmp;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('payments')
WHERE object_identity LIKE '%through_variable%' ORDER BY 2, 3;
SELECT object_identity, usage, via FROM schemaguard.impact_of('archive')
WHERE object_identity LIKE '%through_variable%' ORDER BY 2, 3;

-- a DECLARE default, extended in the body; FOR r IN EXECUTE reads its record
CREATE FUNCTION default_then_loop(p_status text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    q text := 'SELECT i.id, i.amount AS total FROM ds.invoices i';
    r record;
    s numeric := 0;
BEGIN
    q := q || ' WHERE i.status = ' || quote_literal(p_status);
    FOR r IN EXECUTE q LOOP
        IF r.total > 100 THEN
            s := s + 1;
        END IF;
    END LOOP;
    RETURN s;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%default_then_loop%' ORDER BY 2, 3;

-- format() with numbered placeholders, flags and widths, %% and a literal
-- argument for a table name (formerly: reported as unparsable)
CREATE FUNCTION numbered(p_id int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %1$I.%2$I SET amount = amount * 1.1 WHERE id = %3$L AND status <> %4$L',
                   'ds', 'invoices', p_id, '100%');
    EXECUTE format('DELETE FROM ds.%-10s WHERE amount %% 2 = %s', 'payments', p_id);
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%numbered%' ORDER BY 2, 3;
SELECT object_identity, usage, via FROM schemaguard.impact_of('payments')
WHERE object_identity LIKE '%numbered%' ORDER BY 2, 3;

-- strings built with CASE and COALESCE between literal pieces (formerly:
-- no edge and no unresolved row); each branch is known: exact usages
CREATE FUNCTION branches(p int, p_order text) RETURNS SETOF ds.invoices LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'SELECT * FROM ds.invoices WHERE amount > 0 '
        || (CASE WHEN p IS NULL THEN '' ELSE 'AND customer_id = $1' END)
        || ' ORDER BY ' || COALESCE(NULL, 'id') USING p;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%branches%' ORDER BY 2, 3;

-- a table name known only at run time: the other names still count
CREATE FUNCTION copy_to(target text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'INSERT INTO ' || quote_ident(target) || ' (id, amount) SELECT i.id, i.amount FROM ds.invoices i WHERE i.status = ''paid''';
    EXECUTE format('SELECT count(*) FROM ds.%I WHERE paid_on IS NULL', target);
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%copy_to%' ORDER BY 2, 3;

-- OPEN ... FOR EXECUTE of a variable
CREATE FUNCTION open_dynamic() RETURNS refcursor LANGUAGE plpgsql AS $$
DECLARE
    c refcursor;
    sql text := format('SELECT invoice_id FROM %I.%I WHERE amount > %s', 'ds', 'payments', 10);
BEGIN
    OPEN c FOR EXECUTE sql;
    RETURN c;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('payments')
WHERE object_identity LIKE '%open_dynamic%' ORDER BY 2, 3;

-- what the body does not show at all is listed, not dropped
CREATE FUNCTION opaque(stmt text, tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    EXECUTE format('SELECT count(*) FROM %I', tbl);
END $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ds.%' ORDER BY 2, 3;

-- the lineage of all of them: what upkeep stored is what a rebuild stores
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- upkeep: renaming a column a dynamic text names re-analyzes the function
SET schemaguard.mode = off;
ALTER TABLE payments RENAME COLUMN paid_on TO paid_at;
SELECT * FROM schemaguard.unresolved_references()
WHERE object_identity LIKE '%through_variable%' ORDER BY 2, 3;
ALTER TABLE payments RENAME COLUMN paid_at TO paid_on;
SELECT count(*) AS unresolved FROM schemaguard.unresolved_references()
WHERE object_identity LIKE '%through_variable%';
SELECT * FROM pg_temp.upkeep_vs_rebuild();
-- (the check sees a difference: an edge deleted behind the extension's back)
DELETE FROM schemaguard.lineage_edge
WHERE dependent_objid = 'open_dynamic()'::regprocedure AND usage = 'filter';
SELECT * FROM pg_temp.upkeep_vs_rebuild();
RESET schemaguard.mode;
RESET search_path;
