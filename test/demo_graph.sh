#!/usr/bin/env bash
# The demo's picture for the README: loads test/demo.sql into the server the
# PG* variables point at (schema billing, dropped and made again) and renders
# schemaguard.impact_graph('billing.invoices.amount') with Graphviz into
# docs/impact-demo.svg.  Needs schemaguard installed in that server and
# graphviz (test/setup.sh installs both); for example, on a throwaway cluster:
#   pg_virtualenv -v 15 bash test/demo_graph.sh
set -euo pipefail
cd "$(dirname "$0")/.."
psql -X -q -v ON_ERROR_STOP=1 -f test/demo.sql > /dev/null 2>&1
psql -X -At -v ON_ERROR_STOP=1 \
    -c "SELECT schemaguard.impact_graph('billing.invoices.amount')" |
    dot -Tsvg -o docs/impact-demo.svg
echo "demo_graph: docs/impact-demo.svg"
