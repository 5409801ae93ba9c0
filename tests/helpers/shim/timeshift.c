/* timeshift.c - LD_PRELOAD shim that moves the wall clock of a process by TIMESHIFT seconds (may be
 * negative): time(), gettimeofday() and clock_gettime(CLOCK_REALTIME*). Monotonic clocks are left alone.
 * Built by the tests that use it (in a folder of its own: the .c files in tests/helpers are programs):
 *   cc -shared -fPIC -O2 -o timeshift.so tests/helpers/shim/timeshift.c -ldl
 *   TIMESHIFT=2592000 LD_PRELOAD=$PWD/timeshift.so redis-archiver backup ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long shift(void) {
    const char *s = getenv("TIMESHIFT");
    return s ? strtol(s, NULL, 10) : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (real == NULL) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += shift();
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    static int (*real)(struct timeval *restrict, void *restrict);
    if (real == NULL) real = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
    int rc = real(tv, tz);
    if (rc == 0) tv->tv_sec += shift();
    return rc;
}
