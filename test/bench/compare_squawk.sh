#!/usr/bin/env bash
# schemaguard.check_ddl() against squawk, a text linter for migrations, on
# one migration and one live database (not part of the test suite):
#
#   bash test/bench/compare_squawk.sh
#
# Installs squawk-cli $SQUAWK_VERSION (2.66.0) with npm into
# test/bench/out/squawk/ if it is not there (set SQUAWK to use another
# squawk binary), builds and installs the extension (test/setup.sh), then in
# a throwaway PostgreSQL 15 cluster: builds test/bench/guard_schema.sql
# (three tables of about 30 MB, small and empty ones, a view and a PL/pgSQL
# function reading columns, a validated CHECK (col IS NOT NULL)), runs
# `squawk --pg-version 15 --reporter json` on test/bench/guard_migration.sql
# and `SELECT * FROM schemaguard.check_ddl(<the same file>)` in that
# database, and prints per statement what each flags against the verdict
# written above the statement in the migration ("-- expect: ..."), then the
# totals.  The output goes to the terminal and to
# test/bench/out/compare_squawk.log; the tables alone to
# test/bench/out/compare_squawk.txt (both git-ignored).  See
# docs/guard-comparison.md.  BENCH_DESTDIR works as for the benchmarks
# (test/bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=test/bench/out
MIGRATION=test/bench/guard_migration.sql
SQUAWK_VERSION=${SQUAWK_VERSION:-2.66.0}

. test/bench/lib.sh
if [ "${1:-}" != "--inside" ]; then
    if [ -z "${SQUAWK:-}" ]; then
        SQUAWK=$OUT/squawk/node_modules/.bin/squawk
        if [ ! -x "$SQUAWK" ] || [ "$("$SQUAWK" --version 2>/dev/null)" != "squawk $SQUAWK_VERSION" ]; then
            if ! command -v npm > /dev/null; then
                echo "compare_squawk: installing npm"
                if [ "$(id -u)" -ne 0 ]; then
                    echo "compare_squawk: run as root (or install npm, or set SQUAWK to a squawk binary)" >&2
                    exit 1
                fi
                export DEBIAN_FRONTEND=noninteractive
                apt-get install -y -qq --no-install-recommends npm > /dev/null ||
                    { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm > /dev/null; }
            fi
            echo "compare_squawk: installing squawk-cli@$SQUAWK_VERSION with npm into $OUT/squawk"
            mkdir -p "$OUT/squawk"
            if ! npm install --no-audit --no-fund --prefix "$OUT/squawk" "squawk-cli@$SQUAWK_VERSION" \
                    > "$OUT/squawk/npm.log" 2>&1; then
                cat "$OUT/squawk/npm.log" >&2
                echo "compare_squawk: npm could not install squawk-cli (is the npm registry reachable?)" >&2
                exit 1
            fi
        fi
    fi
    SQUAWK=$(realpath "$SQUAWK")
    export SQUAWK
    bench_outside compare_squawk "$OUT/compare_squawk.log" "$OUT/compare_squawk.txt" "$0"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER are set).
# ---------------------------------------------------------------------------
bench_inside "$OUT/compare_squawk_raw.tsv"
log "schemaguard check_ddl() against $("$SQUAWK" --version), $(q postgres -c 'SHOW server_version')"
log "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)'); extension sources: $BENCH_SOURCES"

q postgres -c 'CREATE DATABASE guard_compare'
q guard_compare -c 'CREATE EXTENSION schemaguard'
log "building test/bench/guard_schema.sql"
q guard_compare -f test/bench/guard_schema.sql
q guard_compare -c 'VACUUM ANALYZE'

# The statements of the migration, numbered as check_ddl() numbers them,
# with their lines (from 0, as squawk's JSON counts) and expected verdicts.
awk -v OFS='\t' '
    /^-- expect: / {
        verdict = substr($0, 12); sub(/:.*/, "", verdict)
        why = substr($0, 12); sub(/^[a-z]+: /, "", why)
        next
    }
    /^[[:space:]]*(--.*)?$/ { next }
    !open { open = 1; first = NR - 1; text = $0 }
    /;[[:space:]]*$/ { print ++n, first, NR - 1, verdict, why, text; open = 0; verdict = ""; why = "" }
' "$MIGRATION" > "$OUT/compare_squawk_statements.tsv"
log "$MIGRATION: $(wc -l < "$OUT/compare_squawk_statements.tsv") statements"

