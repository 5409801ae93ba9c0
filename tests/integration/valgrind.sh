#!/usr/bin/env bash
# valgrind.sh: one end-to-end backup (and list, url), and a sealed one (and verify), under valgrind memcheck:
# 0 errors, no leaks.
set -u
. "$(dirname "$0")/../harness/lib.sh"
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
names=("memcheck: backup" "memcheck: list" "memcheck: url" "memcheck: backup with zstd + age"
    "memcheck: verify of a sealed backup")
if ! command -v valgrind >/dev/null; then
    for n in "${names[@]}"; do ra_skip "$n" "valgrind is not installed"; done
    exit 0
fi
if ldd "$BIN" | grep -q libasan; then
    for n in "${names[@]}"; do ra_skip "$n" "sanitizer build (valgrind cannot run it)"; done
    exit 0
fi
ra_need_redis
ra_need_s3
T=$RA_TEST_TMPDIR
export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-valgrind REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET

# memcheck NAME LOG CMD...: rc 0, no error, nothing definitely or indirectly lost
memcheck() {
    local name=$1 log=$2 rc
    shift 2
    valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$log" \
        "$BIN" "$@" >"$log.out" 2>"$log.err"
    rc=$?
    if [ $rc = 0 ] && ! grep -q 'ERROR SUMMARY: [1-9]' "$log"; then
        ra_ok "$name"
    else
        ra_fail "$name" "rc $rc" "$(head -40 "$log")" "$(tail -3 "$log.err")"
    fi
}
memcheck "memcheck: backup" "$T/vg-backup.log" backup --remark valgrind
id=$(tr -d '\n' <"$T/vg-backup.log.out")
memcheck "memcheck: list" "$T/vg-list.log" list --json
memcheck "memcheck: url" "$T/vg-url.log" url "$id"
# a sealed backup (zstd with a worker thread, age through OpenSSL) and its verify
if command -v age-keygen >/dev/null; then
    age-keygen -o "$T/vg-key.txt" 2>/dev/null
    memcheck "memcheck: backup with zstd + age" "$T/vg-sealed.log" backup --compression zstd \
        --encrypt-recipient "$(age-keygen -y "$T/vg-key.txt")"
    sid=$(tr -d '\n' <"$T/vg-sealed.log.out")
    memcheck "memcheck: verify of a sealed backup" "$T/vg-verify.log" verify "$sid" --identity-file "$T/vg-key.txt"
else
    ra_skip "memcheck: backup with zstd + age" "age is not installed (make deps)"
    ra_skip "memcheck: verify of a sealed backup" "age is not installed (make deps)"
fi
ra_done
