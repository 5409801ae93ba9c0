/* replica_sync.c - the source's sync: REPLCONF + PSYNC (or SYNC), the verified RDB streamed into a sink,
 * then, for an archive, the replication link handed over with the stream bytes read past the RDB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/limits.h"
#include "source/payload.h"
#include "source/psync.h"
#include "source/rdb.h"
#include "source/replica.h"
#include "replica_priv.h"
#include "source/resp.h"

/* keep_stream: the replication stream that came in the same reads as the end of the RDB. */
static int keep_tail(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_replica *r = ctx;
    uint8_t *nb = realloc(r->tail, r->tail_len + len);
    if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    memcpy(nb + r->tail_len, data, len);
    r->tail = nb;
    r->tail_len += len;
    return 0;
}

/* Send `cmd` (PSYNC ? -1 or SYNC) and stream its answer. Returns 0, or -1; *refused is set when
 * the server answered with an error line instead of a payload (the line is in ps->errline). */
static int stream(ra_replica *r, const char *cmd, int rdb_only, const ra_sink *sink, uint8_t *buf,
                  ra_psync *ps, ra_rdb *rdb, int *refused, ra_err *err) {
    const char *psync_argv[3] = {"PSYNC", "?", "-1"};
    const char *sync_argv[1] = {"SYNC"};
    int is_psync = strcmp(cmd, "psync") == 0;
    *refused = 0;
    if (ra_resp_send(r->resp, is_psync ? 3 : 1, is_psync ? psync_argv : sync_argv, r->read_ms, err) < 0) return -1;
    if (!r->requested && sink->requested != NULL) { /* once, also when SYNC follows a refused PSYNC */
        r->requested = 1;
        if (sink->requested(sink->ctx, err) < 0) return -1;
    }
    ra_payload_opts po = {
        .conn = r->conn,
        .sink = sink,
        .log = r->log,
        .read_ms = r->read_ms,
        .sync_ms = r->sync_ms,
        .redis_version = r->version,
        .rdb_only = rdb_only,
        .trailing = r->keep_stream ? keep_tail : NULL,
        .trailing_ctx = r,
    };
    return ra_payload_read(&po, ps, rdb, buf, refused, err);
}

