/* progress_demo.c - drives the progress line (command/progress.c) as a backup does, on stderr, with log
 * lines in between (one from another thread, as the heartbeat thread logs), for tests in a terminal.
 *   progress_demo [--no-hook] [--estimate BYTES | --length BYTES] [--shards N]
 * --no-hook: the log does not erase the line first (what the test must catch); --shards N: a cluster backup
 * of N shards (each a share of the total, the last one slower). Simulated time: no sleeps. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/progress.h"
#include "common/log.h"

typedef struct shared {
    ra_log *log;
    ra_progress *bar;
    long long total;
} shared;

static void *other_thread(void *arg) {
    shared *s = arg;
    ra_log_warn(s->log, "backup.heartbeat", "could not update the task record: a test warning");
    return NULL;
}

static void pause_ms(long ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    int hook = 1;
    long long estimate = 0, length = -1, total = 151800000;
    int nshards = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-hook") == 0) hook = 0;
        else if (strcmp(argv[i], "--estimate") == 0 && i + 1 < argc) estimate = atoll(argv[++i]);
        else if (strcmp(argv[i], "--length") == 0 && i + 1 < argc) length = atoll(argv[++i]);
        else if (strcmp(argv[i], "--shards") == 0 && i + 1 < argc) nshards = atoi(argv[++i]);
    }
    if (length > 0) total = length;
    if (nshards < 0 || nshards > 64) nshards = 0;
    ra_progress_shard shards[64];
    ra_log log = {.out = stderr, .min = RA_LOG_INFO, .format = RA_LOG_TEXT};
    ra_progress *bar = ra_progress_new(stderr, 0);
    if (bar == NULL) return 1;
    if (hook) {
        log.hook = ra_progress_hook;
        log.hook_ctx = bar;
    }
    ra_progress_set_estimate(bar, estimate);
    shared s = {&log, bar, total};
    ra_log_info(&log, "backup.start", "backup 20261128T221407Z-913d of instance 'demo' started");
    double t = 0;
    for (int k = 0; k < nshards; k++) shards[k] = (ra_progress_shard){0, length > 0 ? length / nshards : -1};
    for (; t < 1.0; t += 0.1) { /* the replica forks and saves */
        ra_progress_update_shards(bar, 0, length, t, 0, nshards ? shards : NULL, nshards);
        pause_ms(5);
    }
    ra_log_info(&log, "backup.rdb", "rdb from 127.0.0.1:28484: diskless");
    long long done = 0;
    for (int i = 1; i <= 40; i++) {
        t += 0.25;
        done = total * i / 40;
        for (int k = 0; k < nshards; k++) /* the last shard at 3/4 the speed of the others */
            shards[k].done = k == nshards - 1 ? total / nshards * i * 3 / 160 : total / nshards * i / 40;
        if (nshards) /* the aggregate is their sum */
            for (int k = done = 0; k < nshards; k++) done += shards[k].done;
        ra_progress_update_shards(bar, done, length, t, 0, nshards ? shards : NULL, nshards);
        if (i == 10) ra_log_info(&log, "backup.note", "a log line while streaming");
        if (i == 20) {
            pthread_t th;
            pthread_create(&th, NULL, other_thread, &s);
            pthread_join(th, NULL);
        }
        pause_ms(5);
    }
    ra_progress_update_shards(bar, done, length, t + 0.01, 1, nshards ? shards : NULL, nshards);
    ra_log_info(&log, "backup.done", "backup 20261128T221407Z-913d done");
    ra_progress_free(bar);
    return 0;
}
