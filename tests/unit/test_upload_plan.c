/* test_upload_plan.c - ra_upload_part_size: bounds, known sizes, and growth that reaches 5 TiB;
 * ra_upload_part_alloc: buffers grow only as bytes arrive; without growth (part-size-growth no)
 * one size and its limit; the stores that require equal parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storage/s3/upload.h"

#define MIB (1024LL * 1024)
#define TIB (1024LL * 1024 * 1024 * 1024)

static void test_unknown_size_reaches_5tib(void **state) {
    (void)state;
    const long long configured[] = {0, RA_PART_SIZE_MIN, 7 * MIB + 3, RA_PART_SIZE_DEFAULT, 100 * MIB,
                                    RA_PART_SIZE_MAX};
    for (size_t c = 0; c < sizeof(configured) / sizeof(configured[0]); c++) {
        long long total = 0, prev = 0;
        for (int i = 1; i <= RA_PARTS_MAX; i++) {
            long long p = ra_upload_part_size(configured[c], -1, i);
            assert_true(p >= RA_PART_SIZE_MIN);
            assert_true(p <= RA_PART_SIZE_MAX);
            assert_true(p >= prev); /* never shrinks: buffers only grow */
            prev = p;
            total += p;
        }
        print_message("configured %lld: 10,000 parts hold %.2f TiB\n", configured[c], (double)total / (double)TIB);
        assert_true(total >= 5 * TIB);
    }
}

static void test_unknown_size_starts_at_configured(void **state) {
    (void)state;
    assert_int_equal(ra_upload_part_size(0, -1, 1), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(RA_PART_SIZE_DEFAULT, -1, RA_PART_GROW_EVERY), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(RA_PART_SIZE_DEFAULT, -1, RA_PART_GROW_EVERY + 1), 2 * RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(8 * MIB, -1, 1), 8 * MIB);
    /* an ordinary 10 GiB snapshot with default parts never grows its buffers */
    assert_int_equal(ra_upload_part_size(0, -1, 640), RA_PART_SIZE_DEFAULT);
}

static void test_bounds(void **state) {
    (void)state;
    assert_int_equal(ra_upload_part_size(1, -1, 1), RA_PART_SIZE_MIN);
    assert_int_equal(ra_upload_part_size(-5, 100, 1), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(RA_PART_SIZE_MAX * 2, -1, 1), RA_PART_SIZE_MAX);
    assert_int_equal(ra_upload_part_size(0, -1, 0), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(0, -1, RA_PARTS_MAX), RA_PART_SIZE_MAX);
}

static void test_known_size(void **state) {
    (void)state;
    /* small and empty objects: configured size */
    assert_int_equal(ra_upload_part_size(0, 0, 1), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(0, 1, 1), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size(RA_PART_SIZE_MIN, 100 * MIB, 7), RA_PART_SIZE_MIN);
    /* large: constant size, whole MiB, 10,000 parts enough */
    const long long sizes[] = {200LL * 1024 * MIB, 1 * TIB, 5 * TIB, 5 * TIB - 1, 160000 * MIB + 1};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        long long p1 = ra_upload_part_size(RA_PART_SIZE_MIN, sizes[i], 1);
        assert_int_equal(p1, ra_upload_part_size(RA_PART_SIZE_MIN, sizes[i], 9999));
        assert_int_equal(p1 % MIB, 0);
        assert_true(p1 * RA_PARTS_MAX >= sizes[i]);
        assert_true(p1 <= RA_PART_SIZE_MAX);
    }
    assert_int_equal(ra_upload_part_size(0, 160000 * MIB + 1, 1), 17 * MIB);
    /* beyond what S3 can hold: capped at the largest part */
    assert_int_equal(ra_upload_part_size(0, 60 * TIB, 1), RA_PART_SIZE_MAX);
}

/* faults.md R14: a source announcing 50 TB gets configured-size buffers until the bytes come */
static void test_announced_size_is_not_allocated(void **state) {
    (void)state;
    const long long liar = 53687091200000LL;
    assert_int_equal(ra_upload_part_size(0, liar, 1), RA_PART_SIZE_MAX); /* the plan */
    assert_int_equal(ra_upload_part_alloc(0, liar, 1, 0), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_alloc(0, liar, 2, RA_PART_SIZE_DEFAULT), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_alloc(0, liar, 3, 300 * MIB), 300 * MIB);
    assert_int_equal(ra_upload_part_alloc(RA_PART_SIZE_MIN, liar, 1, 0), RA_PART_SIZE_MIN);
    /* never beyond the plan, whatever arrived */
    assert_int_equal(ra_upload_part_alloc(0, 100 * MIB, 5, 64 * MIB), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_alloc(0, liar, 30, 100 * TIB), RA_PART_SIZE_MAX);
    /* unknown size: as planned */
    assert_int_equal(ra_upload_part_alloc(0, -1, RA_PART_GROW_EVERY + 1, RA_PART_GROW_EVERY * RA_PART_SIZE_DEFAULT),
                     2 * RA_PART_SIZE_DEFAULT);
}

