#!/usr/bin/env bash
# The whole test suite: pg_regress (sql/ against expected/) on a throwaway
# PostgreSQL 15 cluster.  Installs what it needs first (test/setup.sh).
# Exits non-zero on any failure and prints regression.diffs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh || exit 1

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
rm -rf results regression.diffs regression.out
pg_virtualenv -v 15 make -s PG_CONFIG="$PG_CONFIG" installcheck 2>&1 | tee /tmp/schemaguard-check.log
status=${PIPESTATUS[0]}

passed=$(grep -Ec '^(ok|test|     ) .* \.\.\. ok|^ok ' /tmp/schemaguard-check.log || true)
failed=$(grep -Ec '\.\.\. FAILED|^not ok ' /tmp/schemaguard-check.log || true)
if [ -s regression.diffs ]; then
    echo "---- regression.diffs ----"
    cat regression.diffs
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
fi
echo "pg_regress: $passed passed, $failed failed"
exit "$status"
