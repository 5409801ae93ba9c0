#!/usr/bin/env bash
# restore.sh: restore against real servers. A master with every type (strings in int and LZF form, lists,
# intsets and big sets, listpack and skiplist zsets, listpack and table hashes, streams with consumer
# groups), TTLs, several databases and a loaded function is backed up from its replica; the record counts
# its keys (list's KEYS column, verify); `restore latest --output` writes a file that loads to the
# master's DEBUG DIGEST and refuses to overwrite without --force; `restore --target` an empty standalone
# gives the same digest, the TTLs and the function, skips a key that expired meanwhile, refuses a
# non-empty target (and --replace overwrites); a tampered object fails with exit 5 and leaves no file;
# a target older than the backup is refused, naming both versions; a backup replayed into a cluster of three
# masters gives every key, with its TTL, on the master of its slot, and the function on each.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

M=$(ra_redis_start rmaster) || { ra_fail "start master"; exit 1; }
R=$(ra_redis_start rreplica "replicaof 127.0.0.1 $M") || { ra_fail "start replica"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-restore
BUCKET=it-restore-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

# --- every type, TTLs, databases 0, 3 and 15, a function
long=$(printf 'abcdefgh%.0s' $(seq 40))
{
    echo "SET s:short hello"; echo "SET 12345 intkey"; echo "SET s:int 99"; echo "SET key-$long $long"
    echo "RPUSH l:small a b c"; echo "RPUSH l:big $(seq -s ' ' 1 3000)"
    echo "SADD set:ints 1 2 3 -5 70000"; echo "SADD set:big $(seq -s ' ' 1 600)"; echo "SADD set:strs a b c"
    echo "ZADD z:small 1 a 2.5 b -3 c"; echo "ZADD z:big $(for i in $(seq 1 200); do printf '%s.5 m%s ' "$i" "$i"; done)"
    echo "HSET h:small f1 v1 f2 v2"; echo "HSET h:big $(for i in $(seq 1 300); do printf 'f%s v%s ' "$i" "$i"; done)"
    echo "XADD st * a 1 b 2"; echo "XADD st * a 3"; echo "XADD st * c $long"
    echo "XGROUP CREATE st g1 0"; echo "XGROUP CREATE st g2 \$"
    echo "XREADGROUP GROUP g1 alice COUNT 2 STREAMS st >"; echo "XREADGROUP GROUP g1 bob COUNT 1 STREAMS st >"
    echo "SET ttl:ms v"; echo "PEXPIRE ttl:ms 86400000"; echo "SET ttl:s v"; echo "EXPIRE ttl:s 90000"
    echo "SET soon v"; echo "PEXPIRE soon 3000"
    echo "SELECT 3"; echo "SET g $long"; echo "EXPIRE g 100000"; echo "HSET h3 a b"
    echo "SELECT 15"; echo "SADD set:big $(seq -s ' ' 1 600)"; echo "PEXPIRE set:big 99999999"; echo "RPUSH l15 x"
} | cli -p "$M" >/dev/null
cli -p "$M" function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return args[1] end)" >/dev/null
ra_redis_sync_replicas "$M" || ra_fail "replica caught up"
keys=$(( $(cli -p "$M" dbsize) + $(cli -p "$M" -n 3 dbsize) + $(cli -p "$M" -n 15 dbsize) ))

# --- backup: the record counts the keys; list shows them; verify checks the structure; latest resolves
id=$("$BIN" backup 2>"$T/backup.err")
ra_assert_eq "backup exits 0" 0 "$?" || sed 's/^/#   /' "$T/backup.err"
"$BIN" list >"$T/list.txt" 2>&1
if head -1 "$T/list.txt" | grep -q KEYS && grep "$id" "$T/list.txt" | grep -qw "$keys"; then
    ra_ok "list shows a KEYS column with the backup's $keys keys"
else
    ra_fail "list shows a KEYS column with the backup's $keys keys" "$(cat "$T/list.txt")"
fi
check=$("$BIN" list --json 2>/dev/null | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]][0]["keys"]
dbs = {d["db"]: d["keys"] for d in r["dbs"]}
print(r["total"], r["expires"], r["functions"], r["types"]["stream"], r["types"]["zset"], sorted(dbs))' "$id")
ra_assert_eq "the record counts keys, TTLs, functions, types and databases" "$keys 5 1 1 2 [0, 3, 15]" "$check"
out=$("$BIN" verify latest 2>&1)
case "$out" in "backup $id verified: "*"$keys keys (5 with a TTL)"*) ra_ok "verify latest checks the newest backup, keys and all" ;;
*) ra_fail "verify latest checks the newest backup, keys and all" "$out" ;; esac
"$BIN" url latest >/dev/null 2>&1
ra_assert_eq "url takes latest" 0 "$?"

