--
-- guard_trust: what the guard may do and say.  Judging runs no code users
-- wrote (check_ddl's dry run and the guard before a real statement); a DROP
-- of several objects is judged as a set, each object once; evidence is
-- given only about what the caller may see; a statement the caller may
-- not run gets no verdict and no audit row; hints run as pasted.
--
CREATE SCHEMA app;
SET schemaguard.large_table_threshold = '64kB';
-- nobody else is connected to a pg_regress database: judge as if somebody were
SET schemaguard.consider_sessions = off;
CREATE ROLE regress_mallory LOGIN;
CREATE ROLE regress_peer LOGIN;
GRANT USAGE, CREATE ON SCHEMA app TO regress_mallory;
GRANT USAGE ON SCHEMA app TO regress_peer;

--
-- 1. No user code.  Mallory, who may create objects in schema app, writes
-- a function that makes her a superuser when a superuser runs it, and a
-- table whose partition bound, defaults, USING expressions, constraints
-- and literals would run it.  app.calls counts every call.
--
SET ROLE regress_mallory;
CREATE SEQUENCE app.calls;
CREATE FUNCTION app.calls() RETURNS bigint LANGUAGE sql
    AS $$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM app.calls $$;
CREATE FUNCTION app.payload() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('app.calls');
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
    END IF;
    RETURN 1;
END $$;
-- labelled IMMUTABLE: the planner folds a call with constant arguments
CREATE FUNCTION app.folded() RETURNS int IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN RETURN app.payload(); END $$;
-- a domain whose constraint runs it, in a composite type: a literal of
-- the type runs the constraint while it is parsed
CREATE DOMAIN app.checked AS int CHECK (VALUE > app.payload() - 1000);
CREATE TYPE app.pair AS (x app.checked);
-- the issue's example: a large default partition
CREATE TABLE app.p (k int) PARTITION BY LIST (k);
CREATE TABLE app.p_def PARTITION OF app.p DEFAULT;
INSERT INTO app.p SELECT 100 + g FROM generate_series(1, 10000) g;
CREATE TABLE app.q (k int);
-- a large table with a validated CHECK that calls the folded function
CREATE TABLE app.big (id int, v int, w int, CONSTRAINT v_positive CHECK (v > app.folded() - 1000))
    WITH (autovacuum_enabled = off);
INSERT INTO app.big SELECT g, g, g FROM generate_series(1, 10000) g;
ANALYZE app.p_def, app.big;
RESET ROLE;
SELECT app.calls() AS calls_before \gset

-- a superuser reviews mallory's migration: findings, and nothing is run
SELECT statement, rule, severity, message FROM schemaguard.check_ddl($$
    CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES IN (app.payload());
    ALTER TABLE app.p ATTACH PARTITION app.q FOR VALUES IN (app.folded());
    CREATE TABLE app.p2 PARTITION OF app.p FOR VALUES IN (5);
    ALTER TABLE app.big ALTER COLUMN v TYPE bigint USING v + app.folded();
    ALTER TABLE app.big ADD COLUMN x int DEFAULT app.folded();
    ALTER TABLE app.big ADD COLUMN y int DEFAULT app.payload();
    ALTER TABLE app.big ALTER COLUMN w SET NOT NULL;
    ALTER TABLE app.big ALTER COLUMN v SET NOT NULL;
    ALTER TABLE app.big ALTER COLUMN w TYPE text USING '(5)'::app.pair::text
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
SELECT app.calls() - :calls_before AS calls;
-- what the notes and findings say
SELECT statement, detail FROM schemaguard.check_ddl($$
    CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES IN (app.payload());
    ALTER TABLE app.big ALTER COLUMN v SET NOT NULL;
    ALTER TABLE app.big ALTER COLUMN w TYPE text USING '(5)'::app.pair::text
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
SELECT app.calls() - :calls_before AS calls;

-- Before a real statement the guard runs nothing either: a blocked
-- statement never ran the function, and one that runs calls it as often
-- as it does without the guard.  (A harmless counter from here on: the
-- statements themselves run it, as PostgreSQL does.)
SET ROLE regress_mallory;
CREATE OR REPLACE FUNCTION app.counted() RETURNS int IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN PERFORM nextval('app.calls'); RETURN 1; END $$;
RESET ROLE;
SELECT app.calls() AS calls_before \gset
CREATE TABLE app.p3 PARTITION OF app.p FOR VALUES IN (app.counted());
ALTER TABLE app.big ALTER COLUMN v TYPE bigint USING v + app.counted();
SELECT app.calls() - :calls_before AS calls_by_blocked_statements;
SET lock_timeout = '5s';
SET schemaguard.mode = off;
SELECT app.calls() AS calls_before \gset
BEGIN;
ALTER TABLE app.big ADD COLUMN z int DEFAULT app.counted();
ROLLBACK;
SELECT app.calls() - :calls_before AS calls_without_guard \gset
RESET schemaguard.mode;
SELECT app.calls() AS calls_before \gset
BEGIN;
ALTER TABLE app.big ADD COLUMN z int DEFAULT app.counted();
ROLLBACK;
SELECT app.calls() - :calls_before AS calls_with_guard, :calls_without_guard AS calls_without_guard;
RESET lock_timeout;

-- Judging leaves nothing behind: a partition key built while the guard
-- judges (user SQL functions not inlined then) is not kept by the
-- relcache, so partition pruning still matches it.  In a new session, where
-- the key is not built yet.
SET schemaguard.mode = off;
CREATE FUNCTION app.bucket(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 / 1000';
CREATE TABLE app.pk (k int) PARTITION BY LIST (app.bucket(k));
CREATE TABLE app.pk0 PARTITION OF app.pk FOR VALUES IN (0);
CREATE TABLE app.pk1 PARTITION OF app.pk FOR VALUES IN (1);
CREATE TABLE app.pk_def PARTITION OF app.pk DEFAULT;
INSERT INTO app.pk SELECT g FROM generate_series(1, 20000) g;
\c
SET schemaguard.large_table_threshold = '64kB';
SET schemaguard.consider_sessions = off;
SELECT rule, message FROM schemaguard.check_ddl('CREATE TABLE app.pk5 PARTITION OF app.pk FOR VALUES IN (5)')
WHERE rule <> 'lock-timeout';
EXPLAIN (COSTS OFF) SELECT * FROM app.pk WHERE app.bucket(k) = 0;

--
-- 4. A DROP of several objects is judged as a set; an object named twice
-- is judged once.
--
CREATE TABLE app.pa (id int PRIMARY KEY);
CREATE TABLE app.ch (id int REFERENCES app.pa);
CREATE TABLE app.base (id int);
CREATE VIEW app.v1 AS SELECT id FROM app.base;
CREATE VIEW app.v2 AS SELECT id FROM app.v1;
SELECT statement, rule, message FROM schemaguard.check_ddl($$
    DROP TABLE app.pa;                      -- 1: ch's foreign key breaks
    DROP TABLE app.pa, app.ch;              -- 2: it goes too
    DROP TABLE app.ch, app.pa;              -- 3: in any order
    DROP VIEW app.v1;                       -- 4: v2 breaks
    DROP VIEW app.v1, app.v2;               -- 5: it goes too
    DROP TABLE app.big, app.big, app.big    -- 6: one table, judged once
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;
-- and the statements run
BEGIN;
DROP TABLE app.pa, app.ch;
DROP VIEW app.v1, app.v2;
ROLLBACK;

--
-- 5. Evidence only about what the caller may see.  regress_peer may use
-- schema app but read none of these tables' rows; it has no USAGE on
-- schema secret.
--
CREATE TABLE app.noread (id int);
INSERT INTO app.noread VALUES (1);
CREATE TABLE app.emptied (id int) WITH (autovacuum_enabled = off);
INSERT INTO app.emptied VALUES (1);
DELETE FROM app.emptied;
CREATE TABLE app.hidden_rows (id int, owner name);
INSERT INTO app.hidden_rows VALUES (1, 'someone else');
ALTER TABLE app.hidden_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON app.hidden_rows USING (owner = current_user);
GRANT SELECT ON app.hidden_rows TO regress_peer;
CREATE TABLE app.readable (id int);
INSERT INTO app.readable VALUES (1);
GRANT SELECT (id) ON app.readable TO regress_peer;
CREATE SCHEMA secret;
CREATE TABLE secret.salaries (id int PRIMARY KEY, salary numeric) WITH (autovacuum_enabled = off);
INSERT INTO secret.salaries SELECT g, g FROM generate_series(1, 10000) g;
ALTER TABLE secret.salaries CLUSTER ON salaries_pkey;
ANALYZE secret.salaries;
SET ROLE regress_peer;
-- rows: withheld where the role may not read them (and the table is not
-- empty by its size, which anyone may know)
SELECT statement, message, detail FROM schemaguard.check_ddl($$
    DROP TABLE app.noread;
    DROP TABLE app.emptied;
    DROP TABLE app.hidden_rows;
    DROP TABLE app.readable
$$) WHERE rule = 'data-loss' ORDER BY statement;
-- nor whether a column holds only NULLs (which lets its DROP through)
RESET ROLE;
CREATE TABLE app.nulls_only (id int, c int);
INSERT INTO app.nulls_only (id) VALUES (1);
SELECT count(*) AS superuser_findings FROM schemaguard.check_ddl(
    'ALTER TABLE app.nulls_only DROP COLUMN c') WHERE rule = 'data-loss';
SET ROLE regress_peer;
SELECT message, detail FROM schemaguard.check_ddl(
    'ALTER TABLE app.nulls_only DROP COLUMN c') WHERE rule = 'data-loss';
-- names: tables in schema secret are not named, and the notes say so
SELECT statement, rule, severity, message, detail FROM schemaguard.check_ddl($$
    DROP SCHEMA secret CASCADE;
    REINDEX SCHEMA secret;
    VACUUM FULL;                -- only the role's own tables
    CLUSTER                     -- likewise
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;
SELECT count(*) AS naming_secret FROM schemaguard.check_ddl(format($$
    DROP SCHEMA secret CASCADE;
    REINDEX SCHEMA secret;
    REINDEX DATABASE %I
$$, current_database())) WHERE concat(message, detail, hint) LIKE '%salaries%';
RESET ROLE;
-- a superuser sees them
SELECT statement, rule, message FROM schemaguard.check_ddl($$
    DROP SCHEMA secret CASCADE;
    REINDEX SCHEMA secret
$$) WHERE rule <> 'lock-timeout' ORDER BY statement, rule;

--
-- 6. A statement its caller may not run gets no verdict and no audit row:
-- PostgreSQL's own permission error comes instead.
--
DELETE FROM schemaguard.audit_log;
SET ROLE regress_peer;
CREATE INDEX ON app.big (v);
ALTER TABLE app.big ALTER COLUMN v TYPE bigint;
TRUNCATE app.noread;
DROP TABLE app.noread;
DROP SCHEMA secret CASCADE;
REINDEX TABLE app.big;
CLUSTER secret.salaries;
VACUUM FULL app.big;
RESET ROLE;
SELECT count(*) AS audit_rows FROM schemaguard.audit_log;
-- with the privilege it is judged (and audited), its rows still withheld
GRANT TRUNCATE ON app.noread TO regress_peer;
SET ROLE regress_peer;
TRUNCATE app.noread;
RESET ROLE;
SELECT effective_role, decision, findings->0->>'rule' AS rule FROM schemaguard.audit_log;

--
-- 7. Hints that run as pasted: names made from 63-byte names fit and do
-- not collide, and a trailing comment does not swallow the semicolon.
--
CREATE TABLE app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx (
    a_column_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxx int,
    a_column_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxx_new int)
    WITH (autovacuum_enabled = off);
INSERT INTO app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx
    SELECT g, g FROM generate_series(1, 10000) g;
CREATE TABLE app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxx_backup (id int);
SET schemaguard.mode = off;
-- the copy the data-loss hint makes, pasted
SELECT substring(hint FROM 'CREATE TABLE [^;]*;') FROM schemaguard.check_ddl($$
    DROP TABLE app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx
$$) WHERE rule = 'data-loss' \gexec
-- the column's copy too
SELECT substring(hint FROM 'CREATE TABLE [^;]*;') FROM schemaguard.check_ddl($$
    ALTER TABLE app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx
        DROP COLUMN a_column_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxx
$$) WHERE rule = 'data-loss' \gexec
-- the expand/contract steps of a type change, pasted one by one (up to the
-- offer of a migration that carries them out)
SELECT step FROM schemaguard.check_ddl($$
    ALTER TABLE app.a_table_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx
        ALTER COLUMN a_column_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxx TYPE bigint
$$), regexp_split_to_table(split_part(hint, E'\nOr let schemaguard', 1), '\n')
         WITH ORDINALITY AS s(step, n)
WHERE rule = 'table-rewrite' AND n > 1 ORDER BY n \gexec
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'app'::regnamespace AND c.relname LIKE 'a_table_name%'
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum;
RESET schemaguard.mode;
-- a statement that ends with a comment, and strings that hold "--" and ";"
SELECT statement, hint FROM schemaguard.check_ddl($$
    CREATE INDEX ON app.big (v) -- the hot one
    ;
    CREATE INDEX big_note ON app.big ((v::text || '-- not a comment;')) /* a note */ ;
    CREATE INDEX ON app.big (w)   -- last, no semicolon
$$) WHERE rule = 'blocking-index-build' ORDER BY statement;
SELECT substring(hint FROM 'CREATE INDEX CONCURRENTLY [^\n]*;') FROM schemaguard.check_ddl($$
    CREATE INDEX big_note ON app.big ((v::text || '-- not a comment;')) -- note
$$) WHERE rule = 'blocking-index-build' \gexec
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'app.big'::regclass;

SET schemaguard.mode = off;
DROP SCHEMA app CASCADE;
DROP SCHEMA secret CASCADE;
RESET schemaguard.mode;
DELETE FROM schemaguard.audit_log;
DROP ROLE regress_mallory, regress_peer;
