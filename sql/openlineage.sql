--
-- openlineage_events: one OpenLineage RunEvent per view, materialized view
-- and SQL or PL/pgSQL routine (validated against the official JSON Schemas
-- in test/t/050_openlineage.pl)
--
CREATE SCHEMA ol;
CREATE TABLE ol.orders (id int PRIMARY KEY, customer int, qty int, price numeric,
                        status text, placed date);
CREATE TABLE ol.customers (id int PRIMARY KEY, name text);
CREATE TABLE ol.audit (order_id int, qty int, note text);
CREATE VIEW ol.order_totals AS
    SELECT o.id, c.name, o.qty * o.price AS total,
           CASE WHEN o.status = 'paid' THEN o.price END AS paid_price
    FROM ol.orders o JOIN ol.customers c ON c.id = o.customer
    WHERE o.status <> 'void'
    ORDER BY o.placed LIMIT 1000;  -- a sort that chooses rows (without LIMIT, it chooses none)
CREATE MATERIALIZED VIEW ol.per_customer AS
    SELECT customer, sum(qty) AS qty FROM ol.orders GROUP BY customer;
-- a view naming no column of what it reads
CREATE VIEW ol.order_count AS SELECT count(*) AS n FROM ol.orders;
CREATE FUNCTION ol.log_order(p int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ol.audit (order_id, qty)
    SELECT id, qty FROM ol.orders WHERE id = p AND status = 'paid';
END $$;
CREATE FUNCTION ol.qty_of(p int) RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT qty FROM ol.orders WHERE id = p $$;
-- not exported: languages whose bodies are not read
CREATE FUNCTION ol.c_like() RETURNS int LANGUAGE internal AS 'int4um';

-- every event: the job, its inputs and outputs with their facets (runId and
-- eventTime vary: checked separately below)
-- (the jobs of this test's schema: other tests leave objects behind)
SELECT jsonb_pretty(e - 'run' - 'eventTime')
FROM schemaguard.openlineage_events('postgres://db.example:5432') e
WHERE e->'job'->>'name' LIKE current_database() || '.ol.%';

-- one run per event, a UUID version 7; eventTime in UTC, ISO 8601
SELECT count(*) AS events,
       count(DISTINCT e->'run'->>'runId') AS runs,
       bool_and(e->'run'->>'runId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuid_v7,
       bool_and(e->>'eventTime' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$') AS iso_utc,
       bool_and((e->>'eventTime')::timestamptz = now()) AS transaction_start
FROM schemaguard.openlineage_events('x') e
WHERE e->'job'->>'name' LIKE current_database() || '.ol.%';

-- the default namespace: postgres://host:port of this server
SELECT DISTINCT e->'job'->>'namespace' ~ ('^postgres://[^/:]+:' || current_setting('port') || '$') AS default_namespace
FROM schemaguard.openlineage_events() e;
SELECT count(*) FROM schemaguard.openlineage_events('');

-- only what the caller may see: a role without USAGE on a schema gets
-- neither its jobs nor its datasets
CREATE SCHEMA ol_hidden;
CREATE VIEW ol_hidden.secret AS SELECT id, qty FROM ol.orders;
CREATE VIEW ol.uses_secret AS SELECT qty FROM ol_hidden.secret;
CREATE ROLE regress_ol_reader;
GRANT USAGE ON SCHEMA ol TO regress_ol_reader;
SET ROLE regress_ol_reader;
SELECT e->'job'->>'name' AS job, e->'inputs' AS inputs
FROM schemaguard.openlineage_events('ns') e
WHERE e->'job'->>'name' LIKE '%secret%' OR e::text LIKE '%ol_hidden%';
RESET ROLE;
SELECT e->'job'->>'name' AS job, e->'inputs' AS inputs
FROM schemaguard.openlineage_events('ns') e
WHERE e->'job'->>'name' LIKE '%secret%';

DROP SCHEMA ol, ol_hidden CASCADE;
DROP ROLE regress_ol_reader;
