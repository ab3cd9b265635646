--
-- do_no_harm: what worked without schemaguard works with it (issue 11):
-- functions with temporary tables, dynamic SQL restored before its
-- tables, every blocking finding in the one ERROR, and what a dependent
-- of a changed column will actually do.  Sessions, restores, loaders and
-- pg_upgrade: test/t/020-029.
--
CREATE SCHEMA harm;
SET search_path = harm, public;
SET schemaguard.large_table_threshold = '64kB';
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
CREATE ROLE regress_harm_nobody;

--
-- A PL/pgSQL function that creates and drops a temporary table (Pagila's
-- rewards_report shape) runs, again and again: the temporary table never
-- resolves the body's name, and its DROP is never judged.
--
CREATE TABLE customer (customer_id int PRIMARY KEY, name text);
INSERT INTO customer SELECT i, 'c' || i FROM generate_series(1, 20) i;
CREATE FUNCTION rewards(min_id int) RETURNS SETOF customer
LANGUAGE plpgsql AS $$
DECLARE
    rr record;
BEGIN
    CREATE TEMPORARY TABLE tmp_customer (customer_id int NOT NULL PRIMARY KEY);
    INSERT INTO tmp_customer SELECT customer_id FROM customer WHERE customer_id >= min_id;
    FOR rr IN EXECUTE 'SELECT c.* FROM tmp_customer AS t JOIN customer AS c ON t.customer_id = c.customer_id ORDER BY 1' LOOP
        RETURN NEXT rr;
    END LOOP;
    DROP TABLE tmp_customer;
    RETURN;
END
$$;
SELECT count(*) FROM rewards(15);
SELECT count(*) FROM rewards(18);
-- the name stays unresolved; nothing points at a temporary table
SELECT object_identity, reference FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'harm.%' ORDER BY 1, 2;
SELECT count(*) FROM schemaguard.lineage_edge e JOIN pg_class c ON c.oid = e.source_objid
WHERE e.source_classid = 'pg_class'::regclass AND c.relpersistence = 't';
-- created while a temporary table of that name exists: not bound to it
BEGIN;
CREATE TEMPORARY TABLE tmp_customer (customer_id int NOT NULL PRIMARY KEY);
CREATE FUNCTION tmp_reader() RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT customer_id FROM tmp_customer;
END
$$;
SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity = 'harm.tmp_reader()';
-- and a DROP of it is not judged, whatever reads it
DROP TABLE tmp_customer;
ROLLBACK;

