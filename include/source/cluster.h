/* cluster.h - Redis Cluster topology, pure: the answers of CLUSTER SHARDS (7.0+) and CLUSTER NODES
 * (every version) become shards (slot ranges, the master, the replicas with their health and
 * offsets), and a policy picks the node each shard is backed up from. No socket here: the
 * connections are clusterscan.c's. */
#ifndef RA_SOURCE_CLUSTER_H
#define RA_SOURCE_CLUSTER_H

#include <stddef.h>

#include "common/err.h"
#include "source/resp.h"

#define RA_CLUSTER_SLOTS 16384
#define RA_CLUSTER_NODES_MAX 512   /* nodes of one answer; more is refused */
#define RA_CLUSTER_SHARDS_MAX 128  /* shards that own slots */
#define RA_CLUSTER_RANGES_MAX 256  /* slot ranges of one shard, and moving/uncovered ranges */
#define RA_CLUSTER_ID_LEN 40

typedef enum ra_cluster_health {
    RA_CLUSTER_ONLINE = 0,
    RA_CLUSTER_PFAIL,     /* "fail?": suspected by the node asked */
    RA_CLUSTER_FAIL,      /* "fail" / health "failed" */
    RA_CLUSTER_LOADING,   /* health "loading" (SHARDS; 7.0 also says it of a replica whose offset
                             it has not heard yet): picked after online ones, checked on connect */
    RA_CLUSTER_HANDSHAKE, /* not yet a member */
    RA_CLUSTER_NOADDR,    /* no known address */
} ra_cluster_health;

typedef struct ra_cluster_range {
    int lo, hi;           /* inclusive */
} ra_cluster_range;

typedef struct ra_cluster_node {
    char id[RA_CLUSTER_ID_LEN + 1];
    char master_id[RA_CLUSTER_ID_LEN + 1]; /* a replica's master ("" for a master) */
    char ip[256];         /* printable; "" when unknown */
    int port;             /* the client port (tls-port when the node announces only that) */
    int master;           /* 1 master, 0 replica */
    int myself;           /* the node that answered (NODES) */
    ra_cluster_health health;
    int link_up;          /* NODES: link-state connected; SHARDS: health online or loading */
    long long offset;     /* replication offset (SHARDS), -1 unknown */
} ra_cluster_node;

typedef struct ra_cluster_shard {
    ra_cluster_range ranges[RA_CLUSTER_RANGES_MAX];
    int nranges;
    int master;           /* index in nodes, -1: none that owns the slots */
    int replicas[16];     /* indices in nodes */
    int nreplicas;
} ra_cluster_shard;

/* A moving slot: migrating from, or importing into, the node that answered. */
typedef struct ra_cluster_move {
    int slot;
    int importing;        /* 0 migrating to peer, 1 importing from peer */
    char peer[RA_CLUSTER_ID_LEN + 1];
    char node[RA_CLUSTER_ID_LEN + 1]; /* the node that said so */
} ra_cluster_move;

/* A whole topology (about 400 KiB: allocate it, ra_cluster_topology_new). */
typedef struct ra_cluster_topology {
    ra_cluster_node nodes[RA_CLUSTER_NODES_MAX];
    int nnodes;
    ra_cluster_shard shards[RA_CLUSTER_SHARDS_MAX];
    int nshards;
    ra_cluster_move moves[RA_CLUSTER_RANGES_MAX];
    int nmoves;
} ra_cluster_topology;

/* Zeroed topology; NULL when out of memory. Free with free(). */
ra_cluster_topology *ra_cluster_topology_new(void);

/* CLUSTER NODES text (the bulk string) into t (replacing it): one shard per master that owns
 * slots, its replicas attached by master id; migrating/importing entries ("[s->-id]", "[s-<-id]")
 * go to t->moves. -1 with RA_E_SOURCE naming the line when it is malformed or over a limit. */
int ra_cluster_parse_nodes(const char *text, size_t len, ra_cluster_topology *t, ra_err *err);

/* CLUSTER SHARDS reply (RESP2 flat maps or RESP3 maps) into t (replacing it); shards without
 * slots are left out. SHARDS does not show moving slots: ask each master's CLUSTER NODES. */
int ra_cluster_parse_shards(const ra_resp_reply *reply, ra_cluster_topology *t, ra_err *err);

/* The moves of a master's own CLUSTER NODES (its "myself" line) appended to t->moves. */
int ra_cluster_add_moves(ra_cluster_topology *t, const char *nodes_text, size_t len, ra_err *err);

/* Slots no shard owns, as ranges in out[0..cap); returns how many (capped). */
int ra_cluster_uncovered(const ra_cluster_topology *t, ra_cluster_range *out, int cap);

/* "0-5460,5462" into out (bounded, "..." when cut). */
void ra_cluster_ranges_format(const ra_cluster_range *r, int n, char *out, size_t cap);

/* Why node i cannot serve a backup of its shard (static text), or NULL when it can. */
const char *ra_cluster_node_reject(const ra_cluster_node *n);

/* The node shard s is backed up from: the healthy replica (link up, online, then "loading") with
 * the highest offset (the answer's order on ties); with none, its master when allow_master and it is healthy.
 * Returns a node index, or -1 with why[] saying, for every candidate, why not. */
int ra_cluster_pick(const ra_cluster_topology *t, int s, int allow_master, char *why, size_t cap);

#endif
