/* test_s3_endpoint.c - endpoint URLs and request addressing (path-style, virtual-hosted, root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/s3/endpoint.h"

static void test_parse(void **state) {
    (void)state;
    ra_s3_endpoint ep;
    ra_err err = {0};
    assert_int_equal(ra_s3_endpoint_parse(&ep, "http://127.0.0.1:17480", &err), 0);
    assert_string_equal(ep.scheme, "http");
    assert_string_equal(ep.host, "127.0.0.1:17480");
    assert_string_equal(ep.base_path, "");
    assert_false(ra_s3_endpoint_is_https(&ep));
    ra_s3_endpoint_clear(&ep);
    assert_int_equal(ra_s3_endpoint_parse(&ep, "https://store.example/s3//", &err), 0);
    assert_string_equal(ep.host, "store.example");
    assert_string_equal(ep.base_path, "/s3");
    assert_true(ra_s3_endpoint_is_https(&ep));
    ra_s3_endpoint_clear(&ep);
    assert_int_equal(ra_s3_endpoint_parse(&ep, "http://[::1]:9000", &err), 0);
    assert_string_equal(ep.host, "[::1]:9000");
    ra_s3_endpoint_clear(&ep);
    assert_int_equal(ra_s3_endpoint_aws(&ep, "eu-west-1", &err), 0);
    assert_string_equal(ep.host, "s3.eu-west-1.amazonaws.com");
    assert_true(ra_s3_endpoint_is_https(&ep));
    ra_s3_endpoint_clear(&ep);
    assert_int_equal(ra_s3_endpoint_parse(&ep, "ftp://x", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_null(ep.host);
    assert_int_equal(ra_s3_endpoint_parse(&ep, "not a url", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    ra_s3_endpoint_clear(&ep);
    ra_s3_endpoint_clear(NULL);
}

static void test_address(void **state) {
    (void)state;
    ra_s3_endpoint ep;
    ra_err err = {0};
    char *host, *path;
    assert_int_equal(ra_s3_endpoint_parse(&ep, "http://h:1/base", &err), 0);
    assert_int_equal(ra_s3_endpoint_address(&ep, "b", 1, "dir/k", &host, &path), 0);
    assert_string_equal(host, "h:1");
    assert_string_equal(path, "/base/b/dir/k");
    free(host), free(path);
    assert_int_equal(ra_s3_endpoint_address(&ep, "b", 1, NULL, &host, &path), 0);
    assert_string_equal(path, "/base/b");
    free(host), free(path);
    assert_int_equal(ra_s3_endpoint_address(&ep, "b", 0, "k", &host, &path), 0);
    assert_string_equal(host, "b.h:1");
    assert_string_equal(path, "/base/k");
    free(host), free(path);
    assert_int_equal(ra_s3_endpoint_address(&ep, "b", 0, NULL, &host, &path), 0);
    assert_string_equal(path, "/base/");
    free(host), free(path);
    assert_int_equal(ra_s3_endpoint_address(&ep, NULL, 0, NULL, &host, &path), 0);
    assert_string_equal(host, "h:1");
    assert_string_equal(path, "/base/");
    free(host), free(path);
    ra_s3_endpoint_clear(&ep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
