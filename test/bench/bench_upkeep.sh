#!/usr/bin/env bash
# The upkeep and rebuild cost benchmark of schemaguard (not part of the test
# suite; issue 14, "Upkeep and rebuild cost"):
#
#   bash test/bench/bench_upkeep.sh
#   BENCH_DESTDIR=/tmp/pgcopy BENCH_PORT=5497 bash test/bench/bench_upkeep.sh
#
# Builds and installs the extension (see lib.sh), then, in ONE run on a
# throwaway PostgreSQL 15 cluster, makes the benchmark schema -- 2,000
# tables and 10,000 views (test/bench/generate.sql) and 3,000 functions
# (test/bench/generate_functions.sql: 1,000 SQL, 2,000 PL/pgSQL) -- twice:
# in database "uw" with the extension, in "un" without, and measures, with
# clock_timestamp() differences, every figure the median of several runs
# alternating with / without:
#   g. ALTER TABLE t ADD COLUMN x int, then ALTER TABLE t DROP COLUMN x, on
#      fact tables that views and functions read: with / without
#      (target <= 1.10: an ALTER that cannot change what a dependent reads
#      must not analyze it again; DROP COLUMN analyzes only the bodies that
#      name that column), each run in a new session whose first ALTER
#      loads the library, and in a warm session (one untimed ADD + DROP
#      first).  Also, for information, with the library preloaded at
#      connection, with schemaguard.mode = off (lineage upkeep alone) and
#      with the lineage event triggers disabled (the guard alone);
#   h. schemaguard.rebuild() / pg_get_viewdef() of every view, in new
#      sessions and in one warm session (target <= 1.0: the floor is reading
#      each stored tree once); rebuild() from an empty catalog and its peak
#      backend memory (information);
#   i. CREATE OR REPLACE VIEW of layer-1 views, same definition: with /
#      without (target <= 1.25, steadily: the ratio of the medians, the
#      median of the runs' own ratios and their spread);
#   j. CREATE FUNCTION of 20-line PL/pgSQL bodies over the fact tables:
#      with / without (target <= 1.5).
# Statements are sent by psql one by one, each its own transaction
# (autocommit), as a migration tool or a person sends them, from a file
# written before the timing starts; lock_timeout
# is 5s in both databases (the guard leaves a plain ADD COLUMN with a
# lock_timeout alone).  See docs/benchmark.md.
#
# Knobs (environment): BENCH_RUNS (11) runs per figure of g and j;
# BENCH_REPLACE_RUNS (21) of i; BENCH_REBUILD_RUNS (5) per figure of h; BENCH_ALTERS (20) tables per run
# of g; BENCH_REPLACE (200) views per run of i; BENCH_CREATE (200)
# functions per run of j; BENCH_TABLES (2000), BENCH_LAYERS (10),
# BENCH_PER_LAYER (1000), BENCH_SQL_FUNCTIONS (1000),
# BENCH_PLPGSQL_FUNCTIONS (2000) for the schema.  Raw timings and the
# tables go to test/bench/out/ (git-ignored): upkeep.log, upkeep_raw.tsv,
# upkeep_results.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${BENCH_RUNS:-11}
H_RUNS=${BENCH_REBUILD_RUNS:-5}
I_RUNS=${BENCH_REPLACE_RUNS:-21}
NALTERS=${BENCH_ALTERS:-20}
NREPLACE=${BENCH_REPLACE:-200}
NCREATE=${BENCH_CREATE:-200}
TABLES=${BENCH_TABLES:-2000}
LAYERS=${BENCH_LAYERS:-10}
PER_LAYER=${BENCH_PER_LAYER:-1000}
NSQL=${BENCH_SQL_FUNCTIONS:-1000}
NPLPGSQL=${BENCH_PLPGSQL_FUNCTIONS:-2000}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench_upkeep "$OUT/upkeep.log" "$OUT/upkeep_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/upkeep_raw.tsv"

log "schemaguard upkeep benchmark, $(q postgres -c 'SHOW server_version'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "extension sources: $BENCH_SOURCES"
log "sizes: $TABLES tables, $LAYERS layers x $PER_LAYER views, $NSQL SQL + $NPLPGSQL PL/pgSQL functions; runs=$RUNS replace_runs=$I_RUNS rebuild_runs=$H_RUNS alters=$NALTERS replace=$NREPLACE create=$NCREATE"

