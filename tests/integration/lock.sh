#!/usr/bin/env bash
# tests/integration/lock.sh: two backups of an instance never both run, and no run destroys a good backup
# (issue 13), against a real redis pair and RGW (some cases through tests/helpers/faultproxy.py):
#   race     - 20 rounds of two backups started 100 ms apart while every record write takes 0.5 s: in each
#              round exactly one succeeds and the other exits 7 (R4); 20 more with the lock's PUTs taking
#              0.5 s too (the lock decides: the loser names the lock object), and 20 with one run in another
#              PID namespace and the two hosts' clocks shifted apart by minutes or days;
#   mode     - the store honours conditional writes (RGW, moto): the lock is held with them, said once;
#   lost     - a run whose lock another run took (overwritten during the replica's fork) exits 7 naming
#              it, and leaves no object and no open upload;
#   pidns    - a backup running in another PID namespace (unshare) with the same host name: `status` from
#              outside shows it running, a second backup exits 7 and its upload survives (R3);
#   clock    - a host clock 30 days ahead: the backup's record carries the store's time and its sweep
#              deletes nothing and says why; a backup from a host 10 days behind is not swept by the next
#              correct host (R1), using an LD_PRELOAD clock shim (tests/helpers/shim/timeshift.c);
#   skewlock - hosts 3 min behind and ahead (under the store's skew limit): the running run is seen running,
#              the second one exits 7 and the first succeeds (R2);
#   badrec   - one unreadable record: backup, list and status go on, with a warning naming it (R17);
#   head     - the HEAD after Complete fails (403), or SIGTERM during it: the failed run leaves no object
#              (R16).
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; return 0; }
if ! ra_need_s3 || ! ra_need_redis; then ra_fail "RGW and redis start"; exit 1; fi
if ! fc_wait_for 30 curl -s -o /dev/null --max-time 2 "$RA_TEST_S3_ENDPOINT/"; then ra_fail "RGW answers"; exit 1; fi
T=$RA_TEST_TMPDIR
RUN=$$
R=$RA_TEST_REDIS_REPLICA_PORT
M=$RA_TEST_REDIS_MASTER_PORT
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R REDIS_ARCHIVER_CONNECT_TIMEOUT=5s
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
n_rdb() { fc_rdb_objects "$1" | grep -c .; }

# --- the clock shim (LD_PRELOAD) for runs on a host whose clock is off
SHIM=$T/timeshift.so
# a sanitizer build needs its runtime first in the preload list
ASAN_RT=$(ldd "$RA_BIN" 2>/dev/null | awk '/libasan/ {print $3}')
PRELOAD="${ASAN_RT:+$ASAN_RT }$SHIM"
shifted() { # SECONDS CMD...: CMD with the wall clock moved (no leak check then: env and timeout get the runtime too)
    local by=$1
    shift
    (
        export TIMESHIFT=$by LD_PRELOAD="$PRELOAD"
        [ -n "$ASAN_RT" ] && export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
        "$@"
    )
}
cc -shared -fPIC -O2 -o "$SHIM" "$RA_ROOT/tests/helpers/shim/timeshift.c" -ldl 2>"$T/shim.err" || rm -f "$SHIM"
# inns SECONDS OUT ERR ARGS...: fc_run in a PID namespace of its own with the clock moved by SECONDS
inns() {
    local by=$1
    shift
    shifted "$by" unshare --pid --fork --mount-proc bash -c "$(declare -f fc_ra fc_run);
        RA_BIN=$RA_BIN RA_TEST_S3_ACCESS_KEY=$RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY=$RA_TEST_S3_SECRET_KEY \
        RA_TEST_S3_ENDPOINT=$RA_TEST_S3_ENDPOINT RA_TEST_S3_BUCKET=$RA_TEST_S3_BUCKET \
        RA_TEST_S3_REGION=$RA_TEST_S3_REGION FC_TIMEOUT=$FC_TIMEOUT; fc_run $(printf '%q ' "$@")"
}
plain_a() { fc_run "$@"; }
plain_b() { fc_run "$@"; }
# round i of the clock race: odd rounds 3 min apart, even rounds 2 days apart
ns_a() { if [ $((ROUND % 2)) = 1 ]; then inns -180 "$@"; else inns -172800 "$@"; fi; }
ns_b() { if [ $((ROUND % 2)) = 1 ]; then shifted 180 fc_run "$@"; else shifted 172800 fc_run "$@"; fi; }

