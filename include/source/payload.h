/* payload.h - reading the answer to PSYNC or SYNC once it was sent: keep-alives, the payload
 * header, then the RDB through the psync framer (psync.h) and the verifier (rdb.h) into a sink,
 * within the source's deadlines. */
#ifndef RA_SOURCE_PAYLOAD_H
#define RA_SOURCE_PAYLOAD_H

#include <stdint.h>

#include "common/err.h"
#include "common/log.h"
#include "pipeline/sink.h"
#include "source/net.h"
#include "source/psync.h"
#include "source/rdb.h"

#define RA_PAYLOAD_BUF (1024 * 1024) /* one read of the payload; ~1 GB/s on loopback per the notes */

/* Once the payload started, each read_ms spent waiting for the source must bring at least this
 * many bytes; a slower source fails (RA_E_SOURCE "sends the rdb too slowly"), so a peer that
 * trickles cannot hold a backup (and its instance lock) forever. Only the time spent in reads
 * counts, not the sink's. Keep-alives before the payload are bounded by sync_ms instead. */
#define RA_PAYLOAD_MIN_BYTES 65536

typedef struct ra_payload_opts {
    ra_conn *conn;
    const ra_sink *sink;      /* begin once when the header is known, then write/reserve+commit */
    const ra_log *log;
    long read_ms;             /* no byte for this long fails (keep-alives count) */
    long sync_ms;             /* the payload must start within this */
    const char *redis_version; /* for the sink's ra_stream_info */
    int rdb_only;             /* 0 (servers < 6.2): bytes after the end of the payload are dropped */
    ra_psync_emit_fn trailing; /* with rdb_only 0: receives those bytes instead (the replication
                                  stream, for an archive); NULL: dropped */
    void *trailing_ctx;
} ra_payload_opts;

/* Initialise ps and rdb and read until the payload ended: 0 (then ra_rdb_finish tells whether the
 * RDB is whole), or -1 with err set; *refused is 1 when the server answered with an error line
 * instead of a payload (the line is in ps->errline). buf: RA_PAYLOAD_BUF bytes of scratch. */
int ra_payload_read(const ra_payload_opts *o, ra_psync *ps, ra_rdb *rdb, uint8_t *buf, int *refused,
                    ra_err *err);

#endif
