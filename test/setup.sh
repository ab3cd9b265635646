#!/usr/bin/env bash
# Installs what schemaguard needs on Debian bookworm (as root), then builds
# and installs the extension into PostgreSQL 15.  Safe to run again: packages
# already present are not reinstalled.  Used by test/demo.sh and test/check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# perl (prove, Test::More) and libipc-run-perl: the TAP tests, which use
# pgbench (postgresql-15) and PostgreSQL::Test::Cluster (postgresql-client-15);
# libpq-dev and libcurl4-openssl-dev: pg_schemaguard, the client; graphviz:
# the tests render impact_graph()'s DOT; nodejs and npm: the offline JSON
# Schema validators and the OpenLineage endpoint stub (test/validate/);
# sqitch and libdbd-pg-perl: test/t/024_sqitch_revert.pl
packages=(make gcc postgresql-15 postgresql-server-dev-15 postgresql-common
          libpg-query-dev perl libipc-run-perl libpq-dev libcurl4-openssl-dev
          graphviz sqitch libdbd-pg-perl)
# a Node.js already on the machine (with its own npm) is used as it is
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: run as root (or install these packages first)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the validators the tests use (ajv, the SARIF schema), as locked
if [ ! -d test/validate/node_modules ] ||
   [ test/validate/package-lock.json -nt test/validate/node_modules ]; then
    echo "setup: installing the test validators (npm ci in test/validate)"
    (cd test/validate && npm ci --no-audit --no-fund --silent) || exit 1
    touch test/validate/node_modules
fi

# the migration tool run under rewrite mode (node-pg-migrate), as locked
if [ ! -d test/migrate_tool/node_modules ] ||
   [ test/migrate_tool/package-lock.json -nt test/migrate_tool/node_modules ]; then
    echo "setup: installing the migration tool (npm ci in test/migrate_tool)"
    (cd test/migrate_tool && npm ci --no-audit --no-fund --silent) || exit 1
    touch test/migrate_tool/node_modules
fi

# PG_CONFIG from the environment: a private relocated copy (test/pgcopy.sh)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s PG_CONFIG="$PG_CONFIG"
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "setup: schemaguard built and installed into $($PG_CONFIG --pkglibdir)"
