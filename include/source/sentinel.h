/* sentinel.h - Sentinel discovery and ranking. With a sentinel master name the source URL names
 * Sentinels: we send them the same credentials as the data nodes (the URL's, else the caller's
 * password); a Sentinel that refuses them because it has no password (or no such user) is used
 * unauthenticated. We ask SENTINEL REPLICAS <name> (SENTINEL SLAVES before Redis 5), keep the
 * replicas that are healthy, and rank them by decreasing slave-repl-offset (least lag first). The
 * caller (replica.c) then checks each in turn: it must still say it is a replica with its link up. */
#ifndef RA_SOURCE_SENTINEL_H
#define RA_SOURCE_SENTINEL_H

#include <stddef.h>

#include "common/err.h"
#include "common/log.h"
#include "common/url.h"
#include "source/net.h"
#include "source/resp.h"

typedef struct ra_sentinel_replica {
    char ip[256];          /* as the sentinel reports it (an IP, or a host name), printable */
    int port;
    char flags[128];       /* "slave", "s_down,slave,disconnected", ... */
    char link[16];         /* master-link-status: "ok" or "err" */
    long long offset;      /* slave-repl-offset, -1 when absent */
    const char *reject;    /* NULL: healthy; else why it is not used (static text) */
} ra_sentinel_replica;

/* Parse a SENTINEL REPLICAS reply (an array of flat field/value arrays) into out[0..cap), setting
 * each entry's reject. Returns the number of entries (extra ones are dropped), or -1 with
 * RA_E_SOURCE when the reply does not have that shape. */
int ra_sentinel_parse_replicas(const ra_resp_reply *reply, ra_sentinel_replica *out, int cap, ra_err *err);

/* Indices of the healthy entries, highest offset first, into order; returns how many. */
int ra_sentinel_rank(const ra_sentinel_replica *v, int n, int *order);

typedef struct ra_sentinel_query {
    const ra_host_port *sentinels; /* asked in order; the first that answers decides */
    int nsentinels;
    const char *master;            /* the monitored master's name */
    const char *user;              /* NULL: the default user */
    const char *password;          /* NULL: no AUTH */
    const ra_conn_opts *conn;      /* TLS, timeouts, cancel; host and port are replaced */
    long read_timeout_ms;          /* each reply, in total */
    const ra_log *log;
} ra_sentinel_query;

/* Ask the sentinels for the replicas of q->master: fills out[0..cap) with every entry the first
 * answering sentinel reported (reject set on the unhealthy ones) and names it in `where`
 * ("sentinel 'h:p' (master 'm')"). Returns the count, or -1 with err set (RA_E_SOURCE, naming the
 * sentinel(s) and never the password; RA_E_CANCELLED). */
int ra_sentinel_discover(const ra_sentinel_query *q, ra_sentinel_replica *out, int cap, char *where,
                         size_t where_cap, ra_err *err);

#endif
