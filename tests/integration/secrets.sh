#!/usr/bin/env bash
# tests/integration/secrets.sh: secrets never leave the process. A redis pair with requirepass, the AWS secret
# key and a session token of recognizable values; every command's stdout and stderr (successful and failing
# runs), `status --json`, `config`, the RDB object's metadata, the record JSON and /proc/PID/cmdline of a
# running backup are searched for them (whole values and 16-character pieces of them).
# The presigned URL of `url` carries the session token by design (X-Amz-Security-Token): it is searched for the
# password and the secret key only.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; }
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
T=$RA_TEST_TMPDIR
RUN=$$
B=$RA_TEST_S3_BUCKET
I=secrets-$RUN

PW=RaRedisPassw0rd-Xq7vK2mZ9tL4
WRONG_PW=RaWrongRedisPw-Hk3jN8bV1cR6
WRONG_SECRET=RaWrongAwsSecret-Lp5sD2fG7hJ9kQ1w
TOKEN=RaSessionTok3n-Vb8nM4xC6zA2sD9fG1hJ5kL
SECRET=$RA_TEST_S3_SECRET_KEY
export FC_SESSION_TOKEN=$TOKEN

# --- a pair with passwords (set after the start: the harness pings without one)
M=$(ra_redis_start smaster) && R=$(ra_redis_start sreplica "replicaof 127.0.0.1 $M") && ra_redis_wait_link "$R" 60 ||
    { ra_fail "own redis pair starts"; exit 1; }
ra_redis_fill "$M" 2000 s >/dev/null || { ra_fail "fill the pair"; exit 1; }
redis-cli -p "$R" config set masterauth "$PW" >/dev/null
redis-cli -p "$M" config set requirepass "$PW" >/dev/null
redis-cli -p "$R" config set requirepass "$PW" >/dev/null
if [ "$(redis-cli -p "$R" ping 2>&1)" != PONG ] && [ "$(REDISCLI_AUTH=$PW redis-cli -p "$R" ping 2>&1)" = PONG ]; then
    ra_ok "replica requires the password"
else
    ra_fail "replica requires the password"
fi

fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }

