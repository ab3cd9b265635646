--
-- guard_cache: what the guard keeps between statements -- the severities of
-- schemaguard.rule_config, whether the extension exists -- is always what
-- the statement would read itself; the statements the hook leaves alone
-- (plain ADD COLUMN with a lock_timeout) are ones no rule finds anything in.
-- Other sessions' changes: test/isolation/specs/guard_cache.spec.
--
CREATE SCHEMA gc;
SET search_path = gc, public;
SET schemaguard.large_table_threshold = '64kB';
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
CREATE TABLE big (id int PRIMARY KEY, d int) WITH (autovacuum_enabled = off);
INSERT INTO big SELECT i, i FROM generate_series(1, 10000) i;
ANALYZE big;
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
\set VERBOSITY terse

--
-- severities: read once, read again after every change of rule_config
--
CREATE INDEX big_d ON big (d);
UPDATE schemaguard.rule_config SET severity = 'warning' WHERE rule = 'blocking-index-build';
BEGIN;
CREATE INDEX big_d ON big (d);
ROLLBACK;
-- a change in this transaction applies to its next statement
BEGIN;
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'blocking-index-build';
CREATE INDEX big_d ON big (d);
ROLLBACK;
-- and a rolled-back change does not stick
BEGIN;
CREATE INDEX big_d ON big (d);
ROLLBACK;
-- nor one rolled back to a savepoint
BEGIN;
SAVEPOINT s;
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'blocking-index-build';
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
ROLLBACK TO SAVEPOINT s;
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
COMMIT;
-- within one statement: a function that changes the severity, then DDL
BEGIN;
DO $$
BEGIN
    UPDATE schemaguard.rule_config SET severity = 'error' WHERE rule = 'blocking-index-build';
    EXECUTE 'CREATE INDEX big_d ON gc.big (d)';
END $$;
ROLLBACK;
-- every kind of change: INSERT, DELETE, TRUNCATE (back to the defaults)
BEGIN;
DELETE FROM schemaguard.rule_config WHERE rule = 'blocking-index-build';
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
INSERT INTO schemaguard.rule_config VALUES ('blocking-index-build', 'off');
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
SET LOCAL schemaguard.mode = off;     -- TRUNCATE of rows: data-loss
TRUNCATE schemaguard.rule_config;
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
ROLLBACK;
-- the triggers that tell every session fire in every session_replication_role
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'blocking-index-build';
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
ROLLBACK;
SELECT tgname, tgenabled FROM pg_trigger
WHERE tgrelid = 'schemaguard.rule_config'::regclass AND NOT tgisinternal ORDER BY 1;
-- without them, the table is read for every statement
BEGIN;
ALTER TABLE schemaguard.rule_config DISABLE TRIGGER rule_config_changed;
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'blocking-index-build';
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
ROLLBACK;
SELECT rule, severity FROM schemaguard.check_ddl('CREATE INDEX ON gc.big (d)');
-- the trigger function is for triggers only
SELECT schemaguard.rule_config_changed();
UPDATE schemaguard.rule_config SET severity = 'error' WHERE rule = 'blocking-index-build';

--
-- plain ADD COLUMN with a lock_timeout: left alone by the hook; check_ddl(),
-- which judges every statement, finds nothing in any of them either
--
SELECT count(*) AS findings FROM schemaguard.check_ddl($$
    SET lock_timeout = '5s';
    ALTER TABLE gc.big ADD COLUMN a int;
    ALTER TABLE gc.big ADD COLUMN b text COLLATE "C", ADD COLUMN c numeric(12,2);
    ALTER TABLE gc.big ADD COLUMN IF NOT EXISTS e varchar(10)[];
    ALTER TABLE gc.big ADD COLUMN f positive_int[];
    ALTER TABLE gc.big ADD COLUMN g pg_catalog.timestamptz;
    ALTER TABLE ONLY gc.big ADD COLUMN h int8
$$);
BEGIN;
ALTER TABLE big ADD COLUMN a int;
ALTER TABLE big ADD COLUMN b text COLLATE "C", ADD COLUMN c numeric(12,2);
ALTER TABLE big ADD COLUMN IF NOT EXISTS e varchar(10)[];
ALTER TABLE big ADD COLUMN f positive_int[];
ALTER TABLE big ADD COLUMN g pg_catalog.timestamptz;
ALTER TABLE ONLY big ADD COLUMN h int8;
ROLLBACK;
-- what is judged as before: a volatile default, serial, identity, generated,
-- a domain with a constraint, another subcommand, no lock_timeout
SELECT statement, rule, severity FROM schemaguard.check_ddl($$
    SET lock_timeout = '5s';
    ALTER TABLE gc.big ADD COLUMN a int DEFAULT random()::int;
    ALTER TABLE gc.big ADD COLUMN a serial;
    ALTER TABLE gc.big ADD COLUMN a int GENERATED ALWAYS AS IDENTITY;
    ALTER TABLE gc.big ADD COLUMN a int GENERATED ALWAYS AS (d + 1) STORED;
    ALTER TABLE gc.big ADD COLUMN a positive_int;
    ALTER TABLE gc.big ADD COLUMN a int, ALTER COLUMN d TYPE bigint;
    SET lock_timeout = 0;
    ALTER TABLE gc.big ADD COLUMN a int
$$) ORDER BY statement, rule;
BEGIN;
ALTER TABLE big ADD COLUMN a int DEFAULT random()::int;
ROLLBACK;
BEGIN;
ALTER TABLE big ADD COLUMN a positive_int;
ROLLBACK;
BEGIN;
SET LOCAL lock_timeout = 0;
ALTER TABLE big ADD COLUMN a int;
ROLLBACK;

--
-- the extension: judged while it exists, not after DROP EXTENSION (in the
-- same transaction, the same session, a new one), again once re-created,
-- with its own new severities
--
BEGIN;
DROP EXTENSION schemaguard;
TRUNCATE big;
ROLLBACK;
TRUNCATE big;
UPDATE schemaguard.rule_config SET severity = 'off' WHERE rule = 'data-loss';
DROP EXTENSION schemaguard;
CREATE TABLE t (id int);
INSERT INTO t VALUES (1);
TRUNCATE t;
ALTER TABLE big ALTER COLUMN d TYPE bigint;
\c
SET search_path = gc, public;
SET schemaguard.large_table_threshold = '64kB';
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
\set VERBOSITY terse
LOAD 'schemaguard';
ALTER TABLE big ALTER COLUMN d TYPE int;
CREATE EXTENSION schemaguard;
INSERT INTO t VALUES (1);
TRUNCATE t;
SELECT severity FROM schemaguard.rule_config WHERE rule = 'data-loss';
-- a new session's first DDL command is judged through the event trigger
\c
SET search_path = gc, public;
SET schemaguard.large_table_threshold = '64kB';
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';
\set VERBOSITY terse
ALTER TABLE big ALTER COLUMN d TYPE bigint;

SET schemaguard.mode = off;
DROP SCHEMA gc CASCADE;
