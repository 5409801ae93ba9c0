# tests/harness/cluster.sh: a real Redis Cluster on 127.0.0.1 for the tests that need one. Source it after lib.sh.
#
#   ra_cluster_start [NMASTERS]   NMASTERS masters (3) + one replica each, made with `redis-cli --cluster create`;
#                                 waits for cluster_state:ok on every node and every replica's link up. Exports
#                                 RA_TEST_CLUSTER_MASTERS and RA_TEST_CLUSTER_REPLICAS: ports, shard order (the
#                                 replica at position i replicates the master at position i)
#   ra_cluster_fill N [PFX]       N keys of mixed types (fill.py), each sent to the master owning its slot; then
#                                 waits for every replica to catch up
#   ra_cluster_wait_ok [TIMEOUT]  cluster_state:ok on every node, every replica's link up, no sync in progress
#   ra_cluster_slot KEY           the hash slot of KEY (CRC16 mod 16384, hash tags honoured)
#
# The servers are registered like every other fixture (ra__register), so the exit trap stops them.

[ -n "${RA__CLUSTER_LOADED:-}" ] && return 0
RA__CLUSTER_LOADED=1

# ra__cluster_nodes_up PORT...: every node says cluster_state:ok and sees as many replicas as masters (gossip
# has settled); every replica has its link up and no sync in progress
ra__cluster_nodes_up() {
    local p info nodes
    for p in "$@"; do
        info=$(ra__rcli -p "$p" cluster info 2>/dev/null | tr -d '\r') || return 1
        grep -qx 'cluster_state:ok' <<<"$info" || return 1
        nodes=$(ra__rcli -p "$p" cluster nodes 2>/dev/null) || return 1
        [ "$(awk '$3 ~ /(^|,)slave(,|$)/' <<<"$nodes" | wc -l)" = $(($# / 2)) ] || return 1
        [ "$(awk '$3 ~ /fail|handshake|noaddr/' <<<"$nodes" | wc -l)" = 0 ] || return 1
        info=$(ra__rcli -p "$p" info replication 2>/dev/null | tr -d '\r') || return 1
        if grep -qx 'role:slave' <<<"$info"; then
            grep -qx 'master_link_status:up' <<<"$info" || return 1
            grep -qx 'master_sync_in_progress:0' <<<"$info" || return 1
        fi
    done
    return 0
}

ra_cluster_wait_ok() {
    local timeout=${1:-60} i
    for ((i = 0; i < timeout * 10; i++)); do
        ra__cluster_nodes_up $RA_TEST_CLUSTER_MASTERS $RA_TEST_CLUSTER_REPLICAS && return 0
        sleep 0.1
    done
    ra__err "cluster not ok after ${timeout}s"
    local p
    for p in $RA_TEST_CLUSTER_MASTERS $RA_TEST_CLUSTER_REPLICAS; do
        ra__err "node $p: $(ra__rcli -p "$p" cluster info 2>&1 | tr -d '\r' | grep cluster_state)"
    done
    return 1
}

ra_cluster_start() {
    local n=${1:-3} i port bus ports=() addrs=() out masters="" replicas="" r
    for ((i = 0; i < 2 * n; i++)); do
        # the cluster bus gets its own free port (by default it is port + 10000, outside the free range)
        bus=$(ra_free_port) || return 1
        port=$(ra__redis_launch "cnode$i" "" "cluster-enabled yes" "cluster-config-file nodes.conf" \
            "cluster-port $bus" "cluster-node-timeout 3000" "cluster-require-full-coverage yes") || return 1
        ports+=("$port")
        addrs+=("127.0.0.1:$port")
    done
    if ! out=$(redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes 2>&1); then
        ra__err "redis-cli --cluster create failed: $out"
        return 1
    fi
    # shard order: each master, and the replica that replicates it (from the masters' INFO replication)
    for port in "${ports[@]}"; do
        [ "$(ra__rcli -p "$port" role | head -1)" = master ] || continue
        r=""
        for ((i = 0; i < 300; i++)); do
            r=$(ra__rcli -p "$port" info replication | tr -d '\r' | sed -n 's/^slave0:.*,port=\([0-9]*\),.*/\1/p')
            [ -n "$r" ] && break
            sleep 0.1
        done
        [ -n "$r" ] || { ra__err "master $port got no replica"; return 1; }
        masters="$masters${masters:+ }$port"
        replicas="$replicas${replicas:+ }$r"
    done
    RA_TEST_CLUSTER_MASTERS=$masters
    RA_TEST_CLUSTER_REPLICAS=$replicas
    export RA_TEST_CLUSTER_MASTERS RA_TEST_CLUSTER_REPLICAS
    ra_cluster_wait_ok 60
}

ra_cluster_slot() {
    "$RA_PY" - "$1" <<'PY'
import sys
def crc16(b):
    crc = 0
    for x in b:
        crc ^= x << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc
k = sys.argv[1].encode()
s = k.find(b"{")
if s >= 0:
    e = k.find(b"}", s + 1)
    if e > s + 1:
        k = k[s + 1:e]
print(crc16(k) % 16384)
PY
}

# ra_cluster_fill N [PREFIX]: fill.py's commands routed by slot to the masters (CLUSTER NODES of the first)
ra_cluster_fill() {
    local n=${1:?usage: ra_cluster_fill N [PREFIX]} prefix=${2:-k} dir port out first
    dir=$(mktemp -d "$RA_TEST_TMPDIR/fill.XXXXXX") || return 1
    first=${RA_TEST_CLUSTER_MASTERS%% *}
    "$RA_PY" "$RA_HARNESS/fill.py" "$n" "$prefix" | "$RA_PY" "$RA_HARNESS/cluster_route.py" "$dir" "$first" ||
        return 1
    for f in "$dir"/*.resp; do
        port=$(basename "$f" .resp)
        out=$(ra__rcli -p "$port" --pipe <"$f" 2>&1)
        if ! grep -q 'errors: 0,' <<<"$out"; then
            ra__err "filling port $port failed: $out"
            return 1
        fi
    done
    rm -rf "$dir"
    for port in $RA_TEST_CLUSTER_MASTERS; do ra_redis_sync_replicas "$port" || return 1; done
}

# ra_cluster_manual NAME N: N masters without replicas made by hand (redis-cli --cluster create wants three),
# the slots split evenly, prints their ports once every node says cluster_state:ok
ra_cluster_manual() {
    local name=${1:?usage: ra_cluster_manual NAME N} n=${2:?usage: ra_cluster_manual NAME N} i bus ports=() buses=() ok
    for ((i = 0; i < n; i++)); do
        bus=$(ra_free_port) || return 1
        ports+=("$(ra_redis_start "$name$i" "cluster-enabled yes" "cluster-config-file nodes.conf" \
            "cluster-port $bus" "cluster-node-timeout 3000")") || return 1
        buses+=("$bus")
    done
    for ((i = 0; i < n; i++)); do
        ra__rcli -p "${ports[$i]}" cluster addslotsrange $((16384 * i / n)) $((16384 * (i + 1) / n - 1)) >/dev/null
        [ "$i" = 0 ] || ra__rcli -p "${ports[0]}" cluster meet 127.0.0.1 "${ports[$i]}" "${buses[$i]}" >/dev/null
    done
    for ((i = 0; i < 150; i++)); do
        ok=0
        for p in "${ports[@]}"; do ra__rcli -p "$p" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
        [ "$ok" = "$n" ] && { echo "${ports[*]}"; return 0; }
        sleep 0.2
    done
    ra__err "the cluster made by hand ($name) is not ok"
    return 1
}

# ra_digest_h0 EMPTY_PORT: measure H0, the part of a server's DEBUG DIGEST that db 0 mixes in (leaves the
# server empty); ra_cluster_digest then gives a cluster's DEBUG DIGEST as one server's of the same keys.
ra_digest_h0() {
    local p=${1:?usage: ra_digest_h0 EMPTY_PORT} d1 d2 d3
    d1=$(ra__rcli -p "$p" set h0:a 1 >/dev/null; ra_redis_digest "$p")
    d2=$(ra__rcli -p "$p" flushall >/dev/null; ra__rcli -p "$p" set h0:b 2 >/dev/null; ra_redis_digest "$p")
    d3=$(ra__rcli -p "$p" set h0:a 1 >/dev/null; ra_redis_digest "$p")
    ra__rcli -p "$p" flushall >/dev/null
    # D({a}) ^ D({b}) ^ D({a, b}) = H0
    RA_DIGEST_H0=$("$RA_PY" -c 'import sys; print("%040x" % (int(sys.argv[1], 16) ^ int(sys.argv[2], 16) ^ int(sys.argv[3], 16)))' "$d1" "$d2" "$d3")
    export RA_DIGEST_H0
}

# ra_cluster_digest PORT...: the nodes' DEBUG DIGEST as one server's of the same keys in db 0. Each node's is
# H0 XOR its keys' digests, so the XOR of the nodes' (each must hold keys), with H0 once more when their
# count is even, is that server's. Needs ra_digest_h0 first.
ra_cluster_digest() {
    local p ds=""
    for p in "$@"; do ds="$ds $(ra_redis_digest "$p")"; done
    "$RA_PY" - "${RA_DIGEST_H0:?ra_digest_h0 first}" $ds <<'PY'
import sys
h0, ds = int(sys.argv[1], 16), sys.argv[2:]
x = 0
for d in ds:
    x ^= int(d, 16)
print("%040x" % (x ^ (h0 if len(ds) % 2 == 0 else 0)))
PY
}
