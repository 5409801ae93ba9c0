/* metrics.h - what unattended runs tell Prometheus: the last run's outcome, duration and size, and
 * backups counted by result and failure class, as Prometheus text format (formatting and reading back
 * are pure), written atomically for node_exporter's textfile collector (`metrics-file`) and served by
 * `schedule` on /metrics. */
#ifndef RA_COMMAND_METRICS_H
#define RA_COMMAND_METRICS_H

#include <stddef.h>
#include <time.h>

#include "command/record.h"
#include "common/err.h"

#define RA_METRICS_NCLASS (RA_E_CANCELLED + 1) /* failures counted by ra_code */

/* One instance's numbers; a caller-owned struct, all zero = nothing known yet. */
typedef struct ra_metrics {
    time_t last_success;        /* when the newest succeeded backup finished; 0: none */
    time_t last_attempt;        /* when the last run ended, whatever its result; 0: none */
    int last_ok;                /* the last run: 1 succeeded, 0 failed or cancelled */
    double duration;            /* seconds the last run took */
    long long bytes;            /* RDB bytes of the newest succeeded backup */
    long long stored;           /* bytes of its object (after compression and encryption) */
    unsigned long long succeeded, failed, cancelled;
    unsigned long long by_class[RA_METRICS_NCLASS]; /* failed and cancelled runs by error class */
    /* schedule --continuous: the point-in-time archive; archive_last_segment 0 = none (not printed) */
    time_t archive_last_segment; /* the wall-clock time the newest stored segment reaches */
    long long archive_lag_bytes; /* received from the source but not stored yet, at the last segment */
    long archive_lag_seconds;    /* how far the stored stream is behind (set by whoever formats: now - last) */
} ra_metrics;

/* Count one finished run: its record (state, finished, bytes, stored; may be NULL when the run failed
 * before it had one), the error class of a failure (RA_OK for a success), the seconds it took and
 * when it ended. */
void ra_metrics_add(ra_metrics *m, const ra_record *rec, ra_code code, double seconds, time_t now);

/* Prometheus text format (0.0.4) of m, every series labelled instance_name="<instance>"; caller
 * frees, NULL when out of memory. */
char *ra_metrics_format(const ra_metrics *m, const char *instance);

/* Read back what ra_metrics_format wrote for `instance` (other instances' lines and unknown lines
 * are skipped), so counters go on from the previous run's file. Returns how many series were read. */
int ra_metrics_parse(ra_metrics *m, const char *instance, const char *text, size_t len);

/* Healthy (1) when the last run succeeded and the newest success is at most max_age seconds old at
 * now; before any run, while now - since (the daemon's start) is at most max_age. */
int ra_metrics_healthy(const ra_metrics *m, time_t now, long max_age, time_t since);

/* Replace the file at path with text atomically: a temporary file beside it, fsync, rename. */
int ra_metrics_write_file(const char *path, const char *text, ra_err *err);
/* Read the file at path (at most 1 MiB) into *m for instance; a missing file is not an error. */
int ra_metrics_load_file(ra_metrics *m, const char *instance, const char *path, ra_err *err);

#endif
