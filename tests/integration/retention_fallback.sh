#!/usr/bin/env bash
# retention_fallback.sh: retention where the store cannot expire by tags (README, Retention, "Fallback, the
# sweep"). Neither RGW nor moto lacks tags or lifecycle, so the fault proxy (tests/helpers/faultproxy.py) in
# front of the real store answers 501 NotImplemented to: a lifecycle PUT whose rule filters on a tag; every
# PutObjectTagging; every GET/PUT of the lifecycle; only its PUT. In each case backups succeed, the sweep deletes
# the expired backups while the newest retention-keep succeeded and the pinned one survive, the log says
# retention.no-tags / retention.no-lifecycle once, and the tags are tried again a day later (without saying so
# again while the store still refuses them; with the tag rule put once it takes them).
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
ra_need_s3
ra_need_redis
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR/rfb
mkdir -p "$T"
ra_on_exit() { fp_stop_all; return 0; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
export REDIS_ARCHIVER_ENDPOINT=$FP_URL REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json
export REDIS_ARCHIVER_RETENTION_DAYS=7 REDIS_ARCHIVER_RETENTION_KEEP=3
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
BUCKET=it-rfb-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

put_rec() {  # put_rec INSTANCE ID STATUS DAY [KEEP]: a record (and object) of 2020, straight into the store
    printf '{"id":"%s","instance":"%s","type":"auto","status":"%s","started":"%sT02:00:00Z","finished":"%sT02:01:00Z","bytes":3,"keep":%s}' \
        "$2" "$1" "$3" "$4" "$4" "${5:-false}" >"$T/rec.json"
    ra_aws s3 cp "$T/rec.json" "s3://$BUCKET/redis-archiver/$1/$2.json" >/dev/null 2>&1
    [ "$3" = succeeded ] && ra_aws s3 cp "$T/rec.json" "s3://$BUCKET/redis-archiver/$1/$2.rdb" >/dev/null 2>&1
    return 0
}
seed() {
    put_rec "$1" 20200101T020000Z-0001 succeeded 2020-01-01
    put_rec "$1" 20200102T020000Z-0002 succeeded 2020-01-02 true
    put_rec "$1" 20200103T020000Z-0003 succeeded 2020-01-03
    put_rec "$1" 20200104T020000Z-0004 succeeded 2020-01-04
    put_rec "$1" 20200105T020000Z-0005 failed 2020-01-05
}
left() { ra_aws s3 ls "s3://$BUCKET/redis-archiver/$1/" 2>/dev/null | awk '{print $4}' | sed 's/\..*//' | sort -u | tr '\n' ' '; }
rule_ids() {
    ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" --query 'Rules[].ID' --output text 2>/dev/null |
        tr '\t' '\n' | grep -F "redis-archiver/$1" | sort | tr '\n' ' '
}
state_mode() { ra_aws s3 cp "s3://$BUCKET/redis-archiver/$1.retention" - 2>/dev/null | sed -n 's/^mode //p'; }
# make the daily check due (the state object's last check long ago), keeping the mode
due() {
    printf 'redis-archiver retention 1\nchecked 1000\nmode %s\nversioned 0\nrules 0000000000000000\n' "$(state_mode "$1")" |
        ra_aws s3 cp - "s3://$BUCKET/redis-archiver/$1.retention" >/dev/null 2>&1
}
events() { cat "$T/$1".*.err 2>/dev/null | grep -c "\"event\":\"$2\""; }

# run_case NAME INSTANCE EVENT RULE...: two backups through the proxy with RULE; then what the sweep left
run_case() {
    local name=$1 inst=$2 ev=$3 i ids=() id
    shift 3
    fp_rules "$@" || { ra_fail "$name: proxy rules"; return; }
    seed "$inst"
    for i in 1 2; do
        id=$("$BIN" backup --instance "$inst" 2>"$T/$inst.$i.err")
        ra_assert_eq "$name: backup $i succeeds" 0 "$?"
        ids+=("$id")
        sleep 1
    done
    ra_assert_eq "$name: the log says $ev once" 1 "$(events "$inst" "$ev")"
    # newest 3 succeeded: the two new ones and 0004; pinned: 0002; 0001, 0003 and the failed 0005 expired
    ra_assert_eq "$name: the sweep keeps the newest 3 succeeded and the pinned one, deletes the rest" \
        "20200102T020000Z-0002 20200104T020000Z-0004 ${ids[0]:-x} ${ids[1]:-x} " "$(left "$inst")"
    ra_assert_eq "$name: the sweep mode is remembered for the day" sweep "$(state_mode "$inst")"
    if grep -q '"event":"retention.sweep".*deleting backup 20200101T020000Z-0001' "$T/$inst".*.err; then
        ra_ok "$name: the sweep says what it deletes"
    else
        ra_fail "$name: the sweep says what it deletes" "$(cat "$T/$inst".*.err | grep retention | head -5)"
    fi
    # a day later: checked again, and not said again while the store still refuses
    due "$inst"
    "$BIN" backup --instance "$inst" >/dev/null 2>"$T/$inst.3.err"
    ra_assert_eq "$name: a backup a day later succeeds" 0 "$?"
    ra_assert_eq "$name: a day later the check runs again, and $ev is not said again" 1 "$(events "$inst" "$ev")"
    ra_assert_eq "$name: still the sweep mode" sweep "$(state_mode "$inst")"
}

# ---- a store that refuses a lifecycle rule with a tag filter (the rule without one is taken)
run_case "tag filter refused" fb-tagrule retention.no-tags 'PUT ?lifecycle error:501:NotImplemented body:<Tag>'
ra_assert_eq "tag filter refused: the folder rule is put, the tag rule is not" "redis-archiver:redis-archiver/fb-tagrule " \
    "$(rule_ids fb-tagrule)"
ra_assert_eq "tag filter refused: the proxy refused the tag rule (first check, and a day later)" 2 \
    "$(fp_log | grep -c ' PUT .*lifecycle.* 501 error:NotImplemented')"
# the store takes tag rules again: a day later the tag rule goes in and the backups are tagged
fp_clear
due fb-tagrule
"$BIN" backup --instance fb-tagrule >/dev/null 2>"$T/fb-tagrule.4.err"
ra_assert_eq "tags taken again: a backup a day later succeeds" 0 "$?"
ra_assert_eq "tags taken again: the tag rule is put a day later" \
    "redis-archiver:redis-archiver/fb-tagrule redis-archiver:redis-archiver/fb-tagrule:expire-tagged " "$(rule_ids fb-tagrule)"
ra_assert_eq "tags taken again: the tags mode is remembered" tags "$(state_mode fb-tagrule)"
tag=$(ra_aws s3api get-object-tagging --bucket "$BUCKET" --key "redis-archiver/fb-tagrule/20200102T020000Z-0002.rdb" \
    --query 'TagSet[0].Value' --output text 2>&1)
ra_assert_eq "tags taken again: the pinned backup is tagged keep" keep "$tag"

# ---- a store without object tagging (PutObjectTagging answers 501): the tag rule goes again
fp_reset
run_case "no object tagging" fb-notag retention.no-tags 'PUT ?tagging error:501:NotImplemented'
ra_assert_eq "no object tagging: only the folder rule stays" "redis-archiver:redis-archiver/fb-notag " "$(rule_ids fb-notag)"
if grep -q '"event":"retention.sweep-mode"' "$T/fb-notag.3.err"; then ra_ok "no object tagging: the daily retry only notes it"
else ra_fail "no object tagging: the daily retry only notes it" "$(grep retention "$T/fb-notag.3.err")"; fi

# ---- no lifecycle at all: GET and PUT of the lifecycle answer 501
run_case "no lifecycle" fb-nolc retention.no-lifecycle '* ?lifecycle error:501:NotImplemented'
ra_assert_eq "no lifecycle: no rule of the instance in the bucket" "" "$(rule_ids fb-nolc)"

# ---- the lifecycle can be read but not put (PUT answers 501)
run_case "lifecycle PUT not implemented" fb-noput retention.no-lifecycle 'PUT ?lifecycle error:501:NotImplemented'
ra_assert_eq "lifecycle PUT not implemented: no rule of the instance in the bucket" "" "$(rule_ids fb-noput)"
if ! grep -q '"event":"retention.rules"' "$T"/fb-noput.*.err; then ra_ok "lifecycle PUT not implemented: no warning per backup"
else ra_fail "lifecycle PUT not implemented: no warning per backup" "$(grep retention.rules "$T"/fb-noput.*.err | head -3)"; fi
fp_clear

ra_done