sleep 3.5 # 'soon' expires: on the master, and (skipped) on the way into a target
digest=$(ra_redis_digest "$M")

# --- restore --output: a file that loads to the digest, with the function; never overwritten without --force
out=$("$BIN" restore latest --output "$T/out/dump.rdb" 2>"$T/r1.err")
rc=$?
[ $rc = 2 ] && ra_ok "restore --output into a missing directory is refused (exit 2)" || ra_fail "restore --output into a missing directory is refused (exit 2)" "rc $rc"
mkdir -p "$T/out"
out=$("$BIN" restore latest --output "$T/out/dump.rdb" 2>"$T/r1.err")
rc=$?
ra_assert_eq "restore --output exits 0" 0 "$rc" || sed 's/^/#   /' "$T/r1.err"
case "$out" in "backup $id restored to $T/out/dump.rdb: "*) ra_ok "restore --output says what it wrote" ;; *) ra_fail "restore --output says what it wrote" "$out" ;; esac
P=$(ra__redis_launch fromfile "$T/out/dump.rdb") || ra_fail "the restored file loads"
ra_assert_eq "the restored file loads to the master's DEBUG DIGEST" "$digest" "$(ra_redis_digest "$P")"
case "$(cli -p "$P" function list)" in *mylib*) ra_ok "the restored file holds the function" ;; *) ra_fail "the restored file holds the function" ;; esac
ra_redis_stop "$P"
sum=$(sha256sum <"$T/out/dump.rdb")
"$BIN" restore "$id" --output "$T/out/dump.rdb" >/dev/null 2>"$T/r2.err"
rc=$?
if [ $rc = 2 ] && grep -q "exists: give --force" "$T/r2.err" && [ "$(sha256sum <"$T/out/dump.rdb")" = "$sum" ]; then
    ra_ok "restore --output refuses to overwrite without --force (exit 2)"
else
    ra_fail "restore --output refuses to overwrite without --force (exit 2)" "rc $rc: $(cat "$T/r2.err")"
fi
: >"$T/out/dump.rdb"
"$BIN" restore "$id" --output "$T/out/dump.rdb" --force >/dev/null 2>&1
ra_assert_eq "restore --output --force replaces it" "0 $sum" "$? $(sha256sum <"$T/out/dump.rdb")"

# --- restore --target: an empty standalone gets the same digest, TTLs and the function
E=$(ra_redis_start empty) || ra_fail "start target"
out=$("$BIN" restore latest --target "redis://127.0.0.1:$E" 2>"$T/t1.err")
rc=$?
ra_assert_eq "restore --target an empty server exits 0" 0 "$rc" || sed 's/^/#   /' "$T/t1.err"
ra_assert_eq "the target has the master's DEBUG DIGEST" "$digest" "$(ra_redis_digest "$E")"
case "$(cli -p "$E" function list)" in *mylib*) ra_ok "the target has the function" ;; *) ra_fail "the target has the function" ;; esac
pttl=$(cli -p "$E" pttl ttl:ms) ttl15=$(cli -p "$E" -n 15 ttl set:big)
if [ "$pttl" -gt 80000000 ] && [ "$pttl" -le 86400000 ] && [ "$ttl15" -gt 90000 ]; then ra_ok "TTLs survive the replay"
else ra_fail "TTLs survive the replay" "pttl $pttl, ttl $ttl15"; fi
case "$out" in *"$((keys - 1)) keys (db0 "*", db3 2, db15 2), 1 functions, 1 expired keys skipped, 0 errors"*) ra_ok "the summary counts keys per db, the function, the expired key" ;;
*) ra_fail "the summary counts keys per db, the function, the expired key" "$out" ;; esac

# --- a non-empty target is refused; --replace overwrites
"$BIN" restore latest --target "redis://127.0.0.1:$E" >/dev/null 2>"$T/t2.err"
rc=$?
if [ $rc = 2 ] && grep -q "holds $((keys - 1)) keys" "$T/t2.err"; then ra_ok "a non-empty target is refused (exit 2)"
else ra_fail "a non-empty target is refused (exit 2)" "rc $rc: $(cat "$T/t2.err")"; fi
cli -p "$E" set s:short changed >/dev/null
"$BIN" restore latest --target "redis://127.0.0.1:$E" --replace >/dev/null 2>"$T/t3.err"
ra_assert_eq "--replace restores over it" "0 $digest" "$? $(ra_redis_digest "$E")"

