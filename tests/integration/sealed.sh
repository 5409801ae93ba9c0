#!/usr/bin/env bash
# sealed.sh: compressed and encrypted backups in standard formats, with the real tools as peers. A backup
# with zstd + age, downloaded with curl from its url and opened with Debian's age and zstd, restores to the
# master's DEBUG DIGEST; verify passes with the identity, fails with another (exit 5) and on a flipped
# byte (exit 5); zstd alone and age alone round-trip; our encryptor and age read each other's files.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
SEALPIPE=$(dirname "$BIN")/tests/helpers/sealpipe
T=$RA_TEST_TMPDIR/sealed
mkdir -p "$T"

for tool in age age-keygen zstd curl; do
    if ! command -v $tool >/dev/null; then
        ra_skip "sealed backups" "$tool is not installed (make deps)"
        exit 0
    fi
done

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-sealed
BUCKET=it-sealed-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

age-keygen -o "$T/key.txt" 2>/dev/null
age-keygen -o "$T/other.txt" 2>/dev/null
RCPT=$(age-keygen -y "$T/key.txt")
OTHER=$(age-keygen -y "$T/other.txt")

ra_redis_fill "$RA_TEST_REDIS_MASTER_PORT" 20000 sealed: >/dev/null
digest=$(ra_redis_digest "$RA_TEST_REDIS_MASTER_PORT")

# record_field ID FIELD: a field of the backup's record, from list --json
record_field() {
    "$BIN" list --json 2>/dev/null | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["id"] == sys.argv[1]][0]
v = r[sys.argv[2]]
print(",".join(v) if isinstance(v, list) else v)' "$1" "$2"
}

# --- zstd + age: the object name, record and metadata say so; the url's download opens with age and zstd
id=$("$BIN" backup --compression zstd --compression-level 1 --encrypt-recipient "$RCPT,$OTHER" 2>"$T/backup.err")
rc=$?
ra_assert_eq "backup with zstd + age exits 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$T/backup.err"
key=$(record_field "$id" key)
case "$key" in */$id.rdb.zst.age) ra_ok "the object name says .rdb.zst.age" ;; *) ra_fail "the object name says .rdb.zst.age" "$key" ;; esac
ra_assert_eq "the record says the format" "rdb.zst.age" "$(record_field "$id" format)"
fp1=$(printf %s "$RCPT" | sha256sum | cut -c1-16)
fp2=$(printf %s "$OTHER" | sha256sum | cut -c1-16)
ra_assert_eq "the record lists the recipients' fingerprints" "$fp1,$fp2" "$(record_field "$id" recipients)"
if ! "$BIN" list --json 2>/dev/null | grep -q "AGE-SECRET-KEY"; then ra_ok "no secret in the record"; else ra_fail "no secret in the record"; fi
meta=$(ra_aws s3api head-object --bucket "$BUCKET" --key "$key" 2>/dev/null | python3 -c 'import json,sys; m=json.load(sys.stdin)["Metadata"]; print(m.get("format"), m.get("recipients"))')
ra_assert_eq "the object metadata says the format and fingerprints" "rdb.zst.age $fp1,$fp2" "$meta"

url=$("$BIN" url "$id" 2>"$T/url.err")
ra_assert_eq "url exits 0" 0 "$?"
if grep -q "age -d -i KEY | zstd -d > dump.rdb" "$T/url.err" && grep -q "age-encrypted, zstd-compressed" "$T/url.err"; then
    ra_ok "url says what the link gives and how to open it"
else
    ra_fail "url says what the link gives and how to open it" "$(cat "$T/url.err")"
fi
opener=$("$BIN" url "$id" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["format"], "|", d["open_command"])')
ra_assert_eq "url --json has format and open_command" "rdb.zst.age | age -d -i KEY | zstd -d > dump.rdb" "$opener"
curl -sf -o "$T/dl.rdb.zst.age" "$url"
ra_assert_eq "curl downloads the sealed backup" 0 "$?"
head -c 22 "$T/dl.rdb.zst.age" >"$T/magic"
ra_assert_eq "the download is an age file" "age-encryption.org/v1" "$(head -1 "$T/magic")"
age -d -i "$T/key.txt" "$T/dl.rdb.zst.age" | zstd -d -q >"$T/dump.rdb"
ra_assert_eq "age -d | zstd -d opens it" "0 0" "${PIPESTATUS[*]}"
ra_assert_eq "the opened RDB restores to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/dump.rdb")"
age -d -i "$T/other.txt" "$T/dl.rdb.zst.age" | zstd -d -q | cmp -s - "$T/dump.rdb"
ra_assert_eq "the second recipient opens it too" 0 "$?"

