--
-- guard_cache: what the guard keeps between statements -- whether the
-- extension exists -- is always what the statement would read itself.
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
