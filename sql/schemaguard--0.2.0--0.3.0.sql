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
