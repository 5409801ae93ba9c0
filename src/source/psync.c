/* psync.c - pure incremental parser for the PSYNC/SYNC answer: keep-alives, +FULLRESYNC, payload
 * header, payload framing with the EOF mark held back. No sockets here. */
#include "source/psync.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A preamble line longer than this is not Redis talking (the longest real one is an error). */
#define LINE_LIMIT (64 * 1024)

void ra_psync_init(ra_psync *p) {
    memset(p, 0, sizeof(*p));
    p->state = RA_PSYNC_PREAMBLE;
    p->offset = -1;
    p->length = -1;
}

/* Copy a server line into a message-safe form: printable ASCII only, bounded. */
static void printable(char *dst, size_t cap, const char *src, size_t n) {
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[j] = '\0';
}

static int fail(ra_psync *p) {
    p->state = RA_PSYNC_FAILED;
    return -1;
}

static int parse_fullresync(ra_psync *p, const char *s, ra_err *err) {
    /* "+FULLRESYNC <replid> <offset>" (replication.c, replicationSetupSlaveForFullResync) */
    const char *id = s + strlen("+FULLRESYNC ");
    const char *sp = strchr(id, ' ');
    size_t idlen = sp ? (size_t)(sp - id) : 0;
    if (sp == NULL || idlen == 0 || idlen > 40) {
        char safe[96];
        printable(safe, sizeof(safe), s, strlen(s));
        ra_err_set(err, RA_E_SOURCE, "malformed reply '%s' to psync", safe);
        return fail(p);
    }
    errno = 0;
    char *end;
    long long off = strtoll(sp + 1, &end, 10);
    if (errno != 0 || end == sp + 1 || *end != '\0' || off < 0) {
        char safe[96];
        printable(safe, sizeof(safe), s, strlen(s));
        ra_err_set(err, RA_E_SOURCE, "malformed offset in '%s'", safe);
        return fail(p);
    }
    memcpy(p->replid, id, idlen);
    p->replid[idlen] = '\0';
    p->offset = off;
    p->fullresync = 1;
    return 0;
}

static int parse_header(ra_psync *p, const char *s, size_t n, ra_err *err) {
    char safe[96];
    printable(safe, sizeof(safe), s, n);
    if (n >= 5 && memcmp(s, "$EOF:", 5) == 0) {
        /* rdbSaveRioWithEOFMark: "$EOF:" + 40 random hex chars, repeated after the RDB */
        if (n != 5 + RA_PSYNC_MARK_LEN) {
            ra_err_set(err, RA_E_SOURCE, "malformed payload header '%s': the eof mark must be %d bytes",
                       safe, RA_PSYNC_MARK_LEN);
            return fail(p);
        }
        memcpy(p->mark, s + 5, RA_PSYNC_MARK_LEN);
        p->diskless = 1;
        p->length = -1;
        p->state = RA_PSYNC_EOFMARK;
        return 0;
    }
    long long len = 0;
    size_t i = 1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || len > (LLONG_MAX - 9) / 10) break;
        len = len * 10 + (s[i] - '0');
    }
    if (n < 2 || i != n) {
        ra_err_set(err, RA_E_SOURCE, "malformed payload header '%s'", safe);
        return fail(p);
    }
    p->length = len;
    p->remaining = len;
    p->state = len == 0 ? RA_PSYNC_DONE : RA_PSYNC_BULK;
    return 0;
}

static int handle_line(ra_psync *p, ra_err *err) {
    size_t n = p->line_len;
    if (n > 0 && p->line[n - 1] == '\r') n--;
    p->line[n] = '\0';
    const char *s = p->line;
    char safe[96];

    if (n == 0) { /* replicationCron's "\n" while the fork is pending or BGSAVE runs */
        p->keepalives++;
        return 0;
    }
    switch (s[0]) {
    case '+':
        if (strncmp(s, "+FULLRESYNC ", 12) == 0 && !p->fullresync) return parse_fullresync(p, s, err);
        if (strncmp(s, "+CONTINUE", 9) == 0) {
            ra_err_set(err, RA_E_SOURCE, "server offered a partial resync (+CONTINUE) where a full one "
                                         "was requested");
            return fail(p);
        }
        printable(safe, sizeof(safe), s, n);
        ra_err_set(err, RA_E_SOURCE, "unexpected reply '%s' before the rdb payload", safe);
        return fail(p);
    case '-':
        printable(p->errline, sizeof(p->errline), s + 1, n - 1);
        ra_err_set(err, RA_E_SOURCE, "server refused the sync: %s", p->errline);
        return fail(p);
    case '$':
        return parse_header(p, s, n, err);
    default:
        printable(safe, sizeof(safe), s, n);
        ra_err_set(err, RA_E_SOURCE, "unexpected reply '%s' before the rdb payload", safe);
        return fail(p);
    }
}

