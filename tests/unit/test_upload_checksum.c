/* test_upload_checksum.c - part-checksum against a scripted store (s3peer.h) that refuses the CRC-32C
 * headers: under auto a refused CreateMultipartUpload, a refused first part (sent again, signed with its
 * SHA-256 over http) or a refused CRC list in Complete (completed again without) falls back, said once
 * at warn, and the client's later uploads do not ask again; under crc32c the error names part-checksum sha256; a 403 is never taken for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/s3/s3.h"
#include "storage/s3/upload.h"

#include "s3peer.h"

/* steps are written {status, headers, body}; the optional fields stay 0 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#define XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define INIT XML "<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>"
#define DONE XML "<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>"
#define HEAD_OK "Content-Length: 10\r\nETag: \"abc-1\"\r\n"
/* Backblaze B2's answer */
#define B2 XML "<Error><Code>InvalidArgument</Code><Message>Unsupported header 'x-amz-checksum-algorithm' received " \
               "for this API call.</Message></Error>"
/* Cloudflare R2's answer */
#define R2 XML "<Error><Code>NotImplemented</Code><Message>Header 'x-amz-checksum-crc32c' with value 'Hn1SWw==' " \
               "not implemented</Message></Error>"
/* SHA-256 of "0123456789" */
#define SHA_TEN "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"

typedef struct logbuf {
    char *text;
    size_t len;
    ra_log log;
} logbuf;

static void log_open(logbuf *l) {
    memset(l, 0, sizeof(*l));
    l->log.out = open_memstream(&l->text, &l->len);
    l->log.min = RA_LOG_DEBUG;
    l->log.format = RA_LOG_TEXT;
}

static ra_s3 *peer_client(const s3peer *p, const ra_log *log) {
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 3, .log = log, .request_timeout_ms = 5000};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    return s3;
}

/* one upload of "0123456789" in one part; the result of finish (or -1 when it did not start) */
static int upload_ten(ra_s3 *s3, ra_upload_checksum mode, ra_err *err) {
    ra_upload_opts o = {.concurrency = 1, .expected_size = -1, .checksum = mode};
    ra_upload *up = ra_upload_new(s3, "obj", &o, err);
    if (up == NULL) return -1;
    assert_int_equal(ra_upload_write(up, "0123456789", 10, err), 0);
    int r = ra_upload_finish(up, err);
    if (r == 0) assert_int_equal(ra_upload_crc32c_checked(up), -1); /* no CRC went out in the end */
    ra_upload_free(up); /* aborts unless finished */
    return r;
}

static int count(const char *text, const char *what) {
    int n = 0;
    for (const char *s = text; (s = strstr(s, what)) != NULL; s++) n++;
    return n;
}

/* a part sent without the CRC, its payload signed */
static void assert_part_fallen(const char *rq) {
    assert_non_null(strstr(rq, "PUT /bkt/obj?partNumber=1&uploadId=UP1 HTTP/1.1"));
    assert_null(strcasestr(rq, "x-amz-checksum-crc32c"));
    assert_non_null(strcasestr(rq, "x-amz-content-sha256: " SHA_TEN));
    assert_null(strcasestr(rq, "x-amz-checksum-crc32c;")); /* nor among the signed headers */
}

/* Create refused (B2): created again without the algorithm, parts signed; the next upload of the client
 * does not ask again; the warning is said once, naming the answer and the setting */
