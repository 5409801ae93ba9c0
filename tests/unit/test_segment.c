/* test_segment.c - segment keys and headers: round trip, the offset at a time, damaged objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/segment.h"
#include "common/crc64.h"

static void test_keys(void **state) {
    (void)state;
    char *k = ra_segment_key("p/default/", "20261128T221407Z-913d", -1, 266, 1000);
    assert_string_equal(k, "p/default/20261128T221407Z-913d.seg/00000000000000000266-00000000000000001000");
    free(k);
    k = ra_segment_key("p/default/", "20261128T221407Z-913d", 2, 266, 1000); /* a cluster chain's shard 2 */
    assert_string_equal(k, "p/default/20261128T221407Z-913d.seg/shard-2/00000000000000000266-00000000000000001000");
    free(k);
    k = ra_segment_shard_dir("p/default/", "20261128T221407Z-913d", 0);
    assert_string_equal(k, "p/default/20261128T221407Z-913d.seg/shard-0/");
    free(k);
    k = ra_segment_shard_state_key("p/default/", "20261128T221407Z-913d", 1);
    assert_string_equal(k, "p/default/20261128T221407Z-913d.seg/shard-1.archive");
    free(k);
    int shard;
    long long f, l;
    assert_int_equal(ra_segment_rel_parse("00000000000000000266-00000000000000001000", &shard, &f, &l), 1);
    assert_int_equal(shard, -1);
    assert_int_equal(ra_segment_rel_parse("shard-12/00000000000000000266-00000000000000001000", &shard, &f, &l), 1);
    assert_int_equal(shard, 12);
    assert_int_equal(f, 266);
    assert_int_equal(ra_segment_rel_parse("shard-1.archive", &shard, &f, &l), 0);
    assert_int_equal(ra_segment_rel_parse("shard-/1-2", &shard, &f, &l), 0);
    assert_int_equal(ra_segment_rel_parse("shard-x/1-2", &shard, &f, &l), 0);
    assert_int_equal(ra_segment_rel_parse("shard-1/x", &shard, &f, &l), 0);
    k = ra_segment_dir("p/default/", "20261128T221407Z-913d");
    assert_string_equal(k, "p/default/20261128T221407Z-913d.seg/");
    free(k);
    long long a, b;
    assert_int_equal(ra_segment_name_parse("00000000000000000266-00000000000000001000", &a, &b), 1);
    assert_int_equal(a, 266);
    assert_int_equal(b, 1000);
    assert_int_equal(ra_segment_name_parse("state", &a, &b), 0);
    assert_int_equal(ra_segment_name_parse("9-3", &a, &b), 0);
    assert_int_equal(ra_segment_name_parse("-3", &a, &b), 0);
}

static void test_state(void **state) {
    (void)state;
    char *k = ra_segment_state_key("p/default/", "20261128T221407Z-913d");
    assert_string_equal(k, "p/default/20261128T221407Z-913d.archive");
    free(k);
    const char *t = "replid ab\nfirst 266\nuploaded 1000\nreceived 1200\nsegments 3\nlast-segment "
                    "00000000000000000500-00000000000000001000\nlast-ms 1700000060000\nupdated-ms 1700000061000\n"
                    "first-ms 1700000000000\nnewer-key 5\nlast-ms x\n";
    ra_segment_state st;
    ra_segment_state_parse(t, strlen(t), &st);
    assert_int_equal(st.first, 266);
    assert_int_equal(st.uploaded, 1000);
    assert_int_equal(st.received, 1200);
    assert_int_equal(st.segments, 3);
    assert_int_equal(st.first_ms, 1700000000000LL);
    assert_int_equal(st.last_ms, 1700000060000LL); /* a malformed later line does not overwrite */
    assert_int_equal(st.updated_ms, 1700000061000LL);
    assert_string_equal(st.last_segment, "00000000000000000500-00000000000000001000");
    assert_int_equal(st.shards, -1); /* a standalone chain's */
    ra_segment_state_parse("shards 3\nfirst 0\n", 17, &st);
    assert_int_equal(st.shards, 3);
    /* format is parse's inverse, in the order the archive always wrote */
    char text[512];
    ra_segment_state w = {.first = 266, .uploaded = 1000, .received = 1200, .segments = 3, .first_ms = 5,
                          .last_ms = 6, .updated_ms = 7, .shards = -1, .last_segment = "a-b"};
    int len = ra_segment_state_format(&w, "ab", text, sizeof(text));
    assert_string_equal(text, "replid ab\nfirst 266\nuploaded 1000\nreceived 1200\nsegments 3\nlast-segment a-b\n"
                              "last-ms 6\nupdated-ms 7\nfirst-ms 5\n");
    assert_int_equal(len, (int)strlen(text));
    w.shards = 3;
    ra_segment_state_format(&w, NULL, text, sizeof(text));
    assert_int_equal(strncmp(text, "shards 3\nfirst 266\n", strlen("shards 3\nfirst 266\n")), 0);
    ra_segment_state_parse(text, strlen(text), &st);
    assert_int_equal(st.shards, 3);
    assert_int_equal(st.updated_ms, 7);
    assert_string_equal(st.last_segment, "a-b");
    ra_segment_state_parse("first 1", 7, &st); /* an older state: no first-ms, no newline at the end */
    assert_int_equal(st.first, 1);
    assert_int_equal(st.first_ms, -1);
    assert_string_equal(st.last_segment, "-");
}

