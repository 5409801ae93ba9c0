/* archive.h - point in time: after a base backup, the source's replication link is kept as a
 * replica's (REPLCONF ACK every second, GETACK answered) and its command stream is cut into
 * segments (command/segment.h) uploaded under the base backup. */
#ifndef RA_COMMAND_ARCHIVE_H
#define RA_COMMAND_ARCHIVE_H

#include <signal.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "source/replica.h"
#include "storage/s3/s3.h"

/* What an archive has stored so far (the numbers of its state object). */
typedef struct ra_archive_progress {
    long long first;          /* the stream's first offset */
    long long received;       /* received up to here */
    long long uploaded;       /* stored up to here */
    long long segments;       /* segments stored */
    long long first_ms;       /* wall clock (unix ms) of the chain's first tick */
    long long last_ms;        /* ... and of the last stored one: the stored stream reaches this moment */
} ra_archive_progress;

typedef struct ra_archive_opts {
    ra_s3 *const *s3;         /* one s3 client per uploader thread, theirs alone while the archive runs */
    int nuploaders;           /* 1..RA_ARCHIVE_UPLOADERS_MAX: segments stored at the same time */
    const char *dir;          /* "<prefix><instance>/" */
    const char *base_id;      /* the base backup: segments go under "<dir><base_id>.seg/" */
    int shard;                /* -1; a cluster chain's shard: its index, its segments under
                                 "<dir><base_id>.seg/shard-<n>/" and its state beside them */
    ra_replica_stream *link;  /* taken over: its connection is closed and its tail freed */
    long segment_ms;          /* a segment is closed this long after it was opened ... */
    long long segment_size;   /* ... or once it holds this many bytes (at a command's end) */
    long long queue_bytes;    /* closed segments waiting for the store (or being stored) may hold this
                                 many bytes (and RA_ARCHIVE_QUEUE_MAX segments); the one that would pass it
                                 fails the archive, unless none waits. <= 0: RA_ARCHIVE_QUEUE_MIN */
    long read_ms;             /* no byte from the source for this long fails (masters PING every 10 s) */
    long drain_ms;            /* on cancel: how long the last segments may take to upload */
    /* NULL: a broken link ends the archive. Else a fresh connection to the source, authenticated and
     * role-checked (NULL with err set when there is none yet): the archive resumes on it with
     * PSYNC <replid> <offset+1>, retrying for read_ms. */
    ra_conn *(*connect)(void *ctx, ra_err *err);
    void *connect_ctx;
    volatile sig_atomic_t *cancel; /* set: the open segment is closed, the queue uploaded, then 0 */
    long long stop_ms;             /* > 0: the same at this wall-clock time (unix ms): the chain ends there */
    /* NULL, or told after each stored segment (from an uploader thread), what the state says */
    void (*progress)(void *ctx, const struct ra_archive_progress *p);
    void *progress_ctx;
    const ra_log *log;
} ra_archive_opts;

typedef struct ra_archive_result {
    long long first;          /* the stream's first offset (the base backup's) */
    long long uploaded;       /* the stream is in the store up to here */
    long long received;       /* ... and was received up to here */
    long long segments;       /* segments uploaded */
    long long resumed;        /* partial resyncs (+CONTINUE) after a broken link */
    int full_resync;          /* the source answered +FULLRESYNC: its history after `received` is lost,
                                 this chain ends there (the gap); a new base backup starts a new one */
} ra_archive_result;

/* Run until cancelled (then 0 once every closed segment is stored) or until the link or the store
 * fails (-1: RA_E_SOURCE for the link, RA_E_STORE when segments queued past queue_bytes or could not
 * be stored when draining). Segments are objects whose upload completed; besides them only the state
 * "<dir><base_id>.archive" is written (command/segment.h: a text summary for status, list, retention). */
int ra_archive_run(const ra_archive_opts *o, ra_archive_result *res, ra_err *err);

#endif
