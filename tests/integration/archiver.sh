#!/usr/bin/env bash
# archiver.sh: the product end to end against real servers: backup with a remark -> list -> url downloads
# with curl byte-identical -> the RDB restores to the source's DEBUG DIGEST; verify reads it back and catches a
# flipped bit and a cut tail; list/status JSON; retention
# merged with an existing rule and read back by awscli; schedule's catch-up and clean SIGTERM.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-archiver
BUCKET=it-archiver-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

ra_redis_fill "$RA_TEST_REDIS_MASTER_PORT" 20000 arch: >/dev/null
digest=$(ra_redis_digest "$RA_TEST_REDIS_MASTER_PORT")

# --- backup with a UTF-8 remark, as a script would run it (not a TTY: JSON log lines on stderr)
remark="before upgrade — 升级前"
id=$("$BIN" backup --remark "$remark" 2>"$T/backup.err")
rc=$?
ra_assert_eq "backup exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/backup.err"
if [[ "$id" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$ ]]; then ra_ok "backup prints its id"; else ra_fail "backup prints its id" "got '$id'"; fi
if grep -q '"level":"info"' "$T/backup.err" && ! grep -qv '^{' "$T/backup.err"; then
    ra_ok "non-TTY log is JSON lines"
else
    ra_fail "non-TTY log is JSON lines" "$(head -3 "$T/backup.err")"
fi

# --- list shows it, in text and JSON
"$BIN" list >"$T/list.txt" 2>"$T/list.err"
if grep -q "$id" "$T/list.txt" && grep "$id" "$T/list.txt" | grep -q manual && grep -q "升级前" "$T/list.txt"; then
    ra_ok "list shows the backup, type and remark"
else
    ra_fail "list shows the backup, type and remark" "$(cat "$T/list.txt" "$T/list.err")"
fi
"$BIN" list --json >"$T/list.json" 2>/dev/null
check=$(python3 - "$T/list.json" "$id" "$remark" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
r = [x for x in recs if x["id"] == sys.argv[2]]
assert r, "id missing"
r = r[0]
for k in ("id", "key", "type", "remark", "size", "started", "finished", "status"):
    assert k in r, "field %s missing" % k
assert r["type"] == "manual" and r["status"] == "succeeded", r
assert r["remark"] == sys.argv[3], r["remark"]
assert r["size"] > 0 and r["started"] <= r["finished"]
assert r["key"].endswith("/" + sys.argv[2] + ".rdb")
print("ok")
PY
)
ra_assert_eq "list --json has the contract fields" ok "$check"

# --- url: 12 h by default, downloads with curl byte-identical to the object; restores to the digest
url=$("$BIN" url "$id" 2>"$T/url.err")
ra_assert_eq "url exits 0" 0 "$?"
case "$url" in *X-Amz-Expires=43200*) ra_ok "url lasts 12 hours by default" ;; *) ra_fail "url lasts 12 hours by default" "$url" ;; esac
curl -sf -o "$T/dl.rdb" "$url"
ra_assert_eq "curl downloads the presigned url" 0 "$?"
key=$(python3 -c 'import json,sys; print([r for r in json.load(open(sys.argv[1])) if r["id"]==sys.argv[2]][0]["key"])' "$T/list.json" "$id")
ra_aws s3 cp "s3://$BUCKET/$key" "$T/aws.rdb" >/dev/null 2>&1
ra_assert_eq "download is byte-identical to the object" "$(sha256sum <"$T/aws.rdb")" "$(sha256sum <"$T/dl.rdb")"
ra_assert_eq "restored RDB has the source's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/dl.rdb")"
# moto checks no signature and no expiry (its S3 server lets every request in)
if ! ra_store_skip moto "a tampered url is refused" "moto does not check SigV4 signatures"; then
    last=${url: -1}
    if [ "$last" = 0 ]; then tampered=${url%?}1; else tampered=${url%?}0; fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "$tampered")
    ra_assert_eq "a tampered url is refused" 403 "$code"
