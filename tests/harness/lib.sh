# tests/harness/lib.sh: real-server fixtures (redis master/replica, Ceph RGW, moto) and TAP-like test helpers.
#
# Source it from bash:  . tests/harness/lib.sh
# Sourcing creates a private temp dir ($RA_TEST_TMPDIR, a subdir of the parent's when one is inherited) and
# installs an EXIT/INT/TERM trap that stops, by pid file, every server started from this shell and removes
# the temp dir (RA_KEEP=1 keeps it). Scripts that need their own exit work define `ra_on_exit` (called first).
# Everything binds to 127.0.0.1 on ports picked here; nothing else is ever touched.
#
# Fixtures:  ra_free_port [N]            free port (or the first of N consecutive free ports)
#            ra_redis_start NAME [conf]  redis-server; prints its port
#            ra_redis_pair               master + replica; exports RA_TEST_REDIS_{MASTER,REPLICA}_{PORT,PIDFILE}
#            ra_redis_fill PORT N [PFX]  N keys of mixed types, then waits for the replicas to catch up
#            ra_redis_digest PORT        DEBUG DIGEST
#            ra_redis_restore_digest F   loads RDB file F into a scratch redis-server; prints its DEBUG DIGEST
#            ra_redis_stop PORT          stops a server started here
#            ra_s3_start                 Ceph RGW (mon + memstore OSD + radosgw), user, bucket; exports RA_TEST_S3_*
#            ra_moto_start               moto's S3 server (python3 -m moto.server), bucket; exports the same RA_TEST_S3_*
#            ra_store_start              the store RA_TEST_STORE names: rgw (default, ra_s3_start) or moto
#            ra_store_is NAME            this run's store (RA_TEST_S3_STORE) is NAME
#            ra_store_skip STORE NAME WHY  on STORE: the case NAME is skipped, saying why; elsewhere returns 1
#            ra_s3_bucket NAME           creates a bucket
#            ra_aws ARGS...              /usr/bin/aws against the test RGW with the test keys
#            ra_s3_curl ARGS...          curl with SigV4 (plain GET/PUT/DELETE, no query strings) with the test keys
#            ra_need_redis, ra_need_s3   start the fixture only if the environment (run.sh) did not provide it
#                                        (ra_need_s3 starts the store RA_TEST_STORE names)
#            ra_stop_all                 stops everything started from this shell (the trap calls it)
# Test cases (one line each on stdout):  ra_ok NAME | ra_fail NAME [diag...] | ra_skip NAME REASON
#            ra_assert_eq NAME EXPECTED ACTUAL | ra_check NAME CMD... | ra_done (exit status: 1 if a case failed)

[ -n "${RA__LIB_LOADED:-}" ] && return 0
RA__LIB_LOADED=1

RA_HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RA_ROOT=$(cd "$RA_HARNESS/../.." && pwd)
export RA_HARNESS RA_ROOT
RA_PY=/usr/bin/python3
[ -x "$RA_PY" ] || RA_PY=python3
RA_AWS=${RA_AWS:-/usr/bin/aws}
RA_TEST_S3_REGION=${RA_TEST_S3_REGION:-us-east-1}
RA__NFAIL=0
RA__STOPPED=0

# ---------------------------------------------------------------------------------------------------------
# messages

ra__say() { [ "${RA_VERBOSE:-0}" = 1 ] && printf 'harness: %s\n' "$*" >&2; return 0; }
ra__err() { printf 'harness: %s\n' "$*" >&2; }

# ra__tail FILE [LINES]: show the end of a log after a failure
ra__tail() {
    local f=$1 n=${2:-40}
    if [ -s "$f" ]; then
        printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
        tail -n "$n" "$f" >&2
        printf -- '-----\n' >&2
    else
        printf 'harness: (no log at %s)\n' "$f" >&2
    fi
}

# ---------------------------------------------------------------------------------------------------------
# temp dir, process registry, cleanup

ra__init() {
    local parent=${RA_TEST_TMPDIR:-}
    if [ -n "$parent" ] && [ -d "$parent" ]; then
        RA_TEST_TMPDIR=$(mktemp -d "$parent/sub.XXXXXX") || return 1
    else
        RA_TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ra-test.XXXXXX") || return 1
    fi
    export RA_TEST_TMPDIR
    # one list of handed-out ports per run: a script started by run.sh uses its parent's
    if [ -z "${RA_PORTS_FILE:-}" ] || [ ! -d "$(dirname "$RA_PORTS_FILE")" ]; then
        RA_PORTS_FILE=$RA_TEST_TMPDIR/.ports
        export RA_PORTS_FILE
    fi
    RA__REGISTRY=$RA_TEST_TMPDIR/.registry
    : >"$RA__REGISTRY"
    # awscli must not pick up a user's config or credentials
    printf '[default]\n' >"$RA_TEST_TMPDIR/.aws-config"
}

