/* fuzz_respcmd.c - libFuzzer: the RESP command parser on arbitrary bytes, command after command. Never
 * crashes; a whole command's spans lie inside what it used; every shorter prefix of a whole command is
 * incomplete, never malformed; a unit's key lies inside it. */
#include <stdint.h>
#include <stdlib.h>

#include "source/respcmd.h"

static int key_at_1(void *ctx, const ra_respcmd *c, ra_err *err) {
    (void)ctx;
    (void)err;
    return c->argc > 2 ? 1 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_respcmd c = {0};
    ra_err err = {0};
    size_t at = 0, used = 0;
    for (;;) {
        int r = ra_respcmd_parse(&c, data + at, size - at, &used, &err);
        if (r != 1) break;
        if (used == 0 || used > size - at || c.argc < 1) abort();
        for (int i = 0; i < c.argc; i++)
            if ((const uint8_t *)c.argv[i] < data + at || (const uint8_t *)c.argv[i] + c.lens[i] > data + at + used) abort();
        size_t cut = data[at] % (used ? used : 1);
        size_t u2;
        if (ra_respcmd_parse(&c, data + at, cut, &u2, &err) != 0) abort();
        at += used;
    }
    ra_respcmd_clear(&c);
    const char *key = NULL;
    size_t key_len = 0;
    int n = 0;
    int r = ra_respcmd_unit_key(data, size, key_at_1, NULL, &key, &key_len, &n, &err);
    if (r == 1 && ((const uint8_t *)key < data || (const uint8_t *)key + key_len > data + size)) abort();
    if (r >= 0 && (n < 0 || (size > 0 && n == 0))) abort();
    return 0;
}
