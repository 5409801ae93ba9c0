/* test_cli.c - the command table: every flag parses and is in its command's --help, value flags,
 * did-you-mean, operands; and the wiring of configuration into the S3 and source options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"

static char *help_of(const ra_command *cmd) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    ra_command_print_help(cmd, f);
    fclose(f);
    return out;
}

static void test_every_flag_parses_and_is_in_help(void **state) {
    (void)state;
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    assert_true(n >= 8);
    for (size_t c = 0; c < n; c++) {
        const ra_command *cmd = &cmds[c];
        assert_ptr_equal(ra_command_find(cmd->name), cmd);
        char *help = help_of(cmd);
        assert_non_null(strstr(help, cmd->usage));
        assert_non_null(strstr(help, cmd->summary));
        for (int i = 0; cmd->options[i].name; i++) {
            const ra_option *o = &cmd->options[i];
            assert_true(i < RA_COMMAND_OPTIONS_MAX);
            /* in the help with its value kind and help text, and in the usage line */
            char line[128];
            snprintf(line, sizeof(line), "  %s%s%s ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            if (strstr(help, line) == NULL) fail_msg("%s: '%s' not in its help", cmd->name, line);
            assert_non_null(strstr(help, o->help));
            assert_non_null(strstr(cmd->usage, o->name));
            /* parses, alone and as --flag=value for a value flag */
            char *argv[4] = {(char *)cmd->name, (char *)o->name, (char *)"7", NULL};
            ra_args a;
            ra_err err = {0};
            int argc = o->arg ? 3 : 2;
            if (ra_command_parse(cmd, argc, argv, &a, &err) != 0) fail_msg("%s %s: %s", cmd->name, o->name, err.msg);
            assert_string_equal(ra_args_value(&a, o->name), o->arg ? "7" : "");
            assert_int_equal(ra_args_at(&a, o->name), 1);
            if (o->arg) {
                char eq[64];
                snprintf(eq, sizeof(eq), "%s=9", o->name);
                argv[1] = eq;
                if (ra_command_parse(cmd, 2, argv, &a, &err) != 0) fail_msg("%s %s: %s", cmd->name, eq, err.msg);
                assert_string_equal(ra_args_value(&a, o->name), "9");
                /* without its value */
                argv[1] = (char *)o->name;
                assert_int_equal(ra_command_parse(cmd, 2, argv, &a, &err), -1);
                assert_int_equal(err.code, RA_E_USAGE);
                assert_non_null(strstr(err.msg, "needs a value"));
            }
        }
        free(help);
    }
}

static void test_value_flags(void **state) {
    (void)state;
    const char *vf[16];
    size_t n = ra_command_value_flags(vf, 16);
    assert_int_equal(n, 7);
    assert_null(vf[n]);
    int remark = 0, expires = 0, days = 0, output = 0, target = 0, shard = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        remark += strcmp(vf[i], "--remark") == 0;
        expires += strcmp(vf[i], "--expires") == 0;
        days += strcmp(vf[i], "--days") == 0;
        output += strcmp(vf[i], "--output") == 0; /* restore */
        target += strcmp(vf[i], "--target") == 0;
        shard += strcmp(vf[i], "--shard") == 0; /* url --shard N (cluster backups) */
        at += strcmp(vf[i], "--at") == 0;       /* restore --at TIME (point in time) */
    }
    assert_int_equal(remark + expires + days + output + target + shard + at, 7);
    /* a short buffer still ends with NULL */
    assert_int_equal(ra_command_value_flags(vf, 2), 1);
    assert_null(vf[1]);
}

static void test_parse_errors_and_operands(void **state) {
    (void)state;
    ra_args a;
    ra_err err = {0};
    char *misspelt[] = {(char *)"backup", (char *)"--remrk", (char *)"x", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("backup"), 3, misspelt, &a, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "did you mean '--remark'"));
    /* a config key misspelt after a command is suggested too */
    char *cfg[] = {(char *)"list", (char *)"--buckt", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("list"), 2, cfg, &a, &err), -1);
    assert_non_null(strstr(err.msg, "did you mean '--bucket'"));
    /* operands: url, verify and status take one ID, list none */
    char *url[] = {(char *)"url", (char *)"20261124T020512Z-3fa9", (char *)"--public", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("url"), 3, url, &a, &err), 0);
    assert_string_equal(a.operand, "20261124T020512Z-3fa9");
    assert_int_equal(ra_args_at(&a, "--public"), 2);
    assert_null(ra_args_value(&a, "--json"));
    char *two[] = {(char *)"verify", (char *)"a", (char *)"b", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("verify"), 3, two, &a, &err), -1);
    assert_non_null(strstr(err.msg, "unexpected argument 'b'"));
    char *list[] = {(char *)"list", (char *)"x", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("list"), 2, list, &a, &err), -1);
    char *sched[] = {(char *)"schedule", (char *)"--json", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("schedule"), 2, sched, &a, &err), -1);
    /* the last of a flag given twice wins; --apply and --dry-run compare by position */
    char *ret[] = {(char *)"retention", (char *)"--days", (char *)"3", (char *)"--apply", (char *)"--dry-run",
                   (char *)"--days=5", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("retention"), 6, ret, &a, &err), 0);
    assert_string_equal(ra_args_value(&a, "--days"), "5");
    assert_true(ra_args_at(&a, "--dry-run") > ra_args_at(&a, "--apply"));
    /* a bare flag takes no =value */
    char *bare[] = {(char *)"list", (char *)"--json=yes", NULL};
    assert_int_equal(ra_command_parse(ra_command_find("list"), 2, bare, &a, &err), -1);
    assert_null(ra_command_find("bakup"));
    assert_string_equal(ra_command_suggest("bakup"), "backup");
}

