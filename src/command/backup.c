/* backup.c - the one module that knows both ends: it joins the replica to the uploader.
 *
 * Threads: the caller's thread reads the replica socket (the source calls the sink on it) and must
 * never wait for the store's record writes; a heartbeat thread owned by the job rewrites the record
 * every RA_HEARTBEAT_INTERVAL_S from a snapshot taken under the job's lock, from just after the
 * record is first written until just before the final one (also while the replica forks and saves,
 * and while the upload completes). The heartbeat thread has an s3 client of its own (opts->beat_s3),
 * so a stalled record or lock PUT never holds up the stream thread's requests (orphan cleanup,
 * create/complete/abort of the upload), and no lock is shared between them.
 *
 * Two runs of an instance are kept apart by its lock object (lock.c), renewed at every heartbeat; a
 * renew refused means another run took it: the stream fails at its next step and the upload is
 * aborted. Where the store ignores conditional writes, by the record protocol instead (settle). */
#include "command/backup.h"
#include "command/cluster_backup.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command/rdbtee.h"
#include "command/lock.h"
#include "command/objsink.h"
#include "common/limits.h"
#include "common/random.h"
#include "common/text.h"
#include "common/version.h"
#include "source/net.h"

#define PROGRESS_EVERY_S 0.25
#define SETTLE_MIN_S 0.5  /* pause between a new record and the second running check ... */
#define SETTLE_MAX_S 10.0 /* ... twice the record write's time on top, at most this */

typedef struct job {
    const ra_backup_opts *opts;
    const ra_catalog *cat;   /* opts->catalog with the measured clock offset */
    ra_catalog beat_cat;     /* the same on the heartbeat thread's own s3 client */
    ra_lock *olock;          /* the instance's lock (renewed by the heartbeat thread) */
    ra_record *rec;          /* shared with the heartbeat thread: under lock */
    ra_objsink *obj;         /* the object: seal (compressor/encryptor, when asked) and upload (objsink.h) */
    char *rdb_key;
    long long expected;      /* RDB length when the server said it ($<len>), else -1 */
    struct timespec t0;
    double last_draw;
    pthread_mutex_t lock;    /* rec, stop */
    pthread_cond_t wake;
    int stop;
    int beating;             /* the heartbeat thread runs */
    int completing;          /* Complete was (or may have been) sent */
    pthread_t beat;
} job;

static double elapsed(const job *j) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - j->t0.tv_sec) + (double)(t.tv_nsec - j->t0.tv_nsec) / 1e9;
}

/* On the stream thread only (it alone changes bytes, so no lock to read them). */
static void report_progress(job *j, int final) {
    if (j->opts->progress == NULL) return;
    double t = elapsed(j);
    if (!final && t - j->last_draw < PROGRESS_EVERY_S) return;
    j->last_draw = t;
    ra_backup_progress p = {.done = j->rec->bytes, .expected = j->expected, .elapsed = t, .final = final,
                            .id = j->rec->id};
    j->opts->progress(j->opts->progress_ctx, &p);
}

static void stamp_rate(job *j) {
    double t = elapsed(j);
    j->rec->rate = t > 0 ? (double)j->rec->bytes / t : 0;
}

/* Now in the store's clock. */
static time_t store_now(const job *j) {
    return ra_catalog_now(j->cat, time(NULL));
}

