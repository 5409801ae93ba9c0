/* cluster.c - Redis Cluster topology from CLUSTER SHARDS / CLUSTER NODES answers, and the pick of
 * the node each shard is backed up from. Pure: bytes and reply trees in, structs out. */
#include "source/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ra_cluster_topology *ra_cluster_topology_new(void) { return calloc(1, sizeof(ra_cluster_topology)); }

static void reset(ra_cluster_topology *t) {
    t->nnodes = t->nshards = t->nmoves = 0;
}

static int is_hex_id(const char *s, size_t n) {
    if (n != RA_CLUSTER_ID_LEN) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* Whether the comma-separated flags (n bytes) hold exactly this one. */
static int has_flag(const char *flags, size_t n, const char *flag) {
    size_t fl = strlen(flag);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && flags[k] != ',') k++;
        if (k - i == fl && memcmp(flags + i, flag, fl) == 0) return 1;
        i = k + 1;
    }
    return 0;
}

/* A decimal in [lo, hi] of exactly n bytes; -1 when not. */
static long long parse_num(const char *s, size_t n, long long lo, long long hi) {
    if (n == 0 || n > 19) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

static int add_range(ra_cluster_shard *s, int lo, int hi) {
    if (s->nranges > 0 && s->ranges[s->nranges - 1].hi + 1 == lo) {
        s->ranges[s->nranges - 1].hi = hi;
        return 0;
    }
    if (s->nranges >= RA_CLUSTER_RANGES_MAX) return -1;
    s->ranges[s->nranges++] = (ra_cluster_range){lo, hi};
    return 0;
}

static int cmp_shard(const void *a, const void *b) {
    const ra_cluster_shard *x = a, *y = b;
    return (x->ranges[0].lo > y->ranges[0].lo) - (x->ranges[0].lo < y->ranges[0].lo);
}

static int cmp_range(const void *a, const void *b) {
    const ra_cluster_range *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sort each shard's ranges, merge neighbours, and order the shards by their first slot. */
static void normalize(ra_cluster_topology *t) {
    for (int i = 0; i < t->nshards; i++) {
        ra_cluster_shard *s = &t->shards[i];
        qsort(s->ranges, (size_t)s->nranges, sizeof(s->ranges[0]), cmp_range);
        int m = 0;
        for (int k = 0; k < s->nranges; k++) {
            if (m > 0 && s->ranges[m - 1].hi + 1 >= s->ranges[k].lo) {
                if (s->ranges[k].hi > s->ranges[m - 1].hi) s->ranges[m - 1].hi = s->ranges[k].hi;
            } else {
                s->ranges[m++] = s->ranges[k];
            }
        }
        s->nranges = m;
    }
    qsort(t->shards, (size_t)t->nshards, sizeof(t->shards[0]), cmp_shard);
}

/* ---- CLUSTER NODES ------------------------------------------------------------------------------ */

typedef struct field {
    const char *p;
    size_t n;
} field;

/* A "[slot->-id]" or "[slot-<-id]" entry of the node's line. */
static int parse_move(ra_cluster_topology *t, const ra_cluster_node *self, field f) {
    if (f.n < 3 || f.p[f.n - 1] != ']') return -1;
    const char *s = f.p + 1, *end = f.p + f.n - 1;
    const char *dash = memchr(s, '-', (size_t)(end - s));
    if (dash == NULL || end - dash < 3) return -1;
    int importing;
    if (dash[1] == '>' && dash[2] == '-') importing = 0;
    else if (dash[1] == '<' && dash[2] == '-') importing = 1;
    else return -1;
    long long slot = parse_num(s, (size_t)(dash - s), 0, RA_CLUSTER_SLOTS - 1);
    const char *peer = dash + 3;
    if (slot < 0 || !is_hex_id(peer, (size_t)(end - peer))) return -1;
    if (t->nmoves >= RA_CLUSTER_RANGES_MAX) return 0; /* enough to refuse and name many */
    ra_cluster_move *m = &t->moves[t->nmoves++];
    m->slot = (int)slot;
    m->importing = importing;
    memcpy(m->peer, peer, RA_CLUSTER_ID_LEN);
    m->peer[RA_CLUSTER_ID_LEN] = '\0';
    snprintf(m->node, sizeof(m->node), "%s", self->id);
    return 0;
}

/* "ip:port@cport[,hostname]" or "ip:port" (before 4.0); ":0@0" for noaddr. */
static int parse_addr(ra_cluster_node *n, field f) {
    size_t len = f.n;
    const char *at = memchr(f.p, '@', f.n);
    if (at != NULL) len = (size_t)(at - f.p);
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
        if (f.p[i - 1] == ':') {
            colon = f.p + i - 1;
            break;
        }
    if (colon == NULL) return -1;
    long long port = parse_num(colon + 1, (size_t)(f.p + len - colon - 1), 0, 65535);
    if (port < 0) return -1;
    n->port = (int)port;
    const char *ip = f.p;
    size_t iplen = (size_t)(colon - f.p);
    if (iplen >= 2 && ip[0] == '[' && ip[iplen - 1] == ']') {
        ip++;
        iplen -= 2;
    }
    if (iplen >= sizeof(n->ip)) return -1;
    ra_resp_printable(n->ip, sizeof(n->ip), ip, iplen);
    return 0;
}

static int nodes_line(ra_cluster_topology *t, const char *line, size_t len, int slot_owner[], int moves_only,
                      int lineno, ra_err *err) {
    field f[8];
    size_t i = 0;
    int nf = 0;
    while (nf < 8) {
        while (i < len && line[i] == ' ') i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && line[i] != ' ') i++;
        f[nf++] = (field){line + s, i - s};
    }
    if (nf < 8) return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has %d fields, not 8 or more",
                                  lineno, nf);
    ra_cluster_node n = {.offset = -1};
    if (!is_hex_id(f[0].p, f[0].n))
        return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has no node id", lineno);
    memcpy(n.id, f[0].p, RA_CLUSTER_ID_LEN);
    if (parse_addr(&n, f[1]) < 0)
        return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has no ip:port", lineno);
    n.myself = has_flag(f[2].p, f[2].n, "myself");
    n.master = has_flag(f[2].p, f[2].n, "master");
    if (!n.master && !has_flag(f[2].p, f[2].n, "slave") && !has_flag(f[2].p, f[2].n, "handshake") &&
        !has_flag(f[2].p, f[2].n, "noflags"))
        return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' is neither master nor replica", lineno);
    if (has_flag(f[2].p, f[2].n, "handshake")) n.health = RA_CLUSTER_HANDSHAKE;
    else if (has_flag(f[2].p, f[2].n, "noaddr") || n.ip[0] == '\0' || n.port == 0) n.health = RA_CLUSTER_NOADDR;
    else if (has_flag(f[2].p, f[2].n, "fail")) n.health = RA_CLUSTER_FAIL;
    else if (has_flag(f[2].p, f[2].n, "fail?")) n.health = RA_CLUSTER_PFAIL;
    if (!n.master && f[3].n != 1) {
        if (!is_hex_id(f[3].p, f[3].n))
            return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has a malformed master id", lineno);
        memcpy(n.master_id, f[3].p, RA_CLUSTER_ID_LEN);
    }
    n.link_up = n.myself || (f[7].n == 9 && memcmp(f[7].p, "connected", 9) == 0);

    if (moves_only && !n.myself) return 0;
    if (!moves_only && t->nnodes >= RA_CLUSTER_NODES_MAX)
        return ra_err_set(err, RA_E_SOURCE, "'cluster nodes' lists more than %d nodes", RA_CLUSTER_NODES_MAX);
    int idx = t->nnodes;
    if (!moves_only) t->nodes[t->nnodes++] = n;
    /* slots: the rest of the line */
    while (i < len) {
        while (i < len && line[i] == ' ') i++;
        if (i >= len) break;
        size_t s = i;
        while (i < len && line[i] != ' ') i++;
        field sf = {line + s, i - s};
        if (sf.p[0] == '[') {
            if (parse_move(t, &n, sf) < 0)
                return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has a malformed moving slot",
                                  lineno);
            continue;
        }
        if (moves_only) continue;
        const char *dash = memchr(sf.p, '-', sf.n);
        long long lo = parse_num(sf.p, dash ? (size_t)(dash - sf.p) : sf.n, 0, RA_CLUSTER_SLOTS - 1);
        long long hi = dash ? parse_num(dash + 1, (size_t)(sf.p + sf.n - dash - 1), 0, RA_CLUSTER_SLOTS - 1) : lo;
        if (lo < 0 || hi < lo || !n.master)
            return ra_err_set(err, RA_E_SOURCE, "line %d of 'cluster nodes' has a malformed slot range", lineno);
        for (long long k = lo; k <= hi; k++) {
            if (slot_owner[k] >= 0 && slot_owner[k] != idx)
                return ra_err_set(err, RA_E_SOURCE, "'cluster nodes' gives slot %lld to two masters", k);
            slot_owner[k] = idx;
        }
    }
    return 0;
}

