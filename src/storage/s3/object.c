/* object.c - object operations: PUT (plain and conditional), GET (whole or streamed), HEAD,
 * DELETE, DeleteObjects and ListObjectsV2. */
#include "storage/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "storage/s3/request.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

#define DELETE_BATCH 1000        /* DeleteObjects takes at most this many keys */
#define LIST_PAGES_MAX 1000000L  /* a listing longer than this is a store gone wrong */
#define GET_MIN_RATE 1024L       /* bytes/s a streamed GET must keep over the request timeout */

void ra_s3_meta_free(ra_s3_meta *meta, size_t n) {
    for (size_t i = 0; meta && i < n; i++) {
        free(meta[i].key);
        free(meta[i].value);
    }
    free(meta);
}

void ra_s3_headers_clear(ra_s3_headers *h) {
    if (h == NULL) return;
    for (size_t i = 0; h->names && i < h->nnames; i++) free(h->names[i]);
    free(h->names);
    free(h->kv);
    memset(h, 0, sizeof(*h));
}

int ra_s3_headers_object(ra_s3_headers *h, size_t extra, const char *content_type, const ra_kv *meta, size_t nmeta,
                         ra_err *err) {
    memset(h, 0, sizeof(*h));
    h->kv = calloc(nmeta + 1 + extra, sizeof(*h->kv));
    h->names = calloc(nmeta + 1, sizeof(*h->names));
    if (h->kv == NULL || h->names == NULL) goto oom;
    h->kv[h->n++] = (ra_kv){"Content-Type", content_type ? content_type : "application/octet-stream"};
    for (size_t i = 0; i < nmeta; i++) {
        if (asprintf(&h->names[i], "x-amz-meta-%s", meta[i].key) < 0) {
            h->names[i] = NULL;
            goto oom;
        }
        h->nnames = i + 1;
        h->kv[h->n++] = (ra_kv){h->names[i], meta[i].value};
    }
    return 0;
oom:
    ra_s3_headers_clear(h);
    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
}

static int digest_failed(ra_err *err) {
    return ra_err_set(err, RA_E_INTERNAL, "s3: cannot hash the request body (OpenSSL failed)");
}

