/* progress.h - the progress of a backup. On a terminal, one line: labelled fields that fit the
 * terminal's width (never its last column, so it never wraps), a phase of its own while the replica
 * saves (the rate counts from the first byte), an estimated total when the stream's length is unknown,
 * each shard's share for a cluster backup, and erased before any log line is printed (ra_progress_hook
 * as the ra_log hook), then drawn again. Off a terminal, a "backup.progress" log event every
 * progress-interval seconds (ra_progress_log). */
#ifndef RA_COMMAND_PROGRESS_H
#define RA_COMMAND_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "common/log.h"

/* One shard of a cluster backup. */
typedef struct ra_progress_shard {
    long long done;      /* bytes so far */
    long long expected;  /* its length when its node said it, else -1 */
} ra_progress_shard;

/* What one line shows (pure: ra_progress_format). */
typedef struct ra_progress_view {
    long long done;      /* bytes so far */
    long long total;     /* > 0: the length, or an estimate (estimated); else unknown */
    int estimated;
    int waiting;         /* no byte yet: the replica is saving */
    double waited;       /* seconds before the first byte */
    double streamed;     /* seconds since the first byte */
    int final;           /* the transfer ended */
    int nshards;         /* a cluster backup: the shards (their sum is done), shown as a field of their own */
    const ra_progress_shard *shards;
} ra_progress_view;

/* One line for a terminal `width` columns wide: at most width - 1 characters of ASCII (at least 1),
 * into out (outsz >= 2). Fields are dropped, least useful first, until it fits. Returns its length. */
size_t ra_progress_format(const ra_progress_view *v, int width, char *out, size_t outsz);

typedef struct ra_progress ra_progress;

/* A progress line on out (a terminal); width 0: the terminal's width, asked at each draw (80 when it
 * cannot be known). NULL when out of memory. Thread-safe: updates and the log hook may come from any
 * thread. */
ra_progress *ra_progress_new(FILE *out, int width);
void ra_progress_free(ra_progress *p);  /* p may be NULL; does not close out */
/* Draw the waiting phase ("waiting for the replica's snapshot", with the time since this call) on a
 * thread of its own until the first ra_progress_update: for callers that report only once bytes flow.
 * Stopped by ra_progress_free. -1 when the thread cannot start. */
int ra_progress_start_clock(ra_progress *p);
/* The total to assume when the stream does not say its length (the previous backup's size); 0: none. */
void ra_progress_set_estimate(ra_progress *p, long long bytes);
/* A sample: bytes done, the length when known (else -1), seconds since the backup started, and 1 for the
 * last call (the line stays, with a newline). Draws at most every 0.2 s except the last. */
void ra_progress_update(ra_progress *p, long long done, long long expected, double elapsed, int final);
/* The same for a cluster backup: done and expected are the sums, shards (n of them, borrowed for the
 * call) each shard's. */
void ra_progress_update_shards(ra_progress *p, long long done, long long expected, double elapsed, int final,
                               const ra_progress_shard *shards, int nshards);
/* The ra_log hook (ctx: the ra_progress): erases the line before a log line, draws it again after. */
void ra_progress_hook(void *ctx, int before);

/* Off a terminal: a progress event in the log every `interval` seconds of a backup (0: none), with the
 * fields id, instance, bytes, expected (when known), seconds, rate (bytes/s over the run) and, for a
 * cluster backup, one event per shard with its number in "shard" after the whole backup's ("shards"). */
typedef struct ra_progress_log {
    const ra_log *log;
    const char *instance;  /* borrowed */
    double interval;
    double next;           /* elapsed time of the next event */
    int busy;              /* atomic: a sample is being taken (one from another thread meanwhile is skipped) */
} ra_progress_log;
void ra_progress_log_init(ra_progress_log *t, const ra_log *log, const char *instance, double interval);
/* A sample, as ra_progress_update_shards; logs when the interval has passed (never for the final one:
 * the backup's own end event says it). Any thread; a sample that comes while another is taken is dropped. */
void ra_progress_log_sample(ra_progress_log *t, const char *id, long long done, long long expected, double elapsed,
                            int final, const ra_progress_shard *shards, int nshards);

#endif
