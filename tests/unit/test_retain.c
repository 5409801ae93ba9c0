/* test_retain.c - retention verdicts: the newest N succeeded and pinned backups survive any age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "command/retain.h"
#include "common/limits.h"

#define DAY 86400
static ra_record R(ra_state s, time_t started, int keep) {
    ra_record r;
    memset(&r, 0, sizeof(r));
    r.state = s;
    r.started = started;
    r.keep = keep;
    return r;
}

static void test_decide(void **state) {
    (void)state;
    time_t now = 1000 * DAY;
    /* newest first: backups have been failing for 30 days; before that, 5 successes and a pinned one */
    ra_record recs[] = {
        R(RA_STATE_RUNNING, now - 10, 0),
        R(RA_STATE_FAILED, now - 1 * DAY, 0),       /* young failure */
        R(RA_STATE_FAILED, now - 20 * DAY, 0),      /* old failure: expires */
        R(RA_STATE_SUCCEEDED, now - 30 * DAY, 0),   /* newest 3 succeeded ... */
        R(RA_STATE_CANCELLED, now - 31 * DAY, 0),
        R(RA_STATE_SUCCEEDED, now - 32 * DAY, 0),
        R(RA_STATE_SUCCEEDED, now - 33 * DAY, 0),   /* ... up to here */
        R(RA_STATE_SUCCEEDED, now - 34 * DAY, 0),   /* expires */
        R(RA_STATE_SUCCEEDED, now - 90 * DAY, 1),   /* pinned */
        R(RA_STATE_SUCCEEDED, now - 91 * DAY, 0),   /* expires */
    };
    size_t n = sizeof(recs) / sizeof(recs[0]);
    ra_retain out[10];
    ra_retain_decide(recs, n, now - 7 * DAY, 3, out);
    ra_retain want[] = {RA_RETAIN_RUNNING, RA_RETAIN_YOUNG, RA_RETAIN_EXPIRE, RA_RETAIN_NEWEST, RA_RETAIN_EXPIRE,
                        RA_RETAIN_NEWEST, RA_RETAIN_NEWEST, RA_RETAIN_EXPIRE, RA_RETAIN_PINNED, RA_RETAIN_EXPIRE};
    for (size_t i = 0; i < n; i++) assert_int_equal(out[i], want[i]);

    /* keep_last 0: age alone, but pins still hold */
    ra_retain_decide(recs, n, now - 7 * DAY, 0, out);
    assert_int_equal(out[3], RA_RETAIN_EXPIRE);
    assert_int_equal(out[8], RA_RETAIN_PINNED);
    /* a young success counts towards the newest N */
    ra_record young[] = {R(RA_STATE_SUCCEEDED, now - DAY, 0), R(RA_STATE_SUCCEEDED, now - 40 * DAY, 0),
                         R(RA_STATE_SUCCEEDED, now - 41 * DAY, 0)};
    ra_retain_decide(young, 3, now - 7 * DAY, 2, out);
    assert_int_equal(out[0], RA_RETAIN_NEWEST);
    assert_int_equal(out[1], RA_RETAIN_NEWEST);
    assert_int_equal(out[2], RA_RETAIN_EXPIRE);

    assert_int_equal(ra_retain_newest_succeeded(recs, n), 3);
    assert_int_equal(ra_retain_newest_succeeded(recs, 3), -1);
    assert_string_equal(ra_retain_reason(RA_RETAIN_PINNED), "pinned");
}

/* the tags: whatever is not kept by count or pin is tagged expire now, whatever its age (the rule waits
 * for the age); running ones are left alone; a record without a start stays keep */
static void test_tags(void **state) {
    (void)state;
    time_t now = 1000 * DAY;
    ra_record recs[] = {
        R(RA_STATE_RUNNING, now - 10, 0),
        R(RA_STATE_FAILED, now - 1 * DAY, 0),
        R(RA_STATE_SUCCEEDED, now - 2 * DAY, 0),
        R(RA_STATE_SUCCEEDED, now - 3 * DAY, 0),
        R(RA_STATE_SUCCEEDED, now - 4 * DAY, 0),   /* young, but not among the newest 2: expire */
        R(RA_STATE_SUCCEEDED, now - 40 * DAY, 1),  /* pinned */
        R(RA_STATE_FAILED, 0, 0),                  /* no start: keep */
        R(RA_STATE_SUCCEEDED, now - 50 * DAY, 0),
    };
    const char *tags[8];
    ra_retain_decide_tags(recs, 8, 2, tags);
    const char *want[8] = {NULL, "expire", "keep", "keep", "expire", "keep", "keep", "expire"};
    for (int i = 0; i < 8; i++) {
        if (want[i] == NULL)
            assert_null(tags[i]);
        else
            assert_string_equal(tags[i], want[i]);
    }
    /* retention-keep 0: nothing kept by count */
    ra_retain_decide_tags(recs, 8, 0, tags);
    assert_string_equal(tags[2], RA_RETAIN_TAG_EXPIRE);
    assert_string_equal(tags[5], RA_RETAIN_TAG_KEEP);
}

/* a backup as one unit: every shard's object (or the one object), the record last; keys from id and format */
static void test_unit_keys(void **state) {
    (void)state;
    char zst[] = "rdb.zst";
    ra_record r;
    memset(&r, 0, sizeof(r));
    strcpy(r.id, "20261129T011038Z-03ad");
    char **keys;
    size_t n;
    assert_int_equal(ra_retain_unit_keys("redis-archiver/", "c1", &r, &keys, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "redis-archiver/c1/20261129T011038Z-03ad.rdb");
    assert_string_equal(keys[1], "redis-archiver/c1/20261129T011038Z-03ad.json");
    ra_retain_unit_keys_free(keys, n);
    r.nshards = 3;
    r.format = zst;
    assert_int_equal(ra_retain_unit_keys("", "c1", &r, &keys, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(keys[0], "c1/20261129T011038Z-03ad/shard-0.rdb.zst");
    assert_string_equal(keys[2], "c1/20261129T011038Z-03ad/shard-2.rdb.zst");
    assert_string_equal(keys[3], "c1/20261129T011038Z-03ad.json");
    ra_retain_unit_keys_free(keys, n);
    /* a format of another version: the shard's key as its record names it, when in the backup's folder; else
     * the plain RDB's name (nothing outside the folder is ever named) */
    char fut[] = "rdb.xz", k0[] = "c1/20261129T011038Z-03ad/shard-0.rdb.xz", k1[] = "c1/other/shard-1.rdb.xz",
         k2[] = "c1/20261129T011038Z-03ad/../x";
    ra_record_shard sh[3];
    memset(sh, 0, sizeof(sh));
    sh[0].key = k0;
    sh[1].key = k1;
    sh[2].key = k2;
    r.format = fut;
    r.shards = sh;
    assert_int_equal(ra_retain_unit_keys("", "c1", &r, &keys, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(keys[0], "c1/20261129T011038Z-03ad/shard-0.rdb.xz");
    assert_string_equal(keys[1], "c1/20261129T011038Z-03ad/shard-1.rdb");
    assert_string_equal(keys[2], "c1/20261129T011038Z-03ad/shard-2.rdb");
    ra_retain_unit_keys_free(keys, n);
    r.shards = NULL;
    assert_int_equal(ra_retain_unit_keys("", "c1", &r, &keys, &n), 0);
    assert_string_equal(keys[0], "c1/20261129T011038Z-03ad/shard-0.rdb");
    ra_retain_unit_keys_free(keys, n);
    ra_retain_unit_keys_free(NULL, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_unit_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
