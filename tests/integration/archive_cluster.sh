#!/usr/bin/env bash
# archive_cluster.sh: point in time on a Redis Cluster, against real servers. `archive` given a node of a 3
# masters + 3 replicas cluster takes one base backup of every shard (from the replicas, all or nothing) and
# then archives every shard's replication stream as a chain of its own under "<base>.seg/shard-<n>/", in
# parallel. A writer applies known writes to every shard (strings, hashes, lists, INCR, EXPIRE, MULTI/EXEC
# on one hash tag) and pauses at moments; each moment's cluster digest (its masters' DEBUG DIGEST combined
# into the DEBUG DIGEST of the same keys in one server's db 0: ra_cluster_digest) is noted. `restore latest
# --target STANDALONE --at MOMENT` restores every shard's base and replays every shard's stream to that
# moment: the server's digest equals the moment's; into a cluster of two masters (every shard's stream
# routed by slot) its digest does. One shard's link killed mid-archive is resumed by partial
# resync; shards whose base came first keep their links alive (read, acknowledged) while a late shard's comes,
# the writes meanwhile restored with the rest; a full resync of one shard ends the chain (the gap recorded) and a new base of every shard starts
# the next, a moment after it restoring too. status and list show the chain as one (3 shards, its range);
# delete removes every shard's segments.
set -u
. "$(dirname "$0")/../harness/lib.sh"
. "$RA_HARNESS/cluster.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
. "$RA_HARNESS/pitr_cluster.sh"
ra_pitr_cluster acluster || exit 1

# shard 0's replica starts its RDB 3 s late (diskless sync delay) while a writer runs: the other shards' RDBs
# are in meanwhile, and their links, kept alive, read what the writer sends (archive.hold)
cli -p "${R[0]}" config set repl-diskless-sync yes >/dev/null
cli -p "${R[0]}" config set repl-diskless-sync-delay 3 >/dev/null
"$BIN" archive --segment-seconds 2 --quiet >"$T/archive.out" 2>"$T/archive.err" &
APID=$!
n=100
for _ in $(seq 1 600); do
    [ -s "$T/archive.out" ] && break
    kill -0 "$APID" 2>/dev/null || break
    batch $n
    n=$((n + 1))
    sleep 0.1
done
base=$(head -1 "$T/archive.out")
cli -p "${R[0]}" config set repl-diskless-sync-delay 0 >/dev/null
if [ -n "$base" ] && kill -0 "$APID" 2>/dev/null; then
    ra_ok "archive of a cluster took base backup $base and goes on"
else
    ra_fail "archive of a cluster took its base backup" "$(tail -20 "$T/archive.err")"
    exit 1
fi
nstart=$(grep -c 'archive.start' "$T/archive.err")
ra_assert_eq "one archive per shard started" 3 "$nstart"
held=$(grep -c '"archive.hold".*shard [12]: [1-9][0-9]* bytes' "$T/archive.err")
if [ "$held" -ge 1 ]; then ra_ok "shards whose RDB came first read their stream while shard 0's came ($held held)"
else ra_fail "shards whose RDB came first read their stream while shard 0's came" "$(grep -E 'hold|backup.shard' "$T/archive.err")"; fi

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
# one shard's link killed: resumed by partial resync, no gap (restore checks every shard's offsets)
cli -p "${R[1]}" client kill type replica >/dev/null
for n in 4 5 6; do batch $n; sleep 0.5; done
moment 2
for n in $(seq 7 20); do batch $n; done
moment 3
batch 21
sleep 5 # a segment of every shard closes after the last moment

"$BIN" status >"$T/status.txt" 2>"$T/status.err"
if grep -A5 "^$base" "$T/status.txt" | grep -qE '^  archive: 3 shards, [0-9]+ bytes of their streams in [1-9][0-9]* segments, every shard stored to .*lag [0-9]+s'; then
    ra_ok "status shows the chain of 3 shards, how far every shard is stored and the lag"
else
    ra_fail "status shows the chain of 3 shards" "$(cat "$T/status.txt" "$T/status.err")"
fi
if "$BIN" status --json 2>/dev/null | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["id"] == sys.argv[1]][0]["archive"]
assert r["shards"] == 3 and r["segments"] >= 3 and 0 <= r["lag_seconds"] < 60, r
' "$base" 2>"$T/sjson.err"; then
    ra_ok "status --json gives the cluster chain's shards, segments and lag"
else
    ra_fail "status --json gives the cluster chain's shards, segments and lag" "$(cat "$T/sjson.err")"
fi
if "$BIN" list --json 2>/dev/null | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["id"] == sys.argv[1]][0]
assert r["archive_first"] < r["archive_last"], r
' "$base" 2>"$T/list.err"; then
    ra_ok "list --json gives the chain's range (archive_first < archive_last)"
else
    ra_fail "list --json gives the chain's range" "$(cat "$T/list.err")"
fi

