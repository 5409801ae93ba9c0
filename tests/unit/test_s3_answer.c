/* test_s3_answer.c - what S3 answers mean to the retry engine (answer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storage/s3/answer.h"

static void test_codes(void **state) {
    (void)state;
    assert_true(ra_s3_code_retriable("SlowDown"));
    assert_true(ra_s3_code_retriable("InternalError"));
    assert_false(ra_s3_code_retriable("NotImplemented")); /* a store without the call: the same every time */
    assert_false(ra_s3_code_retriable("AccessDenied"));
    assert_true(ra_s3_code_throttle("SlowDown"));
    assert_true(ra_s3_code_throttle("RequestLimitExceeded"));
    assert_false(ra_s3_code_throttle("InternalError"));
    assert_true(ra_s3_code_expired("ExpiredToken"));
    assert_false(ra_s3_code_expired("InvalidToken"));
    assert_true(ra_s3_code_credentials("SignatureDoesNotMatch"));
    assert_true(ra_s3_code_credentials("")); /* a HEAD's 403 has no body */
    assert_false(ra_s3_code_credentials("AccessDenied")); /* signed right: a missing permission */
    assert_string_equal(ra_s3_reason(501), "Not Implemented");
    assert_string_equal(ra_s3_reason(299), "error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
