/* test_progress.c - the progress line: labelled fields, never wider than the terminal minus one column
 * at any width, the saving phase, estimates marked, the final line with real precision; the drawing
 * erases itself around log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/progress.h"
#include "common/log.h"

static const char *fmt(const ra_progress_view *v, int width) {
    static char out[512];
    size_t n = ra_progress_format(v, width, out, sizeof(out));
    assert_int_equal(n, strlen(out));
    if (getenv("RA_SHOW")) printf("%3d |%s|\n", width, out);
    return out;
}

static void test_fields_and_widths(void **state) {
    (void)state;
    ra_progress_view known = {.done = 64 << 20, .total = 160 << 20, .streamed = 2.0, .waited = 2.4};
    const char *l = fmt(&known, 160);
    assert_non_null(strstr(l, "[#"));
    assert_non_null(strstr(l, " 40% 64.0 MiB of 160.0 MiB  rate 32.0 MiB/s  elapsed 0:02  ETA 0:03"));
    ra_progress_view est = known;
    est.estimated = 1;
    l = fmt(&est, 160);
    assert_non_null(strstr(l, "~40% 64.0 MiB of ~160.0 MiB (est.)"));
    assert_non_null(strstr(l, "ETA ~0:03"));
    ra_progress_view unknown = {.done = 64 << 20, .total = 0, .streamed = 2.0};
    l = fmt(&unknown, 160);
    assert_string_equal(l, "64.0 MiB  rate 32.0 MiB/s  elapsed 0:02");
    ra_progress_view over = est;
    over.total = 32 << 20; /* the estimate was too small: no percentage */
    l = fmt(&over, 160);
    assert_string_equal(l, "64.0 MiB  rate 32.0 MiB/s  elapsed 0:02");
    ra_progress_view waiting = {.waiting = 1, .waited = 2.4};
    assert_string_equal(fmt(&waiting, 160), "replica saving the snapshot... 0:02");
    assert_string_equal(fmt(&waiting, 20), "saving... 0:02");
    ra_progress_view fin = {.done = 159167874, .total = 159167874, .streamed = 3.72, .waited = 2.4, .final = 1};
    assert_string_equal(fmt(&fin, 160), "151.8 MiB  rate 40.8 MiB/s  in 3.72 s  (+2.40 s replica saving)");
    fin.streamed = 3723;
    assert_string_equal(fmt(&fin, 160), "151.8 MiB  rate 41.8 KiB/s  in 1:02:03  (+2.40 s replica saving)");
    /* every width from 1 to 200: never more than width - 1 columns, the most useful fields kept */
    ra_progress_view all[] = {known, est, unknown, waiting, fin};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        for (int w = 1; w <= 200; w++) {
            char out[512];
            size_t n = ra_progress_format(&all[k], w, out, sizeof(out));
            if (n > (size_t)(w > 1 ? w - 1 : 1)) fail_msg("width %d: %zu columns: %s", w, n, out);
            if (w >= 40 && all[k].total > 0 && !all[k].final && strchr(out, '%') == NULL)
                fail_msg("width %d lost the percentage: %s", w, out);
        }
    }
    l = fmt(&known, 60);
    assert_non_null(strstr(l, "40% 64.0 MiB"));
    assert_non_null(strstr(l, "ETA 0:03"));
    assert_true(strlen(l) <= 59);
    /* a small out buffer */
    char small[8];
    assert_int_equal(ra_progress_format(&known, 160, small, sizeof(small)), 7);
}

static void test_drawing_around_log_lines(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ra_progress *p = ra_progress_new(out, 80);
    assert_non_null(p);
    ra_log log = {.out = out, .min = RA_LOG_INFO, .format = RA_LOG_TEXT, .hook = ra_progress_hook, .hook_ctx = p};
    ra_log_info(&log, "t", "before any line"); /* nothing drawn: nothing erased */
    ra_progress_update(p, 0, -1, 0.5, 0);
    ra_progress_update(p, 0, -1, 0.6, 0); /* too soon: not drawn */
    ra_progress_update(p, 1 << 20, 4 << 20, 1.0, 0);
    ra_log_info(&log, "t", "between");
    ra_progress_update(p, 4 << 20, 4 << 20, 2.0, 1);
    ra_log_info(&log, "t", "after the end");
    ra_progress_update(p, 4 << 20, 4 << 20, 3.0, 1); /* after the end: nothing */
    ra_log_debug(&log, "t", "below the level: no hook");
    fclose(out);
    const char *expect_order[] = {"redis-archiver: before any line\n", "\rreplica saving the snapshot... 0:01\033[K",
                                  "25% 1.0 MiB of 4.0 MiB  rate 2.5 MiB/s  elapsed 0:00  ETA 0:01\033[K",
                                  "\r\033[Kredis-archiver: between\n\r[", "\r4.0 MiB  rate 2.9 MiB/s  "
                                  "in 1.40 s  (+0.60 s replica saving)\033[K\n", "redis-archiver: after the end\n"};
    const char *at = buf;
    for (size_t i = 0; i < sizeof(expect_order) / sizeof(expect_order[0]); i++) {
        const char *f = strstr(at, expect_order[i]);
        if (f == NULL) fail_msg("'%s' not after offset %td in: %s", expect_order[i], at - buf, buf);
        at = f + strlen(expect_order[i]);
    }
    assert_string_equal(at, ""); /* the end line stays; nothing after the last log line */
    assert_null(strstr(buf, "0:00\033[K")); /* the sample 0.1 s after the first was not drawn */
    ra_progress_free(p);
    ra_progress_free(NULL);
    free(buf);
}

