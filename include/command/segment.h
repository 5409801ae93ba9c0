/* segment.h - one archived piece of the replication stream (archive, restore --at): its object key
 * and its header, pure. The object is a text header and then the stream's bytes exactly:
 *
 *     RASEG 1\n
 *     replid <40 hex>\n
 *     base <backup id>\n
 *     [shard <n>\n]                 a cluster chain's: the shard's index in the base record
 *     first <offset of the first byte>\n
 *     last <offset after the last byte>\n
 *     crc64 <16 hex>\n               of the stream bytes (Redis's CRC-64; absent in segments of 0.1.0)
 *     t <unix ms> <offset>\n        one per second: by that time the stream up to offset had arrived
 *     \n
 *     <last - first bytes of the stream, whole commands only>
 *
 * under "<prefix><instance>/<base id>.seg/<first>-<last>", both offsets 20 digits (so the keys sort
 * by offset); a cluster chain has one stream per shard, each under "<base id>.seg/shard-<n>/". */
#ifndef RA_COMMAND_SEGMENT_H
#define RA_COMMAND_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "command/record.h"
#include "common/err.h"

#define RA_SEGMENT_MAGIC "RASEG 1\n"
#define RA_SEGMENT_TICKS_MAX 100000 /* a header with more is refused */

typedef struct ra_segment_tick {
    long long ms;     /* wall clock, unix milliseconds */
    long long offset; /* the stream up to here had arrived (whole commands) */
} ra_segment_tick;

/* Caller-owned: ra_segment_meta_clear frees ticks. */
typedef struct ra_segment_meta {
    char replid[41];
    char base[RA_ID_MAX];
    int sharded, shard;       /* a cluster chain's segment: 1 and the shard's index; 0 for a standalone's */
    long long first, last;
    int has_crc;              /* the header carries crc64 (of the stream bytes): parse checks it */
    uint64_t crc64;
    ra_segment_tick *ticks;
    size_t nticks, cap;
} ra_segment_meta;

/* "<dir><base>.seg/" (the whole chain's), "<dir><base>.seg/shard-<n>/" (one shard's; shard < 0: the
 * chain's) and "<that>/<first>-<last>" (caller frees; NULL: out of memory). */
char *ra_segment_dir(const char *dir, const char *base_id);
char *ra_segment_shard_dir(const char *dir, const char *base_id, int shard);
char *ra_segment_key(const char *dir, const char *base_id, int shard, long long first, long long last);
/* A key under a chain's dir (the part after "<dir><base>.seg/"): 1 with the shard (-1 for a standalone
 * chain's segment) and the offsets when it names a segment, 0 for anything else. */
int ra_segment_rel_parse(const char *rel, int *shard, long long *first, long long *last);
/* The part of a key after its dir, "<first>-<last>": 1 and the offsets, 0 for any other name. */
int ra_segment_name_parse(const char *name, long long *first, long long *last);

/* Append a tick (ticks keep time and offset order: an older or smaller one is dropped). -1 on no memory. */
int ra_segment_tick_add(ra_segment_meta *m, long long ms, long long offset);
/* The header text for m (caller frees), its length in *len. */
char *ra_segment_header(const ra_segment_meta *m, size_t *len);
/* Parse an object: its header into m (cleared first, and again on failure), *payload_at = where the
 * stream bytes start.
 * RA_E_VERIFY when it is no segment, its header is malformed, it holds other than last - first
 * stream bytes, or they do not match its crc64. */
int ra_segment_parse(const uint8_t *obj, size_t len, ra_segment_meta *m, size_t *payload_at, ra_err *err);
/* The offset the stream had reached at time ms by m's ticks: the last tick at or before it; -1 when
 * every tick is later. */
long long ra_segment_offset_at(const ra_segment_meta *m, long long ms);
void ra_segment_meta_clear(ra_segment_meta *m);

/* The chain's state, "<dir><base id>.archive" (next to the base's record, so a listing of the records with
 * a delimiter sees it): text lines "key value", written by the archive after each stored segment. */
typedef struct ra_segment_state {
    long long first, uploaded, received, segments; /* offsets; -1 when missing */
    long long first_ms, last_ms, updated_ms;        /* unix ms: the chain's first tick, the last stored one,
                                                       when the state was written; -1 when missing */
    long long shards;                               /* a cluster chain's: how many (its offsets are then
                                                       sums of the shards' stream bytes); -1 standalone */
    char last_segment[48];                          /* "<first>-<last>" or "-" */
} ra_segment_state;

/* "<dir><base>.archive" (caller frees; NULL: out of memory). A cluster chain has that one (the whole
 * chain: the range every shard covers) and one per shard, "<dir><base>.seg/shard-<n>.archive". */
char *ra_segment_state_key(const char *dir, const char *base_id);
char *ra_segment_shard_state_key(const char *dir, const char *base_id, int shard);
/* The state text of st (parse's inverse): "shards N" first for a cluster chain (shards > 0), "replid R" when
 * replid is not empty, then first, uploaded, received, segments, last-segment, last-ms, updated-ms, first-ms.
 * Its length (snprintf's: out holds it when < cap). */
int ra_segment_state_format(const ra_segment_state *st, const char *replid, char *out, size_t cap);
/* Parse a state text of len bytes; unknown keys are ignored, missing ones are -1. */
void ra_segment_state_parse(const char *text, size_t len, ra_segment_state *st);

#endif
