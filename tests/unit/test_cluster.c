/* test_cluster.c - Redis Cluster topology from recorded CLUSTER SHARDS / CLUSTER NODES answers
 * (cluster_answers.h) and crafted ones: shards, replicas, health (failed, fail?, handshake, noaddr),
 * migrating and importing slots, uncovered slots, the pick per shard, malformed answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/cluster.h"
#include "cluster_answers.h"

#define M1 "3e3828124b6eff9ba3d086e2e73927d61f6bceb0" /* 31729: 0-5460, replica 945e... on 26379 */
#define M2 "583b615798badb646e6a31d9f7fadf47f43bffa9" /* 24955: 5461-10922, replica 83ab... on 30588 */
#define M3 "8667a54ee83350a475063786e13b3b14425065bd" /* 21702: 10923-16383, replica 1618... on 26774 */

static ra_cluster_topology *shards(const char *resp, size_t len) {
    ra_err err = {0};
    ra_resp_reply *r = ra_resp_parse(resp, len, &err);
    if (r == NULL) fail_msg("%s", err.msg);
    ra_cluster_topology *t = ra_cluster_topology_new();
    assert_non_null(t);
    if (ra_cluster_parse_shards(r, t, &err) < 0) fail_msg("%s", err.msg);
    ra_resp_reply_free(r);
    return t;
}

static ra_cluster_topology *nodes(const char *text) {
    ra_err err = {0};
    ra_cluster_topology *t = ra_cluster_topology_new();
    assert_non_null(t);
    if (ra_cluster_parse_nodes(text, strlen(text), t, &err) < 0) fail_msg("%s", err.msg);
    return t;
}

static const ra_cluster_node *node_of(const ra_cluster_topology *t, int i) {
    assert_true(i >= 0 && i < t->nnodes);
    return &t->nodes[i];
}

static void check_healthy(const ra_cluster_topology *t, int pickable) {
    static const int mports[3] = {31729, 24955, 21702}, rports[3] = {26379, 30588, 26774};
    static const int lo[3] = {0, 5461, 10923}, hi[3] = {5460, 10922, 16383};
    assert_int_equal(t->nshards, 3);
    for (int s = 0; s < 3; s++) {
        const ra_cluster_shard *sh = &t->shards[s];
        assert_int_equal(sh->nranges, 1);
        assert_int_equal(sh->ranges[0].lo, lo[s]);
        assert_int_equal(sh->ranges[0].hi, hi[s]);
        assert_int_equal(node_of(t, sh->master)->port, mports[s]);
        assert_true(node_of(t, sh->master)->master);
        assert_string_equal(node_of(t, sh->master)->ip, "127.0.0.1");
        assert_int_equal(sh->nreplicas, 1);
        assert_int_equal(node_of(t, sh->replicas[0])->port, rports[s]);
        assert_false(node_of(t, sh->replicas[0])->master);
        char why[256];
        int p = ra_cluster_pick(t, s, 0, why, sizeof(why));
        (void)pickable; /* Redis 7.0 says "loading" of a replica at offset 0: still picked */
        assert_int_equal(p, sh->replicas[0]);
    }
    assert_string_equal(t->nodes[t->shards[0].master].id, M1);
    assert_string_equal(t->nodes[t->shards[1].master].id, M2);
    assert_string_equal(t->nodes[t->shards[2].master].id, M3);
    ra_cluster_range u[4];
    assert_int_equal(ra_cluster_uncovered(t, u, 4), 0);
    assert_int_equal(t->nmoves, 0);
}

