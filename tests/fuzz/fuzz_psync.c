/* fuzz_psync.c - libFuzzer: the PSYNC answer parser and the RDB verifier fed arbitrary bytes in
 * arbitrary chunks. The first input byte picks the chunk size and the trailing mode; invariants are
 * asserted. Then the same bytes go through the in-place framing the zero-copy source uses, and both
 * paths must agree on the payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/psync.h"
#include "source/rdb.h"

typedef struct copy_dst {
    uint8_t *buf;
    size_t *len;
} copy_dst;

static int copy_out(void *vctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    copy_dst *c = vctx;
    memcpy(c->buf + *c->len, d, n);
    *c->len += n;
    return 0;
}

typedef struct fuzz_ctx {
    ra_rdb rdb;
    long long got;
    int rdb_failed;
} fuzz_ctx;

static int emit(void *vctx, const uint8_t *d, size_t n, ra_err *err) {
    fuzz_ctx *c = vctx;
    if (n == 0) abort(); /* the parser never emits empty spans */
    c->got += (long long)n;
    if (!c->rdb_failed && ra_rdb_feed(&c->rdb, d, n, err) < 0) c->rdb_failed = 1;
    return 0;
}

/* The replica's zero-copy path: the preamble through ra_psync_feed (into "our" buffer: any payload
 * in the same read goes to out), then each read lands in out after the held bytes and is framed in
 * place. Returns the last rc; *len receives the payload bytes now at the start of out. */
static int in_place(const uint8_t *data, size_t size, size_t chunk, int trailing, uint8_t *out, size_t *len) {
    ra_psync p;
    ra_err err = {0};
    ra_psync_init(&p);
    p.ignore_trailing = trailing;
    *len = 0;
    int rc = RA_PSYNC_MORE;
    size_t at = 0;
    while (at < size && rc == RA_PSYNC_MORE) {
        size_t n = size - at < chunk ? size - at : chunk;
        if (p.state == RA_PSYNC_PREAMBLE) {
            rc = ra_psync_feed(&p, data + at, n, copy_out, &(copy_dst){out, len}, &err);
        } else {
            size_t h = p.hold_len, pay = 0;
            memcpy(out + *len, p.hold, h);
            memcpy(out + *len + h, data + at, n);
            rc = ra_psync_frame(&p, out + *len, h + n, &pay, &err);
            *len += pay; /* set even when what follows the payload is refused */
        }
        if (p.emitted != (long long)*len) abort();
        at += n;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = (size_t)(data[0] % 64) + 1;
    int trailing = data[0] >= 128;
    data++;
    size--;
    ra_psync p;
    fuzz_ctx c;
    ra_err err = {0};
    ra_psync_init(&p);
    p.ignore_trailing = trailing;
    uint8_t *fed = malloc(size + 1);
    size_t fed_len = 0;
    if (fed == NULL) return 0;
    ra_rdb_init(&c.rdb);
    c.got = 0;
    c.rdb_failed = 0;
    int rc = RA_PSYNC_MORE;
    for (size_t at = 0; at < size && rc >= 0; at += chunk) {
        size_t n = size - at < chunk ? size - at : chunk;
        rc = ra_psync_feed(&p, data + at, n, emit, &c, &err);
        if (p.emitted != c.got) abort();
        if (p.length >= 0 && p.emitted > p.length) abort(); /* never more than $<len> */
        if (p.emitted + (long long)p.hold_len > (long long)size) abort();
    }
    int fin = ra_psync_finish(&p, &err);
    if (rc == RA_PSYNC_END && fin != 0) abort();
    if (rc == RA_PSYNC_MORE && fin == 0) abort();
    if (rc == RA_PSYNC_END && !c.rdb_failed) {
        ra_err e2 = {0};
        (void)ra_rdb_finish(&c.rdb, &e2);
    }

    /* the same bytes, framed in place */
    uint8_t *placed = malloc(size + RA_PSYNC_MARK_LEN + 1);
    if (placed != NULL) {
        size_t placed_len = 0;
        int rc2 = in_place(data, size, chunk, trailing, placed, &placed_len);
        /* both look for the mark anywhere when trailing bytes are allowed: they agree exactly; with
         * rdb-only the in-place path looks at the end of each read only, so only successes compare */
        if (trailing && (rc < 0) != (rc2 < 0)) abort();
        if (trailing && rc >= 0 && rc != rc2) abort();
        if ((trailing || (rc == RA_PSYNC_END && rc2 == RA_PSYNC_END)) && rc >= 0 && rc2 >= 0) {
            if ((long long)placed_len != p.emitted) abort();
            fed_len = 0;
            ra_psync q;
            ra_err e3 = {0};
            ra_psync_init(&q);
            q.ignore_trailing = trailing;
            for (size_t at = 0; at < size; at += chunk) {
                size_t n = size - at < chunk ? size - at : chunk;
                if (ra_psync_feed(&q, data + at, n, copy_out, &(copy_dst){fed, &fed_len}, &e3) != RA_PSYNC_MORE) break;
            }
            if (fed_len != placed_len || memcmp(fed, placed, fed_len) != 0) abort();
        }
        free(placed);
    }
    free(fed);
    return 0;
}
