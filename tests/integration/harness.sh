#!/usr/bin/env bash
# tests/integration/harness.sh: proves the test harness itself: replication, RDB restore digest, and the S3
# store of the run (RA_TEST_STORE): RGW really checks signatures; moto is found and says so when it is not.
# Uses the servers of tests/run.sh, or starts its own when run alone.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1

if ! ra_need_redis; then ra_fail "redis master/replica start"; exit 1; fi
M=$RA_TEST_REDIS_MASTER_PORT
R=$RA_TEST_REDIS_REPLICA_PORT
PFX=harness$$ # own keys: the shared pair may hold others' data too

# --- redis
if ra_redis_fill "$M" 3000 "$PFX"; then ra_ok "fill master with 3000 mixed keys"; else ra_fail "fill master with 3000 mixed keys"; fi
types=$(for t in str int hash list set zset ttl; do redis-cli -p "$M" type "$PFX:$t:$(
    case $t in str) echo 0 ;; int) echo 4 ;; hash) echo 5 ;; list) echo 6 ;; set) echo 7 ;; zset) echo 8 ;; ttl) echo 9 ;; esac
)"; done | tr '\n' ' ')
ra_assert_eq "sample data has every type" "string string hash list set zset string " "$types"
ra_assert_eq "sample stream" "stream" "$(redis-cli -p "$M" type "$PFX:stream")"
ttl=$(redis-cli -p "$M" ttl "$PFX:ttl:9")
if [ "$ttl" -gt 80000 ] 2>/dev/null; then ra_ok "sample key with a TTL"; else ra_fail "sample key with a TTL" "ttl=$ttl"; fi
ra_assert_eq "replica has the master's key count" "$(redis-cli -p "$M" dbsize)" "$(redis-cli -p "$R" dbsize)"

md=$(ra_redis_digest "$M")
rd=$(ra_redis_digest "$R")
if [[ $md =~ ^[0-9a-f]{40}$ ]] && [ "$md" != 0000000000000000000000000000000000000000 ]; then
    ra_ok "master digest is a real digest"
else
    ra_fail "master digest is a real digest" "got '$md'"
fi
ra_assert_eq "replica digest equals master digest" "$md" "$rd"

rdb=$RA_TEST_TMPDIR/replica.rdb
if out=$(redis-cli -h 127.0.0.1 -p "$R" --rdb "$rdb" 2>&1) && [ "$(head -c 5 "$rdb")" = REDIS ]; then
    ra_ok "redis-cli --rdb from the replica"
else
    ra_fail "redis-cli --rdb from the replica" "$out"
fi
ra_assert_eq "pulled RDB restores to the master digest" "$md" "$(ra_redis_restore_digest "$rdb" 2>&1)"

# the check is not vacuous: a truncated RDB must not restore
head -c $(($(stat -c %s "$rdb") / 2)) "$rdb" >"$RA_TEST_TMPDIR/half.rdb"
if ra_redis_restore_digest "$RA_TEST_TMPDIR/half.rdb" >/dev/null 2>&1; then
    ra_fail "truncated RDB is refused by the restore check"
else
    ra_ok "truncated RDB is refused by the restore check"
fi
# and a different dataset gives a different digest
redis-cli -p "$M" set "$PFX:extra" x >/dev/null
ra_redis_sync_replicas "$M" >/dev/null 2>&1
if [ "$(ra_redis_digest "$R")" != "$md" ]; then ra_ok "digest changes with the data"; else ra_fail "digest changes with the data"; fi

# --- S3 (the store of the run: RGW or moto)
if ! ra_need_s3; then ra_fail "S3 store (${RA_TEST_STORE:-rgw}) start"; exit 1; fi
B=$RA_TEST_S3_BUCKET
key=harness/$$/object.bin
head -c 100000 /dev/urandom >"$RA_TEST_TMPDIR/obj"
sum=$(sha256sum <"$RA_TEST_TMPDIR/obj")
ra_check "aws s3api put-object" ra_aws s3api put-object --bucket "$B" --key "$key" --body "$RA_TEST_TMPDIR/obj"
listed=$(ra_aws s3api list-objects-v2 --bucket "$B" --prefix "harness/$$/" --query 'Contents[].[Key,Size]' --output text 2>&1)
ra_assert_eq "put object is listed with its size" "$key	100000" "$listed"

# moto lets every request in: the cases about refusals hold on RGW only
NOAUTH="moto does not check SigV4 signatures or who asks"
if ! ra_store_skip moto "anonymous GET is refused" "$NOAUTH"; then
    code=$(curl -s -o /dev/null -w '%{http_code}' "$RA_TEST_S3_ENDPOINT/$B/$key")
    ra_assert_eq "anonymous GET is refused" 403 "$code"
