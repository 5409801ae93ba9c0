#!/usr/bin/env bash
# archive.sh: point in time against real servers. `archive` takes a base backup from the replica and then
# archives its replication stream in short segments while a writer applies a known sequence to the master
# (strings, lists, hashes, sets, sorted sets, streams, INCR, MULTI/EXEC blocks, EXPIRE/SET EX, databases 0
# and 3). The writer pauses at a few moments; each moment's time and DEBUG DIGEST are taken. After SIGTERM
# (which stores the open segment, exit 0), `restore latest --target URL --at MOMENT` into an empty server
# gives exactly that moment's digest. --at outside the archived range is refused naming the range;
# the replica link killed mid-archive is resumed with PSYNC <replid> <offset> (+CONTINUE) and
# restores after it still match; a forced full resync (the replica restarted empty) records the gap and
# starts a new chain, and moments on both sides of it restore; --output --at is refused; segments are whole objects with their offsets in the key;
# verify reads a chain (a flipped byte and a missing segment fail it, exit 5).
set -u
. "$(dirname "$0")/../harness/lib.sh"
ra_need_s3
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
cli() { redis-cli -h 127.0.0.1 "$@"; }

M=$(ra_redis_start amaster) || { ra_fail "start master"; exit 1; }
R=$(ra_redis_start areplica "replicaof 127.0.0.1 $M") || { ra_fail "start replica"; exit 1; }
E=$(ra_redis_start aempty) || { ra_fail "start the restore target"; exit 1; }
ra_redis_wait_link "$R" 60 || { ra_fail "replica link"; exit 1; }

export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:$R
export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-archive
BUCKET=it-archive-$$
ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; exit 1; }
export REDIS_ARCHIVER_BUCKET=$BUCKET

# a base the archive starts from
{
    echo "SET base:s hello"; echo "RPUSH base:l a b c"; echo "HSET base:h f v"; echo "SET base:ttl v EX 100000"
    echo "SELECT 3"; echo "SADD base:set x y z"
} | cli -p "$M" >/dev/null
ra_redis_sync_replicas "$M" || ra_fail "replica caught up"

# batch N: a known sequence of writes, every kind the stream carries
batch() {
    local n=$1
    {
        echo "SET s:$n v$n"; echo "INCR counter"; echo "APPEND s:$n -more"
        echo "RPUSH l:all $n $n$n"; echo "LPOP base:l"
        echo "HSET h:$n a $n b $((n * 2))"; echo "HINCRBY base:h n $n"
        echo "SADD set:all m$n"; echo "ZADD z:all $n m$n"; echo "ZINCRBY z:all 0.5 m1"
        echo "XADD st * n $n"
        echo "SET e:$n v EX 100000"; echo "SET p:$n v"; echo "EXPIRE p:$n 200000"; echo "PEXPIRE s:$n 300000000"
        echo "MULTI"; echo "INCR tx:count"; echo "RPUSH tx:list $n"; echo "HSET tx:h k$n $n"; echo "EXEC"
        echo "DEL s:$((n - 2))"
        echo "SELECT 3"; echo "SET d3:$n v$n"; echo "SADD base:set w$n"; echo "EXPIRE d3:$n 150000"
        echo "MULTI"; echo "INCR d3:tx"; echo "SREM base:set x"; echo "EXEC"
        echo "SELECT 0"
    } | cli -p "$M" >/dev/null
}

"$BIN" archive --segment-seconds 2 --quiet >"$T/archive.out" 2>"$T/archive.err" &
APID=$!
for _ in $(seq 1 300); do [ -s "$T/archive.out" ] && break; kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
base=$(head -1 "$T/archive.out")
if [ -n "$base" ] && kill -0 "$APID" 2>/dev/null; then
    ra_ok "archive took base backup $base and goes on"
else
    ra_fail "archive took its base backup" "$(cat "$T/archive.err")"
    exit 1
fi

