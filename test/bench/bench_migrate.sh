#!/usr/bin/env bash
# The migration engine's costs (not part of the test suite):
#
#   bash test/bench/bench_migrate.sh
#
# Builds and installs the extension (test/setup.sh; with BENCH_DESTDIR, into
# that private copy of PostgreSQL, see test/bench/lib.sh), then, in ONE run
# on a throwaway PostgreSQL 15 cluster, measures:
#   r. the backfill's rate against its floor, without writers: on a table
#      of invoices (bigint primary key, an index and a CHECK on amount), the
#      rows per second of CALL schemaguard.backfill() walking the rows
#      (ALTER COLUMN amount TYPE numeric(12,2): batches of 10,000, one
#      committed transaction each; the copy of the index built afterwards
#      CONCURRENTLY is timed apart) against one plain
#      UPDATE invoices SET amount_new = amount::numeric(12,2) on an identical
#      table in the same run, at 100,000 and at 1,000,000 rows.  Targets:
#      backfill / floor >= 0.5 at each size; the backfill's rate at 1M rows
#      / at 100k >= 0.8 (flat).  For information, a third identical table
#      gets the backfill's batches as plain UPDATEs, each committed: what
#      committing between batches costs PostgreSQL itself (the index
#      entries of the batches before are cleaned up as the next ones
#      insert), apart from the engine.  Rounds rotate which goes first;
#      medians.
#   l. the longest ACCESS EXCLUSIVE lock any step of a whole migration holds
#      (start, backfill, verify, switch, rollback or contract: the cycles of
#      w) on the billing example
#      (1,000,000 invoices, two levels of views, a materialized view with a
#      unique index, an SQL and a PL/pgSQL function, a trigger with UPDATE OF
#      and WHEN, a CHECK, an index, a policy), while 4 pgbench clients write:
#      a session samples pg_locks every 2 ms and records each stretch of
#      time during which a relation of the schema (not one the migration is
#      building) is held ACCESS EXCLUSIVE.
#   w. the writers' latency during a migration against before it: p99 of
#      the per-transaction latencies (pgbench -l) of 4 writers (updates and
#      inserts, old shape before the switch, new after) at a fixed rate
#      (pgbench -R, BENCH_MIGRATE_WRITERS_TPS: 2000 transactions/s in all,
#      under what the machine can do, as an OLTP load runs; at full speed
#      they saturate 2 cores and any other work shows as their latency), in
#      BENCH_MIGRATE_CYCLES (3) cycles of: the writers alone for
#      BENCH_MIGRATE_BASELINE (15) s, then the writers through a whole
#      migration (back-to-back pgbench runs of 5 s from its start to its
#      end; rolled back after its switch, the last one contracted), so that
#      each "during" has its "before" right next to it (the machine is
#      shared, its load drifts).  The backfill is called as it should be
#      next to writers on a small machine: batches of
#      BENCH_MIGRATE_WRITERS_BATCH (2000) rows, at most
#      BENCH_MIGRATE_WRITERS_RATE (50000) rows/s.  Target: p99 during /
#      before <= 2.  For information, in each cycle after the baseline, the
#      writers for as long again next to plain UPDATEs of the same batches
#      at the same rate (a column they do not touch, by primary key ranges,
#      each committed; no engine): what any batched backfill at that rate
#      costs them on this machine.
# The figures, ratios and verdicts go to test/bench/out/migrate_results.txt;
# raw timings to migrate_raw.tsv; the whole output to migrate.log.
#
# Knobs (environment): BENCH_MIGRATE_RUNS (3 rounds per size in r),
# BENCH_MIGRATE_SIZES ("100000 1000000"), BENCH_MIGRATE_ROWS (1000000, the
# table of l and w), BENCH_MIGRATE_CLIENTS (4), and those named above.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${BENCH_MIGRATE_RUNS:-3}
SIZES=${BENCH_MIGRATE_SIZES:-"100000 1000000"}
ROWS=${BENCH_MIGRATE_ROWS:-1000000}
BASELINE=${BENCH_MIGRATE_BASELINE:-15}
CYCLES=${BENCH_MIGRATE_CYCLES:-3}
CLIENTS=${BENCH_MIGRATE_CLIENTS:-4}
W_TPS=${BENCH_MIGRATE_WRITERS_TPS:-2000}
W_BATCH=${BENCH_MIGRATE_WRITERS_BATCH:-2000}
W_RATE=${BENCH_MIGRATE_WRITERS_RATE:-50000}
OUT=test/bench/out

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    bench_outside bench_migrate "$OUT/migrate.log" "$OUT/migrate_results.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/migrate_raw.tsv"
WORK=$(mktemp -d /tmp/schemaguard-bench-migrate.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"' EXIT

log "schemaguard migration benchmark, $(q postgres -c 'SHOW server_version'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "extension sources: $BENCH_SOURCES"
log "sizes: r: $RUNS rounds at each of $SIZES rows; l and w: $ROWS rows, $CLIENTS writers at $W_TPS transactions/s in all, baseline ${BASELINE} s"

q postgres -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" \
    -c 'SELECT pg_reload_conf()' > /dev/null
q postgres -c 'CREATE DATABASE mb'
q mb -c 'CREATE EXTENSION schemaguard'
log "shared_buffers $(q mb -c 'SHOW shared_buffers'), max_wal_size $(q mb -c 'SHOW max_wal_size'), fsync $(q mb -c 'SHOW fsync'), autovacuum $(q mb -c 'SHOW autovacuum')"

# ---------------------------------------------------------------------------
# r: backfill against one plain UPDATE
# ---------------------------------------------------------------------------
# a table of invoices named $1 with $2 rows
make_table() {
    q mb <<EOF
SET schemaguard.mode = off;
CREATE TABLE $1 (
    id bigint PRIMARY KEY,
    customer_id int NOT NULL,
    amount integer NOT NULL CHECK (amount >= 0),
    issued_on date NOT NULL,
    note text
);
INSERT INTO $1 SELECT g, 1 + g % 1000, (g * 37) % 100000, date '2024-01-01' + (g % 365)::int, 'invoice ' || g
FROM generate_series(1, $2) g;
CREATE INDEX ON $1 (amount);
VACUUM ANALYZE $1;
CHECKPOINT;
EOF
}

floor_run() {
    local t=$1 n=$2 round=$3 ms
    q mb -c "SET schemaguard.mode = off" -c "ALTER TABLE $t ADD COLUMN amount_new numeric(12,2)" > /dev/null
    ms=$(q mb -c "$STOPWATCH" -c "SELECT pg_temp.ms('UPDATE $t SET amount_new = amount::numeric(12,2)')" | tail -1)
    record r "floor_rps_$n" "$round" "$(echo "$n $ms" | awk '{printf "%.1f", $1 / ($2 / 1000)}')"
    log "r: $n rows, round $round: plain UPDATE $ms ms"
}

# the same rows as the backfill's batches (10,000 by primary key), each a
# plain UPDATE committed on its own: what committing between batches costs
# PostgreSQL itself, apart from the engine
batched_run() {
    local t=$1 n=$2 round=$3 ms
    q mb -c "SET schemaguard.mode = off" -c "ALTER TABLE $t ADD COLUMN amount_new numeric(12,2)" > /dev/null
    ms=$({
        echo "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset"
        for lo in $(seq 0 10000 $((n - 1))); do
            echo "UPDATE $t SET amount_new = amount::numeric(12,2) WHERE id > $lo AND id <= $((lo + 10000));"
        done
        echo "SELECT round((extract(epoch FROM clock_timestamp()) - :t0) * 1000, 1);"
    } | q mb | tail -1)
    record r "batched_rps_$n" "$round" "$(echo "$n $ms" | awk '{printf "%.1f", $1 / ($2 / 1000)}')"
    log "r: $n rows, round $round: plain UPDATEs of 10,000 rows, each committed, $ms ms"
}

backfill_run() {
    local t=$1 n=$2 round=$3 id out
    id=$(q mb -c "SELECT schemaguard.start('ALTER TABLE $t ALTER COLUMN amount TYPE numeric(12,2)')")
    out=$(q mb <<EOF
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL schemaguard.backfill($id);
SELECT round((extract(epoch FROM clock_timestamp()) - :t0) * 1000, 1),
       rows_per_second FROM schemaguard.migrations WHERE id = $id;
EOF
)
    local total rps
    total=${out%%|*}
    rps=${out##*|}
    record r "backfill_rps_$n" "$round" "$rps"
    record r "backfill_call_ms_$n" "$round" "$total"
    log "r: $n rows, round $round: backfill walked the rows at $rps rows/s; the whole CALL (rows and the index CONCURRENTLY) took $total ms"
    q mb -c "SELECT mismatches FROM schemaguard.verify($id)" | grep -qx 0 ||
        { log "ERROR: the backfill left rows out of step"; exit 1; }
    q mb -c "SELECT schemaguard.rollback($id)" > /dev/null
}

for n in $SIZES; do
    for round in $(seq 1 "$RUNS"); do
        make_table "r_mig" "$n"
        make_table "r_floor" "$n"
        make_table "r_batched" "$n"
        case $((round % 3)) in
            1) floor_run r_floor "$n" "$round"; backfill_run r_mig "$n" "$round"; batched_run r_batched "$n" "$round" ;;
            2) backfill_run r_mig "$n" "$round"; batched_run r_batched "$n" "$round"; floor_run r_floor "$n" "$round" ;;
            0) batched_run r_batched "$n" "$round"; floor_run r_floor "$n" "$round"; backfill_run r_mig "$n" "$round" ;;
        esac
        q mb -c "SET schemaguard.mode = off" -c 'DROP TABLE r_mig, r_floor, r_batched' > /dev/null
    done
