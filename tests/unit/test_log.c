/* test_log.c - JSON lines with structured fields, text lines, syslog priority prefixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static char *capture(ra_log *log, void (*emit)(const ra_log *)) {
    char *buf = NULL;
    size_t len = 0;
    log->out = open_memstream(&buf, &len);
    emit(log);
    fclose(log->out);
    return buf;
}

static void emit_fields(const ra_log *log) {
    ra_log_field f[] = {{"id", "20261124T020512Z-3fa9", 0}, {"bytes", NULL, 1048576}, {"seconds", NULL, 2.5}};
    ra_log_fields(log, RA_LOG_INFO, "backup.result", f, 3, "backup %s done", "x");
}

static void emit_error(const ra_log *log) { ra_log_error(log, "error.source", "cannot connect"); }

static void test_json_fields(void **state) {
    (void)state;
    ra_log log = {.min = RA_LOG_INFO, .format = RA_LOG_JSON};
    char *out = capture(&log, emit_fields);
    assert_non_null(strstr(out, "\"event\":\"backup.result\",\"msg\":\"backup x done\",\"id\":\"20261124T020512Z-3fa9\","
                                "\"bytes\":1048576,\"seconds\":2.5}\n"));
    assert_true(out[0] == '{');
    free(out);
    log.format = RA_LOG_TEXT;
    out = capture(&log, emit_fields);
    assert_string_equal(out, "redis-archiver: backup x done\n");
    free(out);
}

static void test_priority_prefix(void **state) {
    (void)state;
    ra_log log = {.min = RA_LOG_INFO, .format = RA_LOG_TEXT, .priority_prefix = 1};
    char *out = capture(&log, emit_error);
    assert_string_equal(out, "<3>redis-archiver: error: cannot connect\n");
    free(out);
    out = capture(&log, emit_fields);
    assert_true(strncmp(out, "<6>redis-archiver: ", 19) == 0);
    free(out);
    log.format = RA_LOG_JSON;
    out = capture(&log, emit_error);
    assert_true(strncmp(out, "<3>{\"time\":", 11) == 0);
    free(out);
    log.priority_prefix = 0;
    out = capture(&log, emit_error);
    assert_true(out[0] == '{');
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_priority_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
