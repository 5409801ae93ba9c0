/* test_sigv4.c - SigV4 against AWS's published S3 examples, step by step, plus encoding and tokens.
 * Header vectors: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * Presign vector: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * Session-token expectations were computed with an independent stdlib Python signer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/digest.h"
#include "storage/s3/sigv4.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE "20130524T000000Z"
#define HOST "examplebucket.s3.amazonaws.com"

static const ra_sigv4_signer signer = {AK, SK, NULL, "us-east-1", "s3", DATE};

typedef struct vector {
    const char *name;
    ra_sigv4_request req;
    const char *canonical;
    const char *sts_hash; /* last line of the string to sign */
    const char *signature;
} vector;

static const ra_kv get_range_h[] = {
    {"Host", HOST},
    {"Range", "bytes=0-9"},
    {"x-amz-content-sha256", RA_SIGV4_EMPTY_SHA256},
    {"x-amz-date", DATE},
};
static const ra_kv put_h[] = {
    {"Host", HOST},
    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
    {"x-amz-date", DATE},
    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
    {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
};
static const ra_kv plain_h[] = {
    {"Host", HOST},
    {"x-amz-content-sha256", RA_SIGV4_EMPTY_SHA256},
    {"x-amz-date", DATE},
};
static const ra_kv lifecycle_q[] = {{"lifecycle", NULL}};
static const ra_kv list_q[] = {{"prefix", "J"}, {"max-keys", "2"}};

static const vector vectors[] = {
    {"get-object-range",
     {"GET", "/test.txt", NULL, 0, get_range_h, 4, RA_SIGV4_EMPTY_SHA256},
     "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
     "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
     "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
    {"put-object",
     {"PUT", "/test$file.text", NULL, 0, put_h, 5,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
     "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
     "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
    {"get-lifecycle",
     {"GET", "/", lifecycle_q, 1, plain_h, 3, RA_SIGV4_EMPTY_SHA256},
     "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
     "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
    {"list-objects",
     {"GET", "/", list_q, 2, plain_h, 3, RA_SIGV4_EMPTY_SHA256},
     "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
     "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
};

static void test_header_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const vector *v = &vectors[i];
        print_message("vector %s\n", v->name);
        char *sh = NULL;
        char *creq = ra_sigv4_canonical_request(&v->req, &sh);
        assert_non_null(creq);
        assert_string_equal(creq, v->canonical);
        char *sts = ra_sigv4_string_to_sign(&signer, creq);
        assert_non_null(sts);
        char want_sts[256];
        snprintf(want_sts, sizeof(want_sts),
                 "AWS4-HMAC-SHA256\n" DATE "\n20130524/us-east-1/s3/aws4_request\n%s", v->sts_hash);
        assert_string_equal(sts, want_sts);
        char sig[65];
        assert_int_equal(ra_sigv4_signature(&signer, sts, sig), 0);
        assert_string_equal(sig, v->signature);
        char *auth = ra_sigv4_authorization(&signer, &v->req);
        char want_auth[512];
        snprintf(want_auth, sizeof(want_auth),
                 "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,SignedHeaders=%s,"
                 "Signature=%s",
                 sh, v->signature);
        assert_string_equal(auth, want_auth);
        free(auth);
        free(sts);
        free(creq);
        free(sh);
    }
}

static void test_presign_vector(void **state) {
    (void)state;
    const char *want_q =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host";
    ra_kv q[] = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", AK "/20130524/us-east-1/s3/aws4_request"},
        {"X-Amz-Date", DATE},
        {"X-Amz-Expires", "86400"},
        {"X-Amz-SignedHeaders", "host"},
    };
    ra_kv h[] = {{"host", HOST}};
    ra_sigv4_request req = {"GET", "/test.txt", q, 5, h, 1, RA_SIGV4_UNSIGNED};
    char *creq = ra_sigv4_canonical_request(&req, NULL);
    char want_creq[1024];
    snprintf(want_creq, sizeof(want_creq), "GET\n/test.txt\n%s\nhost:" HOST "\n\nhost\nUNSIGNED-PAYLOAD", want_q);
    assert_string_equal(creq, want_creq);
    char *sts = ra_sigv4_string_to_sign(&signer, creq);
    assert_string_equal(sts, "AWS4-HMAC-SHA256\n" DATE "\n20130524/us-east-1/s3/aws4_request\n"
                             "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    char *got = ra_sigv4_presign_query(&signer, "GET", "/test.txt", HOST, 86400);
    char want[1024];
    snprintf(want, sizeof(want), "%s&X-Amz-Signature=%s", want_q,
             "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assert_string_equal(got, want);
    free(got);
    free(sts);
    free(creq);
}

static void test_presign_session_token(void **state) {
    (void)state;
    ra_sigv4_signer sg = signer;
    sg.session_token = "AQoDYXdzEJr/+token==";
    char *got = ra_sigv4_presign_query(&sg, "GET", "/test.txt", HOST, 86400);
    assert_string_equal(got,
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
                        "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
                        "X-Amz-Security-Token=AQoDYXdzEJr%2F%2Btoken%3D%3D&X-Amz-SignedHeaders=host&"
                        "X-Amz-Signature=e43e67ed2e48c77468f82b2f9c034e41e4a83c4f4f86efb5572fdeb49d7cf193");
    free(got);
}

static void test_header_session_token(void **state) {
    (void)state;
    ra_kv h[] = {
        {"host", HOST},
        {"x-amz-date", DATE},
        {"x-amz-security-token", "AQoDYXdzEJr/+token=="},
        {"x-amz-content-sha256", RA_SIGV4_UNSIGNED},
    };
    ra_sigv4_request req = {"GET", "/test.txt", NULL, 0, h, 4, RA_SIGV4_UNSIGNED};
    char *sh = NULL, *creq = ra_sigv4_canonical_request(&req, &sh);
    assert_non_null(strstr(creq, "\nx-amz-security-token:AQoDYXdzEJr/+token==\n"));
    assert_string_equal(sh, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    char *auth = ra_sigv4_authorization(&signer, &req);
    assert_non_null(strstr(auth, "Signature=aeb50ad829b54a17aed2d290bc39adfee6badd642fa0913f9bf02817912f304b"));
    free(auth);
    free(creq);
    free(sh);
}

static void test_uri_encode(void **state) {
    (void)state;
    static const struct {
        const char *in;
        int slash;
        const char *out;
    } cases[] = {
        {"a b", 1, "a%20b"},
        {"a+b", 1, "a%2Bb"},
        {"a~b-c_d.e", 1, "a~b-c_d.e"},
        {"100%", 1, "100%25"},
        {"dir/sub/key", 1, "dir/sub/key"},
        {"dir/sub/key", 0, "dir%2Fsub%2Fkey"},
        {"caf\xc3\xa9", 1, "caf%C3%A9"},
        {"\xe2\x82\xac/x", 0, "%E2%82%AC%2Fx"},
        {"=&?#*", 0, "%3D%26%3F%23%2A"},
        {"", 1, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = ra_sigv4_uri_encode(cases[i].in, cases[i].slash);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_canonical_path_and_query(void **state) {
    (void)state;
    ra_kv q[] = {{"prefix", "a b/c"}, {"list-type", "2"}, {"continuation-token", "x+y="}, {"delimiter", ""}};
    char *cq = ra_sigv4_canonical_query(q, 4);
    assert_string_equal(cq, "continuation-token=x%2By%3D&delimiter=&list-type=2&prefix=a%20b%2Fc");
    free(cq);
    ra_kv h[] = {{"Host", "h"}, {"X-Amz-Meta-Note", "  two   spaces  "}};
    ra_sigv4_request req = {"PUT", "/b/dir/a b+c~%", NULL, 0, h, 2, RA_SIGV4_UNSIGNED};
    char *creq = ra_sigv4_canonical_request(&req, NULL);
    assert_string_equal(creq, "PUT\n/b/dir/a%20b%2Bc~%25\n\nhost:h\nx-amz-meta-note:two spaces\n\n"
                              "host;x-amz-meta-note\nUNSIGNED-PAYLOAD");
    free(creq);
}

static void test_amz_date_and_sha(void **state) {
    (void)state;
    char d[17], h[65];
    ra_sigv4_amz_date(1369353600, d); /* 2013-05-24T00:00:00Z */
    assert_string_equal(d, DATE);
    assert_int_equal(ra_sha256_hex("", 0, h), 0);
    assert_string_equal(h, RA_SIGV4_EMPTY_SHA256);
    assert_int_equal(ra_sha256_hex("Welcome to Amazon S3.", 21, h), 0);
    assert_string_equal(h, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_vectors),   cmocka_unit_test(test_presign_vector),
        cmocka_unit_test(test_presign_session_token), cmocka_unit_test(test_header_session_token),
        cmocka_unit_test(test_uri_encode),       cmocka_unit_test(test_canonical_path_and_query),
        cmocka_unit_test(test_amz_date_and_sha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