done

# ---------------------------------------------------------------------------
# l and w: the billing example while pgbench writes
# ---------------------------------------------------------------------------
log "l/w: the billing example, $ROWS invoices"
q mb <<EOF
SET schemaguard.mode = off;
CREATE SCHEMA billing;
CREATE TABLE billing.customers (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO billing.customers SELECT g, 'customer ' || g FROM generate_series(1, 1000) g;
CREATE TABLE billing.invoices (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id int NOT NULL REFERENCES billing.customers,
    amount integer NOT NULL DEFAULT 0 CHECK (amount >= 0),
    issued_on date NOT NULL,
    note text
);
INSERT INTO billing.invoices (id, customer_id, amount, issued_on, note)
SELECT g, 1 + g % 1000, (g * 37) % 100000, date '2024-01-01' + (g % 365)::int, 'invoice ' || g
FROM generate_series(1, $ROWS) g;
SELECT setval(pg_get_serial_sequence('billing.invoices', 'id'), $ROWS) \\g /dev/null
CREATE INDEX invoices_amount_idx ON billing.invoices (amount);
CREATE VIEW billing.invoice_balance AS
    SELECT id, customer_id, amount, amount - 100 AS balance FROM billing.invoices;
CREATE VIEW billing.customer_totals AS
    SELECT customer_id, sum(amount) AS invoiced, sum(balance) AS outstanding
    FROM billing.invoice_balance GROUP BY customer_id;
COMMENT ON VIEW billing.customer_totals IS 'invoiced and outstanding, per customer';
CREATE MATERIALIZED VIEW billing.customer_revenue AS
    SELECT customer_id, sum(amount) AS revenue FROM billing.invoices GROUP BY customer_id;
CREATE UNIQUE INDEX ON billing.customer_revenue (customer_id);
CREATE FUNCTION billing.invoice_total(cust int) RETURNS numeric LANGUAGE sql STABLE
    AS 'SELECT sum(amount) FROM billing.invoices WHERE customer_id = cust';
CREATE FUNCTION billing.large_invoices(cust int) RETURNS bigint LANGUAGE plpgsql STABLE
    AS \$\$ BEGIN RETURN (SELECT count(*) FROM billing.invoices WHERE customer_id = cust AND amount > 50000); END \$\$;
CREATE TABLE billing.amount_raises (invoice_id bigint, old_amount numeric, new_amount numeric);
CREATE FUNCTION billing.log_raise() RETURNS trigger LANGUAGE plpgsql
    AS \$\$ BEGIN INSERT INTO billing.amount_raises VALUES (new.id, old.amount, new.amount); RETURN NULL; END \$\$;
CREATE TRIGGER invoices_amount_raised AFTER UPDATE OF amount ON billing.invoices
    FOR EACH ROW WHEN (new.amount > old.amount) EXECUTE FUNCTION billing.log_raise();
ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_nonnegative ON billing.invoices FOR SELECT TO PUBLIC USING (amount >= 0);
VACUUM ANALYZE;
CHECKPOINT;
CREATE TABLE bench_ae (started timestamptz, ended timestamptz, relations text);
CREATE TABLE bench_phase (phase text, started timestamptz, ended timestamptz, cycle int);
CREATE TABLE bench_stop ();
-- the floor of w: what any batched backfill at the same rate costs the
-- writers, without the engine -- plain UPDATEs of a column the writers do
-- not touch, by primary key ranges, each committed, paced to the rate
CREATE PROCEDURE bench_plain_update(rate int, batch int, seconds float8) LANGUAGE plpgsql AS \$\$
DECLARE
    lo bigint := 0;
    t0 timestamptz := clock_timestamp();
    due float8;
BEGIN
    WHILE extract(epoch FROM clock_timestamp() - t0) < seconds LOOP
        UPDATE billing.invoices SET note = note WHERE id > lo AND id <= lo + batch;
        lo := lo + batch;
        COMMIT;
        due := lo::float8 / rate - extract(epoch FROM clock_timestamp() - t0);
        IF due > 0 THEN
            PERFORM pg_sleep(due);
        END IF;
    END LOOP;
END
\$\$;
EOF

SHAPE="BEGIN;
LOCK TABLE billing.invoices IN ROW EXCLUSIVE MODE;
SELECT (atttypid = 'integer'::regtype)::int AS old_shape FROM pg_attribute
 WHERE attrelid = 'billing.invoices'::regclass AND attname = 'amount' \\gset"
cat > "$WORK/update.sql" <<EOF
\\set id random(1, $ROWS)
\\set v random(0, 100000)
$SHAPE
\\if :old_shape
UPDATE billing.invoices SET amount = :v WHERE id = :id;
\\else
UPDATE billing.invoices SET amount = :v / 100.0, discount_amount = :v / 1000.0 WHERE id = :id;
\\endif
END;
EOF
cat > "$WORK/insert.sql" <<EOF
\\set c random(1, 1000)
\\set v random(0, 100000)
$SHAPE
\\if :old_shape
INSERT INTO billing.invoices (customer_id, amount, issued_on) VALUES (:c, :v, date '2025-01-01');
\\else
INSERT INTO billing.invoices (customer_id, amount, discount_amount, issued_on) VALUES (:c, :v / 100.0, 0, date '2025-01-01');
\\endif
END;
EOF

# one pgbench run of $1 seconds, latency log prefix $2; prints its TPS
writers() {
    pgbench -n -c "$CLIENTS" -j 2 -T "$1" -R "$W_TPS" -l --log-prefix="$2" \
        -f "$WORK/update.sql@3" -f "$WORK/insert.sql@1" mb > "$2.out" 2>&1 ||
        { log "ERROR: pgbench failed" >&2; cat "$2.out" >&2; exit 1; }
    if grep -Eq 'aborted|failed transactions: [1-9]' "$2.out"; then
        log "ERROR: a writer transaction failed" >&2; cat "$2.out" >&2; exit 1
    fi
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$2.out"
}


# The lock sampler, in a session of its own until bench_stop has a row: a
# procedure that commits after each sample, so that it never holds a
# snapshot that CREATE INDEX CONCURRENTLY would wait for.  It runs during
# the writers' baseline too, so that both latencies pay for it.  It also
# notes when the migration's own phase changes (schemaguard.migration.phase:
# the backfill's rows, its index builds, its ANALYZE), to tell apart the
# writers' latencies within the CALL of backfill.
q mb <<'EOF'
CREATE TABLE bench_subphase (started timestamptz, phase text);
CREATE PROCEDURE sample_locks() LANGUAGE plpgsql AS $$
DECLARE
    cur text;
    t0 timestamptz;
    rels text;
    sub text;
    last_sub text;
BEGIN
    LOOP
        SELECT regexp_replace(phase, '^(backfill: index|verify:).*$', '\1') INTO sub
        FROM schemaguard.migration ORDER BY id DESC LIMIT 1;
        IF sub IS DISTINCT FROM last_sub THEN
            INSERT INTO bench_subphase VALUES (clock_timestamp(), sub);
            last_sub := sub;
        END IF;
        SELECT string_agg(DISTINCT c.oid::regclass::text, ', ') INTO cur
        FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.mode = 'AccessExclusiveLock' AND l.granted
          AND c.relnamespace = 'billing'::regnamespace AND c.relname NOT LIKE '\_sg\_%' AND c.relkind <> 'i';
        IF cur IS NOT NULL AND t0 IS NULL THEN
            t0 := clock_timestamp();
            rels := cur;
        ELSIF cur IS NOT NULL THEN
            IF position(cur IN rels) = 0 THEN
                rels := rels || ', ' || cur;
            END IF;
        ELSIF t0 IS NOT NULL THEN
            INSERT INTO bench_ae VALUES (t0, clock_timestamp(), rels);
            t0 := NULL;
        END IF;
        EXIT WHEN EXISTS (SELECT FROM bench_stop);
        COMMIT;
        PERFORM pg_sleep(0.002);
        COMMIT;
    END LOOP;
END
$$;
EOF
q mb -c 'CALL sample_locks()' > "$WORK/sampler.out" 2>&1 &
SAMPLER=$!
sleep 1

DDL='ALTER TABLE billing.invoices ADD COLUMN discount_amount numeric(12,2), ALTER COLUMN amount TYPE numeric(12,2)'

# one migration of cycle $1, ending with $2 (contract or rollback)
migration_script() {
    cat <<EOF
\\set ON_ERROR_STOP 1
INSERT INTO bench_phase VALUES ('start', clock_timestamp(), NULL, $1);
SELECT schemaguard.start(\$\$$DDL\$\$, 'bench $1') AS id \\gset
UPDATE bench_phase SET ended = clock_timestamp() WHERE ended IS NULL;
INSERT INTO bench_phase VALUES ('backfill', clock_timestamp(), NULL, $1);
CALL schemaguard.backfill(:id, $W_BATCH, $W_RATE);
UPDATE bench_phase SET ended = clock_timestamp() WHERE ended IS NULL;
INSERT INTO bench_phase VALUES ('verify', clock_timestamp(), NULL, $1);
SELECT mismatches FROM schemaguard.verify(:id);
UPDATE bench_phase SET ended = clock_timestamp() WHERE ended IS NULL;
INSERT INTO bench_phase VALUES ('switch', clock_timestamp(), NULL, $1);
SELECT schemaguard.switch(:id);
UPDATE bench_phase SET ended = clock_timestamp() WHERE ended IS NULL;
INSERT INTO bench_phase VALUES ('$2', clock_timestamp(), NULL, $1);
SELECT schemaguard.$2(:id);
UPDATE bench_phase SET ended = clock_timestamp() WHERE ended IS NULL;
\\echo migration done
EOF
}

# Cycles: writers alone for BASELINE s, then writers through a whole
# migration (rolled back after its switch, the last one contracted), so
# that each "during" has a "before" right next to it: the machine is shared
# and its load drifts.
for cycle in $(seq 1 "$CYCLES"); do
    last=rollback
    [ "$cycle" -eq "$CYCLES" ] && last=contract
    log "w: cycle $cycle: baseline, ${BASELINE} s of writers: $(writers "$BASELINE" "$WORK/before_$cycle") tps"
    q mb -c "CALL bench_plain_update($W_RATE, $W_BATCH, $BASELINE + 1)" > /dev/null &
    PLAIN=$!
    log "w: cycle $cycle: ${BASELINE} s of writers next to plain UPDATEs of $W_BATCH rows at $W_RATE rows/s: $(writers "$BASELINE" "$WORK/plain_$cycle") tps"
    wait "$PLAIN"
    migration_script "$cycle" "$last" > "$WORK/migration_$cycle.sql"
    log "w: cycle $cycle: the migration (to $last), writers in back-to-back runs of 5 s; backfill(id, batch_size => $W_BATCH, max_rows_per_second => $W_RATE)"
    q mb -f "$WORK/migration_$cycle.sql" > "$WORK/migration_$cycle.out" 2>&1 &
    MIGRATION=$!
    sleep 0.5
    w_runs=0
    while :; do
        w_runs=$((w_runs + 1))
        tps=$(writers 5 "$WORK/during_${cycle}_$w_runs")
        log "w: cycle $cycle: writers run $w_runs during the migration: $tps tps"
        kill -0 "$MIGRATION" 2>/dev/null || break
    done
    wait "$MIGRATION" || { log "ERROR: the migration failed"; cat "$WORK/migration_$cycle.out"; exit 1; }
    grep -q 'migration done' "$WORK/migration_$cycle.out" ||
        { log "ERROR: the migration did not finish"; cat "$WORK/migration_$cycle.out"; exit 1; }
    log "w: cycle $cycle: phases: $(q mb -F ' ' -c "SELECT string_agg(phase || ' ' || round(extract(epoch FROM ended - started)::numeric, 2) || ' s', ', ' ORDER BY started) FROM bench_phase WHERE cycle = $cycle")"
done
q mb -c 'INSERT INTO bench_stop DEFAULT VALUES'
wait "$SAMPLER" || true
log "l: ACCESS EXCLUSIVE stretches sampled: $(q mb -c 'SELECT count(*) FROM bench_ae')"

# latencies (us) of every writer transaction, before and during
for cycle in $(seq 1 "$CYCLES"); do
    for f in "$WORK"/before_"$cycle".*; do
        case $f in *.out) continue ;; esac
        awk -v c="$cycle" '$3 ~ /^[0-9]+$/ { print "w\tbefore\t" c "\t" $3 / 1000 }' "$f" >> "$RAW"
    done
    for f in "$WORK"/plain_"$cycle".*; do
        case $f in *.out) continue ;; esac
        awk -v c="$cycle" '$3 ~ /^[0-9]+$/ { print "w\tplain UPDATEs\t" c "\t" $3 / 1000 }' "$f" >> "$RAW"
    done
    for f in "$WORK"/during_"$cycle"_*; do
        case $f in *.out) continue ;; esac
        awk -v c="$cycle" '$3 ~ /^[0-9]+$/ { print "w\tduring\t" c "\t" $3 / 1000 }' "$f" >> "$RAW"
        # when each ended (pgbench -l: epoch seconds and microseconds), to
        # tell the phases apart
        awk '$3 ~ /^[0-9]+$/ { printf "%s.%06d\t%s\n", $5, $6, $3 / 1000 }' "$f" >> "$WORK/ended.tsv"
    done