/* Preamble: consume up to and including one '\n' (or everything). Returns bytes used or -1. */
static long preamble_feed(ra_psync *p, const uint8_t *d, size_t n, ra_err *err) {
    const uint8_t *nl = memchr(d, '\n', n);
    size_t take = nl ? (size_t)(nl - d) : n;
    size_t room = sizeof(p->line) - 1 - p->line_len;
    size_t keep = take < room ? take : room;
    memcpy(p->line + p->line_len, d, keep);
    p->line_len += keep;
    p->line_total += take;
    if (p->line_total > LINE_LIMIT) {
        ra_err_set(err, RA_E_SOURCE, "reply line longer than %d bytes before the rdb payload",
                   LINE_LIMIT);
        return fail(p);
    }
    if (nl == NULL) return (long)n;
    int rc = handle_line(p, err);
    p->line_len = 0;
    p->line_total = 0;
    if (rc < 0) return -1;
    return (long)take + 1;
}

static int emit_span(ra_psync *p, const uint8_t *d, size_t n, ra_psync_emit_fn emit, void *ctx,
                     ra_err *err) {
    if (n == 0) return 0;
    if (emit != NULL && emit(ctx, d, n, err) < 0) return fail(p);
    p->emitted += (long long)n;
    return 0;
}

/* $EOF form. The stream so far, minus what was emitted, is hold[0..h) + d[0..n). Find the first
 * occurrence of the mark in it (it may start inside hold: a read split the mark); emit what is
 * before it. Without a match emit all but the last 40 bytes, which become the new hold. Unlike
 * redis-cli (which only compares the tail of each read, redis#11261) this finds the mark at any
 * split. Returns bytes of d used, or -1. */
static long eofmark_feed(ra_psync *p, const uint8_t *d, size_t n, ra_psync_emit_fn emit, void *ctx,
                         ra_err *err) {
    const size_t M = RA_PSYNC_MARK_LEN;
    size_t h = p->hold_len;
    const uint8_t *mark = (const uint8_t *)p->mark;
    size_t at = (size_t)-1; /* match position in hold+d coordinates */

    for (size_t j = 0; j < h; j++) {
        size_t in_hold = h - j;
        if (M - in_hold > n) continue;
        if (memcmp(p->hold + j, mark, in_hold) == 0 && memcmp(d, mark + in_hold, M - in_hold) == 0) {
            at = j;
            break;
        }
    }
    if (at == (size_t)-1) {
        const uint8_t *m = memmem(d, n, mark, M);
        if (m != NULL) at = h + (size_t)(m - d);
    }
    if (at != (size_t)-1) {
        size_t eh = at < h ? at : h;
        if (emit_span(p, p->hold, eh, emit, ctx, err) < 0) return -1;
        if (at > h && emit_span(p, d, at - h, emit, ctx, err) < 0) return -1;
        p->hold_len = 0;
        p->state = RA_PSYNC_DONE;
        return (long)(at + M - h);
    }

    size_t total = h + n;
    if (total <= M) {
        memcpy(p->hold + h, d, n);
        p->hold_len = total;
        return (long)n;
    }
    size_t out = total - M;
    size_t eh = out < h ? out : h;
    if (emit_span(p, p->hold, eh, emit, ctx, err) < 0) return -1;
    if (emit_span(p, d, out - eh, emit, ctx, err) < 0) return -1;
    if (n >= M) {
        memcpy(p->hold, d + n - M, M);
    } else {
        memmove(p->hold, p->hold + (h - (M - n)), M - n);
        memcpy(p->hold + (M - n), d, n);
    }
    p->hold_len = M;
    return (long)n;
}

