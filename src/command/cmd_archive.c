/* cmd_archive.c - `redis-archiver archive`: a base backup exactly as `backup` takes it (same record,
 * same lock, but without rdb-only), then the replication stream after it, cut into segments, until
 * SIGTERM/SIGINT (command/archive.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/archive.h"
#include "command/backup.h"
#include "command/cli.h"
#include "command/report.h"
#include "command/segment.h"
#include "common/limits.h"
#include "common/text.h"
#include "command/output.h"
#include "source/clusterscan.h"
#include "source/net.h"
#include "source/replica.h"

/* One stream of a chain: the standalone source's, or one shard's of a cluster, archived in a thread of its
 * own with uploaders and s3 clients of its own. */
typedef struct stream_job {
    struct chain_run *run;
    int index;                   /* the shard's, -1 for a standalone source */
    ra_backup_link *link;
    ra_s3 *s3[RA_ARCHIVE_UPLOADERS_MAX];
    int nup;
    ra_archive_opts ao;
    ra_archive_result res;
    ra_archive_progress prog;    /* under run->mu; prog.last_ms 0: nothing stored yet */
    int rc, started;
    volatile int done;
    ra_err err;
    pthread_t th;
} stream_job;

typedef struct chain_run {
    ra_app *app;
    const char *dir, *base_id;
    volatile sig_atomic_t stop;  /* the user cancelled, or a stream failed: every stream stops */
    pthread_mutex_t mu;
    int dirty;                   /* a stream stored a segment since the chain's state was written */
    ra_report_archive *report;   /* /metrics and metrics-file (command/report.h); NULL: nobody watches */
    stream_job *jobs;
    int n;
} chain_run;

/* A broken link: a fresh connection to the configured source (Sentinel picks again), checked as a backup's
 * is; a shard's: to the node the cluster gives its slots now (after a failover, not the node of the base). */
static ra_conn *connect_source(void *ctx, ra_err *err) {
    stream_job *j = ctx;
    ra_replica_opts src;
    ra_app_replica_opts(j->run->app, &src);
    src.cancel = &j->run->stop;
    ra_cluster_node node;
    if (j->link->host[0]) {
        if (ra_cluster_locate(&src, j->link->ranges, j->link->nranges, j->link->host, j->link->port, &node, err) < 0)
            return NULL;
        if (node.port != j->link->port || strcmp(node.ip, j->link->host) != 0)
            ra_log_info(&j->run->app->log, "archive.link", "shard %d: its slots are served by %s %s:%d now (was "
                        "%s:%d): resuming there", j->index, node.master ? "master" : "replica", node.ip, node.port,
                        j->link->host, j->link->port);
        src.node_host = node.ip;
        src.node_port = node.port;
        src.allow_master = node.master;
        src.pick_replica = 0;
        src.sentinel_master = NULL;
    }
    ra_replica_info info;
    ra_replica *r = ra_replica_connect(&src, &info, err);
    ra_conn *c = ra_replica_take_conn(r);
    ra_replica_free(r);
    return c;
}

/* From an uploader thread of stream j: what it stored. */
static void stream_progress(void *ctx, const ra_archive_progress *p) {
    stream_job *j = ctx;
    chain_run *run = j->run;
    pthread_mutex_lock(&run->mu);
    j->prog = *p;
    run->dirty = 1;
    pthread_mutex_unlock(&run->mu);
}

static void *stream_main(void *arg) {
    stream_job *j = arg;
    j->rc = ra_archive_run(&j->ao, &j->res, &j->err);
    if (j->rc != 0) {
        if (j->index >= 0) ra_err_prefix(&j->err, "shard %d: ", j->index);
        j->run->stop = 1; /* all or nothing: the other shards stop with it */
    }
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* The chain as a whole (under run->mu): the moment every stream's store reaches (the earliest of their last
 * ticks), the first moment every stream covers, the stream bytes received and stored, the segments. 0 when
 * some stream has stored nothing yet. */
static int chain_progress(chain_run *run, ra_archive_progress *all) {
    *all = (ra_archive_progress){0};
    for (int i = 0; i < run->n; i++) {
        const ra_archive_progress *p = &run->jobs[i].prog;
        if (p->last_ms <= 0) return 0;
        all->received += p->received - p->first;
        all->uploaded += p->uploaded - p->first;
        all->segments += p->segments;
        if (p->first_ms > all->first_ms) all->first_ms = p->first_ms;
        if (all->last_ms == 0 || p->last_ms < all->last_ms) all->last_ms = p->last_ms;
    }
    return 1;
}

