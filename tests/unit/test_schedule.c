/* test_schedule.c - next start inside the daily window, weekdays, offsets, the catch-up rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/schedule.h"

/* UTC instant of a wall-clock time. */
static time_t utc(int y, int mo, int d, int h, int mi, int s) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return timegm(&tm);
}

#define SUN (1u << 0)
#define MON (1u << 1)
#define TUE (1u << 2)
#define WED (1u << 3)
#define FRI (1u << 5)
#define SAT (1u << 6)

static ra_schedule sched(int sh, int sm, int eh, int em, unsigned days, long offset) {
    ra_schedule s = {.window = {sh * 60 + sm, (eh * 60 + em) % 1440}, .weekdays = days, .offset = offset};
    return s;
}

/* 2026-11-24 is a Tuesday. */
static void test_before_and_inside_window(void **state) {
    (void)state;
    ra_schedule s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 0);
    time_t now = utc(2026, 11, 24, 1, 0, 0);
    ra_slot slot;
    assert_int_equal(ra_schedule_slot(&s, now, 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 11, 24, 2, 0, 0));
    assert_int_equal(slot.end, utc(2026, 11, 24, 3, 0, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 24, 2, 0, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), utc(2026, 11, 24, 2, 30, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.99999999), utc(2026, 11, 24, 2, 59, 59));
    /* Inside: between now and the end. */
    now = utc(2026, 11, 24, 2, 30, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), now);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), utc(2026, 11, 24, 2, 45, 0));
    /* Start boundary is inside, end boundary is not. */
    now = utc(2026, 11, 24, 2, 0, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), now);
    now = utc(2026, 11, 24, 3, 0, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 25, 2, 0, 0));
    now = utc(2026, 11, 24, 2, 59, 59);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.9), now);
}

static void test_already_ran_in_window(void **state) {
    (void)state;
    ra_schedule s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 0);
    time_t now = utc(2026, 11, 24, 2, 20, 0);
    assert_int_equal(ra_schedule_next(&s, now, utc(2026, 11, 24, 2, 10, 0), 0.0), utc(2026, 11, 25, 2, 0, 0));
    /* A run yesterday does not skip today. */
    assert_int_equal(ra_schedule_next(&s, now, utc(2026, 11, 23, 2, 10, 0), 0.0), now);
    /* A run before today's window opened does not skip it either. */
    assert_int_equal(ra_schedule_next(&s, utc(2026, 11, 24, 1, 0, 0), utc(2026, 11, 24, 0, 30, 0), 0.0),
                     utc(2026, 11, 24, 2, 0, 0));
}

static void test_crossing_midnight(void **state) {
    (void)state;
    ra_schedule s = sched(23, 30, 0, 30, RA_WEEKDAYS_ALL, 0);
    ra_slot slot;
    time_t now = utc(2026, 11, 24, 0, 10, 0);  /* inside Monday's window */
    assert_int_equal(ra_schedule_slot(&s, now, 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 11, 23, 23, 30, 0));
    assert_int_equal(slot.end, utc(2026, 11, 24, 0, 30, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), now);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), utc(2026, 11, 24, 0, 20, 0));
    now = utc(2026, 11, 24, 0, 30, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 24, 23, 30, 0));
    now = utc(2026, 11, 24, 12, 0, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), utc(2026, 11, 25, 0, 0, 0));
    /* "22:00-24:00" ends at midnight. */
    s = sched(22, 0, 24, 0, RA_WEEKDAYS_ALL, 0);
    assert_int_equal(ra_schedule_slot(&s, utc(2026, 11, 24, 23, 59, 0), 0, &slot), 0);
    assert_int_equal(slot.end, utc(2026, 11, 25, 0, 0, 0));
}

static void test_weekdays(void **state) {
    (void)state;
    ra_schedule s = sched(2, 0, 3, 0, MON, 0);
    time_t now = utc(2026, 11, 24, 1, 0, 0);  /* Tuesday */
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 30, 2, 0, 0));
    s.weekdays = MON | WED | FRI;
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 25, 2, 0, 0));
    s.weekdays = TUE;  /* today, not yet ended */
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 24, 2, 0, 0));
    /* Today's ran already: next Tuesday. */
    assert_int_equal(ra_schedule_next(&s, utc(2026, 11, 24, 2, 30, 0), utc(2026, 11, 24, 2, 5, 0), 0.0),
                     utc(2026, 12, 1, 2, 0, 0));
    /* Crossing midnight: the window belongs to the day it starts, Monday 23:00 - Tuesday 01:00. */
    s = sched(23, 0, 1, 0, MON, 0);
    now = utc(2026, 11, 24, 0, 30, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), now);
    now = utc(2026, 11, 24, 1, 0, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 30, 23, 0, 0));
    /* Saturday + Sunday, from a Friday. */
    s = sched(2, 0, 3, 0, SAT | SUN, 0);
    assert_int_equal(ra_schedule_next(&s, utc(2026, 11, 27, 12, 0, 0), 0, 0.0), utc(2026, 11, 28, 2, 0, 0));
}

