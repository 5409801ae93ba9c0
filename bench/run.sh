#!/usr/bin/env bash
# bench/run.sh: throughput, CPU and memory of `redis-archiver backup` against the source limit and a peer pipeline.
#
# usage: bench/run.sh BUILD [--size 1G|4G|8G|256M...] [--runs N] [--quick] [--perf] [--micro-only] [--sealed]
#        bench/run.sh BUILD --cluster [--size 256M] [--shards N] [--runs N] [--store rgw|null]: the cluster
#        case instead (bench/cluster.sh: N shards at once vs N single-shard backups in sequence vs the source limit)
#
# Starts a redis master + replica and a Ceph RGW (tests/harness/lib.sh, loopback, cleaned up on exit),
# fills the master with incompressible mixed data (bench/gen.c | redis-cli --pipe), then, alternating the
# contenders inside each round, measures with /usr/bin/time:
#   a  source limit   redis-cli -p REPLICA --rdb - >/dev/null
#   b  peer           redis-cli -p REPLICA --rdb - | /usr/bin/aws s3 cp - s3://BUCKET/peer/x.rdb
#   b2 peer (rclone)  redis-cli ... | rclone rcat   (only if rclone is installed)
#   c  archiver       BUILD/redis-archiver backup   (default part size and concurrency)
#   c0 archiver alone the same, into bench/nullstore.py (S3 API, part bodies dropped): without the store's CPU
#   ck archiver alone the same, into bench/nullstore.py --crc32c, which checks and echoes x-amz-checksum-crc32c
#      as AWS S3 does: `part-checksum auto` then sends CRC-32C only (no SHA-256) after part 1
# on three datasets: random (rdbcompression yes), random with the replica at rdbcompression no, and
# DEBUG POPULATE data (compressible). Then micro-benchmarks (bench/micro.c). Prints a markdown report
# and writes it to bench/results/<date>-<size>.md. Objects are deleted and RGW's gc run after each upload.
#
#   --size S     dataset size (payload bytes; used_memory ends ~10% higher). Default 1G.
#   --runs N     rounds per dataset (medians over N). Default 3 (1 with --quick).
#   --quick      256M, 1 round, short micro-benchmarks: a smoke run in about 2 minutes.
#   --perf       one extra archiver run under `perf record` (cpu-clock); the top symbols go in the report.
#   --micro-only build and run the micro-benchmarks only (no servers).
#   --sealed     also the archiver into the null store with compression zstd level 1 (cz1) and 3 (cz3), age
#                encryption (ca), and both (cz1a): CPU-s per GiB, wall against the source limit, and the
#                stored size (uploaded bytes column, from the record's stored_size) next to rdbcompression.
# Env: BENCH_RUN_TIMEOUT (s per command, default 120 + 120 per GiB), BENCH_KEEP_MASTER=1 (never detach the
# master, see below), RA_KEEP=1 (keep the temp dir, see tests/harness/lib.sh).

set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench: %s\n' "$*" >&2; }

[ $# -ge 1 ] || die "usage: bench/run.sh BUILD [--size 1G|4G|8G] [--runs N] [--quick] [--perf] [--micro-only]"
BUILD=$1
shift
for arg in "$@"; do [ "$arg" = --cluster ] && exec bash bench/cluster.sh "$BUILD" "$@"; done
SIZE=1G RUNS= QUICK=0 PERF=0 MICRO_ONLY=0 SEALED=0
while [ $# -gt 0 ]; do
    case $1 in
    --size) SIZE=${2:?--size needs a value}; shift 2 ;;
    --size=*) SIZE=${1#*=}; shift ;;
    --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    --quick) QUICK=1; shift ;;
    --perf) PERF=1; shift ;;
    --micro-only) MICRO_ONLY=1; shift ;;
    --sealed) SEALED=1; shift ;;
    *) die "unknown argument '$1'" ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    [ "$SIZE" = 1G ] && SIZE=256M
    RUNS=${RUNS:-1}
fi
RUNS=${RUNS:-3}
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$RUNS'"

# size text -> bytes (K/M/G = powers of 1024)
size_bytes() {
    local s=${1^^} n u
    [[ "$s" =~ ^([0-9]+)([KMG]?)I?B?$ ]] || return 1
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]}
    case $u in K) n=$((n << 10)) ;; M) n=$((n << 20)) ;; G) n=$((n << 30)) ;; esac
    echo "$n"
}
BYTES=$(size_bytes "$SIZE") || die "bad --size '$SIZE' (examples: 256M, 1G, 4G)"
GIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.3f", b / 1073741824 }')
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-$(awk -v g="$GIB" 'BEGIN { printf "%d", 120 + 120 * g }')}

# ---------------------------------------------------------------------------------------------------------
# tools

