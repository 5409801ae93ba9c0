/* log.c - text or JSON-lines logging to a stream chosen by the caller. */
#include "common/log.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *level_name[] = {"debug", "info", "warn", "error"};
static const int syslog_priority[] = {7, 6, 4, 3}; /* LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR */

/* Is f the stream JOURNAL_STREAM ("<device>:<inode>") names? systemd's own test (sd_journal_stream_fd(3)). */
static int is_journal(FILE *f) {
    const char *js = getenv("JOURNAL_STREAM"); /* not configuration: what stderr is connected to */
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fileno(f), &st) != 0) return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

ra_log ra_log_default(void) {
    ra_log log = {
        .out = stderr,
        .min = RA_LOG_INFO,
        .format = isatty(fileno(stderr)) ? RA_LOG_TEXT : RA_LOG_JSON,
        .priority_prefix = is_journal(stderr),
    };
    return log;
}

static void vlog(const ra_log *log, ra_log_level level, const char *event, const ra_log_field *fields, size_t nfields,
                 const char *fmt, va_list ap) {
    if (log == NULL || log->out == NULL || level < log->min) return;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char prio[8] = "";
    if (log->priority_prefix) snprintf(prio, sizeof(prio), "<%d>", syslog_priority[level]);

    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

    if (log->hook != NULL) log->hook(log->hook_ctx, 1);
    if (log->format == RA_LOG_JSON) {
        json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level_name[level],
                                 "event", event, "msg", msg);
        for (size_t i = 0; line && i < nfields; i++) {
            const ra_log_field *f = &fields[i];
            json_t *v;
            if (f->s)
                v = json_string(f->s);
            else if (f->n == floor(f->n) && fabs(f->n) < 9007199254740992.0)
                v = json_integer((json_int_t)f->n);
            else
                v = json_real(f->n);
            json_object_set_new(line, f->key, v ? v : json_null());
        }
        char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text) fprintf(log->out, "%s%s\n", prio, text);
        free(text);
        json_decref(line);
    } else if (level >= RA_LOG_WARN) {
        fprintf(log->out, "%sredis-archiver: %s: %s\n", prio, level_name[level], msg);
    } else {
        fprintf(log->out, "%sredis-archiver: %s\n", prio, msg);
    }
    fflush(log->out);
    if (log->hook != NULL) log->hook(log->hook_ctx, 0);
}

void ra_log_msg(const ra_log *log, ra_log_level level, const char *event, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(log, level, event, NULL, 0, fmt, ap);
    va_end(ap);
}

void ra_log_fields(const ra_log *log, ra_log_level level, const char *event, const ra_log_field *fields,
                   size_t nfields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(log, level, event, fields, nfields, fmt, ap);
    va_end(ap);
}
