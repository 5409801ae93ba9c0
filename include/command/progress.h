/* progress.h - the progress line of a backup on a terminal: labelled fields that fit the terminal's
 * width (never its last column, so it never wraps), a phase of its own while the replica saves (the
 * rate counts from the first byte), an estimated total when the stream's length is unknown, and erased
 * before any log line is printed (ra_progress_hook as the ra_log hook), then drawn again. */
#ifndef RA_COMMAND_PROGRESS_H
#define RA_COMMAND_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

/* What one line shows (pure: ra_progress_format). */
typedef struct ra_progress_view {
    long long done;      /* bytes so far */
    long long total;     /* > 0: the length, or an estimate (estimated); else unknown */
    int estimated;
    int waiting;         /* no byte yet: the replica is saving */
    double waited;       /* seconds before the first byte */
    double streamed;     /* seconds since the first byte */
    int final;           /* the transfer ended */
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
/* The ra_log hook (ctx: the ra_progress): erases the line before a log line, draws it again after. */
void ra_progress_hook(void *ctx, int before);

#endif
