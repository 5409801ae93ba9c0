/* sigv4.h - AWS Signature Version 4 for S3 as pure functions over strings; the date is an input.
 * Spec: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html and
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html.
 * S3 rules: no path normalisation and no double encoding. Returned strings are malloc'd (caller
 * frees); NULL means out of memory or a failed hash. Hashing lives in common/digest.h. */
#ifndef RA_STORAGE_S3_SIGV4_H
#define RA_STORAGE_S3_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "storage/s3/types.h"

#define RA_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RA_SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"

/* One request to sign. path and query are raw (not yet encoded): they are encoded here the
 * same way they must be sent (ra_sigv4_uri_encode), so what is signed is what goes on the wire. */
typedef struct ra_sigv4_request {
    const char *method;       /* "GET" */
    const char *path;         /* raw absolute path, "/bucket/key with space" */
    const ra_kv *query;       /* raw name/value pairs in any order; value NULL = "" */
    size_t nquery;
    const ra_kv *headers;     /* headers to sign, Host included; names in any case */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or RA_SIGV4_UNSIGNED */
} ra_sigv4_request;

/* Who signs, where and when. */
typedef struct ra_sigv4_signer {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL unless temporary credentials */
    const char *region;
    const char *service;       /* "s3" */
    const char *amz_date;      /* "20130524T000000Z" (ra_sigv4_amz_date) */
} ra_sigv4_signer;

/* "YYYYMMDDTHHMMSSZ" of t in UTC. */
void ra_sigv4_amz_date(time_t t, char out[17]);

/* URI-encode byte-wise: A-Za-z0-9-._~ kept, '/' kept when keep_slash (paths), every other byte
 * %XX upper-case (UTF-8 is thus encoded per byte). */
char *ra_sigv4_uri_encode(const char *s, int keep_slash);

/* Canonical query string: names and values encoded, sorted by name then value, "a=1&b=". */
char *ra_sigv4_canonical_query(const ra_kv *query, size_t n);

/* Canonical request; *signed_headers (may be NULL) receives "host;range;x-amz-date" (malloc'd). */
char *ra_sigv4_canonical_request(const ra_sigv4_request *req, char **signed_headers);

/* "20130524/us-east-1/s3/aws4_request". */
char *ra_sigv4_scope(const ra_sigv4_signer *sg);

/* String to sign over a canonical request. */
char *ra_sigv4_string_to_sign(const ra_sigv4_signer *sg, const char *canonical_request);

/* kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request". */
int ra_sigv4_signing_key(const ra_sigv4_signer *sg, unsigned char key[32]); /* -1: hash failed */

/* Hex HMAC-SHA256 of the string to sign under the signing key; -1 when hashing failed. */
int ra_sigv4_signature(const ra_sigv4_signer *sg, const char *string_to_sign, char hex[65]);

/* Authorization header value for req: "AWS4-HMAC-SHA256 Credential=...,SignedHeaders=...,
 * Signature=...". The caller has put x-amz-date, x-amz-content-sha256 and, with temporary
 * credentials, x-amz-security-token among req->headers. */
char *ra_sigv4_authorization(const ra_sigv4_signer *sg, const ra_sigv4_request *req);

/* Presigned query string for method+path signed for `host` only (UNSIGNED-PAYLOAD), valid
 * `expires` seconds from sg->amz_date: "X-Amz-Algorithm=...&...&X-Amz-Signature=<hex>".
 * X-Amz-Security-Token is included (and signed) when sg->session_token is set. */
char *ra_sigv4_presign_query(const ra_sigv4_signer *sg, const char *method, const char *path,
                             const char *host, long expires);

#endif
