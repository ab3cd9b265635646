#!/usr/bin/env bash
# PostgreSQL's own regression suite as a corpus of real DDL (not part of the
# test suite: a fresh machine has no PostgreSQL source tree, and Debian's
# mirror serves no source packages here).
#
#   bash test/corpus/core_regress.sh /path/to/postgresql/src/test/regress [PGCOPY]
#
# The first argument is src/test/regress of a PostgreSQL source tree (any
# version near 15: a file whose SQL 15 does not know fails the same way with
# and without the extension).  PGCOPY is a private copy of PostgreSQL 15
# (test/pgcopy.sh) into which the extension is installed; without it the
# system's PostgreSQL 15 is used (and the extension installed there).
#
# Two checks, on throwaway clusters:
#  1. upkeep = rebuild: in a database with schemaguard (guard off), each test
#     file of parallel_schedule runs in order in a session of its own; after
#     each, the stored edges and unresolved references are compared with
#     what rebuild() computes (which then replaces them, so each difference
#     is charged to the file that made it).  Any difference is printed under
#     the file's name.
#  2. do no harm: the whole schedule by pg_regress, once without the
#     extension and once with it (schemaguard.mode = 'warn'); the lines that
#     only the second run has, other than the guard's own warnings, are
#     counted per file, and an ERROR, FATAL or PANIC or a lost connection
#     only there is printed.  The guard's warnings are counted by rule.
# Output: test/corpus/out/core_regress.log (and each run's files there).
# psql and psql_pipeline are left out: the \watch forms of later versions
# never end in psql 15.
set -uo pipefail
cd "$(dirname "$0")/../.."
REGRESS=${1:?usage: core_regress.sh /path/to/src/test/regress [PGCOPY]}
REGRESS=$(cd "$REGRESS" && pwd)
COPY=${2:-}
if [ -n "$COPY" ]; then
    BIN=$COPY/usr/lib/postgresql/15/bin
else
    BIN=/usr/lib/postgresql/15/bin
fi
PG_CONFIG=$BIN/pg_config
[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config)
PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
make -s PG_CONFIG="$PG_CONFIG" >/dev/null && make -s PG_CONFIG="$PG_CONFIG" install >/dev/null || exit 1
OUT=$PWD/test/corpus/out
W=$(mktemp -d /tmp/core_regress.XXXXXX)
chmod 755 "$W"
mkdir -p "$OUT"
LOG=$OUT/core_regress.log
: > "$LOG"
as=()
[ "$(id -u)" -ne 0 ] || { chown postgres: "$W"; as=(runuser -u postgres --); }
PORT=${CORE_REGRESS_PORT:-5791}
TESTS=$(grep '^test:' "$REGRESS/parallel_schedule" | sed 's/^test: //' | tr ' ' '\n' |
        grep -v -x -e psql -e psql_pipeline -e '')
export PG_ABS_SRCDIR=$REGRESS PG_LIBDIR=$W PG_DLSUFFIX=.so PGTZ=PST8PDT PGDATESTYLE='Postgres, MDY'

start_cluster() {   # name port
    "${as[@]}" "$BIN/initdb" -D "$W/$1" -A trust --no-sync -E UTF8 --locale=C > /dev/null
    "${as[@]}" "$BIN/pg_ctl" -D "$W/$1" -l "$W/$1.log" -s \
        -o "-p $2 -k $W -c listen_addresses= -c fsync=off -c max_connections=40" start
}
stop_cluster() { "${as[@]}" "$BIN/pg_ctl" -D "$W/$1" -s -m fast stop; }
q() { "$BIN/psql" -X -q -h "$W" -p "$1" -U postgres "${@:2}"; }

# --- 1. upkeep = rebuild, file by file ---------------------------------
start_cluster upkeep "$PORT"
q "$PORT" -d postgres -c 'CREATE DATABASE regression TEMPLATE template0'
q "$PORT" -d regression -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION schemaguard' \
    -c "ALTER DATABASE regression SET schemaguard.mode = 'off'"
mkdir -p "$W/files"
[ "$(id -u)" -ne 0 ] || chown postgres: "$W/files"
CHECK="
SET client_min_messages = warning;
CREATE TEMP TABLE upkept AS SELECT * FROM schemaguard.lineage_edge;
CREATE TEMP TABLE upkept_unresolved AS SELECT * FROM schemaguard.unresolved_references();
SELECT schemaguard.rebuild() \\g /dev/null
SELECT 'edge only after rebuild', pg_describe_object(source_classid, source_objid, source_objsubid),
       pg_describe_object(dependent_classid, dependent_objid, dependent_objsubid), usage
FROM (SELECT * FROM schemaguard.lineage_edge EXCEPT SELECT * FROM upkept) a
UNION ALL
SELECT 'edge only by upkeep', pg_describe_object(source_classid, source_objid, source_objsubid),
       pg_describe_object(dependent_classid, dependent_objid, dependent_objsubid), usage
