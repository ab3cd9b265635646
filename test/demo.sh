#!/usr/bin/env bash
# The demo: a billing schema on a throwaway PostgreSQL 15 cluster, and what
# depends on invoices.amount.  Installs what it needs first (test/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh
pg_virtualenv -v 15 psql -X -q -f test/demo.sql
