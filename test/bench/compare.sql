-- test/bench/compare.sql: what schemaguard, plpgsql_check and pg_depend
-- find in function bodies, on the same small case database.
--
--   bash test/bench/compare.sh          (runs this file; see docs/comparison.md)
--
-- Needs a fresh database of a cluster where schemaguard and plpgsql_check
-- are installed (postgresql-15-plpgsql-check).  It creates schema "shop"
-- (the cases) and schema "cmp" (the expected truth and the findings), then
-- prints:
--   1. the case list;
--   2. per case and per referenced column / relation / function: what is
--      expected, and what each tool reports, with MISS and FALSE marks;
--   3. a summary per tool;
--   4. whether rebuild() stores what incremental upkeep stored;
--   5. impact_of('shop.orders.amount') and a lineage_of(), as examples;
--   6. what schemaguard.unresolved_references() reports after the run.
-- The comparison runs after a rebuild() (the lineage of the catalog as it
-- is), except section 4, which compares the two.
--
-- The expected truth (cmp.truth) was written by reading each body, in
-- schemaguard's vocabulary (docs/lineage.md): read usages (identity,
-- transformation, aggregation, filter, join, group_by, sort, conditional),
-- write, call, dynamic (a relation named by dynamic SQL whose columns are
-- not knowable).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS plpgsql_check;
CREATE EXTENSION IF NOT EXISTS schemaguard;

-- ---------------------------------------------------------------------------
-- The cases.  Created with the extension present: event-trigger upkeep
-- records each one as it is created.
-- ---------------------------------------------------------------------------
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, name text, email text, region text, credit numeric);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int, amount numeric, status text,
                          created_at timestamptz, note text);
CREATE TABLE shop.order_audit (order_id int, old_amount numeric, new_amount numeric, changed_at timestamptz);
CREATE TABLE shop.stats (region text PRIMARY KEY, total numeric, n int);
CREATE TABLE shop.archive (id int, amount numeric, status text);

