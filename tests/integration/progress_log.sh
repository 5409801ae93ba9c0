#!/usr/bin/env bash
# progress_log.sh: off a terminal a backup logs a backup.progress event every progress-interval (issue 18),
# as JSON with the fields id, instance, bytes, seconds and rate; progress-interval 0 logs none; and also before
# the first byte (the heartbeat's). The source is a replica of its own that saves slowly (rdb-key-save-delay),
# so the stream lasts several intervals, or that waits before its snapshot (repl-diskless-sync-delay).
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-progress REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-progress-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

M=$(ra_redis_start plmaster) || { ra_fail "master starts"; exit 1; }
R=$(ra_redis_start plreplica "replicaof 127.0.0.1 $M") || { ra_fail "replica starts"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "the replica links to its master"; exit 1; }
ra_redis_fill "$M" 3000 pl: >/dev/null || { ra_fail "fill"; exit 1; }
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R

# 3000 keys at 1.5 ms each: a stream of about 4.5 s
redis-cli -h 127.0.0.1 -p "$R" config set rdb-key-save-delay 1500 >/dev/null
REDIS_ARCHIVER_PROGRESS_INTERVAL=1 "$BIN" backup --json >"$T/b.json" 2>"$T/b.err"
rc=$?
ra_assert_eq "a slow backup succeeds" 0 "$rc"
check=$(python3 - "$T/b.json" "$T/b.err" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
ev = [e for e in ev if e.get("event") == "backup.progress"]
assert len(ev) >= 2, len(ev)
for e in ev:
    assert e["id"] == rec["id"] and e["instance"] == "it-progress", e
    assert e["bytes"] > 0 and e["seconds"] >= 1 and e["rate"] > 0 and "shard" not in e, e
assert ev[-1]["bytes"] > ev[0]["bytes"] and ev[-1]["seconds"] > ev[0]["seconds"], ev
print("ok %d" % len(ev))
PY
)
if [ "${check%% *}" = ok ]; then ra_ok "progress-interval 1s: ${check#ok } progress events with id, instance, bytes, seconds, rate"
else ra_fail "progress-interval 1s: >= 2 progress events with id, instance, bytes, seconds, rate" "$check"; fi

REDIS_ARCHIVER_PROGRESS_INTERVAL=0 "$BIN" backup >/dev/null 2>"$T/b0.err"
rc=$?
ra_assert_eq "progress-interval 0: the backup succeeds" 0 "$rc"
ra_assert_eq "progress-interval 0: no progress event" 0 "$(grep -c '"backup.progress"' "$T/b0.err")"
redis-cli -h 127.0.0.1 -p "$R" config set rdb-key-save-delay 0 >/dev/null

# while the replica has not begun to send (here it waits 11 s before its snapshot: repl-diskless-sync-delay),
# the heartbeat keeps the events coming, with 0 bytes
redis-cli -h 127.0.0.1 -p "$R" config set repl-diskless-sync-delay 11 >/dev/null
REDIS_ARCHIVER_PROGRESS_INTERVAL=5 "$BIN" backup --json >"$T/w.json" 2>"$T/w.err"
rc=$?
redis-cli -h 127.0.0.1 -p "$R" config set repl-diskless-sync-delay 0 >/dev/null
check=$(python3 - "$T/w.json" "$T/w.err" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
ev = [e for e in ev if e.get("event") == "backup.progress"]
waiting = [e for e in ev if e["bytes"] == 0]
assert waiting, ev
assert all(e["id"] == rec["id"] and e["instance"] == "it-progress" and e["seconds"] >= 4 for e in waiting), waiting
print("ok %d" % len(waiting))
PY
)
if [ $rc = 0 ] && [ "${check%% *}" = ok ]; then ra_ok "progress events while the replica has not begun to send (0 bytes)"
else ra_fail "progress events while the replica has not begun to send (0 bytes)" "rc=$rc $check"; fi
ra_done