static void test_fixed_offsets(void **state) {
    (void)state;
    /* +08:00: 02:00-03:00 local is 18:00-19:00 UTC the day before. */
    ra_schedule s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 8 * 3600);
    time_t now = utc(2026, 11, 24, 10, 0, 0);  /* 18:00 local, Tuesday */
    ra_slot slot;
    assert_int_equal(ra_schedule_slot(&s, now, 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 11, 24, 18, 0, 0));
    assert_int_equal(slot.end, utc(2026, 11, 24, 19, 0, 0));
    /* The weekday is the local one: Wednesday 02:00 +08:00 is Tuesday 18:00 UTC. */
    s.weekdays = WED;
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 24, 18, 0, 0));
    s.weekdays = TUE;
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.0), utc(2026, 11, 30, 18, 0, 0));
    /* -05:30 */
    s = sched(23, 0, 0, 15, RA_WEEKDAYS_ALL, -(5 * 3600 + 1800));
    now = utc(2026, 11, 24, 12, 0, 0);  /* 06:30 local */
    assert_int_equal(ra_schedule_slot(&s, now, 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 11, 25, 4, 30, 0));
    assert_int_equal(slot.end, utc(2026, 11, 25, 5, 45, 0));
}

/* A zone that moves from +01:00 to +02:00 at a fixed instant, like a DST change. */
static long fake_dst(time_t t, const void *ctx) {
    time_t change = *(const time_t *)ctx;
    return t < change ? 3600 : 7200;
}

static void test_offset_function(void **state) {
    (void)state;
    time_t change = utc(2026, 3, 29, 1, 0, 0);
    ra_schedule s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 0);
    s.offset_fn = fake_dst;
    s.offset_ctx = &change;
    ra_slot slot;
    /* Before: 02:00 local = 01:00 UTC. */
    assert_int_equal(ra_schedule_slot(&s, utc(2026, 3, 27, 12, 0, 0), 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 3, 28, 1, 0, 0));
    /* After: 02:00 local = 00:00 UTC. */
    assert_int_equal(ra_schedule_slot(&s, utc(2026, 3, 29, 12, 0, 0), 0, &slot), 0);
    assert_int_equal(slot.start, utc(2026, 3, 30, 0, 0, 0));
    assert_int_equal(slot.end, utc(2026, 3, 30, 1, 0, 0));
    /* On the day of the change: the window 02:00-03:00 local falls in the gap; it still has
     * a positive length and lies after now. */
    time_t now = utc(2026, 3, 28, 23, 30, 0);
    assert_int_equal(ra_schedule_slot(&s, now, 0, &slot), 0);
    assert_true(slot.end > slot.start);
    assert_true(slot.end > now);
    time_t n = ra_schedule_next(&s, now, 0, 0.7);
    assert_true(n >= now && n < slot.end);
}

static void test_invalid(void **state) {
    (void)state;
    ra_schedule s = sched(2, 0, 3, 0, 0, 0);
    time_t now = utc(2026, 11, 24, 1, 0, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), (time_t)-1);
    assert_int_equal(ra_schedule_missed(&s, now, 0), 0);
    s = sched(2, 0, 2, 0, RA_WEEKDAYS_ALL, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, 0.5), (time_t)-1);
    s.window.end = 1440;
    assert_int_equal(ra_schedule_slot(&s, now, 0, NULL), -1);
    assert_int_equal(ra_schedule_slot(NULL, now, 0, NULL), -1);
    /* Out-of-range fractions are clamped into the window. */
    s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 0);
    assert_int_equal(ra_schedule_next(&s, now, 0, -1.0), utc(2026, 11, 24, 2, 0, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, 1.0), utc(2026, 11, 24, 2, 0, 0));
    assert_int_equal(ra_schedule_next(&s, now, 0, NAN), utc(2026, 11, 24, 2, 0, 0));
}