# moments: pause the writer, wait for the stream to arrive, note time and digest, resume
declare -a AT DIG
moment() {
    ra_redis_sync_replicas "$M" >/dev/null || ra_fail "replica caught up before moment $1"
    sleep 2.5
    AT[$1]=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    DIG[$1]=$(ra_redis_digest "$M")
    sleep 2.5
}
sleep 1
moment 0
for n in 1 2 3 4 5; do batch $n; done
moment 1
for n in 6 7 8; do batch $n; sleep 0.7; done
# the link killed mid-archive: resumed by partial resync, no gap (restore checks the offsets)
cli -p "$R" client kill type replica >/dev/null
batch 9
moment 2
for n in $(seq 10 40); do batch $n; done
moment 3
batch 41
sleep 5 # a segment closes after the last moment, so the archive reaches past it
"$BIN" status >"$T/status.txt" 2>"$T/status.err"
if grep -A3 "^$base" "$T/status.txt" | grep -qE '^  archive: stream [0-9]+-[0-9]+ in [1-9][0-9]* segments, last [0-9]{20}-[0-9]{20} .*lag [0-9]+s' &&
    [ ! -s "$T/status.err" ]; then
    ra_ok "status shows the archive's range, last segment and lag"
else
    ra_fail "status shows the archive's range, last segment and lag" "$(cat "$T/status.txt" "$T/status.err")"
fi
if "$BIN" status --json 2>/dev/null | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["id"] == sys.argv[1]][0]["archive"]
assert r["segments"] >= 1 and r["from"] < r["to"] and 0 <= r["lag_seconds"] < 60 and r["lag_bytes"] >= 0, r
assert "shards" not in r, r
' "$base" 2>"$T/sjson.err"; then
    ra_ok "status --json gives the archive's range, segments and lag"
else
    ra_fail "status --json gives the archive's range, segments and lag" "$(cat "$T/sjson.err")"
fi

