/* test_lzf.c - LZF decompression: literal runs, short and long back references, overlapping copies, and
 * every malformed or mis-sized input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/lzf.h"

static void test_expands(void **state) {
    (void)state;
    uint8_t out[64];
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x02" "abc", 4, out, 3), 0);
    assert_memory_equal(out, "abc", 3);
    /* "abc", then 6 bytes from 3 back (overlapping) */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x02" "abc\x80\x02", 6, out, 9), 0);
    assert_memory_equal(out, "abcabcabc", 9);
    /* "a", then 11 bytes from 1 back: the long form (7 + 2 more) */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x00" "a\xe0\x02\x00", 5, out, 12), 0);
    assert_memory_equal(out, "aaaaaaaaaaaa", 12);
}

static void test_refuses(void **state) {
    (void)state;
    uint8_t out[64];
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x02" "abc", 4, out, 4), -1);       /* shorter than said */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x02" "abc", 4, out, 2), -1);       /* longer */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x05" "abc", 4, out, 6), -1);       /* literal cut */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x00" "a\x80\x05", 4, out, 7), -1); /* before the start */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x00" "a\xe0", 3, out, 12), -1);    /* cut reference */
    assert_int_equal(ra_lzf_expand((const uint8_t *)"\x00" "a\x20", 3, out, 4), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expands),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
