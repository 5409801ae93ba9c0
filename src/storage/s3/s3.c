/* s3.c - the S3 client over libcurl: addressing, signing, retries, error mapping, object ops. */
#include "storage/s3/s3.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "storage/s3/request.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

#define MAX_BODY_DEFAULT (16u * 1024 * 1024)
#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS 8000
#define TOTAL_TIMEOUT_DEFAULT_MS 180000L
#define CLEANUP_TIMEOUT_DEFAULT_MS 30000L
#define SLEEP_SLICE_MS 50

struct ra_s3 {
    char *scheme;    /* "http" or "https" */
    char *host;      /* as signed and sent in Host: "127.0.0.1:17480" */
    char *base_path; /* endpoint path without trailing '/', usually "" */
    char *region;
    char *bucket;
    int path_style;
    char *ca_file;
    int insecure;
    ra_s3_credentials creds;
    long connect_timeout_ms;
    long request_timeout_ms;
    int max_attempts;
    int max_keys;
    long total_timeout_ms;
    long cleanup_timeout_ms;
    volatile sig_atomic_t *cancel;
    const ra_log *log;
    CURL *easy;        /* kept for connection reuse across single requests */
    curl_socket_t easy_fd; /* its connection's socket while open, else CURL_SOCKET_BAD */
    /* shared with an upload thread (ra_s3_xfer_setup/result run there too): under lock */
    pthread_mutex_t lock;
    long clock_offset; /* server clock minus ours, seconds */
    unsigned int seed; /* jitter */
};

/* ---------------------------------------------------------------- credentials */

static char *xstrdup(const char *s) {
    return s ? strdup(s) : NULL;
}

static void wipe_free(char *s) {
    if (s == NULL) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void ra_s3_credentials_clear(ra_s3_credentials *creds) {
    if (creds == NULL) return;
    wipe_free(creds->access_key);
    wipe_free(creds->secret_key);
    wipe_free(creds->session_token);
    memset(creds, 0, sizeof(*creds));
}

static int creds_copy(ra_s3_credentials *dst, const ra_s3_credentials *src) {
    memset(dst, 0, sizeof(*dst));
    dst->access_key = xstrdup(src->access_key);
    dst->secret_key = xstrdup(src->secret_key);
    dst->session_token = src->session_token && *src->session_token ? strdup(src->session_token) : NULL;
    dst->expiration = src->expiration;
    if (!dst->access_key || !dst->secret_key || (src->session_token && *src->session_token && !dst->session_token)) {
        ra_s3_credentials_clear(dst);
        return -1;
    }
    return 0;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* The [profile] section of an AWS shared credentials file. */
static int creds_from_file(ra_s3_credentials *c, const char *path, const char *profile, ra_err *err) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return ra_err_set(err, RA_E_USAGE, "no s3 credentials: AWS_ACCESS_KEY_ID is not set and '%s' "
                                                      "cannot be read: %s", path, strerror(errno));
    char line[4096];
    int in = 0, found = 0;
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line);
        if (*l == '#' || *l == ';' || *l == '\0') continue;
        if (*l == '[') {
            char *e = strchr(l, ']');
            if (e) *e = '\0';
            in = strcmp(trim(l + 1), profile) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || eq == NULL) continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1), **dst = NULL;
        if (strcmp(k, "aws_access_key_id") == 0) dst = &c->access_key;
        else if (strcmp(k, "aws_secret_access_key") == 0) dst = &c->secret_key;
        else if (strcmp(k, "aws_session_token") == 0) dst = &c->session_token;
        if (dst) {
            wipe_free(*dst);
            *dst = strdup(v);
        }
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    if (!found) return ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' not found in '%s'", profile, path);
    if (!c->access_key || !*c->access_key || !c->secret_key || !*c->secret_key)
        return ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' in '%s' lacks aws_access_key_id or "
                                           "aws_secret_access_key", profile, path);
    return 0;
}

