#!/usr/bin/env bash
# The function-body benchmark of schemaguard (not part of the test suite):
#
#   bash test/bench/bench_functions.sh
#
# Builds and installs the extension (test/setup.sh), then, in ONE run on a
# throwaway PostgreSQL 15 cluster (pg_virtualenv), generates the benchmark
# schema of bench.sh (test/bench/generate.sql: 2,000 tables, 10,000 views)
# and measures, with server-side clock_timestamp() differences:
#   e. schemaguard.rebuild() without functions, then with the 1,000 SQL
#      functions of test/bench/generate_functions.sql, then with those and
#      its 2,000 PL/pgSQL functions: what reading the bodies costs (per
#      language), and how many edges they give;
#   f. CREATE FUNCTION of those 3,000 functions with vs without the
#      extension (the cost of event-trigger upkeep), two protocols.
# Every figure is the median of several runs; ratios are ratios of medians.
# See docs/comparison.md.  bench.sh's own figures are not affected: it does
# not run generate_functions.sql.
#
# Knobs (environment): BENCH_RUNS (5) runs per rebuild figure;
# BENCH_F_RUNS (11) runs per CREATE FUNCTION figure; BENCH_SQL_FUNCTIONS
# (1000, a multiple of 4), BENCH_PLPGSQL_FUNCTIONS (2000, a multiple of 5);
# BENCH_TABLES (2000), BENCH_LAYERS (10), BENCH_PER_LAYER (1000) for the
# schema.  Raw measurements and the final table go to test/bench/out/
# (git-ignored): functions.log, functions_raw.tsv, functions_results.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${BENCH_RUNS:-5}
F_RUNS=${BENCH_F_RUNS:-11}
NSQL=${BENCH_SQL_FUNCTIONS:-1000}
NPLPGSQL=${BENCH_PLPGSQL_FUNCTIONS:-2000}
TABLES=${BENCH_TABLES:-2000}
LAYERS=${BENCH_LAYERS:-10}
PER_LAYER=${BENCH_PER_LAYER:-1000}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench_functions "$OUT/functions.log" "$OUT/functions_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER, PGPASSWORD are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/functions_raw.tsv"

EDGES_DIGEST="SELECT count(*) || ' ' || md5(string_agg(format('%s.%s.%s>%s.%s.%s:%s', source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage), ',' ORDER BY source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage)) FROM schemaguard.lineage_edge"

FN_VARS=(-v tables="$TABLES" -v per_layer="$PER_LAYER" -v sql_functions="$NSQL" -v plpgsql_functions="$NPLPGSQL")

log "schemaguard function benchmark, $(q postgres -c 'SHOW server_version'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "extension sources: $BENCH_SOURCES"
log "sizes: $TABLES tables, $LAYERS layers x $PER_LAYER views, $NSQL SQL + $NPLPGSQL PL/pgSQL functions; runs=$RUNS f_runs=$F_RUNS"

# ---------------------------------------------------------------------------
# The schema of bench.sh, with the extension installed
# ---------------------------------------------------------------------------
q postgres -c 'CREATE DATABASE bench'
q bench -c 'CREATE EXTENSION schemaguard'
log "generating the bench schema (test/bench/generate.sql)"
q bench -v tables="$TABLES" -v layers="$LAYERS" -v per_layer="$PER_LAYER" \
    -f test/bench/generate.sql > /dev/null
q bench -c 'VACUUM ANALYZE'

# e: rebuild() timings in the current state of database bench, KIND prefix
# $1: cold (each in a new session) and warm (one session), $RUNS each plus
# one untimed warm-up; the edge table is VACUUMed (untimed) before each.
rebuild_runs() {
    local prefix=$1 r ms kind
    for r in $(seq 0 "$RUNS"); do
        q bench -c 'VACUUM schemaguard.lineage_edge'
        ms=$(q bench -c "$STOPWATCH" -c "SELECT pg_temp.ms('SELECT schemaguard.rebuild()')")
        [ "$r" -eq 0 ] || record e "${prefix}_cold" "$r" "$ms"
    done
    {
        echo "$STOPWATCH"
        for r in $(seq 0 "$RUNS"); do
            echo "VACUUM schemaguard.lineage_edge;"
            echo "SELECT '${prefix}_warm', $r, pg_temp.ms('SELECT schemaguard.rebuild()');"
        done
    } | q bench -F ' ' | while read -r kind r ms; do
        [ "$r" -eq 0 ] || record e "$kind" "$r" "$ms"
    done
}