static void test_round_trip(void **state) {
    (void)state;
    ra_segment_meta m = {.first = 100, .last = 110};
    strcpy(m.replid, "58a650775053a28fd78b5d939f08372a5ec93a73");
    strcpy(m.base, "20261128T221407Z-913d");
    assert_int_equal(ra_segment_tick_add(&m, 1000, 100), 0);
    assert_int_equal(ra_segment_tick_add(&m, 2000, 105), 0);
    assert_int_equal(ra_segment_tick_add(&m, 3000, 105), 0);
    assert_int_equal(ra_segment_tick_add(&m, 4000, 105), 0); /* collapses into the 3000 one */
    assert_int_equal(ra_segment_tick_add(&m, 3500, 110), 0); /* older: dropped */
    assert_int_equal(ra_segment_tick_add(&m, 5000, 110), 0);
    assert_int_equal(m.nticks, 4);
    size_t hl;
    char *h = ra_segment_header(&m, &hl);
    uint8_t *obj = malloc(hl + 10);
    memcpy(obj, h, hl);
    memcpy(obj + hl, "0123456789", 10);
    ra_segment_meta p = {0};
    size_t at;
    ra_err err = {0};
    assert_int_equal(ra_segment_parse(obj, hl + 10, &p, &at, &err), 0);
    assert_int_equal(at, hl);
    assert_string_equal(p.replid, m.replid);
    assert_string_equal(p.base, m.base);
    assert_int_equal(p.first, 100);
    assert_int_equal(p.last, 110);
    assert_int_equal(p.nticks, 4);
    assert_int_equal(p.sharded, 0); /* a standalone chain's: no shard line */
    assert_null(strstr(h, "shard"));
    assert_int_equal(ra_segment_offset_at(&p, 999), -1);
    assert_int_equal(ra_segment_offset_at(&p, 1000), 100);
    assert_int_equal(ra_segment_offset_at(&p, 2500), 105);
    assert_int_equal(ra_segment_offset_at(&p, 4500), 105);
    assert_int_equal(ra_segment_offset_at(&p, 99999), 110);
    /* one byte short, one too many, a damaged header */
    assert_int_equal(ra_segment_parse(obj, hl + 9, &p, &at, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    obj[0] = 'X';
    assert_int_equal(ra_segment_parse(obj, hl + 10, &p, &at, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    /* with its crc64, a flipped stream byte is told */
    obj[0] = 'R';
    m.has_crc = 1;
    m.crc64 = ra_crc64(0, "0123456789", 10);
    free(h);
    h = ra_segment_header(&m, &hl);
    assert_non_null(strstr(h, "\ncrc64 "));
    free(obj);
    obj = malloc(hl + 10);
    memcpy(obj, h, hl);
    memcpy(obj + hl, "0123456789", 10);
    assert_int_equal(ra_segment_parse(obj, hl + 10, &p, &at, &err), 0);
    assert_int_equal(p.has_crc, 1);
    obj[hl + 4] ^= 1;
    assert_int_equal(ra_segment_parse(obj, hl + 10, &p, &at, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    assert_non_null(strstr(err.msg, "damaged"));
    m.has_crc = 0;
    /* a cluster chain's segment carries its shard */
    m.sharded = 1;
    m.shard = 2;
    free(h);
    h = ra_segment_header(&m, &hl);
    assert_non_null(strstr(h, "\nshard 2\n"));
    assert_int_equal(ra_segment_parse((const uint8_t *)h, hl, &p, &at, &err), -1); /* no stream bytes: 10 said */
    m.last = m.first = 100;
    m.nticks = 1;
    free(h);
    h = ra_segment_header(&m, &hl);
    assert_int_equal(ra_segment_parse((const uint8_t *)h, hl, &p, &at, &err), 0);
    assert_int_equal(p.sharded, 1);
    assert_int_equal(p.shard, 2);
    free(h);
    h = NULL;
    ra_segment_meta_clear(&p);
    ra_segment_meta_clear(&m);
    free(obj);
    free(h);
}

static void test_bad_headers(void **state) {
    (void)state;
    const char *bad[] = {
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\n\n",
        "RASEG 1\nreplid zz\nbase 20261128T221407Z-913d\nfirst 5\nlast 5\n\n",
        "RASEG 1\nreplid ab\nbase ../x\nfirst 5\nlast 5\n\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 5\nt 1 9\n\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 4\n\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 5\nt 2 5\nt 1 5\n\n",
        "RASEG 1\nreplid ab\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 5\ncrc64 00000000000000zz\n\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 5\ncrc64 0\n\n",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nfirst 5\nlast 6\ncrc64 0000000000000000\n\nx",
        "RASEG 1\nreplid ab\nbase 20261128T221407Z-913d\nshard x\nfirst 5\nlast 5\n\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ra_segment_meta m = {0};
        size_t at;
        ra_err err = {0};
        assert_int_equal(ra_segment_parse((const uint8_t *)bad[i], strlen(bad[i]), &m, &at, &err), -1);
        assert_int_equal(err.code, RA_E_VERIFY);
        ra_segment_meta_clear(&m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_state),cmocka_unit_test(test_keys), cmocka_unit_test(test_round_trip),
                                       cmocka_unit_test(test_bad_headers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
