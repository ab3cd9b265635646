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
