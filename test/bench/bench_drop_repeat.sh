#!/usr/bin/env bash
# A DROP that names the same table many times (not part of the test suite):
#
#   bash test/bench/bench_drop_repeat.sh
#
# Builds and installs the extension (test/setup.sh, or with BENCH_DESTDIR
# into that copy of PostgreSQL: test/bench/lib.sh), then, in ONE run on a
# throwaway cluster, times (server time, clock_timestamp() around one
# EXECUTE; medians of $BENCH_DROP_REPS runs, after one untimed warm-up):
#   check_1   schemaguard.check_ddl('DROP TABLE t')
#   check_n   schemaguard.check_ddl('DROP TABLE t, t, ..., t'), t named
#             $BENCH_DROP_NAMES times
#   off_n     DROP TABLE e, e, ..., e itself, schemaguard.mode = off, rolled
#             back
#   on_n      the same judged by the guard (enforce), rolled back
# t holds one row (data-loss finds it) and a PL/pgSQL function reads it; e
# is empty and read by nothing, and the sessions run with a lock_timeout,
# so that the statement the guard judges draws no finding and runs: the
# figure is the cost of judging it.  (A finding on each of 100,000 changes
# would be a warning each, logged with the 700 kB statement as its context:
# tens of GB of server log.  The timed sessions log nothing below FATAL.)
# Also reported: how many findings check_ddl gives for the many-name DROP
# (one object: one per rule that fires).  The figures: on_n / off_n (what
# judging adds to the statement) and check_n / off_n.
# See docs/benchmark.md, "A DROP naming one table many times".
#
# Knobs (environment): BENCH_DROP_NAMES (100000), BENCH_DROP_REPS (5).
# Raw timings and the results go to test/bench/out/ (git-ignored):
# drop_repeat.log, drop_repeat_raw.tsv, drop_repeat_results.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

NAMES=${BENCH_DROP_NAMES:-100000}
REPS=${BENCH_DROP_REPS:-5}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench_drop_repeat "$OUT/drop_repeat.log" "$OUT/drop_repeat_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/drop_repeat_raw.tsv"

log "schemaguard: a DROP naming one table $NAMES times, $(q postgres -c 'SHOW server_version'), $(nproc) cores"
log "extension sources: $BENCH_SOURCES"

q postgres -c 'CREATE DATABASE dr'
q dr <<'EOF'
CREATE EXTENSION schemaguard;
CREATE TABLE t (id int);
INSERT INTO t VALUES (1);
CREATE TABLE e (id int);
CREATE FUNCTION t_sum() RETURNS bigint LANGUAGE plpgsql
    AS $$ BEGIN RETURN (SELECT sum(id) FROM t); END $$;
EOF

# the many-name statement, made by each session (too long for an argument)
MANY="SELECT 'DROP TABLE t' || repeat(', t', $NAMES - 1) AS many,
              'DROP TABLE e' || repeat(', e', $NAMES - 1) AS many_empty \gset"
log "findings for 'DROP TABLE t' named once: $(q dr -c "SELECT string_agg(rule, ', ' ORDER BY rule) FROM schemaguard.check_ddl('DROP TABLE t')")"
log "findings for 'DROP TABLE t, ..., t' ($NAMES names): $(printf '%s\n' "$MANY" "SELECT count(*) || ' (' || string_agg(DISTINCT rule, ', ') || ')' FROM schemaguard.check_ddl(:'many');" | q dr)"

# one session: untimed warm-up, then $REPS timings of the statement that
# the SQL expression $2 gives (with :'many' set), as kind $1
timed() {
    local kind=$1 stmt=$2 setup=${3:-}
    {
        echo "SET client_min_messages = error;"
        echo "SET log_min_messages = fatal;"
        echo "SET lock_timeout = '5s';"
        echo "$setup"
        echo "$MANY"
        echo "$STOPWATCH"
        for i in $(seq 0 "$REPS"); do
            echo "BEGIN;"
            echo "SELECT '$kind', $i, pg_temp.ms($stmt);"
            echo "ROLLBACK;"
        done
    } | q dr -F ' ' | while read -r k i ms; do
        [ "$i" -eq 0 ] || record drop "$k" "$i" "$ms"
    done
}

timed check_1 "\$\$SELECT count(*) FROM schemaguard.check_ddl('DROP TABLE t')\$\$"
timed check_n "format('SELECT count(*) FROM schemaguard.check_ddl(%L)', :'many')"
timed off_n ":'many_empty'" "SET schemaguard.mode = off;"
timed on_n ":'many_empty'" "SET schemaguard.mode = enforce;"
log "findings for 'DROP TABLE e, ..., e' with lock_timeout '5s': $(printf '%s\n' "$MANY" "SELECT count(*) FROM schemaguard.check_ddl('SET lock_timeout = ''5s''; ' || :'many_empty');" | q dr)"
log "t and e still there: $(q dr -c "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'e')") tables"

q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"
q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v names="$NAMES" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/drop_repeat_results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT kind, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS v,
           min(ms) AS min_v, max(ms) AS max_v
    FROM bench_raw GROUP BY kind;
\pset title 'DROP naming one table many times: medians in ms (n timings, min..max)'
SELECT kind AS measurement, n, round(v::numeric, 3) AS median,
       round(min_v::numeric, 3) || ' .. ' || round(max_v::numeric, 3) AS range
FROM med ORDER BY kind;
\pset title 'ratios of medians'
SELECT 'on_n / off_n (the ' || :'names' || '-name DROP judged, against run unjudged)' AS figure,
       round(((SELECT v FROM med WHERE kind = 'on_n') / (SELECT v FROM med WHERE kind = 'off_n'))::numeric, 2) AS ratio
UNION ALL
SELECT 'check_n / off_n (check_ddl of the ' || :'names' || '-name DROP, against running it)',
       round(((SELECT v FROM med WHERE kind = 'check_n') / (SELECT v FROM med WHERE kind = 'off_n'))::numeric, 2);
\pset title
\pset tuples_only on
SELECT 'started ' || :'started' || '; sources ' || :'sources';
EOF
cat "$OUT/drop_repeat_results.txt"
