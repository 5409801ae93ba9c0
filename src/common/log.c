/* log.c - text or JSON-lines logging to a stream chosen by the caller. */
#include "common/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

static const char *level_name[] = {"debug", "info", "warn", "error"};

ra_log ra_log_default(void) {
    ra_log log = {
        .out = stderr,
        .min = RA_LOG_INFO,
        .format = isatty(fileno(stderr)) ? RA_LOG_TEXT : RA_LOG_JSON,
    };
    return log;
}

void ra_log_msg(const ra_log *log, ra_log_level level, const char *event, const char *fmt, ...) {
    if (log == NULL || log->out == NULL || level < log->min) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

    if (log->hook != NULL) log->hook(log->hook_ctx, 1);
    if (log->format == RA_LOG_JSON) {
        json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level_name[level],
                                 "event", event, "msg", msg);
        char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text) fprintf(log->out, "%s\n", text);
        free(text);
        json_decref(line);
    } else if (level >= RA_LOG_WARN) {
        fprintf(log->out, "redis-archiver: %s: %s\n", level_name[level], msg);
    } else {
        fprintf(log->out, "redis-archiver: %s\n", msg);
    }
    fflush(log->out);
    if (log->hook != NULL) log->hook(log->hook_ctx, 0);
}
