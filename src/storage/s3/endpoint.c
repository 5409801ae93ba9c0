/* endpoint.c - endpoint URLs (parsed by libcurl's URL API) and request addressing. */
#include "storage/s3/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static char *url_part(CURLU *u, CURLUPart what) {
    char *v = NULL;
    if (curl_url_get(u, what, &v, 0) != CURLUE_OK) return NULL;
    char *s = strdup(v);
    curl_free(v);
    return s;
}

void ra_s3_endpoint_clear(ra_s3_endpoint *ep) {
    if (ep == NULL) return;
    free(ep->scheme);
    free(ep->host);
    free(ep->base_path);
    memset(ep, 0, sizeof(*ep));
}

int ra_s3_endpoint_parse(ra_s3_endpoint *ep, const char *url, ra_err *err) {
    memset(ep, 0, sizeof(*ep));
    CURLU *u = curl_url();
    if (u == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (url == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return ra_err_set(err, RA_E_USAGE, "invalid s3 endpoint '%s'", url ? url : "");
    }
    char *scheme = url_part(u, CURLUPART_SCHEME), *host = url_part(u, CURLUPART_HOST);
    char *port = url_part(u, CURLUPART_PORT), *path = url_part(u, CURLUPART_PATH);
    curl_url_cleanup(u);
    int r = 0;
    if (!scheme || !host || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        r = ra_err_set(err, RA_E_USAGE, "invalid s3 endpoint '%s': want http:// or https://", url);
    } else {
        ep->scheme = scheme;
        scheme = NULL;
        if (port) {
            if (asprintf(&ep->host, "%s:%s", host, port) < 0) ep->host = NULL;
        } else {
            ep->host = strdup(host);
        }
        size_t n = path ? strlen(path) : 0;
        while (n > 0 && path[n - 1] == '/') n--;
        ep->base_path = strndup(path ? path : "", n);
        if (!ep->host || !ep->base_path) {
            ra_s3_endpoint_clear(ep);
            r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
    }
    free(scheme);
    free(host);
    free(port);
    free(path);
    return r;
}

int ra_s3_endpoint_aws(ra_s3_endpoint *ep, const char *region, ra_err *err) {
    char url[256];
    if (snprintf(url, sizeof(url), "https://s3.%s.amazonaws.com", region) >= (int)sizeof(url)) {
        memset(ep, 0, sizeof(*ep));
        return ra_err_set(err, RA_E_USAGE, "s3 region too long");
    }
    return ra_s3_endpoint_parse(ep, url, err);
}

int ra_s3_endpoint_is_https(const ra_s3_endpoint *ep) {
    return ep->scheme != NULL && strcmp(ep->scheme, "https") == 0;
}

int ra_s3_endpoint_address(const ra_s3_endpoint *ep, const char *bucket, int path_style, const char *key,
                           char **host, char **path) {
    *host = NULL;
    *path = NULL;
    const char *base = ep->base_path ? ep->base_path : "";
    if (bucket == NULL) {
        *host = strdup(ep->host);
        if (asprintf(path, "%s/", base) < 0) *path = NULL;
    } else if (path_style) {
        *host = strdup(ep->host);
        if (asprintf(path, "%s/%s%s%s", base, bucket, key ? "/" : "", key ? key : "") < 0) *path = NULL;
    } else {
        if (asprintf(host, "%s.%s", bucket, ep->host) < 0) *host = NULL;
        if (asprintf(path, "%s/%s", base, key ? key : "") < 0) *path = NULL;
    }
    if (*host == NULL || *path == NULL) {
        free(*host);
        free(*path);
        *host = *path = NULL;
        return -1;
    }
    return 0;
}
