/* test_partsum.c - what each UploadPart carries under each part-checksum, and auto's decision on
 * part 1's answer: CRC-32C on every part, SHA-256 over http until the store echoes the CRC; which
 * answers mean the store refuses the CRC headers, and auto's fallback then. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/s3/partsum.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

static const char body[] = "123456789";

static const char *header(const ra_partsum_part *p, const char *name) {
    for (size_t i = 0; i < p->nheaders; i++)
        if (strcmp(p->header[i].key, name) == 0) return p->header[i].value;
    return NULL;
}

static void test_auto_http_echo(void **state) {
    (void)state;
    ra_partsum ps;
    ra_partsum_part p1, p2;
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 0);
    assert_true(ps.crc);
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p1), 0);
    assert_string_equal(header(&p1, "x-amz-checksum-crc32c"), "4waSgw==");
    assert_null(header(&p1, "Content-MD5"));
    assert_non_null(p1.payload_hash); /* not yet known: SHA-256 too */
    assert_string_equal(p1.payload_hash, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");
    /* only part 1's answer decides */
    assert_int_equal(ra_partsum_answer(&ps, 2, &p1, "4waSgw=="), 0);
    assert_int_equal(ps.checked, -1);
    assert_int_equal(ra_partsum_answer(&ps, 1, &p1, "4waSgw=="), 1);
    assert_int_equal(ps.checked, 1);
    assert_non_null(strstr(ra_partsum_describe(&ps), "CRC-32C only"));
    assert_int_equal(ra_partsum_answer(&ps, 1, &p1, ""), 0); /* decided once */
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p2), 0);
    assert_null(p2.payload_hash); /* UNSIGNED-PAYLOAD from now on */
    assert_string_equal(header(&p2, "x-amz-checksum-crc32c"), "4waSgw==");
}

static void test_auto_http_no_echo(void **state) {
    (void)state;
    ra_partsum ps;
    ra_partsum_part p;
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 0);
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_int_equal(ra_partsum_answer(&ps, 1, &p, ""), 1);
    assert_int_equal(ps.checked, 0);
    assert_non_null(strstr(ra_partsum_describe(&ps), "CRC-32C and SHA-256"));
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_non_null(p.payload_hash);
    assert_non_null(header(&p, "x-amz-checksum-crc32c"));
    /* an echo of another value is no proof either */
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 0);
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_int_equal(ra_partsum_answer(&ps, 1, &p, "AAAAAA=="), 1);
    assert_int_equal(ps.checked, 0);
}

static void test_auto_https(void **state) {
    (void)state;
    ra_partsum ps;
    ra_partsum_part p;
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 1);
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_null(p.payload_hash); /* TLS covers the transit; the CRC is cheap and checked where supported */
    assert_non_null(header(&p, "x-amz-checksum-crc32c"));
}

static void test_fixed_modes(void **state) {
    (void)state;
    ra_partsum ps;
    ra_partsum_part p;
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_CRC32C, 0);
    assert_int_equal(ra_partsum_compute(&ps, "", 0, &p), 0);
    assert_int_equal(p.nheaders, 1);
    assert_string_equal(header(&p, "x-amz-checksum-crc32c"), "AAAAAA==");
    assert_null(p.payload_hash);
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_SHA256, 0);
    assert_false(ps.crc);
    assert_int_equal(ra_partsum_compute(&ps, "", 0, &p), 0);
    assert_int_equal(p.nheaders, 0);
    assert_string_equal(p.payload_hash, RA_SIGV4_EMPTY_SHA256);
    assert_int_equal(ra_partsum_answer(&ps, 1, &p, "x"), 0); /* nothing to decide */
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_MD5, 0);
    assert_int_equal(ra_partsum_compute(&ps, "", 0, &p), 0);
    assert_string_equal(header(&p, "Content-MD5"), "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_null(p.payload_hash);
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_NONE, 0);
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_int_equal(p.nheaders, 0);
    assert_null(p.payload_hash);
}

static void test_damaged_codes(void **state) {
    (void)state;
    assert_true(ra_partsum_damaged("BadDigest"));
    assert_true(ra_partsum_damaged("XAmzContentSHA256Mismatch"));
    assert_false(ra_partsum_damaged("AccessDenied"));
    assert_false(ra_partsum_damaged(""));
}

/* Which answers mean "this store does not take the CRC-32C headers": the words of real stores, and
 * what must never be taken for it (auth, damage, other statuses) */
