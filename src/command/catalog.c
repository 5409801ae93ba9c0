/* catalog.c - backup records in the bucket: put, get, list, running check, orphan cleanup, sweep. */
#include "command/catalog.h"
#include "command/chain.h"
#include "command/retain.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX_BYTES (64 * 1024)
#define RUNNING_SKEW_SECONDS RA_CLOCK_SKEW_MAX_S /* margin on top of the learnt clock offset */
#define CLOCK_NOISE_S 2                /* a measured clock offset this close to the known one is noise */
#define ORPHANS_PER_RUN 8              /* uploads examined per cleanup: the next run goes on */
#define ORPHAN_MARGIN_S (15 * 60)      /* on top of the stale limit before another run's upload is aborted */

char *ra_catalog_dir(const ra_catalog *c) {
    char *dir = NULL;
    if (asprintf(&dir, "%s%s/", c->prefix ? c->prefix : "", c->instance) < 0) return NULL;
    return dir;
}

time_t ra_catalog_now(const ra_catalog *c, time_t local) {
    return local + (c->clock_known ? c->clock_offset : ra_s3_clock_offset(c->s3));
}

int ra_catalog_measure_clock(ra_catalog *c, const char *id, time_t before, time_t after, ra_err *err) {
    char *key = ra_record_json_key(c->prefix, c->instance, id);
    if (key == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_s3_head head;
    int rc = ra_s3_head_object(c->s3, key, &head, err);
    free(key);
    if (rc != 0) return -1;
    time_t written = head.last_modified;
    ra_s3_head_clear(&head);
    if (written <= 0) return 0;
    /* the store stamped the write between before and after (local clock); a second's resolution and
     * the request's time are noise: keep the s3 client's offset unless this one is clearly different */
    long offset = (long)written - (long)before / 2 - (long)after / 2;
    long known = ra_s3_clock_offset(c->s3);
    if (labs(offset - known) <= CLOCK_NOISE_S + (long)(after - before)) return 0;
    c->clock_known = 1;
    c->clock_offset = offset;
    ra_log_warn(c->log, "catalog.clock", "this host's clock differs from the store's by %ld s; record times and "
                                         "ages use the store's", offset);
    return 0;
}

int ra_catalog_put_json(const ra_catalog *c, const char *id, const char *json, ra_err *err) {
    char *key = ra_record_json_key(c->prefix, c->instance, id);
    int rc = -1;
    if (key == NULL || json == NULL)
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else
        rc = ra_s3_put_object(c->s3, key, json, strlen(json), "application/json", NULL, 0, err);
    free(key);
    return rc;
}

int ra_catalog_put(const ra_catalog *c, const ra_record *r, ra_err *err) {
    char *text = ra_record_to_json(r);
    int rc = ra_catalog_put_json(c, r->id, text, err);
    free(text);
    return rc;
}

/* "<what>" of this process's boot and PID namespace, or NULL. */
static char *boot_id(void) {
    char buf[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f == NULL) return NULL;
    int ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return ok && buf[0] ? strdup(buf) : NULL;
}

static char *pid_ns(void) {
    char buf[64];
    ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    return strdup(buf);
}

void ra_catalog_stamp_owner(ra_record *r) {
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    free(r->host);
    free(r->boot_id);
    free(r->pid_ns);
    r->host = strdup(host);
    r->pid = (long)getpid();
    r->boot_id = boot_id();
    r->pid_ns = pid_ns();
}

/* Did the process that wrote a running record die? Only when it ran on this very kernel boot and in
 * this PID namespace can the kernel tell (a run that could not write its final record because the
 * store went away); a host name says nothing (containers share it, hosts may too). Elsewhere only the
 * heartbeat tells. */
int ra_catalog_owner_gone(const ra_record *r) {
    if (r->pid <= 0 || r->boot_id == NULL || r->pid_ns == NULL || (pid_t)r->pid == getpid()) return 0;
    char *boot = boot_id(), *ns = pid_ns();
    int same = boot && ns && strcmp(boot, r->boot_id) == 0 && strcmp(ns, r->pid_ns) == 0;
    free(boot);
    free(ns);
    return same && kill((pid_t)r->pid, 0) != 0 && errno == ESRCH;
}

/* Seconds since the record's last heartbeat, by the store's clock (store_now). */
static long beat_age(const ra_record *r, time_t store_now) {
    return (long)(store_now - r->heartbeat);
}

/* A running record nobody updates any more belongs to a process that died. Its last write is when the
 * store last modified it (written, the store's clock, when the listing said) or else its heartbeat. */
static void mark_stale(ra_record *r, time_t store_now, time_t written) {
    if (r->state != RA_STATE_RUNNING || r->heartbeat == 0) return;
    int gone = ra_catalog_owner_gone(r);
    time_t last = written > 0 ? written : r->heartbeat;
    if (!gone && store_now - last <= RA_STALE_AFTER_S) return;
    char when[32];
    ra_time_iso(last, when);
    r->state = RA_STATE_FAILED;
    free(r->error);
    int n = gone ? asprintf(&r->error, "the archiver (pid %ld on %s) stopped without finishing (last heartbeat %s)",
                            r->pid, r->host ? r->host : "?", when)
                 : asprintf(&r->error, "the archiver stopped without finishing (last heartbeat %s)", when);
    if (n < 0) r->error = NULL;
}

/* Read one record; judge a running one against store_now unless it is 0 (written: when the store last
 * wrote it, 0 if unknown). -1 with err when it could not
 * be read, -2 when it was read but is not a record (the caller may skip it). */
static int get_record(const ra_catalog *c, const char *id, time_t store_now, time_t written, ra_record *r,
                      ra_err *err) {
    if (!ra_record_id_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s' (ids look like 20261124T020512Z-3fa9)",
                          id, c->instance);
    char *key = ra_record_json_key(c->prefix, c->instance, id);
    if (key == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    char *text = NULL;
    size_t len = 0;
    int rc = ra_s3_get_object_small(c->s3, key, RECORD_MAX_BYTES, &text, &len, err);
    if (rc != 0) {
        if (err && err->code == RA_E_NOTFOUND)
            ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);
        free(key);
        return -1;
    }
    rc = ra_record_from_json(r, text, len, err);
    free(text);
    if (rc != 0) {
        ra_err_prefix(err, "s3 object '%s': ", key);
        rc = -2;
    } else if (strcmp(r->id, id) != 0) {
        ra_err_set(err, RA_E_STORE, "s3 object '%s': holds the record of backup %s", key, r->id);
        ra_record_clear(r);
        rc = -2;
    } else if (store_now != 0) {
        mark_stale(r, store_now, written);
    }
    free(key);
    return rc;
}

int ra_catalog_get(const ra_catalog *c, const char *id, ra_record *r, ra_err *err) {
    return get_record(c, id, ra_catalog_now(c, time(NULL)), 0, r, err) == 0 ? 0 : -1;
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
    time_t *written;       /* LastModified of each */
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
        if (ids != NULL) st->ids = ids;
        time_t *written = ids ? realloc(st->written, cap * sizeof(*written)) : NULL;
        if (written == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        st->written = written;
        st->cap = cap;
    }
    if ((st->ids[st->n] = strdup(id)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    st->written[st->n] = obj->last_modified;
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
    int rc = ra_s3_list_top(c->s3, dir, collect_id, st, err) /* not through archives' segments */;
    free(dir);
    ra_record *recs = NULL;
    size_t got = 0;
    if (rc == 0 && st->n > 0) {
        recs = calloc(st->n, sizeof(*recs));
        if (recs == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < st->n; i++) {
        ra_err one = {0};
        int g = get_record(c, st->ids[i], ra_catalog_now(c, now), st->written[i], &recs[got], &one);
        if (g == 0) {
            got++;
        } else if (g == -2) {
            /* one bad object must not block backup, list or schedule */
            ra_log_warn(c->log, "catalog.record", "skipping an unreadable record: %s", one.msg);
        } else if (one.code == RA_E_NOTFOUND) {
            continue; /* deleted between list and get (lifecycle or a sweep) */
        } else {
            if (err) *err = one;
            rc = -1;
        }
    }
    for (size_t i = 0; i < st->n; i++) free(st->ids[i]);
    free(st->ids);
    free(st->written);
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
     * it, with a margin for what the learnt offset misses. */
    time_t store_now = ra_catalog_now(c, now);
    list_state st = {.c = c, .since = store_now - RA_STALE_AFTER_S - RUNNING_SKEW_SECONDS,
                     .except_id = except_id};
    if (list_records(&st, now, &recs, &n, err) != 0) return -1;
    /* a run that wrote a heartbeat since its start has passed its own checks: it comes first; else
     * the one that started first (newest first: the last running one) */
    ssize_t first = -1;
    int beaten = 0;
    for (size_t i = 0; i < n && !beaten; i++) {
        if (recs[i].state != RA_STATE_RUNNING) continue;
        first = (ssize_t)i;
        beaten = recs[i].heartbeat > recs[i].started;
    }
    if (first >= 0 && who) {
        *who = recs[first];
        memset(&recs[first], 0, sizeof(recs[first]));
    }
    ra_catalog_records_free(recs, n);
    return first >= 0;
}

typedef struct orphan_state {
    const ra_catalog *c;
    time_t store_now;
    const char *except_key;
    int aborted;
    int examined;
    int failed;
    ra_err first;
} orphan_state;

/* May the upload of backup `id` be aborted? Only when its run is over for sure: its record says it
 * ended, or its process is gone (same boot and PID namespace), or its heartbeat is older than the
 * stale limit plus a wide margin by the store's clock. No record at all: the record is written before
 * the upload starts, so it was deleted, and the upload is nobody's. Unsure (the record unreadable,
 * the store failing): no. */
static int run_over(const orphan_state *st, const char *id) {
    ra_record r;
    ra_err gerr = {0};
    int g = get_record(st->c, id, 0, 0, &r, &gerr);
    if (g != 0) return g == -1 && gerr.code == RA_E_NOTFOUND;
    int over = r.state != RA_STATE_RUNNING || ra_catalog_owner_gone(&r) ||
               (r.heartbeat > 0 && beat_age(&r, st->store_now) > RA_STALE_AFTER_S + ORPHAN_MARGIN_S);
    ra_record_clear(&r);
    return over;
}

static int abort_orphan(void *ctx, const ra_s3_upload_ref *up, ra_err *err) {
    orphan_state *st = ctx;
    if (st->except_key && strcmp(up->key, st->except_key) == 0) return 0;
    /* bounded: a backup runs this while the replica forks and nobody reads its socket */
    if (st->examined >= ORPHANS_PER_RUN) return ra_err_set(err, RA_E_BUSY, "enough for this run");
    st->examined++;
    char id[RA_ID_MAX];
    if (!(key_id(up->key, ".rdb", id) || key_id(up->key, ".rdb.zst", id) || key_id(up->key, ".rdb.age", id) ||
          key_id(up->key, ".rdb.zst.age", id) || shard_key_id(up->key, id)) ||
        !run_over(st, id))
        return 0;
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
    orphan_state st = {.c = c, .store_now = ra_catalog_now(c, now), .except_key = except_key};
    ra_err lerr = {0};
    int rc = ra_s3_list_uploads(c->s3, dir, abort_orphan, &st, &lerr);
    free(dir);
    if (rc != 0 && !(lerr.code == RA_E_BUSY && st.examined >= ORPHANS_PER_RUN)) {
        if (err) *err = lerr;
        return -1;
    }
    if (st.failed) {
        if (err) *err = st.first;
        return -1;
    }
    return st.aborted;
}

int ra_catalog_sweep(const ra_catalog *c, int days, time_t now, int dry_run, ra_err *err) {
    return ra_catalog_sweep_before(c, days, now, 0, dry_run, err);
}

/* A base backup and its archive are one chain, judged by its newest segment: a chain written since the
 * cutoff (still being written, or recently) is kept whatever its base's age. */
static void keep_written_chain(const ra_catalog *c, const ra_record *r, time_t cutoff, ra_retain *verdict) {
    if (*verdict != RA_RETAIN_EXPIRE) return;
    long long newest = ra_chain_newest(c, r->id);
    if (newest <= 0 || newest < (long long)cutoff) return;
    *verdict = RA_RETAIN_YOUNG;
    ra_log_info(c->log, "retention.keep", "keeping backup %s: the base of a point-in-time archive written %lld s ago",
                r->id, (long long)time(NULL) - newest);
}

int ra_catalog_sweep_before(const ra_catalog *c, int days, time_t now, time_t keep_from, int dry_run,
                            ra_err *err) {
    /* Ages are judged by the store's clock; a host clock far from it is a sign that something else is
     * wrong too (and the offset is only as good as what the s3 client could measure): delete nothing. */
    long skew = ra_s3_clock_offset(c->s3);
    if (skew > RA_CLOCK_SKEW_MAX_S || skew < -RA_CLOCK_SKEW_MAX_S)
        return ra_err_set(err, RA_E_STORE,
                          "this host's clock differs from the store's by %ld s (more than %d): not deleting "
                          "backups by age until the clock is set right (NTP)",
                          skew, RA_CLOCK_SKEW_MAX_S);
    time_t store_now = ra_catalog_now(c, now);
    ra_record *recs;
    size_t n;
    if (ra_catalog_list(c, now, &recs, &n, err) != 0) return -1;
    time_t cutoff = store_now - (time_t)days * 86400;
    if (keep_from > 0 && keep_from < cutoff) cutoff = keep_from;
    size_t cap = 2 * n + 1; /* ra_retain_unit_keys: a record and every shard's object (or its one object) */
    for (size_t i = 0; i < n; i++) cap += (size_t)recs[i].nshards;
    const char **keys = calloc(cap, sizeof(*keys));
    char **owned = calloc(cap, sizeof(*owned));
    size_t nkeys = 0;
    int count = 0, rc = 0;
    if (keys == NULL || owned == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_retain *verdict = calloc(n + 1, sizeof(*verdict));
    if (verdict == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else ra_retain_decide(recs, n, cutoff, c->keep_last, verdict);
    for (size_t i = 0; rc == 0 && i < n; i++) keep_written_chain(c, &recs[i], cutoff, &verdict[i]);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (verdict[i] != RA_RETAIN_EXPIRE) {
            if (recs[i].started && recs[i].started < cutoff)
                ra_log_info(c->log, "retention.keep", "keeping backup %s: %s", recs[i].id, ra_retain_reason(verdict[i]));
            continue;
        }
        count++;
        ra_log_info(c->log, "retention.sweep", "%s backup %s (started %ld days ago)",
                    dry_run ? "would delete" : "deleting", recs[i].id,
                    (long)((store_now - recs[i].started) / 86400));
        if (dry_run) continue;
        char **unit; /* the backup as one unit: every shard's object (or its one object), its record last */
        size_t nu;
        if (ra_retain_unit_keys(c->prefix, c->instance, &recs[i], &unit, &nu) != 0) {
            rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
            break;
        }
        for (size_t k = 0; k < nu; k++, nkeys++) keys[nkeys] = owned[nkeys] = unit[k];
        free(unit); /* its keys are owned[] now */
    }
    for (size_t i = 0; rc == 0 && !dry_run && i < n; i++) { /* a base backup's archive goes first, with it */
        ra_err aerr = {0};
        if (verdict[i] == RA_RETAIN_EXPIRE && ra_chain_delete_segments(c, recs[i].id, &aerr) < 0)
            ra_log_warn(c->log, "retention.sweep", "could not delete the archive of backup %s: %s", recs[i].id, aerr.msg);
    }
    if (rc == 0 && nkeys > 0) rc = ra_s3_delete_objects(c->s3, keys, nkeys, err);
    for (size_t i = 0; owned && i < nkeys; i++) free(owned[i]);
    free(owned);
    free(keys);
    free(verdict);
    ra_catalog_records_free(recs, n);
    return rc == 0 ? count : -1;
}