# squawk's findings: exit status 1 when it finds anything
squawk_status=0
"$SQUAWK" --pg-version 15 --reporter json "$MIGRATION" > "$OUT/squawk.json" || squawk_status=$?
log "squawk --pg-version 15 --reporter json $MIGRATION: exit status $squawk_status, $(grep -o '"rule_name"' "$OUT/squawk.json" | wc -l) findings"

# The verdicts checked by running the migration for real, statement by
# statement in one session, on a copy of the database with the guard off:
# the time each takes, the tables it rewrote (a new relfilenode), its error,
# and whether the view and the function that read columns still work after it.
q postgres -c 'CREATE DATABASE guard_run TEMPLATE guard_compare'
{
    echo "SET schemaguard.mode = off;"
    echo '\set ON_ERROR_STOP 0'
    while IFS=$'\t' read -r n first last _; do
        echo "SELECT string_agg(relname || '=' || relfilenode, ',') AS files FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind = 'r' \\gset"
        echo '\set LAST_ERROR_MESSAGE'
        echo "SELECT clock_timestamp() AS t0 \\gset"
        sed -n "$((first + 1)),$((last + 1))p" "$MIGRATION"
        echo "SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS ms, :'LAST_ERROR_MESSAGE' AS error \\gset"
        echo "SELECT $n, round(:'ms'::numeric, 1),"
        echo "  coalesce((SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c, regexp_split_to_table(:'files', ',') f"
        echo "            WHERE c.relnamespace = 'app'::regnamespace AND split_part(f, '=', 1) = c.relname::text AND split_part(f, '=', 2) <> c.relfilenode::text), ''),"
        echo "  :'error';"
        echo '\set LAST_ERROR_MESSAGE'
        echo "SELECT 1 FROM app.customer_label(1) \\g /dev/null"
        echo "SELECT :'LAST_ERROR_MESSAGE' AS error \\gset"
        echo "SELECT CASE WHEN :'error' = '' THEN 'ok' ELSE 'ERROR: ' || :'error' END AS label \\gset"
        echo '\set LAST_ERROR_MESSAGE'
        echo "SELECT 1 FROM app.country_list LIMIT 1 \\g /dev/null"
        echo "SELECT :'LAST_ERROR_MESSAGE' AS error \\gset"
        echo "SELECT 'probe', $n, :'label', CASE WHEN :'error' = '' THEN 'ok' ELSE 'ERROR: ' || :'error' END;"
    done < "$OUT/compare_squawk_statements.tsv"
} > "$OUT/compare_squawk_run.sql"
PGOPTIONS='-c client_min_messages=error' psql -X -q -At -F $'\t' -d guard_run \
    -f "$OUT/compare_squawk_run.sql" > "$OUT/compare_squawk_run.tsv" 2> "$OUT/compare_squawk_run.err" || true
log "ran the migration on a copy (guard_run): $(grep -vc '^probe' "$OUT/compare_squawk_run.tsv") statements timed, $(grep -vc $'\t$' <(grep -v '^probe' "$OUT/compare_squawk_run.tsv")) with an error"

# the comparison lives in schema cmp, which the migration does not touch
q guard_compare -c 'CREATE SCHEMA cmp' \
    -c 'CREATE TABLE cmp.stmt (n int, first_line int, last_line int, verdict text, why text, sql text)' \
    -c "\\copy cmp.stmt FROM '$OUT/compare_squawk_statements.tsv'" \
    -c 'CREATE TABLE cmp.run (n int, ms numeric, rewritten text, error text)' \
    -c "\\copy cmp.run FROM PROGRAM 'grep -v ^probe $OUT/compare_squawk_run.tsv'" \
    -c 'CREATE TABLE cmp.probe (tag text, n int, customer_label text, country_list text)' \
    -c "\\copy cmp.probe FROM PROGRAM 'grep ^probe $OUT/compare_squawk_run.tsv'"
q guard_compare -v script="$(cat "$MIGRATION")" -v squawk="$(cat "$OUT/squawk.json")" \
    -P format=aligned -P tuples_only=off -P footer=off > "$OUT/compare_squawk.txt" <<'EOF'
SET search_path = cmp, public;
CREATE TEMP TABLE guard AS SELECT * FROM schemaguard.check_ddl(:'script');
CREATE TEMP TABLE squawk AS
    SELECT (f->>'line')::int AS line, f->>'rule_name' AS rule, f->>'message' AS message
    FROM jsonb_array_elements(:'squawk'::jsonb) f;
-- squawk's rules about style and re-runnability, not about what the
-- statement does to a live database: listed, not counted as alarms
CREATE TEMP TABLE style_rule (rule text PRIMARY KEY);
INSERT INTO style_rule VALUES ('prefer-robust-stmts'), ('prefer-bigint-over-int'),
    ('prefer-bigint-over-smallint'), ('prefer-identity'), ('prefer-text-field'),
    ('prefer-timestamptz'), ('ban-char-field');
