#!/usr/bin/env bash
# retention.sh: `retention --apply` read-modify-writes the bucket's whole lifecycle configuration. Two runs
# for two instances at the same moment (cron jobs of one bucket) must both leave their rule: each reads
# the rules back after its put and merges again when a concurrent put replaced them (faults.md R6).
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
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
    want="redis-archiver:redis-archiver/a$i redis-archiver:redis-archiver/b$i redis-archiver:redis-archiver/other$i "
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
lid=$(ra_aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" --query 'Rules[].ID' --output text 2>/dev/null |
    tr '\t' '\n' | grep '^redis-archiver:ppp')
if [ -n "$lid" ] && [ ${#lid} -le 255 ] && [[ $lid =~ ~[0-9a-f]{16}$ ]]; then
    ra_ok "a long rule ID is cut to 255 characters and ends with a hash"
else
    ra_fail "a long rule ID is cut to 255 characters and ends with a hash" "'$lid' (${#lid})"
fi
out=$("$BIN" retention --apply --instance long --prefix "$long" 2>&1)
if grep -q "already up to date" <<<"$out"; then ra_ok "the shortened rule is found again"; else ra_fail "the shortened rule is found again" "$out"; fi

ra_done