[ -x /usr/bin/time ] || {
    say "installing the 'time' package (GNU time for peak RSS)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null ||
        die "/usr/bin/time is missing and could not be installed (apt-get install time)"
}
AWS=/usr/bin/aws
for t in redis-cli redis-server cc; do command -v $t >/dev/null || die "'$t' not found (make deps)"; done
[ "$MICRO_ONLY" = 1 ] || [ -x "$AWS" ] || die "$AWS not found (apt-get install awscli)"
ARCHIVER=$ROOT/$BUILD/redis-archiver
[ "$MICRO_ONLY" = 1 ] || [ -x "$ARCHIVER" ] || die "$ARCHIVER not built (make BUILD=$BUILD)"
LIB=$ROOT/$BUILD/libredis-archiver.a
[ -f "$LIB" ] || die "$LIB not built (make BUILD=$BUILD)"

BDIR=$ROOT/$BUILD/bench
mkdir -p "$BDIR" bench/results || exit 1
PKGS="libcurl hiredis libxml-2.0 jansson openssl libzstd"
cc -std=c11 -O2 -Wall -Wextra -o "$BDIR/gen" bench/gen.c || die "cannot build bench/gen.c"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Iinclude $(pkg-config --cflags $PKGS) -o "$BDIR/micro" \
    bench/micro.c "$LIB" $(pkg-config --libs $PKGS) -lm -lpthread || die "cannot build bench/micro.c"

DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=bench/results/$DATE-$SIZE.md
[ "$MICRO_ONLY" = 1 ] && OUT=bench/results/$DATE-micro.md
REPORT=$(mktemp "${TMPDIR:-/tmp}/ra-bench-report.XXXXXX")
rep() { printf '%s\n' "$*" >>"$REPORT"; }

MICRO_SECS=1.0
[ "$QUICK" = 1 ] && MICRO_SECS=0.3

host_info() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    rep "- host: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -r)"
    rep "- commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/include)'), build dir $BUILD"
    rep "- redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $($AWS --version 2>/dev/null | cut -d' ' -f1), $(radosgw --version 2>/dev/null | awk '{print "radosgw " $3}')"
}

micro() {
    rep ""
    rep "## Micro-benchmarks (one 16 MiB part, best of 3, CPU time; bench/micro.c)"
    rep ""
    "$BDIR/micro" "$MICRO_SECS" >>"$REPORT" || rep "(micro failed)"
}

finish_report() {
    cp "$REPORT" "$OUT" && rm -f "$REPORT"
    cat "$OUT"
    say "report written to $OUT"
}

if [ "$MICRO_ONLY" = 1 ]; then
    rep "# redis-archiver micro-benchmarks, $DATE"
    rep ""
    host_info
    micro
    finish_report
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------
# servers (tests/harness/lib.sh: its trap stops them and removes the temp dir on any exit)

MEM_AVAIL_KB=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
# memstore holds at most one object at a time here (deleted + gc after each upload), plus slack
export RA_MEMSTORE_BYTES=$((BYTES * 13 / 10 + (1 << 30)))
[ "$RA_MEMSTORE_BYTES" -lt 4294967296 ] && RA_MEMSTORE_BYTES=4294967296
export RA_RGW_LC_DEBUG_INTERVAL=-1 # lifecycle "days" are real days: nothing expires during the bench
# RAM: master + replica ~1.1 x BYTES each, memstore ~1.05 x BYTES, awscli/archiver/ceph ~2 GiB.
NEED_KB=$(((BYTES / 1024) * 33 / 10 + 2 * 1048576))
DETACH=0
if [ "${BENCH_KEEP_MASTER:-0}" != 1 ] && [ "$NEED_KB" -gt "$MEM_AVAIL_KB" ]; then DETACH=1; fi
NEED_DETACHED_KB=$(((BYTES / 1024) * 22 / 10 + 2 * 1048576))
[ "$NEED_DETACHED_KB" -gt "$MEM_AVAIL_KB" ] &&
    die "not enough RAM for --size $SIZE: need about $((NEED_DETACHED_KB >> 20)) GiB, $((MEM_AVAIL_KB >> 20)) GiB available"
DISK_AVAIL_KB=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $4 }')
[ "$DISK_AVAIL_KB" -gt 2097152 ] || die "less than 2 GiB free in ${TMPDIR:-/tmp}"

# shellcheck source=../tests/harness/lib.sh
. tests/harness/lib.sh || die "cannot source tests/harness/lib.sh"
W=$RA_TEST_TMPDIR/bench
mkdir -p "$W"
ra_on_exit() {
    [ -n "${NS_PID:-}" ] && kill "$NS_PID" 2>/dev/null
    [ -n "${CK_PID:-}" ] && kill "$CK_PID" 2>/dev/null
    [ -f "$REPORT" ] && [ ! -f "$OUT" ] && { cp "$REPORT" "$OUT.partial" 2>/dev/null; say "partial report: $OUT.partial"; }
    rm -f "$REPORT"
}