int ra_s3_credentials_load(ra_s3_credentials *creds, ra_err *err) {
    memset(creds, 0, sizeof(*creds));
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak && *ak && sk && *sk) {
        const char *tok = getenv("AWS_SESSION_TOKEN");
        ra_s3_credentials env = {(char *)ak, (char *)sk, (char *)(tok && *tok ? tok : NULL),
                                 ra_s3xml_parse_time(getenv("AWS_CREDENTIAL_EXPIRATION"))};
        if (creds_copy(creds, &env) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return 0;
    }
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
    const char *profile = getenv("AWS_PROFILE");
    char path[4096];
    if (file && *file)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/.aws/credentials", home && *home ? home : ".");
    int r = creds_from_file(creds, path, profile && *profile ? profile : "default", err);
    if (r < 0) ra_s3_credentials_clear(creds);
    return r;
}

/* ---------------------------------------------------------------- client */

static char *url_part(CURLU *u, CURLUPart what) {
    char *v = NULL;
    if (curl_url_get(u, what, &v, 0) != CURLUE_OK) return NULL;
    char *s = strdup(v);
    curl_free(v);
    return s;
}

static int parse_endpoint(ra_s3 *s3, const char *endpoint, ra_err *err) {
    CURLU *u = curl_url();
    if (u == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return ra_err_set(err, RA_E_USAGE, "invalid s3 endpoint '%s'", endpoint);
    }
    char *scheme = url_part(u, CURLUPART_SCHEME), *host = url_part(u, CURLUPART_HOST);
    char *port = url_part(u, CURLUPART_PORT), *path = url_part(u, CURLUPART_PATH);
    curl_url_cleanup(u);
    int r = 0;
    if (!scheme || !host || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        r = ra_err_set(err, RA_E_USAGE, "invalid s3 endpoint '%s': want http:// or https://", endpoint);
    } else {
        s3->scheme = scheme;
        scheme = NULL;
        if (port) {
            if (asprintf(&s3->host, "%s:%s", host, port) < 0) s3->host = NULL;
        } else {
            s3->host = strdup(host);
        }
        size_t n = path ? strlen(path) : 0;
        while (n > 0 && path[n - 1] == '/') n--;
        s3->base_path = strndup(path ? path : "", n);
        if (!s3->host || !s3->base_path) r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    free(scheme);
    free(host);
    free(port);
    free(path);
    return r;
}

static const char *env_first(const char *a, const char *b) {
    const char *v = getenv(a);
    if (v && *v) return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

ra_s3 *ra_s3_new(const ra_s3_config *config, ra_err *err) {
    if (config == NULL || config->bucket == NULL || *config->bucket == '\0') {
        ra_err_set(err, RA_E_USAGE, "s3: no bucket configured");
        return NULL;
    }
    ra_s3 *s3 = calloc(1, sizeof(*s3));
    if (s3 == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    const char *region = config->region ? config->region : env_first("AWS_REGION", "AWS_DEFAULT_REGION");
    s3->region = strdup(region ? region : "us-east-1");
    s3->bucket = strdup(config->bucket);
    s3->ca_file = xstrdup(config->ca_file);
    s3->path_style = config->path_style;
    s3->insecure = config->insecure;
    s3->connect_timeout_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : 10000;
    s3->request_timeout_ms = config->request_timeout_ms > 0 ? config->request_timeout_ms : 60000;
    s3->max_attempts = config->max_attempts > 0 ? config->max_attempts : 5;
    s3->max_keys = config->max_keys > 0 ? config->max_keys : 0;
    s3->total_timeout_ms = config->total_timeout_ms > 0 ? config->total_timeout_ms : TOTAL_TIMEOUT_DEFAULT_MS;
    s3->cleanup_timeout_ms = config->cleanup_timeout_ms > 0 ? config->cleanup_timeout_ms : CLEANUP_TIMEOUT_DEFAULT_MS;
    s3->cancel = config->cancel;
    s3->log = config->log;
    s3->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid() ^ (unsigned int)(uintptr_t)s3;
    pthread_mutex_init(&s3->lock, NULL);
    if (!s3->region || !s3->bucket || (config->ca_file && !s3->ca_file)) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto fail;
    }
    const char *endpoint = config->endpoint ? config->endpoint : env_first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    char aws[256];
    if (endpoint == NULL) {
        snprintf(aws, sizeof(aws), "https://s3.%s.amazonaws.com", s3->region);
        endpoint = aws;
    }
    if (parse_endpoint(s3, endpoint, err) < 0) goto fail;
    if (config->credentials) {
        if (!config->credentials->access_key || !config->credentials->secret_key) {
            ra_err_set(err, RA_E_USAGE, "s3: credentials lack an access key or a secret key");
            goto fail;
        }
        if (creds_copy(&s3->creds, config->credentials) < 0) {
            ra_err_set(err, RA_E_INTERNAL, "out of memory");
            goto fail;
        }
    } else if (ra_s3_credentials_load(&s3->creds, err) < 0) {
        goto fail;
    }
    s3->easy_fd = CURL_SOCKET_BAD;
    if ((s3->easy = curl_easy_init()) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot initialise libcurl");
        goto fail;
    }
    if (s3->insecure && strcmp(s3->scheme, "https") == 0)
        ra_log_warn(s3->log, "s3.insecure", "TLS certificate verification is OFF for '%s' (insecure requested)",
                    s3->host);
    return s3;
fail:
    ra_s3_free(s3);
    return NULL;
}

void ra_s3_free(ra_s3 *s3) {
    if (s3 == NULL) return;
    if (s3->easy) curl_easy_cleanup(s3->easy);
    ra_s3_credentials_clear(&s3->creds);
    free(s3->scheme);
    free(s3->host);
    free(s3->base_path);
    free(s3->region);
    free(s3->bucket);
    free(s3->ca_file);
    pthread_mutex_destroy(&s3->lock);
    free(s3);
}

const ra_log *ra_s3_get_log(const ra_s3 *s3) {
    return s3->log;
}

const char *ra_s3_bucket(const ra_s3 *s3) {
    return s3->bucket;
}

int ra_s3_is_https(const ra_s3 *s3) {
    return strcmp(s3->scheme, "https") == 0;
}

volatile sig_atomic_t *ra_s3_cancel_flag(const ra_s3 *s3) {
    return s3->cancel;
}

long long ra_s3_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long ra_s3_clock_offset(const ra_s3 *s3) {
    pthread_mutex_t *l = (pthread_mutex_t *)&s3->lock;
    pthread_mutex_lock(l);
    long off = s3->clock_offset;
    pthread_mutex_unlock(l);
    return off;
}

void ra_s3_content_md5(const void *data, size_t len, char out[25]) {
    unsigned char md[16];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_md5(), NULL) != 1) memset(md, 0, sizeof(md));
    EVP_EncodeBlock((unsigned char *)out, md, 16);
}