/* An honest known size still fits S3's 10,000 parts although the first parts are smaller. */
static void test_known_size_reach_with_growth(void **state) {
    (void)state;
    const long long sizes[] = {5 * TIB, 5 * TIB - 1, 1 * TIB, 200LL * 1024 * MIB, 160000 * MIB + 1, 17 * MIB};
    const long long configured[] = {0, RA_PART_SIZE_MIN, 100 * MIB};
    for (size_t c = 0; c < sizeof(configured) / sizeof(configured[0]); c++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            long long got = 0, prev = 0;
            int parts = 0;
            while (got < sizes[i]) {
                long long p = ra_upload_part_alloc(configured[c], sizes[i], parts + 1, got);
                assert_true(p >= RA_PART_SIZE_MIN && p <= RA_PART_SIZE_MAX);
                assert_true(p >= prev);
                long long base = ra_upload_part_size(configured[c], -1, 1);
                assert_true(p <= (got > base ? got : base)); /* no more than what has arrived */
                prev = p;
                got += p < sizes[i] - got ? p : sizes[i] - got;
                parts++;
            }
            assert_true(parts <= RA_PARTS_MAX);
        }
    }
}

/* part-size-growth no: one size for all parts, picked before the first; the limit is size x 10,000. */
static void test_fixed_size(void **state) {
    (void)state;
    assert_int_equal(ra_upload_part_size_fixed(0, -1), RA_PART_SIZE_DEFAULT);
    assert_int_equal(ra_upload_part_size_fixed(5 * MIB, -1), 5 * MIB);
    assert_int_equal(ra_upload_part_size_fixed(1, -1), RA_PART_SIZE_MIN);
    assert_int_equal(ra_upload_part_size_fixed(RA_PART_SIZE_MAX * 2, -1), RA_PART_SIZE_MAX);
    /* a small known size keeps the configured size */
    assert_int_equal(ra_upload_part_size_fixed(16 * MIB, 1000 * MIB), 16 * MIB);
    /* a large known size gets parts large enough from the first: every part of the plan equal,
     * and the whole fits in 10,000 of them */
    long long big = 2 * TIB + 12345;
    long long p = ra_upload_part_size_fixed(16 * MIB, big);
    assert_true(p > 16 * MIB);
    assert_int_equal(p % MIB, 0);
    assert_true(ra_upload_size_limit(p) >= big);
    for (int i = 1; i <= RA_PARTS_MAX; i += 997) assert_int_equal(ra_upload_part_size(16 * MIB, big, i), p);
    /* the documented limits: 16 MiB parts hold 156.25 GiB, 5 GiB parts 48.8 TiB */
    assert_int_equal(ra_upload_size_limit(16 * MIB), 160000 * MIB);
    assert_int_equal(ra_upload_size_limit(RA_PART_SIZE_MAX), 50000LL * 1024 * MIB);
    /* larger than S3's 5 TiB object limit itself: capped by the part maximum */
    assert_int_equal(ra_upload_part_size_fixed(0, 60 * TIB), RA_PART_SIZE_MAX);
}

static void test_equal_parts_hosts(void **state) {
    (void)state;
    assert_true(ra_upload_host_needs_equal_parts("0123abcd.r2.cloudflarestorage.com"));
    assert_true(ra_upload_host_needs_equal_parts("acct.eu.r2.cloudflarestorage.com"));
    assert_true(ra_upload_host_needs_equal_parts("ACCT.R2.CloudflareStorage.com:443"));
    assert_false(ra_upload_host_needs_equal_parts("r2.cloudflarestorage.com")); /* no account */
    assert_false(ra_upload_host_needs_equal_parts("s3.eu-west-1.amazonaws.com"));
    assert_false(ra_upload_host_needs_equal_parts("127.0.0.1:9000"));
    assert_false(ra_upload_host_needs_equal_parts("evil-r2.cloudflarestorage.com.example.org"));
    assert_false(ra_upload_host_needs_equal_parts(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_size_reaches_5tib),
        cmocka_unit_test(test_unknown_size_starts_at_configured),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_known_size),
        cmocka_unit_test(test_announced_size_is_not_allocated),
        cmocka_unit_test(test_known_size_reach_with_growth),
        cmocka_unit_test(test_fixed_size),
        cmocka_unit_test(test_equal_parts_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
