#!/usr/bin/env bash
# bench/restore.sh [BUILD]: restore throughput (MB/s of RDB and keys/s) against the peers, in the same run, on the
# test servers (tests/harness: a redis master + replica and the store RA_TEST_STORE names, RGW by default):
# fills the master with SIZE bytes (default 300000000) of bench/gen.c data and takes a backup; then, one run each,
#   --output:  redis-archiver restore --output FILE   (ranged GETs in parallel, verified, fsynced, renamed)
#              curl -o FILE of its presigned URL      (one GET, nothing checked)
#              /usr/bin/aws s3 cp s3://BUCKET/KEY FILE
#   --target:  redis-archiver restore --target an empty redis-server
#              redis-cli --pipe into an empty redis-server, fed the same RESTORE commands, made beforehand (untimed)
#              from the RDB with the archiver's own reader (bench/restorecmds.c) into a file
# and redis-server starting and loading the file, for scale. Both targets are checked against the master's
# DEBUG DIGEST. Prints a markdown report and writes it to bench/results/<time>-restore-<size>.md.
# `make bench-restore` runs it (BENCH_RESTORE_SIZE sets SIZE).
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
. tests/harness/lib.sh
ra_need_redis || exit 1
ra_need_s3 || exit 1
BUILD=${1:-build}
BIN=$ROOT/$BUILD/redis-archiver T=$RA_TEST_TMPDIR SIZE=${SIZE:-300000000}
PKGS="libcurl hiredis libxml-2.0 jansson openssl libzstd"
export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
export REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=bench
export REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET
cc -std=c11 -O2 -o "$T/gen" bench/gen.c || exit 2
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Iinclude $(pkg-config --cflags $PKGS) -o "$T/restorecmds" \
    bench/restorecmds.c "$BUILD/libredis-archiver.a" $(pkg-config --libs $PKGS) -lm -lpthread || exit 2

M=$RA_TEST_REDIS_MASTER_PORT
"$T/gen" "$SIZE" | redis-cli -p "$M" --pipe | tail -1 >&2
ra_redis_sync_replicas "$M"
digest=$(ra_redis_digest "$M")
id=$("$BIN" backup 2>"$T/backup.err") || { cat "$T/backup.err" >&2; exit 1; }
read -r key bytes keys < <("$BIN" list --json 2>/dev/null | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]][0]
print(r["key"], r["size"], r["keys"]["total"])' "$id")
url=$("$BIN" url "$id")

# untimed: the RDB, and the RESTORE commands the peer pipes
curl -sf -o "$T/src.rdb" "$url" || exit 1
"$T/restorecmds" "$T/src.rdb" >"$T/cmds.resp" || exit 1

now() { date +%s.%N; }
ROWS=()
# row NAME SECONDS NOTE: a line of the table (MB/s of the RDB's bytes, keys/s)
row() {
    ROWS+=("$(awk -v n="$1" -v s="$2" -v b="$bytes" -v k="$keys" -v note="$3" \
        'BEGIN { printf "| %s | %.2f | %.0f | %.0f | %s |", n, s, b / s / 1e6, k / s, note }')")
}
timed() { # timed NAME CHECK COMMAND...: run and time COMMAND; the note is what CHECK (a command) prints after it
    local name=$1 check=$2 s e rc note
    shift 2
    s=$(now)
    "$@" >"$T/out.txt" 2>"$T/err.txt"
    rc=$?
    e=$(now)
    note=$(eval "$check")
    [ $rc = 0 ] || note="FAILED rc $rc: $(head -c 200 "$T/err.txt" | tr '\n' ' ')"
    row "$name" "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" "$note"
}
same() { cmp -s "$1" "$T/src.rdb" && echo "same bytes${2:-}" || echo "DIFFERENT BYTES"; }
digest_of() { [ "$(ra_redis_digest "$1")" = "$digest" ] && echo "digest equal" || echo "DIGEST DIFFERS"; }

timed "restore --output (archiver)" 'same "$T/ours.rdb" "; verified, fsynced"' \
    "$BIN" restore "$id" --output "$T/ours.rdb"
timed "curl of the presigned URL" 'same "$T/curl.rdb"' curl -sf -o "$T/curl.rdb" "$url"
timed "/usr/bin/aws s3 cp" 'same "$T/aws.rdb"' ra_aws s3 cp --quiet "s3://$RA_TEST_S3_BUCKET/$key" "$T/aws.rdb"

E1=$(ra_redis_start empty1) && E2=$(ra_redis_start empty2) || exit 1
timed "restore --target (archiver)" 'digest_of "$E1"' "$BIN" restore "$id" --target "redis://127.0.0.1:$E1"
timed "redis-cli --pipe of the same RESTOREs" 'digest_of "$E2"' sh -c "redis-cli -p $E2 --pipe <'$T/cmds.resp'"
s=$(now)
P=$(ra__redis_launch load "$T/src.rdb")
row "redis-server start + load of the file" "$(awk -v s="$s" -v e="$(now)" 'BEGIN { print e - s }')" "for scale"
ra_redis_stop "$P"
ra_redis_stop "$E1"
ra_redis_stop "$E2"

report() {
    echo "## restore, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
        "store ${RA_TEST_STORE:-rgw}"
    echo
    echo "RDB $bytes bytes, $keys keys (bench/gen.c, SIZE=$SIZE); concurrency 4 (default); one run each."
    echo
    echo "| contender | s | MB/s | keys/s | |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
}
mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)-restore-$SIZE.md
report | tee "$out"
echo "(written to $out)" >&2
