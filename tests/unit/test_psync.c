/* test_psync.c - PSYNC answer parser: both payload forms, keep-alives, the EOF mark at every split,
 * error replies, trailing bytes, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/psync.h"

#define MARK "869113b215fce579c32e73731f5b99392fa0526b"
#define REPLID "58a650775053a28fd78b5d939f08372a5ec93a73"

typedef struct sinkbuf {
    uint8_t data[8192];
    size_t len;
    int fail_after; /* >0: fail the emit call that would pass this many bytes total */
} sinkbuf;

static int collect(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    sinkbuf *s = ctx;
    assert_true(n > 0);
    if (s->fail_after > 0 && s->len + n >= (size_t)s->fail_after)
        return ra_err_set(err, RA_E_STORE, "sink full");
    assert_true(s->len + n <= sizeof(s->data));
    memcpy(s->data + s->len, d, n);
    s->len += n;
    return 0;
}

typedef struct transcript {
    uint8_t bytes[8192];
    size_t len;
    uint8_t payload[4096];
    size_t payload_len;
} transcript;

static void put(transcript *t, const void *p, size_t n) {
    assert_true(t->len + n <= sizeof(t->bytes));
    memcpy(t->bytes + t->len, p, n);
    t->len += n;
}

static void puts_(transcript *t, const char *s) { put(t, s, strlen(s)); }

/* Payload bytes that look like an RDB and contain near-misses of the mark. */
static void make_payload(transcript *t, size_t n) {
    uint32_t seed = 99;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        t->payload[i] = (uint8_t)(seed >> 16);
    }
    memcpy(t->payload, "REDIS0010", 9);
    if (n > 120) {
        memcpy(t->payload + 50, MARK, 39); /* prefix of the mark, then a different byte */
        t->payload[89] = 'x';
        memcpy(t->payload + 100, MARK + 1, 39); /* suffix of the mark */
    }
    t->payload_len = n;
}

static void diskless(transcript *t, size_t n) {
    memset(t, 0, sizeof(*t));
    make_payload(t, n);
    puts_(t, "\n\n+FULLRESYNC " REPLID " 266\r\n\n$EOF:" MARK "\r\n");
    put(t, t->payload, n);
    puts_(t, MARK);
}

static void disk(transcript *t, size_t n) {
    memset(t, 0, sizeof(*t));
    make_payload(t, n);
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "$%zu\r\n", n);
    puts_(t, "+FULLRESYNC " REPLID " 759\r\n\n\n");
    puts_(t, hdr);
    put(t, t->payload, n);
}

/* Feed the transcript cut at the given positions (ascending, may be empty); expect END at the end. */
static void feed_cuts(const transcript *t, const size_t *cuts, size_t ncuts, ra_psync *p, sinkbuf *s) {
    ra_err err = {0};
    ra_psync_init(p);
    memset(s, 0, sizeof(*s));
    size_t at = 0;
    int rc = RA_PSYNC_MORE;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : t->len;
        rc = ra_psync_feed(p, t->bytes + at, end - at, collect, s, &err);
        if (rc < 0) fail_msg("feed failed at %zu..%zu: %s", at, end, err.msg);
        if (end < t->len) {
            /* before the last byte the payload must never be reported complete */
            assert_int_equal(rc, RA_PSYNC_MORE);
        }
        at = end;
    }
    assert_int_equal(rc, RA_PSYNC_END);
    assert_int_equal(ra_psync_finish(p, &err), 0);
    assert_int_equal(s->len, t->payload_len);
    assert_memory_equal(s->data, t->payload, t->payload_len);
}

static void test_diskless_whole_and_bytewise(void **state) {
    (void)state;
    transcript t;
    ra_psync p;
    sinkbuf s;
    diskless(&t, 300);
    feed_cuts(&t, NULL, 0, &p, &s);
    assert_string_equal(p.replid, REPLID);
    assert_int_equal(p.offset, 266);
    assert_int_equal(p.diskless, 1);
    assert_int_equal(p.length, -1);
    assert_int_equal(p.fullresync, 1);
    assert_int_equal(p.keepalives, 3);
    assert_int_equal(p.emitted, 300);

    size_t cuts[8192];
    for (size_t i = 0; i + 1 < t.len; i++) cuts[i] = i + 1;
    feed_cuts(&t, cuts, t.len - 1, &p, &s);
}

