#!/usr/bin/env bash
# The schemaguard benchmark (not part of the test suite):
#
#   bash test/bench/bench.sh
#
# Builds and installs the extension (test/setup.sh), then, in ONE run on a
# throwaway PostgreSQL 15 cluster (pg_virtualenv), generates the "bench"
# schema (test/bench/generate.sql: 2,000 tables, 10,000 views in 10 layers)
# and measures, with server-side clock_timestamp() differences:
#   a. schemaguard.rebuild()                 vs
#   b. pg_get_viewdef() of every view        (target a/b <= 1.0)
#   c. schemaguard.impact_of() on a column with > 1,000 dependent views vs
#      the classic recursive pg_depend/pg_rewrite query (target <= 1.0)
#   d. CREATE VIEW with vs without the extension (target <= 1.25)
# Every figure is the median of several runs, alternated between the two
# sides of each ratio; ratios are ratios of medians.  See docs/benchmark.md.
#
# Knobs (environment): BENCH_RUNS (5) runs per figure of a and b;
# BENCH_SESSIONS (3) sessions and BENCH_CALLS (20) calls per session for c;
# BENCH_D_RUNS (11) runs per figure of d (the noisiest: short timings);
# BENCH_VIEWS (500) views per run of d; BENCH_TABLES (2000), BENCH_LAYERS
# (10), BENCH_PER_LAYER (1000) for the schema (smaller: a quick trial run,
# with BENCH_MIN_DEPENDENTS=0 to skip the "> 1,000 dependents" check).
# Raw measurements and the final table go to test/bench/out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${BENCH_RUNS:-5}
D_RUNS=${BENCH_D_RUNS:-11}
SESSIONS=${BENCH_SESSIONS:-3}
CALLS=${BENCH_CALLS:-20}
NVIEWS=${BENCH_VIEWS:-500}
TABLES=${BENCH_TABLES:-2000}
LAYERS=${BENCH_LAYERS:-10}
PER_LAYER=${BENCH_PER_LAYER:-1000}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench "$OUT/bench.log" "$OUT/results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER, PGPASSWORD are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/raw.tsv"

VIEWDEF_SQL="SELECT count(pg_get_viewdef(c.oid)) FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'bench'::regnamespace"

# The classic table-level question: every view that depends on bench.t0001,
# transitively, with its depth, through pg_depend and pg_rewrite.
PGDEPEND_SQL="
WITH RECURSIVE dep(relid, depth) AS (
    SELECT r.ev_class, 1
    FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass
      AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid = 'bench.t0001'::regclass
      AND d.deptype = 'n'
  UNION
    SELECT r.ev_class, dep.depth + 1
    FROM dep
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = dep.relid
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass
      AND d.deptype = 'n'
      AND r.ev_class <> dep.relid          -- a view's rule depends on the view itself
)
SELECT dep.depth, dep.relid::regclass::text AS view FROM dep"

log "schemaguard benchmark, $(q postgres -c 'SHOW server_version'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "extension sources: $BENCH_SOURCES"
log "sizes: $TABLES tables, $LAYERS layers x $PER_LAYER views; runs=$RUNS sessions=$SESSIONS calls=$CALLS d_runs=$D_RUNS views(d)=$NVIEWS"

# ---------------------------------------------------------------------------
# The schema, built with the extension installed (so its event triggers keep
# the lineage current while it grows).
# ---------------------------------------------------------------------------
q postgres -c 'CREATE DATABASE bench'
q bench -c 'CREATE EXTENSION schemaguard'
log "generating the bench schema (test/bench/generate.sql)"
t0=$(q bench -c 'SELECT extract(epoch FROM clock_timestamp())')
q bench -v tables="$TABLES" -v layers="$LAYERS" -v per_layer="$PER_LAYER" \
    -f test/bench/generate.sql > /dev/null
