/* cmd_schedule.c - `schedule`: run forever, one auto backup a day at a random moment inside the window,
 * one catch-up when the window was missed, retries of a failed backup with capped exponential backoff
 * inside the window, /metrics and /healthz on listen-address, stopped cleanly by SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command/cli.h"
#include "command/httpd.h"
#include "common/limits.h"
#include "common/random.h"

/* Start time of the newest auto backup, 0 if none; -1 if the store cannot be read. Its outcome seeds
 * *m (the health of a restarted daemon is the last scheduled backup's). */
static time_t last_auto_run(ra_app *app, ra_metrics *m, ra_err *err) {
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record *recs;
    size_t n;
    time_t last = 0;
    if (ra_catalog_list(&store.catalog, time(NULL), &recs, &n, err) != 0) {
        last = -1;
    } else {
        for (size_t i = 0; i < n && last == 0; i++) {
            if (!recs[i].automatic || recs[i].state == RA_STATE_RUNNING) continue;
            last = recs[i].started;
            m->last_attempt = recs[i].finished ? recs[i].finished : recs[i].started;
            m->last_ok = recs[i].state == RA_STATE_SUCCEEDED;
            m->duration = recs[i].finished > recs[i].started ? (double)(recs[i].finished - recs[i].started) : 0;
        }
        for (size_t i = 0; i < n; i++)
            if (recs[i].automatic && recs[i].state == RA_STATE_SUCCEEDED) {
                m->last_success = recs[i].finished;
                m->bytes = recs[i].bytes;
                m->stored = recs[i].stored ? recs[i].stored : recs[i].bytes;
                break;
            }
        ra_catalog_records_free(recs, n);
    }
    ra_app_close_store(&store);
    return last;
}

static double random_fraction(void) {
    return (double)(ra_random_u32() % 1000000u) / 1e6;
}

/* Sleep until t; 1 when interrupted by SIGTERM/SIGINT. */
static int sleep_until(ra_app *app, time_t t) {
    while (time(NULL) < t) {
        if (*app->cancel) return 1;
        struct timespec step = {1, 0};
        nanosleep(&step, NULL);
    }
    return *app->cancel != 0;
}

static int attempt(ra_app *app) {
    ra_record rec;
    ra_err err = {0};
    int rc = ra_backup_with_config(app, 1, NULL, &rec, &err);
    if (rc != 0) ra_log_error(&app->log, "schedule.failed", "scheduled backup failed: %s", err.msg);
    ra_record_clear(&rec);
    return rc;
}

/* One scheduled backup and its retries: retry-delay, doubled each time up to RA_RETRY_DELAY_CAP_S, at
 * most `retries` times, and only while the retry starts before the window ends (a catch-up run: before
 * the next window opens). */
static void run_one(ra_app *app, const ra_schedule *s, time_t *last_run) {
    const ra_config *c = app->config;
    time_t now = time(NULL);
    *last_run = now;
    ra_slot slot;
    time_t until = (time_t)-1;
    if (ra_schedule_slot(s, now, 0, &slot) == 0) until = slot.start <= now ? slot.end : slot.start;
    long delay = c->retry_delay;
    int tries = 0;
    while (attempt(app) != 0 && !*app->cancel) {
        now = time(NULL);
        if (tries >= c->retries || (until != (time_t)-1 && now + delay >= until)) {
            char when[32] = "";
            time_t next = ra_schedule_next(s, now, *last_run, 0);
            if (next != (time_t)-1) ra_time_iso(next, when);
            ra_log_error(&app->log, "schedule.gave-up",
                         "scheduled backup of instance '%s' failed %d time%s: giving up until the next window%s%s",
                         c->instance, tries + 1, tries ? "s" : "", when[0] ? " at " : "", when);
            return;
        }
        tries++;
        ra_log_warn(&app->log, "schedule.retry", "retrying the scheduled backup in %lds (retry %d of %d)", delay,
                    tries, c->retries);
        if (sleep_until(app, now + delay)) return;
        if (delay < RA_RETRY_DELAY_CAP_S) delay = delay * 2 < RA_RETRY_DELAY_CAP_S ? delay * 2 : RA_RETRY_DELAY_CAP_S;
    }
}