edges_without=$(q bench -c 'SELECT schemaguard.rebuild()')
log "e: $RUNS x rebuild() without functions ($edges_without edges), new session each, then one session (+1 warm-up each)"
rebuild_runs rebuild_nofn

log "generating the $NSQL SQL functions only (test/bench/generate_functions.sql -v plpgsql_functions=0)"
q bench "${FN_VARS[@]}" -v plpgsql_functions=0 -f test/bench/generate_functions.sql > /dev/null
q bench -c 'VACUUM ANALYZE'
edges_sql=$(q bench -c 'SELECT schemaguard.rebuild()')
log "e: $RUNS x rebuild() with the SQL functions only ($edges_sql edges), new session each, then one session (+1 warm-up each)"
rebuild_runs rebuild_sqlfn

log "generating $NSQL SQL and $NPLPGSQL PL/pgSQL functions (test/bench/generate_functions.sql), with upkeep"
gen_ms=$(q bench "${FN_VARS[@]}" -f test/bench/generate_functions.sql | tail -1)
record gen generate_functions 1 "$gen_ms"
q bench -c 'VACUUM ANALYZE'
upkeep_digest=$(q bench -c "$EDGES_DIGEST")
log "edges stored by upkeep: ${upkeep_digest%% *}"

log "e: $RUNS x rebuild() with the functions, new session each, then one session (+1 warm-up each)"
rebuild_runs rebuild_fn
rebuild_digest=$(q bench -c "$EDGES_DIGEST")
if [ "$upkeep_digest" = "$rebuild_digest" ]; then
    same_edges=yes
else
    same_edges=NO
    log "WARNING: rebuild() stored other edges than incremental upkeep ($upkeep_digest vs $rebuild_digest)"
fi
edges_with=${rebuild_digest%% *}
read -r nfuncs fn_edges fn_noedge fn_calls fn_dynamic fn_writes < <(q bench -F ' ' -c "
WITH f AS (SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'bench_fn'::regnamespace),
     e AS (SELECT e.* FROM schemaguard.lineage_edge e JOIN f ON e.dependent_classid = 'pg_proc'::regclass AND e.dependent_objid = f.oid)
SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM e),
       (SELECT count(*) FROM f WHERE NOT EXISTS (SELECT FROM e WHERE e.dependent_objid = f.oid)),
       (SELECT count(*) FROM e WHERE usage = 'call'), (SELECT count(*) FROM e WHERE usage = 'dynamic'),
       (SELECT count(*) FROM e WHERE usage = 'write')")
log "functions: $nfuncs, with $fn_edges edges ($fn_calls call, $fn_writes write, $fn_dynamic dynamic); $fn_noedge functions without any edge"
# the first fact table: read by SQL and PL/pgSQL functions of several shapes
IMPACT_TARGET=$(printf 'bench.t%04d.c11' $((TABLES / 2 + 1)))
read -r impact_rows impact_fns < <(q bench -F ' ' -c "SELECT count(*), count(DISTINCT object_identity) FILTER (WHERE object_type = 'function') FROM schemaguard.impact_of('$IMPACT_TARGET')")
log "impact_of($IMPACT_TARGET): $impact_rows rows, $impact_fns distinct functions"

# Peak private memory (kB) of a new backend running one rebuild() (as in bench.sh)
q bench -c 'VACUUM schemaguard.lineage_edge'
rebuild_peak_kb=$(q bench <<'EOF' | tail -1
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\o /dev/null
SELECT schemaguard.rebuild();
\o
\! awk '/^VmHWM:/ {hwm = $2} /^RssFile:|^RssShmem:/ {mapped += $2} END {print hwm - mapped}' /proc/$BPID/status
EOF
)

