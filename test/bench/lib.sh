# test/bench/lib.sh: what the benchmark scripts share (sourced, not run).
#
#   bench_outside NAME LOG RESULTS SCRIPT
#       Outside the cluster: one benchmark at a time (a lock), build and
#       install the extension (test/setup.sh) and check that the installed
#       build is this checkout's, before and after; then run SCRIPT --inside
#       in a throwaway cluster, logging to LOG.  Exits with the run's status
#       (3 if the installed build was replaced during the run).
#   bench_inside RAW
#       Inside the cluster: log, q (psql), record (a raw timing to RAW),
#       and $STOPWATCH (pg_temp.ms(stmt): the time the server takes).

# which sources are measured (they change often): a digest of everything
# that is built or installed, and the newest of those files
bench_sources() {
    local files=(Makefile schemaguard.control src/*.c src/*.h sql/schemaguard--*.sql)
    local newest
    newest=$(ls -t "${files[@]}" | head -1)
    echo "md5 $(cat "${files[@]}" | md5sum | cut -c1-12), newest file $newest" \
         "$(date -u -r "$newest" '+%Y-%m-%d %H:%M:%S UTC')"
}

# The installed extension is shared by every checkout on this machine.
bench_installed_is_ours() {
    cmp -s schemaguard.so "$($PG_CONFIG --pkglibdir)/schemaguard.so" &&
    cmp -s sql/schemaguard--0.1.0.sql "$($PG_CONFIG --sharedir)/extension/schemaguard--0.1.0.sql" &&
    cmp -s schemaguard.control "$($PG_CONFIG --sharedir)/extension/schemaguard.control"
}

bench_outside() {
    local name=$1 log=$2 results=$3 script=$4
    local before status msg

    # one benchmark at a time: two at once would skew each other's timings
    # and write the same files in test/bench/out/
    mkdir -p "$OUT"
    exec 9> "$OUT/.lock"
    if ! flock -n 9; then
        echo "$name: another benchmark is running; waiting for it to finish" >&2
        flock 9
    fi
    PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    before=$(bench_sources)
    bash test/setup.sh
    export BENCH_STARTED BENCH_SOURCES
    BENCH_SOURCES=$(bench_sources)
    [ "$before" = "$BENCH_SOURCES" ] ||
        echo "$name: WARNING: the sources changed while the extension was built" >&2
    if ! bench_installed_is_ours; then
        echo "$name: the installed schemaguard is not the one built from $(pwd) (another checkout installed its own?); installing again" >&2
        make -s PG_CONFIG="$PG_CONFIG" install > /dev/null
    fi
    BENCH_STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    # -t: the cluster lives in a temporary directory even as root, so that it
    # never collides with another throwaway cluster (e.g. test/check.sh's).
    # autovacuum is off so that it cannot fire in the middle of a timing; the
    # scripts VACUUM explicitly where it matters.
    status=0
    pg_virtualenv -t -v 15 -o autovacuum=off bash "$script" --inside 2>&1 9>&- |
        tee "$log" || status=$?
    if ! bench_installed_is_ours; then
        msg="$name: WARNING: the installed schemaguard was replaced during the run (by another checkout?): these figures may not measure $(pwd); run again"
        echo "$msg" | tee -a "$log" "$results" >&2
        [ "$status" -ne 0 ] || status=3
    fi
    exit "$status"
}

bench_inside() {
    BENCH_STARTED=${BENCH_STARTED:-$(date -u '+%Y-%m-%d %H:%M:%S UTC')}
    BENCH_SOURCES=${BENCH_SOURCES:-unknown}
    RAW=$1
    : > "$RAW"
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# psql: quiet, unaligned, stop at the first error
q() {
    local db=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' \
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# record SECTION KIND RUN MS
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RAW"; }

# A session-local stopwatch: the time the server takes to run one statement.
STOPWATCH="
CREATE FUNCTION pg_temp.ms(stmt text) RETURNS float8 LANGUAGE plpgsql AS \$f\$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE stmt;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
\$f\$;"