fi
if ! ra_store_skip moto "GET signed with a wrong secret is refused (403)" "$NOAUTH"; then
    code=$(curl -s -o "$RA_TEST_TMPDIR/err.xml" -w '%{http_code}' --aws-sigv4 "aws:amz:$RA_TEST_S3_REGION:s3" \
        --user "$RA_TEST_S3_ACCESS_KEY:wrong$RA_TEST_S3_SECRET_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
        "$RA_TEST_S3_ENDPOINT/$B/$key")
    ra_assert_eq "GET signed with a wrong secret is refused (403)" 403 "$code"
fi
if ! ra_store_skip moto "wrong secret: SignatureDoesNotMatch" "$NOAUTH"; then
    if grep -q SignatureDoesNotMatch "$RA_TEST_TMPDIR/err.xml"; then ra_ok "wrong secret: SignatureDoesNotMatch"; else
        ra_fail "wrong secret: SignatureDoesNotMatch" "$(cat "$RA_TEST_TMPDIR/err.xml")"; fi
fi
if ra_store_skip moto "awscli with a wrong secret fails" "$NOAUTH"; then
    :
elif RA_TEST_S3_SECRET_KEY=wrong$RA_TEST_S3_SECRET_KEY ra_aws s3api head-object --bucket "$B" --key "$key" >/dev/null 2>&1; then
    ra_fail "awscli with a wrong secret fails"
else
    ra_ok "awscli with a wrong secret fails"
fi
ra_assert_eq "GET signed with the right secret (curl sigv4)" "$sum" "$(ra_s3_curl "$RA_TEST_S3_ENDPOINT/$B/$key" | sha256sum)"

url=$(ra_aws s3 presign "s3://$B/$key" --expires-in 600 2>&1)
if [[ $url == "$RA_TEST_S3_ENDPOINT/$B/"*X-Amz-Signature=* ]]; then ra_ok "aws s3 presign gives a path-style SigV4 URL"; else
    ra_fail "aws s3 presign gives a path-style SigV4 URL" "$url"; fi
ra_assert_eq "presigned URL downloads the object with plain curl" "$sum" "$(curl -sf "$url" | sha256sum)"
if ! ra_store_skip moto "presigned URL with a changed expiry is refused" "$NOAUTH"; then
    code=$(curl -s -o /dev/null -w '%{http_code}' "${url/X-Amz-Expires=600/X-Amz-Expires=601}")
    ra_assert_eq "presigned URL with a changed expiry is refused" 403 "$code"
fi

ra_s3_bucket "harness-$$" >/dev/null 2>&1
if ra_aws s3api head-bucket --bucket "harness-$$" >/dev/null 2>&1; then ra_ok "ra_s3_bucket creates a bucket"; else ra_fail "ra_s3_bucket creates a bucket"; fi
if ra_store_skip moto "radosgw-admin works with RA_TEST_S3_CEPH_CONF" "there is no Ceph cluster (RA_TEST_S3_CEPH_CONF empty)"; then
    :
elif timeout 60 radosgw-admin -c "$RA_TEST_S3_CEPH_CONF" bucket list 2>/dev/null | grep -q "\"harness-$$\""; then
    ra_ok "radosgw-admin works with RA_TEST_S3_CEPH_CONF"
else
    ra_fail "radosgw-admin works with RA_TEST_S3_CEPH_CONF"
fi
# the store matrix: every store says which it is; moto is found by the same search the fixture makes
ra_assert_eq "the store names itself in RA_TEST_S3_STORE" "${RA_TEST_STORE:-rgw}" "${RA_TEST_S3_STORE:-}"
if ra_store_is moto; then
    if py=$(ra_moto_python) && [ -n "$py" ]; then ra_ok "ra_moto_python finds a python3 with moto ($py)"
    else ra_fail "ra_moto_python finds a python3 with moto" "$RA_MOTO_HOWTO"; fi
    out=$(RA_MOTO_PYTHON=/nonexistent/python3 ra_moto_start 2>&1)
    rc=$?
    if [ $rc != 0 ] && grep -q "no python3 can import moto.server" <<<"$out" && grep -q "make deps" <<<"$out"; then
        ra_ok "without moto the fixture fails and says how to install it"
    else
        ra_fail "without moto the fixture fails and says how to install it" "rc $rc" "$out"
    fi
fi

# leave the shared bucket as we found it
ra_aws s3 rm --recursive --quiet "s3://$B/harness/$$/" >/dev/null 2>&1
ra_aws s3api delete-bucket --bucket "harness-$$" >/dev/null 2>&1
redis-cli -p "$M" eval "for _,k in ipairs(redis.call('keys', ARGV[1])) do redis.call('del', k) end" 0 "$PFX:*" >/dev/null
ra_done
