/* cmd_schedule.c - `schedule`: run forever, one auto backup a day at a random moment inside the window,
 * one catch-up when the window was missed, stopped cleanly by SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "command/cli.h"
#include "common/random.h"

/* Start time of the newest auto backup, 0 if none; -1 if the store cannot be read. */
static time_t last_auto_run(ra_app *app, ra_err *err) {
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record *recs;
    size_t n;
    time_t last = 0;
    if (ra_catalog_list(&store.catalog, time(NULL), &recs, &n, err) != 0) {
        last = -1;
    } else {
        for (size_t i = 0; i < n && last == 0; i++)
            if (recs[i].automatic) last = recs[i].started;
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

static void run_one(ra_app *app, time_t *last_run) {
    ra_record rec;
    ra_err err = {0};
    *last_run = time(NULL);
    if (ra_backup_with_config(app, 1, NULL, &rec, &err) != 0)
        ra_log_error(&app->log, "schedule.failed", "scheduled backup failed: %s", err.msg);
    ra_record_clear(&rec);
}

int ra_cmd_schedule(ra_app *app, const ra_args *args, ra_err *err) {
    (void)args;
    const ra_config *c = app->config;
    if (ra_config_require_bucket(c, err) != 0) return -1;
    if (!c->tz_fixed) {
        setenv("TZ", c->timezone, 1);
        tzset();
    }
    ra_schedule s;
    ra_config_schedule(c, &s);

    time_t last_run;
    for (;;) {
        last_run = last_auto_run(app, err);
        if (last_run >= 0) break;
        ra_log_warn(&app->log, "schedule.store", "cannot read earlier backups, retrying in 60s: %s", err->msg);
        if (sleep_until(app, time(NULL) + 60)) return 0;
    }
    ra_err_clear(err);
    if (ra_schedule_missed(&s, time(NULL), last_run)) {
        ra_log_info(&app->log, "schedule.catchup", "today's window was missed: backing up now");
        run_one(app, &last_run);
    }
    while (!*app->cancel) {
        time_t next = ra_schedule_next(&s, time(NULL), last_run, random_fraction());
        if (next == (time_t)-1) return ra_err_set(err, RA_E_USAGE, "the schedule has no eligible day");
        char when[32];
        ra_time_iso(next, when);
        ra_log_info(&app->log, "schedule.next", "next backup of instance '%s' at %s", c->instance, when);
        if (sleep_until(app, next)) break;
        run_one(app, &last_run);
    }
    ra_log_info(&app->log, "schedule.stop", "stopped by signal");
    return 0;
}
