#!/usr/bin/env bash
# restore_cluster.sh: restoring a cluster backup, against real servers. A 3 masters + 3 replicas cluster
# (tests/harness/cluster.sh) with keys of every type, TTLs and a function is backed up; `restore --output DIR`
# writes one file per shard and cluster.json (shard, slots, master, keys, size, CRC-64), each file loading into a
# fresh redis-server to its master's DEBUG DIGEST; a file is refused as DIR, a non-empty DIR without --force; a
# zstd cluster backup restores alike; a tampered shard fails with exit 5 and leaves nothing; `restore --target`
# replays every shard into a standalone (all keys in db 0) and into an empty cluster of two masters, every key
# equal (DEBUG DIGEST-VALUE) with its TTL.
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$RA_HARNESS/cluster.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-rcluster
BUCKET=it-rcluster-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

ra_cluster_start 3 || { ra_fail "cluster starts"; exit 1; }
read -r -a M <<<"$RA_TEST_CLUSTER_MASTERS"
ra_cluster_fill 3000 rc: || { ra_fail "cluster fill"; exit 1; }
for p in "${M[@]}"; do
    cli -p "$p" function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return args[1] end)" >/dev/null
    ra_redis_sync_replicas "$p" || ra_fail "replica of $p caught up"
done
for i in 0 1 2; do D[$i]=$(ra_redis_digest "${M[$i]}"); done
nkeys=0
for p in "${M[@]}"; do nkeys=$((nkeys + $(cli -p "$p" dbsize))); done
ttls=0
for p in "${M[@]}"; do
    ttls=$((ttls + $(cli -p "$p" --scan | sed 's/^/PTTL /' | cli -p "$p" | awk '$1 > 0' | wc -l)))
done

id=$("$BIN" backup --source "redis://127.0.0.1:${M[0]}" 2>"$T/b.err")
ra_assert_eq "the cluster backup exits 0" 0 "$?" || sed 's/^/#   /' "$T/b.err" | tail -20
if [ "$ttls" -gt 0 ] && [ "$nkeys" -gt 2000 ]; then ra_ok "the cluster holds $nkeys keys, $ttls with a TTL"
else ra_fail "the cluster holds keys with TTLs" "$nkeys keys, $ttls with a TTL"; fi

# ---- --output DIR: a file per shard and cluster.json
out=$("$BIN" restore latest --output "$T/dir" 2>"$T/o1.err")
rc=$?
ra_assert_eq "restore --output DIR of a cluster backup exits 0" 0 "$rc" || sed 's/^/#   /' "$T/o1.err"
case "$out" in "backup $id restored to $T/dir: 3 shards, "*"$nkeys keys"*) ra_ok "the summary counts shards and keys" ;;
*) ra_fail "the summary counts shards and keys" "$out" ;; esac
ra_assert_eq "DIR holds three shard files and cluster.json" "cluster.json shard-0.rdb shard-1.rdb shard-2.rdb" \
    "$(ls "$T/dir" | sort | tr '\n' ' ' | sed 's/ $//')"
ra_assert_eq "nothing is left beside DIR" "" "$(ls -A "$T" | grep '^\.dir\.restore' || true)"
check=$(python3 - "$T/dir" "$id" "${M[*]}" <<'PY'
import json, os, sys, zlib
d, bid, masters = sys.argv[1], sys.argv[2], sys.argv[3].split()
m = json.load(open(os.path.join(d, "cluster.json")))
assert m["id"] == bid, m["id"]
s = m["shards"]
assert [x["slots"] for x in s] == ["0-5460", "5461-10922", "10923-16383"], [x["slots"] for x in s]
for i, x in enumerate(s):
    assert x["shard"] == i and x["file"] == "shard-%d.rdb" % i, x
    assert x["master"] == "127.0.0.1:" + masters[i] and len(x["master_id"]) == 40, x
    f = open(os.path.join(d, x["file"]), "rb").read()
    assert x["size"] == len(f) and len(x["crc64"]) == 16 and x["keys"] > 0, x
    assert f[-8:] == bytes.fromhex(x["crc64"])[::-1], (x["crc64"], f[-8:].hex())  # the RDB's own trailer
assert m["keys"] == sum(x["keys"] for x in s)
print("ok", m["keys"])
PY
)
ra_assert_eq "cluster.json gives each file's shard, slots, master, keys, size and CRC-64" "ok $nkeys" "$check"
for i in 0 1 2; do
    P=$(ra__redis_launch "shard$i" "$T/dir/shard-$i.rdb") || ra_fail "shard $i's file loads"
    ra_assert_eq "shard $i's file loads to its master's DEBUG DIGEST" "${D[$i]}" "$(ra_redis_digest "$P")"
    ra_redis_stop "$P"
