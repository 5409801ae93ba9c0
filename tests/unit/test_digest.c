/* test_digest.c - SHA-256, HMAC-SHA256, MD5 and base64 against published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/digest.h"

static void test_sha256(void **state) {
    (void)state;
    char h[RA_SHA256_HEX_LEN];
    assert_int_equal(ra_sha256_hex(NULL, 0, h), 0);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(ra_sha256_hex("abc", 3, h), 0);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hmac_rfc4231(void **state) {
    (void)state;
    /* RFC 4231 test case 2 */
    unsigned char out[RA_SHA256_LEN];
    char hex[2 * RA_SHA256_LEN + 1];
    const char *msg = "what do ya want for nothing?";
    assert_int_equal(ra_hmac_sha256("Jefe", 4, msg, strlen(msg), out), 0);
    ra_hex(out, sizeof(out), hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_md5_and_base64(void **state) {
    (void)state;
    char b[RA_MD5_BASE64_LEN];
    assert_int_equal(ra_md5_base64("", 0, b), 0);
    assert_string_equal(b, "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_int_equal(ra_md5_base64("hello", 5, b), 0);
    assert_string_equal(b, "XUFAKrxLKna5cZ2REBfFkg==");
    /* RFC 4648 section 10 */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char o[16];
        ra_base64((const unsigned char *)in[i], strlen(in[i]), o);
        assert_string_equal(o, want[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_md5_and_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
