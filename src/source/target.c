/* target.c - the restore target: a standalone server, or every master of a cluster (keys routed by
 * slot, MOVED and ASK followed). Commands are queued per server and sent in batches; the replies of a
 * batch are read in order after it. */
#include "source/target.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "common/url.h"
#include "source/net.h"
#include "source/resp.h"
#include "source/respcmd.h"

#define BATCH_BYTES (4 * 1024 * 1024) /* a server's batch is sent once this much is queued... */
#define BATCH_COMMANDS 1024           /* ...or this many commands */
#define SLOTS 16384
#define NODES_MAX 128
#define REDIRECTS_MAX 5

enum { Q_SELECT, Q_RESTORE, Q_FUNCTION, Q_ASKING, Q_UNIT };

/* A queued command; in a cluster a RESTORE keeps its key and payload until answered, to be sent again
 * where a MOVED or ASK reply points. */
typedef struct entry {
    unsigned char kind, redirects;
    uint8_t *copy; /* key then payload (cluster only) */
    size_t key_len, payload_len;
    long long ttl, idle;
    int freq;
    int nrep;              /* Q_UNIT: its commands, one reply each */
    unsigned char counted; /* Q_UNIT: counted in st->commands (a keyless unit goes to every master, counted once) */
} entry;

/* What the target's COMMAND INFO says of a command ("name" or "container|sub"), cached. */
typedef struct cmdspec {
    char name[64];
    long long first;  /* legacy first key position, 0: none */
    int movable;      /* movablekeys: COMMAND GETKEYS finds them */
    int container;    /* has subcommands: look up "name|sub" */
} cmdspec;

typedef struct node {
    char host[RA_URL_HOST_MAX];
    int port;
    char name[RA_URL_HOST_MAX + 8];
    ra_conn *conn;
    ra_resp *resp;
    entry *q;            /* queued, not sent yet */
    size_t nq, cap;
    entry *inflight;     /* the batch sent before, its replies not read yet */
    size_t ninflight;
} node;

struct ra_target {
    node *nodes;
    int nnodes;
    int cluster;
    uint8_t *slot; /* cluster: the node of each slot */
    ra_conn_opts co;
    char *user, *password; /* password: wiped on free */
    long read_ms;
    int replace;
    const ra_log *log;
    int remapped;    /* a MOVED changed the slot map: what was queued before goes out before the next unit */
    cmdspec *specs;  /* cluster: the command table learnt so far */
    size_t nspecs, capspecs;
};

int ra_target_rdb_version_of(const char *redis_version, const char *valkey_version) {
    int major = 0, minor = 0;
    if (valkey_version && *valkey_version && sscanf(valkey_version, "%d.%d", &major, &minor) >= 1)
        return major >= 9 ? 80 : 11;
    if (redis_version == NULL || sscanf(redis_version, "%d.%d", &major, &minor) < 1) return 0;
    if (major < 5) return major >= 4 ? 8 : 6;
    if (major < 7) return 9;
    if (major == 7) return minor < 2 ? 10 : minor < 4 ? 11 : 12;
    return 12;
}

/* CRC16-CCITT (XMODEM) of the key, or of its {hash tag}, mod 16384 (cluster.c keyHashSlot). */
int ra_target_key_slot(const void *key, size_t len) {
    const uint8_t *k = key;
    size_t s = 0;
    while (s < len && k[s] != '{') s++;
    if (s < len) {
        size_t e = s + 1;
        while (e < len && k[e] != '}') e++;
        if (e < len && e > s + 1) {
            k += s + 1;
            len = e - s - 1;
        }
    }
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(k[i] << 8);
        for (int b = 0; b < 8; b++) crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc & (SLOTS - 1);
}

static void node_close(node *n) {
    ra_resp_free(n->resp);
    ra_conn_close(n->conn);
    for (size_t i = 0; i < n->nq; i++) free(n->q[i].copy);
    for (size_t i = 0; i < n->ninflight; i++) free(n->inflight[i].copy);
    free(n->q);
    free(n->inflight);
    memset(n, 0, sizeof(*n));
}

