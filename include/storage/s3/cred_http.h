/* cred_http.h - the one HTTP exchange the credential providers need (STS, the container endpoint,
 * EC2 instance metadata), over libcurl with short timeouts. Private to src/storage/s3/. */
#ifndef RA_STORAGE_S3_CRED_HTTP_H
#define RA_STORAGE_S3_CRED_HTTP_H

#include <stddef.h>

#include "common/err.h"

#define RA_S3_CRED_HTTP_MAX_BODY (64u * 1024) /* a larger answer fails the exchange */

typedef struct ra_s3_cred_http_req {
    const char *method;          /* GET PUT POST */
    const char *url;
    const char *const *headers;  /* "Name: value" lines; may be NULL */
    size_t nheaders;
    const char *body;            /* sent with Content-Length (POST/PUT); NULL = empty */
    const char *what;            /* the subject of messages ("the container endpoint") */
    long timeout_ms;             /* the whole exchange; 0 = RA_S3_CRED_HTTP_TIMEOUT_MS */
} ra_s3_cred_http_req;

#define RA_S3_CRED_HTTP_TIMEOUT_MS 5000L
#define RA_S3_CRED_HTTP_CONNECT_MS 1000L

/* One exchange, no retries. 0 with *status and *body (malloc'd, NUL-terminated, may hold secrets:
 * the caller wipes and frees it) for any HTTP answer; -1 (RA_E_STORE naming req->what and the
 * host, never the query) when there is none. */
int ra_s3_cred_http(const ra_s3_cred_http_req *req, long *status, char **body, size_t *len, ra_err *err);

/* Wipe and free an answer body. */
void ra_s3_cred_http_free(char *body, size_t len);

#endif