FN_VARS=(-v tables="$TABLES" -v per_layer="$PER_LAYER" -v sql_functions="$NSQL" -v plpgsql_functions="$NPLPGSQL")

# ---------------------------------------------------------------------------
# The schema, twice: "uw" with the extension (installed first, so that its
# upkeep records everything as it is created), "un" without.
# ---------------------------------------------------------------------------
for db in uw un; do
    q postgres -c "CREATE DATABASE $db"
    q postgres -c "ALTER DATABASE $db SET lock_timeout = '5s'"
    [ "$db" = un ] || q "$db" -c 'CREATE EXTENSION schemaguard'
    log "$db: generating the schema (generate.sql, generate_functions.sql)"
    q "$db" -v tables="$TABLES" -v layers="$LAYERS" -v per_layer="$PER_LAYER" \
        -f test/bench/generate.sql > /dev/null
    q "$db" "${FN_VARS[@]}" -f test/bench/generate_functions.sql > /dev/null
    q "$db" -c 'VACUUM ANALYZE'
done
read -r nrel nfn < <(q uw -F ' ' -c "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'bench'::regnamespace AND relkind IN ('r', 'v', 'm')), (SELECT count(*) FROM pg_proc WHERE pronamespace = 'bench_fn'::regnamespace)")
upkeep_edges=$(q uw -c "$EDGES_DIGEST")
upkeep_unresolved=$(q uw -c "$UNRESOLVED_DIGEST")
log "uw: $nrel tables and views, $nfn functions; upkeep stored ${upkeep_edges%% *} edges, ${upkeep_unresolved%% *} unresolved references"

