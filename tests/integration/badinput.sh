#!/usr/bin/env bash
# tests/integration/badinput.sh: bad configuration and arguments are refused before anything is sent: exit 2
# (6 for an unknown backup id), exactly one error line naming the problem, nothing on stdout, and no request
# reached the store (the endpoint is a tests/helpers/faultproxy.py in front of RGW that counts requests).
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; }
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
T=$RA_TEST_TMPDIR
fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
export FC_ENDPOINT=$FP_URL
# a source nobody listens on: a usage error must come before any connection attempt to it as well
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$(ra_free_port)
FC_TIMEOUT=30

# refused NAME WANT_RC REGEX ARGS...: the archiver exits WANT_RC with one error line matching REGEX, prints
# nothing on stdout, and (for exit 2) sent no request to the store
refused() {
    local name=$1 want=$2 rx=$3 rc=0 n
    shift 3
    fp_reset
    fc_run "$T/out" "$T/err" "$@" || rc=$?
    fc_assert_rc "$name" "$want" $rc "$T/err"
    fc_one_error "$name" "$T/err" "$rx"
    if [ -s "$T/out" ]; then ra_fail "$name: nothing on stdout" "$(head -c 300 "$T/out")"; else ra_ok "$name: nothing on stdout"; fi
    if [ "$want" = 2 ]; then
        n=$(fp_count)
        ra_assert_eq "$name: no request reached the store" 0 "$n"
    fi
}

# --- config files
printf 'bucket "unterminated\n' >"$T/quote.conf"
refused "config: unterminated quote" 2 "quote.conf:1" config --config "$T/quote.conf"
printf 'instance a\nbucket\n' >"$T/novalue.conf"
refused "config: key without value" 2 "novalue.conf:2" backup --config "$T/novalue.conf"
printf 'instance a\ninstance b\n' >"$T/dup.conf"
refused "config: duplicate key" 2 "dup.conf:2" backup --config "$T/dup.conf"
printf '\x00\x01\x02binary\xff\xfe\n' >"$T/binary.conf"
refused "config: binary garbage" 2 "binary.conf" backup --config "$T/binary.conf"
refused "config: missing file" 2 "no-such\.conf" backup --config "$T/no-such.conf"
refused "config: a directory" 2 "$T" backup --config "$T"

# errors go to stderr as JSON lines when it is not a terminal (as here), configuration errors too
fc_run "$T/out" "$T/err" backup --part-size 4MiB
if [ -s "$T/err" ] && jq -e . "$T/err" >/dev/null 2>&1; then ra_ok "a configuration error is a JSON line when stderr is not a TTY"; else
    ra_fail "a configuration error is a JSON line when stderr is not a TTY" "$(cat "$T/err")"; fi

# --- unknown keys, with a suggestion
printf 'part_sise 16MiB\n' >"$T/typo.conf"
refused "unknown key in file: did you mean" 2 "part_sise.*part-size" backup --config "$T/typo.conf"
refused "unknown flag: did you mean" 2 "bukcet.*bucket" backup --bukcet ra-test
refused "unknown flag of list: did you mean" 2 "jsno.*json" list --jsno
refused "unknown command: did you mean" 2 "bakup.*backup" bakup

# --- invalid URLs
refused "source: wrong scheme" 2 "source|http://x" backup --source http://127.0.0.1:6379
refused "source: bad port" 2 "source|port" backup --source redis://127.0.0.1:notaport
refused "source: port out of range" 2 "source|port|99999" backup --source redis://127.0.0.1:99999
refused "source: not a URL" 2 "source" backup --source 'not a url'
refused "endpoint: wrong scheme" 2 "endpoint" backup --endpoint ftp://127.0.0.1:21
refused "endpoint: not a URL" 2 "endpoint" backup --endpoint 'http//missing-colon'
refused "endpoint: with a query" 2 "endpoint" list --endpoint 'http://127.0.0.1:1/?x=1'

