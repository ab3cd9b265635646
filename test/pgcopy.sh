#!/usr/bin/env bash
# bash test/pgcopy.sh DIR: a private relocated copy of the system's
# PostgreSQL 15 (server, client, headers, PGXS) under DIR, for work in
# parallel checkouts: `SCHEMAGUARD_PG=DIR bash test/check.sh` installs the
# extension there and tests against it, never touching the system server.
# The Debian binaries find their libraries and share files relative to
# their own location, so the copy works as it is.  Needs the packages
# (run test/setup.sh once as root first).
set -euo pipefail
dir=${1:?usage: test/pgcopy.sh DIR}
mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/usr/include"
rm -rf "$dir/usr/lib/postgresql/15" "$dir/usr/share/postgresql/15" "$dir/usr/include/postgresql"
cp -a /usr/lib/postgresql/15 "$dir/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$dir/usr/share/postgresql/"
cp -a /usr/include/postgresql "$dir/usr/include/"
chmod -R a+rX "$dir"
echo "pgcopy: PostgreSQL $("$dir/usr/lib/postgresql/15/bin/postgres" --version | awk '{print $3}') copied to $dir"
