#!/usr/bin/env bash
# cli.sh: the command line against a real store: a forged record (its key names an object outside the
# backup's own name) is refused by url and verify (faults.md R10); region and endpoint from AWS_REGION /
# AWS_ENDPOINT_URL, shown by `config` with where they came from; no command prints the usage to stderr.
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 REDISCLI_AUTH
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json
BUCKET=it-cli-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

# --- endpoint and region from the AWS variables: `list` reaches the store, `config` says where they came from
out=$(AWS_ENDPOINT_URL=$RA_TEST_S3_ENDPOINT AWS_REGION=$RA_TEST_S3_REGION "$BIN" list --instance nothing 2>&1)
ra_assert_eq "list with AWS_ENDPOINT_URL and AWS_REGION exits 0" 0 "$?"
AWS_ENDPOINT_URL=$RA_TEST_S3_ENDPOINT AWS_REGION=$RA_TEST_S3_REGION REDISCLI_AUTH=Rediscli-Secret-1 \
    "$BIN" config >"$T/config.out" 2>&1
if grep -Eq "^endpoint +$RA_TEST_S3_ENDPOINT +# AWS_ENDPOINT_URL$" "$T/config.out" &&
    grep -Eq "^region +$RA_TEST_S3_REGION +# AWS_REGION$" "$T/config.out"; then
    ra_ok "config shows endpoint and region with the AWS variable they came from"
else
    ra_fail "config shows endpoint and region with the AWS variable they came from" "$(cat "$T/config.out")"
fi
if grep -q "REDISCLI_AUTH is set" "$T/config.out" && ! grep -q "Rediscli-Secret-1" "$T/config.out"; then
    ra_ok "config says REDISCLI_AUTH is set, never its value"
else
    ra_fail "config says REDISCLI_AUTH is set, never its value" "$(cat "$T/config.out")"
fi
out=$(AWS_REGION=eu-west-1 "$BIN" config --region us-west-2 2>&1)
if grep -Eq "^region +us-west-2 +# flag --region$" <<<"$out"; then ra_ok "a flag beats AWS_REGION"; else ra_fail "a flag beats AWS_REGION" "$out"; fi
out=$("$BIN" config 2>&1)
if grep -Eq "^region +us-east-1 +# default$" <<<"$out"; then ra_ok "region defaults to us-east-1"; else ra_fail "region defaults to us-east-1" "$out"; fi

export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION

# --- R10: a record whose key points elsewhere
echo "top secret payroll" >"$T/payroll.csv"
ra_aws s3 cp "$T/payroll.csv" "s3://$BUCKET/finance/payroll.csv" >/dev/null 2>&1
fid=20261128T000000Z-abcd
printf '{"id":"%s","key":"finance/payroll.csv","status":"succeeded","bytes":19}' "$fid" >"$T/forged.json"
ra_aws s3 cp "$T/forged.json" "s3://$BUCKET/redis-archiver/forged/$fid.json" >/dev/null 2>&1
"$BIN" url "$fid" --instance forged >"$T/url.out" 2>"$T/url.err"
rc=$?
if [ $rc = 5 ] && [ ! -s "$T/url.out" ] && grep -q "names another object" "$T/url.err"; then
    ra_ok "url refuses a record whose key is not its own (R10)"
else
    ra_fail "url refuses a record whose key is not its own (R10)" "rc $rc" "$(cat "$T/url.out" "$T/url.err")"
fi
"$BIN" url "$fid" --instance forged --json >"$T/urlj.out" 2>/dev/null
rc=$?
if [ $rc = 5 ] && ! grep -q payroll "$T/urlj.out"; then ra_ok "url --json signs nothing for it"; else ra_fail "url --json signs nothing for it" "rc $rc" "$(cat "$T/urlj.out")"; fi
"$BIN" verify "$fid" --instance forged >"$T/verify.out" 2>"$T/verify.err"
rc=$?
if [ $rc = 5 ] && grep -q "names another object" "$T/verify.err" && ! grep -q "top secre" "$T/verify.out" "$T/verify.err"; then
    ra_ok "verify refuses it and reads nothing of the object (R10)"
