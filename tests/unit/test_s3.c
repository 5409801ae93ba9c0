/* test_s3.c - the S3 client without a real store: configuration, credentials, presigned URLs, and
 * the retry / error / clock-skew / multipart-resend paths against a scripted HTTP peer on loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/s3/s3.h"
#include "storage/s3/upload.h"

#include "s3peer.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/* ra_s3_credentials holds mutable strings (they are wiped on clear) */
static char ak[] = AK, sk[] = SK, tok[] = "TOKEN/+=";

/* ------------------------------------------------------------- scripted peer (s3peer.h) */

/* steps are written {status, headers, body}; the optional fields stay 0 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

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

static void log_close(logbuf *l) {
    fclose(l->log.out);
    free(l->text);
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

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define ERR(code) XML "<Error><Code>" code "</Code><Message></Message><RequestId>req-" code "</RequestId></Error>"
/* what a 403 AccessDenied adds: whose identity was refused, and where the policy is described */
#define DENIED                                                                                                 \
    "; credentials from fixed keys given by the program, region 'us-east-1': that identity lacks the permission; " \
    "check its policy (README: Least privilege)"

/* ------------------------------------------------------------- retries and errors */

static void test_retry_then_success(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{503, NULL, ERR("SlowDown")}, {500, NULL, ERR("InternalError")}, {200, "ETag: \"e\"\r\n", ""}};
    s3peer p;
    logbuf lb;
    log_open(&lb);
    s3peer_start(&p, steps, 3);
    ra_s3 *s3 = peer_client(&p, &lb.log);
    ra_err err = {0};
    assert_int_equal(ra_s3_put_object(s3, "dir/k", "hello", 5, NULL, NULL, 0, &err), 0);
    s3peer_stop(&p);
    assert_int_equal(p.served, 3);
    for (int i = 0; i < 3; i++) {
        /* the body is resent whole each time, with a Content-Length and no Expect */
        assert_int_equal(p.body_len[i], 5);
        assert_non_null(strstr(p.requests[i], "PUT /bkt/dir/k HTTP/1.1\r\n"));
        assert_non_null(strcasestr(p.requests[i], "\r\nContent-Length: 5\r\n"));
        assert_null(strcasestr(p.requests[i], "\r\nExpect:"));
        assert_null(strcasestr(p.requests[i], "chunked"));
        assert_non_null(strcasestr(p.requests[i], "\r\nHost: 127.0.0.1:"));
    }
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "SlowDown"));
    assert_null(strstr(lb.text, SK));
    assert_null(strstr(lb.text, "Signature="));
    ra_s3_free(s3);
    log_close(&lb);
}

static void test_retries_are_bounded(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{500, NULL, ERR("InternalError")}, {503, NULL, ""}, {500, NULL, ERR("InternalError")},
                                 {200, NULL, ""}};
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    assert_int_equal(ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err), -1);
    assert_int_equal(p.served, 3); /* max_attempts = 3 */
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "s3: PUT 'k': 500 InternalError (request id req-InternalError)");
    /* release the peer's last accept */
    ra_s3_delete_object(s3, "k", &err);
    s3peer_stop(&p);
    ra_s3_free(s3);
}

/* 501 NotImplemented is final at once (a store without the call); SlowDown and 503 wait longer, and at least the
 * Retry-After the server names (seconds). */
static void test_throttling_and_not_implemented(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {501, NULL, ERR("NotImplemented")},
        {503, "Retry-After: 3\r\n", ERR("SlowDown")},
        {200, NULL, ""},
        {503, NULL, ERR("SlowDown")},
        {200, NULL, ""},
    };
    s3peer p;
    s3peer_start(&p, steps, 5);
    logbuf lb;
    log_open(&lb);
    ra_s3 *s3 = peer_client(&p, &lb.log);
    ra_err err = {0};
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_int_equal(p.served, 1);
    assert_non_null(strstr(err.msg, "501 NotImplemented"));
    long long t0 = mono_ms();
    if (ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err) < 0) fail_msg("%s", err.msg);
    long long waited = mono_ms() - t0;
    assert_int_equal(p.served, 3);
    assert_true(waited >= 3000);
    t0 = mono_ms();
    if (ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err) < 0) fail_msg("%s", err.msg);
    waited = mono_ms() - t0;
    assert_true(waited >= 500); /* the throttling backoff starts at 1 s, jittered down to half */
    assert_int_equal(p.served, 5);
    s3peer_stop(&p);
    ra_s3_free(s3);
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "503 SlowDown"));
    assert_non_null(strstr(lb.text, "attempt 2 of 3 in 3000 ms"));
    assert_null(strstr(lb.text, "NotImplemented (request id req-NotImplemented); attempt"));
    log_close(&lb);
}

/* path-style auto on an IP endpoint is path-style; virtual-hosted there fails to resolve, and says what to set */
static void test_path_style_auto_and_dns_hint(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{200, NULL, ""}};
    s3peer p;
    s3peer_start(&p, steps, 1);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p.port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = RA_S3_PATH_STYLE_AUTO,
                      .credentials = &cr, .max_attempts = 1, .request_timeout_ms = 5000};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    if (ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err) < 0) fail_msg("%s", err.msg);
    assert_non_null(strstr(p.requests[0], "PUT /bkt/k HTTP/1.1"));
    ra_s3_free(s3);
    s3peer_stop(&p);
    c.path_style = 0; /* bkt.127.0.0.1 */
    s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    assert_int_equal(ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "set path-style yes"));
    ra_s3_free(s3);
}

/* A bucket in another region: the store names it (x-amz-bucket-region, or <Region>), the request is signed again
 * for it, and so is every later one; said once. Refused again, the error says which region to set. */
