/* request.h - internals of the S3 layer shared by its files: the client's fields, one signed
 * request on a libcurl easy handle (usable alone or inside a multi handle), the retry engine and
 * the mapping of answers to errors (request.c). Not for use outside src/storage/s3/. */
#ifndef RA_STORAGE_S3_REQUEST_H
#define RA_STORAGE_S3_REQUEST_H

#include <pthread.h>

#include <curl/curl.h>

#include "storage/s3/endpoint.h"
#include "storage/s3/s3.h"

#define RA_S3_MAX_BODY_DEFAULT (16u * 1024 * 1024)

/* The client (opaque to everyone else). */
struct ra_s3 {
    ra_s3_endpoint ep;
    char *region;
    char *bucket;
    int path_style;        /* 0 or 1: auto is resolved by ra_s3_new */
    int custom_endpoint;   /* the endpoint was given (not AWS's for the region) */
    /* the region (and AWS endpoint) the store named once in a redirect: region and ep are replaced under
     * lock, once; what they replaced is kept until ra_s3_free (another thread may still read it) */
    int region_learned;
    char *old_region;
    ra_s3_endpoint old_ep;
    char *ca_file;
    int insecure;
    ra_s3_cred_chain *creds; /* thread-safe: read with ra_s3_cred_chain_get */
    long connect_timeout_ms;
    long request_timeout_ms;
    int max_attempts;
    int max_keys;
    long total_timeout_ms;
    long cleanup_timeout_ms;
    volatile sig_atomic_t *cancel;
    const ra_log *log;
    CURL *easy;            /* kept for connection reuse across single requests */
    curl_socket_t easy_fd; /* its connection's socket while open, else CURL_SOCKET_BAD */
    /* shared with an upload thread (ra_s3_xfer_setup/result run there too) */
    long clock_offset;    /* server clock minus ours, seconds; atomic loads and stores */
    int clock_pinned;     /* the offset came from a RequestTimeTooSkewed answer: Date headers leave it
                             (atomic) */
    pthread_mutex_t lock; /* guards seed */
    unsigned int seed;    /* jitter */
    ra_s3_sse sse;        /* new objects: multipart.c, ra_s3_headers_sse */
    char *sse_kms_key_id;
    char *storage_class;
    int checksum_refused; /* the store refused the CRC-32C headers once: part-checksum auto sends none from
                             then on (multipart.c, upload.c; atomic: uploads of several threads) */
};

typedef struct ra_s3_req {
    const char *method;       /* GET PUT POST DELETE HEAD */
    const char *key;          /* object key (raw), NULL for the bucket itself */
    int no_bucket;            /* 1: the service root "/" (no bucket in host or path) */
    const ra_kv *query;       /* raw; value NULL = "" */
    size_t nquery;
    const ra_kv *headers;     /* extra headers, all signed (Content-Type, Content-MD5, x-amz-meta-*) */
    size_t nheaders;
    const void *body;         /* request body for PUT/POST, sent with Content-Length; may be NULL */
    size_t body_len;
    const char *payload_hash; /* hex SHA-256 of body; NULL = UNSIGNED-PAYLOAD */
    /* 2xx response body streamed here instead of buffered; NULL = buffer up to max_body */
    int (*write)(void *ctx, const void *data, size_t len, ra_err *err);
    void *write_ctx;
    size_t max_body;          /* 0 = RA_S3_MAX_BODY_DEFAULT; a longer buffered body fails the request */
    long min_rate;            /* streamed GET: fail when fewer than this many bytes per second
                                 arrive over the request timeout; 0 = 1 */
    int restartable;          /* write takes the answer again from its start (a ranged GET into a
                                 buffer): a dropped transfer is retried even after bytes arrived */
    int slow_answer;          /* the answer may take minutes while bytes trickle (AWS's Complete sends
                                 200 at once, then whitespace, then the XML): no call budget and no
                                 low-speed limit; an attempt ends (and is retried) only after the request
                                 timeout passes without a byte sent or received */
} ra_s3_req;

