/* replica.c - the source's policy and stream: connect, authenticate, check the role (or pick a
 * replica, or ask Sentinels through sentinel.c), REPLCONF + PSYNC, then stream the verified RDB
 * into a sink. Command replies go through resp.c; the payload never touches a RESP parser. */
#include "source/replica.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "common/limits.h"
#include "common/url.h"
#include "source/allow.h"
#include "source/net.h"
#include "replica_priv.h"
#include "source/resp.h"
#include "source/sentinel.h"


static char *dup_or_null(const char *s) { return s != NULL ? strdup(s) : NULL; }

static void wipe_free(char *s) {
    if (s == NULL) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static const char *user_name(const ra_replica *r) { return r->user != NULL ? r->user : "default"; }

/* ---- commands and replies --------------------------------------------------------------------- */

ra_resp_reply *ra_replica_command(ra_replica *r, const char *what, int argc, const char **argv, ra_err *err) {
    return ra_resp_command(r->resp, what, argc, argv, r->read_ms, err);
}

int ra_replica_server_error(ra_replica *r, const char *cmd, const char *e, ra_err *err) {
    const char *name = ra_conn_name(r->conn);
    if (ra_replica_starts_with_ci(e, "NOPERM"))
        return ra_err_set(err, RA_E_SOURCE,
                          "user '%s' may not run '%s' on '%s' (%s); the minimal acl for backups is "
                          "'%s' (ACL SETUSER %s on >... %s)",
                          user_name(r), cmd, name, e, MINIMAL_ACL, user_name(r), MINIMAL_ACL);
    if (ra_replica_starts_with_ci(e, "NOAUTH"))
        return ra_err_set(err, RA_E_SOURCE,
                          "'%s' requires authentication (%s): put the password in the source URL or "
                          "in REDISCLI_AUTH", name, e);
    if (ra_replica_starts_with_ci(e, "NOMASTERLINK") || ra_replica_starts_with_ci(e, "MASTERDOWN"))
        return ra_err_set(err, RA_E_SOURCE,
                          "'%s' cannot serve a sync: its link to its master is down (%s); wait for "
                          "replication to recover or use another replica", name, e);
    if (ra_replica_starts_with_ci(e, "LOADING"))
        return ra_err_set(err, RA_E_SOURCE,
                          "'%s' is still loading its dataset (%s); retry when it is done", name, e);
    return ra_err_set(err, RA_E_SOURCE, "'%s' failed on '%s': %s", cmd, name, e);
}

int ra_replica_expect_ok(ra_replica *r, const char *what, int argc, const char **argv, ra_err *err) {
    ra_resp_reply *rep = ra_replica_command(r, what, argc, argv, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type == RA_RESP_ERROR) rc = ra_replica_server_error(r, what, rep->str, err);
    else if (rep->type != RA_RESP_STATUS || strcasecmp(rep->str, "OK") != 0)
        rc = ra_err_set(err, RA_E_SOURCE, "unexpected reply to '%s' from '%s'", what,
                        ra_conn_name(r->conn));
    ra_resp_reply_free(rep);
    return rc;
}

/* ---- authentication and role -------------------------------------------------------------------- */

static int authenticate(ra_replica *r, ra_err *err) {
    if (r->password == NULL) {
        if (r->user != NULL)
            return ra_err_set(err, RA_E_USAGE,
                              "user '%s' given without a password: put it in the source URL or "
                              "in REDISCLI_AUTH", r->user);
        return 0;
    }
    const char *argv[3] = {"AUTH", r->user != NULL ? r->user : r->password, r->password};
    ra_resp_reply *rep = ra_replica_command(r, "auth", r->user != NULL ? 3 : 2, argv, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type == RA_RESP_ERROR) /* WRONGPASS / ERR invalid password: never echo secrets */
        rc = ra_err_set(err, RA_E_SOURCE, "authentication failed for user '%s' at '%s': %s",
                        user_name(r), ra_conn_name(r->conn), rep->str);
    ra_resp_reply_free(rep);
    return rc;
}

/* "slaveN:ip=...,port=...,state=online,offset=...,lag=..." lines of INFO replication. Entries with
 * port=0 are tools like us (no REPLCONF listening-port), not replicas. */
static void parse_peers(ra_replica *r, const char *text) {
    r->npeers = 0;
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "slave", 5) != 0 || !isdigit((unsigned char)p[5])) continue;
        const char *v = strchr(p, ':');
        if (v == NULL) continue;
        char line[512];
        size_t n = strcspn(v + 1, "\r\n");
        if (n >= sizeof(line)) n = sizeof(line) - 1;
        memcpy(line, v + 1, n);
        line[n] = '\0';
        replica_peer peer = {.lag = -1, .offset = -1};
        char *save = NULL;
        for (char *kv = strtok_r(line, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (eq == NULL) continue;
            *eq = '\0';
            const char *val = eq + 1;
            if (strcmp(kv, "ip") == 0) ra_resp_printable(peer.ip, sizeof(peer.ip), val, strlen(val));
            else if (strcmp(kv, "port") == 0) peer.port = atoi(val);
            else if (strcmp(kv, "state") == 0) peer.online = strcmp(val, "online") == 0;
            else if (strcmp(kv, "offset") == 0) peer.offset = strtoll(val, NULL, 10);
            else if (strcmp(kv, "lag") == 0) peer.lag = strtoll(val, NULL, 10);
        }
        if (peer.port > 0 && peer.ip[0] != '\0' && r->npeers < MAX_REPLICAS) r->peers[r->npeers++] = peer;
    }
}

