/* target.h - a Redis that a backup is restored into, standalone or a cluster: connect, authenticate,
 * learn its version and whether it holds keys, then RESTORE / FUNCTION RESTORE pipelined in batches
 * (RESP through resp.h); in a cluster each key goes to the master of its slot, MOVED and ASK followed. */
#ifndef RA_SOURCE_TARGET_H
#define RA_SOURCE_TARGET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"

typedef struct ra_target ra_target;

typedef struct ra_target_opts {
    const char *url;            /* redis://[user[:password]@]host:port or rediss:// (common/url.h) */
    const char *password;       /* used when the URL carries none (REDISCLI_AUTH); NULL: none */
    const char *tls_ca_file, *tls_cert_file, *tls_key_file, *tls_sni;
    int tls_insecure;
    int replace;                /* RESTORE ... REPLACE, FUNCTION RESTORE ... REPLACE */
    long connect_timeout_ms;    /* 0: RA_CONNECT_TIMEOUT_MS_DEFAULT */
    long read_timeout_ms;       /* 0: RA_READ_TIMEOUT_MS_DEFAULT */
    volatile sig_atomic_t *cancel;
    const ra_log *log;
} ra_target_opts;

/* What the target answered to INFO before anything was written. */
typedef struct ra_target_info {
    char name[300];             /* host:port */
    char redis_version[32];
    char valkey_version[32];    /* "" for Redis */
    int rdb_version;            /* the newest RDB (and DUMP payload) version it loads */
    long long keys;             /* over every database (INFO keyspace) */
    int cluster;                /* cluster_enabled:1: keys are routed by slot to every master, all in db 0 */
    int masters;                /* cluster: how many */
} ra_target_info;

/* Counts of what went in (ra_target_flush adds to them). */
typedef struct ra_target_stats {
    long long restored;         /* RESTORE answered +OK */
    long long functions;        /* FUNCTION RESTORE answered +OK */
    long long commands;         /* ra_target_commands: replayed commands answered (a keyless one sent to every
                                   master counts once) */
    long long errors;           /* error replies (top-level: a command's in EXEC's array are not) */
    char first_error[200];      /* the first error reply, printable, with the key when short */
} ra_target_stats;

/* Connect, AUTH, INFO; for a cluster node, CLUSTER SLOTS and every master (the URL may list several
 * seeds, the first that answers is used). NULL with err set (RA_E_SOURCE; RA_E_USAGE for a malformed URL). */
ra_target *ra_target_open(const ra_target_opts *opts, ra_target_info *info, ra_err *err);
void ra_target_free(ra_target *t);

/* The RDB version a server of this version loads: Redis 5.0-6.2 9, 7.0 10, 7.2 11, 7.4+ 12; Valkey
 * 7.2-8.x 11, 9+ 80 (valkey_version "" for Redis). 0 when the version cannot be read. Pure. */
int ra_target_rdb_version_of(const char *redis_version, const char *valkey_version);

/* The cluster slot of a key: CRC16 of the key or its non-empty {hash tag}, mod 16384. Pure. */
int ra_target_key_slot(const void *key, size_t len);

/* Queue SELECT db (nothing on a cluster), RESTORE key ttl_ms payload ABSTTL [REPLACE] [IDLETIME s|FREQ f] (idle, freq < 0:
 * none), FUNCTION RESTORE payload [REPLACE]; a batch is sent and its replies read once it is large,
 * and by ra_target_flush. Error replies are counted in stats, not returned. */
int ra_target_select(ra_target *t, int db, ra_target_stats *st, ra_err *err);
int ra_target_restore(ra_target *t, const void *key, size_t key_len, long long ttl_ms, const void *payload,
                      size_t payload_len, long long idle, int freq, ra_target_stats *st, ra_err *err);
int ra_target_function_restore(ra_target *t, const void *payload, size_t len, ra_target_stats *st, ra_err *err);
int ra_target_flush(ra_target *t, ra_target_stats *st, ra_err *err);

/* Queue one unit of a replication stream, as raw RESP: a single command or a whole MULTI ... EXEC block
 * (ncmds commands, all of one slot on a cluster source); sent in batches like the rest, replies read,
 * error replies counted in st. A cluster target: SELECT is left out (db 0 only); the unit goes to the
 * master of the slot of its first key (found by the target's COMMAND INFO, cached, COMMAND GETKEYS for
 * movable keys), again where a MOVED or ASK reply points; a keyless unit (FLUSHALL, FUNCTION LOAD ...)
 * to every master. Order per key is kept. -1 with err set: malformed bytes, a command the target does
 * not know, a connection failure. */
int ra_target_commands(ra_target *t, const uint8_t *resp, size_t len, int ncmds, ra_target_stats *st, ra_err *err);

#endif
