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
#       $STOPWATCH (pg_temp.ms(stmt): the time the server takes),
#       bench_peak_kb (a statement's peak backend memory), $EDGES_DIGEST and
#       $UNRESOLVED_DIGEST (the lineage catalog, to compare).
#
# BENCH_DESTDIR (environment, unset by default): measure a private copy of
# PostgreSQL 15 staged under that directory instead of the system one, e.g.
#   mkdir -p /tmp/pgcopy/usr/lib/postgresql /tmp/pgcopy/usr/share/postgresql
#   cp -a /usr/lib/postgresql/15 /tmp/pgcopy/usr/lib/postgresql/
#   cp -a /usr/share/postgresql/15 /tmp/pgcopy/usr/share/postgresql/
#   BENCH_DESTDIR=/tmp/pgcopy bash test/bench/bench.sh
# The extension is then built with the system's pg_config and installed with
# `make install DESTDIR=$BENCH_DESTDIR` (test/setup.sh, which installs into
# the system PostgreSQL, is not run: the packages must be there already),
# and the throwaway cluster is made with the copy's initdb and pg_ctl (as
# user postgres when run as root), its socket in a temporary directory, on
# port $BENCH_PORT (5477), settings as pg_virtualenv's (fsync off) plus
# autovacuum off.  So a benchmark never touches what another checkout
# installed.  Unset, nothing changes.

# which sources are measured (they change often): a digest of everything
# that is built or installed, and the newest of those files
bench_sources() {
    local files
    mapfile -t files < <(ls Makefile schemaguard.control sql/schemaguard--*.sql;
                         find src -name '*.[ch]' | sort)
    local newest
    newest=$(ls -t "${files[@]}" | head -1)
    echo "md5 $(cat "${files[@]}" | md5sum | cut -c1-12), newest file $newest" \
         "$(date -u -r "$newest" '+%Y-%m-%d %H:%M:%S UTC')"
}

# The installed extension is shared by every checkout on this machine.
bench_installed_is_ours() {
    local root=${BENCH_DESTDIR:-}
    cmp -s schemaguard.so "$root$($PG_CONFIG --pkglibdir)/schemaguard.so" &&
    cmp -s sql/schemaguard--0.1.0.sql "$root$($PG_CONFIG --sharedir)/extension/schemaguard--0.1.0.sql" &&
    cmp -s schemaguard.control "$root$($PG_CONFIG --sharedir)/extension/schemaguard.control"
}

# Build and install the extension: test/setup.sh (packages, then the system
# PostgreSQL), or with BENCH_DESTDIR into that copy only.
bench_build_install() {
    if [ -z "${BENCH_DESTDIR:-}" ]; then
        bash test/setup.sh
        return
    fi
    make -s PG_CONFIG="$PG_CONFIG"
    make -s PG_CONFIG="$PG_CONFIG" DESTDIR="$BENCH_DESTDIR" install > /dev/null
    echo "setup: schemaguard built and installed into $BENCH_DESTDIR$($PG_CONFIG --pkglibdir)"
}