# race NAME A B: 20 rounds of two backups 100 ms apart (A and B: how each is run, fc_run's arguments); sets
# BYLOCK to the rounds whose loser was refused by the lock object
race() {
    local name=$1 a=$2 b=$3 i I ra rb both=0 bad=""
    BYLOCK=0
    for i in $(seq 20); do
        ROUND=$i
        I=$name-$RUN-$i
        ( $a "$T/ra.out" "$T/ra.err" backup --instance "$I" --endpoint "$FP_URL"; echo $? >"$T/ra.rc" ) &
        A=$!
        sleep 0.1
        ( $b "$T/rb.out" "$T/rb.err" backup --instance "$I" --endpoint "$FP_URL"; echo $? >"$T/rb.rc" ) &
        B=$!
        wait $A $B
        ra=$(cat "$T/ra.rc") rb=$(cat "$T/rb.rc")
        case "$ra $rb" in
        "0 7" | "7 0") ;;
        "0 0") both=$((both + 1)) bad="$bad round $i: both ran;" ;;
        *) bad="$bad round $i: A=$ra B=$rb ($(fc_error_lines "$T/ra.err" | head -n 1) / $(fc_error_lines "$T/rb.err" | head -n 1));" ;;
        esac
        if grep -q "/\.lock'" "$T/ra.err" "$T/rb.err"; then BYLOCK=$((BYLOCK + 1)); fi
        [ "$i" = 1 ] && cat "$T/ra.err" "$T/rb.err" >"$T/$name.first.err"
    done
    if [ -z "$bad" ]; then ra_ok "$name: in 20 rounds one backup ran and the other exited 7"; else
        ra_fail "$name: in 20 rounds one backup ran and the other exited 7" "$bad"; fi
    ra_assert_eq "$name: never both" 0 "$both"
}

# --- race: 20 rounds, record PUTs 0.5 s
fp_rules 'PUT ~\.json$ delay:0.5'
race race plain_a plain_b
fp_clear

# --- mode: which the store is (both stores of the matrix honour If-None-Match and If-Match)
if grep -q 'holding the lock of instance .* conditional writes' "$T/race.first.err" &&
    ! grep -q 'ignores conditional writes' "$T/race.first.err"; then
    ra_ok "mode: the store honours conditional writes, and the run says so"
else
    ra_fail "mode: the store honours conditional writes, and the run says so" "$(grep -h 'lock' "$T/race.first.err")"
fi

# --- race under lock latency: the lock's PUTs (create, probes, renew) and the records' take 0.5 s each
fp_rules 'PUT ~\.lock$ delay:0.5' 'PUT ~\.json$ delay:0.5'
race lockrace plain_a plain_b
if [ "$BYLOCK" -ge 1 ]; then ra_ok "lock race: the lock object refused the loser ($BYLOCK of 20 rounds)"; else
    ra_fail "lock race: the lock object refused the loser" "in no round"; fi

# --- race across PID namespaces and clocks minutes and days apart, the lock's PUTs still slow
if [ -s "$SHIM" ]; then
    race nsrace ns_a ns_b
    if [ "$BYLOCK" -ge 1 ]; then ra_ok "namespace and clock race: the lock object refused the loser ($BYLOCK of 20 rounds)"; else
        ra_fail "namespace and clock race: the lock object refused the loser" "in no round"; fi
fi
fp_clear

# --- a replica that waits 15 s before the payload, for runs that must be seen running meanwhile
RS=$(ra_redis_start lkslow "replicaof 127.0.0.1 $M" "repl-diskless-sync yes" "repl-diskless-sync-delay 15") &&
    ra_redis_wait_link "$RS" 60 || { ra_fail "slow replica starts"; exit 1; }

# --- pidns: the first run in its own PID namespace (pid ~400 there, likely free here)
I=pidns-$RUN
rm -f "$T/ns.rc"
unshare --pid --fork --mount-proc bash -c "for i in \$(seq 400); do /bin/true; done; $(declare -f fc_ra fc_run);
    RA_BIN=$RA_BIN RA_TEST_S3_ACCESS_KEY=$RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY=$RA_TEST_S3_SECRET_KEY \
    RA_TEST_S3_ENDPOINT=$RA_TEST_S3_ENDPOINT RA_TEST_S3_BUCKET=$RA_TEST_S3_BUCKET RA_TEST_S3_REGION=$RA_TEST_S3_REGION \
    FC_TIMEOUT=120; fc_run $T/ns.out $T/ns.err backup --instance $I --source redis://127.0.0.1:$RS; echo \$? >$T/ns.rc" &
