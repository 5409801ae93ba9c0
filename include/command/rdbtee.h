/* rdbtee.h - a sink in front of another that passes the RDB bytes through the structural reader
 * (source/rdbparse.h) on their way, so a backup's record carries its key counts. A structure the
 * reader does not know (a newer Redis) only loses the counts: the CRC-64 still decides the backup. */
#ifndef RA_COMMAND_RDBTEE_H
#define RA_COMMAND_RDBTEE_H

#include <stdint.h>

#include "command/record.h"
#include "common/err.h"
#include "common/log.h"
#include "pipeline/sink.h"
#include "source/rdbparse.h"

typedef struct ra_rdbtee {
    ra_sink sink;          /* hand this one to the source */
    /* private */
    const ra_sink *inner;
    const ra_log *log;
    ra_rdbparse *parser;   /* NULL once it gave up */
    uint8_t *room;         /* the inner sink's lent room, from the first uncommitted byte */
} ra_rdbtee;

/* t->sink forwards every call to inner (borrowed) and reads the bytes it passes. */
int ra_rdbtee_init(ra_rdbtee *t, const ra_sink *inner, const ra_log *log, ra_err *err);
/* The stream ended whole: the counts into rec->keys (left unknown, with a warning, when the reader gave up
 * or the structure did not end where the RDB did). */
void ra_rdbtee_finish(ra_rdbtee *t, ra_record *rec);
/* The same into keys (a cluster shard's counts). */
void ra_rdbtee_finish_keys(ra_rdbtee *t, ra_record_keys *keys);
void ra_rdbtee_clear(ra_rdbtee *t);

#endif