/* A caller that reports only once bytes flow: the clock draws the waiting phase until then. */
static void test_clock_until_the_first_sample(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ra_progress *p = ra_progress_new(out, 80);
    assert_int_equal(ra_progress_start_clock(p), 0);
    struct timespec t = {0, 500 * 1000000L};
    nanosleep(&t, NULL);
    ra_progress_update(p, 1 << 20, -1, 3.0, 0); /* the first sample: its time is when bytes began */
    nanosleep(&t, NULL);
    ra_progress_update(p, 3 << 20, -1, 4.0, 1);
    ra_progress_free(p);
    fclose(out);
    const char *wait = strstr(buf, "\rreplica saving the snapshot... 0:00\033[K");
    assert_non_null(wait);
    const char *first = strstr(buf, "\r1.0 MiB  elapsed 0:00\033[K"); /* no rate yet */
    assert_non_null(first);
    assert_true(wait < first);
    assert_null(strstr(first, "saving the snapshot... 0:0")); /* the clock stopped at the first sample */
    assert_non_null(strstr(first, "\r3.0 MiB  rate 3.0 MiB/s  in 1.00 s  (+3.00 s replica saving)\033[K\n"));
    free(buf);
}

/* A cluster backup: each shard's share as a field of its own, dropped (then only their number) before the
 * rate when the line gets narrow; never wider than the terminal. */
static void test_shards(void **state) {
    (void)state;
    ra_progress_shard known[3] = {{45 << 20, 100 << 20}, {50 << 20, 100 << 20}, {47 << 20, 100 << 20}};
    ra_progress_view v = {.done = 142 << 20, .total = 300 << 20, .streamed = 2.0, .nshards = 3, .shards = known};
    const char *l = fmt(&v, 160);
    assert_non_null(strstr(l, "  shards 45/50/47%"));
    ra_progress_shard unknown[3] = {{66 << 20, -1}, {5 << 20, -1}, {812 << 10, -1}};
    ra_progress_view u = {.done = (71 << 20) + (812 << 10), .total = 0, .streamed = 2.0, .nshards = 3,
                          .shards = unknown};
    l = fmt(&u, 160);
    assert_non_null(strstr(l, "  shards 66M 5.0M 812K"));
    l = fmt(&u, 60);
    assert_non_null(strstr(l, "shards 66M 5.0M 812K"));
    for (int w = 1; w <= 200; w++) {
        assert_true(strlen(fmt(&v, w)) <= (size_t)(w > 1 ? w - 1 : 1));
        assert_true(strlen(fmt(&u, w)) <= (size_t)(w > 1 ? w - 1 : 1));
    }
    l = fmt(&v, 40);
    assert_non_null(strstr(l, "3 shards"));
    ra_progress_view fin = u;
    fin.final = 1;
    l = fmt(&fin, 160);
    assert_non_null(strstr(l, "  3 shards"));
    assert_null(strstr(l, "66M"));
    ra_progress_view wait = {.waiting = 1, .waited = 3, .nshards = 3, .shards = unknown};
    assert_string_equal(fmt(&wait, 80), "3 replicas saving their snapshots... 0:03");
}

/* Off a terminal: one event per interval, with the structured fields; per shard for a cluster. */
static void test_log_events(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ra_log log = {.out = out, .min = RA_LOG_INFO, .format = RA_LOG_JSON};
    ra_progress_log t;
    ra_progress_log_init(&t, &log, "inst", 30);
    ra_progress_log_sample(&t, "ID1", 100, -1, 10, 0, NULL, 0);
    ra_progress_log_sample(&t, "ID1", 3000, 6000, 30.2, 0, NULL, 0);
    ra_progress_log_sample(&t, "ID1", 3100, 6000, 31, 0, NULL, 0);
    ra_progress_log_sample(&t, "ID1", 6000, 6000, 95, 0, NULL, 0); /* a late sample: one event, not two */
    ra_progress_log_sample(&t, "ID1", 6000, 6000, 200, 1, NULL, 0);
    ra_progress_shard sh[2] = {{10, -1}, {20, -1}};
    ra_progress_log_init(&t, &log, "inst", 5);
    ra_progress_log_sample(&t, "ID2", 30, -1, 6, 0, sh, 2);
    ra_progress_log_init(&t, &log, "inst", 0);
    ra_progress_log_sample(&t, "ID3", 30, -1, 600, 0, NULL, 0);
    fclose(out);
    int events = 0;
    for (char *p = buf; (p = strstr(p, "\"backup.progress\"")) != NULL; p++) events++;
    assert_int_equal(events, 2 + 3);
    assert_non_null(strstr(buf, "\"id\":\"ID1\",\"instance\":\"inst\",\"bytes\":3000,\"seconds\":30,\"rate\":99,"
                                "\"expected\":6000"));
    assert_non_null(strstr(buf, "\"shards\":2"));
    assert_non_null(strstr(buf, "\"bytes\":20,\"seconds\":6,\"rate\":3,\"shard\":1"));
    assert_null(strstr(buf, "ID3"));
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_widths),
        cmocka_unit_test(test_drawing_around_log_lines),
        cmocka_unit_test(test_clock_until_the_first_sample),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_log_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
