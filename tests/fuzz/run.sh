#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS BIN...: runs each libFuzzer target for SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<name without fuzz_>/), reports executions, and fails on any crash, leak or timeout.
# Crash inputs are kept in build-fuzz/artifacts/<name>/ (RA_FUZZ_ARTIFACTS). RA_FUZZ_KEEP=1 keeps the grown
# corpora. Extra libFuzzer flags: RA_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2" or "-dict=...").
set -uo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: tests/fuzz/run.sh SECONDS FUZZ_BIN..." >&2
    exit 2
fi
SECS=$1
shift
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
ARTIFACTS=${RA_FUZZ_ARTIFACTS:-$ROOT/build-fuzz/artifacts}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ra-fuzz.XXXXXX") || exit 2
CHILD=
cleanup() {
    [ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null
    if [ "${RA_FUZZ_KEEP:-0}" = 1 ]; then echo "kept $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# the sanitizers' own reports are the failures we are looking for
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

PASSED=0 FAILED=0 FAILED_NAMES=()
for bin in "$@"; do
    name=${bin##*/}
    short=${name#fuzz_}
    if [ ! -x "$bin" ]; then
        echo "FAIL  $name: no such fuzz binary '$bin'"
        FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name (missing)")
        continue
    fi
    corpus=$SCRATCH/$short/corpus
    art=$SCRATCH/$short/artifacts
    mkdir -p "$corpus" "$art"
    seeds=0
    if [ -d "tests/fuzz/corpus/$short" ]; then
        cp -r "tests/fuzz/corpus/$short/." "$corpus/"
        seeds=$(find "$corpus" -type f | wc -l)
    fi
    log=$SCRATCH/$short/fuzz.log
    # -timeout: one input taking longer than 10 s is a hang; the outer timeout is the safety net
    # shellcheck disable=SC2086
    timeout -k 10 $((SECS + 120)) "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/" ${RA_FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 &
    CHILD=$!
    wait $CHILD
    rc=$?
    CHILD=
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    units=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$art" -type f | wc -l)
    if [ $rc = 0 ] && [ "$crashes" = 0 ]; then
        printf 'PASS  %-16s %s s, %s executions (%s/s), %s, corpus %d -> %d\n' "$name" "$SECS" "${execs:-?}" \
            "$([ -n "$execs" ] && [ "$SECS" -gt 0 ] && echo $((execs / SECS)) || echo '?')" "${cov:-cov: ?}" "$seeds" "$units"
        PASSED=$((PASSED + 1))
    else
        printf 'FAIL  %-16s exit %s, %s executions, %d crash/leak/timeout input(s)\n' "$name" "$rc" "${execs:-?}" "$crashes"
        # the sanitizer/libFuzzer report (stack trace up to SUMMARY), not the shadow-memory legend
        report=$(sed -n '/==[0-9]*==ERROR\|runtime error\|ERROR: libFuzzer\|==[0-9]*== ERROR/,/^SUMMARY/p' "$log" | head -60)
        [ -n "$report" ] || report=$(tail -n 30 "$log")
        printf '%s\n-----\n' "$report"
        if [ "$crashes" -gt 0 ]; then
            mkdir -p "$ARTIFACTS/$short"
            cp "$art"/* "$ARTIFACTS/$short/"
            echo "reproduce: $bin $ARTIFACTS/$short/<file>   (inputs kept in $ARTIFACTS/$short/)"
        fi
        FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name")
    fi
done

echo
[ ${#FAILED_NAMES[@]} -gt 0 ] && printf 'failed: %s\n' "${FAILED_NAMES[*]}"
echo "$PASSED passed, $FAILED failed"
[ $FAILED = 0 ] && [ $PASSED -gt 0 ]