# ---------------------------------------------------------------------------
# f: CREATE FUNCTION with and without the extension.  Two databases with the
# same tables and layer-1 views (generate.sql with one layer: the functions
# read only layer 1); "fw" has the extension, "fn" has not.  Each run drops
# and re-creates schema bench_fn (the drop is not timed) with all the
# functions, alternating with / without, run 0 an untimed warm-up, in two
# protocols: client (one statement per CREATE FUNCTION, autocommit) and
# server (a plpgsql loop, one transaction).
# ---------------------------------------------------------------------------
for db in fw fn; do
    q postgres -c "CREATE DATABASE $db"
    [ "$db" = fn ] || q "$db" -c 'CREATE EXTENSION schemaguard'
    q "$db" -v tables="$TABLES" -v layers=1 -v per_layer="$PER_LAYER" \
        -f test/bench/generate.sql > /dev/null
    q "$db" -c 'VACUUM ANALYZE'
done

log "f: $F_RUNS x $((NSQL + NPLPGSQL)) CREATE FUNCTION, with / without the extension, alternating (+1 warm-up), two protocols"
for r in $(seq 0 "$F_RUNS"); do
    for protocol in client server; do
        for db in fw fn; do
            kind=$([ "$db" = fw ] && echo with || echo without)
            ms=$(q "$db" "${FN_VARS[@]}" -v protocol="$protocol" -f test/bench/generate_functions.sql | tail -1)
            [ "$r" -eq 0 ] || record f "${protocol}_${kind}" "$r" "$ms"
        done
    done
done
fw_fns=$(q fw -c "SELECT count(DISTINCT dependent_objid) FROM schemaguard.lineage_edge e JOIN pg_proc p ON p.oid = e.dependent_objid AND e.dependent_classid = 'pg_proc'::regclass WHERE p.pronamespace = 'bench_fn'::regnamespace")
log "f: the extension stored lineage for $fw_fns of the $((NSQL + NPLPGSQL)) functions of the last run"

# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------
q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"

q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v same_edges="$same_edges" \
    -v nsql="$NSQL" -v nplpgsql="$NPLPGSQL" -v nfuncs="$nfuncs" \
    -v edges_without="$edges_without" -v edges_sql="$edges_sql" -v edges_with="$edges_with" -v fn_edges="$fn_edges" \
    -v fn_noedge="$fn_noedge" -v fn_calls="$fn_calls" -v fn_dynamic="$fn_dynamic" -v fn_writes="$fn_writes" \
    -v impact_target="$IMPACT_TARGET" -v impact_rows="$impact_rows" -v impact_fns="$impact_fns" -v fw_fns="$fw_fns" \
    -v rebuild_peak_kb="${rebuild_peak_kb:-0}" -v tables="$TABLES" -v views="$((LAYERS * PER_LAYER))" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/functions_results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT kind, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
           min(ms) AS min_ms, max(ms) AS max_ms
    FROM bench_raw GROUP BY kind;
CREATE FUNCTION pg_temp.m(k text) RETURNS float8 LANGUAGE sql AS
    $$ SELECT ms FROM med WHERE kind = k $$;
CREATE FUNCTION pg_temp.f(x float8) RETURNS text LANGUAGE sql AS
    $$ SELECT CASE WHEN x >= 100 THEN to_char(x, 'FM999999990') ELSE to_char(x, 'FM9990.0') END $$;
\pset title 'schemaguard function benchmark: medians in ms (n = number of timings, min..max)'
SELECT kind AS measurement, n, pg_temp.f(ms) AS median_ms,
       pg_temp.f(min_ms) || ' .. ' || pg_temp.f(max_ms) AS range_ms
FROM med ORDER BY kind;
\pset title 'schemaguard function benchmark: ratios of medians'
SELECT "for", figure, pg_temp.f(num) AS ms, pg_temp.f(den) AS vs_ms,
       to_char(num / den, 'FM990.00') AS ratio,
       to_char((num - den) / nf, 'FM990.000') AS "difference per function, ms"
