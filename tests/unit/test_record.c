/* test_record.c - backup records: ids, keys, remark rules, JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/record.h"

static void test_id_shape(void **state) {
    (void)state;
    char id[RA_ID_MAX];
    ra_record_make_id(id, 1795485912, 0x3fa9); /* 2026-11-24T02:05:12Z */
    assert_string_equal(id, "20261124T020512Z-3fa9");
    assert_true(ra_record_id_valid(id));
    assert_int_equal(strlen(id), 21);
    assert_false(ra_record_id_valid("20261124T012512Z-3fA9"));
    assert_false(ra_record_id_valid("../../etc/passwd"));
    assert_false(ra_record_id_valid("20261124T012512Z-3fa"));
    assert_false(ra_record_id_valid(""));
    assert_false(ra_record_id_valid(NULL));
}

static void test_id_sorts_by_time(void **state) {
    (void)state;
    char a[RA_ID_MAX], b[RA_ID_MAX];
    ra_record_make_id(a, 1795485912, 0xffff);
    ra_record_make_id(b, 1795485913, 0x0000);
    assert_true(strcmp(a, b) < 0);
}

static void test_keys(void **state) {
    (void)state;
    char *k = ra_record_rdb_key("redis-archiver/", "cache-1", "20261124T012512Z-3fa9");
    assert_string_equal(k, "redis-archiver/cache-1/20261124T012512Z-3fa9.rdb");
    free(k);
    k = ra_record_json_key("", "x", "20261124T012512Z-3fa9");
    assert_string_equal(k, "x/20261124T012512Z-3fa9.json");
    free(k);
}

static void test_remark_rules(void **state) {
    (void)state;
    ra_err err = {0};
    assert_int_equal(ra_remark_check(NULL, &err), 0);
    assert_int_equal(ra_remark_check("before the 7.2 upgrade", &err), 0);
    assert_int_equal(ra_remark_check("升级前备份 — ok ✓", &err), 0);
    assert_int_equal(ra_remark_check("tab\there", &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "control character"));
    assert_int_equal(ra_remark_check("new\nline", &err), -1);
    assert_int_equal(ra_remark_check("del\x7f", &err), -1);
    assert_int_equal(ra_remark_check("c1 \xc2\x85", &err), -1); /* U+0085 NEL */
    assert_int_equal(ra_remark_check("bad \xff utf8", &err), -1);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(ra_remark_check("overlong \xc0\xaf", &err), -1);
    assert_int_equal(ra_remark_check("cut \xe5\x8d", &err), -1);
    assert_int_equal(ra_remark_check("surrogate \xed\xa0\x80", &err), -1);
    char big[RA_REMARK_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(ra_remark_check(big, &err), -1);
    assert_non_null(strstr(err.msg, "at most"));
    big[RA_REMARK_MAX] = '\0';
    assert_int_equal(ra_remark_check(big, &err), 0);
}

static void test_json_round_trip(void **state) {
    (void)state;
    ra_record r = {0};
    ra_record_make_id(r.id, 1795485912, 0xbeef);
    r.instance = strdup("cache-1");
    r.key = strdup("p/cache-1/x.rdb");
    r.automatic = 1;
    r.remark = strdup("升级前 \"quoted\"");
    r.started = 1795485912;
    r.finished = 1795485999;
    r.heartbeat = 1795485990;
    r.state = RA_STATE_SUCCEEDED;
    r.bytes = 988539074;
    r.rate = 1.5e8;
    r.crc64 = 0xe6f1745618428cf2ULL;
    r.source = strdup("127.0.0.1:7002");
    r.replid = strdup("58a650775053a28fd78b5d939f08372a5ec93a73");
    r.offset = 266;
    r.pid = 42;
    char *text = ra_record_to_json(&r);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"type\": \"auto\""));
    assert_non_null(strstr(text, "\"started\": \"2026-11-24T"));
    assert_non_null(strstr(text, "\"size\": 988539074"));
    ra_record back;
    ra_err err = {0};
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_string_equal(back.id, r.id);
    assert_string_equal(back.remark, r.remark);
    assert_int_equal(back.automatic, 1);
    assert_int_equal(back.started, r.started);
    assert_int_equal(back.finished, r.finished);
    assert_int_equal(back.state, RA_STATE_SUCCEEDED);
    assert_int_equal(back.bytes, r.bytes);
    assert_true(back.crc64 == r.crc64);
    assert_int_equal(back.offset, 266);
    assert_null(back.error);
    assert_int_equal(back.unchecked, 0);
    assert_null(strstr(text, "unchecked"));
    free(text);
    ra_record_clear(&back);
    /* an RDB taken without a CRC-64 says so */
    r.unchecked = 1;
    text = ra_record_to_json(&r);
    assert_non_null(strstr(text, "\"unchecked\": true"));
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_int_equal(back.unchecked, 1);
    free(text);
    ra_record_clear(&back);
    ra_record_clear(&r);
}

