/* upload_it.c - the multipart sink's part options against a real S3 server (Ceph RGW or moto),
 * coordinates from RA_TEST_S3_*: equal parts (part-size-growth no) and the failure when a stream
 * outgrows them (no object, no open upload); CRC-32C parts, and whether the store checks them (it
 * echoes the checksum: neither RGW 16 nor moto does, so `auto` keeps SHA-256 there). Skipped (not
 * passed) without the env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/s3/s3.h"
#include "storage/s3/upload.h"
#include "s3env.h"

static int setup_env(void **state) {
    (void)state;
    return s3env_load("uploadit");
}

static ra_s3 *client(void) {
    ra_s3_credentials cr = {(char *)env.access_key, (char *)env.secret_key, NULL, 0};
    ra_s3_config c = {.endpoint = env.endpoint, .region = env.region, .bucket = env.bucket, .path_style = 1,
                      .credentials = &cr, .max_attempts = 3};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    if (s3 == NULL) fail_msg("ra_s3_new: %s", err.msg);
    return s3;
}

static int count_upload(void *ctx, const ra_s3_upload_ref *u, ra_err *err) {
    (void)u;
    (void)err;
    ++*(int *)ctx;
    return 0;
}

/* part-size-growth no with a limit of 2 parts: the third part fails with the limit named, the
 * upload is aborted, and the store holds neither an object nor an open upload. */
static void test_equal_parts_outgrown(void **state) {
    (void)state;
    NEED_ENV();
    char key[256];
    snprintf(key, sizeof(key), "%soutgrown.bin", env.prefix);
    ra_s3 *s3 = client();
    ra_err err = {0};
    ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 2, .expected_size = -1,
                        .growth = RA_UPLOAD_GROWTH_NO, .max_parts = 2};
    ra_upload *up = ra_upload_new(s3, key, &o, &err);
    if (up == NULL) fail_msg("upload_new: %s", err.msg);
    size_t chunk = 1 << 20;
    unsigned char *buf = calloc(1, chunk);
    int r = 0;
    for (long long done = 0; r == 0 && done < 2 * RA_PART_SIZE_MIN + 1; done += (long long)chunk)
        r = ra_upload_write(up, buf, chunk, &err);
    assert_int_equal(r, -1);
    print_message("outgrown: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "outgrew its 10485760-byte limit"));
    assert_non_null(strstr(err.msg, "raise part-size"));
    ra_upload_abort(up);
    ra_upload_free(up);
    free(buf);
    ra_s3_head head;
    assert_int_not_equal(ra_s3_head_object(s3, key, &head, &err), 0); /* no object */
    int open = 0;
    if (ra_s3_list_uploads(s3, key, count_upload, &open, &err) < 0) fail_msg("list uploads: %s", err.msg);
    assert_int_equal(open, 0);
    ra_s3_free(s3);
}

/* Equal parts that fit: 2 full parts and a short last one complete as usual. */
static void test_equal_parts_fit(void **state) {
    (void)state;
    NEED_ENV();
    char key[256];
    snprintf(key, sizeof(key), "%sequal.bin", env.prefix);
    ra_s3 *s3 = client();
    ra_err err = {0};
    ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 2, .expected_size = -1,
                        .growth = RA_UPLOAD_GROWTH_NO, .max_parts = 3};
    ra_upload *up = ra_upload_new(s3, key, &o, &err);
    if (up == NULL) fail_msg("upload_new: %s", err.msg);
    long long total = 2 * RA_PART_SIZE_MIN + 12345;
    unsigned char *buf = malloc((size_t)total);
    for (long long i = 0; i < total; i++) buf[i] = (unsigned char)(i * 31);
    if (ra_upload_write(up, buf, (size_t)total, &err) < 0) fail_msg("write: %s", err.msg);
    if (ra_upload_finish(up, &err) < 0) fail_msg("finish: %s", err.msg);
    ra_upload_free(up);
    ra_s3_head head;
    if (ra_s3_head_object(s3, key, &head, &err) < 0) fail_msg("head: %s", err.msg);
    assert_int_equal(head.size, total);
    assert_non_null(strstr(head.etag, "-3"));
    ra_s3_head_clear(&head);
    free(buf);
    ra_s3_free(s3);
}

/* CRC-32C parts (created with x-amz-checksum-algorithm CRC32C, the checksums in Complete) are
 * accepted and round-trip; neither RGW 16 nor moto 5 echoes the checksum, so neither proves it
 * checks it (auto then keeps SHA-256 on every part over http). */
static void test_crc32c_parts(void **state) {
    (void)state;
    NEED_ENV();
    const ra_upload_checksum modes[] = {RA_UPLOAD_CHECKSUM_CRC32C, RA_UPLOAD_CHECKSUM_AUTO};
    for (size_t m = 0; m < 2; m++) {
        char key[256];
        snprintf(key, sizeof(key), "%scrc-%zu.bin", env.prefix, m);
        ra_s3 *s3 = client();
        ra_err err = {0};
        ra_upload_opts o = {.part_size = RA_PART_SIZE_MIN, .concurrency = 2, .expected_size = -1,
                            .checksum = modes[m]};
        ra_upload *up = ra_upload_new(s3, key, &o, &err);
        if (up == NULL) fail_msg("upload_new: %s", err.msg);
        long long total = RA_PART_SIZE_MIN + 777;
        unsigned char *buf = malloc((size_t)total);
        for (long long i = 0; i < total; i++) buf[i] = (unsigned char)(i * 7 + m);
        if (ra_upload_write(up, buf, (size_t)total, &err) < 0) fail_msg("write: %s", err.msg);
        if (ra_upload_finish(up, &err) < 0) fail_msg("finish: %s", err.msg);
        print_message("%s: crc32c checked by the store: %d\n", env.store ? env.store : "store",
                      ra_upload_crc32c_checked(up));
        assert_int_equal(ra_upload_crc32c_checked(up), 0);
        ra_upload_free(up);
        char *data = NULL;
        size_t len = 0;
        if (ra_s3_get_object_small(s3, key, (size_t)total + 1, &data, &len, &err) < 0) fail_msg("get: %s", err.msg);
        assert_int_equal(len, total);
        assert_memory_equal(data, buf, (size_t)total);
        free(data);
        free(buf);
        ra_s3_free(s3);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_parts_outgrown),
        cmocka_unit_test(test_equal_parts_fit),
        cmocka_unit_test(test_crc32c_parts),
    };
    return cmocka_run_group_tests(tests, setup_env, NULL);
}
