/* cmd_backup.c - `redis-archiver backup`: one backup now, manual or auto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/backup.h"
#include "command/cli.h"
#include "command/progress.h"

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

static void on_progress(void *ctx, const ra_backup_progress *p) {
    ra_progress_update(ctx, p->done, p->expected, p->elapsed, p->final);
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
int ra_backup_with_config(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_err *err) {
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
    ra_backup_opts opts = {
        .catalog = &store.catalog,
        .beat_s3 = beat,
        .source = &src,
        .part_size = c->part_size,
        .concurrency = c->concurrency,
        .checksum = (ra_upload_checksum)c->part_checksum,
        .seal = seal.compression != RA_COMPRESSION_NONE || seal.nrecipients > 0 ? &seal : NULL,
        .automatic = automatic,
        .remark = remark,
        .sweep_days = c->sweep ? c->retention_days : 0,
        .progress = bar != NULL ? on_progress : NULL,
        .progress_ctx = bar,
        .cancel = app->cancel,
        .log = &app->log,
    };
    int rc = ra_backup_run(&opts, rec, err);
    app->log.hook = NULL;
    app->log.hook_ctx = NULL;
    ra_progress_free(bar);
    ra_s3_free(beat);
    ra_app_close_store(&store);
    free(recipients);
    return rc;
}

int ra_cmd_backup(ra_app *app, const ra_args *args, ra_err *err) {
    const char *remark = ra_args_value(args, "--remark");
    int automatic = ra_args_at(args, "--auto") > 0, json = ra_args_at(args, "--json") > 0;
    if (ra_args_at(args, "--quiet") > 0) app->stderr_tty = 0; /* no progress bar */
    ra_record rec;
    int rc = ra_backup_with_config(app, automatic, remark, &rec, err);
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
