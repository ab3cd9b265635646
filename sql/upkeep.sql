--
-- upkeep: event triggers keep the lineage exact in the same transaction
--
-- the DDL guard would block some of these drops and renames (its own tests
-- are guard_*.sql); here only the lineage upkeep is under test
SET schemaguard.mode = off;
CREATE SCHEMA up;
SET search_path = up, public;
CREATE TABLE invoices (id int PRIMARY KEY, amount numeric, status text);
CREATE TABLE payments (id int PRIMARY KEY, invoice_id int, amount numeric);

-- every stored edge from a column to a view of the up schema, by name
CREATE FUNCTION edges()
RETURNS TABLE (dependent name, dependent_column name, source text, usage text)
LANGUAGE sql AS $$
SELECT d.relname AS dependent, coalesce(da.attname, '(row)') AS dependent_column,
       s.relname || '.' || sa.attname AS source, e.usage
FROM schemaguard.lineage_edge e
JOIN pg_class d ON d.oid = e.dependent_objid
LEFT JOIN pg_attribute da ON da.attrelid = e.dependent_objid AND da.attnum = e.dependent_objsubid
JOIN pg_class s ON s.oid = e.source_objid
JOIN pg_attribute sa ON sa.attrelid = e.source_objid AND sa.attnum = e.source_objsubid
WHERE e.source_classid = 'pg_class'::regclass
  AND e.dependent_classid = 'pg_class'::regclass
  AND d.relkind IN ('v', 'm')
  AND (d.relnamespace = 'up'::regnamespace OR s.relnamespace = 'up'::regnamespace)
ORDER BY 1, 2, 3, 4
$$;
SELECT * FROM edges();

-- a rolled-back CREATE VIEW leaves no edge
BEGIN;
CREATE VIEW v_tmp AS SELECT amount FROM invoices;
SELECT * FROM edges() WHERE dependent = 'v_tmp';
ROLLBACK;
SELECT count(*) AS edges_after_rollback FROM schemaguard.lineage_edge
WHERE dependent_classid = 'pg_class'::regclass
  AND dependent_objid NOT IN (SELECT oid FROM pg_class);

-- CREATE, then CREATE OR REPLACE replaces the edges
CREATE VIEW v AS SELECT id, amount FROM invoices WHERE status = 'open';
SELECT * FROM edges() WHERE dependent = 'v';
CREATE OR REPLACE VIEW v AS
    SELECT id, amount * 2 AS amount, status FROM invoices;
SELECT * FROM edges() WHERE dependent = 'v';

-- renames change nothing stored (edges are keyed by OID and column number);
-- the answers show the new names
CREATE TEMP TABLE before_rename AS SELECT * FROM schemaguard.lineage_edge;
ALTER TABLE invoices RENAME COLUMN amount TO total;
ALTER TABLE invoices RENAME TO bills;
ALTER VIEW v RENAME COLUMN amount TO doubled;
ALTER VIEW v RENAME TO v_bills;
SELECT (SELECT count(*) FROM (SELECT * FROM schemaguard.lineage_edge
                              EXCEPT SELECT * FROM before_rename) a) AS added,
       (SELECT count(*) FROM (SELECT * FROM before_rename
                              EXCEPT SELECT * FROM schemaguard.lineage_edge) r) AS removed;
SELECT * FROM schemaguard.impact_of('bills.total');
ALTER TABLE bills RENAME COLUMN total TO amount;
ALTER TABLE bills RENAME TO invoices;
ALTER VIEW v_bills RENAME TO v;

-- ALTER ... SET SCHEMA moves the view; its edges follow
CREATE SCHEMA up2;
ALTER VIEW v SET SCHEMA up2;
SELECT * FROM schemaguard.impact_of('invoices.status');
ALTER VIEW up2.v SET SCHEMA up;
DROP SCHEMA up2;

-- views over views; dropping the lower one with CASCADE drops both and all their edges
CREATE VIEW v_top AS SELECT id, doubled + 1 AS plus_one FROM v;
SELECT * FROM schemaguard.impact_of('invoices.amount');
DROP VIEW v CASCADE;
SELECT * FROM edges();

-- DROP VIEW removes the edges; a rolled-back DROP keeps them
CREATE VIEW v_pay AS SELECT p.amount, i.status
    FROM payments p JOIN invoices i ON i.id = p.invoice_id;