/* Every single split point, and every pair of split points around the mark. */
static void test_diskless_every_split(void **state) {
    (void)state;
    transcript t;
    ra_psync p;
    sinkbuf s;
    size_t sizes[] = {1, 39, 40, 41, 79, 80, 300};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        diskless(&t, sizes[k]);
        for (size_t c = 1; c < t.len; c++) feed_cuts(&t, &c, 1, &p, &s);
        size_t lo = t.len > 100 ? t.len - 100 : 1;
        for (size_t a = lo; a < t.len; a++)
            for (size_t b = a + 1; b < t.len; b++) {
                size_t cuts[2] = {a, b};
                feed_cuts(&t, cuts, 2, &p, &s);
            }
    }
}

static void test_disk_form(void **state) {
    (void)state;
    transcript t;
    ra_psync p;
    sinkbuf s;
    disk(&t, 500);
    feed_cuts(&t, NULL, 0, &p, &s);
    assert_int_equal(p.diskless, 0);
    assert_int_equal(p.length, 500);
    assert_int_equal(p.offset, 759);
    assert_int_equal(p.keepalives, 2);
    for (size_t c = 1; c < t.len; c++) feed_cuts(&t, &c, 1, &p, &s);
}

/* SYNC answers without +FULLRESYNC; keep-alives first. */
static void test_sync_style(void **state) {
    (void)state;
    transcript t;
    memset(&t, 0, sizeof(t));
    make_payload(&t, 64);
    puts_(&t, "\n\n\n$64\r\n");
    put(&t, t.payload, 64);
    ra_psync p;
    sinkbuf s;
    feed_cuts(&t, NULL, 0, &p, &s);
    assert_string_equal(p.replid, "");
    assert_int_equal(p.offset, -1);
    assert_int_equal(p.fullresync, 0);
}

static void test_error_replies(void **state) {
    (void)state;
    static const struct {
        const char *in;
        const char *errline;
        const char *msg_part;
    } cases[] = {
        {"-NOPERM this user has no permissions to run the 'psync' command\r\n",
         "NOPERM this user has no permissions to run the 'psync' command", "'psync'"},
        {"\n\n-NOMASTERLINK Can't SYNC while not connected with my master\r\n",
         "NOMASTERLINK Can't SYNC while not connected with my master", "NOMASTERLINK"},
        {"-ERR unknown command 'PSYNC', with args beginning with: '?' '-1' \r\n",
         "ERR unknown command 'PSYNC', with args beginning with: '?' '-1' ", "unknown command"},
        {"-LOADING Redis is loading the dataset in memory\r\n",
         "LOADING Redis is loading the dataset in memory", "LOADING"},
        {"+CONTINUE " REPLID "\r\n", "", "partial resync"},
        {"+OK\r\n", "", "unexpected reply '+OK'"},
        {"*1\r\n$4\r\nping\r\n", "", "unexpected reply"},
        {"+FULLRESYNC " REPLID "\r\n", "", "malformed"},
        {"+FULLRESYNC " REPLID " x1\r\n", "", "malformed offset"},
        {"$EOF:abc\r\n", "", "eof mark must be 40"},
        {"$12x\r\n", "", "malformed payload header"},
        {"$\r\n", "", "malformed payload header"},
        {"$-1\r\n", "", "malformed payload header"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ra_psync p;
        ra_err err = {0};
        ra_psync_init(&p);
        int rc = ra_psync_feed(&p, (const uint8_t *)cases[i].in, strlen(cases[i].in), collect, NULL,
                               &err);
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, RA_E_SOURCE);
        assert_string_equal(p.errline, cases[i].errline);
        if (strstr(err.msg, cases[i].msg_part) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg_part);
        assert_int_equal(p.emitted, 0);
        /* sticky */
        assert_int_equal(ra_psync_feed(&p, (const uint8_t *)"\n", 1, collect, NULL, &err), -1);
        assert_int_equal(ra_psync_finish(&p, &err), -1);
    }
}

