/* report.h - a point-in-time archive's progress, told to whoever watches: schedule's /metrics
 * (app->monitor) and metrics-file. A finished run's report is ra_report_run (command/cli.h). */
#ifndef RA_COMMAND_REPORT_H
#define RA_COMMAND_REPORT_H

#include <time.h>

#include "command/cli.h"

typedef struct ra_report_archive ra_report_archive;

/* One archive chain's reporter; NULL when nobody watches (no monitor, no metrics-file) or out of
 * memory: then there is nothing to tell. */
ra_report_archive *ra_report_archive_new(const ra_app *app);
/* The archive's progress (any thread; r NULL: nothing): its newest stored segment reaches last_segment (unix
 * s), lag_bytes are received but not stored yet. The monitor learns it at once; metrics-file is rewritten
 * (merged with the file's run series) at most every RA_METRICS_FILE_EVERY_S seconds. */
void ra_report_archive_set(ra_report_archive *r, time_t last_segment, long long lag_bytes);
/* Write what the throttle held back to metrics-file, then free; NULL is fine. */
void ra_report_archive_free(ra_report_archive *r);

#endif
