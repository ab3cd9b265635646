--
-- unresolved: late binding, honestly -- names a body uses that do not
-- resolve are kept and reported; creating the table resolves them;
-- renaming or dropping what a body reads turns it unresolved
--
-- the DDL guard would block some of these drops and renames (its own tests
-- are guard_*.sql); here only the lineage upkeep is under test
SET schemaguard.mode = off;
CREATE SCHEMA ur;
SET search_path = ur, public;
CREATE TABLE invoices (id int, amount numeric);

-- a body naming a table that does not exist yet
SET check_function_bodies = off;
CREATE FUNCTION pending_total() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(amount) FROM ur.payments);
END $$;
CREATE FUNCTION sql_pending() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM ur.payments $$;
-- a body that does not parse
CREATE FUNCTION unparsable() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN ( ; END $$;
RESET check_function_bodies;
-- a name that is both a column and a variable, under variable_conflict = error
CREATE FUNCTION ambiguous(amount numeric) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(*) FROM ur.invoices WHERE invoices.amount > amount);
END $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;

-- creating the table resolves the references: the functions get their edges
CREATE TABLE payments (invoice_id int, amount numeric);
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;
SELECT object_identity, usage FROM schemaguard.impact_of('payments.amount');

-- renaming a column a body reads breaks it; renaming it back repairs it
ALTER TABLE payments RENAME COLUMN amount TO paid;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;
SELECT count(*) AS edges_from_paid FROM schemaguard.impact_of('payments.paid');
ALTER TABLE payments RENAME COLUMN paid TO amount;
SELECT object_identity FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 1;

-- dropping the table breaks them again
DROP TABLE payments;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;

-- a role that cannot use the schema sees none of it
CREATE ROLE regress_sg_outsider;
SET ROLE regress_sg_outsider;
SELECT count(*) FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%';
RESET ROLE;
DROP ROLE regress_sg_outsider;

-- dropping the functions forgets their references
DROP FUNCTION pending_total(), sql_pending(), unparsable(), ambiguous(numeric);
SELECT count(*) FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%';

-- no false alarms: a FOR loop's variable is no name outside its loop, and
-- RETURN NEXT; of a function with OUT parameters is read
CREATE TABLE counters (i int);
CREATE FUNCTION loop_var(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    c bigint;
BEGIN
    SELECT count(*) INTO c FROM ur.counters WHERE i > 0;
    FOR i IN 1 .. n LOOP
        c := c + i;
    END LOOP;
    RETURN c;
END $$;
CREATE FUNCTION ids(OUT id int) RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
    FOR id IN SELECT k.i FROM ur.counters k LOOP
        RETURN NEXT;
    END LOOP;
END $$;
-- a call of a function that does not exist names that function
SET check_function_bodies = off;
CREATE FUNCTION calls_missing() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    RETURN ur.not_there(1);
END $$;
RESET check_function_bodies;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;
SELECT object_identity, usage FROM schemaguard.impact_of('counters.i');

-- creating the missing function resolves its caller, which now calls it
CREATE FUNCTION not_there(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'ur.%' ORDER BY 2, 3;
SELECT count(*) AS call_edges FROM schemaguard.lineage_edge
WHERE dependent_objid = 'calls_missing()'::regprocedure AND usage = 'call';

-- temporary functions are not tracked (they vanish without an event)
CREATE FUNCTION pg_temp.temp_reader() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(i) FROM ur.counters $$;
SELECT count(*) AS temp_edges FROM schemaguard.impact_of('counters.i')
WHERE object_identity LIKE 'pg_temp%';
RESET search_path;
