#!/usr/bin/env bash
# retention_cluster.sh: retention treats a cluster backup as one unit (issue 15), against a real 3 masters + 3
# replicas cluster on 127.0.0.1 (tests/harness/cluster.sh): the tags that the lifecycle rule filters on go on
# every shard's object and the record alike (keep or expire), `keep ID` pins every shard, `delete ID` removes
# every shard's object and the record (and refuses the newest, and a running one), the sweep deletes an expired
# cluster backup whole; and `status` shows each shard's progress while a cluster backup runs.
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$RA_HARNESS/cluster.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR/rcl
mkdir -p "$T"

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-rcl REDIS_ARCHIVER_LOG_FORMAT=json
export REDIS_ARCHIVER_RETENTION_DAYS=30 REDIS_ARCHIVER_RETENTION_KEEP=2
BUCKET=it-rcl-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET
D=redis-archiver/it-rcl

ra_cluster_start 3 || { ra_fail "cluster starts"; exit 1; }
read -r -a M <<<"$RA_TEST_CLUSTER_MASTERS"
read -r -a R <<<"$RA_TEST_CLUSTER_REPLICAS"
ra_cluster_fill 900 rcl: || { ra_fail "cluster fill"; exit 1; }
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:${M[0]}
rcli() { redis-cli -h 127.0.0.1 "$@"; }

objects() { ra_aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "$D/$1" --query 'Contents[].Key' --output text \
    2>/dev/null | tr '\t' '\n' | grep -v '^None$' | grep -v '^$'; }
tag_of() {  # tag_of KEY: the redis-archiver-retain tag of the object, "-" when none, "gone" when missing
    local out
    out=$(ra_aws s3api get-object-tagging --bucket "$BUCKET" --key "$D/$1" --output json 2>/dev/null) || { echo gone; return; }
    python3 -c 'import json,sys; t={x["Key"]:x["Value"] for x in json.loads(sys.argv[1]).get("TagSet",[])}; print(t.get("redis-archiver-retain","-"))' "$out"
}
# unit_tags ID: the tags of shard 0, 1, 2 and the record, e.g. "keep keep keep keep"
unit_tags() { echo "$(tag_of "$1/shard-0.rdb") $(tag_of "$1/shard-1.rdb") $(tag_of "$1/shard-2.rdb") $(tag_of "$1.json")"; }

# ---- four cluster backups; the first pinned; the third one slowed down to watch `status` meanwhile
ids=()
for i in 1 2 3 4; do
    if [ $i = 3 ]; then
        rcli -p "${R[1]}" config set rdb-key-save-delay 40000 >/dev/null
        "$BIN" backup >"$T/b$i.out" 2>"$T/b$i.err" &
        bpid=$!
        # status while it runs: each shard's line, bytes from the heartbeats (every 5 s)
        seen=
        for _ in $(seq 1 200); do
            "$BIN" status --json >"$T/st.json" 2>/dev/null
            seen=$(python3 - "$T/st.json" <<'PY' 2>/dev/null
import json, sys
for r in json.load(open(sys.argv[1])):
    s = r.get("shards") or []
    if r["status"] == "running" and len(s) == 3 and any(x.get("size") for x in s) and all(x.get("node") for x in s):
        print(r["id"])
        break
PY
)
            [ -n "$seen" ] && break
            sleep 0.2
        done
        "$BIN" status "${seen:-none}" >"$T/st.txt" 2>&1
        # the running lock's view of the unit: a running cluster backup is not deleted
        "$BIN" delete "${seen:-none}" --force >/dev/null 2>"$T/delrun.err"
        drc=$?
        wait $bpid
        rc=$?
        rcli -p "${R[1]}" config set rdb-key-save-delay 0 >/dev/null
        id=$(cat "$T/b$i.out")
        if [ -n "$seen" ] && [ "$seen" = "$id" ] && [ "$(grep -c '^  shard [0-2] ' "$T/st.txt")" = 3 ]; then
            ra_ok "status shows each shard's progress while a cluster backup runs"
        else
            ra_fail "status shows each shard's progress while a cluster backup runs" "seen '$seen' id '$id'" "$(cat "$T/st.txt")"
        fi
        if [ "$drc" = 7 ] && grep -q "is running" "$T/delrun.err"; then ra_ok "delete refuses a running cluster backup (exit 7), also with --force"
        else ra_fail "delete refuses a running cluster backup (exit 7), also with --force" "rc=$drc $(cat "$T/delrun.err")"; fi
        ra_assert_eq "the refused running backup finished whole" 4 "$(objects "$id" | wc -l)"
    else
        id=$("$BIN" backup 2>"$T/b$i.err")
        rc=$?
    fi
    [ $rc = 0 ] || { ra_fail "cluster backup $i" "$(tail -3 "$T/b$i.err")"; break; }
    ids+=("$id")
    [ $i = 1 ] && { "$BIN" keep "$id" >/dev/null 2>&1 || ra_fail "keep the first cluster backup"; }
    sleep 1