static void test_trailing_bytes(void **state) {
    (void)state;
    transcript t;
    ra_err err = {0};
    ra_psync p;
    sinkbuf s = {0};
    /* bare newlines after the mark: Redis < 7.0.6 keep-alives (redis#11261), tolerated */
    diskless(&t, 100);
    puts_(&t, "\n\n");
    ra_psync_init(&p);
    assert_int_equal(ra_psync_feed(&p, t.bytes, t.len, collect, &s, &err), RA_PSYNC_END);
    assert_int_equal(s.len, 100);
    /* anything else is a protocol error, in the same read or a later one */
    diskless(&t, 100);
    puts_(&t, "*1\r\n");
    ra_psync_init(&p);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_psync_feed(&p, t.bytes, t.len, collect, &s, &err), -1);
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "after the end"));
    disk(&t, 100);
    ra_psync_init(&p);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_psync_feed(&p, t.bytes, t.len, collect, &s, &err), RA_PSYNC_END);
    assert_int_equal(ra_psync_feed(&p, (const uint8_t *)"X", 1, collect, &s, &err), -1);
    /* a second copy of the mark is trailing garbage too */
    diskless(&t, 100);
    puts_(&t, MARK);
    ra_psync_init(&p);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_psync_feed(&p, t.bytes, t.len, collect, &s, &err), -1);
}

/* The connection closing at every point short of the end is never success. */
static void test_truncated(void **state) {
    (void)state;
    transcript t;
    for (int form = 0; form < 2; form++) {
        if (form == 0) diskless(&t, 200);
        else disk(&t, 200);
        const char *hdr_end = form == 0 ? "$EOF:" MARK "\r\n" : "$200\r\n";
        size_t payload_start = (size_t)((uint8_t *)memmem(t.bytes, t.len, hdr_end, strlen(hdr_end)) -
                                        t.bytes) + strlen(hdr_end);
        for (size_t cut = 0; cut < t.len; cut++) {
            ra_psync p;
            sinkbuf s = {0};
            ra_err err = {0};
            ra_psync_init(&p);
            int rc = ra_psync_feed(&p, t.bytes, cut, collect, &s, &err);
            assert_int_equal(rc, RA_PSYNC_MORE);
            assert_int_equal(ra_psync_finish(&p, &err), -1);
            if (cut < payload_start) {
                assert_int_equal(err.code, RA_E_SOURCE);
            } else {
                assert_int_equal(err.code, RA_E_VERIFY);
                assert_non_null(strstr(err.msg, "stream ended early after"));
                char want[64];
                snprintf(want, sizeof(want), "after %zu bytes", cut - payload_start);
                if (strstr(err.msg, want) == NULL) fail_msg("'%s' lacks '%s'", err.msg, want);
            }
            /* emitted bytes are always a true prefix of the payload */
            assert_true(s.len <= t.payload_len);
            assert_memory_equal(s.data, t.payload, s.len);
        }
    }
}

