#!/usr/bin/env bash
# checksum.sh: part checksums, server-side encryption and storage class, end to end.
# - Into bench/nullstore.py --crc32c, a loopback fake that checks x-amz-checksum-crc32c and echoes it as AWS
#   S3 does: `part-checksum auto` creates the upload with x-amz-checksum-algorithm CRC32C, sends the CRC on
#   every part and, once part 1's answer echoed it, drops SHA-256 (UNSIGNED-PAYLOAD) on later parts; the fake
#   requires the part checksums in Complete. A part the fake damages on arrival is refused and sent again.
# - Into the fake as a store without checksum support (--refuse-checksum: B2's 400 at Create, R2's 501 on the
#   part, a strict schema's 400 MalformedXML to the CRC list in Complete): auto falls back to the signed
#   SHA-256 (or completes again without the list), says so once at warn, and the backup succeeds;
#   part-checksum crc32c fails (exit 4) naming part-checksum sha256.
# - sse / sse-kms-key-id / storage-class reach CreateMultipartUpload (signed), the record PUT carries SSE
#   but no storage class, and the key id stays out of info-level logs.
# - On the real store: auto finds that it does not echo the CRC (RGW 16, moto 5), keeps SHA-256, and the
#   backup restores to the master's digest; on moto the object's SSE and storage class are stored (HEAD); RGW 16
#   refuses SSE over http and unknown classes, and the backup says so.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
export REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-checksum
export REDIS_ARCHIVER_LOG_FORMAT=json REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
export REDIS_ARCHIVER_PART_SIZE=5MiB REDIS_ARCHIVER_CONCURRENCY=1

M=$RA_TEST_REDIS_MASTER_PORT
ra_redis_fill "$M" 16000 checksum: >/dev/null || { ra_fail "fill the master"; exit 1; }
digest=$(ra_redis_digest "$M")

FAKE_PID=
fake_start() { # NAME ARGS...: start the fake with a request log $T/NAME.log; sets FAKE_PORT
    local name=$1
    shift
    rm -f "$T/$name.port" "$T/$name.log"
    "$RA_PY" "$RA_ROOT/bench/nullstore.py" "$T/$name.port" --log "$T/$name.log" "$@" 2>"$T/$name.err" &
    FAKE_PID=$!
    for ((i = 0; i < 100; i++)); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
    FAKE_PORT=$(cat "$T/$name.port" 2>/dev/null)
}
fake_stop() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null; FAKE_PID=; }
trap fake_stop EXIT

# the parts of a request log (JSON lines), in order of arrival: "part N CRC sha256|unsigned after|before",
# after = the part arrived after part 1 was answered (200)
parts_py='
import json, sys
recs = [json.loads(line) for line in open(sys.argv[1])]
parts = []
for r in recs:
    q = r["query"]
    if r["method"] == "PUT" and "partNumber=" in q:
        parts.append((r["start"], int([p.split("=")[1] for p in q.split("&") if p.startswith("partNumber=")][0]), r))
first = min([r["end"] for _, n, r in parts if n == 1 and r["status"] == 200] or [0])
for start, n, r in sorted(parts, key=lambda p: p[0]):
    h = r["headers"]
    print("part", n, h.get("x-amz-checksum-crc32c", "-"),
          "unsigned" if h.get("x-amz-content-sha256") == "UNSIGNED-PAYLOAD" else "sha256",
          "after" if first and start > first else "before")
'
# --- auto into a store that checks and echoes CRC-32C
fake_start echo --crc32c
BK=(env REDIS_ARCHIVER_ENDPOINT="http://127.0.0.1:$FAKE_PORT" REDIS_ARCHIVER_BUCKET=fake "$BIN")
"${BK[@]}" backup --log-level debug >/dev/null 2>"$T/echo.err"
rc=$?
ra_assert_eq "auto into a CRC-checking store: the backup exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/echo.err" | tail -n 20
"$RA_PY" -c "$parts_py" "$T/echo.log" >"$T/echo.parts"
nparts=$(wc -l <"$T/echo.parts")
if [ "$nparts" -ge 3 ]; then ra_ok "the backup had $nparts parts"; else ra_fail "the backup had 3 or more parts" "$(cat "$T/echo.parts")"; fi
if grep -q '"x-amz-checksum-algorithm": "CRC32C"' <(grep '"method": "POST"' "$T/echo.log" | grep '"query": "uploads'); then
    ra_ok "the upload was created with x-amz-checksum-algorithm CRC32C"
