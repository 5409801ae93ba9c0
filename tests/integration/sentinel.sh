#!/usr/bin/env bash
# sentinel.sh: --sentinel-master end to end against real servers: a master with two replicas (password set)
# and one redis-sentinel (no password) on 127.0.0.1. A backup through the sentinel picks a healthy replica and
# restores to the master's DEBUG DIGEST, also through a list of sentinels whose first is down; with that replica
# stopped the other one is picked; with both stopped,
# and for an unknown master name, the backup fails naming the sentinel, the master name and each replica's
# reason. The password never appears in any output.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
NAME=ramaster
PW=sentinel-it-secret-$$

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-sentinel REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-sentinel-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

# --- master + 2 replicas, filled, then a password on all three (the links stay up)
m=$(ra_redis_start smaster) || { ra_fail "start master"; exit 1; }
r1=$(ra_redis_start sreplica1 "replicaof 127.0.0.1 $m") || { ra_fail "start replica 1"; exit 1; }
r2=$(ra_redis_start sreplica2 "replicaof 127.0.0.1 $m") || { ra_fail "start replica 2"; exit 1; }
ra_redis_wait_link "$r1" && ra_redis_wait_link "$r2" || { ra_fail "replication links"; exit 1; }
ra_redis_fill "$m" 5000 sent: >/dev/null || { ra_fail "fill"; exit 1; }
digest=$(ra_redis_digest "$m")
for p in "$r1" "$r2"; do redis-cli -h 127.0.0.1 -p "$p" config set masterauth "$PW" >/dev/null; done
for p in "$m" "$r1" "$r2"; do redis-cli -h 127.0.0.1 -p "$p" config set requirepass "$PW" >/dev/null; done

# --- one sentinel, registered with lib.sh so that its exit trap stops it by pid file
sd=$T/sentinel
mkdir -p "$sd"
sp=$(ra_free_port)
printf '%s\n' "bind 127.0.0.1" "port $sp" "daemonize yes" "pidfile $sd/sentinel.pid" "logfile $sd/sentinel.log" \
    "dir $sd" "sentinel monitor $NAME 127.0.0.1 $m 1" "sentinel auth-pass $NAME $PW" \
    "sentinel down-after-milliseconds $NAME 1000" "sentinel failover-timeout $NAME 600000" >"$sd/sentinel.conf"
ra__register redis "$sd/sentinel.pid" "$sd" "$sp"
if ! redis-server "$sd/sentinel.conf" --sentinel >"$sd/start.out" 2>&1; then
    ra_fail "sentinel starts" "$(cat "$sd/start.out")"
    exit 1
fi

# sreplicas: what the sentinel says of each replica, as "port flags link" lines
sreplicas() {
    redis-cli -h 127.0.0.1 -p "$sp" --raw sentinel replicas "$NAME" 2>/dev/null |
        awk 'k == "port" { port = $0 } k == "flags" { flags = $0 } k == "master-link-status" { print port, flags, $0 }
             { k = $0 }'
}
# wait_sentinel CMD...: until CMD (reading the sreplicas lines on stdin) succeeds, up to 40 s
wait_sentinel() {
    local i
    for ((i = 0; i < 400; i++)); do
        sreplicas | "$@" && return 0
        sleep 0.1
    done
    echo "# sentinel replicas: $(sreplicas | tr '\n' ';')"
    return 1
}
healthy() { awk -v p="$1" '$1 == p && $2 == "slave" && $3 == "ok" { f = 1 } END { exit !f }'; }
down() { awk -v p="$1" '$1 == p && $2 ~ /(^|,)(s_down|disconnected)(,|$)/ { f = 1 } END { exit !f }'; }
both_healthy() { local s; s=$(cat); healthy "$r1" <<<"$s" && healthy "$r2" <<<"$s"; }
if wait_sentinel both_healthy; then ra_ok "sentinel sees both replicas healthy"; else ra_fail "sentinel sees both replicas healthy"; exit 1; fi

export REDIS_ARCHIVER_SOURCE=redis://:$PW@127.0.0.1:$sp

# picked FILE: the port of the replica the archiver says it synced from
picked() { sed -n 's/.*syncing from replica 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -1; }
nosecret() {
    if grep -qF -- "$PW" "$@"; then ra_fail "$1: the password is never printed" "$(grep -F -- "$PW" "$@" | head -2)"
    else ra_ok "${1##*/}: the password is never printed"; fi
}

# --- 1. backup through the sentinel: a replica is picked, the RDB restores to the master's digest
id=$("$BIN" backup --sentinel-master "$NAME" 2>"$T/b1.err")
rc=$?
ra_assert_eq "backup through the sentinel exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/b1.err"
first=$(picked "$T/b1.err")
if [ "$first" = "$r1" ] || [ "$first" = "$r2" ]; then ra_ok "a replica is picked ($first)"
else ra_fail "a replica is picked" "got '$first' (replicas $r1 $r2)"; fi
if grep -q "sentinel '127.0.0.1:$sp' (master '$NAME')" "$T/b1.err"; then ra_ok "the log names the sentinel and the master"
else ra_fail "the log names the sentinel and the master" "$(grep pick "$T/b1.err")"; fi
url=$("$BIN" url "$id" 2>"$T/url.err") && curl -sf -o "$T/b1.rdb" "$url"
ra_assert_eq "the backup downloads" 0 "$?"
ra_assert_eq "restored RDB has the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/b1.rdb")"
nosecret "$T/b1.err"