FROM (SELECT * FROM upkept EXCEPT SELECT * FROM schemaguard.lineage_edge) b;
SELECT 'unresolved only after rebuild', * FROM
    (SELECT * FROM schemaguard.unresolved_references() EXCEPT SELECT * FROM upkept_unresolved) x
UNION ALL
SELECT 'unresolved only by upkeep', * FROM
    (SELECT * FROM upkept_unresolved EXCEPT SELECT * FROM schemaguard.unresolved_references()) y;
"
differing=0
for t in $TESTS; do
    (cd "$W/files" && timeout 300 "${as[@]}" env PG_ABS_BUILDDIR="$W/files" "$BIN/psql" -X -a -q \
        -h "$W" -p "$PORT" -U postgres -d regression -v HIDE_TABLEAM=on -v HIDE_TOAST_COMPRESSION=on \
        -f "$REGRESS/sql/$t.sql" > "$W/files/$t.out" 2>&1)
    res=$(echo "$CHECK" | q "$PORT" -d regression -At -f - 2>&1 | grep -v -e '^SELECT [0-9]*$' -e '^SET$')
    if [ -n "$res" ]; then
        differing=$((differing + 1))
        { echo "=== $t"; echo "$res"; } >> "$LOG"
    fi
done
grep -h 'server process .* was terminated\|PANIC' "$W/upkeep.log" >> "$LOG"
echo "upkeep = rebuild: $(echo "$TESTS" | wc -l) files, $differing with a difference" | tee -a "$LOG"
stop_cluster upkeep

# --- 2. the suite without and with the extension -----------------------
for side in without with; do
    port=$((PORT + 1))
    start_cluster "$side" "$port"
    q "$port" -d postgres -c 'CREATE DATABASE regression TEMPLATE template0'
    [ "$side" = without ] || q "$port" -d regression -c 'SET client_min_messages = warning' \
        -c 'CREATE EXTENSION schemaguard' -c "ALTER DATABASE regression SET schemaguard.mode = 'warn'"
    mkdir -p "$W/out_$side"
    grep -v -w -e psql -e psql_pipeline "$REGRESS/parallel_schedule" > "$W/schedule"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$W/out_$side" "$W/schedule"
    (cd "$REGRESS" && "${as[@]}" env PG_ABS_SRCDIR="$REGRESS" \
        "$PG_REGRESS" --use-existing \
        --host="$W" --port="$port" --user=postgres --inputdir="$REGRESS" --outputdir="$W/out_$side" \
        --bindir="$BIN" --dlpath="$W" --schedule="$W/schedule" --max-connections=4 \
        > "$W/$side.regress" 2>&1)
    grep -h 'server process .* was terminated\|PANIC' "$W/$side.log" >> "$LOG"
    stop_cluster "$side"
done
# the two runs' outputs with their own directory and every number (OIDs,
# times) made alike
normal() { sed -e "s|$W/out_$1|OUT|g" -e 's/[0-9][0-9]*/N/g' "$W/out_$1/results/$2.out"; }
for f in "$W"/out_without/results/*.out; do
    t=$(basename "$f" .out)
    normal without "$t" > "$W/a.out"
    normal with "$t" > "$W/b.out"
    # lines only the second run has; the guard's warnings and their DETAIL,
    # HINT and SQL continuation lines apart
    extra=$(diff "$W/a.out" "$W/b.out" | grep '^> ' |
            grep -v -E '^> (WARNING:  [a-z-]+: |DETAIL:  |HINT:  |Or let schemaguard|SET lock_timeout)' |
            grep -v -E 'schemaguard\.|_backup AS ' | grep -c .)
    errors=$(diff "$W/a.out" "$W/b.out" |
             grep -E '^> (ERROR|FATAL|PANIC|server closed|connection to server)')
    [ -z "$errors" ] || { echo "=== $t: only with the extension"; echo "$errors"; } >> "$LOG"
    [ "$extra" = 0 ] || echo "$t: $extra other lines only with the extension" >> "$W/extra.txt"
done
echo "do no harm: the guard's warnings by rule:" | tee -a "$LOG"
grep -h -o -E '^WARNING:  [a-z-]+:' "$W"/out_with/results/*.out | sort | uniq -c | sort -rn | tee -a "$LOG"
echo "files with other lines only with the extension: $(cat "$W/extra.txt" 2>/dev/null | wc -l) (in $W/extra.txt)" | tee -a "$LOG"
echo "errors only with the extension: $(grep -c '^=== .*only with' "$LOG")" | tee -a "$LOG"
cp -r "$W/out_without" "$W/out_with" "$W/extra.txt" "$OUT/" 2>/dev/null
echo "log: $LOG; runs: $W"
