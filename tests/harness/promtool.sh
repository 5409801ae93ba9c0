#!/usr/bin/env bash
# promtool.sh [CACHE_DIR]: print the path of a promtool binary, fetching it once when missing.
# promtool comes from Debian's `prometheus` package, taken apart with `apt-get download` + `dpkg -x`
# into CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/redis-archiver/prometheus): installing the
# package would start a Prometheus server. A promtool on PATH is used as it is. Exit 1 (and say why on
# stderr) when none can be had, e.g. offline without a cached .deb.
set -u
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
CACHE=${1:-${RA_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-archiver/prometheus}}
BIN=$CACHE/root/usr/bin/promtool
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE" || exit 1
deb=$(ls "$CACHE"/prometheus_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
    deb=$(ls /var/cache/apt/archives/prometheus_*.deb 2>/dev/null | head -1)
fi
if [ -z "$deb" ]; then
    (cd "$CACHE" && apt-get download prometheus >"$CACHE/download.log" 2>&1) ||
        { echo "promtool.sh: apt-get download prometheus failed (see $CACHE/download.log)" >&2; exit 1; }
    deb=$(ls "$CACHE"/prometheus_*.deb 2>/dev/null | head -1)
fi
[ -n "$deb" ] || { echo "promtool.sh: no prometheus .deb found" >&2; exit 1; }
rm -rf "$CACHE/root" && dpkg -x "$deb" "$CACHE/root" || { echo "promtool.sh: dpkg -x $deb failed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "promtool.sh: $deb holds no usr/bin/promtool" >&2; exit 1; }
echo "$BIN"
