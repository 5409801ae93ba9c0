#!/usr/bin/env bash
# progress.sh: the progress line in a real terminal (tmux) at 60 and 160 columns, driven by
# tests/helpers/progress_demo the way a backup drives it, with log lines in between (one from another
# thread): what is left on the screen is each log line whole on its own line and the final progress line,
# never wider than the terminal -- nothing glued to a log line, no wrapped frame left behind. The same run
# without the log hook must fail the check (the check sees glued lines). Needs no server; skipped without tmux.
set -u
. "$(dirname "$0")/../harness/lib.sh"
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
DEMO=$(dirname "$BIN")/tests/helpers/progress_demo
T=$RA_TEST_TMPDIR
if ! command -v tmux >/dev/null; then
    ra_skip "progress in a terminal" "tmux is not installed"
    ra_done
    exit 0
fi
[ -x "$DEMO" ] || { ra_fail "progress_demo is built" "$DEMO"; exit 1; }
SOCK=$T/tmux.sock
ra_on_exit() { tmux -S "$SOCK" kill-server 2>/dev/null; return 0; }

# screen WIDTH ARGS...: run the demo in a WIDTH x 50 terminal; the screen (wrapped lines joined) into $T/screen
screen() {
    local w=$1 i
    shift
    tmux -S "$SOCK" kill-server 2>/dev/null
    tmux -S "$SOCK" -f /dev/null new-session -d -x "$w" -y 50 -s p \
        "script -q -e -c '$DEMO $*' $T/typescript >/dev/null; $DEMO $*; echo __END__; sleep 60" || return 1
    for i in $(seq 1 100); do
        tmux -S "$SOCK" capture-pane -p -J -t p >"$T/screen" 2>/dev/null
        grep -q '^__END__' "$T/screen" && break
        sleep 0.1
    done
    tmux -S "$SOCK" capture-pane -p -t p >"$T/rows"
    tmux -S "$SOCK" kill-server 2>/dev/null
    return 0
}

# check WIDTH [SHARDS]: the screen is exactly the log lines and one final progress line, which fits (and ends
# with the shard count when SHARDS is given)
check() {
    python3 - "$1" "$T/screen" "${2:-}" <<'PY'
import re, sys
width, lines = int(sys.argv[1]), [l.rstrip() for l in open(sys.argv[2]) if l.strip()]
shards = ("  %s shards" % sys.argv[3]) if sys.argv[3] else ""
want = [r"redis-archiver: backup 20261128T221407Z-913d of instance 'demo' started",
        r"redis-archiver: rdb from 127\.0\.0\.1:28484: diskless",
        r"redis-archiver: a log line while streaming",
        r"redis-archiver: warn: could not update the task record: a test warning",
        r"(\[[#-]+\] )?[0-9.]+ [KMG]?i?B  rate [0-9.]+ [KMG]?i?B/s  in [0-9.]+ s" + shards +
        r"(  \(\+[0-9.]+ s replica saving\))?",
        r"redis-archiver: backup 20261128T221407Z-913d done",
        r"__END__"]
if len(lines) != len(want) or not all(re.fullmatch(p, l) for p, l in zip(want, lines)):
    sys.exit("screen is not the log lines and one progress line:\n" + "\n".join(lines))
if len(lines[4]) > width - 1:
    sys.exit("the final line is %d columns wide at %d: %s" % (len(lines[4]), width, lines[4]))
PY
}

for w in 60 160; do
    for args in "" "--estimate 140000000" "--length 151800000"; do
        name="progress at $w columns${args:+ ($args)}: log lines whole, one final line that fits"
        if screen "$w" $args && out=$(check "$w" 2>&1); then ra_ok "$name"; else ra_fail "$name" "$out"; fi
    done
done
# every frame written (the raw output, via script) fits; with a known length the fields are labelled: at 60
# columns percentage, done of total, rate and ETA; at 160 also the bar and the elapsed time
frames() {
    python3 - "$1" "$T/typescript" <<'PY'
import re, sys
width, raw = int(sys.argv[1]), open(sys.argv[2], "rb").read().decode()
frames = [f.replace("\x1b[K", "") for f in re.split(r"[\r\n]+", raw)]
frames = [f for f in frames if f and not f.startswith("redis-archiver:") and not f.startswith("Script ")]
wide = [f for f in frames if len(f) > width - 1]
bar = r"\[[#-]{10,30}\] " if width >= 100 else ""
elapsed = r"  elapsed [0-9]+:[0-9]{2}" if width >= 100 else ""
full = [f for f in frames if re.fullmatch(bar + r"[0-9]+% [0-9.]+ MiB of 144\.8 MiB  rate [0-9.]+ MiB/s" + elapsed +
                                          r"  ETA [0-9]+:[0-9]{2}", f)]
saving = [f for f in frames if re.fullmatch(r"replica saving the snapshot\.\.\. 0:0[01]", f)]
if wide or len(full) < 30 or not saving:
    sys.exit("frames: %d, too wide: %s, with every field: %d, saving: %d\n%s" % (len(frames), wide[:3], len(full),
             len(saving), "\n".join(frames[:12])))
PY
}
for w in 60 160; do
    if screen $w --length 151800000 && out=$(frames $w 2>&1); then
        ra_ok "every frame at $w columns fits, with labelled fields; a saving phase first"
    else
        ra_fail "every frame at $w columns fits, with labelled fields; a saving phase first" "$out"
    fi
done
# a cluster backup (--shards 3): the same screen, the final line with the shard count; every frame fits, and
# while streaming the frames carry each shard's share (percentages with a known length, bytes without)
shard_frames() {
    python3 - "$1" "$T/typescript" "$2" <<'PY'
import re, sys
width, raw, known = int(sys.argv[1]), open(sys.argv[2], "rb").read().decode(), sys.argv[3] == "known"
frames = [f.replace("\x1b[K", "") for f in re.split(r"[\r\n]+", raw)]
frames = [f for f in frames if f and not f.startswith("redis-archiver:") and not f.startswith("Script ")]
wide = [f for f in frames if len(f) > width - 1]
each = r"  shards [0-9]+/[0-9]+/[0-9]+%$" if known else r"  shards [0-9.]+[KMG] [0-9.]+[KMG] [0-9.]+[KMG]$"
detail = [f for f in frames if re.search(each, f)]
saving = [f for f in frames if re.fullmatch(r"3 replicas saving their snapshots\.\.\. 0:0[01]", f)]
if wide or len(detail) < 30 or not saving:
    sys.exit("frames: %d, too wide: %s, with each shard: %d, saving: %d\n%s" % (len(frames), wide[:3], len(detail),
             len(saving), "\n".join(frames[:12])))
PY
}
for w in 60 160; do
    for args in "--shards 3" "--shards 3 --length 151800000"; do
        name="cluster progress at $w columns ($args): log lines whole, one final line, frames fit with each shard"
        kind=unknown
        [[ $args == *length* ]] && kind=known
        if screen "$w" $args && out=$(check "$w" 3 2>&1) && out=$(shard_frames "$w" $kind 2>&1); then ra_ok "$name"
        else ra_fail "$name" "$out"; fi
    done
done
# the check sees what the hook prevents
if screen 60 --no-hook && ! check 60 >/dev/null 2>&1; then
    ra_ok "without the log hook the check fails (glued lines are seen)"
else
    ra_fail "without the log hook the check fails (glued lines are seen)" "$(cat "$T/screen")"
fi
ra_done