static void test_region_from_redirect(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {301, "x-amz-bucket-region: eu-west-1\r\n",
         XML "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed "
             "using the specified endpoint.</Message><Endpoint>bkt.s3.eu-west-1.amazonaws.com</Endpoint></Error>"},
        {200, NULL, ""},
        {200, NULL, ""},
    };
    s3peer p;
    s3peer_start(&p, steps, 3);
    logbuf lb;
    log_open(&lb);
    ra_s3 *s3 = peer_client(&p, &lb.log);
    ra_err err = {0};
    if (ra_s3_check_bucket(s3, &err) < 0) fail_msg("%s", err.msg);
    if (ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 3);
    assert_non_null(strstr(p.requests[0], "/us-east-1/s3/aws4_request"));
    assert_non_null(strstr(p.requests[1], "/eu-west-1/s3/aws4_request"));
    assert_non_null(strstr(p.requests[2], "/eu-west-1/s3/aws4_request"));
    s3peer_stop(&p);
    ra_s3_free(s3);
    fflush(lb.log.out);
    const char *said = strstr(lb.text, "bucket 'bkt' is in region 'eu-west-1', not 'us-east-1'");
    assert_non_null(said);
    assert_null(strstr(said + 30, "is in region")); /* once */
    log_close(&lb);

    /* <Region> in the body of AuthorizationHeaderMalformed; refused again: what to set */
    static const s3peer_step again[] = {
        {400, NULL, XML "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; "
                        "expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>"},
        {400, "x-amz-bucket-region: ap-south-1\r\n", XML "<Error><Code>AuthorizationHeaderMalformed</Code></Error>"},
    };
    s3peer_start(&p, again, 2);
    s3 = peer_client(&p, NULL);
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_int_equal(p.served, 2);
    assert_non_null(strstr(p.requests[1], "/ap-south-1/s3/aws4_request"));
    assert_non_null(strstr(err.msg, "400 AuthorizationHeaderMalformed"));
    assert_non_null(strstr(err.msg, "the bucket is in region 'ap-south-1': set region ap-south-1"));
    s3peer_stop(&p);
    ra_s3_free(s3);
}

static void test_client_errors_fail_at_once(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {403, "x-amz-request-id: hdr-id\r\n", XML "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"},
        {404, NULL, ERR("NoSuchKey")},
        {404, NULL, ERR("NoSuchBucket")},
        {404, NULL, ERR("NoSuchBucket")},
    };
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    char *data;
    size_t len;
    assert_int_equal(ra_s3_get_object_small(s3, "a'b", 100, &data, &len, &err), -1);
    assert_string_equal(err.msg, "s3: GET 'a'b': 403 AccessDenied: Access Denied (request id hdr-id)" DENIED);
    assert_int_equal(p.served, 1);
    assert_int_equal(ra_s3_get_object_small(s3, "gone", 100, &data, &len, &err), -1);
    assert_int_equal(err.code, RA_E_NOTFOUND);
    assert_int_equal(ra_s3_delete_object(s3, "k", &err), -1);
    assert_string_equal(err.msg, "s3: bucket 'bkt' does not exist");
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "s3: bucket 'bkt' does not exist");
    s3peer_stop(&p);
    assert_int_equal(p.served, 4);
    /* a GET, so that a refusal comes with a body naming its cause */
    assert_non_null(strstr(p.requests[3], "GET /bkt?list-type=2&max-keys=0 HTTP/1.1"));
    ra_s3_free(s3);
}

/* the request id of an error without one in its body: x-amz-request-id, else moto's x-amzn-requestid */
static void test_request_id_headers(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {403, "x-amzn-requestid: moto-id\r\n", XML "<Error><Code>AccessDenied</Code><Message></Message></Error>"},
        {403, "x-amzn-requestid: moto-id\r\nx-amz-request-id: aws-id\r\n",
         XML "<Error><Code>AccessDenied</Code><Message></Message></Error>"},
    };
    s3peer p;
    s3peer_start(&p, steps, 2);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    char *data;
    size_t len;
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), -1);
    assert_string_equal(err.msg, "s3: GET 'k': 403 AccessDenied (request id moto-id)" DENIED);
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), -1);
    assert_string_equal(err.msg, "s3: GET 'k': 403 AccessDenied (request id aws-id)" DENIED);
    s3peer_stop(&p);
    ra_s3_free(s3);
}

static void test_clock_skew_corrected_once(void **state) {
    (void)state;
    /* the server says it is 2030: our signature date must follow */
    static const s3peer_step steps[] = {
        {403, "Date: Tue, 01 Jan 2030 00:00:00 GMT\r\n", ERR("RequestTimeTooSkewed")},
        {200, NULL, "ok"},
        {403, "Date: Tue, 01 Jan 2030 00:00:00 GMT\r\n", ERR("RequestTimeTooSkewed")},
        {403, "Date: Tue, 01 Jan 2030 00:00:00 GMT\r\n", ERR("RequestTimeTooSkewed")},
    };
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    char *data;
    size_t len;
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    assert_int_equal(len, 2);
    free(data);
    long off = ra_s3_clock_offset(s3);
    assert_true(off > 0);
    assert_true(labs(off - (long)(1893456000 - time(NULL))) < 5);
    assert_null(strstr(p.requests[0], "x-amz-date: 2030"));
    assert_non_null(strstr(p.requests[1], "x-amz-date: 20300101T0000"));
    /* still skewed after the correction: fail, do not loop */
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "RequestTimeTooSkewed"));
    s3peer_stop(&p);
    assert_int_equal(p.served, 4);
    ra_s3_free(s3);
}

/* Every answer's Date header tells the store's clock: an hour off is learnt from an ordinary 200, a
 * second off (the header's resolution) is noise and leaves the offset alone, and a clock set right
 * again brings it back to 0; but not an offset a RequestTimeTooSkewed named. */
static void test_clock_from_date_header(void **state) {
    (void)state;
    char h1[64], h2[64], h3[64];
    struct tm tm;
    time_t now = time(NULL), t = now + 3600;
    gmtime_r(&t, &tm);
    strftime(h1, sizeof(h1), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    t = now + 3601;
    gmtime_r(&t, &tm);
    strftime(h2, sizeof(h2), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    t = now + 1;
    gmtime_r(&t, &tm);
    strftime(h3, sizeof(h3), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    const s3peer_step steps[] = {{200, h3, "ok"}, {200, h1, "ok"}, {200, h2, "ok"}, {200, h3, "ok"}};
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    char *data;
    size_t len;
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    assert_int_equal(ra_s3_clock_offset(s3), 0); /* a second: noise */
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    long off = ra_s3_clock_offset(s3);
    assert_true(labs(off - 3600) <= 2);
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    assert_int_equal(ra_s3_clock_offset(s3), off); /* within the noise of the known one: kept */
    /* the next request is signed in the store's clock */
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    char want[32];
    t = now + off;
    gmtime_r(&t, &tm);
    strftime(want, sizeof(want), "x-amz-date: %Y%m%dT%H", &tm);
    assert_non_null(strstr(p.requests[3], want));
    assert_int_equal(ra_s3_clock_offset(s3), 0); /* set right again */
    s3peer_stop(&p);
    ra_s3_free(s3);

    /* an offset a RequestTimeTooSkewed named is kept: another server's Date (a gateway with its own
     * clock) does not undo it, or requests would be refused in turn */
    const s3peer_step skewed[] = {{403, h1, ERR("RequestTimeTooSkewed")}, {200, h3, "ok"}, {200, h3, "ok"}};
    s3peer_start(&p, skewed, 3);
    s3 = peer_client(&p, NULL);
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), 0);
    free(data);
    assert_true(labs(ra_s3_clock_offset(s3) - 3600) <= 2);
    s3peer_stop(&p);
    ra_s3_free(s3);
}

static void test_connection_refused(void **state) {
    (void)state;
    logbuf lb;
    log_open(&lb);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = "http://127.0.0.1:1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 2, .log = &lb.log};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_int_equal(ra_s3_put_object(s3, "k", "x", 1, NULL, NULL, 0, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "s3: PUT 'k': "));
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "attempt 2 of 2"));
    ra_s3_free(s3);
    log_close(&lb);
}

