/* test_help.c - the generated texts name everything the tables hold: the manual page every command, flag,
 * key and variable; the completion scripts every command, command flag, key and enum value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/cli.h"
#include "command/help.h"

typedef void (*gen_fn)(FILE *out);

static char *capture(gen_fn fn) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    fn(f);
    fclose(f);
    return out;
}

static void gen_bash(FILE *out) {
    ra_err err = {0};
    assert_int_equal(ra_help_completion(out, "bash", &err), 0);
}
static void gen_zsh(FILE *out) {
    ra_err err = {0};
    assert_int_equal(ra_help_completion(out, "zsh", &err), 0);
}

/* "--part-size" as roff writes it: "\-\-part\-size" */
static void roff_escape(const char *s, char *out, size_t outsz) {
    size_t j = 0;
    for (; *s && j + 3 < outsz; s++) {
        if (*s == '-') out[j++] = '\\';
        out[j++] = *s;
    }
    out[j] = '\0';
}

static void must_have(const char *text, const char *what, const char *where) {
    if (strstr(text, what) == NULL) fail_msg("%s: '%s' missing", where, what);
}

static void test_man_names_everything(void **state) {
    (void)state;
    char *man = capture(ra_help_man);
    char esc[256], flag[128], env[96];
    must_have(man, ".TH REDIS\\-ARCHIVER 1", "man");
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    for (size_t c = 0; c < n; c++) {
        snprintf(flag, sizeof(flag), ".SS %s\n", cmds[c].name);
        must_have(man, flag, "man");
        for (const ra_option *o = cmds[c].options; o->name; o++) {
            roff_escape(o->name, esc, sizeof(esc));
            must_have(man, esc, cmds[c].name);
        }
    }
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        snprintf(flag, sizeof(flag), "--%s", ra_config_key_name((ra_config_key)k));
        roff_escape(flag, esc, sizeof(esc));
        must_have(man, esc, "man keys");
        ra_config_env_name(ra_config_key_name((ra_config_key)k), env, sizeof(env));
        must_have(man, env, "man variables");
    }
    /* no line starts with a control character that is not a macro we wrote */
    for (const char *l = man; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (*l == '\'') fail_msg("a line starts with a quote: %.40s", l);
    free(man);
}

static void check_completion(const char *script, const char *where) {
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    char w[128];
    for (size_t c = 0; c < n; c++) {
        must_have(script, cmds[c].name, where);
        for (const ra_option *o = cmds[c].options; o->name; o++) must_have(script, o->name, where);
    }
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        ra_config_key_doc d;
        ra_config_key_describe((ra_config_key)k, &d);
        snprintf(w, sizeof(w), "--%s ", d.name);
        must_have(script, w, where);
        for (size_t i = 0; d.choices && d.choices[i]; i++) must_have(script, d.choices[i], where);
    }
}

static void test_completion_names_everything(void **state) {
    (void)state;
    char *bash = capture(gen_bash), *zsh = capture(gen_zsh);
    check_completion(bash, "bash");
    check_completion(zsh, "zsh");
    must_have(bash, "complete -F _redis_archiver redis-archiver", "bash");
    must_have(zsh, "#compdef redis-archiver", "zsh");
    free(bash);
    free(zsh);
    ra_err err = {0};
    assert_int_equal(ra_help_completion(stdout, "fish", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
}

static void test_key_describe(void **state) {
    (void)state;
    ra_config_key_doc d;
    ra_config_key_describe(RA_KEY_PART_CHECKSUM, &d);
    assert_string_equal(d.name, "part-checksum");
    assert_string_equal(d.choices[0], "auto");
    ra_config_key_describe(RA_KEY_ALLOW_MASTER, &d);
    assert_string_equal(d.arg, "[yes|no]");
    assert_string_equal(d.choices[0], "yes");
    assert_string_equal(d.def, "no");
    /* a boolean that also takes auto */
    ra_config_key_describe(RA_KEY_PATH_STYLE, &d);
    assert_string_equal(d.arg, "[yes|no|auto]");
    assert_string_equal(d.choices[0], "yes");
    assert_string_equal(d.choices[2], "auto");
    assert_string_equal(d.def, "auto");
    ra_config_key_describe(RA_KEY_BUCKET, &d);
    assert_null(d.choices);
    assert_true(d.in_file);
    ra_config_key_describe(RA_CONFIG_NKEYS, &d);
    assert_null(d.name);
}

static void test_short_list(void **state) {
    (void)state;
    char *text = capture(ra_help_commands);
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    for (size_t c = 0; c < n; c++) must_have(text, cmds[c].summary, "short list");
    assert_null(strstr(text, "--part-size"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_man_names_everything),
        cmocka_unit_test(test_completion_names_everything),
        cmocka_unit_test(test_key_describe),
        cmocka_unit_test(test_short_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