/* --continuous: archive chains back to back, each until the next window's moment; a failed one is
 * started again after retry-delay, doubled up to RA_RETRY_DELAY_CAP_S (reset by a chain that ended well). */
static void run_continuous(ra_app *app, const ra_schedule *s) {
    const ra_config *c = app->config;
    long delay = c->retry_delay;
    time_t last_run = time(NULL);
    while (!*app->cancel) {
        time_t next = ra_schedule_next(s, time(NULL), last_run, random_fraction());
        char when[32] = "never";
        if (next != (time_t)-1) ra_time_iso(next, when);
        ra_log_info(&app->log, "schedule.chain", "archiving instance '%s' continuously; the next chain starts at %s",
                    c->instance, when);
        ra_err err = {0};
        int rc = ra_archive_continuous(app, next == (time_t)-1 ? 0 : next, &err);
        last_run = time(NULL);
        if (*app->cancel) break;
        if (rc == 0) {
            delay = c->retry_delay;
            continue;
        }
        ra_log_error(&app->log, "schedule.failed", "the archive failed: %s; starting a new chain in %lds", err.msg,
                     delay);
        if (sleep_until(app, time(NULL) + delay)) break;
        if (delay < RA_RETRY_DELAY_CAP_S) delay = delay * 2 < RA_RETRY_DELAY_CAP_S ? delay * 2 : RA_RETRY_DELAY_CAP_S;
    }
}

int ra_cmd_schedule(ra_app *app, const ra_args *args, ra_err *err) {
    int continuous = ra_args_at(args, "--continuous") > 0;
    const ra_config *c = app->config;
    if (ra_config_require_bucket(c, err) != 0) return -1;
    if (!c->tz_fixed) {
        setenv("TZ", c->timezone, 1);
        tzset();
    }
    ra_schedule s;
    ra_config_schedule(c, &s);

    time_t last_run, started = time(NULL);
    ra_metrics seed = {0};
    /* the endpoint first: a store that is not reachable yet must not look like a dead process */
    ra_httpd *monitor = NULL;
    if (c->listen_address) {
        monitor = ra_httpd_new(c->listen_address, c->instance, c->health_max_age, &seed, started, &app->log, err);
        if (monitor == NULL) return -1;
        app->monitor = monitor;
        ra_log_info(&app->log, "schedule.listen", "serving /metrics and /healthz on %s", c->listen_address);
    }
    for (;;) {
        memset(&seed, 0, sizeof(seed));
        last_run = last_auto_run(app, &seed, err);
        if (last_run >= 0) break;
        ra_log_warn(&app->log, "schedule.store", "cannot read earlier backups, retrying in 60s: %s", err->msg);
        if (sleep_until(app, time(NULL) + 60)) {
            app->monitor = NULL;
            ra_httpd_free(monitor);
            return 0;
        }
    }
    ra_err_clear(err);
    ra_httpd_seed(monitor, &seed);
    if (continuous) run_continuous(app, &s);
    if (!continuous && ra_schedule_missed(&s, time(NULL), last_run)) {
        ra_log_info(&app->log, "schedule.catchup", "today's window was missed: backing up now");
        run_one(app, &s, &last_run);
    }
    while (!continuous && !*app->cancel) {
        time_t next = ra_schedule_next(&s, time(NULL), last_run, random_fraction());
        if (next == (time_t)-1) {
            app->monitor = NULL;
            ra_httpd_free(monitor);
            return ra_err_set(err, RA_E_USAGE, "the schedule has no eligible day");
        }
        char when[32];
        ra_time_iso(next, when);
        ra_log_info(&app->log, "schedule.next", "next backup of instance '%s' at %s", c->instance, when);
        if (sleep_until(app, next)) break;
        run_one(app, &s, &last_run);
    }
    app->monitor = NULL;
    ra_httpd_free(monitor);
    ra_log_info(&app->log, "schedule.stop", "stopped by signal");
    return 0;
}
