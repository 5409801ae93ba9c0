#!/usr/bin/env bash
# tests/integration/heartbeat.sh: the running record is kept fresh by a thread of its own, never by the thread
# that reads the replica (issue 12). Two cases against a real redis pair and RGW:
#   stall   - the store stalls one heartbeat PUT of the record (*.json) for over 60 s while the RDB's parts go
#             through: the backup still succeeds (exit 0, restores to the master's DEBUG DIGEST), and the
#             replica never drops the archiver (a blocked socket reader would be dropped after repl-timeout);
#   begin   - the same stall hits as the payload starts: a replica that waits 8 s before it sends the RDB, and the
#             first heartbeat (at 5 s) stalled for 90 s: the stream thread's CreateMultipartUpload goes out at
#             once on its own s3 client (the heartbeat has another), the replica keeps the archiver, and the
#             backup succeeds;
#   fork    - a replica that waits 30 s before it sends the RDB (repl-diskless-sync-delay): the record's
#             heartbeat moves on meanwhile, and `status` shows the backup running, not failed.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; return 0; }
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
if ! fc_wait_for 30 curl -s -o /dev/null --max-time 2 "$RA_TEST_S3_ENDPOINT/"; then ra_fail "RGW answers"; exit 1; fi
T=$RA_TEST_TMPDIR
RUN=$$
FC_TIMEOUT=300

# our own pair with ~45 MB: 9 parts of 5 MiB
M=$(ra_redis_start hbmaster) && R=$(ra_redis_start hbreplica "replicaof 127.0.0.1 $M" "repl-timeout 30") &&
    ra_redis_wait_link "$R" 60 ||
    { ra_fail "own redis pair starts"; exit 1; }
if ! ra_redis_fill "$M" 40000 h >/dev/null; then ra_fail "fill the pair"; exit 1; fi
DIGEST=$(ra_redis_digest "$M")
export REDIS_ARCHIVER_PART_SIZE=5MiB REDIS_ARCHIVER_CONNECT_TIMEOUT=5s

fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }

iso_s() { date -u -d "$1" +%s 2>/dev/null || echo 0; }

# --- stall: the first heartbeat after the initial record write hangs (the client gives up on it after its
# 60 s read timeout and retries). The parts are slowed (8 s each, 2 at a time, 3 part buffers) so that the
# stream lasts about 25 s and runs during the stall; our replica drops a reader that stalls for 30 s, so a
# record write on the stream thread would end the sync.
I=hb-stall-$RUN
fp_rules 'PUT ~\.json$ delay:90 nth=2' 'PUT partNumber= delay:8'
fp_reset
stall_fired() { fp_show_rules | grep -F '.json' | grep -q 'fired=1'; }
t0=$(date +%s)
rm -f "$T/stall.rc"
( fc_run "$T/stall.out" "$T/stall.err" backup --instance "$I" --endpoint "$FP_URL" --concurrency 2 \
    --source "redis://127.0.0.1:$R"; echo $? >"$T/stall.rc" ) &
BG=$!
if fc_wait_for 30 stall_fired; then
    p1=$(fp_count PUT partNumber=)
    sleep 20
    p2=$(fp_count PUT partNumber=)
    if [ "$p2" -gt "$p1" ] && [ ! -s "$T/stall.rc" ]; then ra_ok "record write stalled: parts go on meanwhile ($p1 -> $p2)"; else
        ra_fail "record write stalled: parts go on meanwhile" "parts $p1 -> $p2, rc $(cat "$T/stall.rc" 2>/dev/null)"; fi
else
    ra_fail "record write stalled: the stall begins" "$(fp_show_rules)" "$(tail -n 5 "$T/stall.err")"
fi
wait $BG
t1=$(date +%s)
fc_assert_rc "record write stalled > 60 s" 0 "$(cat "$T/stall.rc" 2>/dev/null)" "$T/stall.err"
if [ $((t1 - t0)) -ge 60 ]; then ra_ok "record write stalled > 60 s: the stall lasted ($((t1 - t0)) s)"; else
    ra_fail "record write stalled > 60 s: the stall lasted" "run took $((t1 - t0)) s" "$(fp_show_rules)"; fi
dir=$(ra_redis_dir "$R")
# the master sent the whole RDB without timing us out (the archiver may close its link before the master logs
# "Streamed RDB transfer ... succeeded": then it says "done reading from pipe")
if grep -Eiq 'timedout' "$dir/redis.log" ||
    ! grep -Eq 'Streamed RDB transfer with replica .* succeeded|done reading from pipe' "$dir/redis.log"; then
    ra_fail "record write stalled > 60 s: the replica kept the archiver" "$(grep -Ei 'replica' "$dir/redis.log" | tail -n 5)"
else ra_ok "record write stalled > 60 s: the replica kept the archiver"; fi
id=$(head -n 1 "$T/stall.out")
ra_assert_eq "record write stalled > 60 s: succeeded record" succeeded "$(fc_record_field "$I" "$id" status)"
ra_assert_eq "record write stalled > 60 s: backup restores to the master's digest" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"
fp_clear

