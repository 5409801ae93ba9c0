/* report.c - what happens after every backup run, whatever its result: the metrics (schedule's
 * endpoint, metrics-file) and the hooks (notify-url, notify-command); and an archive's progress, told to
 * the same metrics as its segments land. None of it changes the run's result: failures here are logged
 * as warnings. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/httpd.h"
#include "command/metrics.h"
#include "command/notify.h"
#include "command/report.h"
#include "common/limits.h"

/* Merge *add (when given) or the archive's numbers in *arch (when given) into metrics-file: read what the
 * file has, change it, replace the file. */
static void write_metrics(const ra_app *app, const ra_record *rec, ra_code code, double seconds, time_t now,
                          const ra_metrics *arch) {
    const ra_config *c = app->config;
    ra_metrics m = {0};
    ra_err err = {0};
    char *text = NULL;
    if (ra_metrics_load_file(&m, c->instance, c->metrics_file, &err) == 0) {
        if (arch) {
            m.archive_last_segment = arch->archive_last_segment;
            m.archive_lag_bytes = arch->archive_lag_bytes;
        } else {
            ra_metrics_add(&m, rec, code, seconds, now);
        }
        if (m.archive_last_segment > 0)
            m.archive_lag_seconds = now > m.archive_last_segment ? (long)(now - m.archive_last_segment) : 0;
        text = ra_metrics_format(&m, c->instance);
        if (text == NULL) ra_err_set(&err, RA_E_INTERNAL, "out of memory");
    }
    if (text == NULL || ra_metrics_write_file(c->metrics_file, text, &err) != 0)
        ra_log_warn(&app->log, "metrics.failed", "could not write the metrics file: %s", err.msg);
    free(text);
}

struct ra_report_archive {
    const ra_app *app;
    pthread_mutex_t mu;  /* uploader threads report concurrently; one writes the file at a time */
    ra_metrics m;        /* the archive's newest numbers */
    time_t written;      /* when metrics-file was last written (0: never) */
    int pending;         /* numbers newer than the file */
};

ra_report_archive *ra_report_archive_new(const ra_app *app) {
    if (app->monitor == NULL && app->config->metrics_file == NULL) return NULL;
    ra_report_archive *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->app = app;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void ra_report_archive_set(ra_report_archive *r, time_t last_segment, long long lag_bytes) {
    if (r == NULL) return;
    if (r->app->monitor) ra_httpd_set_archive(r->app->monitor, last_segment, lag_bytes);
    if (r->app->config->metrics_file == NULL) return;
    pthread_mutex_lock(&r->mu);
    r->m.archive_last_segment = last_segment;
    r->m.archive_lag_bytes = lag_bytes;
    r->pending = 1;
    time_t now = time(NULL);
    if (r->written == 0 || now - r->written >= RA_METRICS_FILE_EVERY_S) {
        write_metrics(r->app, NULL, RA_OK, 0, now, &r->m);
        r->written = now;
        r->pending = 0;
    }
    pthread_mutex_unlock(&r->mu);
}

void ra_report_archive_free(ra_report_archive *r) {
    if (r == NULL) return;
    if (r->pending) write_metrics(r->app, NULL, RA_OK, 0, time(NULL), &r->m);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void notify(const ra_app *app, const ra_record *rec) {
    const ra_config *c = app->config;
    char *json = ra_record_to_json(rec);
    if (json == NULL) {
        ra_log_warn(&app->log, "notify.failed", "could not notify: out of memory");
        return;
    }
    ra_err err = {0};
    if (c->notify_url) {
        if (ra_notify_post(c->notify_url, json, RA_NOTIFY_ATTEMPTS, RA_NOTIFY_TIMEOUT_S, NULL, &app->log, &err) == 0)
            ra_log_info(&app->log, "notify.sent", "notify-url told about backup %s (%s)", rec->id,
                        ra_state_name(rec->state));
        else
            ra_log_warn(&app->log, "notify.failed", "%s", err.msg);
    }
    if (c->notify_command) {
        char state[64], id[64], instance[160], cls[64];
        snprintf(state, sizeof(state), "RA_STATE=%s", ra_state_name(rec->state));
        snprintf(id, sizeof(id), "RA_ID=%s", rec->id);
        snprintf(instance, sizeof(instance), "RA_INSTANCE=%s", rec->instance ? rec->instance : c->instance);
        snprintf(cls, sizeof(cls), "RA_EXIT_CLASS=%s", rec->exit_class ? rec->exit_class : "");
        const char *env[] = {state, id, instance, cls, NULL};
        ra_err_clear(&err);
        if (ra_notify_run(c->notify_command, json, env, RA_NOTIFY_TIMEOUT_S, &err) == 0)
            ra_log_info(&app->log, "notify.sent", "notify-command told about backup %s (%s)", rec->id,
                        ra_state_name(rec->state));
        else
            ra_log_warn(&app->log, "notify.failed", "%s", err.msg);
    }
    free(json);
}

void ra_report_run(const ra_app *app, ra_record *rec, int rc, const ra_err *err, double seconds) {
    const ra_config *c = app->config;
    time_t now = time(NULL);
    ra_err fail = {0};
    if (rc != 0) {
        fail = *err;
        if (fail.code == RA_OK) fail.code = RA_E_INTERNAL;
        if (rec->instance == NULL) rec->instance = strdup(c->instance);
        if (rec->finished == 0) rec->finished = now;
        if (rec->started == 0) rec->started = now - (time_t)seconds;
        if (rec->exit_class == NULL || rec->error == NULL) ra_record_set_error(rec, &fail);
    }
    ra_code code = rc == 0 ? RA_OK : fail.code;
    /* one line a log collector can count and graph without parsing messages */
    double rate = seconds > 0 ? (double)rec->bytes / seconds : 0;
    ra_log_field fields[] = {
        {"id", rec->id, 0}, {"instance", c->instance, 0},
        {"status", ra_state_name(rec->state), 0}, {"bytes", NULL, (double)rec->bytes},
        {"seconds", NULL, (double)(long long)(seconds * 1000) / 1000}, {"rate", NULL, (double)(long long)rate},
        {"exit_class", rc == 0 ? "" : ra_err_code_name(code), 0},
    };
    size_t nf = sizeof(fields) / sizeof(fields[0]);
    if (rc == 0)
        ra_log_fields(&app->log, RA_LOG_INFO, "backup.result", fields, nf, "backup %s succeeded: %lld bytes in %.1fs",
                      rec->id, rec->bytes, seconds);
    else
        ra_log_fields(&app->log, RA_LOG_INFO, "backup.result", fields, nf, "backup %s %s (%s)",
                      rec->id[0] ? rec->id : "attempt", ra_state_name(rec->state), ra_err_code_name(code));
    if (app->monitor) ra_httpd_add_run(app->monitor, rec, code, seconds, now);
    if (c->metrics_file) write_metrics(app, rec, code, seconds, now, NULL);
    if ((c->notify_url || c->notify_command) && ra_notify_wanted((ra_notify_on)c->notify_on, rc == 0))
        notify(app, rec);
}
