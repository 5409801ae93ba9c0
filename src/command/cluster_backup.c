/* cluster_backup.c - every shard of a cluster at once into one backup, all or nothing.
 *
 * Threads: one per shard reads its node's socket into its own upload, through the structural reader
 * (rdbtee.h) as a standalone backup's stream, so each shard has its key counts. The caller's thread
 * waits for them and is the run's heartbeat: it renews the instance's lock (lock.h, one for the whole
 * cluster instance) and rewrites the record on opts->beat_s3, and reports progress. A lock renew that
 * is refused (another run took it) stops every shard and aborts every upload. */
#include "command/cluster_backup.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/lock.h"
#include "command/objsink.h"
#include "command/rdbtee.h"
#include "common/limits.h"
#include "common/random.h"
#include "common/text.h"
#include "common/version.h"
#include "source/clusterscan.h"
#include "source/net.h"

typedef struct run run;

typedef struct shard_job {
    run *run;
    int index;
    ra_record_shard *out;     /* the record's entry (written by this thread until it is done) */
    ra_replica_opts src;      /* the source options, pointed at this shard's node */
    char host[256];
    ra_objsink *obj;          /* the shard's object: seal and upload, as a standalone backup's */
    ra_replica_stream link;   /* archive: the shard's replication link after its RDB (conn NULL: none) */
    long long bytes;          /* atomic: RDB bytes accepted */
    long long expected;       /* -1 unknown */
    double started;           /* seconds after the run's t0 when the payload began, -1 not yet */
    int rc;
    ra_err err;
    pthread_t thread;
    int joined;
} shard_job;

struct run {
    const ra_backup_opts *opts;
    ra_catalog *cat;            /* opts->catalog with the measured clock offset */
    ra_catalog beat_cat;        /* the same on the heartbeat's own s3 client (opts->beat_s3) */
    ra_lock *lock;              /* the instance's lock, renewed at every heartbeat */
    volatile sig_atomic_t lost; /* a renew was refused: another run took the lock */
    ra_record *rec;
    long long part_size;
    int concurrency;
    volatile sig_atomic_t stop; /* a shard failed or the user cancelled: every shard stops */
    pthread_mutex_t store_lock; /* single S3 requests share one connection: one at a time */
    struct timespec t0;
    int done;                   /* atomic: shards finished (either way) */
    int synced;                 /* atomic (archive): shards whose RDB is in and whose link is taken */
    int nshards;
};

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void ra_cluster_backup_budget(long long part_size, int concurrency, int n, long long *shard_part,
                              int *shard_concurrency) {
    if (part_size <= 0) part_size = RA_PART_SIZE_DEFAULT;
    if (concurrency <= 0) concurrency = RA_CONCURRENCY_DEFAULT;
    if (n < 1) n = 1;
    int c = concurrency / n;
    if (c < 1) c = 1;
    long long budget = part_size * (concurrency + 1);
    long long p = budget / ((long long)n * (c + 1));
    p -= p % RA_MIB;
    if (p > part_size) p = part_size;
    if (p < RA_PART_SIZE_MIN) { /* the S3 minimum decides: fewer parts in flight instead */
        p = RA_PART_SIZE_MIN;
        c = (int)(budget / ((long long)n * p)) - 1;
        if (c < 1) c = 1;
    }
    *shard_part = p;
    *shard_concurrency = c;
}

/* ---- one shard's sink ---------------------------------------------------------------------------- */