int ra_psync_feed(ra_psync *p, const uint8_t *data, size_t n, ra_psync_emit_fn emit, void *ctx,
                  ra_err *err) {
    if (p->state == RA_PSYNC_FAILED)
        return ra_err_set(err, RA_E_SOURCE, "replication stream parser already failed");
    size_t i = 0;
    while (i < n) {
        long used;
        switch (p->state) {
        case RA_PSYNC_PREAMBLE:
            used = preamble_feed(p, data + i, n - i, err);
            break;
        case RA_PSYNC_BULK: {
            size_t take = n - i;
            if ((long long)take > p->remaining) take = (size_t)p->remaining;
            if (emit_span(p, data + i, take, emit, ctx, err) < 0) return -1;
            p->remaining -= (long long)take;
            if (p->remaining == 0) p->state = RA_PSYNC_DONE;
            used = (long)take;
            break;
        }
        case RA_PSYNC_EOFMARK:
            used = eofmark_feed(p, data + i, n - i, emit, ctx, err);
            break;
        case RA_PSYNC_DONE:
            if (p->ignore_trailing) {
                used = (long)(n - i);
                if (p->trailing != NULL && p->trailing(p->trailing_ctx, data + i, n - i, err) < 0) return fail(p);
                break;
            }
            if (data[i] != '\n') {
                ra_err_set(err, RA_E_SOURCE, "unexpected bytes after the end of the rdb payload "
                                             "(after %lld payload bytes)", p->emitted);
                return fail(p);
            }
            p->keepalives++;
            used = 1;
            break;
        default:
            return ra_err_set(err, RA_E_INTERNAL, "psync parser in a bad state");
        }
        if (used < 0) return -1;
        i += (size_t)used;
    }
    p->payload_seen = p->emitted + (long long)p->hold_len;
    return p->state == RA_PSYNC_DONE ? RA_PSYNC_END : RA_PSYNC_MORE;
}

int ra_psync_frame(ra_psync *p, const uint8_t *buf, size_t n, size_t *payload, ra_err *err) {
    const size_t M = RA_PSYNC_MARK_LEN;
    size_t pay = 0, end = n; /* end: where the payload and its mark stop within buf */
    *payload = 0;
    if (p->state == RA_PSYNC_BULK) {
        if (p->hold_len != 0) return ra_err_set(err, RA_E_INTERNAL, "psync: held bytes in a $<len> payload");
        pay = (long long)n < p->remaining ? n : (size_t)p->remaining;
        p->remaining -= (long long)pay;
        if (p->remaining == 0) p->state = RA_PSYNC_DONE;
        end = pay;
    } else if (p->state == RA_PSYNC_EOFMARK) {
        if (n < p->hold_len || memcmp(buf, p->hold, p->hold_len) != 0)
            return ra_err_set(err, RA_E_INTERNAL, "psync: buffer does not start with the held bytes");
        /* The span starts with the held bytes, so a mark that straddles two reads is whole here. */
        const uint8_t *m = NULL;
        if (p->ignore_trailing) {
            /* no rdb-only: the replication stream may follow the mark in this very read */
            m = memmem(buf, n, p->mark, M);
        } else {
            /* rdb-only: nothing but keep-alives follows the mark, so the stream ends with it (the
             * check redis-cli makes); memmem over every byte cost 5% of the archiver's CPU. A server
             * that sent more after the mark in the same read would not be recognised here: its
             * stream then fails (no mark, or a bad RDB trailer), never passes, and is aborted. */
            size_t e = n;
            while (e > 0 && buf[e - 1] == '\n') e--;
            if (e >= M && memcmp(buf + e - M, p->mark, M) == 0) m = buf + e - M;
        }
        if (m != NULL) {
            pay = (size_t)(m - buf);
            end = pay + M;
            p->hold_len = 0;
            p->state = RA_PSYNC_DONE;
        } else {
            size_t keep = n < M ? n : M;
            pay = n - keep;
            memcpy(p->hold, buf + pay, keep);
            p->hold_len = keep;
        }
    } else {
        return ra_err_set(err, RA_E_INTERNAL, "psync: in-place framing outside the payload");
    }
    p->emitted += (long long)pay;
    p->payload_seen = p->emitted + (long long)p->hold_len;
    *payload = pay;
    if (p->state != RA_PSYNC_DONE) return RA_PSYNC_MORE;
    /* keep-alives (or, with ignore_trailing, the replication stream) after the end */
    return end < n ? ra_psync_feed(p, buf + end, n - end, NULL, NULL, err) : RA_PSYNC_END;
}

int ra_psync_finish(const ra_psync *p, ra_err *err) {
    switch (p->state) {
    case RA_PSYNC_DONE:
        return 0;
    case RA_PSYNC_PREAMBLE:
        return ra_err_set(err, RA_E_SOURCE, "connection closed before the rdb payload started");
    case RA_PSYNC_BULK:
        return ra_err_set(err, RA_E_VERIFY, "stream ended early after %lld bytes of %lld", p->emitted,
                          p->length);
    case RA_PSYNC_EOFMARK:
        return ra_err_set(err, RA_E_VERIFY,
                          "stream ended early after %lld bytes (no eof mark: the server gave up "
                          "on the transfer)",
                          p->emitted + (long long)p->hold_len);
    default:
        return ra_err_set(err, RA_E_SOURCE, "replication stream parser already failed");
    }
}
