#!/usr/bin/env bash
# tests/run.sh BUILD_DIR: the one test command (`make check`): unit tests once, then the integration tests
# against each S3 store of the matrix (Ceph RGW and moto's S3 server, RA_TEST_STORES="rgw moto"), every store
# pass with its own redis master/replica pair, store and temp dir, the passes in parallel. Everything on
# 127.0.0.1. Last line: "N passed, N failed[, N skipped]".
#
# Counted cases: every cmocka test in BUILD_DIR/tests/unit/test_* and BUILD_DIR/tests/integration/*_it
# (run with CMOCKA_MESSAGE_OUTPUT=TAP), and every `ok - name` / `not ok - name` / `ok - name # SKIP why` line
# of tests/integration/*.sh. A file that crashes, times out (RA_TEST_TIMEOUT, 600 s) or exits non-zero
# without reporting a failed case counts as one more failure; so does a store or redis pair that does not
# start (moto missing included). Exit 1 if anything failed or nothing ran.
# Integration files that use no S3 store (no RA_TEST_S3_ / ra_need_s3 in them) run once, in the first pass.
# Environment for the integration tests: RA_BIN, RA_TEST_TMPDIR, RA_TEST_REDIS_*, RA_TEST_S3_* (including
# RA_TEST_S3_STORE, the store's name) and RA_TEST_STORE (tests/harness/lib.sh).
# Each store pass has two lanes side by side: the main lane runs the files in order; the side lane (a redis
# pair, bucket and temp dir of its own, on the same store) first runs RA_TEST_SIDE (long files that mostly
# wait: heartbeat.sh, lock.sh), then takes files from the end of the main lane's queue until it is empty.
# RA_TEST_LANES=1: one lane per pass, as before.
# Optional: RA_TEST_FILTER=REGEX runs only the files whose name matches; RA_TEST_STORES="rgw" (or "moto")
# runs the integration files against fewer stores; RA_KEEP=1 keeps logs and temp files.
set -uo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: tests/run.sh BUILD_DIR   (BUILD_DIR built with 'make tests')" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
# start from a clean environment
unset RA_TEST_TMPDIR RA_PORTS_FILE RA_TEST_REDIS_MASTER_PORT RA_TEST_S3_ENDPOINT RA_TEST_S3_STORE RA_TEST_STORE
. tests/harness/lib.sh || exit 2

export RA_BIN=$BUILD/redis-archiver
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TIMEOUT=${RA_TEST_TIMEOUT:-600}
UNIT_TIMEOUT=${RA_UNIT_TIMEOUT:-300}
TOP=$RA_TEST_TMPDIR
LOGS=$TOP/logs
mkdir -p "$LOGS"
T0=$SECONDS
read -r -a STORES <<<"${RA_TEST_STORES:-rgw moto}"
LANES=${RA_TEST_LANES:-2}
read -r -a SIDE <<<"${RA_TEST_SIDE-heartbeat.sh lock.sh}"

PASSED=0 FAILED=0 SKIPPED=0
FAILED_CASES=() SKIPPED_CASES=()
DETAILS=  # where a pass writes the output of its failed files (empty: stdout)

selected() { [ -z "${RA_TEST_FILTER:-}" ] || [[ $1 =~ $RA_TEST_FILTER ]]; }