# ---------------------------------------------------------------------------
# g: ADD COLUMN, then DROP COLUMN, on fact tables read by views and
# functions.  Each run takes the next $NALTERS fact tables (the first fact
# tables are the ones the functions read most), sends 2 x $NALTERS ALTERs,
# each its own transaction, and times the whole from psql.  Every kind of
# run has a new session of its own; the kinds take turns in an order that
# rotates from run to run, so that a slower stretch of this shared machine
# falls on each in turn.  Three protocols:
#   new session (the target): the session's first DDL command loads the
#     library and fills its caches, inside the timing, as for a migration
#     tool that connects to run its steps;
#   preloaded (information): the library loaded at connection
#     (session_preload_libraries, which the extension recommends), so
#     loading it is outside the timing but its caches still start empty;
#   warm session: an untimed ADD + DROP on another table first (in both
#     databases), so the timing holds what each ALTER costs once a
#     session has done one.
# ---------------------------------------------------------------------------
FACT0=$((TABLES / 2 + 1))
SQLFILE=$(mktemp /tmp/bench_upkeep.XXXXXX.sql)
trap 'rm -f "$SQLFILE"' EXIT
alter_sql() {
    local run=$1 warm=${2:-}
    if [ -n "$warm" ]; then
        t=$(printf 'bench.t%04d' "$TABLES")
        echo "ALTER TABLE $t ADD COLUMN bench_w int;"
        echo "ALTER TABLE $t DROP COLUMN bench_w;"
    fi
    echo "SELECT clock_timestamp() AS t0 \\gset"
    for i in $(seq 0 $((NALTERS - 1))); do
        t=$(printf 'bench.t%04d' $((FACT0 + (run * NALTERS + i) % (TABLES / 2 - 1))))
        echo "ALTER TABLE $t ADD COLUMN bench_x int;"
        echo "ALTER TABLE $t DROP COLUMN bench_x;"
    done
    echo "SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000;"
}
t=$(printf 'bench.t%04d' "$FACT0")
read -r g_views g_fns < <(q uw -F ' ' -c "SELECT count(DISTINCT object_identity) FILTER (WHERE object_type = 'view'), count(DISTINCT object_identity) FILTER (WHERE object_type = 'function') FROM schemaguard.impact_of('$t', 1)")
G_KINDS=(with without preloaded warm_with warm_without lineage_only guard_only)
log "g: $RUNS x $NALTERS x (ADD COLUMN, DROP COLUMN) for each of ${G_KINDS[*]}, in rotating order (+1 warm-up); $t has $g_views dependent views and $g_fns functions at depth 1"
LINEAGE_TRIGGERS="schemaguard_ddl_command_end schemaguard_sql_drop"
for r in $(seq 0 "$RUNS"); do
    for k in $(seq 0 $((${#G_KINDS[@]} - 1))); do
        kind=${G_KINDS[$(((k + r) % ${#G_KINDS[@]}))]}
        warm=''
        case $kind in
            with) db=uw; opts='' ;;
            without) db=un; opts='' ;;
            preloaded) db=uw; opts='-c session_preload_libraries=schemaguard' ;;
            warm_with) db=uw; opts=''; warm=1 ;;
            warm_without) db=un; opts=''; warm=1 ;;
            lineage_only) db=uw; opts='-c schemaguard.mode=off' ;;
            guard_only) db=uw; opts='' ;;
        esac
        if [ "$kind" = guard_only ]; then
            for t in $LINEAGE_TRIGGERS; do q uw -c "ALTER EVENT TRIGGER $t DISABLE"; done
        fi
        # the statements are written out first: the timing must not wait
        # for the script making them
        alter_sql "$r" "$warm" > "$SQLFILE"
        ms=$(PGOPTIONS="-c client_min_messages=warning $opts" \
             psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -f "$SQLFILE" | tail -1)
        if [ "$kind" = guard_only ]; then
            for t in $LINEAGE_TRIGGERS; do q uw -c "ALTER EVENT TRIGGER $t ENABLE"; done
        fi
        [ "$r" -eq 0 ] || record g "alter_$kind" "$r" "$ms"
    done
done
# the runs with the lineage triggers disabled left upkeep behind: repair
q uw -c 'SELECT schemaguard.rebuild()' > /dev/null
after_g=$(q uw -c "$EDGES_DIGEST")
[ "$after_g" = "$upkeep_edges" ] || log "note: the edges changed with g (${upkeep_edges%% *} -> ${after_g%% *})"

# ---------------------------------------------------------------------------
# h: rebuild() against pg_get_viewdef() of every view, as in bench.sh's a/b,
# on the schema with the functions.  New session each, then one warm
# session.  Then rebuild() from an empty catalog (every edge written), and
# the peak private memory of a backend running one rebuild().
# ---------------------------------------------------------------------------
VIEWDEF_SQL="SELECT count(pg_get_viewdef(c.oid)) FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'bench'::regnamespace"
log "h cold: $H_RUNS x (rebuild, viewdef), alternating, each in a new session (+1 warm-up)"
for r in $(seq 0 "$H_RUNS"); do
    q uw -c 'VACUUM schemaguard.lineage_edge'
    ms=$(q uw -c "$STOPWATCH" -c "SELECT pg_temp.ms('SELECT schemaguard.rebuild()')")
    [ "$r" -eq 0 ] || record h rebuild_cold "$r" "$ms"
    ms=$(q uw -c "$STOPWATCH" -c "SELECT pg_temp.ms(\$q\$$VIEWDEF_SQL\$q\$)")
    [ "$r" -eq 0 ] || record h viewdef_cold "$r" "$ms"
done
rebuild_edges=$(q uw -c "$EDGES_DIGEST")
rebuild_unresolved=$(q uw -c "$UNRESOLVED_DIGEST")
same=yes
[ "$upkeep_edges" = "$rebuild_edges" ] && [ "$upkeep_unresolved" = "$rebuild_unresolved" ] || {
    same=NO
    log "WARNING: rebuild() stored other rows than upkeep (edges $upkeep_edges vs $rebuild_edges; unresolved $upkeep_unresolved vs $rebuild_unresolved)"
}
log "h warm: $H_RUNS x (rebuild, viewdef), alternating, in one session (+1 warm-up)"
{
    echo "$STOPWATCH"
    for r in $(seq 0 "$H_RUNS"); do
        echo "VACUUM schemaguard.lineage_edge;"
        echo "SELECT 'rebuild_warm', $r, pg_temp.ms('SELECT schemaguard.rebuild()');"
        echo "SELECT 'viewdef_warm', $r, pg_temp.ms(\$q\$$VIEWDEF_SQL\$q\$);"
    done
} | q uw -F ' ' | while read -r kind r ms; do
    [ "$r" -eq 0 ] || record h "$kind" "$r" "$ms"
done
log "h empty: $H_RUNS x rebuild() of an emptied catalog (DELETE, VACUUM untimed), one session"
{
    echo "$STOPWATCH"
    for r in $(seq 0 "$H_RUNS"); do
        echo "DELETE FROM schemaguard.lineage_edge;"
        echo "VACUUM schemaguard.lineage_edge;"
        echo "SELECT 'rebuild_empty', $r, pg_temp.ms('SELECT schemaguard.rebuild()');"
    done
} | q uw -F ' ' | while read -r kind r ms; do
    [ "$r" -eq 0 ] || record h "$kind" "$r" "$ms"
done
q uw -c 'VACUUM schemaguard.lineage_edge'
rebuild_peak_kb=$(bench_peak_kb uw 'SELECT schemaguard.rebuild()')
q uw -c 'DELETE FROM schemaguard.lineage_edge' -c 'VACUUM schemaguard.lineage_edge'
rebuild_empty_peak_kb=$(bench_peak_kb uw 'SELECT schemaguard.rebuild()')
viewdef_peak_kb=$(bench_peak_kb uw "$VIEWDEF_SQL")

# ---------------------------------------------------------------------------
# i: CREATE OR REPLACE VIEW of $NREPLACE layer-1 views with their own
# definition (pg_get_viewdef), each its own transaction.  The statements
# are read from the database before the run and written to a file, so
# that the timing holds them alone; the order with / without alternates
# from run to run (with first in even runs), so that a slower stretch of
# this shared machine falls on each side as often.  Besides the ratio of
# the medians, each run's ratio (with / without of the same run) is kept:
# their median and spread say how steady the figure is.
# ---------------------------------------------------------------------------
replace_sql() {
    local db=$1 run=$2
    echo "SELECT clock_timestamp() AS t0 \\gset"
    q "$db" -c "SELECT format('CREATE OR REPLACE VIEW %s AS %s;', c.oid::regclass,
                              rtrim(pg_get_viewdef(c.oid), ';'))
                FROM pg_class c
                WHERE c.relnamespace = 'bench'::regnamespace AND c.relname LIKE 'v01\\_%'
                ORDER BY c.relname OFFSET ($run * $NREPLACE) % $PER_LAYER LIMIT $NREPLACE"
    echo "SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000;"
}
log "i: $I_RUNS x $NREPLACE CREATE OR REPLACE VIEW, with / without, order alternating (+1 warm-up)"
for r in $(seq 0 "$I_RUNS"); do
    dbs="uw un"
    [ $((r % 2)) -eq 0 ] || dbs="un uw"
    for db in $dbs; do
        kind=$([ "$db" = uw ] && echo with || echo without)
        replace_sql "$db" "$r" > "$SQLFILE"
        ms=$(q "$db" -f "$SQLFILE" | tail -1)
        [ "$r" -eq 0 ] || record i "replace_$kind" "$r" "$ms"
    done
done

# ---------------------------------------------------------------------------
# j: CREATE FUNCTION of $NCREATE PL/pgSQL functions with a 20-line body
# (declarations, SELECT INTO, IF, a FOR loop over a query, UPDATE, INSERT,
# RETURN) over the fact tables, in a fresh schema each run.
# ---------------------------------------------------------------------------
create_sql() {
    local n
    echo "DROP SCHEMA IF EXISTS bench_j CASCADE;"
    echo "CREATE SCHEMA bench_j;"
    echo "SELECT clock_timestamp() AS t0 \\gset"
    for n in $(seq 1 "$NCREATE"); do
        bench_j_function "$n"
    done
    echo "SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000;"
}
log "j: $RUNS x $NCREATE CREATE FUNCTION (PL/pgSQL, 20 lines), with / without, alternating (+1 warm-up)"
for r in $(seq 0 "$RUNS"); do
    for db in uw un; do
        kind=$([ "$db" = uw ] && echo with || echo without)
        create_sql > "$SQLFILE"
        ms=$(q "$db" -f "$SQLFILE" | tail -1)
        [ "$r" -eq 0 ] || record j "create_$kind" "$r" "$ms"
    done
done
j_fns=$(q uw -c "SELECT count(DISTINCT e.dependent_objid) FROM schemaguard.lineage_edge e JOIN pg_proc p ON p.oid = e.dependent_objid AND e.dependent_classid = 'pg_proc'::regclass WHERE p.pronamespace = 'bench_j'::regnamespace")
log "j: the extension stored lineage for $j_fns of the $NCREATE functions of the last run"

# rebuild() equals upkeep after all of it
final_upkeep=$(q uw -c "$EDGES_DIGEST")' / '$(q uw -c "$UNRESOLVED_DIGEST")
q uw -c 'SELECT schemaguard.rebuild()' > /dev/null
final_rebuild=$(q uw -c "$EDGES_DIGEST")' / '$(q uw -c "$UNRESOLVED_DIGEST")
final_same=$([ "$final_upkeep" = "$final_rebuild" ] && echo yes || echo NO)
log "after g, i, j: rebuild() equals upkeep: $final_same ($final_upkeep)"

# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------
q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"
q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v same="$same" \
    -v final_same="$final_same" -v nrel="$nrel" -v nfn="$nfn" -v edges="${upkeep_edges%% *}" \
    -v unresolved="${upkeep_unresolved%% *}" -v nalters="$NALTERS" -v nreplace="$NREPLACE" \
    -v ncreate="$NCREATE" -v g_views="$g_views" -v g_fns="$g_fns" -v j_fns="$j_fns" \
    -v rebuild_peak_kb="${rebuild_peak_kb:-0}" -v rebuild_empty_peak_kb="${rebuild_empty_peak_kb:-0}" \
    -v viewdef_peak_kb="${viewdef_peak_kb:-0}" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/upkeep_results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT kind, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
           min(ms) AS min_ms, max(ms) AS max_ms
    FROM bench_raw GROUP BY kind;
CREATE FUNCTION pg_temp.m(k text) RETURNS float8 LANGUAGE sql AS
    $$ SELECT ms FROM med WHERE kind = k $$;
CREATE FUNCTION pg_temp.f(x float8) RETURNS text LANGUAGE sql AS
    $$ SELECT CASE WHEN x >= 100 THEN to_char(x, 'FM999999990') ELSE to_char(x, 'FM9990.0') END $$;
\pset title 'schemaguard upkeep benchmark: medians in ms (n = number of timings, min..max)'
SELECT kind AS measurement, n, pg_temp.f(ms) AS median_ms,
       pg_temp.f(min_ms) || ' .. ' || pg_temp.f(max_ms) AS range_ms
FROM med ORDER BY kind;
CREATE TEMP TABLE i_runs AS
    SELECT w.run, w.ms AS with_ms, n.ms AS without_ms, w.ms / n.ms AS r
    FROM bench_raw w JOIN bench_raw n ON n.run = w.run AND n.kind = 'replace_without'
    WHERE w.kind = 'replace_with';
CREATE TEMP TABLE ratio AS
SELECT o, target_name, figure, num, den, num / den AS ratio, target,
       CASE WHEN target IS NULL THEN 'info'
            WHEN num / den <= target THEN 'met' ELSE 'NOT met' END AS verdict
FROM (VALUES
    (1, 'g', 'ADD + DROP COLUMN with / without, new session each', pg_temp.m('alter_with'),     pg_temp.m('alter_without'), 1.10),
    (2, 'g', 'the same, library preloaded (session_preload_libraries)', pg_temp.m('alter_preloaded'), pg_temp.m('alter_without'), NULL),
    (2, 'g', 'the same in a warm session (one ADD + DROP before)', pg_temp.m('alter_warm_with'), pg_temp.m('alter_warm_without'), 1.10),
    (2, 'g', 'new session, schemaguard.mode = off (lineage only)', pg_temp.m('alter_lineage_only'), pg_temp.m('alter_without'), NULL),
    (2, 'g', 'new session, lineage event triggers disabled (guard only)', pg_temp.m('alter_guard_only'), pg_temp.m('alter_without'), NULL),
    (3, 'h', 'rebuild / viewdef, new session each',         pg_temp.m('rebuild_cold'),   pg_temp.m('viewdef_cold'), 1.0),
    (4, 'h', 'rebuild / viewdef, one warm session',         pg_temp.m('rebuild_warm'),   pg_temp.m('viewdef_warm'), 1.0),
    (5, 'h', 'rebuild of an empty catalog / viewdef (warm)', pg_temp.m('rebuild_empty'), pg_temp.m('viewdef_warm'), NULL),
    (6, 'i', 'CREATE OR REPLACE VIEW with / without',       pg_temp.m('replace_with'),   pg_temp.m('replace_without'), 1.25),
    (6, 'i', 'the same, median of the runs'' own ratios',    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r) FROM i_runs), 1.0, 1.25),
    (7, 'j', 'CREATE FUNCTION (PL/pgSQL) with / without',   pg_temp.m('create_with'),    pg_temp.m('create_without'), 1.5)
) v(o, target_name, figure, num, den, target);
\pset title 'schemaguard upkeep benchmark: ratios of medians'
SELECT target_name AS "for", figure,
       CASE WHEN figure LIKE '%own ratios%' THEN '' ELSE pg_temp.f(num) END AS ms,
       CASE WHEN figure LIKE '%own ratios%' THEN '' ELSE pg_temp.f(den) END AS vs_ms,
       to_char(ratio, 'FM990.00') AS ratio, coalesce('<= ' || to_char(target, 'FM0.00'), '') AS target,
       verdict