/* ------------------------------------------------------------- multipart against the peer */

#define INIT XML "<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>"
#define DONE XML "<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>"

#define LATE XML "\n<Error><Code>InternalError</Code><Message>late</Message><RequestId>r9</RequestId></Error>"

/* A 200 whose body is <Error> is retried (AWS: the request failed after the 200 went out); after every attempt
 * failed so, a HEAD finds no object: the error names the store's code and request id, and the upload is aborted. */
static void test_upload_part_resent_and_200_error(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {500, NULL, ERR("InternalError")},         /* part 1, first try */
        {200, "ETag: \"p1\"\r\n", ""},             /* part 1 again, from its buffer */
        {200, NULL, LATE},                         /* Complete: 200, then an error; retried */
        {200, NULL, LATE},
        {200, NULL, LATE},                         /* the last of 3 attempts */
        {404, NULL, ""},                           /* HEAD: no object */
        {204, NULL, ""},                           /* AbortMultipartUpload */
    };
    s3peer p;
    s3peer_start(&p, steps, 8);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload_opts o = {.concurrency = 1, .expected_size = -1, .checksum = RA_UPLOAD_CHECKSUM_MD5};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    assert_string_equal(ra_upload_id(up), "UP1");
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    assert_int_equal(ra_upload_finish(up, &err), -1);
    assert_non_null(strstr(err.msg, "InternalError"));
    assert_non_null(strstr(err.msg, "r9"));
    assert_non_null(strstr(err.msg, "no object"));
    ra_upload_abort(up);
    ra_upload_abort(up);
    ra_upload_free(up);
    s3peer_stop(&p);
    assert_int_equal(p.served, 8);
    for (int i = 3; i <= 5; i++) assert_non_null(strstr(p.requests[i], "POST /bkt/obj?uploadId=UP1 HTTP/1.1"));
    assert_non_null(strstr(p.requests[6], "HEAD /bkt/obj HTTP/1.1"));
    assert_non_null(strstr(p.requests[0], "POST /bkt/obj?uploads= HTTP/1.1"));
    for (int i = 1; i <= 2; i++) {
        assert_non_null(strstr(p.requests[i], "PUT /bkt/obj?partNumber=1&uploadId=UP1 HTTP/1.1"));
        assert_int_equal(p.body_len[i], 10);
        assert_non_null(strcasestr(p.requests[i], "\r\nContent-MD5: eB5eJF1ptWaXm4bijSPyxw==\r\n"));
        assert_non_null(strcasestr(p.requests[i], "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
    }
    assert_non_null(strstr(p.requests[7], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
    ra_s3_free(s3);
}

/* run one upload of "0123456789" in one part against steps (the first two: Create and the part); the result of
 * finish, with the peer's requests in *p */
static int upload_ten(s3peer *p, const s3peer_step *steps, int n, const ra_log *log, ra_err *err) {
    s3peer_start(p, steps, n);
    ra_s3 *s3 = peer_client(p, log);
    ra_upload *up = ra_upload_new(s3, "obj", NULL, err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, err), 0);
    int r = ra_upload_finish(up, err);
    ra_upload_free(up); /* aborts unless finished */
    s3peer_stop(p);
    ra_s3_free(s3);
    return r;
}

/* 200 <Error>, then a good answer: completed, nothing aborted, the retry said in the log */
static void test_complete_200_error_retried(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, LATE}, {200, NULL, DONE},
        {200, "Content-Length: 10\r\nETag: \"abc-1\"\r\n", ""},
    };
    s3peer p;
    logbuf lb;
    log_open(&lb);
    ra_err err = {0};
    if (upload_ten(&p, steps, 5, &lb.log, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 5);
    assert_non_null(strstr(p.requests[3], "POST /bkt/obj?uploadId=UP1 HTTP/1.1"));
    assert_non_null(strstr(p.requests[4], "HEAD /bkt/obj HTTP/1.1"));
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "200 with an error in the body"));
    assert_non_null(strstr(lb.text, "InternalError"));
    log_close(&lb);
}

/* AWS answers a slow Complete with 200 at once, then whitespace for minutes, then the XML: waited for while
 * bytes arrive, past the low-speed limit and the call's budget; a silent peer still times out (and is retried). */
static ra_s3 *patient_client(const s3peer *p, const ra_log *log) {
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 2, .log = log, .request_timeout_ms = 2000, .total_timeout_ms = 2500};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    return s3;
}

static void test_complete_slow_answer_waited_for(void **state) {
    (void)state;
    const char *etags[] = {"\"p1\""};
    /* the declaration, then 5 spaces, one every 1.2 s (6 s: over the 2.5 s budget, and under 1 B/s for longer
     * than the 2 s timeout), then the result */
#define SLOW_XML XML "     <CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>"
    static const s3peer_step slow[] = {{200, NULL, SLOW_XML, 1200, 0, 5, (int)sizeof(XML) - 1}};
    s3peer p;
    s3peer_start(&p, slow, 1);
    ra_s3 *s3 = patient_client(&p, NULL);
    ra_err err = {0};
    long long t0 = mono_ms();
    int r = ra_s3_upload_complete(s3, "obj", "UP1", etags, NULL, 1, &err);
    if (r != 0) fail_msg("%s", err.msg);
    assert_true(mono_ms() - t0 >= 5000);
    assert_int_equal(p.served, 1);
    ra_s3_free(s3);
    s3peer_stop(&p);

    /* a peer that takes the request and says nothing: each attempt ends after the request timeout */
    static const s3peer_step dead[] = {{0}, {0}};
    s3peer_start(&p, dead, 2);
    logbuf lb;
    log_open(&lb);
    s3 = patient_client(&p, &lb.log);
    t0 = mono_ms();
    r = ra_s3_upload_complete(s3, "obj", "UP1", etags, NULL, 1, &err);
    long long took = mono_ms() - t0;
    assert_int_equal(r, RA_S3_COMPLETE_UNSURE);
    assert_non_null(strstr(err.msg, "nothing received for 2 s"));
    assert_true(took >= 4000 && took < 30000);
    ra_s3_free(s3);
    s3peer_stop(&p);
    assert_int_equal(p.served, 2);
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "attempt 2 of 2"));
    log_close(&lb);
}

