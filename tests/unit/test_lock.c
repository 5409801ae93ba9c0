/* test_lock.c - the instance lock's decisions against a scripted S3 peer on loopback: a free lock is
 * created and the store's honouring of conditions probed; a store that ignores them is found out (the
 * fallback); a fresh lock held by another run refuses with RA_E_BUSY naming it; a stale one (by the
 * store's clock) is taken over on its ETag; a refused renew loses the lock; release deletes only our
 * own version. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "command/lock.h"

#include "s3peer.h"

static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#define XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define REFUSED 412, NULL, strdup(XML "<Error><Code>PreconditionFailed</Code></Error>")

typedef struct fixture {
    s3peer p;
    char *logtext;
    size_t loglen;
    ra_log log;
    ra_s3 *s3;
    ra_catalog cat;
    ra_record owner;
} fixture;

static void open_fixture(fixture *f) {
    s3peer *p = &f->p;
    s3peer_start(p, NULL, 0);
    f->log.out = open_memstream(&f->logtext, &f->loglen);
    f->log.min = RA_LOG_DEBUG;
    f->log.format = RA_LOG_TEXT;
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 1, .log = &f->log, .request_timeout_ms = 5000};
    ra_err err = {0};
    f->s3 = ra_s3_new(&c, &err);
    assert_non_null(f->s3);
    f->cat = (ra_catalog){.s3 = f->s3, .prefix = "redis-archiver/", .instance = "inst", .log = &f->log};
    snprintf(f->owner.id, sizeof(f->owner.id), "20260101T000000Z-0001");
    f->owner.state = RA_STATE_RUNNING;
    f->owner.started = time(NULL);
    ra_catalog_stamp_owner(&f->owner);
}

/* the log of the last fixture closed */
static char lastlog[16384];

static void close_fixture(fixture *f) {
    s3peer_stop(&f->p);
    ra_s3_free(f->s3);
    fclose(f->log.out);
    ra_record_clear(&f->owner);
    snprintf(lastlog, sizeof(lastlog), "%s", f->logtext ? f->logtext : "");
    free(f->logtext);
}

/* Headers of a HEAD answer: ETag and LastModified `age` seconds ago. */
static const char *head_hdr(char *buf, size_t n, const char *etag, long age) {
    struct tm tm;
    time_t t = time(NULL) - age;
    gmtime_r(&t, &tm);
    char lm[64];
    strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(buf, n, "ETag: %s\r\nLast-Modified: %s\r\n", etag, lm);
    return buf;
}

/* Another run's lock body: a running record on another host (so no pid is looked up). */
static char *holder(const char *id) {
    ra_record r = {0};
    snprintf(r.id, sizeof(r.id), "%s", id);
    r.state = RA_STATE_RUNNING;
    r.started = r.heartbeat = time(NULL);
    r.pid = 4242;
    r.host = strdup("other-host");
    char *text = ra_record_to_json(&r);
    ra_record_clear(&r);
    return text;
}

/* A free lock: created with If-None-Match: *, then both probes refused: the conditions hold. Renewed
 * with If-Match on its ETag; released after a HEAD shows the ETag unchanged. */
static void test_free_lock_honoured(void **state) {
    (void)state;
    fixture f = {0};
    char h[256];
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, REFUSED);                     /* the second create-only PUT */
    s3peer_add(&f.p, REFUSED);                     /* If-Match on a wrong ETag */
    s3peer_add(&f.p, 200, "ETag: \"e2\"\r\n", NULL); /* renew */
    s3peer_add(&f.p, 200, head_hdr(h, sizeof(h), "\"e2\"", 1), NULL);
    s3peer_add(&f.p, 204, NULL, NULL);
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
    assert_non_null(l);
    assert_int_equal(honoured, 1);
    assert_int_equal(ra_lock_renew(l, NULL, &err), 0);
    ra_lock_release(l);
    ra_lock_free(l);
    close_fixture(&f);
    assert_int_equal(f.p.served, 6);
    assert_non_null(strstr(f.p.requests[0], "PUT /bkt/redis-archiver/inst/.lock HTTP/1.1\r\n"));
    assert_non_null(strcasestr(f.p.requests[0], "\r\nif-none-match: *\r\n"));
    assert_non_null(strcasestr(f.p.requests[1], "\r\nif-none-match: *\r\n"));
    assert_null(strcasestr(f.p.requests[2], "if-none-match"));
    assert_non_null(strcasestr(f.p.requests[2], "\r\nif-match: \"redis-archiver-no-such-etag\"\r\n"));
    assert_non_null(strcasestr(f.p.requests[3], "\r\nif-match: \"e1\"\r\n"));
    assert_non_null(strstr(f.p.requests[4], "HEAD /bkt/redis-archiver/inst/.lock "));
    assert_non_null(strstr(f.p.requests[5], "DELETE /bkt/redis-archiver/inst/.lock "));
    assert_non_null(strstr(lastlog, "conditional writes"));
}