static void test_auto_create_refused(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {400, NULL, B2},                    /* Create with x-amz-checksum-algorithm */
        {200, NULL, INIT},                  /* Create again, without */
        {200, "ETag: \"p1\"\r\n", ""},      /* part 1 */
        {200, NULL, DONE}, {200, HEAD_OK, ""},
        {200, NULL, INIT},                  /* the next upload: no algorithm asked */
        {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, DONE}, {200, HEAD_OK, ""},
    };
    s3peer p;
    logbuf l;
    log_open(&l);
    s3peer_start(&p, steps, 9);
    ra_s3 *s3 = peer_client(&p, &l.log);
    ra_err err = {0};
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), 0);
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), 0);
    s3peer_stop(&p);
    ra_s3_free(s3);
    fclose(l.log.out);
    assert_int_equal(p.served, 9);
    assert_non_null(strstr(p.requests[0], "POST /bkt/obj?uploads= HTTP/1.1"));
    assert_non_null(strcasestr(p.requests[0], "x-amz-checksum-algorithm: CRC32C"));
    for (int i = 1; i <= 5; i += 4) {
        assert_non_null(strstr(p.requests[i], "POST /bkt/obj?uploads= HTTP/1.1"));
        assert_null(strcasestr(p.requests[i], "x-amz-checksum-algorithm"));
    }
    assert_part_fallen(p.requests[2]);
    assert_part_fallen(p.requests[6]);
    for (int i = 3; i <= 7; i += 4) {
        assert_non_null(strstr(p.requests[i], "POST /bkt/obj?uploadId=UP1 HTTP/1.1"));
        assert_null(strstr(p.requests[i], "Checksum"));
    }
    assert_int_equal(count(l.text, "refused the CRC-32C checksum headers"), 1);
    assert_non_null(strstr(l.text, "CreateMultipartUpload: 400 InvalidArgument: Unsupported header "
                                   "'x-amz-checksum-algorithm'"));
    assert_non_null(strstr(l.text, "the SHA-256 payload signature"));
    assert_non_null(strstr(l.text, "set part-checksum sha256 to silence this"));
    assert_non_null(strstr(l.text, "warn: the store refused the CRC-32C"));
    free(l.text);
}

/* Create taken, part 1 refused (R2): the part is sent again from its buffer without the CRC, and Complete
 * lists no checksum */
static void test_auto_part_refused(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},                  /* Create with the algorithm: taken (ignored) */
        {501, NULL, R2},                    /* part 1 with its CRC */
        {200, "ETag: \"p1\"\r\n", ""},      /* part 1 again, without */
        {200, NULL, DONE}, {200, HEAD_OK, ""},
    };
    s3peer p;
    logbuf l;
    log_open(&l);
    s3peer_start(&p, steps, 5);
    ra_s3 *s3 = peer_client(&p, &l.log);
    ra_err err = {0};
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), 0);
    s3peer_stop(&p);
    ra_s3_free(s3);
    fclose(l.log.out);
    assert_int_equal(p.served, 5);
    assert_non_null(strcasestr(p.requests[0], "x-amz-checksum-algorithm: CRC32C"));
    assert_non_null(strcasestr(p.requests[1], "x-amz-checksum-crc32c: "));
    assert_part_fallen(p.requests[2]);
    assert_int_equal(p.body_len[2], 10);
    assert_null(strstr(p.requests[3], "Checksum"));
    assert_int_equal(count(l.text, "refused the CRC-32C checksum headers"), 1);
    assert_non_null(strstr(l.text, "UploadPart: 501 NotImplemented: Header 'x-amz-checksum-crc32c'"));
    free(l.text);
}

/* Create and the part taken (the CRC ignored), the CRC list in Complete refused: completed again without it */
#define MALFORMED XML "<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed or did " \
                      "not validate against our published schema</Message></Error>"
static void test_auto_complete_refused(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""},
        {400, NULL, MALFORMED},             /* Complete with <ChecksumCRC32C> */
        {200, NULL, DONE},                  /* Complete again, without */
        {200, HEAD_OK, ""},
        {200, NULL, INIT},                  /* the next upload: no algorithm asked */
        {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, DONE}, {200, HEAD_OK, ""},
    };
    s3peer p;
    logbuf l;
    log_open(&l);
    s3peer_start(&p, steps, 9);
    ra_s3 *s3 = peer_client(&p, &l.log);
    ra_err err = {0};
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), 0);
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), 0);
    s3peer_stop(&p);
    ra_s3_free(s3);
    fclose(l.log.out);
    assert_int_equal(p.served, 9);
    assert_non_null(strcasestr(p.requests[1], "x-amz-checksum-crc32c: "));
    assert_non_null(strstr(p.requests[2], "<ChecksumCRC32C>"));
    assert_non_null(strstr(p.requests[3], "POST /bkt/obj?uploadId=UP1 HTTP/1.1"));
    assert_null(strstr(p.requests[3], "Checksum"));
    assert_null(strcasestr(p.requests[5], "x-amz-checksum-algorithm"));
    assert_part_fallen(p.requests[6]);
    assert_null(strstr(p.requests[7], "Checksum"));
    assert_int_equal(count(l.text, "refused the CRC-32C checksum headers"), 1);
    assert_non_null(strstr(l.text, "CompleteMultipartUpload: 400 MalformedXML"));
    free(l.text);
}

