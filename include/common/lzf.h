/* lzf.h - LZF decompression, pure: what Redis's rdb.c stores as a compressed string (liblzf's format). */
#ifndef RA_COMMON_LZF_H
#define RA_COMMON_LZF_H

#include <stddef.h>
#include <stdint.h>

/* Expand in[0..in_len) into out: 0 when it expands to exactly out_len bytes, -1 when it is malformed,
 * refers before the start, or is longer or shorter than out_len. */
int ra_lzf_expand(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

#endif