CREATE TEMP VIEW per_stmt AS
SELECT s.n, s.verdict, s.why, s.sql,
       (SELECT string_agg(DISTINCT q.rule, ', ') FROM squawk q
         WHERE q.line BETWEEN s.first_line AND s.last_line
           AND q.rule NOT IN (SELECT rule FROM style_rule)) AS squawk_rules,
       (SELECT string_agg(DISTINCT q.rule, ', ') FROM squawk q
         WHERE q.line BETWEEN s.first_line AND s.last_line
           AND q.rule IN (SELECT rule FROM style_rule)) AS squawk_style,
       (SELECT string_agg(g.rule || ' (' || g.severity || ')', ', ' ORDER BY g.rule) FROM guard g
         WHERE g.statement = s.n) AS guard_rules
FROM stmt s;
CREATE FUNCTION pg_temp.outcome(verdict text, flagged bool) RETURNS text LANGUAGE sql AS $$
    SELECT CASE verdict
        WHEN 'risky' THEN CASE WHEN flagged THEN 'found' ELSE 'MISSED' END
        WHEN 'safe' THEN CASE WHEN flagged THEN 'FALSE ALARM' ELSE 'silent' END
        WHEN 'client' THEN CASE WHEN flagged THEN 'flags' ELSE 'silent' END
        ELSE CASE WHEN flagged THEN 'FALSE ALARM' ELSE '' END
    END $$;
CREATE TEMP VIEW outcome AS
SELECT p.*, pg_temp.outcome(verdict, squawk_rules IS NOT NULL) AS squawk_outcome,
       pg_temp.outcome(verdict, guard_rules IS NOT NULL) AS guard_outcome
FROM per_stmt p;

\pset title 'the live database (the tables the migration touches)'
SELECT c.relname AS "table", pg_size_pretty(pg_table_size(c.oid)) AS size, c.reltuples::bigint AS "rows"
FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind = 'r'
ORDER BY pg_table_size(c.oid) DESC, c.relname;

\pset title 'per statement: what each tool flags, against the verdict'
SELECT n AS "#", left(regexp_replace(sql, '^\s+', ''), 72) AS statement, verdict,
       coalesce(squawk_rules, '') AS squawk, squawk_outcome,
       coalesce(guard_rules, '') AS "check_ddl", guard_outcome,
       coalesce(squawk_style, '') AS "squawk (style, not counted)"
FROM outcome ORDER BY n;

\pset title 'totals'
SELECT tool,
       count(*) FILTER (WHERE verdict = 'risky') AS risky,
       count(*) FILTER (WHERE verdict = 'risky' AND o = 'found') AS found,
       count(*) FILTER (WHERE verdict = 'risky' AND o = 'MISSED') AS missed,
       count(*) FILTER (WHERE verdict = 'safe') AS safe,
       count(*) FILTER (WHERE verdict = 'safe' AND o = 'FALSE ALARM') AS false_alarms,
       count(*) FILTER (WHERE verdict = 'client') AS client,
       count(*) FILTER (WHERE verdict = 'client' AND o = 'flags') AS client_flagged,
       count(*) FILTER (WHERE verdict NOT IN ('risky', 'safe', 'client') AND o = 'FALSE ALARM') AS set_flagged
FROM (SELECT 1 AS k, 'squawk' AS tool, verdict, squawk_outcome AS o FROM outcome
      UNION ALL
      SELECT 2, 'check_ddl', verdict, guard_outcome FROM outcome) t
GROUP BY k, tool ORDER BY k;

\pset title 'the migration run for real on a copy of the database, guard off: time, tables rewritten, error; do the readers still work after it?'
SELECT r.n AS "#", s.verdict, r.ms, r.rewritten AS "rewrote", left(r.error, 70) AS error,
       left(p.customer_label, 60) AS "app.customer_label(1)", left(p.country_list, 40) AS "app.country_list"
FROM run r JOIN stmt s USING (n) LEFT JOIN probe p USING (n) ORDER BY r.n;

\pset title 'check_ddl(): every finding'
SELECT statement AS "#", rule, severity, message FROM guard ORDER BY statement, rule;

\pset title 'the verdicts (from the migration file)'
SELECT n AS "#", verdict, why FROM stmt ORDER BY n;
EOF
echo
cat "$OUT/compare_squawk.txt"
log "done; squawk's JSON in $OUT/squawk.json, the tables in $OUT/compare_squawk.txt"
