#!/usr/bin/env bash
# Does this checkout's lineage store exactly what another checkout's stored?
# (not part of the test suite; issue 14: a change made to make upkeep or
# rebuild() cheaper must not change what is stored).  In a throwaway
# cluster of a private PostgreSQL copy, the benchmark schema (generate.sql,
# generate_functions.sql: 2,000 tables, 10,000 views, 3,000 functions) is
# made with the OTHER checkout's build installed, so that its upkeep
# records it; its edges and unresolved references are copied aside; then
# this checkout's build is installed and, in new sessions, rebuild() is run
# and every function is created again (CREATE OR REPLACE, this build's
# upkeep).  Each time the rows that differ are counted: 0 is the answer
# wanted.
#
#   BENCH_DESTDIR=/tmp/pg-NAME BENCH_PORT=5634 BENCH_OTHER=/path/to/checkout \
#       bash test/bench/rebuild_across_builds.sh
#
# BENCH_DESTDIR: a copy made by test/pgcopy.sh (the extension is installed
# into it, twice); BENCH_OTHER: a checkout of the sources to compare with
# (e.g. `git worktree add /tmp/base main`).  Takes about half a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BENCH_DESTDIR:?set BENCH_DESTDIR to a copy made by test/pgcopy.sh}"
: "${BENCH_OTHER:?set BENCH_OTHER to a checkout of the sources to compare with}"
PORT=${BENCH_PORT:-5477}
PG_CONFIG=$BENCH_DESTDIR/usr/lib/postgresql/15/bin/pg_config
bindir=$($PG_CONFIG --bindir)
here=$(pwd)

install_from() { (cd "$1" && make -s PG_CONFIG="$PG_CONFIG" install > /dev/null); }

dir=$(mktemp -d /tmp/schemaguard-across.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; as=(runuser -u postgres --); fi
trap '"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -s stop > /dev/null 2>&1; rm -rf "$dir"' EXIT
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync > /dev/null
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start \
    -o "-p $PORT -k $dir -c listen_addresses= -c fsync=off"
q() { PGHOST=$dir PGPORT=$PORT PGUSER=postgres PGOPTIONS='-c client_min_messages=warning' \
      "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -d x "$@"; }
DIFFERING="SELECT count(*) FROM ((SELECT * FROM public.other_edges EXCEPT ALL SELECT * FROM schemaguard.lineage_edge)
            UNION ALL (SELECT * FROM schemaguard.lineage_edge EXCEPT ALL SELECT * FROM public.other_edges)) e"
DIFFERING_UNRESOLVED="SELECT count(*) FROM ((SELECT * FROM public.other_unresolved EXCEPT ALL SELECT * FROM schemaguard.unresolved_reference)
            UNION ALL (SELECT * FROM schemaguard.unresolved_reference EXCEPT ALL SELECT * FROM public.other_unresolved)) u"

install_from "$BENCH_OTHER"
PGHOST=$dir PGPORT=$PORT PGUSER=postgres "$bindir/psql" -X -q -d postgres -c "CREATE DATABASE x"
q -c "CREATE EXTENSION schemaguard"
q -v tables=2000 -v layers=10 -v per_layer=1000 -f test/bench/generate.sql > /dev/null
q -v tables=2000 -v per_layer=1000 -v sql_functions=1000 -v plpgsql_functions=2000 \
    -f test/bench/generate_functions.sql > /dev/null
q -c "CREATE TABLE public.other_edges AS SELECT * FROM schemaguard.lineage_edge"
q -c "CREATE TABLE public.other_unresolved AS SELECT * FROM schemaguard.unresolved_reference"
echo "other build ($BENCH_OTHER, $(git -C "$BENCH_OTHER" rev-parse --short HEAD)), upkeep:" \
     "$(q -c 'SELECT count(*) FROM public.other_edges') edges," \
     "$(q -c 'SELECT count(*) FROM public.other_unresolved') unresolved references"

install_from "$here"
echo "this build ($(git rev-parse --short HEAD)), rebuild(): $(q -c 'SELECT schemaguard.rebuild()') edges;" \
     "rows differing: $(q -c "$DIFFERING") edges, $(q -c "$DIFFERING_UNRESOLVED") unresolved references"
q -c "DO \$\$DECLARE f oid;
      BEGIN
          FOR f IN SELECT oid FROM pg_proc WHERE pronamespace = 'bench_fn'::regnamespace LOOP
              EXECUTE pg_get_functiondef(f);
          END LOOP;
      END\$\$"
echo "this build, every function created again (upkeep): rows differing:" \
     "$(q -c "$DIFFERING") edges, $(q -c "$DIFFERING_UNRESOLVED") unresolved references"