typedef struct ra_s3_resp {
    long status;
    char code[64];            /* the <Code> of an error answer ("NoSuchUpload"), "" when none */
    char message[256];        /* its <Message>, "" when none */
    char *body;               /* buffered body (error bodies always), NUL-terminated */
    size_t len;
    char *etag;               /* ETag header, NULL when absent */
    char *request_id;         /* x-amz-request-id */
    time_t date;              /* Date header, 0 when absent */
    time_t date_local;        /* our clock when that header arrived */
    time_t last_modified;
    long long content_length; /* -1 when absent */
    long retry_after_s;       /* Retry-After in seconds (throttling answers), 0 when absent */
    char bucket_region[64];   /* x-amz-bucket-region, "" when absent */
    ra_s3_meta *meta;         /* x-amz-meta-* (prefix stripped, lower case) */
    size_t nmeta;
    char checksum_crc32c[16]; /* x-amz-checksum-crc32c echoed (AWS on UploadPart), "" when none */
} ra_s3_resp;
void ra_s3_resp_clear(ra_s3_resp *r);

/* One attempt's state on one easy handle. */
typedef struct ra_s3_xfer {
    CURL *easy;
    const ra_s3_req *req;
    char *url;
    struct curl_slist *headers;
    ra_s3_resp resp;
    size_t body_pos;      /* read position in req->body */
    size_t delivered;     /* bytes handed to req->write: then a retry would duplicate them */
    int write_failed;     /* req->write returned -1; werr holds why */
    int too_big;          /* buffered body exceeded max_body */
    int oom;
    int skew_retried;     /* RequestTimeTooSkewed already corrected once */
    int token_refreshed;  /* ExpiredToken already answered by new credentials once (kept like skew_retried) */
    int region_retried;   /* signed again for the region a redirect named (kept like skew_retried) */
    unsigned cred_gen;    /* the generation of the credentials this attempt was signed with */
    ra_err werr;
    char errbuf[CURL_ERROR_SIZE];
    /* kept across ra_s3_xfer_setup: set them once per request */
    volatile sig_atomic_t *cancel; /* watched by the progress callback; NULL = not */
    long long deadline_ms;         /* CLOCK_MONOTONIC ms after which the attempt aborts; 0 = none */
    int cancelled;                 /* the attempt was aborted by *cancel */
    int timed_out;                 /* ... or by deadline_ms */
    long idle_ms;                  /* > 0 (slow_answer): abort after this long without a byte moving */
    long long moved_ms;            /* when a byte last moved (either way), CLOCK_MONOTONIC ms */
    long long seen_dl, seen_ul;    /* the byte counts seen then */
    int idled;                     /* the attempt was aborted by idle_ms */
    curl_socket_t *quickack_fd;    /* the connection's socket, to ACK response headers at once */
} ra_s3_xfer;

/* Sign req (with the clock offset learnt from the server) and set every option of x->easy for
 * it: URL, headers (Host, x-amz-*, Authorization, Content-Length, "Expect:"), body callbacks,
 * TLS and timeouts. x->easy must be set; x is reset. */
int ra_s3_xfer_setup(ra_s3 *s3, ra_s3_xfer *x, const ra_s3_req *req, ra_err *err);

/* Classify a finished attempt. 0: 2xx. -1: failed; then *retry_ms >= 0 means "retriable, wait
 * that long and set up again" (attempt is 1-based and counted against max_attempts), and -1 means
 * final with err set ("s3: PUT 'key': 403 SignatureDoesNotMatch (request id ...)"). */
int ra_s3_xfer_result(ra_s3 *s3, ra_s3_xfer *x, CURLcode rc, int attempt, long *retry_ms, ra_err *err);

/* client.c: the pause before attempt + 1 (250 ms doubling to 8 s, jittered to [d/2, d]); for throttling
 * (1 s doubling to 20 s), at least the Retry-After named (capped at 60 s). */
long ra_s3_backoff_ms(ra_s3 *s3, int attempt);
long ra_s3_throttle_ms(ra_s3 *s3, int attempt, long retry_after_s);
/* client.c: learn the store's clock from an answer's Date header (said when it changes). */
void ra_s3_learn_clock(ra_s3 *s3, const ra_s3_resp *r);
/* client.c: sign for the region a redirect named from now on (AWS endpoints: go there), once per
 * client, said once; 0 when taken, -1 when already learnt or the same region. */
int ra_s3_learn_region(ra_s3 *s3, const char *named);

/* CLOCK_MONOTONIC in ms, the clock of deadline_ms. */
long long ra_s3_now_ms(void);

