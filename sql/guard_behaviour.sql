--
-- guard_behaviour: modes, severities, overrides, permissions, the audit
-- trail, check_ddl() scripts, names that need quotes, and every path a
-- statement can take (DO, EXECUTE in a function, transactions, a new session)
--
CREATE SCHEMA gb;
SET search_path = gb, public;
SET schemaguard.large_table_threshold = '64kB';
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
CREATE TABLE big (id int PRIMARY KEY, d int) WITH (autovacuum_enabled = off);
INSERT INTO big SELECT i, i FROM generate_series(1, 10000) i;
ANALYZE big;
CREATE ROLE regress_dev LOGIN;
CREATE ROLE regress_approver LOGIN IN ROLE schemaguard_approver;
GRANT USAGE, CREATE ON SCHEMA gb TO regress_dev, regress_approver;
ALTER TABLE big OWNER TO regress_approver;
DELETE FROM schemaguard.audit_log;

-- the SQLSTATE of a block is SG001
\set VERBOSITY sqlstate
CREATE INDEX ON big (d);
\set VERBOSITY default

--
-- modes: only a superuser (or a role granted SET) changes them
--
SET schemaguard.mode = warn;
CREATE INDEX big_d_warned ON big (d);
SET schemaguard.mode = off;
CREATE INDEX big_d_unchecked ON big (d);
RESET schemaguard.mode;
SHOW schemaguard.mode;
SET ROLE regress_dev;
SET schemaguard.mode = off;
SET schemaguard.large_table_threshold = '1TB';
RESET ROLE;
GRANT SET ON PARAMETER schemaguard.mode TO regress_dev;
SET ROLE regress_dev;
SET schemaguard.mode = warn;
RESET schemaguard.mode;
RESET ROLE;
REVOKE SET ON PARAMETER schemaguard.mode FROM regress_dev;

--
-- severities: schemaguard.rule_config, changed by administrators only
--
SELECT * FROM schemaguard.rule_config ORDER BY rule;
UPDATE schemaguard.rule_config SET severity = 'warning' WHERE rule = 'blocking-index-build';
CREATE INDEX big_d_severity_warning ON big (d);
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'blocking-index-build';
CREATE INDEX big_d_severity_off ON big (d);
UPDATE schemaguard.rule_config SET severity = 'error' WHERE rule = 'blocking-index-build';
UPDATE schemaguard.rule_config SET severity = 'fatal' WHERE rule = 'data-loss';
SET ROLE regress_dev;
SELECT count(*) FROM schemaguard.rule_config;
UPDATE schemaguard.rule_config SET severity = 'off';
RESET ROLE;

