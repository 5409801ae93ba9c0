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

/* A running record whose heartbeat is older than this is reported as failed (its process died). */
#define RA_HEARTBEAT_STALE_SECONDS 120

typedef struct ra_catalog {
    ra_s3 *s3;            /* borrowed */
    const char *prefix;   /* "redis-archiver/" */
    const char *instance; /* "default" */
    const ra_log *log;
    int keep_last;        /* the sweep never deletes the newest this many succeeded backups (nor pinned
                             ones, whatever this is): retention-keep */
} ra_catalog;

/* "<prefix><instance>/" (caller frees). */
char *ra_catalog_dir(const ra_catalog *c);

int ra_catalog_put(const ra_catalog *c, const ra_record *r, ra_err *err);
/* RA_E_NOTFOUND when no such backup. */
int ra_catalog_get(const ra_catalog *c, const char *id, ra_record *r, ra_err *err);
/* All records, newest first. A running record with a stale heartbeat is returned as failed. */
int ra_catalog_list(const ra_catalog *c, time_t now, ra_record **records, size_t *n, ra_err *err);
void ra_catalog_records_free(ra_record *records, size_t n);

/* Another backup running (fresh heartbeat), other than except_id? 1 and *who filled, 0 if none. */
int ra_catalog_find_running(const ra_catalog *c, time_t now, const char *except_id, ra_record *who,
                            ra_err *err);

/* Abort multipart uploads under the instance's folder that belong to no running backup (a process that
 * was killed leaves one), at most 8 per call (the next call goes on); returns how many were aborted, or
 * -1. */
int ra_catalog_abort_orphans(const ra_catalog *c, time_t now, const char *except_key, ra_err *err);

/* Delete backups (RDB + record) that started more than `days` days before now, except what
 * ra_retain_decide keeps (keep_last newest succeeded, pinned, running); with dry_run only report.
 * Returns the number deleted (or that would be), or -1. */
int ra_catalog_sweep(const ra_catalog *c, int days, time_t now, int dry_run, ra_err *err);

#endif
