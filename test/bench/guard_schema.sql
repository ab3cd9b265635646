-- test/bench/guard_schema.sql: the live database that
-- test/bench/guard_migration.sql is judged against (test/bench/compare_squawk.sh).
-- Three large tables (above the 10 MB default of
-- schemaguard.large_table_threshold), small ones, two empty ones, a view and a
-- PL/pgSQL function that read columns, and a table whose column is proven
-- NOT NULL by a validated CHECK constraint.  About 5 s to build.
CREATE SCHEMA app;

-- small: 200 rows
CREATE TABLE app.countries (
    code      text PRIMARY KEY,
    name      text NOT NULL,
    vat_rate  numeric(5,2) NOT NULL
);
INSERT INTO app.countries
SELECT 'C' || lpad(g::text, 3, '0'), 'Country ' || g, (g % 25) + 0.5
FROM generate_series(1, 200) g;

-- large: 250,000 rows, about 30 MB
CREATE TABLE app.customers (
    id           bigint PRIMARY KEY,
    email        varchar(50) NOT NULL,
    name         varchar(50) NOT NULL,
    country      text,
    legacy_code  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO app.customers
SELECT g, 'user' || g || '@example.com', 'Customer ' || g,
       'C' || lpad((g % 200 + 1)::text, 3, '0'), 'L-' || md5(g::text),
       now() - g * interval '1 minute'
FROM generate_series(1, 250000) g;

-- large: 400,000 rows, about 30 MB
CREATE TABLE app.orders (
    id           bigint PRIMARY KEY,
    customer_id  bigint NOT NULL,
    amount       numeric(12,2) NOT NULL,
    status       text NOT NULL,
    note         varchar(50),
    created_at   timestamp NOT NULL
);
INSERT INTO app.orders
SELECT g, g % 250000 + 1, (g % 10000) / 100.0,
       (ARRAY['new', 'paid', 'shipped'])[g % 3 + 1],
       CASE WHEN g % 10 = 0 THEN 'gift wrap' END,
       localtimestamp - g * interval '30 seconds'
FROM generate_series(1, 400000) g;

-- large: 300,000 rows, about 30 MB; user_id is proven NOT NULL by a
-- validated CHECK constraint
CREATE TABLE app.events (
    id           int PRIMARY KEY,
    user_id      bigint,
    kind         text NOT NULL,
    happened_at  timestamptz NOT NULL,
    payload      text,
    CONSTRAINT events_user_id_present CHECK (user_id IS NOT NULL)
);
INSERT INTO app.events
SELECT g, g % 250000 + 1, (ARRAY['login', 'view', 'click', 'logout'])[g % 4 + 1],
       now() - g * interval '10 seconds', '{"page": "/items/' || g || '", "ref": "' || md5(g::text) || '"}'
FROM generate_series(1, 300000) g;

-- small: 500 rows
CREATE TABLE app.sessions (
    token        text PRIMARY KEY,
    customer_id  bigint NOT NULL,
    expires_at   timestamptz NOT NULL
);
INSERT INTO app.sessions
SELECT md5(g::text), g, now() + interval '1 hour'
FROM generate_series(1, 500) g;

-- empty
CREATE TABLE app.archive_2019 (id bigint, note text, archived_at timestamptz);
CREATE TABLE app.import_staging (line text);

-- readers of columns: a view, and a PL/pgSQL function (whose body
-- PostgreSQL does not track)
CREATE VIEW app.customer_revenue AS
    SELECT o.customer_id, sum(o.amount) AS revenue,
           count(*) FILTER (WHERE o.status = 'paid') AS paid_orders
    FROM app.orders o GROUP BY o.customer_id;
CREATE VIEW app.country_list AS
    SELECT code, name FROM app.countries ORDER BY name;
CREATE FUNCTION app.customer_label(p_id bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v text;
BEGIN
    SELECT c.name || ' <' || c.email || '>' INTO v FROM app.customers c WHERE c.id = p_id;
    RETURN v;
END
$$;
