--
-- errors: bad targets get a clear error with the right SQLSTATE, and disturb nothing
--
CREATE SCHEMA err;
CREATE TABLE err.invoices (id int, amount numeric);
CREATE VIEW err.v AS SELECT amount FROM err.invoices;
SET search_path = err, public;
SELECT count(*) AS edges_before FROM schemaguard.lineage_edge \gset

SELECT * FROM schemaguard.impact_of('no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('no_such_table.amount');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('err.no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('no_such_schema.invoices.amount');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('invoices.no_such_column');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.lineage_of('err.v.no_such_column');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('   ');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('invoices..amount');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('"invoices.amount');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('a.b.c.d');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('invoices.ctid');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.impact_of('invoices.amount', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM schemaguard.lineage_of('v.amount', -1);
\echo :LAST_ERROR_SQLSTATE

-- NULL in, no rows out; NULL max_depth means no limit
SELECT * FROM schemaguard.impact_of(NULL);
SELECT * FROM schemaguard.lineage_of(NULL, 3);
SELECT count(*) FROM schemaguard.impact_of('invoices.amount', NULL);

-- an error inside a transaction leaves the catalog as it was
BEGIN;
CREATE VIEW err.v2 AS SELECT id FROM err.invoices;
SAVEPOINT s;
SELECT * FROM schemaguard.impact_of('invoices.nope');
ROLLBACK TO s;
SELECT object_identity, column_name FROM schemaguard.impact_of('invoices.id');
COMMIT;
SELECT count(*) - :edges_before AS edges_added FROM schemaguard.lineage_edge;

-- the event trigger functions refuse a direct call
SELECT schemaguard.on_ddl_command_end();
SELECT schemaguard.on_sql_drop();
RESET search_path;
