/* sentinel.c - Sentinel discovery (AUTH, SENTINEL REPLICAS over resp) and ranking. */
#include "source/sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int starts_with_ci(const char *s, const char *prefix) {
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether the comma-separated list has exactly this token. */
static int has_flag(const char *flags, const char *flag) {
    size_t fl = strlen(flag);
    for (const char *p = flags; *p;) {
        size_t n = strcspn(p, ",");
        if (n == fl && strncmp(p, flag, n) == 0) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static const char *sentinel_reject(const ra_sentinel_replica *e) {
    if (e->ip[0] == '\0' || e->port <= 0 || e->port > 65535) return "no ip or port";
    if (has_flag(e->flags, "o_down")) return "objectively down (o_down)";
    if (has_flag(e->flags, "s_down")) return "subjectively down (s_down)";
    if (has_flag(e->flags, "disconnected")) return "disconnected from the sentinel";
    if (strcmp(e->link, "ok") != 0) return "its link to the master is down";
    return NULL;
}

int ra_sentinel_parse_replicas(const ra_resp_reply *reply, ra_sentinel_replica *out, int cap, ra_err *err) {
    if (reply == NULL || reply->type != RA_RESP_ARRAY)
        return ra_err_set(err, RA_E_SOURCE, "the reply to 'sentinel replicas' is not an array");
    int n = 0;
    for (size_t i = 0; i < reply->elements && n < cap; i++) {
        const ra_resp_reply *e = reply->element[i];
        if (e->type != RA_RESP_ARRAY || e->elements % 2 != 0)
            return ra_err_set(err, RA_E_SOURCE,
                              "entry %zu of the reply to 'sentinel replicas' is not a field/value array", i);
        ra_sentinel_replica v = {.offset = -1};
        for (size_t j = 0; j + 1 < e->elements; j += 2) {
            const ra_resp_reply *k = e->element[j], *val = e->element[j + 1];
            if (k->type != RA_RESP_STRING) continue;
            /* RESP2 gives every value as a string; an integer is accepted too */
            char num[32];
            const char *sv = NULL;
            if (val->type == RA_RESP_STRING || val->type == RA_RESP_STATUS) sv = val->str;
            else if (val->type == RA_RESP_INTEGER) {
                snprintf(num, sizeof(num), "%lld", val->integer);
                sv = num;
            }
            if (sv == NULL) continue;
            if (strcmp(k->str, "ip") == 0) ra_resp_printable(v.ip, sizeof(v.ip), sv, strlen(sv));
            else if (strcmp(k->str, "port") == 0) v.port = atoi(sv);
            else if (strcmp(k->str, "flags") == 0) ra_resp_printable(v.flags, sizeof(v.flags), sv, strlen(sv));
            else if (strcmp(k->str, "master-link-status") == 0) ra_resp_printable(v.link, sizeof(v.link), sv, strlen(sv));
            else if (strcmp(k->str, "slave-repl-offset") == 0) v.offset = strtoll(sv, NULL, 10);
        }
        v.reject = sentinel_reject(&v);
        out[n++] = v;
    }
    return n;
}

int ra_sentinel_rank(const ra_sentinel_replica *v, int n, int *order) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].reject != NULL) continue;
        int j = m++;
        /* insertion sort, stable: equal offsets keep the sentinel's order */
        while (j > 0 && v[order[j - 1]].offset < v[i].offset) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return m;
}

/* AUTH at the sentinel with the data nodes' credentials. A sentinel without a password (or
 * without that user) refuses them: go on unauthenticated, and if it then demands a password,
 * say so with the refusal. */
static int sentinel_auth(const ra_sentinel_query *q, ra_resp *p, const char *where, char *refused, size_t cap,
                         ra_err *err) {
    refused[0] = '\0';
    if (q->password == NULL) return 0;
    const char *argv[3] = {"AUTH", q->user != NULL ? q->user : q->password, q->password};
    ra_resp_reply *rep = ra_resp_command(p, "auth", q->user != NULL ? 3 : 2, argv, q->read_timeout_ms, err);
    if (rep == NULL) return ra_err_prefix(err, "%s: ", where);
    if (rep->type == RA_RESP_ERROR) {
        snprintf(refused, cap, "%s", rep->str); /* printable server text; it never echoes the password */
        ra_log_debug(q->log, "source.sentinel_auth", "%s refused auth for user '%s' (%s); going on "
                     "without", where, q->user != NULL ? q->user : "default", rep->str);
    }
    ra_resp_reply_free(rep);
    return 0;
}

