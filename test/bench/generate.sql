-- test/bench/generate.sql: the benchmark schema "bench" for schemaguard.
--
--   psql -X -v ON_ERROR_STOP=1 -f test/bench/generate.sql
--
-- Sizes are psql variables (defaults: the full benchmark):
--   -v tables=2000     tables bench.t0001 .. t2000, 20 columns each
--   -v layers=10       view layers
--   -v per_layer=1000  views per layer: bench.v01_0001 .. v10_1000
-- (tables must be even.)
--
-- Shape (see docs/benchmark.md):
--   * tables: c01..c10 int, c11..c15 numeric(12,2), c16..c20 text; no data.
--     The first half (t0001 ..) are "dimensions", the second half "facts".
--   * layer 1, view i: fact t(tables/2 + i') joined with dimension t(i')
--     (i' = i folded into the halves), in one of five shapes by i % 5: join
--     with expressions and a WHERE filter; GROUP BY aggregate with HAVING;
--     LEFT JOIN with CASE; EXISTS sub-query filter; window functions.
--     Every view with i % 4 = 1 also LEFT JOINs the hub table bench.t0001
--     ON hub.c01 = f.c10 and outputs hub.c20 as its column h.
--   * layer k > 1, view j reads layer k-1: p = view j and q = view
--     (7j + 13k) mod per_layer + 1, in one of five shapes by j % 5: join
--     with expressions and filter; aggregate; UNION ALL with a filtered
--     branch; LEFT JOIN with CASE / COALESCE; scalar sub-query.
--   Every view outputs the same eight columns k, g, m1, m2, m3, m4, s, h.
--
-- The measured columns: bench.t0001.c01 (the hub's join key: every view
-- that joins the hub, and everything built on it, depends on it as a
-- whole) and bench.t0001.c20 (the hub's label, carried through column h
-- by identity, aggregation and COALESCE).  With the default sizes several
-- thousand views depend on each; bench.sh checks that it is over 1,000.
--
-- Transactions are committed every 100 objects, so that the lock table is
-- never filled, whatever the sizes.

\if :{?tables}
\else
\set tables 2000
\endif
\if :{?layers}
\else
\set layers 10
\endif
\if :{?per_layer}
\else
\set per_layer 1000
\endif

SELECT set_config('bench.tables', :'tables', false),
       set_config('bench.layers', :'layers', false),
       set_config('bench.per_layer', :'per_layer', false) \gset

DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- tables -----------------------------------------------------------------
DO $gen$
DECLARE
    ntables int := current_setting('bench.tables')::int;
    cols text := (SELECT string_agg(format('c%s %s', lpad(c::text, 2, '0'),
                                           CASE WHEN c <= 10 THEN 'int'
                                                WHEN c <= 15 THEN 'numeric(12,2)'
                                                ELSE 'text' END), ', ' ORDER BY c)
                  FROM generate_series(1, 20) c);
BEGIN
    FOR t IN 1 .. ntables LOOP
        EXECUTE format('CREATE TABLE bench.t%s (%s)', lpad(t::text, 4, '0'), cols);
        IF t % 100 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$gen$;

-- layer 1: views over the tables ------------------------------------------
DO $gen$
DECLARE
    ntables int := current_setting('bench.tables')::int;
    per_layer int := current_setting('bench.per_layer')::int;
    half int := ntables / 2;
    f text;
    d text;
    hub bool;
    hubjoin text;
    h text;
    body text;
BEGIN
    FOR i IN 1 .. per_layer LOOP
        d := format('bench.t%s', lpad((((i - 1) % half) + 1)::text, 4, '0'));
        f := format('bench.t%s', lpad((((i - 1) % half) + 1 + half)::text, 4, '0'));
        hub := i % 4 = 1;
        hubjoin := CASE WHEN hub THEN ' LEFT JOIN bench.t0001 hub ON hub.c01 = f.c10' ELSE '' END;
        h := CASE WHEN hub THEN 'hub.c20' WHEN i % 5 = 3 THEN 'f.c20' ELSE 'd.c20' END;
        body := CASE i % 5
            WHEN 0 THEN format(
                'SELECT f.c01 AS k, f.c02 AS g, f.c11 AS m1, f.c03 + f.c04 AS m2,'
                ' d.c12 * f.c05 AS m3, f.c13 AS m4, d.c16 AS s, %3$s AS h'
                ' FROM %1$s f JOIN %2$s d ON d.c01 = f.c02%4$s'
                ' WHERE f.c06 > 0', f, d, h, hubjoin)
            WHEN 1 THEN format(
                'SELECT f.c02 AS k, f.c07 AS g, sum(f.c11) AS m1, count(*) AS m2,'
                ' max(d.c12) AS m3, avg(f.c14) AS m4, min(d.c17) AS s, max(%3$s) AS h'
                ' FROM %1$s f JOIN %2$s d ON d.c01 = f.c02%4$s'
                ' GROUP BY f.c02, f.c07 HAVING sum(f.c11) > 0', f, d, h, hubjoin)
            WHEN 2 THEN format(
                'SELECT f.c01 AS k, d.c02 AS g,'
                ' CASE WHEN f.c08 > 100 THEN f.c11 ELSE d.c11 END AS m1,'
                ' coalesce(f.c03, 0) AS m2, f.c15 AS m3, d.c13 AS m4,'
                ' f.c16 || ''-'' || d.c18 AS s, %3$s AS h'
                ' FROM %1$s f LEFT JOIN %2$s d ON d.c01 = f.c02 AND d.c09 = f.c09%4$s',
                f, d, h, hubjoin)
            WHEN 3 THEN format(
                'SELECT f.c01 AS k, f.c02 AS g, f.c11 AS m1, f.c04 AS m2, f.c12 AS m3,'
                ' f.c13 AS m4, upper(f.c19) AS s, %3$s AS h'
                ' FROM %1$s f%4$s'
                ' WHERE EXISTS (SELECT 1 FROM %2$s d WHERE d.c01 = f.c02 AND d.c10 > 0)',
                f, d, h, hubjoin)
            ELSE format(
                'SELECT f.c01 AS k, f.c02 AS g, sum(f.c11) OVER (PARTITION BY f.c02) AS m1,'
                ' row_number() OVER (PARTITION BY f.c02 ORDER BY f.c01) AS m2,'
                ' d.c14 AS m3, f.c15 - d.c15 AS m4, d.c19 AS s, %3$s AS h'
                ' FROM %1$s f JOIN %2$s d ON d.c01 = f.c02%4$s', f, d, h, hubjoin)
        END;
        EXECUTE format('CREATE VIEW bench.v01_%s AS %s', lpad(i::text, 4, '0'), body);
        IF i % 100 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$gen$;

-- layers 2 .. n: views over the layer below -------------------------------
DO $gen$
DECLARE
    layers int := current_setting('bench.layers')::int;
    per_layer int := current_setting('bench.per_layer')::int;
    p text;
    q text;
    body text;
BEGIN
    FOR k IN 2 .. layers LOOP
        FOR j IN 1 .. per_layer LOOP
            p := format('bench.v%s_%s', lpad((k - 1)::text, 2, '0'), lpad(j::text, 4, '0'));
            q := format('bench.v%s_%s', lpad((k - 1)::text, 2, '0'),
                        lpad(((7 * j + 13 * k) % per_layer + 1)::text, 4, '0'));
            body := CASE j % 5
                WHEN 0 THEN format(
                    'SELECT p.k, p.g, p.m1 + q.m1 AS m1, p.m2, q.m3,'
                    ' round(p.m4 * 1.1, 2) AS m4, p.s || q.s AS s, p.h'
                    ' FROM %s p JOIN %s q ON q.k = p.k WHERE p.m2 > 0', p, q)
                WHEN 1 THEN format(
                    'SELECT p.g AS k, max(p.k) AS g, sum(p.m1) AS m1, count(*) AS m2,'
                    ' max(p.m3) AS m3, avg(p.m4) AS m4, min(p.s) AS s, max(p.h) AS h'
                    ' FROM %s p GROUP BY p.g', p)
                WHEN 2 THEN format(
                    'SELECT p.k, p.g, p.m1, p.m2, p.m3, p.m4, p.s, p.h FROM %s p'
                    ' UNION ALL'
                    ' SELECT q.k, q.g, q.m1, q.m2, q.m3, q.m4, q.s, q.h FROM %s q'
                    ' WHERE q.m1 > 5', p, q)
                WHEN 3 THEN format(
                    'SELECT p.k, p.g, CASE WHEN p.m1 > 10 THEN p.m1 ELSE q.m1 END AS m1,'
                    ' p.m2 + coalesce(q.m2, 0) AS m2, p.m3, q.m4,'
                    ' coalesce(q.s, p.s) AS s, coalesce(p.h, q.h) AS h'
                    ' FROM %s p LEFT JOIN %s q ON q.g = p.g', p, q)
                ELSE format(
                    'SELECT p.k, p.g, p.m1, p.m2 * 2 AS m2,'
                    ' (SELECT max(q.m3) FROM %2$s q WHERE q.k = p.k) AS m3,'
                    ' p.m4, lower(p.s) AS s, p.h'
                    ' FROM %1$s p WHERE p.s <> ''''', p, q)
            END;
            EXECUTE format('CREATE VIEW bench.v%s_%s AS %s',
                           lpad(k::text, 2, '0'), lpad(j::text, 4, '0'), body);
            IF j % 100 = 0 THEN
                COMMIT;
            END IF;
        END LOOP;
    END LOOP;
END
$gen$;

SELECT count(*) FILTER (WHERE relkind = 'r') AS tables,
       count(*) FILTER (WHERE relkind = 'v') AS views
FROM pg_class WHERE relnamespace = 'bench'::regnamespace;