static int shard_begin(void *ctx, const ra_stream_info *info, ra_err *err) {
    shard_job *j = ctx;
    run *r = j->run;
    ra_record *rec = r->rec;
    j->expected = info->length;
    j->started = since(&r->t0);
    pthread_mutex_lock(&r->store_lock); /* the heartbeat writes the record meanwhile */
    if (info->replid[0]) j->out->replid = strdup(info->replid);
    j->out->offset = info->offset;
    pthread_mutex_unlock(&r->store_lock);
    char started[32], offset[24], shard[16];
    ra_time_iso(rec->started, started);
    snprintf(offset, sizeof(offset), "%lld", info->offset);
    snprintf(shard, sizeof(shard), "%d", j->index);
    ra_kv meta[] = {
        {"backup-id", rec->id},
        {"type", rec->automatic ? "auto" : "manual"},
        {"started", started},
        {"shard", shard},
        {"slots", j->out->slots},
        {"source", j->out->node},
        {"redis-version", info->redis_version},
        {"replid", info->replid},
        {"repl-offset", offset},
        {"tool-version", RA_VERSION},
        {"format", rec->format ? rec->format : "rdb"},
        {"recipients", rec->recipients ? rec->recipients : ""},
    };
    ra_objsink_opts oo = {.s3 = r->opts->catalog->s3, .key = j->out->key, .part_size = r->part_size,
                          .concurrency = r->concurrency, .checksum = r->opts->checksum,
                          .growth = r->opts->growth, .seal = r->opts->seal, .cancel = &r->stop};
    pthread_mutex_lock(&r->store_lock); /* CreateMultipartUpload on the shared client */
    j->obj = ra_objsink_open(&oo, info->length, meta, sizeof(meta) / sizeof(meta[0]), err);
    pthread_mutex_unlock(&r->store_lock);
    if (j->obj == NULL) return -1;
    ra_log_info(r->opts->log, "backup.shard_stream", "shard %d (slots %s): streaming %s RDB from %s into '%s'",
                j->index, j->out->slots, info->diskless ? "diskless" : "disk-based", j->out->node, j->out->key);
    return 0;
}

static int shard_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    shard_job *j = ctx;
    if (ra_objsink_write(j->obj, data, len, err) != 0) return -1;
    __atomic_add_fetch(&j->bytes, (long long)len, __ATOMIC_RELAXED);
    return 0;
}

static int shard_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    shard_job *j = ctx;
    return ra_objsink_reserve(j->obj, room, avail, err);
}

static int shard_commit(void *ctx, size_t len, ra_err *err) {
    shard_job *j = ctx;
    if (ra_objsink_commit(j->obj, len, err) != 0) return -1;
    __atomic_add_fetch(&j->bytes, (long long)len, __ATOMIC_RELAXED);
    return 0;
}

/* ra_replica_stream_hold's end: every shard's RDB is in, or the run stops */
static int all_synced(void *ctx) {
    run *r = ctx;
    return r->stop || __atomic_load_n(&r->synced, __ATOMIC_ACQUIRE) >= r->nshards;
}

/* The thread of one shard: connect to its node, sync, verify; the upload is completed later, by
 * the run, once every shard got this far. For an archive its link is then kept alive (read, acknowledged)
 * until every shard's is taken. */