void ra_target_free(ra_target *t) {
    if (t == NULL) return;
    for (int i = 0; i < t->nnodes; i++) node_close(&t->nodes[i]);
    free(t->nodes);
    free(t->slot);
    free(t->specs);
    free(t->user);
    if (t->password) explicit_bzero(t->password, strlen(t->password));
    free(t->password);
    free(t);
}

static int server_said(const node *n, const char *what, const ra_resp_reply *rep, ra_err *err) {
    return ra_err_set(err, RA_E_SOURCE, "'%s' failed on target '%s': %s", what, n->name,
                      rep->type == RA_RESP_ERROR ? rep->str : "unexpected reply");
}

/* Connect to host:port and authenticate; its index, or -1. */
static int node_open(ra_target *t, const char *host, int port, ra_err *err) {
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i].port == port && strcmp(t->nodes[i].host, host) == 0) return i;
    if (t->nnodes == NODES_MAX) return ra_err_set(err, RA_E_SOURCE, "the target cluster has over %d masters", NODES_MAX);
    node *n = &t->nodes[t->nnodes];
    snprintf(n->host, sizeof(n->host), "%s", host);
    n->port = port;
    snprintf(n->name, sizeof(n->name), "%s:%d", host, port);
    ra_conn_opts co = t->co;
    co.host = n->host;
    co.port = port;
    n->conn = ra_conn_open(&co, t->log, err);
    if (n->conn == NULL) return -1;
    t->nnodes++; /* from here node_close frees it */
    if ((n->resp = ra_resp_new(n->conn)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (t->password == NULL) return t->nnodes - 1;
    const char *argv[3] = {"AUTH", t->user ? t->user : t->password, t->password};
    ra_resp_reply *rep = ra_resp_command(n->resp, "auth", t->user ? 3 : 2, argv, t->read_ms, err);
    if (rep == NULL) return -1;
    int rc = t->nnodes - 1;
    if (rep->type == RA_RESP_ERROR) /* never echo the secret */
        rc = ra_err_set(err, RA_E_SOURCE, "authentication failed for user '%s' at target '%s': %s",
                        t->user ? t->user : "default", n->name, rep->str);
    ra_resp_reply_free(rep);
    return rc;
}

/* INFO of one server: versions (the oldest wins), keys (added up), cluster mode. */
static int probe(ra_target *t, int ni, ra_target_info *info, ra_err *err) {
    node *n = &t->nodes[ni];
    const char *argv[1] = {"INFO"}; /* the default sections hold server, cluster and keyspace */
    ra_resp_reply *rep = ra_resp_command(n->resp, "info", 1, argv, t->read_ms, err);
    if (rep == NULL) return -1;
    if (rep->type != RA_RESP_STRING) {
        int rc = server_said(n, "INFO", rep, err);
        ra_resp_reply_free(rep);
        return rc;
    }
    char v[32], rv[32] = "", vv[32] = "";
    ra_resp_info_field(rep->str, "redis_version", rv, sizeof(rv));
    ra_resp_info_field(rep->str, "valkey_version", vv, sizeof(vv));
    int version = ra_target_rdb_version_of(rv, vv);
    if (ni == 0 || version < info->rdb_version) {
        info->rdb_version = version;
        snprintf(info->redis_version, sizeof(info->redis_version), "%s", rv);
        snprintf(info->valkey_version, sizeof(info->valkey_version), "%s", vv);
    }
    if (ni == 0) info->cluster = ra_resp_info_field(rep->str, "cluster_enabled", v, sizeof(v)) == 0 && strcmp(v, "1") == 0;
    for (const char *p = strstr(rep->str, "\ndb"); p; p = strstr(p + 1, "\ndb")) {
        const char *k = strstr(p, ":keys=");
        const char *eol = strchr(p + 1, '\n');
        if (k && (eol == NULL || k < eol)) info->keys += strtoll(k + 6, NULL, 10);
    }
    ra_resp_reply_free(rep);
    return 0;
}

/* CLUSTER SLOTS from the first server: which master serves each slot; every master connected. */
static int cluster_map(ra_target *t, ra_err *err) {
    node *seed = &t->nodes[0];
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    ra_resp_reply *rep = ra_resp_command(seed->resp, "cluster slots", 2, argv, t->read_ms, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type != RA_RESP_ARRAY) rc = server_said(seed, "CLUSTER SLOTS", rep, err);
    char seed_host[RA_URL_HOST_MAX];
    snprintf(seed_host, sizeof(seed_host), "%s", seed->host);
    long covered = 0;
    for (size_t i = 0; rc == 0 && i < rep->elements; i++) {
        ra_resp_reply *r = rep->element[i];
        if (r->type != RA_RESP_ARRAY || r->elements < 3 || r->element[0]->type != RA_RESP_INTEGER ||
            r->element[1]->type != RA_RESP_INTEGER || r->element[2]->type != RA_RESP_ARRAY ||
            r->element[2]->elements < 2 || r->element[2]->element[0]->type != RA_RESP_STRING ||
            r->element[2]->element[1]->type != RA_RESP_INTEGER) {
            rc = ra_err_set(err, RA_E_SOURCE, "target '%s' answered CLUSTER SLOTS with an unexpected shape", seed->name);
            break;
        }
        long long lo = r->element[0]->integer, hi = r->element[1]->integer;
        const char *host = r->element[2]->element[0]->str;
        int ni = node_open(t, *host ? host : seed_host, (int)r->element[2]->element[1]->integer, err);
        if (ni < 0) {
            rc = -1;
            break;
        }
        for (long long s = lo < 0 ? 0 : lo; s <= hi && s < SLOTS; s++, covered++) t->slot[s] = (uint8_t)ni;
    }
    ra_resp_reply_free(rep);
    if (rc == 0 && covered < SLOTS)
        rc = ra_err_set(err, RA_E_SOURCE, "target cluster '%s' serves %ld of the %d slots: wait until every slot "
                        "has a master (CLUSTER INFO: cluster_state:ok)", seed->name, covered, SLOTS);
    return rc;
}

ra_target *ra_target_open(const ra_target_opts *o, ra_target_info *info, ra_err *err) {
    memset(info, 0, sizeof(*info));
    ra_redis_url u;
    if (ra_redis_url_parse(o->url, &u, err) < 0) return NULL;
    ra_target *t = calloc(1, sizeof(*t));
    if (t == NULL || (t->nodes = calloc(NODES_MAX, sizeof(*t->nodes))) == NULL ||
        (u.user && (t->user = strdup(u.user)) == NULL) ||
        ((u.password || (o->password && *o->password)) &&
         (t->password = strdup(u.password ? u.password : o->password)) == NULL)) {
        ra_redis_url_clear(&u);
        ra_target_free(t);
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    t->read_ms = o->read_timeout_ms > 0 ? o->read_timeout_ms : RA_READ_TIMEOUT_MS_DEFAULT;
    t->replace = o->replace;
    t->log = o->log;
    t->co = (ra_conn_opts){
        .connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : RA_CONNECT_TIMEOUT_MS_DEFAULT,
        .tls = u.tls,
        .tls_ca_file = o->tls_ca_file,
        .tls_cert_file = o->tls_cert_file,
        .tls_key_file = o->tls_key_file,
        .tls_sni = o->tls_sni,
        .tls_insecure = o->tls_insecure,
        .cancel = o->cancel,
    };
    snprintf(info->name, sizeof(info->name), "%s:%d", u.hosts[0].host, u.hosts[0].port);
    /* the first host that answers; more than one only make sense as seeds of a cluster */
    int rc = -1;
    for (int h = 0; h < u.nhosts && rc < 0; h++) {
        if (t->nnodes) node_close(&t->nodes[--t->nnodes]);
        rc = node_open(t, u.hosts[h].host, u.hosts[h].port, err) < 0 ? -1 : probe(t, 0, info, err);
        if (rc == 0) snprintf(info->name, sizeof(info->name), "%s", t->nodes[0].name);
    }
    ra_redis_url_clear(&u);
    if (rc == 0 && info->cluster) {
        t->cluster = 1;
        t->slot = calloc(SLOTS, 1);
        rc = t->slot == NULL ? ra_err_set(err, RA_E_INTERNAL, "out of memory") : cluster_map(t, err);
        info->keys = 0;
        for (int i = 0; rc == 0 && i < t->nnodes; i++) rc = probe(t, i, info, err); /* every master's keys */
        info->masters = t->nnodes;
    } else if (rc == 0 && u.nhosts > 1) {
        rc = ra_err_set(err, RA_E_USAGE, "--target names %d hosts but '%s' is no cluster node: give one server",
                        u.nhosts, info->name);
    }
    if (rc < 0) {
        ra_target_free(t);
        return NULL;
    }
    return t;
}

static int send_restore(ra_target *t, int ni, entry *e, const uint8_t *key, const uint8_t *payload, ra_err *err);
static int read_unit(ra_target *t, int ni, entry *e, ra_target_stats *st, ra_err *err);

/* Append e's entry to a node's queue (its commands are already in the node's output buffer). */
static int push_entry(node *n, const entry *e, ra_err *err) {
    if (n->nq == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 64;
        entry *nb = realloc(n->q, cap * sizeof(*nb));
        if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        n->q = nb;
        n->cap = cap;
    }
    n->q[n->nq++] = *e;
    return 0;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the node it points at, opened when new; -1 when not one. */
static int redirect_node(ra_target *t, const char *e, int *slot, ra_err *err) {
    char host[RA_URL_HOST_MAX];
    int port = 0;
    const char *sp = strchr(e, ' ');
    if (sp == NULL || sscanf(sp + 1, "%d", slot) != 1 || *slot < 0 || *slot >= SLOTS) return -1;
    const char *addr = strchr(sp + 1, ' ');
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (colon == NULL || colon - addr - 1 <= 0 || colon - addr - 1 >= (long)sizeof(host)) return -1;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 1), addr + 1);
    port = atoi(colon + 1);
    if (port <= 0) return -1;
    int ni = node_open(t, host, port, err);
    return ni < 0 ? -2 : ni;
}

/* Read the replies of the batch sent before (node ni's inflight) and free it. A RESTORE answered MOVED
 * or ASK in a cluster is queued again where it points (ASK: behind ASKING), at most REDIRECTS_MAX times;
 * other errors are counted. */
static int read_inflight(ra_target *t, int ni, ra_target_stats *st, ra_err *err) {
    node *n = &t->nodes[ni];
    size_t nq = n->ninflight;
    entry *q = n->inflight;
    n->inflight = NULL;
    n->ninflight = 0;
    int rc = 0;
    for (size_t i = 0; i < nq; i++) {
        entry *e = &q[i];
        if (e->kind == Q_UNIT) {
            if (rc == 0 && read_unit(t, ni, e, st, err) < 0) rc = -1;
            n = &t->nodes[ni];
            free(e->copy);
            continue;
        }
        ra_resp_reply *rep = rc == 0 ? ra_resp_read(n->resp, "restore", t->read_ms, err) : NULL;
        if (rep == NULL) {
            rc = -1;
            continue; /* free the rest */
        }
        int moved = 0, ask = 0;
        if (rep->type == RA_RESP_ERROR && t->cluster && e->kind == Q_RESTORE && e->redirects < REDIRECTS_MAX) {
            moved = strncmp(rep->str, "MOVED ", 6) == 0;
            ask = strncmp(rep->str, "ASK ", 4) == 0;
        }
        if (moved || ask) {
            int slot = 0, to = redirect_node(t, rep->str, &slot, err);
            if (to == -2) rc = -1;
            if (to >= 0) {
                if (moved) t->slot[slot] = (uint8_t)to, t->remapped = 1;
                e->redirects++;
                if (ask) {
                    const char *argv[1] = {"ASKING"};
                    size_t lens[1] = {6};
                    entry a = {.kind = Q_ASKING};
                    node *dst = &t->nodes[to];
                    if (ra_resp_append(dst->resp, 1, argv, lens, err) < 0 || push_entry(dst, &a, err) < 0) rc = -1;
                }
                if (rc == 0 && send_restore(t, to, e, e->copy, e->copy + e->key_len, err) == 0) e->copy = NULL; /* moved */
                else rc = -1;
                ra_resp_reply_free(rep);
                free(e->copy);
                continue;
            }
        }
        if (rep->type == RA_RESP_ERROR && e->kind == Q_SELECT) {
            rc = server_said(n, "SELECT", rep, err);
        } else if (rep->type == RA_RESP_ERROR && e->kind != Q_ASKING) {
            if (st->errors++ == 0) snprintf(st->first_error, sizeof(st->first_error), "%s", rep->str);
        } else if (rep->type != RA_RESP_ERROR && e->kind == Q_RESTORE) {
            st->restored++;
        } else if (rep->type != RA_RESP_ERROR && e->kind == Q_FUNCTION && ni == 0) {
            st->functions++; /* sent to every master, counted once */
        }
        ra_resp_reply_free(rep);
        free(e->copy);
    }
    free(q);
    return rc;
}

/* Send node ni's queue, then read the replies of the batch before it: the server works on one batch
 * while the replies of the other are read (at most two batches of small replies are ever unread). */
static int send_batch(ra_target *t, int ni, ra_target_stats *st, ra_err *err) {
    node *n = &t->nodes[ni];
    if (n->nq == 0) return 0;
    if (ra_resp_flush(n->resp, t->read_ms, err) < 0) return ra_err_prefix(err, "restore into '%s': ", n->name);
    entry *sent = n->q;
    size_t nsent = n->nq;
    n->q = NULL;
    n->nq = n->cap = 0;
    int rc = read_inflight(t, ni, st, err); /* redirects queue anew */
    n = &t->nodes[ni];
    n->inflight = sent;
    n->ninflight = nsent;
    return rc;
}

int ra_target_flush(ra_target *t, ra_target_stats *st, ra_err *err) {
    for (int pass = 0; pass <= 2 * REDIRECTS_MAX + 2; pass++) {
        int any = 0;
        for (int i = 0; i < t->nnodes; i++) {
            if (t->nodes[i].nq == 0 && t->nodes[i].ninflight == 0) continue;
            any = 1;
            if (send_batch(t, i, st, err) < 0 || read_inflight(t, i, st, err) < 0) return -1;
        }
        if (!any) return 0;
    }
    return 0;
}

/* Append the command to node ni's queue; the queue goes out once it is large. */
static int queue(ra_target *t, int ni, const entry *e, int argc, const char *const *argv, const size_t *lens,
                 ra_target_stats *st, ra_err *err) {
    node *n = &t->nodes[ni];
    if (ra_resp_append(n->resp, argc, argv, lens, err) < 0 || push_entry(n, e, err) < 0) return -1;
    if (st && (n->nq >= BATCH_COMMANDS || ra_resp_pending_bytes(n->resp) >= BATCH_BYTES)) return send_batch(t, ni, st, err);
    return 0;
}

int ra_target_select(ra_target *t, int db, ra_target_stats *st, ra_err *err) {
    if (t->cluster) return 0; /* a cluster has db 0 only: every database's keys go there */
    char num[16];
    snprintf(num, sizeof(num), "%d", db);
    const char *argv[2] = {"SELECT", num};
    size_t lens[2] = {6, strlen(num)};
    entry e = {.kind = Q_SELECT};
    return queue(t, 0, &e, 2, argv, lens, st, err);
}

/* RESTORE key ttl payload [ABSTTL] [REPLACE] [IDLETIME s | FREQ f], queued on node ni (its queue takes
 * over e->copy); not sent here: the caller, or ra_target_flush for a redirected one, sends the batch. */
static int send_restore(ra_target *t, int ni, entry *e, const uint8_t *key, const uint8_t *payload, ra_err *err) {
    char ttl[24], extra[24];
    snprintf(ttl, sizeof(ttl), "%lld", e->ttl > 0 ? e->ttl : 0);
    const char *argv[8] = {"RESTORE", (const char *)key, ttl, (const char *)payload};
    size_t lens[8] = {7, e->key_len, strlen(ttl), e->payload_len};
    int argc = 4;
    if (e->ttl > 0) argv[argc] = "ABSTTL", lens[argc++] = 6;
    if (t->replace) argv[argc] = "REPLACE", lens[argc++] = 7;
    if (e->idle >= 0 || e->freq >= 0) {
        snprintf(extra, sizeof(extra), "%lld", e->idle >= 0 ? e->idle : (long long)e->freq);
        argv[argc] = e->idle >= 0 ? "IDLETIME" : "FREQ";
        lens[argc] = strlen(argv[argc]);
        argc++;
        argv[argc] = extra, lens[argc++] = strlen(extra);
    }
    return queue(t, ni, e, argc, argv, lens, NULL, err);
}

int ra_target_restore(ra_target *t, const void *key, size_t key_len, long long ttl_ms, const void *payload,
                      size_t payload_len, long long idle, int freq, ra_target_stats *st, ra_err *err) {
    entry e = {.kind = Q_RESTORE, .key_len = key_len, .payload_len = payload_len, .ttl = ttl_ms, .idle = idle,
               .freq = freq};
    int ni = 0;
    if (t->cluster) {
        ni = t->slot[ra_target_key_slot(key, key_len)];
        if ((e.copy = malloc(key_len + payload_len + 1)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        memcpy(e.copy, key, key_len);
        memcpy(e.copy + key_len, payload, payload_len);
    }
    if (send_restore(t, ni, &e, key, payload, err) < 0) {
        free(e.copy);
        return -1;
    }
    node *n = &t->nodes[ni];
    if (n->nq >= BATCH_COMMANDS || ra_resp_pending_bytes(n->resp) >= BATCH_BYTES) return send_batch(t, ni, st, err);
    return 0;
}

int ra_target_function_restore(ra_target *t, const void *payload, size_t len, ra_target_stats *st, ra_err *err) {
    const char *argv[4] = {"FUNCTION", "RESTORE", payload, "REPLACE"};
    size_t lens[4] = {8, 7, len, 7};
    entry e = {.kind = Q_FUNCTION};
    for (int i = 0; i < t->nnodes; i++) /* every master of a cluster runs every function */
        if (queue(t, i, &e, t->replace ? 4 : 3, argv, lens, st, err) < 0) return -1;
    return 0;
}

/* ---- replayed commands (ra_target_commands) ------------------------------------------------------ */


/* Queue the unit's commands (SELECT left out on a cluster) on node ni, ASKING first when ask; e->nrep
 * says how many went. The entry takes over e->copy. Not sent here. */
static int queue_unit(ra_target *t, int ni, entry *e, const uint8_t *d, size_t len, int ask, ra_err *err) {
    node *n = &t->nodes[ni];
    ra_respcmd c = {0};
    int rc = 0;
    if (ask) {
        const char *argv[1] = {"ASKING"};
        size_t lens[1] = {6};
        entry a = {.kind = Q_ASKING};
        if (ra_resp_append(n->resp, 1, argv, lens, err) < 0 || push_entry(n, &a, err) < 0) return -1;
    }
    e->nrep = 0;
    for (size_t at = 0, used = 0; rc == 0 && at < len; at += used) {
        int r = ra_respcmd_parse(&c, d + at, len - at, &used, err);
        if (r == 0) rc = ra_err_set(err, RA_E_SOURCE, "resp command: the replayed bytes end inside a command");
        if (r <= 0) rc = -1;
        else if (t->cluster && ra_respcmd_is(&c, 0, "select")) continue; /* a cluster has db 0 only */
        else if (ra_resp_append(n->resp, c.argc, c.argv, c.lens, err) < 0) rc = -1;
        else e->nrep++;
    }
    ra_respcmd_clear(&c);
    if (rc == 0 && e->nrep > 0) rc = push_entry(n, e, err);
    else if (rc == 0) free(e->copy);
    return rc;
}

/* The replies of a unit: answered MOVED or ASK (any of them) it goes again, whole, where it points;
 * else its top-level errors are counted, and its commands once. */
static int read_unit(ra_target *t, int ni, entry *e, ra_target_stats *st, ra_err *err) {
    char redirect[200] = "", first[200] = "";
    long long errors = 0;
    int rc = 0;
    for (int r = 0; r < e->nrep; r++) {
        ra_resp_reply *rep = rc == 0 ? ra_resp_read(t->nodes[ni].resp, "a replayed command", t->read_ms, err) : NULL;
        if (rep == NULL) {
            rc = -1;
            continue;
        }
        if (rep->type == RA_RESP_ERROR) {
            if (e->copy && e->redirects < REDIRECTS_MAX && !redirect[0] &&
                (strncmp(rep->str, "MOVED ", 6) == 0 || strncmp(rep->str, "ASK ", 4) == 0))
                snprintf(redirect, sizeof(redirect), "%s", rep->str);
            if (errors++ == 0) ra_resp_printable(first, sizeof(first), rep->str, strlen(rep->str));
        }
        ra_resp_reply_free(rep);
    }
    if (rc < 0) return -1;
    if (redirect[0]) {
        int slot = 0, to = redirect_node(t, redirect, &slot, err);
        if (to == -2) return -1;
        if (to >= 0) {
            int ask = redirect[0] == 'A';
            if (!ask) t->slot[slot] = (uint8_t)to, t->remapped = 1;
            e->redirects++;
            entry again = *e;
            e->copy = NULL; /* the new entry owns it */
            if (queue_unit(t, to, &again, again.copy, again.payload_len, ask, err) == 0) return 0;
            free(again.copy);
            return -1;
        }
    }
    if (errors > 0 && st->errors == 0) snprintf(st->first_error, sizeof(st->first_error), "%s", first);
    st->errors += errors;
    if (e->counted) st->commands += e->nrep;
    return 0;
}

/* The spec of "name" (lower-cased) from the cache or the target's COMMAND INFO (asked on the first
 * node after everything queued was answered: the replies stay in order). NULL with err set. */
static const cmdspec *spec_named(ra_target *t, const char *name, ra_target_stats *st, ra_err *err) {
    for (size_t i = 0; i < t->nspecs; i++)
        if (strcmp(t->specs[i].name, name) == 0) return &t->specs[i];
    if (ra_target_flush(t, st, err) < 0) return NULL;
    node *n = &t->nodes[0];
    const char *argv[3] = {"COMMAND", "INFO", name};
    ra_resp_reply *rep = ra_resp_command(n->resp, "command info", 3, argv, t->read_ms, err);
    if (rep == NULL) return NULL;
    cmdspec sp = {0};
    snprintf(sp.name, sizeof(sp.name), "%s", name);
    ra_resp_reply *c = rep->type == RA_RESP_ARRAY && rep->elements == 1 ? rep->element[0] : NULL;
    int ok = c && c->type == RA_RESP_ARRAY && c->elements >= 6 && c->element[2]->type == RA_RESP_ARRAY &&
             c->element[3]->type == RA_RESP_INTEGER;
    if (ok) {
        sp.first = c->element[3]->integer;
        for (size_t i = 0; i < c->element[2]->elements; i++) {
            const ra_resp_reply *f = c->element[2]->element[i];
            if ((f->type == RA_RESP_STATUS || f->type == RA_RESP_STRING) && strcmp(f->str, "movablekeys") == 0) sp.movable = 1;
        }
        sp.container = c->elements >= 10 && c->element[9]->type == RA_RESP_ARRAY && c->element[9]->elements > 0;
    } else if (rep->type == RA_RESP_ERROR) {
        server_said(n, "COMMAND INFO", rep, err);
    } else {
        ra_err_set(err, RA_E_SOURCE, "target '%s' does not know the command '%s' of the archived stream: restore into "
                   "a server with the source's commands (version, modules)", n->name, name);
    }
    ra_resp_reply_free(rep);
    if (!ok) return NULL;
    if (t->nspecs == t->capspecs) {
        size_t cap = t->capspecs ? 2 * t->capspecs : 32;
        cmdspec *nb = realloc(t->specs, cap * sizeof(*nb));
        if (nb == NULL) {
            ra_err_set(err, RA_E_INTERNAL, "out of memory");
            return NULL;
        }
        t->specs = nb;
        t->capspecs = cap;
    }
    t->specs[t->nspecs] = sp;
    return &t->specs[t->nspecs++];
}

typedef struct keyfind {
    ra_target *t;
    ra_target_stats *st;
} keyfind;

/* ra_respcmd_key_cb: the argument index of the command's first key, by the target's command table. */
static int first_key(void *ctx, const ra_respcmd *c, ra_err *err) {
    keyfind *kf = ctx;
    ra_target *t = kf->t;
    char name[64];
    size_t k = 0;
    for (int a = 0; a < 2 && a < c->argc; a++) {
        if (a == 1) name[k++] = '|';
        for (size_t i = 0; i < c->lens[a] && k + 2 < sizeof(name); i++) {
            char ch = c->argv[a][i];
            name[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : (ch > 0x20 && ch < 0x7f && ch != '|' ? ch : '?'));
        }
        name[k] = '\0';
        const cmdspec *sp = spec_named(t, name, kf->st, err);
        if (sp == NULL) return -2;
        if (a == 0 && sp->container && c->argc > 1) continue; /* "name|sub" holds the keys */
        if (!sp->movable) return ra_respcmd_first_key(c, sp->first);
        /* movable keys: the target finds them, after everything queued was answered */
        if (ra_target_flush(t, kf->st, err) < 0) return -2;
        node *n = &t->nodes[0];
        const char **argv = malloc(((size_t)c->argc + 2) * sizeof(*argv));
        size_t *lens = malloc(((size_t)c->argc + 2) * sizeof(*lens));
        if (argv == NULL || lens == NULL) {
            free(argv);
            free(lens);
            ra_err_set(err, RA_E_INTERNAL, "out of memory");
            return -2;
        }
        argv[0] = "COMMAND", lens[0] = 7, argv[1] = "GETKEYS", lens[1] = 7;
        memcpy(argv + 2, c->argv, (size_t)c->argc * sizeof(*argv));
        memcpy(lens + 2, c->lens, (size_t)c->argc * sizeof(*lens));
        int rc = ra_resp_append(n->resp, c->argc + 2, argv, lens, err);
        free(argv);
        free(lens);
        if (rc < 0 || ra_resp_flush(n->resp, t->read_ms, err) < 0) return -2;
        ra_resp_reply *rep = ra_resp_read(n->resp, "command getkeys", t->read_ms, err);
        if (rep == NULL) return -2;
        int at = -1; /* an error: no key arguments */
        const ra_resp_reply *key = rep->type == RA_RESP_ARRAY && rep->elements > 0 ? rep->element[0] : NULL;
        for (int i = 1; key && key->type == RA_RESP_STRING && at < 0 && i < c->argc; i++)
            if (c->lens[i] == key->len && memcmp(c->argv[i], key->str, key->len) == 0) at = i;
        ra_resp_reply_free(rep);
        return at;
    }
    return -1;
}

int ra_target_commands(ra_target *t, const uint8_t *resp, size_t len, int ncmds, ra_target_stats *st, ra_err *err) {
    entry e = {.kind = Q_UNIT, .payload_len = len, .counted = 1};
    int slot = -1, seen = 0;
    /* after a MOVED, the units still queued for the old master are answered MOVED and sent on in their
     * order before a newer unit of the same slot goes straight to the new one */
    if (t->remapped && (t->remapped = 0, ra_target_flush(t, st, err) < 0)) return -1;
    if (t->cluster) {
        keyfind kf = {t, st};
        const char *key = NULL;
        size_t key_len = 0;
        int r = ra_respcmd_unit_key(resp, len, first_key, &kf, &key, &key_len, &seen, err);
        if (r < 0) return -1;
        if (r == 1) slot = ra_target_key_slot(key, key_len);
        if (seen != ncmds) return ra_err_set(err, RA_E_INTERNAL, "replayed unit holds %d commands, not %d", seen, ncmds);
    }
    int from = 0, to = t->cluster && slot < 0 ? t->nnodes : 1;
    if (t->cluster && slot >= 0) from = t->slot[slot], to = from + 1;
    for (int ni = from; ni < to; ni++) {
        entry u = e;
        u.counted = ni == from;
        if (t->cluster && slot >= 0) { /* kept until answered: a MOVED or ASK sends it again */
            if ((u.copy = malloc(len ? len : 1)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
            memcpy(u.copy, resp, len);
        }
        if (queue_unit(t, ni, &u, resp, len, 0, err) < 0) {
            free(u.copy);
            return -1;
        }
        node *n = &t->nodes[ni];
        if ((n->nq >= BATCH_COMMANDS || ra_resp_pending_bytes(n->resp) >= BATCH_BYTES) && send_batch(t, ni, st, err) < 0)
            return -1;
    }
    return 0;
}
