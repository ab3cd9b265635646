#!/usr/bin/env bash
# Instructions, not milliseconds: what the statements of bench_upkeep.sh's
# g, i and j cost the server with and without schemaguard, counted by
# valgrind's callgrind (not part of the test suite; issue 14, "Upkeep and
# rebuild cost").  On a machine shared with others' test runs a timing
# moves by tens of percent from one run to the next; a count of
# instructions moves by a few, so it shows where a change of a few percent
# went.  It is no timing: a cache miss or a system call counts as the
# instructions around it.
#
#   BENCH_DESTDIR=/tmp/pgcopy BENCH_PORT=5497 bash test/bench/count_upkeep.sh
#
# BENCH_DESTDIR is required (lib.sh: a private copy of PostgreSQL 15): the
# throwaway cluster is restarted under valgrind, which needs its data
# directory.  valgrind must be installed (apt-get install valgrind).
#
# The benchmark schema is made twice (as in bench_upkeep.sh, "uw" with the
# extension, "un" without); then, under callgrind, one new session per
# kind runs the same statements, each its own transaction:
#   $PAIRS x (ALTER TABLE t ADD COLUMN x int; ALTER TABLE t DROP COLUMN x)
#   on the first fact tables, $VIEWS CREATE OR REPLACE VIEW of layer-1 views
#   with their own definition, $FUNCTIONS CREATE FUNCTION of bench_upkeep.sh's
#   20-line PL/pgSQL bodies.
# Kinds: "with" (uw; the first DDL command loads the library), "preloaded"
# (uw, session_preload_libraries: loaded at connection, outside the
# counts), "without" (un).  callgrind writes the counts since the last
# dump each time PortalRun returns: one statement each (with the commit of
# the one before).  Reported: the first ADD + DROP of the session (the
# library loaded and the caches filled), the mean of the later pairs, of
# the views and of the functions, and each with / without.
#
# h too: in one more session of uw, rebuild(), the pg_get_viewdef() pass of
# bench_upkeep.sh, VACUUM of the edges, and both again (the warm figure).
#
# Knobs: BENCH_COUNT_PAIRS (6), BENCH_COUNT_VIEWS (5), BENCH_COUNT_FUNCTIONS
# (5), BENCH_COUNT_REBUILD (1; 0 leaves h out, which takes most of the
# time), BENCH_COUNT_KEEP (a directory to copy callgrind's files to, for
# callgrind_annotate), and the schema's as in bench_upkeep.sh.  Output:
# test/bench/out/count.log, count_raw.tsv (kind, statement, instructions),
# count_results.txt.  Takes about 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

PAIRS=${BENCH_COUNT_PAIRS:-6}
VIEWS=${BENCH_COUNT_VIEWS:-5}
FUNCTIONS=${BENCH_COUNT_FUNCTIONS:-5}
REBUILD=${BENCH_COUNT_REBUILD:-1}
KEEP=${BENCH_COUNT_KEEP:-}
TABLES=${BENCH_TABLES:-2000}
LAYERS=${BENCH_LAYERS:-10}
PER_LAYER=${BENCH_PER_LAYER:-1000}
NSQL=${BENCH_SQL_FUNCTIONS:-1000}
NPLPGSQL=${BENCH_PLPGSQL_FUNCTIONS:-2000}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    if [ -z "${BENCH_DESTDIR:-}" ]; then
        echo "count_upkeep: set BENCH_DESTDIR to a private copy of PostgreSQL 15 (see test/bench/lib.sh): the cluster is restarted under valgrind" >&2
        exit 2
    fi
    if ! command -v valgrind > /dev/null; then
        echo "count_upkeep: valgrind is needed (apt-get install valgrind)" >&2
        exit 2
    fi
    bench_outside count_upkeep "$OUT/count.log" "$OUT/count_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER set; PATH has the
# copy's binaries; the data directory is $PGHOST/data).
# ---------------------------------------------------------------------------
bench_inside "$OUT/count_raw.tsv"
log "schemaguard upkeep instruction counts, $(q postgres -c 'SHOW server_version')"
log "extension sources: $BENCH_SOURCES"
log "sizes: $TABLES tables, $LAYERS layers x $PER_LAYER views, $NSQL SQL + $NPLPGSQL PL/pgSQL functions; pairs=$PAIRS views=$VIEWS functions=$FUNCTIONS"