static void *shard_main(void *arg) {
    shard_job *j = arg;
    run *r = j->run;
    ra_replica_info info = {0};
    ra_replica *rep = ra_replica_connect(&j->src, &info, &j->err);
    j->rc = rep == NULL ? -1 : 0;
    if (j->rc == 0) {
        ra_sink sink = {.ctx = j, .begin = shard_begin, .write = shard_write,
                        .reserve = r->opts->seal ? NULL : shard_reserve, .commit = r->opts->seal ? NULL : shard_commit};
        long long bytes = 0;
        uint64_t crc = 0;
        ra_rdbtee tee; /* key counts for the shard's record entry, as backup.c's stream */
        j->rc = ra_rdbtee_init(&tee, &sink, r->opts->log, &j->err);
        if (j->rc == 0) j->rc = ra_replica_sync(rep, &tee.sink, &bytes, &crc, &j->err);
        if (j->rc == 0) {
            pthread_mutex_lock(&r->store_lock);
            ra_rdbtee_finish_keys(&tee, &j->out->keys);
            pthread_mutex_unlock(&r->store_lock);
        }
        ra_rdbtee_clear(&tee);
        if (j->rc == 0 && j->obj == NULL) j->rc = ra_err_set(&j->err, RA_E_SOURCE, "the node sent no RDB");
        if (j->rc == 0) j->rc = ra_objsink_end(j->obj, &j->err);
        if (j->rc == 0 && r->opts->keep != NULL) j->rc = ra_replica_take_stream(rep, &j->link, &j->err);
        if (j->rc == 0 && r->opts->keep != NULL) { /* the link waits for the other shards' RDBs: kept alive */
            __atomic_add_fetch(&r->synced, 1, __ATOMIC_RELEASE);
            long long held = ra_replica_stream_hold(&j->link, RA_HOLD_TAIL_MAX, all_synced, r);
            if (held > 0)
                ra_log_info(r->opts->log, "archive.hold", "shard %d: %lld bytes of its stream read while the other "
                            "shards' RDBs came in", j->index, held);
        }
        if (j->rc == 0) {
            pthread_mutex_lock(&r->store_lock);
            j->out->bytes = bytes;
            j->out->crc64 = crc;
            pthread_mutex_unlock(&r->store_lock);
        }
    }
    ra_replica_free(rep);
    if (j->rc != 0) {
        ra_err_prefix(&j->err, "shard %d (slots %s, %s): ", j->index, j->out->slots, j->out->node);
        r->stop = 1;
    }
    __atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* ---- the run ---------------------------------------------------------------------------------------- */

static void fill_shards(ra_record *rec, const ra_cluster_plan *plan, const ra_catalog *cat) {
    const ra_cluster_topology *t = plan->topo;
    rec->shards = calloc((size_t)t->nshards, sizeof(*rec->shards));
    if (rec->shards == NULL) return;
    rec->nshards = t->nshards;
    for (int s = 0; s < t->nshards; s++) {
        ra_record_shard *sh = &rec->shards[s];
        char slots[1024], addr[300];
        ra_cluster_ranges_format(t->shards[s].ranges, t->shards[s].nranges, slots, sizeof(slots));
        sh->slots = strdup(slots);
        sh->offset = -1;
        if (t->shards[s].master >= 0) {
            const ra_cluster_node *m = &t->nodes[t->shards[s].master];
            snprintf(addr, sizeof(addr), "%s:%d", m->ip, m->port);
            sh->master_id = strdup(m->id);
            sh->master = strdup(addr);
        }
        const ra_cluster_node *n = &t->nodes[plan->pick[s]];
        snprintf(addr, sizeof(addr), "%s:%d", n->ip, n->port);
        sh->node_id = strdup(n->id);
        sh->node = strdup(addr);
        sh->key = ra_record_shard_key(cat->prefix, cat->instance, rec->id, s, rec->format);
    }
}

/* The aggregate and each shard's bytes to opts->progress (a terminal's line, or log events). */
static void report(run *r, shard_job *jobs, int n, int final) {
    ra_progress_shard *sp = calloc((size_t)n, sizeof(*sp));
    if (sp == NULL) return;
    long long total = 0, expected = 0;
    for (int i = 0; i < n; i++) {
        long long b = __atomic_load_n(&jobs[i].bytes, __ATOMIC_RELAXED);
        total += b;
        if (expected >= 0) expected = jobs[i].expected >= 0 ? expected + jobs[i].expected : -1;
        sp[i] = (ra_progress_shard){.done = b, .expected = jobs[i].expected};
    }
    ra_backup_progress p = {.done = total, .expected = expected, .elapsed = since(&r->t0), .final = final,
                            .id = r->rec->id, .shards = sp, .nshards = n};
    r->opts->progress(r->opts->progress_ctx, &p);
    free(sp);
}

/* Sum the shards into the record and write it (the heartbeat other processes read). */
static int beat(run *r, shard_job *jobs, int n, ra_err *err) {
    ra_record *rec = r->rec;
    long long total = 0;
    pthread_mutex_lock(&r->store_lock);
    for (int i = 0; i < n; i++) { /* per-shard progress for status */
        rec->shards[i].bytes = __atomic_load_n(&jobs[i].bytes, __ATOMIC_RELAXED);
        total += rec->shards[i].bytes;
    }
    rec->bytes = total;
    double t = since(&r->t0);
    rec->rate = t > 0 ? (double)total / t : 0;
    rec->heartbeat = ra_catalog_now(r->cat, time(NULL));
    char *text = ra_record_to_json(rec);
    pthread_mutex_unlock(&r->store_lock);
    if (text == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int rc = ra_catalog_put_json(&r->beat_cat, rec->id, text, err);
    free(text);
    return rc;
}

/* Renew the lock; refused: every shard stops (the run fails with RA_E_BUSY). */
static void renew(run *r) {
    ra_err err = {0};
    if (ra_lock_renew(r->lock, r->beat_cat.s3, &err) == 0) return;
    if (ra_lock_lost(r->lock)) {
        ra_log_warn(r->opts->log, "backup.lock", "%s", err.msg);
        r->lost = 1;
        r->stop = 1;
        return;
    }
    ra_log_warn(r->opts->log, "backup.lock", "could not renew the lock: %s", err.msg);
}

/* Wait for every shard thread, keeping the record fresh and relaying a cancel. */
static void wait_shards(run *r, shard_job *jobs, int n) {
    double last_beat = since(&r->t0), last_draw = 0;
    while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) < n) {
        struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
        if (r->opts->cancel != NULL && *r->opts->cancel) r->stop = 1;
        double t = since(&r->t0);
        if (t - last_beat >= RA_HEARTBEAT_INTERVAL_S) {
            last_beat = t;
            if (!r->lost) renew(r);
            ra_err berr = {0};
            if (!r->lost && beat(r, jobs, n, &berr) != 0)
                ra_log_warn(r->opts->log, "backup.heartbeat", "could not update the task record: %s", berr.msg);
        }
        if (r->opts->progress && t - last_draw >= 0.25) {
            last_draw = t;
            report(r, jobs, n, 0);
        }
    }
    for (int i = 0; i < n; i++)
        if (!jobs[i].joined) {
            pthread_join(jobs[i].thread, NULL);
            jobs[i].joined = 1;
        }
}