static int nodes_lines(ra_cluster_topology *t, const char *text, size_t len, int *owner, int moves_only,
                       ra_err *err) {
    int lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        size_t l = e - i;
        if (l > 0 && text[i + l - 1] == '\r') l--;
        lineno++;
        if (l > 0 && nodes_line(t, text + i, l, owner, moves_only, lineno, err) < 0) return -1;
        i = e + 1;
    }
    return 0;
}

int ra_cluster_parse_nodes(const char *text, size_t len, ra_cluster_topology *t, ra_err *err) {
    reset(t);
    int *owner = malloc(RA_CLUSTER_SLOTS * sizeof(int));
    if (owner == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int k = 0; k < RA_CLUSTER_SLOTS; k++) owner[k] = -1;
    int rc = nodes_lines(t, text, len, owner, 0, err);
    /* one shard per master that owns slots, in slot order */
    int shard_of[RA_CLUSTER_NODES_MAX];
    for (int k = 0; k < RA_CLUSTER_NODES_MAX; k++) shard_of[k] = -1;
    for (int k = 0; rc == 0 && k < RA_CLUSTER_SLOTS; k++) {
        int m = owner[k];
        if (m < 0) continue;
        if (shard_of[m] < 0) {
            if (t->nshards >= RA_CLUSTER_SHARDS_MAX) {
                rc = ra_err_set(err, RA_E_SOURCE, "the cluster has more than %d shards", RA_CLUSTER_SHARDS_MAX);
                break;
            }
            shard_of[m] = t->nshards;
            ra_cluster_shard *s = &t->shards[t->nshards++];
            memset(s, 0, sizeof(*s));
            s->master = m;
        }
        if (add_range(&t->shards[shard_of[m]], k, k) < 0)
            rc = ra_err_set(err, RA_E_SOURCE, "a master owns more than %d slot ranges", RA_CLUSTER_RANGES_MAX);
    }
    free(owner);
    for (int n = 0; rc == 0 && n < t->nnodes; n++) {
        if (t->nodes[n].master || t->nodes[n].master_id[0] == '\0') continue;
        for (int s = 0; s < t->nshards; s++) {
            ra_cluster_shard *sh = &t->shards[s];
            if (strcmp(t->nodes[sh->master].id, t->nodes[n].master_id) != 0) continue;
            if (sh->nreplicas < (int)(sizeof(sh->replicas) / sizeof(sh->replicas[0])))
                sh->replicas[sh->nreplicas++] = n;
            break;
        }
    }
    if (rc < 0) reset(t);
    return rc;
}

