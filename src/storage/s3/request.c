/* request.c - one signed request on a libcurl easy handle, the retry engine around it, and the
 * mapping of answers to errors: the error's <Code> travels in ra_s3_resp.code as data. */
#include "storage/s3/request.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "storage/s3/answer.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

#define SLEEP_SLICE_MS 50
#define ERROR_BODY_MAX (64 * 1024) /* only the head of an error answer is kept */

long long ra_s3_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ra_s3_resp_clear(ra_s3_resp *r) {
    if (r == NULL) return;
    free(r->body);
    free(r->etag);
    free(r->request_id);
    ra_s3_meta_free(r->meta, r->nmeta);
    memset(r, 0, sizeof(*r));
    r->content_length = -1;
}

void ra_s3_xfer_clear(ra_s3_xfer *x) {
    if (x == NULL) return;
    free(x->url);
    x->url = NULL;
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    ra_s3_resp_clear(&x->resp);
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud) {
    ra_s3_xfer *x = ud;
    const ra_s3_req *req = x->req;
    if (req->body == NULL && req->body_len > 0) return CURL_READFUNC_ABORT;
    size_t n = size * nitems, left = req->body_len - x->body_pos;
    if (n > left) n = left;
    if (n) memcpy(buf, (const char *)req->body + x->body_pos, n);
    x->body_pos += n;
    return n;
}

/* Called by libcurl at least about once a second, also while nothing moves: the only way to
 * end a blocked attempt at once on a cancel or when the call's time is up. */
static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    ra_s3_xfer *x = ud;
    (void)dltotal, (void)ultotal;
    if (x->cancel && *x->cancel) {
        x->cancelled = 1;
        return 1;
    }
    long long now = ra_s3_now_ms();
    if (x->deadline_ms > 0 && now >= x->deadline_ms) {
        x->timed_out = 1;
        return 1;
    }
    if (x->idle_ms > 0) {
        /* a slow answer is waited for while anything arrives (a space every few seconds will do) */
        if ((long long)dlnow != x->seen_dl || (long long)ulnow != x->seen_ul) {
            x->seen_dl = (long long)dlnow;
            x->seen_ul = (long long)ulnow;
            x->moved_ms = now;
        } else if (now - x->moved_ms >= x->idle_ms) {
            x->idled = 1;
            return 1;
        }
    }
    return 0;
}

/* libcurl rewinds the body when it must resend it (a reused connection that was closed). */
static int seek_cb(void *ud, curl_off_t offset, int origin) {
    ra_s3_xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > x->req->body_len) return CURL_SEEKFUNC_FAIL;
    x->body_pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int buffer_add(ra_s3_xfer *x, const char *data, size_t n, size_t max) {
    ra_s3_resp *r = &x->resp;
    if (r->len + n > max) {
        x->too_big = 1;
        return -1;
    }
    char *nb = realloc(r->body, r->len + n + 1);
    if (nb == NULL) {
        x->oom = 1;
        return -1;
    }
    memcpy(nb + r->len, data, n);
    r->body = nb;
    r->len += n;
    r->body[r->len] = '\0';
    return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud) {
    ra_s3_xfer *x = ud;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (x->req->write && status >= 200 && status < 300) {
        if (x->req->write(x->req->write_ctx, data, n, &x->werr) < 0) {
            x->write_failed = 1;
            return 0;
        }
        x->delivered += n;
        return n;
    }
    if (status < 200 || status >= 300) {
        /* an error body: only its head is needed, whatever the request's cap */
        if (x->resp.len + n > ERROR_BODY_MAX) return n;
        return buffer_add(x, data, n, (size_t)-1) < 0 ? 0 : n;
    }
    return buffer_add(x, data, n, x->req->max_body ? x->req->max_body : RA_S3_MAX_BODY_DEFAULT) < 0 ? 0 : n;
}

static char *dup_trim(const char *v, size_t n) {
    while (n && (*v == ' ' || *v == '\t')) v++, n--;
    while (n && isspace((unsigned char)v[n - 1])) n--;
    return strndup(v, n);
}

/* The single-request handle's socket, known from its creation to its close (libcurl 7.88 cannot
 * say it during a transfer). */
static int note_socket(void *ud, curl_socket_t fd, curlsocktype purpose) {
    if (purpose == CURLSOCKTYPE_IPCXN) *(curl_socket_t *)ud = fd;
    return CURL_SOCKOPT_OK;
}

