/* replstream.h - pure scanner of the replication stream a master (or a replica) sends after the RDB:
 * RESP multibulk commands, told apart with their exact stream offsets. It keeps no command bytes
 * (constant memory whatever the command's size): the caller holds the bytes and slices them by
 * offset. Every byte counts toward the offset, keep-alive newlines included, as a replica's does. */
#ifndef RA_SOURCE_REPLSTREAM_H
#define RA_SOURCE_REPLSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_REPLSTREAM_NAME_MAX 16      /* bytes of argv[0] and argv[1] kept (lower-cased) */
#define RA_REPLSTREAM_ARGC_MAX (1024LL * 1024 * 1024)   /* Redis' multibulk limit */
#define RA_REPLSTREAM_BULK_MAX (4LL * 1024 * 1024 * 1024) /* above proto-max-bulk-len's ceiling */

/* One whole command: its bytes are [start, end) in stream offsets. */
typedef struct ra_replcmd {
    long long start, end;
    long long argc;
    char name[RA_REPLSTREAM_NAME_MAX]; /* argv[0], lower-cased and cut, NUL-terminated */
    char arg1[RA_REPLSTREAM_NAME_MAX]; /* argv[1] the same, "" when none */
} ra_replcmd;

/* Called for every whole command, in order; 0 to go on, -1 (err set) to stop the scanner. */
typedef int (*ra_replstream_cb)(void *ctx, const ra_replcmd *cmd, ra_err *err);

/* Plain struct: ra_replstream_init, nothing to free. offset and boundary are results to read. */
typedef struct ra_replstream {
    long long offset;   /* offset of the next byte to come */
    long long boundary; /* end of the last whole command (or keep-alive): nothing half-read before it */
    long long commands; /* whole commands seen */
    /* private */
    int state;
    char num[24];
    size_t numlen;
    long long argc, argi, remain;
    ra_replcmd cur;
    size_t keep;        /* bytes of the current argument copied into name/arg1 */
} ra_replstream;

/* The stream's first byte has offset `offset` (the +FULLRESYNC / +CONTINUE offset). */
void ra_replstream_init(ra_replstream *s, long long offset);

/* Feed the next n bytes (any split). Bare "\r" / "\n" between commands are keep-alives (counted,
 * skipped). 0, or -1 with err set: RA_E_SOURCE "replication stream: ..." for bytes that are no
 * RESP multibulk command, or cb's error. After -1 every call fails again. */
int ra_replstream_feed(ra_replstream *s, const uint8_t *d, size_t n, ra_replstream_cb cb, void *ctx, ra_err *err);

/* 1 when the scanner stopped inside a command (the bytes after s->boundary are part of one). */
int ra_replstream_partial(const ra_replstream *s);

#endif
