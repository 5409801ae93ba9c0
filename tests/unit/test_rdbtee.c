/* test_rdbtee.c - the reader beside a backup's sink: every byte reaches the inner sink unchanged, through
 * write and through reserve/commit (several commits per reserve), and the record gets the key counts;
 * a structure the reader does not know only leaves the counts out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/rdbtee.h"

typedef struct inner {
    uint8_t room[256];
    uint8_t got[8192];
    size_t got_len, lent;
    int begun;
} inner;

static int in_begin(void *ctx, const ra_stream_info *info, ra_err *err) {
    (void)info;
    (void)err;
    ((inner *)ctx)->begun++;
    return 0;
}

static int in_write(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    inner *s = ctx;
    memcpy(s->got + s->got_len, d, n);
    s->got_len += n;
    return 0;
}

/* lends its room from the start each time, as a part buffer does after a commit */
static int in_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    (void)err;
    inner *s = ctx;
    *room = s->room;
    *avail = sizeof(s->room);
    s->lent = 0;
    return 0;
}

static int in_commit(void *ctx, size_t n, ra_err *err) {
    (void)err;
    inner *s = ctx;
    memcpy(s->got + s->got_len, s->room + s->lent, n);
    s->got_len += n;
    s->lent += n;
    return 0;
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s (run from the repository root)", path);
    uint8_t *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void run(const uint8_t *b, size_t n, size_t step, ra_record *rec, inner *s) {
    ra_sink in = {.ctx = s, .begin = in_begin, .write = in_write, .reserve = in_reserve, .commit = in_commit};
    ra_rdbtee t;
    ra_err err = {0};
    ra_log log = ra_log_default();
    assert_int_equal(ra_rdbtee_init(&t, &in, &log, &err), 0);
    assert_int_equal(t.sink.begin(t.sink.ctx, &(ra_stream_info){0}, &err), 0);
    for (size_t at = 0; at < n;) {
        if ((at / step) % 2 == 0) { /* in place: reserve, then commits of up to step bytes */
            uint8_t *room;
            size_t avail;
            assert_int_equal(t.sink.reserve(t.sink.ctx, &room, &avail, &err), 0);
            for (size_t used = 0; used + step <= avail && at < n;) {
                size_t k = n - at < step ? n - at : step;
                memcpy(room + used, b + at, k);
                assert_int_equal(t.sink.commit(t.sink.ctx, k, &err), 0);
                used += k;
                at += k;
            }
        } else {
            size_t k = n - at < step ? n - at : step;
            assert_int_equal(t.sink.write(t.sink.ctx, b + at, k, &err), 0);
            at += k;
        }
    }
    ra_rdbtee_finish(&t, rec);
    ra_rdbtee_clear(&t);
}

static void test_counts_through_both_paths(void **state) {
    (void)state;
    size_t n;
    uint8_t *b = slurp("tests/fixtures/rdb/all.rdb", &n);
    for (size_t step = 1; step < 250; step += 37) /* <= the room lent */ {
        inner s = {0};
        ra_record rec = {0};
        run(b, n, step, &rec, &s);
        assert_int_equal(s.begun, 1);
        assert_int_equal(s.got_len, n);
        assert_memory_equal(s.got, b, n);
        assert_int_equal(rec.keys.known, 1);
        assert_int_equal(rec.keys.total, 9);
        assert_int_equal(rec.keys.expires, 3);
        assert_int_equal(rec.keys.functions, 1);
        assert_int_equal(rec.keys.ndbs, 3);
        ra_record_clear(&rec);
    }
    free(b);
}

static void test_unknown_structure_only_loses_counts(void **state) {
    (void)state;
    const uint8_t b[] = "REDIS0011\x63\x01k\x01v\xff\0\0\0\0\0\0\0\0"; /* type 0x63: from a newer Redis */
    inner s = {0};
    ra_record rec = {0};
    run(b, sizeof(b) - 1, 4, &rec, &s);
    assert_int_equal(s.got_len, sizeof(b) - 1);
    assert_int_equal(rec.keys.known, 0);
    ra_record_clear(&rec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_through_both_paths),
        cmocka_unit_test(test_unknown_structure_only_loses_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