static void test_refused(void **state) {
    (void)state;
    /* Backblaze B2 */
    assert_true(ra_partsum_refused(400, "InvalidArgument",
                                   "Unsupported header 'x-amz-checksum-algorithm' received for this API call."));
    assert_true(ra_partsum_refused(400, "InvalidArgument",
                                   "Unsupported header 'x-amz-checksum-crc32c' received for this API call."));
    /* Cloudflare R2 */
    assert_true(ra_partsum_refused(501, "NotImplemented",
                                   "Header 'x-amz-checksum-crc32c' with value '4waSgw==' not implemented"));
    /* AWS's generic NotImplemented, and a bare 501 */
    assert_true(ra_partsum_refused(501, "NotImplemented",
                                   "A header you provided implies functionality that is not implemented"));
    assert_true(ra_partsum_refused(501, "", ""));
    /* a store that dropped the algorithm at Create but checks the part (AWS's words) */
    assert_true(ra_partsum_refused(400, "InvalidRequest", "Checksum Type mismatch occurred, expected checksum "
                                                          "Type: null, actual checksum Type: crc32c"));
    assert_true(ra_partsum_refused(400, "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid."));
    /* not about the checksum */
    assert_false(ra_partsum_refused(400, "InvalidArgument", "Invalid storage class."));
    assert_false(ra_partsum_refused(400, "InvalidRequest", "")); /* RGW: SSE over http */
    assert_false(ra_partsum_refused(400, "", "checksum"));
    assert_false(ra_partsum_refused(501, "NotImplemented", "This bucket has object lock disabled"));
    assert_false(ra_partsum_refused(501, "InternalError", "checksum"));
    /* damage, auth and everything else never */
    assert_false(ra_partsum_refused(400, "BadDigest", "The CRC32C you specified did not match the calculated checksum."));
    assert_false(ra_partsum_refused(400, "XAmzContentChecksumMismatch", "checksum mismatch"));
    assert_false(ra_partsum_refused(403, "AccessDenied", "x-amz-checksum-algorithm"));
    assert_false(ra_partsum_refused(403, "SignatureDoesNotMatch", "checksum"));
    assert_false(ra_partsum_refused(403, "InvalidArgument", "Unsupported header 'x-amz-checksum-algorithm'"));
    assert_false(ra_partsum_refused(500, "NotImplemented", "header"));
    assert_false(ra_partsum_refused(0, "", ""));
}

/* auto falls back once refused: no CRC, SHA-256 over http, Content-MD5 over https; explicit crc32c
 * and the other modes never fall back */
static void test_fall_back(void **state) {
    (void)state;
    ra_partsum ps;
    ra_partsum_part p;
    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 0);
    assert_int_equal(ra_partsum_fall_back(&ps), 1);
    assert_false(ps.crc);
    assert_int_equal(ra_partsum_fall_back(&ps), 0); /* once */
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0);
    assert_int_equal(p.nheaders, 0);
    assert_string_equal(p.crc, "");
    assert_string_equal(p.payload_hash, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");
    assert_int_equal(ra_partsum_answer(&ps, 1, &p, ""), 0); /* nothing left to decide */
    assert_int_equal(ra_partsum_compute(&ps, body, 9, &p), 0); /* every part, not only until part 1 */
    assert_non_null(p.payload_hash);
    assert_non_null(strstr(ra_partsum_fallback_name(&ps), "SHA-256"));

    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_AUTO, 1);
    assert_int_equal(ra_partsum_fall_back(&ps), 1);
    assert_int_equal(ra_partsum_compute(&ps, "", 0, &p), 0);
    assert_int_equal(p.nheaders, 1);
    assert_string_equal(header(&p, "Content-MD5"), "1B2M2Y8AsgTpgAmY7PhCfg=="); /* Object Lock wants one */
    assert_null(header(&p, "x-amz-checksum-crc32c"));
    assert_null(p.payload_hash);
    assert_string_equal(ra_partsum_fallback_name(&ps), "Content-MD5");

    ra_partsum_init(&ps, RA_UPLOAD_CHECKSUM_CRC32C, 0);
    assert_int_equal(ra_partsum_fall_back(&ps), 0);
    assert_true(ps.crc);
    for (int m = RA_UPLOAD_CHECKSUM_SHA256; m <= RA_UPLOAD_CHECKSUM_NONE; m++) {
        ra_partsum_init(&ps, (ra_upload_checksum)m, 0);
        assert_int_equal(ra_partsum_fall_back(&ps), 0);
    }
}

/* CompleteMultipartUpload of an upload created with CRC32C lists each part's checksum (AWS refuses
 * it otherwise: "The complete request must include the checksum for each part") */
static void test_complete_lists_crc(void **state) {
    (void)state;
    const char *etags[] = {"\"e1\"", "\"e2\""};
    const char *crcs[] = {"4waSgw==", "AAAAAA=="};
    char *x = ra_s3xml_build_complete_crc32c(etags, crcs, 2);
    assert_non_null(x);
    assert_non_null(strstr(x, "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
                              "<ChecksumCRC32C>4waSgw==</ChecksumCRC32C></Part>"));
    assert_non_null(strstr(x, "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag>"
                              "<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>"));
    free(x);
    x = ra_s3xml_build_complete_crc32c(etags, NULL, 2); /* without: as before */
    char *y = ra_s3xml_build_complete(etags, 2);
    assert_non_null(x);
    assert_non_null(y);
    assert_string_equal(x, y);
    assert_null(strstr(x, "Checksum"));
    free(x);
    free(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_http_echo),
        cmocka_unit_test(test_auto_http_no_echo),
        cmocka_unit_test(test_auto_https),
        cmocka_unit_test(test_fixed_modes),
        cmocka_unit_test(test_damaged_codes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_fall_back),
        cmocka_unit_test(test_complete_lists_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
