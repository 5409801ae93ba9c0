/* resp.h - RESP commands and replies over one ra_conn, for the handshake before the payload (the
 * only user of hiredis, which stays behind this header). Replies come back as plain trees of
 * ra_resp_reply; server text in them is made safe for messages. */
#ifndef RA_SOURCE_RESP_H
#define RA_SOURCE_RESP_H

#include <stddef.h>

#include "common/err.h"
#include "source/net.h"

/* Limits on a handshake reply (hostile peers: faults.md R12, R20). */
#define RA_RESP_REPLY_MAX (16 * 1024 * 1024) /* bytes of one reply */
#define RA_RESP_ELEMENTS_MAX 4096            /* elements of one array (a Sentinel's replica list
                                                has ~40 per replica; ROLE one per replica) */
#define RA_RESP_BULK_MAX (4 * 1024 * 1024)   /* one bulk string (INFO is a few KiB) */

typedef enum ra_resp_type {
    RA_RESP_STRING = 1, /* bulk string */
    RA_RESP_ARRAY,
    RA_RESP_INTEGER,
    RA_RESP_NIL,
    RA_RESP_STATUS,     /* +OK */
    RA_RESP_ERROR,      /* -ERR ... */
    RA_RESP_OTHER,      /* RESP3 double, bool, ...: not used by the handshake */
} ra_resp_type;

typedef struct ra_resp_reply {
    ra_resp_type type;
    char *str;          /* STRING, STATUS, ERROR: NUL-terminated; STATUS and ERROR text is
                           printable ASCII (other bytes, ESC included, became '?') */
    size_t len;
    long long integer;  /* INTEGER */
    size_t elements;    /* ARRAY */
    struct ra_resp_reply **element;
} ra_resp_reply;

typedef struct ra_resp ra_resp;

/* A reader on c (borrowed: the caller closes it after ra_resp_free). NULL when out of memory. */
ra_resp *ra_resp_new(ra_conn *c);
void ra_resp_free(ra_resp *p);

/* Send argv as a RESP array (the buffer is wiped: AUTH carries a password). */
int ra_resp_send(ra_resp *p, int argc, const char **argv, long timeout_ms, ra_err *err);

/* Pipelining (restore): queue a command with binary arguments (lens[i] bytes of argv[i]) in the
 * reader's output buffer, and write the whole buffer out; replies are then read in order with
 * ra_resp_read. ra_resp_pending_bytes says how much is queued. */
int ra_resp_append(ra_resp *p, int argc, const char *const *argv, const size_t *lens, ra_err *err);
int ra_resp_flush(ra_resp *p, long timeout_ms, ra_err *err);
size_t ra_resp_pending_bytes(const ra_resp *p);

/* Read one whole reply; it must complete within timeout_ms IN TOTAL, however the bytes trickle.
 * `what` names the command in messages. NULL with err set (RA_E_SOURCE, RA_E_CANCELLED). */
ra_resp_reply *ra_resp_read(ra_resp *p, const char *what, long timeout_ms, ra_err *err);

/* ra_resp_send then ra_resp_read, each bounded by timeout_ms. */
ra_resp_reply *ra_resp_command(ra_resp *p, const char *what, int argc, const char **argv, long timeout_ms,
                               ra_err *err);

/* Parse one whole reply from memory, with the same limits (tests, fuzzing). NULL with err set
 * when it is malformed, incomplete or over a limit. */
ra_resp_reply *ra_resp_parse(const void *buf, size_t len, ra_err *err);

void ra_resp_reply_free(ra_resp_reply *r);

/* Copy server text into dst as printable ASCII ('?' for anything else), bounded. */
void ra_resp_printable(char *dst, size_t cap, const char *src, size_t n);

/* The value of "field:" in an INFO text, copied into out (printable, bounded); 0 if found. */
int ra_resp_info_field(const char *text, const char *field, char *out, size_t cap);

#endif
