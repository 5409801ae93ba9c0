/* test_replresume.c - the answer to PSYNC <replid> <offset>: +CONTINUE (with and without a new
 * replication id), +FULLRESYNC, and anything else refused. The exchange itself runs against real
 * servers in tests/integration/archive.sh (the link killed mid-archive). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "source/replresume.h"

static void test_answers(void **state) {
    (void)state;
    char id[41];
    ra_err err = {0};
    assert_int_equal(ra_replresume_answer("+CONTINUE", id, &err), 1);
    assert_string_equal(id, "");
    assert_int_equal(ra_replresume_answer("+CONTINUE 58a650775053a28fd78b5d939f08372a5ec93a73", id, &err), 1);
    assert_string_equal(id, "58a650775053a28fd78b5d939f08372a5ec93a73");
    assert_int_equal(ra_replresume_answer("+FULLRESYNC 58a650775053a28fd78b5d939f08372a5ec93a73 266", id, &err), 0);
    const char *bad[] = {"+CONTINUEX", "+CONTINUE 58a6", "+CONTINUE zza650775053a28fd78b5d939f08372a5ec93a73",
                         "-NOMASTERLINK Can't SYNC while not connected with my master", "", "+OK\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ra_replresume_answer(bad[i], id, &err), -1);
        assert_int_equal(err.code, RA_E_SOURCE);
        for (const char *p = err.msg; *p; p++) assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_answers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
