/* clusterscan.h - a Redis Cluster's backup plan: ask a seed for the topology (CLUSTER SHARDS, or
 * CLUSTER NODES before 7.0), ask each master for its migrating/importing slots (its own CLUSTER
 * NODES line: SHARDS does not show them), and pick per shard the node to sync from
 * (source/cluster.h). Credentials go only to nodes that the replica-allow rule admits
 * (source/allow.h); every refusal names the shard's slots and why. */
#ifndef RA_SOURCE_CLUSTERSCAN_H
#define RA_SOURCE_CLUSTERSCAN_H

#include "common/err.h"
#include "source/cluster.h"
#include "source/replica.h"

typedef struct ra_cluster_plan {
    ra_cluster_topology *topo;         /* owned */
    int pick[RA_CLUSTER_SHARDS_MAX];   /* per shard: index in topo->nodes of the node to sync from */
    char seed[300];                    /* "h:p" of the node that answered */
    char moving[600];                  /* allow_migrating: the moving or uncovered slots accepted ("" none) */
} ra_cluster_plan;

/* Scan the cluster that src->url names (one node, or several comma-separated seeds, asked in
 * order). A shard without a healthy replica is refused unless src->allow_master; moving or
 * uncovered slots are refused unless src->allow_migrating (then recorded in plan->moving). 0, or -1
 * with err set (RA_E_SOURCE naming the shards and slots, RA_E_USAGE, RA_E_CANCELLED). The caller
 * clears plan with ra_cluster_plan_clear, also after a failure. */
int ra_cluster_scan(const ra_replica_opts *src, ra_cluster_plan *plan, ra_err *err);

void ra_cluster_plan_clear(ra_cluster_plan *plan);

/* For a broken link of a shard that owned the slots ranges[0..nranges) at its base backup and was read
 * from host:port: the node to go on from now. The seeds are asked again as ra_cluster_scan asks them (when
 * none answers, host:port itself); the shard that now owns every one of those slots keeps host:port when
 * it is still a healthy member of it (a replica, or a master with src->allow_master), else the node
 * ra_cluster_pick picks there (after a failover: its new replica). 0 with *node set; -1 with err set:
 * RA_E_SOURCE when the slots now belong to several shards or some to none (resharded: the stream cannot go
 * on), when no node of the shard can serve or the credentials may not go to it; RA_E_USAGE, RA_E_CANCELLED. */
int ra_cluster_locate(const ra_replica_opts *src, const ra_cluster_range *ranges, int nranges, const char *host,
                      int port, ra_cluster_node *node, ra_err *err);

#endif
