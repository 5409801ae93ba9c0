/* test_respcmd.c - the pure parser of whole RESP commands into argv spans: whole, binary-safe, several in
 * a row (a MULTI block), every split point incomplete, malformed bytes refused; the legacy first key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "source/respcmd.h"
#include "source/target.h"

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

/* A command table of a few commands: SET/INCR/RPUSH key at 1, XGROUP CREATE at 2, the rest keyless;
 * "boom" fails. Counts the questions. */
static int table(void *ctx, const ra_respcmd *c, ra_err *err) {
    int *asked = ctx;
    (*asked)++;
    if (ra_respcmd_is(c, 0, "boom")) return ra_err_set(err, RA_E_SOURCE, "unknown command boom") - 1;
    if (ra_respcmd_is(c, 0, "set") || ra_respcmd_is(c, 0, "incr") || ra_respcmd_is(c, 0, "rpush"))
        return ra_respcmd_first_key(c, 1);
    if (ra_respcmd_is(c, 0, "xgroup") && ra_respcmd_is(c, 1, "create")) return ra_respcmd_first_key(c, 2);
    return -1;
}

static void test_unit_key(void **state) {
    (void)state;
    ra_err err = {0};
    const char *key = NULL;
    size_t key_len = 0;
    int n = 0, asked = 0;
    /* one command */
    const char *set = "*3\r\n$3\r\nset\r\n$4\r\n{t}a\r\n$1\r\nv\r\n";
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)set, strlen(set), table, &asked, &key, &key_len, &n, &err), 1);
    assert_int_equal(n, 1);
    assert_int_equal(key_len, 4);
    assert_memory_equal(key, "{t}a", 4);
    /* a MULTI block: the first keyed command's key; nothing asked after it */
    const char *tx = "*1\r\n$5\r\nMULTI\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
                     "*2\r\n$4\r\nINCR\r\n$6\r\n{t}cnt\r\n*3\r\n$5\r\nRPUSH\r\n$5\r\n{t}li\r\n$1\r\nx\r\n"
                     "*1\r\n$4\r\nboom\r\n*1\r\n$4\r\nEXEC\r\n";
    asked = 0;
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)tx, strlen(tx), table, &asked, &key, &key_len, &n, &err), 1);
    assert_int_equal(n, 6);
    assert_int_equal(asked, 3); /* MULTI, SELECT, INCR */
    assert_memory_equal(key, "{t}cnt", 6);
    assert_int_equal(ra_target_key_slot(key, key_len), ra_target_key_slot("t", 1)); /* the slot of the unit */
    /* a container: the subcommand's key */
    const char *xg = "*5\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n$2\r\nst\r\n$1\r\ng\r\n$1\r\n0\r\n";
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)xg, strlen(xg), table, &asked, &key, &key_len, &n, &err), 1);
    assert_memory_equal(key, "st", 2);
    /* keyless: FLUSHDB alone, or a block of keyless commands */
    const char *fl = "*1\r\n$7\r\nFLUSHDB\r\n";
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)fl, strlen(fl), table, &asked, &key, &key_len, &n, &err), 0);
    assert_int_equal(n, 1);
    const char *ktx = "*1\r\n$5\r\nMULTI\r\n*1\r\n$7\r\nFLUSHDB\r\n*1\r\n$4\r\nEXEC\r\n";
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)ktx, strlen(ktx), table, &asked, &key, &key_len, &n, &err), 0);
    assert_int_equal(n, 3);
    /* the table's error stops it */
    const char *boom = "*1\r\n$4\r\nboom\r\n";
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)boom, strlen(boom), table, &asked, &key, &key_len, &n, &err), -1);
    assert_string_equal(err.msg, "unknown command boom");
    /* cut at every point but the ends of commands: refused, never read past the bytes */
    size_t len = strlen(tx), ends[6], used, at = 0;
    ra_respcmd c = {0};
    for (int i = 0; i < 6; i++, at += used) {
        assert_int_equal(ra_respcmd_parse(&c, (const uint8_t *)tx + at, len - at, &used, &err), 1);
        ends[i] = at + used;
    }
    ra_respcmd_clear(&c);
    for (size_t cut = 1, e = 0; cut < len; cut++) {
        int r = ra_respcmd_unit_key((const uint8_t *)tx, cut, table, &asked, &key, &key_len, &n, &err);
        if (cut == ends[e]) {
            assert_int_equal(r, e >= 2 ? 1 : 0); /* whole commands: INCR is the third */
            assert_int_equal(n, (int)e + 1);
            e++;
        } else {
            assert_int_equal(r, -1);
            assert_int_equal(err.code, RA_E_SOURCE);
        }
    }
    /* malformed */
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)"+OK\r\n", 5, table, &asked, &key, &key_len, &n, &err), -1);
    assert_int_equal(ra_respcmd_unit_key((const uint8_t *)"", 0, table, &asked, &key, &key_len, &n, &err), 0);
    assert_int_equal(n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_every_split_is_incomplete),
        cmocka_unit_test(test_multi_block),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unit_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
