/* test_config.c - option table, value parsers, file syntax, precedence, flags, errors, sample file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/url.h"
#include "config/config.h"

#define MIB (1024LL * 1024)
#define GIB (1024LL * MIB)

/* Every REDIS_ARCHIVER_* variable off, and an empty config file so a real
 * /etc/redis-archiver/redis-archiver.conf cannot leak into the tests. */
static char empty_conf[64];

static void clear_env(void) {
    char name[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        ra_config_env_name(ra_config_key_name((ra_config_key)k), name, sizeof(name));
        unsetenv(name);
    }
    unsetenv("REDIS_ARCHIVER_PART_SISE");
    /* other tools' variables that fill unset keys */
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("REDISCLI_AUTH");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/dev/null", 1); /* not this machine's ~/.aws/config */
    setenv("REDIS_ARCHIVER_CONFIG", empty_conf, 1);
}

static int setup(void **state) {
    (void)state;
    clear_env();
    return 0;
}

static char *write_temp(const char *text) {
    char *path = strdup("/tmp/ra-test-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static int parse(ra_config *c, const char *text, ra_err *err) {
    return ra_config_parse_text(c, text, strlen(text), "t.conf", err);
}

/* Load with a NULL-terminated list of words after argv[0]. */
static int load(ra_config *c, const char *const *words, int *nrest, char ***rest, ra_err *err) {
    static const char *const value_flags[] = {"--remark", "--expires", "--days", NULL};
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"redis-archiver";
    for (; *words; words++) argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    return ra_config_load(c, argc, argv, value_flags, nrest, rest, err);
}

static void test_table(void **state) {
    (void)state;
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        const char *name = ra_config_key_name((ra_config_key)k);
        assert_non_null(name);
        assert_int_equal(ra_config_key_find(name), k);
    }
    assert_null(ra_config_key_name(RA_CONFIG_NKEYS));
    assert_int_equal(ra_config_key_find("nope"), -1);
    assert_string_equal(ra_config_key_name(RA_KEY_PART_SIZE), "part-size");
    assert_string_equal(ra_config_key_name(RA_KEY_URL_EXPIRY), "url-expiry");
    assert_string_equal(ra_config_key_name(RA_KEY_LOG_LEVEL), "log-level");
    char env[96];
    ra_config_env_name("part-size", env, sizeof(env));
    assert_string_equal(env, "REDIS_ARCHIVER_PART_SIZE");
    ra_config_env_name("s3-ca-file", env, sizeof(env));
    assert_string_equal(env, "REDIS_ARCHIVER_S3_CA_FILE");
    ra_config_env_name("part-size", env, 10);
    assert_string_equal(env, "REDIS_ARC");
}

static void test_defaults(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    assert_string_equal(c.source, "redis://127.0.0.1:6379");
    assert_string_equal(c.instance, "default");
    assert_null(c.endpoint);
    assert_null(c.public_endpoint);
    assert_null(c.region);
    assert_null(c.bucket);
    assert_string_equal(c.prefix, "redis-archiver/");
    assert_int_equal(c.path_style, RA_PATH_STYLE_AUTO); /* the default: chosen by endpoint and bucket */
    assert_int_equal(c.part_size, 16 * MIB);
    assert_int_equal(c.concurrency, 4);
    assert_int_equal(c.retention_days, 7);
    assert_int_equal(c.window.start, 120);
    assert_int_equal(c.window.end, 180);
    assert_int_equal(c.weekdays, RA_WEEKDAYS_ALL);
    assert_string_equal(c.timezone, "UTC");
    assert_int_equal(c.tz_fixed, 1);
    assert_int_equal(c.tz_offset, 0);
    assert_int_equal(c.url_expiry, 43200);
    assert_null(c.tls_ca_file);
    assert_int_equal(c.tls_insecure, 0);
    assert_int_equal(c.s3_insecure, 0);
    assert_int_equal(c.allow_master, 0);
    assert_int_equal(c.pick_replica, 0);
    assert_null(c.sentinel_master);
    assert_int_equal(c.connect_timeout, 10);
    assert_int_equal(c.read_timeout, 60);
    assert_int_equal(c.sweep, 0);
    assert_int_equal(c.log_format, RA_CONFIG_LOG_AUTO);
    assert_int_equal(c.log_level, RA_LOG_INFO);
    assert_null(c.config);
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) assert_int_equal(c.origin[k], RA_ORIGIN_DEFAULT);
    ra_err err = {0};
    assert_int_equal(ra_config_require_bucket(&c, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "--bucket"));
    assert_non_null(strstr(err.msg, "REDIS_ARCHIVER_BUCKET"));
    ra_config_clear(&c);
    ra_config_clear(&c);  /* twice is harmless */
    ra_config_clear(NULL);
}

