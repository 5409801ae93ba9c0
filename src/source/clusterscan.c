/* clusterscan.c - the cluster's topology and the node per shard, over resp.c connections. */
#include "source/clusterscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "common/url.h"
#include "source/allow.h"
#include "source/net.h"
#include "source/resp.h"

typedef struct scan {
    const ra_replica_opts *src;
    ra_redis_url url;
    long read_ms;
} scan;

typedef struct node_session {
    ra_conn *conn;
    ra_resp *resp;
} node_session;

static void session_close(node_session *s) {
    ra_resp_free(s->resp);
    ra_conn_close(s->conn);
    s->resp = NULL;
    s->conn = NULL;
}

/* Connect to host:port with the url's TLS settings and AUTH with its credentials. */
static int session_open(const scan *sc, const char *host, int port, node_session *s, ra_err *err) {
    const ra_replica_opts *o = sc->src;
    ra_conn_opts co = {
        .host = host,
        .port = port,
        .connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : RA_CONNECT_TIMEOUT_MS_DEFAULT,
        .tls = sc->url.tls,
        .tls_ca_file = o->tls_ca_file,
        .tls_cert_file = o->tls_cert_file,
        .tls_key_file = o->tls_key_file,
        .tls_sni = o->tls_sni,
        .tls_insecure = o->tls_insecure,
        .cancel = o->cancel,
    };
    memset(s, 0, sizeof(*s));
    if ((s->conn = ra_conn_open(&co, o->log, err)) == NULL) return -1;
    if ((s->resp = ra_resp_new(s->conn)) == NULL) {
        session_close(s);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    const char *pw = sc->url.password;
    if (pw == NULL) return 0;
    const char *user = sc->url.user;
    const char *argv[3] = {"AUTH", user != NULL ? user : pw, pw};
    ra_resp_reply *rep = ra_resp_command(s->resp, "auth", user != NULL ? 3 : 2, argv, sc->read_ms, err);
    if (rep == NULL) {
        session_close(s);
        return -1;
    }
    int rc = 0;
    if (rep->type == RA_RESP_ERROR)
        rc = ra_err_set(err, RA_E_SOURCE, "authentication failed for user '%s' at '%s:%d': %s",
                        user != NULL ? user : "default", host, port, rep->str);
    ra_resp_reply_free(rep);
    if (rc < 0) session_close(s);
    return rc;
}

/* CLUSTER NODES text of the session's node; NULL with err set. Caller frees the reply. */
static ra_resp_reply *cluster_nodes(const scan *sc, node_session *s, const char *where, ra_err *err) {
    const char *argv[2] = {"CLUSTER", "NODES"};
    ra_resp_reply *rep = ra_resp_command(s->resp, "cluster nodes", 2, argv, sc->read_ms, err);
    if (rep == NULL) return NULL;
    if (rep->type != RA_RESP_STRING) {
        ra_err_set(err, RA_E_SOURCE, "'cluster nodes' failed at %s: %s", where,
                   rep->type == RA_RESP_ERROR ? rep->str : "not a bulk string");
        ra_resp_reply_free(rep);
        return NULL;
    }
    return rep;
}

/* The topology from one seed: CLUSTER SHARDS, CLUSTER NODES when SHARDS is unknown (< 7.0). */
static int ask_seed(const scan *sc, const ra_host_port *h, ra_cluster_topology *t, ra_err *err) {
    char where[300];
    snprintf(where, sizeof(where), "'%s:%d'", h->host, h->port);
    node_session s;
    if (session_open(sc, h->host, h->port, &s, err) < 0) return -1;
    const char *argv[2] = {"CLUSTER", "SHARDS"};
    ra_resp_reply *rep = ra_resp_command(s.resp, "cluster shards", 2, argv, sc->read_ms, err);
    int rc = -1;
    if (rep != NULL && rep->type == RA_RESP_ERROR && strncasecmp(rep->str, "NOPERM", 6) != 0) {
        ra_log_debug(sc->src->log, "source.cluster_nodes", "%s: 'cluster shards' refused (%s); asking "
                     "'cluster nodes'", where, rep->str);
        ra_resp_reply_free(rep);
        rep = cluster_nodes(sc, &s, where, err);
        if (rep != NULL) rc = ra_cluster_parse_nodes(rep->str, rep->len, t, err);
    } else if (rep != NULL && rep->type == RA_RESP_ERROR) {
        ra_err_set(err, RA_E_SOURCE, "%s refused 'cluster shards' (%s): the backup user needs +cluster|shards "
                   "+cluster|nodes besides +psync +replconf +info", where, rep->str);
    } else if (rep != NULL) {
        rc = ra_cluster_parse_shards(rep, t, err);
    }
    ra_resp_reply_free(rep);
    session_close(&s);
    if (rc < 0) ra_err_prefix(err, "%s: ", where);
    return rc;
}

/* Whether the credentials may go to node n (announced by the cluster). */
static int allowed(const scan *sc, const ra_cluster_node *n, ra_err *err) {
    if (sc->url.password == NULL) return 1;
    for (int i = 0; i < sc->url.nhosts; i++) {
        int ok = ra_allow_check(sc->src->replica_allow, sc->url.hosts[i].host, n->ip, n->port, err);
        if (ok != 0) return ok;
    }
    return 0;
}

static int not_allowed(const ra_cluster_node *n, const char *what, ra_err *err) {
    return ra_err_set(err, RA_E_SOURCE, "the cluster announces %s %s:%d on another host than the source url's, so "
                      "the source credentials are not sent there: add '%s:%d' to replica-allow, or name it in "
                      "the source url", what, n->ip, n->port, n->ip, n->port);
}

/* Each master's own CLUSTER NODES line: the slots it migrates or imports. */
static int ask_moves(const scan *sc, ra_cluster_topology *t, ra_err *err) {
    for (int s = 0; s < t->nshards; s++) {
        if (t->shards[s].master < 0) continue;
        const ra_cluster_node *m = &t->nodes[t->shards[s].master];
        if (ra_cluster_node_reject(m) != NULL) continue; /* a failed master moves nothing */
        int ok = allowed(sc, m, err);
        if (ok < 0) return -1;
        if (!ok) return not_allowed(m, "master", err);
        char where[300];
        snprintf(where, sizeof(where), "master '%s:%d'", m->ip, m->port);
        node_session ns;
        if (session_open(sc, m->ip, m->port, &ns, err) < 0) return ra_err_prefix(err, "%s: ", where);
        ra_resp_reply *rep = cluster_nodes(sc, &ns, where, err);
        int rc = rep != NULL ? ra_cluster_add_moves(t, rep->str, rep->len, err) : -1;
        ra_resp_reply_free(rep);
        session_close(&ns);
        if (rc < 0) return -1;
    }
    return 0;
}

static void moves_text(const ra_cluster_topology *t, const ra_cluster_range *u, int nu, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < t->nmoves && o + 1 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%sslot %d %s %.8s", o ? ", " : "", t->moves[i].slot,
                              t->moves[i].importing ? "importing from" : "migrating to", t->moves[i].peer);
    if (nu > 0 && o + 1 < cap) {
        char r[256];
        ra_cluster_ranges_format(u, nu, r, sizeof(r));
        snprintf(out + o, cap - o, "%sslots %s not covered by any master", o ? ", " : "", r);
    }
}

