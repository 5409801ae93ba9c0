#!/usr/bin/env bash
# replay_cluster.sh: restore --at of a standalone source's archive into an empty cluster of three masters,
# against real servers. A writer applies a known sequence to the source (strings, lists, hashes, sets, sorted
# sets, streams with a consumer group (XGROUP: a container command), ZUNIONSTORE (movable keys), INCR, EXPIRE /
# SET EX, MULTI/EXEC of one hash tag, a FUNCTION LOAD and a FLUSHDB (keyless: to every master), db 0 only) while
# `archive` stores its stream. At each moment every key's DEBUG DIGEST-VALUE and whether it has a TTL are noted;
# `restore latest --target <one cluster node> --at MOMENT --json` into the emptied cluster gives the same keys,
# spread over the three masters, the function on every master, and --json says at, replayed, replay_errors,
# offset. The last moment is restored while one slot is being migrated (MIGRATING/IMPORTING): its keys are
# answered ASK and sent again behind ASKING to the importing master, MULTI blocks whole.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

M=$(ra_redis_start rcmaster) || { ra_fail "start master"; exit 1; }
R=$(ra_redis_start rcreplica "replicaof 127.0.0.1 $M") || { ra_fail "start replica"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }

# the target: three masters, no replicas, made by hand
C=() BUS=()
for i in 0 1 2; do
    BUS+=("$(ra_free_port)")
    C+=("$(ra_redis_start "rctarget$i" "cluster-enabled yes" "cluster-config-file nodes.conf" \
        "cluster-port ${BUS[$i]}" "cluster-node-timeout 3000")") || { ra_fail "start cluster node $i"; exit 1; }
done
cli -p "${C[0]}" cluster addslotsrange 0 5460 >/dev/null
cli -p "${C[1]}" cluster addslotsrange 5461 10922 >/dev/null
cli -p "${C[2]}" cluster addslotsrange 10923 16383 >/dev/null
cli -p "${C[0]}" cluster meet 127.0.0.1 "${C[1]}" "${BUS[1]}" >/dev/null
cli -p "${C[0]}" cluster meet 127.0.0.1 "${C[2]}" "${BUS[2]}" >/dev/null
for _ in $(seq 300); do
    ok=0
    for q in "${C[@]}"; do cli -p "$q" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    [ $ok = 3 ] && break
    sleep 0.2
done
ra_assert_eq "the three-master target cluster is ok" 3 "$ok" || exit 1

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-replay-cluster
BUCKET=it-replay-cluster-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

{
    echo "SET base:s hello"; echo "RPUSH base:l a b c"; echo "HSET base:h f v"; echo "SET base:ttl v EX 100000"
    echo "XADD base:st 1-1 a 1"; echo "XGROUP CREATE base:st g 0"; echo "SET {mig}base v"
} | cli -p "$M" >/dev/null
ra_redis_sync_replicas "$M" || ra_fail "replica caught up"

batch() {
    local n=$1
    {
        echo "SET s:$n v$n"; echo "INCR counter"; echo "APPEND s:$n -more"
        echo "RPUSH l:$((n % 7)) $n $n$n"; echo "HSET h:$n a $n b $((n * 2))"; echo "HINCRBY h:$((n % 5)) n $n"
        echo "SADD set:$((n % 3)) m$n"; echo "ZADD z:$((n % 4)) $n m$n"
        echo "ZADD {zu}a $n a$n"; echo "ZADD {zu}b $((n * 3)) b$n"; echo "ZUNIONSTORE {zu}dst 2 {zu}a {zu}b"
        echo "XADD st:$((n % 2)) * n $n"
        echo "SET e:$n v EX 100000"; echo "SET p:$n v"; echo "EXPIRE p:$n 200000"; echo "PEXPIRE s:$n 300000000"
        echo "MULTI"; echo "INCR {tx$((n % 3))}count"; echo "RPUSH {tx$((n % 3))}list $n"
        echo "HSET {tx$((n % 3))}h k$n $n"; echo "EXEC"
        echo "DEL s:$((n - 2))"
        echo "SET {mig}s$n v$n"; echo "INCR {mig}c"; echo "EXPIRE {mig}s$n 100000"; echo "RPUSH {mig}l $n"
        echo "MULTI"; echo "INCR {mig}tx$n"; echo "INCRBY {mig}tx$n 2"; echo "EXEC"
    } | cli -p "$M" >/dev/null
}

"$BIN" archive --segment-seconds 2 --quiet >"$T/archive.out" 2>"$T/archive.err" &
APID=$!
for _ in $(seq 1 300); do [ -s "$T/archive.out" ] && break; kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
base=$(head -1 "$T/archive.out")
if [ -n "$base" ] && kill -0 "$APID" 2>/dev/null; then
    ra_ok "archive took base backup $base and goes on"
else
    ra_fail "archive took its base backup" "$(cat "$T/archive.err")"
    exit 1
fi

# snap PORT...: "key digest ttl?" of every key the servers hold (each node its own), sorted
snap() {
    python3 - "$@" <<'PY'
import subprocess, sys
def cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", port, *args], input=stdin, capture_output=True,
                          text=True, check=True).stdout.split("\n")[:-1]
