--
-- plpgsql_records: a record a query fills knows the query's columns, so
-- reading r.field is traced to what that column is made of, with the usage
-- of where it is read; %ROWTYPE and composite variables know their types
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA pr;
SET search_path = pr, public;
CREATE TABLE invoices (id int, customer_id int, amount numeric, status text, due date);
CREATE TABLE payments (id int, invoice_id int, paid numeric);
CREATE TABLE audit (invoice_id int, note text, amount numeric);

-- FOR r IN SELECT ...: r.total is sum(paid), r.id is invoices.id
CREATE FUNCTION loop_record() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT i.id, sum(p.paid) AS total FROM pr.invoices i
             JOIN pr.payments p ON p.invoice_id = i.id GROUP BY i.id LOOP
        IF r.total > 0 THEN
            INSERT INTO pr.audit (invoice_id, amount) VALUES (r.id, r.total * 2);
        END IF;
    END LOOP;
END $$;
SELECT via, usage FROM schemaguard.impact_of('payments.paid')
WHERE object_identity LIKE '%loop_record%' ORDER BY 1, 2;

-- SELECT * INTO rec: the fields of the whole row
CREATE FUNCTION into_record(p_id int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    rec record;
BEGIN
    SELECT * INTO rec FROM pr.invoices WHERE id = p_id;
    CASE WHEN rec.due < current_date THEN
        RETURN 'late';
    ELSE
        RETURN rec.status;
    END CASE;
END $$;
SELECT via, usage FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%into_record%' ORDER BY 1, 2;

-- a column added later: the body selects *, so it reads that one too (an
-- ADD COLUMN analyzes again only the bodies that name it or select *)
ALTER TABLE invoices ADD COLUMN note text;
SELECT object_identity, usage FROM schemaguard.impact_of('invoices.note') ORDER BY 1, 2;

-- a %ROWTYPE variable and a variable of the table's own type: their fields
-- have the column types (a comparison that needs the type resolves)
CREATE FUNCTION typed_rows(p_id int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    a pr.invoices%ROWTYPE;
    b pr.invoices;
    n pr.invoices.amount%TYPE;
BEGIN
    SELECT * INTO a FROM pr.invoices WHERE id = p_id;
    b := a;
    n := b.amount;
    RETURN a.due > current_date - 30 AND n IS NOT NULL AND b.status = 'open';
END $$;
SELECT via, usage FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%typed_rows%' ORDER BY 1, 2;

-- RETURNING into a record
CREATE FUNCTION returning_record() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    UPDATE pr.invoices SET status = 'paid' WHERE amount = 0 RETURNING id, amount * 2 AS doubled INTO r;
    INSERT INTO pr.audit (invoice_id, amount) VALUES (r.id, r.doubled);
END $$;
SELECT via, usage FROM schemaguard.impact_of('invoices')
WHERE object_identity LIKE '%returning_record%' ORDER BY 1, 2;

-- a field a record does not have (filled elsewhere, perhaps): no edge, and
-- no false unresolved reference
CREATE FUNCTION other_field() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT id FROM pr.invoices LOOP
        RETURN r.nothing_such;
    END LOOP;
    RETURN 0;
END $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'pr.%';

SELECT * FROM pg_temp.upkeep_vs_rebuild();
RESET search_path;