/* One record write of the current state through catalog `via` (the caller holds no lock). */
static int put_record(job *j, const ra_catalog *via, int beat, ra_err *err) {
    pthread_mutex_lock(&j->lock);
    if (beat) j->rec->heartbeat = store_now(j);
    stamp_rate(j);
    char *text = ra_record_to_json(j->rec);
    pthread_mutex_unlock(&j->lock);
    if (text == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int rc = ra_catalog_put_json(via, j->rec->id, text, err);
    free(text);
    return rc;
}

static void deadline_after(struct timespec *ts, double seconds) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    long long ns = (long long)ts->tv_nsec + (long long)(seconds * 1e9);
    ts->tv_sec += (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

/* Sleep until the deadline or stop; returns 1 when told to stop (lock held on entry and exit). */
static int wait_until(job *j, const struct timespec *when) {
    while (!j->stop) {
        int r = pthread_cond_timedwait(&j->wake, &j->lock, when);
        if (r == ETIMEDOUT) break;
    }
    return j->stop;
}

static void *heartbeat_main(void *arg) {
    job *j = arg;
    pthread_mutex_lock(&j->lock);
    struct timespec next;
    deadline_after(&next, RA_HEARTBEAT_INTERVAL_S);
    while (!wait_until(j, &next)) {
        if (j->opts->cancel && *j->opts->cancel) break; /* cancelled: only the final record is written */
        pthread_mutex_unlock(&j->lock);
        ra_err err = {0};
        if (ra_lock_renew(j->olock, j->beat_cat.s3, &err) != 0) {
            if (ra_lock_lost(j->olock)) {
                ra_log_warn(j->opts->log, "backup.lock", "%s", err.msg);
                pthread_mutex_lock(&j->lock);
                break; /* the stream sees it at its next step and fails */
            }
            ra_log_warn(j->opts->log, "backup.lock", "could not renew the lock: %s", err.msg);
        }
        if (put_record(j, &j->beat_cat, 1, &err) != 0)
            ra_log_warn(j->opts->log, "backup.heartbeat", "could not update the task record: %s", err.msg);
        pthread_mutex_lock(&j->lock);
        if (j->opts->progress && j->rec->bytes == 0) { /* the replica still saves: progress events go on */
            ra_backup_progress p = {.expected = -1, .elapsed = elapsed(j), .beat = 1, .id = j->rec->id};
            pthread_mutex_unlock(&j->lock); /* the id stays: only this run's thread set it, before */
            j->opts->progress(j->opts->progress_ctx, &p);
            pthread_mutex_lock(&j->lock);
        }
        deadline_after(&next, RA_HEARTBEAT_INTERVAL_S);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static int heartbeat_start(job *j, ra_err *err) {
    if (pthread_create(&j->beat, NULL, heartbeat_main, j) != 0)
        return ra_err_set(err, RA_E_INTERNAL, "cannot start the heartbeat thread");
    j->beating = 1;
    return 0;
}

/* Waits for a record write in flight: after this, nothing rewrites the record behind our back. */
static void heartbeat_stop(job *j) {
    if (!j->beating) return;
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->beat, NULL);
    j->beating = 0;
}

/* While the replica forks: uploads left by a killed run are aborted (a lifecycle rule would only
 * days later, and they hold the store's space until then). */
static int sink_requested(void *ctx, ra_err *err) {
    (void)err;
    job *j = ctx;
    ra_err oerr = {0};
    int rc = ra_catalog_abort_orphans(j->cat, time(NULL), j->rec->key, &oerr);
    if (rc < 0) ra_log_warn(j->opts->log, "backup.orphans", "could not clean up unfinished uploads: %s", oerr.msg);
    return 0;
}

/* S3 metadata must be ASCII: the remark percent-encoded (the record keeps it as UTF-8). */
static void encode_remark(const char *in, char *out) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~ ", *p))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, 4, "%%%02X", *p);
    }
    out[o] = '\0';
}

/* Another run took the lock (a renew was refused): this one stops. */
static int check_lock(const job *j, ra_err *err) {
    if (!ra_lock_lost(j->olock)) return 0;
    return ra_err_set(err, RA_E_BUSY, "backup %s lost the lock of instance '%s' to another run: upload aborted",
                      j->rec->id, j->cat->instance);
}

static int sink_begin(void *ctx, const ra_stream_info *info, ra_err *err) {
    job *j = ctx;
    if (check_lock(j, err) != 0) return -1;
    ra_record *r = j->rec;
    j->expected = info->length;
    pthread_mutex_lock(&j->lock);
    if (info->replid[0]) r->replid = strdup(info->replid);
    r->offset = info->offset;
    if (info->redis_version[0] && r->redis_version == NULL) r->redis_version = strdup(info->redis_version);
    pthread_mutex_unlock(&j->lock);

    /* Object metadata: what is known when the upload starts. */
    char started[32], offset[24], remark[3 * RA_REMARK_MAX + 1];
    ra_time_iso(r->started, started);
    snprintf(offset, sizeof(offset), "%lld", r->offset);
    encode_remark(r->remark, remark);
    ra_kv meta[] = {
        {"backup-id", r->id},
        {"type", r->automatic ? "auto" : "manual"},
        {"remark", remark},
        {"started", started},
        {"source", r->source ? r->source : ""},
        {"redis-version", r->redis_version ? r->redis_version : ""},
        {"replid", r->replid ? r->replid : ""},
        {"repl-offset", offset},
        {"tool-version", RA_VERSION},
        {"format", r->format ? r->format : "rdb"},
        {"recipients", r->recipients ? r->recipients : ""},
    };
    ra_objsink_opts oo = {.s3 = j->cat->s3, .key = j->rdb_key, .part_size = j->opts->part_size,
                          .concurrency = j->opts->concurrency, .checksum = j->opts->checksum,
                          .growth = j->opts->growth, .seal = j->opts->seal, .cancel = j->opts->cancel};
    j->obj = ra_objsink_open(&oo, info->length, meta, sizeof(meta) / sizeof(meta[0]), err);
    if (j->obj == NULL) return -1;
    ra_log_info(j->opts->log, "backup.stream", "streaming %s RDB%s into s3 object '%s'",
                info->diskless ? "diskless" : "disk-based", info->length >= 0 ? "" : " (length unknown)",
                j->rdb_key);
    return 0;
}

/* len RDB bytes were handed to the upload: count them (the heartbeat thread writes them). */
static void accepted(job *j, size_t len) {
    pthread_mutex_lock(&j->lock);
    j->rec->bytes += (long long)len;
    pthread_mutex_unlock(&j->lock);
    report_progress(j, 0);
}

static int sink_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    job *j = ctx;
    if (check_lock(j, err) != 0) return -1;
    if (ra_objsink_write(j->obj, data, len, err) != 0) return -1;
    accepted(j, len);
    return 0;
}

