/* schedule.c - next backup time inside a daily window; local days counted as plain arithmetic. */
#include "config/schedule.h"

#include <stddef.h>

#define DAY 86400L

static long offset_at(const ra_schedule *s, time_t t) {
    return s->offset_fn != NULL ? s->offset_fn(t, s->offset_ctx) : s->offset;
}

static long long floor_div(long long a, long long b) {
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Local wall-clock seconds -> UTC. Two rounds settle the offset for zones whose offset changes
 * (a time in a DST gap lands just after it; an ambiguous one picks the first reading). */
static time_t to_utc(const ra_schedule *s, long long local) {
    time_t t = (time_t)(local - offset_at(s, (time_t)local));
    return (time_t)(local - offset_at(s, t));
}

static long long local_day(const ra_schedule *s, time_t t) {
    return floor_div((long long)t + offset_at(s, t), DAY);
}

static int window_valid(const ra_window *w) {
    return w->start >= 0 && w->start < 1440 && w->end >= 0 && w->end < 1440 && w->start != w->end;
}

/* The occurrence starting on local day `day` (days since 1970-01-01 local). */
static ra_slot slot_of_day(const ra_schedule *s, long long day) {
    ra_slot r;
    long long start = day * DAY + s->window.start * 60L;
    long long end = (day + (s->window.end <= s->window.start ? 1 : 0)) * DAY + s->window.end * 60L;
    r.start = to_utc(s, start);
    r.end = to_utc(s, end);
    if (r.end <= r.start) r.end = r.start + 60;  /* a DST jump swallowed the window: keep a minute */
    return r;
}

static int day_eligible(const ra_schedule *s, long long day) {
    int wday = (int)(((day + 4) % 7 + 7) % 7);  /* 1970-01-01 was a Thursday; 0 = Sunday */
    return (s->weekdays >> wday) & 1u;
}

int ra_schedule_slot(const ra_schedule *s, time_t now, time_t last_run, ra_slot *slot) {
    if (s == NULL || !window_valid(&s->window) || (s->weekdays & RA_WEEKDAYS_ALL) == 0) return -1;
    long long today = local_day(s, now);
    /* From yesterday (a window crossing midnight may still be open) through a week and a day
     * (one occurrence may be skipped because it already ran). */
    for (long long day = today - 1; day <= today + 8; day++) {
        if (!day_eligible(s, day)) continue;
        ra_slot r = slot_of_day(s, day);
        if (r.end <= now) continue;
        if (last_run != 0 && last_run >= r.start && last_run < r.end) continue;
        if (slot != NULL) *slot = r;
        return 0;
    }
    return -1;
}

time_t ra_schedule_next(const ra_schedule *s, time_t now, time_t last_run, double frac) {
    ra_slot r;
    if (ra_schedule_slot(s, now, last_run, &r) != 0) return (time_t)-1;
    if (!(frac >= 0.0)) frac = 0.0;  /* also NaN */
    if (frac >= 1.0) frac = 0.0;
    time_t from = now > r.start ? now : r.start;
    long long len = (long long)r.end - (long long)from;  /* >= 1: end > now and end > start */
    long long pick = (long long)(frac * (double)len);
    if (pick >= len) pick = len - 1;
    return (time_t)(from + pick);
}

int ra_schedule_missed(const ra_schedule *s, time_t now, time_t last_run) {
    if (s == NULL || !window_valid(&s->window) || (s->weekdays & RA_WEEKDAYS_ALL) == 0) return 0;
    long long today = local_day(s, now);
    /* The occurrence that ends today started today or, crossing midnight, yesterday. */
    for (long long day = today - 1; day <= today; day++) {
        if (!day_eligible(s, day)) continue;
        ra_slot r = slot_of_day(s, day);
        if (r.end > now || local_day(s, r.end) != today) continue;
        return last_run < r.start;
    }
    return 0;
}

long ra_tz_offset_localtime(time_t t, const void *ctx) {
    (void)ctx;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL) return 0;
    return tm.tm_gmtoff;
}
