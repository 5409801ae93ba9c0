/* psync.h - pure incremental parser for what a Redis server sends after PSYNC/SYNC: keep-alive
 * newlines, +FULLRESYNC, the $<len> or $EOF:<mark> payload header, then the payload itself. */
#ifndef RA_SOURCE_PSYNC_H
#define RA_SOURCE_PSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_PSYNC_MARK_LEN 40 /* CONFIG_RUN_ID_SIZE in replication.c */
#define RA_PSYNC_LINE_MAX 512 /* longest preamble line kept; longer lines are cut, not refused */

typedef enum ra_psync_state {
    RA_PSYNC_PREAMBLE = 0, /* reading lines: "\n" keep-alives, +FULLRESYNC, -ERR, $... */
    RA_PSYNC_BULK,         /* $<len>: exactly `length` payload bytes */
    RA_PSYNC_EOFMARK,      /* $EOF:<mark>: payload until the mark, which is held back */
    RA_PSYNC_DONE,
    RA_PSYNC_FAILED,
} ra_psync_state;

/* Receives payload bytes in order; never the EOF mark. Returns 0, or -1 with err set (stops the
 * parser, which then returns -1 with that error). */
typedef int (*ra_psync_emit_fn)(void *ctx, const uint8_t *data, size_t len, ra_err *err);

/* Plain struct, no heap: initialise with ra_psync_init, nothing to free. Fields are read-only
 * results for the caller. */
typedef struct ra_psync {
    ra_psync_state state;
    int fullresync;          /* 1 once +FULLRESYNC was seen (PSYNC); 0 for SYNC-style answers */
    char replid[41];         /* from +FULLRESYNC, "" otherwise */
    long long offset;        /* from +FULLRESYNC, -1 otherwise */
    long long length;        /* $<len>, -1 for $EOF */
    int diskless;            /* 1 for $EOF:<mark> */
    char mark[RA_PSYNC_MARK_LEN];
    long long keepalives;    /* bare "\n" seen before the payload (and after its end) */
    long long payload_seen;  /* payload bytes received so far (emitted + held back) */
    long long emitted;       /* payload bytes handed to emit */
    char errline[RA_PSYNC_LINE_MAX]; /* the server's "-..." line without "-" and CRLF, "" if none */
    int ignore_trailing;     /* set by the caller: bytes after the end are dropped, not an error
                                (servers < 6.2 without rdb-only stream commands after the RDB) */
    ra_psync_emit_fn trailing; /* set by the caller with ignore_trailing: receives the bytes after the
                                  end (the replication stream) instead of dropping them; may be NULL */
    void *trailing_ctx;
    /* private */
    char line[RA_PSYNC_LINE_MAX];
    size_t line_len;         /* bytes of the current line kept in `line` */
    size_t line_total;       /* bytes of the current line seen (may exceed what is kept) */
    uint8_t hold[RA_PSYNC_MARK_LEN]; /* $EOF: the last bytes, which might be the mark */
    size_t hold_len;
    long long remaining;     /* $<len>: payload bytes still expected */
} ra_psync;

/* Return values of ra_psync_feed besides -1. */
#define RA_PSYNC_MORE 0 /* all bytes used, the payload is not complete yet */
#define RA_PSYNC_END 1  /* payload complete (mark found or length reached) */

void ra_psync_init(ra_psync *p);

/* Feed the next n bytes (any split). Payload bytes go to emit (called only after the header was
 * parsed, so callers may read length/diskless/replid inside it). Returns RA_PSYNC_MORE,
 * RA_PSYNC_END, or -1 with err set:
 *  - RA_E_SOURCE for a "-..." reply (the line is in p->errline), "+CONTINUE" (we asked for a full
 *    sync), an unexpected preamble line, or bytes other than "\n" after the end of the payload;
 *  - whatever emit set when emit failed.
 * After END, more bytes are accepted only when they are bare "\n" (Redis < 7.0.6 kept sending
 * keep-alives to rdb-only clients after the mark, redis#11261); anything else is an error,
 * unless p->ignore_trailing was set after init.
 * After -1 every call fails again with the same class of error. */
int ra_psync_feed(ra_psync *p, const uint8_t *data, size_t n, ra_psync_emit_fn emit, void *ctx,
                  ra_err *err);

/* In-place framing for a caller that reads the payload straight into its own buffer (no copy).
 * Only in RA_PSYNC_BULK or RA_PSYNC_EOFMARK. buf[0..n) continues the stream and must START with
 * the p->hold_len held-back bytes (copy p->hold there, then read after them). *payload receives
 * how many bytes at the start of buf are payload, final and in order; for $EOF, up to 40 bytes
 * after them may be the mark and are held back again (copied into p->hold), to be put in front
 * of the next read. Bytes after the end of the payload are handled as ra_psync_feed does. Unless
 * ignore_trailing is set, only keep-alives may follow the mark, and it is looked for at the end of
 * the span only (ra_psync_feed looks everywhere).
 * Returns RA_PSYNC_MORE, RA_PSYNC_END, or -1 with err set. */
int ra_psync_frame(ra_psync *p, const uint8_t *buf, size_t n, size_t *payload, ra_err *err);

/* The connection ended: 0 if the payload was complete, else -1 with RA_E_VERIFY
 * "stream ended early after N bytes" (or RA_E_SOURCE when the payload never started). */
int ra_psync_finish(const ra_psync *p, ra_err *err);

#endif