# bench_cluster CMD...: run CMD in a throwaway cluster, PGHOST, PGPORT and
# PGUSER set: pg_virtualenv's, or with BENCH_DESTDIR one of that copy.
bench_cluster() {
    if [ -z "${BENCH_DESTDIR:-}" ]; then
        pg_virtualenv -t -v 15 -o autovacuum=off "$@"
        return
    fi
    (
        bindir=$BENCH_DESTDIR$($PG_CONFIG --bindir)
        port=${BENCH_PORT:-5477}
        dir=$(mktemp -d /tmp/schemaguard-bench.XXXXXX)
        as=()
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$dir"
            as=(runuser -u postgres --)
        fi
        trap '"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -s stop > /dev/null 2>&1; rm -rf "$dir"' EXIT
        "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync > /dev/null || exit 1
        "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start \
            -o "-p $port -k $dir -c listen_addresses= -c fsync=off -c autovacuum=off" || exit 1
        PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres PATH=$bindir:$PATH "$@"
    )
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
    bench_build_install
    export BENCH_STARTED BENCH_SOURCES
    BENCH_SOURCES=$(bench_sources)
    [ "$before" = "$BENCH_SOURCES" ] ||
        echo "$name: WARNING: the sources changed while the extension was built" >&2
    if ! bench_installed_is_ours; then
        echo "$name: the installed schemaguard is not the one built from $(pwd) (another checkout installed its own?); installing again" >&2
        make -s PG_CONFIG="$PG_CONFIG" ${BENCH_DESTDIR:+DESTDIR="$BENCH_DESTDIR"} install > /dev/null
    fi
    BENCH_STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    # pg_virtualenv -t: the cluster lives in a temporary directory even as
    # root, so that it never collides with another throwaway cluster (e.g.
    # test/check.sh's).  autovacuum is off so that it cannot fire in the
    # middle of a timing; the scripts VACUUM explicitly where it matters.
    status=0
    bench_cluster bash "$script" --inside 2>&1 9>&- |
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

# bench_peak_kb DB SQL: the peak private memory (kB) of a new backend that
# runs one statement: the peak resident size minus the shared memory
# (shared_buffers) and files it has mapped by the end, so roughly what the
# statement itself allocated (the cluster runs on this machine, so /proc
# shows it).
bench_peak_kb() {
    q "$1" <<EOF | tail -1
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\o /dev/null
$2;
\o
\! awk '/^VmHWM:/ {hwm = \$2} /^RssFile:|^RssShmem:/ {mapped += \$2} END {print hwm - mapped}' /proc/\$BPID/status
EOF
}

# The lineage catalog as two digests (count and md5), to compare what
# upkeep stored with what rebuild() stores.
EDGES_DIGEST="SELECT count(*) || ' ' || md5(coalesce(string_agg(format('%s.%s.%s>%s.%s.%s:%s', source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage), ',' ORDER BY source_classid, source_objid, source_objsubid, dependent_classid, dependent_objid, dependent_objsubid, usage), '')) FROM schemaguard.lineage_edge"
UNRESOLVED_DIGEST="SELECT count(*) || ' ' || md5(coalesce(string_agg(format('%s.%s:%s:%s', classid, objid, reference, reason), ',' ORDER BY classid, objid, reference, reason), '')) FROM schemaguard.unresolved_reference"

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

# bench_j_function N: the CREATE FUNCTION of j (bench_upkeep.sh) and of
# count_upkeep.sh, the same statement in both: a 20-line PL/pgSQL body over
# the fact tables (TABLES and FACT0 set by the caller) -- declarations,
# SELECT INTO, IF, a FOR loop over a query, UPDATE, INSERT, RETURN.
bench_j_function() {
    local n=$1 f d
    f=$(printf 'bench.t%04d' $((FACT0 + n % (TABLES / 2))))
    d=$(printf 'bench.t%04d' $((1 + n % (TABLES / 2))))
    cat <<EOF
CREATE FUNCTION bench_j.f$n(p_key int, p_limit numeric) RETURNS numeric LANGUAGE plpgsql AS \$f\$
DECLARE
    v_total numeric := 0;
    v_label text;
    r record;
BEGIN
    SELECT d.c16 || '/' || d.c17 INTO v_label FROM $d d WHERE d.c01 = p_key;
    IF v_label IS NULL THEN
        RETURN 0;
    END IF;
    FOR r IN SELECT f.c02, f.c11 * 1.1 AS amount FROM $f f WHERE f.c01 = p_key AND f.c12 > p_limit LOOP
        v_total := v_total + r.amount;
        IF r.c02 > 10 THEN
            UPDATE $f SET c13 = r.amount, c18 = v_label WHERE c01 = p_key AND c02 = r.c02;
        END IF;
    END LOOP;
    INSERT INTO $d (c01, c11, c16) VALUES (p_key, v_total, v_label);
    RETURN v_total;
END
\$f\$;
EOF
}