static void test_json_keys(void **state) {
    (void)state;
    ra_record r = {0};
    ra_record_make_id(r.id, 1795485912, 0xbeef);
    char *text = ra_record_to_json(&r);
    assert_non_null(strstr(text, "\"keys\": null")); /* not counted */
    ra_record back;
    ra_err err = {0};
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_int_equal(back.keys.known, 0);
    free(text);
    ra_rdb_dbcount dbs[] = {{0, 10, 2}, {3, 5, 0}};
    ra_rdb_counts c = {.keys = 15, .expires = 2, .functions = 1, .dbs = dbs, .ndbs = 2};
    c.kinds[RA_RDB_HASH] = 9;
    c.kinds[RA_RDB_STREAM] = 6;
    assert_int_equal(ra_record_set_keys(&r, &c, &err), 0);
    text = ra_record_to_json(&r);
    assert_non_null(strstr(text, "\"hash\": 9"));
    ra_record_clear(&back);
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_int_equal(back.keys.known, 1);
    assert_int_equal(back.keys.total, 15);
    assert_int_equal(back.keys.expires, 2);
    assert_int_equal(back.keys.functions, 1);
    assert_int_equal(back.keys.kinds[RA_RDB_HASH], 9);
    assert_int_equal(back.keys.kinds[RA_RDB_STREAM], 6);
    assert_int_equal(back.keys.ndbs, 2);
    assert_int_equal(back.keys.dbs[1].db, 3);
    assert_int_equal(back.keys.dbs[1].keys, 5);
    assert_int_equal(back.keys.dbs[0].expires, 2);
    free(text);
    ra_record_clear(&back);
    ra_record_clear(&r);
}

