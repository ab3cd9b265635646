#!/usr/bin/env bash
# The DDL storm of schemaguard (not part of the test suite; issue 10, item 3):
#
#   bash test/bench/storm.sh
#   BENCH_DESTDIR=/tmp/pgcopy BENCH_PORT=5498 bash test/bench/storm.sh
#
# Does lineage upkeep couple DDL sessions?  In ONE throwaway cluster, with
# the extension in database "sw" (the guard in warn mode, so that it judges
# every statement without refusing any) and without it in "sn", 8 pgbench
# sessions run random DDL for 60 s each way on a shared schema of 8 tables:
# each transaction takes a table (an ALTER TABLE that holds it) and then
# creates a function or a view over another one, or creates or drops an
# index, or updates rows.  Each session names functions, views and indexes
# of its own (two sessions replacing the same function at once fail with
# "tuple concurrently updated" without any extension), so what they share
# is the tables and their locks.  Reported: statements per second and
# deadlocks per 1,000 statements, with and without the extension (targets:
# deadlocks <= without + 1 per 1,000, throughput >= 0.5 x without); and,
# after the storm and the next DDL command, whether rebuild() stores
# exactly what upkeep stored.  Autovacuum is on (a minute of DDL churns the
# catalogs).
#
# Knobs (environment): STORM_SECONDS (60), STORM_CLIENTS (8), STORM_TABLES
# (8).  Output in test/bench/out/ (git-ignored): storm.log, storm_results.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_EACH=${STORM_SECONDS:-60}
CLIENTS=${STORM_CLIENTS:-8}
NTABLES=${STORM_TABLES:-8}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside storm "$OUT/storm.log" "$OUT/storm_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/storm_raw.tsv"
log "schemaguard DDL storm, $(q postgres -c 'SHOW server_version'), $(nproc) cores"
log "extension sources: $BENCH_SOURCES"
log "$CLIENTS sessions x $SECONDS_EACH s of random DDL on $NTABLES shared tables, with and without the extension"

SCRIPTS=$(mktemp -d /tmp/schemaguard-storm.XXXXXX)
trap 'rm -rf "$SCRIPTS"' EXIT
chmod 755 "$SCRIPTS"

# Each script is one transaction; its statement count is in its name.
# :t, :u are tables (1..NTABLES), :k a small key, :client_id the session.
cat > "$SCRIPTS/fn_plpgsql.4.sql" <<EOF
\\set t random(1, $NTABLES)
\\set u random(1, $NTABLES)
\\set k random(1, 4)
BEGIN;
ALTER TABLE storm.s:t ADD COLUMN IF NOT EXISTS x:k int;
CREATE OR REPLACE FUNCTION storm.f:client_id:k() RETURNS void LANGUAGE plpgsql AS \$f\$
BEGIN
    UPDATE storm.s:u SET a = a + 1 WHERE b = :k;
    PERFORM count(c) FROM storm.s:t WHERE a > :k;
END \$f\$;
COMMIT;
EOF
cat > "$SCRIPTS/fn_sql.4.sql" <<EOF
\\set t random(1, $NTABLES)
\\set u random(1, $NTABLES)
\\set k random(1, 4)
BEGIN;
ALTER TABLE storm.s:t DROP COLUMN IF EXISTS x:k;
CREATE OR REPLACE FUNCTION storm.q:client_id:k() RETURNS bigint LANGUAGE sql
    AS \$f\$ SELECT count(b) FROM storm.s:u WHERE a > :k \$f\$;
