--
-- guard_rules: where each rule of the DDL guard fires, and where it must not
--
CREATE SCHEMA g;
SET search_path = g, public;
-- a table of about 700 kB is large here; lock-timeout has its own section
SET schemaguard.large_table_threshold = '64kB';
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET lock_timeout = '5s';

CREATE TABLE big (id int PRIMARY KEY, v varchar(50), n numeric(10,2),
                  ts timestamp, f float8, d int, t text)
    WITH (autovacuum_enabled = off);
INSERT INTO big
SELECT i, 'v' || i, i / 3.0, '2026-01-01'::timestamp + i * interval '1 minute',
       i / 7.0, i, 't' || i
FROM generate_series(1, 10000) i;
CREATE TABLE small (id int PRIMARY KEY, d int) WITH (autovacuum_enabled = off);
INSERT INTO small VALUES (1, 1);
CREATE TABLE empty (id int, d int) WITH (autovacuum_enabled = off);
-- large on disk, but every row deleted: empty
CREATE TABLE emptied (id int, d int) WITH (autovacuum_enabled = off);
INSERT INTO emptied SELECT i, i FROM generate_series(1, 10000) i;
DELETE FROM emptied;
ANALYZE big, small, empty, emptied;

--
-- table-rewrite
--
ALTER TABLE big ALTER COLUMN d TYPE bigint;
ALTER TABLE big ALTER COLUMN d TYPE text USING d::text || '!';
ALTER TABLE big ADD COLUMN r float8 DEFAULT random();
ALTER TABLE big ADD COLUMN s serial;
ALTER TABLE big ADD COLUMN i int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE big ADD COLUMN gen int GENERATED ALWAYS AS (d * 2) STORED;
ALTER TABLE big SET UNLOGGED;
VACUUM FULL big;
CLUSTER big USING big_pkey;
-- not a rewrite: binary-coercible or length-only changes, run for real
ALTER TABLE big ALTER COLUMN v TYPE varchar(255);
ALTER TABLE big ALTER COLUMN v TYPE text;
ALTER TABLE big ALTER COLUMN n TYPE numeric(12,2);
SET TimeZone = 'UTC';
ALTER TABLE big ALTER COLUMN ts TYPE timestamptz;
RESET TimeZone;
-- metadata only
ALTER TABLE big ADD COLUMN c int DEFAULT 0;
ALTER TABLE big ADD COLUMN created timestamptz DEFAULT now();
ALTER TABLE big ALTER COLUMN c SET DEFAULT 5;
COMMENT ON COLUMN big.c IS 'metadata only';
GRANT SELECT ON big TO PUBLIC;
VACUUM big;
-- small, empty, emptied, or created in this transaction
ALTER TABLE small ALTER COLUMN d TYPE bigint;
ALTER TABLE empty ALTER COLUMN d TYPE bigint;
ALTER TABLE emptied ALTER COLUMN d TYPE bigint;
BEGIN;
CREATE TABLE fresh AS SELECT * FROM big;
ALTER TABLE fresh ALTER COLUMN d TYPE bigint;
ALTER TABLE fresh ADD COLUMN r float8 DEFAULT random();
ROLLBACK;