int ra_cluster_add_moves(ra_cluster_topology *t, const char *nodes_text, size_t len, ra_err *err) {
    int *owner = malloc(RA_CLUSTER_SLOTS * sizeof(int));
    if (owner == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int k = 0; k < RA_CLUSTER_SLOTS; k++) owner[k] = -1;
    int rc = nodes_lines(t, nodes_text, len, owner, 1, err);
    free(owner);
    return rc;
}

/* ---- CLUSTER SHARDS ----------------------------------------------------------------------------- */

static const ra_resp_reply *map_get(const ra_resp_reply *m, const char *key) {
    for (size_t i = 0; i + 1 < m->elements; i += 2) {
        const ra_resp_reply *k = m->element[i];
        if ((k->type == RA_RESP_STRING || k->type == RA_RESP_STATUS) && strcmp(k->str, key) == 0)
            return m->element[i + 1];
    }
    return NULL;
}

static long long int_of(const ra_resp_reply *v, long long dflt) {
    if (v == NULL) return dflt;
    if (v->type == RA_RESP_INTEGER) return v->integer;
    if (v->type == RA_RESP_STRING || v->type == RA_RESP_STATUS) {
        long long n = parse_num(v->str, v->len, 0, (1LL << 62));
        return n < 0 ? dflt : n;
    }
    return dflt;
}

static int str_is(const ra_resp_reply *v, const char *s) {
    return v != NULL && (v->type == RA_RESP_STRING || v->type == RA_RESP_STATUS) && strcmp(v->str, s) == 0;
}

