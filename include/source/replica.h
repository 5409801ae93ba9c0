/* replica.h - the source: a full RDB from a Redis replica through REPLCONF + PSYNC, verified as it
 * flows (magic, EOF opcode, CRC-64) and pushed into a sink. Knows nothing of S3. */
#ifndef RA_SOURCE_REPLICA_H
#define RA_SOURCE_REPLICA_H

#include <signal.h>

#include "common/err.h"
#include "common/log.h"
#include "pipeline/sink.h"
#include "source/net.h"

/* Permissions. AUTH needs none. The minimal ACL on the source server, measured against Redis 7.0:
 *     ACL SETUSER backup on >secret -@all +psync +replconf +info
 * +info runs INFO server (redis_version) and INFO replication (role, master_link_status, the
 * replicas of a master). +role can replace +info (then the version is unknown and the link state
 * comes from ROLE). +sync can replace +psync (SYNC fallback: no replid/offset). Without +replconf
 * we stop at REPLCONF: PSYNC would still succeed and make us a real, streaming replica. Errors
 * name the command that was refused and this minimal set.
 *
 * The sink is driven from the calling thread: begin exactly once, when the payload header
 * ($<len> / $EOF:) is known and before the first byte, then write with each span as it arrives
 * from the socket (up to 1 MiB, already checked against the RDB magic; the EOF mark is never
 * passed). While write runs nothing reads the socket: a diskless replica drops a reader that
 * stalls for repl-timeout (60 s default), so the sink's own stall limit must stay below that.
 * Writes on a closed socket return EPIPE (MSG_NOSIGNAL); TLS writes go through OpenSSL, so the
 * process should ignore SIGPIPE (curl needs that too). */
typedef struct ra_replica ra_replica;

/* Credentials and announced replicas (faults.md R9). A master lists its replicas in INFO
 * replication as each replica announced itself (REPLCONF listening-port / ip-address): any client
 * allowed to run PSYNC can appear there. So with pick_replica and a password, the replica picked
 * must be on the master's own host (the URL's host, compared as text) or in replica_allow;
 * otherwise we refuse, naming it, before anything is sent to it. Without a password nothing
 * secret is sent and the pick is as before. Replicas that Sentinels report are trusted as the
 * Sentinels are (the operator named those). */

/* Hostile or broken peers are bounded (faults.md R12, R13, R20): each handshake reply must be
 * whole within read_timeout_ms in total, and a server gets a fixed handful of commands, so the
 * handshake is bounded too; handshake replies have element and size limits (source/resp.h);
 * keep-alives before the payload last at most sync_timeout_ms; once the payload started, each
 * read_timeout_ms of waiting must bring RA_PAYLOAD_MIN_BYTES (source/payload.h). */

typedef struct ra_replica_opts {
    const char *url;            /* redis://[user[:password]@]host:port, rediss://... (common/url.h) */
    const char *password;       /* used when the URL carries none (the caller reads REDISCLI_AUTH);
                                   NULL or "": none. The source reads no environment variable. */
    const char *tls_ca_file;    /* rediss: CA bundle, NULL = system */
    const char *tls_cert_file;  /* client certificate, optional */
    const char *tls_key_file;
    const char *tls_sni;        /* NULL = host from the URL */
    int tls_insecure;           /* 1: skip certificate verification (warns) */
    int allow_master;           /* 1: accept a master as the source */
    int pick_replica;           /* 1: given a master, sync from its healthiest replica; with a
                                   password, only one on the master's own host (as the URL names
                                   it) or in replica_allow (see above) */
    const char *replica_allow;  /* "host,host:port,[v6]:port": replicas that a master announces
                                   and that may get the source credentials with pick_replica */
    int allow_unchecked_rdb;    /* 1: accept an rdb whose checksum field is 0 (rdbchecksum no);
                                   ra_replica_rdb_unchecked then says so. 0: RA_E_VERIFY */
    const char *sentinel_master; /* non-empty: url names Sentinels (source/sentinel.h); sync from
                                    the healthiest replica of this master (implies pick_replica) */
    long connect_timeout_ms;    /* 0 = RA_CONNECT_TIMEOUT_MS_DEFAULT */
    long read_timeout_ms;       /* no byte for this long (keep-alives count) fails, and each
                                   handshake reply must be whole within it in total;
                                   0 = RA_READ_TIMEOUT_MS_DEFAULT */
    long sync_timeout_ms;       /* the RDB must start within this (keep-alives only until then);
                                   0 = RA_SYNC_TIMEOUT_MS_DEFAULT */
    int allow_migrating;        /* cluster: accept moving or uncovered slots (source/clusterscan.h) */
    const char *node_host;      /* non-NULL: connect to this node (a cluster node picked by
                                   source/clusterscan.h) instead of the url's host(s); the url
                                   still gives credentials and TLS */
    int node_port;
    int keep_stream;            /* 1 (archive): no rdb-only; after the RDB the link stays open as a
                                   replica's, for ra_replica_take_stream */
    volatile sig_atomic_t *cancel; /* non-zero -> stop with RA_E_CANCELLED */
    const ra_log *log;
} ra_replica_opts;

