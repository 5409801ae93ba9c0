#!/usr/bin/env bash
# tests/integration/credentials.sh: the AWS credential chain against real peers. Loopback fakes
# (tests/helpers/fakemeta.py) of EC2 instance metadata (IMDSv2: the PUT token is required) and of the container
# endpoint (ECS / EKS Pod Identity, with an authorization token file) hand out the RGW test keys; web identity
# (EKS IRSA) goes to moto's STS (python3 -m moto.server) through fakemeta.py's sts-proxy, which keeps moto's
# answer but puts the RGW test keys in it (RGW checks signatures and would refuse moto's random keys); moto's
# own answer, keys and all, is used against moto's S3 on the same port for a listing. A profile with role_arn +
# source_profile goes to moto's STS AssumeRole the same way. Shared files: a [profile x] of the config file with
# upper-case keys, and a credential_process. `config` names each source, never a secret. Backups restore by
# DEBUG DIGEST; credentials that expire within seconds are refreshed in the middle of an upload (parts slowed
# by tests/helpers/faultproxy.py, which also answers one part with 400 ExpiredToken).
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
FAKE_PIDS=()
ra_on_exit() {
    fp_stop_all
    local p
    for p in "${FAKE_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    return 0
}
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
if ! ra_need_redis; then ra_fail "redis pair"; exit 1; fi
T=$RA_TEST_TMPDIR
RUN=$$
B=$RA_TEST_S3_BUCKET
HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
mkdir -p "$T/home"
ra_redis_fill "$RA_TEST_REDIS_MASTER_PORT" 20000 creds: >/dev/null || { ra_fail "fill the pair"; exit 1; }
DIGEST=$(ra_redis_digest "$RA_TEST_REDIS_REPLICA_PORT")

# fake_start NAME MODE [ARGS...]: a fakemeta.py on a free port; sets FAKE_URL, FAKE_LOG
fake_start() {
    local name=$1 mode=$2 i
    shift 2
    rm -f "$T/$name.port" "$T/$name.log"
    FAKE_ACCESS_KEY=$RA_TEST_S3_ACCESS_KEY FAKE_SECRET_KEY=$RA_TEST_S3_SECRET_KEY \
        "${RA_PY:-python3}" "$HELPERS/fakemeta.py" --mode "$mode" --port-file "$T/$name.port" --log "$T/$name.log" \
        "$@" >"$T/$name.out" 2>&1 &
    FAKE_PIDS+=($!)
    for ((i = 0; i < 100; i++)); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
    [ -s "$T/$name.port" ] || { echo "# fakemeta $name did not start: $(cat "$T/$name.out")" >&2; return 1; }
    FAKE_URL=http://127.0.0.1:$(cat "$T/$name.port")
    FAKE_LOG=$T/$name.log
}
handouts() { grep -c '^creds ' "$1" 2>/dev/null || echo 0; }

# cr_ra VAR=VALUE... -- ARGS...: the archiver with no credentials of the caller's, the given variables on top
cr_ra() {
    local vars=()
    while [ "$1" != -- ]; do vars+=("$1"); shift; done
    shift
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_PROFILE \
        -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_SESSION_NAME -u AWS_CREDENTIAL_EXPIRATION \
        -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
        -u AWS_CONTAINER_AUTHORIZATION_TOKEN -u AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
        -u AWS_EC2_METADATA_SERVICE_ENDPOINT -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 -u AWS_ENDPOINT_URL_STS \
        -u REDISCLI_AUTH \
        HOME="$T/home" AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
        REDIS_ARCHIVER_CONFIG=/dev/null REDIS_ARCHIVER_ENDPOINT="$RA_TEST_S3_ENDPOINT" REDIS_ARCHIVER_BUCKET="$B" \
        REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION" REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json \
        REDIS_ARCHIVER_SOURCE="redis://127.0.0.1:$RA_TEST_REDIS_REPLICA_PORT" \
        "${vars[@]}" timeout -k 5 180 "$RA_BIN" "$@" </dev/null
}