static int shards_node(ra_cluster_topology *t, ra_cluster_shard *s, const ra_resp_reply *e, size_t si,
                       ra_err *err) {
    if (e->type != RA_RESP_ARRAY || e->elements % 2 != 0)
        return ra_err_set(err, RA_E_SOURCE, "a node of shard %zu of 'cluster shards' is not a field/value array", si);
    if (t->nnodes >= RA_CLUSTER_NODES_MAX)
        return ra_err_set(err, RA_E_SOURCE, "'cluster shards' lists more than %d nodes", RA_CLUSTER_NODES_MAX);
    ra_cluster_node n = {.offset = -1};
    const ra_resp_reply *id = map_get(e, "id"), *ip = map_get(e, "ip"), *role = map_get(e, "role");
    if (id == NULL || id->type != RA_RESP_STRING || !is_hex_id(id->str, id->len))
        return ra_err_set(err, RA_E_SOURCE, "a node of shard %zu of 'cluster shards' has no id", si);
    memcpy(n.id, id->str, RA_CLUSTER_ID_LEN);
    if (ip == NULL || ip->type != RA_RESP_STRING) ip = map_get(e, "endpoint");
    if (ip != NULL && ip->type == RA_RESP_STRING && ip->len < sizeof(n.ip) && strcmp(ip->str, "?") != 0)
        ra_resp_printable(n.ip, sizeof(n.ip), ip->str, ip->len);
    long long port = int_of(map_get(e, "port"), -1);
    if (port <= 0) port = int_of(map_get(e, "tls-port"), -1);
    n.port = port > 0 && port <= 65535 ? (int)port : 0;
    n.master = str_is(role, "master");
    if (!n.master && !str_is(role, "replica"))
        return ra_err_set(err, RA_E_SOURCE, "a node of shard %zu of 'cluster shards' has no role", si);
    n.offset = int_of(map_get(e, "replication-offset"), -1);
    const ra_resp_reply *h = map_get(e, "health");
    if (str_is(h, "online")) n.health = RA_CLUSTER_ONLINE;
    else if (str_is(h, "loading")) n.health = RA_CLUSTER_LOADING;
    else n.health = RA_CLUSTER_FAIL;
    if (n.ip[0] == '\0' || n.port == 0) n.health = RA_CLUSTER_NOADDR;
    n.link_up = n.health == RA_CLUSTER_ONLINE || n.health == RA_CLUSTER_LOADING;
    int idx = t->nnodes;
    t->nodes[t->nnodes++] = n;
    if (n.master && s->master < 0) {
        s->master = idx;
    } else if (s->nreplicas < (int)(sizeof(s->replicas) / sizeof(s->replicas[0]))) {
        s->replicas[s->nreplicas++] = idx;
    }
    return 0;
}

int ra_cluster_parse_shards(const ra_resp_reply *reply, ra_cluster_topology *t, ra_err *err) {
    reset(t);
    if (reply == NULL || reply->type != RA_RESP_ARRAY)
        return ra_err_set(err, RA_E_SOURCE, "the reply to 'cluster shards' is not an array");
    for (size_t i = 0; i < reply->elements; i++) {
        const ra_resp_reply *e = reply->element[i];
        if (e->type != RA_RESP_ARRAY || e->elements % 2 != 0) goto bad;
        const ra_resp_reply *slots = map_get(e, "slots"), *nodes = map_get(e, "nodes");
        if (slots == NULL || nodes == NULL || slots->type != RA_RESP_ARRAY || nodes->type != RA_RESP_ARRAY ||
            slots->elements % 2 != 0)
            goto bad;
        if (slots->elements == 0) continue; /* a master without slots is no shard */
        if (t->nshards >= RA_CLUSTER_SHARDS_MAX) {
            reset(t);
            return ra_err_set(err, RA_E_SOURCE, "the cluster has more than %d shards", RA_CLUSTER_SHARDS_MAX);
        }
        ra_cluster_shard *s = &t->shards[t->nshards++];
        memset(s, 0, sizeof(*s));
        s->master = -1;
        for (size_t k = 0; k < slots->elements; k += 2) {
            long long lo = int_of(slots->element[k], -1), hi = int_of(slots->element[k + 1], -1);
            if (lo < 0 || hi < lo || hi >= RA_CLUSTER_SLOTS || s->nranges >= RA_CLUSTER_RANGES_MAX) goto bad;
            s->ranges[s->nranges++] = (ra_cluster_range){(int)lo, (int)hi};
        }
        for (size_t k = 0; k < nodes->elements; k++)
            if (shards_node(t, s, nodes->element[k], i, err) < 0) {
                reset(t);
                return -1;
            }
        continue;
    bad:
        reset(t);
        return ra_err_set(err, RA_E_SOURCE, "shard %zu of 'cluster shards' is malformed", i);
    }
    normalize(t);
    /* two shards claiming one slot is no topology to back up */
    for (int a = 0; a < t->nshards; a++)
        for (int b = a + 1; b < t->nshards; b++)
            for (int x = 0; x < t->shards[a].nranges; x++)
                for (int y = 0; y < t->shards[b].nranges; y++) {
                    const ra_cluster_range *p = &t->shards[a].ranges[x], *q = &t->shards[b].ranges[y];
                    if (p->lo <= q->hi && q->lo <= p->hi) {
                        reset(t);
                        return ra_err_set(err, RA_E_SOURCE, "'cluster shards' gives slot %d to two shards",
                                          p->lo > q->lo ? p->lo : q->lo);
                    }
                }
    return 0;
}

