/* s3.h - an S3 client over libcurl: SigV4, objects, listing, lifecycle, multipart, presign.
 * Works with AWS S3 and S3-compatible stores (Ceph RGW, MinIO, COS, R2). Never logs credentials. */
#ifndef RA_STORAGE_S3_S3_H
#define RA_STORAGE_S3_S3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/log.h"
#include "storage/s3/credentials.h"
#include "storage/s3/types.h"

typedef struct ra_s3 ra_s3;

/* Server-side encryption (x-amz-server-side-encryption); the order of the `sse` key's values. */
typedef enum ra_s3_sse {
    RA_S3_SSE_NONE = 0, /* no header: the bucket's default */
    RA_S3_SSE_AES256,   /* SSE-S3 */
    RA_S3_SSE_KMS,      /* aws:kms, with sse_kms_key_id or the default key */
} ra_s3_sse;

#define RA_S3_PATH_STYLE_AUTO 2

typedef struct ra_s3_config {
    const char *endpoint;        /* "https://s3.amazonaws.com", "http://127.0.0.1:17480"; NULL: AWS
                                    for the region (https://s3.<region>.amazonaws.com, .com.cn for cn-*) */
    const char *region;          /* NULL: RA_S3_REGION_DEFAULT. The environment is not read here:
                                    the configuration resolves AWS_REGION and friends */
    const char *bucket;
    int path_style;              /* 1: http://host/bucket/key, 0: http://bucket.host/key,
                                    RA_S3_PATH_STYLE_AUTO: ra_s3_endpoint_path_style_auto */
    const char *ca_file;         /* extra CA bundle; NULL = system */
    int insecure;                /* 1: do not verify TLS certificates (warns) */
    const ra_s3_credentials *credentials; /* copied; NULL: ra_s3_credentials_load */
    long connect_timeout_ms;     /* 0 = RA_CONNECT_TIMEOUT_MS_DEFAULT */
    long request_timeout_ms;     /* no progress for this long fails a request;
                                    0 = RA_READ_TIMEOUT_MS_DEFAULT */
    int max_attempts;            /* retries of retriable failures; 0 = RA_S3_MAX_ATTEMPTS_DEFAULT */
    const ra_log *log;           /* may be NULL */
    int max_keys;                /* page size of listings (max-keys / max-uploads); 0 = server
                                    default (1000). Small values let tests exercise pagination */
    long total_timeout_ms;       /* one call with all its retries gives up after this long (streamed
                                    GETs excepted: see ra_s3_get_object); 0 = RA_S3_TOTAL_TIMEOUT_MS_DEFAULT */
    /* Non-zero (set by a SIGTERM/SIGINT handler) aborts the requests in flight and their retries
     * with RA_E_CANCELLED within about a second. A request STARTED while it is already set is
     * cleanup after the cancel (AbortMultipartUpload, the final "cancelled" record): it runs, not
     * watching the flag, but gives up after cleanup_timeout_ms. NULL: never cancelled. */
    volatile sig_atomic_t *cancel;
    long cleanup_timeout_ms;     /* 0 = RA_S3_CLEANUP_TIMEOUT_MS_DEFAULT */
    ra_s3_sse sse;               /* asked for on every new object (PutObject, CreateMultipartUpload) */
    const char *sse_kms_key_id;  /* with RA_S3_SSE_KMS; NULL = the default key. Not a secret, but
                                    only logged at debug */
    const char *storage_class;   /* of multipart uploads (backups) only; NULL = the store's default */
} ra_s3_config;

ra_s3 *ra_s3_new(const ra_s3_config *config, ra_err *err);
void ra_s3_free(ra_s3 *s3);

typedef struct ra_s3_head {
    long long size;
    time_t last_modified;
    char *etag;
    ra_s3_meta *meta;  /* x-amz-meta-* with the prefix stripped, lower-case names; owned */
    size_t nmeta;
} ra_s3_head;
void ra_s3_head_clear(ra_s3_head *head);

/* Results besides 0 and -1 that a caller branches on; err is set as for -1. */
#define RA_S3_PRECONDITION_FAILED 1 /* conditional PUT refused: 412 PreconditionFailed (the object
                                       exists / has another ETag) or 409 ConditionalRequestConflict
                                       (a concurrent conditional write won) */
