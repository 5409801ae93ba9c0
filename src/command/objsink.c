/* objsink.c - a verified RDB stream into one object: seal (optional), then the multipart upload. */
#include "command/objsink.h"

#include <stdlib.h>

struct ra_objsink {
    ra_upload *upload;
    ra_seal *seal;
    long long stored; /* atomic: bytes handed to the upload */
};

static void count(ra_objsink *s, size_t len) {
    __atomic_add_fetch(&s->stored, (long long)len, __ATOMIC_RELAXED);
}

/* The seal's way into the upload. */
static int seal_out(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_objsink *s = ctx;
    if (ra_upload_write(s->upload, data, len, err) != 0) return -1;
    count(s, len);
    return 0;
}

ra_objsink *ra_objsink_open(const ra_objsink_opts *o, long long length, const ra_kv *meta, size_t nmeta,
                            ra_err *err) {
    ra_objsink *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    ra_upload_opts uo = {
        .part_size = o->part_size,
        .concurrency = o->concurrency,
        .checksum = o->checksum,
        .growth = o->growth,
        .expected_size = length,
        .meta = meta,
        .nmeta = nmeta,
        .cancel = o->cancel,
    };
    if (o->seal && length >= 0) uo.expected_size = length + length / 256 + 65536; /* zstd and age add at most this */
    if ((s->upload = ra_upload_new(o->s3, o->key, &uo, err)) == NULL) {
        free(s);
        return NULL;
    }
    if (o->seal) {
        ra_seal_opts so = *o->seal;
        so.plain_size = length;
        ra_sink to_store = {.ctx = s, .write = seal_out};
        if ((s->seal = ra_seal_new(&so, &to_store, err)) == NULL) {
            ra_objsink_free(s);
            return NULL;
        }
    }
    return s;
}

int ra_objsink_write(ra_objsink *s, const uint8_t *data, size_t len, ra_err *err) {
    if (s->seal) {
        ra_sink front = ra_seal_sink(s->seal);
        return front.write(front.ctx, data, len, err);
    }
    if (ra_upload_write(s->upload, data, len, err) != 0) return -1;
    count(s, len);
    return 0;
}

int ra_objsink_reserve(ra_objsink *s, uint8_t **room, size_t *avail, ra_err *err) {
    if (s->seal) return ra_err_set(err, RA_E_INTERNAL, "a sealed stream cannot be written in place");
    void *p = NULL;
    if (ra_upload_reserve(s->upload, &p, avail, err) != 0) return -1;
    *room = p;
    return 0;
}

int ra_objsink_commit(ra_objsink *s, size_t len, ra_err *err) {
    if (ra_upload_commit(s->upload, len, err) != 0) return -1;
    count(s, len);
    return 0;
}

int ra_objsink_end(ra_objsink *s, ra_err *err) {
    return s->seal ? ra_seal_finish(s->seal, err) : 0;
}

int ra_objsink_complete(ra_objsink *s, ra_err *err) {
    return ra_upload_finish(s->upload, err);
}

void ra_objsink_abort(ra_objsink *s) {
    if (s) ra_upload_abort(s->upload);
}

long long ra_objsink_stored(const ra_objsink *s) {
    return s ? __atomic_load_n(&s->stored, __ATOMIC_RELAXED) : 0;
}

void ra_objsink_free(ra_objsink *s) {
    if (s == NULL) return;
    ra_seal_free(s->seal);
    ra_upload_free(s->upload);
    free(s);
}
