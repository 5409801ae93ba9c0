/* replstream.c - pure scanner of the replication command stream: a byte-at-a-time state machine
 * over RESP multibulk ("*N\r\n" then N times "$L\r\n<L bytes>\r\n"), bulk data skipped in spans. */
#include "source/replstream.h"

#include <string.h>

enum { S_START, S_ARGC, S_ARGC_LF, S_HDR, S_LEN, S_LEN_LF, S_DATA, S_DATA_CR, S_DATA_LF, S_FAILED };

void ra_replstream_init(ra_replstream *s, long long offset) {
    memset(s, 0, sizeof(*s));
    s->offset = s->boundary = offset;
    s->state = S_START;
}

int ra_replstream_partial(const ra_replstream *s) { return s->state != S_START && s->state != S_FAILED; }

static int fail(ra_replstream *s, ra_err *err, const char *what) {
    long long at = s->offset;
    s->state = S_FAILED;
    return ra_err_set(err, RA_E_SOURCE, "replication stream: %s at offset %lld", what, at);
}

/* A decimal number of a header line, digits only (no sign: counts and lengths are >= 0). */
static int num_byte(ra_replstream *s, uint8_t c) {
    if (c < '0' || c > '9' || s->numlen >= 18) return -1;
    s->num[s->numlen++] = (char)c;
    return 0;
}

static long long num_value(ra_replstream *s) {
    long long v = 0;
    for (size_t i = 0; i < s->numlen; i++) v = v * 10 + (s->num[i] - '0');
    s->numlen = 0;
    return v;
}

static void lower_copy(char *dst, size_t *have, const uint8_t *d, size_t n) {
    for (size_t i = 0; i < n && *have + 1 < RA_REPLSTREAM_NAME_MAX; i++) {
        uint8_t c = d[i];
        dst[(*have)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : (c >= 0x20 && c < 0x7f ? c : '?'));
    }
    dst[*have] = '\0';
}

static int command_done(ra_replstream *s, ra_replstream_cb cb, void *ctx, ra_err *err) {
    s->cur.end = s->offset;
    s->boundary = s->offset;
    s->commands++;
    s->state = S_START;
    if (cb != NULL && cb(ctx, &s->cur, err) < 0) {
        s->state = S_FAILED;
        return -1;
    }
    return 0;
}

/* The argument ended ("\r\n" after its data): the next one, or the command is whole. */
static int arg_done(ra_replstream *s, ra_replstream_cb cb, void *ctx, ra_err *err) {
    s->argi++;
    s->keep = 0;
    if (s->argi == s->argc) return command_done(s, cb, ctx, err);
    s->state = S_HDR;
    return 0;
}

int ra_replstream_feed(ra_replstream *s, const uint8_t *d, size_t n, ra_replstream_cb cb, void *ctx, ra_err *err) {
    if (s->state == S_FAILED) return ra_err_set(err, RA_E_SOURCE, "replication stream scanner already failed");
    size_t i = 0;
    while (i < n) {
        uint8_t c = d[i];
        if (s->state == S_DATA) { /* bulk data: a span at once */
            size_t take = n - i;
            if ((long long)take > s->remain) take = (size_t)s->remain;
            if (s->argi < 2) lower_copy(s->argi == 0 ? s->cur.name : s->cur.arg1, &s->keep, d + i, take);
            s->remain -= (long long)take;
            s->offset += (long long)take;
            i += take;
            if (s->remain == 0) s->state = S_DATA_CR;
            continue;
        }
        switch (s->state) {
        case S_START:
            if (c == '\n' || c == '\r') { /* keep-alive */
                s->offset++;
                s->boundary = s->offset;
                i++;
                continue;
            }
            if (c != '*') return fail(s, err, "a command does not start with '*'");
            memset(&s->cur, 0, sizeof(s->cur));
            s->cur.start = s->offset;
            s->numlen = 0;
            s->state = S_ARGC;
            break;
        case S_ARGC:
            if (c == '\r') {
                if (s->numlen == 0) return fail(s, err, "an empty argument count");
                s->argc = num_value(s);
                if (s->argc < 1 || s->argc > RA_REPLSTREAM_ARGC_MAX) return fail(s, err, "a bad argument count");
                s->cur.argc = s->argc;
                s->argi = 0;
                s->state = S_ARGC_LF;
            } else if (num_byte(s, c) < 0) {
                return fail(s, err, "a bad argument count");
            }
            break;
        case S_ARGC_LF:
            if (c != '\n') return fail(s, err, "no line feed after the argument count");
            s->state = S_HDR;
            break;
        case S_HDR:
            if (c != '$') return fail(s, err, "an argument does not start with '$'");
            s->numlen = 0;
            s->state = S_LEN;
            break;
        case S_LEN:
            if (c == '\r') {
                if (s->numlen == 0) return fail(s, err, "an empty argument length");
                s->remain = num_value(s);
                if (s->remain > RA_REPLSTREAM_BULK_MAX) return fail(s, err, "an argument too long");
                s->state = S_LEN_LF;
            } else if (num_byte(s, c) < 0) {
                return fail(s, err, "a bad argument length");
            }
            break;
        case S_LEN_LF:
            if (c != '\n') return fail(s, err, "no line feed after an argument length");
            s->keep = 0;
            s->state = s->remain > 0 ? S_DATA : S_DATA_CR;
            break;
        case S_DATA_CR:
            if (c != '\r') return fail(s, err, "an argument longer than its length");
            s->state = S_DATA_LF;
            break;
        case S_DATA_LF:
            if (c != '\n') return fail(s, err, "no line feed after an argument");
            s->offset++;
            i++;
            if (arg_done(s, cb, ctx, err) < 0) return -1;
            continue;
        default:
            return ra_err_set(err, RA_E_INTERNAL, "replication stream scanner in a bad state");
        }
        s->offset++;
        i++;
    }
    return 0;
}