/* What the server said before the payload. */
typedef struct ra_replica_info {
    char role[16];           /* "slave"/"master" from ROLE/INFO */
    char redis_version[32];
    char host[256];          /* the server actually synced from (may differ with pick_replica) */
    int port;
    int cluster;             /* the url named a cluster node (INFO server redis_mode:cluster) and no
                                node_host was given: no role was checked, back up every shard */
} ra_replica_info;

/* Connect, authenticate, check the role (refuse a master unless allowed, naming its replicas;
 * with pick_replica move to the online replica with the least lag; refuse a replica whose master
 * link is down). Several hosts in the url without sentinel_master: the first that answers, which
 * must be a cluster node. A cluster node without node_host: info->cluster is set and nothing is
 * checked. Password: the URL's, else opts->password. NULL with err
 * set: RA_E_USAGE for a bad URL or TLS file, RA_E_SOURCE otherwise. Caller frees with
 * ra_replica_free. opts and its strings are copied. */
ra_replica *ra_replica_connect(const ra_replica_opts *opts, ra_replica_info *info, ra_err *err);

/* REPLCONF capa eof, REPLCONF rdb-only 1, PSYNC ? -1; then stream the RDB into sink.
 * Returns 0 only when the whole RDB arrived and verified; RA_E_VERIFY for truncation or corruption,
 * RA_E_SOURCE for protocol, auth and connection failures, the sink's error when it failed.
 * Fills *bytes with the RDB length and *crc64 with its checksum on success (untouched on failure).
 * One sync per connection: a second call fails. Falls back to SYNC when PSYNC is unknown or
 * refused by the ACL, and continues without rdb-only on servers < 6.2 (warning). */
int ra_replica_sync(ra_replica *r, const ra_sink *sink, long long *bytes, uint64_t *crc64,
                    ra_err *err);

/* 1 after a sync whose rdb had no checksum (accepted with allow_unchecked_rdb): only its magic,
 * framing and EOF opcode were verified; the caller records it. */
int ra_replica_rdb_unchecked(const ra_replica *r);

/* The replication link after a ra_replica_sync with keep_stream: the connection (caller closes it
 * with ra_conn_close), the stream bytes that came with the RDB's end (caller frees tail), and the
 * replication id and offset of the stream's first byte (from +FULLRESYNC). */
typedef struct ra_replica_stream {
    struct ra_conn *conn;
    uint8_t *tail;
    size_t tail_len;
    char replid[41];
    long long offset;
} ra_replica_stream;

/* Hand the link over (once, after a successful sync with keep_stream). RA_E_SOURCE when the server
 * answered SYNC-style (no replication id or offset: nothing to archive against). */
int ra_replica_take_stream(ra_replica *r, ra_replica_stream *out, ra_err *err);

/* While a taken link waits to be archived (a cluster shard whose RDB is in while others' are not): read it
 * into s->tail, at most max_tail bytes in all (then only acknowledge: the server buffers), and acknowledge
 * with REPLCONF ACK <offset> every second as a replica does, so the server neither drops the link for
 * silence (repl-timeout) nor holds the stream for it, until ready(ctx) says so. A broken link ends the wait
 * quietly: whoever archives it finds it broken and resumes it (the tail is whole bytes of the stream). Gives
 * the bytes read. */
long long ra_replica_stream_hold(ra_replica_stream *s, size_t max_tail, int (*ready)(void *ctx), void *ctx);

/* The open connection after ra_replica_connect (authenticated, role checked), taken by the caller
 * (ra_conn_close), for a partial resync (source/replresume.h). NULL when there is none. */
ra_conn *ra_replica_take_conn(ra_replica *r);

void ra_replica_free(ra_replica *r);

#endif