/* A cluster chain's state "<dir><base>.archive" (each shard's is written by its archive, command/segment.h),
 * and the monitor's lag. */
static void chain_state(chain_run *run, ra_s3 *s3) {
    ra_archive_progress all;
    pthread_mutex_lock(&run->mu);
    int any = run->dirty && chain_progress(run, &all);
    if (any) run->dirty = 0;
    pthread_mutex_unlock(&run->mu);
    if (!any) return;
    ra_app *app = run->app;
    ra_report_archive_set(run->report, (time_t)(all.last_ms / 1000),
                          all.received > all.uploaded ? all.received - all.uploaded : 0);
    if (run->n == 1 && run->jobs[0].index < 0) return; /* a standalone chain's state is its archive's */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char text[512], *key = ra_segment_state_key(run->dir, run->base_id);
    ra_segment_state st = {.shards = run->n, .first = 0, .uploaded = all.uploaded, .received = all.received,
                           .segments = all.segments, .last_segment = "-", .last_ms = all.last_ms,
                           .updated_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, .first_ms = all.first_ms};
    int len = ra_segment_state_format(&st, NULL, text, sizeof(text));
    ra_err e = {0};
    if (key == NULL || ra_s3_put_object(s3, key, text, (size_t)len, "text/plain", NULL, 0, &e) != 0)
        ra_log_warn(&app->log, "archive.state", "could not write the archive's state: %s",
                    key ? e.msg : "out of memory");
    free(key);
}

