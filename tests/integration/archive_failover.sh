#!/usr/bin/env bash
# archive_failover.sh: a cluster archive follows a failover of a shard, against real servers (a copy of
# archive_cluster.sh's scenario: 3 masters + 3 replicas, the writer, moments, the cluster digest). While
# `archive` runs, the replica one shard's stream is read from takes over its master (CLUSTER FAILOVER): it
# drops its replicas (us) and, a master now, is no source for a replica's stream. The archive asks the
# cluster again (its seed, a forwarder, is gone by then: it asks the node it read from) and resumes on the
# shard's new replica (the old master, which shares the history: PSYNC2 answers +CONTINUE with the new
# replication id): no gap, no new base. restore --at of moments before and after the failover gives their
# cluster digests. A shard's slot moved to another shard while its link is down ends the chain.
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$RA_HARNESS/cluster.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
. "$RA_HARNESS/pitr_cluster.sh"
ra_pitr_cluster afailover || exit 1

# the archive's seed is a forwarder to M[0], gone before the failover: the cluster is then asked through the
# node the stream was read from
SEED=$(ra_free_port)
python3 - "$SEED" "${M[0]}" <<'PY' &
import signal, socket, sys, threading
signal.alarm(600)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(16)
def pump(a, b):
    try:
        while (d := a.recv(65536)):
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
FPID=$!
for _ in $(seq 1 50); do cli -p "$SEED" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$SEED "$BIN" archive --segment-seconds 2 --quiet >"$T/archive.out" \
    2>"$T/archive.err" &
APID=$!
for _ in $(seq 1 600); do [ -s "$T/archive.out" ] && break; kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
base=$(head -1 "$T/archive.out")
if [ -n "$base" ] && kill -0 "$APID" 2>/dev/null; then
    ra_ok "archive of a cluster took base backup $base and goes on"
else
    ra_fail "archive of a cluster took its base backup" "$(tail -20 "$T/archive.err")"
    exit 1
fi
# shard 1's stream is read from its replica R[1] (one replica per shard: the plan picks it)
if grep -q "archive.start.*'127.0.0.1:${R[1]}'.*shard-1/" "$T/archive.err"; then
    ra_ok "shard 1's stream is read from its replica"
else
    ra_fail "shard 1's stream is read from its replica" "$(grep archive.start "$T/archive.err")"
fi

declare -a AT DIG
moment() {
    sync_all || ra_fail "replicas caught up before moment $1"
    sleep 2.5
    AT[$1]=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    DIG[$1]=$(cluster_digest)
    sleep 2.5
}
sleep 1
moment 0
for n in 1 2 3; do batch $n; done
moment 1

kill "$FPID"
wait "$FPID" 2>/dev/null
gone=0
cli -p "$SEED" ping >/dev/null 2>&1 || gone=1
ra_assert_eq "the archive's seed is gone" 1 "$gone"
# the failover: shard 1's replica (the node the archive reads from) becomes its master
cli -p "${R[1]}" cluster failover >"$T/failover.out" 2>&1
swapped=0
for _ in $(seq 1 300); do
    if [ "$(cli -p "${R[1]}" role | head -1)" = master ] && [ "$(cli -p "${M[1]}" role | head -1)" = slave ]; then
        swapped=1
        break
    fi
    sleep 0.1
done
ra_assert_eq "CLUSTER FAILOVER on shard 1's replica swaps the roles" 1 "$swapped" || cat "$T/failover.out"
OLD=${M[1]}
M[1]=${R[1]} # the masters, in shard order, from here on
R[1]=$OLD
ra_redis_wait_link "${R[1]}" 60 || ra_fail "the old master's link to the new one"
ra_cluster_wait_ok 60 || ra_fail "the cluster is ok after the failover"
TX=$(owner '{tx}:n')
for n in 4 5 6; do batch $n; sleep 0.5; done
moment 2
for n in $(seq 7 20); do batch $n; done
moment 3
batch 21
sleep 5 # a segment of every shard closes after the last moment

alive=0
kill -0 "$APID" 2>/dev/null && alive=1
ra_assert_eq "the archive goes on after the failover" 1 "$alive" || sed 's/^/#   /' "$T/archive.err" | tail -20
kill -TERM "$APID"
wait "$APID"
rc=$?
ra_assert_eq "archive of a cluster stops with exit 0 on SIGTERM" 0 "$rc" || sed 's/^/#   /' "$T/archive.err" | tail -20
if grep -q "archive.resumed.*partial resync from '127.0.0.1:${R[1]}'" "$T/archive.err"; then
    ra_ok "shard 1's stream resumed by partial resync on its new replica (the old master)"
