#!/usr/bin/env bash
# cluster.sh: a Redis Cluster backed up whole, against a real 3 masters + 3 replicas cluster on 127.0.0.1
# (tests/harness/cluster.sh) and Ceph RGW. A backup through any node's address takes every shard from its
# replica, all at once, and each shard's RDB restores to its master's DEBUG DIGEST; url --json gives one link
# per shard that curl downloads; verify checks every shard; a migrating slot refuses (exit 3) naming it, and
# allow-migrating records it; killing one shard's replica mid-stream fails the whole backup with no object and
# no open upload left; a shard whose replica is down refuses naming it, and allow-master takes its master.
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$RA_HARNESS/cluster.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-cluster REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-cluster-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

ra_cluster_start 3 || { ra_fail "cluster starts"; exit 1; }
read -r -a M <<<"$RA_TEST_CLUSTER_MASTERS"
read -r -a R <<<"$RA_TEST_CLUSTER_REPLICAS"
ra_cluster_fill 6000 cl: || { ra_fail "cluster fill"; exit 1; }
for i in 0 1 2; do D[$i]=$(ra_redis_digest "${M[$i]}"); done
rcli() { redis-cli -h 127.0.0.1 "$@"; }

# objects PREFIX: the keys under the instance's folder that contain PREFIX
objects() { ra_aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "redis-archiver/it-cluster/$1" \
    --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n' | grep -v '^None$' | grep -v '^$'; }
uploads() { ra_aws s3api list-multipart-uploads --bucket "$BUCKET" --query 'Uploads[].Key' --output text \
    2>/dev/null | tr '\t' '\n' | grep -v '^None$' | grep -v '^$'; }

# ---- a backup through a master's address takes every shard from its replica
id=$("$BIN" backup --source "redis://127.0.0.1:${M[1]}" --json 2>"$T/b1.err" >"$T/b1.json"; echo "rc=$?")
rc=${id##*rc=}
ra_assert_eq "backup through a master's address exits 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/b1.err" | tail -20
check=$(python3 - "$T/b1.json" "${R[*]}" "${M[*]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
reps, masters = sys.argv[2].split(), sys.argv[3].split()
assert r["status"] == "succeeded", r["status"]
s = r["shards"]
assert len(s) == 3, len(s)
for i, sh in enumerate(s):
    assert sh["node"] == "127.0.0.1:" + reps[i], (i, sh["node"], reps)
    assert sh["master"] == "127.0.0.1:" + masters[i], (i, sh["master"])
    assert len(sh["node_id"]) == 40 and len(sh["master_id"]) == 40
    assert sh["size"] > 0 and len(sh["crc64"]) == 16 and sh["replid"] and sh["offset"] >= 0
    assert sh["key"].endswith("/%s/shard-%d.rdb" % (r["id"], i)), sh["key"]
assert [x["slots"] for x in s] == ["0-5460", "5461-10922", "10923-16383"], [x["slots"] for x in s]
assert r["skew"] >= 0 and r["size"] == sum(x["size"] for x in s)
print("ok " + r["id"])
PY
)
ra_assert_eq "every shard from its replica, slots and nodes recorded" "ok" "${check%% *}"
ID=${check#ok }
[ "${check%% *}" = ok ] || echo "# $check"

for i in 0 1 2; do
    key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"][int(sys.argv[2])]["key"])' "$T/b1.json" $i)
    ra_aws s3 cp "s3://$BUCKET/$key" "$T/shard-$i.rdb" >/dev/null 2>&1
    ra_assert_eq "shard $i restores to its master's digest" "${D[$i]}" "$(ra_redis_restore_digest "$T/shard-$i.rdb")"
done

# ---- each shard's key counts (the structural reader, as a standalone backup) equal its master's DBSIZE; the
# backup's are their sum, which list shows in KEYS
for i in 0 1 2; do DBS[$i]=$(rcli -p "${M[$i]}" dbsize); done
kcheck=$(python3 - "$T/b1.json" "${DBS[*]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = [int(x) for x in sys.argv[2].split()]
got = [(sh.get("keys") or {}).get("total") for sh in r["shards"]]
assert got == want, ("per shard", got, "dbsize", want)
for sh in r["shards"]:
    k = sh["keys"]
    assert sum(d["keys"] for d in k["dbs"]) == k["total"], k
    assert sum(k["types"].values()) == k["total"], k
k = r["keys"]
assert k["total"] == sum(want), k
assert k["expires"] == sum(sh["keys"]["expires"] for sh in r["shards"]), k
for t in k["types"]:
    assert k["types"][t] == sum(sh["keys"]["types"][t] for sh in r["shards"]), t
print("ok %d" % k["total"])
PY
)
ra_assert_eq "each shard's key counts equal its master's DBSIZE, the backup's are the sum" ok "${kcheck%% *}"
[ "${kcheck%% *}" = ok ] || echo "# $kcheck"
"$BIN" list >"$T/klist.txt" 2>/dev/null
if grep "$ID" "$T/klist.txt" | grep -qw -- "$((DBS[0] + DBS[1] + DBS[2]))"; then ra_ok "list shows the cluster backup's key total"
else ra_fail "list shows the cluster backup's key total" "$(head -3 "$T/klist.txt")"; fi

# ---- on a terminal (tmux, 60 and 160 columns): one progress line with each shard's share, cleared before
# every log line; every frame fits; what stays on the screen is the log lines whole and one final line
if command -v tmux >/dev/null; then
    SOCK=$T/tmux.sock
    ra_on_exit() { tmux -S "$SOCK" kill-server 2>/dev/null; return 0; }
    for i in 0 1 2; do rcli -p "${R[$i]}" config set rdb-key-save-delay 400 >/dev/null; done
    for w in 60 160; do
        rm -f "$T/typescript"
        tmux -S "$SOCK" kill-server 2>/dev/null
        tmux -S "$SOCK" -f /dev/null new-session -d -x "$w" -y 50 -s p \
            "script -q -e -c 'REDIS_ARCHIVER_LOG_FORMAT=text $BIN backup --source redis://127.0.0.1:${M[0]}' $T/typescript; \
             echo __END__; sleep 60"
        for ((i = 0; i < 600; i++)); do
            tmux -S "$SOCK" capture-pane -p -J -t p >"$T/screen" 2>/dev/null
            grep -q '^__END__' "$T/screen" && break
            sleep 0.1
        done
        tmux -S "$SOCK" kill-server 2>/dev/null
        out=$(python3 - "$w" "$T/screen" "$T/typescript" <<'PY'
import re, sys
width = int(sys.argv[1])
lines = [l.rstrip() for l in open(sys.argv[2]) if l.strip()]
raw = open(sys.argv[3], "rb").read().decode()
frames = [f.replace("\x1b[K", "") for f in re.split(r"[\r\n]+", raw)]
frames = [f for f in frames if f and not f.startswith("redis-archiver:") and not f.startswith("Script ")
          and not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}", f)]
wide = [f for f in frames if len(f) > width - 1]
detail = [f for f in frames if re.search(r"  shards [0-9.]+[KMGB]+ [0-9.]+[KMGB]+ [0-9.]+[KMGB]+$", f)
          or re.search(r"  shards [0-9]+/[0-9]+/[0-9]+%$", f)]
final = r"[0-9.]+ [KMG]?i?B  rate [0-9.]+ [KMG]?i?B/s  in [0-9.]+ s  3 shards(  \(\+[0-9.]+ s replica saving\))?"
other = [l for l in lines if not l.startswith("redis-archiver: ") and l != "__END__"
         and not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}", l)]
assert not wide, ("too wide", wide[:3])
assert detail, ("no frame with each shard", frames[:10])
assert len(other) == 1 and re.fullmatch(final, other[0]), ("screen", lines)
assert sum(1 for l in lines if "streaming" in l) == 3, ("shard log lines", lines)
print("ok")
PY
)
        if [ "$out" = ok ]; then ra_ok "cluster progress on a $w-column terminal: each shard's share, log lines whole"
        else ra_fail "cluster progress on a $w-column terminal: each shard's share, log lines whole" "$out"; fi
    done
    for i in 0 1 2; do rcli -p "${R[$i]}" config set rdb-key-save-delay 0 >/dev/null; done
else
    ra_skip "cluster progress on a terminal" "tmux is not installed"
fi

# ---- through a replica's address, and a list of seeds whose first is down
dead=$(ra_free_port)
"$BIN" backup --source "redis://127.0.0.1:$dead,127.0.0.1:${R[2]}" >"$T/b2.out" 2>"$T/b2.err"
rc=$?
ra_assert_eq "backup through seeds (first down, then a replica) exits 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/b2.err" | tail -5

# ---- list shows the shard count
"$BIN" list --json >"$T/list.json" 2>/dev/null
n=$(python3 -c 'import json,sys; print([len(r.get("shards") or []) for r in json.load(open(sys.argv[1])) if r["id"]==sys.argv[2]][0])' "$T/list.json" "$ID")
ra_assert_eq "list --json has the shards" 3 "$n"

"$BIN" list >"$T/list.txt" 2>/dev/null
if grep "$ID" "$T/list.txt" | grep -q '\[3 shards\]'; then ra_ok "list shows the shard count"
else ra_fail "list shows the shard count" "$(cat "$T/list.txt")"; fi

"$BIN" status "$ID" >"$T/status.txt" 2>/dev/null
if [ "$(grep -c '^  shard [0-2] ' "$T/status.txt")" = 3 ] && grep -q "shard 1 .*5461-10922 .*from 127.0.0.1:${R[1]}" "$T/status.txt"
then ra_ok "status shows each shard"; else ra_fail "status shows each shard" "$(cat "$T/status.txt")"; fi

# ---- url: one line per shard; --json an array whose links curl downloads; --shard N one link
"$BIN" url "$ID" >"$T/url.txt" 2>"$T/url.err"
rc=$?
lines=$(awk '$1 ~ /^[0-2]$/ && $3 ~ /^http/' "$T/url.txt" | wc -l)
if [ $rc = 0 ] && [ "$lines" = 3 ] && grep -q '^1 5461-10922 http' "$T/url.txt"; then ra_ok "url prints one line per shard"
else ra_fail "url prints one line per shard" "rc=$rc $(cat "$T/url.txt" "$T/url.err" | head -5)"; fi
"$BIN" url "$ID" --json >"$T/url.json" 2>"$T/url.err"
ok=1
for i in 0 1 2; do
    u=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a[int(sys.argv[2])]["shard"]==int(sys.argv[2]); print(a[int(sys.argv[2])]["url"])' "$T/url.json" $i) || ok=0
    curl -sf -o "$T/curl-$i.rdb" "$u" || ok=0
    cmp -s "$T/curl-$i.rdb" "$T/shard-$i.rdb" || ok=0
done
if [ $ok = 1 ]; then ra_ok "url --json gives per-shard links that curl downloads"
else ra_fail "url --json gives per-shard links that curl downloads" "$(head -c 600 "$T/url.json")"; fi
u=$("$BIN" url "$ID" --shard 2 2>/dev/null)
curl -sf -o "$T/curl-s2.rdb" "$u" && cmp -s "$T/curl-s2.rdb" "$T/shard-2.rdb"
ra_assert_eq "url --shard 2 prints that shard's link" 0 "$?"

# ---- verify checks every shard; a damaged shard fails it (exit 5) naming the shard
"$BIN" verify "$ID" >"$T/verify.txt" 2>"$T/verify.err"
rc=$?
if [ $rc = 0 ] && [ "$(grep -c "verified" "$T/verify.txt")" = 3 ]; then ra_ok "verify checks every shard"
else ra_fail "verify checks every shard" "rc=$rc $(cat "$T/verify.txt" "$T/verify.err" | tail -3)"; fi
rkey="redis-archiver/it-cluster/$ID.json"
ra_aws s3 cp "s3://$BUCKET/$rkey" "$T/rec-good.json" >/dev/null 2>&1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["shards"][0]["keys"]["total"] += 1
json.dump(r, open(sys.argv[2], "w"))' "$T/rec-good.json" "$T/rec-bad.json"
ra_aws s3 cp "$T/rec-bad.json" "s3://$BUCKET/$rkey" >/dev/null 2>&1
"$BIN" verify "$ID" >/dev/null 2>"$T/verify3.err"
rc=$?
if [ $rc = 5 ] && grep -q 'shard 0 (slots 0-5460).*keys, its record says' "$T/verify3.err"; then
    ra_ok "verify fails a shard whose record counts other keys (exit 5), naming it"
else ra_fail "verify fails a shard whose record counts other keys (exit 5), naming it" "rc=$rc $(tail -2 "$T/verify3.err")"; fi
ra_aws s3 cp "$T/rec-good.json" "s3://$BUCKET/$rkey" >/dev/null 2>&1
head -c 100000 "$T/shard-1.rdb" >"$T/cut.rdb"
k1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"][1]["key"])' "$T/b1.json")
ra_aws s3 cp "$T/cut.rdb" "s3://$BUCKET/$k1" >/dev/null 2>&1
"$BIN" verify "$ID" >/dev/null 2>"$T/verify2.err"
rc=$?
if [ $rc = 5 ] && grep -q 'shard 1 (slots 5461-10922)' "$T/verify2.err"; then ra_ok "verify fails a damaged shard (exit 5), naming it"
else ra_fail "verify fails a damaged shard (exit 5), naming it" "rc=$rc $(tail -2 "$T/verify2.err")"; fi

export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:${M[0]}

# ---- the instance's lock object, one for the whole cluster: two backups at once, one refused (exit 7, as a
# standalone backup), the other succeeds; the lock is gone after
LOCK=redis-archiver/it-cluster/.lock
rcli -p "${R[0]}" config set rdb-key-save-delay 1500 >/dev/null
"$BIN" backup >"$T/two1.out" 2>"$T/two1.err" &
p1=$!
"$BIN" backup >"$T/two2.out" 2>"$T/two2.err" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
rcli -p "${R[0]}" config set rdb-key-save-delay 0 >/dev/null
both=$(printf '%s\n' $r1 $r2 | sort | tr '\n' ' ')
if [ "$both" = "0 7 " ] && grep -Eq "lock|already running" "$T/two$([ $r1 = 7 ] && echo 1 || echo 2).err"; then
    ra_ok "two cluster backups at once: one refused by the lock (exit 7), the other succeeds"
else
    ra_fail "two cluster backups at once: one refused by the lock (exit 7), the other succeeds" "rc=$r1,$r2" \
        "$(tail -2 "$T/two1.err" "$T/two2.err")"
fi
ra_assert_eq "the lock is released after the run" "" "$(objects .lock)"

# ---- off a terminal, progress events every progress-interval, for the backup and each shard (JSON fields)
rcli -p "${R[1]}" config set rdb-key-save-delay 2000 >/dev/null
REDIS_ARCHIVER_PROGRESS_INTERVAL=1 "$BIN" backup >"$T/pi.out" 2>"$T/pi.err"
rc=$?
rcli -p "${R[1]}" config set rdb-key-save-delay 0 >/dev/null
pcheck=$(python3 - "$T/pi.err" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ev = [e for e in ev if e.get("event") == "backup.progress"]
whole = [e for e in ev if "shard" not in e]
shard1 = [e for e in ev if e.get("shard") == 1]
for e in ev:
    assert e["instance"] == "it-cluster" and e["id"] and e["seconds"] > 0 and "bytes" in e and "rate" in e, e
assert len(whole) >= 2 and len(shard1) >= 2, (len(whole), len(shard1))
assert all(e["shards"] == 3 for e in whole), whole[0]
assert shard1[-1]["bytes"] > shard1[0]["bytes"], shard1
print("ok %d" % len(ev))
PY
)
if [ $rc = 0 ] && [ "${pcheck%% *}" = ok ]; then ra_ok "progress-interval: >= 2 progress events for the backup and per shard"
else ra_fail "progress-interval: >= 2 progress events for the backup and per shard" "rc=$rc $pcheck" "$(tail -3 "$T/pi.err")"; fi
REDIS_ARCHIVER_PROGRESS_INTERVAL=0 "$BIN" backup >/dev/null 2>"$T/pi0.err"
ra_assert_eq "progress-interval 0: no progress event" 0 "$(grep -c '"backup.progress"' "$T/pi0.err")"

# ---- a lost lock (another run took it mid-stream) fails the run with exit 7 and aborts every shard
rcli -p "${R[2]}" config set rdb-key-save-delay 3000 >/dev/null
"$BIN" backup --json >"$T/lost.json" 2>"$T/lost.err" &
bpid=$!
for ((i = 0; i < 100; i++)); do
    grep -q "shard 2 .*streaming" "$T/lost.err" 2>/dev/null && break
    sleep 0.1
done
echo '{"id":"20260101T000000Z-beef"}' | ra_aws s3 cp - "s3://$BUCKET/$LOCK" >/dev/null 2>&1
wait $bpid
rc=$?
rcli -p "${R[2]}" config set rdb-key-save-delay 0 >/dev/null
lid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/lost.json" 2>/dev/null)
lstate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/lost.json" 2>/dev/null)
if [ $rc = 7 ] && [ "$lstate" = failed ] && grep -q "lost the lock" "$T/lost.err" && [ -n "$lid" ] &&
    [ -z "$(objects "$lid/")" ] && [ -z "$(uploads | grep "$lid" || true)" ]; then
    ra_ok "a lost lock: exit 7, recorded failed, every shard aborted, nothing left"
else
    ra_fail "a lost lock: exit 7, recorded failed, every shard aborted, nothing left" "rc=$rc state=$lstate" \
        "$(tail -3 "$T/lost.err")"
fi
ra_aws s3 rm "s3://$BUCKET/$LOCK" >/dev/null 2>&1

# ---- a sealed format keeps its suffix per shard; verify undoes it shard by shard
zid=$("$BIN" backup --compression zstd 2>"$T/z.err")
rc=$?
zkeys=$(objects "$zid/" | sed 's|.*/||' | sort | tr '\n' ' ')
"$BIN" verify "$zid" >"$T/zv.txt" 2>"$T/zv.err"
vrc=$?
if [ $rc = 0 ] && [ "$zkeys" = "shard-0.rdb.zst shard-1.rdb.zst shard-2.rdb.zst " ] && [ $vrc = 0 ] &&
    [ "$(grep -c 'stored as rdb.zst' "$T/zv.txt")" = 3 ]; then
    ra_ok "a zstd cluster backup: shard-N.rdb.zst objects that verify"
else
    ra_fail "a zstd cluster backup: shard-N.rdb.zst objects that verify" "rc=$rc keys='$zkeys' vrc=$vrc" \
        "$(tail -2 "$T/z.err" "$T/zv.err")"
fi

# ---- a migrating slot refuses, naming it; allow-migrating records it
id0=$(rcli -p "${M[0]}" cluster myid)
id1=$(rcli -p "${M[1]}" cluster myid)
rcli -p "${M[0]}" cluster setslot 100 migrating "$id1" >/dev/null
rcli -p "${M[1]}" cluster setslot 100 importing "$id0" >/dev/null
"$BIN" backup >"$T/mig.out" 2>"$T/mig.err"
rc=$?
ra_assert_eq "a migrating slot refuses the backup (exit 3)" 3 "$rc"
if grep -q 'slot 100 migrating' "$T/mig.err" && grep -q 'slot 100 importing' "$T/mig.err"; then
    ra_ok "the refusal names the migrating slot"
else
    ra_fail "the refusal names the migrating slot" "$(tail -3 "$T/mig.err")"
fi
"$BIN" backup --allow-migrating yes --json >"$T/mig2.json" 2>"$T/mig2.err"
rc=$?
moving=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("moving") or "")' "$T/mig2.json" 2>/dev/null)
if [ $rc = 0 ] && [[ $moving == *"slot 100"* ]]; then ra_ok "allow-migrating backs up and records the slot"
else ra_fail "allow-migrating backs up and records the slot" "rc=$rc moving='$moving' $(tail -3 "$T/mig2.err")"; fi
rcli -p "${M[0]}" cluster setslot 100 stable >/dev/null
rcli -p "${M[1]}" cluster setslot 100 stable >/dev/null

# ---- SIGTERM mid-stream cancels every shard: exit 8, recorded as cancelled, nothing left
rcli -p "${R[2]}" config set rdb-key-save-delay 2000 >/dev/null
"$BIN" backup --json >"$T/term.json" 2>"$T/term.err" &
bpid=$!
for ((i = 0; i < 100; i++)); do
    grep -q "shard 2 .*streaming" "$T/term.err" 2>/dev/null && break
    sleep 0.1
done
sleep 0.3
kill -TERM $bpid
wait $bpid
rc=$?
rcli -p "${R[2]}" config set rdb-key-save-delay 0 >/dev/null
tid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/term.json" 2>/dev/null)
tstate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/term.json" 2>/dev/null)
if [ $rc = 8 ] && [ "$tstate" = cancelled ] && [ -n "$tid" ] && [ -z "$(objects "$tid/")" ] &&
    [ -z "$(uploads | grep "$tid" || true)" ]; then
    ra_ok "SIGTERM cancels every shard (exit 8), nothing left"
else
    ra_fail "SIGTERM cancels every shard (exit 8), nothing left" "rc=$rc state=$tstate $(tail -2 "$T/term.err")"
fi

# ---- killing one shard's replica mid-stream fails the whole backup, nothing left
# the replica of shard 1 saves slowly (2 ms a key) so the kill lands while it streams
rcli -p "${R[1]}" config set rdb-key-save-delay 2000 >/dev/null
before=$(objects "" | sort)
"$BIN" backup --json >"$T/kill.json" 2>"$T/kill.err" &
bpid=$!
for ((i = 0; i < 100; i++)); do
    grep -q "shard 1 .*streaming" "$T/kill.err" 2>/dev/null && break
    sleep 0.1
done
sleep 0.5
# SIGKILL: on SIGTERM Redis 7 waits up to shutdown-timeout for its replicas, which counts us
kpid=$(ra__pidfile_pid "$(ra_redis_pidfile "${R[1]}")")
[ -n "$kpid" ] && kill -KILL "$kpid"
wait $bpid
rc=$?
if [ $rc != 0 ]; then ra_ok "killing one shard's replica fails the backup (exit $rc)"
else ra_fail "killing one shard's replica fails the backup" "$(tail -3 "$T/kill.err")"; fi
kid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/kill.json" 2>/dev/null)
kstate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/kill.json" 2>/dev/null)
ra_assert_eq "the killed backup is recorded as failed" failed "$kstate"
left=$(objects "$kid/")
ra_assert_eq "no shard object of the failed backup remains" "" "$left"
ra_assert_eq "no multipart upload is left open" "" "$(uploads | grep "$kid" || true)"

# ---- a shard whose replica is down refuses, naming it; allow-master takes its master
for ((i = 0; i < 100; i++)); do
    rcli -p "${M[0]}" cluster nodes | grep -q "127.0.0.1:${R[1]}@.* slave,fail " && break
    sleep 0.1
done
"$BIN" backup >"$T/down.out" 2>"$T/down.err"
rc=$?
ra_assert_eq "a shard without a healthy replica refuses (exit 3)" 3 "$rc"
if grep -q "shard 1 (slots 5461-10922)" "$T/down.err" && grep -q "127.0.0.1:${R[1]}" "$T/down.err"; then
    ra_ok "the refusal names the shard, its slots and its replica"
else
    ra_fail "the refusal names the shard, its slots and its replica" "$(tail -2 "$T/down.err")"
fi
"$BIN" backup --allow-master yes --json >"$T/am.json" 2>"$T/am.err"
rc=$?
node=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"][1]["node"])' "$T/am.json" 2>/dev/null)
if [ $rc = 0 ] && [ "$node" = "127.0.0.1:${M[1]}" ]; then ra_ok "allow-master backs the shard up from its master"
else ra_fail "allow-master backs the shard up from its master" "rc=$rc node=$node $(tail -2 "$T/am.err")"; fi

# ---- retention's sweep deletes an expired cluster backup as one unit: its record and every shard
old=20200101T000000Z-0001
python3 - "$T/b1.json" "$ID" "$old" >"$T/old.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r = json.loads(json.dumps(r).replace(sys.argv[2], sys.argv[3]))
r["started"], r["finished"] = "2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z"
print(json.dumps(r))
PY
for i in 0 1 2; do ra_aws s3 cp "$T/shard-$i.rdb" "s3://$BUCKET/redis-archiver/it-cluster/$old/shard-$i.rdb" >/dev/null 2>&1; done
ra_aws s3 cp "$T/old.json" "s3://$BUCKET/redis-archiver/it-cluster/$old.json" >/dev/null 2>&1
n_before=$(objects "$old" | wc -l)
"$BIN" retention --apply --sweep >"$T/sweep.txt" 2>&1
left=$(objects "$old")
if [ "$n_before" = 4 ] && [ -z "$left" ] && [ -n "$(objects "$ID/shard-0")" ]; then
    ra_ok "sweep deletes an expired cluster backup whole (record and shards)"
else
    ra_fail "sweep deletes an expired cluster backup whole (record and shards)" "before=$n_before left=$left" \
        "$(tail -3 "$T/sweep.txt")"
fi
ra_aws s3api delete-bucket-lifecycle --bucket "$BUCKET" >/dev/null 2>&1

# ---- with a password, credentials go only to nodes on the source url's host or in replica-allow
PW=cluster-it-secret-$$
live=()
for p in "${M[@]}" "${R[0]}" "${R[2]}"; do live+=("$p"); rcli -p "$p" config set masterauth "$PW" >/dev/null; done
for p in "${live[@]}"; do rcli -p "$p" config set requirepass "$PW" >/dev/null; done
"$BIN" backup --source "redis://:$PW@localhost:${M[0]}" --allow-master yes >"$T/allow.out" 2>"$T/allow.err"
rc=$?
if [ $rc = 3 ] && grep -q "replica-allow" "$T/allow.err"; then ra_ok "nodes announced on another host get no credentials"
else ra_fail "nodes announced on another host get no credentials" "rc=$rc $(tail -2 "$T/allow.err")"; fi
"$BIN" backup --source "redis://:$PW@localhost:${M[0]}" --allow-master yes --replica-allow 127.0.0.1 \
    >"$T/allow2.out" 2>"$T/allow2.err"
ra_assert_eq "replica-allow admits them" 0 "$?"
if grep -qF -- "$PW" "$T/allow.out" "$T/allow.err" "$T/allow2.out" "$T/allow2.err"; then ra_fail "the password appears in no output"
else ra_ok "the password appears in no output"; fi

ra_done
