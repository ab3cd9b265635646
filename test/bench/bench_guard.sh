#!/usr/bin/env bash
# The overhead of schemaguard's DDL guard (not part of the test suite):
#
#   bash test/bench/bench_guard.sh
#
# Builds and installs the extension (test/setup.sh), then, in ONE run on a
# throwaway PostgreSQL 15 cluster (pg_virtualenv), measures:
#   g. ALTER TABLE ... ADD COLUMN (metadata only, allowed by every rule:
#      no default, lock_timeout '5s') on a table of a few MB, server time
#      (clock_timestamp() differences around one EXECUTE), in three
#      variants: the guard on (extension installed, schemaguard.mode =
#      enforce), the guard off (schemaguard.mode = off: the lineage upkeep
#      still runs) and a database without the extension.  Each ADD COLUMN
#      runs in a transaction that is rolled back, so every one starts from
#      the same table.  Targets: enforce / off <= 1.10 (the guard's own
#      cost) and enforce / no extension <= 1.10 (everything the extension
#      adds).  The same on a table above schemaguard.large_table_threshold
#      is reported for information (the size-based rules look further there),
#      and so is "ADD COLUMN ... DEFAULT 0" on the few-MB table: allowed
#      too, but judged in full, where the plain ADD COLUMN run with a
#      lock_timeout is left alone from its parse tree (guard_nothing_to_judge).
#   h. pgbench TPS, built-in TPC-B-like script, in a database with the
#      extension installed and its library loaded in every session
#      (ALTER DATABASE ... SET session_preload_libraries = 'schemaguard',
#      checked) vs a copy of that database without it.  Target: >= 0.98.
# Both are interleaved: g in rounds, each round one session per variant
# (order rotated from round to round), each session one untimed warm-up and
# $BENCH_GUARD_REPS timed statements; h in pairs of runs whose order
# alternates (with, without; without, with; ...) after one untimed warm-up
# run of each.  Figures are medians; ratios are ratios of medians.  See
# docs/benchmark.md, "DDL guard overhead".
#
# Knobs (environment): BENCH_GUARD_ROUNDS (100) and BENCH_GUARD_REPS (10):
# timed ADD COLUMNs per variant and table = rounds x reps; BENCH_GUARD_SMALL_ROWS
# (50000, about 5 MB) and BENCH_GUARD_LARGE_ROWS (250000, about 25 MB);
# BENCH_PGBENCH_SCALE (10), BENCH_PGBENCH_CLIENTS (4), BENCH_PGBENCH_THREADS
# (2), BENCH_PGBENCH_RUNS (6 runs per side), BENCH_PGBENCH_SECONDS (30 per
# run).  With BENCH_DESTDIR set, a private copy of PostgreSQL is measured
# instead of the system one (test/bench/lib.sh).  Raw measurements and the
# final table go to test/bench/out/ (git-ignored): guard.log, guard_raw.tsv,
# guard_results.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${BENCH_GUARD_ROUNDS:-100}
REPS=${BENCH_GUARD_REPS:-10}
SMALL_ROWS=${BENCH_GUARD_SMALL_ROWS:-50000}
LARGE_ROWS=${BENCH_GUARD_LARGE_ROWS:-250000}
SCALE=${BENCH_PGBENCH_SCALE:-10}
CLIENTS=${BENCH_PGBENCH_CLIENTS:-4}
THREADS=${BENCH_PGBENCH_THREADS:-2}
PGB_RUNS=${BENCH_PGBENCH_RUNS:-6}
PGB_SECONDS=${BENCH_PGBENCH_SECONDS:-30}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench_guard "$OUT/guard.log" "$OUT/guard_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/guard_raw.tsv"

log "schemaguard DDL guard benchmark, $(q postgres -c 'SHOW server_version'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "extension sources: $BENCH_SOURCES"
log "sizes: g: $ROUNDS rounds x $REPS reps per variant, tables of $SMALL_ROWS and $LARGE_ROWS rows; h: pgbench scale $SCALE, $CLIENTS clients, $THREADS threads, $PGB_RUNS x ${PGB_SECONDS} s per side"

# the schemaguard.so a new session of database $1 has loaded after running
# $2 ("" if none)
loaded_library() {
    q "$1" <<EOF | tail -1
${2:-}
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! grep -o '/[^ ]*schemaguard\.so' /proc/\$BPID/maps | sort -u | tr '\n' ' '; echo
EOF
}

# ---------------------------------------------------------------------------
# g: ADD COLUMN with the guard on, with it off, and without the extension.
# Two databases with the same tables: "gw" has the extension (installed
# before the tables, so that upkeep records them), "gn" has not.  Each table
# has a primary key, an index and a view reading two of its columns.
# ---------------------------------------------------------------------------
TABLES_SQL="
CREATE SCHEMA gb;
CREATE TABLE gb.small (id bigint PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2),
                       note text, created_at timestamptz NOT NULL);