else ra_fail "the upload was created with x-amz-checksum-algorithm CRC32C" "$(grep uploads "$T/echo.log" | head -1)"; fi
if ! awk '$3 == "-"' "$T/echo.parts" | grep -q .; then ra_ok "every part carried x-amz-checksum-crc32c"
else ra_fail "every part carried x-amz-checksum-crc32c" "$(cat "$T/echo.parts")"; fi
ra_assert_eq "part 1 also carried the signed SHA-256 (not yet known that the CRC is checked)" "sha256" \
    "$(awk '$2 == 1 { print $4 }' "$T/echo.parts")"
# parts hashed while part 1 was still unanswered carry both, every part hashed after its answer only the CRC:
# in order of arrival no signed part follows an unsigned one (the store's clock cannot tell when the client
# hashed a part: one hashed just before the answer may arrive after it), and the last part, which waits at
# concurrency 1 for part 1's buffer (2 buffers) and so for its answer, is unsigned
order=$(awk '{ print $4 }' "$T/echo.parts" | uniq | tr '\n' ' ')
case "$order" in
"sha256 unsigned ") ra_ok "parts hashed after part 1's answer carried only the CRC (UNSIGNED-PAYLOAD), none signed after" ;;
*) ra_fail "parts hashed after part 1's answer carried only the CRC (UNSIGNED-PAYLOAD), none signed after" "$(cat "$T/echo.parts")" ;;
esac
if grep -q "echoed part 1's CRC-32C" "$T/echo.err"; then ra_ok "the decision is logged at debug"
else ra_fail "the decision is logged at debug" "$(grep -i crc "$T/echo.err" | head -3)"; fi
fake_stop

# --- a part damaged on the way is refused (BadDigest) and sent again
fake_start corrupt --crc32c --corrupt 2
"$BIN" backup >/dev/null 2>"$T/corrupt.err" \
    --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake
rc=$?
ra_assert_eq "with part 2 damaged once, the backup still exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/corrupt.err" | tail -n 20
if grep -q "part 2 of .* arrived damaged (BadDigest)" "$T/corrupt.err"; then ra_ok "the damaged part is named in a warning"
else ra_fail "the damaged part is named in a warning" "$(tail -n 5 "$T/corrupt.err")"; fi
"$RA_PY" -c "$parts_py" "$T/corrupt.log" >"$T/corrupt.parts"
ra_assert_eq "part 2 was sent twice" 2 "$(awk '$2 == 2' "$T/corrupt.parts" | wc -l)"
fake_stop

# --- part-checksum sha256 into the same fake: no CRC anywhere (the old behaviour is kept on request)
fake_start sha --crc32c
"$BIN" backup --part-checksum sha256 --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/sha.err"
ra_assert_eq "part-checksum sha256: exit 0" 0 "$?"
"$RA_PY" -c "$parts_py" "$T/sha.log" >"$T/sha.parts"
ra_assert_eq "part-checksum sha256: every part signed, none with a CRC" "- sha256" "$(awk '{ print $3, $4 }' "$T/sha.parts" | sort -u)"
fake_stop

# --- a store that refuses the CRC-32C headers (no checksum support): auto falls back, crc32c fails naming the way
# out. "create": Create with x-amz-checksum-algorithm is refused (400 InvalidArgument, B2's answer); "part": Create
# is taken, the first part is refused (501 NotImplemented, R2's answer) and sent again from its buffer
# the requests of a log, in order of arrival: "create ALGORITHM STATUS", "part N CRC sha256|unsigned STATUS",
# "complete with|without-checksums STATUS"
reqs_py='
import json, sys
recs = sorted((json.loads(line) for line in open(sys.argv[1])), key=lambda r: r["start"])
for r in recs:
    h, q = r["headers"], r["query"]
    if r["method"] == "POST" and q.startswith("uploads"):
        print("create", h.get("x-amz-checksum-algorithm", "-"), r["status"])
    elif r["method"] == "PUT" and "partNumber=" in q:
        n = [p.split("=")[1] for p in q.split("&") if p.startswith("partNumber=")][0]
        print("part", n, h.get("x-amz-checksum-crc32c", "-"),
              "unsigned" if h.get("x-amz-content-sha256") == "UNSIGNED-PAYLOAD" else "sha256", r["status"])
    elif r["method"] == "POST" and "uploadId=" in q:
        print("complete", r["status"])