/* Archive every link of the base backup at once until stopped; the first failure is the chain's. */
static int run_streams(chain_run *run, ra_backup_links *links, ra_store *store, long long stop_ms, ra_err *err) {
    ra_app *app = run->app;
    const ra_config *c = app->config;
    int n = links->n, rc = 0;
    run->jobs = calloc((size_t)n, sizeof(*run->jobs));
    if (run->jobs == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    run->n = n;
    /* the budget of one archive shared by the streams: concurrency uploaders, archive-queue bytes */
    int conc = c->concurrency < 1 ? 1 : c->concurrency, nup = conc / n < 1 ? 1 : conc / n;
    if (nup > RA_ARCHIVE_UPLOADERS_MAX) nup = RA_ARCHIVE_UPLOADERS_MAX;
    long long queue = c->archive_queue / n < RA_ARCHIVE_QUEUE_MIN ? RA_ARCHIVE_QUEUE_MIN : c->archive_queue / n;
    for (int i = 0; rc == 0 && i < n; i++) {
        stream_job *j = &run->jobs[i];
        j->run = run;
        j->index = links->v[i].host[0] ? i : -1;
        j->link = &links->v[i];
        ra_conn_set_cancel(j->link->stream.conn, &run->stop); /* the chain's flag from now on */
        j->nup = nup;
        for (int k = 0; rc == 0 && k < nup; k++) {
            ra_s3_config sc;
            ra_app_s3_config(app, NULL, &sc);
            if ((j->s3[k] = ra_s3_new(&sc, err)) == NULL) rc = -1;
        }
        j->ao = (ra_archive_opts){
            .s3 = j->s3, .nuploaders = nup, .dir = run->dir, .base_id = run->base_id, .shard = j->index,
            .link = &j->link->stream, .segment_ms = c->segment_seconds * 1000, .segment_size = c->segment_size,
            .queue_bytes = queue, .read_ms = c->read_timeout * 1000, .connect = connect_source, .connect_ctx = j,
            .cancel = &run->stop, .stop_ms = stop_ms, .progress = stream_progress, .progress_ctx = j,
            .log = &app->log,
        };
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        if (pthread_create(&run->jobs[i].th, NULL, stream_main, &run->jobs[i]) != 0)
            rc = ra_err_set(err, RA_E_INTERNAL, "could not start the archive thread of stream %d", i);
        else
            run->jobs[i].started = 1;
    }
    if (rc != 0) run->stop = 1;
    for (int tick = 0;; tick++) { /* relay a cancel at once, write the chain's state about once a second */
        int left = 0;
        for (int i = 0; i < n; i++) left += run->jobs[i].started && !__atomic_load_n(&run->jobs[i].done, __ATOMIC_ACQUIRE);
        if (left == 0) break;
        if (app->cancel && *app->cancel) run->stop = 1;
        if (tick % 10 == 0) chain_state(run, store->s3);
        struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    for (int i = 0; i < n; i++)
        if (run->jobs[i].started) pthread_join(run->jobs[i].th, NULL);
    chain_state(run, store->s3);
    for (int i = 0; rc == 0 && i < n; i++) /* a failure, not the echo of another stream's stop */
        if (run->jobs[i].rc != 0) {
            *err = run->jobs[i].err;
            rc = -1;
        }
    return rc;
}

/* One chain: a base backup, then its streams until stopped (or until stop_ms, unix ms, when > 0). json: 1 the
 * result as JSON, 0 the base id and a line of text, -1 nothing. */
static int chain(ra_app *app, int automatic, const char *remark, int json, long long stop_ms, ra_archive_result *res,
                 ra_err *err) {
    memset(res, 0, sizeof(*res));
    ra_record rec;
    ra_backup_links links = {0};
    if (ra_backup_keep_links(app, automatic, remark && *remark ? remark : "base of a point-in-time archive", &rec,
                             &links, err) != 0) {
        ra_record_clear(&rec);
        return -1;
    }
    if (json == 0) printf("%s\n", rec.id);
    fflush(stdout);
    ra_store store;
    chain_run run = {.app = app, .base_id = rec.id, .report = ra_report_archive_new(app)};
    pthread_mutex_init(&run.mu, NULL);
    char *dir = NULL;
    int rc = ra_app_open_store(app, &store, err);
    if (rc == 0 && (dir = ra_catalog_dir(&store.catalog)) == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    run.dir = dir;
    if (rc == 0) rc = run_streams(&run, &links, &store, stop_ms, err);
    for (int i = 0; i < run.n; i++) { /* the chain's result: the sum of its streams' */
        const ra_archive_result *r = &run.jobs[i].res;
        res->first += r->first;
        res->uploaded += r->uploaded;
        res->received += r->received;
        res->segments += r->segments;
        res->resumed += r->resumed;
        res->full_resync |= r->full_resync;
        for (int k = 0; k < run.jobs[i].nup; k++) ra_s3_free(run.jobs[i].s3[k]);
    }
    ra_app_close_store(&store); /* zeroed by a failed open */
    ra_backup_links_clear(&links); /* what the archives did not take (a stream that did not start) */
    int shards = rec.nshards;
    if (json > 0) {
        ra_out_field f[] = {
            {"id", RA_OUT_STR, rec.id, 0},
            {"first", RA_OUT_INT, NULL, res->first},
            {"uploaded", RA_OUT_INT, NULL, res->uploaded},
            {"received", RA_OUT_INT, NULL, res->received},
            {"segments", RA_OUT_INT, NULL, res->segments},
            {"shards", RA_OUT_INT, NULL, shards},
        };
        ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]) - (shards > 0 ? 0 : 1));
    } else if (json == 0 && shards > 0) {
        printf("archive of base %s: %d shards, %lld bytes of their streams stored in %lld segments\n", rec.id, shards,
               res->uploaded - res->first, res->segments);
    } else if (json == 0) {
        printf("archive of base %s: stream %lld-%lld stored in %lld segments\n", rec.id, res->first, res->uploaded,
               res->segments);
    }
    free(run.jobs);
    ra_report_archive_free(run.report); /* the last numbers into metrics-file */
    pthread_mutex_destroy(&run.mu);
    free(dir);
    ra_record_clear(&rec);
    return rc;
}

static int chains(ra_app *app, int automatic, const char *remark, int json, long long stop_ms, ra_err *err) {
    ra_archive_result res;
    int rc = chain(app, automatic, remark, json, stop_ms, &res, err);
    /* history lost (+FULLRESYNC on resume): the chain ended with a gap, a new base starts the next */
    while (rc != 0 && res.full_resync && !(app->cancel && *app->cancel)) {
        ra_log_warn(&app->log, "archive.gap", "%s; the stream from there is not archived until a new base backup: "
                    "taking it now", err->msg);
        *err = (ra_err){0};
        rc = chain(app, automatic, remark, json, stop_ms, &res, err);
    }
    return rc;
}

int ra_cmd_archive(ra_app *app, const ra_args *args, ra_err *err) {
    const char *remark = ra_args_value(args, "--remark");
    int json = ra_args_at(args, "--json") > 0;
    if (ra_args_at(args, "--quiet") > 0) app->stderr_tty = 0;
    return chains(app, 0, remark, json, 0, err);
}

int ra_archive_continuous(ra_app *app, time_t until, ra_err *err) {
    app->stderr_tty = 0;
    /* automatic: the bases are scheduled backups; -1: nothing on stdout, the log says it */
    return chains(app, 1, NULL, -1, (long long)until * 1000, err);
}