for db in uw un; do
    q postgres -c "CREATE DATABASE $db"
    q postgres -c "ALTER DATABASE $db SET lock_timeout = '5s'"
    [ "$db" = un ] || q "$db" -c 'CREATE EXTENSION schemaguard'
    log "$db: generating the schema"
    q "$db" -v tables="$TABLES" -v layers="$LAYERS" -v per_layer="$PER_LAYER" \
        -f test/bench/generate.sql > /dev/null
    q "$db" -v tables="$TABLES" -v per_layer="$PER_LAYER" -v sql_functions="$NSQL" \
        -v plpgsql_functions="$NPLPGSQL" -f test/bench/generate_functions.sql > /dev/null
    q "$db" -c 'VACUUM ANALYZE'
done

# The statements, written out per database before the restart.
FACT0=$((TABLES / 2 + 1))
# (in the cluster's directory, which goes with the cluster: callgrind writes
# its last files when the cluster stops, at the end)
WORK=$PGHOST/count
mkdir "$WORK"
for db in uw un; do
    {
        echo "SELECT pg_backend_pid();"
        for i in $(seq 0 $((PAIRS - 1))); do
            t=$(printf 'bench.t%04d' $((FACT0 + i)))
            echo "ALTER TABLE $t ADD COLUMN bench_x int;"
            echo "ALTER TABLE $t DROP COLUMN bench_x;"
        done
        q "$db" -c "SELECT format('CREATE OR REPLACE VIEW %s AS %s;', c.oid::regclass,
                                  rtrim(pg_get_viewdef(c.oid), ';'))
                    FROM pg_class c
                    WHERE c.relnamespace = 'bench'::regnamespace AND c.relname LIKE 'v01\\_%'
                    ORDER BY c.relname LIMIT $VIEWS"
        echo "CREATE SCHEMA bench_j;"
        for n in $(seq 1 "$FUNCTIONS"); do
            bench_j_function "$n"
        done
    } > "$WORK/$db.sql"
done

# A new copy of each database per kind, so that every session starts from
# the same catalog (an ALTER leaves a dropped column behind).
# (a database's settings are not copied with it: lock_timeout again)
for kind in with preloaded; do
    q postgres -c "CREATE DATABASE uw_$kind TEMPLATE uw"
    q postgres -c "ALTER DATABASE uw_$kind SET lock_timeout = '5s'"
done
VIEWDEF_SQL="SELECT count(pg_get_viewdef(c.oid)) FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'bench'::regnamespace"
{
    echo "SELECT pg_backend_pid();"
    echo "SELECT schemaguard.rebuild();"
    echo "$VIEWDEF_SQL;"
    echo "VACUUM schemaguard.lineage_edge;"
    echo "SELECT schemaguard.rebuild();"
    echo "$VIEWDEF_SQL;"
} > "$WORK/rebuild.sql"
q postgres -c "CREATE DATABASE un_without TEMPLATE un"
q postgres -c "ALTER DATABASE un_without SET lock_timeout = '5s'"

# The cluster again, under callgrind (as its owner when run as root).
as=()
[ "$(id -u)" -ne 0 ] || { chown postgres: "$WORK"; as=(runuser -u postgres --); }
"${as[@]}" pg_ctl -D "$PGHOST/data" -m fast -s stop
mkdir "$WORK/cg"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORK/cg"
"${as[@]}" valgrind --tool=callgrind --trace-children=yes --dump-after=PortalRun \
    --callgrind-out-file="$WORK/cg/cg.%p" \
    postgres -D "$PGHOST/data" -p "$PGPORT" -k "$PGHOST" -c listen_addresses= \
    -c fsync=off -c autovacuum=off > "$WORK/valgrind.log" 2>&1 &
for _ in $(seq 120); do pg_isready -q && break; sleep 1; done
log "cluster restarted under callgrind"