FROM (VALUES
    (1, 'e', 'rebuild, all functions / none, new session each', pg_temp.m('rebuild_fn_cold'), pg_temp.m('rebuild_nofn_cold'), :nfuncs),
    (2, 'e', 'rebuild, all functions / none, one warm session', pg_temp.m('rebuild_fn_warm'), pg_temp.m('rebuild_nofn_warm'), :nfuncs),
    (3, 'e', 'rebuild, SQL functions only / none, new session each', pg_temp.m('rebuild_sqlfn_cold'), pg_temp.m('rebuild_nofn_cold'), :nsql),
    (4, 'e', 'rebuild, SQL functions only / none, one warm session', pg_temp.m('rebuild_sqlfn_warm'), pg_temp.m('rebuild_nofn_warm'), :nsql),
    (5, 'e', 'rebuild, all functions / SQL only (PL/pgSQL), new session each', pg_temp.m('rebuild_fn_cold'), pg_temp.m('rebuild_sqlfn_cold'), :nplpgsql),
    (6, 'e', 'rebuild, all functions / SQL only (PL/pgSQL), one warm session', pg_temp.m('rebuild_fn_warm'), pg_temp.m('rebuild_sqlfn_warm'), :nplpgsql),
    (7, 'f', 'CREATE FUNCTION with / without the extension, client', pg_temp.m('client_with'), pg_temp.m('client_without'), :nfuncs),
    (8, 'f', 'CREATE FUNCTION with / without the extension, server', pg_temp.m('server_with'), pg_temp.m('server_without'), :nfuncs)
) v(o, "for", figure, num, den, nf) ORDER BY o;
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('schema', :'tables' || ' tables, ' || :'views' || ' views, ' || :'nfuncs' || ' functions (' || :'nsql' || ' SQL, ' || :'nplpgsql' || ' PL/pgSQL)'),
    ('lineage edges without functions / with the SQL ones / with all', :'edges_without' || ' / ' || :'edges_sql' || ' / ' || :'edges_with'),
    ('edges whose dependent is a function', :'fn_edges' || ' (' || :'fn_calls' || ' call, ' || :'fn_writes' || ' write, ' || :'fn_dynamic' || ' dynamic)'),
    ('functions without any edge', :'fn_noedge'),
    ('rebuild() edges = upkeep edges (with the functions)', :'same_edges'),
    ('generate_functions.sql in bench (with upkeep, client)', pg_temp.f(pg_temp.m('generate_functions')) || ' ms'),
    ('impact_of(' || :'impact_target' || ')', :'impact_rows' || ' rows, ' || :'impact_fns' || ' distinct functions'),
    ('rebuild() per function body, cold / warm', to_char((pg_temp.m('rebuild_fn_cold') - pg_temp.m('rebuild_nofn_cold')) / :nfuncs, 'FM0.000') || ' / '
        || to_char((pg_temp.m('rebuild_fn_warm') - pg_temp.m('rebuild_nofn_warm')) / :nfuncs, 'FM0.000') || ' ms'),
    ('CREATE FUNCTION per function, with / without (client)', to_char(pg_temp.m('client_with') / :nfuncs, 'FM0.000') || ' / '
        || to_char(pg_temp.m('client_without') / :nfuncs, 'FM0.000') || ' ms'),
    ('CREATE FUNCTION per function, with / without (server)', to_char(pg_temp.m('server_with') / :nfuncs, 'FM0.000') || ' / '
        || to_char(pg_temp.m('server_without') / :nfuncs, 'FM0.000') || ' ms'),
    ('f: functions with lineage in the last "with" run', :'fw_fns'),
    ('peak private backend memory, rebuild() with the functions', (:'rebuild_peak_kb'::int / 1024) || ' MiB')
) v(item, value);
EOF
echo
cat "$OUT/functions_results.txt"
log "done; raw timings in $RAW, this table in $OUT/functions_results.txt"