else
    ra_fail "shard 1's stream resumed by partial resync on its new replica" \
        "$(grep -E 'archive\.(link|resumed|replid)' "$T/archive.err" | tail -8)"
fi
if grep -q 'archive.replid' "$T/archive.err"; then
    ra_ok "the new replication id of shard 1 follows the old one in its stream"
else
    ra_fail "the new replication id of shard 1 follows the old one" "$(grep -E 'archive\.' "$T/archive.err" | tail -8)"
fi
nbases=$(grep -cE '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$' "$T/archive.out")
ngaps=$(grep -c 'archive.gap' "$T/archive.err")
ra_assert_eq "no gap and no new base: one base, one chain" "1 0" "$nbases $ngaps"

if [ "$(printf '%s\n' "${DIG[@]}" | sort -u | wc -l)" = 4 ]; then
    ra_ok "the four moments have four different cluster digests"
else
    ra_fail "the four moments have four different cluster digests" "${DIG[*]}"
fi
for i in 0 1 2 3; do
    cli -p "$E" flushall >/dev/null
    "$BIN" restore latest --target "redis://127.0.0.1:$E" --at "${AT[$i]}" >"$T/restore$i.out" 2>"$T/restore$i.err"
    rc=$?
    got=$(ra_redis_digest "$E")
    when=before
    [ "$i" -ge 2 ] && when=after
    if [ "$rc" = 0 ] && [ "$got" = "${DIG[$i]}" ]; then
        ra_ok "restore --at moment $i ($when the failover) of the cluster into one server gives the moment's digest"
    else
        ra_fail "restore --at moment $i ($when the failover) of the cluster gives the moment's digest" \
            "rc $rc, digest $got, want ${DIG[$i]}: $(tail -5 "$T/restore$i.err")"
    fi
done

# the record of the base still names the node it was taken from
ra_aws s3 cp "s3://$BUCKET/redis-archiver/it-afailover/$base.json" "$T/record.json" >/dev/null 2>&1
node1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["shards"][1]["node"])' <"$T/record.json" 2>&1)
ra_assert_eq "the base's record keeps the node shard 1 was taken from" "127.0.0.1:${M[1]}" "$node1"

"$BIN" delete --force "$base" >"$T/delete.out" 2>"$T/delete.err" || ra_fail "delete the chain" "$(cat "$T/delete.err")"

# resharded while a shard's link is down: one of its (empty) slots moved to another shard, the stream cannot
# go on there, so the chain ends naming it (under schedule --continuous a new base follows)
"$BIN" archive --segment-seconds 2 --quiet --read-timeout 10s >"$T/archive2.out" 2>"$T/archive2.err" &
APID=$!
for _ in $(seq 1 1200); do
    [ "$(grep -c 'archive.start' "$T/archive2.err")" -ge 3 ] && break
    kill -0 "$APID" 2>/dev/null || break
    sleep 0.1
done
ra_assert_eq "the second archive streams every shard" 3 "$(grep -c 'archive.start' "$T/archive2.err")"
range=$(cli -p "${M[2]}" cluster nodes | awk '/myself/ {print $9}')
slot=${range#*-}
for _ in $(seq 1 100); do [ "$(cli -p "${M[2]}" cluster countkeysinslot "$slot")" = 0 ] && break; slot=$((slot - 1)); done
to=$(cli -p "${M[0]}" cluster myid)
for p in "${M[0]}" "${M[2]}" "${M[1]}" "${R[0]}" "${R[1]}" "${R[2]}"; do
    cli -p "$p" cluster setslot "$slot" node "$to" >/dev/null
done
ra_cluster_wait_ok 60 || ra_fail "the cluster is ok after moving slot $slot"
cli -p "${R[2]}" client kill type replica >/dev/null
for _ in $(seq 1 1200); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done # read-timeout 10s, load
kill -0 "$APID" 2>/dev/null && kill -TERM "$APID"
wait "$APID"
rc=$?
if [ "$rc" = 3 ] && grep -q "now belong to several shards" "$T/archive2.err"; then
    ra_ok "a shard's slots spread over two shards end the chain (exit 3), saying it was resharded"
else
    ra_fail "a shard's slots spread over two shards end the chain" "rc $rc: $(tail -5 "$T/archive2.err")"
fi
ra_done
