--
-- install: CREATE EXTENSION computes the lineage of views that exist already
--
CREATE SCHEMA pre;
CREATE TABLE pre.orders (id int PRIMARY KEY, total numeric, placed_on date);
CREATE VIEW pre.big_orders AS
    SELECT id, total FROM pre.orders WHERE total > 1000;

CREATE EXTENSION schemaguard;

-- what the extension owns
SELECT pg_describe_object(classid, objid, 0) AS member
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'schemaguard')
  AND deptype = 'e'
ORDER BY 1;

-- the view created before the extension is already known
SELECT * FROM schemaguard.impact_of('pre.orders.total');
SELECT * FROM schemaguard.impact_of('pre.orders.placed_on');

-- the lineage catalog holds raw object ids of every schema: closed to PUBLIC
SELECT has_table_privilege('public', 'schemaguard.lineage_edge', 'SELECT') AS public_can_read,
       has_function_privilege('public', 'schemaguard.rebuild()', 'EXECUTE') AS public_can_rebuild,
       has_function_privilege('public', 'schemaguard.impact_of(text, int)', 'EXECUTE') AS public_can_ask;

-- dropping and re-creating the extension starts again from the catalogs
-- (the upkeep plans of this session were made against the old catalog)
CREATE VIEW pre.tmp AS SELECT id FROM pre.orders;
DROP VIEW pre.tmp;
DROP EXTENSION schemaguard;
CREATE EXTENSION schemaguard;
SELECT count(*) AS edges FROM schemaguard.lineage_edge;

-- upkeep still works in this session after the catalog was dropped and made
-- again (kept plans are re-planned against the new table)
CREATE VIEW pre.totals AS SELECT sum(total) AS total FROM pre.orders;
SELECT object_identity, column_name, usage FROM schemaguard.impact_of('pre.orders.total');
DROP VIEW pre.totals;
ALTER TABLE pre.orders DROP COLUMN placed_on;
SELECT object_identity, column_name, usage FROM schemaguard.impact_of('pre.orders.total');
SELECT count(*) AS edges FROM schemaguard.lineage_edge;
