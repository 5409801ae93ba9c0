#!/usr/bin/env bash
# retention.sh: `retention --apply` read-modify-writes the bucket's whole lifecycle configuration. Two runs
# for two instances at the same moment (cron jobs of one bucket) must both leave their rule: each reads
# the rules back after its put and merges again when a concurrent put replaced them (faults.md R6).
# Then retention by object tags (README, Retention): backups check the rules themselves once a day, the newest
# retention-keep succeeded and pinned backups stay tagged keep, the others are tagged expire and expired by the
# store's lifecycle rule (RGW runs it with a 10 s "day" in the harness; moto runs none: tags and rules are checked
# there), backups failing change nothing, delete refuses the last one; a versioned bucket's rule.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
ra_need_redis
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-lcrace-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

rule_ids() {
    ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" --query 'Rules[].ID' --output text 2>/dev/null |
        tr '\t' '\n' | sort | tr '\n' ' '
}

ROUNDS=${RA_RETENTION_ROUNDS:-12}
lost=0 failed=0 retried=0
for i in $(seq 1 "$ROUNDS"); do
    ra_aws s3api delete-bucket-lifecycle --bucket "$BUCKET" >/dev/null 2>&1
    # a rule of someone else's is there before, and must stay
    "$BIN" retention --apply --instance "other$i" >/dev/null 2>&1
    "$BIN" retention --apply --instance "a$i" >"$T/a$i.out" 2>"$T/a$i.err" &
    pa=$!
    "$BIN" retention --apply --instance "b$i" >"$T/b$i.out" 2>"$T/b$i.err" &
    pb=$!
    wait $pa; ra=$?
    wait $pb; rb=$?
    [ $ra = 0 ] && [ $rb = 0 ] || { failed=$((failed + 1)); sed 's/^/#   /' "$T/a$i.err" "$T/b$i.err"; }
    grep -q retention.lost "$T/a$i.err" "$T/b$i.err" && retried=$((retried + 1))
    want="redis-archiver:redis-archiver/a$i redis-archiver:redis-archiver/a$i:expire-tagged"
    want="$want redis-archiver:redis-archiver/b$i redis-archiver:redis-archiver/b$i:expire-tagged"
    want="$want redis-archiver:redis-archiver/other$i redis-archiver:redis-archiver/other$i:expire-tagged "
    got=$(rule_ids)
    if [ "$got" != "$want" ]; then
        lost=$((lost + 1))
        printf '#   round %d: rules %s\n' "$i" "$got"
    fi
done
ra_assert_eq "two concurrent retention --apply: both exit 0 in $ROUNDS rounds" 0 "$failed"
ra_assert_eq "two concurrent retention --apply: both rules and the earlier one present in $ROUNDS rounds" 0 "$lost"
printf '# %d of %d rounds merged again after a concurrent put\n' "$retried" "$ROUNDS"

# a run that finds its rule in place changes nothing and says so
ra_aws s3api delete-bucket-lifecycle --bucket "$BUCKET" >/dev/null 2>&1
"$BIN" retention --apply --instance solo >/dev/null 2>&1
out=$("$BIN" retention --apply --instance solo 2>&1)
if grep -q "already up to date" <<<"$out"; then ra_ok "retention --apply again is up to date"; else ra_fail "retention --apply again is up to date" "$out"; fi

# a long prefix: the rule ID stays within 255 characters (RGW refuses longer ones: stores.md row 15), the rule is
# found again by the next run, and moto's re-serialised rules compare equal (row 11)
long=$(printf 'p%.0s' $(seq 1 300))/
out=$("$BIN" retention --apply --instance long --prefix "$long" 2>&1)
rc=$?
ra_assert_eq "retention --apply with a 300-byte prefix exits 0" 0 "$rc"
[ "$rc" = 0 ] || printf '#   %s\n' "$out"
# both rules of the instance (the folder rule and the tag rule): each cut, each distinct
lids=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" --query 'Rules[].ID' --output text 2>/dev/null |
    tr '\t' '\n' | grep '^redis-archiver:ppp' | sort -u)