/* A store that takes the second create-only PUT too ignores If-None-Match: the lock is only advisory, said
 * once, and renew sends nothing; release deletes it. */
static void test_ignoring_store_falls_back(void **state) {
    (void)state;
    fixture f = {0};
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, 204, NULL, NULL);
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
    assert_non_null(l);
    assert_int_equal(honoured, 0);
    assert_int_equal(ra_lock_renew(l, NULL, &err), 0);
    ra_lock_release(l);
    ra_lock_free(l);
    close_fixture(&f);
    assert_int_equal(f.p.served, 3);
    assert_non_null(strstr(f.p.requests[2], "DELETE /bkt/redis-archiver/inst/.lock "));
    assert_non_null(strstr(lastlog, "ignores conditional writes"));
}

/* A store that honours If-None-Match but ignores If-Match cannot renew safely: the fallback too. */
static void test_ignored_if_match_falls_back(void **state) {
    (void)state;
    fixture f = {0};
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
    assert_non_null(l);
    assert_int_equal(honoured, 0);
    ra_lock_free(l);
    close_fixture(&f);
}

/* A fresh lock of another run (written 10 s ago by the store's clock): RA_E_BUSY naming that run; nothing
 * is written over it. */
static void test_fresh_lock_refuses(void **state) {
    (void)state;
    fixture f = {0};
    char h[256];
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, 200, head_hdr(h, sizeof(h), "\"other\"", 10), NULL);
    s3peer_add(&f.p, 200, NULL, holder("20260101T000000Z-beef"));
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    assert_null(ra_lock_acquire(&f.cat, &f.owner, &honoured, &err));
    assert_int_equal(err.code, RA_E_BUSY);
    assert_non_null(strstr(err.msg, "20260101T000000Z-beef"));
    assert_non_null(strstr(err.msg, "other-host"));
    assert_non_null(strstr(err.msg, "redis-archiver/inst/.lock"));
    close_fixture(&f);
    assert_int_equal(f.p.served, 3);
}

/* Ages are the store's: with the store an hour behind this host, a lock it wrote 10 s ago (an hour and
 * 10 s ago here) is fresh; with the store 3 min ahead, a lock it wrote 5 min ago (2 min ago here, not yet
 * stale by this host's clock) is stale and taken over on the ETag read. */
static void test_staleness_by_store_clock(void **state) {
    (void)state;
    fixture f = {0};
    char h[256];
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, 200, head_hdr(h, sizeof(h), "\"other\"", 3610), NULL);
    s3peer_add(&f.p, 200, NULL, holder("20260101T000000Z-beef"));
    open_fixture(&f);
    f.cat.clock_known = 1;
    f.cat.clock_offset = -3600;
    ra_err err = {0};
    int honoured = -1;
    assert_null(ra_lock_acquire(&f.cat, &f.owner, &honoured, &err));
    assert_int_equal(err.code, RA_E_BUSY);
    close_fixture(&f);
    assert_int_equal(f.p.served, 3);

    fixture g = {0};
    s3peer_add(&g.p, REFUSED);
    s3peer_add(&g.p, 200, head_hdr(h, sizeof(h), "\"old\"", 120), NULL);
    s3peer_add(&g.p, 200, NULL, holder("20260101T000000Z-beef"));
    s3peer_add(&g.p, 200, "ETag: \"mine\"\r\n", NULL); /* the takeover on the ETag read */
    s3peer_add(&g.p, REFUSED);                           /* If-Match probe */
    open_fixture(&g);
    g.cat.clock_known = 1;
    g.cat.clock_offset = 180;
    ra_lock *l = ra_lock_acquire(&g.cat, &g.owner, &honoured, &err);
    assert_non_null(l);
    assert_int_equal(honoured, 1);
    ra_lock_free(l);
    close_fixture(&g);
    assert_int_equal(g.p.served, 5);
    assert_non_null(strcasestr(g.p.requests[3], "\r\nif-match: \"old\"\r\n"));
    assert_null(strcasestr(g.p.requests[3], "if-none-match"));
    assert_non_null(strstr(lastlog, "took over the lock"));
}

/* A takeover that loses to another run (its If-Match refused) looks again and finds that run's fresh
 * lock: busy. */
