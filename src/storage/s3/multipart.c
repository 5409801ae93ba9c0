/* multipart.c - the multipart upload's own requests: Create, Complete, Abort and
 * ListMultipartUploads. The part engine (UploadPart, several in flight) is upload.c. */
#include "storage/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"
#include "storage/s3/answer.h"
#include "storage/s3/partsum.h"
#include "storage/s3/request.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

size_t ra_s3_headers_sse(const ra_s3 *s3, ra_kv *kv) {
    size_t n = 0;
    if (s3->sse == RA_S3_SSE_AES256) kv[n++] = (ra_kv){"x-amz-server-side-encryption", "AES256"};
    if (s3->sse == RA_S3_SSE_KMS) {
        kv[n++] = (ra_kv){"x-amz-server-side-encryption", "aws:kms"};
        if (s3->sse_kms_key_id) kv[n++] = (ra_kv){"x-amz-server-side-encryption-aws-kms-key-id", s3->sse_kms_key_id};
    }
    return n;
}

/* the headers CreateMultipartUpload adds to the object's own (type, metadata): one line each */
#define CREATE_HEADERS (RA_S3_SSE_HEADERS + 2)

/* CreateMultipartUpload; on failure *fail (may be NULL) keeps the answer's status, code and message */
static int create(ra_s3 *s3, const char *key, const char *content_type, const ra_kv *meta, size_t nmeta,
                  const char *checksum_algorithm, char **upload_id, ra_s3_resp *fail, ra_err *err) {
    ra_s3_headers h;
    *upload_id = NULL;
    if (fail) memset(fail, 0, sizeof(*fail));
    if (ra_s3_headers_object(&h, CREATE_HEADERS, content_type, meta, nmeta, err) < 0) return -1;
    h.n += ra_s3_headers_sse(s3, h.kv + h.n);
    if (s3->storage_class) h.kv[h.n++] = (ra_kv){"x-amz-storage-class", s3->storage_class};
    if (checksum_algorithm) h.kv[h.n++] = (ra_kv){"x-amz-checksum-algorithm", checksum_algorithm};
    if (s3->sse != RA_S3_SSE_NONE || s3->storage_class)
        ra_log_debug(s3->log, "s3.upload.create", "creating upload of '%s': sse %s%s%s, storage class %s", key,
                     s3->sse == RA_S3_SSE_KMS ? "aws:kms" : s3->sse == RA_S3_SSE_AES256 ? "AES256" : "none",
                     s3->sse_kms_key_id ? " key " : "", s3->sse_kms_key_id ? s3->sse_kms_key_id : "",
                     s3->storage_class ? s3->storage_class : "default");
    ra_kv q[] = {{"uploads", NULL}};
    ra_s3_req req = {.method = "POST", .key = key, .query = q, .nquery = 1, .headers = h.kv, .nheaders = h.n,
                     .payload_hash = RA_SIGV4_EMPTY_SHA256};
    ra_s3_resp resp;
    int r = ra_s3_request(s3, &req, &resp, err);
    ra_s3_headers_clear(&h);
    if (r == 0) r = ra_s3xml_parse_upload_id(resp.body, resp.len, upload_id, err);
    if (r < 0 && fail) {
        fail->status = resp.status;
        memcpy(fail->code, resp.code, sizeof(fail->code));
        memcpy(fail->message, resp.message, sizeof(fail->message));
    }
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_upload_create(ra_s3 *s3, const char *key, const char *content_type, const ra_kv *meta, size_t nmeta,
                        const char *checksum_algorithm, char **upload_id, ra_err *err) {
    return create(s3, key, content_type, meta, nmeta, checksum_algorithm, upload_id, NULL, err);
}

void ra_s3_checksum_hint(ra_err *err) {
    char m[RA_ERR_MSG_MAX];
    snprintf(m, sizeof(m), "%s", err->msg);
    ra_err_set(err, err->code, "%s; the store does not take the CRC-32C checksum headers: set part-checksum sha256",
               m);
}

void ra_s3_checksum_refused(ra_s3 *s3, const char *what, const ra_s3_resp *r, const ra_partsum *ps) {
    if (__atomic_exchange_n(&s3->checksum_refused, 1, __ATOMIC_RELAXED)) return;
    ra_log_warn(s3->log, "s3.checksum.refused",
                "the store refused the CRC-32C checksum headers (%s: %ld %s%s%s): uploads carry %s instead; set "
                "part-checksum sha256 to silence this", what, r->status, r->code[0] ? r->code : ra_s3_reason(r->status),
                r->message[0] ? ": " : "", r->message, ra_partsum_fallback_name(ps));
}

int ra_s3_upload_create_sum(ra_s3 *s3, const char *key, const char *content_type, const ra_kv *meta, size_t nmeta,
                            ra_partsum *ps, char **upload_id, ra_err *err) {
    /* this client's store refused them before: do not ask again */
    if (ps->crc && __atomic_load_n(&s3->checksum_refused, __ATOMIC_RELAXED)) ra_partsum_fall_back(ps);
    ra_s3_resp fail;
    int r = create(s3, key, content_type, meta, nmeta, ps->crc ? "CRC32C" : NULL, upload_id, &fail, err);
    if (r == 0 || !ps->crc || !ra_partsum_refused(fail.status, fail.code, fail.message)) return r;
    if (!ra_partsum_fall_back(ps)) {
        ra_s3_checksum_hint(err);
        return -1;
    }
    ra_s3_checksum_refused(s3, "CreateMultipartUpload", &fail, ps);
    ra_err_clear(err);
    return create(s3, key, content_type, meta, nmeta, NULL, upload_id, NULL, err);
}

/* the pause before attempt `attempt` + 1 of a Complete answered 200 <Error>: 250 ms doubling, at most 4 s;
 * 0, or -1 when cancelled meanwhile */
#define COMPLETE_RETRY_MS 250
#define COMPLETE_RETRY_MAX_MS 4000
static int complete_pause(ra_s3 *s3, int attempt) {
    long ms = COMPLETE_RETRY_MS << (attempt - 1 < 4 ? attempt - 1 : 4);
    if (ms > COMPLETE_RETRY_MAX_MS) ms = COMPLETE_RETRY_MAX_MS;
    volatile sig_atomic_t *cancel = ra_s3_cancel_flag(s3);
    for (long long end = ra_s3_now_ms() + ms; ra_s3_now_ms() < end;) {
        if (cancel && *cancel) return -1;
        struct timespec t = {0, 20 * 1000000L};
        nanosleep(&t, NULL);
    }
    return 0;
}

/* CompleteMultipartUpload; on a final 4xx *fail keeps the answer's status, code and message */
static int complete(ra_s3 *s3, const char *key, const char *upload_id, const char *const *etags,
                    const char *const *crc32c, size_t n, ra_s3_resp *fail, ra_err *err) {
    char *xml = ra_s3xml_build_complete_crc32c(etags, crc32c, n);
    char sha[RA_SHA256_HEX_LEN];
    if (xml == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    size_t len = strlen(xml);
    if (ra_sha256_hex(xml, len, sha) < 0) {
        free(xml);
        return ra_err_set(err, RA_E_INTERNAL, "s3: cannot hash the request body (OpenSSL failed)");
    }
    ra_kv q[] = {{"uploadId", upload_id}};
    ra_kv hs[] = {{"Content-Type", "application/xml"}};
    ra_s3_req req = {.method = "POST", .key = key, .query = q, .nquery = 1, .headers = hs, .nheaders = 1,
                     .body = xml, .body_len = len, .payload_hash = sha, .slow_answer = 1};
    int r;
    for (int attempt = 1;; attempt++) {
        ra_s3_resp resp;
        r = ra_s3_request(s3, &req, &resp, err);
        if (r == 0) {
            /* a 200 may still carry <Error>: the request failed after all, and is retried (botocore does) */
            ra_s3xml_error e;
            int late = ra_s3xml_parse_error(resp.body, resp.len, &e) == 1;
            r = ra_s3xml_parse_complete(resp.body, resp.len, NULL, err);
            ra_s3_resp_clear(&resp);
            if (r == 0) break;
            if (late && attempt < s3->max_attempts) {
                ra_log_warn(s3->log, "s3.complete.retry", "completing '%s': 200 with an error in the body (%s); "
                            "attempt %d of %d", key, err->msg, attempt + 1, s3->max_attempts);
                if (complete_pause(s3, attempt) == 0) continue;
                r = ra_err_set(err, RA_E_CANCELLED, "s3: POST '%s': cancelled", key);
                break;
            }
            /* an unparsable 200, or errors after every attempt: the object may be complete */
            r = RA_S3_COMPLETE_UNSURE;
            break;
        }
        fail->status = resp.status;
        memcpy(fail->code, resp.code, sizeof(fail->code));
        memcpy(fail->message, resp.message, sizeof(fail->message));
        if (strcmp(resp.code, "NoSuchUpload") == 0)
            r = RA_S3_NO_SUCH_UPLOAD;
        else if (err->code != RA_E_CANCELLED && (resp.status < 400 || resp.status >= 500))
            r = RA_S3_COMPLETE_UNSURE; /* no answer, a broken one or a server error: it may have completed */
        ra_s3_resp_clear(&resp);
        break;
    }
    free(xml);
    return r;
}

int ra_s3_upload_complete(ra_s3 *s3, const char *key, const char *upload_id, const char *const *etags,
                          const char *const *crc32c, size_t n, ra_err *err) {
    ra_s3_resp fail;
    return complete(s3, key, upload_id, etags, crc32c, n, &fail, err);
}

int ra_s3_upload_complete_sum(ra_s3 *s3, const char *key, const char *upload_id, const char *const *etags,
                              const char *const *crc32c, size_t n, ra_partsum *ps, ra_err *err) {
    ra_s3_resp fail;
    memset(&fail, 0, sizeof(fail));
    int r = complete(s3, key, upload_id, etags, ps->crc ? crc32c : NULL, n, &fail, err);
    /* the list is all that differs from a Complete without checksums: MalformedXML is about it too */
    if (r != -1 || !ps->crc || fail.status != 400 ||
        (strcmp(fail.code, "MalformedXML") != 0 && !ra_partsum_refused(fail.status, fail.code, fail.message)))
        return r;
    if (!ra_partsum_fall_back(ps)) {
        ra_s3_checksum_hint(err);
        return -1;
    }
    ra_s3_checksum_refused(s3, "CompleteMultipartUpload", &fail, ps);
    ra_err_clear(err);
    return complete(s3, key, upload_id, etags, NULL, n, &fail, err);
}

int ra_s3_abort_upload(ra_s3 *s3, const char *key, const char *upload_id, ra_err *err) {
    ra_kv q[] = {{"uploadId", upload_id}};
    ra_s3_req req = {.method = "DELETE", .key = key, .query = q, .nquery = 1};
    ra_s3_resp resp;
    int r = ra_s3_request(s3, &req, &resp, err);
    /* already gone (aborted before, or completed) is what the caller wants */
    if (r < 0 && resp.status == 404 && strcmp(resp.code, "NoSuchUpload") == 0) {
        ra_err_clear(err);
        r = 0;
    }
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_list_uploads(ra_s3 *s3, const char *prefix, int (*cb)(void *ctx, const ra_s3_upload_ref *up, ra_err *err),
                       void *ctx, ra_err *err) {
    ra_s3_pager pg = {0};
    char *km = NULL, *um = NULL, mk[16];
    int r = 0;
    snprintf(mk, sizeof(mk), "%d", s3->max_keys);
    for (;;) {
        ra_kv q[6];
        size_t nq = 0;
        q[nq++] = (ra_kv){"encoding-type", "url"}; /* keys decoded by xml.c */
        q[nq++] = (ra_kv){"uploads", NULL};
        q[nq++] = (ra_kv){"prefix", prefix ? prefix : ""};
        if (s3->max_keys > 0) q[nq++] = (ra_kv){"max-uploads", mk};
        if (km) q[nq++] = (ra_kv){"key-marker", km};
        if (um) q[nq++] = (ra_kv){"upload-id-marker", um};
        ra_s3_req req = {.method = "GET", .query = q, .nquery = nq};
        ra_s3_resp resp;
        ra_s3xml_uploads l;
        if ((r = ra_s3_request(s3, &req, &resp, err)) < 0) break;
        r = ra_s3xml_parse_uploads(resp.body, resp.len, &l, err);
        ra_s3_resp_clear(&resp);
        if (r < 0) break;
        for (size_t i = 0; i < l.n && r == 0; i++) r = cb(ctx, &l.uploads[i], err);
        /* the position is the pair of markers: the pager compares them as one string */
        char *next = NULL;
        if (r == 0 && l.truncated && l.next_key_marker &&
            asprintf(&next, "%s\n%s", l.next_key_marker, l.next_upload_id_marker ? l.next_upload_id_marker : "") < 0) {
            next = NULL;
            r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
        int more = r == 0 ? ra_s3_pager_next(&pg, "listing multipart uploads", l.truncated, next, err) : 0;
        free(next);
        free(km);
        free(um);
        km = um = NULL;
        if (more > 0) {
            km = l.next_key_marker;
            um = l.next_upload_id_marker;
            l.next_key_marker = l.next_upload_id_marker = NULL;
        }
        ra_s3xml_uploads_clear(&l);
        if (more < 0) r = -1;
        if (r < 0 || more == 0) break;
    }
    ra_s3_pager_clear(&pg);
    free(km);
    free(um);
    return r;
}
