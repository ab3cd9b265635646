/* schemaguard--0.2.0--0.3.0.sql: trust and do-no-harm in the guard, expand/contract migrations, lineage on real code, lineage out to other tools */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION schemaguard UPDATE TO '0.3.0'" to load this file. \quit

--
-- Trust: what a dry run may do, what evidence a role may see, who may write
-- audit rows.
--

--
-- Do no harm: restores, loaders, temporary tables, tool reverts,
-- pg_upgrade; who a lock would block.
--

-- The cluster the lineage catalog was computed in (lineage/origin.c):
-- pg_upgrade keeps the object ids of relations only, and copies this
-- table with the catalog; a catalog from another cluster is rebuilt before
-- it is read.  Not dumped: a restore's CREATE EXTENSION computes it anew.
CREATE TABLE schemaguard.lineage_origin (
    system_identifier bigint NOT NULL
);
REVOKE ALL ON schemaguard.lineage_origin FROM PUBLIC;
COMMENT ON TABLE schemaguard.lineage_origin IS
    'system identifier of the cluster whose catalogs the lineage was computed from';
INSERT INTO schemaguard.lineage_origin
SELECT system_identifier FROM pg_catalog.pg_control_system();

-- The tables a session creates: a lock on one that no other session uses
-- blocks nobody (guard/sessions.c; docs/guard.md, "Who is there").  The
-- function keeps a session-long note in memory; it writes nothing.
CREATE FUNCTION schemaguard.on_table_created()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'schemaguard_on_table_created'
LANGUAGE C;
REVOKE EXECUTE ON FUNCTION schemaguard.on_table_created() FROM PUBLIC;
CREATE EVENT TRIGGER schemaguard_table_created ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO',
                 'CREATE MATERIALIZED VIEW')
    EXECUTE FUNCTION schemaguard.on_table_created();

-- pg_dump keeps the severities an administrator changed: the rows that
-- differ from the defaults the install script puts in (a new rule must be
-- added to this list with its default).  A restore runs CREATE EXTENSION,
-- which puts the defaults in, then copies the dumped rows: an INSERT of a
-- rule that has a row already replaces its severity instead of failing on
-- the primary key (enabled ALWAYS, like the triggers that tell sessions to
-- read the table again).
SELECT pg_catalog.pg_extension_config_dump('schemaguard.rule_config',
    $$WHERE (rule, severity) NOT IN (('breaks-dependents', 'error'),
        ('table-rewrite', 'error'), ('full-scan-under-lock', 'error'),
        ('blocking-index-build', 'error'), ('data-loss', 'error'),
        ('lock-timeout', 'warning'))$$);
CREATE FUNCTION schemaguard.rule_config_merge()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE schemaguard.rule_config SET severity = NEW.severity
    WHERE rule = NEW.rule;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION schemaguard.rule_config_merge() FROM PUBLIC;
CREATE TRIGGER rule_config_merge
    BEFORE INSERT ON schemaguard.rule_config
    FOR EACH ROW EXECUTE FUNCTION schemaguard.rule_config_merge();
ALTER TABLE schemaguard.rule_config ENABLE ALWAYS TRIGGER rule_config_merge;

