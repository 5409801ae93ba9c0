/* test_replstream.c - the replication stream scanner on a recorded stream (Redis 7.0 replica,
 * notes/redis-replication.md §1.5 plus a MULTI/EXEC and a GETACK): commands, names, exact offsets,
 * at every split point; keep-alives counted; malformed streams refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "source/replstream.h"

static const char STREAM[] =
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
    "*3\r\n$3\r\nset\r\n$9\r\nprobe:key\r\n$5\r\nhello\r\n"
    "*1\r\n$4\r\nping\r\n"
    "\n"
    "*1\r\n$5\r\nMULTI\r\n*3\r\n$4\r\nincr\r\n$1\r\nx\r\n$0\r\n\r\n*1\r\n$4\r\nEXEC\r\n"
    "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

typedef struct seen {
    ra_replcmd cmd[16];
    int n;
} seen;

static int collect(void *ctx, const ra_replcmd *c, ra_err *err) {
    (void)err;
    seen *s = ctx;
    if (s->n < 16) s->cmd[s->n] = *c;
    s->n++;
    return 0;
}

static void check(const seen *s, long long base) {
    assert_int_equal(s->n, 7);
    const char *names[] = {"select", "set", "ping", "multi", "incr", "exec", "replconf"};
    for (int i = 0; i < 7; i++) assert_string_equal(s->cmd[i].name, names[i]);
    assert_string_equal(s->cmd[0].arg1, "0");
    assert_string_equal(s->cmd[1].arg1, "probe:key");
    assert_string_equal(s->cmd[6].arg1, "getack");
    assert_int_equal(s->cmd[0].start, base);
    assert_int_equal(s->cmd[0].end, base + 23);
    assert_int_equal(s->cmd[1].start, base + 23);
    assert_int_equal(s->cmd[3].start, s->cmd[2].end + 1); /* the keep-alive counts */
    assert_int_equal(s->cmd[4].argc, 3);
    assert_int_equal(s->cmd[6].end, base + (long long)sizeof(STREAM) - 1);
    for (int i = 1; i < 7; i++) assert_true(s->cmd[i].start >= s->cmd[i - 1].end);
}

static void test_whole(void **state) {
    (void)state;
    ra_replstream rs;
    ra_replstream_init(&rs, 1000);
    seen s = {0};
    ra_err err = {0};
    assert_int_equal(ra_replstream_feed(&rs, (const uint8_t *)STREAM, sizeof(STREAM) - 1, collect, &s, &err), 0);
    check(&s, 1000);
    assert_int_equal(rs.offset, 1000 + (long long)sizeof(STREAM) - 1);
    assert_int_equal(rs.boundary, rs.offset);
    assert_int_equal(ra_replstream_partial(&rs), 0);
}

static void test_every_split(void **state) {
    (void)state;
    size_t n = sizeof(STREAM) - 1;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b += 7) {
            ra_replstream rs;
            ra_replstream_init(&rs, 5);
            seen s = {0};
            ra_err err = {0};
            const uint8_t *d = (const uint8_t *)STREAM;
            assert_int_equal(ra_replstream_feed(&rs, d, a, collect, &s, &err), 0);
            assert_true(rs.boundary <= rs.offset);
            assert_int_equal(rs.offset, 5 + (long long)a);
            assert_int_equal(ra_replstream_feed(&rs, d + a, b - a, collect, &s, &err), 0);
            assert_int_equal(ra_replstream_feed(&rs, d + b, n - b, collect, &s, &err), 0);
            check(&s, 5);
        }
    }
}

static void test_partial(void **state) {
    (void)state;
    ra_replstream rs;
    ra_replstream_init(&rs, 0);
    seen s = {0};
    ra_err err = {0};
    assert_int_equal(ra_replstream_feed(&rs, (const uint8_t *)STREAM, 30, collect, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(rs.boundary, 23);
    assert_int_equal(ra_replstream_partial(&rs), 1);
}

static void test_bad(void **state) {
    (void)state;
    const char *bad[] = {"+OK\r\n", "*0\r\n", "*1\r\n:1\r\n", "*1\r\n$2\r\nabc\r\n", "*x\r\n", "*1\r\n$-1\r\n",
                         "*1\n$1\r\na\r\n", "*99999999999999999999\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ra_replstream rs;
        ra_replstream_init(&rs, 0);
        ra_err err = {0};
        assert_int_equal(ra_replstream_feed(&rs, (const uint8_t *)bad[i], strlen(bad[i]), NULL, NULL, &err), -1);
        assert_int_equal(err.code, RA_E_SOURCE);
        assert_non_null(strstr(err.msg, "replication stream"));
        assert_int_equal(ra_replstream_feed(&rs, (const uint8_t *)"\n", 1, NULL, NULL, &err), -1);
    }
}

static int stop_at_ping(void *ctx, const ra_replcmd *c, ra_err *err) {
    (void)ctx;
    if (strcmp(c->name, "ping") == 0) return ra_err_set(err, RA_E_INTERNAL, "stop");
    return 0;
}

static void test_cb_stops(void **state) {
    (void)state;
    ra_replstream rs;
    ra_replstream_init(&rs, 0);
    ra_err err = {0};
    assert_int_equal(ra_replstream_feed(&rs, (const uint8_t *)STREAM, sizeof(STREAM) - 1, stop_at_ping, NULL, &err), -1);
    assert_int_equal(err.code, RA_E_INTERNAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),     cmocka_unit_test(test_every_split), cmocka_unit_test(test_partial),
        cmocka_unit_test(test_bad),       cmocka_unit_test(test_cb_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