-- S1: SQL, string body, named parameter
CREATE FUNCTION shop.order_total(cust int) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT sum(amount) FROM shop.orders WHERE customer_id = cust AND status <> 'void'
$$;
-- S2: SQL, string body, $n parameter
CREATE FUNCTION shop.customer_contact(int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT name || ' <' || email || '>' FROM shop.customers WHERE id = $1
$$;
-- S3: SQL function, BEGIN ATOMIC, UPDATE then SELECT
CREATE FUNCTION shop.close_order(p_id int) RETURNS numeric LANGUAGE sql
BEGIN ATOMIC
  UPDATE shop.orders SET status = 'closed' WHERE id = p_id;
  SELECT amount FROM shop.orders WHERE id = p_id;
END;
-- S4: SQL procedure, BEGIN ATOMIC, INSERT ... SELECT and DELETE
CREATE PROCEDURE shop.archive_closed() LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO shop.archive (id, amount, status)
    SELECT id, amount, status FROM shop.orders WHERE status = 'closed';
  DELETE FROM shop.orders WHERE status = 'closed';
END;
-- S5: SQL, string body, calls two functions
CREATE FUNCTION shop.customer_label(c int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT shop.customer_contact(c) || ': ' || coalesce(shop.order_total(c), 0)
$$;
-- S6: SQL, RETURN expression calling a function
CREATE FUNCTION shop.with_tax(c int) RETURNS numeric LANGUAGE sql STABLE
RETURN shop.order_total(c) * 1.2;

-- P1: SELECT INTO, IF
CREATE FUNCTION shop.customer_credit(p_id int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE v numeric;
BEGIN
  SELECT credit INTO v FROM shop.customers WHERE id = p_id;
  IF v < 0 THEN RAISE NOTICE 'negative credit'; END IF;
  RETURN v;
END $$;
-- P2: procedure, UPDATE / INSERT ... SELECT / DELETE
CREATE PROCEDURE shop.reprice(pct numeric) LANGUAGE plpgsql AS $$
BEGIN
  UPDATE shop.orders SET amount = amount * (1 + pct) WHERE status = 'open';
  INSERT INTO shop.order_audit (order_id, new_amount, changed_at)
    SELECT id, amount, now() FROM shop.orders WHERE status = 'open';
  DELETE FROM shop.archive WHERE amount = 0;
END $$;
-- P3: MERGE
CREATE FUNCTION shop.refresh_stats() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  MERGE INTO shop.stats s
  USING (SELECT c.region, sum(o.amount) AS t, count(*) AS n
         FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id
         GROUP BY c.region) x
  ON s.region = x.region
  WHEN MATCHED THEN UPDATE SET total = x.t, n = x.n
  WHEN NOT MATCHED THEN INSERT (region, total, n) VALUES (x.region, x.t, x.n);
END $$;
-- P4: RETURN QUERY
CREATE FUNCTION shop.region_totals(p_region text) RETURNS TABLE (cust_name text, total numeric)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT c.name, sum(o.amount)
               FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id
               WHERE c.region = p_region GROUP BY c.name;
END $$;
-- P5: FOR over a query (record variable)
CREATE FUNCTION shop.open_amount() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE r record; total numeric := 0;
BEGIN
  FOR r IN SELECT id, amount FROM shop.orders WHERE status = 'open' LOOP
    total := total + r.amount;
  END LOOP;
  RETURN total;
END $$;
-- P6: bound cursor with an argument, FETCH, UPDATE ... WHERE CURRENT OF
CREATE FUNCTION shop.normalize_emails(p_region text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  cur CURSOR (reg text) FOR SELECT id, email FROM shop.customers WHERE region = reg FOR UPDATE;
  rec record;
  k int := 0;
BEGIN
  OPEN cur(p_region);
  LOOP
    FETCH cur INTO rec;
    EXIT WHEN NOT FOUND;
    UPDATE shop.customers SET email = lower(rec.email) WHERE CURRENT OF cur;
    k := k + 1;
  END LOOP;
  CLOSE cur;
  RETURN k;
END $$;
-- P7: refcursor, OPEN ... FOR query, returned to the caller
CREATE FUNCTION shop.orders_of(p_cust int) RETURNS refcursor LANGUAGE plpgsql AS $$
DECLARE c refcursor;
BEGIN
  OPEN c FOR SELECT id, amount FROM shop.orders WHERE customer_id = p_cust ORDER BY id;
  RETURN c;
END $$;
-- P8: CTE feeding an UPDATE ... FROM
CREATE FUNCTION shop.credit_from_orders(lim numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH big AS (SELECT customer_id, sum(amount) AS s FROM shop.orders
               GROUP BY customer_id HAVING sum(amount) > lim)
  UPDATE shop.customers c SET credit = big.s FROM big WHERE c.id = big.customer_id;
END $$;
-- P9: a parameter named like a column, #variable_conflict use_variable
CREATE FUNCTION shop.set_credit(p_id int, credit numeric) RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
  UPDATE shop.customers SET credit = credit WHERE id = p_id;
END $$;
-- P10: trigger function, NEW/OLD, attached to one table
CREATE FUNCTION shop.orders_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount IS DISTINCT FROM OLD.amount THEN
    INSERT INTO shop.order_audit (order_id, old_amount, new_amount, changed_at)
    VALUES (NEW.id, OLD.amount, NEW.amount, now());
  END IF;
  NEW.note := coalesce(NEW.note, '') || ' changed';
  RETURN NEW;
END $$;
CREATE TRIGGER orders_audit BEFORE UPDATE ON shop.orders
  FOR EACH ROW EXECUTE FUNCTION shop.orders_audit();
-- P11: EXECUTE of a string literal
CREATE FUNCTION shop.void_notes() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'UPDATE shop.orders SET note = ''void'' WHERE status = ''void''';
END $$;
-- P12: EXECUTE format() with a variable identifier
CREATE FUNCTION shop.clear_order_field(col text, p_id int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE shop.orders SET %I = NULL WHERE id = $1', col) USING p_id;
END $$;
-- P13: EXECUTE of a concatenated string
CREATE FUNCTION shop.purge_archive(s text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM shop.archive WHERE status = ' || quote_literal(s);
END $$;
-- P14: calls other functions (assignments, RETURN expression)
CREATE FUNCTION shop.customer_report(p_id int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t numeric; c numeric;
BEGIN
  t := shop.order_total(p_id);
  c := shop.customer_credit(p_id);
  RETURN shop.customer_contact(p_id) || ' ' || t || '/' || c;
END $$;
-- P15: PERFORM of a query and of a function call
CREATE FUNCTION shop.lock_order(p_id int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM shop.orders WHERE id = p_id FOR UPDATE;
  PERFORM shop.customer_credit(p_id);
END $$;
-- P16: CALL of a procedure
CREATE PROCEDURE shop.nightly() LANGUAGE plpgsql AS $$
BEGIN
  CALL shop.archive_closed();
END $$;
-- P17: SET search_path, unqualified table names
CREATE FUNCTION shop.mark_void(p_id int) RETURNS void LANGUAGE plpgsql
SET search_path = shop, pg_temp AS $$
BEGIN
  UPDATE orders SET note = 'void' WHERE id = p_id AND status = 'open';
END $$;
-- P18: an OUT parameter before the IN parameter
CREATE FUNCTION shop.total_since(OUT total numeric, IN since timestamptz) LANGUAGE plpgsql AS $$
BEGIN
  total := 0;
  SELECT total + sum(amount) INTO total FROM shop.orders WHERE created_at >= since;
END $$;
-- P19: no SET search_path, created by a session whose search_path is shop
SET search_path = shop;
CREATE FUNCTION shop.flag_big(lim numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orders SET note = 'big' WHERE amount > lim;
END $$;
RESET search_path;

-- V1: a view calling a function
CREATE VIEW shop.customer_overview AS
  SELECT id, name, shop.order_total(id) AS total FROM shop.customers;

-- what incremental upkeep stored, kept for section 4
CREATE SCHEMA cmp;
CREATE TABLE cmp.upkeep_edges AS SELECT * FROM schemaguard.lineage_edge;

-- ---------------------------------------------------------------------------
-- The case list: id, object, what it exercises, trigger table (for
-- plpgsql_check's relid argument).
-- ---------------------------------------------------------------------------
CREATE TABLE cmp.cases (
    case_id text PRIMARY KEY,
    classid regclass NOT NULL,
    objid oid NOT NULL,
    label text NOT NULL,
    what text NOT NULL,
    trigger_table regclass
);
INSERT INTO cmp.cases (case_id, classid, objid, label, what, trigger_table)
SELECT v.case_id, 'pg_proc', v.fn::regprocedure, v.fn, v.what, v.tt::regclass
FROM (VALUES
    ('S1', 'shop.order_total(integer)', 'SQL, string body, named parameter', NULL),
    ('S2', 'shop.customer_contact(integer)', 'SQL, string body, $1 parameter', NULL),
    ('S3', 'shop.close_order(integer)', 'SQL, BEGIN ATOMIC: UPDATE, SELECT', NULL),
    ('S4', 'shop.archive_closed()', 'SQL procedure, BEGIN ATOMIC: INSERT ... SELECT, DELETE', NULL),
    ('S5', 'shop.customer_label(integer)', 'SQL, string body, calls S1 and S2', NULL),
    ('S6', 'shop.with_tax(integer)', 'SQL, RETURN expression, calls S1', NULL),
    ('P1', 'shop.customer_credit(integer)', 'PL/pgSQL: SELECT INTO, IF', NULL),
    ('P2', 'shop.reprice(numeric)', 'PL/pgSQL procedure: UPDATE, INSERT ... SELECT, DELETE', NULL),
    ('P3', 'shop.refresh_stats()', 'PL/pgSQL: MERGE from an aggregate subquery', NULL),
    ('P4', 'shop.region_totals(text)', 'PL/pgSQL: RETURN QUERY (join, GROUP BY)', NULL),
    ('P5', 'shop.open_amount()', 'PL/pgSQL: FOR r IN query LOOP, record variable', NULL),
    ('P6', 'shop.normalize_emails(text)', 'PL/pgSQL: bound cursor with argument, FETCH, UPDATE WHERE CURRENT OF', NULL),
    ('P7', 'shop.orders_of(integer)', 'PL/pgSQL: refcursor, OPEN FOR query', NULL),
    ('P8', 'shop.credit_from_orders(numeric)', 'PL/pgSQL: CTE feeding UPDATE ... FROM', NULL),
    ('P9', 'shop.set_credit(integer,numeric)', 'PL/pgSQL: parameter named like a column, #variable_conflict use_variable', NULL),
    ('P10', 'shop.orders_audit()', 'PL/pgSQL trigger function: NEW/OLD, NEW.col :=, one table', 'shop.orders'),
    ('P11', 'shop.void_notes()', 'PL/pgSQL: EXECUTE of a string literal', NULL),
    ('P12', 'shop.clear_order_field(text,integer)', 'PL/pgSQL: EXECUTE format() with a variable %I', NULL),
    ('P13', 'shop.purge_archive(text)', 'PL/pgSQL: EXECUTE of a concatenated string', NULL),
    ('P14', 'shop.customer_report(integer)', 'PL/pgSQL: calls S1, S2, P1 (assignments, RETURN)', NULL),
    ('P15', 'shop.lock_order(integer)', 'PL/pgSQL: PERFORM of a query, PERFORM of a call', NULL),
    ('P16', 'shop.nightly()', 'PL/pgSQL procedure: CALL of S4', NULL),
    ('P17', 'shop.mark_void(integer)', 'PL/pgSQL: SET search_path = shop, unqualified names', NULL),
    ('P18', 'shop.total_since(timestamp with time zone)', 'PL/pgSQL: OUT parameter declared before the IN parameter', NULL),
    ('P19', 'shop.flag_big(numeric)', 'PL/pgSQL: unqualified names, created with search_path = shop, no SET', NULL)
) v(case_id, fn, what, tt);
INSERT INTO cmp.cases (case_id, classid, objid, label, what)
VALUES ('V1', 'pg_class', 'shop.customer_overview'::regclass, 'shop.customer_overview',
        'view whose column calls S1');

-- ---------------------------------------------------------------------------
-- The expected truth: per case, each column (schema.table.column), relation
-- (schema.table, for dynamic SQL) or function (regprocedure text) the body
-- uses, and how.  One row per usage.
-- ---------------------------------------------------------------------------
CREATE TABLE cmp.truth (case_id text NOT NULL REFERENCES cmp.cases, target text NOT NULL,
                        usage text NOT NULL);
INSERT INTO cmp.truth VALUES
    ('S1', 'shop.orders.amount', 'aggregation'),
    ('S1', 'shop.orders.customer_id', 'filter'),
    ('S1', 'shop.orders.status', 'filter'),
    ('S2', 'shop.customers.name', 'transformation'),
    ('S2', 'shop.customers.email', 'transformation'),
    ('S2', 'shop.customers.id', 'filter'),
    ('S3', 'shop.orders.status', 'write'),
    ('S3', 'shop.orders.id', 'filter'),
    ('S3', 'shop.orders.amount', 'identity'),
    ('S4', 'shop.archive.id', 'write'),
    ('S4', 'shop.archive.amount', 'write'),
    ('S4', 'shop.archive.status', 'write'),
    ('S4', 'shop.orders.id', 'identity'),
    ('S4', 'shop.orders.amount', 'identity'),
    ('S4', 'shop.orders.status', 'identity'),
    ('S4', 'shop.orders.status', 'filter'),
    ('S5', 'shop.customer_contact(integer)', 'call'),
    ('S5', 'shop.order_total(integer)', 'call'),
    ('S6', 'shop.order_total(integer)', 'call'),
    ('P1', 'shop.customers.credit', 'identity'),
    ('P1', 'shop.customers.id', 'filter'),
    ('P2', 'shop.orders.amount', 'write'),
    ('P2', 'shop.orders.amount', 'transformation'),
    ('P2', 'shop.orders.amount', 'identity'),
    ('P2', 'shop.orders.status', 'filter'),
    ('P2', 'shop.orders.id', 'identity'),
    ('P2', 'shop.order_audit.order_id', 'write'),
    ('P2', 'shop.order_audit.new_amount', 'write'),
    ('P2', 'shop.order_audit.changed_at', 'write'),
    ('P2', 'shop.archive.amount', 'filter'),
    ('P3', 'shop.stats.region', 'join'),
    ('P3', 'shop.stats.region', 'write'),
    ('P3', 'shop.stats.total', 'write'),
    ('P3', 'shop.stats.n', 'write'),
    ('P3', 'shop.customers.region', 'identity'),
    ('P3', 'shop.customers.region', 'group_by'),
    ('P3', 'shop.customers.region', 'join'),
    ('P3', 'shop.customers.id', 'join'),
    ('P3', 'shop.orders.customer_id', 'join'),
    ('P3', 'shop.orders.amount', 'aggregation'),
    ('P4', 'shop.customers.name', 'identity'),
    ('P4', 'shop.customers.name', 'group_by'),
    ('P4', 'shop.customers.region', 'filter'),
    ('P4', 'shop.customers.id', 'join'),
    ('P4', 'shop.orders.customer_id', 'join'),
    ('P4', 'shop.orders.amount', 'aggregation'),
    ('P5', 'shop.orders.id', 'identity'),
    ('P5', 'shop.orders.amount', 'identity'),
    ('P5', 'shop.orders.status', 'filter'),
    ('P6', 'shop.customers.id', 'identity'),
    ('P6', 'shop.customers.email', 'identity'),
    ('P6', 'shop.customers.email', 'write'),
    ('P6', 'shop.customers.region', 'filter'),
    ('P7', 'shop.orders.id', 'identity'),
    ('P7', 'shop.orders.id', 'sort'),
    ('P7', 'shop.orders.amount', 'identity'),
    ('P7', 'shop.orders.customer_id', 'filter'),
    ('P8', 'shop.orders.customer_id', 'group_by'),
    ('P8', 'shop.orders.customer_id', 'join'),
    ('P8', 'shop.orders.amount', 'aggregation'),
    ('P8', 'shop.orders.amount', 'filter'),
    ('P8', 'shop.customers.id', 'join'),
    ('P8', 'shop.customers.credit', 'write'),
    ('P9', 'shop.customers.credit', 'write'),
    ('P9', 'shop.customers.id', 'filter'),
    ('P10', 'shop.orders.amount', 'conditional'),
    ('P10', 'shop.orders.amount', 'identity'),
    ('P10', 'shop.orders.id', 'identity'),
    ('P10', 'shop.orders.note', 'transformation'),
    ('P10', 'shop.orders.note', 'write'),
    ('P10', 'shop.order_audit.order_id', 'write'),
    ('P10', 'shop.order_audit.old_amount', 'write'),
    ('P10', 'shop.order_audit.new_amount', 'write'),
    ('P10', 'shop.order_audit.changed_at', 'write'),
    ('P11', 'shop.orders.note', 'write'),
    ('P11', 'shop.orders.status', 'filter'),
    ('P12', 'shop.orders', 'dynamic'),
    ('P12', 'shop.orders.id', 'filter'),
    ('P13', 'shop.archive.status', 'filter'),
    ('P14', 'shop.order_total(integer)', 'call'),
    ('P14', 'shop.customer_credit(integer)', 'call'),
    ('P14', 'shop.customer_contact(integer)', 'call'),
    ('P15', 'shop.orders.id', 'filter'),
    ('P15', 'shop.customer_credit(integer)', 'call'),
    ('P16', 'shop.archive_closed()', 'call'),
    ('P17', 'shop.orders.note', 'write'),
    ('P17', 'shop.orders.id', 'filter'),
    ('P17', 'shop.orders.status', 'filter'),
    ('P18', 'shop.orders.amount', 'aggregation'),
    ('P18', 'shop.orders.created_at', 'filter'),
    -- P19: what the body touches for the callers it was written for
    -- (search_path = shop); with the default search_path nothing resolves
    ('P19', 'shop.orders.note', 'write'),
    ('P19', 'shop.orders.amount', 'filter'),
    ('V1', 'shop.customers.id', 'identity'),
    ('V1', 'shop.customers.id', 'transformation'),
    ('V1', 'shop.customers.name', 'identity'),
    ('V1', 'shop.order_total(integer)', 'call');

-- the truth's targets as pg_identify_object identities (what impact_of's
-- "via" shows), with the object address of each
CREATE VIEW cmp.truth_target AS
SELECT DISTINCT t.case_id, t.target,
       a.classid, a.objid, a.objsubid,
       (pg_identify_object(a.classid, a.objid, a.objsubid)).identity AS ident
FROM cmp.truth t,
     LATERAL (SELECT CASE WHEN t.target LIKE '%(%' THEN 'pg_proc'::regclass::oid
                          ELSE 'pg_class'::regclass::oid END AS classid,
                     CASE WHEN t.target LIKE '%(%' THEN t.target::regprocedure::oid
                          WHEN t.target ~ '^[^.]+\.[^.]+$' THEN t.target::regclass::oid
                          ELSE regexp_replace(t.target, '\.[^.]+$', '')::regclass::oid END AS objid,
                     CASE WHEN t.target ~ '^[^.]+\.[^.]+\.[^.]+$'
                          THEN (SELECT attnum FROM pg_attribute
                                WHERE attrelid = regexp_replace(t.target, '\.[^.]+$', '')::regclass
                                  AND attname = regexp_replace(t.target, '^.*\.', ''))::int
                          ELSE 0 END AS objsubid) a;

-- ---------------------------------------------------------------------------
-- The findings, normalized to (case, classid, objid, objsubid, usage):
-- a column (pg_class, rel, attnum), a relation (pg_class, rel, 0) or a
-- function (pg_proc, oid, 0).
-- ---------------------------------------------------------------------------
SELECT schemaguard.rebuild() AS edges_after_rebuild \gset

-- (a) schemaguard: impact_of() on every column of every shop table, the
-- rows whose dependent is a case; depth 1 for the columns it reads or
-- writes, "call" rows at any depth for the functions it calls.
CREATE TABLE cmp.found_schemaguard AS
WITH cols AS (
    SELECT c.oid AS relid, a.attnum, format('%I.%I.%I', n.nspname, c.relname, a.attname) AS target
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'shop' AND c.relkind = 'r'
), rows AS (
    SELECT cols.relid, cols.attnum, i.*
    FROM cols, schemaguard.impact_of(cols.target) i
), cases AS (
    SELECT k.*, (pg_identify_object(k.classid, k.objid, 0)).identity AS ident,
           (pg_identify_object(k.classid, k.objid, 0)).type AS type
    FROM cmp.cases k
)
SELECT DISTINCT k.case_id, 'pg_class'::regclass::oid AS classid, r.relid AS objid,
       CASE WHEN r.usage = 'dynamic' THEN 0 ELSE r.attnum END AS objsubid, r.usage
FROM rows r JOIN cases k ON k.ident = r.object_identity AND k.type = r.object_type
WHERE r.depth = 1
UNION
SELECT DISTINCT k.case_id, 'pg_proc'::regclass::oid, p.oid, 0, r.usage
FROM rows r JOIN cases k ON k.ident = r.object_identity AND k.type = r.object_type
JOIN pg_proc p ON (pg_identify_object('pg_proc'::regclass, p.oid, 0)).identity = r.via
WHERE r.usage = 'call' AND p.pronamespace = 'shop'::regnamespace;

-- (b) plpgsql_check: plpgsql_show_dependency_tb(funcoid, relid) of every
-- PL/pgSQL case (it reads PL/pgSQL only); relations and functions, no columns
CREATE TABLE cmp.found_plpgsql_check AS
SELECT k.case_id,
       CASE WHEN d.type = 'RELATION' THEN 'pg_class'::regclass::oid ELSE 'pg_proc'::regclass::oid END AS classid,
       d.oid AS objid, 0 AS objsubid, lower(d.type) AS usage
FROM cmp.cases k
JOIN pg_proc p ON k.classid = 'pg_proc'::regclass AND p.oid = k.objid
JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql',
     LATERAL plpgsql_show_dependency_tb(k.objid::regprocedure, coalesce(k.trigger_table, 0)) d
WHERE d.type IN ('RELATION', 'FUNCTION', 'PROCEDURE');

-- (c) pg_depend: what the case object (a function; for a view, its _RETURN
-- rule) depends on: relations, columns, functions (not types, schemas,
-- languages)
CREATE TABLE cmp.found_pg_depend AS
SELECT DISTINCT k.case_id, d.refclassid AS classid, d.refobjid AS objid, d.refobjsubid AS objsubid,
       'depend'::text AS usage
FROM cmp.cases k
JOIN pg_depend d ON (k.classid = 'pg_proc'::regclass AND d.classid = 'pg_proc'::regclass AND d.objid = k.objid)
                 OR (k.classid = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass
                     AND d.objid IN (SELECT oid FROM pg_rewrite WHERE ev_class = k.objid))
WHERE d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
  AND NOT (k.classid = 'pg_class'::regclass AND d.refobjid = k.objid)
  AND d.refobjid >= 16384;

-- ---------------------------------------------------------------------------
-- The comparison.  Per case and expected target:
--   schemaguard: the usages it reports for the target (a column counts as
--     found at relation level when the relation has a "dynamic" edge);
--     "ok" if the usages are the expected ones, "usage differs" if not,
--     MISS if nothing;
--   plpgsql_check, pg_depend: "column" (found at column level), "table"
--     (only its relation is listed), "yes" (a function or relation target
--     listed), MISS; "n/a" where the tool does not read that kind of body.
-- Then one row per finding that matches no expected target: FALSE.
-- ---------------------------------------------------------------------------
CREATE VIEW cmp.comparison AS
WITH expected AS (
    SELECT t.case_id, t.target, tt.classid, tt.objid, tt.objsubid, tt.ident,
           string_agg(t.usage, ', ' ORDER BY t.usage) AS usages
    FROM cmp.truth t JOIN cmp.truth_target tt USING (case_id, target)
    GROUP BY 1, 2, 3, 4, 5, 6
), sg AS (
    SELECT e.case_id, e.target,
           (SELECT string_agg(f.usage, ', ' ORDER BY f.usage) FROM cmp.found_schemaguard f
            WHERE f.case_id = e.case_id AND f.classid = e.classid AND f.objid = e.objid
              AND f.objsubid = e.objsubid) AS col_usages,
           EXISTS (SELECT FROM cmp.found_schemaguard f
                   WHERE f.case_id = e.case_id AND f.classid = e.classid AND f.objid = e.objid
                     AND f.objsubid = 0 AND f.usage = 'dynamic') AS rel_dynamic
    FROM expected e
), plain AS (
    SELECT e.*,
           CASE WHEN sg.col_usages IS NULL AND sg.rel_dynamic THEN 'dynamic (table)'
                WHEN sg.col_usages IS NULL THEN 'MISS'
                WHEN sg.col_usages = e.usages THEN 'ok: ' || sg.col_usages
                ELSE 'usage differs: ' || sg.col_usages END AS schemaguard,
           CASE WHEN NOT EXISTS (SELECT FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                                 JOIN cmp.cases k ON k.case_id = e.case_id
                                 WHERE k.classid = 'pg_proc'::regclass AND p.oid = k.objid
                                   AND l.lanname = 'plpgsql') THEN 'n/a'
                ELSE (SELECT CASE WHEN bool_or(f.objsubid = e.objsubid AND e.objsubid <> 0) THEN 'column'
                                  WHEN bool_or(f.objsubid = 0) AND e.objsubid <> 0 THEN 'table'
                                  WHEN count(*) > 0 THEN 'yes' ELSE 'MISS' END
                      FROM cmp.found_plpgsql_check f
                      WHERE f.case_id = e.case_id AND f.classid = e.classid AND f.objid = e.objid) END
               AS plpgsql_check,
           (SELECT CASE WHEN bool_or(f.objsubid = e.objsubid AND e.objsubid <> 0) THEN 'column'
                        WHEN bool_or(f.objsubid = 0) AND e.objsubid <> 0 THEN 'table'
                        WHEN count(*) > 0 THEN 'yes' ELSE 'MISS' END
            FROM cmp.found_pg_depend f
            WHERE f.case_id = e.case_id AND f.classid = e.classid AND f.objid = e.objid
              AND (f.objsubid = e.objsubid OR f.objsubid = 0)) AS pg_depend
    FROM expected e JOIN sg USING (case_id, target)
), falses AS (
    -- findings on no expected target: for schemaguard at column level (a
    -- relation-level "dynamic" on an expected relation is not false), for
    -- the others at the level they report
    SELECT f.case_id, 'schemaguard' AS tool,
           (pg_identify_object(f.classid, f.objid, f.objsubid)).identity AS target,
           string_agg(f.usage, ', ' ORDER BY f.usage) AS usages
    FROM cmp.found_schemaguard f
    WHERE NOT EXISTS (SELECT FROM cmp.truth_target t
                      WHERE t.case_id = f.case_id AND t.classid = f.classid AND t.objid = f.objid
                        AND (t.objsubid = f.objsubid OR f.objsubid = 0))
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT f.case_id, 'plpgsql_check', (pg_identify_object(f.classid, f.objid, 0)).identity, f.usage
    FROM cmp.found_plpgsql_check f
    WHERE NOT EXISTS (SELECT FROM cmp.truth_target t
                      WHERE t.case_id = f.case_id AND t.classid = f.classid AND t.objid = f.objid)
    UNION ALL
    SELECT f.case_id, 'pg_depend', (pg_identify_object(f.classid, f.objid, f.objsubid)).identity, f.usage
    FROM cmp.found_pg_depend f
    WHERE NOT EXISTS (SELECT FROM cmp.truth_target t
                      WHERE t.case_id = f.case_id AND t.classid = f.classid AND t.objid = f.objid
                        AND (t.objsubid = f.objsubid OR f.objsubid = 0))
)
SELECT case_id, target, usages AS expected, schemaguard, plpgsql_check, pg_depend
FROM plain
UNION ALL
SELECT case_id, target, '(not expected)',
       CASE WHEN tool = 'schemaguard' THEN 'FALSE: ' || usages ELSE '' END,
       CASE WHEN tool = 'plpgsql_check' THEN 'FALSE' ELSE '' END,
       CASE WHEN tool = 'pg_depend' THEN 'FALSE' ELSE '' END
FROM falses;

-- ---------------------------------------------------------------------------
-- Output
-- ---------------------------------------------------------------------------
\pset footer off
\pset title '1. The cases'
SELECT case_id AS "case", label AS object, what FROM cmp.cases
ORDER BY position(left(case_id, 1) IN 'SPV'), substr(case_id, 2)::int;

\pset title '2. Per case and target: expected, and what each tool reports'
SELECT c.case_id AS "case", c.target, c.expected, c.schemaguard, c.plpgsql_check, c.pg_depend
FROM cmp.comparison c
ORDER BY position(left(c.case_id, 1) IN 'SPV'), substr(c.case_id, 2)::int, c.expected = '(not expected)', c.target;

\pset title '3. Summary per tool (a target = one expected column, relation or function of one case)'
WITH c AS (SELECT * FROM cmp.comparison WHERE expected <> '(not expected)')
SELECT tool, targets, found_column, found_table_or_function, missed, not_applicable, false_findings, usage_exact
FROM (
    SELECT 1 AS o, 'schemaguard' AS tool, count(*) AS targets,
           count(*) FILTER (WHERE (schemaguard LIKE 'ok%' OR schemaguard LIKE 'usage%')
                            AND target ~ '^[^.(]+\.[^.(]+\.[^.(]+$') AS found_column,
           count(*) FILTER (WHERE schemaguard = 'dynamic (table)'
                            OR ((schemaguard LIKE 'ok%' OR schemaguard LIKE 'usage%')
                                AND target !~ '^[^.(]+\.[^.(]+\.[^.(]+$')) AS found_table_or_function,
           count(*) FILTER (WHERE schemaguard = 'MISS') AS missed,
           0::bigint AS not_applicable,
           (SELECT count(*) FROM cmp.comparison WHERE schemaguard LIKE 'FALSE%') AS false_findings,
           count(*) FILTER (WHERE schemaguard LIKE 'ok%')::text AS usage_exact
    FROM c
    UNION ALL
    SELECT 2, 'plpgsql_check', count(*) FILTER (WHERE plpgsql_check <> 'n/a'),
           count(*) FILTER (WHERE plpgsql_check = 'column'),
           count(*) FILTER (WHERE plpgsql_check IN ('table', 'yes')),
           count(*) FILTER (WHERE plpgsql_check = 'MISS'),
           count(*) FILTER (WHERE plpgsql_check = 'n/a'),
           (SELECT count(*) FROM cmp.comparison WHERE plpgsql_check = 'FALSE'), 'no usages'
    FROM c
    UNION ALL
    SELECT 3, 'pg_depend', count(*),
           count(*) FILTER (WHERE pg_depend = 'column'),
           count(*) FILTER (WHERE pg_depend IN ('table', 'yes')),
           count(*) FILTER (WHERE pg_depend = 'MISS'), 0,
           (SELECT count(*) FROM cmp.comparison WHERE pg_depend = 'FALSE'), 'no usages'
    FROM c
) s ORDER BY o;

\pset title '3b. Per case: targets expected / missed (schemaguard, plpgsql_check, pg_depend)'
SELECT case_id AS "case", count(*) FILTER (WHERE expected <> '(not expected)') AS targets,
       count(*) FILTER (WHERE schemaguard = 'MISS') AS sg_miss,
       count(*) FILTER (WHERE schemaguard LIKE 'usage%') AS sg_usage_differs,
       count(*) FILTER (WHERE schemaguard LIKE 'FALSE%') AS sg_false,
       CASE WHEN bool_and(plpgsql_check IN ('n/a', '')) THEN 'n/a'
            ELSE (count(*) FILTER (WHERE plpgsql_check = 'MISS'))::text END AS pc_miss,
       count(*) FILTER (WHERE plpgsql_check = 'FALSE') AS pc_false,
       count(*) FILTER (WHERE pg_depend = 'MISS') AS pd_miss,
       count(*) FILTER (WHERE pg_depend = 'FALSE') AS pd_false
FROM cmp.comparison GROUP BY case_id
ORDER BY position(left(case_id, 1) IN 'SPV'), substr(case_id, 2)::int;

-- ---------------------------------------------------------------------------
-- 4. rebuild() against incremental upkeep
-- ---------------------------------------------------------------------------
\pset title '4. Edges of the cases that upkeep stored and rebuild() did not (-), or the reverse (+)'
WITH up AS (SELECT * FROM cmp.upkeep_edges), rb AS (SELECT * FROM schemaguard.lineage_edge),
diff AS (
    (SELECT '-' AS side, * FROM up EXCEPT SELECT '-', * FROM rb)
    UNION ALL
    (SELECT '+', * FROM rb EXCEPT SELECT '+', * FROM up)
)
SELECT d.side, k.case_id AS "case",
       (pg_identify_object(d.source_classid, d.source_objid, d.source_objsubid)).identity AS source,
       d.usage
FROM diff d JOIN cmp.cases k ON k.classid = d.dependent_classid AND k.objid = d.dependent_objid
ORDER BY 2, 1, 3, 4;

-- ---------------------------------------------------------------------------
-- 5. Examples
-- ---------------------------------------------------------------------------
\pset title '5a. SELECT * FROM schemaguard.impact_of(''shop.orders.amount'')'
SELECT * FROM schemaguard.impact_of('shop.orders.amount');
\pset title '5b. SELECT * FROM schemaguard.lineage_of(''shop.customer_overview.total'')'
SELECT * FROM schemaguard.lineage_of('shop.customer_overview.total');

-- ---------------------------------------------------------------------------
-- 6. Unresolved references (after the rebuild() above)
-- ---------------------------------------------------------------------------
\pset title '6. SELECT * FROM schemaguard.unresolved_references()'
SELECT * FROM schemaguard.unresolved_references() ORDER BY 1, 2, 3, 4;