t1=$(q bench -c 'SELECT extract(epoch FROM clock_timestamp())')
record gen generate 1 "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) * 1000}')"
# Statistics from every row (a sample of 300,000 covers all of pg_depend and
# pg_attribute here), so that the plan of the pg_depend query below does not
# change from run to run with ANALYZE's random sample: with a 30,000-row
# sample it flips between nested loops (~110 ms), a hash join on pg_rewrite
# (~65 ms) and a merge join (~160 ms).
q bench -c 'VACUUM' -c 'SET default_statistics_target = 1000' -c 'ANALYZE'
read -r ntables nviews < <(q bench -F ' ' -c "SELECT count(*) FILTER (WHERE relkind = 'r'), count(*) FILTER (WHERE relkind IN ('v', 'm')) FROM pg_class WHERE relnamespace = 'bench'::regnamespace")
log "generated $ntables tables and $nviews views in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s"

# what incremental upkeep stored, to compare with what rebuild() stores
EDGES_DIGEST="SELECT count(*) || ' ' || md5(string_agg(format('%s.%s.%s>%s.%s.%s:%s', source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage), ',' ORDER BY source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage)) FROM schemaguard.lineage_edge"
upkeep_digest=$(q bench -c "$EDGES_DIGEST")
log "edges stored by upkeep: ${upkeep_digest%% *}"

# ---------------------------------------------------------------------------
# a/b: rebuild() vs pg_get_viewdef() of every view.
#   cold: each timing in a new session (empty backend caches), as a one-off
#         rebuild() after a restore or an upgrade runs;
#   warm: all timings in one session, after one untimed call of each.
# The edge table is VACUUMed (untimed) before every rebuild, so each one
# starts from the same state: every edge live, none dead.
# ---------------------------------------------------------------------------
log "a/b cold: $RUNS x (rebuild, viewdef), alternating, each in a new session (+1 warm-up)"
for r in $(seq 0 "$RUNS"); do
    q bench -c 'VACUUM schemaguard.lineage_edge'
    ms=$(q bench -c "$STOPWATCH" -c "SELECT pg_temp.ms('SELECT schemaguard.rebuild()')")
    [ "$r" -eq 0 ] || record ab rebuild_cold "$r" "$ms"
    ms=$(q bench -c "$STOPWATCH" -c "SELECT pg_temp.ms(\$q\$$VIEWDEF_SQL\$q\$)")
    [ "$r" -eq 0 ] || record ab viewdef_cold "$r" "$ms"
done
rebuild_digest=$(q bench -c "$EDGES_DIGEST")
log "edges stored by rebuild(): ${rebuild_digest%% *}"
if [ "$upkeep_digest" = "$rebuild_digest" ]; then
    same_edges=yes
else
    same_edges=NO
    log "WARNING: rebuild() stored other edges than incremental upkeep ($upkeep_digest vs $rebuild_digest)"
fi

log "a/b warm: $RUNS x (rebuild, viewdef), alternating, in one session (+1 warm-up)"
{
    echo "$STOPWATCH"
    for r in $(seq 0 "$RUNS"); do
        echo "VACUUM schemaguard.lineage_edge;"
        echo "SELECT 'rebuild_warm', $r, pg_temp.ms('SELECT schemaguard.rebuild()');"
        echo "SELECT 'viewdef_warm', $r, pg_temp.ms(\$q\$$VIEWDEF_SQL\$q\$);"
    done
} | q bench -F ' ' | while read -r kind r ms; do
    [ "$r" -eq 0 ] || record ab "$kind" "$r" "$ms"
done

# Peak private memory (kB) of a new backend that runs one statement
# (informational; bench_peak_kb in lib.sh).
q bench -c 'VACUUM schemaguard.lineage_edge'
rebuild_peak_kb=$(bench_peak_kb bench 'SELECT schemaguard.rebuild()')

