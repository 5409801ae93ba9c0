/* backup.c - the one module that knows both ends: it joins the replica to the uploader. */
#include "command/backup.h"
#include "command/cluster_backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/random.h"
#include "common/text.h"
#include "common/version.h"

#define HEARTBEAT_SECONDS 5

typedef struct job {
    const ra_backup_opts *opts;
    ra_record *rec;
    ra_upload *upload;
    ra_seal *seal;           /* compressor/encryptor between the verified RDB and the upload, or NULL */
    long long stored;        /* bytes handed to the upload through the seal */
    char *rdb_key;
    long long expected;      /* RDB length when the server said it ($<len>), else -1 */
    struct timespec t0;
    double last_beat;        /* seconds since t0 of the last record update */
    double last_draw;
} job;

static double elapsed(const job *j) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - j->t0.tv_sec) + (double)(t.tv_nsec - j->t0.tv_nsec) / 1e9;
}

static void draw_progress(job *j, int final) {
    double t = elapsed(j);
    if (!final && t - j->last_draw < 0.25) return;
    j->last_draw = t;
    long long done = j->rec->bytes;
    double rate = t > 0 ? (double)done / t : 0;
    char sdone[16], srate[16], line[160];
    ra_human_bytes((double)done, sdone, sizeof(sdone));
    ra_human_bytes(rate, srate, sizeof(srate));
    if (j->expected > 0) {
        int width = 30, fill = (int)((double)width * (double)done / (double)j->expected);
        if (fill > width) fill = width;
        char bar[32];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '-', (size_t)(width - fill));
        bar[width] = '\0';
        long eta = rate > 0 ? (long)((double)(j->expected - done) / rate) : 0;
        snprintf(line, sizeof(line), "[%s] %3d%% %s %s/s ETA %ld:%02ld", bar,
                 (int)(100.0 * (double)done / (double)j->expected), sdone, srate, eta / 60, eta % 60);
    } else {
        snprintf(line, sizeof(line), "%s %s/s %.0fs", sdone, srate, t);
    }
    fprintf(stderr, "\r%-78s%s", line, final ? "\n" : "");
}

static void stamp_rate(job *j) {
    double t = elapsed(j);
    j->rec->rate = t > 0 ? (double)j->rec->bytes / t : 0;
}

/* The record is the task's status for other processes: keep it fresh while streaming. */
static int heartbeat(job *j, int force, ra_err *err) {
    double t = elapsed(j);
    if (!force && t - j->last_beat < HEARTBEAT_SECONDS) return 0;
    j->last_beat = t;
    j->rec->heartbeat = time(NULL);
    stamp_rate(j);
    return ra_catalog_put(j->opts->catalog, j->rec, err);
}

/* While the replica forks: uploads left by a killed run are aborted (a lifecycle rule would only
 * days later, and they hold the store's space until then). */
static int sink_requested(void *ctx, ra_err *err) {
    (void)err;
    job *j = ctx;
    ra_err oerr = {0};
    if (ra_catalog_abort_orphans(j->opts->catalog, j->rec->started, j->rec->key, &oerr) < 0)
        ra_log_warn(j->opts->log, "backup.orphans", "could not clean up unfinished uploads: %s", oerr.msg);
    return 0;
}

/* The sealed stream's way into the upload. */
static int store_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    job *j = ctx;
    if (ra_upload_write(j->upload, data, len, err) != 0) return -1;
    j->stored += (long long)len;
    return 0;
}