/* Host and raw path of a request under the given addressing. */
static int address(const ra_s3 *s3, const char *scheme, const char *host, const char *base, const ra_s3_req *req,
                   char **vhost, char **path) {
    *vhost = NULL;
    *path = NULL;
    const char *key = req->key;
    if (req->no_bucket) {
        *vhost = strdup(host);
        if (asprintf(path, "%s/", base) < 0) *path = NULL;
    } else if (s3->path_style) {
        *vhost = strdup(host);
        if (asprintf(path, "%s/%s%s%s", base, s3->bucket, key ? "/" : "", key ? key : "") < 0) *path = NULL;
    } else {
        if (asprintf(vhost, "%s.%s", s3->bucket, host) < 0) *vhost = NULL;
        if (asprintf(path, "%s/%s", base, key ? key : "") < 0) *path = NULL;
    }
    (void)scheme;
    if (*vhost == NULL || *path == NULL) {
        free(*vhost);
        free(*path);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- one transfer */

void ra_s3_resp_clear(ra_s3_resp *r) {
    if (r == NULL) return;
    free(r->body);
    free(r->etag);
    free(r->request_id);
    for (size_t i = 0; i < r->nmeta; i++) {
        free((char *)r->meta[i].key);
        free((char *)r->meta[i].value);
    }
    free(r->meta);
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
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (x->cancel && *x->cancel) {
        x->cancelled = 1;
        return 1;
    }
    if (x->deadline_ms > 0 && ra_s3_now_ms() >= x->deadline_ms) {
        x->timed_out = 1;
        return 1;
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
        if (x->resp.len + n > 64 * 1024) return n;
        return buffer_add(x, data, n, (size_t)-1) < 0 ? 0 : n;
    }
    return buffer_add(x, data, n, x->req->max_body ? x->req->max_body : MAX_BODY_DEFAULT) < 0 ? 0 : n;
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
    } else if (HDR("x-amz-request-id")) {
        free(r->request_id);
        r->request_id = dup_trim(v, vl);
    } else if (HDR("date") || HDR("last-modified")) {
        char *s = dup_trim(v, vl);
        time_t t = s ? curl_getdate(s, NULL) : -1;
        free(s);
        if (t > 0) *(HDR("date") ? &r->date : &r->last_modified) = t;
    } else if (HDR("content-length")) {
        char *s = dup_trim(v, vl);
        r->content_length = s ? strtoll(s, NULL, 10) : -1;
        free(s);
    } else if (nl > 11 && strncasecmp(line, "x-amz-meta-", 11) == 0) {
        ra_kv *m = realloc(r->meta, (r->nmeta + 1) * sizeof(*m));
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
    int skew = x->skew_retried;
    ra_s3_xfer_clear(x);
    x->req = req;
    x->body_pos = x->delivered = 0;
    x->write_failed = x->too_big = x->oom = 0;
    x->cancelled = x->timed_out = 0;
    x->skew_retried = skew;
    x->errbuf[0] = '\0';
    ra_err_clear(&x->werr);
    x->resp.content_length = -1;

    char *host = NULL, *path = NULL, *epath = NULL, *query = NULL, *auth = NULL, date[17];
    ra_kv *hs = NULL;
    int r = -1;
    if (address(s3, s3->scheme, s3->host, s3->base_path, req, &host, &path) < 0) goto oom;
    if ((epath = ra_sigv4_uri_encode(path, 1)) == NULL) goto oom;
    if ((query = ra_sigv4_canonical_query(req->query, req->nquery)) == NULL) goto oom;
    if (asprintf(&x->url, "%s://%s%s%s%s", s3->scheme, host, epath, *query ? "?" : "", query) < 0) {
        x->url = NULL;
        goto oom;
    }
    ra_sigv4_amz_date(time(NULL) + ra_s3_clock_offset(s3), date);
    const char *payload = req->payload_hash ? req->payload_hash : RA_SIGV4_UNSIGNED;
    size_t nh = 0;
    if ((hs = calloc(req->nheaders + 4, sizeof(*hs))) == NULL) goto oom;
    hs[nh++] = (ra_kv){"Host", host};
    hs[nh++] = (ra_kv){"x-amz-date", date};
    hs[nh++] = (ra_kv){"x-amz-content-sha256", payload};
    if (s3->creds.session_token) hs[nh++] = (ra_kv){"x-amz-security-token", s3->creds.session_token};
    for (size_t i = 0; i < req->nheaders; i++) hs[nh++] = req->headers[i];
    ra_sigv4_signer sg = {s3->creds.access_key, s3->creds.secret_key, s3->creds.session_token, s3->region, "s3", date};
    ra_sigv4_request sreq = {req->method, path, req->query, req->nquery, hs, nh, payload};
    if ((auth = ra_sigv4_authorization(&sg, &sreq)) == NULL) goto oom;
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
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, (s3->request_timeout_ms + 999) / 1000);
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
    if (x->cancel || x->deadline_ms > 0) {
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
    if (auth) explicit_bzero(auth, strlen(auth));
    free(auth);
    free(hs);
    free(host);
    free(path);
    free(epath);
    free(query);
    return r;
}

static long backoff_ms(ra_s3 *s3, int attempt) {
    long d = BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && d < BACKOFF_CAP_MS; i++) d *= 2;
    if (d > BACKOFF_CAP_MS) d = BACKOFF_CAP_MS;
    /* jitter in [d/2, d]: parts failing together do not come back together */
    pthread_mutex_lock(&s3->lock);
    unsigned r = (unsigned)rand_r(&s3->seed);
    pthread_mutex_unlock(&s3->lock);
    return d / 2 + (long)(r % (unsigned)(d / 2 + 1));
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

static int retriable_code(const char *code) {
    static const char *const codes[] = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                                        "Throttling", "ThrottlingException", "RequestTimeoutException"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(code, codes[i]) == 0) return 1;
    return 0;
}

static const char *reason(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "error";
    }
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
    if (rc != CURLE_OK) {
        if (x->too_big)
            return ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': answer larger than %zu bytes", req->method, what,
                              subject, req->max_body ? req->max_body : (size_t)MAX_BODY_DEFAULT);
        /* the usual fix for a certificate the system store does not trust, said where it fails */
        const char *hint = rc == CURLE_PEER_FAILED_VERIFICATION && !s3->ca_file &&
                                   (strstr(x->errbuf, "issuer") || strstr(x->errbuf, "self-signed") ||
                                    strstr(x->errbuf, "self signed"))
                               ? " (a private CA? give its certificate with s3-ca-file)"
                               : "";
        ra_err_set(err, RA_E_STORE, "s3: %s %s'%s': %s%s", req->method, what, subject,
                   x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc), hint);
        if (retriable_curl(rc) && x->delivered == 0 && attempt < s3->max_attempts) {
            *retry_ms = backoff_ms(s3, attempt);
            ra_log_warn(s3->log, "s3.retry", "%s; attempt %d of %d in %ld ms", err ? err->msg : "", attempt + 1,
                        s3->max_attempts, *retry_ms);
        }
        return -1;
    }
    if (status >= 200 && status < 300) return 0;

    ra_s3xml_error e;
    if (ra_s3xml_parse_error(x->resp.body, x->resp.len, &e) != 1) memset(&e, 0, sizeof(e));
    const char *rid = e.request_id[0] ? e.request_id : x->resp.request_id;
    if (strcmp(e.code, "NoSuchBucket") == 0 ||
        (status == 404 && req->key == NULL && !req->no_bucket && e.code[0] == '\0'))
        return ra_err_set(err, RA_E_STORE, "s3: bucket '%s' does not exist", s3->bucket);
    ra_err_set(err, status == 404 ? RA_E_NOTFOUND : RA_E_STORE, "s3: %s %s'%s': %ld %s%s%s (request id %s)",
               req->method, what, subject, status, e.code[0] ? e.code : reason(status), e.message[0] ? ": " : "",
               e.message, rid && *rid ? rid : "none");
    if (strcmp(e.code, "RequestTimeTooSkewed") == 0 && !x->skew_retried && x->resp.date > 0) {
        /* our clock is off: take the server's and sign again, once */
        long off = (long)(x->resp.date - time(NULL));
        pthread_mutex_lock(&s3->lock);
        s3->clock_offset = off;
        pthread_mutex_unlock(&s3->lock);
        x->skew_retried = 1;
        *retry_ms = 0;
        ra_log_warn(s3->log, "s3.clock_skew", "local clock differs from the server's by %ld s; correcting", off);
        return -1;
    }
    if ((status >= 500 || status == 429 || status == 408 || retriable_code(e.code)) && x->delivered == 0 &&
        attempt < s3->max_attempts) {
        *retry_ms = backoff_ms(s3, attempt);
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
     * rightly take long and whose stalls the low-speed timeout ends. */
    int cleanup = s3->cancel && *s3->cancel;
    long budget = cleanup ? s3->cleanup_timeout_ms : req->write ? 0 : s3->total_timeout_ms;
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
    /* keep the failed answer's status for callers that branch on it (404, 501) */
    if (resp) resp->status = x.resp.status;
    ra_s3_xfer_clear(&x);
    return -1;
}