fi
if ! ra_store_skip moto "an expired url is refused" "moto does not check the expiry of presigned urls"; then
    short=$("$BIN" url "$id" --expires 1s 2>/dev/null)
    sleep 2
    code=$(curl -s -o /dev/null -w '%{http_code}' "$short")
    ra_assert_eq "an expired url is refused" 403 "$code"
fi
"$BIN" url "$id" --expires 8d >/dev/null 2>"$T/url8d.err"
ra_assert_eq "url refuses more than 7 days" 2 "$?"
"$BIN" url 20200101T000000Z-abcd >/dev/null 2>&1
ra_assert_eq "url of an unknown id exits 6" 6 "$?"
pub=$("$BIN" url "$id" --public --public-endpoint http://backup.example.test:8080 2>/dev/null)
case "$pub" in http://backup.example.test:8080/*X-Amz-Signature=*) ra_ok "url --public signs for the public endpoint" ;;
*) ra_fail "url --public signs for the public endpoint" "$pub" ;; esac

# --- object metadata
ra_aws s3api head-object --bucket "$BUCKET" --key "$key" >"$T/head.json" 2>&1
if grep -q '"type": "manual"' "$T/head.json" && grep -q '"replid"' "$T/head.json" && grep -q '"tool-version"' "$T/head.json"; then
    ra_ok "object carries type, replid and tool version metadata"
else
    ra_fail "object carries type, replid and tool version metadata" "$(cat "$T/head.json")"
fi