# ---------------------------------------------------------------------------
# c: impact_of() vs the recursive pg_depend query.  In each of $SESSIONS new
# sessions: one untimed-for-the-median first call of each (reported as
# "first call"), then $CALLS rounds of (impact_of c01, pg_depend, impact_of
# c20).  Each call is an ad-hoc statement (EXECUTE: parsed and planned every
# time, as a client would send it) whose every output column is computed
# (count(s) of the whole row).
# ---------------------------------------------------------------------------
# the a/b runs leave 128k dead edges (and their index entries) behind: vacuum
# them first, as autovacuum would, so that part c reads a clean table
q bench -c 'VACUUM ANALYZE schemaguard.lineage_edge'

IMPACT_C01="SELECT count(s) FROM schemaguard.impact_of('bench.t0001.c01') s"
IMPACT_C20="SELECT count(s) FROM schemaguard.impact_of('bench.t0001.c20') s"
PGDEPEND_COUNT="SELECT count(s) FROM ($PGDEPEND_SQL) s"

pgdepend_plan=$(q bench -c "EXPLAIN (COSTS OFF) $PGDEPEND_COUNT" |
    grep -oE '(^|-> +)(Recursive Union|Nested Loop|Hash Join|Merge Join|(Seq|Index|Bitmap Heap) Scan( using [a-z_]+)? on pg_(rewrite|depend))' |
    sed -E 's/^-> +//; s/ using [a-z_]+//' | paste -sd ',' | sed 's/,/, /g')
log "plan of the pg_depend query: $pgdepend_plan"
read -r c01_rows c01_views c01_depth < <(q bench -F ' ' -c "SELECT count(*), count(DISTINCT object_identity) FILTER (WHERE object_type IN ('view', 'materialized view')), max(depth) FROM schemaguard.impact_of('bench.t0001.c01')")
read -r c20_rows c20_views c20_depth < <(q bench -F ' ' -c "SELECT count(*), count(DISTINCT object_identity) FILTER (WHERE object_type IN ('view', 'materialized view')), max(depth) FROM schemaguard.impact_of('bench.t0001.c20')")
read -r dep_rows dep_views dep_depth < <(q bench -F ' ' -c "SELECT count(*), count(DISTINCT view), max(depth) FROM ($PGDEPEND_SQL) s")
log "impact_of(bench.t0001.c01): $c01_rows rows, $c01_views distinct views, depth $c01_depth"
log "impact_of(bench.t0001.c20): $c20_rows rows, $c20_views distinct views, depth $c20_depth"
log "recursive pg_depend from bench.t0001: $dep_rows rows, $dep_views distinct views, depth $dep_depth"
if [ "$c01_views" -le "${BENCH_MIN_DEPENDENTS:-1000}" ]; then
    log "ERROR: bench.t0001.c01 has only $c01_views dependent views (the benchmark needs > ${BENCH_MIN_DEPENDENTS:-1000})"
    exit 1
fi

log "c: $SESSIONS sessions x $CALLS rounds of (impact_of c01, pg_depend, impact_of c20)"
for s in $(seq 1 "$SESSIONS"); do
    {
        echo "$STOPWATCH"
        for i in $(seq 0 "$CALLS"); do
            echo "SELECT 'impact_c01', $i, pg_temp.ms(\$q\$$IMPACT_C01\$q\$);"
            echo "SELECT 'pg_depend', $i, pg_temp.ms(\$q\$$PGDEPEND_COUNT\$q\$);"
            echo "SELECT 'impact_c20', $i, pg_temp.ms(\$q\$$IMPACT_C20\$q\$);"
        done
    } | q bench -F ' ' | while read -r kind i ms; do
        if [ "$i" -eq 0 ]; then
            record c "${kind}_first" "$s" "$ms"
        else
            record c "$kind" "$(( (s - 1) * CALLS + i ))" "$ms"
        fi
    done
done

impact_peak_kb=$(bench_peak_kb bench "$IMPACT_C01")
pgdepend_peak_kb=$(bench_peak_kb bench "$PGDEPEND_COUNT")