/* ---------------------------------------------------------------- operations */

int ra_s3_put_object(ra_s3 *s3, const char *key, const void *data, size_t len, const char *content_type,
                     const ra_kv *meta, size_t nmeta, ra_err *err) {
    ra_kv *hs = calloc(nmeta + 2, sizeof(*hs));
    char **names = calloc(nmeta + 1, sizeof(*names));
    char sha[65], md5[25];
    int r = -1;
    size_t nh = 0;
    if (hs == NULL || names == NULL) {
        r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    /* small objects: the signed SHA-256 and Content-MD5 cost nothing and the server checks both */
    ra_sigv4_sha256_hex(data ? data : "", len, sha);
    ra_s3_content_md5(data ? data : "", len, md5);
    hs[nh++] = (ra_kv){"Content-Type", content_type ? content_type : "application/octet-stream"};
    hs[nh++] = (ra_kv){"Content-MD5", md5};
    for (size_t i = 0; i < nmeta; i++) {
        if (asprintf(&names[i], "x-amz-meta-%s", meta[i].key) < 0) {
            names[i] = NULL;
            r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
            goto done;
        }
        hs[nh++] = (ra_kv){names[i], meta[i].value};
    }
    ra_s3_req req = {.method = "PUT", .key = key, .headers = hs, .nheaders = nh, .body = data, .body_len = len,
                     .payload_hash = sha};
    r = ra_s3_request(s3, &req, NULL, err);
done:
    if (names)
        for (size_t i = 0; i < nmeta; i++) free(names[i]);
    free(names);
    free(hs);
    return r;
}

int ra_s3_get_object_small(ra_s3 *s3, const char *key, size_t max_len, char **data, size_t *len, ra_err *err) {
    ra_s3_resp resp;
    *data = NULL;
    *len = 0;
    ra_s3_req req = {.method = "GET", .key = key, .max_body = max_len ? max_len : 1};
    if (ra_s3_request(s3, &req, &resp, err) < 0) return -1;
    if (resp.body == NULL) resp.body = calloc(1, 1);
    if (resp.body == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    *data = resp.body;
    *len = resp.len;
    resp.body = NULL;
    ra_s3_resp_clear(&resp);
    return 0;
}

int ra_s3_get_object(ra_s3 *s3, const char *key, int (*write)(void *ctx, const void *data, size_t len, ra_err *err),
                     void *ctx, ra_err *err) {
    ra_s3_req req = {.method = "GET", .key = key, .write = write, .write_ctx = ctx};
    return ra_s3_request(s3, &req, NULL, err);
}

void ra_s3_head_clear(ra_s3_head *head) {
    if (head == NULL) return;
    free(head->etag);
    for (size_t i = 0; i < head->nmeta; i++) {
        free((char *)head->meta[i].key);
        free((char *)head->meta[i].value);
    }
    free(head->meta);
    memset(head, 0, sizeof(*head));
}

int ra_s3_head_object(ra_s3 *s3, const char *key, ra_s3_head *head, ra_err *err) {
    ra_s3_resp resp;
    memset(head, 0, sizeof(*head));
    ra_s3_req req = {.method = "HEAD", .key = key};
    if (ra_s3_request(s3, &req, &resp, err) < 0) return -1;
    head->size = resp.content_length;
    head->last_modified = resp.last_modified;
    head->etag = resp.etag;
    head->meta = resp.meta;
    head->nmeta = resp.nmeta;
    resp.etag = NULL;
    resp.meta = NULL;
    resp.nmeta = 0;
    ra_s3_resp_clear(&resp);
    return 0;
}

int ra_s3_delete_object(ra_s3 *s3, const char *key, ra_err *err) {
    ra_s3_req req = {.method = "DELETE", .key = key};
    return ra_s3_request(s3, &req, NULL, err);
}

/* A bucket sub-resource request with an XML body (DeleteObjects, lifecycle): S3 requires
 * Content-MD5 on both; the body is small, so it is signed too. */
static int xml_request(ra_s3 *s3, const char *method, const ra_kv *q, size_t nq, const char *xml,
                       ra_s3_resp *resp, ra_err *err) {
    char sha[65], md5[25];
    size_t len = strlen(xml);
    ra_sigv4_sha256_hex(xml, len, sha);
    ra_s3_content_md5(xml, len, md5);
    ra_kv hs[] = {{"Content-Type", "application/xml"}, {"Content-MD5", md5}};
    ra_s3_req req = {.method = method, .query = q, .nquery = nq, .headers = hs, .nheaders = 2, .body = xml,
                     .body_len = len, .payload_hash = sha};
    return ra_s3_request(s3, &req, resp, err);
}

int ra_s3_delete_objects(ra_s3 *s3, const char *const *keys, size_t n, ra_err *err) {
    ra_kv q[] = {{"delete", NULL}};
    for (size_t off = 0; off < n; off += 1000) {
        size_t k = n - off < 1000 ? n - off : 1000;
        char *xml = ra_s3xml_build_delete(keys + off, k);
        if (xml == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        ra_s3_resp resp;
        int r = xml_request(s3, "POST", q, 1, xml, &resp, err);
        free(xml);
        if (r == 0) r = ra_s3xml_parse_delete_result(resp.body, resp.len, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) return -1;
    }
    return 0;
}

int ra_s3_check_bucket(ra_s3 *s3, ra_err *err) {
    /* A GET rather than HEAD: its error answer has a body, so a 403 names its cause
     * (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied) and RequestTimeTooSkewed gets the
     * clock correction like any other request. */
    ra_kv query[] = {{"list-type", "2"}, {"max-keys", "0"}};
    ra_s3_req req = {.method = "GET", .query = query, .nquery = 2};
    ra_s3_resp resp;
    int rc = ra_s3_request(s3, &req, &resp, err);
    ra_s3_resp_clear(&resp);
    if (rc != 0 && err) err->code = RA_E_STORE;
    return rc;
}

int ra_s3_create_bucket(ra_s3 *s3, ra_err *err) {
    char *body = NULL;
    char sha[65];
    if (strcmp(s3->region, "us-east-1") != 0 &&
        asprintf(&body, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                 s3->region) < 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_sigv4_sha256_hex(body ? body : "", body ? strlen(body) : 0, sha);
    ra_s3_req req = {.method = "PUT", .body = body, .body_len = body ? strlen(body) : 0, .payload_hash = sha};
    int r = ra_s3_request(s3, &req, NULL, err);
    free(body);
    return r;
}

int ra_s3_delete_bucket(ra_s3 *s3, ra_err *err) {
    ra_s3_req req = {.method = "DELETE"};
    return ra_s3_request(s3, &req, NULL, err);
}

int ra_s3_list(ra_s3 *s3, const char *prefix, int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx,
               ra_err *err) {
    char *token = NULL, mk[16];
    int r = 0;
    snprintf(mk, sizeof(mk), "%d", s3->max_keys);
    for (;;) {
        ra_kv q[4];
        size_t nq = 0;
        q[nq++] = (ra_kv){"list-type", "2"};
        q[nq++] = (ra_kv){"prefix", prefix ? prefix : ""};
        if (s3->max_keys > 0) q[nq++] = (ra_kv){"max-keys", mk};
        if (token) q[nq++] = (ra_kv){"continuation-token", token};
        ra_s3_req req = {.method = "GET", .query = q, .nquery = nq};
        ra_s3_resp resp;
        ra_s3xml_list page;
        if ((r = ra_s3_request(s3, &req, &resp, err)) < 0) break;
        r = ra_s3xml_parse_list(resp.body, resp.len, &page, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) break;
        for (size_t i = 0; i < page.n && r == 0; i++) r = cb(ctx, &page.objects[i], err);
        free(token);
        token = page.truncated ? page.next_token : NULL;
        if (page.truncated) page.next_token = NULL;
        ra_s3xml_list_clear(&page);
        if (r < 0 || token == NULL) break;
    }
    free(token);
    return r;
}

int ra_s3_list_uploads(ra_s3 *s3, const char *prefix, int (*cb)(void *ctx, const ra_s3_upload_ref *up, ra_err *err),
                       void *ctx, ra_err *err) {
    char *km = NULL, *um = NULL, mk[16];
    int r = 0;
    snprintf(mk, sizeof(mk), "%d", s3->max_keys);
    for (;;) {
        ra_kv q[5];
        size_t nq = 0;
        q[nq++] = (ra_kv){"uploads", NULL};
        q[nq++] = (ra_kv){"prefix", prefix ? prefix : ""};
        if (s3->max_keys > 0) q[nq++] = (ra_kv){"max-uploads", mk};
        if (km) q[nq++] = (ra_kv){"key-marker", km};
        if (um) q[nq++] = (ra_kv){"upload-id-marker", um};
        ra_s3_req req = {.method = "GET", .query = q, .nquery = nq};
        ra_s3_resp resp;
        ra_s3xml_uploads page;
        if ((r = ra_s3_request(s3, &req, &resp, err)) < 0) break;
        r = ra_s3xml_parse_uploads(resp.body, resp.len, &page, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) break;
        for (size_t i = 0; i < page.n && r == 0; i++) r = cb(ctx, &page.uploads[i], err);
        free(km);
        free(um);
        km = um = NULL;
        if (page.truncated) {
            km = page.next_key_marker;
            um = page.next_upload_id_marker;
            page.next_key_marker = page.next_upload_id_marker = NULL;
        }
        ra_s3xml_uploads_clear(&page);
        if (r < 0 || km == NULL) break;
    }
    free(km);
    free(um);
    return r;
}

int ra_s3_abort_upload(ra_s3 *s3, const char *key, const char *upload_id, ra_err *err) {
    ra_kv q[] = {{"uploadId", upload_id}};
    ra_s3_req req = {.method = "DELETE", .key = key, .query = q, .nquery = 1};
    ra_s3_resp resp;
    if (ra_s3_request(s3, &req, &resp, err) == 0) {
        ra_s3_resp_clear(&resp);
        return 0;
    }
    long status = resp.status;
    ra_s3_resp_clear(&resp);
    /* already gone (aborted before, or completed) is what the caller wants */
    if (status == 404 && err && strstr(err->msg, "NoSuchUpload")) {
        ra_err_clear(err);
        return 0;
    }
    return -1;
}

int ra_s3_get_lifecycle(ra_s3 *s3, ra_s3_lifecycle *lc, int *unsupported, ra_err *err) {
    ra_kv q[] = {{"lifecycle", NULL}};
    ra_s3_req req = {.method = "GET", .query = q, .nquery = 1};
    ra_s3_resp resp;
    lc->rules = NULL;
    lc->nrules = 0;
    if (unsupported) *unsupported = 0;
    if (ra_s3_request(s3, &req, &resp, err) < 0) {
        long status = resp.status;
        ra_s3_resp_clear(&resp);
        if (status == 404 && err && strstr(err->msg, "NoSuchLifecycleConfiguration")) {
            ra_err_clear(err);
            return 0;
        }
        if (status == 501 || (err && strstr(err->msg, "NotImplemented"))) {
            if (unsupported) *unsupported = 1;
            if (err) err->code = RA_E_STORE;
        }
        return -1;
    }
    int r = ra_s3xml_parse_lifecycle(resp.body, resp.len, lc, err);
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_put_lifecycle(ra_s3 *s3, const ra_s3_lifecycle *lc, int *unsupported, ra_err *err) {
    ra_kv q[] = {{"lifecycle", NULL}};
    ra_s3_resp resp;
    int r;
    if (unsupported) *unsupported = 0;
    if (lc->nrules == 0) {
        /* S3 refuses an empty configuration: no rules means no configuration */
        ra_s3_req req = {.method = "DELETE", .query = q, .nquery = 1};
        r = ra_s3_request(s3, &req, &resp, err);
    } else {
        char *xml = ra_s3xml_build_lifecycle(lc);
        if (xml == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        r = xml_request(s3, "PUT", q, 1, xml, &resp, err);
        free(xml);
    }
    if (r < 0 && (resp.status == 501 || (err && strstr(err->msg, "NotImplemented")))) {
        if (unsupported) *unsupported = 1;
        if (err) err->code = RA_E_STORE;
    }
    ra_s3_resp_clear(&resp);
    return r;
}

char *ra_s3_presign_get(ra_s3 *s3, const char *endpoint, const char *key, long expires, time_t now, ra_err *err) {
    ra_s3 alt;
    const ra_s3 *at = s3;
    char *host = NULL, *path = NULL, *epath = NULL, *query = NULL, *url = NULL, date[17];
    memset(&alt, 0, sizeof(alt));
    if (expires <= 0 || expires > 604800) {
        ra_err_set(err, RA_E_USAGE, "s3: presign expiry %ld s out of range (1..604800)", expires);
        return NULL;
    }
    if (endpoint) {
        /* a public address: signed for its own host, as the client will send it */
        alt.bucket = s3->bucket;
        alt.path_style = s3->path_style;
        if (parse_endpoint(&alt, endpoint, err) < 0) goto done;
        at = &alt;
    }
    time_t t = now + ra_s3_clock_offset(s3);
    ra_sigv4_amz_date(t, date);
    ra_s3_req req = {.method = "GET", .key = key};
    if (address(at, at->scheme, at->host, at->base_path, &req, &host, &path) < 0 ||
        (epath = ra_sigv4_uri_encode(path, 1)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    ra_sigv4_signer sg = {s3->creds.access_key, s3->creds.secret_key, s3->creds.session_token, s3->region, "s3", date};
    if ((query = ra_sigv4_presign_query(&sg, "GET", path, host, expires)) == NULL ||
        asprintf(&url, "%s://%s%s?%s", at->scheme, host, epath, query) < 0) {
        url = NULL;
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    if (s3->creds.expiration && s3->creds.expiration < now + expires)
        ra_log_warn(s3->log, "s3.presign", "the link for '%s' stops working in %ld s, when the temporary "
                                           "credentials expire, not in %ld s",
                    key, (long)(s3->creds.expiration - now), expires);
done:
    free(alt.scheme);
    free(alt.host);
    free(alt.base_path);
    free(host);
    free(path);
    free(epath);
    free(query);
    return url;
}