static void test_parse_size(void **state) {
    (void)state;
    static const struct { const char *in; long long out; } ok[] = {
        {"16777216", 16 * MIB}, {"16M", 16 * MIB}, {"16MiB", 16 * MIB}, {"16mib", 16 * MIB}, {"16 MiB", 16 * MIB},
        {"16MB", 16 * MIB}, {"5g", 5 * GIB}, {"5GiB", 5 * GIB}, {"512k", 512 * 1024}, {"1KiB", 1024},
        {"0", 0}, {"7b", 7}, {"1T", 1024 * GIB},
    };
    static const char *const bad[] = {"", "M", "16X", "-1", "1.5G", "16 M B", " 16", "16MiBs", "99999999999999999999",
                                      "9999999999999G"};
    ra_err err = {0};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = -1;
        if (ra_parse_size(ok[i].in, &v, &err) != 0) fail_msg("'%s': %s", ok[i].in, err.msg);
        assert_int_equal(v, ok[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v;
        if (ra_parse_size(bad[i], &v, &err) == 0) fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(err.code, RA_E_USAGE);
    }
    assert_int_equal(ra_parse_size("16X", &(long long){0}, &err), -1);
    assert_string_equal(err.msg, "invalid size '16X' (use bytes or a number with K, M, G, T or KiB, MiB, GiB, "
                                 "TiB: 16MiB, 16M, 16777216)");
    assert_int_equal(ra_parse_size("9999999999999G", &(long long){0}, &err), -1);
    assert_non_null(strstr(err.msg, "too large"));
}

static void test_parse_duration(void **state) {
    (void)state;
    static const struct { const char *in; long out; } ok[] = {
        {"43200", 43200}, {"12h", 43200}, {"30m", 1800}, {"7d", 604800}, {"10s", 10}, {"1w", 604800},
        {"1h30m", 5400}, {"1d12h", 129600}, {"0", 0}, {"0s", 0},
    };
    static const char *const bad[] = {"", "h", "12x", "-5", "1.5h", "12 h", "1h30", "30m1", "s10", "99999999999999999999",
                                      "9999999999999999w"};
    ra_err err = {0};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long v = -1;
        if (ra_parse_duration(ok[i].in, &v, &err) != 0) fail_msg("'%s': %s", ok[i].in, err.msg);
        assert_int_equal(v, ok[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long v;
        if (ra_parse_duration(bad[i], &v, &err) == 0) fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(err.code, RA_E_USAGE);
    }
    assert_int_equal(ra_parse_duration("12x", &(long){0}, &err), -1);
    assert_string_equal(err.msg, "invalid duration '12x' (use seconds or a number with s, m, h, d, w: 43200, 30m, "
                                 "12h, 7d, 1h30m)");
}

static void test_parse_bool_int(void **state) {
    (void)state;
    static const char *const yes[] = {"yes", "YES", "true", "on", "1", "True"};
    static const char *const no[] = {"no", "false", "off", "0", "OFF"};
    ra_err err = {0};
    int b;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_int_equal(ra_parse_bool(yes[i], &b, &err), 0);
        assert_int_equal(b, 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_int_equal(ra_parse_bool(no[i], &b, &err), 0);
        assert_int_equal(b, 0);
    }
    assert_int_equal(ra_parse_bool("yep", &b, &err), -1);
    assert_string_equal(err.msg, "invalid boolean 'yep' (use yes/no, true/false, on/off or 1/0)");
    assert_int_equal(ra_parse_bool("", &b, &err), -1);
    assert_int_equal(ra_parse_bool("2", &b, &err), -1);
    long long v;
    assert_int_equal(ra_parse_int("42", &v, &err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ra_parse_int("-3", &v, &err), 0);
    assert_int_equal(v, -3);
    assert_int_equal(ra_parse_int("4x", &v, &err), -1);
    assert_int_equal(ra_parse_int("", &v, &err), -1);
    assert_int_equal(ra_parse_int("+", &v, &err), -1);
    assert_int_equal(ra_parse_int("99999999999999999999", &v, &err), -1);
    assert_non_null(strstr(err.msg, "too large"));
}

static void test_parse_window(void **state) {
    (void)state;
    static const struct { const char *in; int start, end; } ok[] = {
        {"02:00-03:00", 120, 180}, {"23:30-00:30", 1410, 30}, {"2:00-3:15", 120, 195},
        {"22:00-24:00", 1320, 0}, {"00:00-23:59", 0, 1439}, {"02:00 - 03:00", 120, 180},
    };
    static const char *const bad[] = {"", "02:00", "02:00-", "2-3", "02:00-03:60", "25:00-01:00", "24:00-01:00",
                                      "02:00-24:01", "02:00-03:00x", "02:0-03:00", "ab:cd-ef:gh", "02:00/03:00"};
    ra_err err = {0};
    ra_window w;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (ra_parse_window(ok[i].in, &w, &err) != 0) fail_msg("'%s': %s", ok[i].in, err.msg);
        assert_int_equal(w.start, ok[i].start);
        assert_int_equal(w.end, ok[i].end);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ra_parse_window(bad[i], &w, &err) == 0) fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(ra_parse_window("03:00-03:00", &w, &err), -1);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(ra_parse_window("00:00-24:00", &w, &err), -1);  /* same instant */
}

static void test_parse_weekdays(void **state) {
    (void)state;
    static const struct { const char *in; unsigned mask; } ok[] = {
        {"*", 0x7f}, {"all", 0x7f}, {"ALL", 0x7f}, {"sun", 0x01}, {"mon,wed,fri", 0x2a}, {"mon-fri", 0x3e},
        {"sat-sun", 0x41}, {"fri-mon", 0x63}, {"Monday, Tuesday", 0x06}, {"mon - wed, sat", 0x4e},
        {"sun-sat", 0x7f}, {"wed-wed", 0x08}, {"MON", 0x02},
    };
    static const char *const bad[] = {"", "mo", "mon,", ",mon", "mon-", "mon-tue-wed", "monday-x", "1", "mon;tue",
                                      "**"};
    ra_err err = {0};
    unsigned m;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (ra_parse_weekdays(ok[i].in, &m, &err) != 0) fail_msg("'%s': %s", ok[i].in, err.msg);
        if (m != ok[i].mask) fail_msg("'%s': %#x want %#x", ok[i].in, m, ok[i].mask);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ra_parse_weekdays(bad[i], &m, &err) == 0) fail_msg("'%s' accepted", bad[i]);
    assert_string_equal(err.msg, "invalid weekdays '**' (use *, day names and ranges: mon,wed,fri or mon-fri)");
}

static void test_parse_timezone(void **state) {
    (void)state;
    static const struct { const char *in; long off; } fixed[] = {
        {"UTC", 0}, {"utc", 0}, {"GMT", 0}, {"Z", 0}, {"+08:00", 28800}, {"+0800", 28800}, {"+8", 28800},
        {"-05:30", -19800}, {"+14:00", 50400}, {"-00:00", 0},
    };
    static const char *const bad[] = {"", "+", "+15:00", "+08:60", "+8:0", "08:00", "../etc/passwd", "/etc/localtime",
                                      "Asia Shanghai", "+08:00:00", "Asia/../../etc"};
    ra_err err = {0};
    int f;
    long off;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (ra_parse_timezone(fixed[i].in, &f, &off, &err) != 0) fail_msg("'%s': %s", fixed[i].in, err.msg);
        assert_int_equal(f, 1);
        assert_int_equal(off, fixed[i].off);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ra_parse_timezone(bad[i], &f, &off, &err) == 0) fail_msg("'%s' accepted", bad[i]);
    /* Names are checked against a zoneinfo directory: use a fake one. */
    char dir[] = "/tmp/ra-zoneinfo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[128], file[160];
    snprintf(sub, sizeof(sub), "%s/Asia", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof(file), "%s/Shanghai", sub);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fputs("TZif", fp);
    fclose(fp);
    setenv("TZDIR", dir, 1);
    assert_int_equal(ra_parse_timezone("Asia/Shanghai", &f, &off, &err), 0);
    assert_int_equal(f, 0);
    assert_int_equal(ra_parse_timezone("Asia/Shangai", &f, &off, &err), -1);
    assert_non_null(strstr(err.msg, "unknown time zone 'Asia/Shangai'"));
    assert_int_equal(ra_parse_timezone("Asia", &f, &off, &err), -1);  /* a directory */
    unsetenv("TZDIR");
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

static void test_format(void **state) {
    (void)state;
    char b[64];
    ra_format_size(16 * MIB, b, sizeof(b));
    assert_string_equal(b, "16MiB");
    ra_format_size(5 * GIB, b, sizeof(b));
    assert_string_equal(b, "5GiB");
    ra_format_size(1536, b, sizeof(b));
    assert_string_equal(b, "1536");  /* 1.5 KiB: bytes */
    ra_format_size(16777217, b, sizeof(b));
    assert_string_equal(b, "16777217");
    ra_format_duration(43200, b, sizeof(b));
    assert_string_equal(b, "12h");
    ra_format_duration(604800, b, sizeof(b));
    assert_string_equal(b, "7d");
    ra_format_duration(90, b, sizeof(b));
    assert_string_equal(b, "90s");
    ra_format_duration(5400, b, sizeof(b));
    assert_string_equal(b, "90m");
    ra_window w = {1410, 30};
    ra_format_window(&w, b, sizeof(b));
    assert_string_equal(b, "23:30-00:30");
    static const struct { unsigned m; const char *s; } days[] = {
        {0x7f, "*"}, {0x3e, "mon-fri"}, {0x2a, "mon,wed,fri"}, {0x41, "sun,sat"}, {0x06, "mon,tue"}, {0x01, "sun"},
        {0x3f, "sun-fri"}, {0, ""},
    };
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        ra_format_weekdays(days[i].m, b, sizeof(b));
        assert_string_equal(b, days[i].s);
        unsigned back;
        if (days[i].m != 0) {
            assert_int_equal(ra_parse_weekdays(b, &back, NULL), 0);
            assert_int_equal(back, days[i].m);
        }
    }
    /* Every mask round-trips. */
    for (unsigned m = 1; m < 128; m++) {
        unsigned back = 0;
        ra_format_weekdays(m, b, sizeof(b));
        assert_int_equal(ra_parse_weekdays(b, &back, NULL), 0);
        assert_int_equal(back, m);
    }
}