done
c1=${ids[0]:-x} c2=${ids[1]:-x} c3=${ids[2]:-x} c4=${ids[3]:-x}
ra_assert_eq "cluster backups: the pinned one's shards and record tagged keep" "keep keep keep keep" "$(unit_tags "$c1")"
ra_assert_eq "cluster backups: an older one's every shard and record tagged expire" "expire expire expire expire" "$(unit_tags "$c2")"
ra_assert_eq "cluster backups: the newest 2 tagged keep, every shard" "keep keep keep keep/keep keep keep keep" \
    "$(unit_tags "$c3")/$(unit_tags "$c4")"

# ---- delete: the newest is refused; an older one goes whole (every shard and the record)
"$BIN" delete "$c4" >/dev/null 2>"$T/del1.err"
ra_assert_eq "delete refuses the newest cluster backup (exit 2)" 2 "$?"
ra_assert_eq "after the refusal all of its shards are there" 4 "$(objects "$c4" | wc -l)"
"$BIN" delete "$c3" >"$T/del2.out" 2>"$T/del2.err"
rc=$?
ra_assert_eq "delete of a cluster backup exits 0" 0 "$rc"
if [ -z "$(objects "$c3")" ]; then ra_ok "delete removes every shard's object and the record"
else ra_fail "delete removes every shard's object and the record" "left: $(objects "$c3" | tr '\n' ' ')"; fi
grep -q "deleted $c3 (3 shards)" "$T/del2.out" && ra_ok "delete says how many shards went" ||
    ra_fail "delete says how many shards went" "$(cat "$T/del2.out" "$T/del2.err")"
ra_assert_eq "after the delete the next older one is among the newest 2 again: every shard tagged keep" \
    "keep keep keep keep" "$(unit_tags "$c2")"
ra_assert_eq "other backups keep their shards" "4 4 4" \
    "$(objects "$c1" | wc -l) $(objects "$c2" | wc -l) $(objects "$c4" | wc -l)"

# ---- unkeep + the sweep (sweep yes, 1 day, records of 2020): the old unpinned cluster backup goes whole
old=20200101T000000Z-0c1a
ra_aws s3 cp "s3://$BUCKET/$D/$c1.json" "$T/c1.json" >/dev/null 2>&1
python3 - "$T/c1.json" "$c1" "$old" >"$T/old.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r = json.loads(json.dumps(r).replace(sys.argv[2], sys.argv[3]))
r["started"], r["finished"], r["keep"] = "2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z", False
print(json.dumps(r))
PY
for s in 0 1 2; do
    ra_aws s3 cp "s3://$BUCKET/$D/$c1/shard-$s.rdb" "s3://$BUCKET/$D/$old/shard-$s.rdb" >/dev/null 2>&1
done
ra_aws s3 cp "$T/old.json" "s3://$BUCKET/$D/$old.json" >/dev/null 2>&1
ra_assert_eq "an old cluster backup is in place" 4 "$(objects "$old" | wc -l)"
"$BIN" retention --apply --days 1 >"$T/sweep.out" 2>"$T/sweep.err"
ra_assert_eq "retention --apply exits 0" 0 "$?"
ra_assert_eq "the sweep deletes the expired cluster backup whole" "" "$(objects "$old")"
ra_assert_eq "and keeps the pinned and the newest 2 cluster backups whole" "4 4 4" \
    "$(objects "$c1" | wc -l) $(objects "$c2" | wc -l) $(objects "$c4" | wc -l)"

ra_done
