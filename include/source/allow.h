/* allow.h - the replica-allow rule (faults.md R9): a node that another node announced (a master's
 * INFO replication, a cluster's CLUSTER SHARDS / NODES) may get the source credentials only when
 * it is on the host the source URL names, or listed in replica-allow. Pure. */
#ifndef RA_SOURCE_ALLOW_H
#define RA_SOURCE_ALLOW_H

#include "common/err.h"

/* Whether credentials may go to ip:node_port: ip is seed_host (as the URL names it, compared as
 * text) or in allow ("host", "host:port", "[v6]:port", comma-separated; NULL or "": none).
 * 1 yes, 0 no, -1 for a malformed list (err set, RA_E_USAGE). */
int ra_allow_check(const char *allow, const char *seed_host, const char *ip, int node_port, ra_err *err);

#endif