-- TRUNCATE, VACUUM FULL, CLUSTER and REINDEX fire no event trigger: as a
-- session's first command they are judged only when the library is
-- preloaded.  coverage() tells, per database of the cluster, whether new
-- sessions preload it (shared_preload_libraries; session_preload_libraries
-- set for the server or the database -- settings for single roles are not
-- counted), and the command that would: ALTER DATABASE keeps the libraries
-- already listed.  It reads the server's configuration files: for
-- superusers and roles granted pg_read_all_settings.
CREATE FUNCTION schemaguard.coverage()
RETURNS TABLE (database name, covered boolean, session_preload_libraries text,
               command text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH server AS (
    SELECT (SELECT f.setting FROM pg_file_settings f
            WHERE f.name = 'session_preload_libraries' AND f.error IS NULL
            ORDER BY f.seqno DESC LIMIT 1) AS libs,
           current_setting('shared_preload_libraries') AS shared
), db AS (
    SELECT d.datname,
           (SELECT substr(c, length('session_preload_libraries=') + 1)
            FROM pg_db_role_setting s, unnest(s.setconfig) c
            WHERE s.setdatabase = d.oid AND s.setrole = 0
              AND c LIKE 'session\_preload\_libraries=%') AS libs
    FROM pg_database d
    WHERE d.datallowconn
), effective AS (
    SELECT db.datname, coalesce(db.libs, server.libs, '') AS libs, server.shared
    FROM db, server
), listed AS (
    SELECT e.datname, e.libs,
           EXISTS (SELECT FROM unnest(string_to_array(e.libs || ',' || e.shared, ',')) l
                   WHERE btrim(l, ' "') IN ('schemaguard', '$libdir/schemaguard')) AS covered
    FROM effective e
)
SELECT l.datname, l.covered, l.libs,
       CASE WHEN NOT l.covered THEN
           format('ALTER DATABASE %I SET session_preload_libraries = %s;', l.datname,
                  (SELECT string_agg(quote_literal(lib), ', ' ORDER BY n)
                   FROM (SELECT btrim(x, ' "') AS lib, n
                         FROM unnest(string_to_array(l.libs, ',')) WITH ORDINALITY AS u(x, n)
                         WHERE btrim(x, ' "') <> ''
                         UNION ALL
                         SELECT 'schemaguard', 2147483647) AS libs))
       END
FROM listed l
ORDER BY l.datname
$$;
REVOKE EXECUTE ON FUNCTION schemaguard.coverage() FROM PUBLIC;
COMMENT ON FUNCTION schemaguard.coverage() IS
    'per database: whether new sessions preload schemaguard, so that TRUNCATE, VACUUM FULL, CLUSTER and REINDEX are judged as their first command';

-- Say so at CREATE EXTENSION (and ALTER EXTENSION UPDATE), with the exact
-- command for this database, unless it is covered already.  An extension
-- script runs with client_min_messages raised to warning; the NOTICE is
-- sent under the session's own setting (its reset value), then that is
-- raised again.
DO $$
DECLARE
    c record;
    raised text := current_setting('client_min_messages');
BEGIN
    SELECT * INTO c FROM schemaguard.coverage() WHERE database = current_database();
    IF FOUND AND NOT c.covered THEN
        PERFORM set_config('client_min_messages',
                           (SELECT reset_val FROM pg_catalog.pg_settings
                            WHERE name = 'client_min_messages'), true);
        RAISE NOTICE 'TRUNCATE, VACUUM FULL, CLUSTER and REINDEX run as the first command of a session are judged only when schemaguard is preloaded'
            USING DETAIL = 'Other DDL loads the library through an event trigger; these four fire none.',
                  HINT = 'To judge them from the first command of every new session of this database (no restart needed): ' || c.command;
        PERFORM set_config('client_min_messages', raised, true);
    END IF;
EXCEPTION WHEN OTHERS THEN
    -- advice only: nothing here may make CREATE EXTENSION fail
    NULL;
END
$$;

--
-- Lineage on real code.
--

-- The source index carries each edge's dependent (INCLUDE): an ALTER TABLE
-- ... ADD COLUMN finds the functions that may read the table from the index
-- entries alone, without visiting an edge row for each column they read
-- (lineage/store.c, lineage_functions_maybe_reading).  Keys as before.
DROP INDEX schemaguard.lineage_edge_source_idx;
CREATE INDEX lineage_edge_source_idx ON schemaguard.lineage_edge
    (source_classid, source_objid, source_objsubid)
    INCLUDE (dependent_classid, dependent_objid);

--
-- Expand/contract migrations (src/migrate/).
--
-- One row per migration started with schemaguard.start(); the engine keeps
-- its state here, so that every phase can be resumed or inspected, and a
-- backfill continues after a crash from backfill_key.  The table is named
-- by regclass, so that pg_dump keeps the reference by name.  Rows are
-- written by the engine (C, as the extension's owner); nobody else needs a
-- privilege on these tables: schemaguard.migrations shows them.
--
CREATE SEQUENCE schemaguard.migration_id_seq;
CREATE TABLE schemaguard.migration (
    id               bigint PRIMARY KEY DEFAULT nextval('schemaguard.migration_id_seq'),
    name             text,
    ddl              text NOT NULL,
    relid            regclass NOT NULL,
    sync_function    text NOT NULL,
    state            text NOT NULL CHECK (state IN
        ('expanded', 'backfilled', 'verified', 'switched', 'contracted', 'rolled_back')),
    phase            text NOT NULL,
    started_by       text NOT NULL,
    started_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    backfill_key     text[],
    backfill_done    bool NOT NULL DEFAULT false,
    rows_done        bigint NOT NULL DEFAULT 0,
    rows_total       bigint,
    rows_per_second  float8,
    last_error       text
);
ALTER SEQUENCE schemaguard.migration_id_seq OWNED BY schemaguard.migration.id;
COMMENT ON TABLE schemaguard.migration IS
    'expand/contract migrations: their state, and where a backfill stands';

-- What a migration changes, one row per change of its ddl, with the names
-- of the columns it adds (names, not attribute numbers: they survive a
-- dump and restore).
CREATE TABLE schemaguard.migration_change (
    migration      bigint NOT NULL REFERENCES schemaguard.migration ON DELETE CASCADE,
    ordinal        int NOT NULL,
    kind           text NOT NULL,
    colname        text NOT NULL,
    newcol         text,
    oldcol         text,
    type_sql       text,
    collation_sql  text,
    using_sql      text,
    default_sql    text,
    not_null       bool NOT NULL DEFAULT false,
    sql            text,
    PRIMARY KEY (migration, ordinal)
);
COMMENT ON TABLE schemaguard.migration_change IS
    'the changes of each migration, with the names of the columns they add';

-- The indexes and constraints a migration builds beside the original ones,
-- with the change they belong to and the statement that builds each.
CREATE TABLE schemaguard.migration_object (
    migration  bigint NOT NULL REFERENCES schemaguard.migration ON DELETE CASCADE,
    ordinal    int NOT NULL,
    change     int NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('index', 'unique', 'check', 'foreign_key', 'not_null')),
    original   text,
    created    text NOT NULL,
    sql        text NOT NULL,
    done       bool NOT NULL DEFAULT false,
    PRIMARY KEY (migration, ordinal)
);
COMMENT ON TABLE schemaguard.migration_object IS
    'indexes and constraints each migration builds beside the original ones';

REVOKE ALL ON schemaguard.migration, schemaguard.migration_change,
    schemaguard.migration_object, schemaguard.migration_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('schemaguard.migration', '');
SELECT pg_catalog.pg_extension_config_dump('schemaguard.migration_change', '');
SELECT pg_catalog.pg_extension_config_dump('schemaguard.migration_object', '');
SELECT pg_catalog.pg_extension_config_dump('schemaguard.migration_id_seq', '');

-- A phase done is audited as 'migration'; one that failed, as
-- 'migration_failed' (written in a transaction of its own, like a block).
ALTER TABLE schemaguard.audit_log DROP CONSTRAINT audit_log_decision_check;
ALTER TABLE schemaguard.audit_log ADD CONSTRAINT audit_log_decision_check CHECK (decision IN
    ('blocked', 'warned', 'allowed_by_override', 'migration', 'migration_failed'));

--
-- Every migration of a table the current role can see: one it owns or has
-- a privilege on (approvers see them all).  last_error: the error of the
-- last phase that failed, if none has succeeded since.
--
CREATE VIEW schemaguard.migrations AS
SELECT m.id, m.name, m.ddl, m.state, m.phase, m.started_at, m.updated_at,
       m.rows_done, m.rows_total, m.rows_per_second,
       CASE WHEN m.rows_per_second > 0 AND m.rows_total > m.rows_done
                 AND m.phase LIKE 'backfill%'
            THEN pg_catalog.make_interval(secs => (m.rows_total - m.rows_done) / m.rows_per_second)
       END AS eta,
       COALESCE(m.last_error,
                (SELECT a.reason FROM schemaguard.audit_log a
                 WHERE a.decision = 'migration_failed'
                   AND a.findings @> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('migration', m.id))
                   AND a.logged_at >= m.updated_at
                 ORDER BY a.logged_at DESC LIMIT 1)) AS last_error