'
for where in create part; do
    fake_start "refuse-$where" --refuse-checksum "$where"
    "$BIN" backup --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/refuse-$where.err"
    rc=$?
    ra_assert_eq "auto into a store refusing the CRC at $where: the backup exits 0" 0 "$rc"
    [ $rc = 0 ] || sed 's/^/#   /' "$T/refuse-$where.err" | tail -n 20
    "$RA_PY" -c "$reqs_py" "$T/refuse-$where.log" >"$T/refuse-$where.reqs"
    warns=$(grep -c '"level": *"warn".*refused the CRC-32C checksum headers' "$T/refuse-$where.err")
    ra_assert_eq "refused at $where: said once at warn" 1 "$warns"
    if [ "$where" = create ]; then
        answer="CreateMultipartUpload: 400 InvalidArgument: Unsupported header 'x-amz-checksum-algorithm'"
        ra_assert_eq "refused at create: created again without the algorithm" "create CRC32C 400|create - 200" \
            "$(grep '^create' "$T/refuse-$where.reqs" | paste -sd'|')"
        ra_assert_eq "refused at create: every part carried the signed SHA-256 and no CRC" "- sha256 200" \
            "$(awk '$1 == "part" { print $3, $4, $5 }' "$T/refuse-$where.reqs" | sort -u)"
    else
        answer="UploadPart: 501 NotImplemented: Header 'x-amz-checksum-crc32c'"
        ra_assert_eq "refused at part 1: created with the algorithm (the store ignores it)" "create CRC32C 200" \
            "$(grep '^create' "$T/refuse-$where.reqs")"
        ra_assert_eq "refused at part 1: part 1 was refused with its CRC first" "crc 501" \
            "$(awk '$1 == "part" && $2 == 1 { print ($3 == "-" ? "-" : "crc"), $5; exit }' "$T/refuse-$where.reqs")"
        # parts already in flight with the CRC when part 1 was refused are refused too, and sent again
        ra_assert_eq "refused at part 1: only attempts with the CRC were refused" "crc 501" \
            "$(awk '$1 == "part" && $5 != 200 { print ($3 == "-" ? "-" : "crc"), $5 }' "$T/refuse-$where.reqs" | sort -u)"
        ra_assert_eq "refused at part 1: every part stored carried the signed SHA-256 and no CRC" "- sha256 200" \
            "$(awk '$1 == "part" && $5 == 200 { print $3, $4, $5 }' "$T/refuse-$where.reqs" | sort -u)"
    fi
    nparts=$(awk '$1 == "part" && $NF == 200' "$T/refuse-$where.reqs" | wc -l)
    if [ "$nparts" -ge 3 ]; then ra_ok "refused at $where: $nparts parts stored"; else ra_fail "refused at $where: 3 or more parts stored" "$(cat "$T/refuse-$where.reqs")"; fi
    ra_assert_eq "refused at $where: completed" "complete 200" "$(grep '^complete' "$T/refuse-$where.reqs")"
    if grep -F "$answer" "$T/refuse-$where.err" | grep -q "set part-checksum sha256 to silence this"; then
        ra_ok "refused at $where: the warning names the store's answer and the setting"
    else ra_fail "refused at $where: the warning names the store's answer and the setting" "$(grep -i refused "$T/refuse-$where.err")"; fi
    fake_stop

    # explicit crc32c: the backup fails (store error, exit 4), naming part-checksum sha256; nothing is asked again
    fake_start "crc-$where" --refuse-checksum "$where"
    "$BIN" backup --part-checksum crc32c --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/crc-$where.err"
    ra_assert_eq "part-checksum crc32c into a store refusing the CRC at $where: exit 4" 4 "$?"
    if grep -q "the store does not take the CRC-32C checksum headers: set part-checksum sha256" "$T/crc-$where.err"; then
        ra_ok "part-checksum crc32c, refused at $where: the error names part-checksum sha256"
    else ra_fail "part-checksum crc32c, refused at $where: the error names part-checksum sha256" "$(tail -n 3 "$T/crc-$where.err")"; fi
    "$RA_PY" -c "$reqs_py" "$T/crc-$where.log" >"$T/crc-$where.reqs"
    ra_assert_eq "part-checksum crc32c, refused at $where: one Create, with the algorithm" "create CRC32C" \
        "$(awk '$1 == "create" { print $1, $2 }' "$T/crc-$where.reqs")"
    if grep -q "^part.* - " "$T/crc-$where.reqs"; then ra_fail "part-checksum crc32c: no part without the CRC" "$(cat "$T/crc-$where.reqs")"
    else ra_ok "part-checksum crc32c, refused at $where: no part was sent without the CRC"; fi
    fake_stop
