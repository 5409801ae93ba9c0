/* test_s3_options.c - the keys of the S3 upload options: part-size-growth, part-checksum crc32c,
 * sse, sse-kms-key-id and storage-class: values, refusals, the warning for a key id without
 * aws:kms, and that the stored values are those of the enums the S3 layer takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "storage/s3/s3.h"
#include "storage/s3/upload.h"

static int set(ra_config *c, const char *key, const char *value, ra_err *err) {
    return ra_config_set(c, key, value, RA_ORIGIN_FLAG, 0, key, err);
}

static void test_defaults(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    assert_int_equal(c.part_size_growth, RA_UPLOAD_GROWTH_AUTO);
    assert_int_equal(c.part_checksum, RA_UPLOAD_CHECKSUM_AUTO);
    assert_int_equal(c.sse, RA_S3_SSE_NONE);
    assert_null(c.sse_kms_key_id);
    assert_null(c.storage_class);
    ra_config_clear(&c);
}

static void test_values_map_to_enums(void **state) {
    (void)state;
    ra_config c;
    ra_err err = {0};
    ra_config_init(&c);
    assert_int_equal(set(&c, "part-size-growth", "no", &err), 0);
    assert_int_equal(c.part_size_growth, RA_UPLOAD_GROWTH_NO);
    assert_int_equal(set(&c, "part-size-growth", "yes", &err), 0);
    assert_int_equal(c.part_size_growth, RA_UPLOAD_GROWTH_YES);
    assert_int_equal(set(&c, "part-checksum", "crc32c", &err), 0);
    assert_int_equal(c.part_checksum, RA_UPLOAD_CHECKSUM_CRC32C);
    assert_int_equal(set(&c, "part-checksum", "none", &err), 0);
    assert_int_equal(c.part_checksum, RA_UPLOAD_CHECKSUM_NONE);
    assert_int_equal(set(&c, "sse", "AES256", &err), 0);
    assert_int_equal(c.sse, RA_S3_SSE_AES256);
    assert_int_equal(set(&c, "sse", "aws:kms", &err), 0);
    assert_int_equal(c.sse, RA_S3_SSE_KMS);
    assert_int_equal(set(&c, "sse-kms-key-id", "alias/backups", &err), 0);
    assert_string_equal(c.sse_kms_key_id, "alias/backups");
    assert_int_equal(set(&c, "sse-kms-key-id", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab", &err), 0);
    assert_int_equal(set(&c, "storage-class", "GLACIER_IR", &err), 0);
    assert_string_equal(c.storage_class, "GLACIER_IR");
    assert_int_equal(set(&c, "storage-class", "STANDARD_IA", &err), 0);
    ra_config_clear(&c);
}

static void test_refused(void **state) {
    (void)state;
    ra_config c;
    ra_err err = {0};
    ra_config_init(&c);
    static const char *const classes[] = {"standard", "STANDARD IA", "STANDARD\r\nx-amz-acl: public-read",
                                          "GLACIER-IR", "ÜBER"};
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        assert_int_not_equal(set(&c, "storage-class", classes[i], &err), 0);
        assert_int_equal(err.code, RA_E_USAGE);
        assert_non_null(strstr(err.msg, "storage-class"));
    }
    assert_int_not_equal(set(&c, "sse-kms-key-id", "key with space", &err), 0);
    assert_int_not_equal(set(&c, "sse-kms-key-id", "k\r\nx-amz-acl: public-read", &err), 0);
    assert_int_not_equal(set(&c, "sse", "aes256x", &err), 0);
    assert_int_not_equal(set(&c, "part-size-growth", "sometimes", &err), 0);
    assert_int_not_equal(set(&c, "part-checksum", "crc32", &err), 0);
    ra_config_clear(&c);
}

static int warned(const ra_config *c, const char *text) {
    for (int i = 0; i < c->nwarnings; i++)
        if (strstr(c->warnings[i], text)) return 1;
    return 0;
}

static void test_key_id_without_kms_warns(void **state) {
    (void)state;
    unsetenv("REDIS_ARCHIVER_SSE");
    unsetenv("REDIS_ARCHIVER_SSE_KMS_KEY_ID");
    setenv("REDIS_ARCHIVER_CONFIG", "/dev/null", 1);
    char a0[] = "redis-archiver", a1[] = "--sse-kms-key-id", a2[] = "alias/x", a3[] = "--sse", a4[] = "aws:kms";
    char *argv1[] = {a0, a1, a2, NULL};
    ra_config c;
    ra_err err = {0};
    ra_config_init(&c);
    assert_int_equal(ra_config_load(&c, 3, argv1, NULL, NULL, NULL, &err), 0);
    assert_true(warned(&c, "sse-kms-key-id is ignored unless sse is aws:kms"));
    assert_false(warned(&c, "alias/x")); /* the id itself is not repeated */
    ra_config_clear(&c);
    char *argv2[] = {a0, a3, a4, a1, a2, NULL};
    ra_config_init(&c);
    assert_int_equal(ra_config_load(&c, 5, argv2, NULL, NULL, NULL, &err), 0);
    assert_false(warned(&c, "sse-kms-key-id"));
    ra_config_clear(&c);
    unsetenv("REDIS_ARCHIVER_CONFIG");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values_map_to_enums),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_key_id_without_kms_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
