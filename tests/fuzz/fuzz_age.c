/* fuzz_age.c - libFuzzer: what `verify` reads from the store, undone by the age decryptor (with the
 * identity the seeds were encrypted to) and then the zstd decompressor, on arbitrary bytes, fed in two
 * pieces split at the first byte. Never crashes or leaks; an accepted file is the header parser's idea
 * of a whole header too. Also Bech32 on the same bytes as text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transform/agefmt.h"
#include "transform/bech32.h"
#include "transform/seal.h"

#define IDENTITY "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"

static int discard(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    (void)data;
    (void)err;
    *(size_t *)ctx += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_err err = {0};
    ra_age_identity *ids = NULL;
    size_t nids = 0, out = 0;
    if (ra_age_identities_parse(IDENTITY, strlen(IDENTITY), "fuzz", &ids, &nids, &err) != 0) abort();
    int zstd = size > 0 && (data[0] & 1);
    ra_sink sink = {.ctx = &out, .write = discard};
    ra_seal *s = ra_unseal_new(zstd, 1, ids, nids, &sink, &err);
    ra_age_identities_free(ids, nids);
    if (s == NULL) abort();
    ra_sink in = ra_seal_sink(s);
    size_t cut = size > 1 ? data[0] % size : size;
    int rc = in.write(in.ctx, data, cut, &err);
    if (rc == 0) rc = in.write(in.ctx, data + cut, size - cut, &err);
    if (rc == 0) rc = ra_seal_finish(s, &err);
    if (rc != 0 && err.code != RA_E_VERIFY) abort();
    ra_seal_free(s);
    if (rc == 0) {
        ra_age_header *h = malloc(sizeof(*h));
        if (h == NULL || ra_age_header_parse(data, size, h, &err) != 1) abort();
        free(h);
    }

    char *text = malloc(size + 1), hrp[128];
    uint8_t bytes[256];
    size_t n;
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (ra_bech32_decode(text, hrp, sizeof(hrp), bytes, sizeof(bytes), &n) == 0) {
        char again[1024];
        if (ra_bech32_encode(hrp, bytes, n, 0, again, sizeof(again)) < 0) abort();
    }
    free(text);
    return 0;
}