bad=0
for lid in $lids; do
    { [ ${#lid} -le 255 ] && [[ $lid =~ ~[0-9a-f]{16}$ ]]; } || bad=1
done
if [ "$(wc -w <<<"$lids")" = 2 ] && [ $bad = 0 ]; then
    ra_ok "a long rule ID is cut to 255 characters and ends with a hash"
else
    ra_fail "a long rule ID is cut to 255 characters and ends with a hash" "'$lids'"
fi
out=$("$BIN" retention --apply --instance long --prefix "$long" 2>&1)
if grep -q "already up to date" <<<"$out"; then ra_ok "the shortened rule is found again"; else ra_fail "the shortened rule is found again" "$out"; fi

# --- retention by tags, applied by the backups themselves
B2=it-tags-$$
ra_s3_bucket "$B2" || { ra_fail "bucket $B2"; exit 1; }
# 30 days (RGW: 300 s) while the tags are looked at; 1 day (10 s) when RGW is to run the rule
export REDIS_ARCHIVER_BUCKET=$B2 REDIS_ARCHIVER_INSTANCE=it-tags REDIS_ARCHIVER_RETENTION_DAYS=30 REDIS_ARCHIVER_RETENTION_KEEP=2
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
D=redis-archiver/it-tags
tag_of() {  # tag_of KEY: the redis-archiver-retain tag of the object, "-" when none, "gone" when missing
    local out
    out=$(ra_aws s3api get-object-tagging --bucket "$B2" --key "$D/$1" --output json 2>/dev/null) || { echo gone; return; }
    python3 -c 'import json,sys; t={x["Key"]:x["Value"] for x in json.loads(sys.argv[1]).get("TagSet",[])}; print(t.get("redis-archiver-retain","-"))' "$out"
}
tags_of() { local id out=; for id in "$@"; do out="$out$(tag_of "$id.rdb")/$(tag_of "$id.json") "; done; echo "$out"; }
ids=()
for i in 1 2 3 4; do
    id=$("$BIN" backup 2>>"$T/tags-backup.err") || { ra_fail "backup $i for the tags" "$(tail -5 "$T/tags-backup.err")"; break; }
    ids+=("$id")
    [ $i = 1 ] && { "$BIN" keep "$id" >/dev/null 2>&1 || ra_fail "keep the first backup"; }
    sleep 1
done
b1=${ids[0]:-x} b2=${ids[1]:-x} b3=${ids[2]:-x} b4=${ids[3]:-x}
ra_assert_eq "the newest 2 and the pinned backup are tagged keep, the other expire (objects and records)" \
    "keep/keep expire/expire keep/keep keep/keep " "$(tags_of "$b1" "$b2" "$b3" "$b4")"
if grep -q '"event":"retention.sweep"' "$T/tags-backup.err"; then
    ra_fail "with tags, backups leave the expiry to the rule (no sweep)" "$(grep retention.sweep "$T/tags-backup.err" | head -3)"
else
    ra_ok "with tags, backups leave the expiry to the rule (no sweep)"
fi
rules=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$B2" 2>/dev/null)
check=$(python3 -c '
import json, sys
rules = {r["ID"]: r for r in json.loads(sys.argv[1])["Rules"]}
a = rules["redis-archiver:redis-archiver/it-tags"]
b = rules["redis-archiver:redis-archiver/it-tags:expire-tagged"]
assert "Expiration" not in a and a["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, a
assert "NoncurrentVersionExpiration" not in a, a
f = b["Filter"].get("And", b["Filter"])   # RGW 16.2 answers without the And
tags = f.get("Tags") or [f.get("Tag")]
assert f["Prefix"] == "redis-archiver/it-tags/" and tags == [{"Key": "redis-archiver-retain", "Value": "expire"}], b
assert b["Expiration"]["Days"] == 30, b
print("ok")' "$rules" 2>&1)
ra_assert_eq "a backup put the rules: the folder rule aborts uploads, the tag rule expires what is tagged expire" ok "$check"
if ra_aws s3api head-object --bucket "$B2" --key "redis-archiver/it-tags.retention" >/dev/null 2>&1; then
    ra_ok "the last check of the rules is remembered (it-tags.retention beside the folder)"
else
    ra_fail "the last check of the rules is remembered (it-tags.retention beside the folder)"
fi
# within the day a backup does not look at the rules again: a rule deleted meanwhile stays deleted ...
ra_aws s3api delete-bucket-lifecycle --bucket "$B2" >/dev/null 2>&1
"$BIN" backup --source redis://127.0.0.1:1 >/dev/null 2>"$T/tags-fail.err"
ra_assert_eq "a backup against a stopped source fails (exit 3)" 3 "$?"
if ra_aws s3api get-bucket-lifecycle-configuration --bucket "$B2" >/dev/null 2>&1; then
    ra_fail "a backup checks the rules at most once a day"
else
    ra_ok "a backup checks the rules at most once a day"
fi
# ... until the check is due (the state object says when): then a backup puts them back, also a failing one
printf 'redis-archiver retention 1\nchecked 1000\nmode tags\nversioned 0\nrules 0000000000000000\n' |
    ra_aws s3 cp - "s3://$B2/redis-archiver/it-tags.retention" >/dev/null 2>&1
"$BIN" backup --source redis://127.0.0.1:1 >/dev/null 2>>"$T/tags-fail.err"
if ra_aws s3api get-bucket-lifecycle-configuration --bucket "$B2" 2>/dev/null | grep -q 'it-tags:expire-tagged'; then
    ra_ok "a due check puts the rules back, also from a failing backup"
else
    ra_fail "a due check puts the rules back, also from a failing backup" "$(cat "$T/tags-fail.err")"
fi
ra_assert_eq "failing backups change no tag" "keep/keep expire/expire keep/keep keep/keep " "$(tags_of "$b1" "$b2" "$b3" "$b4")"

# keep ID tags it keep at once; unkeep leaves it to the next run
"$BIN" keep "$b2" >/dev/null 2>&1
ra_assert_eq "keep ID tags the backup keep" "keep/-" "$(tag_of "$b2.rdb")/$(tag_of "$b2.json" | sed 's/keep/-/')"
"$BIN" unkeep "$b2" >/dev/null 2>&1
"$BIN" retention --apply >"$T/tags-ret.out" 2>&1
ra_assert_eq "after unkeep, the next run tags it expire again" "expire/expire " "$(tags_of "$b2")"

# RGW runs the rule: the backup tagged expire goes, the newest 2 and the pinned one stay (failed runs meanwhile)
if ra_store_is moto; then
    ra_skip "the lifecycle rule expires the backup tagged expire, the newest 2 and the pinned one survive" "on moto: moto never runs lifecycle rules"
else
    "$BIN" retention --apply --days 1 >"$T/tags-ret1.out" 2>&1 || ra_fail "retention --apply --days 1" "$(cat "$T/tags-ret1.out")"
    gone=0
    for _ in $(seq 1 150); do
        [ "$(tag_of "$b2.rdb")" = gone ] && [ "$(tag_of "$b2.json")" = gone ] && { gone=1; break; }
        sleep 1
    done
    left=$(tags_of "$b1" "$b3" "$b4")
    if [ $gone = 1 ] && [ "$left" = "keep/keep keep/keep keep/keep " ]; then
        ra_ok "the lifecycle rule expires the backup tagged expire, the newest 2 and the pinned one survive"
    else
        ra_fail "the lifecycle rule expires the backup tagged expire, the newest 2 and the pinned one survive" \
            "expired: $gone" "left: $left" "$(ra_aws s3 ls "s3://$B2/$D/" 2>&1)"
    fi
    "$BIN" retention --apply >"$T/tags-ret2.out" 2>&1
    ra_assert_eq "and the sweep keeps them too" "keep/keep keep/keep keep/keep " "$(tags_of "$b1" "$b3" "$b4")"
fi

# delete: refuses the last one; deleting one of the newest 2 moves the next older one back to keep
"$BIN" delete "$b4" >/dev/null 2>&1
ra_assert_eq "delete refuses the newest succeeded backup" 2 "$?"
"$BIN" delete "$b3" >/dev/null 2>"$T/tags-del.err"
ra_assert_eq "delete removes an older backup" 0 "$?"
ra_assert_eq "its object and record are gone" "gone/gone " "$(tags_of "$b3")"
if ra_store_is moto; then
    ra_assert_eq "after a delete the next older backup is one of the newest 2 again: tagged keep" "keep/keep " "$(tags_of "$b2")"
fi

# a backup is created untagged (retention-keep 0: no run tags it afterwards): no x-amz-tagging on
# CreateMultipartUpload, which some stores refuse; the tag rule never expires an untagged object
id=$("$BIN" backup --instance it-created --retention-keep 0 2>"$T/created.err")
created=$(ra_aws s3api get-object-tagging --bucket "$B2" --key "redis-archiver/it-created/$id.rdb" --query 'TagSet[0].Value' --output text 2>&1)
ra_assert_eq "a backup is created untagged (protected until a run tags it)" None "$created"

# --- a versioned bucket: noncurrent versions and expired delete markers in the folder rule; the sweep says
# what it leaves
B3=it-vers-$$
ra_s3_bucket "$B3" || { ra_fail "bucket $B3"; exit 1; }
ra_aws s3api put-bucket-versioning --bucket "$B3" --versioning-configuration Status=Enabled >/dev/null 2>&1
export REDIS_ARCHIVER_BUCKET=$B3 REDIS_ARCHIVER_INSTANCE=it-vers REDIS_ARCHIVER_RETENTION_DAYS=7 REDIS_ARCHIVER_RETENTION_KEEP=1
for d in 01 02 03; do
    printf '{"id":"202001%sT020000Z-00%s","instance":"it-vers","type":"auto","status":"succeeded","started":"2020-01-%sT02:00:00Z","finished":"2020-01-%sT02:01:00Z","bytes":3}' \
        "$d" "$d" "$d" "$d" >"$T/v.json"
    ra_aws s3 cp "$T/v.json" "s3://$B3/redis-archiver/it-vers/202001${d}T020000Z-00$d.json" >/dev/null 2>&1
    ra_aws s3 cp "$T/v.json" "s3://$B3/redis-archiver/it-vers/202001${d}T020000Z-00$d.rdb" >/dev/null 2>&1
done
"$BIN" retention --apply >"$T/v.out" 2>"$T/v.err"
ra_assert_eq "retention --apply on a versioned bucket exits 0" 0 "$?"
rules=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$B3" 2>/dev/null)
check=$(python3 -c '
import json, sys
rules = {r["ID"]: r for r in json.loads(sys.argv[1])["Rules"]}
a = rules["redis-archiver:redis-archiver/it-vers"]
assert a["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1, a
assert a["Expiration"]["ExpiredObjectDeleteMarker"] is True, a
assert a["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, a
print("ok")' "$rules" 2>&1)
ra_assert_eq "versioned: the folder rule expires noncurrent versions after 1 day and expired delete markers" ok "$check"
grep -q '"event":"retention.versions".*noncurrent versions' "$T/v.err" && ra_ok "the sweep says it leaves noncurrent versions and delete markers" ||
    ra_fail "the sweep says it leaves noncurrent versions and delete markers" "$(cat "$T/v.out" "$T/v.err")"
out=$("$BIN" retention --apply 2>&1)
if grep -q "already up to date" <<<"$out"; then ra_ok "the versioned rules are found again"; else ra_fail "the versioned rules are found again" "$out"; fi

ra_done