T_START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "size $SIZE ($BYTES bytes of payload), $RUNS round(s) per dataset, timeout ${RUN_TIMEOUT}s per command"
say "starting redis master + replica and Ceph RGW (memstore $((RA_MEMSTORE_BYTES >> 20)) MiB, lifecycle debug off)"
(ra_s3_start) >"$W/s3-start.log" 2>&1 &
S3_JOB=$!
ra_redis_pair || die "redis master/replica did not start"
M=$RA_TEST_REDIS_MASTER_PORT
R=$RA_TEST_REDIS_REPLICA_PORT
rcli() { redis-cli -h 127.0.0.1 "$@"; }

say "filling the master with $SIZE of random data"
t0=$(date +%s.%N)
fill_out=$("$BDIR/gen" "$BYTES" 42 | rcli -p "$M" --pipe 2>&1)
[ $? = 0 ] && grep -q 'errors: 0,' <<<"$fill_out" || die "fill failed: $fill_out"
ra_redis_sync_replicas "$M" 600 || die "the replica did not catch up"
FILL_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
info_field() { rcli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }
USED_MEM=$(info_field "$R" memory used_memory)
KEYS=$(rcli -p "$R" dbsize)
say "filled in ${FILL_S}s: $KEYS keys, replica used_memory $USED_MEM"

wait "$S3_JOB" || { cat "$W/s3-start.log" >&2; die "Ceph RGW did not start"; }
# the background start exported nothing here: take its variables from the harness's env file
# shellcheck disable=SC1091
. "$RA_TEST_TMPDIR/env.sh"
[ -n "${RA_TEST_S3_ENDPOINT:-}" ] || die "RGW started but RA_TEST_S3_ENDPOINT is not in $RA_TEST_TMPDIR/env.sh"
CEPH_DIR=$(dirname "$RA_TEST_S3_CEPH_CONF")
B=$RA_TEST_S3_BUCKET
say "RGW at $RA_TEST_S3_ENDPOINT, bucket $B"

SRC_ROLE=replica
if [ "$DETACH" = 1 ]; then
    # not enough RAM for master + replica + memstore: the replica becomes a standalone master (same data,
    # same serving code for SYNC/PSYNC) and the master is stopped; the archiver needs allow-master then
    say "RAM: detaching the replica and stopping the master (need ~$((NEED_KB >> 20)) GiB with both)"
    rcli -p "$R" replicaof no one >/dev/null && ra_redis_stop "$M" || die "cannot detach the replica"
    SRC_ROLE="replica detached from its master (RAM)"
fi
rcli -p "$R" config set repl-diskless-sync yes >/dev/null &&
    rcli -p "$R" config set repl-diskless-sync-delay 0 >/dev/null &&
    rcli -p "$R" config set rdbcompression yes >/dev/null || die "CONFIG SET on the replica failed"
REPLICA_PID=$(ra__pidfile_pid "$RA_TEST_REDIS_REPLICA_PIDFILE")
RGW_PID=$(ra__pidfile_pid "$CEPH_DIR/run/client.rgw.a.pid")
OSD_PID=$(ra__pidfile_pid "$CEPH_DIR/run/osd.0.pid")

# ---------------------------------------------------------------------------------------------------------
# measurement helpers

# /proc/PID/stat fields after the ")" : 14 utime 15 stime 16 cutime 17 cstime (in ticks)
TCK=$(getconf CLK_TCK)
proc_cpu() { # PID [self|children] -> seconds
    local f
    f=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    # after stripping "pid (comm) ", field 1 is state: utime=12 stime=13 cutime=14 cstime=15
    if [ "${2:-self}" = children ]; then
        awk -v t="$TCK" '{ printf "%.2f", ($14 + $15) / t }' <<<"$f"
    else
        awk -v t="$TCK" '{ printf "%.2f", ($12 + $13) / t }' <<<"$f"
    fi
}
s3_cpu() { awk -v a="$(proc_cpu "$RGW_PID")" -v b="$(proc_cpu "$OSD_PID")" 'BEGIN { printf "%.2f", a + b }'; }
# whole-machine busy CPU seconds (all CPUs) from /proc/stat: user nice system irq softirq steal
busy_cpu() { awk -v t="$TCK" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / t; exit }' /proc/stat; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# the replica's fork child has been reaped (its CPU is then in the replica's cutime/cstime)
wait_no_child() {
    local i
    for ((i = 0; i < 600; i++)); do
        [ "$(info_field "$R" persistence rdb_bgsave_in_progress)" = 0 ] &&
            [ "$(info_field "$R" replication connected_slaves)" = "${1:-0}" ] && return 0
        sleep 0.1
    done
    say "warning: the replica still has a fork child or a client after 60 s"
}

AWS_ENV=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_CA_BUNDLE
    AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY"
    AWS_DEFAULT_REGION="$RA_TEST_S3_REGION" AWS_CONFIG_FILE="$RA_TEST_TMPDIR/.aws-config"
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=)
aws_() { "${AWS_ENV[@]}" "$AWS" --endpoint-url "$RA_TEST_S3_ENDPOINT" "$@"; }

