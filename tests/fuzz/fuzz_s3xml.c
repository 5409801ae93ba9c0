/* fuzz_s3xml.c - libFuzzer: every S3 XML answer parser fed the same arbitrary bytes; results are
 * checked for consistency (a success leaves well-formed output, a failure leaves nothing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/s3.h" /* ra_s3_lifecycle_rule_equal */
#include "storage/s3/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    ra_err err;
    ra_s3xml_error e;
    if (ra_s3xml_parse_error(body, size, &e) == 1) {
        if (strlen(e.code) >= sizeof(e.code) || strlen(e.request_id) >= sizeof(e.request_id)) abort();
    }
    char *id = NULL;
    if (ra_s3xml_parse_upload_id(body, size, &id, &err) == 0) {
        if (id == NULL || *id == '\0') abort();
    } else if (id != NULL) {
        abort();
    }
    free(id);
    char *etag = NULL;
    if (ra_s3xml_parse_complete(body, size, &etag, &err) == 0 && etag == NULL) abort();
    free(etag);
    ra_s3xml_list l;
    if (ra_s3xml_parse_list(body, size, &l, &err) == 0) {
        for (size_t i = 0; i < l.n; i++)
            if (l.objects[i].key == NULL) abort();
        if (l.truncated && l.next_token == NULL) abort();
    } else if (l.n != 0 || l.objects != NULL) {
        abort();
    }
    ra_s3xml_list_clear(&l);
    ra_s3xml_uploads u;
    if (ra_s3xml_parse_uploads(body, size, &u, &err) == 0) {
        for (size_t i = 0; i < u.n; i++)
            if (u.uploads[i].key == NULL || u.uploads[i].upload_id == NULL) abort();
    }
    ra_s3xml_uploads_clear(&u);
    ra_s3_lifecycle lc;
    if (ra_s3xml_parse_lifecycle(body, size, &lc, &err) == 0) {
        /* what we parse we can write back, and it parses again to the same rules */
        char *doc = ra_s3xml_build_lifecycle(&lc);
        ra_s3_lifecycle again;
        if (doc == NULL || ra_s3xml_parse_lifecycle(doc, strlen(doc), &again, &err) < 0) abort();
        if (again.nrules != lc.nrules) abort();
        /* and each rule says the same by value after the round trip (the merge's comparison) */
        for (size_t i = 0; i < lc.nrules; i++)
            if (strcmp(again.rules[i].id, lc.rules[i].id) != 0 ||
                ra_s3_lifecycle_rule_equal(again.rules[i].xml, lc.rules[i].xml) != 1)
                abort();
        ra_s3_lifecycle_clear(&again);
        free(doc);
    }
    ra_s3_lifecycle_clear(&lc);
    ra_s3xml_parse_delete_result(body, size, &err);
    int versioned = -1;
    if (ra_s3xml_parse_versioning(body, size, &versioned, &err) == 0 && versioned != 0 && versioned != 1) abort();
    char *tag = NULL;
    if (ra_s3xml_parse_tag(body, size, "redis-archiver-retain", &tag, &err) != 0 && tag != NULL) abort();
    free(tag);
    return 0;
}
