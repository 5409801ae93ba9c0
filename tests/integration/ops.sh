#!/usr/bin/env bash
# ops.sh: unattended operation against real servers (issue 18). metrics-file after each run passes
# `promtool check metrics` and counts on; notify-url gets the record (retried past a 503, no secret in it) and
# notify-command gets it on stdin; `schedule` retries a failed backup with backoff while the replica is down
# and succeeds when it is back; its /metrics passes promtool and /healthz turns 503 after a failure and 200
# after the success. Every failed attempt leaves a record with its exit class; JSON lines carry fields and journald
# gets syslog priorities. Retention: the newest retention-keep succeeded and pinned backups survive the sweep and
# RGW's lifecycle run (10 s days); keep, unkeep, delete and its refusals.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR/ops
mkdir -p "$T"

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-ops REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-ops-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

PROMTOOL=$("$RA_ROOT/tests/harness/promtool.sh" 2>"$T/promtool.err") || PROMTOOL=
if [ -z "$PROMTOOL" ]; then
    printf '#\n# !!! promtool is unavailable: the metrics format is NOT checked by promtool in this run !!!\n' >&2
    sed 's/^/# !!! /' "$T/promtool.err" >&2
fi
# promcheck NAME FILE: promtool check metrics on FILE (a skip, said loudly, without promtool)
promcheck() {
    if [ -z "$PROMTOOL" ]; then ra_skip "$1" "promtool unavailable (tests/harness/promtool.sh failed)"; return; fi
    local out
    if out=$("$PROMTOOL" check metrics <"$2" 2>&1); then ra_ok "$1"; else ra_fail "$1" "$out" "$(head -20 "$2")"; fi
}
metric() {  # metric FILE NAME [LABELMATCH]: the value of the first matching series
    grep "^redis_archiver_$2{" "$1" | grep -F -- "${3:-}" | head -1 | awk '{print $2}'
}

# our own replica, which the test stops and starts again
M=$RA_TEST_REDIS_MASTER_PORT
R=$(ra_redis_start opsreplica "replicaof 127.0.0.1 $M") || { ra_fail "start a replica"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }
RDIR=$(ra_redis_dir "$R")
ra_redis_fill "$M" 2000 ops: >/dev/null
PW=s3cr3t-never-sent
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R

# the hook listener: the first request gets a 503
mkdir -p "$T/hooks"
python3 "$RA_ROOT/tests/harness/hookd.py" "$T/hook.port" "$T/hooks" 1 &
HOOKD=$!
SCHED=
ra_on_exit() {
    [ -n "$SCHED" ] && kill "$SCHED" 2>/dev/null
    kill "$HOOKD" 2>/dev/null
    return 0
}
for _ in $(seq 50); do [ -s "$T/hook.port" ] && break; sleep 0.1; done
HOOK=http://127.0.0.1:$(cat "$T/hook.port")/hook?token=abc

# --- a backup that succeeds: metrics file, notify on always (the first POST is answered 503: retried)
PROM=$T/textfile/ra.prom
mkdir -p "$T/textfile"
id=$("$BIN" backup --metrics-file "$PROM" --notify-url "$HOOK" --notify-on always \
    --notify-command "cat > $T/cmd1.json; env | grep ^RA_ > $T/cmd1.env" 2>"$T/b1.err")
