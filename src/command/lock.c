/* lock.c - the instance's lock object: create-only PUT, takeover of a stale one on its ETag, renew and
 * release on the ETag, and the probe that tells whether the store honours the conditions at all. */
#include "command/lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACQUIRE_TRIES 4 /* a lock released or taken between our requests: look again this often */
#define LOCK_MAX_BYTES (64 * 1024)
#define PROBE_ETAG "\"redis-archiver-no-such-etag\""

struct ra_lock {
    const ra_catalog *c; /* borrowed */
    char *key;
    char *body;
    char *etag;          /* of our last write */
    char id[RA_ID_MAX];
    int honoured;
    int bare;            /* the store matches If-Match only on the bare ETag (RGW 16 compares it
                            with its stored, unquoted ETag) */
    int lost;            /* atomic */
};

char *ra_lock_key(const ra_catalog *c) {
    char *key = NULL;
    if (asprintf(&key, "%s%s/.lock", c->prefix ? c->prefix : "", c->instance) < 0) return NULL;
    return key;
}

void ra_lock_free(ra_lock *l) {
    if (l == NULL) return;
    free(l->key);
    free(l->body);
    free(l->etag);
    free(l);
}

static int put_once(ra_lock *l, ra_s3 *s3, int if_absent, const char *if_match, ra_err *err) {
    char *etag = NULL;
    ra_s3_put_opts o = {.content_type = "application/json", .if_absent = if_absent, .if_match = if_match,
                        .etag = &etag};
    int rc = ra_s3_put(s3, l->key, l->body, strlen(l->body), &o, err);
    if (rc == 0 && etag && *etag) {
        free(l->etag);
        l->etag = etag;
        etag = NULL;
    }
    free(etag);
    return rc;
}

/* A PUT, with If-Match on etag as received (quoted); when refused, once more on the bare ETag, which
 * some stores want, and that form from then on. Refused in both forms: the ETag is not the object's. */
static int put(ra_lock *l, ra_s3 *s3, int if_absent, const char *if_match, ra_err *err) {
    if (if_match == NULL) return put_once(l, s3, if_absent, NULL, err);
    size_t n = strlen(if_match);
    int quoted = n >= 2 && if_match[0] == '"' && if_match[n - 1] == '"';
    char bare[256];
    snprintf(bare, sizeof(bare), "%.*s", quoted ? (int)(n - 2) : (int)n, if_match + (quoted ? 1 : 0));
    int rc = put_once(l, s3, if_absent, l->bare && quoted ? bare : if_match, err);
    if (rc == RA_S3_PRECONDITION_FAILED && quoted && !l->bare) {
        rc = put_once(l, s3, if_absent, bare, err);
        if (rc == 0) l->bare = 1;
    }
    return rc;
}

/* Does the store honour If-None-Match and If-Match? Both probes rewrite our own body, so a store
 * that ignores them leaves the lock as it was. 1 yes, 0 no, -1 failed. */
static int probe(ra_lock *l, int created, ra_err *err) {
    ra_s3 *s3 = l->c->s3;
    ra_err perr = {0};
    int rc = created ? put(l, s3, 1, NULL, &perr) : RA_S3_PRECONDITION_FAILED;
    if (rc == RA_S3_PRECONDITION_FAILED) rc = put_once(l, s3, 0, PROBE_ETAG, &perr);
    if (rc == RA_S3_PRECONDITION_FAILED) return 1;
    if (rc == 0) return 0;
    if (err) *err = perr;
    return -1;
}

/* The holder's record from the lock's body (r zeroed when unreadable). */
static void read_holder(const ra_lock *l, ra_record *r) {
    memset(r, 0, sizeof(*r));
    char *text = NULL;
    size_t len = 0;
    ra_err gerr = {0};
    if (ra_s3_get_object_small(l->c->s3, l->key, LOCK_MAX_BYTES, &text, &len, &gerr) != 0) return;
    ra_err perr = {0};
    if (ra_record_from_json(r, text, len, &perr) != 0) memset(r, 0, sizeof(*r));
    free(text);
}

/* One look at a lock someone holds: 0 taken over, 1 look again (it changed meanwhile), -1 busy or
 * failed (err set). */
