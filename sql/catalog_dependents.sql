--
-- catalog_dependents: what the catalogs say depends on a column, beyond
-- views -- generated columns, CHECK and foreign-key constraints, indexes,
-- extended statistics, row-level security policies, triggers, rules -- and
-- its upkeep on every DDL that changes them
--
CREATE SCHEMA cat;
SET search_path = cat, public;

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE invoices (
    id          int PRIMARY KEY,
    customer_id int REFERENCES customers (id),
    amount      numeric CHECK (amount >= 0),
    tax         numeric GENERATED ALWAYS AS (amount * 0.2) STORED,
    status      text DEFAULT 'open',
    tenant      int
);
CREATE INDEX invoices_amount_idx ON invoices (amount);
CREATE INDEX invoices_open_status_idx ON invoices (lower(status)) WHERE amount > 0;
CREATE STATISTICS invoices_stats (dependencies) ON customer_id, status FROM invoices;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON invoices USING (tenant = 1) WITH CHECK (amount < 1000000);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER invoices_touch BEFORE UPDATE OF amount, status ON invoices
    FOR EACH ROW WHEN (OLD.amount IS DISTINCT FROM NEW.amount) EXECUTE FUNCTION touch();
CREATE TABLE invoice_log (invoice_id int, amount numeric);
CREATE RULE log_big AS ON UPDATE TO invoices WHERE NEW.status = 'paid'
    DO ALSO INSERT INTO invoice_log VALUES (NEW.id, NEW.amount);
-- a view over the generated column: reached through it, at depth 2
CREATE VIEW v_tax AS SELECT id, tax FROM invoices;

SELECT * FROM schemaguard.impact_of('invoices.amount');
SELECT * FROM schemaguard.impact_of('invoices.status');
SELECT * FROM schemaguard.impact_of('customers.id');
SELECT * FROM schemaguard.impact_of('invoice_log');
SELECT * FROM schemaguard.lineage_of('invoices.tax');

-- upkeep: each change below shows in the answer at once
DROP INDEX invoices_amount_idx;
DROP TRIGGER invoices_touch ON invoices;
ALTER TABLE invoices DROP CONSTRAINT invoices_amount_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check CHECK (status <> '');
DROP RULE log_big ON invoices;
SELECT object_type, object_identity, usage FROM schemaguard.impact_of('invoices.amount', 1);

-- a type change rebuilds the indexes (new OIDs) and rewrites the
-- expressions over the column (a rule or policy on it would forbid it)
ALTER TABLE invoices ALTER COLUMN status TYPE varchar(20);
ALTER POLICY tenant_rows ON invoices USING (tenant = 2 AND status <> 'void');
SELECT object_type, object_identity, usage FROM schemaguard.impact_of('invoices.status', 1);

-- a rename changes nothing stored
ALTER TABLE invoices RENAME COLUMN status TO state;
SELECT object_type, object_identity, usage, via FROM schemaguard.impact_of('invoices.state', 1);

-- dropping a column takes what hangs on it; dropping the table everything
ALTER TABLE invoices DROP COLUMN state CASCADE;
SELECT object_type, object_identity, usage FROM schemaguard.impact_of('invoices', 1);
DROP TABLE invoices CASCADE;
SELECT * FROM schemaguard.impact_of('customers');
SELECT count(*) AS edges_left_by_dropped_objects FROM schemaguard.lineage_edge e
WHERE (pg_identify_object(e.dependent_classid, e.dependent_objid, 0)).identity IS NULL;

-- the edges to a generated column go with it; dropping another column
-- leaves them (sql_drop deletes edges to a dropped column only when a
-- generated column's expression is dropped with it)
CREATE TABLE gen_drop (a int, b int, c int GENERATED ALWAYS AS (a + 1) STORED, d int);
CREATE VIEW gen_edges AS
    SELECT e.source_objsubid AS source_col, e.dependent_objsubid AS dependent_col, e.usage
    FROM schemaguard.lineage_edge e
    WHERE e.dependent_classid = 'pg_class'::regclass AND e.dependent_objid = 'gen_drop'::regclass;
SELECT * FROM gen_edges ORDER BY 1, 2;
ALTER TABLE gen_drop DROP COLUMN d;
SELECT * FROM gen_edges ORDER BY 1, 2;
ALTER TABLE gen_drop DROP COLUMN c;
SELECT * FROM gen_edges ORDER BY 1, 2;
ALTER TABLE gen_drop ADD COLUMN e int GENERATED ALWAYS AS (b * 2) STORED;
SELECT * FROM gen_edges ORDER BY 1, 2;
ALTER TABLE gen_drop DROP COLUMN b CASCADE;
SELECT * FROM gen_edges ORDER BY 1, 2;
DROP VIEW gen_edges;
DROP TABLE gen_drop;

-- left for the rebuild test: one of each kind of dependent
CREATE TABLE kept (
    id  int PRIMARY KEY,
    ref int REFERENCES customers,
    v   numeric CHECK (v > 0),
    g   numeric GENERATED ALWAYS AS (v + 1) STORED,
    s   text DEFAULT 'x'
);
CREATE INDEX kept_s_idx ON kept (lower(s)) WHERE v > 1;
CREATE STATISTICS kept_stats ON ref, s FROM kept;
CREATE POLICY kept_rows ON kept USING (s <> '');
CREATE TRIGGER kept_touch BEFORE UPDATE OF v ON kept
    FOR EACH ROW WHEN (NEW.v > 0) EXECUTE FUNCTION touch();
CREATE RULE kept_keep AS ON DELETE TO kept DO ALSO
    INSERT INTO customers VALUES (OLD.ref, OLD.s);
SELECT count(*) AS kept_edges FROM schemaguard.impact_of('kept');
RESET search_path;
