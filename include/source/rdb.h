/* rdb.h - pure streaming RDB verifier: magic + version, 0xFF EOF opcode, CRC-64 trailer. */
#ifndef RA_SOURCE_RDB_H
#define RA_SOURCE_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_RDB_HEADER_LEN 9 /* "REDIS" + 4 digits, or "VALKEY" + 3 digits */
#define RA_RDB_MIN_LEN 18   /* header + 0xFF + 8-byte checksum */

/* Plain struct, no heap: ra_rdb_init, then feed in order, then finish. Fields are results. */
typedef struct ra_rdb {
    long long total;       /* bytes fed so far */
    int version;           /* from the header, 0 until 9 bytes arrived */
    int valkey;            /* 1 for the "VALKEY" magic (Valkey 9+) */
    uint64_t crc;          /* CRC-64 over every byte but the last 8 fed so far */
    uint64_t stored_crc;   /* after a successful finish: the trailer as written by the server */
    int checksum_disabled; /* after finish: the trailer was 0 (source runs rdbchecksum no) */
    /* private */
    uint8_t head[RA_RDB_HEADER_LEN];
    uint8_t tail[8];       /* the last (up to) 8 bytes: the candidate trailer, not yet in crc */
    size_t tail_len;
    int last_crc_byte;     /* last byte folded into crc (the EOF opcode at the end), -1 if none */
} ra_rdb;

void ra_rdb_init(ra_rdb *r);

/* Fold the next n bytes in. Fails early (RA_E_VERIFY "not an rdb: bad magic ...") as soon as the
 * 9 header bytes are known to be wrong; otherwise only finish can tell whether the end is right. */
int ra_rdb_feed(ra_rdb *r, const void *data, size_t n, ra_err *err);

/* The stream ended: 0 when the header, the 0xFF EOF opcode at len-9 and the checksum are right
 * (a stored checksum of 0 is accepted and sets checksum_disabled), else -1 with RA_E_VERIFY:
 * "not an rdb: bad magic ...", "rdb truncated: ...", "rdb checksum mismatch: stored X computed Y". */
int ra_rdb_finish(ra_rdb *r, ra_err *err);

#endif
