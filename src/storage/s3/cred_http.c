/* cred_http.c - one short HTTP exchange for the credential providers (libcurl). */
#include "storage/s3/cred_http.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef struct sink {
    char *buf;
    size_t len;
    int too_big;
} sink;

static size_t write_cb(char *data, size_t size, size_t n, void *ud) {
    sink *s = ud;
    size_t len = size * n;
    if (s->len + len > RA_S3_CRED_HTTP_MAX_BODY) {
        s->too_big = 1;
        return 0;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return len;
}

void ra_s3_cred_http_free(char *body, size_t len) {
    if (body == NULL) return;
    explicit_bzero(body, len);
    free(body);
}

/* The scheme and host of a URL, for messages (never the path or query). */
static void url_host(const char *url, char *out, size_t n) {
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t k = strcspn(s, "/?#");
    snprintf(out, n, "%.*s", (int)(k < n ? k : n - 1), s);
}

int ra_s3_cred_http(const ra_s3_cred_http_req *req, long *status, char **body, size_t *len, ra_err *err) {
    *status = 0;
    *body = NULL;
    *len = 0;
    char host[128];
    url_host(req->url, host, sizeof(host));
    sink s = {calloc(1, RA_S3_CRED_HTTP_MAX_BODY + 1), 0, 0};
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    int r = -1;
    if (s.buf == NULL || h == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        struct curl_slist *t = curl_slist_append(hl, req->headers[i]);
        if (t == NULL) {
            ra_err_set(err, RA_E_INTERNAL, "out of memory");
            goto done;
        }
        hl = t;
    }
    struct curl_slist *t = curl_slist_append(hl, "Expect:");
    if (t == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    hl = t;
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : RA_S3_CRED_HTTP_TIMEOUT_MS;
    CURLcode c = CURLE_OK;
#define SET(opt, val) c = c != CURLE_OK ? c : curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_CONNECTTIMEOUT_MS, timeout < RA_S3_CRED_HTTP_CONNECT_MS ? timeout : RA_S3_CRED_HTTP_CONNECT_MS);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_USERAGENT, "redis-archiver");
    SET(CURLOPT_HTTPHEADER, hl);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, &s);
    SET(CURLOPT_NOPROXY, "169.254.169.254,169.254.170.2,127.0.0.1,localhost,[fd00:ec2::254]");
    if (strcmp(req->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, req->method);
        SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
        SET(CURLOPT_POSTFIELDSIZE, (long)(req->body ? strlen(req->body) : 0));
    }
#undef SET
    if (c == CURLE_OK) c = curl_easy_perform(h);
    if (c != CURLE_OK) {
        ra_err_set(err, RA_E_STORE, "%s at '%s': %s", req->what, host,
                   s.too_big ? "answer too large" : errbuf[0] ? errbuf : curl_easy_strerror(c));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    s.buf[s.len] = '\0';
    *body = s.buf;
    *len = s.len;
    s.buf = NULL;
    r = 0;
done:
    curl_slist_free_all(hl);
    if (h) curl_easy_cleanup(h);
    ra_s3_cred_http_free(s.buf, RA_S3_CRED_HTTP_MAX_BODY + 1);
    return r;
}
