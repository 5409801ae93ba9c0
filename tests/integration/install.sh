#!/usr/bin/env bash
# install.sh: `make install` writes only under its PREFIX / DESTDIR / SYSCONFDIR, and `make uninstall`
# removes what it wrote (a changed config file stays). When run as root, the scratch install runs as
# nobody, so that a write anywhere else fails instead of going unnoticed. Needs no server.
set -u
. "$(dirname "$0")/../harness/lib.sh"
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
BUILD=$(cd "$(dirname "$BIN")" && pwd)
S=$(mktemp -d /tmp/ra-install.XXXXXX)
ra_on_exit() { rm -rf "$S"; }
chmod 755 "$S"
# -o: never rebuild the binary under test (not with other flags, not while the suite runs); only the
# generated pages are made when missing
MK=(make --no-print-directory -s -C "$RA_ROOT" BUILD="$BUILD" -o "$BUILD/redis-archiver")
out=$("${MK[@]}" docs 2>&1) || ra_fail "make docs" "$out"

as_user=()
if [ "$(id -u)" = 0 ]; then
    chown 65534:65534 "$S"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
expected="bin/redis-archiver
etc/redis-archiver/redis-archiver.conf
share/bash-completion/completions/redis-archiver
share/man/man1/redis-archiver.1
share/zsh/site-functions/_redis-archiver"

# --- PREFIX alone: everything under it, the config file in PREFIX/etc
out=$("${as_user[@]}" "${MK[@]}" install PREFIX="$S/p" 2>&1)
rc=$?
got=$(cd "$S/p" 2>/dev/null && find . -type f | sed 's|^\./||' | sort)
if [ $rc = 0 ] && [ "$got" = "$expected" ]; then
    ra_ok "install PREFIX=scratch writes only under it${as_user:+ (as nobody)}"
else
    ra_fail "install PREFIX=scratch writes only under it" "rc $rc" "$out" "$got"
fi
if grep -q "config file is $S/p/etc/redis-archiver/redis-archiver.conf" <<<"$out"; then ra_ok "install says where the config file went"; else ra_fail "install says where the config file went" "$out"; fi
out=$("$S/p/bin/redis-archiver" --config "$S/p/etc/redis-archiver/redis-archiver.conf" config 2>&1)
if [ $? = 0 ] && grep -q "^# config file: $S/p/etc" <<<"$out"; then ra_ok "the installed binary reads the installed config file"; else ra_fail "the installed binary reads the installed config file" "$out"; fi
if MANPATH="$S/p/share/man" man -w redis-archiver 2>/dev/null | grep -q "^$S/p/share/man/man1/redis-archiver.1"; then
    ra_ok "man finds the installed page"
else
    ra_fail "man finds the installed page" "$(MANPATH="$S/p/share/man" man -w redis-archiver 2>&1)"
fi
echo "bucket changed-by-hand" >>"$S/p/etc/redis-archiver/redis-archiver.conf"
out=$("${as_user[@]}" "${MK[@]}" install PREFIX="$S/p" 2>&1)
if grep -q changed-by-hand "$S/p/etc/redis-archiver/redis-archiver.conf"; then ra_ok "install keeps an existing config file"; else ra_fail "install keeps an existing config file" "$out"; fi
out=$("${as_user[@]}" "${MK[@]}" uninstall PREFIX="$S/p" 2>&1)
got=$(cd "$S/p" && find . -type f | sed 's|^\./||' | sort)
if [ "$got" = "etc/redis-archiver/redis-archiver.conf" ] && grep -q "kept .*it differs" <<<"$out"; then
    ra_ok "uninstall removes what install wrote and keeps a changed config file"
else
    ra_fail "uninstall removes what install wrote and keeps a changed config file" "$out" "$got"
fi

# --- DESTDIR with the system prefix and SYSCONFDIR: all under DESTDIR; uninstall leaves no file
out=$("${as_user[@]}" "${MK[@]}" install DESTDIR="$S/d" PREFIX=/usr SYSCONFDIR=/etc 2>&1)
rc=$?
got=$(cd "$S/d" 2>/dev/null && find . -type f | sed 's|^\./||' | sort)
exp=$(sed -e 's|^etc/|ETC/|' -e '/^ETC/!s|^|usr/|' -e 's|^ETC/|etc/|' <<<"$expected" | sort)
if [ $rc = 0 ] && [ "$got" = "$exp" ]; then ra_ok "install DESTDIR= PREFIX=/usr SYSCONFDIR=/etc stays under DESTDIR"; else ra_fail "install DESTDIR= PREFIX=/usr SYSCONFDIR=/etc stays under DESTDIR" "rc $rc" "$out" "$got"; fi
out=$("${as_user[@]}" "${MK[@]}" uninstall DESTDIR="$S/d" PREFIX=/usr SYSCONFDIR=/etc 2>&1)
got=$(find "$S/d" -type f)
if [ -z "$got" ]; then ra_ok "uninstall of an unchanged install leaves no file"; else ra_fail "uninstall of an unchanged install leaves no file" "$out" "$got"; fi
out=$("${MK[@]}" -n install 2>&1 DESTDIR=/x PREFIX=/opt/ra SYSCONFDIR=/srv/etc)
if ! grep -E ' /(usr|etc)/' <<<"$out" && grep -q ' /x/srv/etc/redis-archiver/' <<<"$out"; then ra_ok "SYSCONFDIR is where the config file goes"; else ra_fail "SYSCONFDIR is where the config file goes" "$out"; fi

# --- contrib/systemd: every unit passes systemd-analyze verify (the binary path pointed at the one under test)
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$S/units"
    for u in "$RA_ROOT"/contrib/systemd/*; do sed "s|/usr/local/bin/redis-archiver|$BIN|" "$u" >"$S/units/${u##*/}"; done
    out=$(cd "$S/units" && systemd-analyze verify ./*.service ./*.timer 2>&1)
    if [ -z "$out" ]; then ra_ok "the systemd units pass systemd-analyze verify ($(ls "$S/units" | wc -l) units)"
    else ra_fail "the systemd units pass systemd-analyze verify" "$out"; fi
    grep -q '^ExecStart=.* schedule --continuous$' "$S/units/redis-archiver-archive.service" &&
        ra_ok "redis-archiver-archive.service runs schedule --continuous" ||
        ra_fail "redis-archiver-archive.service runs schedule --continuous"
else
    ra_skip "the systemd units pass systemd-analyze verify" "systemd-analyze is not installed"
fi
ra_done
