/* test_cluster_backup.c - the cluster-wide memory budget: N shards' part buffers stay within one
 * backup's part-size x (concurrency + 1), or N x 2 x the S3 minimum part when N is that large. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "command/cluster_backup.h"
#include "common/limits.h"

static void test_budget(void **state) {
    (void)state;
    static const int shards[] = {1, 2, 3, 4, 6, 10, 64, 128};
    static const long long parts[] = {RA_PART_SIZE_MIN, 16 * RA_MIB, 64 * RA_MIB};
    static const int concs[] = {1, 4, 16};
    for (size_t a = 0; a < sizeof(shards) / sizeof(shards[0]); a++)
        for (size_t b = 0; b < sizeof(parts) / sizeof(parts[0]); b++)
            for (size_t c = 0; c < sizeof(concs) / sizeof(concs[0]); c++) {
                int n = shards[a], conc = concs[c];
                long long part, budget = parts[b] * (conc + 1), floor_ = (long long)n * 2 * RA_PART_SIZE_MIN;
                int sc;
                ra_cluster_backup_budget(parts[b], conc, n, &part, &sc);
                assert_true(sc >= 1);
                assert_true(part >= RA_PART_SIZE_MIN && part <= parts[b]);
                long long total = (long long)n * part * (sc + 1);
                assert_true(total <= (budget > floor_ ? budget : floor_));
            }
    /* one shard: exactly a plain backup's settings */
    long long part;
    int sc;
    ra_cluster_backup_budget(16 * RA_MIB, 4, 1, &part, &sc);
    assert_int_equal(part, 16 * RA_MIB);
    assert_int_equal(sc, 4);
    /* three shards at the defaults: 1 in flight each, 13 MiB parts, 78 MiB <= 80 MiB */
    ra_cluster_backup_budget(0, 0, 3, &part, &sc);
    assert_int_equal(sc, 1);
    assert_int_equal(part, 13 * RA_MIB);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_budget)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