# --- a target older than the backup: a fake that says it is Redis 6.2 (rdb 9) and takes nothing else
fport=$(ra_free_port)
python3 - "$fport" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
while True:
    c, _ = s.accept(); c.settimeout(30)
    if not c.recv(65536):  # the harness' probe
        c.close(); continue
    info = b"# Server\r\nredis_version:6.2.14\r\n# Keyspace\r\n"
    c.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
    while c.recv(65536): pass
    break
PY
fake=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$fport") 2>/dev/null && break; sleep 0.1; done
"$BIN" restore latest --target "redis://127.0.0.1:$fport" >/dev/null 2>"$T/t4.err"
rc=$?
kill "$fake" 2>/dev/null; wait "$fake" 2>/dev/null
if [ $rc = 2 ] && grep -q "runs redis 6.2.14, which loads rdb version 9; backup '$id' is rdb version 10" "$T/t4.err"; then
    ra_ok "a target older than the backup is refused, naming both (exit 2)"
else
    ra_fail "a target older than the backup is refused, naming both (exit 2)" "rc $rc: $(cat "$T/t4.err")"
fi

# --- a tampered object: exit 5, no file at PATH, nothing left beside it; a target gets nothing damaged
key=$("$BIN" list --json 2>/dev/null | python3 -c 'import json,sys; print([r for r in json.load(sys.stdin) if r["id"]==sys.argv[1]][0]["key"])' "$id")
ra_aws s3 cp "s3://$BUCKET/$key" "$T/good.rdb" >/dev/null 2>&1
python3 - "$T/good.rdb" "$T/bad.rdb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[len(d) // 2] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
ra_aws s3 cp "$T/bad.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
mkdir -p "$T/bad"
"$BIN" restore latest --output "$T/bad/dump.rdb" >/dev/null 2>"$T/b1.err"
rc=$?
if [ $rc = 5 ] && grep -q "is damaged" "$T/b1.err" && [ -z "$(ls -A "$T/bad")" ]; then
    ra_ok "a tampered object fails restore --output with exit 5 and leaves no file"
else
    ra_fail "a tampered object fails restore --output with exit 5 and leaves no file" "rc $rc: $(cat "$T/b1.err"; ls -A "$T/bad")"
fi
head -c $(($(stat -c %s "$T/good.rdb") / 2)) "$T/good.rdb" >"$T/cut.rdb"
ra_aws s3 cp "$T/cut.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" restore latest --output "$T/bad/dump.rdb" >/dev/null 2>"$T/b2.err"
rc=$?
if [ $rc = 5 ] && [ -z "$(ls -A "$T/bad")" ]; then ra_ok "a cut object fails restore --output with exit 5 and leaves no file"
else ra_fail "a cut object fails restore --output with exit 5 and leaves no file" "rc $rc: $(cat "$T/b2.err")"; fi
ra_aws s3 cp "$T/good.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1

# --- a target with a password: from the URL, never shown; a wrong one is refused (exit 3)
W=$(ra_redis_start pwtarget) || ra_fail "start password target"
cli -p "$W" config set requirepass s3cretPW >/dev/null
"$BIN" restore latest --target "redis://:s3cretPW@127.0.0.1:$W" >"$T/pw.out" 2>"$T/pw.err"
rc=$?
if [ $rc = 0 ] && grep -q "carried a password" "$T/pw.err" && ! grep -q s3cretPW "$T/pw.out" "$T/pw.err"; then
    ra_ok "a target's password comes from its URL and is never shown"
else
    ra_fail "a target's password comes from its URL and is never shown" "rc $rc: $(cat "$T/pw.err")"
fi
"$BIN" restore latest --target "redis://:wrongPW@127.0.0.1:$W" --replace >/dev/null 2>"$T/pw2.err"
rc=$?
if [ $rc = 3 ] && grep -q "authentication failed" "$T/pw2.err" && ! grep -q wrongPW "$T/pw2.err"; then ra_ok "a wrong target password is refused (exit 3)"
else ra_fail "a wrong target password is refused (exit 3)" "rc $rc: $(cat "$T/pw2.err")"; fi
cli -p "$W" -a s3cretPW --no-auth-warning config set requirepass "" >/dev/null
ra_redis_stop "$W"