COMMIT;
EOF
cat > "$SCRIPTS/view.4.sql" <<EOF
\\set t random(1, $NTABLES)
\\set u random(1, $NTABLES)
\\set k random(1, 4)
BEGIN;
ALTER TABLE storm.s:t ALTER COLUMN c SET STATISTICS :k;
CREATE OR REPLACE VIEW storm.v:client_id:k AS SELECT a, b, c FROM storm.s:u WHERE b > :k;
COMMIT;
EOF
cat > "$SCRIPTS/index.1.sql" <<EOF
\\set t random(1, $NTABLES)
\\set k random(1, 4)
DO \$d\$ BEGIN
    IF to_regclass('storm.i:client_id:k') IS NULL THEN
        CREATE INDEX i:client_id:k ON storm.s:t (b);
    ELSE
        DROP INDEX storm.i:client_id:k;
    END IF;
END \$d\$;
EOF
cat > "$SCRIPTS/dml.1.sql" <<EOF
\\set t random(1, $NTABLES)
\\set k random(1, 100)
UPDATE storm.s:t SET a = a + 1 WHERE b = :k;
EOF

SCHEMA_SQL="
CREATE SCHEMA storm;
DO \$\$ BEGIN
    FOR i IN 1 .. $NTABLES LOOP
        EXECUTE format('CREATE TABLE storm.s%s (a int, b int, c text)', i);
        EXECUTE format('INSERT INTO storm.s%s SELECT g, g %% 100, ''x'' || g FROM generate_series(1, 1000) g', i);
    END LOOP;
END \$\$;
ALTER TABLE storm.s1 ADD COLUMN unused int;"

for db in sw sn; do
    q postgres -c "CREATE DATABASE $db"
    [ "$db" = sn ] || q "$db" -c 'CREATE EXTENSION schemaguard'
    q "$db" -c "$SCHEMA_SQL" -c 'VACUUM ANALYZE'
done
q postgres -c "ALTER DATABASE sw SET schemaguard.mode = 'warn'"
# a minute of DDL churns the catalogs (schemaguard's too): let autovacuum
# run, as it does in production (lib.sh starts the cluster without it)
q postgres -c 'ALTER SYSTEM SET autovacuum = on' -c 'SELECT pg_reload_conf()' > /dev/null

