# tests/helpers/faultproxy.sh: shell side of faultproxy.py, for tests that already sourced tests/harness/lib.sh.
#
#   fp_start UPSTREAM_URL [CERT KEY]  start a proxy in front of UPSTREAM_URL; sets FP_PORT, FP_URL, FP_PID;
#                              with CERT and KEY it serves https (FP_URL https://127.0.0.1:PORT, control
#                              requests too)
#   fp_rules 'LINE' ...        replace the rules (one argument per rule line; see faultproxy.py)
#   fp_clear                   no rules: plain forwarding
#   fp_count [METHOD] [SUBSTR] how many requests reached the proxy (matching METHOD / target substring)
#   fp_log                     every request seen: "seq METHOD TARGET STATUS ACTION"
#   fp_reset                   forget the log and the rule counters
#   fp_stop                    stop the proxy started last (fp_stop_all: every proxy started here)
# Several proxies may run at once: fp_start sets FP_* to the newest; save them to switch back.
# Below them: fc_* helpers that run the archiver and check the store (see the second part of this file).

FP_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FP__PIDS=()

fp_start() {
    local upstream=${1:?usage: fp_start UPSTREAM_URL [CERT KEY]} cert=${2:-} key=${3:-} dir i
    dir=$(mktemp -d "$RA_TEST_TMPDIR/faultproxy.XXXXXX") || return 1
    "${RA_PY:-python3}" "$FP_HELPERS/faultproxy.py" --upstream "$upstream" --port-file "$dir/port" \
        --log "$dir/requests.log" ${cert:+--tls-cert "$cert" --tls-key "$key"} >"$dir/out.log" 2>&1 &
    FP_PID=$!
    FP__PIDS+=("$FP_PID")
    FP_DIR=$dir
    for ((i = 0; i < 200; i++)); do
        [ -s "$dir/port" ] && break
        [ -d "/proc/$FP_PID" ] || break
        sleep 0.05
    done
    if [ ! -s "$dir/port" ]; then
        echo "faultproxy did not start: $(cat "$dir/out.log")" >&2
        return 1
    fi
    FP_PORT=$(cat "$dir/port")
    FP_URL=http${cert:+s}://127.0.0.1:$FP_PORT
    export FP_PORT FP_URL FP_PID
}

fp__ctl() { curl -sS -k --max-time 10 "$@"; }

fp_rules() {
    local out
    out=$(printf '%s\n' "$@" | fp__ctl -X PUT --data-binary @- -w ' %{http_code}' "$FP_URL/__faultproxy/rules") || return 1
    [[ $out == *" 200" ]] || { echo "fp_rules: $out" >&2; return 1; }
}
fp_clear() { fp__ctl -o /dev/null -X DELETE "$FP_URL/__faultproxy/rules"; }
fp_count() {
    local m=${1:-*} q=${2:-}
    fp__ctl -G --data-urlencode "m=$m" --data-urlencode "q=$q" "$FP_URL/__faultproxy/count"
}
fp_log() { fp__ctl "$FP_URL/__faultproxy/log"; }
fp_show_rules() { fp__ctl "$FP_URL/__faultproxy/rules"; }
fp_reset() { fp__ctl -o /dev/null -X POST "$FP_URL/__faultproxy/reset"; }

