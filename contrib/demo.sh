#!/usr/bin/env bash
# contrib/demo.sh [BUILD_DIR]: the main job on local defaults: a local Redis master + replica with sample data
# and a local S3 (Ceph RGW) with a bucket, then `backup`, `list` and `url`, and the URL downloaded with curl
# and restored to prove it. Servers are stopped at the end; RA_KEEP=1 leaves them running (and says how to stop).
# Configuration goes to redis-archiver through REDIS_ARCHIVER_* variables and AWS_* credentials only; with
# RA_KEEP=1 they are also written to the kept folder's env.sh, so that `. env.sh; redis-archiver list` works.
# Servers the environment already names (RA_TEST_REDIS_*, RA_TEST_S3_*: tests/run.sh) are used instead.
set -euo pipefail

BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$(cd "$BUILD" 2>/dev/null && pwd)/redis-archiver
if [ ! -x "$BIN" ]; then
    echo "demo: $BUILD/redis-archiver not found; run 'make' (or 'make demo') first" >&2
    exit 1
fi
. tests/harness/lib.sh

if [ "${RA_KEEP:-0}" = 1 ]; then
    # keep the servers: replace the cleanup trap by a note on how to stop them
    demo_keep_note() {
        echo
        echo "RA_KEEP=1: servers left running; files in $RA_TEST_TMPDIR"
        [ -s "$RA_TEST_TMPDIR/env.sh" ] &&
            echo "their settings: . $RA_TEST_TMPDIR/env.sh   (then e.g. redis-archiver list, redis-archiver status)"
        echo "stop them with: tests/harness/lib.sh stop $RA_TEST_TMPDIR && rm -rf $RA_TEST_TMPDIR"
    }
    trap demo_keep_note EXIT
    trap 'exit 130' INT TERM
fi

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "local Redis master + replica (127.0.0.1, free ports)"
ra_need_redis
M=$RA_TEST_REDIS_MASTER_PORT
R=$RA_TEST_REDIS_REPLICA_PORT
ra_redis_fill "$M" "${DEMO_KEYS:-20000}" demo
echo "master 127.0.0.1:$M, replica 127.0.0.1:$R, $(redis-cli -p "$M" dbsize) keys"

step "local S3: Ceph RGW (mon + in-memory OSD + radosgw, ~15 s)"
ra_need_s3
echo "endpoint $RA_TEST_S3_ENDPOINT, bucket $RA_TEST_S3_BUCKET"

export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
export REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET
export REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes
export REDIS_ARCHIVER_INSTANCE=demo
export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
# everything the tool needs, for a shell on the kept servers: the binary on PATH and the settings
{
    printf 'export PATH=%q:"$PATH"\n' "$(dirname "$BIN")"
    for v in REDIS_ARCHIVER_SOURCE REDIS_ARCHIVER_ENDPOINT REDIS_ARCHIVER_BUCKET REDIS_ARCHIVER_REGION \
        REDIS_ARCHIVER_PATH_STYLE REDIS_ARCHIVER_INSTANCE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
        printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo 'unset AWS_SESSION_TOKEN AWS_PROFILE REDIS_ARCHIVER_CONFIG'
} >>"$RA_TEST_TMPDIR/env.sh"
chmod 600 "$RA_TEST_TMPDIR/env.sh"
step "configuration (environment)"
env | grep '^REDIS_ARCHIVER_' | sort
echo "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY=(set)"

step "backup"
printf '$ %s\n' "redis-archiver backup --remark \"demo\""
ID=$("$BIN" backup --remark "demo")
ID=$(printf '%s\n' "$ID" | tail -n 1)
echo "backup id: $ID"

step "list"
show "$BIN" list

step "url"
printf '$ %s\n' "redis-archiver url $ID"
URL=$("$BIN" url "$ID" | tail -n 1)
echo "$URL"

step "download with curl (no credentials) and check"
OUT=$RA_TEST_TMPDIR/demo.rdb
curl -fsS -o "$OUT" "$URL"
echo "downloaded $(stat -c %s "$OUT") bytes to $OUT, starts with '$(head -c 9 "$OUT")'"
want=$(ra_redis_digest "$M")
got=$(ra_redis_restore_digest "$OUT")
echo "DEBUG DIGEST of the master:        $want"
echo "DEBUG DIGEST of the restored file: $got"
if [ "$want" != "$got" ]; then
    echo "demo: the downloaded backup does not restore to the master's data" >&2
    exit 1
fi
echo
echo "demo OK: backup $ID restores to exactly the master's data"
