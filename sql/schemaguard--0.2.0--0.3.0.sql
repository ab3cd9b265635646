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

--
-- Lineage on real code.
--

--
-- Expand/contract migrations (src/migrate/).
--

--
-- Lineage out to other tools: OpenLineage, pictures, impact reports.
--
