/* test_url.c - the Redis URL parser and its password mask, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/url.h"

typedef struct good_case {
    const char *url;
    int tls;
    const char *user;     /* NULL: default user */
    const char *password; /* NULL: none */
    int nhosts;
    const char *host0;
    int port0;
    const char *host1;
    int port1;
    int db;
} good_case;

static void test_parse_good(void **state) {
    (void)state;
    static const good_case cases[] = {
        {"redis://h", 0, NULL, NULL, 1, "h", 6379, NULL, 0, -1},
        {"h:7000", 0, NULL, NULL, 1, "h", 7000, NULL, 0, -1},
        {"REDISS://h.example.com:6380", 1, NULL, NULL, 1, "h.example.com", 6380, NULL, 0, -1},
        {"redis://u:p@10.0.0.1:1", 0, "u", "p", 1, "10.0.0.1", 1, NULL, 0, -1},
        /* redis-cli's reading: no ':' means a password for the default user */
        {"redis://MyS3cretPw@h", 0, NULL, "MyS3cretPw", 1, "h", 6379, NULL, 0, -1},
        {"redis://:pw@h", 0, NULL, "pw", 1, "h", 6379, NULL, 0, -1},
        {"redis://user:@h", 0, "user", NULL, 1, "h", 6379, NULL, 0, -1},
        /* the userinfo ends at the last '@'; the user at the first ':' */
        {"redis://backup:S3cr#tPw@127.0.0.1:6379", 0, "backup", "S3cr#tPw", 1, "127.0.0.1", 6379, NULL, 0, -1},
        {"redis://backup:S3cr?tPw@h", 0, "backup", "S3cr?tPw", 1, "h", 6379, NULL, 0, -1},
        {"redis://backup:S3cr/tPw@h/0", 0, "backup", "S3cr/tPw", 1, "h", 6379, NULL, 0, 0},
        {"redis://u:p@ss:w@rd@h:1", 0, "u", "p@ss:w@rd", 1, "h", 1, NULL, 0, -1},
        {"redis://u:a://b@h", 0, "u", "a://b", 1, "h", 6379, NULL, 0, -1},
        {"redis://u:p,w@h1:26379,h2:26380", 0, "u", "p,w", 2, "h1", 26379, "h2", 26380, -1},
        {"rediss://:a,b,c@[::1]:26379,10.0.0.2/3", 1, NULL, "a,b,c", 2, "::1", 26379, "10.0.0.2", 6379, 3},
        {"redis://it%5Fmin:p%40%3a%zz%4@h/", 0, "it_min", "p@:%zz%4", 1, "h", 6379, NULL, 0, -1},
        {"redis://h:65535/15", 0, NULL, NULL, 1, "h", 65535, NULL, 0, 15},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const good_case *c = &cases[i];
        ra_redis_url u;
        ra_err err = {0};
        if (ra_redis_url_parse(c->url, &u, &err) != 0) fail_msg("%s: %s", c->url, err.msg);
        assert_int_equal(u.tls, c->tls);
        if (c->user == NULL) assert_null(u.user);
        else assert_string_equal(u.user, c->user);
        if (c->password == NULL) assert_null(u.password);
        else assert_string_equal(u.password, c->password);
        if (u.nhosts != c->nhosts) fail_msg("%s: %d hosts", c->url, u.nhosts);
        assert_string_equal(u.hosts[0].host, c->host0);
        assert_int_equal(u.hosts[0].port, c->port0);
        if (c->host1 != NULL) {
            assert_string_equal(u.hosts[1].host, c->host1);
            assert_int_equal(u.hosts[1].port, c->port1);
        }
        assert_int_equal(u.db, c->db);
        assert_int_equal(ra_redis_url_has_password(c->url), c->password != NULL);
        ra_redis_url_clear(&u);
        assert_null(u.password);
    }
}