int ra_s3_put(ra_s3 *s3, const char *key, const void *data, size_t len, const ra_s3_put_opts *opts, ra_err *err) {
    static const ra_s3_put_opts none = {0};
    char sha[RA_SHA256_HEX_LEN], md5[RA_MD5_BASE64_LEN];
    ra_s3_headers h;
    if (opts == NULL) opts = &none;
    if (opts->etag) *opts->etag = NULL;
    /* small objects: the signed SHA-256 and Content-MD5 cost nothing and the server checks both */
    if (ra_sha256_hex(data, len, sha) < 0 || ra_md5_base64(data, len, md5) < 0) return digest_failed(err);
    if (ra_s3_headers_object(&h, 3 + RA_S3_SSE_HEADERS, opts->content_type, opts->meta, opts->nmeta, err) < 0)
        return -1;
    h.n += ra_s3_headers_sse(s3, h.kv + h.n); /* records are encrypted like the backups (storage class: no) */
    h.kv[h.n++] = (ra_kv){"Content-MD5", md5};
    if (opts->if_absent) h.kv[h.n++] = (ra_kv){"If-None-Match", "*"};
    if (opts->if_match) h.kv[h.n++] = (ra_kv){"If-Match", opts->if_match};
    ra_s3_req req = {.method = "PUT", .key = key, .headers = h.kv, .nheaders = h.n, .body = data, .body_len = len,
                     .payload_hash = sha};
    ra_s3_resp resp;
    int r = ra_s3_request(s3, &req, &resp, err);
    ra_s3_headers_clear(&h);
    if (r == 0 && opts->etag && (*opts->etag = strdup(resp.etag ? resp.etag : "")) == NULL)
        r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    /* 412: the condition does not hold; 409 ConditionalRequestConflict: a concurrent conditional
     * write to the same key won. Both mean "someone else has it" to a caller taking a lock. */
    if (r < 0 && (opts->if_absent || opts->if_match) &&
        (resp.status == 412 || (resp.status == 409 && strcmp(resp.code, "ConditionalRequestConflict") == 0)))
        r = RA_S3_PRECONDITION_FAILED;
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_put_object(ra_s3 *s3, const char *key, const void *data, size_t len, const char *content_type,
                     const ra_kv *meta, size_t nmeta, ra_err *err) {
    ra_s3_put_opts o = {.content_type = content_type, .meta = meta, .nmeta = nmeta};
    return ra_s3_put(s3, key, data, len, &o, err);
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
    /* No overall budget (a large object rightly takes long), but a minimum rate: a peer
     * trickling a few bytes a second would otherwise hold the GET open forever */
    ra_s3_req req = {.method = "GET", .key = key, .write = write, .write_ctx = ctx, .min_rate = GET_MIN_RATE};
    return ra_s3_request(s3, &req, NULL, err);
}

void ra_s3_head_clear(ra_s3_head *head) {
    if (head == NULL) return;
    free(head->etag);
    ra_s3_meta_free(head->meta, head->nmeta);
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

int ra_s3_xml_request(ra_s3 *s3, const char *method, const char *key, const ra_kv *q, size_t nq, const char *xml,
                      ra_s3_resp *resp, ra_err *err) {
    char sha[RA_SHA256_HEX_LEN], md5[RA_MD5_BASE64_LEN];
    size_t len = strlen(xml);
    if (resp) {
        memset(resp, 0, sizeof(*resp));
        resp->content_length = -1;
    }
    if (ra_sha256_hex(xml, len, sha) < 0 || ra_md5_base64(xml, len, md5) < 0) return digest_failed(err);
    ra_kv hs[] = {{"Content-Type", "application/xml"}, {"Content-MD5", md5}};
    ra_s3_req req = {.method = method, .key = key, .query = q, .nquery = nq, .headers = hs, .nheaders = 2,
                     .body = xml, .body_len = len, .payload_hash = sha};
    return ra_s3_request(s3, &req, resp, err);
}

int ra_s3_delete_objects(ra_s3 *s3, const char *const *keys, size_t n, ra_err *err) {
    ra_kv q[] = {{"delete", NULL}};
    for (size_t off = 0; off < n; off += DELETE_BATCH) {
        size_t k = n - off < DELETE_BATCH ? n - off : DELETE_BATCH;
        char *xml = ra_s3xml_build_delete(keys + off, k);
        if (xml == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        ra_s3_resp resp;
        int r = ra_s3_xml_request(s3, "POST", NULL, q, 1, xml, &resp, err);
        free(xml);
        if (r == 0) r = ra_s3xml_parse_delete_result(resp.body, resp.len, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) return -1;
    }
    return 0;
}

void ra_s3_pager_clear(ra_s3_pager *pg) {
    if (pg == NULL) return;
    free(pg->last);
    free(pg->mark);
    memset(pg, 0, sizeof(*pg));
}

/* A truncated page must name a new place to go on from: a missing one, one seen before, or an
 * endless listing is a store gone wrong, and following it would loop for ever (faults.md R11).
 * Cycles of any length are caught the way Brent's algorithm does: the position at each
 * power-of-two page is kept as a mark, and every later position is compared with it. */
int ra_s3_pager_next(ra_s3_pager *pg, const char *what, int truncated, const char *next, ra_err *err) {
    long page = ++pg->page;
    if (!truncated) return 0;
    if (next == NULL || *next == '\0')
        return ra_err_set(err, RA_E_STORE, "s3: %s: page %ld is truncated but names no next page; the store "
                                           "answers wrongly", what, page);
    if ((pg->last && strcmp(pg->last, next) == 0) || (pg->mark && strcmp(pg->mark, next) == 0))
        return ra_err_set(err, RA_E_STORE, "s3: %s: page %ld names an earlier page as the next one; the store "
                                           "answers wrongly, stopping", what, page);
    if (page >= LIST_PAGES_MAX)
        return ra_err_set(err, RA_E_STORE, "s3: %s: more than %ld pages; stopping", what, LIST_PAGES_MAX);
    char *n = strdup(next);
    if (n == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if ((page & (page - 1)) == 0) {
        free(pg->mark);
        pg->mark = pg->last;
    } else {
        free(pg->last);
    }
    pg->last = n;
    return 1;
}

static int list_objects(ra_s3 *s3, const char *prefix, const char *delimiter,
                        int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx, ra_err *err);

int ra_s3_list(ra_s3 *s3, const char *prefix, int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx,
               ra_err *err) {
    return list_objects(s3, prefix, NULL, cb, ctx, err);
}

int ra_s3_list_top(ra_s3 *s3, const char *prefix, int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err),
                   void *ctx, ra_err *err) {
    return list_objects(s3, prefix, "/", cb, ctx, err);
}

static int list_objects(ra_s3 *s3, const char *prefix, const char *delimiter,
                        int (*cb)(void *ctx, const ra_s3_object *obj, ra_err *err), void *ctx, ra_err *err) {
    ra_s3_pager pg = {0};
    char mk[16];
    int r = 0;
    snprintf(mk, sizeof(mk), "%d", s3->max_keys);
    for (;;) {
        ra_kv q[6];
        size_t nq = 0;
        if (delimiter) q[nq++] = (ra_kv){"delimiter", delimiter};
        /* keys may hold characters XML 1.0 cannot carry (a \x01 written by anyone): ask for them encoded */
        q[nq++] = (ra_kv){"encoding-type", "url"};
        q[nq++] = (ra_kv){"list-type", "2"};
        q[nq++] = (ra_kv){"prefix", prefix ? prefix : ""};
        if (s3->max_keys > 0) q[nq++] = (ra_kv){"max-keys", mk};
        if (pg.last) q[nq++] = (ra_kv){"continuation-token", pg.last};
        ra_s3_req req = {.method = "GET", .query = q, .nquery = nq};
        ra_s3_resp resp;
        ra_s3xml_list l;
        if ((r = ra_s3_request(s3, &req, &resp, err)) < 0) break;
        r = ra_s3xml_parse_list(resp.body, resp.len, &l, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) break;
        for (size_t i = 0; i < l.n && r == 0; i++) r = cb(ctx, &l.objects[i], err);
        int more = r == 0 ? ra_s3_pager_next(&pg, "listing objects", l.truncated, l.next_token, err) : 0;
        ra_s3xml_list_clear(&l);
        if (more < 0) r = -1;
        if (r < 0 || more == 0) break;
    }
    ra_s3_pager_clear(&pg);
    return r;
}

/* A tag key or value the archiver sends: no XML special characters, so no escaping is needed. */
static int tag_text_ok(const char *s) {
    return s != NULL && *s != '\0' && strpbrk(s, "<>&\"'") == NULL;
}

int ra_s3_put_object_tagging(ra_s3 *s3, const char *key, const char *tag_key, const char *tag_value,
                             int *unsupported, ra_err *err) {
    if (unsupported) *unsupported = 0;
    if (!tag_text_ok(tag_key) || !tag_text_ok(tag_value))
        return ra_err_set(err, RA_E_INTERNAL, "s3: tag '%s' is not plain text", tag_key ? tag_key : "");
    char *xml = NULL;
    if (asprintf(&xml, "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>%s</Key>"
                       "<Value>%s</Value></Tag></TagSet></Tagging>", tag_key, tag_value) < 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_kv q[] = {{"tagging", NULL}};
    ra_s3_resp resp;
    int r = ra_s3_xml_request(s3, "PUT", key, q, 1, xml, &resp, err);
    free(xml);
    if (r < 0 && unsupported && (resp.status == 501 || strcmp(resp.code, "NotImplemented") == 0)) *unsupported = 1;
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_get_object_tag(ra_s3 *s3, const char *key, const char *tag_key, char **value, ra_err *err) {
    *value = NULL;
    ra_kv q[] = {{"tagging", NULL}};
    ra_s3_req req = {.method = "GET", .key = key, .query = q, .nquery = 1};
    ra_s3_resp resp;
    int r = ra_s3_request(s3, &req, &resp, err);
    if (r == 0) r = ra_s3xml_parse_tag(resp.body, resp.len, tag_key, value, err);
    ra_s3_resp_clear(&resp);
    return r;
}