done
q mb -c 'CREATE TABLE bench_lat (ended float8, ms float8)'
q mb -c "\\copy bench_lat FROM '$WORK/ended.tsv'"
# by the phase (the psql statement of the migration) a transaction ended in;
# within backfill, by the migration's own phase then (rows, index, analyze);
# between phases: between two statements, or after the end of the migration
q mb -c "\\copy (SELECT 'wp', coalesce((SELECT CASE WHEN p.phase <> 'backfill' THEN p.phase
                 ELSE coalesce((SELECT CASE WHEN s.phase LIKE 'backfill: index%' THEN 'backfill: index CONCURRENTLY'
                                            WHEN s.phase = 'backfill: analyze' THEN 'backfill: ANALYZE'
                                            ELSE 'backfill: rows' END
                                FROM bench_subphase s WHERE s.started <= to_timestamp(l.ended)
                                ORDER BY s.started DESC LIMIT 1), 'backfill: rows') END
                 FROM bench_phase p WHERE to_timestamp(l.ended) BETWEEN p.started AND p.ended),
                 CASE WHEN to_timestamp(l.ended) > (SELECT max(e.ended) FROM bench_phase e WHERE e.cycle =
                          (SELECT c.cycle FROM bench_phase c WHERE c.started <= to_timestamp(l.ended) ORDER BY c.started DESC LIMIT 1))
                      THEN 'after the migration'
                      ELSE 'between phases' END), 0, l.ms
                 FROM bench_lat l) TO STDOUT" >> "$RAW"
