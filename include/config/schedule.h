/* schedule.h - when the daemon backs up next: a daily window on some weekdays, in some time zone.
 * Pure: the time zone is a UTC offset, fixed or given by a function, never the process's TZ. */
#ifndef RA_CONFIG_SCHEDULE_H
#define RA_CONFIG_SCHEDULE_H

#include <time.h>

/* A daily window in local wall-clock minutes after midnight, [start, end). end <= start means the
 * window crosses midnight ("23:30-00:30"); end == start is not a valid window. */
typedef struct ra_window {
    int start;  /* 0..1439 */
    int end;    /* 0..1439 */
} ra_window;

#define RA_WEEKDAYS_ALL 0x7fu  /* bit 0 = Sunday ... bit 6 = Saturday */

/* Seconds east of UTC in force at instant t (Asia/Shanghai: 28800). */
typedef long (*ra_tz_offset_fn)(time_t t, const void *ctx);

typedef struct ra_schedule {
    ra_window window;
    unsigned weekdays;          /* a window runs on the days whose bit is set: the day it starts */
    long offset;                /* fixed seconds east of UTC, used when offset_fn is NULL */
    ra_tz_offset_fn offset_fn;  /* for zones with DST; NULL = fixed offset */
    const void *offset_ctx;
} ra_schedule;

/* One occurrence of the window, in UTC: [start, end). */
typedef struct ra_slot {
    time_t start;
    time_t end;
} ra_slot;

/* The first eligible occurrence that has not ended at `now` (end > now) and in which no run
 * happened yet (last_run outside [start, end); last_run 0 = never). Returns 0, or -1 when no
 * weekday is set or the window is invalid. */
int ra_schedule_slot(const ra_schedule *s, time_t now, time_t last_run, ra_slot *slot);

/* When to start the next scheduled backup: a time inside that slot drawn by `frac` in [0,1)
 * (the caller's random number, so runs of many instances spread over the window). If now is
 * already inside the slot, the time is in [now, end). Returns (time_t)-1 like ra_schedule_slot. */
time_t ra_schedule_next(const ra_schedule *s, time_t now, time_t last_run, double frac);

/* The catch-up rule: 1 when today's window (the eligible occurrence that ended today, local date,
 * at or before now) saw no run: last_run is before its start. A run at or after its start, inside
 * or after the window, counts. 0 when today has no window, or it has not ended yet. */
int ra_schedule_missed(const ra_schedule *s, time_t now, time_t last_run);

/* An ra_tz_offset_fn over localtime_r's tm_gmtoff: the zone of the process's TZ, which the caller
 * sets (setenv("TZ", ...) + tzset()) once at startup. ctx is unused. */
long ra_tz_offset_localtime(time_t t, const void *ctx);

#endif
