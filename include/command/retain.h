/* retain.h - which backups retention may delete, and which it must keep whatever their age: the
 * newest retention-keep succeeded ones, pinned ones (`keep ID`, `backup --keep`) and running ones.
 * Pure: records and a time in, a verdict per record out. */
#ifndef RA_COMMAND_RETAIN_H
#define RA_COMMAND_RETAIN_H

#include <stddef.h>
#include <time.h>

#include "command/record.h"

typedef enum ra_retain {
    RA_RETAIN_EXPIRE,   /* older than the retention days and not protected: delete */
    RA_RETAIN_YOUNG,    /* within the retention days */
    RA_RETAIN_NEWEST,   /* one of the newest keep_last succeeded backups */
    RA_RETAIN_PINNED,   /* pinned */
    RA_RETAIN_RUNNING,  /* still running */
} ra_retain;

/* A verdict for each of recs[0..n-1], which are newest first (as ra_catalog_list returns them):
 * a record is expired when it started before cutoff (now - retention days, in the clock the
 * records' times are in) and is none of the kept kinds. keep_last 0 keeps no succeeded backup by
 * count (age alone). out has n entries. */
void ra_retain_decide(const ra_record *recs, size_t n, time_t cutoff, int keep_last, ra_retain *out);

/* A cutoff before every start: nothing is young. */
#define RA_RETAIN_NO_CUTOFF ((time_t)0x7fffffff)

/* The object tag each record's backup should carry (README, Retention): RA_RETAIN_TAG_EXPIRE for what
 * ra_retain_decide would expire were it old enough (not among the newest keep_last succeeded, not
 * pinned), RA_RETAIN_TAG_KEEP for the rest, NULL for running ones (left alone). tags has n entries. */
void ra_retain_decide_tags(const ra_record *recs, size_t n, int keep_last, const char **tags);

/* Index of the newest succeeded backup in recs (newest first), or -1 when none. */
long ra_retain_newest_succeeded(const ra_record *recs, size_t n);

/* Every object of backup rec as one unit, for delete, tags and sweep (README, Retention): each shard's object of
 * a cluster backup (<prefix><instance>/<id>/shard-<n>.<format>) or the one RDB object, then the record last.
 * Made from the id and format; for a format this version does not know, a shard's key as its record names it
 * when that lies in the backup's own folder "<prefix><instance>/<id>/", else the plain RDB's name (a record
 * never names another object to delete). *keys (n entries) and each key are malloc'd: ra_retain_unit_keys_free.
 * 0, or -1 when out of memory. */
int ra_retain_unit_keys(const char *prefix, const char *instance, const ra_record *rec, char ***keys, size_t *n);
void ra_retain_unit_keys_free(char **keys, size_t n);

/* "pinned", "one of the newest 3 succeeded", ... for logs. */
const char *ra_retain_reason(ra_retain r);

#endif
