/* endpoint.h - where requests go: an endpoint URL split into scheme, host and base path, and the
 * host and path of a request under path-style or virtual-hosted addressing. */
#ifndef RA_STORAGE_S3_ENDPOINT_H
#define RA_STORAGE_S3_ENDPOINT_H

#include "common/err.h"

typedef struct ra_s3_endpoint {
    char *scheme;    /* "http" or "https" */
    char *host;      /* as signed and sent in Host: "127.0.0.1:17480" */
    char *base_path; /* endpoint path without trailing '/', usually "" */
} ra_s3_endpoint;

/* Parse "http(s)://host[:port][/path]"; RA_E_USAGE for anything else. ep is cleared first. */
int ra_s3_endpoint_parse(ra_s3_endpoint *ep, const char *url, ra_err *err);
/* AWS's endpoint for region: https://s3.<region>.amazonaws.com (.amazonaws.com.cn for cn-* regions). */
int ra_s3_endpoint_aws(ra_s3_endpoint *ep, const char *region, ra_err *err);
/* Is the host AWS's (*.amazonaws.com or *.amazonaws.com.cn)? An IP address or localhost? */
int ra_s3_endpoint_is_aws(const ra_s3_endpoint *ep);
int ra_s3_endpoint_is_ip(const ra_s3_endpoint *ep);
/* path-style auto: 0 (virtual-hosted) on AWS endpoints for a bucket name that is a valid host label
 * (lower case, digits, '-') or, over http, has dots; 1 (path-style) for anything else: an IP address,
 * localhost, a custom endpoint, a dotted name over https (AWS's wildcard certificate would not match). */
int ra_s3_endpoint_path_style_auto(const ra_s3_endpoint *ep, const char *bucket);
void ra_s3_endpoint_clear(ra_s3_endpoint *ep);
int ra_s3_endpoint_is_https(const ra_s3_endpoint *ep);

/* Host and raw (unencoded) path of a request: the service root "/" when bucket is NULL, else
 * the bucket (key NULL) or an object in it, path-style (host/bucket/key) or virtual-hosted
 * (bucket.host/key). Both malloc'd; -1 when out of memory. */
int ra_s3_endpoint_address(const ra_s3_endpoint *ep, const char *bucket, int path_style, const char *key,
                           char **host, char **path);

#endif