/* The client's cancel flag (NULL when none). */
volatile sig_atomic_t *ra_s3_cancel_flag(const ra_s3 *s3);

/* Free what setup allocated (not the easy handle) and the response. */
void ra_s3_xfer_clear(ra_s3_xfer *x);

/* Run req on the client's own easy handle with retries; resp (may be NULL) gets the answer of
 * the successful attempt (caller clears it), or after a failure the status and error code of the
 * last answer, for callers that branch on them. */
int ra_s3_request(ra_s3 *s3, const ra_s3_req *req, ra_s3_resp *resp, ra_err *err);

const ra_log *ra_s3_get_log(const ra_s3 *s3);
const char *ra_s3_bucket(const ra_s3 *s3);
int ra_s3_is_https(const ra_s3 *s3);

/* Headers of a new object: Content-Type and x-amz-meta-<name> of each meta, with room for
 * `extra` more after them (kv[n++] = ...). */
typedef struct ra_s3_headers {
    ra_kv *kv;
    size_t n;
    char **names; /* the built x-amz-meta-* names, one per meta */
    size_t nnames;
} ra_s3_headers;
int ra_s3_headers_object(ra_s3_headers *h, size_t extra, const char *content_type, const ra_kv *meta, size_t nmeta,
                         ra_err *err);
void ra_s3_headers_clear(ra_s3_headers *h);
/* The client's server-side encryption headers for a new object, written at kv (room for
 * RA_S3_SSE_HEADERS); returns how many (multipart.c). */
#define RA_S3_SSE_HEADERS 2
size_t ra_s3_headers_sse(const ra_s3 *s3, ra_kv *kv);

/* CreateMultipartUpload (ra_s3_upload_create) for parts that carry ps: with x-amz-checksum-algorithm
 * CRC32C when ps sends the CRC. Under part-checksum auto, when the store refuses it (ra_partsum_refused),
 * or refused it before on this client, ps falls back and the upload is created without it; under
 * crc32c the error names part-checksum sha256 as the way out. */
struct ra_partsum;
int ra_s3_upload_create_sum(ra_s3 *s3, const char *key, const char *content_type, const ra_kv *meta, size_t nmeta,
                            struct ra_partsum *ps, char **upload_id, ra_err *err);
/* ra_s3_upload_complete for parts that carried ps: with their CRC-32C list when ps sends the CRC. When the
 * store refuses the list (400 MalformedXML, or ra_partsum_refused), auto falls back and completes again
 * without it (every part is stored: nothing is lost); under crc32c the error names part-checksum sha256. */
int ra_s3_upload_complete_sum(ra_s3 *s3, const char *key, const char *upload_id, const char *const *etags,
                              const char *const *crc32c, size_t n, struct ra_partsum *ps, ra_err *err);
/* The store refused the CRC-32C headers (`what` was refused with r's status, code and message): auto
 * fell back (ps), remember it on the client and say so once per client at warn. */
void ra_s3_checksum_refused(ra_s3 *s3, const char *what, const ra_s3_resp *r, const struct ra_partsum *ps);
/* Append to err what to set when a refusal cannot fall back (part-checksum crc32c). */
void ra_s3_checksum_hint(ra_err *err);

/* A request with a small XML body (DeleteObjects, lifecycle, Complete): Content-Type
 * application/xml, Content-MD5 and the signed SHA-256. key NULL = the bucket. */
int ra_s3_xml_request(ra_s3 *s3, const char *method, const char *key, const ra_kv *q, size_t nq, const char *xml,
                      ra_s3_resp *resp, ra_err *err);

/* The position of a listing across pages (continuation token, or upload markers as one
 * string). ra_s3_pager_next, after each page: 1 go on from pg->last, 0 done, -1 (RA_E_STORE)
 * when a truncated page names no next page, names any earlier page (a cycle of any length is
 * caught within twice its length), or the listing passes its page bound. */
typedef struct ra_s3_pager {
    long page;  /* pages received */
    char *last; /* where the next page starts; NULL before the first */
    char *mark; /* an earlier position (at a power-of-two page) */
} ra_s3_pager;
int ra_s3_pager_next(ra_s3_pager *pg, const char *what, int truncated, const char *next, ra_err *err);
void ra_s3_pager_clear(ra_s3_pager *pg);

#endif
