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

/* path-style auto: virtual-hosted only on AWS's endpoints, for names that are host labels (dots only over
 * http); path-style on IP addresses, localhost and custom endpoints; China has its own domain */
static int style(const char *url, const char *region, const char *bucket) {
    ra_s3_endpoint ep;
    ra_err err = {0};
    int r = url ? ra_s3_endpoint_parse(&ep, url, &err) : ra_s3_endpoint_aws(&ep, region, &err);
    assert_int_equal(r, 0);
    r = ra_s3_endpoint_path_style_auto(&ep, bucket);
    ra_s3_endpoint_clear(&ep);
    return r;
}

static void test_path_style_auto(void **state) {
    (void)state;
    assert_int_equal(style(NULL, "eu-west-1", "my-backups"), 0);
    assert_int_equal(style(NULL, "eu-west-1", "my.dotted.bucket"), 1); /* *.s3.<region>.amazonaws.com cert */
    assert_int_equal(style(NULL, "eu-west-1", "Upper_Case"), 1);
    assert_int_equal(style("https://s3.amazonaws.com", NULL, "b-1"), 0);
    assert_int_equal(style("http://s3.us-east-1.amazonaws.com", NULL, "a.b.c"), 0); /* no certificate */
    assert_int_equal(style("http://127.0.0.1:7480", NULL, "ra-test"), 1);
    assert_int_equal(style("http://[::1]:9000", NULL, "ra-test"), 1);
    assert_int_equal(style("http://localhost:9000", NULL, "ra-test"), 1);
    assert_int_equal(style("https://minio.example.com", NULL, "ra-test"), 1);
    assert_int_equal(style("https://storage.googleapis.com", NULL, "ra-test"), 1);
    ra_s3_endpoint ep;
    ra_err err = {0};
    assert_int_equal(ra_s3_endpoint_aws(&ep, "cn-north-1", &err), 0);
    assert_string_equal(ep.host, "s3.cn-north-1.amazonaws.com.cn");
    assert_true(ra_s3_endpoint_is_aws(&ep));
    assert_false(ra_s3_endpoint_is_ip(&ep));
    ra_s3_endpoint_clear(&ep);
    assert_int_equal(style(NULL, "cn-northwest-1", "bkt"), 0);
    assert_int_equal(ra_s3_endpoint_parse(&ep, "http://10.0.0.7:80", &err), 0);
    assert_true(ra_s3_endpoint_is_ip(&ep));
    assert_false(ra_s3_endpoint_is_aws(&ep));
    ra_s3_endpoint_clear(&ep);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_address),
        cmocka_unit_test(test_path_style_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