static void test_parse_bad(void **state) {
    (void)state;
    static const struct {
        const char *url;
        const char *why;
    } cases[] = {
        {"", "no redis url given"},
        {"http://127.0.0.1:1/", "unsupported scheme"},
        {"redis://u:topsecret@[::1:1", "lacks its ']'"},
        {"redis://u:topsecret@[]:1", "empty IPv6"},
        {"redis://u:topsecret@[::1]x", "after an IPv6"},
        {"redis://u:topsecret@::1", "goes in brackets"},
        {"redis://u:topsecret@h:0", "bad port"},
        {"redis://u:topsecret@h:65536", "bad port"},
        {"redis://u:topsecret@h:", "bad port"},
        {"redis://u:topsecret@h:12x", "bad port"},
        {"redis://u:topsecret@", "no host"},
        {"redis://u:topsecret@h1,,h2", "no host"},
        {"redis://u:topsecret@h1,", "no host"},
        {"redis://u:topsecret@h/x", "database number"},
        {"redis://u:topsecret@h?x=1", "no query"},
        {"redis://u:topsecret@h#f", "no query"},
        {"redis://u:topsecret@h o", "bad character"},
        {"redis://u:top%00secret@h", "NUL byte"},
        {"redis://:topsecret@a,b,c,d,e,f,g,h,i", "more than 8 hosts"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ra_redis_url u;
        ra_err err = {0};
        if (ra_redis_url_parse(cases[i].url, &u, &err) == 0) fail_msg("%s: accepted", cases[i].url);
        assert_int_equal(err.code, RA_E_USAGE);
        if (strstr(err.msg, cases[i].why) == NULL) fail_msg("%s: %s", cases[i].url, err.msg);
        if (strstr(err.msg, "topsecret") != NULL || strstr(err.msg, "top%00secret") != NULL)
            fail_msg("%s: password in '%s'", cases[i].url, err.msg);
        assert_null(u.password);
        assert_null(u.user);
        ra_redis_url_clear(&u);
    }
    ra_redis_url u;
    assert_int_equal(ra_redis_url_parse(NULL, &u, NULL), -1);
}

static void test_mask_and_scrub(void **state) {
    (void)state;
    static const struct {
        const char *url;
        int has;
        const char *masked;
        const char *scrubbed;
    } cases[] = {
        {"redis://:s3cret@h:6379", 1, "redis://:***@h:6379", "redis://:******@h:6379"},
        {"redis://user:s3cret@h:6379/0", 1, "redis://user:***@h:6379/0", "redis://user:******@h:6379/0"},
        {"rediss://s3cret@h", 1, "rediss://***@h", "rediss://******@h"},
        {"redis://user:@h", 0, "redis://user:@h", "redis://user:@h"},
        {"redis://h:6379", 0, "redis://h:6379", "redis://h:6379"},
        {"redis://u:p@ss@h:1", 1, "redis://u:***@h:1", "redis://u:****@h:1"},
        {"redis://backup:S3cr#tPw@127.0.0.1:6379", 1, "redis://backup:***@127.0.0.1:6379",
         "redis://backup:********@127.0.0.1:6379"},
        {"redis://u:a/b?c#d@h,h2", 1, "redis://u:***@h,h2", "redis://u:*******@h,h2"},
        {"u:a://b@h", 1, "u:***@h", "u:*****@h"},
        {"redis://:pw@:99999", 1, "redis://:***@:99999", "redis://:**@:99999"},
        {"", 0, "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ra_redis_url_has_password(cases[i].url), cases[i].has);
        char *m = ra_redis_url_mask(cases[i].url);
        assert_non_null(m);
        assert_string_equal(m, cases[i].masked);
        free(m);
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", cases[i].url);
        ra_redis_url_scrub(buf);
        assert_string_equal(buf, cases[i].scrubbed);
    }
    assert_null(ra_redis_url_mask(NULL));
    ra_redis_url_scrub(NULL);
    assert_int_equal(ra_redis_url_has_password(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_mask_and_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
