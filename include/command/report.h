/* report.h - a point-in-time archive's progress, told to whoever watches: schedule's /metrics
 * (app->monitor) and metrics-file. A finished run's report is ra_report_run (command/cli.h). */
#ifndef RA_COMMAND_REPORT_H
#define RA_COMMAND_REPORT_H

#include "command/cli.h"

typedef struct ra_report_archive ra_report_archive;

/* One archive chain's reporter; NULL when nobody watches (no monitor, no metrics-file) or out of
 * memory: then there is nothing to tell. */
ra_report_archive *ra_report_archive_new(const ra_app *app);
/* An ra_archive_opts progress callback (ctx: the reporter; any uploader thread): the newest stored
 * segment reaches last_ms (unix ms), received - uploaded bytes are not stored yet. The monitor learns
 * it at once; metrics-file is rewritten (merged with the file's run series) at most every
 * RA_METRICS_FILE_EVERY_S seconds. */
void ra_report_archive_progress(void *ctx, long long received, long long uploaded, long long last_ms);
/* Write what the throttle held back to metrics-file, then free; NULL is fine. */
void ra_report_archive_free(ra_report_archive *r);

#endif