/* ---- coverage and picks ------------------------------------------------------------------------- */

int ra_cluster_uncovered(const ra_cluster_topology *t, ra_cluster_range *out, int cap) {
    unsigned char *own = calloc(RA_CLUSTER_SLOTS, 1);
    if (own == NULL) return 0;
    for (int i = 0; i < t->nshards; i++)
        for (int k = 0; k < t->shards[i].nranges; k++)
            for (int s = t->shards[i].ranges[k].lo; s <= t->shards[i].ranges[k].hi; s++) own[s] = 1;
    int n = 0;
    for (int s = 0; s < RA_CLUSTER_SLOTS && n < cap;) {
        if (own[s]) {
            s++;
            continue;
        }
        int lo = s;
        while (s < RA_CLUSTER_SLOTS && !own[s]) s++;
        out[n++] = (ra_cluster_range){lo, s - 1};
    }
    free(own);
    return n;
}

void ra_cluster_ranges_format(const ra_cluster_range *r, int n, char *out, size_t cap) {
    size_t o = 0;
    if (cap == 0) return;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        char one[32];
        if (r[i].lo == r[i].hi) snprintf(one, sizeof(one), "%s%d", i ? "," : "", r[i].lo);
        else snprintf(one, sizeof(one), "%s%d-%d", i ? "," : "", r[i].lo, r[i].hi);
        size_t l = strlen(one);
        if (o + l + 4 >= cap) {
            snprintf(out + o, cap - o, "%s", cap - o > 3 ? "..." : "");
            return;
        }
        memcpy(out + o, one, l + 1);
        o += l;
    }
}

const char *ra_cluster_node_reject(const ra_cluster_node *n) {
    switch (n->health) {
    case RA_CLUSTER_FAIL: return "failed";
    case RA_CLUSTER_PFAIL: return "suspected to fail (fail?)";
    case RA_CLUSTER_LOADING: break; /* see ra_cluster_pick */
    case RA_CLUSTER_HANDSHAKE: return "still in handshake";
    case RA_CLUSTER_NOADDR: return "no known address";
    case RA_CLUSTER_ONLINE: break;
    }
    if (!n->link_up) return "disconnected from the node asked";
    return NULL;
}

static void append(char *why, size_t cap, const ra_cluster_node *n, const char *what, const char *reason) {
    size_t l = strlen(why);
    if (l + 1 >= cap) return;
    snprintf(why + l, cap - l, "%s%s %s:%d %s", l ? "; " : "", what, n->ip[0] ? n->ip : "?", n->port, reason);
}

int ra_cluster_pick(const ra_cluster_topology *t, int s, int allow_master, char *why, size_t cap) {
    const ra_cluster_shard *sh = &t->shards[s];
    int best = -1;
    if (cap > 0) why[0] = '\0';
    for (int k = 0; k < sh->nreplicas; k++) {
        const ra_cluster_node *n = &t->nodes[sh->replicas[k]];
        const char *r = ra_cluster_node_reject(n);
        if (r != NULL) {
            append(why, cap, n, "replica", r);
            continue;
        }
        /* Redis 7.0 says "loading" of any replica whose offset it has not heard of yet (0), also
         * a healthy one: such a replica comes after the online ones, and the connection checks it */
        const ra_cluster_node *b = best >= 0 ? &t->nodes[best] : NULL;
        int nl = n->health == RA_CLUSTER_LOADING, bl = b != NULL && b->health == RA_CLUSTER_LOADING;
        if (b == NULL || (bl && !nl) || (bl == nl && n->offset > b->offset)) best = sh->replicas[k];
    }
    if (best >= 0) return best;
    if (sh->nreplicas == 0 && cap > 0) snprintf(why, cap, "no replica");
    if (sh->master < 0) {
        size_t l = strlen(why);
        if (l + 1 < cap) snprintf(why + l, cap - l, "%sno master", l ? "; " : "");
        return -1;
    }
    const ra_cluster_node *m = &t->nodes[sh->master];
    if (!allow_master) return -1;
    const char *r = ra_cluster_node_reject(m);
    if (r != NULL) {
        append(why, cap, m, "master", r);
        return -1;
    }
    return sh->master;
}
