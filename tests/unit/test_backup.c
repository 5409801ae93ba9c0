/* test_backup.c - the backup job's pieces that need no replica or store: the progress bar callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/backup.h"

static char *draw(const ra_backup_progress *p) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ra_backup_progress_bar(f, p);
    fclose(f);
    return text;
}

static void test_bar_with_length(void **state) {
    (void)state;
    ra_backup_progress p = {.done = 50 * 1024 * 1024, .expected = 100 * 1024 * 1024, .elapsed = 10, .final = 0};
    char *t = draw(&p);
    assert_non_null(strstr(t, "[###############---------------]  50%"));
    assert_non_null(strstr(t, "ETA 0:10"));
    assert_int_equal(t[0], '\r');
    assert_null(strchr(t, '\n'));
    free(t);
}

static void test_bar_without_length(void **state) {
    (void)state;
    ra_backup_progress p = {.done = 3 * 1024 * 1024, .expected = -1, .elapsed = 3, .final = 1};
    char *t = draw(&p);
    assert_null(strchr(t, '['));
    assert_non_null(strstr(t, " 3s"));
    assert_int_equal(t[strlen(t) - 1], '\n'); /* the last call ends the line */
    free(t);
}

static void test_bar_never_overflows(void **state) {
    (void)state;
    /* more bytes than announced (a server that lied): the bar stays full, no overrun */
    ra_backup_progress p = {.done = 300, .expected = 100, .elapsed = 1, .final = 0};
    char *t = draw(&p);
    assert_non_null(strstr(t, "[##############################]"));
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bar_with_length),
        cmocka_unit_test(test_bar_without_length),
        cmocka_unit_test(test_bar_never_overflows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
