--
-- migrate_permissions: who may plan, start and run a migration; plan()
-- shows nothing of what the caller cannot see; the engine runs each
-- statement as the role it belongs to; its exemption from the guard does
-- not reach user code
--
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET client_min_messages = warning;
CREATE ROLE mig_owner;
CREATE ROLE mig_reader;
CREATE ROLE mig_stranger;
CREATE ROLE mig_approver IN ROLE schemaguard_approver;
CREATE SCHEMA shop AUTHORIZATION mig_owner;
CREATE SCHEMA secret;
GRANT USAGE ON SCHEMA shop TO mig_reader, mig_stranger, mig_approver;
SET ROLE mig_owner;
CREATE TABLE shop.orders (id int PRIMARY KEY, qty int NOT NULL);
INSERT INTO shop.orders SELECT g, g FROM generate_series(1, 100) g;
CREATE VIEW shop.big_orders AS SELECT id, qty FROM shop.orders WHERE qty > 50;
GRANT SELECT ON shop.orders, shop.big_orders TO mig_reader, postgres;
RESET ROLE;
-- a view in a schema only its owner can see
CREATE VIEW secret.qty_report AS SELECT sum(qty) AS total FROM shop.orders;

-- plan(): anyone with a privilege on the table; dependents in schemas the
-- caller has no USAGE on are shown without their SQL
SET ROLE mig_reader;
SELECT step, phase, sql, description FROM schemaguard.plan('ALTER TABLE shop.orders ALTER COLUMN qty TYPE bigint')
WHERE phase = 'switch' AND (sql IS NULL OR sql LIKE '%VIEW%') ORDER BY step;
-- a reader may not start it
SELECT schemaguard.start('ALTER TABLE shop.orders ALTER COLUMN qty TYPE bigint');
SET ROLE mig_stranger;
SELECT count(*) FROM schemaguard.plan('ALTER TABLE shop.orders ALTER COLUMN qty TYPE bigint');
RESET ROLE;

-- an approver may start it; the table's changes are made as its owner
SET ROLE mig_approver;
SELECT schemaguard.start('ALTER TABLE shop.orders ALTER COLUMN qty TYPE bigint', 'approved') AS id \gset
RESET ROLE;
SELECT proname, pg_get_userbyid(proowner) AS owner, prosecdef FROM pg_proc
WHERE pronamespace = 'schemaguard'::regnamespace AND proname LIKE 'sync%';
SELECT effective_role, decision, findings->0->>'phase' AS phase FROM schemaguard.audit_log WHERE effective_role LIKE 'mig\_%';

-- the migrations view shows a migration to whom can see its table
SET ROLE mig_stranger;
SELECT count(*) AS seen_by_stranger FROM schemaguard.migrations;
SELECT count(*) FROM schemaguard.migration;
CALL schemaguard.backfill(:id);
SELECT schemaguard.rollback(:id);
SET ROLE mig_reader;
SELECT name, state FROM schemaguard.migrations;
SELECT * FROM schemaguard.verify(:id);
-- the owner may run it
SET ROLE mig_owner;
CALL schemaguard.backfill(:id);
SELECT mismatches FROM schemaguard.verify(:id);
SELECT schemaguard.switch(:id);
RESET ROLE;
-- the dependents were re-created by their owners: each keeps its owner
SELECT c.oid::regclass AS relation, pg_get_userbyid(relowner) AS owner, relacl
FROM pg_class c WHERE c.oid IN ('shop.big_orders'::regclass, 'secret.qty_report'::regclass) ORDER BY c.oid::regclass::text COLLATE "C";
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'secret.qty_report'::regclass AND attname = 'total';
SET ROLE mig_owner;
SELECT schemaguard.contract(:id);
RESET ROLE;

-- the guard's exemption covers the engine's own statements only: DDL that
-- user code runs meanwhile (here a USING expression calling a function) is
-- judged as ever
SET schemaguard.large_table_threshold = '8kB';
CREATE TABLE shop.victim (id int PRIMARY KEY, v int);
INSERT INTO shop.victim SELECT g, g FROM generate_series(1, 1000) g;
CREATE FUNCTION shop.sneaky(x int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER TABLE shop.victim ALTER COLUMN v TYPE text';
    RETURN x;
END $$;
ALTER FUNCTION shop.sneaky(int) OWNER TO mig_owner;
ALTER TABLE shop.victim OWNER TO mig_owner;
SET ROLE mig_owner;
CREATE TABLE shop.items (id int PRIMARY KEY, n int);
INSERT INTO shop.items SELECT g, g FROM generate_series(1, 1000) g;
SELECT schemaguard.start('ALTER TABLE shop.items ALTER COLUMN n TYPE bigint USING shop.sneaky(n)') AS id \gset
CALL schemaguard.backfill(:id);
SELECT state, last_error IS NOT NULL AS failed FROM schemaguard.migrations WHERE id = :id;
SELECT format_type(atttypid, atttypmod) AS victim_v FROM pg_attribute
WHERE attrelid = 'shop.victim'::regclass AND attname = 'v';
SELECT schemaguard.rollback(:id);
RESET ROLE;
RESET schemaguard.large_table_threshold;

SET schemaguard.mode = off;
DROP SCHEMA shop CASCADE;
DROP SCHEMA secret CASCADE;
RESET schemaguard.mode;
DROP ROLE mig_owner, mig_reader, mig_stranger, mig_approver;
