/* endpoint.c - endpoint URLs (parsed by libcurl's URL API) and request addressing. */
#include "storage/s3/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    const char *cn = strncmp(region, "cn-", 3) == 0 ? ".cn" : ""; /* China: its own partition */
    if (snprintf(url, sizeof(url), "https://s3.%s.amazonaws.com%s", region, cn) >= (int)sizeof(url)) {
        memset(ep, 0, sizeof(*ep));
        return ra_err_set(err, RA_E_USAGE, "s3 region too long");
    }
    return ra_s3_endpoint_parse(ep, url, err);
}

/* the host without its port ("[::1]:9000" -> "[::1]"), in buf */
static const char *bare_host(const ra_s3_endpoint *ep, char *buf, size_t n) {
    const char *h = ep->host ? ep->host : "";
    size_t len = strlen(h);
    const char *colon = h[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
    if (colon != NULL && h[0] == '[') colon = colon[1] == ':' ? colon + 1 : NULL;
    if (colon != NULL) len = (size_t)(colon - h);
    snprintf(buf, n, "%.*s", (int)len, h);
    return buf;
}

static int ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcasecmp(s + a - b, tail) == 0;
}

int ra_s3_endpoint_is_aws(const ra_s3_endpoint *ep) {
    char h[256];
    bare_host(ep, h, sizeof(h));
    return ends_with(h, ".amazonaws.com") || ends_with(h, ".amazonaws.com.cn");
}

int ra_s3_endpoint_is_ip(const ra_s3_endpoint *ep) {
    char h[256];
    bare_host(ep, h, sizeof(h));
    if (h[0] == '[' || strcasecmp(h, "localhost") == 0 || ends_with(h, ".localhost")) return 1;
    /* dotted digits: IPv4 (libcurl also takes shorter forms such as 127.1) */
    for (const char *c = h; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != '.') return 0;
    return h[0] != '\0';
}

int ra_s3_endpoint_path_style_auto(const ra_s3_endpoint *ep, const char *bucket) {
    if (!ra_s3_endpoint_is_aws(ep) || ra_s3_endpoint_is_ip(ep)) return 1;
    size_t n = strlen(bucket);
    if (n < 3 || n > 63 || bucket[0] == '-' || bucket[n - 1] == '-') return 1;
    for (const char *c = bucket; *c; c++) {
        if (*c == '.') {
            if (ra_s3_endpoint_is_https(ep)) return 1;
        } else if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-')) {
            return 1; /* upper case, '_': not a host name */
        }
    }
    return 0;
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