FROM ratio ORDER BY o;
\pset title 'schemaguard upkeep benchmark: every run of i, with / without of the same run (order alternating)'
SELECT run, pg_temp.f(with_ms) AS with_ms, pg_temp.f(without_ms) AS without_ms,
       to_char(r, 'FM990.00') AS ratio
FROM i_runs ORDER BY run;
\pset title 'schemaguard upkeep benchmark: spread of the runs of i'
SELECT count(*) AS runs,
       to_char(percentile_cont(0.1) WITHIN GROUP (ORDER BY r), 'FM990.00') AS p10,
       to_char(percentile_cont(0.5) WITHIN GROUP (ORDER BY r), 'FM990.00') AS median,
       to_char(percentile_cont(0.9) WITHIN GROUP (ORDER BY r), 'FM990.00') AS p90,
       count(*) FILTER (WHERE r > 1.25) AS above_1_25,
       count(*) FILTER (WHERE r < 0.8) AS below_0_8
FROM i_runs;
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('schema (uw, un)', :'nrel' || ' tables and views, ' || :'nfn' || ' functions; ' || :'edges' || ' lineage edges, ' || :'unresolved' || ' unresolved references'),
    ('g: the first fact table', :'g_views' || ' dependent views and ' || :'g_fns' || ' functions at depth 1'),
    ('g: per ALTER, with / without, new session each', to_char(pg_temp.m('alter_with') / (2 * :'nalters'), 'FM990.000') || ' / '
        || to_char(pg_temp.m('alter_without') / (2 * :'nalters'), 'FM990.000') || ' ms'),
    ('g: per ALTER, with / without, warm session', to_char(pg_temp.m('alter_warm_with') / (2 * :'nalters'), 'FM990.000') || ' / '
        || to_char(pg_temp.m('alter_warm_without') / (2 * :'nalters'), 'FM990.000') || ' ms'),
    ('i: per view, with / without', to_char(pg_temp.m('replace_with') / :'nreplace', 'FM990.000') || ' / '
        || to_char(pg_temp.m('replace_without') / :'nreplace', 'FM990.000') || ' ms'),
    ('j: per function, with / without', to_char(pg_temp.m('create_with') / :'ncreate', 'FM990.000') || ' / '
        || to_char(pg_temp.m('create_without') / :'ncreate', 'FM990.000') || ' ms'),
    ('j: functions of the last run with lineage', :'j_fns' || ' of ' || :'ncreate'),
    ('rebuild() = upkeep (edges and unresolved), after the schema', :'same'),
    ('rebuild() = upkeep, after g, i, j', :'final_same'),
    ('peak private backend memory, rebuild()', (:'rebuild_peak_kb'::int / 1024) || ' MiB'),
    ('peak private backend memory, rebuild() of an empty catalog', (:'rebuild_empty_peak_kb'::int / 1024) || ' MiB'),
    ('peak private backend memory, pg_get_viewdef pass', (:'viewdef_peak_kb'::int / 1024) || ' MiB')
) v(item, value);
EOF
echo
cat "$OUT/upkeep_results.txt"
log "done; raw timings in $RAW, these tables in $OUT/upkeep_results.txt"
