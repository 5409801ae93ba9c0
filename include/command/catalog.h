/* catalog.h - the backups of one instance as the bucket holds them: records (JSON) beside RDB objects,
 * the running-task check that keeps two backups of an instance apart, and the expiry sweep. */
#ifndef RA_COMMAND_CATALOG_H
#define RA_COMMAND_CATALOG_H

#include <stddef.h>
#include <time.h>

#include "command/record.h"
#include "common/err.h"
#include "common/log.h"
#include "storage/s3/s3.h"

#include "common/limits.h"

/* A running record whose heartbeat is older than RA_STALE_AFTER_S (limits.h) by the store's clock is
 * reported as failed: its process died. */
/* A host clock further than this from the store's refuses to delete backups by age. */
#define RA_CLOCK_SKEW_MAX_S (15 * 60)

typedef struct ra_catalog {
    ra_s3 *s3;            /* borrowed */
    const char *prefix;   /* "redis-archiver/" */
    const char *instance; /* "default" */
    const ra_log *log;
    /* Seconds to add to the local clock to get the store's, once measured (clock_known 1, by
     * ra_catalog_measure_clock); until then what the s3 client learnt (ra_s3_clock_offset). */
    int clock_known;
    long clock_offset;
    int keep_last;        /* the sweep never deletes the newest this many succeeded backups (nor pinned
                             ones, whatever this is): retention-keep */
} ra_catalog;

/* The local time `local` (time(NULL)) in the store's clock: record times are written in it and every
 * age judgment is made in it. */
time_t ra_catalog_now(const ra_catalog *c, time_t local);
/* Learn the store's clock from the LastModified of record `id`, written between the local times
 * before and after (a HEAD); sets clock_known/clock_offset when it differs from what the s3 client
 * knows by more than the noise, and warns. */
int ra_catalog_measure_clock(ra_catalog *c, const char *id, time_t before, time_t after, ra_err *err);

/* "<prefix><instance>/" (caller frees). */
char *ra_catalog_dir(const ra_catalog *c);

int ra_catalog_put(const ra_catalog *c, const ra_record *r, ra_err *err);
/* The same with the record's JSON text already made (ra_record_to_json). */
int ra_catalog_put_json(const ra_catalog *c, const char *id, const char *json, ra_err *err);
/* RA_E_NOTFOUND when no such backup. */
int ra_catalog_get(const ra_catalog *c, const char *id, ra_record *r, ra_err *err);
/* All records, newest first. A running record with a stale heartbeat is returned as failed. */
int ra_catalog_list(const ra_catalog *c, time_t now, ra_record **records, size_t *n, ra_err *err);
void ra_catalog_records_free(ra_record *records, size_t n);

/* Another backup running (fresh: its record written within RA_STALE_AFTER_S by the store's clock),
 * other than except_id? 1 and *who filled, 0 if none. *who is one that has written a heartbeat since
 * its start (heartbeat > started: it passed its own checks) if any, else the one that started first
 * (smallest id). */
int ra_catalog_find_running(const ra_catalog *c, time_t now, const char *except_id, ra_record *who,
                            ra_err *err);

/* Abort multipart uploads under the instance's folder whose run is over for sure (its record ended,
 * its process is gone, or its heartbeat is older than the stale limit plus 15 min by the store's
 * clock; a process that was killed leaves one). Examines at most 8 uploads per call (the listing
 * stops there; the next call goes on). Returns how many were aborted, or -1. */
int ra_catalog_abort_orphans(const ra_catalog *c, time_t now, const char *except_key, ra_err *err);

/* Delete backups (RDB + record) that started more than `days` days before now, by the store's clock;
 * with dry_run only report. Refuses (-1, RA_E_STORE) when the host's clock is more than
 * RA_CLOCK_SKEW_MAX_S off the store's. Returns the number deleted (or that would be), or -1. */
/* Delete backups (RDB + record) that started more than `days` days before now, except what
 * ra_retain_decide keeps (keep_last newest succeeded, pinned, running); with dry_run only report.
 * Returns the number deleted (or that would be), or -1. */
int ra_catalog_sweep(const ra_catalog *c, int days, time_t now, int dry_run, ra_err *err);
/* The same, never deleting a backup that started at or after keep_from (store clock; 0: no bound):
 * a backup's own sweep passes its start. */
int ra_catalog_sweep_before(const ra_catalog *c, int days, time_t now, time_t keep_from, int dry_run,
                            ra_err *err);

/* Did the process that wrote running record r die? Only known when it ran in this boot and PID
 * namespace (a kill(pid, 0) elsewhere says nothing); 0 otherwise. */
int ra_catalog_owner_gone(const ra_record *r);

/* This process as the owner of a running record: host, pid, boot id and PID namespace. */
void ra_catalog_stamp_owner(ra_record *r);

#endif
