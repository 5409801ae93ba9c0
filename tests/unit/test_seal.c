/* test_seal.c - the transform chain: every format (rdb, rdb.zst, rdb.age, rdb.zst.age) round-trips in
 * pieces of any size; zstd's frame magic and pledged size; a cut or corrupt zstd stream is RA_E_VERIFY;
 * format names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "transform/seal.h"
#include "transform/zstd.h"

#define IDENTITY "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
#define RECIPIENT "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static int buf_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    (void)err;
    buf *b = ctx;
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

static int feed(ra_seal *s, const uint8_t *p, size_t n, size_t step, ra_err *err) {
    ra_sink in = ra_seal_sink(s);
    for (size_t i = 0; i < n; i += step)
        if (in.write(in.ctx, p + i, n - i < step ? n - i : step, err) != 0) return -1;
    return ra_seal_finish(s, err);
}

/* Compressible text with some noise, like an RDB of small values. */
static uint8_t *sample(size_t n) {
    uint8_t *p = malloc(n);
    uint32_t seed = 1;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (i % 50 < 40) ? (uint8_t)("redis-archiver:key:"[i % 19]) : (uint8_t)(seed >> 16);
    }
    return p;
}

static void round_trip_workers(int zstd, int age, size_t n, size_t step, int workers) {
    ra_err err = {0};
    uint8_t *plain = sample(n);
    ra_age_recipient r;
    assert_int_equal(ra_age_recipient_parse(RECIPIENT, &r, &err), 0);
    ra_seal_opts o = {.compression = zstd ? RA_COMPRESSION_ZSTD : RA_COMPRESSION_NONE, .level = 3, .workers = workers,
                      .plain_size = (long long)n, .recipients = &r, .nrecipients = age ? 1 : 0};
    buf stored = {0}, back = {0};
    ra_sink to_store = {.ctx = &stored, .write = buf_write};
    ra_seal *s = ra_seal_new(&o, &to_store, &err);
    assert_non_null(s);
    assert_int_equal(feed(s, plain, n, step, &err), 0);
    ra_seal_free(s);
    if (!zstd && !age) {
        assert_int_equal(stored.n, n);
    } else if (age) {
        assert_memory_equal(stored.p, "age-encryption.org/v1\n", 22);
    } else {
        static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
        assert_memory_equal(stored.p, magic, 4);
        if (n > 10000) assert_true(stored.n < n / 2);
    }
    ra_age_identity *ids = NULL;
    size_t nids = 0;
    assert_int_equal(ra_age_identities_parse(IDENTITY, strlen(IDENTITY), "t", &ids, &nids, &err), 0);
    ra_sink to_plain = {.ctx = &back, .write = buf_write};
    ra_seal *u = ra_unseal_new(zstd, age, ids, nids, &to_plain, &err);
    ra_age_identities_free(ids, nids);
    assert_non_null(u);
    int urc = feed(u, stored.p, stored.n, step * 3 + 1, &err);
    if (urc != 0) print_error("format %d/%d size %zu step %zu: %s\n", zstd, age, n, step, err.msg);
    assert_int_equal(urc, 0);
    ra_seal_free(u);
    assert_int_equal(back.n, n);
    if (n) assert_memory_equal(back.p, plain, n);
    free(stored.p);
    free(back.p);
    free(plain);
}

static void round_trip(int zstd, int age, size_t n, size_t step) { round_trip_workers(zstd, age, n, step, 0); }

/* zstd's worker threads make the same standard frame. */
static void test_threads(void **state) {
    (void)state;
    round_trip_workers(1, 0, 3000000, 100000, 2);
    round_trip_workers(1, 1, 3000000, 65536, 1);
    round_trip_workers(1, 0, 10, 1, 1);
}

static void test_every_format_round_trips(void **state) {
    (void)state;
    size_t sizes[] = {1, 1000, 65536, 300000};
    size_t steps[] = {1, 4096, 1 << 20};
    for (int z = 0; z < 2; z++)
        for (int a = 0; a < 2; a++)
            for (size_t i = 0; i < 4; i++)
                for (size_t k = 0; k < 3; k++)
                    if (steps[k] > 1 || sizes[i] <= 65536) round_trip(z, a, sizes[i], steps[k]);
}

static void test_zstd_damage_is_verify(void **state) {
    (void)state;
    ra_err err = {0};
    uint8_t *plain = sample(100000);
    buf z = {0};
    ra_sink to = {.ctx = &z, .write = buf_write};
    ra_zstd *c = ra_zstd_compressor_new(1, 0, -1, &to, &err);
    ra_sink in = ra_zstd_sink(c);
    assert_int_equal(in.write(in.ctx, plain, 100000, &err), 0);
    assert_int_equal(ra_zstd_finish(c, &err), 0);
    ra_zstd_free(c);
    /* cut short: the decompressor says so at finish */
    buf out = {0};
    ra_sink to_out = {.ctx = &out, .write = buf_write};
    ra_zstd *d = ra_zstd_decompressor_new(&to_out, &err);
    in = ra_zstd_sink(d);
    assert_int_equal(in.write(in.ctx, z.p, z.n - 5, &err), 0);
    assert_int_equal(ra_zstd_finish(d, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    ra_zstd_free(d);
    /* a flipped byte in the data: the frame checksum or the decoder catches it */
    z.p[z.n / 2] ^= 0x10;
    out.n = 0;
    d = ra_zstd_decompressor_new(&to_out, &err);
    in = ra_zstd_sink(d);
    int rc = in.write(in.ctx, z.p, z.n, &err);
    if (rc == 0) rc = ra_zstd_finish(d, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    ra_zstd_free(d);
    /* no input at all is no zstd stream */
    d = ra_zstd_decompressor_new(&to_out, &err);
    assert_int_equal(ra_zstd_finish(d, &err), -1);
    ra_zstd_free(d);
    assert_null(ra_zstd_compressor_new(0, 0, -1, &to, &err));
    assert_int_equal(err.code, RA_E_USAGE);
    free(z.p);
    free(out.p);
    free(plain);
}

static void test_format_names(void **state) {
    (void)state;
    assert_string_equal(ra_seal_format(0, 0), "rdb");
    assert_string_equal(ra_seal_format(1, 0), "rdb.zst");
    assert_string_equal(ra_seal_format(0, 1), "rdb.age");
    assert_string_equal(ra_seal_format(1, 1), "rdb.zst.age");
    int z = -1, a = -1;
    assert_int_equal(ra_seal_format_parse(NULL, &z, &a), 0);
    assert_true(z == 0 && a == 0);
    assert_int_equal(ra_seal_format_parse("rdb.zst.age", &z, &a), 0);
    assert_true(z == 1 && a == 1);
    assert_int_equal(ra_seal_format_parse("rdb.age.zst", &z, &a), -1);
    assert_int_equal(ra_seal_format_parse("../x", &z, &a), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format_round_trips),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_zstd_damage_is_verify),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
