#!/usr/bin/env bash
# bench/cluster.sh: a cluster backup (every shard at once) against the same shards backed up one after the
# other and against the source limit, in the same run. Called as `bench/run.sh BUILD --cluster [...]`.
#
# usage: bench/run.sh BUILD --cluster [--size 256M] [--shards N] [--runs N] [--store rgw|null]
#
# Starts a Redis Cluster of N masters + N replicas (tests/harness/cluster.sh) and fills every master with
# SIZE / N of incompressible data (bench/gen.c, each master's keys under one hash tag it owns); a standalone
# replica of each master (cluster-enabled no) holds the same data as its shard. Then, alternating inside each
# round:
#   a  source limit     every shard replica's `redis-cli --rdb - >/dev/null`, all at once (wall: the last)
#   c  cluster backup   redis-archiver backup of the cluster: N shards at once, one budget of part buffers
#   s  in sequence      N single-shard backups (the standalone replicas), one after the other (wall: the sum)
# Store: Ceph RGW on loopback (default; objects deleted and gc run after each contender) or bench/nullstore.py
# (--store null: part bodies dropped, no conditional writes, so each run pays the record protocol's pause).
# Prints a markdown report and writes it to bench/results/<date>-cluster-<size>.md.

set -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench: %s\n' "$*" >&2; }

BUILD=${1:?usage: bench/run.sh BUILD --cluster [--size 256M] [--shards N] [--runs N] [--store rgw|null]}
shift
SIZE=256M SHARDS=3 RUNS=1 STORE=rgw
while [ $# -gt 0 ]; do
    case $1 in
    --cluster) shift ;;
    --size) SIZE=${2:?--size needs a value}; shift 2 ;;
    --shards) SHARDS=${2:?--shards needs a value}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
    --store) STORE=${2:?--store needs rgw or null}; shift 2 ;;
    --quick) SIZE=96M; shift ;;
    *) die "--cluster: unknown argument '$1' (--size, --shards, --runs, --store rgw|null, --quick)" ;;
    esac
done
[[ "$SHARDS" =~ ^[1-9][0-9]?$ ]] || die "--shards wants 1..99, not '$SHARDS'"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$RUNS'"
[ "$STORE" = rgw ] || [ "$STORE" = null ] || die "--store wants rgw or null, not '$STORE'"
S=${SIZE^^}
[[ "$S" =~ ^([0-9]+)([KMG]?)I?B?$ ]] || die "bad --size '$SIZE' (examples: 96M, 256M, 1G)"
BYTES=${BASH_REMATCH[1]}
case ${BASH_REMATCH[2]} in K) BYTES=$((BYTES << 10)) ;; M) BYTES=$((BYTES << 20)) ;; G) BYTES=$((BYTES << 30)) ;; esac
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-$((120 + 120 * (BYTES >> 30)))}

