#!/usr/bin/env bash
# archive_store.sh: point in time while the store is down (issue 20). `archive` writes through the fault proxy
# (tests/helpers/faultproxy.py); a writer applies a known sequence to the master.
# 1. The store refuses every segment PUT (503) for a while: closed segments queue in memory, the archive goes
#    on, and when the store comes back every one of them lands: the stored segments chain offset to offset
#    with no gap, and `restore --at` a moment inside the outage gives that moment's DEBUG DIGEST (and the
#    moments before and after it too).
# 2. The bound: with archive-queue 1MiB and segments of ~600 kB, a store down longer than the queue holds fails
#    the archive with exit 4 and a message naming archive-queue, rather than dropping history.
# Also: `list` shows the chain's time range (text and --json); with 1000 more segments present it makes the
# same one-page listings (records and states, with a delimiter); `delete` takes the chain whole, its state too.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
ra_on_exit() { fp_stop_all; return 0; }
ra_need_s3 || { ra_fail "store starts"; exit 1; }
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

M=$(ra_redis_start asmaster) || { ra_fail "start master"; exit 1; }
R=$(ra_redis_start asreplica "replicaof 127.0.0.1 $M") || { ra_fail "start replica"; exit 1; }
E=$(ra_redis_start asempty) || { ra_fail "start the restore target"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_CONFIG=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
export REDIS_ARCHIVER_ENDPOINT=$FP_URL REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-archive-store
BUCKET=it-archive-store-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET
DIR=redis-archiver/it-archive-store

echo "SET base:s hello" | cli -p "$M" >/dev/null
batch() {
    local n=$1
    {
        echo "SET s:$n v$n"; echo "INCR counter"; echo "RPUSH l:all $n"; echo "HSET h:$n a $n"
        echo "ZADD z:all $n m$n"; echo "SET e:$n v EX 100000"
        echo "MULTI"; echo "INCR tx:count"; echo "RPUSH tx:list $n"; echo "EXEC"
        echo "SELECT 3"; echo "SET d3:$n v$n"; echo "SELECT 0"
    } | cli -p "$M" >/dev/null
}
declare -a AT DIG
moment() {
    ra_redis_sync_replicas "$M" >/dev/null || ra_fail "replica caught up before moment $1"
    sleep 2.5
    AT[$1]=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    DIG[$1]=$(ra_redis_digest "$M")
    sleep 2.5
}
wait_base() { # wait_base OUT PID: the base id once archive printed it
    local i
    for i in $(seq 1 300); do [ -s "$1" ] && break; kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
    head -1 "$1"
}

# --- 1. the store down for a while, then back: no segment lost
"$BIN" archive --segment-seconds 1 --quiet >"$T/a1.out" 2>"$T/a1.err" &
APID=$!
base=$(wait_base "$T/a1.out" "$APID")
if [ -n "$base" ] && kill -0 "$APID" 2>/dev/null; then ra_ok "archive took base backup $base"; else
    ra_fail "archive took its base backup" "$(tail -5 "$T/a1.err")"; exit 1; fi
for n in 1 2 3; do batch $n; done
moment 0
fp_rules 'PUT .seg/ error:503:ServiceUnavailable'
fp_reset
for n in $(seq 4 10); do batch $n; sleep 0.5; done
moment 1 # inside the outage
for n in $(seq 11 16); do batch $n; sleep 0.5; done
refused=$(fp_log | awk '$2 == "PUT" && $4 == 503 && $3 ~ /\.seg\/[0-9]+-[0-9]+$/ {print $3}' | sort -u | wc -l)
if [ "$refused" -ge 3 ] && kill -0 "$APID" 2>/dev/null && grep -Eq 'not stored yet|s3\.retry' "$T/a1.err"; then
    ra_ok "store down: $refused segments queued and the archive goes on"
else
    ra_fail "store down: segments queue and the archive goes on" "$refused refused segment keys; $(tail -5 "$T/a1.err")"
fi
fp_clear
batch 17
moment 2
sleep 3
kill -TERM "$APID"
wait "$APID"
rc=$?
ra_assert_eq "archive stops with exit 0 after the outage" 0 "$rc" || tail -20 "$T/a1.err" | sed 's/^/#   /'
# every refused segment landed later, and the stored segments chain with no gap
fp_log | awk '$2 == "PUT" && $3 ~ /\.seg\/[0-9]+-[0-9]+$/ {print $3, $4}' >"$T/puts.txt"
lost=0
for k in $(awk '$2 == 503 {print $1}' "$T/puts.txt" | sort -u); do
    grep -qF "$k 200" "$T/puts.txt" || lost=$((lost + 1))
done
ra_aws s3 ls "s3://$BUCKET/$DIR/$base.seg/" | awk '{print $4}' | grep -E '^[0-9]{20}-[0-9]{20}$' >"$T/segs.txt"
gaps=$(awk -F- 'NR > 1 && $1 + 0 != prev {g++} {prev = $2 + 0} END {print g + 0}' "$T/segs.txt")
nseg=$(wc -l <"$T/segs.txt")
if [ "$lost" = 0 ] && [ "$gaps" = 0 ] && [ "$nseg" -ge "$refused" ]; then
    ra_ok "the store back: every refused segment landed ($nseg segments chain with no gap)"
else
    ra_fail "the store back: every refused segment landed" "$lost never stored, $gaps gaps in $nseg: $(cat "$T/segs.txt")"
fi
for i in 0 1 2; do
    cli -p "$E" flushall >/dev/null
    "$BIN" restore "$base" --target "redis://127.0.0.1:$E" --at "${AT[$i]}" >"$T/r$i.out" 2>"$T/r$i.err"
    rc=$?
    got=$(ra_redis_digest "$E")
    what=$([ "$i" = 1 ] && echo "inside the outage" || echo "around the outage")
    if [ "$rc" = 0 ] && [ "$got" = "${DIG[$i]}" ]; then
        ra_ok "restore --at moment $i ($what) gives its digest"
    else
        ra_fail "restore --at moment $i ($what) gives its digest" "rc $rc, digest $got, want ${DIG[$i]}: $(tail -3 "$T/r$i.err")"
    fi
done

# --- list: the chain's time range; listing the records does not page through segments
"$BIN" list >"$T/list.txt" 2>"$T/list.err"
"$BIN" list --json >"$T/list.json" 2>>"$T/list.err"
line=$(grep "^$base " "$T/list.txt")
jf=$(jq -r --arg id "$base" '.[] | select(.id == $id) | .archive_first' "$T/list.json")
jl=$(jq -r --arg id "$base" '.[] | select(.id == $id) | .archive_last' "$T/list.json")
if [[ $line == *"[archive ${jf}.."${jl}"]"* ]] && [[ $jf < ${AT[0]} ]] && [[ ${AT[2]} < $jl ]]; then
    ra_ok "list shows the chain's time range ($jf..$jl), also as archive_first/archive_last"
else
    ra_fail "list shows the chain's time range" "$line; json $jf..$jl; moments ${AT[0]} ${AT[2]}; $(cat "$T/list.err")"
fi
fp_reset
"$BIN" list >/dev/null 2>"$T/list1.err"
lists0=$(fp_count GET 'list-type=2') # the records, and the chains' states: one page each
mkdir -p "$T/many"
for i in $(seq 1 1000); do printf 'x' >"$T/many/$(printf '%020d-%020d' "$i" "$i")"; done
ra_aws s3 sync --quiet "$T/many/" "s3://$BUCKET/$DIR/20200101T000000Z-dead.seg/" >/dev/null 2>&1
many=$(ra_aws s3 ls "s3://$BUCKET/$DIR/20200101T000000Z-dead.seg/" | wc -l)
fp_reset
"$BIN" list >/dev/null 2>"$T/list2.err"
lists=$(fp_count GET 'list-type=2')
if [ "$many" -ge 1000 ] && [ "$lists" = "$lists0" ] && [ "$lists" -le 2 ]; then
    ra_ok "list with $many more segments present makes the same $lists one-page listings"
else
    ra_fail "list with 1000 more segments present makes no more listings" "$many objects, $lists listings, $lists0 before: $(fp_log | head -5)"
fi
ra_aws s3 rm --quiet --recursive "s3://$BUCKET/$DIR/20200101T000000Z-dead.seg/" >/dev/null 2>&1

# --- 2. the bound: down longer than archive-queue holds -> exit 4, loudly
"$BIN" archive --segment-seconds 1 --archive-queue 1MiB --quiet >"$T/a2.out" 2>"$T/a2.err" &
APID=$!
base2=$(wait_base "$T/a2.out" "$APID")
[ -n "$base2" ] || { ra_fail "second archive took its base backup" "$(tail -5 "$T/a2.err")"; }
fp_rules 'PUT .seg/ error:503:ServiceUnavailable'
for n in $(seq 1 6); do # ~600 kB per write, one segment each: the second waiting one passes 1 MiB
    cli -p "$M" eval "redis.call('SET', KEYS[1], string.rep('x', 600000))" 1 big:$n >/dev/null
    sleep 1.5
    kill -0 "$APID" 2>/dev/null || break
done
for _ in $(seq 1 900); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APID" 2>/dev/null; then
    ra_fail "store down past archive-queue: the archive fails" "still running: $(tail -5 "$T/a2.err")"
    kill -TERM "$APID"
fi
wait "$APID"
rc=$?
ra_assert_eq "store down past archive-queue: exit 4" 4 "$rc"
if grep -q 'archive-queue' "$T/a2.err" && grep -q 'rather than drop history' "$T/a2.err"; then
    ra_ok "store down past archive-queue: the message names the bound and says no history was dropped silently"
else
    ra_fail "store down past archive-queue: a clear message" "$(tail -5 "$T/a2.err")"
fi
fp_clear

# delete: the chain goes whole, its state too
"$BIN" delete "$base" >/dev/null 2>"$T/delete.err"
rc=$?
left=$(ra_aws s3 ls "s3://$BUCKET/$DIR/$base" --recursive 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$left" = 0 ]; then
    ra_ok "delete of a base backup deletes its segments and its state"
else
    ra_fail "delete of a base backup deletes its segments and its state" "rc $rc: $(ra_aws s3 ls "s3://$BUCKET/$DIR/$base" --recursive)"
fi

ra_done