--
-- full-scan-under-lock
--
ALTER TABLE big ALTER COLUMN d SET NOT NULL;
ALTER TABLE big ADD CONSTRAINT d_positive CHECK (d > 0);
ALTER TABLE big ADD CONSTRAINT big_small_fk FOREIGN KEY (d) REFERENCES small (id) ON DELETE CASCADE;
ALTER TABLE big ADD CONSTRAINT big_t_key UNIQUE (t);
CREATE UNIQUE INDEX CONCURRENTLY big_t_idx ON big (t);
ALTER TABLE big DROP CONSTRAINT big_pkey;
ALTER TABLE big ADD PRIMARY KEY USING INDEX big_t_idx;
CREATE DOMAIN posint AS int;
ALTER TABLE big ADD COLUMN p posint;
ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0);
-- ADD COLUMN with constraints of its own
ALTER TABLE big ADD COLUMN tier text NOT NULL;
ALTER TABLE big ADD COLUMN tier text NOT NULL DEFAULT NULL;
ALTER TABLE big ADD COLUMN score int CHECK (score > 0);
ALTER TABLE big ADD COLUMN "Grade" text COLLATE "C" DEFAULT 'b' CONSTRAINT "Grade ok" CHECK ("Grade" IN ('a', 'b)'));
ALTER TABLE big ADD COLUMN code text UNIQUE;
ALTER TABLE big ADD COLUMN small_id int DEFAULT 1 REFERENCES small (id) ON DELETE SET NULL;
-- a NOT NULL without default fails on a small table with rows on its own
ALTER TABLE small ADD COLUMN tier text NOT NULL;
-- the safe forms, run for real
BEGIN;
ALTER TABLE big ADD COLUMN tier text NOT NULL DEFAULT 'basic';
-- null in every row: PostgreSQL does not validate the key
ALTER TABLE big ADD COLUMN small_id int REFERENCES small (id);
ALTER TABLE empty ADD COLUMN tier text NOT NULL, ADD COLUMN code text UNIQUE;
ROLLBACK;
ALTER TABLE big ADD CONSTRAINT d_positive CHECK (d > 0) NOT VALID;
ALTER TABLE big VALIDATE CONSTRAINT d_positive;
ALTER TABLE big ADD CONSTRAINT d_not_null CHECK (d IS NOT NULL) NOT VALID;
ALTER TABLE big VALIDATE CONSTRAINT d_not_null;
ALTER TABLE big ALTER COLUMN d SET NOT NULL;
ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0) NOT VALID;
ALTER TABLE small ALTER COLUMN d SET NOT NULL;
ALTER TABLE big ADD CONSTRAINT big_t_key UNIQUE USING INDEX big_t_idx;

--
-- blocking-index-build
--
CREATE INDEX big_d_idx ON big (d);
CREATE INDEX CONCURRENTLY big_d_idx ON big (d);
REINDEX INDEX big_d_idx;
REINDEX TABLE big;
DROP INDEX big_d_idx;
REINDEX INDEX CONCURRENTLY big_d_idx;
DROP INDEX CONCURRENTLY big_d_idx;
CREATE INDEX ON small (d);
-- a partitioned table counts all its partitions (each one is small)
CREATE TABLE parts (id int, d int) PARTITION BY RANGE (id);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (1500)
    WITH (autovacuum_enabled = off);
CREATE TABLE parts_2 PARTITION OF parts FOR VALUES FROM (1500) TO (3000)
    WITH (autovacuum_enabled = off);