static int close_socket(void *ud, curl_socket_t fd) {
    curl_socket_t *known = ud;
    if (*known == fd) *known = CURL_SOCKET_BAD;
    return close(fd);
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *ud) {
    ra_s3_xfer *x = ud;
    size_t n = size * nitems;
    ra_s3_resp *r = &x->resp;
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* ACK the headers now. Servers that write headers and body apart without TCP_NODELAY
         * (RGW's beast, Python's http.server) hold a small body back until the headers are
         * ACKed, and in request/response mode Linux delays that ACK by 40 ms: every GET of a
         * record or listing took 44 ms on RGW here, 2 ms with this. */
        if (x->quickack_fd != NULL && *x->quickack_fd != CURL_SOCKET_BAD) {
            int one = 1;
            setsockopt(*x->quickack_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
        }
        /* a new header block (after 100 Continue or a retry by libcurl): forget the old one */
        char *body = r->body;
        size_t len = r->len;
        r->body = NULL;
        ra_s3_resp_clear(r);
        r->body = body;
        r->len = len;
        return n;
    }
    const char *colon = memchr(line, ':', n);
    if (colon == NULL) return n;
    size_t nl = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vl = n - nl - 1;
#define HDR(name) (nl == sizeof(name) - 1 && strncasecmp(line, name, nl) == 0)
    if (HDR("etag")) {
        free(r->etag);
        r->etag = dup_trim(v, vl);
    } else if (HDR("x-amz-request-id") || (HDR("x-amzn-requestid") && r->request_id == NULL)) {
        /* moto sends only x-amzn-requestid; x-amz-request-id wins where both come */
        free(r->request_id);
        r->request_id = dup_trim(v, vl);
    } else if (HDR("x-amz-checksum-crc32c")) {
        char *c = dup_trim(v, vl);
        if (c) snprintf(r->checksum_crc32c, sizeof(r->checksum_crc32c), "%s", c);
        free(c);
    } else if (HDR("date") || HDR("last-modified")) {
        char *s = dup_trim(v, vl);
        time_t t = s ? curl_getdate(s, NULL) : -1;
        free(s);
        if (t > 0 && HDR("date")) {
            r->date = t;
            r->date_local = time(NULL);
        } else if (t > 0) {
            r->last_modified = t;
        }
    } else if (HDR("x-amz-bucket-region")) {
        char *s = dup_trim(v, vl);
        snprintf(r->bucket_region, sizeof(r->bucket_region), "%s", s ? s : "");
        free(s);
    } else if (HDR("retry-after")) {
        char *s = dup_trim(v, vl), *end = NULL;
        long sec = s ? strtol(s, &end, 10) : 0;
        /* seconds only; an HTTP date is ignored (the throttling backoff applies) */
        r->retry_after_s = s && end != s && *end == '\0' && sec > 0 ? sec : 0;
        free(s);
    } else if (HDR("content-length")) {
        char *s = dup_trim(v, vl);
        r->content_length = s ? strtoll(s, NULL, 10) : -1;
        free(s);
    } else if (nl > 11 && strncasecmp(line, "x-amz-meta-", 11) == 0) {
        ra_s3_meta *m = realloc(r->meta, (r->nmeta + 1) * sizeof(*m));
        if (m == NULL) {
            x->oom = 1;
            return 0;
        }
        r->meta = m;
        char *k = strndup(line + 11, nl - 11), *val = dup_trim(v, vl);
        if (k == NULL || val == NULL) {
            free(k);
            free(val);
            x->oom = 1;
            return 0;
        }
        for (char *c = k; *c; c++) *c = (char)tolower((unsigned char)*c);
        m[r->nmeta].key = k;
        m[r->nmeta].value = val;
        r->nmeta++;
    }
#undef HDR
    return n;
}

static int add_header(struct curl_slist **list, const char *name, const char *value) {
    char *line = NULL;
    /* "Name;" is libcurl's way to send a header with an empty value */
    int r = value && *value ? asprintf(&line, "%s: %s", name, value) : asprintf(&line, "%s;", name);
    if (r < 0) return -1;
    struct curl_slist *l = curl_slist_append(*list, line);
    explicit_bzero(line, strlen(line)); /* may be the Authorization or the token */
    free(line);
    if (l == NULL) return -1;
    *list = l;
    return 0;
}

/* "Name:" with nothing after the colon removes a header libcurl would add by itself. */
static int add_raw(struct curl_slist **list, const char *line) {
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL) return -1;
    *list = l;
    return 0;
}