# --- verify undoes the stages: the identity passes, another identity and a flipped byte fail with exit 5
out=$("$BIN" verify "$id" --identity-file "$T/key.txt" 2>"$T/verify.err")
rc=$?
ra_assert_eq "verify with the identity exits 0" 0 "$rc"
case "$out" in *"verified: "*"stored as rdb.zst.age"*) ra_ok "verify says it opened the sealed format" ;; *) ra_fail "verify says it opened the sealed format" "$out $(cat "$T/verify.err")" ;; esac
"$BIN" verify "$id" >/dev/null 2>"$T/verify-noid.err"
rc=$?
if [ $rc = 2 ] && grep -q "identity-file" "$T/verify-noid.err"; then ra_ok "verify without an identity asks for identity-file (exit 2)"
else ra_fail "verify without an identity asks for identity-file (exit 2)" "rc $rc: $(cat "$T/verify-noid.err")"; fi
age-keygen -o "$T/stranger.txt" 2>/dev/null
"$BIN" verify "$id" --identity-file "$T/stranger.txt" >/dev/null 2>"$T/verify-wrong.err"
rc=$?
if [ $rc = 5 ] && grep -q "no identity in identity-file opens" "$T/verify-wrong.err"; then ra_ok "verify with a wrong identity fails clearly (exit 5)"
else ra_fail "verify with a wrong identity fails clearly (exit 5)" "rc $rc: $(cat "$T/verify-wrong.err")"; fi
if ! grep -q "AGE-SECRET-KEY" "$T/verify-wrong.err"; then ra_ok "the error shows no key"; else ra_fail "the error shows no key"; fi
# --- restore undoes the stages too: into a file and into a live server, with the identity; another fails
rm -f "$T/restored.rdb"
"$BIN" restore "$id" --output "$T/restored.rdb" --identity-file "$T/key.txt" >/dev/null 2>"$T/restore.err"
ra_assert_eq "restore --output of the sealed backup exits 0" 0 "$?"
ra_assert_eq "the restored file loads to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/restored.rdb")"
"$BIN" restore "$id" --output "$T/restored-wrong.rdb" --identity-file "$T/stranger.txt" >/dev/null 2>"$T/restore-wrong.err"
rc=$?
if [ $rc = 5 ] && [ ! -e "$T/restored-wrong.rdb" ]; then ra_ok "restore with a wrong identity fails (exit 5), no file left"
else ra_fail "restore with a wrong identity fails (exit 5), no file left" "rc $rc: $(cat "$T/restore-wrong.err")"; fi
TPORT=$(ra_redis_start sealed-target) || TPORT=
if [ -n "$TPORT" ]; then
    "$BIN" restore "$id" --target "redis://127.0.0.1:$TPORT" --identity-file "$T/key.txt" >/dev/null 2>"$T/restore-t.err"
    ra_assert_eq "restore --target of the sealed backup exits 0" 0 "$?"
    ra_assert_eq "the target's DEBUG DIGEST is the master's" "$digest" "$(ra_redis_digest "$TPORT")"
    ra_redis_stop "$TPORT"
else
    ra_fail "a target redis-server starts"
fi

