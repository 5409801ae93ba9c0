#!/usr/bin/env bash
# archive_schedule.sh: `schedule --continuous` (issue 20). The daemon archives all the time: it takes a base
# backup and archives the stream after it; /metrics (checked by promtool when it is available) shows the
# archive's last segment time and lag, and so does metrics-file as segments land and at the stop (promtool,
# the timestamp moves, the run series kept); the replica stopped for longer than read-timeout fails the chain, and
# the daemon starts a fresh chain (a new base backup) after retry-delay once the replica is back; a moment
# after that restores to its digest; SIGTERM stops it with exit 0.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
ra_need_s3 || { ra_fail "store starts"; exit 1; }
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

M=$(ra_redis_start csmaster) || { ra_fail "start master"; exit 1; }
R=$(ra_redis_start csreplica "replicaof 127.0.0.1 $M") || { ra_fail "start replica"; exit 1; }
E=$(ra_redis_start csempty) || { ra_fail "start the restore target"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_CONFIG=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R REDIS_ARCHIVER_LOG_FORMAT=json
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-archive-schedule
BUCKET=it-archive-schedule-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET
PORT=$(ra_free_port) || { ra_fail "a free port"; exit 1; }

PROM=$T/archive.prom
REDIS_ARCHIVER_METRICS_FILE=$PROM "$BIN" schedule --continuous --listen-address "127.0.0.1:$PORT" --segment-seconds 1 --read-timeout 3s \
    --retry-delay 1s >"$T/s.out" 2>"$T/s.err" &
SPID=$!
starts() { grep -c '"event":"archive.start"' "$T/s.err"; }
for _ in $(seq 1 300); do [ "$(starts)" -ge 1 ] && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
if [ "$(starts)" -ge 1 ] && kill -0 "$SPID" 2>/dev/null; then ra_ok "schedule --continuous took a base backup and archives"; else
    ra_fail "schedule --continuous took a base backup and archives" "$(tail -5 "$T/s.err")"; exit 1; fi
for n in $(seq 1 5); do cli -p "$M" set "k$n" "v$n" >/dev/null; sleep 0.5; done
metric() { curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt" && grep -q "^redis_archiver_archive_last_segment_timestamp_seconds" "$T/metrics.txt"; }
for _ in $(seq 1 100); do metric && break; sleep 0.1; done
last=$(sed -n 's/^redis_archiver_archive_last_segment_timestamp_seconds{[^}]*} //p' "$T/metrics.txt")
lag=$(sed -n 's/^redis_archiver_archive_lag_seconds{[^}]*} //p' "$T/metrics.txt")
lagb=$(sed -n 's/^redis_archiver_archive_lag_bytes{[^}]*} //p' "$T/metrics.txt")
now=$(date +%s)
if [ -n "$last" ] && [ $((now - last)) -le 30 ] && [ -n "$lag" ] && [ "$lag" -le 30 ] && [ -n "$lagb" ]; then
    ra_ok "/metrics shows the archive's last segment ($((now - last)) s ago), lag $lag s and $lagb bytes"
else
    ra_fail "/metrics shows the archive's last segment and lag" "$(grep archive "$T/metrics.txt")"
fi
PROMTOOL=$("$RA_ROOT/tests/harness/promtool.sh" 2>/dev/null) || PROMTOOL=
if [ -n "$PROMTOOL" ]; then
    if "$PROMTOOL" check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1; then ra_ok "promtool accepts /metrics with the archive's series"; else
        ra_fail "promtool accepts /metrics with the archive's series" "$(cat "$T/promtool.out")"; fi
else
    ra_skip "promtool accepts /metrics with the archive's series" "promtool unavailable"
fi

# metrics-file carries the same archive series as segments land (rewritten at most every 5 s), beside the
# base backup's run series
fm() { sed -n "s/^redis_archiver_$1{[^}]*} //p" "$PROM" 2>/dev/null; }
for _ in $(seq 1 150); do [ -n "$(fm archive_last_segment_timestamp_seconds)" ] && break; sleep 0.1; done
f1=$(fm archive_last_segment_timestamp_seconds)
flag=$(fm archive_lag_seconds)
flagb=$(fm archive_lag_bytes)
fok=$(sed -n 's/^redis_archiver_backups_total{[^}]*result="succeeded"} //p' "$PROM" 2>/dev/null)
now=$(date +%s)
if [ -n "$f1" ] && [ $((now - f1)) -le 30 ] && [ -n "$flag" ] && [ "$flag" -le 30 ] && [ -n "$flagb" ] &&
    [ "$fok" = 1 ] && [ -n "$(fm last_success_timestamp_seconds)" ]; then
    ra_ok "metrics-file has the archive's last segment ($((now - f1)) s ago), lag $flag s, $flagb bytes and the run series"
else
    ra_fail "metrics-file has the archive's series and the run series" "$(cat "$PROM" 2>&1 | grep -v '^#')"
fi
if [ -n "$PROMTOOL" ]; then
    if "$PROMTOOL" check metrics <"$PROM" >"$T/promtool-file.out" 2>&1; then ra_ok "promtool accepts metrics-file with the archive's series"; else
        ra_fail "promtool accepts metrics-file with the archive's series" "$(cat "$T/promtool-file.out")"; fi
else
    ra_skip "promtool accepts metrics-file with the archive's series" "promtool unavailable"
fi
f2=$f1
for n in $(seq 1 60); do
    cli -p "$M" set "m$n" "v$n" >/dev/null
    f2=$(fm archive_last_segment_timestamp_seconds)
    [ -n "$f2" ] && [ "$f2" -gt "$f1" ] && break
    sleep 0.5
done
if [ -n "$f2" ] && [ "$f2" -gt "$f1" ]; then ra_ok "metrics-file's last segment moves on ($f1 -> $f2)"; else
    ra_fail "metrics-file's last segment moves on" "still $f1: $(grep archive_ "$PROM" | grep -v '^#')"; fi

# the replica down longer than read-timeout: the chain fails, a fresh one starts once it is back
RDIR=$(ra_redis_dir "$R")
cli -p "$R" shutdown nosave >/dev/null 2>&1
for _ in $(seq 1 100); do cli -p "$R" ping >/dev/null 2>&1 || break; sleep 0.1; done
for _ in $(seq 1 200); do grep -q '"event":"schedule.failed"' "$T/s.err" && break; sleep 0.1; done
rm -f "$RDIR/dump.rdb"
redis-server "$RDIR/redis.conf" >/dev/null || ra_fail "restart the replica"
ra_redis_wait_link "$R" 60 || ra_fail "the restarted replica's link"
for _ in $(seq 1 600); do [ "$(starts)" -ge 2 ] && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
if grep -q '"event":"schedule.failed"' "$T/s.err" && [ "$(starts)" -ge 2 ] && kill -0 "$SPID" 2>/dev/null; then
    ra_ok "a failed chain is followed by a fresh one ($(starts) chains)"
else
    ra_fail "a failed chain is followed by a fresh one" "$(grep -E 'schedule\.|archive\.(start|stop)' "$T/s.err" | tail -5)"
fi
cli -p "$M" set after restart >/dev/null
ra_redis_sync_replicas "$M" >/dev/null
sleep 2.5
AT=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
DIG=$(ra_redis_digest "$M")
sleep 3.5
cli -p "$M" set final 1 >/dev/null
TFINAL=$(date +%s)
sleep 0.5
kill -TERM "$SPID"
wait "$SPID"
rc=$?
ra_assert_eq "schedule --continuous stops with exit 0 on SIGTERM" 0 "$rc" || tail -5 "$T/s.err" | sed 's/^/#   /'
f3=$(fm archive_last_segment_timestamp_seconds)
if [ -n "$f3" ] && [ "$f3" -ge $((TFINAL - 2)) ] && [ "$(sed -n 's/^redis_archiver_backups_total{[^}]*result="succeeded"} //p' "$PROM")" -ge 2 ]; then
    ra_ok "metrics-file ends with the last segment stored at the stop ($((TFINAL - f3)) s before it) and both base backups"
else
    ra_fail "metrics-file ends with the last segment stored at the stop" "$TFINAL: $(grep -v '^#' "$PROM")"
fi
cli -p "$E" flushall >/dev/null
"$BIN" restore latest --target "redis://127.0.0.1:$E" --at "$AT" >"$T/r.out" 2>"$T/r.err"
rc=$?
got=$(ra_redis_digest "$E")
if [ "$rc" = 0 ] && [ "$got" = "$DIG" ]; then ra_ok "restore --at a moment of the fresh chain gives its digest"; else
    ra_fail "restore --at a moment of the fresh chain gives its digest" "rc $rc, $got want $DIG: $(tail -3 "$T/r.err")"; fi

ra_done
