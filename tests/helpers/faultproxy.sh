# tests/helpers/faultproxy.sh: shell side of faultproxy.py, for tests that already sourced tests/harness/lib.sh.
#
#   fp_start UPSTREAM_URL      start a proxy in front of UPSTREAM_URL; sets FP_PORT, FP_URL, FP_PID
#   fp_rules 'LINE' ...        replace the rules (one argument per rule line; see faultproxy.py)
#   fp_clear                   no rules: plain forwarding
#   fp_count [METHOD] [SUBSTR] how many requests reached the proxy (matching METHOD / target substring)
#   fp_log                     every request seen: "seq METHOD TARGET STATUS ACTION"
#   fp_reset                   forget the log and the rule counters
#   fp_stop                    stop the proxy started last (fp_stop_all: every proxy started here)
# Several proxies may run at once: fp_start sets FP_* to the newest; save them to switch back.

FP_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FP__PIDS=()

fp_start() {
    local upstream=${1:?usage: fp_start UPSTREAM_URL} dir i
    dir=$(mktemp -d "$RA_TEST_TMPDIR/faultproxy.XXXXXX") || return 1
    "${RA_PY:-python3}" "$FP_HELPERS/faultproxy.py" --upstream "$upstream" --port-file "$dir/port" \
        --log "$dir/requests.log" >"$dir/out.log" 2>&1 &
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
    FP_URL=http://127.0.0.1:$FP_PORT
    export FP_PORT FP_URL FP_PID
}

fp__ctl() { curl -sS --max-time 10 "$@"; }

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