# delete every object in the bucket, abort leftover uploads, and let RGW's gc free the memstore space
# now; prints the size of the largest object that was there (the upload just measured)
s3_clean() {
    local largest
    largest=$(aws_ s3 ls --recursive "s3://$B/" 2>/dev/null | awk '$3 > m { m = $3 } END { printf "%d\n", m }')
    aws_ s3 rm --recursive --quiet "s3://$B/" >/dev/null 2>&1
    aws_ s3api list-multipart-uploads --bucket "$B" --output text \
        --query 'Uploads[].[Key,UploadId]' 2>/dev/null | while read -r k id; do
        [ -n "$id" ] && [ "$k" != None ] && aws_ s3api abort-multipart-upload --bucket "$B" --key "$k" --upload-id "$id" >/dev/null 2>&1
    done
    timeout -k 10 300 radosgw-admin -c "$RA_TEST_S3_CEPH_CONF" gc process --include-all >/dev/null 2>&1 ||
        say "warning: radosgw-admin gc process failed"
    echo "$largest"
}

ARCH_ENV=(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u REDIS_ARCHIVER_CONFIG
    REDIS_ARCHIVER_SOURCE="redis://127.0.0.1:$R" REDIS_ARCHIVER_ENDPOINT="$RA_TEST_S3_ENDPOINT"
    REDIS_ARCHIVER_BUCKET="$B" REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION" REDIS_ARCHIVER_PATH_STYLE=yes
    REDIS_ARCHIVER_INSTANCE=bench AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY"
    AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" AWS_SHARED_CREDENTIALS_FILE=/dev/null
    AWS_CONFIG_FILE=/dev/null)
[ "$DETACH" = 1 ] && ARCH_ENV+=(REDIS_ARCHIVER_ALLOW_MASTER=yes)

RCLONE=$(command -v rclone || true)
RCLONE_ENV=(env RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Ceph
    RCLONE_CONFIG_BENCH_ENDPOINT="$RA_TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY"
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" RCLONE_CONFIG_BENCH_REGION="$RA_TEST_S3_REGION"
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)

TIMEF='%e %U %S %M'
RUNS_TSV=$W/runs.tsv
: >"$RUNS_TSV"

