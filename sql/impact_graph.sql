--
-- impact_graph: what impact_of() answers as Graphviz DOT or a Mermaid
-- flowchart (rendered with Graphviz in test/t/051_impact_graph.pl)
--
CREATE SCHEMA ig;
CREATE TABLE ig.orders (id int PRIMARY KEY, qty int, price numeric, status text);
CREATE VIEW ig.totals AS
    SELECT id, qty * price AS total FROM ig.orders WHERE status <> 'void';
CREATE VIEW ig.grand AS SELECT sum(total) AS grand FROM ig.totals;
CREATE FUNCTION ig.order_value(p int) RETURNS numeric LANGUAGE sql STABLE
    AS $$ SELECT qty * price FROM ig.orders WHERE id = p $$;
CREATE FUNCTION ig.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.status := 'changed'; RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE OF qty ON ig.orders
    FOR EACH ROW EXECUTE FUNCTION ig.touch();
CREATE INDEX orders_qty ON ig.orders (qty);
ALTER TABLE ig.orders ADD CONSTRAINT qty_positive CHECK (qty > 0);
ALTER TABLE ig.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY small_orders ON ig.orders USING (qty < 100);

-- impact_of's rows, then the same as pictures
SELECT depth, object_type, object_identity, column_name, usage, via
FROM schemaguard.impact_of('ig.orders.qty');
SELECT schemaguard.impact_graph('ig.orders.qty');
SELECT schemaguard.impact_graph('ig.orders.qty', 'mermaid');
SELECT schemaguard.impact_graph('ig.orders.qty', 'Mermaid', 1);

-- a whole relation: its columns with dependents; one without any: the
-- relation alone
SELECT schemaguard.impact_graph('ig.orders', 'mermaid', 1);
SELECT schemaguard.impact_graph('ig.grand', 'dot');

-- names that need quoting: quotes, spaces, semicolons, backslashes, a
-- newline, and what DOT and Mermaid would read as markup
CREATE SCHEMA "we""ird; s";
CREATE TABLE "we""ird; s"."t a\b&c" ("col
nl" int, "x#y<z>`|;" int);
CREATE VIEW "we""ird; s"."v; DROP TABLE x; --" AS
    SELECT "col
nl" + 1 AS "out""put" FROM "we""ird; s"."t a\b&c" WHERE "x#y<z>`|;" > 0;
CREATE INDEX "idx ""q""" ON "we""ird; s"."t a\b&c" ("col
nl");
SELECT schemaguard.impact_graph('"we""ird; s"."t a\b&c"');
SELECT schemaguard.impact_graph('"we""ird; s"."t a\b&c"', 'mermaid');

-- only what the caller may see: a view in a schema the role has no USAGE
-- on is one anonymous node; what lies beyond it that the role may see is
-- still shown
CREATE SCHEMA ig_hidden;
CREATE VIEW ig_hidden.mid AS SELECT id, qty FROM ig.orders;
CREATE VIEW ig.top AS SELECT qty FROM ig_hidden.mid;
CREATE ROLE regress_ig_reader;
GRANT USAGE ON SCHEMA ig TO regress_ig_reader;
SET ROLE regress_ig_reader;
SELECT schemaguard.impact_graph('ig.orders.qty', 'mermaid');
SELECT schemaguard.impact_graph('ig.orders.qty', 'dot') LIKE '%ig_hidden%' AS names_hidden;
RESET ROLE;

-- errors, and NULL
SELECT schemaguard.impact_graph('ig.orders.qty', 'png');
SELECT schemaguard.impact_graph('ig.orders.qty', NULL);
SELECT schemaguard.impact_graph('ig.orders.qty', 'dot', 0);
SELECT schemaguard.impact_graph('ig.orders.nope');
SELECT schemaguard.impact_graph(NULL) IS NULL AS null_target;

DROP SCHEMA ig, ig_hidden, "we""ird; s" CASCADE;
DROP ROLE regress_ig_reader;