done

"$BIN" restore latest --output "$T/dir" >/dev/null 2>"$T/o2.err"
rc=$?
if [ $rc = 2 ] && grep -q "is not empty" "$T/o2.err"; then ra_ok "a non-empty DIR is refused without --force (exit 2)"
else ra_fail "a non-empty DIR is refused without --force (exit 2)" "rc $rc: $(cat "$T/o2.err")"; fi
cp "$T/dir/shard-1.rdb" "$T/shard1.copy"
: >"$T/dir/shard-1.rdb"
echo keep >"$T/dir/other"
"$BIN" restore latest --output "$T/dir" --force >/dev/null 2>"$T/o3.err"
rc=$?
if [ $rc = 0 ] && cmp -s "$T/dir/shard-1.rdb" "$T/shard1.copy" &&
    [ "$(cat "$T/dir/other")" = keep ]; then ra_ok "--force replaces the files of the same names, leaves others"
else ra_fail "--force replaces the files of the same names, leaves others" "rc $rc: $(cat "$T/o3.err")"; fi
mkdir -p "$T/empty"
"$BIN" restore latest --output "$T/empty" >/dev/null 2>"$T/o4.err"
ra_assert_eq "an empty DIR is filled" "0 4" "$? $(ls "$T/empty" | wc -l)"
: >"$T/afile"
"$BIN" restore latest --output "$T/afile" >/dev/null 2>"$T/o5.err"
rc=$?
if [ $rc = 2 ] && grep -q "restores into a directory" "$T/o5.err"; then ra_ok "a file as DIR is refused (exit 2)"
else ra_fail "a file as DIR is refused (exit 2)" "rc $rc: $(cat "$T/o5.err")"; fi

# ---- a zstd cluster backup: each shard decompressed on the way; --json counts the shards
zid=$("$BIN" backup --source "redis://127.0.0.1:${M[0]}" --compression zstd 2>"$T/z.err") ||
    ra_fail "zstd backup" "$(tail -3 "$T/z.err")"
out=$("$BIN" restore "$zid" --output "$T/zdir" --json 2>"$T/z1.err")
check=$(python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["shards"], j["keys"])' <<<"$out" 2>&1)
ra_assert_eq "a zstd cluster backup restores to a directory, --json with shards and keys" "3 $nkeys" "$check"
P=$(ra__redis_launch zshard1 "$T/zdir/shard-1.rdb") || ra_fail "the zstd shard's file loads"
ra_assert_eq "the zstd backup's shard 1 loads to its master's DEBUG DIGEST" "${D[1]}" "$(ra_redis_digest "$P")"
ra_redis_stop "$P"

