/* replica.h - the source: a full RDB from a Redis replica through REPLCONF + PSYNC, verified as it
 * flows (magic, EOF opcode, CRC-64) and pushed into a sink. Knows nothing of S3. */
#ifndef RA_SOURCE_REPLICA_H
#define RA_SOURCE_REPLICA_H

#include <signal.h>

#include "common/err.h"
#include "common/log.h"
#include "pipeline/sink.h"

typedef struct ra_replica ra_replica;

typedef struct ra_replica_opts {
    const char *url;            /* redis://[user[:password]@]host:port, rediss://... */
    const char *password;       /* overrides the URL's; NULL: URL, then REDISCLI_AUTH */
    const char *tls_ca_file;    /* rediss: CA bundle, NULL = system */
    const char *tls_cert_file;  /* client certificate, optional */
    const char *tls_key_file;
    const char *tls_sni;        /* NULL = host from the URL */
    int tls_insecure;           /* 1: skip certificate verification (warns) */
    int allow_master;           /* 1: accept a master as the source */
    int pick_replica;           /* 1: given a master, sync from its healthiest replica */
    long connect_timeout_ms;    /* 0 = 10000 */
    long read_timeout_ms;       /* no byte for this long (keep-alives count) fails; 0 = 60000 */
    volatile sig_atomic_t *cancel; /* non-zero -> stop with RA_E_CANCELLED */
    const ra_log *log;
} ra_replica_opts;

/* What the server said before the payload. */
typedef struct ra_replica_info {
    char role[16];           /* "slave"/"master" from ROLE/INFO */
    char redis_version[32];
    char host[256];          /* the server actually synced from (may differ with pick_replica) */
    int port;
} ra_replica_info;

/* Connect, authenticate, check the role (refuse a master unless allowed, naming its replicas). */
ra_replica *ra_replica_connect(const ra_replica_opts *opts, ra_replica_info *info, ra_err *err);

/* REPLCONF capa eof, REPLCONF rdb-only 1, PSYNC ? -1; then stream the RDB into sink.
 * Returns 0 only when the whole RDB arrived and verified; RA_E_VERIFY for truncation or corruption,
 * RA_E_SOURCE for protocol, auth and connection failures, the sink's error when it failed.
 * Fills *bytes with the RDB length and *crc64 with its checksum on success. */
int ra_replica_sync(ra_replica *r, const ra_sink *sink, long long *bytes, uint64_t *crc64,
                    ra_err *err);

void ra_replica_free(ra_replica *r);

#endif