# backup_restores NAME INSTANCE VARS...: a backup with those variables exits 0 and its object restores to the
# replica's digest
backup_restores() {
    local name=$1 inst=$2 rc=0 id got
    shift 2
    cr_ra "$@" -- backup --instance "$inst" >"$T/$inst.out" 2>"$T/$inst.err" || rc=$?
    id=$(head -n 1 "$T/$inst.out")
    if [ $rc != 0 ] || [ -z "$id" ]; then
        ra_fail "$name: backup exits 0" "rc $rc" "$(tail -n 5 "$T/$inst.err")"
        return 1
    fi
    got=$(fc_download_digest "$inst" "$id")
    if [ -n "$got" ] && [ "$got" = "$DIGEST" ]; then ra_ok "$name: the backup restores by digest"; else
        ra_fail "$name: the backup restores by digest" "want $DIGEST got '$got'"; return 1; fi
}

# no_secret NAME FILE: neither test key's secret nor a session token of the fakes is in FILE
no_secret() {
    if grep -qF -e "$RA_TEST_S3_SECRET_KEY" -e "fake-token-" "$2"; then
        ra_fail "no secret in $1" "$(head -c 400 "$2")"
    else ra_ok "no secret in $1"; fi
}

# --- EC2 IMDSv2: only the metadata endpoint is set
fake_start imds imds || { ra_fail "fake IMDS starts"; exit 1; }
IMDS=$FAKE_URL
IMDS_LOG=$FAKE_LOG
cr_ra AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$IMDS" -- config >"$T/cfg-imds.out" 2>&1
ra_check "config names IMDSv2 as the credential source" \
    grep -qx "# credentials: EC2 instance metadata (IMDSv2 at '$IMDS')" "$T/cfg-imds.out"
backup_restores "IMDSv2" "imds-$RUN" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$IMDS"
if grep -q '^PUT /latest/api/token 200' "$IMDS_LOG" && ! grep -q ' 401$' "$IMDS_LOG" &&
    grep -q "^GET /latest/meta-data/iam/security-credentials/ra-test-role 200" "$IMDS_LOG"; then
    ra_ok "IMDSv2: token first, then the role, then its credentials"
else
    ra_fail "IMDSv2: token first, then the role, then its credentials" "$(cat "$IMDS_LOG")"
fi
no_secret "the IMDSv2 backup's output" "$T/imds-$RUN.err"
rc=0
cr_ra AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:1" -- list \
    >"$T/imds-none.out" 2>"$T/imds-none.err" || rc=$?
if [ $rc = 2 ] && grep -q "no s3 credentials.*EC2 instance metadata" "$T/imds-none.err"; then
    ra_ok "no metadata endpoint: exit 2 naming where it looked"
else ra_fail "no metadata endpoint: exit 2 naming where it looked" "rc $rc" "$(cat "$T/imds-none.err")"; fi

# --- container credentials (EKS Pod Identity shape: full URI and a token file)
printf 'pod-identity-token-%s\n' "$RUN" >"$T/pod-token"
FAKE_AUTH_TOKEN=pod-identity-token-$RUN fake_start container container || { ra_fail "fake container endpoint"; exit 1; }
CT="AWS_CONTAINER_CREDENTIALS_FULL_URI=$FAKE_URL/v1/credentials"
cr_ra "$CT" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/pod-token" -- config >"$T/cfg-ct.out" 2>&1
ra_check "config names the container endpoint" grep -qx "# credentials: container credentials \
(AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" "$T/cfg-ct.out"
backup_restores "container endpoint" "ct-$RUN" "$CT" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/pod-token"
rc=0
cr_ra "$CT" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong -- list >"$T/ct-bad.out" 2>"$T/ct-bad.err" || rc=$?
if [ $rc = 4 ] && grep -q "container credentials endpoint answers HTTP 401" "$T/ct-bad.err"; then
    ra_ok "container endpoint refusing the token: exit 4 naming it"
else ra_fail "container endpoint refusing the token: exit 4 naming it" "rc $rc" "$(cat "$T/ct-bad.err")"; fi

