/* lzf.c - LZF decompression (liblzf's format, as Redis stores compressed strings), written from the format. */
#include "common/lzf.h"

#include <string.h>

int ra_lzf_expand(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
    size_t ip = 0, op = 0;
    while (ip < in_len) {
        unsigned ctrl = in[ip++];
        if (ctrl < 32) {
            size_t run = ctrl + 1;
            if (ip + run > in_len || op + run > out_len) return -1;
            memcpy(out + op, in + ip, run);
            ip += run;
            op += run;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= in_len) return -1;
            len += in[ip++];
        }
        if (ip >= in_len) return -1;
        size_t back = ((ctrl & 0x1f) << 8) + in[ip++] + 1;
        len += 2;
        if (back > op || op + len > out_len) return -1;
        for (size_t k = 0; k < len; k++, op++) out[op] = out[op - back];
    }
    return op == out_len ? 0 : -1;
}