# ---------------------------------------------------------------------------
# d: CREATE VIEW with and without the extension.  Two databases of the same
# cluster with the same 20 small tables (base.b01 .. b20, 20 columns, 100
# rows); "cvw" has the extension, "cvn" has not.  Each run creates $NVIEWS
# views in a fresh schema "run" (dropped, untimed, before the next run):
# joins with expressions and filters, GROUP BY aggregates, EXISTS filters,
# and every fourth view built on the previous one.  Two protocols, each
# alternating with / without, run 0 being an untimed warm-up:
#   client: psql sends each CREATE VIEW as its own statement (its own
#           transaction, autocommit), \gexec; timed from psql with
#           clock_timestamp() before and after;
#   server: a plpgsql loop EXECUTEs them all in one transaction; timed
#           inside the loop.
# ---------------------------------------------------------------------------
BASE_SQL="
CREATE SCHEMA base;
DO \$\$
DECLARE
    cols text := (SELECT string_agg(format('c%s %s', lpad(c::text, 2, '0'),
                                           CASE WHEN c <= 10 THEN 'int'
                                                WHEN c <= 15 THEN 'numeric(12,2)'
                                                ELSE 'text' END), ', ' ORDER BY c)
                  FROM generate_series(1, 20) c);
BEGIN
    FOR t IN 1 .. 20 LOOP
        EXECUTE format('CREATE TABLE base.b%s (%s)', lpad(t::text, 2, '0'), cols);
        EXECUTE format('INSERT INTO base.b%s SELECT g, g %% 50, g %% 7, g, g, g, g, g, g, g,'
                       ' g * 1.5, g, g, g, g, ''x'' || g, ''y'', ''z'', ''w'', ''v'''
                       ' FROM generate_series(1, 100) g', lpad(t::text, 2, '0'));
    END LOOP;
END
\$\$;"

# one row per view: its CREATE VIEW statement
VIEWS_SQL="
SELECT format('CREATE VIEW run.v%s AS %s', lpad(i::text, 4, '0'),
    CASE i % 4
        WHEN 0 THEN format('SELECT a.c01 AS id, a.c02, b.c03, a.c11 + b.c11 AS total,'
            ' CASE WHEN a.c05 > 0 THEN a.c16 ELSE b.c16 END AS label'
            ' FROM %s a JOIN %s b ON b.c01 = a.c02 WHERE a.c06 > 10', a, b)
        WHEN 1 THEN format('SELECT a.c02 AS grp, count(*) AS n, sum(a.c11) AS total,'
            ' max(b.c17) AS last_label'
            ' FROM %s a JOIN %s b ON b.c01 = a.c02 GROUP BY a.c02 HAVING count(*) > 1', a, b)
        WHEN 2 THEN format('SELECT a.c01 AS id, a.c03, upper(a.c18) AS u FROM %s a'
            ' WHERE EXISTS (SELECT 1 FROM %s b WHERE b.c01 = a.c01 AND b.c07 > 0)', a, b)
        ELSE format('SELECT x.id, x.u, lower(x.u) AS l, x.c03 * 2 AS c03x'
            ' FROM run.v%s x WHERE x.c03 > 0', lpad((i - 1)::text, 4, '0'))
    END) AS stmt
FROM generate_series(1, $NVIEWS) i,
     LATERAL (SELECT format('base.b%s', lpad((i % 20 + 1)::text, 2, '0')) AS a,
                     format('base.b%s', lpad(((i * 7 + 3) % 20 + 1)::text, 2, '0')) AS b) ab
ORDER BY i"

for db in cvw cvn; do
    q postgres -c "CREATE DATABASE $db"
    q "$db" -c "$BASE_SQL" -c 'VACUUM ANALYZE'
done
q cvw -c 'CREATE EXTENSION schemaguard'

fresh_run_schema() { q "$1" -c 'DROP SCHEMA IF EXISTS run CASCADE' -c 'CREATE SCHEMA run'; }