static int sink_begin(void *ctx, const ra_stream_info *info, ra_err *err) {
    job *j = ctx;
    ra_record *r = j->rec;
    j->expected = info->length;
    if (info->replid[0]) r->replid = strdup(info->replid);
    r->offset = info->offset;
    if (info->redis_version[0] && r->redis_version == NULL) r->redis_version = strdup(info->redis_version);

    /* Object metadata: what is known when the upload starts. S3 metadata must be ASCII, so the
     * remark is percent-encoded here; the record keeps it as UTF-8. */
    char started[32], offset[24], remark[3 * RA_REMARK_MAX + 1] = "";
    ra_time_iso(r->started, started);
    snprintf(offset, sizeof(offset), "%lld", r->offset);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)(r->remark ? r->remark : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~ ", *p))
            remark[o++] = (char)*p;
        else
            o += (size_t)snprintf(remark + o, 4, "%%%02X", *p);
    }
    remark[o] = '\0';
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
    ra_upload_opts uo = {
        .part_size = j->opts->part_size,
        .concurrency = j->opts->concurrency,
        .checksum = j->opts->checksum,
        .expected_size = info->length,
        .meta = meta,
        .nmeta = sizeof(meta) / sizeof(meta[0]),
        .cancel = j->opts->cancel,
    };
    if (j->opts->seal && info->length >= 0)  /* zstd and age add at most this to an RDB */
        uo.expected_size = info->length + info->length / 256 + 65536;
    j->upload = ra_upload_new(j->opts->catalog->s3, j->rdb_key, &uo, err);
    if (j->upload == NULL) return -1;
    if (j->opts->seal) {
        ra_seal_opts so = *j->opts->seal;
        so.plain_size = info->length;
        ra_sink to_store = {.ctx = j, .write = store_write};
        if ((j->seal = ra_seal_new(&so, &to_store, err)) == NULL) return -1;
    }
    ra_log_info(j->opts->log, "backup.stream", "streaming %s RDB%s into s3 object '%s'",
                info->diskless ? "diskless" : "disk-based", info->length >= 0 ? "" : " (length unknown)",
                j->rdb_key);
    return 0;
}

/* len RDB bytes were handed to the upload: count them, draw, keep the record fresh. */
static void accepted(job *j, size_t len) {
    j->rec->bytes += (long long)len;
    if (j->opts->progress) draw_progress(j, 0);
    ra_err beat_err = {0};
    if (heartbeat(j, 0, &beat_err) != 0)
        ra_log_warn(j->opts->log, "backup.heartbeat", "could not update the task record: %s", beat_err.msg);
}

static int sink_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    job *j = ctx;
    if (j->seal) {
        ra_sink front = ra_seal_sink(j->seal);
        if (front.write(front.ctx, data, len, err) != 0) return -1;
    } else if (ra_upload_write(j->upload, data, len, err) != 0) {
        return -1;
    }
    accepted(j, len);
    return 0;
}

/* The source reads the socket straight into the part buffer. */
static int sink_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    job *j = ctx;
    void *p = NULL;
    if (ra_upload_reserve(j->upload, &p, avail, err) != 0) return -1;
    *room = p;
    return 0;
}

static int sink_commit(void *ctx, size_t len, ra_err *err) {
    job *j = ctx;
    if (ra_upload_commit(j->upload, len, err) != 0) return -1;
    accepted(j, len);
    return 0;
}

static void set_error(ra_record *r, const ra_err *err) {
    free(r->error);
    r->error = strdup(err->msg);
    r->state = err->code == RA_E_CANCELLED ? RA_STATE_CANCELLED : RA_STATE_FAILED;
}

