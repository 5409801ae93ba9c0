/* catalog.c - backup records in the bucket: put, get, list, running check, orphan cleanup, sweep. */
#include "command/catalog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX_BYTES (64 * 1024)
#define RUNNING_SKEW_SECONDS (15 * 60) /* margin on top of the measured clock offset */
#define ORPHANS_PER_RUN 8              /* uploads examined per cleanup: the next run goes on */

char *ra_catalog_dir(const ra_catalog *c) {
    char *dir = NULL;
    if (asprintf(&dir, "%s%s/", c->prefix ? c->prefix : "", c->instance) < 0) return NULL;
    return dir;
}

int ra_catalog_put(const ra_catalog *c, const ra_record *r, ra_err *err) {
    char *key = ra_record_json_key(c->prefix, c->instance, r->id);
    char *text = ra_record_to_json(r);
    int rc = -1;
    if (key == NULL || text == NULL)
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else
        rc = ra_s3_put_object(c->s3, key, text, strlen(text), "application/json", NULL, 0, err);
    free(key);
    free(text);
    return rc;
}

/* Did the process that wrote a running record die? On this host we can ask the kernel (a run that
 * could not write its final record because the store went away); elsewhere only the heartbeat tells. */
static int owner_gone(const ra_record *r) {
    char host[256] = "";
    if (r->host == NULL || r->pid <= 0 || (pid_t)r->pid == getpid()) return 0;
    if (gethostname(host, sizeof(host) - 1) != 0 || strcmp(host, r->host) != 0) return 0;
    return kill((pid_t)r->pid, 0) != 0 && errno == ESRCH;
}

/* A running record nobody updates any more belongs to a process that died. */
static void mark_stale(ra_record *r, time_t now) {
    if (r->state != RA_STATE_RUNNING || r->heartbeat == 0) return;
    int gone = owner_gone(r);
    if (!gone && now - r->heartbeat <= RA_HEARTBEAT_STALE_SECONDS) return;
    char when[32];
    ra_time_iso(r->heartbeat, when);
    r->state = RA_STATE_FAILED;
    free(r->error);
    int n = gone ? asprintf(&r->error, "the archiver (pid %ld on %s) stopped without finishing (last heartbeat %s)",
                            r->pid, r->host, when)
                 : asprintf(&r->error, "the archiver stopped without finishing (last heartbeat %s)", when);
    if (n < 0) r->error = NULL;
}

/* Read one record and judge a running one against `now`. */
static int get_record(const ra_catalog *c, const char *id, time_t now, ra_record *r, ra_err *err) {
    if (!ra_record_id_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s' (ids look like 20261124T020512Z-3fa9)",
                          id, c->instance);
    char *key = ra_record_json_key(c->prefix, c->instance, id);
    if (key == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    char *text = NULL;
    size_t len = 0;
    int rc = ra_s3_get_object_small(c->s3, key, RECORD_MAX_BYTES, &text, &len, err);
    free(key);
    if (rc != 0) {
        if (err && err->code == RA_E_NOTFOUND)
            ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);
        return -1;
    }
    rc = ra_record_from_json(r, text, len, err);
    free(text);
    if (rc == 0) mark_stale(r, now);
    return rc;
}

int ra_catalog_get(const ra_catalog *c, const char *id, ra_record *r, ra_err *err) {
    return get_record(c, id, time(NULL), r, err);
}

/* Is key "<...>/<id><ext>" with a valid backup id? Then 1 and id filled. */
static int key_id(const char *key, const char *ext, char id[RA_ID_MAX]) {
    const char *base = strrchr(key, '/');
    base = base ? base + 1 : key;
    size_t len = strlen(base), elen = strlen(ext);
    if (len <= elen || len - elen >= RA_ID_MAX || strcmp(base + len - elen, ext) != 0) return 0;
    memcpy(id, base, len - elen);
    id[len - elen] = '\0';
    return ra_record_id_valid(id);
}