[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
ARCHIVER=$ROOT/$BUILD/redis-archiver
[ -x "$ARCHIVER" ] || die "$ARCHIVER not built (make BUILD=$BUILD)"
AWS=/usr/bin/aws
[ "$STORE" = null ] || [ -x "$AWS" ] || die "$AWS not found (apt-get install awscli)"
BDIR=$ROOT/$BUILD/bench
mkdir -p "$BDIR" bench/results || exit 1
cc -std=c11 -O2 -Wall -Wextra -o "$BDIR/gen" bench/gen.c || die "cannot build bench/gen.c"
DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=bench/results/$DATE-cluster-$SIZE.md

. tests/harness/lib.sh || die "cannot source tests/harness/lib.sh"
. tests/harness/cluster.sh || die "cannot source tests/harness/cluster.sh"
W=$RA_TEST_TMPDIR/bench
mkdir -p "$W"
ra_on_exit() { [ -n "${NS_PID:-}" ] && kill "$NS_PID" 2>/dev/null; return 0; }
rcli() { redis-cli -h 127.0.0.1 "$@"; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)

if [ "$STORE" = rgw ]; then
    export RA_MEMSTORE_BYTES=$((BYTES * 13 / 10 + (1 << 30)))
    [ "$RA_MEMSTORE_BYTES" -lt 4294967296 ] && RA_MEMSTORE_BYTES=4294967296
    export RA_RGW_LC_DEBUG_INTERVAL=-1
    say "starting Ceph RGW in the background"
    (ra_s3_start) >"$W/s3-start.log" 2>&1 &
    S3_JOB=$!
fi
say "starting a cluster of $SHARDS masters + $SHARDS replicas"
ra_cluster_start "$SHARDS" || die "the cluster did not start"
read -r -a M <<<"$RA_TEST_CLUSTER_MASTERS"
read -r -a R <<<"$RA_TEST_CLUSTER_REPLICAS"

say "filling: $SIZE in all, $((BYTES / SHARDS)) bytes per master"
for ((i = 0; i < SHARDS; i++)); do
    tag=
    for ((t = 0; t < 100000; t++)); do # a hash tag whose slot master i owns
        if [ "$(rcli -p "${M[$i]}" set "{t$t}probe" 1 2>&1)" = OK ]; then tag="{t$t}"; rcli -p "${M[$i]}" del "{t$t}probe" >/dev/null; break; fi
    done
    [ -n "$tag" ] || die "no hash tag found for master $i"
    out=$("$BDIR/gen" $((BYTES / SHARDS)) $((42 + i)) "$tag" | rcli -p "${M[$i]}" --pipe 2>&1)
    grep -q 'errors: 0,' <<<"$out" || die "filling master $i failed: $out"
done
# a standalone replica (cluster-enabled no) of each master: the same data as the shard, backed up alone
SOLO=()
for ((i = 0; i < SHARDS; i++)); do
    p=$(ra_redis_start "solo$i" "replicaof 127.0.0.1 ${M[$i]}" "repl-diskless-sync yes") || die "solo replica $i"
    SOLO+=("$p")
done
for ((i = 0; i < SHARDS; i++)); do
    ra_redis_wait_link "${SOLO[$i]}" 600 || die "solo replica $i did not sync"
    rcli -p "${R[$i]}" config set repl-diskless-sync yes >/dev/null
done
ra_cluster_wait_ok 600 || die "the cluster is not ok after the fill"
KEYS=0
for ((i = 0; i < SHARDS; i++)); do KEYS=$((KEYS + $(rcli -p "${M[$i]}" dbsize))); done

if [ "$STORE" = rgw ]; then
    wait "$S3_JOB" || { cat "$W/s3-start.log" >&2; die "Ceph RGW did not start"; }
    . "$RA_TEST_TMPDIR/env.sh"
    ENDPOINT=$RA_TEST_S3_ENDPOINT B=$RA_TEST_S3_BUCKET
else
    "${RA_PY:-python3}" "$ROOT/bench/nullstore.py" "$W/nullstore.port" 2>"$W/nullstore.err" &
    NS_PID=$!
    for ((i = 0; i < 100; i++)); do [ -s "$W/nullstore.port" ] && break; sleep 0.05; done
    [ -s "$W/nullstore.port" ] || die "bench/nullstore.py did not start"
    ENDPOINT=http://127.0.0.1:$(cat "$W/nullstore.port") B=null-store
    RA_TEST_S3_ACCESS_KEY=bench RA_TEST_S3_SECRET_KEY=bench RA_TEST_S3_REGION=us-east-1
fi
ARCH_ENV=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u REDIS_ARCHIVER_CONFIG REDIS_ARCHIVER_ENDPOINT="$ENDPOINT"
    REDIS_ARCHIVER_BUCKET="$B" REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION" REDIS_ARCHIVER_PATH_STYLE=yes
    AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY"
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null REDIS_ARCHIVER_LOG_FORMAT=json)
s3_clean() {
    [ "$STORE" = rgw ] || return 0
    env AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" \
        AWS_DEFAULT_REGION="$RA_TEST_S3_REGION" AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
        "$AWS" --endpoint-url "$ENDPOINT" s3 rm --recursive --quiet "s3://$B/" >/dev/null 2>&1
    timeout -k 10 300 radosgw-admin -c "$RA_TEST_S3_CEPH_CONF" gc process --include-all >/dev/null 2>&1
}
# no fork child on any source node
idle() {
    local p i
    for p in "${R[@]}" "${SOLO[@]}"; do
        for ((i = 0; i < 600; i++)); do
            [ "$(rcli -p "$p" info persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 0 ] && break
            sleep 0.1
        done
    done
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# RDB bytes of every shard (and a warm-up of every source)
RDB=0
for ((i = 0; i < SHARDS; i++)); do
    n=$(timeout -k 10 "$RUN_TIMEOUT" redis-cli -h 127.0.0.1 -p "${R[$i]}" --rdb - 2>/dev/null | wc -c)
    RDB=$((RDB + n - 40))
done
idle
say "RDB: $RDB bytes in $SHARDS shards ($KEYS keys); warm-up backup"
"${ARCH_ENV[@]}" REDIS_ARCHIVER_INSTANCE=bench-warm "$ARCHIVER" backup --source "redis://127.0.0.1:${M[0]}" \
    >/dev/null 2>"$W/warm.err" || { tail -3 "$W/warm.err" >&2; die "the warm-up cluster backup failed"; }
s3_clean

TSV=$W/runs.tsv
: >"$TSV"
# one contender, one round: appends "contender round ok wall cpu rss_kb"
measure() {
    local c=$1 r=$2 ok=1 t0 t1 wall cpu=0 rss=0 i pids=() sum=0
    idle
    rm -f "$W"/time.*
    t0=$(now)
    case $c in
    a)
        for ((i = 0; i < SHARDS; i++)); do
            /usr/bin/time -f '%U %S %M' -o "$W/time.$i" timeout -k 10 "$RUN_TIMEOUT" \
                redis-cli -h 127.0.0.1 -p "${R[$i]}" --rdb - >/dev/null 2>"$W/a.$i.err" &
            pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || ok=0; done
        ;;
    c)
        /usr/bin/time -f '%U %S %M' -o "$W/time.0" timeout -k 10 "$RUN_TIMEOUT" "${ARCH_ENV[@]}" \
            REDIS_ARCHIVER_INSTANCE=bench-cluster "$ARCHIVER" backup --source "redis://127.0.0.1:${M[0]}" \
            >/dev/null 2>"$W/c.err" || ok=0
        ;;
    s)
        for ((i = 0; i < SHARDS; i++)); do # wall: the sum of the backups' own (not the waits between them)
            t1=$(now)
            /usr/bin/time -f '%U %S %M' -o "$W/time.$i" timeout -k 10 "$RUN_TIMEOUT" "${ARCH_ENV[@]}" \
                REDIS_ARCHIVER_INSTANCE="bench-solo$i" "$ARCHIVER" backup --source "redis://127.0.0.1:${SOLO[$i]}" \
                >/dev/null 2>"$W/s.$i.err" || ok=0
            sum=$(awk -v s="$sum" -v d="$(since "$t1")" 'BEGIN { printf "%.2f", s + d }')
            idle
        done
        ;;
    esac
    wall=$(since "$t0")
    [ "$c" = s ] && wall=$sum
    read -r cpu rss < <(cat "$W"/time.* 2>/dev/null | grep -E '^[0-9.]+ [0-9.]+ [0-9]+$' |
        awk '{ c += $1 + $2; if ($3 > m) m = $3 } END { printf "%.2f %d\n", c, m }')
    [ "$ok" = 1 ] || { say "run $c/$r FAILED"; tail -n 3 "$W"/"$c"*.err >&2; }
    s3_clean
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$ok" "$wall" "$cpu" "$rss" >>"$TSV"
    say "  round $r $c: wall ${wall}s cpu ${cpu}s rss $((rss / 1024)) MiB$([ "$ok" = 1 ] || echo ' FAILED')"
}
for ((r = 1; r <= RUNS; r++)); do
    for c in a c s; do measure "$c" "$r"; done
