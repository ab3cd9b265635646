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

--
-- Lineage on real code.
--

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
