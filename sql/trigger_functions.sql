--
-- trigger_functions: what NEW and OLD read and write belongs to each
-- trigger, also when one function is shared by the triggers of many
-- tables; PL/pgSQL's own trigger variables are variables; known C trigger
-- functions name columns in their arguments
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA tf;
SET search_path = tf, public;
SET lock_timeout = '5s';
CREATE TABLE la (id int, link text, code int, last_update timestamptz);
CREATE TABLE lb (id int, name text, code int, last_update timestamptz);
CREATE TABLE lc (id int, label text, last_update timestamptz);
CREATE TABLE log (op text, tbl text, id int, detail text, at timestamptz);

-- a last_updated function shared by three tables: each trigger writes its
-- own table's column (formerly: no edge at all, NEW/OLD were resolved only
-- for a function of one table)
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update := current_timestamp;
    RETURN NEW;
END $$;
CREATE TRIGGER la_updated BEFORE UPDATE ON la FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER lb_updated BEFORE UPDATE ON lb FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER lc_updated BEFORE UPDATE ON lc FOR EACH ROW EXECUTE FUNCTION last_updated();
SELECT object_identity, usage, via FROM schemaguard.impact_of('la.last_update');
SELECT object_identity, usage, via FROM schemaguard.impact_of('lc.last_update');

-- PL/pgSQL's trigger variables are variables, not missing columns: the
-- statement keeps its edges (formerly: log.op lost, the statement listed)
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tf.log (op, tbl, id, detail, at)
    VALUES (TG_OP, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NEW.id,
            format('%s %s %s %s #%s %s', TG_NAME, TG_WHEN, TG_LEVEL, TG_RELID::regclass,
                   TG_NARGS, TG_ARGV[0]),
            now());
    IF TG_OP = 'UPDATE' AND NEW.code IS DISTINCT FROM OLD.code THEN
        INSERT INTO tf.log (op, id, detail) VALUES ('code', NEW.id, row_to_json(OLD)::text);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER la_audit AFTER INSERT OR UPDATE ON la FOR EACH ROW EXECUTE FUNCTION audit('a');
CREATE TRIGGER lb_audit AFTER INSERT OR UPDATE ON lb FOR EACH ROW EXECUTE FUNCTION audit('b');
SELECT object_identity, usage, via FROM schemaguard.impact_of('log') ORDER BY 1, 2, 3;
SELECT object_identity, usage, via FROM schemaguard.impact_of('lb')
WHERE object_identity LIKE 'lb_audit%' ORDER BY 1, 2, 3;
-- row_to_json(OLD) reads every column: a column added later too
ALTER TABLE lb ADD COLUMN extra int;
SELECT object_identity, usage, via FROM schemaguard.impact_of('lb.extra');

-- a branch on the table (or on an argument) is read only for the triggers
-- that take it: la's trigger reads OLD.link, lb's reads OLD.name, and
-- neither is a false "record has no field"
CREATE FUNCTION keep_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'la' THEN
        INSERT INTO tf.log (op, detail) VALUES ('del', OLD.link);
    ELSIF TG_ARGV[0] IN ('named', 'labelled') THEN
        INSERT INTO tf.log (op, detail) VALUES ('del', OLD.name);
    END IF;
    CASE TG_TABLE_NAME
        WHEN 'lc' THEN INSERT INTO tf.log (op, detail) VALUES ('del', OLD.label);
        ELSE INSERT INTO tf.log (op, id) VALUES ('del', OLD.id);
    END CASE;
    RETURN OLD;
END $$;
CREATE TRIGGER la_del BEFORE DELETE ON la FOR EACH ROW EXECUTE FUNCTION keep_deleted();
CREATE TRIGGER lb_del BEFORE DELETE ON lb FOR EACH ROW EXECUTE FUNCTION keep_deleted('named');
CREATE TRIGGER lc_del BEFORE DELETE ON lc FOR EACH ROW EXECUTE FUNCTION keep_deleted();
SELECT object_identity, usage, via FROM schemaguard.impact_of('la.link');
SELECT object_identity, usage, via FROM schemaguard.impact_of('lb.name');
SELECT object_identity, usage, via FROM schemaguard.impact_of('lc') WHERE object_identity LIKE 'lc_del%';

-- an unguarded read of a field one of the tables lacks is really broken
-- there (PL/pgSQL raises it when the trigger fires), and only there
CREATE FUNCTION check_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code < 0 THEN
        RAISE EXCEPTION 'negative code';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER la_code BEFORE INSERT ON la FOR EACH ROW EXECUTE FUNCTION check_code();
CREATE TRIGGER lc_code BEFORE INSERT ON lc FOR EACH ROW EXECUTE FUNCTION check_code();
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%tf.%' ORDER BY 2, 3;