BEGIN;
DROP VIEW v_pay;
SELECT count(*) FROM edges() WHERE dependent = 'v_pay';
ROLLBACK;
SELECT count(*) FROM edges() WHERE dependent = 'v_pay';
DROP VIEW v_pay;
SELECT count(*) FROM edges() WHERE dependent = 'v_pay';

-- materialized views: create, refresh, drop
CREATE MATERIALIZED VIEW mv AS SELECT status, sum(amount) AS total FROM invoices GROUP BY status;
REFRESH MATERIALIZED VIEW mv;
SELECT * FROM edges() WHERE dependent = 'mv';
DROP MATERIALIZED VIEW mv;
SELECT count(*) FROM edges() WHERE dependent = 'mv';

-- dropping a column drops the views that use it (CASCADE) and their edges
CREATE VIEW v_status AS SELECT id, status FROM invoices;
CREATE VIEW v_amount AS SELECT id, amount FROM invoices;
ALTER TABLE invoices DROP COLUMN status CASCADE;
SELECT * FROM edges();

-- dropping the table drops everything over it
DROP TABLE invoices CASCADE;
SELECT * FROM edges();
CREATE TABLE invoices (id int PRIMARY KEY, amount numeric, status text);

-- CREATE SCHEMA with embedded views, views made by DO blocks and functions
CREATE SCHEMA up3
    CREATE VIEW v_embedded AS SELECT amount FROM up.invoices;
DO $$ BEGIN EXECUTE 'CREATE VIEW up.v_dynamic AS SELECT status FROM up.invoices'; END $$;
CREATE FUNCTION make_view() RETURNS void LANGUAGE plpgsql AS $$
BEGIN CREATE VIEW up.v_from_function AS SELECT id FROM up.invoices; END $$;
SELECT make_view();
SELECT * FROM schemaguard.impact_of('invoices');
DROP SCHEMA up3 CASCADE;

-- temporary views are not tracked (they vanish at session end without an event)
CREATE TEMP VIEW v_temp AS SELECT amount FROM invoices;
SELECT count(*) FROM schemaguard.impact_of('invoices.amount') WHERE object_identity LIKE 'pg_temp%';

-- converting an empty table into a view with CREATE RULE "_RETURN" (PG15)
CREATE TABLE v_rule (amount numeric);
CREATE RULE "_RETURN" AS ON SELECT TO v_rule DO INSTEAD SELECT amount FROM invoices;
SELECT * FROM edges() WHERE dependent = 'v_rule';

-- ALTER COLUMN TYPE rebuilds the index, constraint, default and statistics
-- object on the column under new OIDs (and drops the old ones without a
-- sql_drop event), on a partitioned table in every partition too: the old
-- ones' edges go, the new ones' are there
CREATE TABLE retyped (id int, code int DEFAULT 0 CHECK (code >= 0)) PARTITION BY RANGE (id);
CREATE TABLE retyped_1 PARTITION OF retyped FOR VALUES FROM (0) TO (100);
CREATE INDEX retyped_code ON retyped (code);
CREATE STATISTICS retyped_stats ON id, code FROM retyped_1;
ALTER TABLE retyped ALTER COLUMN code TYPE bigint;
SELECT pg_describe_object(dependent_classid, dependent_objid, 0) AS dependent, usage
FROM schemaguard.lineage_edge
WHERE source_objid IN ('retyped'::regclass, 'retyped_1'::regclass) AND source_objsubid = 2
ORDER BY 1, 2;

