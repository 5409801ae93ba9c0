/* sink.h - where the source pushes the RDB stream: source -> pipeline -> sink, one way. */
#ifndef RA_PIPELINE_SINK_H
#define RA_PIPELINE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* What the source knows once the payload header ($<len> or $EOF:<mark>) has been read. */
typedef struct ra_stream_info {
    char replid[41];         /* from +FULLRESYNC, "" when the server answered SYNC-style */
    long long offset;        /* from +FULLRESYNC, -1 when unknown */
    long long length;        /* RDB length for $<len>, -1 for the diskless $EOF form */
    int diskless;            /* 1 for $EOF:<mark> */
    char redis_version[32];  /* from INFO server before the sync, "" when unknown */
} ra_stream_info;

/* A push sink. begin is called once before the first write (may be NULL); write receives the RDB
 * bytes in order (never the EOF mark). Both return 0, or -1 with err set; a -1 stops the source,
 * which then returns that error. The source calls nothing to "finish": the caller finishes the
 * sink only after the source returned 0, i.e. after the RDB was verified whole.
 *
 * A sink that owns its buffers may also offer reserve/commit (both or neither), and the source
 * then reads the socket straight into them: reserve lends the free room (> 0 bytes; may block
 * like write), the source fills a prefix of it and commits the RDB bytes it verified there, in
 * order, never the mark. Bytes past the committed count are the source's scratch and are
 * overwritten by the next reserve, which lends the room again from the first uncommitted byte.
 * The source uses write for what does not fit (a read that spans two parts). */
typedef struct ra_sink {
    void *ctx;
    /* Once, right after the sync was requested: the server forks and saves before the first
     * byte, so work done here overlaps that wait (may be NULL; a -1 stops the source). Keep it
     * short: nothing reads the socket meanwhile, and a server drops a replica that stalls for
     * repl-timeout (60 s by default). */
    int (*requested)(void *ctx, ra_err *err);
    int (*begin)(void *ctx, const ra_stream_info *info, ra_err *err);
    int (*write)(void *ctx, const uint8_t *data, size_t len, ra_err *err);
    int (*reserve)(void *ctx, uint8_t **room, size_t *avail, ra_err *err);
    int (*commit)(void *ctx, size_t len, ra_err *err);
} ra_sink;

#endif
