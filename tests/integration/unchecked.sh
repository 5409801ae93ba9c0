#!/usr/bin/env bash
# unchecked.sh: a source with `rdbchecksum no` writes a CRC-64 field of zero, so only the RDB's framing can be
# verified (faults.md R7). Such a stream is refused by default (exit 5, nothing left in the bucket); with
# allow-unchecked-rdb the backup goes through, its record says `unchecked`, and it restores to the digest.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-unchecked REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-unchecked-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

M=$RA_TEST_REDIS_MASTER_PORT
ra_redis_fill "$M" 2000 unchecked: >/dev/null
digest=$(ra_redis_digest "$M")
# a second replica of the master that writes its snapshots without a checksum
R=$(ra_redis_start nocrc "replicaof 127.0.0.1 $M" "rdbchecksum no" "repl-diskless-sync-delay 0") ||
    { ra_fail "a replica with rdbchecksum no starts"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "the rdbchecksum-no replica links to its master"; exit 1; }
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R

# --- refused by default: exit 5, the reason named, no object or open upload left
"$BIN" backup >/dev/null 2>"$T/refused.err"
rc=$?
ra_assert_eq "a stream without CRC-64 is refused by default (exit 5)" 5 "$rc"
if grep -q "allow-unchecked-rdb" "$T/refused.err"; then ra_ok "the refusal names allow-unchecked-rdb"
else ra_fail "the refusal names allow-unchecked-rdb" "$(cat "$T/refused.err")"; fi
objs=$(ra_aws s3api list-objects-v2 --bucket "$BUCKET" --query 'Contents[?ends_with(Key, `.rdb`)].Key' --output text 2>/dev/null)
case "$objs" in "" | None) ra_ok "the refused backup left no object" ;; *) ra_fail "the refused backup left no object" "$objs" ;; esac
ups=$(ra_aws s3api list-multipart-uploads --bucket "$BUCKET" --query 'Uploads[].Key' --output text 2>/dev/null)
case "$ups" in "" | None) ra_ok "the refused backup left no open upload" ;; *) ra_fail "the refused backup left no open upload" "$ups" ;; esac

# --- allowed: exit 0, the record says unchecked, the object restores to the master's digest
id=$("$BIN" backup --allow-unchecked-rdb yes 2>"$T/allowed.err")
rc=$?
ra_assert_eq "with allow-unchecked-rdb the backup exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/allowed.err"
flag=$("$BIN" list --json 2>/dev/null | "$RA_PY" -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]]
print(r[0].get("unchecked", False) if r else "missing")' "$id")
ra_assert_eq "its record says unchecked" "True" "$flag"
url=$("$BIN" url "$id" 2>/dev/null)
curl -sf -o "$T/u.rdb" "$url"
ra_assert_eq "the unchecked backup restores to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/u.rdb")"
ra_redis_stop "$R"
ra_done
