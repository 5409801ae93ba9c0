/* rdbparse.h - pure streaming structural RDB reader: walks every opcode and value encoding of RDB 9-12
 * (Redis 5.0-7.4) and Valkey's "VALKEY" header as bytes arrive, in chunks of any size, and yields each
 * key (db, name, type, expire) with the exact bytes of its value: the value bytes plus the 2-byte RDB
 * version and a CRC-64 make the DUMP payload RESTORE takes. Framing and the CRC-64 trailer are
 * source/rdb.h's job; this one checks that the body between them is well formed. */
#ifndef RA_SOURCE_RDBPARSE_H
#define RA_SOURCE_RDBPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_RDBPARSE_KEY_MAX (64 * 1024 * 1024) /* longest key name kept (Redis allows 512 MiB) */

/* What a key holds, from its RDB type byte. */
typedef enum ra_rdb_kind {
    RA_RDB_STRING,
    RA_RDB_LIST,
    RA_RDB_SET,
    RA_RDB_ZSET,
    RA_RDB_HASH,
    RA_RDB_STREAM,
    RA_RDB_MODULE,
    RA_RDB_KINDS
} ra_rdb_kind;

typedef enum ra_rdb_item_kind {
    RA_RDB_ITEM_KEY,      /* a key and its value */
    RA_RDB_ITEM_FUNCTION, /* a function library (RDB_OPCODE_FUNCTION2): its bytes make a FUNCTION RESTORE payload */
} ra_rdb_item_kind;

/* One key or function library. Borrowed: valid during the callback only. */
typedef struct ra_rdb_item {
    ra_rdb_item_kind kind;
    int db;                 /* from the last SELECTDB (0 before any) */
    int type;               /* the RDB type byte (RDB_TYPE_*), or 0xf5 for a function */
    ra_rdb_kind value_kind; /* keys only */
    long long expire_ms;    /* absolute Unix time in ms; -1: none */
    long long idle;         /* LRU idle seconds (RDB_OPCODE_IDLE); -1: none */
    int freq;               /* LFU counter (RDB_OPCODE_FREQ); -1: none */
    uint64_t module_id;     /* RDB_TYPE_MODULE_2: the module type id (64-bit, name + encoding version) */
    const uint8_t *key;     /* decoded key name (integer and LZF forms expanded); NULL for a function */
    size_t key_len;
    long long value_len;    /* at end: bytes of the value (type byte included) */
    long long offset;       /* where its first byte (the expire or type byte) is in the file */
} ra_rdb_item;

/* Callbacks (any may be NULL). begin: the key is known, its value bytes follow through value (in
 * order, in spans that together are exactly the value: type byte first); end: the value ended. A
 * callback's -1 stops the reader with its err. */
typedef struct ra_rdbparse_cb {
    void *ctx;
    int (*begin)(void *ctx, const ra_rdb_item *item, ra_err *err);
    int (*value)(void *ctx, const uint8_t *data, size_t len, ra_err *err);
    int (*end)(void *ctx, const ra_rdb_item *item, ra_err *err);
} ra_rdbparse_cb;

/* Keys counted in one database. */
typedef struct ra_rdb_dbcount {
    int db;
    long long keys;
    long long expires; /* with a TTL */
} ra_rdb_dbcount;

/* What the reader counted (borrowed from the reader). */
typedef struct ra_rdb_counts {
    long long keys;
    long long expires;
    long long kinds[RA_RDB_KINDS];
    long long functions;       /* function libraries */
    long long module_aux;      /* module auxiliary records */
    const ra_rdb_dbcount *dbs; /* ascending db order of first appearance */
    size_t ndbs;
} ra_rdb_counts;

typedef struct ra_rdbparse ra_rdbparse;

/* A reader; cb is copied (NULL: count only). NULL when out of memory. */
ra_rdbparse *ra_rdbparse_new(const ra_rdbparse_cb *cb);
void ra_rdbparse_free(ra_rdbparse *p);

/* The next n bytes of the file, header first. -1 with RA_E_VERIFY ("rdb structure: ... at offset N")
 * on the first byte that cannot be what it claims, or with a callback's error. */
int ra_rdbparse_feed(ra_rdbparse *p, const void *data, size_t n, ra_err *err);

/* The file ended: 0 when it ended exactly after the EOF opcode and its 8-byte checksum, else -1
 * (RA_E_VERIFY "rdb structure: truncated in ..."). */
int ra_rdbparse_finish(ra_rdbparse *p, ra_err *err);

/* The RDB version from the header (0 until known), and whether it was Valkey's magic. */
int ra_rdbparse_version(const ra_rdbparse *p, int *valkey);
const ra_rdb_counts *ra_rdbparse_counts(const ra_rdbparse *p);

/* Name of a value kind ("string", "list", ...), and of a module type id ("ReJSON-RL"), into out[10]. */
const char *ra_rdb_kind_name(ra_rdb_kind k);
void ra_rdb_module_name(uint64_t module_id, char out[10]);

#endif
