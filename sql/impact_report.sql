--
-- impact_report: a migration script as a Markdown report: per statement the
-- guard's findings, what it changes, the dependents it touches by kind, and
-- the server's evidence of their use; then what it could not know
--
CREATE SCHEMA ir;
SET search_path = ir, public;
CREATE TABLE orders (id int PRIMARY KEY, qty int, price numeric, status text);
INSERT INTO orders SELECT i, i % 7, i * 1.5, 'open' FROM generate_series(1, 3000) i;
ANALYZE orders;
CREATE VIEW totals AS SELECT id, qty * price AS total FROM orders WHERE status <> 'void';
CREATE FUNCTION order_value(p int) RETURNS numeric LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT qty * price FROM ir.orders WHERE id = p); END $$;
CREATE FUNCTION big_orders() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM ir.orders WHERE ir.order_value(id) > 100 $$;
CREATE INDEX orders_qty ON orders (qty);
-- names that Markdown would read as markup
CREATE VIEW "v|with *stars* and `ticks`" AS SELECT qty AS "_q_" FROM orders;

-- evidence: three calls of order_value (PL/pgSQL, counted with
-- track_functions = pl or all), scans of the table and its index
SET track_functions = 'all';
SELECT order_value(1), order_value(2), order_value(3);
SELECT pg_stat_force_next_flush();
SELECT count(*) FROM orders WHERE qty = 3;
SELECT pg_stat_force_next_flush();
SET schemaguard.large_table_threshold = '64kB';
SET lock_timeout = '2s';

-- counters that depend on timing are masked: scans, rows, milliseconds
\pset format unaligned
\pset tuples_only on
SELECT regexp_replace(regexp_replace(
         schemaguard.impact_report($$
    -- first a new table, then changes to an old one
    CREATE TABLE ir.notes (id int, order_id int);
    CREATE INDEX ON ir.notes (order_id);
    ALTER TABLE ir.orders ALTER COLUMN qty TYPE bigint;
    ALTER TABLE ir.orders RENAME COLUMN price TO unit_price;
    DROP FUNCTION ir.order_value(int);
    SELECT 1
$$), '\d+ (sequential scans|index scans|rows written|rows\M)', 'N \1', 'g'),
         '[0-9.]+ ms in all', 'N ms in all', 'g');
\pset format aligned
\pset tuples_only off

-- without function counters
SET track_functions = 'none';
SELECT schemaguard.impact_report('DROP FUNCTION ir.order_value(int)') LIKE
       '%Calls of functions are not counted: track\\_functions is none.%' AS says_untracked;
SET track_functions = 'pl';
SELECT schemaguard.impact_report('DROP FUNCTION ir.order_value(int)') LIKE
       '%Calls of SQL functions are not counted: track\\_functions is pl.%' AS says_pl_only;
RESET track_functions;

-- the report's own queries do not follow the caller's search_path: a
-- round() that fails, found before pg_catalog's, is not called
CREATE FUNCTION ir.round(numeric, integer) RETURNS numeric LANGUAGE sql
    AS 'SELECT 1 / 0';
SET search_path = ir, pg_catalog;
SET track_functions = 'all';
SELECT schemaguard.impact_report('ALTER TABLE orders RENAME COLUMN qty TO q')
       ~ '`ir.order_value\(integer\)` \| 3 calls' AS own_queries_pinned;
RESET track_functions;
SET search_path = ir, public;
DROP FUNCTION ir.round(numeric, integer);

-- only what the caller may see: a dependent view in a schema without
-- USAGE is not listed, and the report says something was left out
CREATE SCHEMA ir_hidden;
CREATE VIEW ir_hidden.secret AS SELECT id, status FROM ir.orders;
CREATE VIEW ir.over_secret AS SELECT status FROM ir_hidden.secret;
CREATE ROLE regress_ir_reader;
GRANT USAGE ON SCHEMA ir TO regress_ir_reader;
SET ROLE regress_ir_reader;
SELECT r LIKE '%ir\_hidden%' AS names_hidden,
       r LIKE '%`ir.over_secret`%' AS shows_visible,
       r LIKE '%reached through objects in schemas you may not see%' AS says_so
FROM schemaguard.impact_report('ALTER TABLE ir.orders DROP COLUMN status') r;
RESET ROLE;

-- a body in the schema that names what does not resolve is said to be
-- unknown
SET check_function_bodies = off;
CREATE FUNCTION ir.broken() RETURNS int LANGUAGE plpgsql
    AS $$ BEGIN RETURN (SELECT count(*) FROM ir.order_lines); END $$;
RESET check_function_bodies;
SELECT r LIKE '%- `function ir.broken()`, in the schema of a changed relation, names what does not resolve%' AS says_unresolved
FROM schemaguard.impact_report('ALTER TABLE ir.orders RENAME TO orders_old') r;

-- errors: the script's syntax error is check_ddl's; NULL
SELECT schemaguard.impact_report('ALTER TABEL ir.orders ADD COLUMN x int');
SELECT schemaguard.impact_report(NULL);

RESET schemaguard.large_table_threshold;
RESET lock_timeout;
DROP SCHEMA ir, ir_hidden CASCADE;
DROP ROLE regress_ir_reader;