#define RA_S3_NO_SUCH_UPLOAD 2      /* the multipart upload is gone (404 NoSuchUpload) */
#define RA_S3_COMPLETE_UNSURE 3     /* Complete got no answer, an unparsable one, a 5xx or a 200 <Error> after every
                                       attempt: the object may be complete; only a HEAD can tell */

/* Small objects (manifests, task records, locks). */
int ra_s3_put_object(ra_s3 *s3, const char *key, const void *data, size_t len,
                     const char *content_type, const ra_kv *meta, size_t nmeta, ra_err *err);

/* PUT with options, among them the conditions a lock needs. */
typedef struct ra_s3_put_opts {
    const char *content_type; /* NULL = application/octet-stream */
    const ra_kv *meta;        /* x-amz-meta-* */
    size_t nmeta;
    int if_absent;            /* If-None-Match: *   (create only; the object must not exist) */
    const char *if_match;     /* If-Match: <etag>   (replace only that version; quoted as received) */
    char **etag;              /* receives the new object's ETag (malloc'd, "" when the store sent
                                 none), may be NULL */
} ra_s3_put_opts;
/* 0 on success, RA_S3_PRECONDITION_FAILED when a condition does not hold (not retried), -1 on any
 * other failure. A store that ignores the conditions (older Ceph RGW) simply overwrites. */
int ra_s3_put(ra_s3 *s3, const char *key, const void *data, size_t len, const ra_s3_put_opts *opts, ra_err *err);
/* Whole object into *data (caller frees), refusing objects larger than max_len. 404 -> RA_E_NOTFOUND. */
int ra_s3_get_object_small(ra_s3 *s3, const char *key, size_t max_len, char **data, size_t *len,
                           ra_err *err);
/* Streamed GET: write(ctx, bytes, n) returns 0 to go on, -1 to stop (err set by it). No overall
 * budget, but fewer than 1 KiB/s over request_timeout_ms fails it (RA_E_STORE): a store
 * trickling bytes cannot hold a verify open for ever. */
int ra_s3_get_object(ra_s3 *s3, const char *key,
                     int (*write)(void *ctx, const void *data, size_t len, ra_err *err), void *ctx,
                     ra_err *err);
int ra_s3_head_object(ra_s3 *s3, const char *key, ra_s3_head *head, ra_err *err); /* 404 -> NOTFOUND */
int ra_s3_delete_object(ra_s3 *s3, const char *key, ra_err *err);
/* DeleteObjects in batches of <= 1000. */
int ra_s3_delete_objects(ra_s3 *s3, const char *const *keys, size_t n, ra_err *err);
/* PutObjectTagging: the object's tags become the one tag_key=tag_value (plain text: no XML special
 * characters). A missing object -> RA_E_NOTFOUND; a store without object tagging (501 NotImplemented)
 * -> RA_E_STORE and *unsupported = 1 (may be NULL). */
int ra_s3_put_object_tagging(ra_s3 *s3, const char *key, const char *tag_key, const char *tag_value,
                             int *unsupported, ra_err *err);
/* GetObjectTagging: *value (malloc'd) of the object's tag tag_key, NULL when it has none. */
int ra_s3_get_object_tag(ra_s3 *s3, const char *key, const char *tag_key, char **value, ra_err *err);
/* HeadBucket: RA_E_STORE with a clear message when the bucket is missing or access is denied.
 * ra_s3_check_prefix lists nothing but inside prefix (least privilege: no bucket-root listing). */
int ra_s3_check_bucket(ra_s3 *s3, ra_err *err);
int ra_s3_check_prefix(ra_s3 *s3, const char *prefix, ra_err *err);

/* ListObjectsV2 over all pages; cb returns 0 to go on, -1 to stop with err set. */
int ra_s3_list(ra_s3 *s3, const char *prefix,
               int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx, ra_err *err);

/* The same with delimiter "/": only the keys directly under prefix (deeper "folders" are not paged through). */
int ra_s3_list_top(ra_s3 *s3, const char *prefix,
                   int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx, ra_err *err);