NS=$!
have_record() { [ -n "$(fc_ids "$I")" ]; }
if fc_wait_for 20 have_record; then
    sleep 3
    id=$(fc_ids "$I" | tail -n 1)
    pid=$(fc_record_field "$I" "$id" pid)
    st=$(fc_ra status --instance "$I" --json 2>&1)
    if grep -Eq '"status": *"running"' <<<"$st"; then ra_ok "pidns: status shows the other namespace's run running (pid $pid)"; else
        ra_fail "pidns: status shows the other namespace's run running" "$st"; fi
    rc=0
    fc_run "$T/ns2.out" "$T/ns2.err" backup --instance "$I" --source "redis://127.0.0.1:$RS" || rc=$?
    fc_assert_rc "pidns: a second backup" 7 $rc "$T/ns2.err"
else
    ra_fail "pidns: the first run writes its record" "$(tail -n 5 "$T/ns.err" 2>/dev/null)"
fi
wait $NS
ra_assert_eq "pidns: the first run succeeds" 0 "$(cat "$T/ns.rc" 2>/dev/null)"
ra_assert_eq "pidns: its object is there" 1 "$(n_rdb "$I")"

# --- clock: a host 30 days ahead, and one 10 days behind
if [ ! -s "$SHIM" ]; then
    ra_fail "clock: the time shim builds" "$(cat "$T/shim.err")"
