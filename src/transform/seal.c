/* seal.c - see seal.h: builds the chain of zstd.c and age.c stages and finishes them in order. */
#include "transform/seal.h"

#include <stdlib.h>
#include <string.h>

#include "transform/zstd.h"

struct ra_seal {
    int sealing;
    ra_zstd *z;
    ra_age_enc *enc;
    ra_age_dec *dec;
    ra_sink next;
};

static const char *const formats[2][2] = {{"rdb", "rdb.age"}, {"rdb.zst", "rdb.zst.age"}};

const char *ra_seal_format(int zstd, int age) { return formats[zstd != 0][age != 0]; }

int ra_seal_format_parse(const char *format, int *zstd, int *age) {
    if (format == NULL || *format == '\0') format = "rdb";
    for (int z = 0; z < 2; z++)
        for (int a = 0; a < 2; a++)
            if (strcmp(format, formats[z][a]) == 0) {
                *zstd = z;
                *age = a;
                return 0;
            }
    return -1;
}

ra_seal *ra_seal_new(const ra_seal_opts *o, const ra_sink *next, ra_err *err) {
    ra_seal *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    s->sealing = 1;
    s->next = *next;
    ra_sink after = *next;
    if (o->nrecipients > 0) {
        if ((s->enc = ra_age_enc_new(o->recipients, o->nrecipients, &after, err)) == NULL) goto fail;
        after = ra_age_enc_sink(s->enc);
    }
    if (o->compression == RA_COMPRESSION_ZSTD &&
        (s->z = ra_zstd_compressor_new(o->level, o->workers, o->plain_size, &after, err)) == NULL)
        goto fail;
    return s;
fail:
    ra_seal_free(s);
    return NULL;
}

ra_seal *ra_unseal_new(int zstd, int age, const ra_age_identity *ids, size_t nids, const ra_sink *next, ra_err *err) {
    ra_seal *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    s->next = *next;
    ra_sink after = *next;
    if (zstd) {
        if ((s->z = ra_zstd_decompressor_new(&after, err)) == NULL) goto fail;
        after = ra_zstd_sink(s->z);
    }
    if (age && (s->dec = ra_age_dec_new(ids, nids, &after, err)) == NULL) goto fail;
    return s;
fail:
    ra_seal_free(s);
    return NULL;
}

ra_sink ra_seal_sink(ra_seal *s) {
    if (s->sealing) return s->z ? ra_zstd_sink(s->z) : s->enc ? ra_age_enc_sink(s->enc) : s->next;
    return s->dec ? ra_age_dec_sink(s->dec) : s->z ? ra_zstd_sink(s->z) : s->next;
}

int ra_seal_finish(ra_seal *s, ra_err *err) {
    if (s->sealing) {
        if (s->z && ra_zstd_finish(s->z, err) != 0) return -1;
        return s->enc ? ra_age_enc_finish(s->enc, err) : 0;
    }
    if (s->dec && ra_age_dec_finish(s->dec, err) != 0) return -1;
    return s->z ? ra_zstd_finish(s->z, err) : 0;
}

void ra_seal_free(ra_seal *s) {
    if (s == NULL) return;
    ra_zstd_free(s->z);
    ra_age_enc_free(s->enc);
    ra_age_dec_free(s->dec);
    free(s);
}