kinds="with preloaded without"
[ "$REBUILD" = 0 ] || kinds="$kinds rebuild"
for kind in $kinds; do
    case $kind in
        rebuild) db=uw; sql=rebuild.sql; opts='' ;;
        with) db=uw_with; sql=uw.sql; opts='' ;;
        preloaded) db=uw_preloaded; sql=uw.sql; opts='-c session_preload_libraries=schemaguard' ;;
        without) db=un_without; sql=un.sql; opts='' ;;
    esac
    pid=$(PGOPTIONS="-c client_min_messages=warning $opts" \
          psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -f "$WORK/$sql")
    pid=${pid%%$'\n'*}
    sleep 2
    # dump n is statement n of the file (1: the pid, with the connection)
    n=1
    while [ -f "$WORK/cg/cg.$pid.$n" ]; do
        record "$kind" "$n" "$(awk '/^summary:/ {print $2}' "$WORK/cg/cg.$pid.$n")" ""
        n=$((n + 1))
    done
    log "$kind: $((n - 1)) statements counted (backend $pid)"
done

[ -z "$KEEP" ] || { mkdir -p "$KEEP"; cp "$WORK"/cg/cg.* "$KEEP"/; log "callgrind's files copied to $KEEP"; }

# The figures: statements 2 and 3 are the session's first ADD + DROP, then
# the later pairs, then the views, CREATE SCHEMA, the functions.
awk -F'\t' -v pairs="$PAIRS" -v views="$VIEWS" -v functions="$FUNCTIONS" \
    -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" '
{ c[$1, $2] = $3 }
function sum(kind, from, to,    s, i) { s = 0; for (i = from; i <= to; i++) s += c[kind, i]; return s }
END {
    v0 = 2 + 2 * pairs; f0 = v0 + views + 1
    split("with preloaded without", kinds, " ")
    for (k = 1; k <= 3; k++) {
        kind = kinds[k]
        first[kind] = sum(kind, 2, 3)
        later[kind] = sum(kind, 4, 1 + 2 * pairs) / (pairs - 1)
        view[kind] = sum(kind, v0, v0 + views - 1) / views
        fn[kind] = sum(kind, f0, f0 + functions - 1) / functions
    }
    printf "schemaguard upkeep instruction counts (callgrind), run of %s, extension sources %s\n\n", started, sources
    printf "%-48s %14s %14s %14s %8s %8s\n", "statements (instructions each)", "with", "preloaded", "without", "with/w.o", "prel/w.o"
    printf "%-48s %14.0f %14.0f %14.0f %8.2f %8.2f\n", "g: first ADD + DROP COLUMN of the session", first["with"], first["preloaded"], first["without"], first["with"] / first["without"], first["preloaded"] / first["without"]
    printf "%-48s %14.0f %14.0f %14.0f %8.2f %8.2f\n", "g: each later ADD + DROP COLUMN (mean)", later["with"], later["preloaded"], later["without"], later["with"] / later["without"], later["preloaded"] / later["without"]
    printf "%-48s %14.0f %14.0f %14.0f %8.2f %8.2f\n", "g: the session (" pairs " pairs)", first["with"] + (pairs - 1) * later["with"], first["preloaded"] + (pairs - 1) * later["preloaded"], first["without"] + (pairs - 1) * later["without"], (first["with"] + (pairs - 1) * later["with"]) / (first["without"] + (pairs - 1) * later["without"]), (first["preloaded"] + (pairs - 1) * later["preloaded"]) / (first["without"] + (pairs - 1) * later["without"])
    printf "%-48s %14.0f %14.0f %14.0f %8.2f %8.2f\n", "i: CREATE OR REPLACE VIEW (mean)", view["with"], view["preloaded"], view["without"], view["with"] / view["without"], view["preloaded"] / view["without"]
    printf "%-48s %14.0f %14.0f %14.0f %8.2f %8.2f\n", "j: CREATE FUNCTION, 20-line PL/pgSQL (mean)", fn["with"], fn["preloaded"], fn["without"], fn["with"] / fn["without"], fn["preloaded"] / fn["without"]
    if (("rebuild", 6) in c) {
        printf "\n%-48s %14s %14s %8s\n", "h (one session of uw)", "rebuild()", "viewdef pass", "ratio"
        printf "%-48s %14.0f %14.0f %8.2f\n", "h: first call of each in the session", c["rebuild", 2], c["rebuild", 3], c["rebuild", 2] / c["rebuild", 3]
        printf "%-48s %14.0f %14.0f %8.2f\n", "h: second call of each (warm)", c["rebuild", 5], c["rebuild", 6], c["rebuild", 5] / c["rebuild", 6]
    }
}' "$RAW" > "$OUT/count_results.txt"
echo
cat "$OUT/count_results.txt"
log "done; counts per statement in $RAW, the table in $OUT/count_results.txt"
