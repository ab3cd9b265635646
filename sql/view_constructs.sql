--
-- view_constructs: exact lineage of each query construct, read from the
-- stored query tree of the view
--
CREATE SCHEMA vc;
SET search_path = vc, public;

CREATE TABLE customers (id int PRIMARY KEY, name text, country text, parent_id int);
CREATE TABLE invoices (id int PRIMARY KEY, customer_id int, amount numeric,
                       status text, issued_on date, note varchar(20));
CREATE TABLE payments (id int PRIMARY KEY, invoice_id int, amount numeric);

-- direct sources of every column of a view: (view column or whole view,
-- source column, usage), through the public API
CREATE FUNCTION direct_sources(target text)
RETURNS TABLE (dependent text, source text, usage text)
LANGUAGE sql AS $$
    SELECT via, object_identity || '.' || column_name, usage
    FROM schemaguard.lineage_of(target, 1)
    ORDER BY 1, 2, 3
$$;

-- plain columns, expressions, casts: identity vs transformation
CREATE VIEW v_plain AS
SELECT id, amount, amount * 1.2 AS gross, note::text AS note_text,
       status::varchar(3) AS status_short, upper(status) AS status_upper
FROM invoices;
SELECT * FROM direct_sources('v_plain');

-- SELECT * is expanded when the view is created; a whole-row reference uses every column
CREATE VIEW v_star AS SELECT * FROM payments;
CREATE VIEW v_wholerow AS SELECT p AS payment_row, (p).amount AS amt FROM payments p;
SELECT * FROM direct_sources('v_star');
SELECT * FROM direct_sources('v_wholerow');

-- joins: ON conditions are join usage; join alias columns (USING, NATURAL)
-- resolve to both sides
CREATE VIEW v_join AS
SELECT c.name, i.amount
FROM customers c JOIN invoices i ON i.customer_id = c.id;
CREATE VIEW v_using AS
SELECT id, amount
FROM invoices JOIN payments USING (id, amount);
CREATE VIEW v_full AS
SELECT id, p.invoice_id
FROM invoices FULL JOIN payments p USING (id);
CREATE VIEW v_implicit_join AS
SELECT c.name FROM customers c, invoices i
WHERE i.customer_id = c.id AND i.status = 'open';
SELECT * FROM direct_sources('v_join');
SELECT * FROM direct_sources('v_using');
SELECT * FROM direct_sources('v_full');
SELECT * FROM direct_sources('v_implicit_join');

-- aggregates, GROUP BY, HAVING, ORDER BY, LIMIT, aggregate FILTER
CREATE VIEW v_agg AS
SELECT customer_id, count(*) AS n, sum(amount) AS total,
       sum(amount) FILTER (WHERE status = 'paid') AS paid
FROM invoices
GROUP BY customer_id
HAVING max(issued_on) > date '2020-01-01'
ORDER BY customer_id;
SELECT * FROM direct_sources('v_agg');

-- window functions: arguments aggregate, PARTITION BY / ORDER BY are window usage
CREATE VIEW v_window AS
SELECT id, sum(amount) OVER (PARTITION BY customer_id ORDER BY issued_on) AS running,
       row_number() OVER w AS rn
FROM invoices
WINDOW w AS (ORDER BY note);
SELECT * FROM direct_sources('v_window');

-- CASE: conditions are conditional, results transformation
CREATE VIEW v_case AS
SELECT id,
       CASE WHEN status = 'paid' THEN amount ELSE 0 END AS paid_amount,
       CASE note WHEN 'x' THEN 'flagged' END AS flag
FROM invoices;
SELECT * FROM direct_sources('v_case');

-- subqueries in FROM, scalar subqueries, EXISTS in WHERE
CREATE VIEW v_subquery AS
SELECT s.cid, s.total,
       (SELECT max(p.amount) FROM payments p WHERE p.invoice_id = s.max_id) AS max_payment
FROM (SELECT customer_id AS cid, sum(amount) AS total, max(id) AS max_id
      FROM invoices WHERE status <> 'void' GROUP BY customer_id) s
WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = s.cid AND c.country = 'FR');
SELECT * FROM direct_sources('v_subquery');

-- LATERAL
CREATE VIEW v_lateral AS
SELECT c.name, last.amount
FROM customers c
CROSS JOIN LATERAL (SELECT i.amount FROM invoices i
                    WHERE i.customer_id = c.id
                    ORDER BY i.issued_on DESC LIMIT 1) last;
SELECT * FROM direct_sources('v_lateral');

-- CTEs, and a recursive CTE (the anchor and the recursive term both count)
CREATE VIEW v_cte AS
WITH open_inv AS (SELECT id, amount FROM invoices WHERE status = 'open')
SELECT id, amount * 2 AS double_amount FROM open_inv;
CREATE VIEW v_recursive AS
WITH RECURSIVE tree(id, name, depth) AS (
    SELECT id, name, 0 FROM customers WHERE parent_id IS NULL
  UNION ALL
    SELECT c.id, t.name || '/' || c.name, t.depth + 1
    FROM customers c JOIN tree t ON c.parent_id = t.id
)
SELECT id, name, depth FROM tree;
SELECT * FROM direct_sources('v_cte');
SELECT * FROM direct_sources('v_recursive');

-- set operations: every branch feeds the output column
CREATE VIEW v_union AS
SELECT id, amount FROM invoices
UNION
SELECT invoice_id, amount FROM payments
EXCEPT
SELECT id, NULL FROM customers
ORDER BY 2;
SELECT * FROM direct_sources('v_union');

-- row expressions, VALUES, functions in FROM, DISTINCT ON
CREATE VIEW v_row AS
SELECT ROW(id, amount)::text AS r, v.label, g.n
FROM invoices
CROSS JOIN (VALUES ('a'), ('b')) v(label)
CROSS JOIN LATERAL generate_series(1, customer_id) g(n);
CREATE VIEW v_distinct_on AS
SELECT DISTINCT ON (customer_id) customer_id, amount FROM invoices
ORDER BY customer_id, issued_on DESC;
SELECT * FROM direct_sources('v_row');
SELECT * FROM direct_sources('v_distinct_on');

-- views over views, and a materialized view over them: transitive impact
CREATE VIEW v_level2 AS SELECT name, amount * 2 AS amount2 FROM v_join;
CREATE MATERIALIZED VIEW mv_level3 AS
SELECT name, sum(amount2) AS total FROM v_level2 GROUP BY name;
SELECT * FROM direct_sources('mv_level3');
SELECT * FROM schemaguard.impact_of('invoices.amount') ORDER BY depth, object_identity, column_name, usage;
SELECT * FROM schemaguard.impact_of('invoices.amount', 1) WHERE object_identity LIKE 'vc.v_level%' OR object_identity LIKE 'vc.mv%';
SELECT * FROM schemaguard.lineage_of('mv_level3.total');

-- a view that only filters on a column: listed without a column, and what
-- is built on that view is reached through every column it outputs
CREATE VIEW v_filter_only AS SELECT id FROM invoices WHERE status = 'open';
CREATE VIEW v_on_filter AS SELECT id AS invoice_id FROM v_filter_only;
SELECT * FROM schemaguard.impact_of('invoices.status') WHERE object_identity LIKE '%filter%';
