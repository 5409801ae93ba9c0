/* test_respcmd.c - the pure parser of whole RESP commands into argv spans: whole, binary-safe, several in
 * a row (a MULTI block), every split point incomplete, malformed bytes refused; the legacy first key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "source/respcmd.h"

#define SET "*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$2\r\n\r\n\r\n"

static void test_whole(void **state) {
    (void)state;
    const uint8_t d[] = SET;
    size_t n = sizeof(d) - 1, used = 0;
    ra_respcmd c = {0};
    ra_err err = {0};
    assert_int_equal(ra_respcmd_parse(&c, d, n, &used, &err), 1);
    assert_int_equal(used, n);
    assert_int_equal(c.argc, 3);
    assert_int_equal(c.lens[1], 3);
    assert_memory_equal(c.argv[1], "k\0y", 3);
    assert_int_equal(c.lens[2], 2);
    assert_memory_equal(c.argv[2], "\r\n", 2);
    assert_true(ra_respcmd_is(&c, 0, "set"));
    assert_false(ra_respcmd_is(&c, 0, "se"));
    assert_false(ra_respcmd_is(&c, 3, "set"));
    assert_int_equal(ra_respcmd_first_key(&c, 1), 1);
    assert_int_equal(ra_respcmd_first_key(&c, 0), -1); /* keyless */
    assert_int_equal(ra_respcmd_first_key(&c, 3), -1); /* not that many arguments */
    ra_respcmd_clear(&c);
    ra_respcmd_clear(&c); /* reusable */
}

static void test_every_split_is_incomplete(void **state) {
    (void)state;
    const uint8_t d[] = SET;
    size_t n = sizeof(d) - 1, used = 0;
    ra_respcmd c = {0};
    ra_err err = {0};
    for (size_t cut = 0; cut < n; cut++) assert_int_equal(ra_respcmd_parse(&c, d, cut, &used, &err), 0);
    ra_respcmd_clear(&c);
}

static void test_multi_block(void **state) {
    (void)state;
    const char *d = "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$6\r\n{t}a:1\r\n*1\r\n$4\r\nEXEC\r\n";
    size_t n = strlen(d), at = 0, used;
    ra_respcmd c = {0};
    ra_err err = {0};
    const char *names[3] = {"multi", "incr", "exec"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ra_respcmd_parse(&c, (const uint8_t *)d + at, n - at, &used, &err), 1);
        assert_true(ra_respcmd_is(&c, 0, names[i]));
        at += used;
    }
    assert_int_equal(at, n);
    assert_int_equal(ra_respcmd_parse(&c, (const uint8_t *)d + at, 0, &used, &err), 0);
    ra_respcmd_clear(&c);
}

static void test_malformed(void **state) {
    (void)state;
    const char *bad[] = {
        "+OK\r\n",                     /* no multibulk */
        "*0\r\n",                      /* empty */
        "*x\r\n",                      /* no number */
        "*\r\n",                       /* empty number */
        "*1\rx",                       /* no line feed */
        "*1\r\n:1\r\n",                /* no '$' */
        "*1\r\n$-1\r\n",               /* negative length */
        "*1\r\n$1\r\nab\r\n",          /* longer than its length */
        "*1\r\n$1\r\na\nx",            /* no CR after the data */
        "*2000000\r\n",                /* over the argument limit */
        "*1\r\n$9999999999999999999\r\n", /* number too long */
        "*1\r\n$99999999999\r\n",      /* over the bulk limit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ra_respcmd c = {0};
        ra_err err = {0};
        size_t used = 0;
        assert_int_equal(ra_respcmd_parse(&c, (const uint8_t *)bad[i], strlen(bad[i]), &used, &err), -1);
        assert_int_equal(err.code, RA_E_SOURCE);
        assert_non_null(strstr(err.msg, "resp command: "));
        ra_respcmd_clear(&c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_every_split_is_incomplete),
        cmocka_unit_test(test_multi_block),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