-- typed NEW: PERFORM g(ARRAY[NEW.id]) resolves to g(int[]), not a false
-- "g(text[]) does not exist"
CREATE FUNCTION g(ids int[]) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION notify_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tf.g(ARRAY[NEW.id]);
    RETURN NULL;
END $$;
CREATE TRIGGER la_notify AFTER INSERT ON la FOR EACH ROW EXECUTE FUNCTION notify_ids();
CREATE TRIGGER lb_notify AFTER INSERT ON lb FOR EACH ROW EXECUTE FUNCTION notify_ids();
SELECT object_identity, usage, via FROM schemaguard.impact_of('la.id')
WHERE object_identity LIKE 'la_notify%';
SELECT count(*) AS calls_g FROM schemaguard.lineage_edge
WHERE dependent_objid = 'notify_ids()'::regprocedure AND source_objid = 'g(int[])'::regprocedure;

-- an event trigger function: TG_EVENT and TG_TAG are variables
CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tf.log (op, detail) VALUES (TG_EVENT, TG_TAG);
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('log.detail')
WHERE object_identity LIKE '%log_ddl%';
SELECT count(*) AS unresolved FROM schemaguard.unresolved_references()
WHERE object_identity LIKE '%log_ddl%' OR object_identity LIKE '%audit%';

-- the guard sees a shared function's read of OLD.link on la: dropping the
-- column is judged (formerly it passed, and the next DELETE failed)
ALTER TABLE la DROP COLUMN link;
SET schemaguard.mode = off;
ALTER TABLE la DROP COLUMN link;
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE 'la_del%';

-- a new body of a shared function: each trigger's edges follow it
CREATE OR REPLACE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update := current_timestamp;
    NEW.id := coalesce(NEW.id, 0);
    RETURN NEW;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('lb.id')
WHERE object_identity LIKE 'lb_updated%' ORDER BY 1, 2, 3;

-- columns named by the arguments of known C trigger functions
CREATE TABLE film (film_id int, title text, description text, fulltext tsvector,
                   cfg regconfig, modified timestamptz, who text, n int, doc oid);
CREATE TRIGGER film_fulltext BEFORE INSERT OR UPDATE ON film FOR EACH ROW
    EXECUTE FUNCTION tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');
CREATE TRIGGER film_fulltext_cfg BEFORE INSERT OR UPDATE ON film FOR EACH ROW
    EXECUTE FUNCTION tsvector_update_trigger_column('fulltext', 'cfg', 'title');
CREATE EXTENSION moddatetime SCHEMA tf;
CREATE EXTENSION insert_username SCHEMA tf;
CREATE EXTENSION autoinc SCHEMA tf;
CREATE EXTENSION lo SCHEMA tf;
CREATE SEQUENCE film_n;
CREATE TRIGGER film_modified BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION moddatetime(modified);
CREATE TRIGGER film_who BEFORE INSERT ON film FOR EACH ROW EXECUTE FUNCTION insert_username(who);
CREATE TRIGGER film_n BEFORE INSERT ON film FOR EACH ROW EXECUTE FUNCTION autoinc(n, film_n);
CREATE TRIGGER film_doc BEFORE UPDATE OR DELETE ON film FOR EACH ROW EXECUTE FUNCTION lo_manage(doc);
SELECT object_identity, usage, via FROM schemaguard.impact_of('film')
WHERE object_type = 'trigger' ORDER BY 1, 2, 3;
-- so renaming title (which breaks every write of film) is judged
RESET schemaguard.mode;
ALTER TABLE film RENAME COLUMN title TO name;
SET schemaguard.mode = off;

-- a trigger PostgreSQL records on the column (UPDATE OF) whose function
-- names it too counts among those PostgreSQL records (it refuses the drop);
-- the trigger without a column list is the body written as a string
CREATE TABLE lw (id int, amount int);
CREATE FUNCTION lw_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'amount %', NEW.amount;
    RETURN NEW;
END $$;
CREATE TRIGGER lw_amount AFTER UPDATE OF amount ON lw FOR EACH ROW EXECUTE FUNCTION lw_log();
CREATE TRIGGER lw_any AFTER UPDATE ON lw FOR EACH ROW EXECUTE FUNCTION lw_log();
RESET schemaguard.mode;
ALTER TABLE lw DROP COLUMN amount;
DROP TRIGGER lw_amount ON lw;
ALTER TABLE lw DROP COLUMN amount;
SET schemaguard.mode = off;
DROP TABLE lw;
DROP FUNCTION lw_log();

SELECT * FROM pg_temp.upkeep_vs_rebuild();
DROP TABLE film;
DROP EXTENSION moddatetime, insert_username, autoinc, lo;
RESET schemaguard.mode;
RESET search_path;
RESET lock_timeout;
