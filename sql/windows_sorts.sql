--
-- windows_sorts: a window function's output column is computed from its
-- window's PARTITION BY and ORDER BY ("window", on that column, not on the
-- view as a whole); an ORDER BY that chooses no rows (no LIMIT, OFFSET,
-- FETCH or DISTINCT ON) changes no row of a view and is not recorded, so
-- the view's columns (and its indexes) do not depend on the sort key
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA ws;
SET search_path = ws, public;
CREATE TABLE payment (id int, customer_id int, category text, amount numeric,
                      paid_on date);
CREATE FUNCTION direct_sources(v regclass)
RETURNS TABLE (dependent text, source text, usage text) LANGUAGE sql AS $$
    SELECT pg_describe_object(dependent_classid, dependent_objid, dependent_objsubid),
           pg_describe_object(source_classid, source_objid, source_objsubid), usage
    FROM schemaguard.lineage_edge
    WHERE dependent_classid = 'pg_class'::regclass AND dependent_objid = v
    ORDER BY 1, 2, 3
$$;

-- rank() OVER (PARTITION BY a ORDER BY b) AS r: r is computed from a and b
CREATE VIEW ranked AS
SELECT id, amount,
       rank() OVER (PARTITION BY customer_id ORDER BY paid_on) AS r,
       sum(amount) OVER w AS running,
       row_number() OVER w * 10 AS rn10
FROM payment
WINDOW w AS (PARTITION BY category ORDER BY id);
SELECT * FROM direct_sources('ranked');

-- the window column filtered on in an outer query: that filter shapes the
-- outer view's rows, with everything r is made of
CREATE VIEW first_payment AS
SELECT id, amount FROM (
    SELECT id, amount, row_number() OVER (PARTITION BY customer_id ORDER BY paid_on) AS rn
    FROM payment) s
WHERE rn = 1;
SELECT * FROM direct_sources('first_payment');

-- ORDER BY alone: no edge; a unique index on the materialized view's
-- category depends on category only (Pagila's rental_by_category showed it
-- depending on payment.amount)
CREATE MATERIALIZED VIEW by_category AS
SELECT category, sum(amount) AS total_sales FROM payment
GROUP BY category ORDER BY sum(amount) DESC;
CREATE UNIQUE INDEX by_category_category ON by_category (category);
CREATE VIEW sorted AS SELECT id, amount FROM payment ORDER BY paid_on, customer_id;
CREATE VIEW sorted_inside AS SELECT s.id FROM (SELECT id FROM payment ORDER BY amount) s;
SELECT * FROM direct_sources('by_category');
SELECT * FROM direct_sources('sorted');
SELECT * FROM direct_sources('sorted_inside');
SELECT object_identity, column_name, usage FROM schemaguard.impact_of('payment.amount')
WHERE object_identity LIKE '%by_category%' ORDER BY 1, 2, 3;

-- an ORDER BY that chooses rows still shapes them: LIMIT, OFFSET, FETCH
-- ... WITH TIES, DISTINCT ON
CREATE VIEW top3 AS SELECT id FROM payment ORDER BY amount DESC LIMIT 3;
CREATE VIEW skip1 AS SELECT id FROM payment ORDER BY paid_on OFFSET 1;
CREATE VIEW ties AS SELECT id FROM payment ORDER BY customer_id FETCH FIRST 2 ROWS WITH TIES;
CREATE VIEW last_per_customer AS
SELECT DISTINCT ON (customer_id) customer_id, amount FROM payment ORDER BY customer_id, paid_on DESC;
SELECT * FROM direct_sources('top3');
SELECT * FROM direct_sources('skip1');
SELECT * FROM direct_sources('ties');
SELECT * FROM direct_sources('last_per_customer');

-- in a function body the order is what the caller sees: kept
CREATE FUNCTION ordered() RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT id FROM ws.payment ORDER BY amount;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('payment.amount')
WHERE object_identity LIKE '%ordered%';

SELECT * FROM pg_temp.upkeep_vs_rebuild();
RESET search_path;