static void test_takeover_race_lost(void **state) {
    (void)state;
    fixture f = {0};
    char h1[256], h2[256];
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, 200, head_hdr(h1, sizeof(h1), "\"old\"", 300), NULL);
    s3peer_add(&f.p, 200, NULL, holder("20260101T000000Z-dead"));
    s3peer_add(&f.p, REFUSED); /* another run took it first */
    s3peer_add(&f.p, REFUSED); /* ... also on the bare ETag */
    s3peer_add(&f.p, REFUSED); /* create again */
    s3peer_add(&f.p, 200, head_hdr(h2, sizeof(h2), "\"new\"", 0), NULL);
    s3peer_add(&f.p, 200, NULL, holder("20260101T000000Z-f00d"));
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    assert_null(ra_lock_acquire(&f.cat, &f.owner, &honoured, &err));
    assert_int_equal(err.code, RA_E_BUSY);
    assert_non_null(strstr(err.msg, "20260101T000000Z-f00d"));
    close_fixture(&f);
    assert_int_equal(f.p.served, 8);
    assert_non_null(strcasestr(f.p.requests[3], "\r\nif-match: \"old\"\r\n"));
    assert_non_null(strcasestr(f.p.requests[4], "\r\nif-match: old\r\n"));
}

/* A renew refused (412) or finding the lock gone (404) loses it: RA_E_BUSY, and release leaves it alone. */
static void test_renew_refused_loses(void **state) {
    (void)state;
    for (int gone = 0; gone <= 1; gone++) {
        fixture f = {0};
        s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
        s3peer_add(&f.p, REFUSED);
        s3peer_add(&f.p, REFUSED);
        if (gone) {
            s3peer_add(&f.p, 404, NULL, strdup(XML "<Error><Code>NoSuchKey</Code></Error>"));
        } else {
            s3peer_add(&f.p, REFUSED);
            s3peer_add(&f.p, REFUSED); /* on the bare ETag too */
        }
        open_fixture(&f);
        ra_err err = {0};
        int honoured = -1;
        ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
        assert_non_null(l);
        assert_int_equal(ra_lock_lost(l), 0);
        assert_int_equal(ra_lock_renew(l, NULL, &err), -1);
        assert_int_equal(err.code, RA_E_BUSY);
        assert_non_null(strstr(err.msg, "lost the lock"));
        assert_int_equal(ra_lock_lost(l), 1);
        ra_lock_release(l); /* no request */
        ra_lock_free(l);
        close_fixture(&f);
        assert_int_equal(f.p.served, gone ? 4 : 5);
    }
}

/* RGW 16 matches If-Match only on the bare ETag (it compares with its stored, unquoted one): a renew
 * refused on the quoted form and taken on the bare one keeps the lock, and the next renew sends the bare
 * form at once. */
static void test_renew_bare_etag(void **state) {
    (void)state;
    fixture f = {0};
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, REFUSED);                       /* If-Match: "e1" */
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL); /* If-Match: e1 */
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL); /* the next renew */
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
    assert_non_null(l);
    assert_int_equal(ra_lock_renew(l, NULL, &err), 0);
    assert_int_equal(ra_lock_renew(l, NULL, &err), 0);
    assert_int_equal(ra_lock_lost(l), 0);
    ra_lock_free(l);
    close_fixture(&f);
    assert_int_equal(f.p.served, 6);
    assert_non_null(strcasestr(f.p.requests[3], "\r\nif-match: \"e1\"\r\n"));
    assert_non_null(strcasestr(f.p.requests[4], "\r\nif-match: e1\r\n"));
    assert_non_null(strcasestr(f.p.requests[5], "\r\nif-match: e1\r\n"));
}

/* Release finds another ETag (the lock changed hands): nothing is deleted. */
static void test_release_only_own(void **state) {
    (void)state;
    fixture f = {0};
    char h[256];
    s3peer_add(&f.p, 200, "ETag: \"e1\"\r\n", NULL);
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, REFUSED);
    s3peer_add(&f.p, 200, head_hdr(h, sizeof(h), "\"theirs\"", 0), NULL);
    s3peer_add(&f.p, 204, NULL, NULL); /* must not be asked */
    open_fixture(&f);
    ra_err err = {0};
    int honoured = -1;
    ra_lock *l = ra_lock_acquire(&f.cat, &f.owner, &honoured, &err);
    assert_non_null(l);
    ra_lock_release(l);
    ra_lock_free(l);
    close_fixture(&f);
    assert_int_equal(f.p.served, 4);
    assert_non_null(strstr(lastlog, "not this run's"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_lock_honoured),
        cmocka_unit_test(test_ignoring_store_falls_back),
        cmocka_unit_test(test_ignored_if_match_falls_back),
        cmocka_unit_test(test_fresh_lock_refuses),
        cmocka_unit_test(test_staleness_by_store_clock),
        cmocka_unit_test(test_takeover_race_lost),
        cmocka_unit_test(test_renew_refused_loses),
        cmocka_unit_test(test_renew_bare_etag),
        cmocka_unit_test(test_release_only_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