CREATE TABLE gb.large (LIKE gb.small INCLUDING ALL);
INSERT INTO gb.small SELECT g, g % 5000, (g % 1000) * 1.5, 'note ' || md5(g::text), now() - g * interval '1 minute'
    FROM generate_series(1, $SMALL_ROWS) g;
INSERT INTO gb.large SELECT g, g % 5000, (g % 1000) * 1.5, 'note ' || md5(g::text), now() - g * interval '1 minute'
    FROM generate_series(1, $LARGE_ROWS) g;
CREATE INDEX ON gb.small (customer_id);
CREATE INDEX ON gb.large (customer_id);
CREATE VIEW gb.small_totals AS SELECT customer_id, sum(amount) AS total FROM gb.small GROUP BY customer_id;
CREATE VIEW gb.large_totals AS SELECT customer_id, sum(amount) AS total FROM gb.large GROUP BY customer_id;"

q postgres -c 'CREATE DATABASE gw' -c 'CREATE DATABASE gn'
q gw -c 'CREATE EXTENSION schemaguard'
for db in gw gn; do
    q "$db" -c "$TABLES_SQL" -c 'VACUUM ANALYZE'
done
log "g: tables: $(q gw -F ' ' -c "SELECT string_agg(format('%s %s (%s rows)', c.relname, pg_size_pretty(pg_table_size(c.oid)), c.reltuples::bigint), ', ' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'gb'::regnamespace AND c.relkind = 'r'"); schemaguard.large_table_threshold $(q gw -c "LOAD 'schemaguard'" -c 'SHOW schemaguard.large_table_threshold')"

# The timed statements: a plain ADD COLUMN on each table, and on the small
# one an ADD COLUMN with a constant default -- allowed too (stored once in
# the catalog), but one the guard judges in full (the plain one it can tell
# from the parse tree to leave alone: guard_nothing_to_judge).
add_column() {
    case $1 in
        small_default) echo "ALTER TABLE gb.small ADD COLUMN c_new int DEFAULT 0" ;;
        *) echo "ALTER TABLE gb.$1 ADD COLUMN c_new int" ;;
    esac
}
TIMED="small large small_default"

# What the guard says about the timed statement: nothing with lock_timeout
# set; without it, a lock-timeout warning on the large table only.
for t in $TIMED; do
    with=$(q gw -c "SELECT count(*) FROM schemaguard.check_ddl(\$s\$SET lock_timeout = '5s'; $(add_column "$t")\$s\$)")
    without=$(q gw -c "SELECT coalesce(string_agg(rule || ' (' || severity || ')', ', '), 'nothing') FROM schemaguard.check_ddl(\$s\$$(add_column "$t")\$s\$)")
    log "g: check_ddl on '$(add_column "$t")': $with findings with lock_timeout '5s'; without lock_timeout: $without"
    if [ "$with" -ne 0 ]; then
        log "ERROR: the timed statement on gb.$t is not allowed silently; the benchmark would measure warnings"
        exit 1
    fi
done

# one session of variant $2 (enforce, off, noext) on table $1: prints
# "kind rep ms" per timed statement
addcol_session() {
    local t=$1 variant=$2 db=gw setmode
    local stmt
    stmt=$(add_column "$t")
    case $variant in
        enforce) setmode="SET schemaguard.mode = enforce;" ;;
        off) setmode="SET schemaguard.mode = off;" ;;
        noext) setmode=""; db=gn ;;
    esac
    {
        echo "SET lock_timeout = '5s';"
        echo "$setmode"
        echo "$STOPWATCH"
        for i in $(seq 0 "$REPS"); do
            echo "BEGIN;"
            echo "SELECT 'addcol_${t}_$variant', $i, pg_temp.ms(\$q\$$stmt\$q\$);"
            echo "ROLLBACK;"
        done
    } | q "$db" -F ' '
}

audit_before=$(q gw -c 'SELECT count(*) FROM schemaguard.audit_log')
log "g: $ROUNDS rounds x (enforce, off, noext) x ($TIMED), $REPS timed ADD COLUMNs per session (+1 warm-up), order rotated per round"
variants=(enforce off noext)
for r in $(seq 1 "$ROUNDS"); do
    for t in $TIMED; do
        for k in 0 1 2; do
            v=${variants[$(( (r + k) % 3 ))]}
            addcol_session "$t" "$v" | while read -r kind i ms; do
                [ "$i" -eq 0 ] || record g "$kind" "$(( (r - 1) * REPS + i ))" "$ms"
            done
        done
    done
