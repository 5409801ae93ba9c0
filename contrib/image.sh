#!/bin/sh
# contrib/image.sh: build contrib/Dockerfile into localhost/redis-archiver with Debian's podman, without any
# image registry: the two base images (debian:bookworm, debian:bookworm-slim) are made once with debootstrap
# from the host's configured Debian mirror and imported as localhost/debian:*, which the Dockerfile's FROM
# lines then resolve to. `make image` runs it. Root on Debian 12; needs podman, runc and debootstrap
# (`make deps` installs them). Measured recipe and pitfalls: see the containers note in the project's shared
# notes (crun refuses hybrid cgroup hosts: runc; hosts without CAP_SYS_RESOURCE: ulimits).
#   IMAGE=localhost/redis-archiver   the tag built (also :VERSION)
#   RA_IMAGE_WORK=DIR                the project's folder for it (default build/image): containers.conf, logs,
#                                    and the base root file systems as tarballs (base/*.tar), reused for
#                                    RA_IMAGE_BASE_DAYS (7) days when podman's storage lost the images
# Nothing is written to /etc: podman reads the containers.conf written here (CONTAINERS_CONF), which the last
# line prints for running the image afterwards. One run at a time (a lock in RA_IMAGE_WORK).
# Exit: 0 built; 1 a step failed (log tail on stderr); 2 tools missing or not root; 77 this host cannot run
# containers at all (a trivial container, before anything is built, fails: no user namespaces, cgroups...).
set -eu
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/redis-archiver}
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || { echo "image: $tool is not installed (make deps, or apt-get install podman runc debootstrap)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "image: run as root (debootstrap and podman's root storage)" >&2; exit 2; }
W=${RA_IMAGE_WORK:-build/image}
mkdir -p "$W/base"
W=$(cd "$W" && pwd)
exec 9>"$W/lock"
flock 9
# The host's Debian mirror (deb822 debian.sources, as cloud images have, or a one-line sources.list, as the
# installer writes), and its apt proxy if any: debootstrap and the builds' apt-get use both (the proxy through
# http_proxy, which podman passes to the build's RUN steps; it is not written into any image).
SRC=/etc/apt/sources.list.d/debian.sources
LIST=/etc/apt/sources.list
MIRROR=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' "$SRC" 2>/dev/null)}
MIRROR=${MIRROR:-$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' "$LIST" 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PROXY=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -1)
if [ -n "$PROXY" ] && [ -z "${http_proxy:-}" ]; then export http_proxy="$PROXY"; fi
T0=$(date +%s)
step() { echo "image: $* ($(($(date +%s) - T0)) s)"; }

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

# Can this host run a container at all? A root file system of the host's /bin/true and its libraries, imported
# and run read-only: exercises podman's storage, the runtime, namespaces, cgroups and rlimits in 1-2 s.
probe() {
    P=$W/probe
    rm -rf "$P"
    mkdir -p "$P/bin"
    cp /bin/true "$P/bin/true"
    for lib in $(ldd /bin/true | grep -o '/[^ ]*'); do
        mkdir -p "$P$(dirname "$lib")"
        cp -L "$lib" "$P$lib"
    done
    if ! { tar -C "$P" -c . | podman import -q - localhost/redis-archiver-probe && \
           podman run --rm --read-only --network none localhost/redis-archiver-probe /bin/true; } >"$W/probe.log" 2>&1; then
        echo "image: this host cannot run containers (a trivial container failed): $(tail -3 "$W/probe.log" | tr '\n' ' ')" >&2
        podman rmi -f localhost/redis-archiver-probe >/dev/null 2>&1 || true
        exit 77
    fi
    podman rmi -f localhost/redis-archiver-probe >/dev/null 2>&1 || true
    rm -rf "$P"
}
probe
step "podman runs containers here (runc, $(podman info --format '{{.Store.GraphDriverName}}') storage)"

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
    elif grep -q '^deb .* bookworm' "$LIST" 2>/dev/null; then grep '^deb .* bookworm' "$LIST" >"$R"/etc/apt/sources.list
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
    tar --numeric-owner --xattrs -C "$R" -cf "$B/bookworm.tar.tmp" .
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
    tar --numeric-owner --xattrs -C "$R" -cf "$B/bookworm-slim.tar.tmp" .
    rm -rf "$R"
    mv "$B/bookworm.tar.tmp" "$B/bookworm.tar"
    mv "$B/bookworm-slim.tar.tmp" "$B/bookworm-slim.tar"
    echo "$MIRROR" >"$B/mirror"
}

# the base images: podman's (kept between runs), else the cached tarballs when fresh, else debootstrap
B=$W/base
DAYS=${RA_IMAGE_BASE_DAYS:-7}
if [ -e "$B/mirror" ] && { [ -n "$(find "$B" -maxdepth 1 -name '*.tar' -mtime +"$DAYS")" ] || [ "$(cat "$B/mirror")" != "$MIRROR" ]; }; then
    step "the cached base root file systems are older than $DAYS days or from another mirror: making them again"
    rm -f "$B"/*.tar "$B/mirror"
    podman rmi localhost/debian:bookworm localhost/debian:bookworm-slim >/dev/null 2>&1 || true
fi
if podman image exists localhost/debian:bookworm && podman image exists localhost/debian:bookworm-slim; then
    step "base images localhost/debian:bookworm{,-slim} exist"
else
    if [ ! -s "$B/bookworm.tar" ] || [ ! -s "$B/bookworm-slim.tar" ]; then
        step "making the base root file systems with debootstrap from $MIRROR (about a minute)"
        base_images
    fi
    podman import -q --change 'CMD ["bash"]' "$B/bookworm.tar" localhost/debian:bookworm >/dev/null
    podman import -q --change 'CMD ["bash"]' "$B/bookworm-slim.tar" localhost/debian:bookworm-slim >/dev/null
    step "base images imported from $B"
fi
VERSION=$(sed -n 's/^#define RA_VERSION "\(.*\)"/\1/p' include/common/version.h)
step "building $IMAGE:$VERSION from contrib/Dockerfile"
podman build --pull=never --network=host -f contrib/Dockerfile -t "$IMAGE:$VERSION" -t "$IMAGE:latest" . >"$W/build.log" 2>&1 ||
    { tail -30 "$W/build.log" >&2; echo "image: podman build failed (whole log: $W/build.log)" >&2; exit 1; }
podman run --rm --read-only --user 10001 --network none "$IMAGE" --version
step "built $IMAGE:$VERSION, $(podman image inspect "$IMAGE" --format '{{.Size}}') bytes"
echo "CONTAINERS_CONF=$W/containers.conf"
