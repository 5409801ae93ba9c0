/* test_rdb.c - streaming RDB verifier: a small RDB built here, every split, every flipped byte,
 * every truncation, checksum-disabled and Valkey headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/crc64.h"
#include "source/rdb.h"

typedef struct rdbfile {
    uint8_t b[256];
    size_t len;
} rdbfile;

static void put(rdbfile *f, const void *p, size_t n) {
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

/* REDIS0010, an aux field, SELECTDB 0, RESIZEDB, one string key, EOF, then the CRC-64 LE
 * (as rdbSaveRio writes it). crc_override != 1 replaces the trailer (0 = checksum disabled). */
static void build(rdbfile *f, const char *magic, uint64_t crc_override) {
    memset(f, 0, sizeof(*f));
    put(f, magic, 9);
    put(f, "\xfa\x09redis-ver\x06" "7.0.15", 17);
    put(f, "\xfe\x00\xfb\x01\x00", 5);
    put(f, "\x00\x03key\x05value", 11);
    put(f, "\xff", 1);
    uint64_t crc = crc_override == 1 ? ra_crc64(0, f->b, f->len) : crc_override;
    for (int i = 0; i < 8; i++) f->b[f->len++] = (uint8_t)(crc >> (8 * i));
}

/* Feed in pieces (cut at a and b), return finish's result; feed errors count as failure. */
static int verify(const uint8_t *p, size_t n, size_t a, size_t b, ra_rdb *r, ra_err *err) {
    ra_rdb_init(r);
    if (a > n) a = n;
    if (b > n) b = n;
    if (b < a) b = a;
    if (ra_rdb_feed(r, p, a, err) < 0) return -1;
    if (ra_rdb_feed(r, p + a, b - a, err) < 0) return -1;
    if (ra_rdb_feed(r, p + b, n - b, err) < 0) return -1;
    return ra_rdb_finish(r, err);
}

static void test_valid_every_split(void **state) {
    (void)state;
    rdbfile f;
    build(&f, "REDIS0010", 1);
    uint64_t want = ra_crc64(0, f.b, f.len - 8);
    for (size_t a = 0; a <= f.len; a++)
        for (size_t b = a; b <= f.len; b++) {
            ra_rdb r;
            ra_err err = {0};
            if (verify(f.b, f.len, a, b, &r, &err) != 0) fail_msg("split %zu/%zu: %s", a, b, err.msg);
            assert_true(r.crc == want);
            assert_true(r.stored_crc == want);
            assert_int_equal(r.total, f.len);
            assert_int_equal(r.version, 10);
            assert_int_equal(r.checksum_disabled, 0);
        }
}

static void test_flipped_byte_anywhere(void **state) {
    (void)state;
    rdbfile f;
    build(&f, "REDIS0010", 1);
    for (size_t i = 0; i < f.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            rdbfile g = f;
            g.b[i] ^= (uint8_t)(1u << bit);
            ra_rdb r;
            ra_err err = {0};
            assert_int_equal(verify(g.b, g.len, i / 2, i + 1, &r, &err), -1);
            assert_int_equal(err.code, RA_E_VERIFY);
            if (i < 9) /* a digit may flip into another digit: then the crc catches it */
                assert_true(strstr(err.msg, "not an rdb") != NULL ||
                            strstr(err.msg, "rdb checksum mismatch") != NULL);
            else if (i == f.len - 9) assert_non_null(strstr(err.msg, "no eof opcode"));
            else assert_non_null(strstr(err.msg, "rdb checksum mismatch: stored "));
        }
}

static void test_truncated_every_length(void **state) {
    (void)state;
    rdbfile f;
    build(&f, "REDIS0010", 1);
    for (size_t n = 0; n < f.len; n++) {
        ra_rdb r;
        ra_err err = {0};
        assert_int_equal(verify(f.b, n, n / 3, n / 2, &r, &err), -1);
        assert_int_equal(err.code, RA_E_VERIFY);
        if (n >= 9 && strstr(err.msg, "rdb truncated: ") == NULL &&
            strstr(err.msg, "rdb checksum mismatch") == NULL)
            fail_msg("length %zu: unexpected message '%s'", n, err.msg);
    }
}

static void test_message_shape(void **state) {
    (void)state;
    rdbfile f;
    build(&f, "REDIS0010", 0x1122334455667788ULL);
    ra_rdb r;
    ra_err err = {0};
    assert_int_equal(verify(f.b, f.len, 0, 0, &r, &err), -1);
    char want[128];
    snprintf(want, sizeof(want), "rdb checksum mismatch: stored 1122334455667788 computed %016llx",
             (unsigned long long)ra_crc64(0, f.b, f.len - 8));
    assert_string_equal(err.msg, want);
}

static void test_checksum_disabled(void **state) {
    (void)state;
    rdbfile f;
    build(&f, "REDIS0009", 0);
    ra_rdb r;
    ra_err err = {0};
    assert_int_equal(verify(f.b, f.len, 3, 20, &r, &err), 0);
    assert_int_equal(r.checksum_disabled, 1);
    assert_true(r.stored_crc == 0);
    assert_int_equal(r.version, 9);
    /* disabled checksum still needs the EOF opcode */
    f.b[f.len - 9] = 0x00;
    assert_int_equal(verify(f.b, f.len, 3, 20, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no eof opcode"));
}

static void test_valkey_and_versions(void **state) {
    (void)state;
    static const struct {
        const char *magic;
        int ok;
        int version;
        int valkey;
    } cases[] = {
        {"VALKEY080", 1, 80, 1}, {"REDIS0012", 1, 12, 0}, {"REDIS0006", 1, 6, 0},
        {"REDIS0004", 0, 0, 0},  {"REDIX0010", 0, 0, 0},  {"REDIS001a", 0, 0, 0},
        {"VALKEY08x", 0, 0, 0},  {"\0\0\0\0\0\0\0\0\0", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rdbfile f;
        build(&f, cases[i].magic, 1);
        ra_rdb r;
        ra_err err = {0};
        int rc = verify(f.b, f.len, 4, 10, &r, &err);
        assert_int_equal(rc, cases[i].ok ? 0 : -1);
        if (cases[i].ok) {
            assert_int_equal(r.version, cases[i].version);
            assert_int_equal(r.valkey, cases[i].valkey);
        } else {
            assert_int_equal(err.code, RA_E_VERIFY);
            assert_non_null(strstr(err.msg, "not an rdb"));
        }
    }
}

/* A bad magic is reported by feed as soon as 9 bytes are in, not only at the end. */
static void test_bad_magic_fails_early(void **state) {
    (void)state;
    ra_rdb r;
    ra_err err = {0};
    ra_rdb_init(&r);
    assert_int_equal(ra_rdb_feed(&r, "<html>", 6, &err), 0);
    assert_int_equal(ra_rdb_feed(&r, "<body>", 6, &err), -1);
    assert_string_equal(err.msg, "not an rdb: bad magic '<html><bo'");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_every_split),
        cmocka_unit_test(test_flipped_byte_anywhere),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_message_shape),
        cmocka_unit_test(test_checksum_disabled),
        cmocka_unit_test(test_valkey_and_versions),
        cmocka_unit_test(test_bad_magic_fails_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