python3 - "$T/dl.rdb.zst.age" "$T/flipped" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
ra_aws s3 cp "$T/flipped" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" --identity-file "$T/key.txt" >/dev/null 2>"$T/verify-flip.err"
rc=$?
if [ $rc = 5 ] && grep -q "does not authenticate" "$T/verify-flip.err"; then ra_ok "verify catches a flipped byte by authentication (exit 5)"
else ra_fail "verify catches a flipped byte by authentication (exit 5)" "rc $rc: $(cat "$T/verify-flip.err")"; fi
head -c -100 "$T/dl.rdb.zst.age" >"$T/cut"
ra_aws s3 cp "$T/cut" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" --identity-file "$T/key.txt" >/dev/null 2>"$T/verify-cut.err"
ra_assert_eq "verify catches a cut tail (exit 5)" 5 "$?"
ra_aws s3 cp "$T/dl.rdb.zst.age" "s3://$BUCKET/$key" >/dev/null 2>&1
"$BIN" verify "$id" --identity-file "$T/key.txt" >/dev/null 2>&1
ra_assert_eq "verify passes again once the object is put back" 0 "$?"

# --- zstd alone and age alone round-trip
zid=$("$BIN" backup --compression zstd 2>"$T/backup-z.err")
ra_assert_eq "backup with zstd alone exits 0" 0 "$?"
zkey=$(record_field "$zid" key)
case "$zkey" in */$zid.rdb.zst) ra_ok "zstd alone is .rdb.zst" ;; *) ra_fail "zstd alone is .rdb.zst" "$zkey" ;; esac
curl -sf "$("$BIN" url "$zid" 2>/dev/null)" | zstd -d -q >"$T/z.rdb"
ra_assert_eq "zstd -d opens the zstd backup to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/z.rdb")"
"$BIN" verify "$zid" >/dev/null 2>"$T/verify-z.err"
ra_assert_eq "verify of a zstd backup needs no identity" 0 "$?"
stored=$(record_field "$zid" stored_size)
size=$(record_field "$zid" size)
if [ "$stored" -gt 0 ] && [ "$stored" -lt "$size" ]; then ra_ok "the record has the smaller stored size"; else ra_fail "the record has the smaller stored size" "stored $stored size $size"; fi

aid=$("$BIN" backup 2>"$T/backup-a.err" --encrypt-recipients-file <(printf '# backup key\n%s\n' "$RCPT"))
ra_assert_eq "backup with age alone (recipients file) exits 0" 0 "$?"
akey=$(record_field "$aid" key)
case "$akey" in */$aid.rdb.age) ra_ok "age alone is .rdb.age" ;; *) ra_fail "age alone is .rdb.age" "$akey" ;; esac
curl -sf "$("$BIN" url "$aid" 2>/dev/null)" | age -d -i "$T/key.txt" >"$T/a.rdb"
ra_assert_eq "age -d opens the age backup to the master's DEBUG DIGEST" "$digest" "$(ra_redis_restore_digest "$T/a.rdb")"
REDIS_ARCHIVER_IDENTITY_FILE=$T/key.txt "$BIN" verify "$aid" >/dev/null 2>"$T/verify-a.err"
ra_assert_eq "verify of an age backup with REDIS_ARCHIVER_IDENTITY_FILE" 0 "$?"

"$BIN" backup --encrypt-recipient age1notakey >/dev/null 2>"$T/badrcpt.err"
rc=$?
if [ $rc = 2 ] && grep -q "not an age" "$T/badrcpt.err"; then ra_ok "a bad recipient is refused before anything runs (exit 2)"
else ra_fail "a bad recipient is refused before anything runs (exit 2)" "rc $rc: $(cat "$T/badrcpt.err")"; fi

# --- our encryptor and the age tool read each other's files, across chunk boundaries
head -c 200000 /dev/urandom >"$T/plain"
"$SEALPIPE" seal -z 3 -r "$RCPT" <"$T/plain" | age -d -i "$T/key.txt" | zstd -d -q | cmp -s - "$T/plain"
ra_assert_eq "age and zstd read our encryptor's and compressor's output" 0 "$?"
age -r "$RCPT" -r "$OTHER" <"$T/plain" | "$SEALPIPE" open -i "$T/key.txt" | cmp -s - "$T/plain"
ra_assert_eq "our decryptor reads a file the age tool encrypted" 0 "$?"
zstd -q -c -19 <"$T/plain" | "$SEALPIPE" open -z | cmp -s - "$T/plain"
ra_assert_eq "our decompressor reads the zstd tool's output" 0 "$?"

ra_done