static int plan_picks(const scan *sc, ra_cluster_plan *p, ra_err *err) {
    const ra_cluster_topology *t = p->topo;
    char refused[2048] = "";
    for (int s = 0; s < t->nshards; s++) {
        char why[512], slots[256];
        ra_cluster_ranges_format(t->shards[s].ranges, t->shards[s].nranges, slots, sizeof(slots));
        p->pick[s] = ra_cluster_pick(t, s, sc->src->allow_master, why, sizeof(why));
        if (p->pick[s] < 0) {
            size_t n = strlen(refused);
            snprintf(refused + n, sizeof(refused) - n, "%sshard %d (slots %s): %s%s", n ? "; " : "", s, slots, why,
                     sc->src->allow_master ? "" : ", and its master is not used without allow-master");
            continue;
        }
        const ra_cluster_node *n = &t->nodes[p->pick[s]];
        int ok = allowed(sc, n, err);
        if (ok < 0) return -1;
        if (!ok) return not_allowed(n, n->master ? "master" : "replica", err);
        if (n->master)
            ra_log_warn(sc->src->log, "source.cluster_master", "shard %d (slots %s) has no healthy replica (%s): "
                        "backing it up from its master %s:%d (allow-master)", s, slots, why, n->ip, n->port);
    }
    if (refused[0])
        return ra_err_set(err, RA_E_SOURCE, "cluster at %s: no healthy replica to back up from for %s", p->seed,
                          refused);
    return 0;
}