/* ROLE, for users that may not run INFO: master -> [ "master", off, [[ip, port, off], ...] ],
 * replica -> [ "slave", host, port, state, off ]. */
static int probe_role_cmd(ra_replica *r, ra_err *err) {
    const char *argv[1] = {"ROLE"};
    ra_resp_reply *rep = ra_replica_command(r, "role", 1, argv, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type == RA_RESP_ERROR) {
        if (ra_replica_starts_with_ci(rep->str, "NOPERM"))
            rc = ra_err_set(err, RA_E_SOURCE,
                            "user '%s' may run neither 'info' nor 'role' on '%s', so it cannot be "
                            "checked to be a replica; the minimal acl for backups is '%s' "
                            "(ACL SETUSER %s on >... %s)",
                            user_name(r), ra_conn_name(r->conn), MINIMAL_ACL, user_name(r), MINIMAL_ACL);
        else rc = ra_replica_server_error(r, "role", rep->str, err);
    } else if (rep->type != RA_RESP_ARRAY || rep->elements < 1 ||
               rep->element[0]->type != RA_RESP_STRING) {
        rc = ra_err_set(err, RA_E_SOURCE, "unexpected reply to 'role' from '%s'", ra_conn_name(r->conn));
    } else {
        ra_resp_printable(r->role, sizeof(r->role), rep->element[0]->str, rep->element[0]->len);
        if (strcmp(r->role, "master") == 0 && rep->elements >= 3 &&
            rep->element[2]->type == RA_RESP_ARRAY) {
            r->npeers = 0;
            for (size_t i = 0; i < rep->element[2]->elements && r->npeers < MAX_REPLICAS; i++) {
                ra_resp_reply *e = rep->element[2]->element[i];
                if (e->type != RA_RESP_ARRAY || e->elements < 3) continue;
                replica_peer peer = {.online = 1, .lag = -1};
                if (e->element[0]->str != NULL) ra_resp_printable(peer.ip, sizeof(peer.ip), e->element[0]->str, e->element[0]->len);
                peer.port = e->element[1]->str ? atoi(e->element[1]->str) : 0;
                peer.offset = e->element[2]->str ? strtoll(e->element[2]->str, NULL, 10) : -1;
                if (peer.port > 0) r->peers[r->npeers++] = peer;
            }
        } else if (strcmp(r->role, "slave") == 0 && rep->elements >= 4 &&
                   rep->element[3]->type == RA_RESP_STRING) {
            r->link_up = strcmp(rep->element[3]->str, "connected") == 0;
            r->syncing = strcmp(rep->element[3]->str, "sync") == 0;
        }
    }
    ra_resp_reply_free(rep);
    return rc;
}

