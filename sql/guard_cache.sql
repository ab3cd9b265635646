--
-- guard_cache: what the guard keeps between statements -- the severities of
-- schemaguard.rule_config, whether the extension exists -- is always what
-- the statement would read itself.
-- Other sessions' changes: test/isolation/specs/guard_cache.spec.
--
CREATE SCHEMA gc;
SET search_path = gc, public;
SET schemaguard.large_table_threshold = '64kB';
SET lock_timeout = '5s';
CREATE TABLE big (id int PRIMARY KEY, d int) WITH (autovacuum_enabled = off);
INSERT INTO big SELECT i, i FROM generate_series(1, 10000) i;
ANALYZE big;
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
SET lock_timeout = '5s';
\set VERBOSITY terse
ALTER TABLE big ALTER COLUMN d TYPE bigint;

SET schemaguard.mode = off;
DROP SCHEMA gc CASCADE;
