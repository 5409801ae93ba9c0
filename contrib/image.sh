#!/bin/sh
# contrib/image.sh: build contrib/Dockerfile into localhost/redis-archiver with Debian's podman, without any
# image registry: the two base images (debian:bookworm, debian:bookworm-slim) are made once with debootstrap
# from the host's configured Debian mirror and imported as localhost/debian:*, which the Dockerfile's FROM
# lines then resolve to. `make image` runs it. Root on Debian 12; needs podman, runc and debootstrap
# (apt-get install podman runc debootstrap). Measured recipe and pitfalls: see the containers note in the
# project's shared notes (crun refuses hybrid cgroup hosts: runc; hosts without CAP_SYS_RESOURCE: ulimits).
#   IMAGE=localhost/redis-archiver   the tag built (also :VERSION)
#   RA_IMAGE_WORK=DIR                scratch folder for the rootfs and containers.conf (default: mktemp)
# Prints the containers.conf to use with podman afterwards (CONTAINERS_CONF=...) on its last line.
set -eu
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/redis-archiver}
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || { echo "image: $tool is not installed (apt-get install podman runc debootstrap)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "image: run as root (debootstrap and podman's root storage)" >&2; exit 2; }
W=${RA_IMAGE_WORK:-$(mktemp -d /tmp/ra-image.XXXXXX)}
mkdir -p "$W"
SRC=/etc/apt/sources.list.d/debian.sources
MIRROR=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' "$SRC" 2>/dev/null)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# runc, not crun (crun 1.8 refuses hybrid cgroup v1+v2 hosts); ulimits within the host's hard limits (podman's
# root defaults fail without CAP_SYS_RESOURCE); the host network (no nftables changes); no systemd needed.
cat >"$W/containers.conf" <<X
[containers]
netns = "host"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
X
export CONTAINERS_CONF="$W/containers.conf"

base_images() {
    R=$W/rootfs
    rm -rf "$R"
    debootstrap --variant=minbase bookworm "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 ||
        { tail -20 "$W/debootstrap.log" >&2; exit 1; }
    chroot "$R" apt-get clean
    rm -rf "$R"/var/lib/apt/lists/* "$R"/var/log/*.log "$R"/var/log/apt/* "$R"/var/cache/debconf/*-old \
        "$R"/etc/apt/sources.list
    : >"$R"/etc/resolv.conf
    echo localhost >"$R"/etc/hostname
    if [ -r "$SRC" ]; then grep -v '^#' "$SRC" >"$R"/etc/apt/sources.list.d/debian.sources
    else echo "deb $MIRROR bookworm main" >"$R"/etc/apt/sources.list; fi
    # what the official images add, so that apt-get layers stay small
    cat >"$R"/etc/apt/apt.conf.d/docker-clean <<'X'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
X
    echo 'Acquire::Languages "none";' >"$R"/etc/apt/apt.conf.d/docker-no-languages
    echo 'Acquire::GzipIndexes "true";' >"$R"/etc/apt/apt.conf.d/docker-gzip-indexes
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$R"/etc/apt/apt.conf.d/docker-autoremove-suggests
    echo 'force-unsafe-io' >"$R"/etc/dpkg/dpkg.cfg.d/docker-apt-speedup
    tar --numeric-owner --xattrs -C "$R" -c . | podman import -q --change 'CMD ["bash"]' - localhost/debian:bookworm >/dev/null
    # -slim: no docs, man pages or locales, now or from packages installed later
    cat >"$R"/etc/dpkg/dpkg.cfg.d/docker <<'X'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
X
    find "$R"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
    find "$R"/usr/share/doc -mindepth 1 -type d -empty -delete
    rm -rf "$R"/usr/share/man/* "$R"/usr/share/groff/* "$R"/usr/share/info/* "$R"/usr/share/lintian/* \
        "$R"/usr/share/linda/*
    find "$R"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    tar --numeric-owner --xattrs -C "$R" -c . | podman import -q --change 'CMD ["bash"]' - localhost/debian:bookworm-slim >/dev/null
    rm -rf "$R"
}

if podman image exists localhost/debian:bookworm && podman image exists localhost/debian:bookworm-slim; then
    echo "image: base images localhost/debian:bookworm{,-slim} exist"
else
    echo "image: making the base images with debootstrap from $MIRROR (about a minute)"
    base_images
fi
VERSION=$(sed -n 's/^#define RA_VERSION "\(.*\)"/\1/p' include/common/version.h)
echo "image: building $IMAGE:$VERSION from contrib/Dockerfile"
podman build -q --pull=never --network=host -f contrib/Dockerfile -t "$IMAGE:$VERSION" -t "$IMAGE:latest" . >"$W/build.log" 2>&1 ||
    { tail -30 "$W/build.log" >&2; exit 1; }
podman run --rm --read-only --user 10001 "$IMAGE" --version
echo "CONTAINERS_CONF=$W/containers.conf"