int ra_s3_xfer_setup(ra_s3 *s3, ra_s3_xfer *x, const ra_s3_req *req, ra_err *err) {
    CURL *h = x->easy;
    int skew = x->skew_retried, refreshed = x->token_refreshed, moved = x->region_retried;
    ra_s3_xfer_clear(x);
    x->req = req;
    x->body_pos = x->delivered = 0;
    x->write_failed = x->too_big = x->oom = 0;
    x->cancelled = x->timed_out = x->idled = 0;
    x->idle_ms = req->slow_answer ? s3->request_timeout_ms : 0;
    x->moved_ms = ra_s3_now_ms();
    x->seen_dl = x->seen_ul = 0;
    x->skew_retried = skew;
    x->token_refreshed = refreshed;
    x->region_retried = moved;
    x->errbuf[0] = '\0';
    ra_err_clear(&x->werr);
    x->resp.content_length = -1;

    char *host = NULL, *path = NULL, *epath = NULL, *query = NULL, *auth = NULL, date[17];
    ra_kv *hs = NULL;
    ra_s3_credentials cr = {0};
    int r = -1;
    if (ra_s3_cred_chain_get(s3->creds, &cr, &x->cred_gen, err) < 0) return -1;
    char region[64];
    /* region and endpoint may be replaced by a redirect (ra_s3_learn_region) */
    pthread_mutex_lock(&s3->lock);
    snprintf(region, sizeof(region), "%s", s3->region);
    int ok = ra_s3_endpoint_address(&s3->ep, req->no_bucket ? NULL : s3->bucket, s3->path_style, req->key, &host,
                                    &path) == 0;
    if (ok && (epath = ra_sigv4_uri_encode(path, 1)) != NULL &&
        (query = ra_sigv4_canonical_query(req->query, req->nquery)) != NULL &&
        asprintf(&x->url, "%s://%s%s%s%s", s3->ep.scheme, host, epath, *query ? "?" : "", query) < 0)
        x->url = NULL;
    pthread_mutex_unlock(&s3->lock);
    if (x->url == NULL) goto oom;
    ra_sigv4_amz_date(time(NULL) + ra_s3_clock_offset(s3), date);
    const char *payload = req->payload_hash ? req->payload_hash : RA_SIGV4_UNSIGNED;
    size_t nh = 0;
    if ((hs = calloc(req->nheaders + 4, sizeof(*hs))) == NULL) goto oom;
    hs[nh++] = (ra_kv){"Host", host};
    hs[nh++] = (ra_kv){"x-amz-date", date};
    hs[nh++] = (ra_kv){"x-amz-content-sha256", payload};
    if (cr.session_token) hs[nh++] = (ra_kv){"x-amz-security-token", cr.session_token};
    for (size_t i = 0; i < req->nheaders; i++) hs[nh++] = req->headers[i];
    ra_sigv4_signer sg = {cr.access_key, cr.secret_key, cr.session_token, region, "s3", date};
    ra_sigv4_request sreq = {req->method, path, req->query, req->nquery, hs, nh, payload};
    if ((auth = ra_sigv4_authorization(&sg, &sreq)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot sign request (out of memory or a failed hash)");
        goto done;
    }
    for (size_t i = 0; i < nh; i++)
        if (add_header(&x->headers, hs[i].key, hs[i].value) < 0) goto oom;
    if (add_header(&x->headers, "Authorization", auth) < 0) goto oom;
    /* no 100-continue round trip: libcurl would otherwise wait up to 1 s before each part */
    if (add_raw(&x->headers, "Expect:") < 0) goto oom;
    int is_post = strcmp(req->method, "POST") == 0, is_put = strcmp(req->method, "PUT") == 0;
    int has_ct = 0;
    for (size_t i = 0; i < req->nheaders; i++) has_ct |= strcasecmp(req->headers[i].key, "Content-Type") == 0;
    /* libcurl would add an unsigned form-urlencoded Content-Type to a POST */
    if (is_post && !has_ct && add_raw(&x->headers, "Content-Type:") < 0) goto oom;

    curl_easy_reset(h);
    CURLcode c = CURLE_OK;
#define SET(opt, val) c = c != CURLE_OK ? c : curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PATH_AS_IS, 1L); /* keys may hold "//" or "/../": S3 takes paths literally */
    SET(CURLOPT_HTTPHEADER, x->headers);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_CONNECTTIMEOUT_MS, s3->connect_timeout_ms);
    /* a slow answer has the idle check of progress_cb instead */
    SET(CURLOPT_LOW_SPEED_LIMIT, req->slow_answer ? 0L : req->min_rate > 0 ? req->min_rate : 1L);
    SET(CURLOPT_LOW_SPEED_TIME, req->slow_answer ? 0L : (s3->request_timeout_ms + 999) / 1000);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_USERAGENT, "redis-archiver");
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, x);
    if (h == s3->easy) {
        SET(CURLOPT_SOCKOPTFUNCTION, note_socket);
        SET(CURLOPT_SOCKOPTDATA, &s3->easy_fd);
        SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket);
        SET(CURLOPT_CLOSESOCKETDATA, &s3->easy_fd);
        x->quickack_fd = &s3->easy_fd;
    }
    if (x->cancel || x->deadline_ms > 0 || x->idle_ms > 0) {
        SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
        SET(CURLOPT_XFERINFODATA, x);
        SET(CURLOPT_NOPROGRESS, 0L);
    }
    SET(CURLOPT_SSL_VERIFYPEER, s3->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, s3->insecure ? 0L : 2L);
    if (s3->ca_file) SET(CURLOPT_CAINFO, s3->ca_file);
    if (strcmp(req->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (is_put || is_post) {
        /* always a Content-Length: RGW answers 411 to chunked uploads */
        if (is_put) {
            SET(CURLOPT_UPLOAD, 1L);
            SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
            if (req->body_len > 1024 * 1024) SET(CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
        } else {
            SET(CURLOPT_POST, 1L);
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
        SET(CURLOPT_READFUNCTION, read_cb);
        SET(CURLOPT_READDATA, x);
        SET(CURLOPT_SEEKFUNCTION, seek_cb);
        SET(CURLOPT_SEEKDATA, x);
    } else if (strcmp(req->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, req->method);
    }
#undef SET
    if (c != CURLE_OK) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot set up request: %s", curl_easy_strerror(c));
        goto done;
    }
    r = 0;
    goto done;
oom:
    ra_err_set(err, RA_E_INTERNAL, "out of memory");
done:
    ra_s3_credentials_clear(&cr);
    if (auth) explicit_bzero(auth, strlen(auth));
    free(auth);
    free(hs);
    free(host);
    free(path);
    free(epath);
    free(query);
    return r;
}

static int retriable_curl(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Append to err which credentials were used and what to do. Returns -1. */
static int cred_hint(ra_s3 *s3, const char *what, ra_err *err) {
    if (err == NULL) return -1;
    char m[RA_ERR_MSG_MAX];
    snprintf(m, sizeof(m), "%s", err->msg);
    return ra_err_set(err, err->code, "%s; credentials from %s, region '%s': %s", m,
                      ra_s3_cred_chain_source(s3->creds), s3->region, what);
}

int ra_s3_xfer_result(ra_s3 *s3, ra_s3_xfer *x, CURLcode rc, int attempt, long *retry_ms, ra_err *err) {
    const ra_s3_req *req = x->req;
    const char *subject = req->key ? req->key : s3->bucket;
    const char *what = req->key ? "" : "bucket ";
    *retry_ms = -1;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    x->resp.status = status;
    if (x->oom) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (x->write_failed) {
        if (err) *err = x->werr;
        return -1;
    }
    if (x->cancelled) return ra_err_set(err, RA_E_CANCELLED, "s3: %s %s'%s': cancelled", req->method, what, subject);
    if (x->timed_out)
        return ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': no answer in time, giving up", req->method, what, subject);
    if (x->idled) {
        /* a silent peer: like a low-speed timeout, retried */
        ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': nothing received for %ld s", req->method, what, subject,
                   (x->idle_ms + 999) / 1000);
        if (x->delivered == 0 && attempt < s3->max_attempts) {
            *retry_ms = ra_s3_backoff_ms(s3, attempt);
            ra_log_warn(s3->log, "s3.retry", "%s; attempt %d of %d in %ld ms", err ? err->msg : "", attempt + 1,
                        s3->max_attempts, *retry_ms);
        }
        return -1;
    }
    if (rc != CURLE_OK) {
        if (x->too_big)
            return ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': answer larger than %zu bytes", req->method, what,
                              subject, req->max_body ? req->max_body : (size_t)RA_S3_MAX_BODY_DEFAULT);
        /* the usual fix for a certificate the system store does not trust, said where it fails */
        const char *hint = rc == CURLE_PEER_FAILED_VERIFICATION && !s3->ca_file &&
                                   (strstr(x->errbuf, "issuer") || strstr(x->errbuf, "self-signed") ||
                                    strstr(x->errbuf, "self signed"))
                               ? " (a private CA? give its certificate with s3-ca-file)"
                               : "";
        /* <bucket>.<host> does not resolve where the endpoint is an address or a store of one's own */
        if (rc == CURLE_COULDNT_RESOLVE_HOST && !s3->path_style && !req->no_bucket &&
            (ra_s3_endpoint_is_ip(&s3->ep) || (s3->custom_endpoint && !ra_s3_endpoint_is_aws(&s3->ep))))
            hint = " (the bucket is addressed as a host name, virtual-hosted: set path-style yes, or auto)";
        ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': %s%s", req->method, what, subject,
                   x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc), hint);
        if (retriable_curl(rc) && (x->delivered == 0 || req->restartable) && attempt < s3->max_attempts) {
            *retry_ms = ra_s3_backoff_ms(s3, attempt);
            ra_log_warn(s3->log, "s3.retry", "%s; attempt %d of %d in %ld ms", err ? err->msg : "", attempt + 1,
                        s3->max_attempts, *retry_ms);
        }
        return -1;
    }
    if (status >= 200 && status < 300) {
        ra_s3_learn_clock(s3, &x->resp);
        return 0;
    }

    ra_s3xml_error e;
    if (ra_s3xml_parse_error(x->resp.body, x->resp.len, &e) != 1) memset(&e, 0, sizeof(e));
    snprintf(x->resp.code, sizeof(x->resp.code), "%s", e.code);
    snprintf(x->resp.message, sizeof(x->resp.message), "%s", e.message);
    const char *rid = e.request_id[0] ? e.request_id : x->resp.request_id;
    if (strcmp(e.code, "NoSuchBucket") == 0 ||
        (status == 404 && req->key == NULL && !req->no_bucket && e.code[0] == '\0'))
        return ra_err_set(err, RA_E_STORE, "s3: bucket '%s' does not exist", s3->bucket);
    /* Not found is about an object (exit 6, "no such backup"); a missing bucket-level resource
     * (lifecycle) or a multipart upload that vanished while it was used is a store problem. */
    int notfound = status == 404 && req->key != NULL && strcmp(e.code, "NoSuchUpload") != 0;
    ra_err_set(err, notfound ? RA_E_NOTFOUND : RA_E_STORE, "s3: %s %s'%s': %ld %s%s%s (request id %s)",
               req->method, what, subject, status, e.code[0] ? e.code : ra_s3_reason(status), e.message[0] ? ": " : "",
               e.message, rid && *rid ? rid : "none");
    const char *named = x->resp.bucket_region[0] ? x->resp.bucket_region : e.region;
    if (*named && (status == 301 || status == 307 ||
                   (status == 400 && strcmp(e.code, "AuthorizationHeaderMalformed") == 0))) {
        if (!x->region_retried && x->delivered == 0 && ra_s3_learn_region(s3, named) == 0) {
            x->region_retried = 1;
            *retry_ms = 0;
            return -1;
        }
        if (err) {
            char m[RA_ERR_MSG_MAX];
            snprintf(m, sizeof(m), "%s", err->msg);
            ra_err_set(err, err->code, "%s; the bucket is in region '%s': set region %s", m, named, named);
        }
        return -1;
    }
    if ((status == 400 || status == 403) && ra_s3_code_expired(e.code) && x->delivered == 0) {
        /* temporary credentials ran out: new ones from the source, once per request */
        if (!x->token_refreshed) {
            ra_err e2 = {0};
            int r = ra_s3_cred_chain_expired(s3->creds, x->cred_gen, &e2);
            if (r == 1) {
                x->token_refreshed = 1;
                *retry_ms = 0;
                return -1;
            }
            if (r < 0 && err) ra_err_set(err, err->code, "%s; refreshing them failed: %s", err->msg, e2.msg);
        }
        return cred_hint(s3, "they expired; renew them at their source", err);
    }
    if (status == 403 && ra_s3_code_credentials(e.code)) cred_hint(s3, "check the secret key, the region and the clock", err);
    /* signed right, but the identity may not: say whose identity, and where the policy is described */
    if (status == 403 && strcmp(e.code, "AccessDenied") == 0)
        cred_hint(s3, "that identity lacks the permission; check its policy (README: Least privilege)", err);
    if (strcmp(e.code, "RequestTimeTooSkewed") == 0 && !x->skew_retried && x->resp.date > 0) {
        /* our clock is off: take the server's and sign again, once */
        long off = (long)(x->resp.date - time(NULL));
        __atomic_store_n(&s3->clock_offset, off, __ATOMIC_RELAXED);
        __atomic_store_n(&s3->clock_pinned, 1, __ATOMIC_RELAXED);
        x->skew_retried = 1;
        *retry_ms = 0;
        ra_log_warn(s3->log, "s3.clock_skew", "local clock differs from the server's by %ld s; correcting", off);
        return -1;
    }
    /* 501 NotImplemented (a store without the call) and 505 will not change on a retry; nor will other 4xx */
    int server = status >= 500 && status != 501 && status != 505 && strcmp(e.code, "NotImplemented") != 0;
    if ((server || status == 429 || status == 408 || ra_s3_code_retriable(e.code)) && x->delivered == 0 &&
        attempt < s3->max_attempts) {
        int throttled = status == 503 || status == 429 || ra_s3_code_throttle(e.code);
        *retry_ms = throttled ? ra_s3_throttle_ms(s3, attempt, x->resp.retry_after_s) : ra_s3_backoff_ms(s3, attempt);
        ra_log_warn(s3->log, "s3.retry", "%s; attempt %d of %d in %ld ms", err ? err->msg : "", attempt + 1,
                    s3->max_attempts, *retry_ms);
    }
    return -1;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* The backoff before a retry, in short slices so that a cancel is seen at once; -1 with err set
 * (replacing the attempt's error) when cancelled, -1 keeping the attempt's error when the retry
 * would start after the call's deadline. */
static int backoff_wait(const ra_s3_req *req, const ra_s3_xfer *x, long ms, ra_err *err) {
    long long end = ra_s3_now_ms() + ms;
    if (x->deadline_ms > 0 && end >= x->deadline_ms) {
        ra_err_prefix(err, "giving up, out of time: ");
        return -1;
    }
    for (long long now = ra_s3_now_ms(); now < end; now = ra_s3_now_ms()) {
        if (x->cancel && *x->cancel)
            return ra_err_set(err, RA_E_CANCELLED, "s3: %s '%s': cancelled", req->method,
                              req->key ? req->key : "");
        sleep_ms(end - now < SLEEP_SLICE_MS ? (long)(end - now) : SLEEP_SLICE_MS);
    }
    return 0;
}

int ra_s3_request(ra_s3 *s3, const ra_s3_req *req, ra_s3_resp *resp, ra_err *err) {
    ra_s3_xfer x;
    memset(&x, 0, sizeof(x));
    x.easy = s3->easy;
    if (resp) {
        memset(resp, 0, sizeof(*resp));
        resp->content_length = -1;
    }
    /* Started after a cancel: cleanup, which must run, but briefly. Otherwise the cancel aborts
     * it, and the whole call (retries included) has a budget, except a streamed GET, which may
     * rightly take long and whose stalls the low-speed timeout ends, and a slow answer (its idle check). */
    int cleanup = s3->cancel && *s3->cancel;
    long budget = cleanup ? s3->cleanup_timeout_ms : req->write || req->slow_answer ? 0 : s3->total_timeout_ms;
    x.cancel = cleanup ? NULL : s3->cancel;
    x.deadline_ms = budget > 0 ? ra_s3_now_ms() + budget : 0;
    for (int attempt = 1;; attempt++) {
        if (ra_s3_xfer_setup(s3, &x, req, err) < 0) break;
        CURLcode rc = curl_easy_perform(s3->easy);
        long retry = -1;
        if (ra_s3_xfer_result(s3, &x, rc, attempt, &retry, err) == 0) {
            if (resp) {
                *resp = x.resp;
                memset(&x.resp, 0, sizeof(x.resp));
            }
            ra_s3_xfer_clear(&x);
            return 0;
        }
        if (retry < 0) break;
        if (backoff_wait(req, &x, retry, err) < 0) break;
    }
    /* keep the failed answer's status and code for callers that branch on them (404, 501) */
    if (resp) {
        resp->status = x.resp.status;
        memcpy(resp->code, x.resp.code, sizeof(resp->code));
        memcpy(resp->message, x.resp.message, sizeof(resp->message));
    }
    ra_s3_xfer_clear(&x);
    return -1;
}
