/* download.h - one object read as several ranged GETs in flight, handed on in order: the reading
 * side of the multipart upload. Memory is bounded by concurrency x chunk size (the chunks waiting
 * for an earlier one to finish); a failed or short range is fetched again, alone. */
#ifndef RA_STORAGE_S3_DOWNLOAD_H
#define RA_STORAGE_S3_DOWNLOAD_H

#include "common/err.h"
#include "storage/s3/s3.h"

typedef struct ra_download_opts {
    int concurrency;      /* ranges in flight; 0 = RA_CONCURRENCY_DEFAULT, at most RA_CONCURRENCY_MAX */
    long long chunk_size; /* bytes per range; 0 = from the object's size, RA_RANGE_SIZE_MIN..RA_RANGE_SIZE_MAX
                             (a tenth of the object over the ranges in flight, so even a small object
                             is read in parallel); others are clamped to 1 KiB..RA_RANGE_SIZE_MAX */
    long long *size;      /* receives the object's size (from its HEAD) when not NULL */
} ra_download_opts;

/* GET `key` in ranges: a HEAD for its size and ETag, then `Range: bytes=a-b` GETs (If-Match the ETag,
 * so an object replaced meanwhile fails rather than mixing two), up to concurrency at once, each
 * retried on its own (5xx, a dropped connection, an answer shorter than its range) up to the client's
 * max attempts. write(ctx, bytes, n) receives the object from its first byte to its last, in order, in
 * the caller's thread; it returns 0 to go on or -1 (err set by it) to stop everything. 404 ->
 * RA_E_NOTFOUND; a store that ignores Range (200 for a part of the object) -> RA_E_STORE. */
int ra_s3_download(ra_s3 *s3, const char *key, const ra_download_opts *opts,
                   int (*write)(void *ctx, const void *data, size_t len, ra_err *err), void *ctx, ra_err *err);

#endif
