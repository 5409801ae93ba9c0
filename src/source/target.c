/* target.c - the restore target: one connection, commands queued and sent in batches, replies read
 * in order after each batch. */
#include "source/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "common/url.h"
#include "source/net.h"
#include "source/resp.h"

#define BATCH_BYTES (4 * 1024 * 1024) /* a batch is sent once this much is queued... */
#define BATCH_COMMANDS 1024           /* ...or this many commands */

enum { Q_SELECT, Q_RESTORE, Q_FUNCTION };

struct ra_target {
    ra_conn *conn;
    ra_resp *resp;
    long read_ms;
    int replace;
    unsigned char *queued; /* what each queued command is (Q_*), in order */
    size_t nqueued;
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

void ra_target_free(ra_target *t) {
    if (t == NULL) return;
    ra_resp_free(t->resp);
    ra_conn_close(t->conn);
    free(t->queued);
    free(t);
}

static int server_said(const ra_target *t, const char *what, const ra_resp_reply *rep, ra_err *err) {
    return ra_err_set(err, RA_E_SOURCE, "'%s' failed on target '%s': %s", what, ra_conn_name(t->conn),
                      rep->type == RA_RESP_ERROR ? rep->str : "unexpected reply");
}

static int authenticate(ra_target *t, const char *user, const char *password, ra_err *err) {
    if (password == NULL || *password == '\0') return 0;
    const char *argv[3] = {"AUTH", user ? user : password, password};
    ra_resp_reply *rep = ra_resp_command(t->resp, "auth", user ? 3 : 2, argv, t->read_ms, err);
    if (rep == NULL) return -1;
    int rc = 0;
    if (rep->type == RA_RESP_ERROR) /* never echo the secret */
        rc = ra_err_set(err, RA_E_SOURCE, "authentication failed for user '%s' at target '%s': %s",
                        user ? user : "default", ra_conn_name(t->conn), rep->str);
    ra_resp_reply_free(rep);
    return rc;
}

static int probe(ra_target *t, ra_target_info *info, ra_err *err) {
    const char *argv[1] = {"INFO"}; /* the default sections hold server, cluster and keyspace */
    ra_resp_reply *rep = ra_resp_command(t->resp, "info", 1, argv, t->read_ms, err);
    if (rep == NULL) return -1;
    if (rep->type != RA_RESP_STRING) {
        int rc = server_said(t, "INFO", rep, err);
        ra_resp_reply_free(rep);
        return rc;
    }
    char v[32];
    ra_resp_info_field(rep->str, "redis_version", info->redis_version, sizeof(info->redis_version));
    ra_resp_info_field(rep->str, "valkey_version", info->valkey_version, sizeof(info->valkey_version));
    info->cluster = ra_resp_info_field(rep->str, "cluster_enabled", v, sizeof(v)) == 0 && strcmp(v, "1") == 0;
    info->rdb_version = ra_target_rdb_version_of(info->redis_version, info->valkey_version);
    info->keys = 0;
    for (const char *p = strstr(rep->str, "\ndb"); p; p = strstr(p + 1, "\ndb")) {
        const char *k = strstr(p, ":keys=");
        const char *eol = strchr(p + 1, '\n');
        if (k && (eol == NULL || k < eol)) info->keys += strtoll(k + 6, NULL, 10);
    }
    ra_resp_reply_free(rep);
    return 0;
}

ra_target *ra_target_open(const ra_target_opts *o, ra_target_info *info, ra_err *err) {
    memset(info, 0, sizeof(*info));
    ra_redis_url u;
    if (ra_redis_url_parse(o->url, &u, err) < 0) return NULL;
    if (u.nhosts != 1) {
        ra_redis_url_clear(&u);
        ra_err_set(err, RA_E_USAGE, "--target names %d hosts: give one server", u.nhosts);
        return NULL;
    }
    ra_target *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        ra_redis_url_clear(&u);
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    t->read_ms = o->read_timeout_ms > 0 ? o->read_timeout_ms : RA_READ_TIMEOUT_MS_DEFAULT;
    t->replace = o->replace;
    ra_conn_opts co = {
        .host = u.hosts[0].host,
        .port = u.hosts[0].port,
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
    int rc = -1;
    t->conn = ra_conn_open(&co, o->log, err);
    if (t->conn != NULL) {
        t->resp = ra_resp_new(t->conn);
        if (t->resp == NULL) ra_err_set(err, RA_E_INTERNAL, "out of memory");
        else if (authenticate(t, u.user, u.password ? u.password : o->password, err) == 0) rc = probe(t, info, err);
    }
    ra_redis_url_clear(&u);
    if (rc < 0) {
        ra_target_free(t);
        return NULL;
    }
    return t;
}

/* Read one reply per queued command; errors are counted, a dead connection is an error. */
static int read_replies(ra_target *t, ra_target_stats *st, ra_err *err) {
    for (size_t i = 0; i < t->nqueued; i++) {
        ra_resp_reply *rep = ra_resp_read(t->resp, "restore", t->read_ms, err);
        if (rep == NULL) return -1;
        if (rep->type == RA_RESP_ERROR) {
            if (t->queued[i] == Q_SELECT) {
                int rc = server_said(t, "SELECT", rep, err);
                ra_resp_reply_free(rep);
                return rc;
            }
            if (st->errors++ == 0)
                snprintf(st->first_error, sizeof(st->first_error), "%s", rep->str);
        } else if (t->queued[i] == Q_RESTORE) {
            st->restored++;
        } else if (t->queued[i] == Q_FUNCTION) {
            st->functions++;
        }
        ra_resp_reply_free(rep);
    }
    t->nqueued = 0;
    return 0;
}

int ra_target_flush(ra_target *t, ra_target_stats *st, ra_err *err) {
    if (t->nqueued == 0) return 0;
    if (ra_resp_flush(t->resp, t->read_ms, err) < 0) return ra_err_prefix(err, "restore into '%s': ",
                                                                         ra_conn_name(t->conn));
    return read_replies(t, st, err);
}

static int queue(ra_target *t, int kind, int argc, const char *const *argv, const size_t *lens, ra_target_stats *st,
                 ra_err *err) {
    if (t->nqueued % BATCH_COMMANDS == 0) {
        unsigned char *nq = realloc(t->queued, t->nqueued + BATCH_COMMANDS);
        if (nq == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        t->queued = nq;
    }
    if (ra_resp_append(t->resp, argc, argv, lens, err) < 0) return -1;
    t->queued[t->nqueued++] = (unsigned char)kind;
    if (t->nqueued >= BATCH_COMMANDS || ra_resp_pending_bytes(t->resp) >= BATCH_BYTES)
        return ra_target_flush(t, st, err);
    return 0;
}

int ra_target_select(ra_target *t, int db, ra_target_stats *st, ra_err *err) {
    char n[16];
    snprintf(n, sizeof(n), "%d", db);
    const char *argv[2] = {"SELECT", n};
    size_t lens[2] = {6, strlen(n)};
    return queue(t, Q_SELECT, 2, argv, lens, st, err);
}

int ra_target_restore(ra_target *t, const void *key, size_t key_len, long long ttl_ms, const void *payload,
                      size_t payload_len, long long idle, int freq, ra_target_stats *st, ra_err *err) {
    char ttl[24], extra[24];
    snprintf(ttl, sizeof(ttl), "%lld", ttl_ms > 0 ? ttl_ms : 0);
    const char *argv[8] = {"RESTORE", key, ttl, payload};
    size_t lens[8] = {7, key_len, strlen(ttl), payload_len};
    int argc = 4;
    if (ttl_ms > 0) argv[argc] = "ABSTTL", lens[argc++] = 6;
    if (t->replace) argv[argc] = "REPLACE", lens[argc++] = 7;
    if (idle >= 0 || freq >= 0) {
        snprintf(extra, sizeof(extra), "%lld", idle >= 0 ? idle : (long long)freq);
        argv[argc] = idle >= 0 ? "IDLETIME" : "FREQ";
        lens[argc] = strlen(argv[argc]);
        argc++;
        argv[argc] = extra, lens[argc++] = strlen(extra);
    }
    return queue(t, Q_RESTORE, argc, argv, lens, st, err);
}

int ra_target_function_restore(ra_target *t, const void *payload, size_t len, ra_target_stats *st, ra_err *err) {
    const char *argv[4] = {"FUNCTION", "RESTORE", payload, "REPLACE"};
    size_t lens[4] = {8, 7, len, 7};
    return queue(t, Q_FUNCTION, t->replace ? 4 : 3, argv, lens, st, err);
}
