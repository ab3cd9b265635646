/* schemaguard--0.1.0.sql: install script of schemaguard 0.1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION schemaguard" to load this file. \quit

--
-- The lineage catalog: one row per edge "source -> dependent object
-- [column]", keyed by object ids so that renames never orphan a row.  The
-- source is a column (pg_class, relation, attnum), a relation as a whole
-- (attnum 0), or a function the dependent calls (pg_proc, oid, 0).  A
-- dependent_objsubid of 0 is the dependent as a whole (a view that filters,
-- joins, groups or sorts on the column without outputting it; an index, a
-- trigger, a policy, a function...).  Its content is derived from the
-- system catalogs: pg_dump leaves it out and CREATE EXTENSION (or
-- rebuild()) computes it again.
--
CREATE TABLE schemaguard.lineage_edge (
    source_classid      oid  NOT NULL,
    source_objid        oid  NOT NULL,
    source_objsubid     int4 NOT NULL,
    dependent_classid   oid  NOT NULL,
    dependent_objid     oid  NOT NULL,
    dependent_objsubid  int4 NOT NULL,
    usage               text NOT NULL,
    CONSTRAINT lineage_edge_usage_check CHECK (usage IN
        ('identity', 'transformation', 'aggregation', 'conditional',
         'filter', 'join', 'group_by', 'sort', 'window',
         'write', 'call', 'dynamic'))
);
-- Downstream walks read by source, upkeep and upstream walks by dependent.
-- No primary key: an edge is unique by construction (each object's edges
-- are deduplicated before they are stored), and narrow indexes keep upkeep
-- inside every DDL command cheap; sql/rebuild.sql checks for duplicates.
CREATE INDEX lineage_edge_source_idx ON schemaguard.lineage_edge
    (source_classid, source_objid, source_objsubid);
CREATE INDEX lineage_edge_dependent_idx ON schemaguard.lineage_edge
    (dependent_classid, dependent_objid, dependent_objsubid);

COMMENT ON TABLE schemaguard.lineage_edge IS
    'column-level lineage: source column or function -> dependent object [column], with its usage';

--
-- Names a definition uses that do not resolve: a function body naming a
-- table or column that does not exist (yet, or any more), an ambiguous
-- name, a body that does not parse.  Derived like the edges.
--
CREATE TABLE schemaguard.unresolved_reference (
    classid    oid  NOT NULL,
    objid      oid  NOT NULL,
    reference  text NOT NULL,
    reason     text NOT NULL
);
CREATE INDEX unresolved_reference_object_idx ON schemaguard.unresolved_reference
    (classid, objid);
COMMENT ON TABLE schemaguard.unresolved_reference IS
    'names used by a definition that do not resolve, with the reason';
REVOKE ALL ON schemaguard.unresolved_reference FROM PUBLIC;

-- Raw object ids of every schema: readable by administrators only.  Other
-- roles ask impact_of()/lineage_of(), which hide what they cannot see.
REVOKE ALL ON schemaguard.lineage_edge FROM PUBLIC;
GRANT USAGE ON SCHEMA schemaguard TO PUBLIC;

--
-- Questions.  These resolve the target with the caller's search_path, like
-- any name a user types, so their search_path is deliberately not pinned;
-- they run no SQL of their own.
--
CREATE FUNCTION schemaguard.impact_of(target text, max_depth int DEFAULT NULL)
RETURNS TABLE (depth int, object_type text, object_identity text,
               column_name text, usage text, via text)
AS 'MODULE_PATHNAME', 'schemaguard_impact_of'
LANGUAGE C STABLE CALLED ON NULL INPUT;

COMMENT ON FUNCTION schemaguard.impact_of(text, int) IS
    'every object that depends on a column (or on every column of a relation), transitively';

CREATE FUNCTION schemaguard.lineage_of(target text, max_depth int DEFAULT NULL)
RETURNS TABLE (depth int, object_type text, object_identity text,
               column_name text, usage text, via text)
AS 'MODULE_PATHNAME', 'schemaguard_lineage_of'
LANGUAGE C STABLE CALLED ON NULL INPUT;

COMMENT ON FUNCTION schemaguard.lineage_of(text, int) IS
    'every column a column (or every column of a relation) derives from, transitively';

CREATE FUNCTION schemaguard.unresolved_references()
RETURNS TABLE (object_type text, object_identity text, reference text,
               reason text)
AS 'MODULE_PATHNAME', 'schemaguard_unresolved_references'
LANGUAGE C STABLE;

COMMENT ON FUNCTION schemaguard.unresolved_references() IS
    'functions and other objects whose definitions use names that do not resolve';

--
-- Upkeep.
--
-- These run no SQL (they write the catalog with heap calls), so they need
-- neither SECURITY DEFINER nor a pinned search_path: any role allowed to
-- create a view has its lineage recorded without any privilege on the
-- catalog.
CREATE FUNCTION schemaguard.rebuild()
RETURNS bigint
AS 'MODULE_PATHNAME', 'schemaguard_rebuild'
LANGUAGE C VOLATILE STRICT;

COMMENT ON FUNCTION schemaguard.rebuild() IS
    'recompute the whole lineage catalog; returns the number of edges stored';
REVOKE EXECUTE ON FUNCTION schemaguard.rebuild() FROM PUBLIC;

CREATE FUNCTION schemaguard.on_ddl_command_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'schemaguard_on_ddl_command_end'
LANGUAGE C;
REVOKE EXECUTE ON FUNCTION schemaguard.on_ddl_command_end() FROM PUBLIC;

CREATE FUNCTION schemaguard.on_sql_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'schemaguard_on_sql_drop'
LANGUAGE C;
REVOKE EXECUTE ON FUNCTION schemaguard.on_sql_drop() FROM PUBLIC;

CREATE EVENT TRIGGER schemaguard_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION schemaguard.on_ddl_command_end();
CREATE EVENT TRIGGER schemaguard_sql_drop ON sql_drop
    EXECUTE FUNCTION schemaguard.on_sql_drop();

-- The lineage of everything that exists already.
SELECT schemaguard.rebuild();