/* Is key "<...>/<id>/shard-<n>.<format>" (a cluster backup's shard)? Then 1 and id filled. */
static int shard_key_id(const char *key, char id[RA_ID_MAX]) {
    const char *base = strrchr(key, '/');
    if (base == NULL || strncmp(base + 1, "shard-", 6) != 0) return 0;
    const char *start = base;
    while (start > key && start[-1] != '/') start--;
    size_t len = (size_t)(base - start);
    if (len == 0 || len >= RA_ID_MAX) return 0;
    memcpy(id, start, len);
    id[len] = '\0';
    return ra_record_id_valid(id);
}

typedef struct list_state {
    const ra_catalog *c;
    time_t since;          /* records last written before this are skipped (0: none) */
    const char *except_id; /* and this one */
    char **ids;
    size_t n, cap;
} list_state;

static int collect_id(void *ctx, const ra_s3_object *obj, ra_err *err) {
    list_state *st = ctx;
    char id[RA_ID_MAX];
    if (!key_id(obj->key, ".json", id)) return 0;
    if (st->since > 0 && obj->last_modified > 0 && obj->last_modified < st->since) return 0;
    if (st->except_id && strcmp(id, st->except_id) == 0) return 0;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        char **ids = realloc(st->ids, cap * sizeof(*ids));
        if (ids == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        st->ids = ids;
        st->cap = cap;
    }
    if ((st->ids[st->n] = strdup(id)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    st->n++;
    return 0;
}

static int newest_first(const void *a, const void *b) {
    return -strcmp(((const ra_record *)a)->id, ((const ra_record *)b)->id);
}

/* List the records and read those that pass st's filters (one GET each). */
static int list_records(list_state *st, time_t now, ra_record **records, size_t *n, ra_err *err) {
    const ra_catalog *c = st->c;
    *records = NULL;
    *n = 0;
    char *dir = ra_catalog_dir(c);
    if (dir == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int rc = ra_s3_list(c->s3, dir, collect_id, st, err);
    free(dir);
    ra_record *recs = NULL;
    size_t got = 0;
    if (rc == 0 && st->n > 0) {
        recs = calloc(st->n, sizeof(*recs));
        if (recs == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < st->n; i++) {
        ra_err one = {0};
        if (get_record(c, st->ids[i], now, &recs[got], &one) == 0) {
            got++;
        } else if (one.code == RA_E_NOTFOUND) {
            continue; /* deleted between list and get (lifecycle or a sweep) */
        } else {
            if (err) *err = one;
            rc = -1;
        }
    }
    for (size_t i = 0; i < st->n; i++) free(st->ids[i]);
    free(st->ids);
    if (rc != 0) {
        ra_catalog_records_free(recs, got);
        return -1;
    }
    if (got > 1) qsort(recs, got, sizeof(*recs), newest_first);
    *records = recs;
    *n = got;
    return 0;
}

int ra_catalog_list(const ra_catalog *c, time_t now, ra_record **records, size_t *n, ra_err *err) {
    list_state st = {.c = c};
    return list_records(&st, now, records, n, err);
}

void ra_catalog_records_free(ra_record *records, size_t n) {
    for (size_t i = 0; records && i < n; i++) ra_record_clear(&records[i]);
    free(records);
}

int ra_catalog_find_running(const ra_catalog *c, time_t now, const char *except_id, ra_record *who,
                            ra_err *err) {
    ra_record *recs;
    size_t n;
    /* A running record is rewritten at every heartbeat, so one the store last wrote long ago is
     * finished or stale: only recent ones are read. LastModified is the store's clock: compare in
     * it (the offset learnt from its Date header), with a margin for what the offset misses. */
    time_t store_now = now + ra_s3_clock_offset(c->s3);
    list_state st = {.c = c, .since = store_now - RA_HEARTBEAT_STALE_SECONDS - RUNNING_SKEW_SECONDS,
                     .except_id = except_id};
    if (list_records(&st, now, &recs, &n, err) != 0) return -1;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        if (recs[i].state != RA_STATE_RUNNING) continue;
        found = 1;
        if (who) {
            *who = recs[i];
            memset(&recs[i], 0, sizeof(recs[i]));
        }
    }
    ra_catalog_records_free(recs, n);
    return found;
}

typedef struct orphan_state {
    const ra_catalog *c;
    time_t now;
    const char *except_key;
    int aborted;
    int examined;
    int failed;
    ra_err first;
} orphan_state;

static int abort_orphan(void *ctx, const ra_s3_upload_ref *up, ra_err *err) {
    (void)err;
    orphan_state *st = ctx;
    if (st->except_key && strcmp(up->key, st->except_key) == 0) return 0;
    /* bounded: a backup runs this while the replica forks and nobody reads its socket */
    if (++st->examined > ORPHANS_PER_RUN) return 0;
    /* An upload whose backup is still running (fresh heartbeat) belongs to another live process. */
    char id[RA_ID_MAX];
    if (key_id(up->key, ".rdb", id) || key_id(up->key, ".rdb.zst", id) || key_id(up->key, ".rdb.age", id) ||
        key_id(up->key, ".rdb.zst.age", id) || shard_key_id(up->key, id)) {
        ra_record r;
        ra_err gerr = {0};
        if (get_record(st->c, id, st->now, &r, &gerr) == 0) {
            int live = r.state == RA_STATE_RUNNING;
            ra_record_clear(&r);
            if (live) return 0;
        }
    }
    ra_err aerr = {0};
    if (ra_s3_abort_upload(st->c->s3, up->key, up->upload_id, &aerr) == 0) {
        st->aborted++;
        ra_log_info(st->c->log, "catalog.orphan", "aborted an unfinished upload of '%s' left by an earlier run",
                    up->key);
    } else if (!st->failed) {
        st->failed = 1;
        st->first = aerr;
    }
    return 0;
}

int ra_catalog_abort_orphans(const ra_catalog *c, time_t now, const char *except_key, ra_err *err) {
    char *dir = ra_catalog_dir(c);
    if (dir == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    orphan_state st = {.c = c, .now = now, .except_key = except_key};
    int rc = ra_s3_list_uploads(c->s3, dir, abort_orphan, &st, err);
    free(dir);
    if (rc != 0) return -1;
    if (st.failed) {
        if (err) *err = st.first;
        return -1;
    }
    return st.aborted;
}

int ra_catalog_sweep(const ra_catalog *c, int days, time_t now, int dry_run, ra_err *err) {
    ra_record *recs;
    size_t n;
    if (ra_catalog_list(c, now, &recs, &n, err) != 0) return -1;
    time_t cutoff = now - (time_t)days * 86400;
    size_t cap = 2 * n + 1; /* a cluster backup is one unit: its record and every shard's object */
    for (size_t i = 0; i < n; i++) cap += (size_t)recs[i].nshards;
    const char **keys = calloc(cap, sizeof(*keys));
    char **owned = calloc(cap, sizeof(*owned));
    size_t nkeys = 0;
    int count = 0, rc = 0;
    if (keys == NULL || owned == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (recs[i].state == RA_STATE_RUNNING || recs[i].started == 0 || recs[i].started >= cutoff) continue;
        count++;
        ra_log_info(c->log, "retention.sweep", "%s backup %s (started %ld days ago)",
                    dry_run ? "would delete" : "deleting", recs[i].id, (long)((now - recs[i].started) / 86400));
        if (dry_run) continue;
        for (int s = 0; s < recs[i].nshards; s++) {
            owned[nkeys] = ra_record_shard_key(c->prefix, c->instance, recs[i].id, s, recs[i].format);
            if (owned[nkeys] != NULL) {
                keys[nkeys] = owned[nkeys];
                nkeys++;
            }
        }
        if (recs[i].nshards == 0) {
            owned[nkeys] = ra_record_object_key(c->prefix, c->instance, recs[i].id, recs[i].format);
            if (owned[nkeys] == NULL) owned[nkeys] = ra_record_rdb_key(c->prefix, c->instance, recs[i].id);
            keys[nkeys] = owned[nkeys];
            nkeys++;
        }
        owned[nkeys] = ra_record_json_key(c->prefix, c->instance, recs[i].id);
        keys[nkeys] = owned[nkeys];
        nkeys++;
    }
    if (rc == 0 && nkeys > 0) rc = ra_s3_delete_objects(c->s3, keys, nkeys, err);
    for (size_t i = 0; owned && i < nkeys; i++) free(owned[i]);
    free(owned);
    free(keys);
    ra_catalog_records_free(recs, n);
    return rc == 0 ? count : -1;
}