# a forced full resync of one shard (its replica restarts empty while its master takes writes): the gap is
# recorded, the whole chain ends and a new base of every shard starts the next
RDIR=$(ra_redis_dir "${R[2]}")
cli -p "${R[2]}" shutdown nosave >/dev/null 2>&1
for _ in $(seq 1 100); do cli -p "${R[2]}" ping >/dev/null 2>&1 || break; sleep 0.1; done
rm -f "$RDIR/dump.rdb"
batch 22
batch 23
redis-server "$RDIR/redis.conf" >/dev/null || ra_fail "restart shard 2's replica"
ra_redis_wait_link "${R[2]}" 60 || ra_fail "the restarted replica's link"
ra_cluster_wait_ok 60 || ra_fail "the cluster is ok again"
ids() { grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$' "$T/archive.out"; }
for _ in $(seq 1 900); do [ "$(ids | wc -l)" -ge 2 ] && break; kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
base2=$(ids | sed -n 2p)
if [ -n "$base2" ] && [ "$base2" != "$base" ] && grep -q 'archive.gap.*shard 2' "$T/archive.err" && kill -0 "$APID" 2>/dev/null; then
    ra_ok "a full resync of one shard records the gap and starts a new chain of every shard ($base2)"
else
    ra_fail "a full resync of one shard records the gap and starts a new chain" \
        "$(grep -E 'archive\.(gap|link)|error' "$T/archive.err" | tail -5)"
fi
sleep 3
batch 24
moment 4
sleep 3

kill -TERM "$APID"
wait "$APID"
rc=$?
ra_assert_eq "archive of a cluster stops with exit 0 on SIGTERM" 0 "$rc" || sed 's/^/#   /' "$T/archive.err" | tail -20
if grep -q 'archive.resumed' "$T/archive.err"; then
    ra_ok "the killed shard link was resumed by partial resync"
else
    ra_fail "the killed shard link was resumed by partial resync" "$(grep archive.link "$T/archive.err" | tail -5)"
fi
ra_aws s3 ls --recursive "s3://$BUCKET/redis-archiver/it-acluster/$base.seg/" >"$T/segs.txt" 2>&1
shards=$(grep -oE "$base\.seg/shard-[0-9]+/[0-9]{20}-[0-9]{20}$" "$T/segs.txt" | sed 's#.*seg/\(shard-[0-9]*\)/.*#\1#' | sort -u | tr '\n' ' ')
ra_assert_eq "every shard's segments are under <base>.seg/shard-<n>/" "shard-0 shard-1 shard-2 " "$shards"

if [ "$(printf '%s\n' "${DIG[@]}" | sort -u | wc -l)" = 5 ]; then
    ra_ok "the five moments have five different cluster digests"
else
    ra_fail "the five moments have five different cluster digests" "${DIG[*]}"
fi
for i in 0 1 2 3 4; do
    cli -p "$E" flushall >/dev/null
    "$BIN" restore latest --target "redis://127.0.0.1:$E" --at "${AT[$i]}" >"$T/restore$i.out" 2>"$T/restore$i.err"
    rc=$?
    got=$(ra_redis_digest "$E")
    if [ "$rc" = 0 ] && [ "$got" = "${DIG[$i]}" ]; then
        ra_ok "restore --at moment $i (${AT[$i]}) of the cluster into one server gives the moment's digest"
    else
        ra_fail "restore --at moment $i (${AT[$i]}) of the cluster gives the moment's digest" \
            "rc $rc, digest $got, want ${DIG[$i]}: $(tail -5 "$T/restore$i.err")"
    fi
done

# into a cluster of another shape (two masters, made by hand): every shard's stream routed by slot
read -r -a N <<<"$(ra_cluster_manual actwo 2)"
ra_assert_eq "the two-master target cluster is ok" 2 "${#N[@]}"
out=$("$BIN" restore latest --target "redis://127.0.0.1:${N[0]}" --at "${AT[2]}" --json 2>"$T/c2.err")
rc=$?
got=$(ra_cluster_digest "${N[@]}")
if [ "$rc" = 0 ] && [ "$got" = "${DIG[2]}" ]; then
    ra_ok "restore --at moment 2 into a cluster of two masters gives the moment's digest"
else
    ra_fail "restore --at moment 2 into a cluster of two masters gives the moment's digest" \
        "rc $rc, digest $got, want ${DIG[2]}: $(tail -5 "$T/c2.err")"
fi
check=$(python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["shards"], j["offset"], j["replayed"] > 0, j["replay_errors"])' <<<"$out" 2>&1)
ra_assert_eq "--json of a cluster chain's restore: 3 shards, offset -1, commands replayed, no error" "3 -1 True 0" "$check"

cli -p "$E" flushall >/dev/null
"$BIN" restore latest --target "redis://127.0.0.1:$E" --at 2001-01-01T00:00:00Z >/dev/null 2>"$T/before.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "outside the archived range" "$T/before.err" && grep -q "$base" "$T/before.err"; then
    ra_ok "--at before the cluster chain is refused, naming its range"
else
    ra_fail "--at before the cluster chain is refused, naming its range" "rc $rc: $(cat "$T/before.err")"
fi

out=$("$BIN" verify "$base" 2>"$T/verify.err")
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -cE '^  archive verified: [1-9][0-9]* segments' <<<"$out")" = 3 ] &&
    "$BIN" verify "$base" --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 3 and all(x["archive"]["segments"] >= 1 and x["archive"]["commands"] > 0 for x in s), s'; then
    ra_ok "verify reads every shard's stream of the cluster chain (text and --json)"
else
    ra_fail "verify reads every shard's stream of the cluster chain" "rc $rc: $out $(cat "$T/verify.err")"
fi

"$BIN" delete --force "$base" >"$T/delete.out" 2>"$T/delete.err"
rc=$?
left=$(ra_aws s3 ls --recursive "s3://$BUCKET/redis-archiver/it-acluster/$base" 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$left" = 0 ]; then
    ra_ok "delete of the cluster base removes every shard's segments and the states"
else
    ra_fail "delete of the cluster base removes every shard's segments" "rc $rc, $left left: $(cat "$T/delete.err")"
fi
ra_done