done

# a strict store takes (ignores) the headers but refuses the CRC list in Complete (400 MalformedXML): auto
# completes again without it (every part is stored), crc32c fails naming part-checksum sha256
fake_start refuse-complete --refuse-checksum complete
"$BIN" backup --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/refuse-complete.err"
rc=$?
ra_assert_eq "auto into a store refusing the CRC list in Complete: the backup exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/refuse-complete.err" | tail -n 20
"$RA_PY" -c "$reqs_py" "$T/refuse-complete.log" >"$T/refuse-complete.reqs"
ra_assert_eq "refused at complete: completed again" "complete 400|complete 200" \
    "$(grep '^complete' "$T/refuse-complete.reqs" | paste -sd'|')"
if grep '"level": *"warn"' "$T/refuse-complete.err" | grep -q "CompleteMultipartUpload: 400 MalformedXML"; then
    ra_ok "refused at complete: said at warn, naming the answer"
else ra_fail "refused at complete: said at warn, naming the answer" "$(grep -i refused "$T/refuse-complete.err")"; fi
fake_stop
fake_start crc-complete --refuse-checksum complete
"$BIN" backup --part-checksum crc32c --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/crc-complete.err"
ra_assert_eq "part-checksum crc32c into a store refusing the CRC list in Complete: exit 4" 4 "$?"
if grep -q "400 MalformedXML.*set part-checksum sha256" "$T/crc-complete.err"; then
    ra_ok "part-checksum crc32c, refused at complete: the error names part-checksum sha256"
else ra_fail "part-checksum crc32c, refused at complete: the error names part-checksum sha256" "$(tail -n 3 "$T/crc-complete.err")"; fi
fake_stop

# --- sse, sse-kms-key-id, storage-class: on CreateMultipartUpload, signed; records get SSE only
KEYID=arn:aws:kms:eu-west-1:111122223333:key/it-checksum-key
fake_start sse
"$BIN" backup --sse aws:kms --sse-kms-key-id "$KEYID" --storage-class STANDARD_IA \
    --endpoint "http://127.0.0.1:$FAKE_PORT" --bucket fake >/dev/null 2>"$T/sse.err"
rc=$?
ra_assert_eq "sse aws:kms + storage-class: the backup exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/sse.err" | tail -n 20
check_py='
import json, sys
log, keyid = sys.argv[1], sys.argv[2]
want = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": keyid}
create = records = 0
for line in open(log):
    r = json.loads(line)
    h = r["headers"]
    signed = h.get("authorization", "").split("SignedHeaders=")[-1].split(",")[0].split(";")
    if r["method"] == "POST" and r["query"].startswith("uploads"):
        create += 1
        for k, v in list(want.items()) + [("x-amz-storage-class", "STANDARD_IA")]:
            if h.get(k) != v: sys.exit("create: %s is %r" % (k, h.get(k)))
            if k not in signed: sys.exit("create: %s is not signed" % k)
    elif r["method"] == "PUT" and r["path"].endswith(".json"):
        records += 1
        for k, v in want.items():
            if h.get(k) != v: sys.exit("record %s: %s is %r" % (r["path"], k, h.get(k)))
            if k not in signed: sys.exit("record: %s is not signed" % k)
        if "x-amz-storage-class" in h: sys.exit("record %s has a storage class" % r["path"])
if create != 1 or records < 1: sys.exit("creates %d, records %d" % (create, records))
print("ok")
'
ra_assert_eq "SSE and storage class on Create (signed), SSE on the records, no storage class on them" ok \
    "$("$RA_PY" -c "$check_py" "$T/sse.log" "$KEYID" 2>&1)"
if grep -q "it-checksum-key" "$T/sse.err"; then ra_fail "the KMS key id is not logged at info" "$(grep it-checksum-key "$T/sse.err" | head -2)"
else ra_ok "the KMS key id is not logged at info"; fi
fake_stop