# --- web identity (EKS IRSA) with moto's STS
MOTO_PORT=$(ra_free_port) || { ra_fail "a port for moto"; exit 1; }
"${RA_MOTO_PY:-python3}" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$T/moto.log" 2>&1 &
FAKE_PIDS+=($!)
MOTO=http://127.0.0.1:$MOTO_PORT
if ! fc_wait_for 60 curl -s -o /dev/null --max-time 2 "$MOTO/"; then ra_fail "moto starts" "$(tail -5 "$T/moto.log")"; exit 1; fi
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cmE6YXJjaGl2ZXIifQ.c2ln-%s\n' "$RUN" >"$T/web-token"
ROLE=arn:aws:iam::123456789012:role/redis-archiver
WEB=(AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" AWS_ROLE_ARN="$ROLE")
# moto's own answer: its keys work against its own S3 (which checks no signature)
AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "$RA_AWS" --endpoint-url "$MOTO" --region us-east-1 \
    s3api create-bucket --bucket ra-creds-moto >/dev/null 2>&1
rc=0
cr_ra "${WEB[@]}" AWS_ENDPOINT_URL_STS="$MOTO" REDIS_ARCHIVER_ENDPOINT="$MOTO" REDIS_ARCHIVER_BUCKET=ra-creds-moto \
    REDIS_ARCHIVER_REGION=us-east-1 REDIS_ARCHIVER_LOG_LEVEL=debug -- list >"$T/web-moto.out" 2>"$T/web-moto.err" || rc=$?
if [ $rc = 0 ] && grep -q "no backups" "$T/web-moto.err" &&
    grep -q "s3 credentials from web identity (AWS_ROLE_ARN '$ROLE', STS '$MOTO')" "$T/web-moto.err"; then
    ra_ok "web identity: moto's STS answer, its keys used on moto's S3"
else ra_fail "web identity: moto's STS answer, its keys used on moto's S3" "rc $rc" "$(cat "$T/web-moto.err")"; fi
# through the sts-proxy (moto's answer with the RGW keys): a backup to RGW that restores
fake_start sts sts-proxy --upstream "$MOTO" || { ra_fail "sts proxy starts"; exit 1; }
STS=$FAKE_URL
STS_LOG=$FAKE_LOG
cr_ra "${WEB[@]}" AWS_ENDPOINT_URL_STS="$STS" -- config >"$T/cfg-web.out" 2>&1
ra_check "config names web identity and the role" \
    grep -qx "# credentials: web identity (AWS_ROLE_ARN '$ROLE', STS '$STS')" "$T/cfg-web.out"
no_secret "config" "$T/cfg-web.out"
backup_restores "web identity (moto STS)" "web-$RUN" "${WEB[@]}" AWS_ENDPOINT_URL_STS="$STS"
ra_check "web identity: STS AssumeRoleWithWebIdentity was asked" grep -q '^sts AssumeRoleWithWebIdentity$' "$STS_LOG"
# a profile that assumes a role with the keys of another (role_arn + source_profile): STS AssumeRole, signed
cat >"$T/aws-config" <<CFG
[profile base]
aws_access_key_id = AKIDBASEPROFILE
aws_secret_access_key = base-profile-secret
[profile archiver]
role_arn = arn:aws:iam::123456789012:role/archiver
source_profile = base
CFG
cr_ra AWS_CONFIG_FILE="$T/aws-config" AWS_PROFILE=archiver AWS_ENDPOINT_URL_STS="$STS" -- config >"$T/cfg-ar.out" 2>&1
ra_check "config names the assumed role and its source profile" grep -q "^# credentials: role \
'arn:aws:iam::123456789012:role/archiver' of profile 'archiver' assumed with shared files, profile 'base'" "$T/cfg-ar.out"
backup_restores "assume role (moto STS)" "ar-$RUN" AWS_CONFIG_FILE="$T/aws-config" AWS_PROFILE=archiver \
    AWS_ENDPOINT_URL_STS="$STS"
ra_check "assume role: a signed STS AssumeRole was asked" grep -q '^sts AssumeRole signed' "$STS_LOG"
rm -f "$T/web-token"
rc=0
cr_ra "${WEB[@]}" AWS_ENDPOINT_URL_STS="$STS" -- list >"$T/web-nofile.out" 2>"$T/web-nofile.err" || rc=$?
if [ $rc = 2 ] && grep -q "web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE) '$T/web-token' cannot be read" \
    "$T/web-nofile.err"; then
    ra_ok "web identity without its token file: exit 2 naming the file"
else ra_fail "web identity without its token file: exit 2 naming the file" "rc $rc" "$(cat "$T/web-nofile.err")"; fi

# --- shared files: upper-case keys in [profile x] of the config file; credential_process
cat >"$T/proc.sh" <<'SH'
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "proc-token"}\n' \
    "$RA_PROC_AK" "$RA_PROC_SK"