# scan NAME FILE [SECRETS...]: none of the secrets (default: all four kinds) nor a 16-character piece of one
# is in FILE
scan() {
    local name=$1 f=$2 s i hits=""
    shift 2
    [ $# -gt 0 ] || set -- "$PW" "$WRONG_PW" "$SECRET" "$WRONG_SECRET" "$TOKEN"
    for s in "$@"; do
        for ((i = 0; i + 16 <= ${#s}; i += 8)); do
            if grep -aqF -- "${s:i:16}" "$f"; then hits="$hits ${s:0:6}...[$i]"; break; fi
        done
    done
    if [ -z "$hits" ]; then ra_ok "no secret in $name"; else
        ra_fail "no secret in $name" "found pieces of:$hits" "$(head -c 600 "$f")"; fi
}

# --- successful runs: password by REDISCLI_AUTH, then in the source URL of a config file
rc=0
FC_REDISCLI_AUTH=$PW fc_run "$T/b1.out" "$T/b1.err" backup --instance "$I" --source "redis://127.0.0.1:$R" --remark "secrets test" || rc=$?
fc_assert_rc "backup with REDISCLI_AUTH" 0 $rc "$T/b1.err"
ID=$(head -n 1 "$T/b1.out")
scan "backup stdout (REDISCLI_AUTH)" "$T/b1.out"
scan "backup stderr (REDISCLI_AUTH)" "$T/b1.err"

printf 'source redis://default:%s@127.0.0.1:%s\ninstance %s\n' "$PW" "$R" "$I" >"$T/secret.conf"
rc=0
fc_run "$T/b2.out" "$T/b2.err" backup --config "$T/secret.conf" || rc=$?
fc_assert_rc "backup with the password in the config file" 0 $rc "$T/b2.err"
ID2=$(head -n 1 "$T/b2.out")
scan "backup stdout (config file)" "$T/b2.out"
scan "backup stderr (config file)" "$T/b2.err"

# --- read-only commands
for cmd in "list" "list --json" "status" "status --json" "status $ID" "status --json $ID" "config"; do
    f=$T/cmd-${cmd// /_}
    rc=0
    fc_run "$f.out" "$f.err" $cmd --config "$T/secret.conf" || rc=$?
    fc_assert_rc "$cmd" 0 $rc "$f.err"
    cat "$f.out" "$f.err" >"$f.all"
    scan "'$cmd' output" "$f.all"
done
rc=0
fc_run "$T/url.out" "$T/url.err" url "$ID" --config "$T/secret.conf" || rc=$?
fc_assert_rc "url" 0 $rc "$T/url.err"
if grep -q 'X-Amz-Signature=' "$T/url.out"; then ra_ok "url prints a presigned URL"; else ra_fail "url prints a presigned URL" "$(cat "$T/url.out")"; fi
scan "url stdout (password, secret key)" "$T/url.out" "$PW" "$SECRET"
scan "url stderr" "$T/url.err"
# the URL works (RGW ignores the session token) and so the secret only signed it
code=$(curl -s -o /dev/null -w '%{http_code}' "$(head -n 1 "$T/url.out")")
ra_assert_eq "presigned URL downloads" 200 "$code"

# --- what is stored: object metadata and the record
ra_aws s3api head-object --bucket "$B" --key "$FC_PREFIX$I/$ID2.rdb" >"$T/head.json" 2>&1
if grep -q '"Metadata"' "$T/head.json"; then ra_ok "HEAD of the RDB object"; else ra_fail "HEAD of the RDB object" "$(cat "$T/head.json")"; fi
scan "RDB object metadata (HEAD)" "$T/head.json"
for id in "$ID" "$ID2"; do
    ra_aws s3 cp --quiet "s3://$B/$FC_PREFIX$I/$id.json" "$T/rec-$id.json" 2>&1
    if jq -e .status "$T/rec-$id.json" >/dev/null 2>&1; then ra_ok "record $id is JSON"; else ra_fail "record $id is JSON"; fi
    scan "record JSON $id" "$T/rec-$id.json"
done
# and nothing of it went over the wire: the proxy's request log (targets only) has no secret either
fp_log >"$T/proxy.log"
scan "request targets seen by the proxy" "$T/proxy.log"

# --- failing runs: their error messages name the problem, never the secret
rc=0
FC_REDISCLI_AUTH=$WRONG_PW fc_run "$T/wp.out" "$T/wp.err" backup --instance "$I" --source "redis://127.0.0.1:$R" || rc=$?
fc_assert_rc "wrong redis password (REDISCLI_AUTH)" 3 $rc "$T/wp.err"
fc_one_error "wrong redis password (REDISCLI_AUTH)" "$T/wp.err" "auth|password|WRONGPASS"
scan "wrong redis password: stdout" "$T/wp.out"
scan "wrong redis password: stderr" "$T/wp.err"

printf 'source redis://default:%s@127.0.0.1:%s\ninstance %s\n' "$WRONG_PW" "$R" "$I" >"$T/wrong.conf"
rc=0
fc_run "$T/wp2.out" "$T/wp2.err" backup --config "$T/wrong.conf" || rc=$?
fc_assert_rc "wrong redis password (config file)" 3 $rc "$T/wp2.err"
scan "wrong redis password in URL: stderr" "$T/wp2.err"

rc=0
FC_REDISCLI_AUTH=$PW FC_SECRET_KEY=$WRONG_SECRET fc_run "$T/ws.out" "$T/ws.err" backup --instance "$I" --source "redis://127.0.0.1:$R" || rc=$?
# (moto checks no signature: there the run succeeds, and only the scans below hold)
ra_store_skip moto "wrong AWS secret: exit code 4" "moto does not check SigV4 signatures" ||
    fc_assert_rc "wrong AWS secret" 4 $rc "$T/ws.err"
scan "wrong AWS secret: stdout" "$T/ws.out"
scan "wrong AWS secret: stderr" "$T/ws.err"
rc=0
FC_SECRET_KEY=$WRONG_SECRET fc_run "$T/ws2.out" "$T/ws2.err" url "$ID" --config "$T/secret.conf" --log-level debug || rc=$?
scan "url with a wrong secret (debug log)" "$T/ws2.err"

rc=0
FC_REDISCLI_AUTH=$PW fc_run "$T/dbg.out" "$T/dbg.err" backup --instance "$I" --source "redis://127.0.0.1:$R" --log-level debug || rc=$?
fc_assert_rc "backup with --log-level debug" 0 $rc "$T/dbg.err"
scan "debug log of a backup" "$T/dbg.err"

rc=0
fc_run "$T/dead.out" "$T/dead.err" backup --instance "$I" --source "redis://default:$PW@127.0.0.1:$(ra_free_port)" || rc=$?
fc_assert_rc "unreachable source with a password in the URL" 3 $rc "$T/dead.err"
scan "unreachable source: stderr" "$T/dead.err"

# --- /proc/PID/cmdline of a running backup: the password given in --source must be scrubbed from argv
fp_rules 'PUT * delay:2'
fp_reset
rm -f "$T/run.rc"
(
    env AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN" \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null REDIS_ARCHIVER_CONFIG=/dev/null REDIS_ARCHIVER_LOG_FORMAT=json \
        "$RA_BIN" backup --instance "$I" --endpoint "$FP_URL" --bucket "$B" --path-style --region "$RA_TEST_S3_REGION" \
        --source "redis://default:$PW@127.0.0.1:$R" --part-size 5MiB </dev/null >"$T/run.out" 2>"$T/run.err"
    echo $? >"$T/run.rc"
) &
SUB=$!
APID=
for ((i = 0; i < 100; i++)); do
    [ -n "$APID" ] && break
    for p in $(pgrep -P "$SUB" 2>/dev/null); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$RA_BIN")" ] && APID=$p
    done
    [ -n "$APID" ] || sleep 0.05
done
if [ -n "$APID" ] && fc_wait_for 30 sh -c "grep -q backup.start '$T/run.err'"; then
    tr '\0' ' ' <"/proc/$APID/cmdline" >"$T/cmdline" 2>/dev/null
    echo "# cmdline: $(cat "$T/cmdline")"
    if grep -q -- "--source" "$T/cmdline"; then ra_ok "cmdline read while the backup runs"; else
        ra_fail "cmdline read while the backup runs" "$(cat "$T/cmdline")"; fi
    scan "/proc/PID/cmdline of a running backup" "$T/cmdline"
else
    ra_fail "a running backup to read /proc/PID/cmdline of" "$(cat "$T/run.err" 2>/dev/null)"
fi
fp_clear
fc_wait_for 120 test -s "$T/run.rc"
wait "$SUB" 2>/dev/null
ra_assert_eq "the backup with --source password completes" 0 "$(cat "$T/run.rc" 2>/dev/null)"
scan "stdout/stderr of that backup" "$T/run.err"

ra_done