static void test_emit_failure_stops(void **state) {
    (void)state;
    transcript t;
    diskless(&t, 300);
    ra_psync p;
    sinkbuf s = {.fail_after = 100};
    ra_err err = {0};
    ra_psync_init(&p);
    assert_int_equal(ra_psync_feed(&p, t.bytes, t.len, collect, &s, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "sink full");
    assert_int_equal(p.state, RA_PSYNC_FAILED);
}

static void test_long_line_refused(void **state) {
    (void)state;
    ra_psync p;
    ra_err err = {0};
    ra_psync_init(&p);
    static uint8_t junk[70000];
    memset(junk, 'a', sizeof(junk));
    junk[0] = '+';
    assert_int_equal(ra_psync_feed(&p, junk, sizeof(junk), collect, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "longer than"));
}

/* In-place framing as the replica's zero-copy path uses it: the header through ra_psync_feed, then
 * every read lands in "the sink's buffer" right after the held bytes, and only the framed payload
 * is committed. Reads are cut at `cuts`; reads at odd-numbered cuts take the copy path instead. */
static void frame_cuts_mode(const transcript *t, const size_t *cuts, size_t ncuts, sinkbuf *s, int trailing) {
    ra_err err = {0};
    ra_psync p;
    ra_psync_init(&p);
    p.ignore_trailing = trailing;
    memset(s, 0, sizeof(*s));
    size_t at = 0;
    while (p.state == RA_PSYNC_PREAMBLE) { /* byte by byte, so no payload comes this way */
        assert_true(at < t->len);
        assert_true(ra_psync_feed(&p, t->bytes + at++, 1, collect, s, &err) >= 0);
    }
    int rc = RA_PSYNC_MORE;
    for (size_t i = 0; i <= ncuts && rc == RA_PSYNC_MORE; i++) {
        size_t end = i < ncuts ? cuts[i] : t->len;
        if (end <= at) continue;
        if (i % 2 == 1) {
            rc = ra_psync_feed(&p, t->bytes + at, end - at, collect, s, &err);
        } else {
            uint8_t *room = s->data + s->len; /* the first uncommitted byte */
            size_t h = p.hold_len, pay = 99999;
            memcpy(room, p.hold, h);
            memcpy(room + h, t->bytes + at, end - at);
            rc = ra_psync_frame(&p, room, h + end - at, &pay, &err);
            if (rc >= 0) s->len += pay;
        }
        if (rc < 0) fail_msg("frame failed at %zu..%zu: %s", at, end, err.msg);
        if (end < t->len) assert_int_equal(rc, RA_PSYNC_MORE);
        at = end;
    }
    assert_int_equal(rc, RA_PSYNC_END);
    assert_int_equal(ra_psync_finish(&p, &err), 0);
    assert_int_equal(p.emitted, (long long)t->payload_len);
    assert_int_equal(s->len, t->payload_len);
    assert_memory_equal(s->data, t->payload, t->payload_len);
}

/* Both ways to find the mark: at the end only (rdb-only), and anywhere (the stream may go on). */
static void frame_cuts(const transcript *t, const size_t *cuts, size_t ncuts, sinkbuf *s) {
    frame_cuts_mode(t, cuts, ncuts, s, 0);
    frame_cuts_mode(t, cuts, ncuts, s, 1);
}

static void test_in_place_framing(void **state) {
    (void)state;
    transcript t;
    sinkbuf s;
    size_t sizes[] = {1, 39, 40, 41, 300};
    for (int form = 0; form < 2; form++)
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            if (form == 0)
                diskless(&t, sizes[k]);
            else
                disk(&t, sizes[k]);
            frame_cuts(&t, NULL, 0, &s);
            for (size_t c = 1; c < t.len; c++) frame_cuts(&t, &c, 1, &s);
            size_t lo = t.len > 90 ? t.len - 90 : 1;
            for (size_t a = lo; a < t.len; a++)
                for (size_t b = a + 1; b < t.len; b++) {
                    size_t cuts[3] = {a / 2, a, b};
                    frame_cuts(&t, cuts, 3, &s);
                }
        }
    /* keep-alives after the mark (Redis < 7.0.6) in the same read */
    diskless(&t, 100);
    puts_(&t, "\n\n");
    frame_cuts(&t, NULL, 0, &s);
    /* without rdb-only the replication stream follows the mark in the same read: it is dropped */
    diskless(&t, 100);
    puts_(&t, "*1\r\n$4\r\nPING\r\n");
    frame_cuts_mode(&t, NULL, 0, &s, 1);
    /* a buffer that does not start with the held bytes is the caller's bug */
    ra_psync p;
    ra_err err = {0};
    size_t pay;
    diskless(&t, 100);
    ra_psync_init(&p);
    size_t hdr = (size_t)(strstr((const char *)t.bytes, MARK "\r\n") - (const char *)t.bytes) + 42;
    assert_int_equal(ra_psync_feed(&p, t.bytes, hdr + 60, collect, &s, &err), RA_PSYNC_MORE);
    assert_int_equal(p.hold_len, 40);
    uint8_t wrong[64] = {0};
    assert_int_equal(ra_psync_frame(&p, wrong, sizeof(wrong), &pay, &err), -1);
    assert_int_equal(err.code, RA_E_INTERNAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diskless_whole_and_bytewise),
        cmocka_unit_test(test_diskless_every_split),
        cmocka_unit_test(test_disk_form),
        cmocka_unit_test(test_sync_style),
        cmocka_unit_test(test_error_replies),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_emit_failure_stops),
        cmocka_unit_test(test_long_line_refused),
        cmocka_unit_test(test_in_place_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
