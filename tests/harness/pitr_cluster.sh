# pitr_cluster.sh - the point-in-time cluster scenario that archive_cluster.sh and archive_failover.sh share.
# Source it after lib.sh and cluster.sh, then `ra_pitr_cluster NAME || exit 1`: the store's environment for
# instance it-NAME in a bucket of its own ($BUCKET), a real 3+3 cluster (M and R: masters and replicas in shard
# order), an empty server E (the restore target, H0 measured on it: ra_digest_h0), 300 keys, the source set to
# M[0], and TX the master of {tx}. Defines:
#   cli ARGS...       redis-cli on 127.0.0.1
#   owner KEY         the master that owns KEY's slot
#   batch N           a known batch of writes to every shard (redis-cli -c follows MOVED) and a MULTI/EXEC on the
#                     hash tag {tx} at its owner
#   sync_all          every master's replicas caught up
#   cluster_digest    the cluster's data as one server's DEBUG DIGEST (ra_cluster_digest; a replica's is its
#                     master's, so it holds across a failover)
cli() { redis-cli -h 127.0.0.1 "$@"; }

owner() {
    local p
    for p in "${M[@]}"; do
        [ "$(cli -p "$p" exists "$1" 2>&1 | grep -c MOVED)" = 0 ] && { echo "$p"; return; }
    done
}

batch() {
    local n=$1 k
    {
        for k in a b c d e f g h; do
            echo "SET $k:$n v$n"; echo "INCR cnt:$k"; echo "HSET h:$k f$n $n"; echo "RPUSH l:$k $n"
            echo "SET x:$k:$n v EX 100000"; echo "DEL $k:$((n - 2))"
        done
    } | cli -c -p "${M[0]}" >/dev/null
    printf 'MULTI\nINCR {tx}:n\nRPUSH {tx}:l %s\nHSET {tx}:h k%s %s\nEXEC\n' "$n" "$n" "$n" | cli -p "$TX" >/dev/null
}

sync_all() { local p; for p in "${M[@]}"; do ra_redis_sync_replicas "$p" >/dev/null || return 1; done; }

cluster_digest() { ra_cluster_digest "${M[@]}"; }

ra_pitr_cluster() {
    local name=${1:?usage: ra_pitr_cluster NAME}
    export AWS_ACCESS_KEY_ID=$RA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RA_TEST_S3_SECRET_KEY
    unset AWS_SESSION_TOKEN AWS_PROFILE REDISCLI_AUTH
    export REDIS_ARCHIVER_ENDPOINT=$RA_TEST_S3_ENDPOINT REDIS_ARCHIVER_REGION=$RA_TEST_S3_REGION
    export REDIS_ARCHIVER_PATH_STYLE=yes REDIS_ARCHIVER_INSTANCE=it-$name
    BUCKET=it-$name-$$
    ra_s3_bucket "$BUCKET" || { ra_fail "bucket $BUCKET"; return 1; }
    export REDIS_ARCHIVER_BUCKET=$BUCKET
    ra_cluster_start 3 || { ra_fail "cluster starts"; return 1; }
    read -r -a M <<<"$RA_TEST_CLUSTER_MASTERS"
    read -r -a R <<<"$RA_TEST_CLUSTER_REPLICAS"
    E=$(ra_redis_start "${name}empty") || { ra_fail "start the restore target"; return 1; }
    ra_cluster_fill 300 "$name:" || { ra_fail "cluster fill"; return 1; }
    export REDIS_ARCHIVER_SOURCE=redis://127.0.0.1:${M[0]}
    TX=$(owner '{tx}:n')
    ra_digest_h0 "$E" || { ra_fail "measure H0 of DEBUG DIGEST"; return 1; }
}