# ra__register KIND PIDFILE OWNDIR [PORT]: remember a server so that ra_stop_all can stop it. OWNDIR is the
# directory its cwd or command line points into: a pid is only signalled if it still matches (pid reuse).
ra__register() { printf '%s %s %s %s\n' "$1" "$2" "$3" "${4:--}" >>"$RA__REGISTRY"; }

# ra__pid_matches PID DIR: the process exists and its cwd or command line is inside DIR
ra__pid_matches() {
    local pid=$1 dir=$2 cwd
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=
    case "$cwd/" in "$dir"/*) return 0 ;; esac
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/" && return 0
    return 1
}

# (always status 0: redis removes its pid file on exit, and callers may run under set -e)
ra__pidfile_pid() { { tr -dc '0-9' <"$1"; } 2>/dev/null || true; }

# ra__kill_pids TIMEOUT PID...: SIGTERM, wait up to TIMEOUT s, then SIGKILL what is left
ra__kill_pids() {
    local timeout=$1 p alive i
    shift
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        alive=0
        for p in "$@"; do [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
    for p in "$@"; do
        if [ -d "/proc/$p" ]; then
            [ "${RA__QUIET_KILL:-0}" = 1 ] || ra__err "pid $p did not stop after ${timeout}s, sending SIGKILL"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    return 0
}

# ra_stop_dir DIR: stop every server registered under DIR (this shell's and any child's registry), by pid
# file, then anything of ours whose cwd or command line is still inside DIR (a daemon whose pid file was not
# written yet when a start was interrupted). Only redis-server / ceph / radosgw processes are considered.
ra_stop_dir() {
    local dir=$1 reg kind pidfile owndir port pid pids=() p exe
    [ -d "$dir" ] || return 0
    while IFS= read -r reg; do
        # newest first, one at a time: radosgw, then the OSD, then the mon (all at once, radosgw and the OSD
        # wait for the mon that is already gone: >20 s), replicas before masters
        while read -r kind pidfile owndir port; do
            pid=$(ra__pidfile_pid "$pidfile")
            ra__pid_matches "$pid" "$owndir" || continue
            if [ "$kind" = ceph ]; then
                # radosgw sometimes hangs in its shutdown (lifecycle threads) until its own 120 s alarm;
                # the cluster is throwaway RAM, so a short grace is enough
                RA__QUIET_KILL=1 ra__kill_pids "${RA_CEPH_STOP_TIMEOUT:-5}" "$pid"
            else
                ra__kill_pids "${RA_STOP_TIMEOUT:-20}" "$pid"
            fi
        done < <(tac "$reg" 2>/dev/null)
    done < <(find "$dir" -name .registry -type f 2>/dev/null | sort -r)
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        case "${exe##*/}" in redis-server | redis-check-rdb | ceph-mon | ceph-osd | radosgw | radosgw-admin | ceph) ;; *) continue ;; esac
        if ra__pid_matches "$p" "$dir"; then pids+=("$p"); fi
    done
    [ ${#pids[@]} -gt 0 ] && ra__err "stopping leftover processes ${pids[*]} (by their cwd/command line in $dir)"
    ra__kill_pids 5 "${pids[@]}"
}

ra_stop_all() {
    [ "$RA__STOPPED" = 1 ] && return 0
    RA__STOPPED=1
    [ -n "${RA_TEST_TMPDIR:-}" ] && [ -d "$RA_TEST_TMPDIR" ] || return 0
    ra_stop_dir "$RA_TEST_TMPDIR"
    if [ "${RA_KEEP:-0}" = 1 ]; then
        ra__err "kept $RA_TEST_TMPDIR (RA_KEEP=1)"
    else
        rm -rf "$RA_TEST_TMPDIR"
    fi
}

ra__on_exit() {
    local rc=$?
    if declare -F ra_on_exit >/dev/null; then ra_on_exit || true; fi
    ra_stop_all
    return $rc
}
ra__on_signal() {
    trap - EXIT
    if declare -F ra_on_exit >/dev/null; then ra_on_exit || true; fi
    ra_stop_all
    trap - "$1"
    kill -s "$1" $$
    exit 130
}

# ---------------------------------------------------------------------------------------------------------
# ports

# ra_free_port [N]: a port in 20000-31999 (below the kernel's ephemeral range, so no outgoing connection
# takes it meanwhile) that nothing listens on, or the first of N consecutive such ports. Ports handed out
# before in this run (RA_PORTS_FILE, shared with the scripts it starts and its parallel store passes, under
# a lock) are never handed out again (the server may not have bound yet).
ra_free_port() {
    "$RA_PY" - "${RA_PORTS_FILE:-$RA_TEST_TMPDIR/.ports}" "${1:-1}" <<'PY'
import fcntl, random, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
lock = open(path, "a+")
fcntl.flock(lock, fcntl.LOCK_EX)  # released at exit
lock.seek(0)
used = set(int(x) for x in lock.read().split())
def free(p):
    if p in used:
        return False
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))  # no SO_REUSEADDR: a port in TIME_WAIT counts as taken
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(2000):
    base = random.randint(20000, 32000 - n)
    if all(free(p) for p in range(base, base + n)):
        lock.write(" ".join(str(p) for p in range(base, base + n)) + "\n")
        lock.flush()
        print(base)
        sys.exit(0)