# --- into a cluster of three masters: each key to the master of its slot, same value and TTL
cli -p "$M" -n 3 flushdb >/dev/null
cli -p "$M" -n 15 flushdb >/dev/null
ra_redis_sync_replicas "$M" || ra_fail "replica caught up"
id2=$("$BIN" backup 2>"$T/backup2.err") || ra_fail "second backup" "$(cat "$T/backup2.err")"
C=()
for i in 1 2 3; do
    C+=("$(ra_redis_start "cnode$i" "cluster-enabled yes" "cluster-config-file nodes.conf" "cluster-node-timeout 5000")") || ra_fail "start cluster node $i"
done
redis-cli --cluster create "127.0.0.1:${C[0]}" "127.0.0.1:${C[1]}" "127.0.0.1:${C[2]}" --cluster-yes >"$T/cluster.log" 2>&1 || ra_fail "cluster create" "$(tail -5 "$T/cluster.log")"
for _ in $(seq 100); do
    ok=0
    for p in "${C[@]}"; do cli -p "$p" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    [ $ok = 3 ] && break
    sleep 0.2
done
out=$("$BIN" restore "$id2" --target "redis://127.0.0.1:${C[1]}" 2>"$T/c1.err")
rc=$?
ra_assert_eq "restore --target a cluster exits 0" 0 "$rc" || sed 's/^/#   /' "$T/c1.err"
bad=0 n=0
for k in $(cli -p "$M" --scan); do
    n=$((n + 1))
    a=$(cli -p "$M" debug digest-value "$k") b=
    for p in "${C[@]}"; do v=$(cli -p "$p" debug digest-value "$k"); [[ $v =~ [1-9a-f] ]] && b=$v; done # DEBUG is not routed
    ta=$(cli -p "$M" ttl "$k") tb=$(cli -c -p "${C[0]}" ttl "$k")
    if [ "$a" != "$b" ] || [ $((ta - tb)) -gt 5 ] || [ $((tb - ta)) -gt 5 ]; then bad=$((bad + 1)); echo "# $k: $a/$b ttl $ta/$tb"; fi
done
spread=0
for p in "${C[@]}"; do [ "$(cli -p "$p" dbsize)" -gt 0 ] && spread=$((spread + 1)); done
if [ $bad = 0 ] && [ $n -gt 15 ] && [ $spread = 3 ]; then ra_ok "every key equal (DEBUG DIGEST-VALUE) with its TTL in the cluster, spread over 3 masters"
else ra_fail "every key equal (DEBUG DIGEST-VALUE) with its TTL in the cluster, spread over 3 masters" "$bad of $n differ, $spread masters hold keys"; fi
fl=0
for p in "${C[@]}"; do cli -p "$p" function list | grep -q mylib && fl=$((fl + 1)); done
ra_assert_eq "every master of the cluster has the function" 3 "$fl"
"$BIN" restore "$id2" --target "redis://127.0.0.1:${C[2]}" >/dev/null 2>"$T/c2.err"
rc=$?
if [ $rc = 2 ] && grep -q "holds $n keys" "$T/c2.err"; then ra_ok "a non-empty cluster is refused (exit 2)"
else ra_fail "a non-empty cluster is refused (exit 2)" "rc $rc: $(cat "$T/c2.err")"; fi
for p in "${C[@]}"; do ra_redis_stop "$p"; done

# --- MOVED and ASK: a fake node that holds every slot on paper redirects each key to a real server
B=$(ra_redis_start redirected) || ra_fail "start redirect target"
digest2=$(ra_redis_digest "$M")
for mode in moved ask; do
    cli -p "$B" flushall >/dev/null
    fport=$(ra_free_port)
    python3 "$RA_ROOT/tests/helpers/fakecluster.py" "$fport" "$mode" "127.0.0.1:$B" &
    fake=$!
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$fport") 2>/dev/null && break; sleep 0.1; done
    "$BIN" restore "$id2" --target "redis://127.0.0.1:$fport" >/dev/null 2>"$T/$mode.err"
    rc=$?
    kill "$fake" 2>/dev/null
    wait "$fake" 2>/dev/null
    if [ $rc = 0 ] && [ "$(ra_redis_digest "$B")" = "$digest2" ]; then ra_ok "every key answered ${mode^^} lands where it points"
    else ra_fail "every key answered ${mode^^} lands where it points" "rc $rc: $(cat "$T/$mode.err")"; fi
done
ra_redis_stop "$B"

ra_redis_stop "$E"
ra_done
