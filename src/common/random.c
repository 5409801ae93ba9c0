/* random.c - see random.h. */
#include "common/random.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint32_t ra_random_u32(void) {
    uint32_t v;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v)) return v;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)getpid() * 2654435761u ^ (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;
}
