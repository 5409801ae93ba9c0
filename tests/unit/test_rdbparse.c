/* test_rdbparse.c - the structural RDB reader: RDB files written by the real redis-server here
 * (tests/fixtures/rdb/make.sh: one per type and encoding, and one with everything) read whole, byte by
 * byte and cut at every point, with the same keys, values and counts each way; RDB 11/12 types built by
 * hand (listpack sets, streams v3, hashes with field expiry, modules, slot info); every truncation and
 * damaged bytes refused. Run from the repository root (tests/run.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/rdbparse.h"

#define FIXTURES "tests/fixtures/rdb/"

/* Everything the reader yielded, as text: one line per item with its value bytes in hex. */
typedef struct seen {
    char *text;
    size_t len, cap;
    uint8_t *value;
    size_t vlen, vcap;
    int begun;
} seen;

static void add(seen *s, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 1) n = (int)sizeof(line) - 1;
    if (s->len + (size_t)n + 1 > s->cap) {
        s->cap = (s->len + (size_t)n + 1) * 2;
        s->text = realloc(s->text, s->cap);
        assert_non_null(s->text);
    }
    memcpy(s->text + s->len, line, (size_t)n + 1);
    s->len += (size_t)n;
}

static int on_begin(void *ctx, const ra_rdb_item *it, ra_err *err) {
    (void)err;
    (void)it;
    seen *s = ctx;
    assert_false(s->begun);
    s->begun = 1;
    s->vlen = 0;
    return 0;
}

static int on_value(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    seen *s = ctx;
    assert_true(s->begun);
    assert_true(n > 0);
    if (s->vlen + n > s->vcap) {
        s->vcap = (s->vlen + n) * 2;
        s->value = realloc(s->value, s->vcap);
    }
    memcpy(s->value + s->vlen, d, n);
    s->vlen += n;
    return 0;
}

static int on_end(void *ctx, const ra_rdb_item *it, ra_err *err) {
    (void)err;
    seen *s = ctx;
    assert_true(s->begun);
    s->begun = 0;
    assert_int_equal(s->vlen, (size_t)it->value_len);
    assert_int_equal(s->value[0], (uint8_t)it->type);
    add(s, "%d %s db=%d type=%d exp=%lld idle=%lld freq=%d mod=%llx key=", it->kind, it->kind ? "fn" : "key",
        it->db, it->type, it->expire_ms, it->idle, it->freq, (unsigned long long)it->module_id);
    for (size_t k = 0; it->key && k < it->key_len; k++) add(s, "%02x", it->key[k]);
    add(s, " value=");
    for (size_t k = 0; k < s->vlen; k++) add(s, "%02x", s->value[k]);
    add(s, "\n");
    return 0;
}

static void seen_free(seen *s) {
    free(s->text);
    free(s->value);
    memset(s, 0, sizeof(*s));
}

/* Feed p[0..n) cut at a and b (chunk 0: whole pieces; 1: byte by byte); the result of finish. */
static int parse(const uint8_t *p, size_t n, size_t a, size_t b, int bytewise, seen *s, ra_rdb_counts *counts,
                 ra_err *err) {
    ra_rdbparse_cb cb = {.ctx = s, .begin = on_begin, .value = on_value, .end = on_end};
    ra_rdbparse *r = ra_rdbparse_new(&cb);
    assert_non_null(r);
    size_t cuts[4] = {0, a, b, n};
    int rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++) {
        if (bytewise) {
            for (size_t j = cuts[k]; j < cuts[k + 1] && rc == 0; j++) rc = ra_rdbparse_feed(r, p + j, 1, err);
        } else {
            rc = ra_rdbparse_feed(r, p + cuts[k], cuts[k + 1] - cuts[k], err);
        }
    }
    if (rc == 0) rc = ra_rdbparse_finish(r, err);
    if (counts) {
        *counts = *ra_rdbparse_counts(r);
        counts->dbs = NULL; /* freed with the reader */
    }
    ra_rdbparse_free(r);
    return rc;
}

