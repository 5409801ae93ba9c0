/* cmd_backup.c - `redis-archiver backup`: one backup now, manual or auto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command/backup.h"
#include "command/cli.h"
#include "command/retention.h"
#include "command/progress.h"
#include "common/random.h"
#include "common/url.h"
#include "common/version.h"

/* The configured compression and recipients; *seal stays all zero when neither is set. Recipients
 * are checked (Bech32) before anything connects. On success the caller frees *recipients. */
static int seal_from_config(const ra_config *c, ra_seal_opts *seal, ra_age_recipient **recipients, ra_err *err) {
    size_t n = 0;
    *recipients = NULL;
    memset(seal, 0, sizeof(*seal));
    if (c->encrypt_recipient && ra_age_recipients_parse(c->encrypt_recipient, "encrypt-recipient", recipients, &n,
                                                        err) != 0) {
        free(*recipients);
        return -1;
    }
    if (c->encrypt_recipients_file && ra_age_recipients_load_file(c->encrypt_recipients_file, recipients, &n, err) != 0) {
        free(*recipients);
        return -1;
    }
    *seal = (ra_seal_opts){.compression = (ra_compression)c->compression, .level = c->compression_level,
                           .workers = c->compression_threads,
                           .plain_size = -1, .recipients = *recipients, .nrecipients = n};
    return 0;
}

/* Every attempt leaves a record with its exit class: one that failed before the job made its record
 * (the source unreachable, a wrong password, a master refused, ...) gets a failed one now; one the job
 * recorded gets its class added. Not for usage errors (nothing was done) nor an instance that is busy
 * (the running backup has its own record). A store that refuses the record too is logged, not fatal. */
static void record_failure(ra_app *app, const ra_catalog *cat, int automatic, const char *remark,
                           const ra_seal_opts *seal, time_t started, ra_record *rec, const ra_err *err) {
    if (err->code == RA_E_USAGE || err->code == RA_E_BUSY) return;
    if (rec->id[0] != '\0' && rec->exit_class != NULL) return;
    if (rec->id[0] == '\0') {
        const ra_config *c = app->config;
        char host[256] = "", source[RA_URL_HOST_MAX + 16] = "";
        gethostname(host, sizeof(host) - 1);
        ra_redis_url u;
        ra_err uerr = {0};
        if (ra_redis_url_parse(c->source, &u, &uerr) == 0) {  /* host:port only: never the credentials */
            snprintf(source, sizeof(source), strchr(u.hosts[0].host, ':') ? "[%s]:%d" : "%s:%d", u.hosts[0].host,
                     u.hosts[0].port);
            ra_redis_url_clear(&u);
        }
        ra_record_clear(rec);
        ra_record_make_id(rec->id, started, ra_random_u32());
        rec->instance = strdup(cat->instance);
        ra_record_set_seal(rec, seal);
        rec->key = ra_record_object_key(cat->prefix, cat->instance, rec->id, rec->format);
        rec->automatic = automatic;
        rec->remark = remark && *remark ? strdup(remark) : NULL;
        rec->started = started;
        rec->finished = rec->heartbeat = time(NULL);
        rec->offset = -1;
        rec->source = source[0] ? strdup(source) : NULL;
        rec->tool_version = strdup(RA_VERSION);
        rec->host = strdup(host);
        rec->pid = (long)getpid();
    }
    ra_record_set_error(rec, err);
    ra_err perr = {0};
    if (ra_catalog_put(cat, rec, &perr) != 0)
        ra_log_warn(&app->log, "backup.record", "could not record the failed attempt: %s", perr.msg);
}

/* Progress goes to the line on a terminal, else to the log every progress-interval (progress.h). */
typedef struct progress_to {
    ra_progress *bar;
    ra_progress_log events;
} progress_to;

static void on_progress(void *ctx, const ra_backup_progress *p) {
    progress_to *to = ctx;
    if (to->bar != NULL && p->beat) return; /* the line draws the saving phase on its own */
    if (to->bar != NULL)
        ra_progress_update_shards(to->bar, p->done, p->expected, p->elapsed, p->final, p->shards, p->nshards);
    else
        ra_progress_log_sample(&to->events, p->id, p->done, p->expected, p->elapsed, p->final, p->shards, p->nshards);
}

/* The RDB size of the newest succeeded backup (0: none): the estimated total of a diskless stream. */
static long long previous_size(const ra_store *store) {
    ra_record *recs;
    size_t n;
    ra_err err = {0};
    long long size = 0;
    if (ra_catalog_list(&store->catalog, time(NULL), &recs, &n, &err) != 0) return 0;
    ra_records_sort_newest(recs, n);
    for (size_t i = 0; i < n && size == 0; i++)
        if (recs[i].state == RA_STATE_SUCCEEDED) size = recs[i].bytes;
    ra_catalog_records_free(recs, n);
    return size;
}