fp__kill() {
    local p=$1 i
    [ -d "/proc/$p" ] || return 0
    kill "$p" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && break
        [ -d "/proc/$p" ] || break
        sleep 0.05
    done
    [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}
fp_stop() { [ -n "${FP_PID:-}" ] && fp__kill "$FP_PID"; return 0; }
fp_stop_all() {
    local p
    for p in "${FP__PIDS[@]}"; do fp__kill "$p"; done
    FP__PIDS=()
    return 0
}

# ---------------------------------------------------------------------------------------------------------
# Archiver helpers shared by tests/integration/faults.sh, badinput.sh and secrets.sh:
#   fc_init                       RA_BIN check, defaults (FC_PREFIX, FC_TIMEOUT)
#   fc_ra ARGS...                 the archiver against the test store (env: FC_ENDPOINT, FC_BUCKET,
#                                 FC_ACCESS_KEY, FC_SECRET_KEY, FC_SESSION_TOKEN, FC_REDISCLI_AUTH override),
#                                 JSON log lines, stdin closed, bounded in time, no user config
#   fc_run OUT ERR ARGS...        fc_ra with stdout/stderr to files; returns the exit code
#   fc_error_lines ERR            the error-level lines of a stderr file
#   fc_one_error NAME ERR REGEX   case: exactly one error line, and it matches REGEX (grep -Ei)
#   fc_assert_rc NAME "WANT..." GOT [ERR]   case: the exit code is one of WANT
#   fc_rdb_objects INSTANCE       keys of .rdb objects under the instance's prefix
#   fc_open_uploads INSTANCE      keys of open multipart uploads under the instance's prefix
#   fc_clean NAME INSTANCE [ID]   cases: no .rdb object (of ID, or at all), no open upload for the instance
#   fc_ids INSTANCE               ids of the instance's records, sorted
#   fc_record_field INSTANCE ID FIELD   a field of the record JSON in the bucket
#   fc_wait_for SECONDS CMD...    poll CMD every 0.1 s until it succeeds; fails after SECONDS
#   fc_download_digest INSTANCE ID      restore digest of a stored backup

fc_init() {
    RA_BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
    if [ ! -x "$RA_BIN" ]; then
        echo "# RA_BIN '$RA_BIN' is not built" >&2
        return 1
    fi
    FC_PREFIX=redis-archiver/
    FC_TIMEOUT=${FC_TIMEOUT:-120}
}

# Base environment for the archiver: the test store, path-style, test keys; no user config is read.
fc_ra() {
    env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u REDISCLI_AUTH \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
        AWS_ACCESS_KEY_ID="${FC_ACCESS_KEY:-$RA_TEST_S3_ACCESS_KEY}" \
        AWS_SECRET_ACCESS_KEY="${FC_SECRET_KEY:-$RA_TEST_S3_SECRET_KEY}" \
        ${FC_SESSION_TOKEN:+AWS_SESSION_TOKEN="$FC_SESSION_TOKEN"} \
        ${FC_REDISCLI_AUTH:+REDISCLI_AUTH="$FC_REDISCLI_AUTH"} \
        REDIS_ARCHIVER_CONFIG=/dev/null \
        REDIS_ARCHIVER_ENDPOINT="${FC_ENDPOINT:-$RA_TEST_S3_ENDPOINT}" \
        REDIS_ARCHIVER_BUCKET="${FC_BUCKET:-$RA_TEST_S3_BUCKET}" \
        REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION" \
        REDIS_ARCHIVER_PATH_STYLE=yes \
        REDIS_ARCHIVER_LOG_FORMAT=json \
        timeout -k 5 "$FC_TIMEOUT" "$RA_BIN" "$@" </dev/null
}

fc_run() {
    local out=$1 err=$2
    shift 2
    fc_ra "$@" >"$out" 2>"$err"
}

# error-level lines: JSON lines with "level":"error"; text lines "redis-archiver: MESSAGE" (errors found before
# the logger exists, e.g. in the configuration) or "error: ..." / "[error] ..."
fc_error_lines() {
    grep -E '"level": *"(error|fatal)"|^redis-archiver: |^(error|fatal)\b|^\[?(ERROR|error)\]?' "$1" |
        grep -Eiv '^redis-archiver: (warn|warning|note)\b'
}

fc_one_error() {
    local name=$1 errf=$2 rx=$3 lines n
    lines=$(fc_error_lines "$errf")
    n=$(printf '%s' "$lines" | grep -c .)
    if [ "$n" != 1 ]; then
        ra_fail "$name: exactly one error line" "got $n error lines; stderr:" "$(tail -n 20 "$errf")"
    elif ! grep -Eiq -- "$rx" <<<"$lines"; then
        ra_fail "$name: error line names the cause" "expected /$rx/ in: $lines"
    else
        ra_ok "$name: one error line naming the cause"
    fi
}

fc_assert_rc() {
    local name=$1 want=$2 got=$3 errf=${4:-}
    if [[ " $want " == *" $got "* ]]; then
        ra_ok "$name: exit code $got"
    else
        ra_fail "$name: exit code $want" "got $got" "$([ -n "$errf" ] && tail -n 15 "$errf")"
    fi
}

fc_rdb_objects() {
    ra_aws s3api list-objects-v2 --bucket "${FC_BUCKET_CHECK:-$RA_TEST_S3_BUCKET}" --prefix "$FC_PREFIX$1/" \
        --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n' | grep '\.rdb$'
    return 0
}

fc_open_uploads() {
    ra_aws s3api list-multipart-uploads --bucket "$RA_TEST_S3_BUCKET" --prefix "$FC_PREFIX$1/" \
        --query 'Uploads[].Key' --output text 2>/dev/null | tr '\t' '\n' | grep -v '^None$' | grep .
    return 0
}

fc_clean() {
    local name=$1 inst=$2 id=${3:-} objs ups
    objs=$(fc_rdb_objects "$inst")
    if [ -n "$id" ]; then objs=$(grep -F "/$id.rdb" <<<"$objs"); fi
    if [ -z "$objs" ]; then ra_ok "$name: no object for the failed backup"; else
        ra_fail "$name: no object for the failed backup" "found: $objs"; fi
    ups=$(fc_open_uploads "$inst")
    if [ -z "$ups" ]; then ra_ok "$name: no open multipart upload"; else
        ra_fail "$name: no open multipart upload" "open: $ups"; fi
}

fc_ids() {
    ra_aws s3api list-objects-v2 --bucket "$RA_TEST_S3_BUCKET" --prefix "$FC_PREFIX$1/" \
        --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n' | sed -n 's|.*/\([^/]*\)\.json$|\1|p' | sort
}

fc_record_field() {
    ra_aws s3 cp --quiet "s3://$RA_TEST_S3_BUCKET/$FC_PREFIX$1/$2.json" - 2>/dev/null | jq -r ".$3"
}

fc_wait_for() {
    local t=$1 i
    shift
    for ((i = 0; i < t * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# fc_download_digest INSTANCE ID: download the backup's RDB and print its restore digest
fc_download_digest() {
    local f=$RA_TEST_TMPDIR/dl-$1-$2.rdb
    ra_aws s3 cp --quiet "s3://$RA_TEST_S3_BUCKET/$FC_PREFIX$1/$2.rdb" "$f" || return 1
    ra_redis_restore_digest "$f"
    local rc=$?
    rm -f "$f"
    return $rc
}