static void test_shards_healthy(void **state) {
    (void)state;
    /* recorded right after redis-cli --cluster create, before any write: replicas at offset 0 */
    ra_cluster_topology *t = shards(SHARDS_OK, sizeof(SHARDS_OK) - 1);
    check_healthy(t, 0);
    assert_int_equal(t->nodes[t->shards[0].replicas[0]].offset, 0);
    free(t);
    t = shards(SHARDS_REPLICA_DOWN, sizeof(SHARDS_REPLICA_DOWN) - 1);
    assert_int_equal(t->nodes[t->shards[1].replicas[0]].offset, 14);
    assert_int_equal(t->nodes[t->shards[1].replicas[0]].health, RA_CLUSTER_ONLINE);
    free(t);
}

static void test_nodes_healthy(void **state) {
    (void)state;
    ra_cluster_topology *t = nodes(NODES_OK);
    check_healthy(t, 1);
    assert_string_equal(t->nodes[t->shards[1].replicas[0]].master_id, M2);
    assert_true(t->nodes[t->shards[0].master].myself);
    free(t);
}

static void test_replica_down(void **state) {
    (void)state;
    const char *answers[2] = {SHARDS_REPLICA_DOWN, NODES_REPLICA_DOWN};
    for (int a = 0; a < 2; a++) {
        ra_cluster_topology *t = a == 0 ? shards(SHARDS_REPLICA_DOWN, sizeof(SHARDS_REPLICA_DOWN) - 1)
                                        : nodes(answers[a]);
        assert_int_equal(t->nshards, 3);
        char why[256];
        assert_int_equal(ra_cluster_pick(t, 0, 0, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "replica 127.0.0.1:26379 failed"));
        /* allow-master: the shard's master instead */
        assert_int_equal(ra_cluster_pick(t, 0, 1, why, sizeof(why)), t->shards[0].master);
        assert_int_equal(t->nodes[t->shards[0].master].port, 31729);
        /* the others are untouched */
        assert_int_equal(ra_cluster_pick(t, 1, 0, why, sizeof(why)), t->shards[1].replicas[0]);
        free(t);
    }
}

static void test_uncovered(void **state) {
    (void)state;
    ra_cluster_topology *t = shards(SHARDS_UNCOVERED, sizeof(SHARDS_UNCOVERED) - 1);
    assert_int_equal(t->nshards, 3);
    assert_int_equal(t->shards[0].nranges, 2);
    assert_int_equal(t->shards[0].ranges[0].hi, 199);
    assert_int_equal(t->shards[0].ranges[1].lo, 201);
    ra_cluster_range u[4];
    assert_int_equal(ra_cluster_uncovered(t, u, 4), 1);
    assert_int_equal(u[0].lo, 200);
    assert_int_equal(u[0].hi, 200);
    char s[64];
    ra_cluster_ranges_format(t->shards[0].ranges, t->shards[0].nranges, s, sizeof(s));
    assert_string_equal(s, "0-199,201-5460");
    free(t);
    /* nothing at all covered */
    t = nodes("3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:7000@17000 myself,master - 0 0 0 connected\n");
    assert_int_equal(t->nshards, 0);
    assert_int_equal(ra_cluster_uncovered(t, u, 4), 1);
    assert_int_equal(u[0].hi, 16383);
    free(t);
}

static void test_moving(void **state) {
    (void)state;
    ra_cluster_topology *t = nodes(NODES_MIGRATING);
    assert_int_equal(t->nshards, 3);
    assert_int_equal(t->nmoves, 1);
    assert_int_equal(t->moves[0].slot, 100);
    assert_false(t->moves[0].importing);
    assert_string_equal(t->moves[0].peer, M2);
    assert_string_equal(t->moves[0].node, M1);
    /* the importing side, added from another master's own answer */
    ra_err err = {0};
    assert_int_equal(ra_cluster_add_moves(t, NODES_IMPORTING, strlen(NODES_IMPORTING), &err), 0);
    assert_int_equal(t->nmoves, 2);
    assert_int_equal(t->moves[1].slot, 100);
    assert_true(t->moves[1].importing);
    assert_int_equal(t->nnodes, 6); /* add_moves adds no node */
    free(t);
}