/* The source reads the socket straight into the part buffer. */
static int sink_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    job *j = ctx;
    return ra_objsink_reserve(j->obj, room, avail, err);
}

static int sink_commit(void *ctx, size_t len, ra_err *err) {
    job *j = ctx;
    if (check_lock(j, err) != 0) return -1;
    if (ra_objsink_commit(j->obj, len, err) != 0) return -1;
    accepted(j, len);
    return 0;
}

static void set_error(ra_record *r, const ra_err *err) {
    ra_record_set_error(r, err); /* the message, the state and the exit class */
}

/* Another run of the instance that this one must leave the instance to: 1 (err says which), 0, -1. */
static int other_first(job *j, ra_err *err) {
    ra_record first;
    int busy = ra_catalog_find_running(j->cat, time(NULL), j->rec->id, &first, err);
    if (busy <= 0) return busy;
    /* a run that already beat passed its checks; else the earlier start goes on */
    int yield = first.heartbeat > first.started || strcmp(first.id, j->rec->id) < 0;
    if (yield)
        ra_err_set(err, RA_E_BUSY, "backup %s of instance '%s' started at the same time", first.id,
                   j->cat->instance);
    ra_record_clear(&first);
    return yield;
}

/* The store stamped our first record write: its LastModified shows how far this host's clock is off
 * even when the s3 client could not tell (under its skew limit). From here on the record's times, the
 * heartbeat and every age judgment use it; the id keeps the time it was made with. */
static void learn_clock(job *j, ra_catalog *cat, time_t before) {
    time_t was = ra_catalog_now(cat, 0);
    ra_err cerr = {0};
    int rc = ra_catalog_measure_clock(cat, j->rec->id, before, time(NULL), &cerr);
    if (rc != 0) {
        ra_log_warn(j->opts->log, "backup.clock", "could not read back the task record: %s", cerr.msg);
        return;
    }
    time_t shift = ra_catalog_now(cat, 0) - was;
    j->rec->started += shift;
    j->rec->heartbeat += shift;
}

/* Runs that started together: each one wrote its record after a check that found none running. At
 * least one of two such runs sees the other's record once that record is visible, so each checks
 * right after its write and again after a pause longer than a record write takes, and backs off
 * from a run that already wrote a heartbeat (it passed these checks) or has the smaller id (the
 * earlier start; same second: the random part). Exactly one of them goes on. Only where the store
 * ignores conditional writes: elsewhere the lock object keeps runs apart. */
static int settle(job *j, double put_seconds, ra_err *err) {
    if (other_first(j, err) != 0) return -1;
    double pause = 2 * put_seconds + SETTLE_MIN_S;
    if (pause > SETTLE_MAX_S) pause = SETTLE_MAX_S;
    struct timespec until;
    deadline_after(&until, pause);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
        if (j->opts->cancel && *j->opts->cancel) return ra_err_set(err, RA_E_CANCELLED, "backup cancelled");
    }
    return other_first(j, err) != 0 ? -1 : 0;
}

