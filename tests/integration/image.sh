#!/usr/bin/env bash
# image.sh: the container image of contrib/Dockerfile, built by `make image` (contrib/image.sh: podman, base
# images by debootstrap from the host's Debian mirror, no registry) and run as it runs in Kubernetes --
# read-only root file system, uid 10001, no capabilities: a real backup from the image of a replica holding
# sample data, which the host's binary then lists and verifies, and a restore from the image into an empty
# Redis that must give the master's DEBUG DIGEST.
# Skipped (with the reason) only when podman, runc or debootstrap is missing (`make deps` installs them), when
# not root, or when contrib/image.sh finds that this host cannot run even a trivial container (exit 77: no user
# namespaces, cgroups...). Once the host runs containers, any failure to build or run the image fails here.
# The first build takes about 1.5-4.5 minutes on 2 cores (debootstrap about a minute: its root file systems are
# kept in build/image/base/ as tarballs); later runs reuse them and podman's layer cache (about 5-40 s).
set -u
. "$(dirname "$0")/../harness/lib.sh"
NAME="the container image builds and backs up"
for tool in podman runc debootstrap; do
    if ! command -v "$tool" >/dev/null; then
        ra_skip "$NAME" "$tool is not installed (make deps installs podman, runc, debootstrap)"
        exit 0
    fi
done
if [ "$(id -u)" != 0 ]; then
    ra_skip "$NAME" "needs root (podman's root storage, debootstrap)"
    exit 0
fi
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
IMAGE=localhost/redis-archiver
WORK=$RA_ROOT/build/image

t0=$SECONDS
RA_IMAGE_WORK=$WORK IMAGE=$IMAGE "$RA_ROOT/contrib/image.sh" >"$T/image.log" 2>&1
rc=$?
case $rc in
0) ra_ok "make image: contrib/Dockerfile builds with podman and debootstrapped base images ($((SECONDS - t0)) s)" ;;
77)
    ra_skip "$NAME" "$(grep 'cannot run containers' "$T/image.log" | head -1)"
    exit 0
    ;;
*)
    ra_fail "make image: contrib/Dockerfile builds with podman and debootstrapped base images" "exit $rc" "$(tail -20 "$T/image.log")"
    exit 1
    ;;
esac
grep '^image: ' "$T/image.log" | sed 's/^/# /'
export CONTAINERS_CONF=$WORK/containers.conf
# --read-only-tmpfs=false: no writable /tmp, /var/tmp or /run either, as with Docker's --read-only and
# Kubernetes' readOnlyRootFilesystem (the manifests mount no emptyDir); podman would add them by default
run() { podman run --rm --read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt no-new-privileges --network host "$@"; }

out=$(run --entrypoint id "$IMAGE" 2>&1)
if [[ $out == uid=10001* ]]; then ra_ok "the image runs as uid 10001 by default"; else ra_fail "the image runs as uid 10001 by default" "$out"; fi
out=$(run --entrypoint sh "$IMAGE" -c 'touch /x; touch /tmp/x' 2>&1)
rc=$?
if [ $rc != 0 ] && [ "$(grep -c 'Read-only file system' <<<"$out")" = 2 ]; then ra_ok "its root file system is read-only, /tmp too"; else ra_fail "its root file system is read-only, /tmp too" "rc $rc" "$out"; fi

# a pair of our own, so that the digest cannot move under another test's writes
M=$(ra_redis_start image-master) && R=$(ra_redis_start image-replica "replicaof 127.0.0.1 $M") &&
    ra_redis_wait_link "$R" 60 && ra_redis_fill "$M" 3000 img || { ra_fail "$NAME" "redis pair did not start"; exit 1; }
DIGEST=$(ra_redis_digest "$M")

# the environment a CronJob gives it: settings and credentials as variables, nothing mounted
INSTANCE=image-$$
cat >"$T/backup.env" <<X
REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
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
(
    set -a
    . "$T/backup.env"
    set +a
    out=$("$BIN" list 2>&1)
    if grep -Eq "^$id +auto .* succeeded .*from the image$" <<<"$out"; then ra_ok "the host's binary lists the image's backup"; else ra_fail "the host's binary lists the image's backup" "$out"; fi
    out=$("$BIN" verify "$id" 2>&1)
    ra_assert_eq "the host's binary verifies it" 0 "$?"
    ra_done
) || RA__NFAIL=$((RA__NFAIL + 1))

# restore from the image (same hardening) into an empty Redis: every key back, the master's digest
E=$(ra_redis_start image-restore) || { ra_fail "$NAME" "restore target did not start"; exit 1; }
run --user 10001 --env-file "$T/backup.env" "$IMAGE" restore latest --target "redis://127.0.0.1:$E" >"$T/restore.out" 2>"$T/restore.err"
rc=$?
got=$(ra_redis_digest "$E")
if [ $rc = 0 ] && [ "$got" = "$DIGEST" ]; then
    ra_ok "restore latest from the image into an empty Redis gives the master's DEBUG DIGEST"
else
    ra_fail "restore latest from the image into an empty Redis gives the master's DEBUG DIGEST" "rc $rc, digest $got, want $DIGEST" "$(tail -5 "$T/restore.err")"
fi

# the usage example at the top of contrib/Dockerfile, as written there: docker -> podman (with the host network
# to reach the test servers), its credentials.env -> the endpoint and keys of the test store, its source ->
# the replica, the image's name -> the one built here
ex=$(sed -n '/^#   docker run /,/[^\\]$/p' "$RA_ROOT/contrib/Dockerfile" | sed -e 's/^#//' -e 's/\\$//' | tr -s ' \n' '  ')
grep -v '^REDIS_ARCHIVER_\(BUCKET\|SOURCE\|INSTANCE\)=' "$T/backup.env" >"$T/credentials.env"
echo "REDIS_ARCHIVER_INSTANCE=$INSTANCE-example" >>"$T/credentials.env"
bucket=$(grep -o 'REDIS_ARCHIVER_BUCKET=[^ ]*' <<<"$ex" | cut -d= -f2)
read -r -a argv <<<"$(sed -e 's/^ *docker run / /' -e "s|credentials.env|$T/credentials.env|" \
    -e "s|REDIS_ARCHIVER_SOURCE=[^ ]*|REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R|" -e "s| redis-archiver | $IMAGE |" <<<"$ex")"
if [ -z "$bucket" ] || ! ra_s3_bucket "$bucket"; then
    ra_fail "the Dockerfile's usage example runs" "no bucket in: $ex"
elif podman run --network host "${argv[@]}" >"$T/example.out" 2>&1; then
    ra_ok "the Dockerfile's usage example runs (bucket '$bucket'): docker run ${ex#*docker run }"
else
    ra_fail "the Dockerfile's usage example runs" "$ex" "podman run --network host ${argv[*]}" "$(tail -5 "$T/example.out")"
fi
ra_done
