/* restore_at.h - restore --at TIME: the newest archive chain (a base backup and its segments,
 * command/segment.h) that covers TIME, then the segments' commands replayed into the target up to
 * the last offset received at or before TIME, MULTI/EXEC blocks whole. */
#ifndef RA_COMMAND_RESTORE_AT_H
#define RA_COMMAND_RESTORE_AT_H

#include "command/cli.h"
#include "source/target.h"

/* Caller-owned: ra_restore_at_clear. */
typedef struct ra_restore_at {
    long long at_ms;        /* TIME, unix ms */
    char **keys;            /* the chain's segments: by stream (a cluster's: shard by shard), in offset order */
    size_t nkeys;
    size_t *stream_at;      /* stream s is keys[stream_at[s] .. stream_at[s + 1]) */
    int streams;            /* 1, or a cluster chain's shards */
    long long replayed;     /* commands answered */
    long long errors;       /* error replies */
    long long offset;       /* the stream offset restored to */
    char first_error[200];
} ra_restore_at;

/* TIME as restore --at takes it: "now", or ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]"
 * (no zone: UTC). now_ms is "now". Pure. 0, or -1 with RA_E_USAGE. */
int ra_restore_at_parse_time(const char *text, long long now_ms, long long *ms, ra_err *err);

/* Pick the chain: id (or latest: any) whose archived range holds TIME, the newest such; its base
 * record into *rec (caller clears). RA_E_USAGE naming the ranges that exist when none holds it. */
int ra_restore_at_pick(const ra_store *store, const char *id, const char *at, ra_restore_at *p, ra_record *rec,
                       ra_err *err);

/* After the base backup was restored into t (borrowed, standalone or cluster): replay the chain's
 * commands up to TIME through it (ra_target_commands); p->replayed, errors, offset say what went. */
int ra_restore_at_replay(ra_app *app, const ra_store *store, const ra_record *rec, ra_restore_at *p, ra_target *t,
                         ra_err *err);

/* verify: the chain of backup rec whatever TIME: 1 with *p (its segments grouped by stream; caller clears) and
 * the range every stream covers in *from..*to (unix ms), 0 when rec has no archive, -1 on error. */
int ra_restore_at_load(const ra_store *store, const ra_record *rec, ra_restore_at *p, long long *from, long long *to,
                       ra_err *err);

/* What ra_restore_at_check read of one stream. */
typedef struct ra_restore_at_checked {
    long long segments, bytes, commands; /* segments, stream bytes and whole commands read */
    long long first, last;               /* the stream's offsets: its base's, and after its last byte */
    long long first_ms, last_ms;         /* its first and last tick (unix ms) */
} ra_restore_at_checked;

/* verify: read stream s of the loaded chain p whole, without a target: each segment parses and holds the bytes
 * its offsets say, belongs to this chain (and shard), starts where the one before ended (the first at the
 * base's offset), and ends at a command's end. RA_E_VERIFY naming the segment otherwise. */
int ra_restore_at_check(const ra_store *store, const ra_record *rec, ra_restore_at *p, int s, ra_restore_at_checked *out,
                        ra_err *err);

void ra_restore_at_clear(ra_restore_at *p);

#endif