# bad values are refused before anything runs
"$BIN" backup --storage-class 'standard ia' --endpoint http://127.0.0.1:1 --bucket fake >/dev/null 2>"$T/bad.err"
ra_assert_eq "an invalid storage-class is a usage error (exit 2)" 2 "$?"

# --- the real store: auto finds no echo, keeps SHA-256, and the backup restores
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
BUCKET=it-checksum-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET
id=$("$BIN" backup --log-level debug 2>"$T/real.err")
rc=$?
ra_assert_eq "auto on $RA_TEST_S3_STORE: exit 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/real.err" | tail -n 20
if grep -q "did not echo part 1's CRC-32C: parts carry CRC-32C and SHA-256" "$T/real.err"; then
    ra_ok "$RA_TEST_S3_STORE does not echo the CRC: auto keeps SHA-256"
else ra_fail "$RA_TEST_S3_STORE does not echo the CRC: auto keeps SHA-256" "$(grep -i crc "$T/real.err" | head -3)"; fi
url=$("$BIN" url "$id" 2>/dev/null)
curl -sf -o "$T/real.rdb" "$url"
ra_assert_eq "the backup restores to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/real.rdb")"

# moto stores SSE and the storage class and reports them on HEAD. The harness's RGW 16 refuses SSE over http
# (400 InvalidRequest: it wants TLS and keys) and classes it has no placement for (400 InvalidArgument): the
# backup then fails before any byte is sent, saying so
if ra_store_is rgw; then
    "$BIN" backup --sse AES256 >/dev/null 2>"$T/rgw-sse.err"
    ra_assert_eq "RGW: sse AES256 over http is refused (exit 4)" 4 "$?"
    if grep -q "400 InvalidRequest" "$T/rgw-sse.err"; then ra_ok "RGW: the refusal is shown"
    else ra_fail "RGW: the refusal is shown" "$(tail -n 3 "$T/rgw-sse.err")"; fi
    "$BIN" backup --storage-class STANDARD_IA >/dev/null 2>"$T/rgw-ia.err"
    ra_assert_eq "RGW: an unknown storage class is refused at CreateMultipartUpload (exit 4)" 4 "$?"
    if grep -q "starting upload of .*400 InvalidArgument" "$T/rgw-ia.err"; then ra_ok "RGW: the refusal names the upload"
    else ra_fail "RGW: the refusal names the upload" "$(tail -n 3 "$T/rgw-ia.err")"; fi
    id=$("$BIN" backup --storage-class STANDARD 2>"$T/rgw-std.err")
    ra_assert_eq "RGW: storage-class STANDARD: exit 0" 0 "$?"
    obj=$(ra_aws s3api list-objects-v2 --bucket "$BUCKET" --query "Contents[?contains(Key, '$id')].Key" --output text 2>/dev/null | tr '\t' '\n' | grep '\.rdb$' | head -1)
    ra_assert_eq "RGW: the object is stored as STANDARD" "STANDARD" \
        "$(ra_aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "$obj" --query 'Contents[0].StorageClass' --output text 2>&1)"
else
    id=$("$BIN" backup --sse AES256 --storage-class STANDARD_IA 2>"$T/moto-sse.err")
    rc=$?
    ra_assert_eq "sse AES256 + storage-class STANDARD_IA on $RA_TEST_S3_STORE: exit 0" 0 "$rc"
    [ $rc = 0 ] || sed 's/^/#   /' "$T/moto-sse.err" | tail -n 20
    rdb=$(ra_aws s3api list-objects-v2 --bucket "$BUCKET" --query "Contents[?contains(Key, '$id')].Key" --output text 2>/dev/null | tr '\t' '\n')
    obj=$(grep '\.rdb$' <<<"$rdb" | head -1)
    rec=$(grep '\.json$' <<<"$rdb" | head -1)
    ra_assert_eq "the backup object is stored with SSE AES256 and STANDARD_IA" "AES256 STANDARD_IA" \
        "$(ra_aws s3api head-object --bucket "$BUCKET" --key "$obj" --query '[ServerSideEncryption, StorageClass]' --output text 2>&1 | tr '\t' ' ')"
    ra_assert_eq "its record with SSE AES256 and the default class" "AES256 None" \
        "$(ra_aws s3api head-object --bucket "$BUCKET" --key "$rec" --query '[ServerSideEncryption, StorageClass]' --output text 2>&1 | tr '\t' ' ')"
fi
ra_done