rc=$?
ra_assert_eq "backup with metrics-file and hooks exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/b1.err"
if [ -s "$PROM" ]; then ra_ok "metrics-file written"; else ra_fail "metrics-file written" "$(cat "$T/b1.err")"; fi
promcheck "metrics-file passes promtool check metrics" "$PROM"
ra_assert_eq "metrics: backups_total succeeded 1" 1 "$(metric "$PROM" backups_total 'result="succeeded"')"
ra_assert_eq "metrics: labelled by instance_name" 1 "$(grep -c '^redis_archiver_backup_bytes{instance_name="it-ops"} [1-9]' "$PROM")"
last1=$(metric "$PROM" last_success_timestamp_seconds)
now=$(date +%s)
if [ -n "$last1" ] && [ $((now - last1)) -lt 120 ]; then ra_ok "metrics: last success is now"; else ra_fail "metrics: last success is now" "$last1 vs $now"; fi
if [ -z "$(ls "$T/textfile" | grep -v '^ra.prom$')" ]; then ra_ok "metrics-file: no temporary file left"; else ra_fail "metrics-file: no temporary file left" "$(ls "$T/textfile")"; fi
if [ -s "$T/hooks/1.json" ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["id"] == sys.argv[2] and r["status"] == "succeeded", r
' "$T/hooks/1.json" "$id" && grep -q "notify.retry" "$T/b1.err"; then
    ra_ok "notify-url: the success POSTed as the record, after a retry past a 503"
else
    ra_fail "notify-url: the success POSTed as the record, after a retry past a 503" "$(ls "$T/hooks")" "$(cat "$T/b1.err")"
fi
grep -qi '^Content-Type: application/json' "$T/hooks/1.headers" && ra_ok "notify-url: Content-Type application/json" ||
    ra_fail "notify-url: Content-Type application/json" "$(cat "$T/hooks/1.headers")"
if grep -q "\"$id\"" "$T/cmd1.json" 2>/dev/null && grep -qx "RA_STATE=succeeded" "$T/cmd1.env" &&
    grep -qx "RA_ID=$id" "$T/cmd1.env"; then
    ra_ok "notify-command: the record on stdin, RA_STATE and RA_ID set"
else
    ra_fail "notify-command: the record on stdin, RA_STATE and RA_ID set" "$(cat "$T/cmd1.json" "$T/cmd1.env" 2>&1)"
fi

# --- a backup with the replica down: exit 3, counted as failed (class source), announced, no secret sent
ra_redis_stop "$R"
REDISCLI_AUTH=$PW "$BIN" backup --metrics-file "$PROM" --notify-url "$HOOK" \
    --notify-command "cat > $T/cmd2.json; env | grep ^RA_ > $T/cmd2.env" >"$T/b2.out" 2>"$T/b2.err"
rc=$?
ra_assert_eq "backup against a stopped replica exits 3" 3 "$rc"
ra_assert_eq "metrics: backups_total failed 1" 1 "$(metric "$PROM" backups_total 'result="failed"')"
ra_assert_eq "metrics: backups_total succeeded still 1" 1 "$(metric "$PROM" backups_total 'result="succeeded"')"
ra_assert_eq "metrics: failures_total class source 1" 1 "$(metric "$PROM" backup_failures_total 'class="source"')"
ra_assert_eq "metrics: last_backup_succeeded 0" 0 "$(metric "$PROM" last_backup_succeeded)"
ra_assert_eq "metrics: last success kept from the earlier run" "$last1" "$(metric "$PROM" last_success_timestamp_seconds)"
promcheck "metrics-file after a failure passes promtool" "$PROM"
if [ -s "$T/hooks/2.json" ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "failed" and r["exit_class"] == "source" and r["instance"] == "it-ops", r
assert r["error"], r
' "$T/hooks/2.json"; then
    ra_ok "notify-url: the failure POSTed with its error and exit class source"
else
    ra_fail "notify-url: the failure POSTed with its error and exit class source" "$(cat "$T/hooks/2.json" "$T/b2.err" 2>&1)"
fi
grep -qx "RA_EXIT_CLASS=source" "$T/cmd2.env" 2>/dev/null && ra_ok "notify-command: RA_EXIT_CLASS=source" ||
    ra_fail "notify-command: RA_EXIT_CLASS=source" "$(cat "$T/cmd2.env" 2>&1)"
if ! grep -rqF "$PW" "$T/hooks" "$T/cmd2.json" "$PROM" "$T/b2.err" "$T/b2.out"; then ra_ok "no secret in the POST, the hook's stdin, the metrics or the log"; else ra_fail "no secret in the POST, the hook's stdin, the metrics or the log"; fi
if ! grep -qF "token=abc" "$T/b1.err" "$T/b2.err"; then ra_ok "the notify-url's query (a token) is not logged"; else ra_fail "the notify-url's query (a token) is not logged" "$(grep token "$T/b1.err" "$T/b2.err")"; fi

# the attempt that failed before streaming left a record: failed, exit class source, shown by status
"$BIN" status --json >"$T/status.json" 2>/dev/null
check=$(python3 -c '
import json, sys
recs = json.load(open(sys.argv[1]))
failed = [r for r in recs if r["status"] == "failed"]
assert failed, recs
r = failed[0]
assert r["exit_class"] == "source" and r["error"] and r["instance"] == "it-ops", r
assert r["source"] == "127.0.0.1:" + sys.argv[2], r["source"]
assert r["started"] and r["finished"] and r["type"] == "manual", r
print("ok")' "$T/status.json" "$R" 2>&1)
ra_assert_eq "a backup against a stopped replica leaves a failed record with exit class source" ok "$check"
"$BIN" status >"$T/status.txt" 2>/dev/null
grep -q "failed .*\[source\] " "$T/status.txt" && ra_ok "status shows the failure with its class" || ra_fail "status shows the failure with its class" "$(cat "$T/status.txt")"
if ! grep -qF "$PW" "$T/status.json"; then ra_ok "the failed record holds no password"; else ra_fail "the failed record holds no password"; fi

# structured log lines: the failure's event names its class; backup.result carries the fields
if grep -q '"event":"error.source".*"exit_class":"source","exit_code":3' "$T/b2.err"; then ra_ok "the final error line: event error.source, exit_class and exit_code fields"; else ra_fail "the final error line: event error.source, exit_class and exit_code fields" "$(cat "$T/b2.err")"; fi
if grep '"event":"backup.result"' "$T/b1.err" | grep -q "\"id\":\"$id\",\"instance\":\"it-ops\",\"status\":\"succeeded\",\"bytes\":[1-9][0-9]*,\"seconds\":[0-9.]*,\"rate\":[0-9]*,\"exit_class\":\"\""; then
    ra_ok "backup.result: id, instance, status, bytes, seconds, rate as JSON fields"
else
    ra_fail "backup.result: id, instance, status, bytes, seconds, rate as JSON fields" "$(grep backup.result "$T/b1.err")"
fi
# under systemd (stderr is the stream JOURNAL_STREAM names) lines carry syslog priorities: journalctl -p err finds failures
: >"$T/journal.err"
exec 9>>"$T/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.err") "$BIN" backup --log-format text >/dev/null 2>&9
exec 9>&-
if grep -q '^<3>redis-archiver: error: ' "$T/journal.err" && ! grep -qv '^<[0-7]>' "$T/journal.err"; then ra_ok "under journald every line has a priority prefix, <3> for the error"; else ra_fail "under journald every line has a priority prefix, <3> for the error" "$(cat "$T/journal.err")"; fi
JOURNAL_STREAM=1:1 "$BIN" backup --log-format text >/dev/null 2>"$T/nojournal.err"
if ! grep -q '^<' "$T/nojournal.err"; then ra_ok "no prefix when stderr is not the journal's stream"; else ra_fail "no prefix when stderr is not the journal's stream" "$(cat "$T/nojournal.err")"; fi

# a notify-url that does not answer and a hanging command do not change the result: bounded, still exit 3
start=$SECONDS
"$BIN" backup --notify-url "http://127.0.0.1:1/x" --notify-command "sleep 100" >/dev/null 2>"$T/b3.err"
rc=$?
ra_assert_eq "a failing hook leaves the backup's exit code (3)" 3 "$rc"
if grep -q '"event":"notify.failed"' "$T/b3.err"; then ra_ok "a failing hook is logged as notify.failed"; else ra_fail "a failing hook is logged as notify.failed" "$(cat "$T/b3.err")"; fi
if [ $((SECONDS - start)) -le 40 ]; then ra_ok "hooks are bounded in time"; else ra_fail "hooks are bounded in time" "$((SECONDS - start)) s"; fi

# --- schedule: the window ended a minute ago, so it catches up at once; the replica is down, so it retries
LP=$(ra_free_port)
w0=$(date -u -d '-3 min' +%H:%M) w1=$(date -u -d '-1 min' +%H:%M)
"$BIN" schedule --window "$w0-$w1" --timezone UTC --retries 6 --retry-delay 2s --listen-address "127.0.0.1:$LP" \
    --health-max-age 1h >"$T/sched.out" 2>"$T/sched.err" &
SCHED=$!
for _ in $(seq 150); do grep -q '"event":"schedule.retry"' "$T/sched.err" && break; sleep 0.2; done
if grep -q '"event":"schedule.retry"' "$T/sched.err"; then ra_ok "schedule: a failed backup is retried"; else ra_fail "schedule: a failed backup is retried" "$(cat "$T/sched.err")"; fi
code=$(curl -s -o "$T/healthz1" -w '%{http_code}' "http://127.0.0.1:$LP/healthz")
ra_assert_eq "/healthz is 503 after a failed run" 503 "$code"
curl -s -o "$T/m1.prom" "http://127.0.0.1:$LP/metrics"
promcheck "/metrics passes promtool check metrics" "$T/m1.prom"
f1=$(metric "$T/m1.prom" backups_total 'result="failed"')
if [ "${f1:-0}" -ge 1 ]; then ra_ok "/metrics counts the failed run"; else ra_fail "/metrics counts the failed run" "$(cat "$T/m1.prom")"; fi

# the replica comes back: the next retry succeeds
redis-server "$RDIR/redis.conf" >/dev/null 2>&1
ra_redis_wait_link "$R" 60 || ra_fail "replica back"
for _ in $(seq 300); do grep -q '"event":"backup.done"' "$T/sched.err" && break; sleep 0.2; done
if grep -q '"event":"backup.done"' "$T/sched.err"; then ra_ok "schedule: a retry succeeds once the replica is back"; else ra_fail "schedule: a retry succeeds once the replica is back" "$(tail -20 "$T/sched.err")"; fi
sleep 0.5
code=$(curl -s -o "$T/healthz2" -w '%{http_code}' "http://127.0.0.1:$LP/healthz")
ra_assert_eq "/healthz is 200 after the success" 200 "$code"
curl -s -o "$T/m2.prom" "http://127.0.0.1:$LP/metrics"
promcheck "/metrics after the success passes promtool" "$T/m2.prom"
ra_assert_eq "/metrics counts the success" 1 "$(metric "$T/m2.prom" backups_total 'result="succeeded"')"
ra_assert_eq "/metrics: last_backup_succeeded 1" 1 "$(metric "$T/m2.prom" last_backup_succeeded)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LP/nope")
ra_assert_eq "an unknown path is 404" 404 "$code"
kill -TERM "$SCHED"
wait "$SCHED"
ra_assert_eq "schedule stops with 0 on SIGTERM" 0 "$?"
SCHED=

# retries exhausted: gave-up is logged
ra_redis_stop "$R"
"$BIN" schedule --window "$w0-$w1" --timezone UTC --retries 1 --retry-delay 1s --instance it-ops-2 \
    >/dev/null 2>"$T/sched2.err" &
SCHED=$!
for _ in $(seq 150); do grep -q '"event":"schedule.gave-up"' "$T/sched2.err" && break; sleep 0.2; done
if grep -q '"event":"schedule.gave-up".*giving up until the next window' "$T/sched2.err"; then ra_ok "schedule: gives up after its retries and says until when"; else ra_fail "schedule: gives up after its retries and says until when" "$(cat "$T/sched2.err")"; fi
kill -TERM "$SCHED"
wait "$SCHED"
SCHED=

# --- retention-keep: backups have failed for weeks; the newest 3 succeeded and a pinned one survive the sweep,
# and the lifecycle rule expires nothing by age (it only aborts unfinished uploads)
RI=it-ret
put_rec() {  # put_rec ID STATUS DAY [KEEP]
    printf '{"id":"%s","instance":"%s","type":"auto","status":"%s","started":"%sT02:00:00Z","finished":"%sT02:01:00Z","bytes":3,"keep":%s}' \
        "$1" "$RI" "$2" "$3" "$3" "${4:-false}" >"$T/rec.json"
    ra_aws s3 cp "$T/rec.json" "s3://$BUCKET/redis-archiver/$RI/$1.json" >/dev/null 2>&1
    [ "$2" = succeeded ] && ra_aws s3 cp "$T/rec.json" "s3://$BUCKET/redis-archiver/$RI/$1.rdb" >/dev/null 2>&1
    return 0
}
put_rec 20200101T020000Z-0001 succeeded 2020-01-01
put_rec 20200102T020000Z-0002 succeeded 2020-01-02 true
put_rec 20200103T020000Z-0003 succeeded 2020-01-03
put_rec 20200104T020000Z-0004 succeeded 2020-01-04
put_rec 20200105T020000Z-0005 succeeded 2020-01-05
put_rec 20200106T020000Z-0006 succeeded 2020-01-06
for d in 07 08 09 10; do put_rec 202001${d}T020000Z-00$d failed 2020-01-$d; done
"$BIN" retention --apply --instance "$RI" --retention-days 7 --retention-keep 3 >"$T/ret.out" 2>"$T/ret.err"
ra_assert_eq "retention --apply with retention-keep exits 0" 0 "$?"
left=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/$RI/" 2>/dev/null | awk '{print $4}' | sort | tr '\n' ' ')
want="20200102T020000Z-0002.json 20200102T020000Z-0002.rdb 20200104T020000Z-0004.json 20200104T020000Z-0004.rdb 20200105T020000Z-0005.json 20200105T020000Z-0005.rdb 20200106T020000Z-0006.json 20200106T020000Z-0006.rdb "
ra_assert_eq "the sweep keeps the newest 3 succeeded and the pinned backup, deletes the rest" "$want" "$left"
grep -q '"event":"retention.keep".*20200106T020000Z-0006.*newest' "$T/ret.err" && ra_ok "the sweep says why it keeps an old backup" ||
    ra_fail "the sweep says why it keeps an old backup" "$(cat "$T/ret.err")"
rule=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" 2>/dev/null)
check=$(python3 -c '
import json, sys
rules = {r["ID"]: r for r in json.loads(sys.argv[1])["Rules"]}
ours = rules["redis-archiver:redis-archiver/it-ret"]
assert "Expiration" not in ours, ours
assert ours["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, ours
print("ok")' "$rule" 2>&1)
ra_assert_eq "with retention-keep the lifecycle rule expires nothing by age, and aborts unfinished uploads" ok "$check"

# --- and the lifecycle rule: RGW runs lifecycle with a 10 s "day" in the harness. Another instance's age-only
# rule (retention-keep 0, 1 day) shows when the rules have run: its object is gone; ours must all be there still.
if ra_store_is moto; then
    ra_skip "the newest succeeded and pinned backups survive the store's lifecycle run" "on moto: moto never runs lifecycle rules"
else
    before=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/$RI/" 2>/dev/null | awk '{print $4}' | sort | tr '\n' ' ')
    echo canary | ra_aws s3 cp - "s3://$BUCKET/redis-archiver/it-canary/canary.json" >/dev/null 2>&1
    "$BIN" retention --apply --instance it-canary --retention-keep 0 --retention-days 1 >/dev/null 2>&1
    ran=0
    for _ in $(seq 1 120); do
        ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-canary/" 2>/dev/null | grep -q canary || { ran=1; break; }
        sleep 1
    done
    after=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/$RI/" 2>/dev/null | awk '{print $4}' | sort | tr '\n' ' ')
    if [ $ran = 1 ] && [ "$after" = "$want" ] && [ "$before" = "$want" ]; then
        ra_ok "the newest succeeded and pinned backups survive the store's lifecycle run"
    else
        ra_fail "the newest succeeded and pinned backups survive the store's lifecycle run" "lifecycle ran: $ran" "before: $before" "after: $after"
    fi
fi

# --- keep, unkeep, delete on real backups
export REDIS_ARCHIVER_INSTANCE=it-del REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
# (ids order by their start second: a second apart, newest is newest)
a=$("$BIN" backup 2>/dev/null)
sleep 1
b=$("$BIN" backup 2>/dev/null)
"$BIN" delete "$b" >/dev/null 2>"$T/del.err"
ra_assert_eq "delete refuses the newest succeeded backup (exit 2)" 2 "$?"
grep -q -- "--force" "$T/del.err" && ra_ok "the refusal names --force" || ra_fail "the refusal names --force" "$(cat "$T/del.err")"
"$BIN" delete "$a" >/dev/null 2>&1
ra_assert_eq "delete removes an older backup" 0 "$?"
if ! ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-del/" 2>/dev/null | grep -q "$a"; then ra_ok "its object and record are gone"; else ra_fail "its object and record are gone"; fi
sleep 1
c=$("$BIN" backup --keep --remark "before the upgrade" 2>/dev/null)
ra_assert_eq "backup --keep records a pinned backup" true "$("$BIN" list --json 2>/dev/null | python3 -c 'import json,sys; print(str([r for r in json.load(sys.stdin) if r["id"]==sys.argv[1]][0]["keep"]).lower())' "$c")"
"$BIN" delete "$c" >/dev/null 2>&1
ra_assert_eq "delete refuses the newest (pinned) backup" 2 "$?"
"$BIN" list 2>/dev/null | grep "^$c " | grep -q "\[kept\] before the upgrade" && ra_ok "list marks a kept backup" ||
    ra_fail "list marks a kept backup" "$("$BIN" list 2>&1)"
"$BIN" keep "$b" >/dev/null 2>&1
ra_assert_eq "keep ID exits 0" 0 "$?"
"$BIN" delete "$b" >/dev/null 2>"$T/del2.err"
ra_assert_eq "delete refuses a pinned backup" 2 "$?"
"$BIN" unkeep "$b" >/dev/null 2>&1
"$BIN" delete "$b" >/dev/null 2>&1
ra_assert_eq "after unkeep, delete removes it" 0 "$?"
"$BIN" keep 20200101T000000Z-dead >/dev/null 2>&1
ra_assert_eq "keep of an unknown id exits 6" 6 "$?"
"$BIN" delete "$c" --force >/dev/null 2>&1
ra_assert_eq "delete --force removes the last one" 0 "$?"
export REDIS_ARCHIVER_INSTANCE=it-ops REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R

ra_done
