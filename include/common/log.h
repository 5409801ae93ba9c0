/* log.h - a leveled logger passed down as a value: human text on a TTY, JSON lines otherwise. */
#ifndef RA_COMMON_LOG_H
#define RA_COMMON_LOG_H

#include <stdio.h>

typedef enum ra_log_level { RA_LOG_DEBUG, RA_LOG_INFO, RA_LOG_WARN, RA_LOG_ERROR } ra_log_level;
typedef enum ra_log_format { RA_LOG_TEXT, RA_LOG_JSON } ra_log_format;

typedef struct ra_log {
    FILE *out;           /* stderr by default */
    ra_log_level min;    /* messages below this level are dropped */
    ra_log_format format;
    /* NULL, or called with before 1 just before a line is written and 0 just after (on the same
     * thread): a progress bar on the same terminal erases itself and draws itself again. */
    void (*hook)(void *ctx, int before);
    void *hook_ctx;
} ra_log;

/* A logger on stderr: text when stderr is a terminal, JSON lines otherwise. */
ra_log ra_log_default(void);

/* Log one event. `event` is a short stable word ("backup.start", "s3.retry"); the message is
 * human text. Callers never pass secrets: the logger does not know what is secret.
 * log may be NULL (then nothing is written). */
void ra_log_msg(const ra_log *log, ra_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define ra_log_debug(l, ev, ...) ra_log_msg((l), RA_LOG_DEBUG, (ev), __VA_ARGS__)
#define ra_log_info(l, ev, ...) ra_log_msg((l), RA_LOG_INFO, (ev), __VA_ARGS__)
#define ra_log_warn(l, ev, ...) ra_log_msg((l), RA_LOG_WARN, (ev), __VA_ARGS__)
#define ra_log_error(l, ev, ...) ra_log_msg((l), RA_LOG_ERROR, (ev), __VA_ARGS__)

#endif