# one measured run: DATASET CONTENDER ROUND. Appends to runs.tsv:
# dataset contender round ok wall user sys rss_kb src_cpu s3_cpu uploaded_bytes other_cpu src_wait
measure() {
    local ds=$1 c=$2 round=$3 t1=$W/t1 t2=$W/t2 ok=1 src0 s30 t0 wall user sys rss up=- rc1 rc2
    rm -f "$t1" "$t2"
    wait_no_child
    src0=$(proc_cpu "$REPLICA_PID" children)
    s30=$(s3_cpu)
    main0=$(proc_cpu "$REPLICA_PID")
    busy0=$(busy_cpu)
    rm -f "$W/schedwait"
    "${RA_PY:-python3}" "$ROOT/bench/schedwait.py" "$REPLICA_PID" "$W/schedwait" &
    local sw_pid=$!
    t0=$(date +%s.%N)
    case $c in
    a)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" redis-cli -h 127.0.0.1 -p "$R" --rdb - \
            >/dev/null 2>"$W/$c.err" || ok=0
        ;;
    b)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" redis-cli -h 127.0.0.1 -p "$R" --rdb - 2>"$W/$c.err" |
            timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t2" "${AWS_ENV[@]}" "$AWS" \
                --endpoint-url "$RA_TEST_S3_ENDPOINT" s3 cp - "s3://$B/peer/x.rdb" >"$W/$c.out" 2>>"$W/$c.err"
        rc1=${PIPESTATUS[0]} rc2=${PIPESTATUS[1]}
        [ "$rc1" = 0 ] && [ "$rc2" = 0 ] || ok=0
        ;;
    b2)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" redis-cli -h 127.0.0.1 -p "$R" --rdb - 2>"$W/$c.err" |
            timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t2" "${RCLONE_ENV[@]}" "$RCLONE" rcat \
                "bench:$B/peer/x.rdb" >"$W/$c.out" 2>>"$W/$c.err"
        rc1=${PIPESTATUS[0]} rc2=${PIPESTATUS[1]}
        [ "$rc1" = 0 ] && [ "$rc2" = 0 ] || ok=0
        ;;
    c)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" "${ARCH_ENV[@]}" "$ARCHIVER" backup \
            >"$W/$c.out" 2>"$W/$c.err" || ok=0
        ;;
    c0)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" "${NULL_ENV[@]}" "$ARCHIVER" backup \
            >"$W/$c.out" 2>"$W/$c.err" || ok=0
        ;;
    ck)
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" "${CK_ENV[@]}" "$ARCHIVER" backup \
            >"$W/$c.out" 2>"$W/$c.err" || ok=0
        ;;
    cz1 | cz3 | ca | cz1a)
        # shellcheck disable=SC2086
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f "$TIMEF" -o "$t1" "${NULL_ENV[@]}" "$ARCHIVER" backup --json \
            ${SEAL_ARGS[$c]} >"$W/$c.out" 2>"$W/$c.err" || ok=0
        [ "$ok" = 1 ] && up=$("${RA_PY:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["stored_size"])' \
            <"$W/$c.out" 2>/dev/null || echo -)
        ;;
    esac
    wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    wait_no_child
    kill -TERM "$sw_pid" 2>/dev/null
    wait "$sw_pid" 2>/dev/null
    local src s3 busy main other srcwait
    srcwait=$(awk '{ print $1 }' "$W/schedwait" 2>/dev/null)
    busy=$(fsub "$(busy_cpu)" "$busy0")
    src=$(fsub "$(proc_cpu "$REPLICA_PID" children)" "$src0")
    s3=$(fsub "$(s3_cpu)" "$s30")
    main=$(fsub "$(proc_cpu "$REPLICA_PID")" "$main0")
    # client side: sum CPU, max RSS over the pipeline's processes (GNU time's last line)
    read -r _ user sys rss < <(cat "$t1" "$t2" 2>/dev/null | grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' |
        awk '{ u += $2; s += $3; if ($4 > m) m = $4 } END { printf "x %.2f %.2f %d\n", u, s, m }')
    # CPU used on the machine by anything but this run (other users' builds and tests): noise indicator
    other=$(awk -v b="$busy" -v u="$user" -v s="$sys" -v x="$src" -v y="$s3" -v z="$main" \
        'BEGIN { o = b - u - s - x - y - z; printf "%.2f", o < 0 ? 0 : o }')
    if [ "$ok" = 1 ] && [ -z "${SEAL_ARGS[$c]:-}" ] && [ "$c" != a ] && [ "$c" != c0 ] && [ "$c" != ck ]; then up=$(s3_clean); fi
    [ "$ok" = 1 ] || { say "run $ds/$c/$round FAILED:"; tail -n 5 "$W/$c.err" >&2; [ "$c" = a ] || s3_clean >/dev/null; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ds" "$c" "$round" "$ok" "$wall" "$user" "$sys" \
        "$rss" "$src" "$s3" "$up" "$other" "${srcwait:--}" >>"$RUNS_TSV"
    say "  $ds round $round $(printf '%-3s' "$c") wall ${wall}s cpu ${user}u+${sys}s rss $((rss / 1024))MiB src ${src}s (waited ${srcwait:-?}s) s3 ${s3}s other ${other}s$([ "$ok" = 1 ] || echo ' FAILED')"
}

declare -A RDB_BYTES DS_DESC
# RDB size of the current dataset (diskless: redis-cli writes the 40-byte EOF mark too); doubles as warm-up
rdb_size() {
    local n
    wait_no_child
    n=$(timeout -k 10 "$RUN_TIMEOUT" redis-cli -h 127.0.0.1 -p "$R" --rdb - 2>/dev/null | wc -c)
    wait_no_child
    echo $((n - 40))
}

# c0: the archiver into bench/nullstore.py, an S3 endpoint that drops part bodies: the archiver's own cost
# without the store's CPU on the same cores
"${RA_PY:-python3}" "$ROOT/bench/nullstore.py" "$W/nullstore.port" 2>"$W/nullstore.err" &
NS_PID=$!
for ((i = 0; i < 100; i++)); do [ -s "$W/nullstore.port" ] && break; sleep 0.05; done
[ -s "$W/nullstore.port" ] || die "bench/nullstore.py did not start: $(cat "$W/nullstore.err")"
NULL_ENV=("${ARCH_ENV[@]}" REDIS_ARCHIVER_ENDPOINT="http://127.0.0.1:$(cat "$W/nullstore.port")"
    REDIS_ARCHIVER_BUCKET=null-store)

# ck: the same fake checking and echoing CRC-32C like AWS S3 (it computes the CRC with the archiver's own
# code, built as a shared library, so the fake keeps up; tests/integration/checksum.sh checks against its
# independent Python table)
cc -shared -fPIC -O2 -Iinclude -o "$W/crc32c.so" src/common/crc32c.c src/common/digest.c -lcrypto 2>"$W/crc32c.err" ||
    die "cannot build the CRC-32C library for the ck store: $(cat "$W/crc32c.err")"
"${RA_PY:-python3}" "$ROOT/bench/nullstore.py" "$W/ckstore.port" --crc32c --crc-lib "$W/crc32c.so" 2>"$W/ckstore.err" &
CK_PID=$!
for ((i = 0; i < 100; i++)); do [ -s "$W/ckstore.port" ] && break; sleep 0.05; done
[ -s "$W/ckstore.port" ] || die "bench/nullstore.py --crc32c did not start: $(cat "$W/ckstore.err")"
CK_ENV=("${ARCH_ENV[@]}" REDIS_ARCHIVER_ENDPOINT="http://127.0.0.1:$(cat "$W/ckstore.port")"
    REDIS_ARCHIVER_BUCKET=ck-store)

CONTENDERS=(a b)
[ -n "$RCLONE" ] && CONTENDERS+=(b2)
CONTENDERS+=(c c0 ck)
# sealed backups, into the null store: the transforms' cost without the store's (the age recipient is the
# spec's example key: nobody decrypts these)
BENCH_RCPT=age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj
declare -A SEAL_ARGS
if [ "$SEALED" = 1 ]; then
    SEAL_ARGS=([cz1]="--compression zstd --compression-level 1" [cz3]="--compression zstd --compression-level 3"
        [ca]="--encrypt-recipient $BENCH_RCPT" [cz1a]="--compression zstd --compression-level 1 --encrypt-recipient $BENCH_RCPT")
    CONTENDERS+=(cz1 cz3 ca cz1a)
fi

bench_dataset() { # NAME DESCRIPTION
    local ds=$1 r c
    DS_DESC[$ds]=$2
    RDB_BYTES[$ds]=$(rdb_size)
    say "dataset $ds: RDB ${RDB_BYTES[$ds]} bytes; $RUNS round(s) of: ${CONTENDERS[*]}"
    for ((r = 1; r <= RUNS; r++)); do
        for c in "${CONTENDERS[@]}"; do measure "$ds" "$c" "$r"; done
    done
}

# ---------------------------------------------------------------------------------------------------------
# the runs

s3_clean >/dev/null
# warm-up upload: the first writes into a fresh memstore/RGW are much slower (notes: 24 s vs 14 s)
say "warm-up: one archiver backup (not measured)"
"${ARCH_ENV[@]}" timeout -k 10 "$RUN_TIMEOUT" "$ARCHIVER" backup >"$W/warmup.out" 2>"$W/warmup.err" ||
    { say "warning: the warm-up backup failed:"; tail -n 5 "$W/warmup.err" >&2; }
s3_clean >/dev/null

bench_dataset random "random values (${SIZE}; 80% strings of 900-1100 random bytes, 20% hash/list/set/zset of 10 x 100 B), rdbcompression yes"

rcli -p "$R" config set rdbcompression no >/dev/null || die "CONFIG SET rdbcompression no failed"
bench_dataset random-nocomp "the same data, replica at rdbcompression no"
rcli -p "$R" config set rdbcompression yes >/dev/null

PERF_TXT=
if [ "$PERF" = 1 ]; then
    if command -v perf >/dev/null; then
        say "perf: one archiver backup under perf record (random dataset)"
        rcli -p "$R" config set rdbcompression no >/dev/null # faster source: the archiver's own cost shows more
        wait_no_child
        "${ARCH_ENV[@]}" timeout -k 10 "$RUN_TIMEOUT" perf record -q -F 999 -g -o "$W/perf.data" "$ARCHIVER" backup \
            >"$W/perf.out" 2>"$W/perf.err" || say "warning: perf run failed: $(tail -n 3 "$W/perf.err")"
        rcli -p "$R" config set rdbcompression yes >/dev/null
        # by library first (libcrypto has no symbols here, so its samples scatter over addresses), then by symbol
        PERF_TXT=$(perf report -i "$W/perf.data" --stdio --no-children -g none --sort dso 2>/dev/null |
            grep -E '^ +[0-9]+\.[0-9]+%' | head -12
            echo
            perf report -i "$W/perf.data" --stdio --no-children -g none --sort dso,symbol 2>/dev/null |
            grep -E '^ +[0-9]+\.[0-9]+%' | grep -v 'libcrypto.so.3 *\[\.\] 0x' | head -25 | sed 's/[[:space:]-]*$//'
            echo "(samples: $(perf report -i "$W/perf.data" --stdio 2>/dev/null | sed -n 's/^# Samples: \([^ ]*\).*/\1/p' | head -1))")
        s3_clean >/dev/null
    else
        PERF_TXT="(perf not installed)"
    fi
fi

# compressible: DEBUG POPULATE on the replica itself (it is not replicated; the replica then simply holds
# other data than its master, which does not matter for a snapshot benchmark)
say "compressible dataset: FLUSHALL + DEBUG POPULATE"
if [ "$DETACH" = 1 ]; then rcli -p "$R" flushall >/dev/null; else rcli -p "$M" flushall >/dev/null && ra_redis_sync_replicas "$M" 120; fi
POP_KEYS=$((BYTES / 1100))
rcli -p "$R" debug populate "$POP_KEYS" pop 1000 >/dev/null || die "DEBUG POPULATE failed on the replica"
bench_dataset populate "DEBUG POPULATE $POP_KEYS pop 1000 (values mostly zero bytes; LZF compresses the RDB ~25x)"

rcli -p "$R" flushall >/dev/null
[ "$DETACH" = 1 ] || rcli -p "$M" flushall >/dev/null

# ---------------------------------------------------------------------------------------------------------
# report

T_TOTAL=$(($(date +%s) - T_START))
declare -A NAMES
NAMES=([a]="a source limit: redis-cli --rdb - >/dev/null" [b]="b peer: redis-cli --rdb - | aws s3 cp -"
    [b2]="b2 peer: redis-cli --rdb - | rclone rcat" [c]="c redis-archiver backup (16 MiB parts, 4 in flight)"
    [c0]="c0 the same into a null store (bench/nullstore.py; not RGW)"
    [ck]="ck the same into a null store that checks and echoes CRC-32C like AWS (auto: CRC-32C only)"
    [cz1]="cz1 c0 with compression zstd, level 1 (uploaded = stored size)" [cz3]="cz3 c0 with zstd level 3"
    [ca]="ca c0 with encrypt-recipient (age)" [cz1a]="cz1a c0 with zstd level 1 and age")

# stats DATASET CONTENDER COLUMN(5=wall ..) -> "median min max n" over successful runs
stats() {
    awk -F'\t' -v d="$1" -v c="$2" -v k="$3" '$1 == d && $2 == c && $4 == 1 { v[n++] = $k }
        END { if (!n) { print "- - - 0"; exit }
              for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
              print m, v[0], v[n - 1], n }' "$RUNS_TSV"
}
# median of user+sys, of rss
stat_expr() { # DATASET CONTENDER AWK_EXPR
    awk -F'\t' -v d="$1" -v c="$2" '$1 == d && $2 == c && $4 == 1 { v[n++] = '"$3"' }
        END { if (!n) { print "-"; exit }
              for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              print (n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) }' "$RUNS_TSV"
}
declare -A WALL CPUG RSSM
rep "# redis-archiver benchmark: $SIZE, $DATE"
rep ""
host_info
rep "- source: redis replica ($SRC_ROLE) at repl-diskless-sync yes, delay 0; $KEYS keys, used_memory $((USED_MEM >> 20)) MiB (filled in ${FILL_S}s)"
rep "- store: Ceph RGW memstore on loopback; every object deleted and \`radosgw-admin gc process --include-all\` after each upload (not timed); one unmeasured warm-up backup first"
rep "- $RUNS round(s) per dataset, contenders alternating inside each round; wall = start to exit (includes the fork); MB/s = RDB bytes / wall (10^6); medians (min-max)"
rep "- CPU = user+sys of the client process(es) (a/b: redis-cli + aws summed; c: the archiver), from GNU time; RSS = peak of the largest client process"
rep "- src CPU = the replica's fork child (RDB generation); S3 CPU = radosgw + ceph-osd, both from /proc during the run"
rep "- src wait = seconds the fork child was ready to run but had no CPU (/proc/PID/schedstat, bench/schedwait.py): what the other processes on these $(nproc) CPUs cost the snapshot"
rep "- other CPU = machine-wide busy CPU (/proc/stat) during the run minus client, src, replica main thread and S3: load from outside the bench (shared machine); large values mean a noisy run"
rep "- load average at start: $LOAD0; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$RCLONE" ] || rep "- b2 (rclone rcat) skipped: rclone is not installed (\`apt-get install rclone\`, Debian 12 has 1.60)"
rep "- total bench time ${T_TOTAL}s"
for ds in random random-nocomp populate; do
    rep ""
    rep "## $ds: ${DS_DESC[$ds]}; RDB $(awk -v b="${RDB_BYTES[$ds]}" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
    rep ""
    rep "| contender | runs ok | wall s | MB/s | client CPU s | CPU-s per GiB | peak RSS MiB | src CPU s | src wait s | S3 CPU s | other CPU s | uploaded bytes |"
    rep "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for c in "${CONTENDERS[@]}"; do
        read -r med mn mx n < <(stats "$ds" "$c" 5)
        local_runs=$(awk -F'\t' -v d="$ds" -v c="$c" '$1 == d && $2 == c { n++ } END { print n + 0 }' "$RUNS_TSV")
        cpu=$(stat_expr "$ds" "$c" '$6 + $7')
        rss=$(stat_expr "$ds" "$c" '$8 / 1024')
        src=$(stat_expr "$ds" "$c" '$9')
        srcw=$(stat_expr "$ds" "$c" '$13')
        s3=$(stat_expr "$ds" "$c" '$10')
        oth=$(stat_expr "$ds" "$c" '$12')
        up=$(awk -F'\t' -v d="$ds" -v c="$c" '$1 == d && $2 == c && $4 == 1 && $11 != "-" { u = $11 } END { print u ? u : "-" }' "$RUNS_TSV")
        if [ "$n" = 0 ]; then
            rep "| ${NAMES[$c]} | 0/$local_runs | FAILED | | | | | | | | | |"
            continue
        fi
        mbs=$(awk -v b="${RDB_BYTES[$ds]}" -v w="$med" 'BEGIN { printf "%.1f", b / w / 1e6 }')
        cpug=$(awk -v b="${RDB_BYTES[$ds]}" -v c="$cpu" 'BEGIN { printf "%.2f", c / (b / 1073741824) }')
        WALL[$ds.$c]=$med CPUG[$ds.$c]=$cpug RSSM[$ds.$c]=$(printf %.1f "$rss")
        rep "$(printf '| %s | %s/%s | %.2f (%.2f-%.2f) | %s | %.2f | %s | %.1f | %.2f | %s | %.2f | %.2f | %s |' "${NAMES[$c]}" "$n" \
            "$local_runs" "$med" "$mn" "$mx" "$mbs" "$cpu" "$cpug" "$rss" "$src" "$srcw" "$s3" "$oth" "$up")"
    done
    rep ""
    ratio() { awk -v x="${WALL[$ds.$1]:-}" -v y="${WALL[$ds.$2]:-}" 'BEGIN { if (x == "" || y == "") print "-"; else printf "%.2f", x / y }'; }
    verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "-") print "n/a"; else print (v <= t ? "**met**" : "**missed**") }'; }
    ca=$(ratio c a) cb=$(ratio c b) c0a=$(ratio c0 a)
    rep "| target | measured | verdict |"
    rep "|---|---:|---|"
    rep "| wall c/a <= 1.15 (archiver within 15% of the source limit) | $ca | $(verdict "$ca" 1.15) |"
    rep "| wall c/b <= 0.5 (at least twice as fast as the peer) | $cb | $(verdict "$cb" 0.5) |"
    rep "| archiver CPU <= 0.5 s per GiB | ${CPUG[$ds.c]:--} | $(verdict "${CPUG[$ds.c]:--}" 0.5) |"
    rep "| archiver peak RSS <= 64 MiB | ${RSSM[$ds.c]:--} | $(verdict "${RSSM[$ds.c]:--}" 64) |"
    rep "| archiver CPU <= 0.5 s per GiB at defaults into a CRC-32C-checking store (ck) | ${CPUG[$ds.ck]:--} | $(verdict "${CPUG[$ds.ck]:--}" 0.5) |"
    rep "| (c0/a: the archiver alone, its store costing no CPU) | $c0a | $(verdict "$c0a" 1.15) |"
    if [ "$SEALED" = 1 ]; then
        cz1aa=$(ratio cz1a a)
        rep "| wall cz1a/a <= 1.15 (zstd-1 + age still at the source limit; null store) | $cz1aa | $(verdict "$cz1aa" 1.15) |"
    fi