/* A 200 whose body does not parse (whitespace before the XML declaration, as old MinIO sent; or nothing): the
 * object may be complete, so a HEAD settles it before anything is aborted, the ETag quoted or not. */
static void test_complete_unparsable_settled_by_head(void **state) {
    (void)state;
    static const s3peer_step ws_unquoted[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, "  \n" DONE},
        {200, "Content-Length: 10\r\nETag: abc-1\r\n", ""}, /* HEAD: whole, ETag without quotes */
    };
    static const s3peer_step empty_quoted[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, ""},
        {200, "Content-Length: 10\r\nETag: \"abc-1\"\r\n", ""},
    };
    s3peer p;
    logbuf lb;
    log_open(&lb);
    ra_err err = {0};
    if (upload_ten(&p, ws_unquoted, 4, &lb.log, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 4); /* no abort */
    assert_non_null(strstr(p.requests[3], "HEAD /bkt/obj HTTP/1.1"));
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "no clear answer"));
    assert_non_null(strstr(lb.text, "malformed CompleteMultipartUpload answer"));
    log_close(&lb);
    if (upload_ten(&p, empty_quoted, 4, NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 4);

    /* unparsable, and the HEAD finds no object (or another one): an error naming both, then the abort */
    static const s3peer_step none[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, "garbage"}, {404, NULL, ""}, {204, NULL, ""},
    };
    assert_int_equal(upload_ten(&p, none, 5, NULL, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "completing upload of 'obj': s3: malformed CompleteMultipartUpload answer"));
    assert_non_null(strstr(err.msg, "no object"));
    assert_int_equal(p.served, 5);
    assert_non_null(strstr(p.requests[4], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
    static const s3peer_step other[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {200, NULL, "garbage"},
        {200, "Content-Length: 10\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\n", ""}, /* not multipart */
        {204, NULL, ""},
    };
    assert_int_equal(upload_ten(&p, other, 5, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no matching object"));
    assert_non_null(strstr(p.requests[4], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
}

/* Complete answered 5xx on every attempt (it may have completed before failing): settled by HEAD */
static void test_complete_lost_settled_by_head(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", ""},
        {500, NULL, ERR("InternalError")},
        {503, NULL, ERR("ServiceUnavailable")},
        {500, NULL, ERR("InternalError")},
        {200, "Content-Length: 10\r\nETag: \"abc-1\"\r\n", ""},
    };
    s3peer p;
    ra_err err = {0};
    if (upload_ten(&p, steps, 6, NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 6); /* no abort */
    assert_non_null(strstr(p.requests[5], "HEAD /bkt/obj HTTP/1.1"));
    /* a final client error (400 InvalidPart) is not settled: no HEAD, the abort */
    static const s3peer_step invalid[] = {
        {200, NULL, INIT}, {200, "ETag: \"p1\"\r\n", ""}, {400, NULL, ERR("InvalidPart")}, {204, NULL, ""},
    };
    assert_int_equal(upload_ten(&p, invalid, 4, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "InvalidPart"));
    assert_int_equal(p.served, 4);
    assert_non_null(strstr(p.requests[3], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
}

static void test_upload_verifies_with_head(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", ""},
        {200, NULL, DONE},
        {200, "Content-Length: 9\r\nETag: \"x-1\"\r\n", ""}, /* HEAD: wrong size */
        {204, NULL, ""},
    };
    s3peer p;
    s3peer_start(&p, steps, 5);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload *up = ra_upload_new(s3, "obj", NULL, &err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    assert_int_equal(ra_upload_finish(up, &err), -1);
    assert_string_equal(err.msg, "s3: completed upload of 'obj' holds 9 bytes, 10 were sent");
    ra_upload_free(up); /* aborts */
    s3peer_stop(&p);
    assert_int_equal(p.served, 5);
    assert_non_null(strstr(p.requests[1], "x-amz-content-sha256: 84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"));
    assert_non_null(strstr(p.requests[3], "HEAD /bkt/obj HTTP/1.1"));
    assert_non_null(strstr(p.requests[4], "DELETE /bkt/obj?uploadId=UP1"));
    ra_s3_free(s3);
}

static void test_complete_answer_lost(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", ""},
        {500, NULL, ERR("InternalError")}, /* Complete: done on the server, answer lost */
        {404, NULL, ERR("NoSuchUpload")},  /* Complete again: the upload is gone */
        {200, "Content-Length: 10\r\nETag: \"abc-1\"\r\n", ""},
    };
    s3peer p;
    s3peer_start(&p, steps, 5);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload *up = ra_upload_new(s3, "obj", NULL, &err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    if (ra_upload_finish(up, &err) < 0) fail_msg("%s", err.msg);
    ra_upload_free(up); /* finished: no abort */
    s3peer_stop(&p);
    assert_int_equal(p.served, 5);
    assert_non_null(strstr(p.requests[4], "HEAD /bkt/obj HTTP/1.1"));
    ra_s3_free(s3);
}

/* NoSuchUpload on Complete and no object behind it: the upload vanished (aborted by someone
 * else), a store failure (exit 4), not "no such backup" (exit 6). */
static void test_complete_upload_vanished(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", ""},
        {404, NULL, ERR("NoSuchUpload")}, /* Complete */
        {404, NULL, ""},                  /* HEAD: no object */
        {404, NULL, ERR("NoSuchUpload")}, /* the abort: already gone, fine */
    };
    s3peer p;
    s3peer_start(&p, steps, 5);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload *up = ra_upload_new(s3, "obj", NULL, &err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    assert_int_equal(ra_upload_finish(up, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "completing upload of 'obj': NoSuchUpload"));
    assert_non_null(strstr(err.msg, "no object"));
    ra_upload_free(up);
    s3peer_stop(&p);
    assert_int_equal(p.served, 5);
    ra_s3_free(s3);
}

/* the same with the HEAD's ETag unquoted (stores.md row 17): still the whole object */
static void test_complete_answer_lost_unquoted(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", ""},
        {500, NULL, ERR("InternalError")},
        {404, NULL, ERR("NoSuchUpload")},
        {200, "Content-Length: 10\r\nETag: abc-1\r\n", ""},
    };
    s3peer p;
    ra_err err = {0};
    if (upload_ten(&p, steps, 5, NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(p.served, 5);
}

static void test_part_failure_surfaces_on_next_write(void **state) {
    (void)state;
    /* parts are sent by the upload thread: its failure is reported by the writer's next call */
    static const s3peer_step steps[] = {{200, NULL, INIT},
                                 {403, NULL, XML "<Error><Code>AccessDenied</Code><Message></Message></Error>"},
                                 {204, NULL, ""}};
    s3peer p;
    s3peer_start(&p, steps, 3);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 2, .expected_size = -1};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    size_t n = (size_t)RA_PART_SIZE_MIN;
    char *part = calloc(1, n);
    assert_int_equal(ra_upload_write(up, part, n, &err), 0); /* a full part: handed over, not waited for */
    int r = 0;
    for (int i = 0; i < 100 && r == 0; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        r = ra_upload_write(up, "x", 1, &err);
    }
    assert_int_equal(r, -1);
    assert_string_equal(err.msg, "uploading part 1: s3: PUT 'obj': 403 AccessDenied (request id none)" DENIED);
    ra_upload_free(up); /* aborts */
    free(part);
    s3peer_stop(&p);
    assert_int_equal(p.served, 3);
    assert_int_equal(p.body_len[1], n);
    assert_non_null(strstr(p.requests[2], "DELETE /bkt/obj?uploadId=UP1"));
    ra_s3_free(s3);
}

/* The <Code> of an error answer is data that operations branch on. */
static void test_error_codes_as_data(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {404, NULL, ERR("NoSuchUpload")},                 /* abort of an upload already gone: done */
        {404, NULL, ERR("NoSuchLifecycleConfiguration")}, /* no rules */
        {404, NULL, ERR("NotImplemented")},               /* lifecycle unsupported, bucket level: store */
        {404, NULL, ""},                                  /* HEAD of a missing object: not found */
        {200, NULL, INIT},
        {404, NULL, ERR("NoSuchUpload")},                 /* UploadPart: the upload vanished mid-run */
        {404, NULL, ERR("NoSuchUpload")},                 /* the abort that follows */
    };
    s3peer p;
    s3peer_start(&p, steps, 7);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    assert_int_equal(ra_s3_abort_upload(s3, "obj", "UP0", &err), 0);
    ra_s3_lifecycle lc;
    int unsupported = -1;
    assert_int_equal(ra_s3_get_lifecycle(s3, &lc, &unsupported, &err), 0);
    assert_int_equal(lc.nrules, 0);
    assert_int_equal(unsupported, 0);
    assert_int_equal(ra_s3_get_lifecycle(s3, &lc, &unsupported, &err), -1);
    assert_int_equal(unsupported, 1);
    assert_int_equal(err.code, RA_E_STORE);
    ra_s3_head head;
    assert_int_equal(ra_s3_head_object(s3, "missing", &head, &err), -1);
    assert_int_equal(err.code, RA_E_NOTFOUND);
    ra_upload_opts o = {.concurrency = 1, .expected_size = -1};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    assert_int_equal(ra_upload_finish(up, &err), -1);
    assert_int_equal(err.code, RA_E_STORE); /* exit 4, not 6 "no such backup" (faults.md R21) */
    assert_non_null(strstr(err.msg, "NoSuchUpload"));
    ra_upload_free(up);
    s3peer_stop(&p);
    assert_int_equal(p.served, 7);
    ra_s3_free(s3);
}

/* ------------------------------------------------------------- hostile or broken stores */

#define LIST_PAGE(token) XML "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k</Key><Size>1</Size>" \
    "</Contents><NextContinuationToken>" token "</NextContinuationToken></ListBucketResult>"
#define UPLOADS_PAGE XML "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>a</NextKeyMarker>" \
    "<NextUploadIdMarker>U</NextUploadIdMarker><Upload><Key>a</Key><UploadId>U</UploadId></Upload>" \
    "</ListMultipartUploadsResult>"

static int count_cb(void *ctx, const ra_s3_object *obj, ra_err *err) {
    (void)obj, (void)err;
    ++*(int *)ctx;
    return 0;
}

static int count_up_cb(void *ctx, const ra_s3_upload_ref *up, ra_err *err) {
    (void)up, (void)err;
    ++*(int *)ctx;
    return 0;
}

/* faults.md R11: a store repeating its continuation token or markers must not loop for ever */
static void test_listings_end(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, LIST_PAGE("T1")}, {200, NULL, LIST_PAGE("T2")}, {200, NULL, LIST_PAGE("T2")},
        {200, NULL, UPLOADS_PAGE},    {200, NULL, UPLOADS_PAGE},
        {200, NULL, XML "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"},
    };
    s3peer p;
    s3peer_start(&p, steps, 6);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    int n = 0;
    assert_int_equal(ra_s3_list(s3, "p/", count_cb, &n, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "page 3 names an earlier page as the next one"));
    assert_int_equal(n, 3);
    assert_int_equal(p.served, 3);
    assert_non_null(strstr(p.requests[1], "continuation-token=T1"));
    assert_non_null(strstr(p.requests[2], "continuation-token=T2"));
    n = 0;
    assert_int_equal(ra_s3_list_uploads(s3, "p/", count_up_cb, &n, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "listing multipart uploads: page 2 names an earlier page"));
    assert_int_equal(p.served, 5);
    assert_non_null(strstr(p.requests[4], "key-marker=a&max-uploads") || strstr(p.requests[4], "key-marker=a"));
    /* truncated without a token */
    assert_int_equal(ra_s3_list(s3, "p/", count_cb, &n, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "truncated listing without NextContinuationToken"));
    s3peer_stop(&p);
    assert_int_equal(p.served, 6);
    ra_s3_free(s3);
}

/* A cycle longer than one page (T2 -> T3 -> T4 -> T5 -> T2) is caught too, within twice its length. */
static void test_listing_cycle_ends(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, LIST_PAGE("T1")}, {200, NULL, LIST_PAGE("T2")}, {200, NULL, LIST_PAGE("T3")},
        {200, NULL, LIST_PAGE("T4")}, {200, NULL, LIST_PAGE("T5")}, {200, NULL, LIST_PAGE("T2")},
        {200, NULL, LIST_PAGE("T3")},
    };
    s3peer p;
    s3peer_start(&p, steps, 7);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    int n = 0;
    assert_int_equal(ra_s3_list(s3, "p/", count_cb, &n, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "page 7 names an earlier page"));
    assert_int_equal(n, 7);
    s3peer_stop(&p);
    assert_int_equal(p.served, 7);
    assert_non_null(strstr(p.requests[6], "continuation-token=T2"));
    ra_s3_free(s3);
}

static void test_conditional_put(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, "ETag: \"e1\"\r\n", ""},
        {412, NULL, ERR("PreconditionFailed")},
        {409, NULL, ERR("ConditionalRequestConflict")},
        {200, "ETag: \"e2\"\r\n", ""},
        {412, NULL, ERR("PreconditionFailed")},
        {409, NULL, ERR("BucketNotEmpty")}, /* another 409 is an ordinary failure */
    };
    s3peer p;
    s3peer_start(&p, steps, 6);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    char *etag = NULL;
    ra_s3_put_opts create = {.content_type = "application/json", .if_absent = 1, .etag = &etag};
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &create, &err), 0);
    assert_string_equal(etag, "\"e1\"");
    free(etag);
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &create, &err), RA_S3_PRECONDITION_FAILED);
    assert_null(etag);
    assert_non_null(strstr(err.msg, "412 PreconditionFailed"));
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &create, &err), RA_S3_PRECONDITION_FAILED);
    assert_non_null(strstr(err.msg, "ConditionalRequestConflict"));
    ra_s3_put_opts replace = {.if_match = "\"e1\"", .etag = &etag};
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &replace, &err), 0);
    assert_string_equal(etag, "\"e2\"");
    free(etag);
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &replace, &err), RA_S3_PRECONDITION_FAILED);
    assert_int_equal(ra_s3_put(s3, "lock", "{}", 2, &replace, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    s3peer_stop(&p);
    assert_int_equal(p.served, 6); /* no retries of a failed condition */
    for (int i = 0; i < 3; i++) {
        assert_non_null(strcasestr(p.requests[i], "\r\nIf-None-Match: *\r\n"));
        assert_null(strcasestr(p.requests[i], "\r\nIf-Match:"));
        /* signed like every header */
        assert_non_null(strstr(p.requests[i], ";if-none-match;"));
    }
    for (int i = 3; i < 6; i++) assert_non_null(strcasestr(p.requests[i], "\r\nIf-Match: \"e1\"\r\n"));
    ra_s3_free(s3);
}

static int sink_cb(void *ctx, const void *data, size_t len, ra_err *err) {
    (void)data, (void)err;
    *(size_t *)ctx += len;
    return 0;
}

/* faults.md R13: a store trickling a GET body must not hold verify for ever */
static void test_slow_get_fails(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{200, NULL, "0123456789012345678901234567890123456789", 300}};
    s3peer p;
    s3peer_start(&p, steps, 1);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p.port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .bucket = "bkt", .path_style = 1, .credentials = &cr, .max_attempts = 1,
                      .request_timeout_ms = 1000};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    size_t got = 0;
    long long t0 = (long long)time(NULL);
    assert_int_equal(ra_s3_get_object(s3, "rdb", sink_cb, &got, &err), -1);
    assert_true((long long)time(NULL) - t0 <= 4);
    assert_true(got < 40);
    assert_int_equal(err.code, RA_E_STORE);
    s3peer_stop(&p);
    ra_s3_free(s3);
}