# --- verify: reads the object back through the RDB verifier; a flipped byte or a cut tail is caught (exit 5)
out=$("$BIN" verify "$id" 2>"$T/verify.err")
rc=$?
ra_assert_eq "verify of a good backup exits 0" 0 "$rc"
case "$out" in "backup $id verified: "*crc64*) ra_ok "verify says what it checked" ;; *) ra_fail "verify says what it checked" "$out" ;; esac
vj=$("$BIN" verify "$id" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["verified"], d["size"] > 0, len(d["crc64"]))')
ra_assert_eq "verify --json" "True True 16" "$vj"
python3 - "$T/aws.rdb" "$T/flipped.rdb" "$T/cut.rdb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
f = bytearray(d)
f[len(f) // 2] ^= 0x01
open(sys.argv[2], "wb").write(f)
open(sys.argv[3], "wb").write(d[:-100])
PY
ra_aws s3 cp "$T/flipped.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" >/dev/null 2>"$T/verify-flip.err"
rc=$?
if [ $rc = 5 ] && grep -q "is damaged: rdb checksum mismatch" "$T/verify-flip.err"; then ra_ok "verify catches one flipped bit (exit 5)"
else ra_fail "verify catches one flipped bit (exit 5)" "rc $rc: $(tail -2 "$T/verify-flip.err")"; fi
ra_aws s3 cp "$T/cut.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" >/dev/null 2>"$T/verify-cut.err"
rc=$?
if [ $rc = 5 ] && grep -q "is damaged" "$T/verify-cut.err"; then ra_ok "verify catches a cut tail (exit 5)"
else ra_fail "verify catches a cut tail (exit 5)" "rc $rc: $(tail -2 "$T/verify-cut.err")"; fi
ra_aws s3 cp "$T/aws.rdb" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" >/dev/null 2>&1
ra_assert_eq "verify passes again once the object is put back" 0 "$?"
"$BIN" verify 20200101T000000Z-abcd >/dev/null 2>&1
ra_assert_eq "verify of an unknown id exits 6" 6 "$?"

# --- status
"$BIN" status --json >"$T/status.json" 2>/dev/null
st=$(python3 -c 'import json,sys; print([r["status"] for r in json.load(open(sys.argv[1])) if r["id"]==sys.argv[2]][0])' "$T/status.json" "$id" 2>&1)
ra_assert_eq "status reports the finished task" succeeded "$st"

# --- an auto backup is typed auto
id2=$("$BIN" backup --auto 2>/dev/null)
t2=$("$BIN" list --json 2>/dev/null | python3 -c 'import json,sys; print([r["type"] for r in json.load(sys.stdin) if r["id"]==sys.argv[1]][0])' "$id2" 2>&1)
ra_assert_eq "backup --auto is listed as auto" auto "$t2"
first=$("$BIN" list --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
ra_assert_eq "list is newest first" "$id2" "$first"

# --- retention: merged with a rule that was there, idempotent, read back by awscli
cat >"$T/lc.json" <<'JSON'
{"Rules": [{"ID": "someone-elses-rule", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
            "Expiration": {"Days": 30}}]}
JSON
ra_aws s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" --lifecycle-configuration "file://$T/lc.json" >/dev/null 2>&1
"$BIN" retention --dry-run >"$T/ret-dry.txt" 2>&1
ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" >"$T/lc-dry.json" 2>&1
if grep -q someone-elses-rule "$T/lc-dry.json" && ! grep -q 'redis-archiver:' "$T/lc-dry.json"; then
    ra_ok "retention --dry-run changes nothing"
else
    ra_fail "retention --dry-run changes nothing" "$(cat "$T/lc-dry.json")"
fi
"$BIN" retention --apply >"$T/ret.txt" 2>&1
ra_assert_eq "retention --apply exits 0" 0 "$?"
ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" >"$T/lc-after.json" 2>&1
check=$(python3 - "$T/lc-after.json" <<'PY'
import json, sys
rules = {r["ID"]: r for r in json.load(open(sys.argv[1]))["Rules"]}
assert "someone-elses-rule" in rules, "existing rule lost"
assert rules["someone-elses-rule"]["Expiration"]["Days"] == 30
ours = rules.get("redis-archiver:redis-archiver/it-archiver")
assert ours, "our rule missing: %s" % list(rules)
assert ours["Expiration"]["Days"] == 7, ours
assert ours["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, ours
assert ours["Filter"]["Prefix"] == "redis-archiver/it-archiver/", ours
print("ok")
PY
)
ra_assert_eq "retention rule merged with the existing one, read back by awscli" ok "$check"
"$BIN" retention --apply >"$T/ret2.txt" 2>&1
if grep -q "already up to date" "$T/ret2.txt"; then ra_ok "retention is idempotent"; else ra_fail "retention is idempotent" "$(cat "$T/ret2.txt")"; fi
"$BIN" retention --apply --days 3 >/dev/null 2>&1
days=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" 2>/dev/null |
    python3 -c 'import json,sys; print([r for r in json.load(sys.stdin)["Rules"] if r["ID"].startswith("redis-archiver:")][0]["Expiration"]["Days"])')
ra_assert_eq "retention --days updates the rule in place" 3 "$days"
ra_aws s3api delete-bucket-lifecycle --bucket "$BUCKET" >/dev/null 2>&1

# --- sweep: a record that started long ago is deleted with its RDB, the new ones stay
old=20200101T000000Z-0001
printf '{"id":"%s","instance":"it-archiver","type":"manual","status":"succeeded","started":"2020-01-01T00:00:00Z","finished":"2020-01-01T00:01:00Z","bytes":3}' "$old" >"$T/old.json"
ra_aws s3 cp "$T/old.json" "s3://$BUCKET/redis-archiver/it-archiver/$old.json" >/dev/null 2>&1
ra_aws s3 cp "$T/old.json" "s3://$BUCKET/redis-archiver/it-archiver/$old.rdb" >/dev/null 2>&1
"$BIN" retention --apply --sweep >"$T/sweep.txt" 2>&1
left=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archiver/" 2>/dev/null)
if ! grep -q "$old" <<<"$left" && grep -q "$id.rdb" <<<"$left" && grep -q "$id2.rdb" <<<"$left"; then
    ra_ok "sweep deletes only expired backups"
else
    ra_fail "sweep deletes only expired backups" "$left" "$(cat "$T/sweep.txt")"
fi

# --- the rule really expires: the harness's RGW runs lifecycle with a 10 s "day" (rgw lc debug interval),
# so a 1-day rule removes the backup and its record, and aborts an unfinished upload, within about a minute
if ra_store_is moto; then
    ra_skip "lifecycle expires the backup and its record (1-day rule, 10 s day)" "on moto: moto never runs lifecycle rules"
    ra_skip "lifecycle aborts an unfinished multipart upload" "on moto: moto never runs lifecycle rules"
elif [ "${RA_RGW_LC_DEBUG_INTERVAL:-10}" -gt 0 ] 2>/dev/null; then
    XB=it-expire-$$
    if ra_s3_bucket "$XB"; then
        xid=$(REDIS_ARCHIVER_BUCKET=$XB REDIS_ARCHIVER_INSTANCE=it-expire "$BIN" backup 2>/dev/null)
        ra_aws s3api create-multipart-upload --bucket "$XB" --key "redis-archiver/it-expire/unfinished.rdb" >/dev/null 2>&1
        REDIS_ARCHIVER_BUCKET=$XB REDIS_ARCHIVER_INSTANCE=it-expire "$BIN" retention --apply --days 1 >/dev/null 2>&1
        gone=0 aborted=0
        for _ in $(seq 1 90); do
            left=$(ra_aws s3 ls "s3://$XB/redis-archiver/it-expire/" 2>/dev/null)
            ups=$(ra_aws s3api list-multipart-uploads --bucket "$XB" 2>/dev/null)
            [ -z "$left" ] && gone=1
            grep -q unfinished <<<"$ups" || aborted=1
            [ $gone = 1 ] && [ $aborted = 1 ] && break
            sleep 1
        done
        if [ -n "$xid" ] && [ $gone = 1 ]; then ra_ok "lifecycle expires the backup and its record (1-day rule, 10 s day)"
        else ra_fail "lifecycle expires the backup and its record (1-day rule, 10 s day)" "id '$xid'" "$left"; fi
        if [ $aborted = 1 ]; then ra_ok "lifecycle aborts an unfinished multipart upload"
        else ra_fail "lifecycle aborts an unfinished multipart upload" "$ups"; fi
    else
        ra_fail "lifecycle expiry bucket"
    fi
else
    ra_skip "lifecycle expires the backup and its record (1-day rule, 10 s day)" "lifecycle debug interval off"
    ra_skip "lifecycle aborts an unfinished multipart upload" "lifecycle debug interval off"
fi

# --- schedule: a window that ended earlier today triggers one catch-up backup; SIGTERM stops it cleanly
export REDIS_ARCHIVER_INSTANCE=it-schedule
now_min=$((10#$(date -u +%H) * 60 + 10#$(date -u +%M)))
if [ $now_min -ge 3 ] && [ $now_min -le 1430 ]; then
    s=$((now_min - 3)); e=$((now_min - 1))
    win=$(printf '%02d:%02d-%02d:%02d' $((s / 60)) $((s % 60)) $((e / 60)) $((e % 60)))
    "$BIN" schedule --window "$win" --timezone UTC >"$T/sched.out" 2>"$T/sched.err" &
    spid=$!
    for _ in $(seq 1 60); do
        grep -q '"schedule.next"' "$T/sched.err" && break
        sleep 1
    done
    kill -TERM $spid
    wait $spid
    src=$?
    n=$("$BIN" list --json 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["type"]=="auto" and r["status"]=="succeeded"))')
    ra_assert_eq "schedule catches up a missed window with one auto backup" 1 "$n"
    ra_assert_eq "schedule stops cleanly on SIGTERM" 0 "$src"
else
    ra_skip "schedule catches up a missed window with one auto backup" "too close to midnight UTC"
    ra_skip "schedule stops cleanly on SIGTERM" "too close to midnight UTC"
fi

ra_done