# a forced full resync: the replica restarts empty while the master takes writes, so its backlog no longer
# holds the archive's offset; the archive records the gap, takes a new base backup and goes on
RDIR=$(ra_redis_dir "$R")
cli -p "$R" shutdown nosave >/dev/null 2>&1
for _ in $(seq 1 100); do cli -p "$R" ping >/dev/null 2>&1 || break; sleep 0.1; done
rm -f "$RDIR/dump.rdb" # else it restarts with the replication id and offset saved in it, and continues
batch 42
batch 43
redis-server "$RDIR/redis.conf" >/dev/null || ra_fail "restart the replica"
ra_redis_wait_link "$R" 60 || ra_fail "the restarted replica's link"
ids() { grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$' "$T/archive.out"; }
for _ in $(seq 1 600); do [ "$(ids | wc -l)" -ge 2 ] && break; kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
base2=$(ids | sed -n 2p)
if [ -n "$base2" ] && [ "$base2" != "$base" ] && grep -q 'archive.gap' "$T/archive.err" && kill -0 "$APID" 2>/dev/null; then
    ra_ok "a full resync records the gap and starts a new chain ($base2)"
else
    ra_fail "a full resync records the gap and starts a new chain" "$(grep -E 'archive\.(gap|link)' "$T/archive.err" | tail -5)"
fi
batch 44
moment 4
sleep 5

kill -TERM "$APID"
wait "$APID"
rc=$?
ra_assert_eq "archive stops with exit 0 on SIGTERM" 0 "$rc" || sed 's/^/#   /' "$T/archive.err" | tail -20
if grep -q 'archive.segment' "$T/archive.err"; then
    ra_ok "segments were stored ($(grep -c 'archive.segment' "$T/archive.err"))"
else
    ra_fail "segments were stored" "$(tail -20 "$T/archive.err")"
fi
if grep -q 'archive.resumed' "$T/archive.err" && grep -q 'partial resync' "$T/archive.err"; then
    ra_ok "the killed link was resumed by partial resync"
else
    ra_fail "the killed link was resumed by partial resync" "$(grep archive.link "$T/archive.err" | tail -5)"
fi
ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archive/$base.seg/" >"$T/segs.txt" 2>&1
if grep -qE ' [0-9]{20}-[0-9]{20}$' "$T/segs.txt"; then
    ra_ok "segments are listed as <first>-<last> under the base backup"
else
    ra_fail "segments are listed under the base backup" "$(cat "$T/segs.txt")"
fi

if [ "$(printf '%s\n' "${DIG[@]}" | sort -u | wc -l)" = 5 ]; then
    ra_ok "the five moments have five different digests"
else
    ra_fail "the five moments have five different digests" "${DIG[*]}"
fi

# each moment restored into the empty server gives that moment's digest
for i in 0 1 2 3 4; do
    cli -p "$E" flushall >/dev/null
    "$BIN" restore latest --target "redis://127.0.0.1:$E" --at "${AT[$i]}" >"$T/restore$i.out" 2>"$T/restore$i.err"
    rc=$?
    got=$(ra_redis_digest "$E")
    if [ "$rc" = 0 ] && [ "$got" = "${DIG[$i]}" ]; then
        ra_ok "restore --at moment $i (${AT[$i]}) gives its digest"
    else
        ra_fail "restore --at moment $i (${AT[$i]}) gives its digest" \
            "rc $rc, digest $got, want ${DIG[$i]}: $(tail -5 "$T/restore$i.err")"
    fi
done

# outside the archived range: refused, naming the range
cli -p "$E" flushall >/dev/null
"$BIN" restore latest --target "redis://127.0.0.1:$E" --at 2001-01-01T00:00:00Z >/dev/null 2>"$T/before.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "outside the archived range" "$T/before.err" && grep -q "$base" "$T/before.err"; then
    ra_ok "--at before the archive is refused, naming the range"
else
    ra_fail "--at before the archive is refused, naming the range" "rc $rc: $(cat "$T/before.err")"
fi
"$BIN" restore latest --target "redis://127.0.0.1:$E" --at now >/dev/null 2>"$T/after.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "outside the archived range" "$T/after.err"; then
    ra_ok "--at now after the archive stopped is refused"
else
    ra_fail "--at now after the archive stopped is refused" "rc $rc: $(cat "$T/after.err")"
fi
"$BIN" restore latest --output "$T/x.rdb" --at "${AT[1]}" >/dev/null 2>"$T/output.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "not supported" "$T/output.err" && [ ! -e "$T/x.rdb" ]; then
    ra_ok "--output --at is refused as not supported"
else
    ra_fail "--output --at is refused as not supported" "rc $rc: $(cat "$T/output.err")"
fi
[ "$(cli -p "$E" dbsize)" = 0 ] && ra_ok "refused restores wrote nothing" || ra_fail "refused restores wrote nothing"

# verify reads the chain too: every segment whole (its crc64), of this chain, continuous from the base's offset
out=$("$BIN" verify "$base" 2>"$T/verify.err")
rc=$?
if [ "$rc" = 0 ] && grep -qE '^  archive verified: [1-9][0-9]* segments, stream [0-9]+-[0-9]+ \([0-9]+ bytes, [1-9][0-9]* commands\)' <<<"$out"; then
    ra_ok "verify reads the base's archive: every segment whole and continuous"
else
    ra_fail "verify reads the base's archive" "rc $rc: $out $(cat "$T/verify.err")"
fi
if "$BIN" verify "$base" --json 2>/dev/null | python3 -c '
import json, sys
a = json.load(sys.stdin)["archive"]
assert a["segments"] >= 1 and a["last"] > a["first"] and a["commands"] > 0 and a["from"] < a["to"], a'; then
    ra_ok "verify --json gives the archive's segments, offsets, commands and range"
else
    ra_fail "verify --json gives the archive's segments, offsets, commands and range"
fi
SEGDIR="s3://$BUCKET/redis-archiver/it-archive/$base.seg"
seg=$(ra_aws s3 ls "$SEGDIR/" 2>/dev/null | awk '{ print $4 }' | awk -F- '$1 != $2' | sed -n 2p)
ra_aws s3 cp "$SEGDIR/$seg" "$T/seg.good" >/dev/null 2>&1
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-1] ^= 0x20
open(sys.argv[2], "wb").write(d)' "$T/seg.good" "$T/seg.bad"
ra_aws s3 cp "$T/seg.bad" "$SEGDIR/$seg" >/dev/null 2>&1
"$BIN" verify "$base" >/dev/null 2>"$T/verify2.err"
rc=$?
if [ "$rc" = 5 ] && grep -q "damaged" "$T/verify2.err" && grep -q "$seg" "$T/verify2.err"; then
    ra_ok "a segment with a flipped byte fails verify (exit 5), named"