else
    I=skew-$RUN
    for k in 1 2 3; do fc_run "$T/sk.out" "$T/sk.err" backup --instance "$I" --remark "good $k" || ra_fail "clock: good backup $k"; done
    rc=0
    shifted 2592000 fc_run "$T/ahead.out" "$T/ahead.err" backup --instance "$I" --sweep yes || rc=$?
    fc_assert_rc "clock 30 days ahead: backup" 0 $rc "$T/ahead.err"
    ra_assert_eq "clock 30 days ahead: nothing swept" 4 "$(n_rdb "$I")"
    if grep -q "clock differs from the store" "$T/ahead.err"; then ra_ok "clock 30 days ahead: the sweep says why it refused"; else
        ra_fail "clock 30 days ahead: the sweep says why it refused" "$(grep -i sweep "$T/ahead.err")"; fi
    id=$(head -n 1 "$T/ahead.out")
    started=$(date -u -d "$(fc_record_field "$I" "$id" started)" +%s 2>/dev/null || echo 0)
    d=$((started - $(date +%s)))
    if [ ${d#-} -le 600 ]; then ra_ok "clock 30 days ahead: the record has the store's time"; else
        ra_fail "clock 30 days ahead: the record has the store's time" "started $d s from now ($id)"; fi
    I=skew2-$RUN
    rc=0
    shifted -864000 fc_run "$T/behind.out" "$T/behind.err" backup --instance "$I" || rc=$?
    fc_assert_rc "clock 10 days behind: backup" 0 $rc "$T/behind.err"
    rc=0
    fc_run "$T/next.out" "$T/next.err" backup --instance "$I" --sweep yes || rc=$?
    fc_assert_rc "clock 10 days behind: the next correct host's backup" 0 $rc "$T/next.err"
    ra_assert_eq "clock 10 days behind: its backup is not swept" 2 "$(n_rdb "$I")"
fi

# --- clock a few minutes off (under the store's skew limit, where only the Date headers tell): a run on a host
# 3 min behind is shown running from a correct host, and a second run from a host 3 min ahead exits 7
# without touching the first one's upload (R2)
if [ -s "$SHIM" ]; then
    I=skewlock-$RUN
    rm -f "$T/sl.rc"
    ( shifted -180 fc_run "$T/sl.out" "$T/sl.err" backup --instance "$I" --source "redis://127.0.0.1:$RS"
      echo $? >"$T/sl.rc" ) &
    SL=$!
    if fc_wait_for 20 have_record; then
        sleep 7
        st=$(fc_ra status --instance "$I" --json 2>&1)
        if grep -Eq '"status": *"running"' <<<"$st"; then ra_ok "clock 3 min behind: status shows the run running"; else
            ra_fail "clock 3 min behind: status shows the run running" "$st"; fi
        rc=0
        shifted 180 fc_run "$T/sl2.out" "$T/sl2.err" backup --instance "$I" --source "redis://127.0.0.1:$RS" || rc=$?
        fc_assert_rc "clock 3 min ahead: a second backup" 7 $rc "$T/sl2.err"
    else
        ra_fail "clock 3 min behind: the run writes its record" "$(tail -n 5 "$T/sl.err")"
    fi
    wait $SL
    ra_assert_eq "clock 3 min behind: the first run succeeds" 0 "$(cat "$T/sl.rc" 2>/dev/null)"
    ra_assert_eq "clock 3 min behind: its object is there" 1 "$(n_rdb "$I")"
fi

# --- lost: another run takes the lock (here: overwrites it) while this one waits for the replica's fork; the
# next renew is refused, and the run stops before its upload starts
I=lost-$RUN
rm -f "$T/lost.rc"
( fc_run "$T/lost.out" "$T/lost.err" backup --instance "$I" --source "redis://127.0.0.1:$RS"; echo $? >"$T/lost.rc" ) &
LB=$!
if fc_wait_for 20 have_record; then
    sleep 1
    echo '{"id":"20260101T000000Z-beef"}' | ra_aws s3 cp - "s3://$RA_TEST_S3_BUCKET/${FC_PREFIX}$I/.lock" >/dev/null 2>&1
fi
wait $LB
fc_assert_rc "lost: a run whose lock was taken" 7 "$(cat "$T/lost.rc" 2>/dev/null)" "$T/lost.err"
fc_one_error "lost: a run whose lock was taken" "$T/lost.err" 'lost the lock'
fc_clean "lost: a run whose lock was taken" "$I"
id=$(fc_ids "$I" | tail -n 1)
ra_assert_eq "lost: its record says failed" failed "$(fc_record_field "$I" "$id" status)"

# --- badrec: one object that is not a record
I=badrec-$RUN
fc_run "$T/br.out" "$T/br.err" backup --instance "$I" || ra_fail "badrec: first backup"
echo 'not json' | ra_aws s3 cp - "s3://$RA_TEST_S3_BUCKET/${FC_PREFIX}$I/20260101T000000Z-abcd.json" >/dev/null 2>&1
rc=0
fc_run "$T/br2.out" "$T/br2.err" backup --instance "$I" || rc=$?
fc_assert_rc "badrec: backup" 0 $rc "$T/br2.err"
if grep -q "$I/20260101T000000Z-abcd.json" "$T/br2.err"; then ra_ok "badrec: the warning names the object"; else
    ra_fail "badrec: the warning names the object" "$(tail -n 5 "$T/br2.err")"; fi
rc=0
fc_run "$T/brl.out" "$T/brl.err" list --instance "$I" --json || rc=$?
fc_assert_rc "badrec: list" 0 $rc "$T/brl.err"
ra_assert_eq "badrec: list shows both good backups" 2 "$(grep -c '"id"' "$T/brl.out")"
rc=0
fc_run "$T/brs.out" "$T/brs.err" status --instance "$I" || rc=$?
fc_assert_rc "badrec: status" 0 $rc "$T/brs.err"

# --- head: the HEAD after Complete fails, or SIGTERM during it
I=head403-$RUN
fp_rules 'HEAD ~\.rdb$ error:403'
rc=0
fc_run "$T/h.out" "$T/h.err" backup --instance "$I" --endpoint "$FP_URL" || rc=$?
fp_clear
fc_assert_rc "HEAD after Complete fails" 4 $rc "$T/h.err"
ra_assert_eq "HEAD after Complete fails: no object beside the failed record" 0 "$(n_rdb "$I")"
id=$(fc_ids "$I" | tail -n 1)
ra_assert_eq "HEAD after Complete fails: record failed" failed "$(fc_record_field "$I" "$id" status)"
I=termhead-$RUN
fp_rules 'HEAD ~\.rdb$ delay:10'
fp_reset
# the archiver itself must get the signal: run it directly (no timeout wrapper), as faults.sh does
(
    exec env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
        AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" \
        REDIS_ARCHIVER_CONFIG=/dev/null REDIS_ARCHIVER_ENDPOINT="$FP_URL" REDIS_ARCHIVER_BUCKET="$RA_TEST_S3_BUCKET" \
        REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION" REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json \
        "$RA_BIN" backup --instance "$I" </dev/null >"$T/th.out" 2>"$T/th.err"
) &
APID=$!
complete_sent() { [ "$(fp_count POST uploadId=)" -ge 1 ]; }
if fc_wait_for 60 complete_sent; then
    sleep 1
    kill -TERM "$APID"
fi
wait "$APID"
echo $? >"$T/th.rc"
fp_clear
fc_assert_rc "SIGTERM during the HEAD after Complete" 8 "$(cat "$T/th.rc" 2>/dev/null)" "$T/th.err"
ra_assert_eq "SIGTERM during the HEAD after Complete: no object" 0 "$(n_rdb "$I")"

ra_done
