#!/usr/bin/env bash
# bench/archive.sh [BUILD]: can archive keep up with a heavy write load? On the test servers (tests/harness):
# archive runs with segment-seconds 10 while redis-benchmark writes SETs of VALUE bytes (default 20000) to the
# master for SECONDS (default 20); prints the replication rate the master produced (master_repl_offset per
# second), and the archive's lag once the load stops (offset stored and received against the master's, and
# how long until everything received was stored). One run.
set -u
cd "$(dirname "$0")/.." || exit 2
. tests/harness/lib.sh
ra_need_redis; ra_need_s3
BIN=$PWD/${1:-build}/redis-archiver T=$RA_TEST_TMPDIR M=$RA_TEST_REDIS_MASTER_PORT
export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
export REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=bench-archive REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET
off() { redis-cli -p "$1" info replication | tr -d '\r' | sed -n 's/^master_repl_offset://p'; }
$BIN archive --segment-seconds 10 --quiet >$T/archive.out 2>$T/archive.err &
A=$!
until [ -s $T/archive.out ]; do sleep 0.2; done
base=$(head -1 $T/archive.out); echo "base $base"
o0=$(off $M); s0=$(date +%s.%N)
timeout ${SECONDS_LOAD:-20} redis-benchmark -p $M -t set -d ${VALUE:-20000} -r ${KEYS:-5000} -n 100000000 -c ${CLIENTS:-8} -P ${PIPELINE:-16} -q >/dev/null 2>&1
o1=$(off $M); s1=$(date +%s.%N)
echo "load: $(( (o1 - o0) / 1000000 )) MB of replication stream in $(echo "$s1 - $s0" | bc) s = $(echo "($o1 - $o0) / ($s1 - $s0) / 1000000" | bc) MB/s"
st() { ra_aws s3 cp "s3://$RA_TEST_S3_BUCKET/redis-archiver/bench-archive/$base.archive" - 2>/dev/null; }
for i in $(seq 1 120); do
    up=$(st | sed -n 's/^uploaded //p')
    [ -n "$up" ] && [ "$up" -ge "$o1" ] && break
    kill -0 $A 2>/dev/null || { echo "the archive stopped:"; break; }
    sleep 0.5
done
echo "stored up to the master's offset $(echo "$(date +%s.%N) - $s1" | bc) s after the load stopped (uploaded ${up:-?}, master $o1)"
grep -c archive.segment $T/archive.err | sed 's/^/segments: /'
grep -E '"level":"(warn|error)"' $T/archive.err | tail -3
kill -TERM $A; wait $A; echo "archive exit $?"