done

med() { # CONTENDER COLUMN -> median over successful runs
    awk -F'\t' -v c="$1" -v k="$2" '$1 == c && $3 == 1 { v[n++] = $k }
        END { if (!n) { print "-"; exit }
              for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              print (n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) }' "$TSV"
}
REPORT=$W/report.md
{
    echo "# redis-archiver cluster benchmark: $SIZE in $SHARDS shards, $DATE"
    echo
    echo "- host: $(nproc) CPUs, load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other jobs ran meanwhile)"
    echo "- commit $(git rev-parse --short HEAD 2>/dev/null), build dir $BUILD; redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
    echo "- source: a cluster of $SHARDS masters + $SHARDS replicas, diskless replication; $KEYS keys, RDB $(awk -v b="$RDB" 'BEGIN { printf "%.1f MB", b / 1e6 }') in all"
    echo "- store: $([ "$STORE" = rgw ] && echo 'Ceph RGW memstore on loopback, objects deleted and gc run after each contender (not timed)' || echo 'bench/nullstore.py (part bodies dropped)')"
    echo "- $RUNS round(s), contenders alternating; medians; MB/s = RDB bytes of all shards / wall (10^6); CPU = user+sys of the client processes; RSS = the largest one's peak"
    echo "- total bench time $(($(date +%s) - T_START))s"
    echo
    echo "| contender | runs ok | wall s | MB/s | client CPU s | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|"
    for c in a c s; do
        n=$(awk -F'\t' -v c="$c" '$1 == c && $3 == 1 { n++ } END { print n + 0 }' "$TSV")
        w=$(med "$c" 4)
        case $c in
        a) name="a source limit: each replica's redis-cli --rdb -, all $SHARDS at once" ;;
        c) name="c redis-archiver backup of the cluster ($SHARDS shards at once)" ;;
        s) name="s $SHARDS single-shard backups in sequence" ;;
        esac
        if [ "$w" = - ]; then echo "| $name | 0/$RUNS | FAILED | | | |"; continue; fi
        echo "| $name | $n/$RUNS | $(printf %.2f "$w") | $(awk -v b="$RDB" -v w="$w" 'BEGIN { printf "%.1f", b / w / 1e6 }') | $(med "$c" 5) | $(awk -v k="$(med "$c" 6)" 'BEGIN { printf "%.1f", k / 1024 }') |"
    done
    echo
    ratio() { awk -v x="$(med "$1" 4)" -v y="$(med "$2" 4)" 'BEGIN { if (x == "-" || y == "-") print "-"; else printf "%.2f", x / y }'; }
    echo "- wall c/a (the cluster backup against the source limit): $(ratio c a)"
    echo "- wall s/c (the shards in sequence against all at once): $(ratio s c)"
    echo
    echo "Raw runs (contender round ok wall cpu rss_kb):"
    echo
    echo '```'
    cat "$TSV"
    echo '```'
} >"$REPORT"
cp "$REPORT" "$OUT"
cat "$OUT"
say "report written to $OUT"