/* Complete every upload (all verified), or abort them all; an object completed before a later
 * completion failed is deleted: no shard of a failed backup remains. */
static int settle(run *r, shard_job *jobs, int n, int ok, ra_err *err) {
    int rc = ok ? 0 : -1, completed = 0;
    for (int i = 0; ok && rc == 0 && i < n; i++) {
        rc = ra_objsink_complete(jobs[i].obj, err);
        if (rc != 0) ra_err_prefix(err, "shard %d (slots %s): ", i, jobs[i].out->slots);
        else completed = i + 1;
    }
    if (rc == 0) return 0;
    for (int i = 0; i < n; i++) {
        if (jobs[i].obj == NULL) continue;
        if (i < completed) {
            ra_err derr = {0};
            if (ra_s3_delete_object(r->opts->catalog->s3, jobs[i].out->key, &derr) != 0)
                ra_log_warn(r->opts->log, "backup.shard_delete", "could not delete shard %d's object '%s' of the "
                            "failed backup: %s", i, jobs[i].out->key, derr.msg);
        } else {
            ra_objsink_abort(jobs[i].obj);
        }
    }
    return -1;
}

/* The first failure that is not just the echo of another shard's (a cancel). */
static void first_error(shard_job *jobs, int n, ra_err *err) {
    int pick = -1;
    for (int i = 0; i < n; i++) {
        if (jobs[i].rc == 0) continue;
        if (pick < 0 || (jobs[pick].err.code == RA_E_CANCELLED && jobs[i].err.code != RA_E_CANCELLED)) pick = i;
    }
    if (pick >= 0) *err = jobs[pick].err;
}