--
-- Dynamic SQL naming a table that does not exist yet (a restore creates
-- functions before tables) gets its "dynamic" edge when the table appears,
-- as static references get theirs.
--
CREATE FUNCTION purge_later(days int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DELETE FROM harm.archive_later WHERE id < ' || days;
    EXECUTE format('DELETE FROM %I.archive_later WHERE id < $1', 'harm') USING days;
END
$$;
SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity = 'harm.purge_later(integer)';
CREATE TABLE archive_later (id int);
SELECT object_identity, reference FROM schemaguard.unresolved_references()
WHERE object_identity = 'harm.purge_later(integer)';
SELECT object_type, object_identity, usage FROM schemaguard.impact_of('harm.archive_later');

--
-- Every finding that blocks a statement is in its one ERROR (most drivers
-- show nothing else); the breaks-dependents DETAIL says what the change
-- will do to each kind of dependent, and the dependents then do just that.
--
CREATE TABLE items (id int PRIMARY KEY, qty int, price numeric(10,2))
    WITH (autovacuum_enabled = off);
INSERT INTO items SELECT i, 7, 9.99 FROM generate_series(1, 5000) i;
ANALYZE items;
CREATE FUNCTION item_total(item int) RETURNS numeric LANGUAGE sql
    AS $$ SELECT qty * price FROM harm.items WHERE id = item $$;
CREATE FUNCTION item_qty(item int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    q int;
BEGIN
    SELECT qty INTO q FROM harm.items WHERE id = item;
    RETURN q;
END
$$;
CREATE FUNCTION item_rows() RETURNS TABLE (qty int) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT i.qty FROM harm.items i WHERE i.id = 1;
END
$$;
SELECT item_total(1), item_qty(1);
SELECT * FROM item_rows();
-- two rules block: one ERROR names both, with each one's evidence and hint
ALTER TABLE items ALTER COLUMN qty TYPE numeric(12,2);
-- one rule allowed: the other blocks alone, in the usual form
BEGIN;
SELECT schemaguard.allow('breaks-dependents', 'the functions are checked below');
ALTER TABLE items ALTER COLUMN qty TYPE numeric(12,2);
ROLLBACK;
-- the audit row of a blocked statement keeps every finding
SELECT decision, jsonb_array_length(findings) AS findings
FROM schemaguard.audit_log WHERE statement LIKE 'ALTER TABLE items ALTER COLUMN qty TYPE numeric(12,2)%'
ORDER BY logged_at LIMIT 1;
-- what the DETAIL said: results change scale, assignments convert
-- silently (7.6 is rounded to 8), RETURN QUERY fails
BEGIN;
SELECT schemaguard.allow('breaks-dependents', 'checking the consequences');
SELECT schemaguard.allow('table-rewrite', 'checking the consequences');
ALTER TABLE items ALTER COLUMN qty TYPE numeric(12,2);
UPDATE items SET qty = 7.6 WHERE id = 2;
SELECT item_total(1), item_qty(2);
SAVEPOINT s;
SELECT * FROM item_rows();
ROLLBACK TO s;
-- with no assignment cast back (numeric to text): assignments fail
ALTER TABLE items ALTER COLUMN qty TYPE text;
UPDATE items SET qty = 'seven' WHERE id = 3;
SELECT item_qty(3);
ROLLBACK;
-- a view and an SQL-standard body: PostgreSQL refuses the change itself
CREATE VIEW item_view AS SELECT id, qty FROM items;
CREATE FUNCTION item_atomic(item int) RETURNS int LANGUAGE sql
BEGIN ATOMIC SELECT qty FROM harm.items WHERE id = item; END;
ALTER TABLE items ALTER COLUMN qty TYPE text;
BEGIN;
SELECT schemaguard.allow('breaks-dependents', 'checking the consequences');
SELECT schemaguard.allow('table-rewrite', 'checking the consequences');
ALTER TABLE items ALTER COLUMN qty TYPE text;
ROLLBACK;
-- a drop: the tracked ones make PostgreSQL refuse, the others fail later
ALTER TABLE items DROP COLUMN qty;

--
-- A migration tool's revert drops the column its change added: a column
-- holding nothing but NULL loses nothing (its null bitmaps are read, up to
-- 128 MB of heap); one value, a NOT NULL column or a stored default does.
--
ALTER TABLE customer ADD COLUMN coupon text;
INSERT INTO customer VALUES (21, 'c21', NULL);
ALTER TABLE customer DROP COLUMN coupon;
ALTER TABLE customer ADD COLUMN coupon text;
UPDATE customer SET coupon = 'SAVE10' WHERE customer_id = 20;
ALTER TABLE customer DROP COLUMN coupon;
UPDATE customer SET coupon = NULL;
ALTER TABLE customer DROP COLUMN coupon;
ALTER TABLE customer ADD COLUMN flag boolean DEFAULT false;
ALTER TABLE customer DROP COLUMN flag;

--
-- TRUNCATE, VACUUM FULL, CLUSTER and REINDEX as a session's first command:
-- coverage() tells whether new sessions of each database preload the
-- library, and the command that makes them (keeping what is listed);
-- CREATE EXTENSION says the same in a NOTICE (install.out).
--
SELECT covered, session_preload_libraries,
       replace(command, current_database(), 'DB') AS command
FROM schemaguard.coverage() WHERE database = current_database();
ALTER DATABASE :"DBNAME" SET session_preload_libraries = 'plpgsql';
SELECT covered, replace(command, current_database(), 'DB') AS command
FROM schemaguard.coverage() WHERE database = current_database();
ALTER DATABASE :"DBNAME" SET session_preload_libraries = 'plpgsql', 'schemaguard';
SELECT covered, session_preload_libraries, command
FROM schemaguard.coverage() WHERE database = current_database();
ALTER DATABASE :"DBNAME" RESET session_preload_libraries;
-- for administrators: it reads the server's configuration files
SET ROLE regress_harm_nobody;
SELECT count(*) FROM schemaguard.coverage();
RESET ROLE;

SET schemaguard.mode = off;
DROP SCHEMA harm CASCADE;
DROP ROLE regress_harm_nobody;
