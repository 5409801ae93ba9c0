/* fuzz_replstream.c - libFuzzer: the replication stream scanner on arbitrary bytes, fed whole and
 * split in two. Never crashes; offsets only grow; commands lie inside what was fed, in order, and
 * both feeds agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/replstream.h"

typedef struct st {
    long long last_end, count;
} st;

static int on_cmd(void *ctx, const ra_replcmd *c, ra_err *err) {
    (void)err;
    st *s = ctx;
    if (c->start < s->last_end || c->end <= c->start || c->argc < 1) abort();
    if (strlen(c->name) >= RA_REPLSTREAM_NAME_MAX) abort();
    s->last_end = c->end;
    s->count++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_replstream a, b;
    st sa = {0}, sb = {0};
    ra_err err = {0};
    ra_replstream_init(&a, 0);
    int ra = ra_replstream_feed(&a, data, size, on_cmd, &sa, &err);
    if (ra == 0 && (a.offset != (long long)size || a.boundary > a.offset || sa.last_end > a.offset)) abort();
    size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    ra_replstream_init(&b, 0);
    int rb = ra_replstream_feed(&b, data, cut, on_cmd, &sb, &err);
    if (rb == 0) rb = ra_replstream_feed(&b, data + cut, size - cut, on_cmd, &sb, &err);
    if (ra != rb || (ra == 0 && (sa.count != sb.count || a.boundary != b.boundary))) abort();
    return 0;
}