INSERT INTO parts SELECT i, i FROM generate_series(0, 2999) i;
ANALYZE parts;
SELECT pg_relation_size('parts_1') < 64 * 1024 AS partition_is_small;
CREATE INDEX ON parts (d);
CREATE INDEX ON ONLY parts (d);
-- ATTACH PARTITION reads the table it attaches, unless a validated CHECK
-- proves the bound; the hint's recipe, run for real, attaches without a scan
CREATE TABLE parts_3 (id int, d int) WITH (autovacuum_enabled = off);
INSERT INTO parts_3 SELECT i, i FROM generate_series(3000, 8999) i;
ANALYZE parts_3;
ALTER TABLE parts ATTACH PARTITION parts_3 FOR VALUES FROM (3000) TO (9000);
ALTER TABLE parts_3 ADD CONSTRAINT parts_3_bound CHECK ((id IS NOT NULL) AND (id >= 3000) AND (id < 9000)) NOT VALID;
ALTER TABLE parts_3 VALIDATE CONSTRAINT parts_3_bound;
ALTER TABLE parts ATTACH PARTITION parts_3 FOR VALUES FROM (3000) TO (9000);
ALTER TABLE parts_3 DROP CONSTRAINT parts_3_bound;
-- a small or empty table is attached at once
CREATE TABLE parts_4 (id int, d int);
INSERT INTO parts_4 VALUES (9000, 1);
ALTER TABLE parts ATTACH PARTITION parts_4 FOR VALUES FROM (9000) TO (10000);
-- a large default partition is read for rows of the new partition
CREATE TABLE parts_default PARTITION OF parts DEFAULT WITH (autovacuum_enabled = off);
INSERT INTO parts SELECT i, i FROM generate_series(20000, 25999) i;
ANALYZE parts_default;
CREATE TABLE parts_5 (id int, d int);
ALTER TABLE parts ATTACH PARTITION parts_5 FOR VALUES FROM (10000) TO (20000);
ALTER TABLE g.parts_default ADD CONSTRAINT parts_default_bound CHECK ((id IS NULL) OR (id < 10000) OR (id >= 20000)) NOT VALID;
ALTER TABLE g.parts_default VALIDATE CONSTRAINT parts_default_bound;
ALTER TABLE parts ATTACH PARTITION parts_5 FOR VALUES FROM (10000) TO (20000);
ALTER TABLE g.parts_default DROP CONSTRAINT parts_default_bound;
-- CREATE TABLE ... PARTITION OF reads a large default partition too
CREATE TABLE parts_6 PARTITION OF parts FOR VALUES FROM (30000) TO (40000);
-- in a script, attaching a table created earlier reads the default partition,
-- and creating a partition locks the whole partitioned table
SELECT statement, rule, message FROM schemaguard.check_ddl($$
    CREATE TABLE g.parts_7 (id int, d int);
    ALTER TABLE g.parts ATTACH PARTITION g.parts_7 FOR VALUES FROM (40000) TO (50000);
    SET lock_timeout = 0;
    CREATE TABLE g.parts_8 PARTITION OF g.parts FOR VALUES FROM (50000) TO (60000)
$$) ORDER BY statement, rule;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'parts'::regclass ORDER BY 1;
-- an inheritance child an ALTER recurses into counts too
CREATE TABLE inh_parent (id int, d int) WITH (autovacuum_enabled = off);
CREATE TABLE inh_child () INHERITS (inh_parent) WITH (autovacuum_enabled = off);
INSERT INTO inh_child SELECT i, i FROM generate_series(1, 5000) i;
ANALYZE inh_parent, inh_child;
ALTER TABLE inh_parent ALTER COLUMN d TYPE bigint;

