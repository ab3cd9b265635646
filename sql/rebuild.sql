--
-- rebuild: a rebuild from scratch stores exactly what incremental upkeep
-- stored, for every view the earlier tests left behind
--
CREATE TEMP TABLE incremental AS SELECT * FROM schemaguard.lineage_edge;
SELECT count(*) > 100 AS many_edges FROM incremental;

SELECT schemaguard.rebuild() = (SELECT count(*) FROM schemaguard.lineage_edge) AS count_matches;
SELECT 'only after rebuild' AS side, * FROM (
    SELECT * FROM schemaguard.lineage_edge EXCEPT SELECT * FROM incremental) a
UNION ALL
SELECT 'only incremental', * FROM (
    SELECT * FROM incremental EXCEPT SELECT * FROM schemaguard.lineage_edge) b;

-- every edge is stored once
SELECT count(*) AS duplicate_edges FROM (
    SELECT 1 FROM schemaguard.lineage_edge
    GROUP BY source_classid, source_objid, source_objsubid, dependent_classid,
             dependent_objid, dependent_objsubid, usage
    HAVING count(*) > 1) d;

-- a rebuild in a rolled-back transaction changes nothing; a second one is idempotent
BEGIN;
DELETE FROM schemaguard.lineage_edge;
SELECT schemaguard.rebuild() > 0 AS rebuilt;
ROLLBACK;
SELECT schemaguard.rebuild() = (SELECT count(*) FROM incremental) AS same_again;

-- a lost event (edges deleted behind the extension's back) is repaired by rebuild()
DELETE FROM schemaguard.lineage_edge WHERE dependent_objid = 'vc.v_join'::regclass;
SELECT count(*) FROM schemaguard.impact_of('vc.invoices.amount') WHERE object_identity = 'vc.v_join';
SELECT schemaguard.rebuild() > 0 AS rebuilt;
SELECT count(*) FROM schemaguard.impact_of('vc.invoices.amount') WHERE object_identity = 'vc.v_join';