# record LABEL LOG RC LIMIT SECS: count the TAP lines of LOG for the file LABEL, print one status line
record() {
    local label=$1 log=$2 rc=$3 limit=$4 secs=$5 line name bad plan=0 ran=0 p=0 f=0 s=0 why="" prev=""
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [[ $line =~ ^1\.\.([0-9]+) ]]; then
            plan=$((plan + BASH_REMATCH[1]))
        elif [[ $line =~ ^(not\ )?ok($|[[:space:]]) ]]; then
            ran=$((ran + 1))
            bad=${BASH_REMATCH[1]}
            name=${line#not }
            name=${name#ok}
            [[ $name =~ ^[[:space:]]*[0-9]*[[:space:]]*-?[[:space:]]*(.*)$ ]] && name=${BASH_REMATCH[1]}
            if [[ $name =~ (^|[[:space:]])#[[:space:]]*(SKIP|skip)([[:space:]]|$) ]]; then
                # cmocka 1.1 writes a skip as "not ok N # SKIP name", its message on the line before
                [[ $name =~ ^#[[:space:]]*SKIP[[:space:]]+(.*)$ ]] && name="${BASH_REMATCH[1]} # SKIP $prev"
                s=$((s + 1))
                SKIPPED_CASES+=("$label: $name")
            elif [ -n "$bad" ]; then
                f=$((f + 1))
                FAILED_CASES+=("$label: ${name:-case $ran}")
            else
                p=$((p + 1))
            fi
        fi
        prev=$line
    done <"$log"
    local cases="after $ran case(s)"
    [ $plan -gt 0 ] && cases="after $ran of $plan planned case(s)"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        why="timed out after ${limit}s, $cases"
    elif [ "$rc" -gt 128 ]; then
        why="killed by signal $((rc - 128)) $cases"
    elif [ "$rc" != 0 ] && [ $f = 0 ]; then
        why="exited with status $rc $cases, none reported as failed"
    fi
    if [ $plan -gt 0 ] && [ $ran -lt $plan ] && [ -z "$why" ]; then why="only $ran of $plan planned cases reported"; fi
    if [ $ran = 0 ] && [ -z "$why" ]; then why="reported no test case"; fi
    if [ -n "$why" ]; then
        f=$((f + 1))
        FAILED_CASES+=("$label: $why")
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    SKIPPED=$((SKIPPED + s))
    if [ $f = 0 ]; then
        printf 'PASS  %-40s %4ds %4d passed%s\n' "$label" "$secs" $p "$([ $s -gt 0 ] && echo ", $s skipped")"
    else
        printf 'FAIL  %-40s %4ds %4d passed, %d failed%s\n' "$label" "$secs" $p $f "${why:+ ($why)}"
        {
            printf -- '----- output of %s (last 80 lines; %s) -----\n' "$label" \
                "$([ "${RA_KEEP:-0}" = 1 ] && echo "full log: $log" || echo "RA_KEEP=1 keeps the full log")"
            tail -n 80 "$log"
            printf -- '-----\n'
        } >>"${DETAILS:-/dev/stdout}"
    fi
}

run_cmocka() {
    local bin=$1 label=$2 limit=$3 log rc t=$SECONDS
    log=$LOGS/${label//[\/: ]/_}.log
    CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$limit" "$bin" >"$log" 2>&1
    rc=$?
    record "$label" "$log" $rc "$limit" $((SECONDS - t))
}

run_script() {
    local script=$1 label=$2 log rc t=$SECONDS
    log=$LOGS/${label//[\/: ]/_}.log
    timeout -k 10 "$TIMEOUT" bash "$script" >"$log" 2>&1
    rc=$?
    record "$label" "$log" $rc "$TIMEOUT" $((SECONDS - t))
}

# environment failures count as failures: S3 or redis tests must never pass by not running
env_failure() {
    FAILED=$((FAILED + 1))
    FAILED_CASES+=("environment: $1")
    printf 'FAIL  %-40s (%s)\n' "environment" "$1"
    if [ -s "$2" ]; then
        { printf -- '----- %s -----\n' "$2"; tail -n 120 "$2"; printf -- '-----\n'; } >>"${DETAILS:-/dev/stdout}"
    fi
}

# ---- what to run
shopt -s nullglob
UNITS=() ITS=() SCRIPTS=()
for f in "$BUILD"/tests/unit/test_*; do [ -x "$f" ] && [ -f "$f" ] && selected "${f##*/}" && UNITS+=("$f"); done
for f in "$BUILD"/tests/integration/*_it; do [ -x "$f" ] && selected "${f##*/}" && ITS+=("$f"); done
for f in tests/integration/*.sh; do selected "${f##*/}" && SCRIPTS+=("$f"); done
if [ ! -e "$RA_BIN" ]; then echo "note: $RA_BIN does not exist (tests that need the binary will fail)"; fi

# uses_s3 FILE: the integration file (its source for a cmocka one) talks to the S3 store
uses_s3() {
    local src=$1
    case $src in "$BUILD"/tests/integration/*) src=tests/integration/${src##*/}.c ;; esac
    [ -f "$src" ] && ! grep -qE 'RA_TEST_S3_|ra_need_s3' "$src" && return 1
    return 0
}

# ---- per store: a temp dir of its own, and its redis pair and store started in the background while the unit
# tests run (RGW takes ~15 s, moto ~2 s)
declare -A PASS_DIR START_PID
ENV_PIDS=()
if [ $((${#ITS[@]} + ${#SCRIPTS[@]})) -gt 0 ]; then
    for store in "${STORES[@]}"; do
        d=$TOP/$store
        mkdir -p "$d"
        PASS_DIR[$store]=$d
        (
            RA_TEST_TMPDIR=$d RA__REGISTRY=$d/.registry RA_TEST_STORE=$store
            export RA_TEST_TMPDIR RA_TEST_STORE
            : >"$RA__REGISTRY"
            printf '[default]\n' >"$d/.aws-config"
            (ra_redis_pair) >"$LOGS/env-$store-redis.log" 2>&1 &
            rp=$!
            if [ "$LANES" -ge 2 ]; then # the side lane's redis pair, in a dir of its own
                mkdir -p "$d/side"
                (RA_TEST_TMPDIR=$d/side RA__REGISTRY=$d/side/.registry; : >"$RA__REGISTRY"; ra_redis_pair) \
                    >"$LOGS/env-$store-side-redis.log" 2>&1 &
                sp=$!
            fi
            ra_store_start >"$LOGS/env-$store-s3.log" 2>&1
            src=$?
            wait $rp
            rrc=$?
            echo "$rrc $src" >"$d/.started"
            if [ "$LANES" -ge 2 ]; then # its bucket on the same store, and the store's settings but that
                wait $sp
                rrc=$?
                if [ "$rrc" = 0 ] && [ "$src" = 0 ]; then
                    grep -E '^export (RA_TEST_S3_|RA_TEST_MOTO_)' "$d/env.sh" >>"$d/side/env.sh"
                    echo "export RA_TEST_S3_BUCKET=ra-test-side" >>"$d/side/env.sh"
                    (. "$d/env.sh" && RA_TEST_TMPDIR=$d/side ra_s3_bucket ra-test-side) >>"$LOGS/env-$store-s3.log" 2>&1
                    src=$?
                fi
                echo "$rrc $src" >"$d/side/.started"
            fi
        ) &
        START_PID[$store]=$!
        ENV_PIDS+=($!)
    done
fi
PASS_PIDS=()
ra_on_exit() { local p; for p in "${ENV_PIDS[@]}" "${PASS_PIDS[@]}"; do kill "$p" 2>/dev/null; done; return 0; }

echo "== unit tests (${#UNITS[@]} files, $BUILD)"
for f in "${UNITS[@]}"; do run_cmocka "$f" "unit/${f##*/}" "$UNIT_TIMEOUT"; done

# q_pop QUEUE head|tail: take the first or last file of a lane's queue (one name a line; "" when empty), under
# the pass's lock (the side lane takes from the main lane's queue)
q_pop() {
    local q=$1 end=$2 f=
    {
        flock 9
        if [ -s "$q" ]; then
            if [ "$end" = head ]; then f=$(head -n 1 "$q") && sed -i 1d "$q"; else f=$(tail -n 1 "$q") && sed -i '$d' "$q"; fi
        fi
    } 9>>"${q%/*}/.qlock"
    printf '%s' "$f"
}

# run_lane STORE DIR QUEUE [STEAL]: the files of QUEUE from its head, then (side lane) those of STEAL from its
# tail, against STORE with the servers of DIR (its env.sh); its counts and failed cases go to files of DIR,
# the output of its failed files to DIR/.details (printed at the end)
run_lane() {
    local store=$1 d=$2 q=$3 steal=${4:-} f
    PASSED=0 FAILED=0 SKIPPED=0 FAILED_CASES=() SKIPPED_CASES=()
    DETAILS=$d/.details
    : >"$DETAILS"
    RA_TEST_TMPDIR=$d RA__REGISTRY=$d/.registry RA_TEST_STORE=$store
    export RA_TEST_TMPDIR RA_TEST_STORE
    [ -s "$d/env.sh" ] && . "$d/env.sh"
    while :; do
        f=$(q_pop "$q" head)
        [ -z "$f" ] && [ -n "$steal" ] && f=$(q_pop "$steal" tail)
        [ -z "$f" ] && break
        case $f in
        *.sh) run_script "$f" "$store: integration/${f##*/}" ;;
        *) run_cmocka "$f" "$store: integration/${f##*/}" "$TIMEOUT" ;;
        esac
    done
    echo "$PASSED $FAILED $SKIPPED" >"$d/.counts"
    [ ${#FAILED_CASES[@]} -gt 0 ] && printf '%s\n' "${FAILED_CASES[@]}" >"$d/.failed"
    [ ${#SKIPPED_CASES[@]} -gt 0 ] && printf '%s\n' "${SKIPPED_CASES[@]}" >"$d/.skipped"
    return 0
}

# run_pass STORE FIRST: the integration files against STORE, in a subshell, in its lanes; its counts and failed
# cases go to files of its dir (and its side lane's), the output of its failed files to their details files
run_pass() {
    local store=$1 first=$2 d=${PASS_DIR[$1]} redis_rc s3_rc f name side=0 sr=1 ss=1 s lane
    PASSED=0 FAILED=0 SKIPPED=0 FAILED_CASES=() SKIPPED_CASES=()
    DETAILS=$d/.details
    : >"$DETAILS"
    read -r redis_rc s3_rc <"$d/.started" 2>/dev/null || { redis_rc=1 s3_rc=1; }
    RA_TEST_TMPDIR=$d RA__REGISTRY=$d/.registry RA_TEST_STORE=$store
    export RA_TEST_TMPDIR RA_TEST_STORE
    [ -s "$d/env.sh" ] && . "$d/env.sh"
    [ "$redis_rc" = 0 ] && [ -n "${RA_TEST_REDIS_REPLICA_PORT:-}" ] ||
        env_failure "$store: redis master/replica did not start" "$LOGS/env-$store-redis.log"
    if [ "$s3_rc" != 0 ] || [ -z "${RA_TEST_S3_ENDPOINT:-}" ]; then
        if grep -q 'no python3 can import moto' "$LOGS/env-$store-s3.log" 2>/dev/null; then
            env_failure "$store: MOTO IS NOT INSTALLED, its pass did not run: $RA_MOTO_HOWTO; or run without it: \
RA_TEST_STORES=rgw" "$LOGS/env-$store-s3.log"
        else
            env_failure "$store: the $store store did not start" "$LOGS/env-$store-s3.log"
        fi
    fi
    if [ "$redis_rc" = 0 ] && [ -n "${RA_TEST_REDIS_REPLICA_PORT:-}" ] && [ "$s3_rc" = 0 ] &&
        [ -n "${RA_TEST_S3_ENDPOINT:-}" ]; then
        printf '      %s: redis master 127.0.0.1:%s, replica 127.0.0.1:%s; %s %s bucket %s (%ds)\n' "$store" \
            "$RA_TEST_REDIS_MASTER_PORT" "$RA_TEST_REDIS_REPLICA_PORT" "$store" "$RA_TEST_S3_ENDPOINT" \
            "$RA_TEST_S3_BUCKET" $((SECONDS - T0))
        if [ "$LANES" -ge 2 ]; then
            read -r sr ss 2>/dev/null <"$d/side/.started"
            if [ "$sr" = 0 ] && [ "$ss" = 0 ]; then side=1; else
                printf 'note  %-40s its side lane did not start (%s): one lane\n' "$store" "$LOGS/env-$store-side-redis.log"
            fi
        fi
        : >"$d/.queue"
        [ $side = 1 ] && : >"$d/side/.queue"
        for f in "${ITS[@]}" "${SCRIPTS[@]}"; do
            name=${f##*/}
            if [ "$first" != 1 ] && ! uses_s3 "$f"; then
                printf 'note  %-40s uses no S3 store: run once, in the %s pass\n' "$store: integration/$name" "${STORES[0]}"
                continue
            fi
            lane=$d/.queue
            for s in "${SIDE[@]}"; do [ $side = 1 ] && [ "$name" = "$s" ] && lane=$d/side/.queue; done
            echo "$f" >>"$lane"
        done
        if [ $side = 1 ]; then
            : >"$d/side/.lane" # it must report its counts
            run_lane "$store" "$d/side" "$d/side/.queue" "$d/.queue" &
            run_lane "$store" "$d" "$d/.queue"
            wait $!
        else
            run_lane "$store" "$d" "$d/.queue"
        fi
        return 0
    else
        echo "      $store: integration tests not run: ${ITS[*]##*/} ${SCRIPTS[*]##*/}"
    fi
    echo "$PASSED $FAILED $SKIPPED" >"$d/.counts"
    [ ${#FAILED_CASES[@]} -gt 0 ] && printf '%s\n' "${FAILED_CASES[@]}" >"$d/.failed"
    [ ${#SKIPPED_CASES[@]} -gt 0 ] && printf '%s\n' "${SKIPPED_CASES[@]}" >"$d/.skipped"
    return 0
}

if [ ${#ENV_PIDS[@]} -gt 0 ]; then
    echo "== integration tests (${#ITS[@]} cmocka files, ${#SCRIPTS[@]} shell files) against: ${STORES[*]}"
    wait "${ENV_PIDS[@]}"
    ENV_PIDS=()
    first=1
    for store in "${STORES[@]}"; do
        run_pass "$store" $first &
        PASS_PIDS+=($!)
        first=0
    done
    wait "${PASS_PIDS[@]}"
    PASS_PIDS=()
    for store in "${STORES[@]}"; do
        for d in "${PASS_DIR[$store]}" "${PASS_DIR[$store]}/side"; do
            if read -r p f s 2>/dev/null <"$d/.counts"; then
                PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
            elif [ "$d" = "${PASS_DIR[$store]}" ] || [ -e "$d/.lane" ]; then
                FAILED=$((FAILED + 1))
                FAILED_CASES+=("$store: the pass ended without its counts")
            fi
            [ -s "$d/.failed" ] && mapfile -t -O ${#FAILED_CASES[@]} FAILED_CASES <"$d/.failed"
            [ -s "$d/.skipped" ] && mapfile -t -O ${#SKIPPED_CASES[@]} SKIPPED_CASES <"$d/.skipped"
            [ -s "$d/.details" ] && cat "$d/.details"
        done
    done
fi

# ---- summary (servers stopped first, so that nothing is printed after the last line)
ra_stop_all
echo
echo "== summary ($((SECONDS - T0)) s, $BUILD)"
echo "   files: ${#UNITS[@]} unit, ${#ITS[@]} integration (cmocka), ${#SCRIPTS[@]} integration (shell); stores: ${STORES[*]}"
if [ ${#SKIPPED_CASES[@]} -gt 0 ]; then
    echo "   skipped:"
    printf '     - %s\n' "${SKIPPED_CASES[@]}"
fi
if [ ${#FAILED_CASES[@]} -gt 0 ]; then
    echo "   failed:"
    printf '     - %s\n' "${FAILED_CASES[@]}"
fi
if [ "${RA_KEEP:-0}" = 1 ]; then echo "   logs kept in $LOGS"; fi
if [ $((PASSED + FAILED)) = 0 ]; then echo "   no test ran"; fi
line="$PASSED passed, $FAILED failed"
[ $SKIPPED -gt 0 ] && line="$line, $SKIPPED skipped"
echo "$line"
[ $FAILED = 0 ] && [ $((PASSED + FAILED)) -gt 0 ]