static int take_over(ra_lock *l, ra_err *err) {
    const ra_catalog *c = l->c;
    ra_s3_head head;
    ra_err herr = {0};
    if (ra_s3_head_object(c->s3, l->key, &head, &herr) != 0) {
        if (herr.code == RA_E_NOTFOUND) return 1; /* released meanwhile */
        if (err) *err = herr;
        return -1;
    }
    ra_record holder;
    read_holder(l, &holder);
    time_t store_now = ra_catalog_now(c, time(NULL));
    long age = head.last_modified > 0 ? (long)(store_now - head.last_modified) : 0;
    int gone = holder.id[0] && ra_catalog_owner_gone(&holder);
    int rc;
    char when[32];
    ra_time_iso(head.last_modified, when);
    if (age > RA_STALE_AFTER_S || gone) {
        rc = head.etag ? put(l, c->s3, 0, head.etag, err) : ra_err_set(err, RA_E_STORE, "s3 object '%s': no ETag",
                                                                       l->key);
        if (rc == 0)
            ra_log_info(c->log, "backup.lock", "took over the lock of instance '%s' from backup %s (%s, last renewed %s)",
                        c->instance, holder.id[0] ? holder.id : "?", gone ? "its process is gone" : "stale", when);
        else if (rc == RA_S3_PRECONDITION_FAILED)
            rc = 1;
        else
            rc = -1;
    } else {
        rc = ra_err_set(err, RA_E_BUSY,
                        "backup %s of instance '%s' is already running (pid %ld on %s; it holds s3 object '%s', "
                        "renewed %s)",
                        holder.id[0] ? holder.id : "?", c->instance, holder.pid, holder.host ? holder.host : "?",
                        l->key, when);
    }
    ra_record_clear(&holder);
    ra_s3_head_clear(&head);
    return rc;
}

ra_lock *ra_lock_acquire(const ra_catalog *c, const ra_record *owner, int *honoured, ra_err *err) {
    *honoured = 0;
    ra_lock *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->key = ra_lock_key(c)) == NULL || (l->body = ra_record_to_json(owner)) == NULL) {
        ra_lock_free(l);
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    l->c = c;
    snprintf(l->id, sizeof(l->id), "%s", owner->id);
    int created = -1, failed = 0;
    for (int i = 0; i < ACQUIRE_TRIES && created < 0 && !failed; i++) {
        int rc = put(l, c->s3, 1, NULL, err);
        if (rc == 0)
            created = 1;
        else if (rc != RA_S3_PRECONDITION_FAILED)
            failed = 1;
        else if ((rc = take_over(l, err)) == 0)
            created = 0;
        else if (rc < 0)
            failed = 1;
    }
    if (created < 0 && !failed)
        ra_err_set(err, RA_E_BUSY, "the lock of instance '%s' (s3 object '%s') changed hands %d times: try again",
                   c->instance, l->key, ACQUIRE_TRIES);
    int p = created >= 0 ? probe(l, created, err) : -1;
    if (p < 0) {
        ra_lock_free(l);
        return NULL;
    }
    l->honoured = p;
    *honoured = p;
    if (p)
        ra_log_info(c->log, "backup.lock", "holding the lock of instance '%s' (s3 object '%s', conditional writes)",
                    c->instance, l->key);
    else
        ra_log_warn(c->log, "backup.lock",
                    "the store ignores conditional writes (If-None-Match, If-Match): backups of instance '%s' are "
                    "kept apart by their records instead (the record protocol)", c->instance);
    return l;
}

int ra_lock_renew(ra_lock *l, ra_s3 *s3, ra_err *err) {
    if (!l->honoured) return 0;
    if (__atomic_load_n(&l->lost, __ATOMIC_RELAXED))
        return ra_err_set(err, RA_E_BUSY, "backup %s lost the lock of instance '%s'", l->id, l->c->instance);
    int rc = put(l, s3 ? s3 : l->c->s3, 0, l->etag, err);
    /* refused, or gone (deleted: then anyone may have created it since) */
    if (rc == RA_S3_PRECONDITION_FAILED || (rc < 0 && err && err->code == RA_E_NOTFOUND)) {
        __atomic_store_n(&l->lost, 1, __ATOMIC_RELAXED);
        return ra_err_set(err, RA_E_BUSY,
                          "backup %s lost the lock of instance '%s': s3 object '%s' was taken by another run or "
                          "deleted", l->id, l->c->instance, l->key);
    }
    return rc == 0 ? 0 : -1;
}

int ra_lock_lost(const ra_lock *l) {
    return l != NULL && __atomic_load_n(&l->lost, __ATOMIC_RELAXED);
}

void ra_lock_release(ra_lock *l) {
    if (l == NULL || ra_lock_lost(l)) return;
    const ra_catalog *c = l->c;
    ra_err err = {0};
    if (l->honoured) {
        ra_s3_head head;
        if (ra_s3_head_object(c->s3, l->key, &head, &err) != 0) {
            if (err.code != RA_E_NOTFOUND)
                ra_log_warn(c->log, "backup.lock", "could not release the lock '%s': %s", l->key, err.msg);
            return;
        }
        int ours = head.etag && l->etag && strcmp(head.etag, l->etag) == 0;
        ra_s3_head_clear(&head);
        if (!ours) {
            ra_log_warn(c->log, "backup.lock", "the lock '%s' is not this run's any more: left as it is", l->key);
            return;
        }
    }
    if (ra_s3_delete_object(c->s3, l->key, &err) != 0 && err.code != RA_E_NOTFOUND)
        ra_log_warn(c->log, "backup.lock", "could not release the lock '%s': %s", l->key, err.msg);
}