/* faults.md R15: a store that is slow but moving does not trip the stall rule, which is meant
 * for a store that takes nothing (the replica's repl-timeout); scaled down: 300 ms of stall
 * allowed, parts that each take ~0.7 s to go out. */
static void test_slow_store_is_not_stalled(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {200, "ETag: \"p1\"\r\n", "", 0, 2},
        {200, "ETag: \"p2\"\r\n", "", 0, 2},
        {200, "ETag: \"p3\"\r\n", "", 0, 2},
        {200, NULL, DONE},
        {200, "Content-Length: 10485761\r\nETag: \"abc-3\"\r\n", ""},
    };
    s3peer p;
    s3peer_start(&p, steps, 6);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 1, .expected_size = -1,
                        .stall_timeout_ms = 300};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    size_t n = (size_t)RA_PART_SIZE_MIN;
    char *part = calloc(1, n);
    long long t0 = (long long)time(NULL);
    for (int i = 0; i < 2; i++)
        if (ra_upload_write(up, part, n, &err) < 0) fail_msg("%s", err.msg);
    if (ra_upload_write(up, "x", 1, &err) < 0) fail_msg("%s", err.msg);
    if (ra_upload_finish(up, &err) < 0) fail_msg("%s", err.msg);
    assert_true((long long)time(NULL) - t0 >= 1); /* it really was slow */
    ra_upload_free(up);
    free(part);
    s3peer_stop(&p);
    assert_int_equal(p.served, 6);
    ra_s3_free(s3);
}

