/* zstd.h - zstd compression and decompression as streaming transforms over libzstd: a compressor
 * takes bytes through an ra_sink and writes one standard zstd frame (what `zstd -d` reads) to the
 * next sink; a decompressor does the reverse. Each holds libzstd's stream state and one output
 * buffer (about 128 KiB, plus the compression window). */
#ifndef RA_TRANSFORM_ZSTD_H
#define RA_TRANSFORM_ZSTD_H

#include <stddef.h>

#include "common/err.h"
#include "common/limits.h"
#include "pipeline/sink.h"

#define RA_ZSTD_LEVEL_MIN RA_COMPRESSION_LEVEL_MIN
#define RA_ZSTD_LEVEL_MAX RA_COMPRESSION_LEVEL_MAX

typedef struct ra_zstd ra_zstd;

/* A compressor at level (RA_ZSTD_LEVEL_MIN..MAX) with `workers` threads besides the caller's (0:
 * none), writing to next (borrowed; only write is used). pledged: the input size when known (it goes
 * into the frame header), else -1. NULL with err set. */
ra_zstd *ra_zstd_compressor_new(int level, int workers, long long pledged, const ra_sink *next, ra_err *err);
/* A decompressor of one or more concatenated frames writing to next. Corrupt input is RA_E_VERIFY. */
ra_zstd *ra_zstd_decompressor_new(const ra_sink *next, ra_err *err);
/* The sink that feeds it (write only). */
ra_sink ra_zstd_sink(ra_zstd *z);
/* End of input: the compressor ends its frame and writes what it holds; the decompressor fails with
 * RA_E_VERIFY when the input stopped inside a frame. */
int ra_zstd_finish(ra_zstd *z, ra_err *err);
void ra_zstd_free(ra_zstd *z);

#endif
