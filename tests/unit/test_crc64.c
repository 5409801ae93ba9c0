/* test_crc64.c - CRC-64/Jones: check value, table against the bitwise definition, incremental use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/crc64.h"

/* The definition: reflected poly 0x95ac9329ac4bc9b5, init 0, no final xor, one bit at a time. */
static uint64_t crc64_bitwise(uint64_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
}

static void fill(uint8_t *b, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void test_check_value(void **state) {
    (void)state;
    assert_true(ra_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    assert_true(ra_crc64(0, "", 0) == 0);
    assert_true(ra_crc64(0x1234, NULL, 0) == 0x1234);
    /* Redis's own self-test string (crc64.c, REDIS_TEST) */
    const char *li = "This is a test of the emergency broadcast system.";
    assert_true(ra_crc64(0, li, strlen(li)) == crc64_bitwise(0, (const uint8_t *)li, strlen(li)));
}

/* Every length 0..300 (all tails and several 16-byte blocks) against the bitwise form: this
 * exercises all 16 tables. */
static void test_matches_bitwise(void **state) {
    (void)state;
    uint8_t b[300];
    fill(b, sizeof(b), 7);
    for (size_t n = 0; n <= sizeof(b); n++)
        assert_true(ra_crc64(0, b, n) == crc64_bitwise(0, b, n));
    for (int v = 0; v < 256; v++) { /* each single byte = table 0 entry */
        uint8_t c = (uint8_t)v;
        assert_true(ra_crc64(0, &c, 1) == crc64_bitwise(0, &c, 1));
    }
}

static void test_incremental_every_split(void **state) {
    (void)state;
    uint8_t b[1000];
    fill(b, sizeof(b), 42);
    uint64_t whole = ra_crc64(0, b, sizeof(b));
    for (size_t s = 0; s <= sizeof(b); s++)
        assert_true(ra_crc64(ra_crc64(0, b, s), b + s, sizeof(b) - s) == whole);
    /* three pieces, unaligned start */
    for (size_t s = 1; s < 40; s++)
        assert_true(ra_crc64(ra_crc64(ra_crc64(0, b, s), b + s, 333), b + s + 333,
                             sizeof(b) - s - 333) == whole);
}

/* The PCLMULQDQ path (inputs >= 128 bytes) against the table path: every length up to 1100, odd
 * starting addresses, non-zero incoming crc. On CPUs without it both are the table path. */
static void test_fast_path_matches_table(void **state) {
    (void)state;
    static uint8_t b[1200];
    fill(b, sizeof(b), 5);
    for (size_t n = 0; n <= 1100; n++)
        for (size_t off = 0; off < 4; off++) {
            uint64_t seed = n * 0x9e3779b97f4a7c15ULL;
            assert_true(ra_crc64(seed, b + off, n) == ra_crc64_table(seed, b + off, n));
        }
    assert_true(ra_crc64(0, b, 1024) == crc64_bitwise(0, b, 1024));
    static uint8_t big[1 << 20];
    fill(big, sizeof(big), 77);
    assert_true(ra_crc64(0, big, sizeof(big)) == ra_crc64_table(0, big, sizeof(big)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_matches_bitwise),
        cmocka_unit_test(test_incremental_every_split),
        cmocka_unit_test(test_fast_path_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
