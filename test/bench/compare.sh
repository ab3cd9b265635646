#!/usr/bin/env bash
# What schemaguard finds in function bodies, against plpgsql_check's
# dependency report and pg_depend, on one small case database (not part of
# the test suite):
#
#   bash test/bench/compare.sh
#
# Installs postgresql-15-plpgsql-check if it is missing, builds and installs
# the extension (test/setup.sh), then runs test/bench/compare.sql in a fresh
# database of a throwaway PostgreSQL 15 cluster (pg_virtualenv -t), which is
# dropped at the end.  The output (the case list, the comparison table, a
# summary per tool, rebuild() against upkeep, examples, unresolved_references())
# goes to the terminal and to test/bench/out/compare.txt (git-ignored).  See docs/comparison.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=test/bench/out
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

if [ "${1:-}" != "--inside" ]; then
    if ! dpkg-query -W -f='${Status}' postgresql-15-plpgsql-check 2>/dev/null | grep -q "ok installed"; then
        echo "compare: installing postgresql-15-plpgsql-check"
        if [ "$(id -u)" -ne 0 ]; then
            echo "compare: run as root (or install postgresql-15-plpgsql-check first)" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends postgresql-15-plpgsql-check > /dev/null ||
            { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15-plpgsql-check > /dev/null; }
    fi
    # one run of the benchmark scripts at a time (they share test/bench/out/)
    mkdir -p "$OUT"
    exec 9> "$OUT/.lock"
    if ! flock -n 9; then
        echo "compare: a benchmark is running; waiting for it to finish" >&2
        flock 9
    fi
    # The installed extension is shared by every checkout on this machine:
    # make sure the one installed is the one built here, before and after.
    installed_is_ours() {
        cmp -s schemaguard.so "$($PG_CONFIG --pkglibdir)/schemaguard.so" &&
        cmp -s sql/schemaguard--0.1.0.sql "$($PG_CONFIG --sharedir)/extension/schemaguard--0.1.0.sql" &&
        cmp -s schemaguard.control "$($PG_CONFIG --sharedir)/extension/schemaguard.control"
    }
    bash test/setup.sh
    if ! installed_is_ours; then
        echo "compare: the installed schemaguard is not the one built from $(pwd) (another checkout installed its own?); installing again" >&2
        make -s PG_CONFIG="$PG_CONFIG" install > /dev/null
    fi
    export COMPARE_SOURCES COMPARE_STARTED
    COMPARE_SOURCES="md5 $(cat Makefile schemaguard.control $(find src -name '*.[ch]' | sort) sql/schemaguard--*.sql | md5sum | cut -c1-12), schemaguard.so md5 $(md5sum < schemaguard.so | cut -c1-12)"
    COMPARE_STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    status=0
    pg_virtualenv -t -v 15 bash "$0" --inside > "$OUT/compare.txt" 2>&1 9>&- || status=$?
    cat "$OUT/compare.txt"
    if ! installed_is_ours; then
        msg="compare: WARNING: the installed schemaguard was replaced during the run (by another checkout?): this output may not describe $(pwd); run again"
        echo "$msg" | tee -a "$OUT/compare.txt" >&2
        [ "$status" -ne 0 ] || status=3
    fi
    exit "$status"
fi

# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER, PGPASSWORD are set).
echo "compare: started $COMPARE_STARTED; extension sources $COMPARE_SOURCES"
psql -X -At -c "SELECT version()"
psql -X -At -c "SELECT 'plpgsql_check ' || default_version FROM pg_available_extensions WHERE name = 'plpgsql_check'"
psql -X -q -c 'CREATE DATABASE compare'
psql -X -q -d compare -v ON_ERROR_STOP=1 -P pager=off -f test/bench/compare.sql