/* INFO server (version) and INFO replication (role, link, replicas); ROLE when INFO is denied.
 * Two INFO calls rather than "INFO server replication": multi-section INFO is 7.0+. */
static int probe_role(ra_replica *r, ra_err *err) {
    r->role[0] = r->version[0] = '\0';
    r->link_up = r->syncing = r->cluster = 0;
    r->npeers = 0;
    const char *argv[2] = {"INFO", "server"};
    ra_resp_reply *rep = ra_replica_command(r, "info server", 2, argv, err);
    if (rep == NULL) return -1;
    if (rep->type == RA_RESP_ERROR) {
        int denied = ra_replica_starts_with_ci(rep->str, "NOPERM");
        int rc = denied ? 0 : ra_replica_server_error(r, "info", rep->str, err);
        ra_resp_reply_free(rep);
        if (rc < 0) return -1;
        ra_log_debug(r->log, "source.acl", "user '%s' may not run 'info' on '%s'; using 'role'",
                     user_name(r), ra_conn_name(r->conn));
        return probe_role_cmd(r, err);
    }
    if (rep->type == RA_RESP_STRING) {
        char mode[32] = "";
        ra_resp_info_field(rep->str, "redis_version", r->version, sizeof(r->version));
        ra_resp_info_field(rep->str, "redis_mode", mode, sizeof(mode));
        r->cluster = strcmp(mode, "cluster") == 0;
    }
    ra_resp_reply_free(rep);

    argv[1] = "replication";
    rep = ra_replica_command(r, "info replication", 2, argv, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type == RA_RESP_ERROR) {
        rc = ra_replica_server_error(r, "info", rep->str, err);
    } else if (rep->type != RA_RESP_STRING || ra_resp_info_field(rep->str, "role", r->role, sizeof(r->role)) < 0) {
        rc = ra_err_set(err, RA_E_SOURCE, "'info replication' from '%s' has no role", ra_conn_name(r->conn));
    } else {
        char v[32];
        if (ra_resp_info_field(rep->str, "master_link_status", v, sizeof(v)) == 0) r->link_up = strcmp(v, "up") == 0;
        if (ra_resp_info_field(rep->str, "master_sync_in_progress", v, sizeof(v)) == 0) r->syncing = strcmp(v, "1") == 0;
        parse_peers(r, rep->str);
    }
    ra_resp_reply_free(rep);
    return rc;
}

void ra_replica_close_conn(ra_replica *r) {
    ra_conn_close(r->conn);
    r->conn = NULL;
    ra_resp_free(r->resp);
    r->resp = NULL;
}

/* The connection settings every server gets (TLS, timeouts); host and port are r's. */
static void conn_opts(const ra_replica *r, ra_conn_opts *co) {
    *co = (ra_conn_opts){
        .host = r->host,
        .port = r->port,
        .connect_timeout_ms = r->connect_ms,
        .tls = r->tls,
        .tls_ca_file = r->tls_ca,
        .tls_cert_file = r->tls_cert,
        .tls_key_file = r->tls_key,
        .tls_sni = r->tls_sni,
        .tls_insecure = r->tls_insecure,
        .cancel = r->cancel,
    };
}

