#!/usr/bin/env bash
# tests/integration/https.sh: an https S3 endpoint. The fault proxy terminates TLS (a certificate from a CA made
# here, for localhost and 127.0.0.1) in front of RGW, so curl and OpenSSL do a real handshake. A backup through
# it restores to the source's digest; its presigned URL downloads with curl --cacert; an untrusted certificate or
# a name that does not match fails with a clear error and leaves nothing behind; s3-insecure connects and warns.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; }
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
if ! ra_need_redis; then ra_fail "redis pair start"; exit 1; fi
T=$RA_TEST_TMPDIR/https.$$
mkdir -p "$T"
I=https-$$
R=$RA_TEST_REDIS_REPLICA_PORT
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R REDIS_ARCHIVER_CONNECT_TIMEOUT=5s

# a CA, a server certificate for localhost + 127.0.0.1, and one for another name only
if ! (cd "$T" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=ra-https-test-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >srv.ext &&
    openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 1 -extfile srv.ext &&
    openssl req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj /CN=other.example &&
    printf 'subjectAltName=DNS:other.example\n' >other.ext &&
    openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out other.crt -days 1 \
        -extfile other.ext) >"$T/openssl.log" 2>&1; then
    ra_fail "test certificates" "$(tail -5 "$T/openssl.log")"
    exit 1
fi
fp_start "$RA_TEST_S3_ENDPOINT" "$T/other.crt" "$T/other.key" || { ra_fail "https proxy (other name) starts"; exit 1; }
OTHER=$FP_URL
fp_start "$RA_TEST_S3_ENDPOINT" "$T/srv.crt" "$T/srv.key" || { ra_fail "https proxy starts"; exit 1; }
HTTPS=$FP_URL
case $HTTPS in https://127.0.0.1:*) ra_ok "the proxy serves https" ;; *) ra_fail "the proxy serves https" "$HTTPS" ;; esac
if curl -sS --cacert "$T/ca.crt" -o /dev/null --max-time 10 "$HTTPS/__faultproxy/ping"; then
    ra_ok "curl trusts the proxy with the test CA"
else
    ra_fail "curl trusts the proxy with the test CA"
fi

# --- a backup over https, verified against the test CA
DIGEST=$(ra_redis_digest "$R")
rc=0
FC_ENDPOINT=$HTTPS fc_run "$T/b.out" "$T/b.err" backup --instance "$I" --s3-ca-file "$T/ca.crt" \
    --part-size 5MiB --remark "over https" || rc=$?
fc_assert_rc "backup over https with s3-ca-file" 0 $rc "$T/b.err"
ID=$(head -n 1 "$T/b.out")
got=$(fc_download_digest "$I" "$ID")
ra_assert_eq "the https backup restores to the source's digest" "$DIGEST" "$got"
n=$(fp_count PUT "partNumber=")
if [ "${n:-0}" -ge 1 ]; then ra_ok "its parts went through the https proxy ($n)"; else
    ra_fail "its parts went through the https proxy" "count: $n"; fi
if grep -q '"level":"warn' "$T/b.err"; then ra_fail "a verified https backup logs no warning" "$(grep warn "$T/b.err")"; else
    ra_ok "a verified https backup logs no warning"; fi

# --- its presigned URL is https and downloads with curl against the same CA
rc=0
FC_ENDPOINT=$HTTPS fc_run "$T/u.out" "$T/u.err" url --instance "$I" --s3-ca-file "$T/ca.crt" "$ID" || rc=$?
fc_assert_rc "url over https" 0 $rc "$T/u.err"
U=$(head -n 1 "$T/u.out")
case $U in "$HTTPS"/*X-Amz-Signature=*) ra_ok "the link is signed for the https endpoint" ;;
*) ra_fail "the link is signed for the https endpoint" "$U" ;; esac
if curl -sS -f --cacert "$T/ca.crt" -o "$T/dl.rdb" --max-time 60 "$U"; then
    ra_assert_eq "curl --cacert downloads a restorable RDB" "$DIGEST" "$(ra_redis_restore_digest "$T/dl.rdb")"
else
    ra_fail "curl --cacert downloads a restorable RDB"
fi

# --- an untrusted certificate: clear error, store error (4), nothing left
rc=0
FC_ENDPOINT=$HTTPS fc_run "$T/n.out" "$T/n.err" backup --instance "$I-untrusted" || rc=$?
fc_assert_rc "untrusted certificate fails as a store error" 4 $rc "$T/n.err"
fc_one_error "untrusted certificate names the cause and the fix" "$T/n.err" 'certificate.*s3-ca-file'
fc_clean "untrusted certificate" "$I-untrusted"

# --- a certificate for another name: refused even though the CA is trusted
rc=0
FC_ENDPOINT=$OTHER fc_run "$T/o.out" "$T/o.err" backup --instance "$I-name" --s3-ca-file "$T/ca.crt" || rc=$?
fc_assert_rc "certificate for another name fails as a store error" 4 $rc "$T/o.err"
fc_one_error "certificate for another name" "$T/o.err" 'certificate|name|SSL'
fc_clean "certificate for another name" "$I-name"

# --- s3-insecure: connects without verification, and says so
rc=0
FC_ENDPOINT=$OTHER fc_run "$T/i.out" "$T/i.err" backup --instance "$I-insecure" --s3-insecure yes || rc=$?
fc_assert_rc "s3-insecure backs up through an unverified certificate" 0 $rc "$T/i.err"
if grep -q 'verification is OFF' "$T/i.err"; then ra_ok "s3-insecure warns that verification is off"; else
    ra_fail "s3-insecure warns that verification is off" "$(tail -5 "$T/i.err")"; fi
ID2=$(head -n 1 "$T/i.out")
ra_assert_eq "the insecure backup restores too" "$DIGEST" "$(fc_download_digest "$I-insecure" "$ID2")"

ra_done
