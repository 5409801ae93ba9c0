/* payload.c - the answer to PSYNC/SYNC: keep-alives, the payload header, then the RDB through the
 * psync framer and the rdb verifier into the sink, zero-copy when the sink lends its buffers. */
#include "source/payload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define INPLACE_MIN (64 * 1024)   /* less room than this in the sink's buffer: read into ours */
#define BATCH_BYTES (256 * 1024)  /* payload reads wake at this much data (SO_RCVLOWAT)... */
#define BATCH_MS 20               /* ...or after this long */

typedef struct stream_ctx {
    const ra_payload_opts *o;
    const ra_sink *sink;
    ra_psync *ps;
    ra_rdb *rdb;
    int begun;
    long long win_wait_ms; /* payload: time spent waiting in reads since the window began */
    long long win_bytes;   /* payload: bytes read in that time */
} stream_ctx;

/* psync -> rdb verifier -> sink. The sink may block (the uploader applies back-pressure when its
 * parts are all in flight); while it does we do not read the socket. A diskless replica drops a
 * client that stops reading for repl-timeout (60 s by default, measured: dropped at ~61 s, no EOF
 * mark, the fork killed), and we then fail with "stream ended early". So we add no waiting of our
 * own here: the sink's stall timeout is the only bound, and it must stay under the replica's
 * repl-timeout for a stalled store to be reported as the store's fault. */
static int begin_payload(stream_ctx *c, ra_err *err) {
    c->begun = 1;
    ra_stream_info si = {.offset = c->ps->offset, .length = c->ps->length, .diskless = c->ps->diskless};
    snprintf(si.replid, sizeof(si.replid), "%s", c->ps->replid);
    snprintf(si.redis_version, sizeof(si.redis_version), "%s", c->o->redis_version);
    ra_log_info(c->o->log, "source.payload", "rdb from %s: %s, replid %s offset %lld", ra_conn_name(c->o->conn),
                si.diskless ? "diskless ($EOF)" : "disk-based ($len)", si.replid[0] ? si.replid : "(none)",
                si.offset);
    /* The payload is a bulk stream: wake per 256 KiB, not per few KB the server wrote. */
    if (ra_conn_batch_reads(c->o->conn, BATCH_BYTES, BATCH_MS) < 0)
        ra_log_debug(c->o->log, "source.batch", "SO_RCVLOWAT refused: %s", strerror(errno));
    if (c->sink->begin != NULL && c->sink->begin(c->sink->ctx, &si, err) < 0) return -1;
    return 0;
}

static int emit_payload(void *vctx, const uint8_t *data, size_t len, ra_err *err) {
    stream_ctx *c = vctx;
    if (!c->begun && begin_payload(c, err) < 0) return -1;
    if (ra_rdb_feed(c->rdb, data, len, err) < 0) return -1;
    return c->sink->write(c->sink->ctx, data, len, err);
}

static int in_payload(const ra_psync *ps) {
    return ps->state == RA_PSYNC_BULK || ps->state == RA_PSYNC_EOFMARK;
}

/* The zero-copy path: read into the sink's own buffer, after the bytes held back as a possible
 * EOF mark (put back in front, where they were read last time), then verify and commit in place.
 * Returns 1 when it did a read (*n as ra_conn_read's), 0 when the room is too small for it (the
 * caller reads into its buffer and writes), -1 on a sink error. */
static int read_in_place(stream_ctx *c, long wait_ms, ssize_t *n, int *rc, ra_err *err) {
    uint8_t *room;
    size_t avail, h = c->ps->hold_len;
    if (c->sink->reserve(c->sink->ctx, &room, &avail, err) < 0) return -1;
    if (avail < h + INPLACE_MIN) return 0;
    size_t cap = avail - h;
    if (c->ps->state == RA_PSYNC_BULK && (long long)cap > c->ps->remaining) cap = (size_t)c->ps->remaining;
    memcpy(room, c->ps->hold, h);
    *n = ra_conn_read(c->o->conn, room + h, cap, wait_ms, err);
    if (*n <= 0) return 1;
    size_t pay = 0;
    *rc = ra_psync_frame(c->ps, room, h + (size_t)*n, &pay, err);
    if (*rc < 0) return 1;
    if (pay > 0 && (ra_rdb_feed(c->rdb, room, pay, err) < 0 || c->sink->commit(c->sink->ctx, pay, err) < 0))
        *rc = -1;
    return 1;
}