else
    ra_fail "verify refuses it and reads nothing of the object (R10)" "rc $rc" "$(cat "$T/verify.out" "$T/verify.err")"
fi
# the same record with its own key is not refused for its key (the object is missing: not found)
printf '{"id":"%s","key":"redis-archiver/forged/%s.rdb","status":"succeeded","bytes":19}' "$fid" "$fid" >"$T/own.json"
ra_aws s3 cp "$T/own.json" "s3://$BUCKET/redis-archiver/forged/$fid.json" >/dev/null 2>&1
"$BIN" url "$fid" --instance forged >/dev/null 2>"$T/own.err"
rc=$?
if [ $rc = 6 ] && ! grep -q "names another object" "$T/own.err"; then ra_ok "a record with its own key passes the check"; else ra_fail "a record with its own key passes the check" "rc $rc" "$(cat "$T/own.err")"; fi

# --- list and status: order in one second, one vocabulary, times, empty lists, integer rate, config --json
rec() { # ID STARTED FINISHED BYTES RATE
    printf '{"id":"%s","key":"redis-archiver/order/%s.rdb","type":"manual","started":"%s","finished":"%s","status":"succeeded","bytes":%s,"rate":%s}' \
        "$1" "$1" "$2" "$3" "$4" "$5" >"$T/$1.json"
    ra_aws s3 cp "$T/$1.json" "s3://$BUCKET/redis-archiver/order/$1.json" >/dev/null 2>&1
}
# ce0b ran first (finished within its second), 43a0 right after it in the same second: 43a0 is newer
rec 20261128T220533Z-ce0b 2026-11-28T22:05:33Z 2026-11-28T22:05:33Z 100 1234.5
rec 20261128T220533Z-43a0 2026-11-28T22:05:33Z 2026-11-28T22:05:34Z 200 99.4
rec 20261128T220532Z-ffff 2026-11-28T22:05:32Z 2026-11-28T22:05:32Z 300 7
out=$("$BIN" list --instance order 2>&1 | awk 'NR > 1 {print $1}' | tr '\n' ' ')
ra_assert_eq "list: newest first by start time, two backups in one second in the order they ran" \
    "20261128T220533Z-43a0 20261128T220533Z-ce0b 20261128T220532Z-ffff " "$out"
"$BIN" list --instance order --json >"$T/order.json" 2>&1
if python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert [x["id"][-4:] for x in r] == ["43a0", "ce0b", "ffff"], r
assert all(type(x["rate"]) is int for x in r) and r[1]["rate"] == 1235 and r[0]["rate"] == 99, r
' "$T/order.json"; then ra_ok "list --json: the same order; rate an integer of bytes per second"; else ra_fail "list --json: the same order; rate an integer of bytes per second" "$(cat "$T/order.json")"; fi
"$BIN" status --instance order >"$T/status.out" 2>&1
if head -1 "$T/status.out" | grep -Eq '^ID +TYPE +STATUS +STARTED +UPDATED +BYTES +RATE +ERROR$' &&
    grep -Eq '^20261128T220533Z-43a0 +manual +succeeded +2026-11-28T22:05:33Z +2026-11-28T22:05:34Z ' "$T/status.out" &&
    [ "$(awk 'NR > 1 {print $1}' "$T/status.out" | head -1)" = 20261128T220533Z-43a0 ]; then
    ra_ok "status: type and status as list names them, start and update times, newest first"
else
    ra_fail "status: type and status as list names them, start and update times, newest first" "$(cat "$T/status.out")"