/* part-checksum crc32c: no fallback; the error says what to set, and nothing is sent again */
static void test_crc32c_fails_loudly(void **state) {
    (void)state;
    static const s3peer_step create[] = {{400, NULL, B2}};
    s3peer p;
    s3peer_start(&p, create, 1);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_CRC32C, &err), -1);
    s3peer_stop(&p);
    ra_s3_free(s3);
    assert_int_equal(p.served, 1);
    assert_non_null(strstr(err.msg, "400 InvalidArgument"));
    assert_non_null(strstr(err.msg, "set part-checksum sha256"));

    static const s3peer_step part[] = {
        {200, NULL, INIT}, {501, NULL, R2}, {204, NULL, ""}, /* Create, part 1 refused, Abort */
    };
    s3peer_start(&p, part, 3);
    s3 = peer_client(&p, NULL);
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_CRC32C, &err), -1);
    s3peer_stop(&p);
    ra_s3_free(s3);
    assert_int_equal(p.served, 3);
    assert_non_null(strstr(err.msg, "uploading part 1: "));
    assert_non_null(strstr(err.msg, "501 NotImplemented"));
    assert_non_null(strstr(err.msg, "set part-checksum sha256"));
    assert_non_null(strstr(p.requests[2], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));

    static const s3peer_step done[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {400, NULL, MALFORMED}, {204, NULL, ""},
    };
    s3peer_start(&p, done, 4);
    s3 = peer_client(&p, NULL);
    assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_CRC32C, &err), -1);
    s3peer_stop(&p);
    ra_s3_free(s3);
    assert_int_equal(p.served, 4);
    assert_non_null(strstr(err.msg, "completing upload of 'obj': "));
    assert_non_null(strstr(err.msg, "400 MalformedXML"));
    assert_non_null(strstr(err.msg, "set part-checksum sha256"));
    assert_non_null(strstr(p.requests[3], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
}

/* a 403 naming the header, or a 400 about something else, is the error it is: no second Create */
static void test_auto_other_answers_fail(void **state) {
    (void)state;
    static const s3peer_step denied[] = {
        {403, NULL, XML "<Error><Code>AccessDenied</Code><Message>x-amz-checksum-algorithm</Message></Error>"}};
    static const s3peer_step other[] = {
        {400, NULL, XML "<Error><Code>InvalidArgument</Code><Message>Invalid storage class.</Message></Error>"}};
    const s3peer_step *cases[] = {denied, other};
    const char *want[] = {"403 AccessDenied", "400 InvalidArgument: Invalid storage class"};
    for (int c = 0; c < 2; c++) {
        s3peer p;
        s3peer_start(&p, cases[c], 1);
        ra_s3 *s3 = peer_client(&p, NULL);
        ra_err err = {0};
        assert_int_equal(upload_ten(s3, RA_UPLOAD_CHECKSUM_AUTO, &err), -1);
        s3peer_stop(&p);
        ra_s3_free(s3);
        assert_int_equal(p.served, 1);
        assert_non_null(strstr(err.msg, want[c]));
        assert_null(strstr(err.msg, "part-checksum"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_create_refused),
        cmocka_unit_test(test_auto_part_refused),
        cmocka_unit_test(test_auto_complete_refused),
        cmocka_unit_test(test_crc32c_fails_loudly),
        cmocka_unit_test(test_auto_other_answers_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