# --- sizes and numbers
refused "part size below 5 MiB" 2 "part-size" backup --part-size 4MiB
refused "part size 5 MiB - 1" 2 "part-size" backup --part-size 5242879
refused "part size above 5 GiB" 2 "part-size" backup --part-size 6GiB
refused "part size not a size" 2 "part-size" backup --part-size lots
refused "part size overflow" 2 "part-size" backup --part-size 99999999999999999999999
refused "concurrency 0" 2 "concurrency" backup --concurrency 0
refused "concurrency 65" 2 "concurrency" backup --concurrency 65
refused "retention --days 0" 2 "days" retention --days 0
refused "retention-days 0" 2 "retention-days" retention --retention-days 0
refused "read-timeout 0" 2 "read-timeout" backup --read-timeout 0
refused "window out of range" 2 "window" schedule --window 25:00-26:00
refused "unknown time zone" 2 "timezone|Mars" schedule --timezone Mars/Olympus
refused "bad weekday" 2 "weekdays|funday" schedule --weekdays funday
refused "path-style not a boolean" 2 "path-style" list --path-style=maybe
refused "bad instance name" 2 "instance" backup --instance '../etc'
refused "bad bucket name" 2 "bucket" list --bucket 'a/b'

# --- url --expires
refused "url --expires 8d" 2 "expires|7 ?d|604800" url 20260101T000000Z-abcd --expires 8d
refused "url --expires 604801" 2 "expires|7 ?d|604800" url 20260101T000000Z-abcd --expires 604801
refused "url --expires 0" 2 "expires" url 20260101T000000Z-abcd --expires 0
refused "url --expires garbage" 2 "expires|soon" url 20260101T000000Z-abcd --expires soon
refused "url-expiry 8d" 2 "url-expiry" url 20260101T000000Z-abcd --url-expiry 8d
refused "url without an id" 2 "id|usage" url

# --- remarks
long=$(head -c 300 /dev/zero | tr '\0' r)
refused "remark too long (300 bytes)" 2 "remark" backup --remark "$long"
refused "remark with a tab" 2 "remark|control" backup --remark "$(printf 'a\tb')"
refused "remark with a newline" 2 "remark|control" backup --remark "$(printf 'a\nb')"
refused "remark with ESC" 2 "remark|control" backup --remark "$(printf 'a\033[31mred')"
refused "remark with DEL" 2 "remark|control" backup --remark "$(printf 'a\177b')"
refused "remark not UTF-8" 2 "remark|utf" backup --remark "$(printf 'caf\xe9')"
refused "backup: stray argument" 2 "unexpected|extra" backup extra

# --- unknown backup ids: exit 6 naming the id (these do ask the store)
refused "url: unknown id" 6 "20200101T000000Z-dead" url 20200101T000000Z-dead
refused "status: unknown id" 6 "20200101T000000Z-dead" status 20200101T000000Z-dead
refused "url: malformed id" "2 6" "not\.an\.id|id" url not.an.id
fp_reset
rc=0
fc_run "$T/out" "$T/err" status '../../x' || rc=$?
fc_assert_rc "status: id with a path" "2 6" $rc "$T/err"
if fp_log | grep -q '\.\./'; then ra_fail "status: an id with '../' never reaches the store" "$(fp_log)"; else
    ra_ok "status: an id with '../' never reaches the store"; fi

# --- no bucket at all: exit 2 naming the three ways to set one
fp_reset
rc=0
env REDIS_ARCHIVER_CONFIG=/dev/null AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y REDIS_ARCHIVER_ENDPOINT="$FP_URL" \
    REDIS_ARCHIVER_LOG_FORMAT=json timeout 30 "$RA_BIN" list </dev/null >"$T/out" 2>"$T/err" || rc=$?
fc_assert_rc "no bucket configured" 2 $rc "$T/err"
fc_one_error "no bucket configured" "$T/err" "bucket"
ra_assert_eq "no bucket configured: no request reached the store" 0 "$(fp_count)"

ra_done