/* Another backup of the instance to leave it to (as backup.c decides): any running one before ours is
 * written; after, one that already beat (it passed its checks) or started first. 1 (err set), 0, -1. */
static int check_busy(const ra_catalog *cat, const char *except, ra_err *err) {
    ra_record other;
    int busy = ra_catalog_find_running(cat, time(NULL), except, &other, err);
    if (busy <= 0) return busy;
    char beat_at[32];
    ra_time_iso(other.heartbeat, beat_at);
    int later = except == NULL || other.heartbeat > other.started || strcmp(other.id, except) < 0;
    if (later)
        ra_err_set(err, RA_E_BUSY, "backup %s of instance '%s' is already running (pid %ld on %s, heartbeat %s)",
                   other.id, cat->instance, other.pid, other.host ? other.host : "?", beat_at);
    ra_record_clear(&other);
    return later ? 1 : 0;
}

/* archive: every shard's replication link, with the node it came from, to the caller (the jobs keep none). */
static int hand_links(shard_job *jobs, int n, const ra_cluster_plan *plan, ra_backup_links *keep, ra_err *err) {
    keep->v = calloc((size_t)n, sizeof(*keep->v));
    if (keep->v == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        ra_backup_link *l = &keep->v[i];
        l->stream = jobs[i].link;
        memset(&jobs[i].link, 0, sizeof(jobs[i].link));
        ra_conn_set_cancel(l->stream.conn, NULL); /* it polled this run's stop flag, which ends with the run */
        snprintf(l->host, sizeof(l->host), "%s", jobs[i].src.node_host);
        l->port = jobs[i].src.node_port;
        l->allow_master = jobs[i].src.allow_master;
        const ra_cluster_shard *sh = &plan->topo->shards[i];
        memcpy(l->ranges, sh->ranges, (size_t)sh->nranges * sizeof(sh->ranges[0]));
        l->nranges = sh->nranges;
    }
    keep->n = n;
    return 0;
}