FROM schemaguard.migration m
WHERE pg_catalog.pg_has_role('schemaguard_approver', 'USAGE')
   OR EXISTS (SELECT FROM pg_catalog.pg_class c
              WHERE c.oid = m.relid
                AND (pg_catalog.pg_has_role(c.relowner, 'USAGE')
                     OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')));
GRANT SELECT ON schemaguard.migrations TO PUBLIC;
COMMENT ON VIEW schemaguard.migrations IS
    'expand/contract migrations of the tables you can see: state, progress, last error';

--
-- The API.  plan() and start() resolve the ddl's names with the caller's
-- search_path, like the statements would; every statement the engine runs
-- itself is run with search_path = pg_catalog, pg_temp and names it
-- quotes and qualifies.  None of these is SECURITY DEFINER: the C code
-- checks the caller (the table's owner or a member of schemaguard_approver;
-- plan() anyone who can see the table) and runs each statement as the role
-- it belongs to (the table's owner, a dependent's owner, the extension's
-- owner for its bookkeeping).  backfill is a procedure: it commits between
-- batches and builds indexes CONCURRENTLY, so it is CALLed outside a
-- transaction block.
--
CREATE FUNCTION schemaguard.plan(ddl text)
RETURNS TABLE (step int, phase text, sql text, lock text, description text, reversible bool)
AS 'MODULE_PATHNAME', 'schemaguard_plan'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.plan(text) IS
    'the steps of an expand/contract migration of a column change, with their SQL and locks; changes nothing';

CREATE FUNCTION schemaguard.start(ddl text, name text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'schemaguard_start'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.start(text, text) IS
    'start an expand/contract migration: runs its expand phase; returns its id';

CREATE PROCEDURE schemaguard.backfill(id bigint, batch_size int DEFAULT 10000,
                                      max_rows_per_second int DEFAULT NULL)
AS 'MODULE_PATHNAME', 'schemaguard_backfill'
LANGUAGE C;
COMMENT ON PROCEDURE schemaguard.backfill(bigint, int, int) IS
    'fill the new columns in committed batches (resumable), then build their indexes CONCURRENTLY';

CREATE FUNCTION schemaguard.verify(id bigint)
RETURNS TABLE (rows_checked bigint, mismatches bigint, sample text)
AS 'MODULE_PATHNAME', 'schemaguard_verify'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.verify(bigint) IS
    'check every row: the new columns hold what the old ones convert to';

CREATE FUNCTION schemaguard.switch(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'schemaguard_switch'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.switch(bigint) IS
    'readers and dependents move to the new shape, in one short transaction';

CREATE FUNCTION schemaguard.contract(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'schemaguard_contract'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.contract(bigint) IS
    'the old shape goes for good: old columns, triggers and bookkeeping dropped';

CREATE FUNCTION schemaguard.rollback(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'schemaguard_rollback'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.rollback(bigint) IS
    'back to the old shape, any time before contract';

--
-- Lineage out to other tools: OpenLineage, pictures, impact reports.
--

-- check_ddl() also says where each finding's statement starts in the script
-- (1-based line, and column in characters), so that a client can point at
-- the file it read.  A function's result type cannot be changed in place.
DROP FUNCTION schemaguard.check_ddl(text);
CREATE FUNCTION schemaguard.check_ddl(script text)
RETURNS TABLE (statement int, rule text, severity text, message text,
               detail text, hint text, line int, col int)
AS 'MODULE_PATHNAME', 'schemaguard_check_ddl'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.check_ddl(text) IS
    'what the DDL guard would say about each statement of a script, without running it';

-- What impact_of() answers, as a picture: Graphviz DOT or a Mermaid
-- flowchart.  Like impact_of() it resolves the target with the caller's
-- search_path (not pinned), runs no SQL and shows what impact_of() shows
-- the caller.
CREATE FUNCTION schemaguard.impact_graph(target text, format text DEFAULT 'dot',
                                         max_depth int DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'schemaguard_impact_graph'
LANGUAGE C STABLE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.impact_graph(text, text, int) IS
    'what impact_of() answers, as a Graphviz DOT or Mermaid flowchart picture';

-- The lineage catalog as OpenLineage RunEvents (spec 2-0-2, with the
-- columnLineage dataset facet 1-2-0): one per view, materialized view and
-- SQL or PL/pgSQL routine the caller may see.  namespace NULL means
-- postgres://host:port of this server.
CREATE FUNCTION schemaguard.openlineage_events(namespace text DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'schemaguard_openlineage_events'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.openlineage_events(text) IS
    'the lineage catalog as OpenLineage run events with column lineage, one per view, materialized view and routine';

-- A Markdown report of a migration script for a pull request: per
-- statement, the guard's findings, the dependents it touches and the
-- evidence of their use.  Like check_ddl() it resolves names with the
-- caller's search_path (not pinned) and runs nothing of the script.
CREATE FUNCTION schemaguard.impact_report(script text)
RETURNS text
AS 'MODULE_PATHNAME', 'schemaguard_impact_report'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.impact_report(text) IS
    'a Markdown report of a migration script: findings, dependents touched, evidence of their use';

--
-- The guard rewrites what it blocks (issue 13): more change kinds for the
-- migration engine (SET NOT NULL, ADD CONSTRAINT, CREATE/DROP INDEX,
-- REINDEX, DROP COLUMN, RENAME TO, DROP TABLE) and rewrite mode
-- (schemaguard.rewrite, a GUC registered by the library).
--

-- A statement carried out in its safe form by rewrite mode is audited as
-- 'rewritten' (reason: the migration and what ran).
ALTER TABLE schemaguard.audit_log DROP CONSTRAINT audit_log_decision_check;
ALTER TABLE schemaguard.audit_log ADD CONSTRAINT audit_log_decision_check CHECK (decision IN
    ('blocked', 'warned', 'allowed_by_override', 'migration', 'migration_failed',
     'rewritten'));

-- The objects of the new kinds: an index dropped CONCURRENTLY, an index or
-- table rebuilt with REINDEX CONCURRENTLY.
ALTER TABLE schemaguard.migration_object DROP CONSTRAINT migration_object_kind_check;
ALTER TABLE schemaguard.migration_object ADD CONSTRAINT migration_object_kind_check CHECK (kind IN
    ('index', 'unique', 'check', 'foreign_key', 'not_null', 'drop_index', 'reindex'));

-- A table dropped by a migration waits here until contract (rollback moves
-- it back).  Owned by the extension's owner; nobody else may use it.
CREATE SCHEMA schemaguard_holding;
REVOKE ALL ON SCHEMA schemaguard_holding FROM PUBLIC;
COMMENT ON SCHEMA schemaguard_holding IS
    'tables dropped by a schemaguard migration, until its contract';

-- contract(id, drop_dependents): a deprecated column's dependents that
-- still use it are dropped with it (listed in the audit row); without it,
-- contract refuses while any remains.
DROP FUNCTION schemaguard.contract(bigint);
CREATE FUNCTION schemaguard.contract(id bigint, drop_dependents bool DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'schemaguard_contract'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.contract(bigint, bool) IS
    'the old shape goes for good: old columns, triggers and bookkeeping dropped (drop_dependents: what still uses a deprecated column too)';