done
audit_after=$(q gw -c 'SELECT count(*) FROM schemaguard.audit_log')
log "g: audit_log rows before / after the timed statements: $audit_before / $audit_after (no finding: no row)"

# The guard was on in the "enforce" sessions: the same session set-up
# blocks a TRUNCATE of a table with rows (data-loss), the "off" one does not.
guard_check() {
    q gw -v ON_ERROR_STOP=0 2>/dev/null <<EOF | tail -1
SET lock_timeout = '5s';
SET schemaguard.mode = $1;
$STOPWATCH
BEGIN;
TRUNCATE gb.small;
ROLLBACK;
SELECT current_setting('schemaguard.mode') || ' ' || (SELECT vartype FROM pg_settings WHERE name = 'schemaguard.mode') || ' ' || :'LAST_ERROR_SQLSTATE';
EOF
}
log "g: TRUNCATE gb.small in a session set up as 'enforce' (mode, GUC type, SQLSTATE): $(guard_check enforce)"
log "g: TRUNCATE gb.small in a session set up as 'off' (mode, GUC type, SQLSTATE): $(guard_check off)"
log "g: library loaded by a session of gw after its set-up: $(loaded_library gw "$STOPWATCH")"

# ---------------------------------------------------------------------------
# h: pgbench TPS with and without the extension.  "pn" is initialized by
# pgbench -i; "pw" is a copy of it (CREATE DATABASE ... TEMPLATE) with the
# extension installed and its library preloaded in every session.  Before
# each run (untimed), both get what pgbench itself does before a run
# (VACUUM of branches and tellers, TRUNCATE of history) and a CHECKPOINT;
# pgbench runs with -n.  (pgbench's own TRUNCATE pgbench_history would be
# blocked by the guard in "pw" -- data-loss -- so it is done here, with
# schemaguard.mode = off in that session.)
# ---------------------------------------------------------------------------
q postgres -c 'CREATE DATABASE pn'
log "h: pgbench -i -s $SCALE"
pgbench -i -q -s "$SCALE" pn 2>&1 | tail -1
q postgres -c 'CREATE DATABASE pw TEMPLATE pn'
q pw -c 'CREATE EXTENSION schemaguard' -c "ALTER DATABASE pw SET session_preload_libraries = 'schemaguard'"
pw_loaded=$(q pw -c "SELECT coalesce((SELECT vartype FROM pg_settings WHERE name = 'schemaguard.mode'), 'not loaded')")
pn_loaded=$(q pn -c "SELECT coalesce((SELECT vartype FROM pg_settings WHERE name = 'schemaguard.mode'), 'not loaded')")
log "h: schemaguard.mode in a new session: pw: $pw_loaded, pn: $pn_loaded; library: pw: $(loaded_library pw); pn: $(loaded_library pn)"
if [ "$pw_loaded" != enum ] || [ "$pn_loaded" != 'not loaded' ]; then
    log "ERROR: the library is not loaded in every session of pw only"
    exit 1
fi
log "h: databases: pw $(q pw -c 'SELECT pg_size_pretty(pg_database_size(current_database()))'), pn $(q pn -c 'SELECT pg_size_pretty(pg_database_size(current_database()))')"

