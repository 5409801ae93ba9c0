/* respcmd.h - pure parser of whole RESP multibulk commands ("*N\r\n" then N times "$L\r\n<L bytes>\r\n")
 * in memory into argv spans that point into the bytes, the first key of a command by a legacy key spec
 * (COMMAND INFO first) and of a unit (a MULTI block): what the restore target routes replayed commands by. */
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

/* Where a command's first key is, for ra_respcmd_unit_key: its argument index, -1 when it has none, -2
 * with err set to stop. */
typedef int (*ra_respcmd_key_cb)(void *ctx, const ra_respcmd *c, ra_err *err);

/* A unit of replayed commands (one command or a MULTI ... EXEC block, raw RESP, d[0..len) whole): the
 * first key of its first command that has one (cb asked command by command until then); *key, *key_len
 * point into d; *ncmds: the commands in the unit. 1 found, 0 keyless, -1 with err set (malformed or cut
 * bytes, cb's error). */
int ra_respcmd_unit_key(const uint8_t *d, size_t len, ra_respcmd_key_cb cb, void *ctx, const char **key,
                        size_t *key_len, int *ncmds, ra_err *err);

void ra_respcmd_clear(ra_respcmd *c);

#endif
