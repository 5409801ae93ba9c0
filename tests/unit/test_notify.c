/* test_notify.c - which runs are announced, notify-command's stdin, environment, exit and time bound,
 * and notify-url's error for a closed port (the POST itself: tests/integration/ops.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command/notify.h"

static void test_wanted(void **state) {
    (void)state;
    assert_true(ra_notify_wanted(RA_NOTIFY_FAILURE, 0));
    assert_false(ra_notify_wanted(RA_NOTIFY_FAILURE, 1));
    assert_true(ra_notify_wanted(RA_NOTIFY_SUCCESS, 1));
    assert_false(ra_notify_wanted(RA_NOTIFY_SUCCESS, 0));
    assert_true(ra_notify_wanted(RA_NOTIFY_ALWAYS, 0));
    assert_true(ra_notify_wanted(RA_NOTIFY_ALWAYS, 1));
}

static void test_run(void **state) {
    (void)state;
    char dir[] = "/tmp/ra-notify-XXXXXX", cmd[512], path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out", dir);
    snprintf(cmd, sizeof(cmd), "cat > %s; printf '%%s' \"$RA_STATE\" >> %s", path, path);
    const char *env[] = {"RA_STATE=failed", NULL};
    ra_err err = {0};
    assert_int_equal(ra_notify_run(cmd, "{\"id\":\"x\"}", env, 10, &err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char got[64] = "";
    assert_non_null(fgets(got, sizeof(got), f));
    fclose(f);
    assert_string_equal(got, "{\"id\":\"x\"}failed");
    unlink(path);
    rmdir(dir);

    assert_int_equal(ra_notify_run("exit 3", "{}", NULL, 10, &err), -1);
    assert_non_null(strstr(err.msg, "status 3"));
    time_t t0 = time(NULL);
    assert_int_equal(ra_notify_run("sleep 30", "{}", NULL, 1, &err), -1);
    assert_true(time(NULL) - t0 <= 3);
    assert_non_null(strstr(err.msg, "killed"));
    /* a command that does not read its stdin is fine */
    assert_int_equal(ra_notify_run("true", "{}", NULL, 10, &err), 0);
}

static void test_post_closed_port(void **state) {
    (void)state;
    ra_err err = {0};
    assert_int_equal(ra_notify_post("http://127.0.0.1:1/hook?token=secret", "{}", 2, 5, NULL, NULL, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "http://127.0.0.1:1"));
    assert_null(strstr(err.msg, "secret"));
    assert_null(strstr(err.msg, "/hook"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wanted),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_post_closed_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