/* The url parsed, the configured password when the url has none. */
static int scan_open(const ra_replica_opts *src, scan *sc, ra_err *err) {
    *sc = (scan){.src = src, .read_ms = src->read_timeout_ms > 0 ? src->read_timeout_ms : RA_READ_TIMEOUT_MS_DEFAULT};
    if (ra_redis_url_parse(src->url, &sc->url, err) < 0) return -1;
    if (sc->url.password == NULL && src->password != NULL && *src->password != '\0' &&
        (sc->url.password = strdup(src->password)) == NULL) {
        ra_redis_url_clear(&sc->url);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    return 0;
}

/* The topology from the first seed of the url that answers; seed[] names it. */
static int ask_seeds(const scan *sc, ra_cluster_topology *t, char *seed, size_t cap, ra_err *err) {
    char tried[1024] = "";
    for (int i = 0; i < sc->url.nhosts; i++) {
        ra_err e = {0};
        if (ask_seed(sc, &sc->url.hosts[i], t, &e) == 0) {
            snprintf(seed, cap, "'%s:%d'", sc->url.hosts[i].host, sc->url.hosts[i].port);
            if (t->nshards == 0)
                return ra_err_set(err, RA_E_SOURCE, "cluster at %s has no master that owns slots", seed);
            return 0;
        }
        if (e.code == RA_E_CANCELLED || e.code == RA_E_USAGE || sc->url.nhosts == 1) {
            *err = e;
            return -1;
        }
        size_t n = strlen(tried);
        snprintf(tried + n, sizeof(tried) - n, "%s%s", n ? "; " : "", e.msg);
    }
    return ra_err_set(err, RA_E_SOURCE, "none of the %d cluster nodes of the source url answered: %s", sc->url.nhosts,
                      tried);
}

int ra_cluster_scan(const ra_replica_opts *src, ra_cluster_plan *plan, ra_err *err) {
    memset(plan, 0, sizeof(*plan));
    scan sc;
    if ((plan->topo = ra_cluster_topology_new()) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (scan_open(src, &sc, err) < 0) return -1;
    int rc = -1;
    if (ask_seeds(&sc, plan->topo, plan->seed, sizeof(plan->seed), err) < 0) goto out;
    if (ask_moves(&sc, plan->topo, err) < 0) goto out;
    ra_cluster_range u[32];
    int nu = ra_cluster_uncovered(plan->topo, u, 32);
    if (plan->topo->nmoves > 0 || nu > 0) {
        char what[sizeof(plan->moving)];
        moves_text(plan->topo, u, nu, what, sizeof(what));
        if (!src->allow_migrating) {
            ra_err_set(err, RA_E_SOURCE, "cluster at %s is resharding or incomplete (%s): a backup now would miss "
                       "or duplicate keys; retry when it is stable, or set allow-migrating yes to take it anyway "
                       "(the record says so)", plan->seed, what);
            goto out;
        }
        snprintf(plan->moving, sizeof(plan->moving), "%s", what);
        ra_log_warn(src->log, "source.cluster_moving", "cluster at %s: %s (allow-migrating)", plan->seed, what);
    }
    rc = plan_picks(&sc, plan, err);
out:
    ra_redis_url_clear(&sc.url);
    return rc;
}

/* The shard that owns every slot of r[0..n) in t; -1 with err when they are spread over several or some
 * have no owner. */
static int owner_of(const ra_cluster_topology *t, const ra_cluster_range *r, int n, const char *seed, ra_err *err) {
    char slots[256];
    ra_cluster_ranges_format(r, n, slots, sizeof(slots));
    int owner = -1;
    for (int i = 0; i < n; i++) {
        for (int slot = r[i].lo; slot <= r[i].hi; slot++) {
            int o = -1;
            for (int s = 0; s < t->nshards && o < 0; s++)
                for (int k = 0; k < t->shards[s].nranges; k++)
                    if (slot >= t->shards[s].ranges[k].lo && slot <= t->shards[s].ranges[k].hi) {
                        o = s;
                        break;
                    }
            if (o < 0)
                return ra_err_set(err, RA_E_SOURCE, "cluster at %s: slot %d of the shard's slots %s has no master "
                                  "now", seed, slot, slots);
            if (owner >= 0 && o != owner)
                return ra_err_set(err, RA_E_SOURCE, "cluster at %s: the shard's slots %s now belong to several "
                                  "shards (slot %d to one, slot %d to another): the cluster was resharded, its stream "
                                  "cannot go on and a new base backup is needed", seed, slots, r[0].lo, slot);
            owner = o;
            /* the rest of a range the owner holds whole needs no look */
            for (int k = 0; k < t->shards[o].nranges; k++)
                if (slot >= t->shards[o].ranges[k].lo && slot <= t->shards[o].ranges[k].hi) {
                    slot = r[i].hi < t->shards[o].ranges[k].hi ? r[i].hi : t->shards[o].ranges[k].hi;
                    break;
                }
        }
    }
    return owner >= 0 ? owner : ra_err_set(err, RA_E_SOURCE, "the shard to find has no slots");
}

int ra_cluster_locate(const ra_replica_opts *src, const ra_cluster_range *ranges, int nranges, const char *host,
                      int port, ra_cluster_node *node, ra_err *err) {
    scan sc;
    ra_cluster_topology *t = ra_cluster_topology_new();
    if (t == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (scan_open(src, &sc, err) < 0) {
        free(t);
        return -1;
    }
    char seed[300] = "", why[512];
    int rc = -1, s = -1, pick = -1;
    if (ask_seeds(&sc, t, seed, sizeof(seed), err) < 0) {
        ra_host_port h = {.port = port}; /* the seeds are down (a dead master named in the url): the node it was */
        ra_err e = {0};
        if (err->code != RA_E_SOURCE || host == NULL || strlen(host) >= sizeof(h.host)) goto out;
        snprintf(h.host, sizeof(h.host), "%s", host);
        if (ask_seed(&sc, &h, t, &e) < 0 || t->nshards == 0) goto out; /* the seeds' error says more */
        snprintf(seed, sizeof(seed), "'%s:%d'", host, port);
    }
    if ((s = owner_of(t, ranges, nranges, seed, err)) < 0) goto out;
    const ra_cluster_shard *sh = &t->shards[s];
    for (int i = -1; i < sh->nreplicas && pick < 0 && host != NULL; i++) { /* the node it was, still fit: no move */
        int k = i < 0 ? sh->master : sh->replicas[i];
        const ra_cluster_node *n = k >= 0 ? &t->nodes[k] : NULL;
        if (n != NULL && n->port == port && strcmp(n->ip, host) == 0 && ra_cluster_node_reject(n) == NULL &&
            n->link_up && (!n->master || src->allow_master))
            pick = k;
    }
    if (pick < 0 && (pick = ra_cluster_pick(t, s, src->allow_master, why, sizeof(why))) < 0) {
        char slots[256];
        ra_cluster_ranges_format(sh->ranges, sh->nranges, slots, sizeof(slots));
        ra_err_set(err, RA_E_SOURCE, "cluster at %s: no node to go on from for the shard of slots %s: %s%s", seed,
                   slots, why, src->allow_master ? "" : ", and its master is not used without allow-master");
        goto out;
    }
    int ok = allowed(&sc, &t->nodes[pick], err);
    if (ok < 0) goto out;
    if (!ok) {
        not_allowed(&t->nodes[pick], t->nodes[pick].master ? "master" : "replica", err);
        goto out;
    }
    *node = t->nodes[pick];
    rc = 0;
out:
    ra_redis_url_clear(&sc.url);
    free(t);
    return rc;
}

void ra_cluster_plan_clear(ra_cluster_plan *plan) {
    if (plan == NULL) return;
    free(plan->topo);
    memset(plan, 0, sizeof(*plan));
}