static void fill_record(ra_record *rec, const ra_backup_opts *opts, const ra_replica_info *info, time_t now) {
    char source[300];
    snprintf(source, sizeof(source), "%s:%d", info->host, info->port);
    const ra_catalog *cat = opts->catalog;
    rec->started = now;
    ra_record_make_id(rec->id, now, ra_random_u32());
    rec->instance = strdup(cat->instance);
    ra_record_set_seal(rec, opts->seal);
    rec->key = ra_record_object_key(cat->prefix, cat->instance, rec->id, rec->format);
    rec->automatic = opts->automatic;
    rec->remark = opts->remark && *opts->remark ? strdup(opts->remark) : NULL;
    rec->state = RA_STATE_RUNNING;
    rec->offset = -1;
    rec->source = strdup(source);
    rec->redis_version = info->redis_version[0] ? strdup(info->redis_version) : NULL;
    rec->tool_version = strdup(RA_VERSION);
    ra_catalog_stamp_owner(rec);
    rec->heartbeat = now;
}

/* The run failed after Complete may have made the object (the HEAD that checks it failed, or a
 * SIGTERM came meanwhile): a failed record must not stand beside a complete object, so it goes.
 * The key is this run's own. */
static void remove_object(job *j) {
    ra_err derr = {0};
    if (ra_s3_delete_object(j->cat->s3, j->rdb_key, &derr) == 0)
        ra_log_info(j->opts->log, "backup.cleanup", "removed s3 object '%s' of the failed backup", j->rdb_key);
    else if (derr.code != RA_E_NOTFOUND)
        ra_log_warn(j->opts->log, "backup.cleanup", "could not remove s3 object '%s' of the failed backup: %s",
                    j->rdb_key, derr.msg);
}

/* The stream and the upload, from the sync request to the completed object. */
static int transfer(job *j, ra_replica *replica, ra_err *err) {
    /* a sealed stream goes through the seal's own buffer: no zero-copy into the parts */
    const int sealed = j->opts->seal != NULL;
    ra_sink sink = {.ctx = j, .requested = sink_requested, .begin = sink_begin, .write = sink_write,
                    .reserve = sealed ? NULL : sink_reserve, .commit = sealed ? NULL : sink_commit};
    long long bytes = 0;
    uint64_t crc = 0;
    ra_rdbtee tee; /* key counts for the record (rdbtee.h) */
    int rc = ra_rdbtee_init(&tee, &sink, j->opts->log, err);
    if (rc == 0) rc = ra_replica_sync(replica, &tee.sink, &bytes, &crc, err);
    if (rc == 0) {
        pthread_mutex_lock(&j->lock);
        ra_rdbtee_finish(&tee, j->rec);
        j->rec->unchecked = ra_replica_rdb_unchecked(replica);
        pthread_mutex_unlock(&j->lock);
    }
    ra_rdbtee_clear(&tee);
    if (rc == 0 && j->obj == NULL) rc = ra_err_set(err, RA_E_SOURCE, "the replica sent no RDB");
    if (rc == 0) rc = ra_objsink_end(j->obj, err);
    if (rc == 0) rc = check_lock(j, err); /* the last moment a lost lock can stop the object */
    if (rc == 0) {
        j->completing = 1;
        rc = ra_objsink_complete(j->obj, err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&j->lock);
        j->rec->crc64 = crc;
        j->rec->bytes = bytes;
        j->rec->stored = ra_objsink_stored(j->obj);
        pthread_mutex_unlock(&j->lock);
    }
    return rc;
}

