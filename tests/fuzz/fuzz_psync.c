/* fuzz_psync.c - libFuzzer: the PSYNC answer parser and the RDB verifier fed arbitrary bytes in
 * arbitrary chunks. The first input byte picks the chunk size; invariants are asserted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/psync.h"
#include "source/rdb.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = (size_t)(data[0] % 64) + 1;
    data++;
    size--;
    ra_psync p;
    fuzz_ctx c;
    ra_err err = {0};
    ra_psync_init(&p);
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
    return 0;
}