int ra_replica_sync(ra_replica *r, const ra_sink *sink, long long *bytes, uint64_t *crc64,
                    ra_err *err) {
    if (r == NULL || r->conn == NULL || r->used)
        return ra_err_set(err, RA_E_INTERNAL, "replica connection is not open or already used");
    r->used = 1;
    const char *capa[5] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    if (ra_replica_expect_ok(r, "replconf", r->keep_stream ? 5 : 3, capa, err) < 0) return -1;

    /* Without rdb-only the server keeps us as a real replica after the RDB and feeds us its
     * writes (output-buffer limit, ACKs). Only "unknown option" (servers < 6.2) is tolerated;
     * NOPERM is fatal: without +replconf PSYNC still succeeds and we would become a replica. */
    int rdb_only = 1;
    const char *rdbonly[3] = {"REPLCONF", "rdb-only", "1"};
    if (r->keep_stream) { /* an archive: a real replica's link, the stream follows the RDB */
        rdb_only = 0;
        rdbonly[2] = "0";
    }
    ra_resp_reply *rep = ra_replica_command(r, "replconf", 3, rdbonly, err);
    if (rep == NULL) return -1;
    if (rep->type == RA_RESP_ERROR) {
        if (ra_replica_starts_with_ci(rep->str, "ERR") &&
            (strcasestr(rep->str, "unrecognized") || strcasestr(rep->str, "unknown") ||
             strcasestr(rep->str, "unsupported"))) {
            rdb_only = 0;
            ra_log_warn(r->log, "source.rdb_only", "'%s' does not support 'replconf rdb-only' (redis < 6.2: "
                        "%s); it will buffer writes for us until the rdb is read", ra_conn_name(r->conn), rep->str);
        } else {
            int rc = ra_replica_server_error(r, "replconf", rep->str, err);
            ra_resp_reply_free(rep);
            return rc;
        }
    } else if (rep->type != RA_RESP_STATUS || strcasecmp(rep->str, "OK") != 0) {
        ra_resp_reply_free(rep);
        return ra_err_set(err, RA_E_SOURCE, "unexpected reply to 'replconf rdb-only' from '%s'",
                          ra_conn_name(r->conn));
    }
    ra_resp_reply_free(rep);
    /* From here on the socket carries raw bytes: resp only sends (PSYNC, SYNC), never reads. */

    uint8_t *buf = malloc(RA_PAYLOAD_BUF);
    ra_psync ps;
    ra_rdb rdb;
    if (buf == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int refused = 0;
    int rc = stream(r, "psync", rdb_only, sink, buf, &ps, &rdb, &refused, err);
    if (rc < 0 && refused &&
        (ra_replica_starts_with_ci(ps.errline, "ERR unknown command") || ra_replica_starts_with_ci(ps.errline, "NOPERM"))) {
        /* PSYNC renamed away, or a user with +sync but not +psync: SYNC gives the same RDB,
         * without the +FULLRESYNC line (no replid/offset). */
        char first[RA_PSYNC_LINE_MAX];
        snprintf(first, sizeof(first), "%s", ps.errline);
        ra_log_warn(r->log, "source.sync_fallback", "'psync' refused by '%s' (%s); trying 'sync'",
                    ra_conn_name(r->conn), first);
        rc = stream(r, "sync", rdb_only, sink, buf, &ps, &rdb, &refused, err);
        if (rc < 0 && refused) {
            /* name the first refusal: psync is what we want them to grant */
            const char *line = ra_replica_starts_with_ci(first, "NOPERM") ? first : ps.errline;
            rc = ra_replica_server_error(r, ra_replica_starts_with_ci(first, "NOPERM") ? "psync" : "sync", line, err);
            refused = 0;
        }
    }
    if (rc < 0 && refused) rc = ra_replica_server_error(r, "psync", ps.errline, err);
    free(buf);
    if (rc < 0) return -1;

    if (ra_rdb_finish(&rdb, err) < 0) return ra_err_prefix(err, "rdb from '%s': ", ra_conn_name(r->conn));
    if (rdb.checksum_disabled) {
        if (!r->allow_unchecked)
            return ra_err_set(err, RA_E_VERIFY, "the rdb from '%s' has no checksum (the source runs "
                              "'rdbchecksum no'), so its content cannot be verified: set 'rdbchecksum yes' "
                              "on the source, or allow-unchecked-rdb to accept a framing-only check",
                              ra_conn_name(r->conn));
        r->unchecked = 1;
        ra_log_warn(r->log, "source.no_checksum", "the rdb from '%s' has no checksum (rdbchecksum no): "
                    "only its framing was verified (allow-unchecked-rdb)", ra_conn_name(r->conn));
    }
    ra_log_info(r->log, "source.done", "rdb from '%s' verified: %lld bytes, crc64 %016llx",
                ra_conn_name(r->conn), rdb.total, (unsigned long long)rdb.crc);
    if (bytes != NULL) *bytes = rdb.total;
    if (crc64 != NULL) *crc64 = rdb.crc;
    snprintf(r->replid, sizeof(r->replid), "%s", ps.replid);
    r->offset = ps.offset;
    if (!r->keep_stream) ra_replica_close_conn(r); /* rdb-only: the server closes it anyway */
    return 0;
}

int ra_replica_take_stream(ra_replica *r, ra_replica_stream *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    if (r == NULL || !r->keep_stream || r->conn == NULL || !r->used)
        return ra_err_set(err, RA_E_INTERNAL, "no replication link to hand over");
    if (r->replid[0] == '\0' || r->offset < 0)
        return ra_err_set(err, RA_E_SOURCE, "'%s' answered without a replication id and offset (sync, not "
                          "psync): its stream cannot be archived; grant +psync", ra_conn_name(r->conn));
    ra_conn_batch_reads(r->conn, 0, 0); /* the stream comes in small writes: wake for each */
    out->conn = r->conn;
    out->tail = r->tail;
    out->tail_len = r->tail_len;
    snprintf(out->replid, sizeof(out->replid), "%s", r->replid);
    out->offset = r->offset;
    r->conn = NULL;
    r->tail = NULL;
    r->tail_len = 0;
    ra_resp_free(r->resp);
    r->resp = NULL;
    return 0;
}

static long long hold_mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long ra_replica_stream_hold(ra_replica_stream *s, size_t max_tail, int (*ready)(void *ctx), void *ctx) {
    long long got = 0, next_ack = 0;
    ra_err err = {0};
    while (s->conn != NULL && !ready(ctx)) {
        long long now = hold_mono_ms();
        if (now >= next_ack) { /* the offset of what arrived: the server takes the largest it was told */
            char off[24], cmd[96];
            int ol = snprintf(off, sizeof(off), "%lld", s->offset + (long long)s->tail_len);
            int n = snprintf(cmd, sizeof(cmd), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%s\r\n", ol, off);
            if (ra_conn_write(s->conn, cmd, (size_t)n, RA_HOLD_ACK_MS, &err) < 0) break;
            next_ack = now + RA_HOLD_ACK_MS;
        }
        if (s->tail_len >= max_tail) { /* full: the server holds the rest in its output buffer */
            struct timespec nap = {0, 100 * 1000 * 1000};
            nanosleep(&nap, NULL);
            continue;
        }
        int r = ra_conn_readable(s->conn, 100, &err);
        if (r < 0) break;
        if (r == 0) continue;
        size_t room = max_tail - s->tail_len < 256 * 1024 ? max_tail - s->tail_len : 256 * 1024;
        uint8_t *nt = realloc(s->tail, s->tail_len + room);
        if (nt == NULL) break;
        s->tail = nt;
        ssize_t n = ra_conn_read(s->conn, s->tail + s->tail_len, room, RA_HOLD_ACK_MS, &err);
        if (n <= 0) break; /* closed or failed: the archive resumes it */
        s->tail_len += (size_t)n;
        got += n;
    }
    return got;
}

ra_conn *ra_replica_take_conn(ra_replica *r) {
    ra_conn *c = r != NULL ? r->conn : NULL;
    if (c != NULL) {
        r->conn = NULL;
        ra_resp_free(r->resp);
        r->resp = NULL;
    }
    return c;
}

int ra_replica_rdb_unchecked(const ra_replica *r) { return r != NULL && r->unchecked; }
