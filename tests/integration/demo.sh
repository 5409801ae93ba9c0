#!/usr/bin/env bash
# demo.sh: `RA_KEEP=1 contrib/demo.sh` (what `RA_KEEP=1 make demo` runs) succeeds, and the settings file it
# prints configures the tool completely: in a shell with nothing else set, `. env.sh; redis-archiver list`
# lists the demo's backup. Uses the suite's servers (the demo uses those the environment names).
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_redis
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

RA_KEEP=1 DEMO_KEYS=200 "$RA_ROOT/contrib/demo.sh" "$(dirname "$BIN")" >"$T/demo.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^demo OK' "$T/demo.out"; then ra_ok "RA_KEEP=1 demo runs"; else ra_fail "RA_KEEP=1 demo runs" "rc $rc" "$(tail -20 "$T/demo.out")"; fi
envfile=$(sed -n 's/^their settings: \. \([^ ]*\).*/\1/p' "$T/demo.out")
keep=$(sed -n 's/^RA_KEEP=1: servers left running; files in //p' "$T/demo.out")
id=$(sed -n 's/^backup id: //p' "$T/demo.out")
if [ -n "$envfile" ] && [ -s "$envfile" ]; then ra_ok "the demo prints its settings file"; else ra_fail "the demo prints its settings file" "$(tail -5 "$T/demo.out")"; fi
# a clean shell: only PATH and HOME, no REDIS_ARCHIVER_* or AWS_* from this one
out=$(env -i PATH=/usr/bin:/bin HOME="$T" bash --norc --noprofile -c ". '$envfile' && command -v redis-archiver && redis-archiver list" 2>&1)
rc=$?
if [ $rc = 0 ] && grep -q "^$(dirname "$BIN")/redis-archiver$" <<<"$out" && grep -q "^$id .* succeeded  demo$" <<<"$out"; then
    ra_ok ". env.sh; redis-archiver list shows the demo's backup"
else
    ra_fail ". env.sh; redis-archiver list shows the demo's backup" "rc $rc" "$out"
fi
out=$(env -i PATH=/usr/bin:/bin HOME="$T" bash --norc --noprofile -c ". '$envfile' && redis-archiver verify $id" 2>&1)
ra_assert_eq ". env.sh; redis-archiver verify ID exits 0" 0 "$?"
perm=$(stat -c %a "$envfile" 2>/dev/null)
ra_assert_eq "the settings file (it holds the test store's keys) is private" 600 "$perm"
[ -n "$keep" ] && [ "$keep" != / ] && rm -rf "$keep"
ra_done
