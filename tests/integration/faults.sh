#!/usr/bin/env bash
# tests/integration/faults.sh: the archiver under faults of the Redis source and of the S3 store (through
# tests/helpers/faultproxy.py), and under SIGTERM/SIGINT. Every failing case checks the documented exit code,
# exactly one error line naming the cause, no object and no open multipart upload left for the failed backup;
# the store cases that must survive check that the stored RDB restores to the replica's DEBUG DIGEST; an
# earlier good backup is checked to be untouched at the end.
# Uses its own redis master/replica pair (it kills and restarts them) and the RGW of tests/run.sh.
set -u
. "$(dirname "$0")/../harness/lib.sh" || exit 1
. "$(dirname "$0")/../helpers/faultproxy.sh" || exit 1
if ! fc_init; then ra_fail "redis-archiver is built"; exit 1; fi
ra_on_exit() { fp_stop_all; [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null; return 0; }
if ! ra_need_s3; then ra_fail "RGW start"; exit 1; fi
if ! fc_wait_for 30 curl -s -o /dev/null --max-time 2 "$RA_TEST_S3_ENDPOINT/"; then ra_fail "RGW answers"; exit 1; fi
T=$RA_TEST_TMPDIR
RUN=$$ # instance names are unique per run: the shared bucket may hold other runs' backups
B=$RA_TEST_S3_BUCKET

# --- our own pair, with ~45 MB of incompressible data: 9 parts of 5 MiB
M=$(ra_redis_start fmaster) && R=$(ra_redis_start freplica "replicaof 127.0.0.1 $M") && ra_redis_wait_link "$R" 60 ||
    { ra_fail "own redis pair starts"; exit 1; }
if ! ra_redis_fill "$M" 40000 f >/dev/null; then ra_fail "fill the pair"; exit 1; fi
DIGEST=$(ra_redis_digest "$R")
SRC=redis://127.0.0.1:$R
export REDIS_ARCHIVER_SOURCE=$SRC REDIS_ARCHIVER_PART_SIZE=5MiB REDIS_ARCHIVER_CONNECT_TIMEOUT=5s

fp_start "$RA_TEST_S3_ENDPOINT" || { ra_fail "faultproxy starts"; exit 1; }
PROXY=$FP_URL

pidof_port() { # pid of our redis-server on PORT
    local f
    f=$(ra_redis_pidfile "$1") && ra__pidfile_pid "$f"
}
restart_redis() { # PORT: start it again from its own conf and wait for PING (and the link, for the replica)
    local dir
    dir=$(ra_redis_dir "$1") || return 1
    rm -f "$dir/redis.pid"
    redis-server "$dir/redis.conf" >/dev/null 2>&1 || return 1
    fc_wait_for 30 sh -c "redis-cli -h 127.0.0.1 -p $1 ping 2>/dev/null | grep -q PONG"
}
# a backup (NAME, then backup flags) in the background; sets BG_PID, writes $T/$1.out / .err / .rc
bg_backup() {
    local name=$1
    shift
    rm -f "$T/$name.rc"
    (
        fc_run "$T/$name.out" "$T/$name.err" backup "$@"
        echo $? >"$T/$name.rc"
    ) &
    BG_PID=$!
}
bg_wait() { # NAME TIMEOUT: the exit code of the background backup, or "timeout"
    local name=$1 t=$2
    if fc_wait_for "$t" test -s "$T/$name.rc"; then
        wait "$BG_PID" 2>/dev/null
        cat "$T/$name.rc"
    else
        echo timeout
    fi
}
parts_seen() { [ "$(fp_count PUT partNumber=)" -ge "$1" ]; }
new_id() { fc_ids "$1" | tail -n 1; }

# --- a good backup first; it must be untouched by everything below
GOOD=good-$RUN
rc=0
fc_run "$T/good.out" "$T/good.err" backup --instance "$GOOD" || rc=$?
fc_assert_rc "baseline backup" 0 $rc "$T/good.err"
GOOD_ID=$(head -n 1 "$T/good.out")
GOOD_HEAD=$(ra_aws s3api head-object --bucket "$B" --key "$FC_PREFIX$GOOD/$GOOD_ID.rdb" --query '[ETag,ContentLength]' --output text 2>&1)
GOOD_REC=$(ra_aws s3 cp --quiet "s3://$B/$FC_PREFIX$GOOD/$GOOD_ID.json" - 2>&1)

# =========================================================================================================
# Source faults
# =========================================================================================================

# --- replica killed (SIGKILL) mid-stream: parts are slowed by the proxy, and the kill comes as soon as the RDB
# payload has started (the archiver logs backup.stream), so it lands mid-stream however fast the upload is
case_kill() {
I=src-kill-$RUN
fp_rules 'PUT partNumber= delay:1'
fp_reset
bg_backup kill --instance "$I" --endpoint "$PROXY" --concurrency 1
if fc_wait_for 60 grep -q '"backup.stream"' "$T/kill.err"; then
    kill -9 "$(pidof_port "$R")"
    rc=$(bg_wait kill 120)
    fc_assert_rc "replica killed mid-stream" "3 5" "$rc" "$T/kill.err"
    fc_one_error "replica killed mid-stream" "$T/kill.err" "closed|reset|eof|lost|truncat|connection|replica"
    fc_clean "replica killed mid-stream" "$I"
    id=$(new_id "$I")
    ra_assert_eq "replica killed mid-stream: record says failed" failed "$(fc_record_field "$I" "$id" status)"
else
    ra_fail "replica killed mid-stream: the backup started uploading" "$(cat "$T/kill.err")"
fi
fp_clear
if restart_redis "$R" && ra_redis_wait_link "$R" 60; then ra_ok "replica restarts after the kill"; else
    ra_fail "replica restarts after the kill"; fi

}

# --- users without +psync / without +replconf: the server's -NOPERM is reported, exit 3
case_acl() {
redis-cli -p "$R" acl setuser nopsync on '>pw-nopsync' '~*' '&*' '+@all' '-psync' '-sync' >/dev/null
redis-cli -p "$R" acl setuser noreplconf on '>pw-noreplconf' '~*' '&*' '+@all' '-replconf' >/dev/null
for u in nopsync noreplconf; do
    I=src-$u-$RUN
    rc=0
    fc_run "$T/$u.out" "$T/$u.err" backup --instance "$I" --source "redis://$u:pw-$u@127.0.0.1:$R" || rc=$?
    fc_assert_rc "user without ${u#no}" 3 $rc "$T/$u.err"
    fc_one_error "user without ${u#no}" "$T/$u.err" "noperm|permission|${u#no}"
    fc_clean "user without ${u#no}" "$I"
done

}

# --- master restarted (SIGKILL + restart from its last SAVE) during the sync. Either the replica keeps its
case_master() {
# sub-replica stream (partial resync with the restarted master) and the backup must be complete and restore,
# or the replica drops it (full resync) and the backup must fail cleanly with exit 3.
I=src-master-$RUN
redis-cli -p "$M" save >/dev/null
fp_rules 'PUT partNumber= delay:1'
fp_reset
bg_backup master --instance "$I" --endpoint "$PROXY" --concurrency 1
if fc_wait_for 60 parts_seen 1; then
    kill -9 "$(pidof_port "$M")"
    restart_redis "$M" || ra_fail "master restarts"
    rc=$(bg_wait master 120)
    fp_clear
    if [ "$rc" = 0 ]; then
        id=$(head -n 1 "$T/master.out")
        echo "# master restart: the backup went through"
        ra_assert_eq "master restarted during the sync: completed backup restores" "$DIGEST" "$(fc_download_digest "$I" "$id")"
    else
        echo "# master restart: the backup failed (rc $rc)"
        fc_assert_rc "master restarted during the sync" "3 5" "$rc" "$T/master.err"
        fc_one_error "master restarted during the sync" "$T/master.err" "closed|reset|eof|lost|truncat|connection|master|replica|sync"
        fc_clean "master restarted during the sync" "$I"
    fi
else
    ra_fail "master restarted during the sync: the backup started uploading" "$(cat "$T/master.err")"
fi
fp_clear
if ra_redis_wait_link "$R" 60 && [ "$(ra_redis_digest "$R")" = "$DIGEST" ]; then ra_ok "pair back with the same data"; else
    ra_fail "pair back with the same data" "replica digest $(ra_redis_digest "$R"), want $DIGEST"; fi

}

# --- a server that answers the handshake, then sends only keep-alive newlines: sync-timeout applies (keep-alives alone reset read-timeout)
case_keepalive() {
FAKE_PORT=$(ra_free_port)
"$RA_PY" - "$FAKE_PORT" >"$T/fake.log" 2>&1 <<'PY' &
# fake replica: INFO/ROLE/REPLCONF/PING as a replica would, PSYNC -> +FULLRESYNC, then "\n" every 0.5 s (max 120 s)
import socket, sys, threading, time
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
def bulk(s): b = s.encode(); return b"$%d\r\n%s\r\n" % (len(b), b)
def commands(f):
    while True:
        line = f.readline()
        if not line: return
        if not line.startswith(b"*"):
            yield line.split(); continue
        args = []
        for _ in range(int(line[1:])):
            n = int(f.readline()[1:]); args.append(f.read(n + 2)[:-2])
        yield args
def serve(c):
    f = c.makefile("rb")
    for args in commands(f):
        cmd = args[0].decode().upper() if args else ""
        if cmd == "INFO":
            sec = args[1].decode().lower() if len(args) > 1 else ""
            text = ("# Server\r\nredis_version:7.0.15\r\n" if sec == "server" else
                    "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:1\r\n"
                    "master_link_status:up\r\nmaster_sync_in_progress:0\r\nconnected_slaves:0\r\n")
            c.sendall(bulk(text))
        elif cmd == "ROLE":
            c.sendall(b"*5\r\n" + bulk("slave") + bulk("127.0.0.1") + b":1\r\n" + bulk("connected") + b":0\r\n")
        elif cmd in ("PSYNC", "SYNC"):
            c.sendall(b"+FULLRESYNC 0123456789abcdef0123456789abcdef01234567 0\r\n")
            end = time.time() + 120
            try:
                while time.time() < end:
                    c.sendall(b"\n"); time.sleep(0.5)
            except OSError:
                pass
            c.close(); return
        elif cmd == "PING":
            c.sendall(b"+PONG\r\n")
        else:
            c.sendall(b"+OK\r\n")
end = time.time() + 300
srv.settimeout(1)
while time.time() < end:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
FAKE_PID=$!
fc_wait_for 10 sh -c "redis-cli -h 127.0.0.1 -p $FAKE_PORT ping 2>/dev/null | grep -q PONG"
I=src-keepalive-$RUN
t0=$SECONDS
rc=0
FC_TIMEOUT=30 fc_run "$T/ka.out" "$T/ka.err" backup --instance "$I" --source "redis://127.0.0.1:$FAKE_PORT" --sync-timeout 3s || rc=$?
dt=$((SECONDS - t0))
fc_assert_rc "only keep-alives past sync-timeout" 3 $rc "$T/ka.err"
fc_one_error "only keep-alives past sync-timeout" "$T/ka.err" "sync-timeout|did not start"
if [ $dt -ge 3 ] && [ $dt -le 20 ]; then ra_ok "keep-alives: gave up after sync-timeout (${dt}s)"; else
    ra_fail "keep-alives: gave up after sync-timeout" "took ${dt}s with --sync-timeout 3s"; fi
fc_clean "only keep-alives past sync-timeout" "$I"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=

}

# --- a master without --allow-master: exit 3, the message names its replicas
case_allow_master() {
I=src-master-refused-$RUN
rc=0
fc_run "$T/am.out" "$T/am.err" backup --instance "$I" --source "redis://127.0.0.1:$M" || rc=$?
fc_assert_rc "master without --allow-master" 3 $rc "$T/am.err"
fc_one_error "master without --allow-master" "$T/am.err" "127\.0\.0\.1:$R"
fc_clean "master without --allow-master" "$I"

}

# =========================================================================================================
# Store faults (through the proxy)
# =========================================================================================================

# --- 503 SlowDown / 500 InternalError on some parts: retried, the backup succeeds and restores
case_5xx() {
I=store-5xx-$RUN
fp_rules 'PUT partNumber=2& error:503:SlowDown first=2' 'PUT partNumber=4& error:500:InternalError nth=1' \
    'PUT partNumber=6& error:503:ServiceUnavailable nth=1'
fp_reset
rc=0
fc_run "$T/5xx.out" "$T/5xx.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
fc_assert_rc "5xx on parts" 0 $rc "$T/5xx.err"
p2=$(fp_count PUT 'partNumber=2&')
p4=$(fp_count PUT 'partNumber=4&')
if [ "$p2" -ge 3 ] && [ "$p4" -ge 2 ]; then ra_ok "5xx on parts: retried (part 2 x$p2, part 4 x$p4)"; else
    ra_fail "5xx on parts: retried" "part 2 seen $p2 times (want >= 3), part 4 $p4 (want >= 2)" "$(fp_log | grep PUT | head -20)"; fi
id=$(head -n 1 "$T/5xx.out")
ra_assert_eq "5xx on parts: backup restores to the replica's digest" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"
ra_assert_eq "5xx on parts: no open upload" "" "$(fc_open_uploads "$I")"

}

# --- connection reset in the middle of a part's body: retried, succeeds
case_reset() {
I=store-reset-$RUN
# partNumber comes first in the canonical (sorted) query: 'partNumber=3&' is part 3 only
fp_rules 'PUT partNumber=3& reset nth=1' 'PUT partNumber=1& reset-response nth=1'
fp_reset
rc=0
fc_run "$T/reset.out" "$T/reset.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
fc_assert_rc "connection reset mid-part" 0 $rc "$T/reset.err"
n=$(fp_log | grep -c ' reset$')
ra_assert_eq "connection reset mid-part: the reset happened" 1 "$n"
id=$(head -n 1 "$T/reset.out")
ra_assert_eq "connection reset mid-part: backup restores" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"
ra_assert_eq "connection reset mid-part: no open upload" "" "$(fc_open_uploads "$I")"

}

# --- S3 down at the start (endpoint on a closed port)
case_down() {
I=store-down-$RUN
CLOSED=http://127.0.0.1:$(ra_free_port)
rc=0
t0=$SECONDS
fc_run "$T/down.out" "$T/down.err" backup --instance "$I" --endpoint "$CLOSED" || rc=$?
fc_assert_rc "store down at the start" 4 $rc "$T/down.err"
fc_one_error "store down at the start" "$T/down.err" "connect|refused|unreachable"
if [ $((SECONDS - t0)) -le 60 ]; then ra_ok "store down: gives up within 60 s"; else ra_fail "store down: gives up within 60 s" "took $((SECONDS - t0)) s"; fi
fc_clean "store down at the start" "$I"

}

# --- S3 goes down mid-way (every request dropped once 2 parts went through): exit 4; the next run, with the
case_midway() {
# store back, cleans what was left (no open upload once it succeeded)
I=store-midway-$RUN
fp_rules 'PUT partNumber= delay:0.5'
fp_reset
bg_backup midway --instance "$I" --endpoint "$PROXY" --concurrency 2
if fc_wait_for 60 parts_seen 2; then
    fp_rules '* * drop'
    rc=$(bg_wait midway 150)
    fp_clear
    fc_assert_rc "store down mid-way" 4 "$rc" "$T/midway.err"
    fc_one_error "store down mid-way" "$T/midway.err" "connect|refused|closed|reset|nothing|empty|recv|send|unreachable"
    ra_assert_eq "store down mid-way: no object" "" "$(fc_rdb_objects "$I")"
    rc=0
    fc_run "$T/midway2.out" "$T/midway2.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
    fc_assert_rc "store back: next backup succeeds" 0 $rc "$T/midway2.err"
    ra_assert_eq "store back: no open upload left" "" "$(fc_open_uploads "$I")"
    n=$(fc_rdb_objects "$I" | grep -c .)
    ra_assert_eq "store back: exactly the new backup's object" 1 "$n"
else
    ra_fail "store down mid-way: 2 parts went through" "$(cat "$T/midway.err")"
fi
fp_clear

}

# --- wrong secret: SignatureDoesNotMatch named, exit 4
case_secret() {
I=store-secret-$RUN
if ra_store_is moto; then
    for c in "exit code 4" "exactly one error line" "no object for the failed backup" "no open multipart upload"; do
        ra_store_skip moto "wrong secret: $c" "moto does not check SigV4 signatures"
    done
    return 0
fi
rc=0
FC_SECRET_KEY=wrong-secret-0123456789 fc_run "$T/sig.out" "$T/sig.err" backup --instance "$I" || rc=$?
fc_assert_rc "wrong secret" 4 $rc "$T/sig.err"
fc_one_error "wrong secret" "$T/sig.err" "SignatureDoesNotMatch"
fc_clean "wrong secret" "$I"

}

# --- missing bucket: exit 4, the bucket named
case_nobucket() {
I=store-nobucket-$RUN
rc=0
fc_run "$T/nb.out" "$T/nb.err" backup --instance "$I" --bucket "no-such-bucket-$RUN" || rc=$?
fc_assert_rc "missing bucket" 4 $rc "$T/nb.err"
fc_one_error "missing bucket" "$T/nb.err" "no-such-bucket-$RUN"

}

# --- clock skew: the proxy's "server clock" is 10 min ahead; requests dated by our clock get 403
case_skew() {
# RequestTimeTooSkewed with the server's Date; the archiver corrects and succeeds (RGW allows 15 min)
I=store-skew-$RUN
fp_rules '* * skew:600'
fp_reset
rc=0
fc_run "$T/skew.out" "$T/skew.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
fc_assert_rc "clock skew" 0 $rc "$T/skew.err"
n=$(fp_log | grep -c ' 403 skew$')
if [ "$n" -ge 1 ]; then ra_ok "clock skew: RequestTimeTooSkewed was answered ($n times)"; else
    ra_fail "clock skew: RequestTimeTooSkewed was answered" "$(fp_log | head)"; fi
id=$(head -n 1 "$T/skew.out")
ra_assert_eq "clock skew: backup restores" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"
fp_clear

}

# --- Complete failing (500 on every CompleteMultipartUpload): exit 4, no object, no open upload
case_complete() {
I=store-complete-$RUN
fp_rules 'POST ~uploadId=[^&]*$ error:500:InternalError'
fp_reset
rc=0
fc_run "$T/cmp.out" "$T/cmp.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
fc_assert_rc "Complete fails" 4 $rc "$T/cmp.err"
fc_one_error "Complete fails" "$T/cmp.err" "InternalError|500|complet"
n=$(fp_count POST uploadId=)
if [ "$n" -ge 2 ]; then ra_ok "Complete fails: retried ($n attempts)"; else ra_fail "Complete fails: retried" "seen $n"; fi
fc_clean "Complete fails" "$I"
fp_clear

}

# --- Complete's answer lost on every attempt (the store completes the upload, the client sees the connection
# reset): settled by a HEAD of the object, the backup succeeds and restores, nothing aborted
case_complete_lost() {
I=store-complete-lost-$RUN
fp_rules 'POST ~uploadId=[^&]*$ reset-response'
fp_reset
rc=0
fc_run "$T/cl.out" "$T/cl.err" backup --instance "$I" --endpoint "$PROXY" || rc=$?
fp_clear
fc_assert_rc "Complete's answer lost" 0 $rc "$T/cl.err"
if grep -q "no clear answer" "$T/cl.err"; then ra_ok "Complete's answer lost: settled by HEAD, and said so"
else ra_fail "Complete's answer lost: settled by HEAD, and said so" "$(tail -5 "$T/cl.err")"; fi
ra_assert_eq "Complete's answer lost: no open multipart upload" "" "$(fc_open_uploads "$I")"
id=$(new_id "$I")
ra_assert_eq "Complete's answer lost: the backup restores" "$DIGEST" "$(fc_download_digest "$I" "$id" 2>&1)"

}

# =========================================================================================================
# SIGTERM / SIGINT during a backup
# =========================================================================================================
case_signals() {
for sig in TERM INT; do
    I=signal-$sig-$RUN
    fp_rules 'PUT partNumber= delay:1'
    fp_reset
    rm -f "$T/sig$sig.rc"
    # the archiver itself must get the signal: run it directly in the background (no timeout wrapper)
    (
        env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" \
            AWS_SHARED_CREDENTIALS_FILE=/dev/null REDIS_ARCHIVER_CONFIG=/dev/null REDIS_ARCHIVER_ENDPOINT="$PROXY" \
            REDIS_ARCHIVER_BUCKET="$B" REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_LOG_FORMAT=json \
            "$RA_BIN" backup --instance "$I" --concurrency 1 </dev/null >"$T/sig$sig.out" 2>"$T/sig$sig.err"
    ) &
    APID=$!
    if fc_wait_for 60 parts_seen 1; then
        kill -s "$sig" "$APID"
        for ((i = 0; i < 600; i++)); do [ -d "/proc/$APID" ] && ! grep -q '^State:.*Z' "/proc/$APID/status" 2>/dev/null || break; sleep 0.1; done
        if [ -d "/proc/$APID" ] && ! grep -q '^State:.*Z' "/proc/$APID/status" 2>/dev/null; then
            kill -9 "$APID"
            ra_fail "SIG$sig: the archiver stops within 60 s"
        fi
        wait "$APID"
        rc=$?
        fp_clear
        fc_assert_rc "SIG$sig during a backup" 8 $rc "$T/sig$sig.err"
        id=$(new_id "$I")
        st=$(fc_ra status --json --instance "$I" "$id" 2>/dev/null | jq -r 'if type == "array" then .[0].status else .status end' 2>/dev/null)
        ra_assert_eq "SIG$sig: status --json says cancelled" cancelled "$st"
        fc_clean "SIG$sig during a backup" "$I"
    else
        kill -9 "$APID" 2>/dev/null
        wait "$APID" 2>/dev/null
        ra_fail "SIG$sig: the backup started uploading" "$(cat "$T/sig$sig.err")"
    fi
    fp_clear
done

}

CASES="kill acl master keepalive allow_master 5xx reset down midway secret nobucket skew complete complete_lost signals"
for c in $CASES; do
    if [ -z "${FAULTS_ONLY:-}" ] || [[ $c =~ $FAULTS_ONLY ]]; then "case_$c"; fi
done

# --- the good backup is untouched
ra_assert_eq "earlier backup: same ETag and size" "$GOOD_HEAD" \
    "$(ra_aws s3api head-object --bucket "$B" --key "$FC_PREFIX$GOOD/$GOOD_ID.rdb" --query '[ETag,ContentLength]' --output text 2>&1)"
ra_assert_eq "earlier backup: same record" "$GOOD_REC" "$(ra_aws s3 cp --quiet "s3://$B/$FC_PREFIX$GOOD/$GOOD_ID.json" - 2>&1)"
ra_assert_eq "earlier backup: still restores" "$DIGEST" "$(fc_download_digest "$GOOD" "$GOOD_ID" 2>&1)"

ra_done