/* Shared with `schedule`: one backup with the configured source, store and sizes. */
static int backup_once(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_backup_links *keep,
                       ra_err *err) {
    const ra_config *c = app->config;
    memset(rec, 0, sizeof(*rec));
    if (ra_remark_check(remark, err) != 0) return -1;
    ra_seal_opts seal;
    ra_age_recipient *recipients;
    if (seal_from_config(c, &seal, &recipients, err) != 0) return -1;
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) {
        free(recipients);
        return -1;
    }
    /* the heartbeat's own client: a stalled record or lock write never holds up the stream's requests */
    ra_s3_config sc;
    ra_app_s3_config(app, NULL, &sc);
    ra_s3 *beat = ra_s3_new(&sc, err);
    if (beat == NULL) {
        ra_app_close_store(&store);
        free(recipients);
        return -1;
    }
    ra_replica_opts src;
    ra_app_replica_opts(app, &src);
    ra_progress *bar = app->stderr_tty ? ra_progress_new(stderr, 0) : NULL;
    if (bar != NULL) {
        ra_progress_set_estimate(bar, previous_size(&store));
        ra_progress_start_clock(bar);
        app->log.hook = ra_progress_hook;
        app->log.hook_ctx = bar;
    }
    progress_to to = {.bar = bar};
    ra_progress_log_init(&to.events, &app->log, store.catalog.instance, (double)c->progress_interval);
    ra_backup_opts opts = {
        .catalog = &store.catalog,
        .beat_s3 = beat,
        .source = &src,
        .part_size = c->part_size,
        .concurrency = c->concurrency,
        .checksum = (ra_upload_checksum)c->part_checksum,
        .growth = (ra_upload_growth)c->part_size_growth,
        .seal = seal.compression != RA_COMPRESSION_NONE || seal.nrecipients > 0 ? &seal : NULL,
        .automatic = automatic,
        .remark = remark,
        .progress = bar != NULL || c->progress_interval > 0 ? on_progress : NULL,
        .progress_ctx = &to,
        .keep = keep,
        .cancel = app->cancel,
        .log = &app->log,
    };
    time_t started = time(NULL);
    int rc = ra_backup_run(&opts, rec, err);
    app->log.hook = NULL;
    app->log.hook_ctx = NULL;
    ra_progress_free(bar);
    ra_s3_free(beat);
    /* the lifecycle rules (daily), the tags or the sweep; left alone after a store that failed the backup, a
     * cancel, or another run that holds the instance (it does the same) */
    if (rc == 0 || (err->code != RA_E_STORE && err->code != RA_E_CANCELLED && err->code != RA_E_BUSY))
        ra_retention_after_backup(app, &store, rec, rc == 0);
    if (rc != 0) record_failure(app, &store.catalog, automatic, remark, opts.seal, started, rec, err);
    ra_app_close_store(&store);
    free(recipients);
    return rc;
}

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ra_backup_with_config(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_err *err) {
    double t0 = monotonic();
    int rc = backup_once(app, automatic, remark, rec, NULL, err);
    ra_report_run(app, rec, rc, err, monotonic() - t0);
    return rc;
}

int ra_backup_keep_links(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_backup_links *links,
                         ra_err *err) {
    double t0 = monotonic();
    int rc = backup_once(app, automatic, remark, rec, links, err);
    ra_report_run(app, rec, rc, err, monotonic() - t0);
    return rc;
}

int ra_cmd_backup(ra_app *app, const ra_args *args, ra_err *err) {
    const char *remark = ra_args_value(args, "--remark");
    int automatic = ra_args_at(args, "--auto") > 0, json = ra_args_at(args, "--json") > 0;
    if (ra_args_at(args, "--quiet") > 0) app->stderr_tty = 0; /* no progress bar */
    ra_record rec;
    int rc = ra_backup_with_config(app, automatic, remark, &rec, err);
    if (rc == 0 && ra_args_at(args, "--keep") > 0) rc = ra_backup_pin(app, &rec, err);
    if (rec.id[0] != '\0' && json) {
        char *text = ra_record_to_json(&rec);
        if (text) printf("%s\n", text);
        free(text);
    } else if (rc == 0) {
        printf("%s\n", rec.id);
    }
    ra_record_clear(&rec);
    return rc;
}
