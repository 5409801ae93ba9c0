/* test_crc32c.c - CRC-32C: RFC 3720 (iSCSI) vectors, the check value, the S3 header form, the
 * tables against the bitwise definition, and the SSE4.2 path against the table one over every
 * length, alignment and split that reaches its three-stream blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "common/crc32c.h"

/* The definition: reflected poly 0x82f63b78, init and final xor 0xffffffff, one bit at a time. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

static void fill(uint8_t *b, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

/* RFC 3720, appendix B.4 (the CRC is sent little-endian there: "aa 36 91 8a" is 0x8a9136aa) */
static void test_rfc3720(void **state) {
    (void)state;
    uint8_t b[48];
    memset(b, 0, 32);
    assert_true(ra_crc32c(0, b, 32) == 0x8a9136aau);
    assert_true(ra_crc32c_table(0, b, 32) == 0x8a9136aau);
    memset(b, 0xff, 32);
    assert_true(ra_crc32c(0, b, 32) == 0x62a8ab43u);
    assert_true(ra_crc32c_table(0, b, 32) == 0x62a8ab43u);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
    assert_true(ra_crc32c(0, b, 32) == 0x46dd794eu);
    assert_true(ra_crc32c_table(0, b, 32) == 0x46dd794eu);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)(31 - i);
    assert_true(ra_crc32c(0, b, 32) == 0x113fdb5cu);
    assert_true(ra_crc32c_table(0, b, 32) == 0x113fdb5cu);
    /* an iSCSI SCSI Read (10) command PDU */
    static const uint8_t pdu[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                                    0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_true(ra_crc32c(0, pdu, sizeof(pdu)) == 0xd9963a56u);
    assert_true(ra_crc32c_table(0, pdu, sizeof(pdu)) == 0xd9963a56u);
}

static void test_check_value_and_base64(void **state) {
    (void)state;
    char b64[RA_CRC32C_BASE64_LEN];
    assert_true(ra_crc32c(0, "123456789", 9) == 0xe3069283u);
    assert_true(ra_crc32c(0, "", 0) == 0);
    assert_true(ra_crc32c(0x1234, NULL, 0) == 0x1234);
    ra_crc32c_base64(0xe3069283u, b64); /* big-endian bytes e3 06 92 83 */
    assert_string_equal(b64, "4waSgw==");
    ra_crc32c_base64(0, b64);
    assert_string_equal(b64, "AAAAAA==");
    /* what AWS answers for an empty part */
    ra_crc32c_base64(ra_crc32c(0, "", 0), b64);
    assert_string_equal(b64, "AAAAAA==");
}

static void test_table_matches_bitwise(void **state) {
    (void)state;
    uint8_t b[300];
    fill(b, sizeof(b), 7);
    for (size_t n = 0; n <= sizeof(b); n++) {
        assert_true(ra_crc32c_table(0, b, n) == crc32c_bitwise(0, b, n));
        assert_true(ra_crc32c(0, b, n) == crc32c_bitwise(0, b, n));
    }
    for (int v = 0; v < 256; v++) {
        uint8_t c = (uint8_t)v;
        assert_true(ra_crc32c_table(0, &c, 1) == crc32c_bitwise(0, &c, 1));
    }
}

/* Differential: the fast path against the table over lengths around the 3 x 256 and 3 x 8192
 * blocks, every start alignment, and random splits (incremental use). */
static void test_fast_matches_table(void **state) {
    (void)state;
    size_t cap = 3 * 8192 * 2 + 4096;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    fill(b, cap, 99);
    static const size_t lens[] = {0, 1, 7, 8, 9, 767, 768, 769, 1535, 1536, 1543, 24575, 24576, 24577, 24576 + 768,
                                  49151, 49152, 49159, 50000};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        for (size_t off = 0; off < 8; off++) {
            assert_true(lens[i] + off <= cap);
            uint32_t want = ra_crc32c_table(0, b + off, lens[i]);
            assert_true(ra_crc32c(0, b + off, lens[i]) == want);
            assert_true(ra_crc32c(0x9e3779b9u, b + off, lens[i]) == ra_crc32c_table(0x9e3779b9u, b + off, lens[i]));
        }
    uint32_t whole = ra_crc32c_table(0, b, cap);
    uint32_t seed = 5;
    for (int round = 0; round < 200; round++) {
        uint32_t c = 0;
        size_t pos = 0;
        while (pos < cap) {
            seed = seed * 1103515245u + 12345u;
            size_t n = (seed >> 8) % 30000;
            if (n > cap - pos) n = cap - pos;
            c = ra_crc32c(c, b + pos, n);
            pos += n;
        }
        assert_true(c == whole);
    }
    free(b);
}

static void test_hw_reported(void **state) {
    (void)state;
#if defined(__x86_64__)
    /* the project's machines have SSE4.2 (cpu-floors.md); a CPU without it still passes above */
    assert_true(ra_crc32c_hw() == 0 || ra_crc32c_hw() == 1);
#else
    assert_int_equal(ra_crc32c_hw(), 0);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3720),
        cmocka_unit_test(test_check_value_and_base64),
        cmocka_unit_test(test_table_matches_bitwise),
        cmocka_unit_test(test_fast_matches_table),
        cmocka_unit_test(test_hw_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