done
# flatness of the archiver's RSS between sizes: compare with the newest report of another size
rep ""
rep "## Archiver peak RSS across sizes (target: flat between 1 GiB and 4 GiB)"
rep ""
rep "<!-- bench-data size=$SIZE rss_c_mib=${RSSM[random.c]:--} -->"
rep "| report | size | archiver peak RSS MiB (random) |"
rep "|---|---|---:|"
rep "| this run | $SIZE | ${RSSM[random.c]:--} |"
for f in $(ls -1t bench/results/*.md 2>/dev/null); do
    line=$(grep -o '<!-- bench-data size=[^ ]* rss_c_mib=[^ ]* -->' "$f" | head -1)
    [ -n "$line" ] || continue
    osz=$(sed 's/.*size=\([^ ]*\).*/\1/' <<<"$line")
    [ "$osz" = "$SIZE" ] && continue
    rep "| $(basename "$f") | $osz | $(sed 's/.*rss_c_mib=\([^ ]*\).*/\1/' <<<"$line") |"
done
if [ -n "$PERF_TXT" ]; then
    rep ""
    rep "## perf record of one archiver backup (random data, replica at rdbcompression no), top symbols, self time"
    rep ""
    rep '```'
    rep "$PERF_TXT"
    rep '```'
fi
micro
rep ""
rep "Raw runs (dataset contender round ok wall user sys rss_kb src_cpu s3_cpu uploaded_bytes other_cpu src_wait):"
rep ""
rep '```'
cat "$RUNS_TSV" >>"$REPORT"
rep '```'
finish_report
