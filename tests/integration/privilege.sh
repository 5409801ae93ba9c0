#!/usr/bin/env bash
# tests/integration/privilege.sh: least privilege. Every request of backup, list, status, verify and url stays
# inside <prefix> (object keys under it, listings with prefix=<prefix>...), so an IAM policy that allows
# s3:ListBucket only with that s3:prefix, and object actions only on <bucket>/<prefix>*, is enough (README,
# "Stores"). retention adds only the bucket's lifecycle configuration (?lifecycle), which AWS keeps per bucket.
# Also: path-style auto on an IP endpoint, and the hint when virtual-hosted addressing cannot resolve.
# Requests are seen by tests/helpers/faultproxy.py in front of the store.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; }
if ! ra_need_s3; then ra_fail "store start"; exit 1; fi
if ! ra_need_redis; then ra_fail "redis pair starts"; exit 1; fi
T=$RA_TEST_TMPDIR
B=$RA_TEST_S3_BUCKET
PREFIX="lp-$$/app/"
INST=least
FC_PREFIX=$PREFIX # fc_ids looks there
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
export FC_ENDPOINT=$FP_URL REDIS_ARCHIVER_PREFIX=$PREFIX REDIS_ARCHIVER_INSTANCE=$INST
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT
ENC_PREFIX=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="-_.~"))' "$PREFIX")

# outside FILE: the requests of the proxy log (seq METHOD TARGET STATUS ACTION) that leave <prefix>: an object
# path outside it, or a bucket-level request that is not a listing under it (or, with ALLOW, matches ALLOW)
outside() {
    local allow=${1:-} seq m target rest path query
    while read -r seq m target rest; do
        path=${target%%\?*}
        query=
        [[ $target == *\?* ]] && query=${target#*\?}
        if [[ $path == "/$B/$ENC_PREFIX"* || $path == "/$B/$PREFIX"* ]]; then continue; fi
        if [[ $path == "/$B" || $path == "/$B/" ]]; then
            [[ "&$query" == *"&prefix=$ENC_PREFIX"* ]] && continue
            [ -n "$allow" ] && [[ $query =~ $allow ]] && continue
        fi
        printf '%s %s\n' "$m" "$target"
    done
}

fp_reset
rc=0
fc_run "$T/out" "$T/err" backup || rc=$?
fc_assert_rc "backup under a prefix" 0 $rc "$T/err"
ID=$(fc_ids "$INST" | tail -1)
[ -n "$ID" ] && ra_ok "the backup is listed in the bucket" || ra_fail "the backup is listed in the bucket"
for cmd in "list" "status" "verify $ID" "url $ID"; do
    rc=0
    # shellcheck disable=SC2086
    fc_run "$T/out" "$T/err" $cmd || rc=$?
    fc_assert_rc "$cmd under a prefix" 0 $rc "$T/err"
done
fp_log >"$T/log"
n=$(wc -l <"$T/log")
# the one bucket-level exception: a backup checks the retention rules once a day (?versioning, ?lifecycle)
bad=$(outside '^(lifecycle|versioning)(=|&|$)' <"$T/log")
if [ "$n" -gt 5 ] && [ -z "$bad" ]; then
    ra_ok "backup, list, status, verify, url: all $n requests inside '$PREFIX' but the daily rules check"; else
    ra_fail "backup, list, status, verify, url: all requests inside '$PREFIX' but the daily rules check" "$bad"; fi
# a backup-only policy (no lifecycle or versioning permission): the backup succeeds and says what is missing
fp_rules '* ?lifecycle error:403:AccessDenied' '* ?versioning error:403:AccessDenied' || ra_fail "proxy rules"
fp_reset
rc=0
fc_run "$T/out" "$T/err" backup --instance "${INST}-np" || rc=$?
fc_assert_rc "backup without lifecycle permissions" 0 $rc "$T/err"
if grep -q '"event":"retention.rules"\|retention.rules' "$T/err"; then ra_ok "without lifecycle permissions: a retention.rules warning"
else ra_fail "without lifecycle permissions: a retention.rules warning" "$(cat "$T/err")"; fi
fp_clear
if grep -q "prefix=$ENC_PREFIX" "$T/log"; then ra_ok "the bucket check lists under the prefix"; else
    ra_fail "the bucket check lists under the prefix" "$(head -5 "$T/log")"; fi

# path-style auto (the default) on an IP endpoint addresses the bucket path-style; no (virtual-hosted) cannot
# resolve <bucket>.127.0.0.1 and says what to set
rc=0
fc_run "$T/out" "$T/err" list --path-style auto || rc=$?
fc_assert_rc "path-style auto on an IP endpoint" 0 $rc "$T/err"
rc=0
FC_TIMEOUT=60 fc_run "$T/out" "$T/err" list --path-style no || rc=$?
fc_assert_rc "path-style no on an IP endpoint fails" 4 $rc "$T/err"
fc_one_error "path-style no on an IP endpoint says what to set" "$T/err" "set path-style yes"

# retention: the lifecycle configuration is the bucket's (documented); nothing else outside
fp_reset
rc=0
fc_run "$T/out" "$T/err" retention --dry-run || rc=$?
fc_assert_rc "retention --dry-run" 0 $rc "$T/err"
fp_log >"$T/log"
bad=$(outside '^(lifecycle|versioning)(=|&|$)' <"$T/log")
if [ -z "$bad" ]; then ra_ok "retention: only ?lifecycle and ?versioning outside the prefix"; else
    ra_fail "retention: only ?lifecycle and ?versioning outside the prefix" "$bad"; fi
ra_done
