/* test_restore_at.c - the --at TIME parser: ISO 8601 forms, zones, fractions, now, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "command/restore_at.h"

static long long at(const char *s) {
    long long ms = -1;
    ra_err err = {0};
    if (ra_restore_at_parse_time(s, 42, &ms, &err) != 0) return -1;
    return ms;
}

static void test_forms(void **state) {
    (void)state;
    assert_int_equal(at("now"), 42);
    assert_int_equal(at("2026-11-29T03:40:00Z"), 1795923600000LL);
    assert_int_equal(at("2026-11-29T03:40:00"), 1795923600000LL);
    assert_int_equal(at("2026-11-29 03:40:00Z"), 1795923600000LL);
    assert_int_equal(at("2026-11-29T03:40:00.5Z"), 1795923600500LL);
    assert_int_equal(at("2026-11-29T03:40:00.123456Z"), 1795923600123LL);
    assert_int_equal(at("2026-11-29T04:40:00+01:00"), 1795923600000LL);
    assert_int_equal(at("2026-11-29T02:40:00-0100"), 1795923600000LL);
}

static void test_refused(void **state) {
    (void)state;
    const char *bad[] = {"", "yesterday", "2026-11-29", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z",
                         "2026-11-29T03:40:00Zjunk", "2026-11-29T03:40Z", "1795923600"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long ms;
        ra_err err = {0};
        assert_int_equal(ra_restore_at_parse_time(bad[i], 0, &ms, &err), -1);
        assert_int_equal(err.code, RA_E_USAGE);
        assert_non_null(strstr(err.msg, "ISO 8601"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_forms), cmocka_unit_test(test_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