q mb -c "\\copy (SELECT 'l', coalesce((SELECT phase FROM bench_phase p WHERE a.started BETWEEN p.started AND p.ended), 'between phases'), 0,
                 extract(epoch FROM ended - started) * 1000 FROM bench_ae a) TO STDOUT" >> "$RAW"
q mb -F ' ' -c "SELECT 'l: longest: ' || round(extract(epoch FROM ended - started)::numeric * 1000, 1) || ' ms on ' || relations
                FROM bench_ae ORDER BY ended - started DESC LIMIT 3" | while read -r line; do log "$line"; done

# ---------------------------------------------------------------------------
# The figures: medians, ratios, targets.
# ---------------------------------------------------------------------------
q postgres -c 'CREATE TABLE bench_raw (section text, kind text, run int, ms float8)'
q postgres -c "\\copy bench_raw FROM '$RAW'"

q postgres -v started="$BENCH_STARTED" -v sources="$BENCH_SOURCES" -v sizes="$SIZES" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/migrate_results.txt" <<'EOF'
CREATE TEMP VIEW med AS
    SELECT section, kind, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS v,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
           min(ms) AS min_v, max(ms) AS max_v
    FROM bench_raw GROUP BY section, kind;
CREATE FUNCTION pg_temp.m(k text) RETURNS float8 LANGUAGE sql AS
    $$ SELECT v FROM med WHERE section = 'r' AND kind = k $$;
