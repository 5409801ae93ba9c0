/* random.h - unpredictable bits for backup ids and the schedule's start minute (not for secrets). */
#ifndef RA_COMMON_RANDOM_H
#define RA_COMMON_RANDOM_H

#include <stdint.h>

/* From getrandom(2); where that fails (very old kernels, seccomp), pid and clock mixed. */
uint32_t ra_random_u32(void);

#endif