/* Crafted: a failed master whose replica was promoted, a fail? replica, one in handshake, one
 * without address, the pre-4.0 "ip:port" form, a hostname, an IPv6 address, \r\n line ends. */
static const char CRAFTED[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:7000@17000 master,fail - 1 1 1 disconnected\r\n"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 10.0.0.2:7001@17001,node-b myself,master - 0 0 2 connected 0-8000 "
    "8002-8191\r\n"
    "cccccccccccccccccccccccccccccccccccccccc 10.0.0.3:7002 slave,fail? bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb "
    "0 0 2 connected\r\n"
    "dddddddddddddddddddddddddddddddddddddddd 10.0.0.4:7003@17003 handshake - 0 0 0 disconnected\r\n"
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee :0@0 slave,noaddr bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 0 0 2 "
    "disconnected\r\n"
    "ffffffffffffffffffffffffffffffffffffffff [::1]:7005@17005 master - 0 0 3 connected 8192-16383 8001\r\n"
    "0000000000000000000000000000000000000000 10.0.0.7:7006@17006 slave ffffffffffffffffffffffffffffffffffffffff "
    "0 0 3 disconnected\r\n"
    "1111111111111111111111111111111111111111 10.0.0.8:7007@17007 slave ffffffffffffffffffffffffffffffffffffffff "
    "0 0 3 connected\r\n";

static void test_crafted(void **state) {
    (void)state;
    ra_cluster_topology *t = nodes(CRAFTED);
    assert_int_equal(t->nnodes, 8);
    assert_int_equal(t->nshards, 2); /* the failed master owns nothing now */
    const ra_cluster_shard *b = &t->shards[0], *f = &t->shards[1];
    assert_string_equal(t->nodes[b->master].ip, "10.0.0.2");
    assert_int_equal(b->nranges, 2);
    assert_int_equal(b->ranges[1].lo, 8002);
    assert_int_equal(f->ranges[0].lo, 8001);
    assert_int_equal(b->nreplicas, 2);
    assert_int_equal(t->nodes[b->replicas[0]].health, RA_CLUSTER_PFAIL);
    assert_int_equal(t->nodes[b->replicas[0]].port, 7002);
    assert_int_equal(t->nodes[b->replicas[1]].health, RA_CLUSTER_NOADDR);
    assert_int_equal(t->nodes[3].health, RA_CLUSTER_HANDSHAKE);
    assert_int_equal(t->nodes[0].health, RA_CLUSTER_FAIL);
    assert_string_equal(t->nodes[t->shards[1].master].ip, "::1");
    char why[512];
    assert_int_equal(ra_cluster_pick(t, 0, 0, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "10.0.0.3:7002 suspected to fail"));
    assert_non_null(strstr(why, "?:0 no known address"));
    assert_int_equal(ra_cluster_pick(t, 0, 1, why, sizeof(why)), b->master);
    /* the disconnected replica is passed over for the connected one */
    assert_int_equal(ra_cluster_pick(t, 1, 0, why, sizeof(why)), 7);
    free(t);
}

static void test_nodes_ranges_split(void **state) {
    (void)state;
    ra_cluster_topology *t = nodes(CRAFTED);
    const ra_cluster_shard *f = &t->shards[1];
    assert_int_equal(f->nranges, 2);
    assert_int_equal(f->ranges[0].lo, 8001);
    assert_int_equal(f->ranges[0].hi, 8001);
    assert_int_equal(f->ranges[1].lo, 8192);
    ra_cluster_range u[4];
    assert_int_equal(ra_cluster_uncovered(t, u, 4), 0);
    free(t);
}

static void test_malformed(void **state) {
    (void)state;
    static const char *bad[] = {
        "short line\n",
        "zz3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1@2 master - 0 0 0 connected\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1 master - 0 0 0 connected\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:70000 master - 0 0 0 connected\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1 master - 0 0 0 connected 16384\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1 master - 0 0 0 connected 5-4\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1 master - 0 0 0 connected [5->-xyz]\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1 slave nope 0 0 0 connected\n",
        "3e3828124b6eff9ba3d086e2e73927d61f6bceb0 127.0.0.1:1 master - 0 0 0 connected 1-5\n"
        "583b615798badb646e6a31d9f7fadf47f43bffa9 127.0.0.1:2 master - 0 0 0 connected 5\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ra_err err = {0};
        ra_cluster_topology *t = ra_cluster_topology_new();
        if (ra_cluster_parse_nodes(bad[i], strlen(bad[i]), t, &err) != -1) fail_msg("accepted: %s", bad[i]);
        assert_int_equal(err.code, RA_E_SOURCE);
        assert_int_equal(t->nshards, 0);
        free(t);
    }
    static const char *bad_shards[] = {
        "+OK\r\n",
        "*1\r\n:1\r\n",
        "*1\r\n*2\r\n$5\r\nslots\r\n*1\r\n:1\r\n",
        "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5\r\n:4\r\n$5\r\nnodes\r\n*0\r\n",
        "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:4\r\n$5\r\nnodes\r\n*1\r\n*2\r\n$2\r\nid\r\n$1\r\nx\r\n",
        "*2\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:9\r\n$5\r\nnodes\r\n*0\r\n"
        "*4\r\n$5\r\nslots\r\n*2\r\n:9\r\n:10\r\n$5\r\nnodes\r\n*0\r\n",
    };
    for (size_t i = 0; i < sizeof(bad_shards) / sizeof(bad_shards[0]); i++) {
        ra_err err = {0};
        ra_resp_reply *r = ra_resp_parse(bad_shards[i], strlen(bad_shards[i]), &err);
        assert_non_null(r);
        ra_cluster_topology *t = ra_cluster_topology_new();
        if (ra_cluster_parse_shards(r, t, &err) != -1) fail_msg("accepted shards answer %zu", i);
        assert_int_equal(err.code, RA_E_SOURCE);
        ra_resp_reply_free(r);
        free(t);
    }
}

/* "loading" replicas come after online ones, whatever their offsets */
static void test_loading_after_online(void **state) {
    (void)state;
    ra_cluster_topology *t = ra_cluster_topology_new();
    t->nnodes = 3;
    t->nodes[0] = (ra_cluster_node){.ip = "a", .port = 1, .master = 1, .link_up = 1};
    t->nodes[1] = (ra_cluster_node){.ip = "b", .port = 2, .health = RA_CLUSTER_LOADING, .link_up = 1, .offset = 90};
    t->nodes[2] = (ra_cluster_node){.ip = "c", .port = 3, .link_up = 1, .offset = 10};
    t->nshards = 1;
    t->shards[0] = (ra_cluster_shard){.nranges = 1, .ranges = {{0, 16383}}, .master = 0, .replicas = {1, 2},
                                      .nreplicas = 2};
    char why[128];
    assert_int_equal(ra_cluster_pick(t, 0, 0, why, sizeof(why)), 2);
    t->nodes[2].health = RA_CLUSTER_FAIL;
    assert_int_equal(ra_cluster_pick(t, 0, 0, why, sizeof(why)), 1);
    free(t);
}

static void test_format(void **state) {
    (void)state;
    ra_cluster_range r[3] = {{0, 5}, {7, 7}, {9, 16383}};
    char s[64];
    ra_cluster_ranges_format(r, 3, s, sizeof(s));
    assert_string_equal(s, "0-5,7,9-16383");
    ra_cluster_ranges_format(r, 3, s, 10);
    assert_string_equal(s, "0-5,7...");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_healthy), cmocka_unit_test(test_nodes_healthy),
        cmocka_unit_test(test_replica_down),   cmocka_unit_test(test_uncovered),
        cmocka_unit_test(test_moving),         cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_nodes_ranges_split), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_format),         cmocka_unit_test(test_loading_after_online),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