/* ListMultipartUploads over all pages. */
int ra_s3_list_uploads(ra_s3 *s3, const char *prefix,
                       int (*cb)(void *ctx, const ra_s3_upload_ref *up, ra_err *err), void *ctx,
                       ra_err *err);
/* CreateMultipartUpload with the object's type (NULL = application/octet-stream) and metadata, the
 * client's server-side encryption and storage class, and x-amz-checksum-algorithm when
 * checksum_algorithm is not NULL ("CRC32C": every part then carries its checksum);
 * *upload_id receives the id (malloc'd). */
int ra_s3_upload_create(ra_s3 *s3, const char *key, const char *content_type, const ra_kv *meta, size_t nmeta,
                        const char *checksum_algorithm, char **upload_id, ra_err *err);
/* CompleteMultipartUpload of parts 1..n with their ETags. A 200 whose body is <Error> (AWS: the request
 * failed after the 200 was sent) is retried like a 5xx. RA_S3_NO_SUCH_UPLOAD when the upload is gone (a
 * retried Complete whose first answer was lost, or an abort by someone else), RA_S3_COMPLETE_UNSURE when
 * no attempt gave a clear answer (see above): only a HEAD of the object can tell which. Other errors
 * (4xx) are final: -1. */
/* crc32c: the parts' base64 CRC-32C (ChecksumCRC32C), or NULL for an upload created without. */
int ra_s3_upload_complete(ra_s3 *s3, const char *key, const char *upload_id, const char *const *etags,
                          const char *const *crc32c, size_t n, ra_err *err);
/* AbortMultipartUpload; an upload already gone (NoSuchUpload) counts as aborted. */
int ra_s3_abort_upload(ra_s3 *s3, const char *key, const char *upload_id, ra_err *err);

/* Lifecycle (ra_s3_lifecycle in types.h). */
/* No configuration -> 0 with nrules 0. A store without lifecycle support (501 NotImplemented)
 * -> RA_E_STORE and *unsupported = 1. */
int ra_s3_get_lifecycle(ra_s3 *s3, ra_s3_lifecycle *lc, int *unsupported, ra_err *err);
int ra_s3_put_lifecycle(ra_s3 *s3, const ra_s3_lifecycle *lc, int *unsupported, ra_err *err);
/* A <Rule> element: ID, Filter/Prefix, Status Enabled, Expiration/Days (omitted when
 * expire_days <= 0), AbortIncompleteMultipartUpload/DaysAfterInitiation (omitted when <= 0).
 * Returns malloc'd XML text. */
char *ra_s3_lifecycle_rule_xml(const char *id, const char *prefix, int expire_days, int abort_days);
/* 1 when two <Rule> texts say the same: the same elements with the same text (trimmed), in any order and
 * however serialised (moto writes Expiration before ID); 0 when not (a text that is not XML equals only
 * itself); -1 when out of memory. */
int ra_s3_lifecycle_rule_equal(const char *a, const char *b);

/* GetBucketVersioning: *versioned 1 when versioning is Enabled or Suspended (the bucket holds or may
 * hold noncurrent versions and delete markers). */
int ra_s3_get_versioning(ra_s3 *s3, int *versioned, ra_err *err);

/* CreateBucket / DeleteBucket of the configured bucket (tests and the harness use them; the
 * archiver itself never creates buckets). Deleting a non-empty bucket fails (409 BucketNotEmpty). */
int ra_s3_create_bucket(ra_s3 *s3, ra_err *err);
int ra_s3_delete_bucket(ra_s3 *s3, ra_err *err);

/* Seconds to add to the local clock to get the server's: learnt from the Date header of every
 * successful answer when it differs from the known offset by more than 2 s (the header's resolution),
 * and from a RequestTimeTooSkewed answer's; 0 until then. */
long ra_s3_clock_offset(const ra_s3 *s3);

/* Presigned GET URL (SigV4 query signing) for key, valid `expires` seconds from `now`.
 * endpoint NULL = the configured endpoint; another endpoint (a public address) is signed for its
 * own host. Warns through the log when temporary credentials expire before the URL.
 * Returns a malloc'd URL. */
char *ra_s3_presign_get(ra_s3 *s3, const char *endpoint, const char *key, long expires, time_t now,
                        ra_err *err);

#endif