/* ... while a store that takes the bytes and then nothing more still trips it: the writer is
 * not left blocked beyond stall_timeout_ms while the replica waits. */
static void test_stalled_store_fails_the_writer(void **state) {
    (void)state;
    static const s3peer_step steps[] = {
        {200, NULL, INIT},
        {0, NULL, NULL}, /* part 1: read whole, never answered */
        {0, NULL, NULL}, /* part 2: waits in the backlog meanwhile */
        {204, NULL, ""}, /* AbortMultipartUpload */
    };
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = peer_client(&p, NULL);
    ra_err err = {0};
    ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 1, .expected_size = -1,
                        .stall_timeout_ms = 300};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    size_t n = (size_t)RA_PART_SIZE_MIN;
    char *part = calloc(1, n);
    assert_int_equal(ra_upload_write(up, part, n, &err), 0);
    assert_int_equal(ra_upload_write(up, part, n, &err), 0);
    time_t t0 = time(NULL);
    assert_int_equal(ra_upload_write(up, "x", 1, &err), -1);
    assert_true(time(NULL) - t0 <= 3);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "stalled: nothing sent to the store in 300 ms"));
    ra_upload_free(up); /* aborts */
    free(part);
    s3peer_stop(&p);
    assert_int_equal(p.served, 4);
    assert_non_null(strstr(p.requests[3], "DELETE /bkt/obj?uploadId=UP1"));
    ra_s3_free(s3);
}

/* ------------------------------------------------------------- cancel and deadlines */