static void test_json_rejects_garbage(void **state) {
    (void)state;
    ra_record r;
    ra_err err = {0};
    assert_int_equal(ra_record_from_json(&r, "{", 1, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    const char *noid = "{\"id\": \"../x\"}";
    assert_int_equal(ra_record_from_json(&r, noid, strlen(noid), &err), -1);
}

static void test_time_iso(void **state) {
    (void)state;
    char buf[32];
    ra_time_iso(0, buf);
    assert_string_equal(buf, "");
    ra_time_iso(1369353600, buf);
    assert_string_equal(buf, "2013-05-24T00:00:00Z");
    assert_int_equal(ra_time_parse_iso(buf), 1369353600);
    assert_int_equal(ra_time_parse_iso("2013-05-24 00:00:00"), 0);
}

/* A sealed backup's record: its format picks the key's extension; format, fingerprints and the
 * stored size survive JSON; a record from before formats reads as "rdb". */
static void test_sealed_format(void **state) {
    (void)state;
    char *k = ra_record_object_key("p/", "inst", "20261124T020512Z-3fa9", "rdb.zst.age");
    assert_string_equal(k, "p/inst/20261124T020512Z-3fa9.rdb.zst.age");
    free(k);
    k = ra_record_object_key("p/", "inst", "20261124T020512Z-3fa9", NULL);
    assert_string_equal(k, "p/inst/20261124T020512Z-3fa9.rdb");
    free(k);
    assert_null(ra_record_object_key("p/", "inst", "20261124T020512Z-3fa9", "rdb/../../x"));

    ra_record r = {0}, back;
    ra_err err = {0};
    snprintf(r.id, sizeof(r.id), "20261124T020512Z-3fa9");
    r.state = RA_STATE_SUCCEEDED;
    r.format = strdup("rdb.zst.age");
    r.recipients = strdup("0123456789abcdef,fedcba9876543210");
    r.stored = 12345;
    char *text = ra_record_to_json(&r);
    assert_non_null(strstr(text, "\"recipients\": [\n    \"0123456789abcdef\""));
    assert_int_equal(ra_record_from_json(&back, text, strlen(text), &err), 0);
    assert_string_equal(back.format, "rdb.zst.age");
    assert_string_equal(back.recipients, "0123456789abcdef,fedcba9876543210");
    assert_int_equal(back.stored, 12345);
    free(text);
    ra_record_clear(&back);
    ra_record_clear(&r);
    const char old[] = "{\"id\": \"20261124T020512Z-3fa9\", \"status\": \"succeeded\"}";
    assert_int_equal(ra_record_from_json(&back, old, strlen(old), &err), 0);
    assert_null(back.format);
    assert_null(back.recipients);
    text = ra_record_to_json(&back);
    assert_non_null(strstr(text, "\"format\": \"rdb\""));
    free(text);
    ra_record_clear(&back);
}

static void test_cluster_shards(void **state) {
    (void)state;
    ra_record r = {.state = RA_STATE_SUCCEEDED, .offset = -1, .skew = 0.25};
    ra_record_make_id(r.id, 1795900000, 0x3fa9);
    r.instance = strdup("c1");
    r.moving = strdup("slot 100 migrating to 583b6157");
    r.nshards = 2;
    r.shards = calloc(2, sizeof(*r.shards));
    for (int i = 0; i < 2; i++) {
        r.shards[i].slots = strdup(i ? "8192-16383" : "0-8191");
        r.shards[i].node = strdup("127.0.0.1:7001");
        r.shards[i].master_id = strdup("3e3828124b6eff9ba3d086e2e73927d61f6bceb0");
        r.shards[i].key = ra_record_shard_key("p/", "c1", r.id, i, "rdb.zst");
        r.shards[i].offset = 14 + i;
        r.shards[i].bytes = 1000 + i;
        r.shards[i].crc64 = 0xdeadbeefcafe0000ULL + (uint64_t)i;
        r.shards[i].started = 0.125 * i;
    }
    assert_string_equal(r.shards[1].key, "p/c1/20261128T210640Z-3fa9/shard-1.rdb.zst");
    assert_null(ra_record_shard_key("p/", "c1", r.id, 0, "tar"));
    const char *keys[4];
    assert_int_equal(ra_record_object_keys(&r, keys, 4), 2);
    assert_ptr_equal(keys[1], r.shards[1].key);
    char *text = ra_record_to_json(&r);
    ra_record b;
    ra_err err = {0};
    assert_int_equal(ra_record_from_json(&b, text, strlen(text), &err), 0);
    assert_int_equal(b.nshards, 2);
    assert_string_equal(b.shards[1].slots, "8192-16383");
    assert_string_equal(b.shards[1].key, r.shards[1].key);
    assert_int_equal(b.shards[1].offset, 15);
    assert_int_equal(b.shards[1].bytes, 1001);
    assert_true(b.shards[1].crc64 == 0xdeadbeefcafe0001ULL);
    assert_true(b.shards[1].started == 0.125);
    assert_true(b.skew == 0.25);
    assert_string_equal(b.moving, r.moving);
    assert_non_null(strstr(text, "\"crc64\": null")); /* a cluster backup has one per shard, none overall */
    free(text);
    ra_record_clear(&b);
    ra_record_clear(&r);
    /* a plain record has no shards member and one key */
    ra_record p = {.offset = -1};
    ra_record_make_id(p.id, 1795900000, 1);
    p.key = strdup("k.rdb");
    text = ra_record_to_json(&p);
    assert_null(strstr(text, "shards"));
    assert_int_equal(ra_record_object_keys(&p, keys, 4), 1);
    free(text);
    ra_record_clear(&p);
}

/* A cluster backup's key counts: per shard in the record, and their sum (dbs merged by number); one
 * shard not counted leaves the sum unknown. */
static void test_cluster_keys(void **state) {
    (void)state;
    ra_rdb_dbcount d0[2] = {{.db = 0, .keys = 10, .expires = 2}, {.db = 3, .keys = 5, .expires = 0}};
    ra_rdb_dbcount d1[1] = {{.db = 3, .keys = 7, .expires = 1}};
    ra_rdb_counts c0 = {.keys = 15, .expires = 2, .dbs = d0, .ndbs = 2}, c1 = {.keys = 7, .expires = 1, .dbs = d1,
                                                                            .ndbs = 1};
    c0.kinds[RA_RDB_STRING] = 15;
    c1.kinds[RA_RDB_HASH] = 7;
    ra_record r = {.state = RA_STATE_SUCCEEDED, .offset = -1, .nshards = 2};
    ra_record_make_id(r.id, 1795900000, 7);
    r.shards = calloc(2, sizeof(*r.shards));
    ra_err err = {0};
    assert_int_equal(ra_record_keys_set(&r.shards[0].keys, &c0, &err), 0);
    assert_int_equal(ra_record_keys_set(&r.shards[1].keys, &c1, &err), 0);
    ra_record_keys sum = {.known = 1};
    for (int i = 0; i < 2; i++) assert_int_equal(ra_record_keys_add(&sum, &r.shards[i].keys, &err), 0);
    assert_true(sum.known);
    assert_int_equal(sum.total, 22);
    assert_int_equal(sum.expires, 3);
    assert_int_equal(sum.kinds[RA_RDB_STRING], 15);
    assert_int_equal(sum.kinds[RA_RDB_HASH], 7);
    assert_int_equal(sum.ndbs, 2);
    assert_int_equal(sum.dbs[1].db, 3);
    assert_int_equal(sum.dbs[1].keys, 12);
    assert_int_equal(sum.dbs[1].expires, 1);
    r.keys = sum;
    char *text = ra_record_to_json(&r);
    ra_record b;
    assert_int_equal(ra_record_from_json(&b, text, strlen(text), &err), 0);
    assert_true(b.shards[1].keys.known);
    assert_int_equal(b.shards[1].keys.total, 7);
    assert_int_equal(b.shards[0].keys.ndbs, 2);
    assert_int_equal(b.keys.total, 22);
    free(text);
    ra_record_clear(&b);
    ra_record_keys unknown = {0}, part = {.known = 1};
    assert_int_equal(ra_record_keys_add(&part, &r.shards[0].keys, &err), 0);
    assert_int_equal(ra_record_keys_add(&part, &unknown, &err), 0);
    assert_false(part.known);
    assert_int_equal(ra_record_keys_add(&part, &r.shards[1].keys, &err), 0);
    assert_false(part.known);
    ra_record_clear(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_shape),       cmocka_unit_test(test_id_sorts_by_time),
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_remark_rules),
        cmocka_unit_test(test_json_round_trip), cmocka_unit_test(test_json_rejects_garbage),
        cmocka_unit_test(test_time_iso),       cmocka_unit_test(test_sealed_format),
        cmocka_unit_test(test_json_keys),
        cmocka_unit_test(test_cluster_shards),
        cmocka_unit_test(test_cluster_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