# --- begin: the heartbeat's stall starts before the payload does, so the upload's Create comes during it
R3=$(ra_redis_start hbbegin "replicaof 127.0.0.1 $M" "repl-diskless-sync yes" "repl-diskless-sync-delay 8" \
    "repl-timeout 30") && ra_redis_wait_link "$R3" 60 || { ra_fail "begin: replica starts"; exit 1; }
I=hb-begin-$RUN
fp_rules 'PUT ~\.json$ delay:90 nth=2'
fp_reset
t0=$(date +%s)
rm -f "$T/begin.rc"
( fc_run "$T/begin.out" "$T/begin.err" backup --instance "$I" --endpoint "$FP_URL" --source "redis://127.0.0.1:$R3"
  echo $? >"$T/begin.rc" ) &
BG=$!
created() { [ "$(fp_count POST '?uploads')" -ge 1 ]; }
if fc_wait_for 40 created; then
    t1=$(date +%s)
    if stall_fired && [ $((t1 - t0)) -lt 40 ]; then ra_ok "heartbeat stalled as the payload starts: the upload is created at once (+$((t1 - t0)) s)"; else
        ra_fail "heartbeat stalled as the payload starts: the upload is created at once" "$(fp_show_rules)"; fi
else
    ra_fail "heartbeat stalled as the payload starts: the upload is created at once" "$(fp_log | tail -n 8)" "$(tail -n 5 "$T/begin.err")"
fi
wait $BG
fc_assert_rc "heartbeat stalled as the payload starts: backup" 0 "$(cat "$T/begin.rc" 2>/dev/null)" "$T/begin.err"
dir=$(ra_redis_dir "$R3")
# the archiver reads fast here and may hang up before the replica logs "succeeded": the pipe read whole will do
if grep -Eiq 'timedout' "$dir/redis.log" ||
    ! grep -Eq 'Streamed RDB transfer with replica .* succeeded|done reading from pipe' "$dir/redis.log"; then
    ra_fail "heartbeat stalled as the payload starts: the replica kept the archiver" "$(grep -Ei 'replica' "$dir/redis.log" | tail -n 5)"
else ra_ok "heartbeat stalled as the payload starts: the replica kept the archiver"; fi
id=$(head -n 1 "$T/begin.out")
ra_assert_eq "heartbeat stalled as the payload starts: backup restores to the master's digest" "$DIGEST" \
    "$(fc_download_digest "$I" "$id" 2>&1)"
fp_clear

# --- fork: a replica that waits 30 s before the payload; the heartbeat goes on meanwhile. Sampled 12 s after
# the record appears: status first, then one copy of the record (both must still be before the payload)
R2=$(ra_redis_start hbslow "replicaof 127.0.0.1 $M" "repl-diskless-sync yes" "repl-diskless-sync-delay 30") &&
    ra_redis_wait_link "$R2" 60 || { ra_fail "slow replica starts"; exit 1; }
I=hb-fork-$RUN
rm -f "$T/fork.rc"
( fc_run "$T/fork.out" "$T/fork.err" backup --instance "$I" --source "redis://127.0.0.1:$R2"; echo $? >"$T/fork.rc" ) &
BG=$!
have_record() { [ -n "$(fc_ids "$I")" ]; }
fc_wait_for 20 have_record
sleep 12
id=$(fc_ids "$I" | tail -n 1)
st=$(fc_ra status --instance "$I" --json "$id" 2>&1)
rec=$(ra_aws s3 cp --quiet "s3://$RA_TEST_S3_BUCKET/$FC_PREFIX$I/$id.json" - 2>/dev/null)
if [ -z "$id" ] || [ -s "$T/fork.rc" ]; then
    ra_fail "fork and save: backup still waiting for the payload" "id '$id', rc $(cat "$T/fork.rc" 2>/dev/null)" "$(tail -n 5 "$T/fork.err")"
else
    state=$(jq -r .status <<<"$rec")
    bytes=$(jq -r .bytes <<<"$rec")
    started=$(iso_s "$(jq -r .started <<<"$rec")")
    beat=$(iso_s "$(jq -r .heartbeat <<<"$rec")")
    ra_assert_eq "fork and save: record says running" running "$state"
    ra_assert_eq "fork and save: no payload yet" 0 "$bytes"
    if [ $((beat - started)) -ge 10 ]; then ra_ok "fork and save: heartbeat written meanwhile (+$((beat - started)) s)"; else
        ra_fail "fork and save: heartbeat written meanwhile" "started $started heartbeat $beat"; fi
    if grep -Eq '"status": *"running"' <<<"$st" && grep -Eq '"bytes": *0,' <<<"$st"; then
        ra_ok "fork and save: status shows it running"
    else
        ra_fail "fork and save: status shows it running" "$st"
    fi
fi
wait $BG
ra_assert_eq "fork and save: backup succeeds" 0 "$(cat "$T/fork.rc" 2>/dev/null)"
id=$(head -n 1 "$T/fork.out")
ra_assert_eq "fork and save: backup restores to the master's digest" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"

ra_done