static long elapsed_ms(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000 + (long)(t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Once the payload started, every read-timeout spent waiting for the source must bring at least
 * RA_PAYLOAD_MIN_BYTES: a peer that trickles bytes would otherwise hold us (and the
 * instance lock) forever. Only the time in reads counts, not the sink's: a stalled store is not
 * the source's fault. wait_ms is what this read took. */
static int slow_payload(stream_ctx *c, long wait_ms, ssize_t n, ra_err *err) {
    c->win_wait_ms += wait_ms;
    c->win_bytes += n;
    if (c->win_wait_ms < c->o->read_ms) return 0;
    if (c->win_bytes < RA_PAYLOAD_MIN_BYTES)
        return ra_err_set(err, RA_E_SOURCE, "%s sends the rdb too slowly: %lld bytes in %lld ms after %lld "
                          "rdb bytes (at least %d bytes per read-timeout are needed)", ra_conn_name(c->o->conn),
                          c->win_bytes, c->win_wait_ms, c->ps->payload_seen, RA_PAYLOAD_MIN_BYTES);
    c->win_wait_ms = c->win_bytes = 0;
    return 0;
}

int ra_payload_read(const ra_payload_opts *o, ra_psync *ps, ra_rdb *rdb, uint8_t *buf, int *refused, ra_err *err) {
    stream_ctx c = {.o = o, .sink = o->sink, .ps = ps, .rdb = rdb};
    *refused = 0;
    ra_psync_init(ps);
    ps->ignore_trailing = !o->rdb_only;
    ps->trailing = o->trailing;
    ps->trailing_ctx = o->trailing_ctx;
    ra_rdb_init(rdb);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int expired = 0;
    for (;;) {
        long wait_ms = o->read_ms;
        if (ps->state == RA_PSYNC_PREAMBLE) {
            /* A server that only ever sends keep-alives (a stuck save) must not hold us forever. */
            long spent = elapsed_ms(&t0);
            if (expired || spent >= o->sync_ms)
                return ra_err_set(err, RA_E_SOURCE,
                                  "%s: the snapshot did not start within %lds (sync-timeout): only keep-alives "
                                  "came while the server forked and saved",
                                  ra_conn_name(o->conn), o->sync_ms / 1000);
            if (o->sync_ms - spent < wait_ms) wait_ms = o->sync_ms - spent;
        }
        if (in_payload(ps) && !c.begun && begin_payload(&c, err) < 0) return -1;
        ssize_t n = 0;
        int rc = RA_PSYNC_MORE, done_in_place = 0, paying = in_payload(ps);
        struct timespec tr;
        clock_gettime(CLOCK_MONOTONIC, &tr);
        if (in_payload(ps) && o->sink->reserve != NULL) {
            done_in_place = read_in_place(&c, wait_ms, &n, &rc, err);
            if (done_in_place < 0) return -1;
        }
        /* the last bytes of each of the sink's buffers come through ours, copied */
        if (!done_in_place)
            n = ra_conn_read(o->conn, buf, in_payload(ps) && o->sink->reserve ? INPLACE_MIN : RA_PAYLOAD_BUF, wait_ms,
                             err);
        if (n < 0 && wait_ms < o->read_ms && ps->state == RA_PSYNC_PREAMBLE &&
            (err == NULL || err->code != RA_E_CANCELLED)) {
            /* The wait was cut to the sync deadline; millisecond rounding may end it a hair early. */
            if (elapsed_ms(&t0) + 50 >= o->sync_ms) {
                expired = 1; /* reported at the top of the loop */
                continue;
            }
        }
        if (n < 0) {
            if (err != NULL && err->code != RA_E_CANCELLED && ps->state != RA_PSYNC_PREAMBLE)
                ra_err_prefix(err, "after %lld rdb bytes: ", ps->payload_seen);
            return -1;
        }
        if (n == 0) {
            ra_psync_finish(ps, err);
            return ra_err_prefix(err, "%s: ", ra_conn_name(o->conn));
        }
        if (paying && rc != RA_PSYNC_END && slow_payload(&c, elapsed_ms(&tr), n, err) < 0) return -1;
        if (!done_in_place) rc = ra_psync_feed(ps, buf, (size_t)n, emit_payload, &c, err);
        if (rc < 0) {
            if (ps->errline[0] != '\0') *refused = 1;
            return -1;
        }
        if (rc == RA_PSYNC_END) return 0;
    }
}

