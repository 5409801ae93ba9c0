#!/usr/bin/env bash
# image.sh: the container image of contrib/Dockerfile, built by `make image` (contrib/image.sh: podman, base
# images by debootstrap, no registry) and run as it runs in Kubernetes -- read-only root file system, uid 10001,
# no capabilities: a real backup from the image against the suite's replica and store, which the host's
# binary then lists and verifies. Skipped (with the reason) when podman, runc or debootstrap is missing or
# not root. The first build takes 2.5-4.5 minutes; later ones reuse podman's cache.
set -u
. "$(dirname "$0")/../harness/lib.sh"
for tool in podman runc debootstrap; do
    if ! command -v "$tool" >/dev/null; then
        ra_skip "the container image builds and backs up" "$tool is not installed (apt-get install podman runc debootstrap)"
        exit 0
    fi
done
if [ "$(id -u)" != 0 ]; then
    ra_skip "the container image builds and backs up" "needs root (podman's root storage, debootstrap)"
    exit 0
fi
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
IMAGE=localhost/redis-archiver

if RA_IMAGE_WORK=$T/image IMAGE=$IMAGE "$RA_ROOT/contrib/image.sh" >"$T/image.log" 2>&1; then
    ra_ok "make image: contrib/Dockerfile builds with podman and debootstrapped base images"
else
    ra_fail "make image: contrib/Dockerfile builds with podman and debootstrapped base images" "$(tail -20 "$T/image.log")"
    exit 1
fi
export CONTAINERS_CONF=$T/image/containers.conf
run() { podman run --rm --read-only --cap-drop=ALL --security-opt no-new-privileges --network host "$@"; }

out=$(run --entrypoint id "$IMAGE" 2>&1)
if [[ $out == uid=10001* ]]; then ra_ok "the image runs as uid 10001 by default"; else ra_fail "the image runs as uid 10001 by default" "$out"; fi
out=$(run --entrypoint sh "$IMAGE" -c 'touch /x' 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q 'Read-only file system' <<<"$out"; then ra_ok "its root file system is read-only"; else ra_fail "its root file system is read-only" "rc $rc" "$out"; fi

# the environment a CronJob gives it: settings and credentials as variables, nothing mounted
INSTANCE=image-$$
cat >"$T/backup.env" <<X
REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT
REDIS_ARCHIVER_BUCKET=$RA_TEST_S3_BUCKET
REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
REDIS_ARCHIVER_PATH_STYLE=yes
REDIS_ARCHIVER_INSTANCE=$INSTANCE
AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
X
run --user 10001 --env-file "$T/backup.env" "$IMAGE" backup --auto --remark "from the image" >"$T/backup.out" 2>"$T/backup.err"
rc=$?
id=$(tail -n 1 "$T/backup.out")
if [ $rc = 0 ] && [[ $id =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$ ]]; then
    ra_ok "a backup from the image (read-only, uid 10001, no capabilities) succeeds"
else
    ra_fail "a backup from the image (read-only, uid 10001, no capabilities) succeeds" "rc $rc" "$(cat "$T/backup.out" "$T/backup.err" | tail -10)"
fi
if grep -q '"event":"backup.done"' "$T/backup.err"; then ra_ok "off a terminal it logs JSON lines"; else ra_fail "off a terminal it logs JSON lines" "$(head -5 "$T/backup.err")"; fi
set -a
. "$T/backup.env"
set +a
out=$("$BIN" list 2>&1)
if grep -Eq "^$id +auto .* succeeded +from the image$" <<<"$out"; then ra_ok "the host's binary lists the image's backup"; else ra_fail "the host's binary lists the image's backup" "$out"; fi
out=$("$BIN" verify "$id" 2>&1)
ra_assert_eq "the host's binary verifies it" 0 "$?"
ra_done
