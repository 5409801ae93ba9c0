/* fuzz_segment.c - libFuzzer: the segment header parser (and the chain state's, and a segment key's name) on arbitrary objects. Never crashes; what it
 * accepts has its offsets, ticks and payload length consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_segment_meta m = {0};
    size_t at = 0;
    ra_err err = {0};
    if (ra_segment_parse(data, size, &m, &at, &err) == 0) {
        if (at > size || (long long)(size - at) != m.last - m.first) abort();
        for (size_t i = 0; i < m.nticks; i++)
            if (m.ticks[i].offset < m.first || m.ticks[i].offset > m.last) abort();
        (void)ra_segment_offset_at(&m, 0);
        if (m.sharded && (m.shard < 0 || m.shard > 65535)) abort();
    }
    ra_segment_meta_clear(&m);
    /* a key's name under a chain's dir, as a NUL-terminated string */
    char *rel = malloc(size + 1);
    if (rel != NULL) {
        memcpy(rel, data, size);
        rel[size] = '\0';
        int shard;
        long long first, last;
        if (ra_segment_rel_parse(rel, &shard, &first, &last) && (shard < -1 || last < first || first < 0)) abort();
        free(rel);
    }
    ra_segment_state st;
    ra_segment_state_parse((const char *)data, size, &st);
    if (memchr(st.last_segment, '\0', sizeof(st.last_segment)) == NULL) abort();
    return 0;
}