typedef struct canceller {
    pthread_t thread;
    volatile sig_atomic_t *flag;
    long after_ms;
} canceller;

static void *cancel_later(void *arg) {
    canceller *c = arg;
    struct timespec ts = {c->after_ms / 1000, (c->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    *c->flag = 1;
    return NULL;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ra_s3 *hang_client(const s3peer *p, volatile sig_atomic_t *flag, long total_ms, long cleanup_ms) {
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    /* a low-speed timeout of 60 s and 5 attempts: only the cancel or the budget can end a call soon */
    ra_s3_config c = {.endpoint = ep, .bucket = "bkt", .path_style = 1, .credentials = &cr, .max_attempts = 5,
                      .request_timeout_ms = 60000, .cancel = flag, .total_timeout_ms = total_ms,
                      .cleanup_timeout_ms = cleanup_ms};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    return s3;
}

static void test_cancel_ends_a_blocked_request(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{0, NULL, NULL}};
    s3peer p;
    s3peer_start(&p, steps, 1);
    volatile sig_atomic_t flag = 0;
    ra_s3 *s3 = hang_client(&p, &flag, 0, 0);
    canceller c = {.flag = &flag, .after_ms = 300};
    pthread_create(&c.thread, NULL, cancel_later, &c);
    ra_err err = {0};
    double t0 = mono_s();
    assert_int_equal(ra_s3_put_object(s3, "rec", "x", 1, NULL, NULL, 0, &err), -1);
    double took = mono_s() - t0;
    pthread_join(c.thread, NULL);
    assert_int_equal(err.code, RA_E_CANCELLED);
    assert_string_equal(err.msg, "s3: PUT 'rec': cancelled");
    assert_true(took < 1.8);
    ra_s3_free(s3);
    s3peer_stop(&p);
    assert_int_equal(p.served, 1);
}

static void test_cleanup_after_cancel_runs_briefly(void **state) {
    (void)state;
    /* the record of a cancelled backup: written although the flag is set, then an abort that
     * the store never answers ends after the short cleanup budget, not the 60 s timeout */
    static const s3peer_step steps[] = {{200, NULL, ""}, {0, NULL, NULL}};
    s3peer p;
    s3peer_start(&p, steps, 2);
    volatile sig_atomic_t flag = 1;
    ra_s3 *s3 = hang_client(&p, &flag, 0, 1000);
    ra_err err = {0};
    if (ra_s3_put_object(s3, "rec", "cancelled", 9, NULL, NULL, 0, &err) < 0) fail_msg("%s", err.msg);
    double t0 = mono_s();
    assert_int_equal(ra_s3_abort_upload(s3, "obj", "UP1", &err), -1);
    double took = mono_s() - t0;
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "s3: DELETE 'obj': no answer in time, giving up");
    assert_true(took >= 0.9 && took < 2.5);
    ra_s3_free(s3);
    s3peer_stop(&p);
    assert_int_equal(p.served, 2);
    assert_int_equal(p.body_len[0], 9);
}

static void test_call_budget_bounds_retries(void **state) {
    (void)state;
    /* 503 then silence: the retry is cut by the call's budget, not by 5 x 60 s */
    static const s3peer_step steps[] = {{503, NULL, ERR("SlowDown")}, {0, NULL, NULL}};
    s3peer p;
    s3peer_start(&p, steps, 2);
    volatile sig_atomic_t flag = 0;
    ra_s3 *s3 = hang_client(&p, &flag, 1500, 0);
    ra_err err = {0};
    double t0 = mono_s();
    char *data = NULL;
    size_t len;
    assert_int_equal(ra_s3_get_object_small(s3, "k", 100, &data, &len, &err), -1);
    double took = mono_s() - t0;
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "s3: GET 'k': no answer in time, giving up");
    assert_true(took >= 1.4 && took < 3.0);
    ra_s3_free(s3);
    s3peer_stop(&p);
    assert_int_equal(p.served, 2);
}

static void test_cancel_during_upload_then_abort(void **state) {
    (void)state;
    static const s3peer_step steps[] = {{200, NULL, INIT}, {0, NULL, NULL}, {204, NULL, ""}};
    s3peer p;
    s3peer_start(&p, steps, 3);
    volatile sig_atomic_t flag = 0;
    ra_s3 *s3 = hang_client(&p, &flag, 0, 5000);
    ra_err err = {0};
    ra_upload_opts o = {.concurrency = 2, .expected_size = -1, .cancel = &flag};
    ra_upload *up = ra_upload_new(s3, "obj", &o, &err);
    assert_non_null(up);
    assert_int_equal(ra_upload_write(up, "0123456789", 10, &err), 0);
    canceller c = {.flag = &flag, .after_ms = 300};
    pthread_create(&c.thread, NULL, cancel_later, &c);
    double t0 = mono_s();
    assert_int_equal(ra_upload_finish(up, &err), -1);
    double took = mono_s() - t0;
    pthread_join(c.thread, NULL);
    assert_int_equal(err.code, RA_E_CANCELLED);
    assert_true(took < 1.8);
    /* the abort is cleanup: it runs although the flag is still set */
    ra_upload_abort(up);
    ra_upload_free(up);
    /* a new upload after the cancel is refused before any request */
    assert_null(ra_upload_new(s3, "obj2", &o, &err));
    assert_int_equal(err.code, RA_E_CANCELLED);
    ra_s3_free(s3);
    s3peer_stop(&p);
    assert_int_equal(p.served, 3);
    assert_non_null(strstr(p.requests[1], "PUT /bkt/obj?partNumber=1&uploadId=UP1 HTTP/1.1"));
    assert_non_null(strstr(p.requests[2], "DELETE /bkt/obj?uploadId=UP1 HTTP/1.1"));
}

/* ------------------------------------------------------------- presign, config, credentials */

static void test_presign_aws_example(void **state) {
    (void)state;
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = "https://s3.amazonaws.com", .region = "us-east-1", .bucket = "examplebucket",
                      .credentials = &cr};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    char *url = ra_s3_presign_get(s3, NULL, "test.txt", 86400, 1369353600, &err);
    assert_string_equal(url, "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                             "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
                             "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
                             "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    free(url);
    /* the same key signed for a public address: that host is in the URL and in the signature */
    char *pub = ra_s3_presign_get(s3, "https://cdn.example.com", "test.txt", 86400, 1369353600, &err);
    assert_non_null(strstr(pub, "https://examplebucket.cdn.example.com/test.txt?"));
    assert_null(strstr(pub, "aeeed9bb"));
    free(pub);
    assert_null(ra_s3_presign_get(s3, NULL, "k", 0, 0, &err));
    assert_int_equal(err.code, RA_E_USAGE);
    assert_null(ra_s3_presign_get(s3, NULL, "k", 604801, 0, &err));
    ra_s3_free(s3);
}