else
    ra_fail "a segment with a flipped byte fails verify (exit 5), named" "rc $rc: $(cat "$T/verify2.err")"
fi
ra_aws s3 rm "$SEGDIR/$seg" >/dev/null 2>&1
"$BIN" verify "$base" >/dev/null 2>"$T/verify3.err"
rc=$?
if [ "$rc" = 5 ] && grep -q "the archive has a gap" "$T/verify3.err"; then
    ra_ok "a missing segment fails verify (exit 5): the gap is named"
else
    ra_fail "a missing segment fails verify (exit 5): the gap is named" "rc $rc: $(cat "$T/verify3.err")"
fi

# a base backup and its segments are one chain: deleting the base deletes its archive
"$BIN" delete "$base" >"$T/delete.out" 2>"$T/delete.err"
rc=$?
left=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archive/$base.seg/" 2>/dev/null | wc -l)
kept=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archive/$base2.seg/" 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$left" = 0 ] && [ "$kept" -gt 0 ]; then
    ra_ok "delete of a base backup deletes its segments, not the other chain's"
else
    ra_fail "delete of a base backup deletes its segments" "rc $rc, $left left, $kept in the other chain: $(cat "$T/delete.err")"
fi

# a chain whose base backup the lifecycle rule expired (its record and object gone, the segments untagged):
# the next backup's retention pass deletes the segments and state; a chain whose base is there is untouched
segs() { ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archive/$1.seg/" 2>/dev/null | wc -l; }
"$BIN" backup --quiet --retention-keep 1 >/dev/null 2>"$T/orph1.err"
rc=$?
n2=$(segs "$base2")
if [ "$rc" = 0 ] && [ "$n2" -gt 0 ] && ! grep -q 'archive.orphans' "$T/orph1.err"; then
    ra_ok "a backup leaves the archive of a base that is there"
else
    ra_fail "a backup leaves the archive of a base that is there" "rc $rc, $n2 segments: $(cat "$T/orph1.err")"
fi
# retention-keep 1: the base is not the newest, but its chain was written within the retention days
tag=$(ra_aws s3api get-object-tagging --bucket "$BUCKET" --key "redis-archiver/it-archive/$base2.rdb" \
    --query 'TagSet[0].Value' --output text 2>&1)
ra_assert_eq "the base of a recently written chain stays tagged keep (not only the newest 1)" keep "$tag"
ra_aws s3 rm "s3://$BUCKET/redis-archiver/it-archive/$base2.json" >/dev/null 2>&1
ra_aws s3 rm "s3://$BUCKET/redis-archiver/it-archive/$base2.rdb" >/dev/null 2>&1
"$BIN" backup --quiet >/dev/null 2>"$T/orph2.err"
rc=$?
n2=$(segs "$base2")
st=$(ra_aws s3 ls "s3://$BUCKET/redis-archiver/it-archive/$base2.archive" 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$n2" = 0 ] && [ "$st" = 0 ] && grep -q 'archive.orphans' "$T/orph2.err"; then
    ra_ok "the archive of a base the rule expired is deleted by the next backup"
else
    ra_fail "the archive of a base the rule expired is deleted by the next backup" \
        "rc $rc, $n2 segments, state $st: $(grep -v '^$' "$T/orph2.err" | tail -5)"
fi

ra_done