SH
chmod +x "$T/proc.sh"
{
    printf '[profile upper]\nAWS_ACCESS_KEY_ID = %s\nAWS_SECRET_ACCESS_KEY = %s\n' "$RA_TEST_S3_ACCESS_KEY" \
        "$RA_TEST_S3_SECRET_KEY"
    printf '[profile proc]\ncredential_process = %s\n' "$T/proc.sh"
} >"$T/aws-config2"
rc=0
cr_ra AWS_CONFIG_FILE="$T/aws-config2" AWS_PROFILE=upper -- list --instance "imds-$RUN" >"$T/upper.out" 2>"$T/upper.err" ||
    rc=$?
if [ $rc = 0 ] && [ "$(grep -c succeeded "$T/upper.out")" = 1 ]; then ra_ok "profile with upper-case keys in the config file"
else ra_fail "profile with upper-case keys in the config file" "rc $rc" "$(cat "$T/upper.err")"; fi
backup_restores "credential_process" "proc-$RUN" AWS_CONFIG_FILE="$T/aws-config2" AWS_PROFILE=proc \
    RA_PROC_AK="$RA_TEST_S3_ACCESS_KEY" RA_PROC_SK="$RA_TEST_S3_SECRET_KEY"

# --- credentials that expire within seconds, in the middle of a slowed upload, and one ExpiredToken answer
fake_start short imds --life 4 || { ra_fail "fake IMDS (short-lived)"; exit 1; }
SHORT=$FAKE_URL
SHORT_LOG=$FAKE_LOG
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
fp_rules "PUT partNumber=4 error:400:ExpiredToken nth=1" "PUT partNumber= delay:1.5"
backup_restores "expiring mid-upload" "short-$RUN" AWS_EC2_METADATA_DISABLED=false \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="$SHORT" REDIS_ARCHIVER_ENDPOINT="$FP_URL" REDIS_ARCHIVER_PART_SIZE=5MiB \
    REDIS_ARCHIVER_CONCURRENCY=1
n=$(handouts "$SHORT_LOG")
parts=$(fp_count PUT partNumber=)
if [ "$n" -ge 3 ]; then ra_ok "expiring mid-upload: fetched $n times over $parts part requests"; else
    ra_fail "expiring mid-upload: fetched more than twice" "fetched $n times; parts $parts" "$(fp_log | tail -n 5)"; fi
ra_check "expiring mid-upload: ExpiredToken answered by new credentials" \
    grep -q "the store says the s3 credentials expired; fetched new ones" "$T/short-$RUN.err"
ra_check "expiring mid-upload: refreshed before expiry" grep -q "refreshed the s3 credentials from EC2 instance metadata.* before they expire" "$T/short-$RUN.err"
no_secret "the refreshing backup's output" "$T/short-$RUN.err"

# --- a 403 names the source and what to check
rc=0
cr_ra AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY=wrong-secret -- list >/dev/null \
    2>"$T/403.err" || rc=$?
if [ $rc = 4 ] && grep -q "403 SignatureDoesNotMatch.*credentials from environment (AWS_ACCESS_KEY_ID), region \
'$RA_TEST_S3_REGION': check the secret key, the region and the clock" "$T/403.err"; then
    ra_ok "a 403 names the credential source and the usual causes"
else ra_fail "a 403 names the credential source and the usual causes" "rc $rc" "$(cat "$T/403.err")"; fi
ra_done