static uint8_t *slurp(const char *name, size_t *n) {
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s (run from the repository root)", path);
    uint8_t *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* The file parses; every cut and byte-by-byte feeding yields the very same items. */
static void check_file(const char *name, long long keys, ra_rdb_counts *out, char **text) {
    size_t n;
    uint8_t *b = slurp(name, &n);
    seen whole = {0};
    ra_err err = {0};
    ra_rdb_counts c;
    if (parse(b, n, n, n, 0, &whole, &c, &err) != 0) fail_msg("%s: %s", name, err.msg);
    assert_int_equal(c.keys, keys);
    seen bytewise = {0};
    assert_int_equal(parse(b, n, n, n, 1, &bytewise, NULL, &err), 0);
    assert_string_equal(whole.text ? whole.text : "", bytewise.text ? bytewise.text : "");
    for (size_t a = 0; a <= n; a++) {
        seen cut = {0};
        if (parse(b, n, a, a, 0, &cut, NULL, &err) != 0) fail_msg("%s cut at %zu: %s", name, a, err.msg);
        assert_string_equal(whole.text ? whole.text : "", cut.text ? cut.text : "");
        seen_free(&cut);
    }
    /* counting only (as a backup runs it: the fast path for whole string keys): the same counts */
    for (size_t a = 0; a <= n; a += (a < 64 || n - a < 64) ? 1 : 13) {
        ra_rdbparse *r = ra_rdbparse_new(NULL);
        if (ra_rdbparse_feed(r, b, a, &err) != 0 || ra_rdbparse_feed(r, b + a, n - a, &err) != 0 ||
            ra_rdbparse_finish(r, &err) != 0)
            fail_msg("%s counting, cut at %zu: %s", name, a, err.msg);
        const ra_rdb_counts *k = ra_rdbparse_counts(r);
        assert_int_equal(k->keys, c.keys);
        assert_int_equal(k->expires, c.expires);
        assert_int_equal(k->functions, c.functions);
        assert_int_equal(k->ndbs, c.ndbs);
        assert_memory_equal(k->kinds, c.kinds, sizeof(c.kinds));
        ra_rdbparse_free(r);
    }
    /* every truncation is refused, by feed or by finish */
    for (size_t cut = 0; cut < n; cut++) {
        seen t = {0};
        ra_err e = {0};
        ra_rdbparse_cb cb = {.ctx = &t, .begin = on_begin, .value = on_value, .end = on_end};
        ra_rdbparse *r = ra_rdbparse_new(&cb);
        int rc = ra_rdbparse_feed(r, b, cut, &e);
        if (rc == 0) rc = ra_rdbparse_finish(r, &e);
        if (rc == 0) fail_msg("%s truncated to %zu bytes was accepted", name, cut);
        assert_int_equal(e.code, RA_E_VERIFY);
        ra_rdbparse_free(r);
        seen_free(&t);
    }
    if (out) *out = c;
    if (text) *text = strdup(whole.text ? whole.text : "");
    seen_free(&whole);
    seen_free(&bytewise);
    free(b);
}

static int has(const char *text, const char *needle) {
    return strstr(text, needle) != NULL;
}

static void test_string(void **state) {
    (void)state;
    char *t;
    ra_rdb_counts c;
    check_file("string.rdb", 7, &c, &t);
    assert_int_equal(c.kinds[RA_RDB_STRING], 7);
    assert_true(has(t, "key=733a73686f7274 value=000568656c6c6f\n")); /* s:short -> 0x00 "\x05hello" */
    assert_true(has(t, "key=3132333435 value=")); /* "12345", stored as a 16-bit integer */
    assert_true(has(t, "key=6b65792d6162636465666768")); /* "key-abcdefgh...", stored LZF-compressed */
    assert_true(has(t, "key=733a656d707479 value=0000\n")); /* s:empty */
    free(t);
}

static void test_list(void **state) {
    (void)state;
    ra_rdb_counts c;
    check_file("list.rdb", 3, &c, NULL);
    assert_int_equal(c.kinds[RA_RDB_LIST], 3);
}

static void test_set(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("set.rdb", 3, &c, &t);
    assert_int_equal(c.kinds[RA_RDB_SET], 3);
    assert_true(has(t, "type=11 ")); /* intset */
    assert_true(has(t, "type=2 "));  /* hashtable */
    free(t);
}

static void test_zset(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("zset.rdb", 3, &c, &t);
    assert_int_equal(c.kinds[RA_RDB_ZSET], 3);
    assert_true(has(t, "type=17 ")); /* listpack */
    assert_true(has(t, "type=5 "));  /* skiplist, binary doubles */
    free(t);
}

static void test_hash(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("hash.rdb", 3, &c, &t);
    assert_int_equal(c.kinds[RA_RDB_HASH], 3);
    assert_true(has(t, "type=16 ")); /* listpack */
    assert_true(has(t, "type=4 "));  /* hashtable */
    free(t);
}

static void test_stream(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("stream.rdb", 2, &c, &t);
    assert_int_equal(c.kinds[RA_RDB_STREAM], 2);
    assert_true(has(t, "type=19 ")); /* listpacks v2, with consumer groups */
    free(t);
}

static void test_function(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("function.rdb", 0, &c, &t);
    assert_int_equal(c.functions, 1);
    assert_true(has(t, "1 fn db=0 type=245 "));
    free(t);
}

static void test_all(void **state) {
    (void)state;
    ra_rdb_counts c;
    char *t;
    check_file("all.rdb", 9, &c, &t);
    assert_int_equal(c.expires, 3);
    assert_int_equal(c.functions, 1);
    assert_int_equal(c.ndbs, 3);
    assert_int_equal(c.kinds[RA_RDB_STRING], 2);
    assert_int_equal(c.kinds[RA_RDB_HASH], 2);
    assert_int_equal(c.kinds[RA_RDB_SET], 2);
    assert_true(has(t, "db=15 type=2 exp="));
    free(t);
}

/* ---- RDB 11/12 and what this Redis does not write: built by hand */

typedef struct buf {
    uint8_t b[4096];
    size_t n;
} buf;

static void put(buf *f, const void *p, size_t n) {
    memcpy(f->b + f->n, p, n);
    f->n += n;
}
#define PUT(f, lit) put(f, lit, sizeof(lit) - 1)

static void str(buf *f, const char *s) {
    uint8_t l = (uint8_t)strlen(s);
    put(f, &l, 1);
    put(f, s, l);
}

static void le(buf *f, uint64_t v, int n) {
    for (int k = 0; k < n; k++) f->b[f->n++] = (uint8_t)(v >> (8 * k));
}

/* the smallest listpack: 7 bytes in all, no elements, the end byte */
static void lp_empty(buf *f) {
    PUT(f, "\x07\x07\x00\x00\x00\x00\x00\xff");
}

static void handmade(buf *f, int version) {
    f->n = 0;
    char head[10];
    snprintf(head, sizeof(head), "REDIS%04d", version);
    put(f, head, 9);
    PUT(f, "\xfa\x09redis-ver\x05" "7.4.0");
    PUT(f, "\xfe\x02\xfb\x05\x02\xf4\x81\x00\x00\x00\x00\x00\x00\x00\x09\x05\x02"); /* db 2, slot info */
    /* listpack set (20), seconds expire (0xfd), LFU freq */
    PUT(f, "\xfd");
    le(f, 2000000000u, 4);
    PUT(f, "\xf9\x07\x14");
    str(f, "lpset");
    lp_empty(f);
    /* stream v3 (21): one node, length, ids, one group with one pending entry, one consumer */
    PUT(f, "\xf8\x40\x80\x15"); /* idle 128 (14-bit length) */
    str(f, "st3");
    PUT(f, "\x01\x10" "0123456789abcdef");
    lp_empty(f);
    PUT(f, "\x03\x01\x02" "\x01\x00" "\x00\x00" "\x03"); /* length, last id, first id, max deleted, added */
    PUT(f, "\x01");
    str(f, "grp");
    PUT(f, "\x01\x02\x03"); /* last id, entries read */
    PUT(f, "\x01" "0123456789abcdef");
    le(f, 1700000000000ull, 8);
    PUT(f, "\x01");
    PUT(f, "\x01");
    str(f, "alice");
    le(f, 1700000000001ull, 8);
    le(f, 1700000000002ull, 8);
    PUT(f, "\x01" "0123456789abcdef");
    /* hash with field expiry (24): minExpire, 2 fields, ttls relative */
    PUT(f, "\xfc");
    le(f, 1800000000000ull, 8);
    PUT(f, "\x18");
    str(f, "hfe");
    le(f, 1700000000000ull, 8);
    PUT(f, "\x02\x00");
    str(f, "f1");
    str(f, "v1");
    PUT(f, "\x05");
    str(f, "f2");
    PUT(f, "\xc0\x07"); /* an integer-encoded value */
    /* listpack hash with field expiry (25): minExpire, the listpack */
    PUT(f, "\x19");
    PUT(f, "\xc2\x40\x42\x0f\x00"); /* key: the integer 1000000 */
    le(f, 1700000000000ull, 8);
    lp_empty(f);
    /* module value (7): id, then fields: uint, float, double, string, sint, EOF */
    PUT(f, "\x07");
    str(f, "mod");
    PUT(f, "\x81\x12\x34\x56\x78\x9a\xbc\xde\xf0");
    PUT(f, "\x02\x05" "\x03\x00\x00\x80\x3f" "\x04\x00\x00\x00\x00\x00\x00\xf0\x3f");
    PUT(f, "\x05\x03" "abc" "\x01\x07" "\x00");
    /* module aux (0xf7): id, when opcode, when, fields */
    PUT(f, "\xf7\x81\x12\x34\x56\x78\x9a\xbc\xde\xf0\x02\x02\x05\x02" "xy" "\x00");
    /* old zset (3) with string doubles, inf and nan */
    PUT(f, "\xfe\x00\x03");
    str(f, "oldz");
    PUT(f, "\x03");
    str(f, "a");
    PUT(f, "\x03" "1.5");
    str(f, "b");
    PUT(f, "\xfe");
    str(f, "c");
    PUT(f, "\xfd");
    /* a function library (0xf5) */
    PUT(f, "\xf5");
    str(f, "#!lua name=x");
    PUT(f, "\xff");
    le(f, 0, 8); /* the trailer is rdb.c's business */
}

static void test_handmade_every_split(void **state) {
    (void)state;
    buf f;
    handmade(&f, 12);
    seen whole = {0};
    ra_err err = {0};
    ra_rdb_counts c;
    if (parse(f.b, f.n, f.n, f.n, 0, &whole, &c, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(c.keys, 6);
    assert_int_equal(c.expires, 2);
    assert_int_equal(c.ndbs, 2);
    assert_int_equal(c.kinds[RA_RDB_SET], 1);
    assert_int_equal(c.kinds[RA_RDB_STREAM], 1);
    assert_int_equal(c.kinds[RA_RDB_HASH], 2);
    assert_int_equal(c.kinds[RA_RDB_MODULE], 1);
    assert_int_equal(c.kinds[RA_RDB_ZSET], 1);
    assert_int_equal(c.functions, 1);
    assert_int_equal(c.module_aux, 1);
    const char *t = whole.text;
    assert_true(has(t, "db=2 type=20 exp=2000000000000 idle=-1 freq=7 mod=0 key=6c70736574 value=1407070000000000ff\n"));
    assert_true(has(t, "db=2 type=21 exp=-1 idle=128 freq=-1"));
    assert_true(has(t, "db=2 type=24 exp=1800000000000 "));
    assert_true(has(t, "db=2 type=25 exp=-1 idle=-1 freq=-1 mod=0 key=31303030303030 ")); /* "1000000" */
    assert_true(has(t, "mod=123456789abcdef0 key=6d6f64 "));
    assert_true(has(t, "db=0 type=3 "));
    for (size_t a = 0; a <= f.n; a++)
        for (size_t b = a; b <= f.n; b += 7) {
            seen cut = {0};
            if (parse(f.b, f.n, a, b, 0, &cut, NULL, &err) != 0) fail_msg("cut %zu/%zu: %s", a, b, err.msg);
            assert_string_equal(t, cut.text);
            seen_free(&cut);
        }
    seen bw = {0};
    assert_int_equal(parse(f.b, f.n, 0, 0, 1, &bw, NULL, &err), 0);
    assert_string_equal(t, bw.text);
    seen_free(&bw);
    char name[10];
    ra_rdb_module_name(0x123456789abcdef0ull, name);
    assert_int_equal(strlen(name), 9);
    seen_free(&whole);
}

static void refused(const uint8_t *p, size_t n, const char *want) {
    ra_err err = {0};
    seen s = {0};
    assert_int_equal(parse(p, n, n, n, 0, &s, NULL, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    if (strstr(err.msg, want) == NULL) fail_msg("'%s' does not say '%s'", err.msg, want);
    seen_free(&s);
}

static void test_refused(void **state) {
    (void)state;
    refused((const uint8_t *)"REDIS0011\x08\x01k\x00", 13, "unknown opcode or value type 0x08");
    refused((const uint8_t *)"REDIS0011\xf6", 10, "release candidate");
    refused((const uint8_t *)"REDIS0011\x06\x01k", 12, "unknown opcode or value type 0x06");
    refused((const uint8_t *)"REDIS0011\x00\xc5k", 12, "unknown string encoding 5");
    refused((const uint8_t *)"REDIS0011\xfe\xc0\x01", 12, "an encoded string where a length belongs");
    refused((const uint8_t *)"REDIS0011\xfe\x82", 11, "bad length byte 0x82");
    refused((const uint8_t *)"REDIS0011\xff\0\0\0\0\0\0\0\0\0", 19, "1 bytes after the end");
    refused((const uint8_t *)"REDIX0011\xff", 10, "not an rdb header");
    refused((const uint8_t *)"REDIS0011\x07\x01k\x81\0\0\0\0\0\0\0\1\x09", 22, "unknown module field opcode 9");
    refused((const uint8_t *)"REDIS0011\x00\xc3\x05\x04\x00\x00", 15, "truncated in a key name"); /* cut lzf */
    refused((const uint8_t *)"REDIS0011\x00\xc3\x02\x02\x01\x00\x00\x00", 17, "does not decompress");
    refused((const uint8_t *)"REDIS0011\x00\x01k\x05he", 15, "truncated in a value");
    refused((const uint8_t *)"REDIS0011\xff\0\0\0", 13, "truncated in the checksum");
    /* blobs whose own header disagrees with the string that holds them */
    refused((const uint8_t *)"REDIS0011\x10\x01k\x07\x08\x00\x00\x00\x00\x00\xff", 20, "a bad listpack of 7 bytes");
    refused((const uint8_t *)"REDIS0011\x14\x01k\x07\x07\x00\x00\x00\x00\x00\xfe", 20, "a bad listpack");
    refused((const uint8_t *)"REDIS0011\x0b\x01k\x0a\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00", 23, "a bad intset");
    refused((const uint8_t *)"REDIS0011\x0a\x01k\x0b\x0b\x00\x00\x00\x0b\x00\x00\x00\x00\x00\xff", 24, "a bad ziplist");
    refused((const uint8_t *)"REDIS0011\x12\x01k\x01\x02\x03" "abc", 19, "a bad listpack of 3 bytes");
}

static void test_valkey_header(void **state) {
    (void)state;
    uint8_t b[] = "VALKEY080\x00\x01k\x01v\xff\0\0\0\0\0\0\0\0";
    ra_err err = {0};
    ra_rdbparse *r = ra_rdbparse_new(NULL);
    assert_int_equal(ra_rdbparse_feed(r, b, sizeof(b) - 1, &err), 0);
    assert_int_equal(ra_rdbparse_finish(r, &err), 0);
    int valkey = 0;
    assert_int_equal(ra_rdbparse_version(r, &valkey), 80);
    assert_int_equal(valkey, 1);
    assert_int_equal(ra_rdbparse_counts(r)->keys, 1);
    ra_rdbparse_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string),   cmocka_unit_test(test_list),
        cmocka_unit_test(test_set),      cmocka_unit_test(test_zset),
        cmocka_unit_test(test_hash),     cmocka_unit_test(test_stream),
        cmocka_unit_test(test_function), cmocka_unit_test(test_all),
        cmocka_unit_test(test_handmade_every_split), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_valkey_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