--
-- overrides: schemaguard.allow(rule, reason), approvers only, reason required
--
SET ROLE regress_dev;
BEGIN;
SELECT schemaguard.allow('blocking-index-build', 'the table is idle at night');
ROLLBACK;
RESET ROLE;
SET ROLE regress_approver;
SELECT schemaguard.allow('no-such-rule', 'x');
SELECT schemaguard.allow('data-loss', '  ');
SELECT schemaguard.allow('data-loss', NULL);
RESET ROLE;
-- an approver (here the table's owner) lets one transaction through
SET ROLE regress_approver;
BEGIN;
SELECT schemaguard.allow('blocking-index-build', 'maintenance window 2026-11-21');
CREATE INDEX big_d_allowed ON big (d);
-- the override covers that rule only
SAVEPOINT s;
ALTER TABLE big ALTER COLUMN d TYPE bigint;
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- and only that transaction
CREATE INDEX big_d_allowed_again ON big (d);
-- an override made in a subtransaction that rolls back goes with it; one
-- made in a subtransaction that commits stays
BEGIN;
SAVEPOINT s;
SELECT schemaguard.allow('blocking-index-build', 'undone by ROLLBACK TO');
ROLLBACK TO SAVEPOINT s;
CREATE INDEX big_d_savepoint_undone ON big (d);
ROLLBACK;
BEGIN;
SAVEPOINT s;
SAVEPOINT t;
SELECT schemaguard.allow('blocking-index-build', 'kept by RELEASE');
RELEASE SAVEPOINT t;
RELEASE SAVEPOINT s;
CREATE INDEX big_d_released ON big (d);
ROLLBACK;
DO $$
BEGIN
    BEGIN
        PERFORM schemaguard.allow('blocking-index-build', 'undone with the block');
        RAISE EXCEPTION 'migration step failed';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    CREATE INDEX big_d_after_exception ON gb.big (d);
END $$;
RESET ROLE;

--
-- every path: DO, EXECUTE in a function, explicit transactions
--
DO $$ BEGIN EXECUTE 'CREATE INDEX ON gb.big (d)'; END $$;
CREATE FUNCTION migrate() RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN ALTER TABLE gb.big ALTER COLUMN d SET NOT NULL; END $$;
SELECT migrate();
BEGIN;
SAVEPOINT s;
TRUNCATE big;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM big;
COMMIT;
-- a blocked statement caught by an exception handler: the handler sees SG001
DO $$
BEGIN
    ALTER TABLE gb.big ALTER COLUMN d TYPE bigint;
EXCEPTION WHEN SQLSTATE 'SG001' THEN
    RAISE NOTICE 'blocked: %', SQLERRM;
END $$;

--
-- the audit trail: blocked attempts stay after their transaction rolled back
--
BEGIN;
CREATE INDEX big_d_in_tx ON big (d);
ROLLBACK;
SELECT statement, decision, reason, session_role, effective_role,
       application_name, backend_pid = pg_backend_pid() AS this_backend,
       (SELECT string_agg(f->>'rule' || '/' || (f->>'severity') ||
                          CASE WHEN (f->>'overridden')::bool THEN '/overridden' ELSE '' END, ', ')
        FROM jsonb_array_elements(findings) f) AS findings
FROM schemaguard.audit_log ORDER BY logged_at, statement;
-- a warned statement's row goes with its transaction: nothing happened
BEGIN;
SET LOCAL schemaguard.mode = warn;
CREATE INDEX big_d_rolled_back ON big (d);
ROLLBACK;
SELECT count(*) FROM schemaguard.audit_log WHERE statement LIKE '%big_d_rolled_back%';
-- only administrators change or delete rows
SET ROLE regress_dev;
SELECT count(*) FROM schemaguard.audit_log;
DELETE FROM schemaguard.audit_log;
UPDATE schemaguard.audit_log SET decision = 'warned';
RESET ROLE;
SET ROLE regress_approver;
SELECT count(*) > 0 AS approvers_read FROM schemaguard.audit_log;
DELETE FROM schemaguard.audit_log;
RESET ROLE;

--
-- check_ddl: a whole script, never run
--
SELECT statement, rule, severity, message FROM schemaguard.check_ddl($$
    SET lock_timeout = 0;
    CREATE TABLE gb.orders (id int, customer int);         -- created here: new
    CREATE INDEX ON gb.orders (customer);                   -- no finding
    ALTER TABLE gb.orders ALTER COLUMN id TYPE bigint;      -- no finding
    CREATE INDEX ON gb.big (d);                             -- large: two findings
    SET lock_timeout = '2s';
    CREATE INDEX CONCURRENTLY ON gb.big (d);                -- no finding
    UPDATE gb.big SET d = d;                                -- not DDL
    DROP TABLE gb.big
$$) ORDER BY statement, rule;
-- nothing was run
SELECT to_regclass('gb.orders') AS orders, count(*) AS big_rows FROM gb.big;
-- a syntax error is PostgreSQL's, with its position in the script
SELECT * FROM schemaguard.check_ddl($$
    CREATE INDEX ON gb.big (d);
    ALTER TABEL gb.big ADD COLUMN x int;
$$);
SELECT * FROM schemaguard.check_ddl(NULL);
SELECT count(*) FROM schemaguard.check_ddl('');
-- lock_timeout as the script's SET, SET LOCAL, RESET and transaction control
-- leave it; the statement numbers with a lock-timeout finding are those run
-- with lock_timeout 0 (the server default)
SELECT statement FROM schemaguard.check_ddl($$
    SET lock_timeout = '2s';
    RESET ALL;
    CREATE INDEX ON gb.big (d);                  -- 3: reset to 0
    SET lock_timeout = '2s';
    BEGIN;
    SET LOCAL lock_timeout = 0;
    CREATE INDEX ON gb.big (d);                  -- 7: 0 until COMMIT
    COMMIT;
    CREATE INDEX ON gb.big (d);                  -- 9: 2s again
    BEGIN;
    SET lock_timeout = 0;
    ROLLBACK;
    CREATE INDEX ON gb.big (d);                  -- 13: rolled back: 2s
    BEGIN;
    SAVEPOINT a;
    SET lock_timeout = 0;
    ROLLBACK TO a;
    CREATE INDEX ON gb.big (d);                  -- 18: 2s
    SET lock_timeout = 0;
    RELEASE a;
    COMMIT;
    CREATE INDEX ON gb.big (d);                  -- 22: 0, committed
    SET lock_timeout = 1500;
    SET LOCAL lock_timeout = 0;                  -- outside a transaction: nothing
    CREATE INDEX ON gb.big (d);                  -- 25: 1.5s
    SET lock_timeout TO DEFAULT;
    CREATE INDEX ON gb.big (d);                  -- 27: 0
    SET lock_timeout = '1.5s';
    DISCARD ALL;
    CREATE INDEX ON gb.big (d)                   -- 30: 0
$$) WHERE rule = 'lock-timeout' ORDER BY statement;
-- table names as the script leaves them: a swap, a drop, a move
SELECT statement, rule, message FROM schemaguard.check_ddl($$
    CREATE TABLE gb.big_new (LIKE gb.big);
    ALTER TABLE gb.big RENAME TO big_old;
    ALTER TABLE gb.big_new RENAME TO big;
    CREATE INDEX ON gb.big (d);                  -- 4: the new, empty table
    CREATE INDEX ON big (d);                     -- 5: the same, by search_path
    CREATE INDEX ON gb.big_old (d);              -- 6: the old, large one
    DROP TABLE gb.big_old;                       -- 7: data-loss
    TRUNCATE gb.big_old;                         -- 8: gone
    CREATE TABLE gb.big_old (id int, d int);
    TRUNCATE gb.big_old;                         -- 10: new
    ALTER TABLE gb.big SET SCHEMA public;
    CREATE INDEX ON public.big (d);              -- 12: still the new table
    CREATE INDEX ON big (d);                     -- 13: no gb.big any more, public.big is new
    ALTER TABLE gb.big RENAME TO big2            -- 14: nothing by that name
$$) ORDER BY statement, rule;
-- hints name the table as the script has renamed it
SELECT statement, hint FROM schemaguard.check_ddl($$
    ALTER TABLE gb.big RENAME TO "Big Old";
    CREATE INDEX big_d_idx ON gb."Big Old" (d)
$$) WHERE rule = 'blocking-index-build';

--
-- names that need quotes are quoted in every hint
--
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Order Lines" ("Line Id" int PRIMARY KEY, "Qty" int)
    WITH (autovacuum_enabled = off);
INSERT INTO "Sales Data"."Order Lines" SELECT i, i FROM generate_series(1, 10000) i;
ANALYZE "Sales Data"."Order Lines";
CREATE FUNCTION "Sales Data"."Total Qty"() RETURNS bigint LANGUAGE plpgsql
    AS $$ BEGIN RETURN (SELECT sum("Qty") FROM "Sales Data"."Order Lines"); END $$;
SELECT hint FROM schemaguard.check_ddl($$
    ALTER TABLE "Sales Data"."Order Lines" ALTER COLUMN "Qty" SET NOT NULL;
    ALTER TABLE "Sales Data"."Order Lines" ALTER COLUMN "Qty" TYPE bigint;
    ALTER TABLE "Sales Data"."Order Lines" RENAME COLUMN "Qty" TO quantity;
    ALTER TABLE "Sales Data"."Order Lines" DROP COLUMN "Qty";
    REINDEX TABLE "Sales Data"."Order Lines";
    ALTER TABLE "Sales Data"."Order Lines" ADD COLUMN "Row Id" bigserial
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;
-- and the hints run: the NOT NULL recipe, pasted
ALTER TABLE "Sales Data"."Order Lines" ADD CONSTRAINT "Order Lines_Qty_not_null" CHECK ("Qty" IS NOT NULL) NOT VALID;
ALTER TABLE "Sales Data"."Order Lines" VALIDATE CONSTRAINT "Order Lines_Qty_not_null";
ALTER TABLE "Sales Data"."Order Lines" ALTER COLUMN "Qty" SET NOT NULL;
ALTER TABLE "Sales Data"."Order Lines" DROP CONSTRAINT "Order Lines_Qty_not_null";

--
-- a new session: its first DDL command loads the library through the
-- ddl_command_start event trigger, which judges that command
--
\c
SET search_path = gb, public;
SET schemaguard.large_table_threshold = '64kB';
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
SELECT count(*) FROM pg_settings WHERE name = 'schemaguard.mode';
ALTER TABLE big ALTER COLUMN d TYPE bigint;
SELECT count(*) FROM pg_settings WHERE name = 'schemaguard.mode';
-- one statement of several in one query string: the audit keeps its own text
\c
SET search_path = gb, public;
SET schemaguard.large_table_threshold = '64kB';
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
SELECT 1 AS before \; CREATE INDEX big_d_multi ON big (d) \; SELECT 2 AS after;
SELECT statement, decision FROM schemaguard.audit_log
WHERE statement LIKE '%big_d_multi%';
-- TRUNCATE fires no event trigger: as a session's first command it needs
-- the library preloaded (README), here for this database
ALTER DATABASE :"DBNAME" SET session_preload_libraries = 'schemaguard';
\c
SET search_path = gb, public;
TRUNCATE big;
ALTER DATABASE :"DBNAME" RESET session_preload_libraries;

DROP SCHEMA "Sales Data" CASCADE;
DROP OWNED BY regress_dev, regress_approver CASCADE;
DROP ROLE regress_dev, regress_approver;