CREATE FUNCTION pg_temp.f(x float8) RETURNS text LANGUAGE sql AS
    $$ SELECT CASE WHEN x >= 100 THEN to_char(x, 'FM999999990') ELSE to_char(x, 'FM9990.00') END $$;
\pset title 'r: backfill against one plain UPDATE (rows/s; whole CALL in ms), medians of the rounds'
SELECT kind AS measurement, n, pg_temp.f(v) AS median,
       pg_temp.f(min_v) || ' .. ' || pg_temp.f(max_v) AS range
FROM med WHERE section = 'r' ORDER BY kind;
\pset title 'l: ACCESS EXCLUSIVE stretches on the billing schema, by phase (ms)'
SELECT kind AS phase, n AS stretches, pg_temp.f(max_v) AS longest, pg_temp.f(v) AS median
FROM med WHERE section = 'l' ORDER BY max_v DESC;
\pset title 'w: writer transactions (ms), all cycles'
SELECT kind AS writers, n AS transactions, pg_temp.f(v) AS median, pg_temp.f(p99) AS p99,
       pg_temp.f(max_v) AS longest
FROM med WHERE section = 'w' ORDER BY CASE kind WHEN 'before' THEN 1 WHEN 'plain UPDATEs' THEN 2 ELSE 3 END;
\pset title 'w: p99 of writer transactions (ms), per cycle'
SELECT run AS cycle,
       pg_temp.f(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'before')) AS before,
       pg_temp.f(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'plain UPDATEs')) AS "plain UPDATEs",
       pg_temp.f(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'during')) AS during