pgbench_run() {
    local db=$1 seconds=$2 setoff=()
    [ "$db" = pw ] && setoff=(-c 'SET schemaguard.mode = off')
    q "$db" "${setoff[@]}" -c 'VACUUM pgbench_branches' -c 'VACUUM pgbench_tellers' \
        -c 'TRUNCATE pgbench_history' -c 'CHECKPOINT'
    pgbench -n -c "$CLIENTS" -j "$THREADS" -T "$seconds" "$db" 2>&1 |
        sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

log "h: warm-up: one untimed run of 10 s on each"
pgbench_run pw 10 > /dev/null
pgbench_run pn 10 > /dev/null
log "h: $PGB_RUNS pairs of ${PGB_SECONDS}-second runs, order alternating"
for r in $(seq 1 "$PGB_RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then order=(pw pn); else order=(pn pw); fi
    for db in "${order[@]}"; do
        tps=$(pgbench_run "$db" "$PGB_SECONDS")
        kind=$([ "$db" = pw ] && echo pgbench_with || echo pgbench_without)
        log "h: run $r $kind: $tps tps"
        record h "$kind" "$r" "$tps"
    done
done

# ---------------------------------------------------------------------------
# The figures: medians, ratios of medians, targets.
# ---------------------------------------------------------------------------
q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"

q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/guard_results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT section, kind, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS v,
           min(ms) AS min_v, max(ms) AS max_v
    FROM bench_raw GROUP BY section, kind;
CREATE FUNCTION pg_temp.m(k text) RETURNS float8 LANGUAGE sql AS
    $$ SELECT v FROM med WHERE kind = k $$;
CREATE FUNCTION pg_temp.f(x float8) RETURNS text LANGUAGE sql AS
    $$ SELECT CASE WHEN x >= 100 THEN to_char(x, 'FM999999990') ELSE to_char(x, 'FM9990.000') END $$;
\pset title 'schemaguard DDL guard benchmark: medians (g in ms per ADD COLUMN, h in TPS; n = number of timings, min..max)'
SELECT kind AS measurement, n, pg_temp.f(v) AS median,
       pg_temp.f(min_v) || ' .. ' || pg_temp.f(max_v) AS range
FROM med ORDER BY section, kind;
\pset title 'pgbench runs (TPS), in the order they ran'
SELECT run, kind, to_char(ms, 'FM999990.0') AS tps FROM bench_raw WHERE section = 'h'
ORDER BY run, kind;
CREATE TEMP TABLE ratio AS
SELECT o, target_name, figure, num, den, num / den AS ratio, target, op,
       CASE WHEN target IS NULL THEN 'info'
            WHEN (op = '<=' AND num / den <= target) OR (op = '>=' AND num / den >= target) THEN 'met'
            ELSE 'NOT met' END AS verdict
FROM (VALUES
    (1, 'g', 'ADD COLUMN, few-MB table: enforce / off',          pg_temp.m('addcol_small_enforce'), pg_temp.m('addcol_small_off'),   1.10, '<='),
    (2, 'g', 'ADD COLUMN, few-MB table: enforce / no extension', pg_temp.m('addcol_small_enforce'), pg_temp.m('addcol_small_noext'), 1.10, '<='),
    (3, 'g', 'ADD COLUMN, few-MB table: off / no extension',     pg_temp.m('addcol_small_off'),     pg_temp.m('addcol_small_noext'), NULL, ''),
    (4, 'g', 'ADD COLUMN, large table: enforce / off',           pg_temp.m('addcol_large_enforce'), pg_temp.m('addcol_large_off'),   NULL, ''),
    (5, 'g', 'ADD COLUMN, large table: enforce / no extension',  pg_temp.m('addcol_large_enforce'), pg_temp.m('addcol_large_noext'), NULL, ''),
    (6, 'g', 'ADD COLUMN DEFAULT 0 (judged), few-MB table: enforce / off', pg_temp.m('addcol_small_default_enforce'), pg_temp.m('addcol_small_default_off'), NULL, ''),
    (7, 'g', 'ADD COLUMN DEFAULT 0 (judged), few-MB table: enforce / no extension', pg_temp.m('addcol_small_default_enforce'), pg_temp.m('addcol_small_default_noext'), NULL, ''),
    (8, 'h', 'pgbench TPS with / without the extension',         pg_temp.m('pgbench_with'),         pg_temp.m('pgbench_without'),    0.98, '>=')
) v(o, target_name, figure, num, den, target, op);
\pset title 'schemaguard DDL guard benchmark: ratios of medians'
SELECT target_name AS "for", figure, pg_temp.f(num) AS num, pg_temp.f(den) AS den,
       to_char(ratio, 'FM990.000') AS ratio,
       coalesce(op || ' ' || to_char(target, 'FM0.00'), '') AS target, verdict
FROM ratio ORDER BY o;
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('pgbench: median of the ratios with / without within each pair of runs',
        (SELECT to_char(percentile_cont(0.5) WITHIN GROUP (ORDER BY w.ms / n.ms), 'FM990.000')
         FROM bench_raw w JOIN bench_raw n ON n.run = w.run AND n.kind = 'pgbench_without'
         WHERE w.kind = 'pgbench_with')),
    ('guard cost per ADD COLUMN, few-MB table (enforce - off)',
        to_char((pg_temp.m('addcol_small_enforce') - pg_temp.m('addcol_small_off')) * 1000, 'FM9990') || ' us'),
    ('extension cost per ADD COLUMN, few-MB table (enforce - no extension)',
        to_char((pg_temp.m('addcol_small_enforce') - pg_temp.m('addcol_small_noext')) * 1000, 'FM9990') || ' us'),
    ('guard cost per ADD COLUMN DEFAULT 0 (judged), few-MB table (enforce - off)',
        to_char((pg_temp.m('addcol_small_default_enforce') - pg_temp.m('addcol_small_default_off')) * 1000, 'FM9990') || ' us')
) v(item, value);
EOF
echo
cat "$OUT/guard_results.txt"
log "done; raw timings in $RAW, this table in $OUT/guard_results.txt"