log "d: $D_RUNS x $NVIEWS CREATE VIEW, with / without the extension, alternating (+1 warm-up), two protocols"
for r in $(seq 0 "$D_RUNS"); do
    for db in cvw cvn; do
        kind=$([ "$db" = cvw ] && echo with || echo without)
        fresh_run_schema "$db"
        ms=$(q "$db" <<EOF | tail -1
SELECT clock_timestamp() AS t0 \gset
$VIEWS_SQL
\gexec
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000;
EOF
)
        [ "$r" -eq 0 ] || record d "client_$kind" "$r" "$ms"
    done
    for db in cvw cvn; do
        kind=$([ "$db" = cvw ] && echo with || echo without)
        fresh_run_schema "$db"
        ms=$(q "$db" -c "$STOPWATCH" -f - <<EOF | tail -1
CREATE FUNCTION pg_temp.create_views() RETURNS float8 LANGUAGE plpgsql AS \$f\$
DECLARE
    stmts text[] := ARRAY($VIEWS_SQL);
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    FOR i IN 1 .. cardinality(stmts) LOOP
        EXECUTE stmts[i];
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
\$f\$;
SELECT pg_temp.create_views();
EOF
)
        [ "$r" -eq 0 ] || record d "server_$kind" "$r" "$ms"
    done
done
cvw_edges=$(q cvw -c "SELECT count(DISTINCT dependent_objid) FROM schemaguard.lineage_edge e JOIN pg_class c ON c.oid = e.dependent_objid WHERE c.relnamespace = 'run'::regnamespace")
log "d: the extension stored lineage for $cvw_edges of the $NVIEWS views of the last run"

# ---------------------------------------------------------------------------
# The figures: medians, ratios of medians, targets.
# ---------------------------------------------------------------------------
q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"

q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v same_edges="$same_edges" \
    -v c01_rows="$c01_rows" -v c01_views="$c01_views" -v c20_rows="$c20_rows" \
    -v c20_views="$c20_views" -v dep_rows="$dep_rows" -v dep_views="$dep_views" \
    -v pgdepend_plan="$pgdepend_plan" \
    -v nviews="$nviews" -v ntables="$ntables" -v edges="${rebuild_digest%% *}" \
    -v d_views="$NVIEWS" -v rebuild_peak_kb="${rebuild_peak_kb:-0}" \
    -v impact_peak_kb="${impact_peak_kb:-0}" -v pgdepend_peak_kb="${pgdepend_peak_kb:-0}" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT kind, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
           min(ms) AS min_ms, max(ms) AS max_ms
    FROM bench_raw GROUP BY kind;
CREATE FUNCTION pg_temp.m(k text) RETURNS float8 LANGUAGE sql AS
    $$ SELECT ms FROM med WHERE kind = k $$;
CREATE FUNCTION pg_temp.f(x float8) RETURNS text LANGUAGE sql AS
    $$ SELECT CASE WHEN x >= 100 THEN to_char(x, 'FM999999990') ELSE to_char(x, 'FM9990.0') END $$;
\pset title 'schemaguard benchmark: medians in ms (n = number of timings, min..max)'
SELECT kind AS measurement, n, pg_temp.f(ms) AS median_ms,
       pg_temp.f(min_ms) || ' .. ' || pg_temp.f(max_ms) AS range_ms
FROM med ORDER BY kind;
CREATE TEMP TABLE ratio AS
SELECT o, target_name, figure, num, den, num / den AS ratio, target,
       CASE WHEN target IS NULL THEN 'info'
            WHEN num / den <= target THEN 'met' ELSE 'NOT met' END AS verdict