int ra_backup_run(const ra_backup_opts *opts, ra_record *rec, ra_err *err) {
    const ra_catalog *cat = opts->catalog;
    memset(rec, 0, sizeof(*rec));
    if (ra_remark_check(opts->remark, err) != 0) return -1;
    if (ra_s3_check_bucket(cat->s3, err) != 0) return -1;

    ra_replica_info info = {0};
    ra_replica *replica = ra_replica_connect(opts->source, &info, err);
    if (replica == NULL) return -1;
    if (info.cluster) { /* a cluster node: every shard, at once (command/cluster_backup.h) */
        ra_replica_free(replica);
        return ra_cluster_backup_run(opts, rec, err);
    }

    time_t now = time(NULL);
    ra_record other;
    int busy = ra_catalog_find_running(cat, now, NULL, &other, err);
    if (busy != 0) {
        if (busy > 0) {
            char beat[32];
            ra_time_iso(other.heartbeat, beat);
            ra_err_set(err, RA_E_BUSY,
                       "backup %s of instance '%s' is already running (pid %ld on %s, heartbeat %s)", other.id,
                       cat->instance, other.pid, other.host ? other.host : "?", beat);
            ra_record_clear(&other);
        }
        ra_replica_free(replica);
        return -1;
    }

    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char source[300];
    snprintf(source, sizeof(source), "%s:%d", info.host, info.port);
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
    rec->redis_version = info.redis_version[0] ? strdup(info.redis_version) : NULL;
    rec->tool_version = strdup(RA_VERSION);
    rec->host = strdup(host);
    rec->pid = (long)getpid();

    job j = {.opts = opts, .rec = rec, .rdb_key = rec->key, .expected = -1};
    clock_gettime(CLOCK_MONOTONIC, &j.t0);
    int rc = heartbeat(&j, 1, err);
    if (rc == 0) {
        /* Two processes may have started together: the later id backs off. */
        ra_record first;
        busy = ra_catalog_find_running(cat, now, rec->id, &first, err);
        if (busy > 0 && strcmp(first.id, rec->id) < 0) {
            ra_err_set(err, RA_E_BUSY, "backup %s of instance '%s' started at the same time", first.id,
                       cat->instance);
            rc = -1;
        } else if (busy < 0) {
            rc = -1;
        }
        if (busy > 0) ra_record_clear(&first);
    }
    if (rc == 0) {
        ra_log_info(opts->log, "backup.start", "backup %s of instance '%s' from %s (redis %s)", rec->id,
                    cat->instance, source, rec->redis_version ? rec->redis_version : "?");
        ra_sink sink = {.ctx = &j, .requested = sink_requested, .begin = sink_begin, .write = sink_write,
                        .reserve = opts->seal ? NULL : sink_reserve, .commit = opts->seal ? NULL : sink_commit};
        long long bytes = 0;
        uint64_t crc = 0;
        rc = ra_replica_sync(replica, &sink, &bytes, &crc, err);
        if (rc == 0 && j.upload == NULL) rc = ra_err_set(err, RA_E_SOURCE, "the replica sent no RDB");
        if (rc == 0 && j.seal) rc = ra_seal_finish(j.seal, err);
        if (rc == 0) rc = ra_upload_finish(j.upload, err);
        if (rc == 0) {
            rec->crc64 = crc;
            rec->bytes = bytes;
            rec->stored = j.seal ? j.stored : bytes;
        }
    }
    ra_replica_free(replica);
    if (rc != 0 && j.upload) ra_upload_abort(j.upload);
    ra_seal_free(j.seal);
    ra_upload_free(j.upload);
    if (opts->progress && rec->bytes > 0) draw_progress(&j, 1);

    rec->finished = time(NULL);
    stamp_rate(&j);
    if (rc == 0)
        rec->state = RA_STATE_SUCCEEDED;
    else
        set_error(rec, err);
    ra_err perr = {0};
    if (ra_catalog_put(cat, rec, &perr) != 0) {
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
    if (rc == 0) {
        char size[16];
        ra_human_bytes((double)rec->bytes, size, sizeof(size));
        ra_log_info(opts->log, "backup.done", "backup %s done: %s in %.1fs (%.1f MB/s), crc64 %016" PRIx64,
                    rec->id, size, (double)(rec->finished - rec->started), rec->rate / 1e6, rec->crc64);
        if (opts->sweep_days > 0) {
            ra_err serr = {0};
            if (ra_catalog_sweep(cat, opts->sweep_days, time(NULL), 0, &serr) < 0)
                ra_log_warn(opts->log, "retention.sweep", "sweep failed: %s", serr.msg);
        }
    }
    return rc;
}
