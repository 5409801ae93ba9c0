#!/usr/bin/env bash
# bench/restore.sh [BUILD]: restore throughput against the peers, on the test servers (tests/harness):
# fills the master with SIZE bytes (default 300 MB) of bench/gen.c data, takes a backup, then times
# `restore --output` against curl of its presigned URL (same bytes), and `restore --target` an empty
# server against redis-server starting and loading the same file. One run; prints the timings.
set -u
cd "$(dirname "$0")/.." || exit 2
. tests/harness/lib.sh
ra_need_redis; ra_need_s3
BIN=$PWD/${1:-build}/redis-archiver T=$RA_TEST_TMPDIR
export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
export REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=bench REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET
cc -O2 -o $T/gen bench/gen.c
$T/gen ${SIZE:-300000000} | redis-cli -p $RA_TEST_REDIS_MASTER_PORT --pipe | tail -1
ra_redis_sync_replicas $RA_TEST_REDIS_MASTER_PORT
id=$($BIN backup 2>/dev/null); echo "backup $id"
url=$($BIN url $id)
t() { local s=$(date +%s.%N); "$@"; local rc=$?; echo "  $(echo "$(date +%s.%N) - $s" | bc) s  rc=$rc  $*" | cut -c1-150; }
echo "--output vs curl:"
t curl -sf -o $T/curl.rdb "$url"
t $BIN restore $id --output $T/ours.rdb
cmp $T/curl.rdb $T/ours.rdb && echo "  same bytes, $(stat -c %s $T/ours.rdb) bytes"
E=$(ra_redis_start empty)
echo "--target vs redis-server loading the file:"
t $BIN restore $id --target redis://127.0.0.1:$E
echo "  digest equal: $([ "$(ra_redis_digest $E)" = "$(ra_redis_digest $RA_TEST_REDIS_MASTER_PORT)" ] && echo yes || echo no)"
s=$(date +%s.%N); P=$(ra__redis_launch load $T/curl.rdb); echo "  $(echo "$(date +%s.%N) - $s" | bc) s  redis-server start + load of the file"
ra_redis_stop $P; ra_redis_stop $E