static void test_urls(void **state) {
    (void)state;
    static const struct { const char *in; int has; const char *masked; } cases[] = {
        {"redis://127.0.0.1:6379", 0, "redis://127.0.0.1:6379"},
        {"redis://:s3cret@h:6379", 1, "redis://:***@h:6379"},
        {"redis://user:s3cret@h:6379/0", 1, "redis://user:***@h:6379/0"},
        {"rediss://s3cret@h", 1, "rediss://***@h"},
        {"redis://user:@h", 0, "redis://user:@h"},
        {"redis://h:6379/x@y", 1, "redis://h:***@y"},
        {"redis://u:p@ss@h:1", 1, "redis://u:***@h:1"},
        {"no scheme", 0, "no scheme"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ra_redis_url_has_password(cases[i].in), cases[i].has);
        char *m = ra_redis_url_mask(cases[i].in);
        assert_string_equal(m, cases[i].masked);
        free(m);
    }
    assert_int_equal(ra_redis_url_has_password(NULL), 0);
    assert_null(ra_redis_url_mask(NULL));

    /* The config check is the source's parser: same verdicts, and no password in its messages. */
    ra_config c;
    ra_err err;
    ra_config_init(&c);
    assert_int_equal(ra_config_set(&c, "source", "redis://backup:S3cr#t?/pw@127.0.0.1:6379", RA_ORIGIN_FILE, 1,
                                   "conf:1", &err), 0);
    assert_int_equal(ra_config_set(&c, "source", "redis://u:S3cretPw@host:99999", RA_ORIGIN_FILE, 1, "conf:1", &err),
                     -1);
    assert_null(strstr(err.msg, "S3cretPw"));
    /* An endpoint with user info is refused without quoting it (R8). */
    assert_int_equal(ra_config_set(&c, "endpoint", "http://AKIAX:EndpointSecret123@10.0.0.1:9000", RA_ORIGIN_FLAG, 0,
                                   "--endpoint", &err), -1);
    assert_null(strstr(err.msg, "EndpointSecret123"));
    assert_null(strstr(err.msg, "AKIAX"));
    assert_non_null(strstr(err.msg, "***@10.0.0.1:9000"));
    ra_config_clear(&c);
}

static void test_suggest(void **state) {
    (void)state;
    assert_string_equal(ra_config_suggest("part_sise"), "part-size");
    assert_string_equal(ra_config_suggest("part_size"), "part-size");
    assert_string_equal(ra_config_suggest("PART_SIZE"), "part-size");
    assert_string_equal(ra_config_suggest("bukket"), "bucket");
    assert_string_equal(ra_config_suggest("--bucket"), "bucket");
    assert_string_equal(ra_config_suggest("retention-day"), "retention-days");
    assert_null(ra_config_suggest("retention"));  /* retention-days and retention-keep */
    assert_string_equal(ra_config_suggest("retention-kep"), "retention-keep");
    assert_string_equal(ra_config_suggest("timezon"), "timezone");
    assert_string_equal(ra_config_suggest("weekday"), "weekdays");
    assert_null(ra_config_suggest("tls"));  /* a prefix of several */
    assert_null(ra_config_suggest("zzzzzzzz"));
    assert_null(ra_config_suggest("ab"));
    assert_null(ra_config_suggest(""));
    assert_null(ra_config_suggest(NULL));
}

