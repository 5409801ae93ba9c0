/* fuzz_cluster.c - libFuzzer: the CLUSTER NODES parser (and the moves of a master's own answer) on
 * arbitrary text, and the CLUSTER SHARDS parser on whatever of it is a RESP reply. Never crashes; what it accepts is a consistent topology: shards' ranges inside
 * 0..16383, sorted and disjoint, masters and replicas pointing at real nodes, picks in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ra_cluster_topology *t;
    if (t == NULL && (t = ra_cluster_topology_new()) == NULL) return 0;
    ra_err err = {0};
    if (ra_cluster_parse_nodes((const char *)data, size, t, &err) == 0) {
        int last = -1;
        for (int s = 0; s < t->nshards; s++) {
            const ra_cluster_shard *sh = &t->shards[s];
            if (sh->nranges < 1 || sh->master < 0 || sh->master >= t->nnodes) abort();
            for (int k = 0; k < sh->nranges; k++)
                if (sh->ranges[k].lo > sh->ranges[k].hi || sh->ranges[k].hi >= RA_CLUSTER_SLOTS) abort();
            if (sh->ranges[0].lo <= last) abort();
            last = sh->ranges[0].lo;
            for (int k = 0; k < sh->nreplicas; k++)
                if (sh->replicas[k] < 0 || sh->replicas[k] >= t->nnodes) abort();
            char why[512];
            int p = ra_cluster_pick(t, s, size & 1, why, sizeof(why));
            if (p < -1 || p >= t->nnodes || strlen(why) >= sizeof(why)) abort();
            char r[128];
            ra_cluster_ranges_format(sh->ranges, sh->nranges, r, sizeof(r));
        }
        ra_cluster_range u[8];
        if (ra_cluster_uncovered(t, u, 8) > 8) abort();
        for (int i = 0; i < t->nmoves; i++)
            if (t->moves[i].slot < 0 || t->moves[i].slot >= RA_CLUSTER_SLOTS) abort();
    } else if (err.code != RA_E_SOURCE && err.code != RA_E_INTERNAL) {
        abort();
    }
    t->nmoves = 0;
    (void)ra_cluster_add_moves(t, (const char *)data, size, &err);
    if (t->nmoves > RA_CLUSTER_RANGES_MAX) abort();
    ra_resp_reply *r = ra_resp_parse(data, size, &err);
    if (r != NULL && ra_cluster_parse_shards(r, t, &err) == 0) {
        for (int s = 0; s < t->nshards; s++) {
            const ra_cluster_shard *sh = &t->shards[s];
            if (sh->nranges < 1 || sh->master >= t->nnodes) abort();
            for (int k = 0; k < sh->nranges; k++)
                if (sh->ranges[k].lo > sh->ranges[k].hi || sh->ranges[k].hi >= RA_CLUSTER_SLOTS ||
                    (k > 0 && sh->ranges[k].lo <= sh->ranges[k - 1].hi))
                    abort();
            char why[512];
            int p = ra_cluster_pick(t, s, 1, why, sizeof(why));
            if (p < -1 || p >= t->nnodes) abort();
        }
    }
    ra_resp_reply_free(r);
    return 0;
}
