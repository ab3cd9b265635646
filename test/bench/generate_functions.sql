-- test/bench/generate_functions.sql: functions over the benchmark schema,
-- in schema "bench_fn" (dropped and re-created), for
-- test/bench/bench_functions.sh.  Run it after test/bench/generate.sql, with
-- the same sizes:
--
--   psql -X -v ON_ERROR_STOP=1 -f test/bench/generate_functions.sql
--
-- psql variables (defaults: the full benchmark):
--   -v tables=2000             as for generate.sql (the functions use
--   -v per_layer=1000          bench.t0001 .. t<tables> and layer-1 views)
--   -v sql_functions=1000      bench_fn.s0001 .. (a multiple of 4)
--   -v plpgsql_functions=2000  bench_fn.p0001 .. (a multiple of 5)
--   -v protocol=client         client: psql sends each CREATE FUNCTION as its
--                              own statement (autocommit, \gexec); server: a
--                              plpgsql loop EXECUTEs them all in one
--                              transaction
-- The last line printed is the time the CREATE FUNCTION statements took, in
-- ms, measured with clock_timestamp() in this session (the DROP SCHEMA
-- before them is not included).
--
-- Shapes (see docs/comparison.md).  For function number k, F is a fact table
-- bench.t(tables/2 + k'), D its dimension bench.t(k') (k' = k folded into
-- the halves) and V the layer-1 view bench.v01_(k folded into per_layer).
--   SQL functions, by k % 4:
--     1: string body, named parameters: sum/max of F columns, filtered;
--     2: string body, $1: a label from two D columns, ORDER BY, LIMIT;
--     3: BEGIN ATOMIC: UPDATE F (two columns), then SELECT from F;
--     0: string body: an aggregate over V plus a call of s(k-3).
--   PL/pgSQL functions, by k % 5:
--     1: SELECT two columns INTO, IF, UPDATE F (two columns) or INSERT INTO D;
--     2: RETURN QUERY: F join D, expressions, filter, ORDER BY;
--     3: FOR r IN a query over V LOOP, calling an SQL function of shape 1;
--     4: a CTE aggregate feeding UPDATE D ... FROM, GET DIAGNOSTICS, DELETE;
--     0: calls p(k-4) and an SQL function, then EXECUTE format() with a
--        variable %I (dynamic SQL) on F.
-- SQL functions are created first, callees before callers (an SQL body is
-- analyzed at creation).

\if :{?tables}
\else
\set tables 2000
\endif
\if :{?per_layer}
\else
\set per_layer 1000
\endif
\if :{?sql_functions}
\else
\set sql_functions 1000
\endif
\if :{?plpgsql_functions}
\else
\set plpgsql_functions 2000
\endif
\if :{?protocol}
\else
\set protocol client
\endif

CREATE OR REPLACE FUNCTION pg_temp.bench_fn_statements(ntables int, per_layer int, nsql int, nplpgsql int)
RETURNS TABLE (n int, stmt text) LANGUAGE plpgsql AS $gen$
DECLARE
    half int := ntables / 2;
    f text;
    d text;
    v text;
    j int;
