/* zstd.c - see zstd.h: the libzstd adapter. */
#include "transform/zstd.h"

#include <stdlib.h>
#include <zstd.h>

struct ra_zstd {
    ra_sink next;
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    size_t pending;   /* decompressor: ZSTD_decompressStream's last hint; 0 = at a frame boundary */
    int any;          /* decompressor: saw input */
    size_t cap;
    unsigned char *out;
};

static int oom(ra_err *err) { return ra_err_set(err, RA_E_INTERNAL, "out of memory"); }

static ra_zstd *alloc(const ra_sink *next, size_t cap, ra_err *err) {
    ra_zstd *z = calloc(1, sizeof(*z));
    if (z) z->out = malloc(cap);
    if (z == NULL || z->out == NULL) {
        ra_zstd_free(z);
        oom(err);
        return NULL;
    }
    z->cap = cap;
    z->next = *next;
    return z;
}

ra_zstd *ra_zstd_compressor_new(int level, int workers, long long pledged, const ra_sink *next, ra_err *err) {
    if (level < RA_ZSTD_LEVEL_MIN || level > RA_ZSTD_LEVEL_MAX) {
        ra_err_set(err, RA_E_USAGE, "zstd level %d is out of range %d..%d", level, RA_ZSTD_LEVEL_MIN,
                   RA_ZSTD_LEVEL_MAX);
        return NULL;
    }
    ra_zstd *z = alloc(next, ZSTD_CStreamOutSize(), err);
    if (z == NULL) return NULL;
    z->c = ZSTD_createCCtx();
    if (z->c == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1)) ||
        (pledged >= 0 && ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(z->c, (unsigned long long)pledged)))) {
        ra_zstd_free(z);
        oom(err);
        return NULL;
    }
    /* a libzstd built without threads refuses workers: then it compresses in the caller's thread */
    if (workers > 0) (void)ZSTD_CCtx_setParameter(z->c, ZSTD_c_nbWorkers, workers);
    return z;
}

ra_zstd *ra_zstd_decompressor_new(const ra_sink *next, ra_err *err) {
    ra_zstd *z = alloc(next, ZSTD_DStreamOutSize(), err);
    if (z == NULL) return NULL;
    z->d = ZSTD_createDCtx();
    if (z->d == NULL) {
        ra_zstd_free(z);
        oom(err);
        return NULL;
    }
    return z;
}

/* Compress (or end the frame) until libzstd has taken all input and, at the end, flushed all. */
static int compress(ra_zstd *z, const void *data, size_t len, ZSTD_EndDirective mode, ra_err *err) {
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer out = {z->out, z->cap, 0};
        size_t left = ZSTD_compressStream2(z->c, &out, &in, mode);
        if (ZSTD_isError(left))
            return ra_err_set(err, RA_E_INTERNAL, "zstd compression failed: %s", ZSTD_getErrorName(left));
        if (out.pos > 0 && z->next.write(z->next.ctx, z->out, out.pos, err) != 0) return -1;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return 0;
    }
}

static int decompress(ra_zstd *z, const void *data, size_t len, ra_err *err) {
    ZSTD_inBuffer in = {data, len, 0};
    z->any |= len > 0;
    int full = 0;  /* the last call filled the output buffer: libzstd may hold more */
    while (in.pos < in.size || full) {
        size_t before = in.pos;
        ZSTD_outBuffer out = {z->out, z->cap, 0};
        size_t hint = ZSTD_decompressStream(z->d, &out, &in);
        if (ZSTD_isError(hint))
            return ra_err_set(err, RA_E_VERIFY, "the zstd stream is corrupt: %s", ZSTD_getErrorName(hint));
        /* a call that moved nothing says nothing about where the stream stands */
        if (in.pos > before || out.pos > 0) z->pending = hint;
        if (out.pos > 0 && z->next.write(z->next.ctx, z->out, out.pos, err) != 0) return -1;
        full = out.pos == out.size;
    }
    return 0;
}

static int zwrite(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_zstd *z = ctx;
    return z->c ? compress(z, data, len, ZSTD_e_continue, err) : decompress(z, data, len, err);
}

ra_sink ra_zstd_sink(ra_zstd *z) { return (ra_sink){.ctx = z, .write = zwrite}; }

int ra_zstd_finish(ra_zstd *z, ra_err *err) {
    if (z->c) return compress(z, NULL, 0, ZSTD_e_end, err);
    if (!z->any || z->pending != 0) return ra_err_set(err, RA_E_VERIFY, "the zstd stream is cut short");
    return 0;
}

void ra_zstd_free(ra_zstd *z) {
    if (z == NULL) return;
    ZSTD_freeCCtx(z->c);
    ZSTD_freeDCtx(z->d);
    free(z->out);
    free(z);
}
