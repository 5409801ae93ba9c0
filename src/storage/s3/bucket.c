/* bucket.c - bucket operations: the access check, lifecycle rules, and create/delete (tests). */
#include "storage/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "storage/s3/request.h"
#include "storage/s3/xml.h"

int ra_s3_check_prefix(ra_s3 *s3, const char *prefix, ra_err *err) {
    /* A GET rather than HEAD: its error answer has a body, so a 403 names its cause
     * (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied) and RequestTimeTooSkewed gets the
     * clock correction like any other request. Every answer to a bucket-level request maps to
     * RA_E_STORE (request.c), never to "not found". With a prefix, the listing stays inside it, so
     * a policy that allows s3:ListBucket only with that s3:prefix allows it too. */
    ra_kv query[] = {{"list-type", "2"}, {"max-keys", "0"}, {"prefix", prefix}};
    ra_s3_req req = {.method = "GET", .query = query, .nquery = prefix && *prefix ? 3 : 2};
    return ra_s3_request(s3, &req, NULL, err);
}

int ra_s3_check_bucket(ra_s3 *s3, ra_err *err) {
    return ra_s3_check_prefix(s3, NULL, err);
}

int ra_s3_create_bucket(ra_s3 *s3, ra_err *err) {
    char *body = NULL;
    char sha[RA_SHA256_HEX_LEN];
    if (strcmp(s3->region, RA_S3_REGION_DEFAULT) != 0 &&
        asprintf(&body, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                 s3->region) < 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    size_t len = body ? strlen(body) : 0;
    if (ra_sha256_hex(body, len, sha) < 0) {
        free(body);
        return ra_err_set(err, RA_E_INTERNAL, "s3: cannot hash the request body (OpenSSL failed)");
    }
    ra_s3_req req = {.method = "PUT", .body = body, .body_len = len, .payload_hash = sha};
    int r = ra_s3_request(s3, &req, NULL, err);
    free(body);
    return r;
}

int ra_s3_delete_bucket(ra_s3 *s3, ra_err *err) {
    ra_s3_req req = {.method = "DELETE"};
    return ra_s3_request(s3, &req, NULL, err);
}

/* A store without lifecycle support answers 501, or NotImplemented under another status. */
static int unsupported_answer(const ra_s3_resp *resp) {
    return resp->status == 501 || strcmp(resp->code, "NotImplemented") == 0;
}

int ra_s3_get_lifecycle(ra_s3 *s3, ra_s3_lifecycle *lc, int *unsupported, ra_err *err) {
    ra_kv q[] = {{"lifecycle", NULL}};
    ra_s3_req req = {.method = "GET", .query = q, .nquery = 1};
    ra_s3_resp resp;
    lc->rules = NULL;
    lc->nrules = 0;
    if (unsupported) *unsupported = 0;
    if (ra_s3_request(s3, &req, &resp, err) < 0) {
        int none = resp.status == 404 && strcmp(resp.code, "NoSuchLifecycleConfiguration") == 0;
        if (unsupported && unsupported_answer(&resp)) *unsupported = 1;
        ra_s3_resp_clear(&resp);
        if (none) {
            ra_err_clear(err);
            return 0;
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
        r = ra_s3_xml_request(s3, "PUT", NULL, q, 1, xml, &resp, err);
        free(xml);
    }
    if (r < 0 && unsupported && unsupported_answer(&resp)) *unsupported = 1;
    ra_s3_resp_clear(&resp);
    return r;
}

int ra_s3_get_versioning(ra_s3 *s3, int *versioned, ra_err *err) {
    ra_kv q[] = {{"versioning", NULL}};
    ra_s3_req req = {.method = "GET", .query = q, .nquery = 1};
    ra_s3_resp resp;
    *versioned = 0;
    int r = ra_s3_request(s3, &req, &resp, err);
    /* an empty answer: versioning was never set */
    if (r == 0 && resp.len > 0) r = ra_s3xml_parse_versioning(resp.body, resp.len, versioned, err);
    ra_s3_resp_clear(&resp);
    return r;
}
