/* test_target.c - the restore target's pure parts: which RDB version a server loads, from what INFO
 * says of its version; and the RESP a pipelined command is queued as (resp.c, binary-safe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "source/resp.h"
#include "source/target.h"

static void test_rdb_version_of(void **state) {
    (void)state;
    assert_int_equal(ra_target_rdb_version_of("5.0.14", ""), 9);
    assert_int_equal(ra_target_rdb_version_of("6.0.20", NULL), 9);
    assert_int_equal(ra_target_rdb_version_of("6.2.14", ""), 9);
    assert_int_equal(ra_target_rdb_version_of("7.0.15", ""), 10);
    assert_int_equal(ra_target_rdb_version_of("7.2.5", ""), 11);
    assert_int_equal(ra_target_rdb_version_of("7.4.1", ""), 12);
    assert_int_equal(ra_target_rdb_version_of("8.0.2", ""), 12);
    assert_int_equal(ra_target_rdb_version_of("7.2.4", "8.0.1"), 11); /* Valkey says both */
    assert_int_equal(ra_target_rdb_version_of("7.2.4", "9.0.0"), 80);
    assert_int_equal(ra_target_rdb_version_of("", ""), 0);
    assert_int_equal(ra_target_rdb_version_of(NULL, NULL), 0);
}

static void test_key_slot(void **state) {
    (void)state;
    assert_int_equal(ra_target_key_slot("foo", 3), 12182); /* CLUSTER KEYSLOT foo */
    assert_int_equal(ra_target_key_slot("bar", 3), 5061);
    assert_int_equal(ra_target_key_slot("{foo}.x", 7), 12182); /* the hash tag */
    assert_int_equal(ra_target_key_slot("x{foo}y{bar}", 12), 12182); /* the first one */
    assert_int_equal(ra_target_key_slot("{}foo", 5), ra_target_key_slot("{}foo", 5)); /* empty tag: whole key */
    assert_true(ra_target_key_slot("{}foo", 5) != ra_target_key_slot("foo", 3));
    assert_int_equal(ra_target_key_slot("{foo", 4), ra_target_key_slot("{foo", 4));
}

static void test_append_is_binary_safe(void **state) {
    (void)state;
    ra_resp *p = ra_resp_new(NULL); /* nothing is sent: only queued */
    assert_non_null(p);
    ra_err err = {0};
    const char *argv[3] = {"RESTORE", "k\0y", "\r\n\0"};
    size_t lens[3] = {7, 3, 3};
    assert_int_equal(ra_resp_append(p, 3, argv, lens, &err), 0);
    /* *3 $7 RESTORE $3 k\0y $3 \r\n\0 */
    assert_int_equal(ra_resp_pending_bytes(p), 4 + 4 + 9 + 4 + 5 + 4 + 5);
    assert_int_equal(ra_resp_append(p, 3, argv, lens, &err), 0);
    assert_int_equal(ra_resp_pending_bytes(p), 2 * 35);
    ra_resp_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdb_version_of),
        cmocka_unit_test(test_key_slot),
        cmocka_unit_test(test_append_is_binary_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