FROM (VALUES
    (1, 'a/b', 'rebuild / viewdef, new session each', pg_temp.m('rebuild_cold'), pg_temp.m('viewdef_cold'), 1.0),
    (2, 'a/b', 'rebuild / viewdef, one warm session', pg_temp.m('rebuild_warm'), pg_temp.m('viewdef_warm'), 1.0),
    (3, 'c',   'impact_of(t0001.c01) / pg_depend',    pg_temp.m('impact_c01'),   pg_temp.m('pg_depend'),    1.0),
    (4, 'c',   'impact_of(t0001.c20) / pg_depend',    pg_temp.m('impact_c20'),   pg_temp.m('pg_depend'),    NULL),
    (5, 'c',   'first call of a session: c01 / pg_depend', pg_temp.m('impact_c01_first'), pg_temp.m('pg_depend_first'), NULL),
    (6, 'd',   'CREATE VIEW with / without, client',  pg_temp.m('client_with'),  pg_temp.m('client_without'), 1.25),
    (7, 'd',   'CREATE VIEW with / without, server',  pg_temp.m('server_with'),  pg_temp.m('server_without'), 1.25)
) v(o, target_name, figure, num, den, target);
\pset title 'schemaguard benchmark: ratios of medians'
SELECT target_name AS "for", figure, pg_temp.f(num) AS ms, pg_temp.f(den) AS vs_ms,
       to_char(ratio, 'FM990.00') AS ratio, coalesce('<= ' || to_char(target, 'FM0.00'), '') AS target,
       verdict
FROM ratio ORDER BY o;
\pset title 'schemaguard benchmark: targets (met only if met by every figure that counts for it)'
SELECT target_name AS target, '<= ' || to_char(max(target), 'FM0.00') AS "ratio must be",
       string_agg(to_char(ratio, 'FM990.00'), ', ' ORDER BY o) AS "measured",
       CASE WHEN bool_and(verdict = 'met') THEN 'met' ELSE 'NOT met' END AS verdict
FROM ratio WHERE target IS NOT NULL GROUP BY target_name ORDER BY min(o);
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('schema', :'ntables' || ' tables, ' || :'nviews' || ' views; ' || :'edges' || ' lineage edges'),
    ('generate.sql (with upkeep)', pg_temp.f(pg_temp.m('generate') / 1000) || ' s'),
    ('rebuild() edges = upkeep edges', :'same_edges'),
    ('impact_of(bench.t0001.c01)', :'c01_rows' || ' rows, ' || :'c01_views' || ' distinct views'),
    ('impact_of(bench.t0001.c20)', :'c20_rows' || ' rows, ' || :'c20_views' || ' distinct views'),
    ('recursive pg_depend, bench.t0001', :'dep_rows' || ' rows, ' || :'dep_views' || ' distinct views'),
    ('plan of the pg_depend query', :'pgdepend_plan'),
    ('per row, impact_of c01 / pg_depend', to_char(pg_temp.m('impact_c01') * 1000 / :'c01_rows', 'FM990.0') || ' / '
        || to_char(pg_temp.m('pg_depend') * 1000 / :'dep_rows', 'FM990.0') || ' us'),
    ('CREATE VIEW per view, with / without (client)', to_char(pg_temp.m('client_with') / :'d_views', 'FM0.000') || ' / '
        || to_char(pg_temp.m('client_without') / :'d_views', 'FM0.000') || ' ms'),
    ('CREATE VIEW per view, with / without (server)', to_char(pg_temp.m('server_with') / :'d_views', 'FM0.000') || ' / '
        || to_char(pg_temp.m('server_without') / :'d_views', 'FM0.000') || ' ms'),
    ('peak private backend memory, rebuild()', (:'rebuild_peak_kb'::int / 1024) || ' MiB'),
    ('peak private backend memory, impact_of(c01)', (:'impact_peak_kb'::int / 1024) || ' MiB'),
    ('peak private backend memory, pg_depend query', (:'pgdepend_peak_kb'::int / 1024) || ' MiB')
) v(item, value);
EOF
echo
cat "$OUT/results.txt"
log "done; raw timings in $RAW, this table in $OUT/results.txt"
