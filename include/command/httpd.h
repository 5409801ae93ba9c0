/* httpd.h - schedule's monitoring endpoint: a thread that answers GET /metrics (Prometheus text of
 * the runs it is told about) and GET /healthz (200 while the last scheduled backup succeeded within
 * health-max-age, else 503) on listen-address. Plain HTTP/1.0, one request per connection. */
#ifndef RA_COMMAND_HTTPD_H
#define RA_COMMAND_HTTPD_H

#include <time.h>

#include "command/metrics.h"
#include "command/record.h"
#include "common/err.h"
#include "common/log.h"

typedef struct ra_httpd ra_httpd;

/* Listen on address ("host:port", "[v6]:port", ":port") and start serving; m seeds the numbers
 * (copied), started is when the daemon started (for health before any run). instance is copied.
 * RA_E_USAGE when the address cannot be bound. */
ra_httpd *ra_httpd_new(const char *address, const char *instance, long health_max_age, const ra_metrics *m,
                       time_t started, const ra_log *log, ra_err *err);
/* Replace the numbers with *m (the daemon's view of earlier runs, read once the store answers). */
void ra_httpd_seed(ra_httpd *h, const ra_metrics *m);
/* Count one finished run (ra_metrics_add under the server's lock). */
void ra_httpd_add_run(ra_httpd *h, const ra_record *rec, ra_code code, double seconds, time_t now);
/* The point-in-time archive's progress (schedule --continuous): its newest stored segment reaches
 * last_segment (unix s), lag_bytes received but not stored. /metrics shows the lag in seconds from it. */
void ra_httpd_set_archive(ra_httpd *h, time_t last_segment, long long lag_bytes);
/* The port bound (useful with port 0). */
int ra_httpd_port(const ra_httpd *h);
/* Stop the thread, close the socket; NULL is fine. */
void ra_httpd_free(ra_httpd *h);

#endif
