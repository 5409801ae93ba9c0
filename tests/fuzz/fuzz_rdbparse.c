/* fuzz_rdbparse.c - libFuzzer: the structural RDB reader fed arbitrary bytes in arbitrary chunks. The
 * first input byte picks the chunk size; the rest is the file. Invariants: feeding whole and in chunks
 * gives the same verdict and the same items; value spans are never empty and add up to each item's
 * value_len; counts add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/rdbparse.h"

typedef struct fz {
    int open;
    long long got, items;
    uint64_t sum; /* a running hash of every item's key, value bytes and fields */
} fz;

static int fz_begin(void *c, const ra_rdb_item *it, ra_err *err) {
    (void)err;
    fz *f = c;
    if (f->open) abort();
    f->open = 1;
    f->got = 0;
    if (it->kind == RA_RDB_ITEM_KEY && it->key == NULL) abort();
    return 0;
}

static int fz_value(void *c, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    fz *f = c;
    if (!f->open || n == 0) abort();
    for (size_t k = 0; k < n; k++) f->sum = f->sum * 131 + d[k];
    f->got += (long long)n;
    return 0;
}

static int fz_end(void *c, const ra_rdb_item *it, ra_err *err) {
    (void)err;
    fz *f = c;
    if (!f->open || f->got != it->value_len || it->value_len < 1) abort();
    f->open = 0;
    f->items++;
    for (size_t k = 0; it->key && k < it->key_len; k++) f->sum = f->sum * 31 + it->key[k];
    f->sum = f->sum * 7 + (uint64_t)it->db + (uint64_t)it->expire_ms + (uint64_t)it->type;
    return 0;
}

static int run(const uint8_t *data, size_t size, size_t chunk, fz *f, ra_rdb_counts *counts) {
    ra_rdbparse_cb cb = {.ctx = f, .begin = fz_begin, .value = fz_value, .end = fz_end};
    ra_rdbparse *p = ra_rdbparse_new(&cb);
    if (p == NULL) return -2;
    ra_err err = {0};
    int rc = 0;
    for (size_t at = 0; at < size && rc == 0; at += chunk)
        rc = ra_rdbparse_feed(p, data + at, size - at < chunk ? size - at : chunk, &err);
    if (rc == 0) rc = ra_rdbparse_finish(p, &err);
    if (rc != 0 && err.code != RA_E_VERIFY && err.code != RA_E_INTERNAL) abort();
    const ra_rdb_counts *c = ra_rdbparse_counts(p);
    long long kinds = 0, dbkeys = 0;
    for (int k = 0; k < RA_RDB_KINDS; k++) kinds += c->kinds[k];
    for (size_t k = 0; k < c->ndbs; k++) dbkeys += c->dbs[k].keys;
    if (kinds != c->keys || dbkeys != c->keys || c->expires > c->keys) abort();
    if (c->keys + c->functions != f->items) abort();
    *counts = *c;
    counts->dbs = NULL;
    ra_rdbparse_free(p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = (size_t)(data[0] % 32) + 1;
    data++;
    size--;
    fz a = {0}, b = {0};
    ra_rdb_counts ca, cb;
    int ra = run(data, size, size ? size : 1, &a, &ca);
    int rb = run(data, size, chunk, &b, &cb);
    if (ra == -2 || rb == -2) return 0;
    if (ra != rb) abort();
    if (ra == 0 && (a.items != b.items || a.sum != b.sum || ca.keys != cb.keys || ca.expires != cb.expires)) abort();
    /* counting only, as a backup runs it (key names skipped, whole string keys on a fast path): whole and
     * chunked agree, and agree with the full reader wherever key names decode */
    ra_rdbparse *p = ra_rdbparse_new(NULL), *q = ra_rdbparse_new(NULL);
    if (p && q) {
        ra_err e1 = {0}, e2 = {0};
        int r1 = ra_rdbparse_feed(p, data, size, &e1);
        if (r1 == 0) r1 = ra_rdbparse_finish(p, &e1);
        int r2 = 0;
        for (size_t at = 0; at < size && r2 == 0; at += chunk)
            r2 = ra_rdbparse_feed(q, data + at, size - at < chunk ? size - at : chunk, &e2);
        if (r2 == 0) r2 = ra_rdbparse_finish(q, &e2);
        if (r1 != r2) abort();
        const ra_rdb_counts *k1 = ra_rdbparse_counts(p), *k2 = ra_rdbparse_counts(q);
        if (r1 == 0 && (k1->keys != k2->keys || k1->expires != k2->expires || k1->ndbs != k2->ndbs)) abort();
        if (r1 == 0 && ra == 0 && (k1->keys != ca.keys || k1->expires != ca.expires)) abort();
        if (ra == 0 && r1 != 0) abort(); /* counting accepts whatever the full reader accepts */
    }
    ra_rdbparse_free(p);
    ra_rdbparse_free(q);
    return 0;
}