--
-- data-loss
--
TRUNCATE small;
DROP TABLE small CASCADE;
ALTER TABLE big DROP COLUMN f;
ALTER TABLE big ALTER COLUMN n TYPE numeric(12,1);
SELECT rule, message FROM schemaguard.check_ddl($$
    ALTER TABLE big ALTER COLUMN f TYPE real;
    ALTER TABLE big ALTER COLUMN ts TYPE timestamptz(0);
    ALTER TABLE big ALTER COLUMN n TYPE int;
    ALTER TABLE big ALTER COLUMN ts TYPE date;
    ALTER TABLE big ALTER COLUMN v TYPE varchar(5);     -- errors on a long value: not silent
    ALTER TABLE big ALTER COLUMN n TYPE numeric(8,2)    -- precision too small errors
$$) ORDER BY statement, rule;
CREATE SCHEMA doomed;
CREATE TABLE doomed.kept (x int);
INSERT INTO doomed.kept VALUES (1);
DROP SCHEMA doomed CASCADE;
-- a table whose column changed type (its index rebuilt under a new OID,
-- the old one's lineage gone with it) is judged all the same
CREATE TABLE retyped_rows (id int, code int);
INSERT INTO retyped_rows VALUES (1, 1);
CREATE INDEX ON retyped_rows (code);
ALTER TABLE retyped_rows ALTER COLUMN code TYPE bigint;
DROP TABLE retyped_rows;
-- and so is one whose lineage still has an edge from an index dropped while
-- event triggers did not fire (session_replication_role = replica)
CREATE TABLE stale_rows (id int, code int);
INSERT INTO stale_rows VALUES (1, 1);
CREATE INDEX stale_rows_code ON stale_rows (code);
SET session_replication_role = replica;
DROP INDEX stale_rows_code;
RESET session_replication_role;
SELECT count(*) AS stale_edges FROM schemaguard.lineage_edge
WHERE source_objid = 'stale_rows'::regclass AND to_regclass(dependent_objid::regclass::text) IS NULL;
DROP TABLE stale_rows;
-- no rows: nothing is lost
DROP TABLE empty;
TRUNCATE emptied;
ALTER TABLE emptied DROP COLUMN d;

--
-- breaks-dependents: any size, empty tables included
--
CREATE TABLE accounts (id int, balance numeric);
CREATE FUNCTION total_balance() RETURNS numeric LANGUAGE plpgsql
    AS $$ BEGIN RETURN (SELECT sum(balance) FROM g.accounts); END $$;
CREATE FUNCTION report() RETURNS text LANGUAGE sql
    AS $$ SELECT 'total: ' || g.total_balance() $$;
CREATE VIEW account_ids AS SELECT id FROM accounts;
-- a BEGIN ATOMIC body is stored parsed and follows renames
CREATE FUNCTION atomic_balance() RETURNS numeric LANGUAGE sql
    BEGIN ATOMIC SELECT sum(balance) FROM g.accounts; END;
ALTER TABLE accounts RENAME COLUMN balance TO amount;
ALTER TABLE accounts DROP COLUMN balance;
ALTER TABLE accounts ALTER COLUMN balance TYPE int;
-- a type change that rewrites nothing changes no value a reader sees
CREATE TABLE labels (id int, name varchar(50));
CREATE FUNCTION label_names() RETURNS SETOF text LANGUAGE sql
    AS $$ SELECT name FROM g.labels $$;
ALTER TABLE labels ALTER COLUMN name TYPE varchar(20);
ALTER TABLE labels ALTER COLUMN name TYPE varchar(255);
ALTER TABLE labels ALTER COLUMN name TYPE text;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'labels'::regclass AND attname = 'name';
ALTER TABLE accounts RENAME TO accts;
ALTER TABLE accounts SET SCHEMA public;
DROP TABLE accounts CASCADE;
DROP FUNCTION total_balance();
ALTER FUNCTION total_balance() RENAME TO sum_balance;
-- a column default that calls a function is among its dependents
CREATE FUNCTION next_code() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE coded (code int DEFAULT g.next_code());
DROP FUNCTION next_code();
-- views, rules and BEGIN ATOMIC bodies follow a rename by object id
ALTER TABLE accounts RENAME COLUMN id TO account_id;
-- the other rules do not look at size here: empty, so nothing else fires
SELECT rule FROM schemaguard.check_ddl('ALTER TABLE accounts DROP COLUMN balance');

--
-- every subcommand of a multi-command ALTER TABLE is judged
--
SELECT rule, message FROM schemaguard.check_ddl(
    'ALTER TABLE big ADD COLUMN x int, ALTER COLUMN id TYPE bigint, ADD CONSTRAINT id_positive CHECK (id > 0)')
ORDER BY rule;

--
-- lock-timeout
--
SET lock_timeout = 0;
ALTER TABLE big ADD COLUMN note text;
CREATE INDEX ON big (n);
ALTER TABLE emptied ADD COLUMN note text;
-- statements whose only risk is their ACCESS EXCLUSIVE lock on a large table
CREATE POLICY big_policy ON big USING (true);
ALTER POLICY big_policy ON big USING (id > 0);
DROP POLICY big_policy ON big;
CREATE RULE big_rule AS ON UPDATE TO big DO ALSO NOTIFY big_changed;
DROP RULE big_rule ON big;
CREATE FUNCTION big_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
-- CREATE TRIGGER takes SHARE ROW EXCLUSIVE: reads go on, nothing to say
CREATE TRIGGER big_trigger BEFORE UPDATE ON big FOR EACH ROW EXECUTE FUNCTION big_noop();
DROP TRIGGER big_trigger ON big;
CREATE MATERIALIZED VIEW big_mv AS SELECT id, v FROM big;
CREATE UNIQUE INDEX CONCURRENTLY big_mv_id ON big_mv (id);
REFRESH MATERIALIZED VIEW big_mv;
REFRESH MATERIALIZED VIEW CONCURRENTLY big_mv;
-- LOCK TABLE is what applications run, not DDL: left alone
BEGIN;
LOCK TABLE big;
ROLLBACK;
-- the same on a small table: nothing
CREATE POLICY small_policy ON small USING (true);
DROP POLICY small_policy ON small;
RESET lock_timeout;
SET schemaguard.mode = off;
DROP MATERIALIZED VIEW big_mv;
DROP FUNCTION big_noop();
RESET schemaguard.mode;