-- ... and an index expression, a CHECK and a statistics object calling a
-- function: the old ones' edges from the function go too
CREATE FUNCTION up_half(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 2';
CREATE TABLE retyped_f (a int, b int);
CREATE INDEX retyped_f_idx ON retyped_f ((up_half(b))) WHERE up_half(a) > 0;
ALTER TABLE retyped_f ADD CONSTRAINT retyped_f_check CHECK (up_half(a) > -5);
CREATE STATISTICS retyped_f_stats ON (up_half(a)), b FROM retyped_f;
ALTER TABLE retyped_f ALTER COLUMN a TYPE bigint;
SELECT pg_describe_object(dependent_classid, dependent_objid, 0) AS dependent, usage
FROM schemaguard.lineage_edge
WHERE source_classid = 'pg_proc'::regclass AND source_objid = 'up_half'::regproc
ORDER BY 1, 2;

-- REINDEX ... CONCURRENTLY builds each index again under a new OID and drops
-- the old one, with no event trigger in PostgreSQL 15: the old indexes'
-- edges go, the new ones have theirs (an index, a table, a partitioned
-- index, a schema)
CREATE SCHEMA up_reindex;
CREATE TABLE up_reindex.t (a int, b int);
CREATE INDEX t_a ON up_reindex.t (a);
CREATE INDEX t_f ON up_reindex.t ((up_half(b))) WHERE up_half(a) > 0;
CREATE TABLE up_reindex.p (a int) PARTITION BY RANGE (a);
CREATE TABLE up_reindex.p1 PARTITION OF up_reindex.p FOR VALUES FROM (0) TO (10);
CREATE INDEX p_f ON up_reindex.p ((up_half(a)));
CREATE TEMP VIEW up_reindex_edges AS
SELECT pg_describe_object(source_classid, source_objid, source_objsubid) AS source,
       pg_describe_object(dependent_classid, dependent_objid, 0) AS dependent, usage
FROM schemaguard.lineage_edge e JOIN pg_class c ON c.oid = e.dependent_objid
WHERE e.dependent_classid = 'pg_class'::regclass AND c.relkind IN ('i', 'I')
  AND c.relnamespace = 'up_reindex'::regnamespace;
CREATE TEMP TABLE up_index_edges AS SELECT * FROM up_reindex_edges;
REINDEX INDEX CONCURRENTLY up_reindex.t_a;
REINDEX TABLE CONCURRENTLY up_reindex.t;
REINDEX INDEX CONCURRENTLY up_reindex.p_f;
REINDEX SCHEMA CONCURRENTLY up_reindex;
SELECT * FROM up_reindex_edges ORDER BY 2, 1, 3;
SELECT count(*) AS differing FROM (
    (SELECT * FROM up_reindex_edges EXCEPT SELECT * FROM up_index_edges)
    UNION ALL
    (SELECT * FROM up_index_edges EXCEPT SELECT * FROM up_reindex_edges)) d;

-- a trigger function calling a function created after its trigger: when the
-- call resolves, the trigger function's own edge to it is stored too
CREATE TABLE up_hub (name text, nslots int);
-- (a body's names are bound as in a session of its own: in public)
CREATE FUNCTION up_hub_a() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE dummy integer;
BEGIN
    dummy := up_hub_adjust(new.name, new.nslots);
    RETURN new;
END $$;
CREATE TRIGGER up_hub_a AFTER INSERT ON up_hub FOR EACH ROW EXECUTE FUNCTION up_hub_a();
SELECT object_identity, reference FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'up_hub_a%';
CREATE FUNCTION public.up_hub_adjust(text, integer) RETURNS integer LANGUAGE sql AS 'SELECT 0';
SELECT object_identity, reference FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'up_hub_a%';
SELECT pg_describe_object(source_classid, source_objid, 0) AS source,
       pg_describe_object(dependent_classid, dependent_objid, 0) AS dependent, usage
FROM schemaguard.lineage_edge
WHERE dependent_classid = 'pg_proc'::regclass AND dependent_objid = 'up_hub_a'::regproc;

-- a function whose parameter is a temporary table's row type is dropped with
-- it when the session ends, without an event: not tracked, like the table
CREATE TEMP TABLE up_compos (f1 int, f2 text);
CREATE FUNCTION public.up_compos1(v up_compos) RETURNS void LANGUAGE sql AS
    $$ INSERT INTO up_compos VALUES (v.*) $$;
CREATE FUNCTION public.up_compos2(v up_compos) RETURNS void LANGUAGE sql AS
    $$ SELECT up_compos1(v) $$;
SELECT count(*) AS edges_of_temporary_functions FROM schemaguard.lineage_edge
WHERE (source_classid = 'pg_proc'::regclass AND source_objid IN ('up_compos1'::regproc, 'up_compos2'::regproc))
   OR (dependent_classid = 'pg_proc'::regclass AND dependent_objid IN ('up_compos1'::regproc, 'up_compos2'::regproc));

-- no edge points at an object that no longer exists
SELECT count(*) AS orphans FROM schemaguard.lineage_edge e
WHERE pg_identify_object(e.dependent_classid, e.dependent_objid, 0) IS NULL
   OR pg_identify_object(e.dependent_classid, e.dependent_objid, 0).identity IS NULL
   OR pg_identify_object(e.source_classid, e.source_objid, 0).identity IS NULL
   OR (e.source_classid = 'pg_class'::regclass AND e.source_objsubid > 0
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = e.source_objid AND a.attnum = e.source_objsubid
                         AND NOT a.attisdropped));