# --- 1b. several sentinels, the first one down: the next one answers
dead=$(ra_free_port)
id1b=$(REDIS_ARCHIVER_SOURCE="redis://:$PW@127.0.0.1:$dead,127.0.0.1:$sp" "$BIN" backup --sentinel-master "$NAME" \
    --connect-timeout 2s 2>"$T/b1b.err")
rc=$?
ra_assert_eq "backup through a list of sentinels, the first down, exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/b1b.err"
if grep -q "sentinel '127.0.0.1:$dead' (master '$NAME').*asking the next sentinel" "$T/b1b.err" &&
    grep -q "sentinel '127.0.0.1:$sp' (master '$NAME'): syncing from replica" "$T/b1b.err"; then
    ra_ok "the dead sentinel is logged and the next one used"
else
    ra_fail "the dead sentinel is logged and the next one used" "$(grep -E 'sentinel|pick' "$T/b1b.err" | head -5)"
fi
[ -n "$id1b" ] && ra_ok "it prints the backup id" || ra_fail "it prints the backup id"
nosecret "$T/b1b.err"
# a list of hosts is for Sentinels only
REDIS_ARCHIVER_SOURCE="redis://:$PW@127.0.0.1:$r1,127.0.0.1:$r2" "$BIN" backup >/dev/null 2>"$T/list.err"
rc=$?
if [ $rc = 2 ] && grep -q "only Sentinels come in a list" "$T/list.err"; then ra_ok "a host list without sentinel-master is a usage error"
else ra_fail "a host list without sentinel-master is a usage error" "rc $rc: $(tail -2 "$T/list.err")"; fi
nosecret "$T/list.err"

# --- 2. the picked replica stopped: the other one is picked
other=$r2
[ "$first" = "$r2" ] && other=$r1
ra_redis_stop "${first:-$r1}"
if wait_sentinel down "${first:-$r1}"; then ra_ok "sentinel marks the stopped replica down"; else ra_fail "sentinel marks the stopped replica down"; fi
id2=$("$BIN" backup --sentinel-master "$NAME" 2>"$T/b2.err")
rc=$?
ra_assert_eq "backup with one replica stopped exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/b2.err"
ra_assert_eq "the other replica is picked" "$other" "$(picked "$T/b2.err")"
if grep -q "replica 127.0.0.1:${first:-$r1} not used" "$T/b2.err"; then ra_ok "the stopped replica is logged as not used"
else ra_fail "the stopped replica is logged as not used" "$(grep sentinel_skip "$T/b2.err")"; fi
url=$("$BIN" url "$id2" 2>>"$T/url.err") && curl -sf -o "$T/b2.rdb" "$url"
ra_assert_eq "second restore has the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/b2.rdb")"

# --- 3. both replicas stopped: a clear error listing each replica and why
ra_redis_stop "$other"
if wait_sentinel down "$other"; then ra_ok "sentinel marks the second replica down"; else ra_fail "sentinel marks the second replica down"; fi
"$BIN" backup --sentinel-master "$NAME" >/dev/null 2>"$T/b3.err"
rc=$?
if [ $rc != 0 ]; then ra_ok "backup with no healthy replica fails ($rc)"; else ra_fail "backup with no healthy replica fails"; fi
msg=$(grep -i 'no healthy replica' "$T/b3.err" | head -1)
if [ -n "$msg" ] && grep -q "sentinel '127.0.0.1:$sp' (master '$NAME')" <<<"$msg" && grep -q "127.0.0.1:$r1 (" <<<"$msg" &&
    grep -q "127.0.0.1:$r2 (" <<<"$msg" && grep -qE 'down|disconnected' <<<"$msg"; then
    ra_ok "the error names the sentinel, the master and each replica's reason"
else
    ra_fail "the error names the sentinel, the master and each replica's reason" "$(tail -3 "$T/b3.err")"
fi
nosecret "$T/b3.err"

# --- 4. unknown master name
"$BIN" backup --sentinel-master nosuchmaster >/dev/null 2>"$T/b4.err"
rc=$?
if [ $rc != 0 ] && grep -q "sentinel '127.0.0.1:$sp' (master 'nosuchmaster') does not monitor a master of that name" "$T/b4.err"
then ra_ok "an unknown master name fails clearly"
else ra_fail "an unknown master name fails clearly" "rc $rc: $(tail -2 "$T/b4.err")"; fi
nosecret "$T/b4.err"

# --- 5. the sentinel down: the error names it
ra_redis_stop "$sp"
"$BIN" backup --sentinel-master "$NAME" --connect-timeout 2s >/dev/null 2>"$T/b5.err"
rc=$?
if [ $rc != 0 ] && grep -q "sentinel '127.0.0.1:$sp' (master '$NAME')" "$T/b5.err"; then ra_ok "an unreachable sentinel is named"
else ra_fail "an unreachable sentinel is named" "rc $rc: $(tail -2 "$T/b5.err")"; fi
nosecret "$T/b5.err"
# every sentinel of a list down: each one is named
REDIS_ARCHIVER_SOURCE="redis://:$PW@127.0.0.1:$dead,127.0.0.1:$sp" "$BIN" backup --sentinel-master "$NAME" \
    --connect-timeout 2s >/dev/null 2>"$T/b6.err"
rc=$?
msg=$(grep -i 'none of the 2 sentinels answered' "$T/b6.err" | head -1)
if [ $rc = 3 ] && grep -q "127.0.0.1:$dead" <<<"$msg" && grep -q "127.0.0.1:$sp" <<<"$msg"; then
    ra_ok "with every sentinel down the error names each (exit 3)"
else
    ra_fail "with every sentinel down the error names each (exit 3)" "rc $rc: $(tail -2 "$T/b6.err")"
fi
nosecret "$T/b6.err"

ra_done