/* SENTINEL REPLICAS <name>, SENTINEL SLAVES on sentinels older than Redis 5. */
static ra_resp_reply *sentinel_replicas(const ra_sentinel_query *q, ra_resp *p, const char *where,
                                        const char *auth_refused, ra_err *err) {
    const char *argv[3] = {"SENTINEL", "REPLICAS", q->master};
    for (int attempt = 0; attempt < 2; attempt++) {
        ra_resp_reply *rep = ra_resp_command(p, attempt ? "sentinel slaves" : "sentinel replicas", 3, argv,
                                             q->read_timeout_ms, err);
        if (rep == NULL) {
            ra_err_prefix(err, "%s: ", where);
            return NULL;
        }
        if (rep->type != RA_RESP_ERROR) return rep;
        char e[256];
        snprintf(e, sizeof(e), "%s", rep->str);
        ra_resp_reply_free(rep);
        if (attempt == 0 && starts_with_ci(e, "ERR") && strcasestr(e, "unknown")) {
            argv[1] = "SLAVES";
            continue;
        }
        if (starts_with_ci(e, "NOAUTH"))
            ra_err_set(err, RA_E_SOURCE, "%s requires authentication (%s)%s%s: the sentinel gets the "
                       "same credentials as the data nodes", where, e,
                       auth_refused[0] ? " and refused ours: " : "; put the password in the source URL "
                       "or in REDISCLI_AUTH", auth_refused);
        else if (strcasestr(e, "no such master"))
            ra_err_set(err, RA_E_SOURCE, "%s does not monitor a master of that name (%s); check "
                       "sentinel-master against 'SENTINEL MASTERS'", where, e);
        else if (starts_with_ci(e, "NOPERM"))
            ra_err_set(err, RA_E_SOURCE, "user '%s' may not run 'sentinel replicas' at %s (%s)",
                       q->user != NULL ? q->user : "default", where, e);
        else
            ra_err_set(err, RA_E_SOURCE, "%s: 'sentinel replicas' failed: %s", where, e);
        return NULL;
    }
    return NULL;
}

/* Ask one sentinel; -1 with err set. */
static int ask_sentinel(const ra_sentinel_query *q, const ra_host_port *s, ra_sentinel_replica *out, int cap,
                        char *where, size_t where_cap, int *answered, ra_err *err) {
    snprintf(where, where_cap, "sentinel '%s:%d' (master '%s')", s->host, s->port, q->master);
    ra_conn_opts co = *q->conn;
    co.host = s->host;
    co.port = s->port;
    *answered = 0;
    ra_conn *c = ra_conn_open(&co, q->log, err);
    if (c == NULL) return ra_err_prefix(err, "%s: ", where);
    ra_resp *p = ra_resp_new(c);
    char auth_refused[256];
    ra_resp_reply *rep = NULL;
    int n = -1;
    if (p == NULL) ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else if (sentinel_auth(q, p, where, auth_refused, sizeof(auth_refused), err) == 0)
        rep = sentinel_replicas(q, p, where, auth_refused, err);
    *answered = rep != NULL;
    if (rep != NULL && (n = ra_sentinel_parse_replicas(rep, out, cap, err)) < 0) ra_err_prefix(err, "%s: ", where);
    ra_resp_reply_free(rep);
    ra_resp_free(p);
    ra_conn_close(c);
    return n;
}

int ra_sentinel_discover(const ra_sentinel_query *q, ra_sentinel_replica *out, int cap, char *where,
                         size_t where_cap, ra_err *err) {
    char tried[2048] = "";
    /* the first sentinel that answers decides; one that is down or misconfigured is passed over */
    for (int i = 0; i < q->nsentinels; i++) {
        int answered;
        int n = ask_sentinel(q, &q->sentinels[i], out, cap, where, where_cap, &answered, err);
        if (n >= 0 || answered || q->nsentinels == 1) return n; /* a malformed answer decides too */
        if (err != NULL && err->code == RA_E_CANCELLED) return -1;
        const char *msg = err ? err->msg : "failed";
        ra_log_warn(q->log, "source.sentinel_next", "%s%s", msg,
                    i + 1 < q->nsentinels ? "; asking the next sentinel" : "");
        size_t len = strlen(tried);
        snprintf(tried + len, sizeof(tried) - len, "%s%s", len ? "; " : "", msg);
    }
    return ra_err_set(err, RA_E_SOURCE, "none of the %d sentinels answered for master '%s': %s", q->nsentinels,
                      q->master, tried);
}