fi
# bash completion of a backup id: one `list` with the config flags typed so far
"$BIN" completion bash >"$T/completion.bash"
out=$(PATH=$(dirname "$BIN"):$PATH bash --norc --noprofile -c '
    . "$1"
    COMP_WORDS=(redis-archiver url --instance order 20261128T220533); COMP_CWORD=4; _redis_archiver
    echo "${COMPREPLY[*]}"
    COMP_WORDS=(redis-archiver verify --instance=order --json ""); COMP_CWORD=4; _redis_archiver
    echo "${COMPREPLY[*]}"' _ "$T/completion.bash" 2>&1)
if [ "$out" = "20261128T220533Z-43a0 20261128T220533Z-ce0b
20261128T220533Z-43a0 20261128T220533Z-ce0b 20261128T220532Z-ffff" ]; then
    ra_ok "bash completion of url and verify offers the instance's backup ids"
else
    ra_fail "bash completion of url and verify offers the instance's backup ids" "$out"
fi
# zsh: the same, TAB in a real interactive zsh (tests/harness/zcomp.zsh)
if command -v zsh >/dev/null; then
    mkdir -p "$T/zfunc"
    "$BIN" completion zsh >"$T/zfunc/_redis-archiver"
    out=$(PATH=$(dirname "$BIN"):$PATH timeout 30 zsh -f "$RA_HARNESS/zcomp.zsh" "$T/zfunc" "redis-archiver url --instance order 20261128T220533" 2>&1
        echo
        PATH=$(dirname "$BIN"):$PATH timeout 30 zsh -f "$RA_HARNESS/zcomp.zsh" "$T/zfunc" "redis-archiver verify --instance=order --json " 2>&1)
    if [ "$out" = "20261128T220533Z-43a0 20261128T220533Z-ce0b
20261128T220532Z-ffff 20261128T220533Z-43a0 20261128T220533Z-ce0b" ]; then
        ra_ok "zsh completion of url and verify offers the instance's backup ids"
    else
        ra_fail "zsh completion of url and verify offers the instance's backup ids" "$out"
    fi
else
    ra_skip "zsh completion of url and verify offers the instance's backup ids" "zsh is not installed (make deps installs it)"
fi
"$BIN" list --instance empty >"$T/empty.out" 2>"$T/empty.err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$T/empty.out" ] && grep -q "^no backups of instance 'empty' in bucket '$BUCKET' yet" "$T/empty.err"; then
    ra_ok "an empty list: no header, a friendly line on stderr, exit 0"
else
    ra_fail "an empty list: no header, a friendly line on stderr, exit 0" "rc $rc" "$(cat "$T/empty.out" "$T/empty.err")"
fi
"$BIN" status --instance empty >"$T/empty.out" 2>"$T/empty.err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$T/empty.out" ] && grep -q "^no backup tasks of instance 'empty'" "$T/empty.err"; then ra_ok "an empty status: a friendly line"; else ra_fail "an empty status: a friendly line" "rc $rc" "$(cat "$T/empty.out" "$T/empty.err")"; fi
out=$("$BIN" list --instance empty --json 2>/dev/null)
ra_assert_eq "an empty list --json is []" "[]" "$out"
REDISCLI_AUTH=Rediscli-Secret-1 "$BIN" config --json --instance fromflag --source redis://u:Pw-Secret-9@127.0.0.1:1 \
    >"$T/config.json" 2>/dev/null
if python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
s = c["settings"]
assert c["config_file"] is None and c["redis_password_set"] is True, c
assert s["bucket"] == {"value": sys.argv[2], "origin": "env", "from": "REDIS_ARCHIVER_BUCKET"}, s["bucket"]
assert s["instance"] == {"value": "fromflag", "origin": "flag", "from": "--instance"}, s["instance"]
assert s["part-size"]["origin"] == "default" and s["part-size"]["from"] is None, s["part-size"]
assert "config" not in s and len(s) >= 30, list(s)
' "$T/config.json" "$BUCKET" && ! grep -q 'Secret' "$T/config.json"; then
    ra_ok "config --json: every key with value, origin and where; no secret"
else
    ra_fail "config --json: every key with value, origin and where; no secret" "$(cat "$T/config.json")"
fi

# --- no command: the usage on stderr, exit 2
"$BIN" >"$T/none.out" 2>"$T/none.err"
rc=$?
if [ $rc = 2 ] && [ ! -s "$T/none.out" ] && grep -q "^usage: redis-archiver COMMAND" "$T/none.err"; then
    ra_ok "no command: usage on stderr, exit 2"
else
    ra_fail "no command: usage on stderr, exit 2" "rc $rc"
fi
"$BIN" help >"$T/help.out" 2>/dev/null
if [ $? = 0 ] && grep -q "^usage: redis-archiver COMMAND" "$T/help.out"; then ra_ok "help: usage on stdout, exit 0"; else ra_fail "help: usage on stdout, exit 0"; fi

# --- a real backup on a terminal (script(1), a pseudo-terminal of 60 and of 160 columns): a replica of our own
# with 5000 keys (~5 MiB), made to stream for about a second however fast the machine (rdb-key-save-delay:
# several frames), diskless, a previous backup of the instance for the estimate. Every progress frame fits the
# width; each log line starts on a cleared line (nothing glued to a frame); the estimate is marked; the
# summary states size, duration to the hundredth, rate in binary units and the id. --quiet and --log-level
# warn draw nothing.
TM=$(ra_redis_start tty-master) && TR=$(ra_redis_start tty-replica "replicaof 127.0.0.1 $TM") &&
    ra_redis_wait_link "$TR" 60 && ra_redis_fill "$TM" 5000 tty && redis-cli -p "$TR" config set rdb-key-save-delay 200 >/dev/null ||
    ra_fail "tty: a redis pair with data" "did not start"
tty_env=(env -u REDIS_ARCHIVER_LOG_FORMAT REDIS_ARCHIVER_ENDPOINT="$RA_TEST_S3_ENDPOINT" REDIS_ARCHIVER_REGION="$RA_TEST_S3_REGION"
    REDIS_ARCHIVER_SOURCE="redis://127.0.0.1:$TR" REDIS_ARCHIVER_INSTANCE=tty)
"${tty_env[@]}" "$BIN" backup >/dev/null 2>"$T/tty0.err" || ra_fail "tty: a first backup" "$(tail -3 "$T/tty0.err")"
for w in 60 160; do
    "${tty_env[@]}" script -q -e -c "stty cols $w rows 50; $BIN backup" "$T/tty$w" >/dev/null 2>&1
    rc=$?
    out=$(python3 - "$w" "$T/tty$w" <<'PY' 2>&1
import re, sys
width, raw = int(sys.argv[1]), open(sys.argv[2], "rb").read().decode()
raw = raw[raw.index("\n") + 1:raw.rindex("Script done")]            # script's own first and last lines
bad = []
for m in re.finditer(r"redis-archiver: ", raw):                       # a log line starts on a cleared line
    before = raw[max(0, m.start() - 4):m.start()]
    if not (before.endswith("\r\x1b[K") or before.endswith("\n") or m.start() == 0):
        bad.append("glued: %r" % raw[max(0, m.start() - 40):m.start() + 30])
frames = [f.replace("\x1b[K", "") for f in re.split(r"[\r\n]+", raw)]
frames = [f for f in frames if f and not f.startswith("redis-archiver: ") and not re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", f)]
bad += ["%d columns: %r" % (len(f), f) for f in frames if len(f) > width - 1]
if not any(re.search(r"~[0-9]+% .* of ~[0-9.]+ [KMG]iB \(est\.\)", f) for f in frames):
    bad.append("no frame with the estimate marked: %r" % frames)
if not re.search(r"redis-archiver: backup \d{8}T\d{6}Z-[0-9a-f]{4} done: [0-9.]+ MiB in [0-9]+\.[0-9]{2} s \([0-9.]+ [KMG]iB/s\)", raw):
    bad.append("summary: %r" % [l for l in raw.splitlines() if " done: " in l])
print("\n".join(bad))
PY
)
    if [ $rc = 0 ] && [ -z "$out" ]; then
        ra_ok "a real backup at $w columns: frames fit, log lines whole, estimate marked, summary in one unit"
    else
        ra_fail "a real backup at $w columns: frames fit, log lines whole, estimate marked, summary in one unit" "rc $rc" "$out"
    fi
done
for q in --quiet "--log-level warn"; do
    "${tty_env[@]}" script -q -e -c "stty cols 80 rows 50; $BIN backup $q" "$T/ttyq" >/dev/null 2>&1
    rc=$?
    body=$(sed -e '1d' -e '/^Script done/d' "$T/ttyq")
    if [ $rc = 0 ] && grep -Eq '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}'$'\r''?$' <<<"$body" && ! grep -q $'\e\\[K\\|replica saving\\|  rate ' <<<"$body"; then ra_ok "backup $q on a terminal draws no progress"; else ra_fail "backup $q on a terminal draws no progress" "rc $rc" "$body"; fi
done

ra_done
