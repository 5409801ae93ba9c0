/* backup.h - the backup job: replica (source) -> verified RDB stream -> multipart upload (sink),
 * completed only after the RDB verified whole; otherwise aborted, so no half object remains. */
#ifndef RA_COMMAND_BACKUP_H
#define RA_COMMAND_BACKUP_H

#include <signal.h>

#include "command/catalog.h"
#include "command/record.h"
#include "source/replica.h"
#include "storage/s3/upload.h"
#include "transform/seal.h"

typedef struct ra_backup_opts {
    const ra_catalog *catalog;        /* where the RDB and its record go */
    const ra_replica_opts *source;
    long long part_size;
    int concurrency;
    ra_upload_checksum checksum;      /* per-part integrity the store checks */
    const ra_seal_opts *seal;         /* compression and encryption of the stored object; NULL: none
                                         (plain_size is filled in by the job) */
    int automatic;                    /* type auto (scheduled) or manual */
    const char *remark;               /* checked with ra_remark_check */
    int sweep_days;                   /* > 0: delete backups older than this at the end */
    int progress;                     /* 1: a progress bar on stderr (a TTY) */
    volatile sig_atomic_t *cancel;
    const ra_log *log;
} ra_backup_opts;

/* Run one backup. Fills *record (caller clears) with the final record, also on failure when the
 * backup got as far as having an id. Returns 0 on success. */
int ra_backup_run(const ra_backup_opts *opts, ra_record *record, ra_err *err);

#endif