static int stream_all(run *r, const ra_cluster_plan *plan, ra_err *err) {
    const ra_backup_opts *opts = r->opts;
    ra_record *rec = r->rec;
    int n = rec->nshards;
    shard_job *jobs = calloc((size_t)n, sizeof(*jobs));
    if (jobs == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int started = 0, rc = 0;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    for (int i = 0; i < n; i++) {
        shard_job *j = &jobs[i];
        const ra_cluster_node *node = &plan->topo->nodes[plan->pick[i]];
        *j = (shard_job){.run = r, .index = i, .out = &rec->shards[i], .src = *opts->source, .expected = -1,
                         .started = -1};
        snprintf(j->host, sizeof(j->host), "%s", node->ip);
        j->src.node_host = j->host;
        j->src.node_port = node->port;
        j->src.allow_master = node->master;
        j->src.pick_replica = 0;
        j->src.sentinel_master = NULL;
        j->src.cancel = &r->stop;
        j->src.keep_stream = opts->keep != NULL;
        if (pthread_create(&j->thread, NULL, shard_main, j) != 0) {
            rc = ra_err_set(err, RA_E_INTERNAL, "could not start the thread of shard %d", i);
            r->stop = 1;
            break;
        }
        started++;
    }
    if (started < n) __atomic_add_fetch(&r->done, n - started, __ATOMIC_RELEASE);
    for (int i = started; i < n; i++) jobs[i].joined = 1;
    wait_shards(r, jobs, n);
    int ok = rc == 0;
    for (int i = 0; i < started; i++) ok = ok && jobs[i].rc == 0;
    if (rc == 0 && !ok) first_error(jobs, n, err);
    if (ok && opts->cancel != NULL && *opts->cancel) {
        ok = 0;
        ra_err_set(err, RA_E_CANCELLED, "cancelled");
    }
    if (ok && !r->lost) renew(r); /* before any shard completes: the lock is still this run's */
    if (r->lost || ra_lock_lost(r->lock)) { /* the last moment a lost lock can stop the objects */
        ok = 0;
        ra_err_set(err, RA_E_BUSY, "backup %s lost the lock of instance '%s' to another run: every shard's upload "
                   "aborted", rec->id, r->cat->instance);
    }
    if (opts->progress) report(r, jobs, n, 1);
    rc = settle(r, jobs, n, ok, err);
    if (rc == 0 && opts->keep != NULL) rc = hand_links(jobs, n, plan, opts->keep, err);
    for (int i = 0; i < n; i++) { /* links not handed over (a failed run) */
        ra_conn_close(jobs[i].link.conn);
        free(jobs[i].link.tail);
    }
    double first = -1, last = -1;
    for (int i = 0; i < n; i++) {
        shard_job *j = &jobs[i];
        j->out->stored = ra_objsink_stored(j->obj);
        if (j->started >= 0 && (first < 0 || j->started < first)) first = j->started;
        if (j->started > last) last = j->started;
        ra_objsink_free(j->obj);
    }
    for (int i = 0; i < n; i++) rec->shards[i].started = jobs[i].started >= 0 ? jobs[i].started - first : -1;
    rec->skew = first >= 0 ? last - first : 0;
    long long total = 0, stored = 0;
    for (int i = 0; i < n; i++) {
        total += __atomic_load_n(&jobs[i].bytes, __ATOMIC_RELAXED);
        stored += rec->shards[i].stored;
    }
    rec->bytes = total;
    rec->stored = rc == 0 ? stored : 0;
    if (rc == 0) { /* the backup's key counts: the sum of its shards' (unknown when one is) */
        ra_record_keys sum = {.known = 1};
        ra_err kerr = {0};
        for (int i = 0; i < n && sum.known; i++)
            if (ra_record_keys_add(&sum, &rec->shards[i].keys, &kerr) != 0) {
                free(sum.dbs);
                memset(&sum, 0, sizeof(sum));
            }
        free(rec->keys.dbs);
        rec->keys = sum;
    }
    double t = since(&r->t0);
    rec->rate = t > 0 ? (double)total / t : 0;
    free(jobs);
    return rc;
}

int ra_cluster_backup_run(const ra_backup_opts *opts, ra_record *rec, ra_err *err) {
    ra_catalog catalog = *opts->catalog, *cat = &catalog;
    memset(rec, 0, sizeof(*rec));
    ra_cluster_plan plan;
    if (ra_cluster_scan(opts->source, &plan, err) < 0) {
        ra_cluster_plan_clear(&plan);
        return -1;
    }
    if (check_busy(cat, NULL, err) != 0) {
        ra_cluster_plan_clear(&plan);
        return -1;
    }
    time_t now = ra_catalog_now(cat, time(NULL));
    rec->started = now;
    ra_record_make_id(rec->id, now, ra_random_u32());
    rec->instance = strdup(cat->instance);
    ra_record_set_seal(rec, opts->seal);
    rec->automatic = opts->automatic;
    rec->remark = opts->remark && *opts->remark ? strdup(opts->remark) : NULL;
    rec->state = RA_STATE_RUNNING;
    rec->offset = -1;
    rec->tool_version = strdup(RA_VERSION);
    ra_catalog_stamp_owner(rec);
    char source[320];
    snprintf(source, sizeof(source), "cluster %s", plan.seed);
    rec->source = strdup(source);
    rec->moving = plan.moving[0] ? strdup(plan.moving) : NULL;
    fill_shards(rec, &plan, cat);
    if (rec->nshards == 0 || rec->shards[0].key == NULL) {
        ra_cluster_plan_clear(&plan);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    rec->key = strdup(rec->shards[0].key);

    /* one lock for the whole cluster instance, as a standalone backup takes (lock.h) */
    int honoured = 0;
    ra_lock *lock = ra_lock_acquire(cat, rec, &honoured, err);
    if (lock == NULL) {
        ra_cluster_plan_clear(&plan);
        ra_record_clear(rec);
        memset(rec, 0, sizeof(*rec));
        return -1;
    }
    run r = {.opts = opts, .cat = cat, .rec = rec, .lock = lock, .nshards = rec->nshards};
    pthread_mutex_init(&r.store_lock, NULL);
    ra_cluster_backup_budget(opts->part_size, opts->concurrency, rec->nshards, &r.part_size, &r.concurrency);
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    time_t before = time(NULL);
    r.beat_cat = *cat;
    r.beat_cat.s3 = opts->beat_s3;
    int rc = beat(&r, NULL, 0, err);
    if (rc == 0) {
        /* the store's clock from our record's LastModified (backup.c's learn_clock) */
        time_t was = ra_catalog_now(cat, 0);
        ra_err cerr = {0};
        if (ra_catalog_measure_clock(cat, rec->id, before, time(NULL), &cerr) != 0)
            ra_log_warn(opts->log, "backup.clock", "could not read back the task record: %s", cerr.msg);
        rec->started += ra_catalog_now(cat, 0) - was;
        r.beat_cat = *cat;
        r.beat_cat.s3 = opts->beat_s3;
    }
    /* only where the store ignores conditional writes (the lock keeps nothing apart there), the record
     * protocol: check now and after a pause longer than a record write; one goes on */
    if (rc == 0 && !honoured && check_busy(cat, rec->id, err) != 0) rc = -1;
    if (rc == 0 && !honoured) {
        double pause = 2 * since(&r.t0) + 0.5;
        struct timespec nap = {(time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9)};
        nanosleep(&nap, NULL);
        if (opts->cancel != NULL && *opts->cancel) rc = ra_err_set(err, RA_E_CANCELLED, "backup cancelled");
        else if (check_busy(cat, rec->id, err) != 0) rc = -1;
    }
    if (rc == 0) {
        ra_log_info(opts->log, "backup.start", "backup %s of cluster instance '%s' from %s: %d shards at once "
                    "(parts of %lld MiB, %d in flight each)", rec->id, cat->instance, plan.seed, rec->nshards,
                    r.part_size / RA_MIB, r.concurrency);
        ra_err oerr = {0};
        if (ra_catalog_abort_orphans(cat, time(NULL), NULL, &oerr) < 0)
            ra_log_warn(opts->log, "backup.orphans", "could not clean up unfinished uploads: %s", oerr.msg);
        rc = stream_all(&r, &plan, err);
    }
    ra_cluster_plan_clear(&plan);
    rec->finished = ra_catalog_now(cat, time(NULL));
    rec->heartbeat = rec->finished;
    if (rc == 0) {
        rec->state = RA_STATE_SUCCEEDED;
    } else {
        ra_record_set_error(rec, err); /* the message, the state and the exit class */
    }
    ra_err perr = {0};
    if (ra_catalog_put(cat, rec, &perr) != 0) {
        if (rc == 0) {
            *err = perr;
            ra_err_prefix(err, "backup %s is stored (%d shards) but its record could not be written: ", rec->id,
                          rec->nshards);
            rc = -1;
        } else {
            ra_log_warn(opts->log, "backup.record", "could not record the failure: %s", perr.msg);
        }
    }
    ra_lock_release(lock); /* after the final record: until then the instance is this run's */
    ra_lock_free(lock);
    pthread_mutex_destroy(&r.store_lock);
    if (rc == 0) {
        char size[16];
        ra_human_bytes((double)rec->bytes, size, sizeof(size));
        ra_log_info(opts->log, "backup.done", "backup %s done: %d shards, %s in %.1fs, snapshot starts %.2fs apart",
                    rec->id, rec->nshards, size, (double)(rec->finished - rec->started), rec->skew);
    }
    return rc;
}