static void test_missed(void **state) {
    (void)state;
    ra_schedule s = sched(2, 0, 3, 0, RA_WEEKDAYS_ALL, 0);
    time_t now = utc(2026, 11, 24, 5, 0, 0);
    assert_int_equal(ra_schedule_missed(&s, now, 0), 1);                              /* never ran */
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 23, 2, 30, 0)), 1);    /* yesterday */
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 24, 1, 59, 59)), 1);  /* before it */
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 24, 2, 0, 0)), 0);     /* in it */
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 24, 4, 0, 0)), 0);     /* after it */
    /* Today's window still ahead or open: nothing missed (yesterday's does not count). */
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 1, 0, 0), 0), 0);
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 2, 30, 0), 0), 0);
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 3, 0, 0), 0), 1);  /* just ended */
    /* Today is not a backup day. */
    s.weekdays = MON;
    assert_int_equal(ra_schedule_missed(&s, now, 0), 0);
    s.weekdays = TUE;
    assert_int_equal(ra_schedule_missed(&s, now, 0), 1);
    /* Crossing midnight: Monday's 23:00-01:00 ended on Tuesday. */
    s = sched(23, 0, 1, 0, MON, 0);
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 23, 12, 0, 0)), 1);
    assert_int_equal(ra_schedule_missed(&s, now, utc(2026, 11, 23, 23, 30, 0)), 0);
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 0, 30, 0), 0), 0);  /* still open */
    /* The local date decides "today": +08:00, 05:00 local Wednesday is 21:00 UTC Tuesday. */
    s = sched(2, 0, 3, 0, WED, 8 * 3600);
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 21, 0, 0), 0), 1);
    assert_int_equal(ra_schedule_missed(&s, utc(2026, 11, 24, 21, 0, 0), utc(2026, 11, 24, 18, 10, 0)), 0);
}

/* Brute force: step minute by minute from now to the first moment inside an eligible window,
 * and compare with ra_schedule_next(frac 0), over many windows, masks, offsets and times. */
static int eligible_at(const ra_schedule *s, time_t t) {
    long long local = (long long)t + s->offset;
    long long day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int m = (int)((local - day * 86400) / 60);
    long long wday_of;
    int st = s->window.start, en = s->window.end;
    if (st < en) {
        if (m < st || m >= en) return 0;
        wday_of = day;
    } else if (m >= st) {
        wday_of = day;
    } else if (m < en) {
        wday_of = day - 1;
    } else {
        return 0;
    }
    int wd = (int)(((wday_of + 4) % 7 + 7) % 7);
    return (s->weekdays >> wd) & 1u;
}

static void test_against_brute_force(void **state) {
    (void)state;
    unsigned seed = 12345;
    time_t base = utc(2026, 11, 20, 0, 0, 0);
    for (int iter = 0; iter < 3000; iter++) {
        seed = seed * 1103515245u + 12345u;
        int st = (int)((seed >> 8) % 1440);
        seed = seed * 1103515245u + 12345u;
        int en = (int)((seed >> 8) % 1440);
        if (en == st) en = (st + 1) % 1440;
        seed = seed * 1103515245u + 12345u;
        unsigned mask = (seed >> 8) % 127 + 1;
        seed = seed * 1103515245u + 12345u;
        long off = ((long)((seed >> 8) % 57) - 28) * 1800;  /* -14:00..+14:00 by half hours */
        seed = seed * 1103515245u + 12345u;
        time_t now = base + (time_t)((seed >> 4) % (14 * 86400));
        ra_schedule s = {.window = {st, en}, .weekdays = mask, .offset = off};
        time_t expect;
        if (eligible_at(&s, now)) {
            expect = now;
        } else {
            expect = now - (now % 60) + 60;
            while (!eligible_at(&s, expect)) expect += 60;
        }
        time_t got = ra_schedule_next(&s, now, 0, 0.0);
        if (got != expect)
            fail_msg("window %d-%d mask %#x offset %ld now %ld: got %ld want %ld", st, en, mask, off, (long)now,
                     (long)got, (long)expect);
        /* Any fraction stays inside the same window. */
        time_t anyf = ra_schedule_next(&s, now, 0, 0.999);
        assert_true(anyf >= got);
        assert_true(eligible_at(&s, anyf));
    }
}

static void test_localtime_adapter(void **state) {
    (void)state;
    setenv("TZ", "UTC0", 1);
    tzset();
    assert_int_equal(ra_tz_offset_localtime(utc(2026, 1, 1, 0, 0, 0), NULL), 0);
    setenv("TZ", "XST-8", 1);  /* POSIX form: 8 hours east, no zoneinfo needed */
    tzset();
    assert_int_equal(ra_tz_offset_localtime(utc(2026, 1, 1, 0, 0, 0), NULL), 8 * 3600);
    unsetenv("TZ");
    tzset();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_and_inside_window),
        cmocka_unit_test(test_already_ran_in_window),
        cmocka_unit_test(test_crossing_midnight),
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_fixed_offsets),
        cmocka_unit_test(test_offset_function),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_missed),
        cmocka_unit_test(test_against_brute_force),
        cmocka_unit_test(test_localtime_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