# ---- a tampered shard: exit 5, nothing at DIR, nothing beside it
key=$("$BIN" list --json 2>/dev/null | python3 -c '
import json, sys
print([r for r in json.load(sys.stdin) if r["id"] == sys.argv[1]][0]["shards"][2]["key"])' "$id")
ra_aws s3 cp "s3://$BUCKET/$key" "$T/good.rdb" >/dev/null 2>&1
python3 - "$T/good.rdb" "$T/bad.rdb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[len(d) // 2] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
ra_aws s3 cp "$T/bad.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
mkdir -p "$T/bad"
"$BIN" restore "$id" --output "$T/bad/dir" >/dev/null 2>"$T/t1.err"
rc=$?
if [ $rc = 5 ] && grep -q "shard 2: .*is damaged" "$T/t1.err" && [ -z "$(ls -A "$T/bad")" ]; then
    ra_ok "a tampered shard fails with exit 5 and leaves nothing"
else
    ra_fail "a tampered shard fails with exit 5 and leaves nothing" "rc $rc: $(cat "$T/t1.err"; ls -A "$T/bad")"
fi
ra_aws s3 cp "$T/good.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1

# ---- a shard whose record counts other keys than its object holds: exit 5, nothing at DIR
rkey="${key%/*}.json"
ra_aws s3 cp "s3://$BUCKET/$rkey" "$T/good.json" >/dev/null 2>&1
python3 - "$T/good.json" "$T/bad.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["shards"][2]["keys"]["total"] += 1
json.dump(r, open(sys.argv[2], "w"))
PY
ra_aws s3 cp "$T/bad.json" "s3://$BUCKET/$rkey" >/dev/null 2>&1
mkdir -p "$T/badk"
"$BIN" restore "$id" --output "$T/badk/dir" >/dev/null 2>"$T/t2.err"
rc=$?
if [ $rc = 5 ] && grep -q "shard 2: .*keys, its record says" "$T/t2.err" && [ -z "$(ls -A "$T/badk")" ]; then
    ra_ok "a shard with a wrong key count in its record fails with exit 5"
else
    ra_fail "a shard with a wrong key count in its record fails with exit 5" "rc $rc: $(cat "$T/t2.err"; ls -A "$T/badk")"
fi
ra_aws s3 cp "$T/good.json" "s3://$BUCKET/$rkey" >/dev/null 2>&1

# same PORT...: every key of the source cluster equal (DEBUG DIGEST-VALUE, which is not routed: asked of every node
# given) and its TTL within 5 s; "BAD of N"
same() {
    python3 - "${M[*]}" "$*" <<'PY'
import subprocess, sys
def cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", port, *args], input=stdin, capture_output=True,
                          text=True, check=True).stdout.split("\n")[:-1]
src, dst = sys.argv[1].split(), sys.argv[2].split()
bad = n = 0
for p in src:
    keys = cli(p, "--scan")
    if not keys:
        continue
    ttl_cmds = "".join("TTL %s\n" % k for k in keys)
    a, ta = cli(p, "debug", "digest-value", *keys), cli(p, stdin=ttl_cmds)
    b, tb = ["0" * 40] * len(keys), [-2] * len(keys)
    for q in dst:
        d = cli(q, "debug", "digest-value", *keys)
        here = [i for i in range(len(keys)) if d[i].strip("0")]  # TTL of a key of another node's slot is MOVED
        t = cli(q, stdin="".join("TTL %s\n" % keys[i] for i in here)) if here else []
        for j, i in enumerate(here):
            b[i], tb[i] = d[i], int(t[j])
    for i, k in enumerate(keys):
        n += 1
        if a[i] != b[i] or abs(int(ta[i]) - tb[i]) > 5:
            bad += 1
            if bad <= 5:
                print("# %s: %s/%s ttl %s/%s" % (k, a[i], b[i], ta[i], tb[i]), file=sys.stderr)
print("%d of %d" % (bad, n))
PY
}

# ---- --target a standalone: every shard, all in db 0
S=$(ra_redis_start standalone) || ra_fail "start standalone"
out=$("$BIN" restore "$id" --target "redis://127.0.0.1:$S" 2>"$T/s1.err")
rc=$?
ra_assert_eq "restore --target a standalone exits 0" 0 "$rc" || sed 's/^/#   /' "$T/s1.err"
ra_assert_eq "the standalone holds every key in db 0" "$nkeys" "$(cli -p "$S" dbsize)"
ra_assert_eq "every key equal with its TTL in the standalone" "0 of $nkeys" "$(same "$S")"
case "$(cli -p "$S" function list)" in
*mylib*) ra_ok "the standalone has the function" ;;
*) ra_fail "the standalone has the function" ;;
esac
case "$out" in
*"3 shards, $nkeys keys (db0 $nkeys), 1 functions,"*) ra_ok "the summary counts shards, keys and one function" ;;
*) ra_fail "the summary counts shards, keys and one function" "$out" ;; esac
ra_redis_stop "$S"

# ---- --target an empty cluster of two masters (made by hand: redis-cli --cluster create wants three): routed by slot
read -r -a N <<<"$(ra_cluster_manual two 2)"
ra_assert_eq "the two-master cluster is ok" 2 "${#N[@]}"
out=$("$BIN" restore "$id" --target "redis://127.0.0.1:${N[1]}" 2>"$T/c1.err")
rc=$?
ra_assert_eq "restore --target a cluster of two masters exits 0" 0 "$rc" || sed 's/^/#   /' "$T/c1.err"
ra_assert_eq "every key equal with its TTL in the two-master cluster" "0 of $nkeys" "$(same "${N[@]}")"
held=0
for q in "${N[@]}"; do [ "$(cli -p "$q" dbsize)" -gt 0 ] && held=$((held + 1)); done
ra_assert_eq "both masters hold keys" 2 "$held"
fl=0
for q in "${N[@]}"; do cli -p "$q" function list | grep -q mylib && fl=$((fl + 1)); done
ra_assert_eq "both masters have the function" 2 "$fl"

ra_done