out = []
for p in sys.argv[1:]:
    keys = cli(p, "--scan")
    if not keys:
        continue
    d = cli(p, "debug", "digest-value", *keys)
    t = cli(p, stdin="".join("TTL %s\n" % k for k in keys))
    out += ["%s %s %d" % (k, d[i], int(t[i]) > 0) for i, k in enumerate(keys)]
print("\n".join(sorted(out)))
PY
}

declare -a AT
moment() {
    ra_redis_sync_replicas "$M" >/dev/null || ra_fail "replica caught up before moment $1"
    sleep 2.5
    AT[$1]=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    snap "$M" >"$T/moment$1.txt"
    sleep 2.5
}
sleep 1
for n in 1 2 3; do batch $n; done
cli -p "$M" function load "#!lua name=rclib
redis.register_function('rcfunc', function(keys, args) return args[1] end)" >/dev/null
moment 0
cli -p "$M" flushdb >/dev/null
for n in 4 5 6; do batch $n; done
cli -p "$M" xgroup create st:0 grp 0 >/dev/null
moment 1
for n in $(seq 7 30); do batch $n; done
moment 2
sleep 5 # a segment closes after the last moment
kill -TERM "$APID"
wait "$APID"
ra_assert_eq "archive stops with exit 0 on SIGTERM" 0 "$?" || sed 's/^/#   /' "$T/archive.err" | tail -20

# moment 2 is restored while the slot of {mig} is being migrated: its keys are answered ASK and go, whole,
# behind ASKING to the importing master; then the migration is finished and they are compared like the rest
MS=$(cli -p "${C[0]}" cluster keyslot "{mig}")
FROM=$((MS <= 5460 ? 0 : MS <= 10922 ? 1 : 2))
TO=$(((FROM + 1) % 3))
for i in 0 1 2; do
    for q in "${C[@]}"; do cli -p "$q" flushall >/dev/null; cli -p "$q" function flush >/dev/null; done
    if [ "$i" = 2 ]; then
        cli -p "${C[$TO]}" cluster setslot "$MS" importing "$(cli -p "${C[$FROM]}" cluster myid)" >/dev/null
        cli -p "${C[$FROM]}" cluster setslot "$MS" migrating "$(cli -p "${C[$TO]}" cluster myid)" >/dev/null
    fi
    "$BIN" restore latest --target "redis://127.0.0.1:${C[1]}" --at "${AT[$i]}" --json >"$T/r$i.json" 2>"$T/r$i.err"
    rc=$?
    ra_assert_eq "restore --at moment $i into the cluster exits 0" 0 "$rc" || sed 's/^/#   /' "$T/r$i.err" | tail -10
    if [ "$i" = 2 ]; then
        migrated=$(cli -p "${C[$TO]}" cluster countkeysinslot "$MS")
        for q in "${C[@]}"; do cli -p "$q" cluster setslot "$MS" node "$(cli -p "${C[$TO]}" cluster myid)" >/dev/null; done
        want=$(grep -c '^{mig}' "$T/moment2.txt")
        if [ "$want" -gt 10 ] && [ "$migrated" = "$want" ]; then
            ra_ok "the $want keys of a slot being migrated went to the importing master (ASK, ASKING)"
        else
            ra_fail "the keys of a slot being migrated went to the importing master" "$migrated of $want"
        fi
    fi
    snap "${C[@]}" >"$T/got$i.txt"
    n=$(wc -l <"$T/moment$i.txt")
    if [ "$n" -gt 10 ] && cmp -s "$T/moment$i.txt" "$T/got$i.txt"; then
        ra_ok "moment $i: every one of $n keys equal (DEBUG DIGEST-VALUE) with its TTL in the cluster"
    else
        ra_fail "moment $i: every key equal with its TTL in the cluster" "$(diff "$T/moment$i.txt" "$T/got$i.txt" | head -8)"
    fi
    held=0 fn=0
    for q in "${C[@]}"; do
        [ "$(cli -p "$q" dbsize)" -gt 0 ] && held=$((held + 1))
        cli -p "$q" function list | grep -q rclib && fn=$((fn + 1))
    done
    ra_assert_eq "moment $i: the three masters hold keys" 3 "$held"
    ra_assert_eq "moment $i: the function loaded in the stream is on every master" 3 "$fn"
    check=$(python3 - "$T/r$i.json" "${AT[$i]}" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ok = j["at"] == sys.argv[2] and j["replayed"] > 0 and j["replay_errors"] == 0 and j["offset"] > 0 and j["errors"] == 0
print("ok" if ok else j)
PY
)
    ra_assert_eq "moment $i: --json says at, replayed, replay_errors, offset" ok "$check"
done
# FLUSHDB of moment 1 reached every master: no key of before it is left
if ! grep -q '^base:' "$T/got1.txt" && grep -q '^base:' "$T/got0.txt"; then
    ra_ok "the FLUSHDB in the stream emptied every master"
else
    ra_fail "the FLUSHDB in the stream emptied every master" "$(grep '^base:' "$T/got1.txt" | head -3)"
fi
