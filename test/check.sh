#!/usr/bin/env bash
# The whole test suite on PostgreSQL 15: pg_regress (sql/ against expected/)
# and pg_isolation_regress (test/isolation/) on a throwaway cluster made with
# pg_virtualenv, then the TAP tests (test/t/*.pl), which make their own clusters
# with PostgreSQL::Test::Cluster.  Installs what it needs first
# (test/setup.sh).  Exits non-zero on any failure and prints the diffs.
#
# SCHEMAGUARD_PG=DIR (optional): test against a private relocated copy of
# PostgreSQL 15 made with `bash test/pgcopy.sh DIR`, so that two checkouts
# on one machine never install into each other's server: the extension is
# installed into the copy, pg_regress runs on a cluster of the copy's own
# (socket in a temporary directory), the TAP tests use the copy's binaries.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -n "${SCHEMAGUARD_PG:-}" ]; then
    export PG_CONFIG=$SCHEMAGUARD_PG/usr/lib/postgresql/15/bin/pg_config
    [ -x "$PG_CONFIG" ] || { echo "check: no PostgreSQL copy in $SCHEMAGUARD_PG (bash test/pgcopy.sh $SCHEMAGUARD_PG)" >&2; exit 2; }
else
    export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
fi
bash test/setup.sh || exit 1

log=$(mktemp /tmp/schemaguard-check.XXXXXX.log)
rm -rf results regression.diffs regression.out output_iso tmp_check

# run_cluster CMD...: CMD against a throwaway cluster (PGHOST etc. set)
run_cluster() {
    if [ -z "${SCHEMAGUARD_PG:-}" ]; then
        pg_virtualenv -v 15 "$@"
        return
    fi
    (
        bindir=$($PG_CONFIG --bindir)
        dir=$(mktemp -d /tmp/schemaguard-cluster.XXXXXX)
        as=()
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$dir"
            as=(runuser -u postgres --)
        fi
        trap '"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -s stop > /dev/null 2>&1; rm -rf "$dir"' EXIT
        "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync > /dev/null || exit 1
        "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start \
            -o "-p 5432 -k $dir -c listen_addresses= -c fsync=off" || exit 1
        PGHOST=$dir PGPORT=5432 PGUSER=postgres PGDATABASE=postgres PATH=$bindir:$PATH "$@"
    )
}
run_cluster make -s PG_CONFIG="$PG_CONFIG" installcheck TAP_TESTS= 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The TAP tests, by PGXS's own recipe (make installcheck with no REGRESS or
# ISOLATION), with what they read: the demo schema, the validators.  initdb refuses to run as root and prove writes tmp_check/ next
# to the tests, so they run from a scratch copy of the Makefile and test/t/, as
# postgres when we are root (the checkout need not be readable by postgres).
tapdir=$(mktemp -d /tmp/schemaguard-tap.XXXXXX)
mkdir "$tapdir/test" && cp Makefile "$tapdir/" && cp -R test/t test/validate test/migrate_tool test/demo.sql "$tapdir/test/"
# one port reservation directory for every checkout on the machine, so
# that TAP runs of parallel checkouts never pick the same port
export PG_TEST_PORT_DIR=/tmp/schemaguard-tap-ports
mkdir -p "$PG_TEST_PORT_DIR" && chmod 1777 "$PG_TEST_PORT_DIR" 2>/dev/null
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$tapdir"
    as_user=(runuser -u postgres --)
fi
(cd "$tapdir" && "${as_user[@]}" make -s PG_CONFIG="$PG_CONFIG" installcheck \
    REGRESS= ISOLATION= PROVE_FLAGS=--verbose) 2>&1 | tee "$log.tap"
tap_status=${PIPESTATUS[0]}

# pg_regress and the isolation tester print "test <name> ... ok" per test,
# prove --verbose "ok <n> - <name>" per check
count() { grep -Ec "$1" "$2" || true; }
passed=$(( $(count '^(ok|test|     ) .* \.\.\. ok' "$log") + $(count '^ok ' "$log.tap") ))
regress_failed=$(count '\.\.\. FAILED' "$log")
tap_failed=$(count '^not ok ' "$log.tap")
# a run that failed without a failing test (no server, a test that died
# before its plan) counts as one failure
[ "$status" -ne 0 ] && [ "$regress_failed" -eq 0 ] && regress_failed=1
[ "$tap_status" -ne 0 ] && [ "$tap_failed" -eq 0 ] && tap_failed=1
failed=$((regress_failed + tap_failed))
cat "$log.tap" >> "$log" && rm -f "$log.tap"

for diffs in regression.diffs output_iso/regression.diffs; do
    if [ -s "$diffs" ]; then
        echo "---- $diffs ----"
        cat "$diffs"
    fi
done
if [ "$tap_status" -ne 0 ]; then
    for f in "$tapdir"/tmp_check/log/*; do
        [ -f "$f" ] || continue
        echo "---- $f (last 100 lines) ----"
        tail -n 100 "$f"
    done
    echo "TAP test files and logs kept in $tapdir"
else
    rm -rf "$tapdir"
fi
echo "pg_regress: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$tap_status" -eq 0 ]