static void test_config_wiring(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    assert_int_equal(ra_config_set(&c, "read-timeout", "90s", RA_ORIGIN_FLAG, 0, "--read-timeout", &err), 0);
    assert_int_equal(ra_config_set(&c, "connect-timeout", "7s", RA_ORIGIN_FLAG, 0, "--connect-timeout", &err), 0);
    assert_int_equal(ra_config_set(&c, "region", "eu-west-1", RA_ORIGIN_FLAG, 0, "--region", &err), 0);
    c.redis_password = strdup("pw-from-rediscli-auth");
    ra_app app = {.config = &c, .log = ra_log_default()};
    ra_s3_credentials creds = {0};
    ra_s3_config sc;
    ra_app_s3_config(&app, &creds, &sc);
    assert_int_equal(sc.request_timeout_ms, 90000); /* read-timeout, not the adapter's 60 s */
    assert_int_equal(sc.connect_timeout_ms, 7000);
    assert_string_equal(sc.region, "eu-west-1");
    assert_ptr_equal(sc.credentials, &creds);
    ra_replica_opts ro;
    ra_app_replica_opts(&app, &ro);
    assert_string_equal(ro.password, "pw-from-rediscli-auth");
    assert_int_equal(ro.read_timeout_ms, 90000);
    ra_config_clear(&c);
}

/* A row without notes or examples. */
static void test_row_without_examples(void **state) {
    (void)state;
    static const ra_option opts[] = {{"--json", NULL, "json"}, {NULL, NULL, NULL}};
    const ra_command row = {.name = "x", .usage = "x [--json]", .summary = "does x", .options = opts};
    char *help = help_of(&row);
    assert_non_null(strstr(help, "  --json "));
    assert_null(strstr(help, "examples:"));
    free(help);
}

/* Newest first by start; in one second a running task, then the later finish, then the larger id. */
static void test_records_newest_first(void **state) {
    (void)state;
    ra_record r[5];
    memset(r, 0, sizeof(r));
    const struct { const char *id; time_t started, finished; } in[] = {
        {"20261128T220533Z-ce0b", 1000, 1000},  /* first of two runs in one second */
        {"20261128T220533Z-43a0", 1000, 1001},  /* second: started after ce0b finished */
        {"20261128T220540Z-0000", 1007, 1009},
        {"20261128T220530Z-ffff", 997, 999},
        {"20261128T220533Z-0001", 1000, 0},     /* running */
    };
    for (int i = 0; i < 5; i++) {
        snprintf(r[i].id, sizeof(r[i].id), "%s", in[i].id);
        r[i].started = in[i].started;
        r[i].finished = in[i].finished;
    }
    ra_records_sort_newest(r, 5);
    assert_string_equal(r[0].id, "20261128T220540Z-0000");
    assert_string_equal(r[1].id, "20261128T220533Z-0001");
    assert_string_equal(r[2].id, "20261128T220533Z-43a0");
    assert_string_equal(r[3].id, "20261128T220533Z-ce0b");
    assert_string_equal(r[4].id, "20261128T220530Z-ffff");
    /* same start and finish: the id decides */
    r[0].started = r[1].started = 5;
    r[0].finished = r[1].finished = 6;
    ra_records_sort_newest(r, 2);
    assert_string_equal(r[0].id, "20261128T220540Z-0000");
    ra_records_sort_newest(r, 0);
}

/* rate in JSON: an integer of bytes per second */
static void test_rate_is_an_integer(void **state) {
    (void)state;
    ra_record r;
    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "20261128T220533Z-ce0b");
    r.rate = 44470508.813972808;
    char *text = ra_record_to_json(&r);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"rate\": 44470509,"));
    ra_record back;
    ra_err err = {0};
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_true(back.rate == 44470509.0);
    ra_record_clear(&back);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_flag_parses_and_is_in_help),
        cmocka_unit_test(test_value_flags),
        cmocka_unit_test(test_parse_errors_and_operands),
        cmocka_unit_test(test_config_wiring),
        cmocka_unit_test(test_row_without_examples),
        cmocka_unit_test(test_records_newest_first),
        cmocka_unit_test(test_rate_is_an_integer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