static void test_presign_token_and_expiry_warning(void **state) {
    (void)state;
    logbuf lb;
    log_open(&lb);
    ra_s3_credentials cr = {ak, sk, tok, 1369353600 + 3600};
    ra_s3_config c = {.endpoint = "http://127.0.0.1:9000/", .region = "eu-west-3", .bucket = "b", .path_style = 1,
                      .credentials = &cr, .log = &lb.log};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    char *url = ra_s3_presign_get(s3, NULL, "a b/c", 7200, 1369353600, &err);
    assert_non_null(strstr(url, "http://127.0.0.1:9000/b/a%20b/c?"));
    assert_non_null(strstr(url, "%2Feu-west-3%2Fs3%2F"));
    assert_non_null(strstr(url, "&X-Amz-Security-Token=TOKEN%2F%2B%3D&"));
    fflush(lb.log.out);
    assert_non_null(strstr(lb.text, "3600"));
    assert_null(strstr(lb.text, "TOKEN"));
    free(url);
    ra_s3_free(s3);
    log_close(&lb);
}

static void test_config_values(void **state) {
    (void)state;
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    /* the adapter takes explicit values: the environment is the configuration's business */
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://elsewhere.local:1", 1);
    ra_s3_config c = {.bucket = "b", .credentials = &cr, .region = "ap-south-1",
                      .endpoint = "http://minio.local:9000"};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    char *url = ra_s3_presign_get(s3, NULL, "k", 60, 1369353600, &err);
    assert_non_null(strstr(url, "http://b.minio.local:9000/k?"));
    assert_non_null(strstr(url, "%2Fap-south-1%2F"));
    free(url);
    ra_s3_free(s3);
    /* NULL endpoint: AWS for the region */
    c.endpoint = NULL;
    s3 = ra_s3_new(&c, &err);
    url = ra_s3_presign_get(s3, NULL, "k", 60, 1369353600, &err);
    assert_non_null(strstr(url, "https://b.s3.ap-south-1.amazonaws.com/k?"));
    free(url);
    ra_s3_free(s3);
    /* NULL region: the default, whatever AWS_REGION says */
    c.region = NULL;
    s3 = ra_s3_new(&c, &err);
    url = ra_s3_presign_get(s3, NULL, "k", 60, 1369353600, &err);
    assert_non_null(strstr(url, "https://b.s3." RA_S3_REGION_DEFAULT ".amazonaws.com/k?"));
    assert_non_null(strstr(url, "%2F" RA_S3_REGION_DEFAULT "%2F"));
    free(url);
    ra_s3_free(s3);
    unsetenv("AWS_REGION");
    unsetenv("AWS_ENDPOINT_URL_S3");
    c.endpoint = "ftp://x";
    assert_null(ra_s3_new(&c, &err));
    assert_int_equal(err.code, RA_E_USAGE);
    c.endpoint = NULL;
    c.bucket = NULL;
    assert_null(ra_s3_new(&c, &err));
    assert_int_equal(err.code, RA_E_USAGE);
}

static void test_credentials(void **state) {
    (void)state;
    char path[] = "/tmp/ra-creds-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# comment\n[default]\naws_access_key_id = AKDEF\naws_secret_access_key = SKDEF\n\n"
                       "[other]\naws_access_key_id=AKOTHER\naws_secret_access_key=SKOTHER\naws_session_token=TOK\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ra_s3_credentials c;
    ra_err err = {0};
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SKENV", 1);
    setenv("AWS_SESSION_TOKEN", "TOKENV", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKENV");
    assert_string_equal(c.session_token, "TOKENV");
    ra_s3_credentials_clear(&c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKDEF");
    assert_string_equal(c.secret_key, "SKDEF");
    assert_null(c.session_token);
    ra_s3_credentials_clear(&c);
    setenv("AWS_PROFILE", "other", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKOTHER");
    assert_string_equal(c.session_token, "TOK");
    ra_s3_credentials_clear(&c);
    assert_null(c.access_key);
    setenv("AWS_PROFILE", "nope", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_null(strstr(err.msg, "SK"));
    unsetenv("AWS_PROFILE");
    unlink(path);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    ra_s3_credentials_clear(NULL);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* the peer writes to clients that gave up */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_then_success),
        cmocka_unit_test(test_retries_are_bounded),
        cmocka_unit_test(test_throttling_and_not_implemented),
        cmocka_unit_test(test_path_style_auto_and_dns_hint),
        cmocka_unit_test(test_region_from_redirect),
        cmocka_unit_test(test_client_errors_fail_at_once),
        cmocka_unit_test(test_clock_skew_corrected_once),
        cmocka_unit_test(test_clock_from_date_header),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_upload_part_resent_and_200_error),
        cmocka_unit_test(test_upload_verifies_with_head),
        cmocka_unit_test(test_complete_answer_lost),
        cmocka_unit_test(test_complete_upload_vanished),
        cmocka_unit_test(test_request_id_headers),
        cmocka_unit_test(test_complete_answer_lost_unquoted),
        cmocka_unit_test(test_complete_200_error_retried),
        cmocka_unit_test(test_complete_slow_answer_waited_for),
        cmocka_unit_test(test_complete_unparsable_settled_by_head),
        cmocka_unit_test(test_complete_lost_settled_by_head),
        cmocka_unit_test(test_part_failure_surfaces_on_next_write),
        cmocka_unit_test(test_error_codes_as_data),
        cmocka_unit_test(test_listings_end),
        cmocka_unit_test(test_listing_cycle_ends),
        cmocka_unit_test(test_conditional_put),
        cmocka_unit_test(test_slow_get_fails),
        cmocka_unit_test(test_slow_store_is_not_stalled),
        cmocka_unit_test(test_stalled_store_fails_the_writer),
        cmocka_unit_test(test_cancel_ends_a_blocked_request),
        cmocka_unit_test(test_cleanup_after_cancel_runs_briefly),
        cmocka_unit_test(test_call_budget_bounds_retries),
        cmocka_unit_test(test_cancel_during_upload_then_abort),
        cmocka_unit_test(test_presign_aws_example),
        cmocka_unit_test(test_presign_token_and_expiry_warning),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