sys.exit("no free port found")
PY
}

# ---------------------------------------------------------------------------------------------------------
# redis

ra__rcli() { redis-cli -h 127.0.0.1 "$@"; }

# ra__redis_wait PORT PIDFILE LOG TIMEOUT: until PING answers PONG (not -LOADING); fails early if the server died
ra__redis_wait() {
    local port=$1 pidfile=$2 log=$3 timeout=$4 i out pid
    for ((i = 0; i < timeout * 20; i++)); do
        pid=$(ra__pidfile_pid "$pidfile")
        if [ -n "$pid" ]; then
            out=$(ra__rcli -p "$port" ping 2>/dev/null) || out=
            [ "$out" = PONG ] && return 0
            [ -d "/proc/$pid" ] || return 1
        elif grep -qE 'Address already in use|Failed listening|Fatal error|FATAL' "$log" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# ra__redis_launch NAME PRELOAD_RDB [conf lines...]: start one redis-server, retrying on another port if the
# chosen one got taken meanwhile; prints the port
ra__redis_launch() {
    local name=$1 preload=$2 dir n=0 try port out
    shift 2
    dir=$RA_TEST_TMPDIR/redis-$name
    while [ -e "$dir" ]; do n=$((n + 1)); dir=$RA_TEST_TMPDIR/redis-$name.$n; done
    mkdir -p "$dir" || return 1
    [ -n "$preload" ] && ln -s "$preload" "$dir/dump.rdb"
    for try in 1 2 3; do
        port=$(ra_free_port) || return 1
        {
            printf '%s\n' "bind 127.0.0.1" "port $port" "protected-mode yes" "daemonize yes" \
                "pidfile $dir/redis.pid" "logfile $dir/redis.log" "dir $dir" 'save ""' "appendonly no" \
                "enable-debug-command local" "repl-diskless-sync-delay 0"
            [ $# -gt 0 ] && printf '%s\n' "$@"
        } >"$dir/redis.conf"
        rm -f "$dir/redis.pid"
        : >"$dir/redis.log"
        ra__register redis "$dir/redis.pid" "$dir" "$port"
        if ! out=$(redis-server "$dir/redis.conf" 2>&1); then
            ra__err "redis-server '$name' did not start: $out"
            return 1
        fi
        if ra__redis_wait "$port" "$dir/redis.pid" "$dir/redis.log" "${RA_REDIS_START_TIMEOUT:-30}"; then
            ra__say "redis '$name' on 127.0.0.1:$port ($dir)"
            echo "$port"
            return 0
        fi
        if ! grep -qE 'Address already in use|Failed listening' "$dir/redis.log"; then break; fi
        ra__say "port $port was taken meanwhile, retrying"
    done
    ra__err "redis-server '$name' did not answer PING"
    ra__tail "$dir/redis.log"
    return 1
}

ra_redis_start() {
    local name=${1:?usage: ra_redis_start NAME [conf lines...]}
    shift
    ra__redis_launch "$name" "" "$@"
}

# ra_redis_pidfile PORT / ra_redis_dir PORT: of a server started from this shell (or a parent's)
ra__redis_lookup() {
    local port=$1 field=$2 reg kind pidfile owndir p
    while IFS= read -r reg; do
        while read -r kind pidfile owndir p; do
            if [ "$kind" = redis ] && [ "$p" = "$port" ]; then
                [ "$field" = pidfile ] && echo "$pidfile" || echo "$owndir"
                return 0
            fi
        done < <(tac "$reg")
    done < <(find "$RA_TEST_TMPDIR" -name .registry -type f 2>/dev/null)
    return 1
}
ra_redis_pidfile() { ra__redis_lookup "$1" pidfile; }
ra_redis_dir() { ra__redis_lookup "$1" dir; }

# ra_redis_stop PORT: stop one server started here (SIGTERM, SIGKILL after a timeout)
ra_redis_stop() {
    local pidfile dir pid
    pidfile=$(ra_redis_pidfile "$1") || { ra__err "ra_redis_stop: no server of ours on port $1"; return 1; }
    dir=$(dirname "$pidfile")
    pid=$(ra__pidfile_pid "$pidfile")
    ra__pid_matches "$pid" "$dir" && ra__kill_pids "${RA_STOP_TIMEOUT:-20}" "$pid"
    return 0
}

# ra_redis_wait_link PORT [TIMEOUT]: the replica on PORT has its master link up and no sync in progress
ra_redis_wait_link() {
    local port=$1 timeout=${2:-60} i info
    for ((i = 0; i < timeout * 10; i++)); do
        info=$(ra__rcli -p "$port" info replication 2>/dev/null | tr -d '\r') || info=
        if grep -qx 'master_link_status:up' <<<"$info" && grep -qx 'master_sync_in_progress:0' <<<"$info"; then
            return 0
        fi
        sleep 0.1
    done
    ra__err "replica on port $port: master link not up after ${timeout}s"
    ra__err "$info"
    local dir
    dir=$(ra_redis_dir "$port") && ra__tail "$dir/redis.log" 20
    return 1
}

ra__save_env() { printf 'export %s=%q\n' "$@" >>"$RA_TEST_TMPDIR/env.sh"; }

ra_redis_pair() {
    local m r
    m=$(ra_redis_start master) || return 1
    r=$(ra_redis_start replica "replicaof 127.0.0.1 $m") || return 1
    ra_redis_wait_link "$r" 60 || return 1
    RA_TEST_REDIS_MASTER_PORT=$m
    RA_TEST_REDIS_REPLICA_PORT=$r
    RA_TEST_REDIS_MASTER_PIDFILE=$(ra_redis_pidfile "$m")
    RA_TEST_REDIS_REPLICA_PIDFILE=$(ra_redis_pidfile "$r")
    export RA_TEST_REDIS_MASTER_PORT RA_TEST_REDIS_REPLICA_PORT RA_TEST_REDIS_MASTER_PIDFILE RA_TEST_REDIS_REPLICA_PIDFILE
    local v
    for v in RA_TEST_REDIS_MASTER_PORT RA_TEST_REDIS_REPLICA_PORT RA_TEST_REDIS_MASTER_PIDFILE RA_TEST_REDIS_REPLICA_PIDFILE; do
        ra__save_env "$v" "${!v}"
    done
}

# ra_redis_sync_replicas PORT [TIMEOUT]: every replica of the master on PORT has applied all its writes
# (WAIT for their acks, then equal DBSIZE)
ra_redis_sync_replicas() {
    local port=$1 timeout=${2:-60} info n acked rport want got i
    info=$(ra__rcli -p "$port" info replication | tr -d '\r') || { ra__err "no answer from port $port"; return 1; }
    n=$(sed -n 's/^connected_slaves://p' <<<"$info")
    [ "${n:-0}" -gt 0 ] || return 0
    acked=$(ra__rcli -p "$port" wait "$n" $((timeout * 1000)))
    if [ "$acked" != "$n" ]; then
        ra__err "only $acked of $n replicas of port $port acknowledged the writes"
        return 1
    fi
    want=$(ra__rcli -p "$port" dbsize)
    for rport in $(sed -n 's/^slave[0-9]*:.*,port=\([0-9]*\),.*/\1/p' <<<"$info"); do
        for ((i = 0; i < timeout * 10; i++)); do
            got=$(ra__rcli -p "$rport" dbsize 2>/dev/null) || got=
            [ "$got" = "$want" ] && break
            sleep 0.1
        done
        if [ "$got" != "$want" ]; then
            ra__err "replica on port $rport has $got keys, master $want"
            return 1
        fi
    done
}

# ra_redis_fill PORT N [PREFIX]: N sample keys of mixed types with random values, via redis-cli --pipe
ra_redis_fill() {
    local port=${1:?usage: ra_redis_fill PORT N [PREFIX]} n=${2:?usage: ra_redis_fill PORT N [PREFIX]}
    local prefix=${3:-k} out
    out=$("$RA_PY" "$RA_HARNESS/fill.py" "$n" "$prefix" | ra__rcli -p "$port" --pipe 2>&1)
    if [ "${PIPESTATUS[0]}" != 0 ] || ! grep -q 'errors: 0,' <<<"$out"; then
        ra__err "filling port $port failed: $out"
        return 1
    fi
    ra_redis_sync_replicas "$port"
}

ra_redis_digest() { ra__rcli -p "${1:?usage: ra_redis_digest PORT}" debug digest; }

# ra_redis_restore_digest RDBFILE: load it into a fresh redis-server (own dir, file linked, never written),
# print DEBUG DIGEST and stop the server. Fails (with the log) if the server does not load the file.
ra_redis_restore_digest() {
    local f port digest rc=0
    f=$(readlink -f "${1:?usage: ra_redis_restore_digest RDBFILE}")
    if [ ! -s "$f" ]; then ra__err "no RDB at '$1'"; return 1; fi
    port=$(RA_REDIS_START_TIMEOUT=${RA_RESTORE_TIMEOUT:-300} ra__redis_launch restore "$f") || return 1
    local dir
    dir=$(ra_redis_dir "$port")
    if ! grep -q 'DB loaded from disk' "$dir/redis.log"; then
        ra__err "restore server did not load '$f'"
        ra__tail "$dir/redis.log" 20
        rc=1
    else
        digest=$(ra_redis_digest "$port") || rc=1
    fi
    ra_redis_stop "$port"
    [ $rc = 0 ] && echo "$digest"
    return $rc
}

ra_need_redis() { [ -n "${RA_TEST_REDIS_MASTER_PORT:-}" ] || ra_redis_pair; }

# ---------------------------------------------------------------------------------------------------------
# S3: Ceph RGW (1 mon on msgr v2, 1 memstore OSD, radosgw beast), no cephx

RA_TEST_S3_ACCESS_KEY_DEFAULT=RATESTACCESSKEY00001
RA_TEST_S3_SECRET_KEY_DEFAULT=RaTestSecretKey0123456789abcdefghijklmnop

# ra__ceph_cmd TIMEOUT CMD...: a ceph CLI call that can never hang the harness
ra__ceph_cmd() {
    local t=$1
    shift
    timeout -k 5 "$t" "$@"
}

# ra__s3_fail DIR MESSAGE [LOG...]: report a failed start with the tails of the logs that tell why
# (names under DIR/log; all of them when none is given)
ra__s3_fail() {
    local d=$1 msg=$2 f
    shift 2
    ra__err "RGW start failed: $msg"
    [ $# -gt 0 ] || set -- setup.out mon.a.log osd-mkfs.err osd.0.log radosgw.out rgw.log
    for f in "$@"; do
        [ -s "$d/log/$f" ] && ra__tail "$d/log/$f" 30
    done
    return 1
}

ra_s3_start() {
    local d=$RA_TEST_TMPDIR/ceph n=0
    while [ -e "$d" ]; do n=$((n + 1)); d=$RA_TEST_TMPDIR/ceph.$n; done
    mkdir -p "$d"/{mon,osd,run,log,rgw,crash} || return 1
    local conf=$d/ceph.conf fsid osd_uuid osd_id mon_port rgw_port osd_ports i
    fsid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(ra_free_port) && rgw_port=$(ra_free_port) && osd_ports=$(ra_free_port 16) || return 1
    cat >"$conf" <<CONF
# written by tests/harness/lib.sh: single-node test cluster, loopback only, no auth, RAM-backed OSD
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $osd_ports
ms bind port max = $((osd_ports + 15))
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
keyring = $d/keyring
run dir = $d/run
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
pid file = $d/run/\$name.pid
crash dir = $d/crash
mon data = $d/mon/\$cluster-\$id
osd data = $d/osd/\$cluster-\$id
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 1
auth allow insecure global id reclaim = false
client mount timeout = 60
osd objectstore = memstore
memstore device bytes = ${RA_MEMSTORE_BYTES:-12884901888}
osd max object size = 134217728
debug ms = 0
# rgw options here (not in [client.rgw.a]) so that radosgw-admin sees them too
rgw lc debug interval = ${RA_RGW_LC_DEBUG_INTERVAL:-10}
rgw gc obj min wait = 30
rgw gc processor period = 30
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $d/rgw
rgw enable usage log = false
log file = $d/log/rgw.log
CONF
    # the registry is read newest first: radosgw, then the OSD, then the mon are stopped
    ra__register ceph "$d/run/mon.a.pid" "$d"
    ra__register ceph "$d/run/osd.0.pid" "$d"
    ra__register ceph "$d/run/client.rgw.a.pid" "$d"
    {
        ceph-authtool --create-keyring "$d/keyring" --gen-key -n mon. --cap mon 'allow *' &&
            ceph-authtool "$d/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
                --cap mgr 'allow *' &&
            monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$d/monmap" &&
            ceph-mon -c "$conf" --mkfs -i a --monmap "$d/monmap" --keyring "$d/keyring"
    } >"$d/log/setup.out" 2>&1 || { ra__s3_fail "$d" "mon setup" setup.out; return 1; }
    ceph-mon -c "$conf" -i a >>"$d/log/setup.out" 2>&1 || { ra__s3_fail "$d" "ceph-mon" setup.out mon.a.log; return 1; }
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_id=$(ra__ceph_cmd 90 ceph -c "$conf" osd new "$osd_uuid" 2>>"$d/log/setup.out") ||
        { ra__s3_fail "$d" "'ceph osd new' (is the mon up?)" setup.out mon.a.log; return 1; }
    if [ "$osd_id" != 0 ]; then ra__s3_fail "$d" "unexpected osd id '$osd_id'" setup.out; return 1; fi
    mkdir -p "$d/osd/ceph-0"
    ra__ceph_cmd 60 ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$d/log/osd-mkfs.err" 2>&1 ||
        { ra__s3_fail "$d" "ceph-osd --mkfs" osd-mkfs.err osd.0.log; return 1; }
    ceph-osd -c "$conf" -i 0 >>"$d/log/setup.out" 2>&1 || { ra__s3_fail "$d" "ceph-osd" setup.out osd.0.log; return 1; }
    for ((i = 0; i < 120; i++)); do
        ra__ceph_cmd 10 ceph -c "$conf" --connect-timeout 5 osd stat 2>/dev/null | grep -q ' 1 up' && break
        sleep 0.5
    done
    ra__ceph_cmd 10 ceph -c "$conf" --connect-timeout 5 osd stat 2>/dev/null | grep -q ' 1 up' ||
        { ra__s3_fail "$d" "the OSD did not come up within 60 s" osd.0.log mon.a.log; return 1; }
    radosgw -c "$conf" -n client.rgw.a >"$d/log/radosgw.out" 2>&1 || { ra__s3_fail "$d" "radosgw exited" radosgw.out rgw.log; return 1; }
    local endpoint=http://127.0.0.1:$rgw_port pid
    for ((i = 0; i < 480; i++)); do
        curl -s -o /dev/null --max-time 2 "$endpoint/" && break
        if [ $i -gt 20 ]; then
            pid=$(ra__pidfile_pid "$d/run/client.rgw.a.pid")
            [ -n "$pid" ] && [ ! -d "/proc/$pid" ] && { ra__s3_fail "$d" "radosgw died" radosgw.out rgw.log; return 1; }
        fi
        sleep 0.25
    done
    curl -s -o /dev/null --max-time 2 "$endpoint/" || { ra__s3_fail "$d" "radosgw did not answer on $endpoint within 120 s" radosgw.out rgw.log; return 1; }
    RA_TEST_S3_ACCESS_KEY=${RA_TEST_S3_ACCESS_KEY:-$RA_TEST_S3_ACCESS_KEY_DEFAULT}
    RA_TEST_S3_SECRET_KEY=${RA_TEST_S3_SECRET_KEY:-$RA_TEST_S3_SECRET_KEY_DEFAULT}
    ra__ceph_cmd 60 radosgw-admin -c "$conf" user create --uid=tester --display-name=Tester \
        --access-key="$RA_TEST_S3_ACCESS_KEY" --secret-key="$RA_TEST_S3_SECRET_KEY" >"$d/log/user.out" 2>&1 ||
        { ra__s3_fail "$d" "radosgw-admin user create" user.out rgw.log; return 1; }
    RA_TEST_S3_ENDPOINT=$endpoint
    RA_TEST_S3_BUCKET=${RA_TEST_S3_BUCKET:-ra-test}
    RA_TEST_S3_CEPH_CONF=$conf
    RA_TEST_S3_STORE=rgw
    export RA_TEST_S3_ENDPOINT RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY RA_TEST_S3_REGION RA_TEST_S3_BUCKET RA_TEST_S3_CEPH_CONF
    export RA_TEST_S3_STORE
    ra_s3_bucket "$RA_TEST_S3_BUCKET" || { ra__s3_fail "$d" "creating bucket '$RA_TEST_S3_BUCKET'" rgw.log; return 1; }
    local v
    for v in RA_TEST_S3_ENDPOINT RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY RA_TEST_S3_REGION RA_TEST_S3_BUCKET RA_TEST_S3_CEPH_CONF \
        RA_TEST_S3_STORE; do
        ra__save_env "$v" "${!v}"
    done
    ra__say "RGW on $endpoint (conf $conf)"
}

# ra_s3_curl [curl args...] URL: SigV4-signed curl with the test keys. curl 7.88 signs plain requests
# correctly but not query strings (use ra_aws for those).
ra_s3_curl() {
    curl -sS --aws-sigv4 "aws:amz:$RA_TEST_S3_REGION:s3" --user "$RA_TEST_S3_ACCESS_KEY:$RA_TEST_S3_SECRET_KEY" \
        -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

ra_s3_bucket() {
    local name=${1:?usage: ra_s3_bucket NAME} code
    code=$(ra_s3_curl -o "$RA_TEST_TMPDIR/.bucket.out" -w '%{http_code}' -X PUT "$RA_TEST_S3_ENDPOINT/$name") || code=000
    if [ "$code" != 200 ]; then
        ra__err "creating bucket '$name': HTTP $code $(cat "$RA_TEST_TMPDIR/.bucket.out" 2>/dev/null)"
        return 1
    fi
}

ra_aws() {
    env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_CA_BUNDLE \
        AWS_ACCESS_KEY_ID="$RA_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$RA_TEST_S3_SECRET_KEY" \
        AWS_DEFAULT_REGION="$RA_TEST_S3_REGION" AWS_CONFIG_FILE="$RA_TEST_TMPDIR/.aws-config" \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER= \
        "$RA_AWS" --endpoint-url "$RA_TEST_S3_ENDPOINT" "$@"
}

ra_need_s3() { [ -n "${RA_TEST_S3_ENDPOINT:-}" ] || ra_store_start; }

# ---------------------------------------------------------------------------------------------------------
# S3: the store matrix. RA_TEST_STORE=rgw (default) | moto picks the store ra_store_start (and so ra_need_s3)
# starts; every store exports the same RA_TEST_S3_* variables, plus RA_TEST_S3_STORE (its name).

# ra_store_start: start the store RA_TEST_STORE names
ra_store_start() {
    case "${RA_TEST_STORE:-rgw}" in
    rgw) ra_s3_start ;;
    moto) ra_moto_start ;;
    *)
        ra__err "RA_TEST_STORE='${RA_TEST_STORE}': unknown store (rgw or moto)"
        return 1
        ;;
    esac
}

# ra_store_is NAME: the store of this run (RA_TEST_S3_STORE, else RA_TEST_STORE) is NAME
ra_store_is() { [ "${RA_TEST_S3_STORE:-${RA_TEST_STORE:-rgw}}" = "$1" ]; }

# ra_store_skip STORE NAME REASON: on STORE, print NAME as skipped (REASON names the store) and succeed;
# elsewhere fail, so that `ra_store_skip moto NAME WHY || { the real case; }` runs the case everywhere else
ra_store_skip() {
    ra_store_is "$1" || return 1
    ra_skip "$2" "on $1: $3"
}

# ra_moto_python: a python3 that can run moto's server (PATH's python3, the project's .venv, Debian's); prints
# its path. RA_MOTO_PYTHON overrides the search.
ra_moto_python() {
    local py
    for py in ${RA_MOTO_PYTHON:-python3 "$RA_ROOT/.venv/bin/python3" /usr/bin/python3}; do
        command -v "$py" >/dev/null 2>&1 || continue
        # the interpreter itself, not a wrapper (pyenv's shim): its pid is the server's
        "$py" -c 'import sys, moto.server; print(sys.executable)' 2>/dev/null && return 0
    done
    return 1
}

# how to get moto, for the message of a run that cannot find it
RA_MOTO_HOWTO="install it with 'make deps' (a project venv .venv/ with moto[server]) or 'pip install \"moto[server]\"' \
for the python3 on PATH, or name a python3 that has it with RA_MOTO_PYTHON"

# ra_moto_start: moto's S3 server (python3 -m moto.server) on a free 127.0.0.1 port, and the bucket; exports the
# same RA_TEST_S3_* variables as ra_s3_start (RA_TEST_S3_CEPH_CONF empty). moto checks no signature: any keys
# work. Fails, saying how to install moto, when no python3 has it.
ra_moto_start() {
    local py d=$RA_TEST_TMPDIR/moto n=0 port try i pid endpoint
    if ! py=$(ra_moto_python); then
        ra__err "moto start failed: no python3 can import moto.server" \
            "(tried ${RA_MOTO_PYTHON:-python3, $RA_ROOT/.venv/bin/python3, /usr/bin/python3})"
        ra__err "$RA_MOTO_HOWTO"
        return 1
    fi
    while [ -e "$d" ]; do n=$((n + 1)); d=$RA_TEST_TMPDIR/moto.$n; done
    mkdir -p "$d" || return 1
    for try in 1 2 3; do
        port=$(ra_free_port) || return 1
        endpoint=http://127.0.0.1:$port
        : >"$d/moto.log"
        # started from inside $d (its cwd), so that ra_stop_dir can tell it is ours
        (cd "$d" && exec "$py" -m moto.server -H 127.0.0.1 -p "$port") >>"$d/moto.log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$d/moto.pid"
        ra__register moto "$d/moto.pid" "$d" "$port"
        for ((i = 0; i < 600; i++)); do
            curl -s -o /dev/null --max-time 2 "$endpoint/" && break
            [ -d "/proc/$pid" ] || break
            sleep 0.05
        done
        if curl -s -o /dev/null --max-time 2 "$endpoint/"; then break; fi
        if [ -d "/proc/$pid" ]; then
            ra__err "moto start failed: no answer on $endpoint within 30 s"
            ra__tail "$d/moto.log"
            return 1
        fi
        if ! grep -q 'Address already in use' "$d/moto.log"; then
            ra__err "moto start failed: $py exited"
            ra__tail "$d/moto.log"
            return 1
        fi
        ra__say "port $port was taken meanwhile, retrying"
    done
    [ -d "/proc/$pid" ] || { ra__err "moto start failed: no free port"; return 1; }
    RA_TEST_S3_ACCESS_KEY=${RA_TEST_S3_ACCESS_KEY:-$RA_TEST_S3_ACCESS_KEY_DEFAULT}
    RA_TEST_S3_SECRET_KEY=${RA_TEST_S3_SECRET_KEY:-$RA_TEST_S3_SECRET_KEY_DEFAULT}
    RA_TEST_S3_ENDPOINT=$endpoint
    RA_TEST_S3_BUCKET=${RA_TEST_S3_BUCKET:-ra-test}
    RA_TEST_S3_CEPH_CONF=
    RA_TEST_S3_STORE=moto
    RA_TEST_MOTO_PYTHON=$py
    export RA_TEST_S3_ENDPOINT RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY RA_TEST_S3_REGION RA_TEST_S3_BUCKET \
        RA_TEST_S3_CEPH_CONF RA_TEST_S3_STORE RA_TEST_MOTO_PYTHON
    if ! ra_s3_bucket "$RA_TEST_S3_BUCKET"; then
        ra__err "moto start failed: creating bucket '$RA_TEST_S3_BUCKET'"
        ra__tail "$d/moto.log"
        return 1
    fi
    local v
    for v in RA_TEST_S3_ENDPOINT RA_TEST_S3_ACCESS_KEY RA_TEST_S3_SECRET_KEY RA_TEST_S3_REGION RA_TEST_S3_BUCKET \
        RA_TEST_S3_CEPH_CONF RA_TEST_S3_STORE RA_TEST_MOTO_PYTHON; do
        ra__save_env "$v" "${!v}"
    done
    ra__say "moto on $endpoint ($py, $d)"
}

# ---------------------------------------------------------------------------------------------------------
# test cases: TAP-like lines, counted by tests/run.sh

ra_ok() { printf 'ok - %s\n' "$1"; }
ra_fail() {
    printf 'not ok - %s\n' "$1"
    shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
    RA__NFAIL=$((RA__NFAIL + 1))
    return 0
}
ra_skip() { printf 'ok - %s # SKIP %s\n' "$1" "${2:-}"; }
ra_assert_eq() {
    if [ "$2" = "$3" ]; then ra_ok "$1"; else ra_fail "$1" "expected: '$2'" "actual:   '$3'"; fi
}
# ra_check NAME CMD...: ok if CMD succeeds; else fail showing the end of its output
ra_check() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc = 0 ]; then ra_ok "$name"; else ra_fail "$name" "command failed (rc $rc): $*" "$(tail -n 15 <<<"$out")"; fi
}
ra_done() { [ "$RA__NFAIL" = 0 ]; }

# ---------------------------------------------------------------------------------------------------------

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # run as a program: `lib.sh stop DIR` stops what a run kept with RA_KEEP=1 (see contrib/demo.sh)
    if [ "${1:-}" = stop ] && [ -d "${2:-}" ]; then
        ra_stop_dir "$(cd "$2" && pwd)"
        exit 0
    fi
    echo "usage: . tests/harness/lib.sh   (or: tests/harness/lib.sh stop DIR)" >&2
    exit 2
fi

ra__init || { ra__err "cannot create a temp dir"; return 1; }
trap ra__on_exit EXIT
trap 'ra__on_signal INT' INT
trap 'ra__on_signal TERM' TERM