/* Connect to host:port (same TLS settings for every server), nothing sent yet. */
static int open_conn(ra_replica *r, const char *host, int port, ra_err *err) {
    ra_replica_close_conn(r);
    if (host != r->host) snprintf(r->host, sizeof(r->host), "%s", host);
    r->port = port;
    ra_conn_opts co;
    conn_opts(r, &co);
    r->conn = ra_conn_open(&co, r->log, err);
    if (r->conn == NULL) return -1;
    r->resp = ra_resp_new(r->conn);
    if (r->resp == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

/* Connect to host:port, authenticate, probe the role. */
static int open_server(ra_replica *r, const char *host, int port, ra_err *err) {
    if (open_conn(r, host, port, err) < 0) return -1;
    if (authenticate(r, err) < 0 || probe_role(r, err) < 0) return -1;
    ra_log_debug(r->log, "source.connected", "'%s' is a %s running redis %s", ra_conn_name(r->conn),
                 r->role, r->version[0] ? r->version : "(unknown)");
    return 0;
}

static int check_replica_link(ra_replica *r, ra_err *err) {
    if (!r->link_up)
        return ra_err_set(err, RA_E_SOURCE,
                          "'%s' is a replica whose link to its master is down%s; its data may be "
                          "stale, so it is not backed up: fix replication first",
                          ra_conn_name(r->conn), r->syncing ? " (a sync from its master is in progress)" : "");
    return 0;
}

static void list_peers(const ra_replica *r, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < r->npeers && n + 1 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s:%d%s", i ? ", " : "", r->peers[i].ip,
                              r->peers[i].port, r->peers[i].online ? "" : " (not online)");
    if (r->npeers == 0) snprintf(out, cap, "none");
}

/* The online replica with the least lag (then the highest offset); -1 if none. */
static int best_peer(const ra_replica *r) {
    int best = -1;
    for (int i = 0; i < r->npeers; i++) {
        const replica_peer *p = &r->peers[i];
        if (!p->online) continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const replica_peer *b = &r->peers[best];
        long long pl = p->lag < 0 ? (1LL << 62) : p->lag, bl = b->lag < 0 ? (1LL << 62) : b->lag;
        if (pl < bl || (pl == bl && p->offset > b->offset)) best = i;
    }
    return best;
}

/* ---- Sentinel ----------------------------------------------------------------------------------- */

#define MAX_SENTINEL_REPLICAS 64

/* Append "ip:port (why)" to the list in out. */
static void note_reject(char *out, size_t cap, const char *ip, int port, const char *why) {
    size_t n = strlen(out);
    if (n + 1 >= cap) return;
    snprintf(out + n, cap - n, "%s%s:%d (%s)", n ? "; " : "", ip, port, why);
}

/* The url named the sentinels: ask them for the replicas of r->sentinel_master and connect to the
 * healthiest one that still checks out as a replica with its link up. */
static int via_sentinel(ra_replica *r, ra_err *err) {
    char where[600];
    ra_conn_opts co;
    conn_opts(r, &co);
    ra_sentinel_query q = {
        .sentinels = r->sentinels,
        .nsentinels = r->nsentinels,
        .master = r->sentinel_master,
        .user = r->user,
        .password = r->password,
        .conn = &co,
        .read_timeout_ms = r->read_ms,
        .log = r->log,
    };
    ra_sentinel_replica *v = calloc(MAX_SENTINEL_REPLICAS, sizeof(*v));
    int order[MAX_SENTINEL_REPLICAS];
    if (v == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int n = ra_sentinel_discover(&q, v, MAX_SENTINEL_REPLICAS, where, sizeof(where), err);
    if (n < 0) {
        free(v);
        return -1;
    }
    char rejected[2048] = "";
    for (int i = 0; i < n; i++) {
        if (v[i].reject == NULL) continue;
        note_reject(rejected, sizeof(rejected), v[i].ip, v[i].port, v[i].reject);
        ra_log_info(r->log, "source.sentinel_skip", "%s: replica %s:%d not used: %s (flags %s, link %s)",
                    where, v[i].ip, v[i].port, v[i].reject, v[i].flags, v[i].link[0] ? v[i].link : "?");
    }
    int m = ra_sentinel_rank(v, n, order);
    for (int k = 0; k < m; k++) {
        const ra_sentinel_replica *p = &v[order[k]];
        ra_log_info(r->log, "source.pick", "%s: syncing from replica %s:%d (offset %lld)", where, p->ip,
                    p->port, p->offset);
        ra_err e2 = {0};
        const char *why = NULL;
        if (open_server(r, p->ip, p->port, &e2) < 0) why = e2.msg;
        else if (strcmp(r->role, "slave") != 0) why = "it no longer reports the replica role";
        else if (!r->link_up) why = "it reports its master link down";
        if (why == NULL) {
            free(v);
            return 0;
        }
        ra_log_warn(r->log, "source.sentinel_skip", "%s: replica %s:%d not used: %s", where, p->ip,
                    p->port, why);
        note_reject(rejected, sizeof(rejected), p->ip, p->port, why);
        ra_replica_close_conn(r);
    }
    free(v);
    if (n == 0) return ra_err_set(err, RA_E_SOURCE, "%s: the sentinel knows no replica of it", where);
    return ra_err_set(err, RA_E_SOURCE, "%s: no healthy replica to back up from: %s", where, rejected);
}

/* The url's one host, or the first of several that answers: a list of hosts without
 * sentinel-master is only valid for cluster nodes. */
static int open_seed(ra_replica *r, ra_err *err) {
    if (r->nsentinels <= 1) return open_server(r, r->host, r->port, err);
    char tried[1024] = "";
    for (int i = 0; i < r->nsentinels; i++) {
        ra_err e = {0};
        if (open_server(r, r->sentinels[i].host, r->sentinels[i].port, &e) == 0) {
            if (r->cluster) return 0;
            return ra_err_set(err, RA_E_USAGE, "the source url lists %d hosts and '%s:%d' is no cluster node: "
                              "only Sentinels come in a list (set sentinel-master), or cluster nodes",
                              r->nsentinels, r->sentinels[i].host, r->sentinels[i].port);
        }
        if (e.code == RA_E_CANCELLED || e.code == RA_E_USAGE) {
            *err = e;
            return -1;
        }
        ra_log_warn(r->log, "source.seed_next", "%s; trying the next host", e.msg);
        size_t n = strlen(tried);
        snprintf(tried + n, sizeof(tried) - n, "%s%s", n ? "; " : "", e.msg);
    }
    return ra_err_set(err, RA_E_SOURCE, "none of the %d hosts of the source url answered: %s", r->nsentinels, tried);
}

ra_replica *ra_replica_connect(const ra_replica_opts *opts, ra_replica_info *info, ra_err *err) {
    ra_replica *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    r->log = opts->log;
    r->cancel = opts->cancel;
    r->connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : RA_CONNECT_TIMEOUT_MS_DEFAULT;
    r->read_ms = opts->read_timeout_ms > 0 ? opts->read_timeout_ms : RA_READ_TIMEOUT_MS_DEFAULT;
    r->sync_ms = opts->sync_timeout_ms > 0 ? opts->sync_timeout_ms : RA_SYNC_TIMEOUT_MS_DEFAULT;
    r->allow_master = opts->allow_master;
    r->pick_replica = opts->pick_replica;
    r->allow_unchecked = opts->allow_unchecked_rdb;
    r->keep_stream = opts->keep_stream;
    r->offset = -1;
    if (opts->replica_allow != NULL && *opts->replica_allow != '\0' &&
        (r->replica_allow = strdup(opts->replica_allow)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto fail;
    }
    if (opts->sentinel_master != NULL && *opts->sentinel_master != '\0')
        r->sentinel_master = strdup(opts->sentinel_master);
    r->tls_insecure = opts->tls_insecure;
    r->tls_ca = dup_or_null(opts->tls_ca_file);
    r->tls_cert = dup_or_null(opts->tls_cert_file);
    r->tls_key = dup_or_null(opts->tls_key_file);
    r->tls_sni = dup_or_null(opts->tls_sni);
    if (opts->url == NULL || *opts->url == '\0') {
        ra_err_set(err, RA_E_USAGE, "no source url given");
        goto fail;
    }
    ra_redis_url u;
    if (ra_redis_url_parse(opts->url, &u, err) < 0) goto fail;
    r->tls = u.tls;
    r->user = u.user;
    r->password = u.password;
    u.user = u.password = NULL;
    r->nsentinels = u.nhosts;
    memcpy(r->sentinels, u.hosts, sizeof(u.hosts));
    ra_redis_url_clear(&u);
    memcpy(r->host, r->sentinels[0].host, sizeof(r->host));
    r->port = r->sentinels[0].port;
    if (opts->node_host != NULL) { /* a cluster node picked by the caller: the URL gives the rest */
        snprintf(r->host, sizeof(r->host), "%s", opts->node_host);
        r->port = opts->node_port;
        r->nsentinels = 1;
        free(r->sentinel_master);
        r->sentinel_master = NULL;
    }
    /* the URL's password first; the caller's (REDISCLI_AUTH) when the URL carries none */
    if (r->password == NULL && opts->password != NULL && *opts->password != '\0' &&
        (r->password = strdup(opts->password)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto fail;
    }
    if (r->sentinel_master != NULL) {
        if (via_sentinel(r, err) < 0) goto fail;
    } else if (open_seed(r, err) < 0) {
        goto fail;
    } else if (r->cluster && opts->node_host == NULL) {
        /* a cluster node: the caller backs up every shard (source/clusterscan.h) */
    } else if (strcmp(r->role, "master") == 0) {
        char peers[300];
        list_peers(r, peers, sizeof(peers));
        if (r->pick_replica) {
            int b = best_peer(r);
            if (b < 0) {
                ra_err_set(err, RA_E_SOURCE, "%s is a master with no online replica to pick "
                           "(replicas: %s)", ra_conn_name(r->conn), peers);
                goto fail;
            }
            replica_peer p = r->peers[b];
            int ok = r->password == NULL ? 1 : ra_allow_check(r->replica_allow, r->sentinels[0].host, p.ip, p.port, err);
            if (ok < 0) goto fail;
            if (!ok) {
                ra_err_set(err, RA_E_SOURCE, "%s is a master whose best replica %s:%d was only announced by "
                           "it (INFO replication), so the source credentials are not sent there: add "
                           "'%s:%d' to replica-allow to pick it, or give a replica as the source",
                           ra_conn_name(r->conn), p.ip, p.port, p.ip, p.port);
                goto fail;
            }
            ra_log_info(r->log, "source.pick", "%s is a master; syncing from its replica %s:%d (lag %lld)",
                        ra_conn_name(r->conn), p.ip, p.port, p.lag);
            if (open_server(r, p.ip, p.port, err) < 0) goto fail;
            if (strcmp(r->role, "slave") != 0) {
                ra_err_set(err, RA_E_SOURCE, "picked replica '%s' reports role '%s'",
                           ra_conn_name(r->conn), r->role);
                goto fail;
            }
            if (check_replica_link(r, err) < 0) goto fail;
        } else if (r->allow_master) {
            ra_log_warn(r->log, "source.master", "%s is a master: the fork for the snapshot runs on it "
                        "(replicas: %s)", ra_conn_name(r->conn), peers);
        } else {
            ra_err_set(err, RA_E_SOURCE, "%s is a master (replicas: %s); backups must come from a "
                       "replica \xe2\x80\x94 pass --allow-master to use it anyway, or --pick-replica",
                       ra_conn_name(r->conn), peers);
            goto fail;
        }
    } else if (strcmp(r->role, "slave") == 0) {
        if (check_replica_link(r, err) < 0) goto fail;
    } else {
        ra_err_set(err, RA_E_SOURCE, "'%s' has role '%s', neither master nor replica",
                   ra_conn_name(r->conn), r->role);
        goto fail;
    }
    if (info != NULL) {
        memset(info, 0, sizeof(*info));
        snprintf(info->role, sizeof(info->role), "%s", r->role);
        snprintf(info->redis_version, sizeof(info->redis_version), "%s", r->version);
        snprintf(info->host, sizeof(info->host), "%s", r->host);
        info->port = r->port;
        info->cluster = r->cluster;
    }
    return r;
fail:
    ra_replica_free(r);
    return NULL;
}

void ra_replica_free(ra_replica *r) {
    if (r == NULL) return;
    ra_replica_close_conn(r);
    free(r->tail);
    free(r->user);
    free(r->sentinel_master);
    free(r->replica_allow);
    wipe_free(r->password);
    free(r->tls_ca);
    free(r->tls_cert);
    free(r->tls_key);
    free(r->tls_sni);
    free(r);
}