FROM bench_raw WHERE section = 'w' GROUP BY run ORDER BY run;
\pset title 'w: writer transactions during the migration (ms), by the phase they ended in, all cycles'
SELECT kind AS phase, n AS transactions, pg_temp.f(v) AS median, pg_temp.f(p99) AS p99,
       pg_temp.f(max_v) AS longest,
       (SELECT count(*) FROM bench_raw r WHERE r.section = 'wp' AND r.kind = med.kind
          AND r.ms > (SELECT p99 FROM med d WHERE d.section = 'w' AND d.kind = 'during')) AS "over the p99 during"
FROM med WHERE section = 'wp' ORDER BY n DESC;
CREATE TEMP TABLE ratio AS
SELECT o, target_name, figure, num, den, num / den AS ratio, target, op,
       CASE WHEN target IS NULL OR num IS NULL OR den IS NULL THEN 'info'
            WHEN (op = '<=' AND num / den <= target) OR (op = '>=' AND num / den >= target) THEN 'met'
            ELSE 'NOT met' END AS verdict
FROM (VALUES
    (1, 'r', 'backfill rows/s / plain UPDATE rows/s, 100,000 rows', pg_temp.m('backfill_rps_100000'), pg_temp.m('floor_rps_100000'), 0.5, '>='),
    (2, 'r', 'backfill rows/s / plain UPDATE rows/s, 1,000,000 rows', pg_temp.m('backfill_rps_1000000'), pg_temp.m('floor_rps_1000000'), 0.5, '>='),
    (3, 'r', 'backfill rows/s at 1,000,000 / at 100,000 rows (flat)', pg_temp.m('backfill_rps_1000000'), pg_temp.m('backfill_rps_100000'), 0.8, '>='),
    (4, 'r', 'plain UPDATE rows/s at 1,000,000 / at 100,000 rows', pg_temp.m('floor_rps_1000000'), pg_temp.m('floor_rps_100000'), NULL, ''),
    (5, 'r', 'plain UPDATEs committed by 10,000 / one UPDATE, 100,000 rows', pg_temp.m('batched_rps_100000'), pg_temp.m('floor_rps_100000'), NULL, ''),
    (6, 'r', 'plain UPDATEs committed by 10,000 / one UPDATE, 1,000,000 rows', pg_temp.m('batched_rps_1000000'), pg_temp.m('floor_rps_1000000'), NULL, ''),
    (7, 'r', 'backfill / plain UPDATEs committed by 10,000, 100,000 rows', pg_temp.m('backfill_rps_100000'), pg_temp.m('batched_rps_100000'), NULL, ''),
    (8, 'r', 'backfill / plain UPDATEs committed by 10,000, 1,000,000 rows', pg_temp.m('backfill_rps_1000000'), pg_temp.m('batched_rps_1000000'), NULL, ''),
    (9, 'w', 'writers p99 latency during the migration / before it',
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'during'),
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'before'), 2.0, '<='),
    (10, 'w', 'writers p99 next to plain batched UPDATEs at the same rate / before',
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'plain UPDATEs'),
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'before'), NULL, ''),
    (11, 'w', 'writers p99 during the migration / next to plain batched UPDATEs',
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'during'),
        (SELECT p99 FROM med WHERE section = 'w' AND kind = 'plain UPDATEs'), NULL, '')
) v(o, target_name, figure, num, den, target, op);
\pset title 'schemaguard migration benchmark: ratios'
SELECT target_name AS "for", figure, pg_temp.f(num) AS num, pg_temp.f(den) AS den,
       to_char(ratio, 'FM990.000') AS ratio,
       coalesce(op || ' ' || to_char(target, 'FM0.00'), '') AS target, verdict
FROM ratio ORDER BY o;
\pset title 'context'
SELECT * FROM (VALUES
    ('run started', :'started'),
    ('extension sources', :'sources'),
    ('server', version()),
    ('longest ACCESS EXCLUSIVE stretch of any step (ms, sampled every 2 ms)',
        (SELECT pg_temp.f(max(ms)) || ' (' || (SELECT kind FROM bench_raw WHERE section = 'l' ORDER BY ms DESC LIMIT 1) || ')'
         FROM bench_raw WHERE section = 'l')),
    ('longest writer transaction during the migration (ms)',
        (SELECT pg_temp.f(max_v) FROM med WHERE section = 'w' AND kind = 'during'))
) v(item, value);
EOF
echo
cat "$OUT/migrate_results.txt"
log "done; raw timings in $RAW, this table in $OUT/migrate_results.txt"