# storm DB: run pgbench, record statements and failures
storm() {
    local db=$1 kind=$2 out
    out=$(PGOPTIONS='-c client_min_messages=error' pgbench -n -d "$db" -c "$CLIENTS" -j 2 \
          -T "$SECONDS_EACH" --max-tries=1 --failures-detailed \
          -f "$SCRIPTS/fn_plpgsql.4.sql@4" -f "$SCRIPTS/fn_sql.4.sql@2" \
          -f "$SCRIPTS/view.4.sql@3" -f "$SCRIPTS/index.1.sql@1" \
          -f "$SCRIPTS/dml.1.sql@2" 2>&1) || true
    echo "$out" > "$OUT/storm_pgbench_$kind.txt"
    # statements: transactions per script times its statements
    local stmts=0 tx deadlocks serial failed aborted
    while read -r script n; do
        stmts=$((stmts + n * ${script##*.}))
    done < <(echo "$out" | awk '/^SQL script [0-9]+:/ {s = $4; sub(/.*\//, "", s); sub(/\.sql$/, "", s)} /^ - [0-9]+ transactions/ && s != "" {print s, $2; s = ""}')
    tx=$(echo "$out" | awk '/number of transactions actually processed/ {print $NF}' | head -1)
    failed=$(echo "$out" | awk '/^number of failed transactions/ {print $5}' | head -1)
    deadlocks=$(echo "$out" | awk '/^number of deadlock failures/ {print $5}' | head -1)
    serial=$(echo "$out" | awk '/^number of serialization failures/ {print $5}' | head -1)
    aborted=$(echo "$out" | grep -c 'aborted in command' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "${tx:-0}" "$stmts" "${failed:-0}" \
        "${deadlocks:-0}" "${serial:-0}" "$aborted" >> "$RAW"
    log "$kind: ${tx:-0} transactions, $stmts statements, ${failed:-0} failed (${deadlocks:-0} deadlocks), $aborted sessions aborted"
}

log "storm without the extension (sn)"
storm sn without
log "storm with the extension (sw)"
storm sw with

# the lineage after the storm: what could not be analyzed then is finished
# by the next command that changes lineage; then rebuild() must equal upkeep
markers=$(q sw -c "SELECT count(*) FROM schemaguard.unresolved_reference WHERE reason LIKE 'could not analyze now%'")
q sw -c 'CREATE TABLE storm.next_change ()' > /dev/null
markers_after=$(q sw -c "SELECT count(*) FROM schemaguard.unresolved_reference WHERE reason LIKE 'could not analyze now%'")
upkeep=$(q sw -c "$EDGES_DIGEST")' / '$(q sw -c "$UNRESOLVED_DIGEST")
q sw -c 'SELECT schemaguard.rebuild()' > /dev/null
rebuilt=$(q sw -c "$EDGES_DIGEST")' / '$(q sw -c "$UNRESOLVED_DIGEST")
same=$([ "$upkeep" = "$rebuilt" ] && echo yes || echo NO)
log "markers 'could not analyze now' after the storm: $markers; after the next change: $markers_after; rebuild() = upkeep: $same ($upkeep)"
[ "$same" = yes ] || log "WARNING: rebuild() stored $rebuilt"

q postgres -c 'CREATE TABLE storm_raw (kind text, tx bigint, stmts bigint, failed bigint, deadlocks bigint, serial bigint, aborted int)'
q postgres -c "\\copy storm_raw FROM '$RAW'"
q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v seconds="$SECONDS_EACH" \
    -v clients="$CLIENTS" -v ntables="$NTABLES" -v markers="$markers" -v markers_after="$markers_after" \
    -v same="$same" -P format=aligned -P tuples_only=off -P footer=off > "$OUT/storm_results.txt" <<'EOF'
\pset title 'schemaguard DDL storm'
SELECT kind, tx AS transactions, stmts AS statements,
       to_char(stmts / :'seconds'::numeric, 'FM999990.0') AS "statements/s",
       deadlocks, to_char(1000.0 * deadlocks / greatest(stmts, 1), 'FM990.00') AS "deadlocks per 1,000",
       failed - deadlocks AS "other failures", aborted AS "sessions aborted"
FROM storm_raw ORDER BY kind DESC;
\pset title 'targets'
WITH w AS (SELECT * FROM storm_raw WHERE kind = 'with'), n AS (SELECT * FROM storm_raw WHERE kind = 'without')
SELECT 'deadlocks per 1,000 <= without + 1' AS target,
       to_char(1000.0 * w.deadlocks / greatest(w.stmts, 1), 'FM990.00') || ' vs ' ||
       to_char(1000.0 * n.deadlocks / greatest(n.stmts, 1), 'FM990.00') AS measured,
       CASE WHEN 1000.0 * w.deadlocks / greatest(w.stmts, 1) <= 1000.0 * n.deadlocks / greatest(n.stmts, 1) + 1
            THEN 'met' ELSE 'NOT met' END AS verdict
FROM w, n
UNION ALL
SELECT 'statements/s >= 0.5 x without',
       to_char(w.stmts::numeric / greatest(n.stmts, 1), 'FM990.00') || ' x',
       CASE WHEN w.stmts >= 0.5 * n.stmts THEN 'met' ELSE 'NOT met' END
FROM w, n
UNION ALL
SELECT 'rebuild() = upkeep after the storm', :'same', CASE WHEN :'same' = 'yes' THEN 'met' ELSE 'NOT met' END;
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('storm', :'clients' || ' sessions x ' || :'seconds' || ' s each way, ' || :'ntables' || ' shared tables'),
    ('"could not analyze now" markers when the storm ended', :'markers'),
    ('... after the next DDL command', :'markers_after')
) v(item, value);
EOF
echo
cat "$OUT/storm_results.txt"
log "done; pgbench output in $OUT/storm_pgbench_with.txt and storm_pgbench_without.txt"
