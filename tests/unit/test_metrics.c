/* test_metrics.c - Prometheus text of a run's numbers, read back for the next run, health, the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command/metrics.h"

/* what was read back formats to the very text it was read from */
static void formats_as(const ra_metrics *m, const char *instance, const char *text) {
    char *again = ra_metrics_format(m, instance);
    assert_string_equal(again, text);
    free(again);
}

static void test_format_and_parse_back(void **state) {
    (void)state;
    ra_metrics m = {0};
    ra_record ok = {.state = RA_STATE_SUCCEEDED, .finished = 1764380000, .bytes = 1000, .stored = 400};
    ra_metrics_add(&m, &ok, RA_OK, 2.5, 1764380001);
    ra_metrics_add(&m, NULL, RA_E_SOURCE, 0.25, 1764380100);
    ra_metrics_add(&m, NULL, RA_E_CANCELLED, 1.0, 1764380200);
    assert_int_equal(m.succeeded, 1);
    assert_int_equal(m.failed, 1);
    assert_int_equal(m.cancelled, 1);
    assert_int_equal(m.last_success, 1764380000);
    assert_int_equal(m.last_attempt, 1764380200);
    assert_int_equal(m.last_ok, 0);

    char *text = ra_metrics_format(&m, "db\"1");
    assert_non_null(text);
    assert_non_null(strstr(text, "# TYPE redis_archiver_backups_total counter\n"));
    assert_non_null(strstr(text, "redis_archiver_backups_total{instance_name=\"db\\\"1\",result=\"failed\"} 1\n"));
    assert_non_null(strstr(text, "redis_archiver_last_success_timestamp_seconds{instance_name=\"db\\\"1\"} 1764380000\n"));
    assert_non_null(strstr(text, "redis_archiver_backup_failures_total{instance_name=\"db\\\"1\",class=\"source\"} 1\n"));
    assert_non_null(strstr(text, "redis_archiver_backup_bytes{instance_name=\"db\\\"1\"} 1000\n"));
    assert_non_null(strstr(text, "redis_archiver_backup_duration_seconds{instance_name=\"db\\\"1\"} 1.000\n"));

    /* the next run reads them back: counters go on, another instance's lines are skipped */
    size_t n = strlen(text);
    char *two = malloc(2 * n + 1);
    char *other = ra_metrics_format(&(ra_metrics){.succeeded = 99}, "other");
    snprintf(two, 2 * n + 1, "%s%s", other, text);
    ra_metrics back = {0};
    assert_true(ra_metrics_parse(&back, "db\"1", two, strlen(two)) >= 10);
    assert_int_equal(back.succeeded, 1);
    assert_int_equal(back.failed, 1);
    assert_int_equal(back.cancelled, 1);
    assert_int_equal(back.by_class[RA_E_SOURCE], 1);
    assert_int_equal(back.by_class[RA_E_CANCELLED], 1);
    assert_int_equal(back.last_success, 1764380000);
    assert_int_equal(back.bytes, 1000);
    assert_int_equal(back.stored, 400);
    formats_as(&back, "db\"1", text);
    free(two);
    free(other);
    free(text);

    /* garbage is skipped */
    ra_metrics g = {0};
    const char *junk = "redis_archiver_backups_total{instance_name=\"x\nredis_archiver_{}\n{}}\n#x\n";
    assert_int_equal(ra_metrics_parse(&g, "x", junk, strlen(junk)), 0);
}

/* schedule --continuous: the archive's series only once a segment is stored */
static void test_archive_series(void **state) {
    (void)state;
    ra_metrics m = {0};
    char *text = ra_metrics_format(&m, "db");
    assert_null(strstr(text, "archive_"));
    free(text);
    m.archive_last_segment = 1764380000;
    m.archive_lag_seconds = 7;
    m.archive_lag_bytes = 1234;
    text = ra_metrics_format(&m, "db");
    assert_non_null(strstr(text, "# TYPE redis_archiver_archive_last_segment_timestamp_seconds gauge\n"));
    assert_non_null(strstr(text, "redis_archiver_archive_last_segment_timestamp_seconds{instance_name=\"db\"} 1764380000\n"));
    assert_non_null(strstr(text, "redis_archiver_archive_lag_seconds{instance_name=\"db\"} 7\n"));
    assert_non_null(strstr(text, "redis_archiver_archive_lag_bytes{instance_name=\"db\"} 1234\n"));
    /* metrics-file merges: an archive's series read back with the runs' */
    ra_metrics back = {0};
    assert_int_equal(ra_metrics_parse(&back, "db", text, strlen(text)), 3 + 6 + 3 + RA_METRICS_NCLASS - 2);
    assert_int_equal(back.archive_last_segment, 1764380000);
    assert_int_equal(back.archive_lag_seconds, 7);
    assert_int_equal(back.archive_lag_bytes, 1234);
    formats_as(&back, "db", text);
    free(text);
}

static void test_healthy(void **state) {
    (void)state;
    ra_metrics m = {0};
    assert_int_equal(ra_metrics_healthy(&m, 1000, 100, 950), 1);  /* no run yet, just started */
    assert_int_equal(ra_metrics_healthy(&m, 1100, 100, 950), 0);  /* no run for too long */
    ra_record ok = {.finished = 1000};
    ra_metrics_add(&m, &ok, RA_OK, 1, 1000);
    assert_int_equal(ra_metrics_healthy(&m, 1050, 100, 0), 1);
    assert_int_equal(ra_metrics_healthy(&m, 1101, 100, 0), 0);  /* too old */
    ra_metrics_add(&m, NULL, RA_E_STORE, 1, 1060);
    assert_int_equal(ra_metrics_healthy(&m, 1061, 100, 0), 0);  /* the last run failed */
}

static void test_file_atomic(void **state) {
    (void)state;
    char dir[] = "/tmp/ra-metrics-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/ra.prom", dir);
    ra_err err = {0};
    ra_metrics m = {0};
    assert_int_equal(ra_metrics_load_file(&m, "a", path, &err), 0);  /* missing: nothing yet */
    m.succeeded = 7;
    char *text = ra_metrics_format(&m, "a");
    assert_int_equal(ra_metrics_write_file(path, text, &err), 0);
    ra_metrics back = {0};
    assert_int_equal(ra_metrics_load_file(&back, "a", path, &err), 0);
    assert_int_equal(back.succeeded, 7);
    free(text);
    /* nothing left beside it */
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 1", dir);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    snprintf(path, sizeof(path), "%s/no/such/dir.prom", dir);
    assert_int_equal(ra_metrics_write_file(path, "x", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "metrics-file"));
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_parse_back),
        cmocka_unit_test(test_archive_series),
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_file_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
