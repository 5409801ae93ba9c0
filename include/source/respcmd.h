/* respcmd.h - pure parser of whole RESP multibulk commands ("*N\r\n" then N times "$L\r\n<L bytes>\r\n")
 * in memory into argv spans that point into the bytes, and the first key of a command by a legacy key
 * spec (COMMAND INFO first, last, step): what the restore target needs to route replayed commands. */
#ifndef RA_SOURCE_RESPCMD_H
#define RA_SOURCE_RESPCMD_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_RESPCMD_ARGC_MAX (1024 * 1024)      /* arguments of one command */
#define RA_RESPCMD_BULK_MAX (4LL * 1024 * 1024 * 1024) /* bytes of one argument */

/* Caller-owned: ra_respcmd_clear. argv[i] (lens[i] bytes) borrow the parsed bytes, valid while they are. */
typedef struct ra_respcmd {
    const char **argv;
    size_t *lens;
    int argc;
    size_t cap;
} ra_respcmd;

/* Parse the command at the start of d[0..n): 1 when whole (*used: its bytes), 0 when d ends inside it
 * (n == 0 included), -1 with err set (RA_E_SOURCE "resp command: ...") when the bytes are no RESP
 * multibulk command or over a limit, RA_E_INTERNAL when out of memory. */
int ra_respcmd_parse(ra_respcmd *c, const uint8_t *d, size_t n, size_t *used, ra_err *err);

/* The argument index of the first key by a legacy key spec: first (1-based position, 0: no key) when
 * the command has that many arguments, else -1. Pure. */
int ra_respcmd_first_key(const ra_respcmd *c, long long first);

/* 1 when argv[i] equals the word, ignoring ASCII case. */
int ra_respcmd_is(const ra_respcmd *c, int i, const char *word);

void ra_respcmd_clear(ra_respcmd *c);

#endif