void ra_backup_links_clear(ra_backup_links *l) {
    for (int i = 0; i < l->n; i++) {
        ra_conn_close(l->v[i].stream.conn);
        free(l->v[i].stream.tail);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int ra_backup_run(const ra_backup_opts *opts, ra_record *rec, ra_err *err) {
    ra_catalog cat = *opts->catalog;
    memset(rec, 0, sizeof(*rec));
    if (opts->beat_s3 == NULL || opts->beat_s3 == cat.s3)
        return ra_err_set(err, RA_E_INTERNAL, "backup: the heartbeat needs an s3 client of its own");
    if (ra_remark_check(opts->remark, err) != 0) return -1;
    if (ra_s3_check_prefix(cat.s3, cat.prefix, err) != 0) return -1;

    ra_replica_info info = {0};
    ra_replica_opts source = *opts->source;
    source.keep_stream = opts->keep != NULL;
    ra_replica *replica = ra_replica_connect(&source, &info, err);
    if (replica == NULL) return -1;
    if (info.cluster) { /* a cluster node: every shard, at once (command/cluster_backup.h) */
        ra_replica_free(replica);
        return ra_cluster_backup_run(opts, rec, err);
    }

    ra_record other;
    int busy = ra_catalog_find_running(&cat, time(NULL), NULL, &other, err);
    if (busy != 0) {
        if (busy > 0) {
            char beat[32];
            ra_time_iso(other.heartbeat, beat);
            ra_err_set(err, RA_E_BUSY,
                       "backup %s of instance '%s' is already running (pid %ld on %s, heartbeat %s)", other.id,
                       cat.instance, other.pid, other.host ? other.host : "?", beat);
            ra_record_clear(&other);
        }
        ra_replica_free(replica);
        return -1;
    }

    fill_record(rec, opts, &info, ra_catalog_now(&cat, time(NULL)));
    int honoured = 0;
    ra_lock *lock = ra_lock_acquire(&cat, rec, &honoured, err);
    if (lock == NULL) {
        ra_replica_free(replica);
        ra_record_clear(rec);
        memset(rec, 0, sizeof(*rec));
        return -1;
    }
    job j = {.opts = opts, .cat = &cat, .rec = rec, .rdb_key = rec->key, .expected = -1, .olock = lock};
    pthread_mutex_init(&j.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j.wake, &ca);
    pthread_condattr_destroy(&ca);
    clock_gettime(CLOCK_MONOTONIC, &j.t0);

    double t_put = elapsed(&j);
    time_t before = time(NULL);
    int rc = put_record(&j, &cat, 0, err);
    if (rc == 0) {
        double put_seconds = elapsed(&j) - t_put;
        learn_clock(&j, &cat, before);
        if (!honoured) rc = settle(&j, put_seconds, err);
    }
    j.beat_cat = cat;
    j.beat_cat.s3 = opts->beat_s3;
    if (rc == 0) rc = heartbeat_start(&j, err);
    if (rc == 0) {
        ra_log_info(opts->log, "backup.start", "backup %s of instance '%s' from %s (redis %s)", rec->id,
                    cat.instance, rec->source, rec->redis_version ? rec->redis_version : "?");
        rc = transfer(&j, replica, err);
    }
    if (rc == 0 && opts->keep != NULL) {
        ra_backup_links *l = opts->keep;
        l->v = calloc(1, sizeof(*l->v));
        if (l->v == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        else if ((rc = ra_replica_take_stream(replica, &l->v[0].stream, err)) == 0) l->n = 1;
    }
    ra_replica_free(replica);
    if (rc != 0 && j.obj) {
        ra_objsink_abort(j.obj);
        if (j.completing) remove_object(&j);
    }
    heartbeat_stop(&j); /* from here on this thread alone touches rec and the s3 handle */
    ra_objsink_free(j.obj);
    if (rec->bytes > 0) report_progress(&j, 1);

    rec->finished = ra_catalog_now(&cat, time(NULL));
    rec->heartbeat = rec->finished;
    stamp_rate(&j);
    if (rc == 0)
        rec->state = RA_STATE_SUCCEEDED;
    else
        set_error(rec, err);
    ra_err perr = {0};
    if (ra_catalog_put(&cat, rec, &perr) != 0) {
        if (rc == 0) {
            /* The RDB is stored and complete; only its record is missing. Say so, loudly. */
            if (err) *err = perr;
            ra_err_prefix(err, "backup %s is stored as '%s' but its record could not be written: ", rec->id,
                          rec->key);
            rc = -1;
        } else {
            ra_log_warn(opts->log, "backup.record", "could not record the failure: %s", perr.msg);
        }
    }
    ra_lock_release(lock); /* after the final record: until then the instance is this run's */
    ra_lock_free(lock);
    pthread_cond_destroy(&j.wake);
    pthread_mutex_destroy(&j.lock);
    if (rc == 0) {
        char size[16], rate[16];
        ra_human_bytes((double)rec->bytes, size, sizeof(size));
        ra_human_bytes(rec->rate, rate, sizeof(rate)); /* binary units, as the progress line */
        ra_log_info(opts->log, "backup.done", "backup %s done: %s in %.2f s (%s/s), crc64 %016" PRIx64,
                    rec->id, size, elapsed(&j), rate, rec->crc64);
    }
    return rc;
}
