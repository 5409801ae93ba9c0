/* upload.h - a multipart upload as a sink: parts cut from a stream, several in flight, bounded
 * memory (part size x (concurrency + 1)), aborted on any failure so no half object remains. */
#ifndef RA_STORAGE_S3_UPLOAD_H
#define RA_STORAGE_S3_UPLOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "storage/s3/partplan.h"
#include "storage/s3/s3.h"


typedef struct ra_upload ra_upload;

/* Per-part integrity that the store verifies. Measured on Ceph RGW 16.2.15: a wrong Content-MD5
 * is refused (400 BadDigest) and a wrong signed x-amz-content-sha256 is refused (400
 * XAmzContentSHA256Mismatch), but x-amz-checksum-crc32c/crc32/sha1/sha256 are IGNORED (a wrong
 * value is accepted; moto 5 does the same). AWS S3 checks x-amz-checksum-crc32c and echoes it in
 * the UploadPart answer: that echo is how AUTO tells. Cost here: CRC-32C 0.07 CPU-s/GiB (SSE4.2),
 * SHA-256 0.6, MD5 1.4. */
typedef enum ra_upload_checksum {
    RA_UPLOAD_CHECKSUM_AUTO = 0, /* CRC32C on every part (created with x-amz-checksum-algorithm);
                                    over http:// also SHA256 until the first part's answer echoes the
                                    CRC (the store checks it), and on every part when it does not;
                                    over https:// TLS authenticates every byte in transit */
    RA_UPLOAD_CHECKSUM_SHA256,   /* signed payload hash: checked by every S3 store */
    RA_UPLOAD_CHECKSUM_MD5,      /* Content-MD5 with UNSIGNED-PAYLOAD */
    RA_UPLOAD_CHECKSUM_NONE,     /* UNSIGNED-PAYLOAD only: TLS (https) or TCP (http) protects the bytes */
    RA_UPLOAD_CHECKSUM_CRC32C,   /* x-amz-checksum-crc32c with UNSIGNED-PAYLOAD, and in Complete */
} ra_upload_checksum;

/* Whether parts may grow as a long upload goes on (partplan.h). */
typedef enum ra_upload_growth {
    RA_UPLOAD_GROWTH_AUTO = 0, /* YES, except for stores that require equal parts (R2) */
    RA_UPLOAD_GROWTH_YES,
    RA_UPLOAD_GROWTH_NO,       /* every part but the last the same size: at most size x 10,000 bytes */
} ra_upload_growth;

typedef struct ra_upload_opts {
    long long part_size;      /* 0 = RA_PART_SIZE_DEFAULT; RA_PART_SIZE_MIN..RA_PART_SIZE_MAX */
    int concurrency;          /* parts in flight; 0 = RA_CONCURRENCY_DEFAULT */
    long long expected_size;  /* -1 unknown: part size grows so 10,000 parts reach >= 5 TiB; known:
                                 a hint, buffers grow only as the bytes arrive */
    const ra_kv *meta;        /* x-amz-meta-* given at CreateMultipartUpload */
    size_t nmeta;
    const char *content_type; /* NULL = application/octet-stream */
    long stall_timeout_ms;    /* a write blocked waiting for a free part fails when nothing was sent to
                                 the store for this long (bytes count, not whole parts); finish
                                 is bound by the store's own timeouts only; 0 = RA_SINK_STALL_MS_DEFAULT */
    volatile sig_atomic_t *cancel; /* non-zero -> the next write/finish fails RA_E_CANCELLED */
    ra_upload_checksum checksum;   /* 0 = AUTO */
    ra_upload_growth growth;       /* 0 = AUTO */
    int max_parts;                 /* 0 = RA_PARTS_MAX; smaller only in tests */
} ra_upload_opts;


/* Start a multipart upload of `key` (CreateMultipartUpload is sent here). */
ra_upload *ra_upload_new(ra_s3 *s3, const char *key, const ra_upload_opts *opts, ra_err *err);
/* Any-sized writes; blocks while all part buffers are in flight. On error the caller aborts. */
int ra_upload_write(ra_upload *up, const void *data, size_t len, ra_err *err);
/* Zero-copy alternative to ra_upload_write, for a source that reads straight into the part:
 * *buf and *avail (> 0) receive the free room of the current part (blocking like write while
 * every buffer is in flight); fill up to *avail bytes, then ra_upload_commit(up, n). */
int ra_upload_reserve(ra_upload *up, void **buf, size_t *avail, ra_err *err);
int ra_upload_commit(ra_upload *up, size_t n, ra_err *err);
/* Send the last part, wait for all, CompleteMultipartUpload (a 200 carrying <Error> is an error). */
int ra_upload_finish(ra_upload *up, ra_err *err);
/* AbortMultipartUpload; idempotent, safe after a failed finish, no-op after a successful one. */
void ra_upload_abort(ra_upload *up);
/* Frees; aborts first if neither finish succeeded nor abort was called. */
void ra_upload_free(ra_upload *up);

long long ra_upload_bytes(const ra_upload *up);      /* bytes accepted so far */
const char *ra_upload_id(const ra_upload *up);
/* After finish: 1 when the store echoed part 1's CRC-32C (it checks it), 0 when it did not, -1
 * when no CRC was sent (or part 1 was never answered). */
int ra_upload_crc32c_checked(const ra_upload *up);

#endif