BEGIN
    IF nsql % 4 <> 0 OR nplpgsql % 5 <> 0 OR nsql < 4 THEN
        RAISE EXCEPTION 'sql_functions must be a positive multiple of 4, plpgsql_functions a multiple of 5';
    END IF;
    n := 0;
    FOR k IN 1 .. nsql LOOP
        d := format('bench.t%s', lpad((((k - 1) % half) + 1)::text, 4, '0'));
        f := format('bench.t%s', lpad((((k - 1) % half) + 1 + half)::text, 4, '0'));
        v := format('bench.v01_%s', lpad((((k - 1) % per_layer) + 1)::text, 4, '0'));
        n := n + 1;
        stmt := CASE k % 4
            WHEN 1 THEN format(
                'CREATE FUNCTION bench_fn.s%1$s(p_key int, p_min int) RETURNS numeric'
                ' LANGUAGE sql STABLE AS $b$'
                ' SELECT sum(f.c11) + max(f.c12) FROM %2$s f WHERE f.c02 = p_key AND f.c06 > p_min'
                ' $b$', lpad(k::text, 4, '0'), f)
            WHEN 2 THEN format(
                'CREATE FUNCTION bench_fn.s%1$s(int) RETURNS text LANGUAGE sql STABLE AS $b$'
                ' SELECT d.c16 || '':'' || upper(d.c17) FROM %2$s d WHERE d.c01 = $1'
                ' ORDER BY d.c02 LIMIT 1'
                ' $b$', lpad(k::text, 4, '0'), d)
            WHEN 3 THEN format(
                'CREATE FUNCTION bench_fn.s%1$s(p_id int, p_delta numeric) RETURNS numeric'
                ' LANGUAGE sql BEGIN ATOMIC'
                ' UPDATE %2$s SET c12 = c12 + p_delta, c18 = ''touched'' WHERE c01 = p_id;'
                ' SELECT c12 FROM %2$s WHERE c01 = p_id;'
                ' END', lpad(k::text, 4, '0'), f)
            ELSE format(
                'CREATE FUNCTION bench_fn.s%1$s(p_k int) RETURNS numeric LANGUAGE sql STABLE AS $b$'
                ' SELECT coalesce(max(v.m1), 0) + coalesce(bench_fn.s%3$s(p_k, 0), 0)'
                ' FROM %2$s v WHERE v.k = p_k'
                ' $b$', lpad(k::text, 4, '0'), v, lpad((k - 3)::text, 4, '0'))
        END;
        RETURN NEXT;
    END LOOP;
    FOR k IN 1 .. nplpgsql LOOP
        d := format('bench.t%s', lpad((((k - 1) % half) + 1)::text, 4, '0'));
        f := format('bench.t%s', lpad((((k - 1) % half) + 1 + half)::text, 4, '0'));
        v := format('bench.v01_%s', lpad((((k - 1) % per_layer) + 1)::text, 4, '0'));
        j := 4 * ((k - 1) % (nsql / 4)) + 1;		-- an SQL function of shape 1
        n := n + 1;
        stmt := CASE k % 5
            WHEN 1 THEN format($f$
CREATE FUNCTION bench_fn.p%1$s(p_id int) RETURNS numeric LANGUAGE plpgsql AS $b$
DECLARE
    v numeric;
    q int;
BEGIN
    SELECT f.c11, f.c03 INTO v, q FROM %2$s f WHERE f.c01 = p_id;
    IF v > 100 THEN
        UPDATE %2$s SET c12 = v * 1.1, c17 = 'big' WHERE c01 = p_id;
    ELSE
        INSERT INTO %3$s (c01, c11, c16) VALUES (p_id, v, 'small');
    END IF;
    RETURN coalesce(v, 0) + coalesce(q, 0);
END
$b$$f$, lpad(k::text, 4, '0'), f, d)
            WHEN 2 THEN format($f$
CREATE FUNCTION bench_fn.p%1$s(p_min int) RETURNS TABLE (key int, total numeric, label text)
LANGUAGE plpgsql AS $b$
BEGIN
    RETURN QUERY
        SELECT f.c01, f.c11 + d.c12, d.c16 || '/' || f.c19
        FROM %2$s f JOIN %3$s d ON d.c01 = f.c02
        WHERE f.c05 > p_min
        ORDER BY f.c01;
END
$b$$f$, lpad(k::text, 4, '0'), f, d)
            WHEN 3 THEN format($f$
CREATE FUNCTION bench_fn.p%1$s(p_g int) RETURNS numeric LANGUAGE plpgsql AS $b$
DECLARE
    r record;
    t numeric := 0;
BEGIN
    FOR r IN SELECT v.k, v.m1, v.s FROM %2$s v WHERE v.g = p_g LOOP
        t := t + coalesce(r.m1, 0) + coalesce(bench_fn.s%3$s(r.k, 0), 0);
    END LOOP;
    RETURN t;
END
$b$$f$, lpad(k::text, 4, '0'), v, lpad(j::text, 4, '0'))
            WHEN 4 THEN format($f$
CREATE FUNCTION bench_fn.p%1$s(p_lim int) RETURNS int LANGUAGE plpgsql AS $b$
DECLARE
    changed int;
BEGIN
    WITH s AS (SELECT c02, sum(c11) AS tot FROM %2$s GROUP BY c02)
    UPDATE %3$s d SET c13 = s.tot FROM s WHERE d.c01 = s.c02;
    GET DIAGNOSTICS changed = ROW_COUNT;
    DELETE FROM %3$s WHERE c13 IS NULL AND c04 < p_lim;
    RETURN changed;
END
$b$$f$, lpad(k::text, 4, '0'), f, d)
            ELSE format($f$
CREATE FUNCTION bench_fn.p%1$s(p_id int, p_col text) RETURNS numeric LANGUAGE plpgsql AS $b$
DECLARE
    a numeric;
    b numeric;
BEGIN
    a := bench_fn.p%2$s(p_id);
    b := coalesce(bench_fn.s%3$s(p_id, 0), 0);
    IF a + b > 0 THEN
        EXECUTE format('UPDATE %4$s SET %%I = $1 WHERE c01 = $2', p_col) USING a + b, p_id;
    END IF;
    RETURN a + b;
END
$b$$f$, lpad(k::text, 4, '0'), lpad((k - 4)::text, 4, '0'), lpad(j::text, 4, '0'), f)
        END;
        RETURN NEXT;
    END LOOP;
END
$gen$;

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_fn CASCADE;
CREATE SCHEMA bench_fn;
DROP TABLE IF EXISTS pg_temp.bench_fn_stmts;
RESET client_min_messages;
CREATE TEMP TABLE bench_fn_stmts AS
    SELECT * FROM pg_temp.bench_fn_statements(:tables, :per_layer, :sql_functions, :plpgsql_functions);
SELECT :'protocol' = 'server' AS bench_fn_server \gset

-- the timed part
SELECT clock_timestamp() AS bench_fn_t0 \gset
\if :bench_fn_server
DO $run$
DECLARE
    s text;
BEGIN
    FOR s IN SELECT stmt FROM pg_temp.bench_fn_stmts ORDER BY n LOOP
        EXECUTE s;
    END LOOP;
END
$run$;
\else
\o /dev/null
SELECT stmt FROM pg_temp.bench_fn_stmts ORDER BY n
\gexec
\o
\endif
SELECT round(extract(epoch FROM clock_timestamp() - :'bench_fn_t0'::timestamptz) * 1000, 3) AS create_ms;
