--
-- names_and_search_path: targets are resolved as PostgreSQL resolves names
--
CREATE SCHEMA sales;
CREATE SCHEMA archive;
CREATE SCHEMA "Mixed Case";

-- the same table name in two schemas, each with its own view
CREATE TABLE sales.invoices (id int, amount numeric);
CREATE TABLE archive.invoices (id int, amount numeric, closed_on date);
CREATE VIEW sales.v_sales AS SELECT amount FROM sales.invoices;
CREATE VIEW archive.v_archive AS SELECT amount, closed_on FROM archive.invoices;

-- names that need quotes
CREATE TABLE "Mixed Case"."Invoice Lines" ("Qty" int, qty int, "unit.price" numeric);
CREATE VIEW "Mixed Case"."Line Totals" AS
    SELECT "Qty" * "unit.price" AS "Line Total", qty AS lower_qty FROM "Mixed Case"."Invoice Lines";

-- the search_path decides which "invoices"
SET search_path = sales, public;
SELECT object_identity, column_name FROM schemaguard.impact_of('invoices.amount');
SET search_path = archive, public;
SELECT object_identity, column_name FROM schemaguard.impact_of('invoices.amount');
-- schema-qualified names ignore it, unquoted names are folded to lower case
SELECT object_identity, column_name FROM schemaguard.impact_of('SALES.Invoices.AMOUNT');
-- relation.column first; schema.relation (all columns) when no such column
SELECT object_identity, column_name FROM schemaguard.impact_of('invoices.closed_on');
SELECT object_identity, column_name FROM schemaguard.impact_of('sales.invoices');
-- a bare relation means every column of it
SELECT object_identity, column_name, via FROM schemaguard.impact_of('invoices');

-- quoted identifiers: case, spaces and dots kept; quoting in the output
SET search_path = "Mixed Case", public;
SELECT * FROM schemaguard.impact_of('"Invoice Lines"."Qty"');
SELECT * FROM schemaguard.impact_of('"Invoice Lines".qty');
SELECT * FROM schemaguard.impact_of('"Invoice Lines"."unit.price"');
SELECT * FROM schemaguard.impact_of('"Mixed Case"."Invoice Lines"."Qty"');
SELECT * FROM schemaguard.lineage_of('"Line Totals"."Line Total"');
-- spaces around the dots are allowed, as in SQL
SELECT count(*) FROM schemaguard.impact_of(' "Invoice Lines" . "Qty" ');
-- unquoted names are folded: Qty is the lower-case column qty
SELECT object_identity, column_name FROM schemaguard.impact_of('"Invoice Lines".Qty');
SELECT * FROM schemaguard.impact_of('"Invoice Lines".QTY_missing');
-- a name with a space must be quoted
SELECT * FROM schemaguard.impact_of('Invoice Lines.Qty');

-- a schema off the search_path is not searched
SET search_path = public;
SELECT * FROM schemaguard.impact_of('invoices.amount');
RESET search_path;
