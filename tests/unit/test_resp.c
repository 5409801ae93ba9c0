/* test_resp.c - RESP replies parsed into ra_resp_reply trees: types, nesting, limits, and server
 * text made printable. The reads over a connection are in test_replica.c (scripted server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "source/resp.h"

static ra_resp_reply *parse(const char *text, ra_err *err) { return ra_resp_parse(text, strlen(text), err); }

static void test_types(void **state) {
    (void)state;
    ra_err err = {0};
    ra_resp_reply *r = parse("*5\r\n$3\r\na\0b\r\n:-42\r\n$-1\r\n+OK\r\n*1\r\n-ERR x\r\n", &err);
    assert_null(r); /* strlen stops at the NUL: incomplete */
    static const char text[] = "*5\r\n$3\r\na\0b\r\n:-42\r\n$-1\r\n+OK\r\n*1\r\n-ERR x\r\n";
    r = ra_resp_parse(text, sizeof(text) - 1, &err);
    if (r == NULL) fail_msg("%s", err.msg);
    assert_int_equal(r->type, RA_RESP_ARRAY);
    assert_int_equal(r->elements, 5);
    assert_int_equal(r->element[0]->type, RA_RESP_STRING);
    assert_int_equal(r->element[0]->len, 3);
    assert_memory_equal(r->element[0]->str, "a\0b", 3); /* bulk strings stay binary */
    assert_int_equal(r->element[1]->type, RA_RESP_INTEGER);
    assert_int_equal(r->element[1]->integer, -42);
    assert_int_equal(r->element[2]->type, RA_RESP_NIL);
    assert_int_equal(r->element[3]->type, RA_RESP_STATUS);
    assert_string_equal(r->element[3]->str, "OK");
    assert_int_equal(r->element[4]->element[0]->type, RA_RESP_ERROR);
    assert_string_equal(r->element[4]->element[0]->str, "ERR x");
    ra_resp_reply_free(r);
    ra_resp_reply_free(NULL);
}

static void test_printable(void **state) {
    (void)state;
    ra_err err = {0};
    ra_resp_reply *r = parse("-ERR \x1b[2J\x07\xff\xc3\xa9 ok\r\n", &err);
    assert_non_null(r);
    assert_string_equal(r->str, "ERR ?[2J???? ok");
    ra_resp_reply_free(r);
    r = parse("+\x1b]0;title\x07\r\n", &err);
    assert_string_equal(r->str, "?]0;title?");
    ra_resp_reply_free(r);
    char out[8];
    ra_resp_printable(out, sizeof(out), "abc\tdefghij", 11);
    assert_string_equal(out, "abc?def");
    char v[32];
    assert_int_equal(ra_resp_info_field("# Server\r\nredis_version:7.\x1b[1m0\r\nx:1\r\n", "redis_version", v, sizeof(v)), 0);
    assert_string_equal(v, "7.?[1m0");
    assert_int_equal(ra_resp_info_field("a:1\r\n", "b", v, sizeof(v)), -1);
}

static void test_limits(void **state) {
    (void)state;
    ra_err err = {0};
    char text[64];
    snprintf(text, sizeof(text), "*%d\r\n", RA_RESP_ELEMENTS_MAX + 1);
    assert_null(parse(text, &err));
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "array of 4097 elements (the limit is 4096)"));
    snprintf(text, sizeof(text), "*1\r\n*-5\r\n");
    assert_null(parse(text, &err));
    /* depth: hiredis stops at 7 levels */
    assert_null(parse("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", &err));
    assert_int_equal(err.code, RA_E_SOURCE);
    /* a string over the bulk limit is refused once it is whole */
    static char big[RA_RESP_BULK_MAX + 64];
    int n = snprintf(big, sizeof(big), "$%d\r\n", RA_RESP_BULK_MAX + 1);
    memset(big + n, 'x', RA_RESP_BULK_MAX + 1);
    memcpy(big + n + RA_RESP_BULK_MAX + 1, "\r\n", 2);
    assert_null(ra_resp_parse(big, (size_t)n + RA_RESP_BULK_MAX + 3, &err));
    assert_non_null(strstr(err.msg, "string of 4194305 bytes"));
    /* garbage */
    assert_null(parse("?what\r\n", &err));
    assert_int_equal(err.code, RA_E_SOURCE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_printable),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