static void test_file_syntax(void **state) {
    (void)state;
    const char *text =
        "# a comment\n"
        "\n"
        "   # indented comment\n"
        "bucket my-backups\n"
        "source \"redis://:p\\\"w\\\\d@10.0.0.5:6380\"   # quoted, with escapes\n"
        "prefix  team/redis   # no trailing slash: one is added\r\n"
        "\tpart-size 64MiB\n"
        "weekdays mon-fri\n"
        "window 23:30-00:30\n"
        "timezone +08:00\n"
        "url-expiry 7d\n"
        "path-style yes\n"
        "tls-ca-file \"/etc/my ca/ca.pem\"\n"
        "region \"\"\n"
        "log-format json\n"
        "log-level DEBUG\n"
        "instance cache-1.prod_x";  /* no final newline */
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    if (parse(&c, text, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.bucket, "my-backups");
    assert_string_equal(c.source, "redis://:p\"w\\d@10.0.0.5:6380");
    assert_string_equal(c.prefix, "team/redis/");
    assert_int_equal(c.part_size, 64 * MIB);
    assert_int_equal(c.weekdays, 0x3e);
    assert_int_equal(c.window.start, 1410);
    assert_int_equal(c.window.end, 30);
    assert_int_equal(c.tz_fixed, 1);
    assert_int_equal(c.tz_offset, 28800);
    assert_string_equal(c.timezone, "+08:00");
    assert_int_equal(c.url_expiry, 604800);
    assert_int_equal(c.path_style, 1);
    assert_string_equal(c.tls_ca_file, "/etc/my ca/ca.pem");
    assert_null(c.region);
    assert_int_equal(c.log_format, RA_CONFIG_LOG_JSON);
    assert_int_equal(c.log_level, RA_LOG_DEBUG);
    assert_string_equal(c.instance, "cache-1.prod_x");
    assert_int_equal(c.origin[RA_KEY_BUCKET], RA_ORIGIN_FILE);
    assert_int_equal(c.origin_line[RA_KEY_BUCKET], 4);
    assert_int_equal(c.origin_line[RA_KEY_INSTANCE], 17);
    assert_int_equal(c.origin[RA_KEY_CONCURRENCY], RA_ORIGIN_DEFAULT);
    ra_schedule s;
    ra_config_schedule(&c, &s);
    assert_int_equal(s.window.start, 1410);
    assert_int_equal(s.weekdays, 0x3e);
    assert_int_equal(s.offset, 28800);
    assert_null(s.offset_fn);
    ra_config_clear(&c);

    /* An empty prefix stays empty; a URL fragment-like '#' without a space is part of the value. */
    ra_config_init(&c);
    assert_int_equal(parse(&c, "prefix \"\"\nbucket a#b\n", &err), -1);  /* '#' is not a bucket char */
    ra_config_clear(&c);
    ra_config_init(&c);
    assert_int_equal(parse(&c, "prefix \"\"\ntls-ca-file /x#y\n", &err), 0);
    assert_string_equal(c.prefix, "");
    assert_string_equal(c.tls_ca_file, "/x#y");
    ra_config_clear(&c);
}

/* Sentinels come in a list; a ',' in the password is not a host separator. */
static void test_source_lists(void **state) {
    (void)state;
    static const char *const ok[] = {
        "source redis://h1:26379,h2:26380,h3\n",
        "source redis://u:p,w@h1:26379,h2:26379\n",
        "source rediss://:a,b,c@[::1]:26379,10.0.0.2:26379/0\n",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ra_config c;
        ra_config_init(&c);
        ra_err err = {0};
        if (parse(&c, ok[i], &err) != 0) fail_msg("refused %s: %s", ok[i], err.msg);
        ra_config_clear(&c);
    }
}

static void test_file_errors(void **state) {
    (void)state;
    static const struct { const char *text; const char *msg; } cases[] = {
        {"bucket bbb\n\npart_sise 16MiB\n", "t.conf:3: unknown key 'part_sise' (did you mean 'part-size'?)"},
        {"frobnicate 1\n", "t.conf:1: unknown key 'frobnicate'"},
        {"bucket aaa\nbucket bbb\n", "t.conf:2: duplicate key 'bucket' (first set on line 1)"},
        {"bucket\n", "t.conf:1: key 'bucket' needs a value"},
        {"bucket   # nothing\n", "t.conf:1: key 'bucket' needs a value"},
        {"part-size 1MiB\n", "t.conf:1: part-size: '1MiB' is out of range (5MiB..5GiB)"},
        {"part-size 6GiB\n", "t.conf:1: part-size: '6GiB' is out of range (5MiB..5GiB)"},
        {"concurrency 0\n", "t.conf:1: concurrency: '0' is out of range (1..64)"},
        {"concurrency 65\n", "t.conf:1: concurrency: '65' is out of range (1..64)"},
        {"retention-days 3651\n", "t.conf:1: retention-days: '3651' is out of range (1..3650)"},
        {"url-expiry 8d\n", "t.conf:1: url-expiry: '8d' is out of range (1s..7d)"},
        {"url-expiry 0\n", "t.conf:1: url-expiry: '0' is out of range (1s..7d)"},
        {"concurrency four\n", "t.conf:1: concurrency: invalid number 'four'"},
        {"sweep maybe\n", "t.conf:1: sweep: invalid boolean 'maybe' (use yes/no, true/false, on/off or 1/0)"},
        {"log-level loud\n", "t.conf:1: log-level: invalid value 'loud' (use debug|info|warn|error)"},
        {"source http://x:1\n", "t.conf:1: source: invalid redis url 'http://x:1': unsupported scheme (use redis:// "
                                "or rediss://) (expected redis://[user[:password]@]host[:port] or rediss://...)"},
        {"source redis://:pw@:99999\n", "t.conf:1: source: invalid redis url 'redis://:***@:99999': no host "
                                        "(expected redis://[user[:password]@]host[:port] or rediss://...)"},
        {"source redis://h1:26379,\n", "t.conf:1: source: invalid redis url 'redis://h1:26379,': no host "
                                       "(expected redis://[user[:password]@]host[:port] or rediss://...)"},
        {"source redis://:pw@h1:26379,h2:99999\n", "t.conf:1: source: invalid redis url "
                                                  "'redis://:***@h1:26379,h2:99999': bad port (1..65535) "
                                                  "(expected redis://[user[:password]@]host[:port] or rediss://...)"},
        {"endpoint http://h1:1,h2:2\n", NULL},
        {"endpoint s3.amazonaws.com\n", "t.conf:1: endpoint: invalid endpoint URL 's3.amazonaws.com' (use "
                                        "http://host:port or https://host)"},
        {"instance a/b\n", "t.conf:1: instance: invalid instance name 'a/b' (letters, digits, '.', '_' and '-', at "
                           "most 128)"},
        {"instance ..\n", NULL},
        {"sentinel-master \"my master\"\n", "t.conf:1: sentinel-master: invalid sentinel master name 'my master' "
                                           "(no spaces or control characters)"},
        {"instance \"\"\n", "t.conf:1: instance: needs a value"},
        {"bucket a\n", NULL},
        {"prefix /abs/\n", NULL},
        {"region us east\n", NULL},
        {"tls-server-name bad_host!\n", NULL},
        {"source \"redis://h:1\n", "t.conf:1: source: unterminated quoted value"},
        {"source \"redis://h:1\" extra\n", "t.conf:1: source: unexpected text after the closing quote"},
        {"source \"redis://h\\n:1\"\n", "t.conf:1: source: bad escape in quoted value (only \\\" and \\\\)"},
        {"bucket=foo\n", "t.conf:1: write 'bucket value', not 'bucket=value'"},
        {"config /etc/x.conf\n", "t.conf:1: key 'config' cannot be set in a config file"},
        {"bucket \"a\x01\"\n", "t.conf:1: bucket: value contains a control character"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ra_config c;
        ra_config_init(&c);
        ra_err err = {0};
        if (parse(&c, cases[i].text, &err) == 0) fail_msg("accepted: %s", cases[i].text);
        assert_int_equal(err.code, RA_E_USAGE);
        if (cases[i].msg != NULL && strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("for %s got  '%s'\nwant '%s'", cases[i].text, err.msg, cases[i].msg);
        assert_null(strstr(err.msg, "pw@"));  /* never echo a password */
        ra_config_clear(&c);
    }
    /* Length limits hold for the stored value: 511 bytes + the added '/' fits, 512 does not. */
    char big[600];
    memset(big, 'p', sizeof(big));
    memcpy(big, "prefix ", 7);
    memcpy(big + 7 + 511, "\n", 2);
    {
        ra_config c;
        ra_err err = {0};
        ra_config_init(&c);
        assert_int_equal(parse(&c, big, &err), 0);
        assert_int_equal(strlen(c.prefix), 512);
        ra_config_clear(&c);
        big[7 + 511] = 'p';
        memcpy(big + 7 + 512, "\n", 2);
        ra_config_init(&c);
        assert_int_equal(parse(&c, big, &err), -1);
        assert_non_null(strstr(err.msg, "at most 512"));
        ra_config_clear(&c);
        char *huge = malloc(RA_CONFIG_VALUE_MAX + 32);
        memcpy(huge, "tls-ca-file /", 13);
        memset(huge + 13, 'x', RA_CONFIG_VALUE_MAX);
        huge[13 + RA_CONFIG_VALUE_MAX] = '\0';
        ra_config_init(&c);
        assert_int_equal(parse(&c, huge, &err), -1);
        assert_string_equal(err.msg, "t.conf:1: tls-ca-file: value is longer than 4000 bytes");
        ra_config_clear(&c);
        free(huge);
    }
    /* A NUL byte. */
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    assert_int_equal(ra_config_parse_text(&c, "bucket aaa\nregion a\0b\n", 22, "t.conf", &err), -1);
    assert_string_equal(err.msg, "t.conf:2: NUL byte in line");
    ra_config_clear(&c);
}

static void test_precedence(void **state) {
    (void)state;
    char *path = write_temp("bucket file-b\nregion file-r\nconcurrency 3\ninstance file-i\nsweep yes\n");
    setenv("REDIS_ARCHIVER_CONFIG", path, 1);
    setenv("REDIS_ARCHIVER_BUCKET", "env-b", 1);
    setenv("REDIS_ARCHIVER_CONCURRENCY", "5", 1);
    setenv("REDIS_ARCHIVER_INSTANCE", "", 1);  /* empty = unset */
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    int nrest;
    char **rest;
    const char *argv[] = {"list", "--bucket", "flag-b", NULL};
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.bucket, "flag-b");
    assert_int_equal(c.origin[RA_KEY_BUCKET], RA_ORIGIN_FLAG);
    assert_int_equal(c.concurrency, 5);
    assert_int_equal(c.origin[RA_KEY_CONCURRENCY], RA_ORIGIN_ENV);
    assert_string_equal(c.region, "file-r");
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_FILE);
    assert_int_equal(c.origin_line[RA_KEY_REGION], 2);
    assert_string_equal(c.instance, "file-i");
    assert_int_equal(c.sweep, 1);
    assert_int_equal(c.part_size, 16 * MIB);
    assert_int_equal(c.origin[RA_KEY_PART_SIZE], RA_ORIGIN_DEFAULT);
    assert_string_equal(c.config, path);
    assert_int_equal(c.origin[RA_KEY_CONFIG], RA_ORIGIN_ENV);
    assert_int_equal(nrest, 1);
    assert_string_equal(rest[0], "list");
    assert_null(rest[1]);
    assert_int_equal(c.nwarnings, 0);

    /* Printed: each value with its origin, no password. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ra_config_print(&c, f);
    fclose(f);
    assert_non_null(strstr(out, "flag --bucket"));
    assert_non_null(strstr(out, "env REDIS_ARCHIVER_CONCURRENCY"));
    assert_non_null(strstr(out, "file line 2"));
    assert_non_null(strstr(out, "part-size        16MiB"));
    ra_config_clear(&c);
    free(out);

    /* --config beats REDIS_ARCHIVER_CONFIG; --config=PATH works after the command too. */
    char *path2 = write_temp("bucket file2-b\n");
    unsetenv("REDIS_ARCHIVER_BUCKET");
    ra_config_init(&c);
    char cfg_flag[128];
    snprintf(cfg_flag, sizeof(cfg_flag), "--config=%s", path2);
    const char *argv2[] = {"list", cfg_flag, NULL};
    if (load(&c, argv2, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.bucket, "file2-b");
    assert_string_equal(c.region, RA_S3_REGION_DEFAULT); /* no AWS_REGION either: the default */
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_DEFAULT);
    assert_int_equal(c.origin[RA_KEY_CONFIG], RA_ORIGIN_FLAG);
    assert_string_equal(c.config, path2);
    ra_config_clear(&c);

    /* A named file that does not exist is an error; the default path is only read when present. */
    ra_config_init(&c);
    setenv("REDIS_ARCHIVER_CONFIG", "/nonexistent/ra.conf", 1);
    const char *argv3[] = {"list", NULL};
    assert_int_equal(load(&c, argv3, &nrest, &rest, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_string_equal(err.msg, "cannot open config file '/nonexistent/ra.conf': No such file or directory");
    ra_config_clear(&c);

    /* A bad file line is reported with the file's path. */
    char *path3 = write_temp("bucket ok-b\nretention_days 9\n");
    setenv("REDIS_ARCHIVER_CONFIG", path3, 1);
    ra_config_init(&c);
    assert_int_equal(load(&c, argv3, &nrest, &rest, &err), -1);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: unknown key 'retention_days' (did you mean 'retention-days'?)", path3);
    assert_string_equal(err.msg, want);
    ra_config_clear(&c);

    unlink(path);
    unlink(path2);
    unlink(path3);
    free(path);
    free(path2);
    free(path3);
}

static void test_env_errors(void **state) {
    (void)state;
    ra_config c;
    ra_err err = {0};
    int nrest;
    char **rest;
    const char *argv[] = {"backup", NULL};
    static const struct { const char *var, *val, *msg; } cases[] = {
        {"REDIS_ARCHIVER_CONCURRENCY", "0", "REDIS_ARCHIVER_CONCURRENCY: '0' is out of range (1..64)"},
        {"REDIS_ARCHIVER_WINDOW", "2am", "REDIS_ARCHIVER_WINDOW: invalid window '2am' (use HH:MM-HH:MM, 24-hour clock: "
                                         "02:00-03:00, 23:30-00:30)"},
        {"REDIS_ARCHIVER_PATH_STYLE", "maybe", NULL},
        {"REDIS_ARCHIVER_SENTINEL_MASTER", "a b", "REDIS_ARCHIVER_SENTINEL_MASTER: invalid sentinel master name "
                                                "'a b' (no spaces or control characters)"},
        {"REDIS_ARCHIVER_TIMEZONE", "+99:00", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clear_env();
        setenv(cases[i].var, cases[i].val, 1);
        ra_config_init(&c);
        assert_int_equal(load(&c, argv, &nrest, &rest, &err), -1);
        assert_int_equal(err.code, RA_E_USAGE);
        assert_true(strncmp(err.msg, cases[i].var, strlen(cases[i].var)) == 0);
        if (cases[i].msg) assert_string_equal(err.msg, cases[i].msg);
        ra_config_clear(&c);
    }
    clear_env();

    /* A misspelt variable is a warning, with a suggestion. */
    setenv("REDIS_ARCHIVER_PART_SISE", "32MiB", 1);
    ra_config_init(&c);
    assert_int_equal(load(&c, argv, &nrest, &rest, &err), 0);
    assert_int_equal(c.part_size, 16 * MIB);
    assert_int_equal(c.nwarnings, 1);
    assert_string_equal(c.warnings[0],
                        "unknown variable REDIS_ARCHIVER_PART_SISE ignored (did you mean REDIS_ARCHIVER_PART_SIZE?)");
    ra_config_clear(&c);
    unsetenv("REDIS_ARCHIVER_PART_SISE");
    /* other tools' variables that fill unset keys */
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("REDISCLI_AUTH");
}

/* path-style: yes/no as any boolean, or auto (the default); a bare flag still means yes */
static void test_path_style_auto(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    assert_int_equal(c.path_style, RA_PATH_STYLE_AUTO);
    assert_int_equal(ra_config_set(&c, "path-style", "off", RA_ORIGIN_FILE, 1, "f", &err), 0);
    assert_int_equal(c.path_style, 0);
    assert_int_equal(ra_config_set(&c, "path-style", "AUTO", RA_ORIGIN_FILE, 1, "f", &err), 0);
    assert_int_equal(c.path_style, RA_PATH_STYLE_AUTO);
    assert_int_equal(ra_config_set(&c, "path-style", "yes", RA_ORIGIN_FILE, 1, "f", &err), 0);
    assert_int_equal(c.path_style, 1);
    assert_int_equal(ra_config_set(&c, "path-style", "maybe", RA_ORIGIN_FILE, 1, "f", &err), -1);
    assert_string_equal(err.msg, "f: invalid value 'maybe' (use yes, no or auto)");
    assert_int_equal(ra_config_set(&c, "sweep", "auto", RA_ORIGIN_FILE, 1, "f", &err), -1); /* only path-style */
    ra_config_clear(&c);
    int nrest;
    char **rest;
    const char *a1[] = {"--path-style", "auto", "list", NULL};
    ra_config_init(&c);
    if (load(&c, a1, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(c.path_style, RA_PATH_STYLE_AUTO);
    assert_int_equal(nrest, 1);
    ra_config_clear(&c);
    const char *a2[] = {"--path-style", "list", NULL};
    ra_config_init(&c);
    if (load(&c, a2, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(c.path_style, 1);
    ra_config_clear(&c);
}

static void test_flags_and_rest(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    int nrest;
    char **rest;
    const char *argv[] = {"--bucket", "bk1", "backup", "--remark", "--json", "--part-size=32M", "--json", "id-1",
                          "--sweep", "--path-style", "no", "--no-allow-master", "--pick-replica=yes",
                          "--sentinel-master", "mymaster",
                          "--expires", "7d", "--days=3", "--help", "--", "--bucket", "x", NULL};
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    const char *want[] = {"backup", "--remark", "--json", "--json", "id-1", "--expires", "7d", "--days=3", "--help",
                          "--", "--bucket", "x"};
    assert_int_equal(nrest, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < nrest; i++) assert_string_equal(rest[i], want[i]);
    assert_null(rest[nrest]);
    assert_ptr_equal(rest, c.rest);
    assert_string_equal(c.bucket, "bk1");
    assert_int_equal(c.part_size, 32 * MIB);
    assert_int_equal(c.sweep, 1);
    assert_int_equal(c.path_style, 0);
    assert_int_equal(c.allow_master, 0);
    assert_int_equal(c.pick_replica, 1);
    assert_string_equal(c.sentinel_master, "mymaster");
    assert_int_equal(c.origin[RA_KEY_PATH_STYLE], RA_ORIGIN_FLAG);
    ra_config_clear(&c);

    /* The last of a repeated flag wins; a bare boolean does not eat a command word. */
    ra_config_init(&c);
    const char *argv2[] = {"--concurrency", "2", "--sweep", "backup", "--concurrency=8", NULL};
    assert_int_equal(load(&c, argv2, &nrest, &rest, &err), 0);
    assert_int_equal(c.concurrency, 8);
    assert_int_equal(c.sweep, 1);
    assert_int_equal(nrest, 1);
    assert_string_equal(rest[0], "backup");
    ra_config_clear(&c);

    /* Errors name the flag. */
    static const struct { const char *a, *b, *msg; } cases[] = {
        {"--bucket", NULL, "--bucket needs a value"},
        {"--bucket", "--region", "--bucket needs a value (got the flag '--region')"},
        {"--window", "9-5", "--window: invalid window '9-5' (use HH:MM-HH:MM, 24-hour clock: 02:00-03:00, "
                            "23:30-00:30)"},
        {"--part-size=1k", NULL, "--part-size: '1k' is out of range (5MiB..5GiB)"},
        {"--sweep=perhaps", NULL, "--sweep: invalid boolean 'perhaps' (use yes/no, true/false, on/off or 1/0)"},
        {"--config", NULL, "--config needs a value"},
        {"--config=", NULL, "--config needs a value"},
        {"--url-expiry", "1y", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ra_config_init(&c);
        const char *av[] = {"backup", cases[i].a, cases[i].b, NULL};
        assert_int_equal(load(&c, av, &nrest, &rest, &err), -1);
        assert_int_equal(err.code, RA_E_USAGE);
        if (cases[i].msg && strcmp(err.msg, cases[i].msg) != 0) fail_msg("got '%s' want '%s'", err.msg, cases[i].msg);
        ra_config_clear(&c);
    }

    /* Unknown --flags are the command's business: passed on. */
    ra_config_init(&c);
    const char *argv3[] = {"--bukket", "x", NULL};
    assert_int_equal(load(&c, argv3, &nrest, &rest, &err), 0);
    assert_int_equal(nrest, 2);
    assert_string_equal(rest[0], "--bukket");
    ra_config_clear(&c);

    /* No arguments at all. */
    ra_config_init(&c);
    const char *argv4[] = {NULL};
    assert_int_equal(load(&c, argv4, &nrest, &rest, &err), 0);
    assert_int_equal(nrest, 0);
    assert_null(rest[0]);
    ra_config_clear(&c);
}

static void test_source_password(void **state) {
    (void)state;
    ra_config c;
    ra_err err = {0};
    int nrest;
    char **rest;
    ra_config_init(&c);
    char url[] = "redis://:hunter2@10.1.2.3:6379"; /* writable, as argv is: it gets scrubbed */
    const char *argv[] = {"backup", "--source", url, NULL};
    assert_int_equal(load(&c, argv, &nrest, &rest, &err), 0);
    assert_int_equal(c.source_password_in_argv, 1);
    assert_string_equal(url, "redis://:*******@10.1.2.3:6379");
    assert_string_equal(c.source, "redis://:hunter2@10.1.2.3:6379");
    assert_int_equal(c.nwarnings, 1);
    assert_non_null(strstr(c.warnings[0], "process list"));
    assert_null(strstr(c.warnings[0], "hunter2"));
    char v[256];
    ra_config_format_value(&c, RA_KEY_SOURCE, v, sizeof(v));
    assert_string_equal(v, "redis://:***@10.1.2.3:6379");
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ra_config_print(&c, f);
    fclose(f);
    assert_null(strstr(out, "hunter2"));
    assert_non_null(strstr(out, "redis://:***@10.1.2.3:6379"));
    free(out);
    ra_config_clear(&c);

    /* From the environment: fine, no warning. */
    setenv("REDIS_ARCHIVER_SOURCE", "redis://:hunter2@10.1.2.3:6379", 1);
    ra_config_init(&c);
    const char *argv2[] = {"backup", NULL};
    assert_int_equal(load(&c, argv2, &nrest, &rest, &err), 0);
    assert_int_equal(c.source_password_in_argv, 0);
    assert_int_equal(c.nwarnings, 0);
    assert_string_equal(c.source, "redis://:hunter2@10.1.2.3:6379");
    ra_config_clear(&c);
    unsetenv("REDIS_ARCHIVER_SOURCE");
}

/* What ra_config_print writes reads back as a config file with the same values. */
static void test_print_round_trip(void **state) {
    (void)state;
    ra_config a, b;
    ra_err err = {0};
    ra_config_init(&a);
    const char *text = "bucket bk-1\nprefix \"a b/#c\"\nwindow 23:00-01:30\nweekdays sat-mon\ntimezone -03:30\n"
                       "part-size 100MiB\nurl-expiry 1h30m\nlog-level warn\nendpoint http://[::1]:7480\n";
    if (parse(&a, text, &err) != 0) fail_msg("%s", err.msg);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ra_config_print(&a, f);
    fclose(f);
    ra_config_init(&b);
    if (ra_config_parse_text(&b, out, outlen, "printed", &err) != 0) fail_msg("%s\n%s", err.msg, out);
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        char va[512], vb[512];
        ra_config_format_value(&a, (ra_config_key)k, va, sizeof(va));
        ra_config_format_value(&b, (ra_config_key)k, vb, sizeof(vb));
        assert_string_equal(va, vb);
    }
    assert_string_equal(b.prefix, "a b/#c/");
    free(out);
    ra_config_clear(&a);
    ra_config_clear(&b);
}

static void test_help(void **state) {
    (void)state;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ra_config_print_help(f);
    fclose(f);
    char flag[96], env[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        snprintf(flag, sizeof(flag), "--%s ", ra_config_key_name((ra_config_key)k));
        ra_config_env_name(ra_config_key_name((ra_config_key)k), env, sizeof(env));
        assert_non_null(strstr(out, flag));
        assert_non_null(strstr(out, env));
    }
    assert_non_null(strstr(out, "REDIS_ARCHIVER_PART_SIZE, default 16MiB\n"));
    free(out);
}

/* The committed conf/redis-archiver.conf is what the table generates, names every key and parses.
 * RA_WRITE_SAMPLE=PATH writes a fresh one there instead of comparing. */
static char *read_sample(char **path_out) {
    char path[1024];
    const char *dir = getenv("RA_SOURCE_DIR");
    FILE *f = NULL;
    if (dir != NULL) {
        snprintf(path, sizeof(path), "%s/conf/redis-archiver.conf", dir);
        f = fopen(path, "rb");
    }
    if (f == NULL) {
        snprintf(path, sizeof(path), "%s", __FILE__);
        char *slash = strrchr(path, '/');
        if (slash) {
            snprintf(slash, sizeof(path) - (size_t)(slash - path), "/../../conf/redis-archiver.conf");
            f = fopen(path, "rb");
        }
    }
    if (f == NULL) {
        snprintf(path, sizeof(path), "conf/redis-archiver.conf");
        f = fopen(path, "rb");
    }
    if (f == NULL) return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    *path_out = strdup(path);
    return buf;
}

static void test_sample_file(void **state) {
    (void)state;
    char *gen = NULL;
    size_t genlen = 0;
    FILE *f = open_memstream(&gen, &genlen);
    ra_config_write_sample(f);
    fclose(f);
    const char *w = getenv("RA_WRITE_SAMPLE");
    if (w != NULL) {
        FILE *o = fopen(w, "w");
        assert_non_null(o);
        fputs(gen, o);
        fclose(o);
    }
    char *path = NULL;
    char *text = read_sample(&path);
    if (text == NULL) fail_msg("conf/redis-archiver.conf not found: run from the repo root or set RA_SOURCE_DIR");
    if (strcmp(text, gen) != 0)
        fail_msg("%s differs from the option table: regenerate it with RA_WRITE_SAMPLE=%s %s", path, path,
                 "build/tests/unit/test_config");
    /* Every key is there, as a setting or a commented example, at the start of a line. */
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        char a[96], b[96];
        snprintf(a, sizeof(a), "\n%s ", ra_config_key_name((ra_config_key)k));
        snprintf(b, sizeof(b), "\n# %s ", ra_config_key_name((ra_config_key)k));
        if (strstr(text, a) == NULL && strstr(text, b) == NULL) fail_msg("key %s missing from %s", a + 1, path);
    }
    assert_non_null(strstr(text, "--config"));
    /* It parses, to the defaults. */
    ra_config c, d;
    ra_err err = {0};
    ra_config_init(&c);
    ra_config_init(&d);
    if (ra_config_parse_text(&c, text, strlen(text), path, &err) != 0) fail_msg("%s", err.msg);
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        char va[512], vb[512];
        ra_config_format_value(&c, (ra_config_key)k, va, sizeof(va));
        ra_config_format_value(&d, (ra_config_key)k, vb, sizeof(vb));
        assert_string_equal(va, vb);
    }
    /* The commented examples are valid values too. */
    char *copy = strdup(text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[64];
        if (strncmp(line, "# ", 2) != 0 || sscanf(line + 2, "%63s", key) != 1) continue;
        if (ra_config_key_find(key) < 0 || strchr(line + 2, ' ') == NULL) continue;
        ra_config e;
        ra_config_init(&e);
        if (ra_config_parse_text(&e, line + 2, strlen(line + 2), "example", &err) != 0)
            fail_msg("example '%s': %s", line + 2, err.msg);
        ra_config_clear(&e);
    }
    free(copy);
    ra_config_clear(&c);
    ra_config_clear(&d);
    free(text);
    free(path);
    free(gen);
}

/* Region, endpoint and the Redis password from other tools' variables: below every key of ours,
 * above the default; `config` shows the value in force and the variable it came from. */
static char *printed(const ra_config *c) {
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    assert_non_null(f);
    ra_config_print(c, f);
    fclose(f);
    return out;
}

static void test_ambient(void **state) {
    (void)state;
    ra_config c;
    ra_err err = {0};
    int nrest;
    char **rest;
    const char *argv[] = {"config", NULL};

    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "eu-central-1");
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_AMBIENT);
    assert_string_equal(c.origin_var[RA_KEY_REGION], "AWS_DEFAULT_REGION");
    assert_string_equal(c.endpoint, "http://127.0.0.1:9000");
    assert_string_equal(c.origin_var[RA_KEY_ENDPOINT], "AWS_ENDPOINT_URL");
    assert_null(c.redis_password);
    ra_config_clear(&c);

    /* AWS_REGION before AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL */
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7480", 1);
    setenv("REDISCLI_AUTH", "s3cret-pw", 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "eu-west-1");
    assert_string_equal(c.origin_var[RA_KEY_REGION], "AWS_REGION");
    assert_string_equal(c.endpoint, "http://127.0.0.1:7480");
    assert_string_equal(c.origin_var[RA_KEY_ENDPOINT], "AWS_ENDPOINT_URL_S3");
    assert_string_equal(c.redis_password, "s3cret-pw");
    char *out = printed(&c);
    assert_non_null(strstr(out, "eu-west-1"));
    assert_non_null(strstr(out, "# AWS_REGION\n"));
    assert_non_null(strstr(out, "# AWS_ENDPOINT_URL_S3\n"));
    assert_non_null(strstr(out, "REDISCLI_AUTH is set"));
    assert_null(strstr(out, "s3cret-pw"));  /* never printed */
    free(out);
    ra_config_clear(&c);
    assert_null(c.redis_password);

    /* a key of ours wins: the file, a REDIS_ARCHIVER_ variable, a flag */
    char *path = write_temp("region ap-south-1\n");
    setenv("REDIS_ARCHIVER_CONFIG", path, 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "ap-south-1");
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_FILE);
    ra_config_clear(&c);
    setenv("REDIS_ARCHIVER_ENDPOINT", "http://127.0.0.2:1", 1);
    const char *argv2[] = {"config", "--region", "us-west-2", NULL};
    ra_config_init(&c);
    if (load(&c, argv2, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "us-west-2");
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_FLAG);
    assert_string_equal(c.endpoint, "http://127.0.0.2:1");
    assert_int_equal(c.origin[RA_KEY_ENDPOINT], RA_ORIGIN_ENV);
    out = printed(&c);
    assert_null(strstr(out, "AWS_REGION"));
    free(out);
    ra_config_clear(&c);
    unsetenv("REDIS_ARCHIVER_ENDPOINT");
    setenv("REDIS_ARCHIVER_CONFIG", empty_conf, 1);
    unlink(path);
    free(path);

    /* a bad value names the variable */
    setenv("AWS_REGION", "eu west", 1);
    ra_config_init(&c);
    assert_int_equal(load(&c, argv, &nrest, &rest, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "AWS_REGION"));
    ra_config_clear(&c);

    /* no variable: the region of the active profile in the AWS config file (as the SDKs read it) */
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    char *aws = write_temp("# comment\n[default]\nregion = eu-central-1\ns3 =\n  region = nested-ignored\n"
                           "[profile prod]\noutput=json\nREGION=ap-northeast-2 \n[prod]\nregion = not-this\n");
    setenv("AWS_CONFIG_FILE", aws, 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "eu-central-1");
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_AMBIENT);
    assert_string_equal(c.origin_var[RA_KEY_REGION], "AWS_CONFIG_FILE, profile default");
    out = printed(&c);
    assert_non_null(strstr(out, "# AWS_CONFIG_FILE, profile default\n"));
    free(out);
    ra_config_clear(&c);
    setenv("AWS_PROFILE", "prod", 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "ap-northeast-2");
    assert_string_equal(c.origin_var[RA_KEY_REGION], "AWS_CONFIG_FILE, profile of AWS_PROFILE");
    ra_config_clear(&c);
    setenv("AWS_PROFILE", "none-such", 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, RA_S3_REGION_DEFAULT);
    assert_int_equal(c.origin[RA_KEY_REGION], RA_ORIGIN_DEFAULT);
    ra_config_clear(&c);
    /* a variable wins over the file */
    unsetenv("AWS_PROFILE");
    setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
    ra_config_init(&c);
    if (load(&c, argv, &nrest, &rest, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(c.region, "sa-east-1");
    ra_config_clear(&c);
    unlink(aws);
    free(aws);
    clear_env();
}

/* The text defaults of the table are the constants of common/limits.h. */
static void test_ops_keys(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    assert_int_equal(c.retention_keep, RA_RETENTION_KEEP_DEFAULT);
    assert_int_equal(c.retries, 3);
    assert_int_equal(c.health_max_age, 26 * 3600);
    assert_null(c.listen_address);
    /* a webhook's token is in its path or query: config shows scheme and host only */
    assert_int_equal(ra_config_set(&c, "notify-url", "https://u:pw@hooks.example.com/T0/B1/s3cr3t?x=1", RA_ORIGIN_FLAG,
                                   0, "--notify-url", &err), 0);
    char out[RA_CONFIG_VALUE_MAX + 16];
    ra_config_format_value(&c, RA_KEY_NOTIFY_URL, out, sizeof(out));
    assert_string_equal(out, "https://hooks.example.com/***");
    assert_int_equal(ra_config_set(&c, "notify-url", "ftp://x", RA_ORIGIN_FLAG, 0, "--notify-url", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    const char *good[] = {"127.0.0.1:9187", ":9187", "[::1]:9187", "metrics.local:80"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(ra_config_set(&c, "listen-address", good[i], RA_ORIGIN_FLAG, 0, "--listen-address", &err), 0);
    const char *bad[] = {"9187", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "a b:1", "[zz]:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ra_config_set(&c, "listen-address", bad[i], RA_ORIGIN_FLAG, 0, "--listen-address", &err), -1);
    assert_int_equal(ra_config_set(&c, "notify-on", "always", RA_ORIGIN_FLAG, 0, "--notify-on", &err), 0);
    assert_int_equal(c.notify_on, 2);
    assert_int_equal(ra_config_set(&c, "retries", "101", RA_ORIGIN_FLAG, 0, "--retries", &err), -1);
    ra_config_clear(&c);
}

static void test_defaults_match_limits(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    assert_int_equal(c.part_size, RA_PART_SIZE_DEFAULT);
    assert_int_equal(c.concurrency, RA_CONCURRENCY_DEFAULT);
    assert_int_equal(c.url_expiry, RA_URL_EXPIRY_DEFAULT);
    assert_int_equal(c.retention_days, RA_RETENTION_DAYS_DEFAULT);
    assert_int_equal(c.connect_timeout * 1000, RA_CONNECT_TIMEOUT_MS_DEFAULT);
    assert_int_equal(c.read_timeout * 1000, RA_READ_TIMEOUT_MS_DEFAULT);
    assert_int_equal(c.sync_timeout * 1000, RA_SYNC_TIMEOUT_MS_DEFAULT);
    ra_err err = {0};
    char v[64];
    /* the ranges: one past each end is refused */
    ra_format_size(RA_PART_SIZE_MAX, v, sizeof(v));
    assert_int_equal(ra_config_set(&c, "part-size", v, RA_ORIGIN_FLAG, 0, "--part-size", &err), 0);
    snprintf(v, sizeof(v), "%lld", RA_PART_SIZE_MAX + 1);
    assert_int_equal(ra_config_set(&c, "part-size", v, RA_ORIGIN_FLAG, 0, "--part-size", &err), -1);
    snprintf(v, sizeof(v), "%lld", RA_PART_SIZE_MIN - 1);
    assert_int_equal(ra_config_set(&c, "part-size", v, RA_ORIGIN_FLAG, 0, "--part-size", &err), -1);
    snprintf(v, sizeof(v), "%d", RA_CONCURRENCY_MAX);
    assert_int_equal(ra_config_set(&c, "concurrency", v, RA_ORIGIN_FLAG, 0, "--concurrency", &err), 0);
    snprintf(v, sizeof(v), "%d", RA_CONCURRENCY_MAX + 1);
    assert_int_equal(ra_config_set(&c, "concurrency", v, RA_ORIGIN_FLAG, 0, "--concurrency", &err), -1);
    snprintf(v, sizeof(v), "%ld", RA_PRESIGN_EXPIRY_MAX);
    assert_int_equal(ra_config_set(&c, "url-expiry", v, RA_ORIGIN_FLAG, 0, "--url-expiry", &err), 0);
    snprintf(v, sizeof(v), "%ld", RA_PRESIGN_EXPIRY_MAX + 1);
    assert_int_equal(ra_config_set(&c, "url-expiry", v, RA_ORIGIN_FLAG, 0, "--url-expiry", &err), -1);
    snprintf(v, sizeof(v), "%d", RA_RETENTION_DAYS_MAX + 1);
    assert_int_equal(ra_config_set(&c, "retention-days", v, RA_ORIGIN_FLAG, 0, "--retention-days", &err), -1);
    ra_config_clear(&c);
}

/* compression and encryption keys: defaults, ranges, the shape of age recipients */
static void test_seal_keys(void **state) {
    (void)state;
    ra_config c;
    ra_config_init(&c);
    ra_err err = {0};
    assert_int_equal(c.compression, 0);
    assert_int_equal(c.compression_level, 3);
    assert_int_equal(c.compression_threads, 1);
    assert_null(c.encrypt_recipient);
    assert_int_equal(ra_config_set(&c, "compression", "zstd", RA_ORIGIN_FLAG, 0, "--compression", &err), 0);
    assert_int_equal(c.compression, 1);
    assert_int_equal(ra_config_set(&c, "compression", "gzip", RA_ORIGIN_FLAG, 0, "--compression", &err), -1);
    assert_int_equal(ra_config_set(&c, "compression-level", "20", RA_ORIGIN_FLAG, 0, "--compression-level", &err),
                     -1);
    assert_int_equal(ra_config_set(&c, "encrypt-recipient",
                                   "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj, "
                                   "age15nsf9y4k28p83wth93tf7hafhvfajp45d2mge80ems45gz0c5gys3me64l",
                                   RA_ORIGIN_ENV, 0, "REDIS_ARCHIVER_ENCRYPT_RECIPIENT", &err), 0);
    assert_int_equal(ra_config_set(&c, "encrypt-recipient", "AGE-SECRET-KEY-1GFPYYSJZ", RA_ORIGIN_FLAG, 0,
                                   "--encrypt-recipient", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_null(strstr(err.msg, "GFPYYSJZ"));  /* a secret given by mistake is not echoed */
    assert_non_null(strstr(err.msg, "public key"));
    assert_int_equal(ra_config_set(&c, "encrypt-recipient", "age1bad!", RA_ORIGIN_FLAG, 0, "--encrypt-recipient",
                                   &err), -1);
    assert_int_equal(ra_config_set(&c, "identity-file", "/k.txt", RA_ORIGIN_FLAG, 0, "--identity-file", &err), 0);
    assert_string_equal(c.identity_file, "/k.txt");
    ra_config_clear(&c);
}

int main(void) {
    snprintf(empty_conf, sizeof(empty_conf), "/tmp/ra-test-empty-XXXXXX");
    int fd = mkstemp(empty_conf);
    if (fd < 0) return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_table, setup),
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_seal_keys, setup),
        cmocka_unit_test_setup(test_parse_size, setup),
        cmocka_unit_test_setup(test_parse_duration, setup),
        cmocka_unit_test_setup(test_parse_bool_int, setup),
        cmocka_unit_test_setup(test_parse_window, setup),
        cmocka_unit_test_setup(test_parse_weekdays, setup),
        cmocka_unit_test_setup(test_parse_timezone, setup),
        cmocka_unit_test_setup(test_format, setup),
        cmocka_unit_test_setup(test_urls, setup),
        cmocka_unit_test_setup(test_suggest, setup),
        cmocka_unit_test_setup(test_file_syntax, setup),
        cmocka_unit_test_setup(test_file_errors, setup),
        cmocka_unit_test_setup(test_source_lists, setup),
        cmocka_unit_test_setup(test_precedence, setup),
        cmocka_unit_test_setup(test_env_errors, setup),
        cmocka_unit_test_setup(test_path_style_auto, setup),
        cmocka_unit_test_setup(test_flags_and_rest, setup),
        cmocka_unit_test_setup(test_source_password, setup),
        cmocka_unit_test_setup(test_print_round_trip, setup),
        cmocka_unit_test_setup(test_help, setup),
        cmocka_unit_test_setup(test_sample_file, setup),
        cmocka_unit_test_setup(test_ambient, setup),
        cmocka_unit_test_setup(test_defaults_match_limits, setup),
        cmocka_unit_test_setup(test_ops_keys, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(empty_conf);
    return rc;
}
