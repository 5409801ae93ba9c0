/* objsink.h - where a verified RDB stream becomes one stored object: through the seal (compression and
 * encryption, when asked) into a multipart upload opened when the stream begins, with the object's
 * metadata. One per standalone backup (backup.c) and one per shard of a cluster backup
 * (cluster_backup.c): the same way into the store for both. Completing is the caller's decision (after
 * its own checks), as is aborting. */
#ifndef RA_COMMAND_OBJSINK_H
#define RA_COMMAND_OBJSINK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/s3/upload.h"
#include "transform/seal.h"

typedef struct ra_objsink_opts {
    ra_s3 *s3;                      /* the upload's client (CreateMultipartUpload goes through it here) */
    const char *key;                /* borrowed until free */
    long long part_size;
    int concurrency;
    ra_upload_checksum checksum;
    ra_upload_growth growth;
    const ra_seal_opts *seal;       /* NULL: the RDB as it is (then reserve/commit may be used) */
    volatile sig_atomic_t *cancel;
} ra_objsink_opts;

typedef struct ra_objsink ra_objsink;

/* Start the upload of a stream of `length` RDB bytes (-1 unknown) with metadata meta[0..nmeta) (copied
 * by the upload). NULL with err set. */
ra_objsink *ra_objsink_open(const ra_objsink_opts *o, long long length, const ra_kv *meta, size_t nmeta,
                            ra_err *err);
/* RDB bytes, through the seal when there is one. */
int ra_objsink_write(ra_objsink *s, const uint8_t *data, size_t len, ra_err *err);
/* Zero copy into the part buffer (no seal only): as ra_upload_reserve / ra_upload_commit. */
int ra_objsink_reserve(ra_objsink *s, uint8_t **room, size_t *avail, ra_err *err);
int ra_objsink_commit(ra_objsink *s, size_t len, ra_err *err);
/* The stream ended whole: the seal writes what it holds (nothing to do without one). */
int ra_objsink_end(ra_objsink *s, ra_err *err);
/* The last part and CompleteMultipartUpload. */
int ra_objsink_complete(ra_objsink *s, ra_err *err);
void ra_objsink_abort(ra_objsink *s);
/* Bytes handed to the upload so far (after the seal): the object's size once complete. Any thread. */
long long ra_objsink_stored(const ra_objsink *s);
void ra_objsink_free(ra_objsink *s); /* s may be NULL; aborts an upload neither completed nor aborted */

#endif
