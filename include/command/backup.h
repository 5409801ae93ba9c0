/* backup.h - the backup job: replica (source) -> verified RDB stream -> multipart upload (sink),
 * completed only after the RDB verified whole; otherwise aborted, so no half object remains. */
#ifndef RA_COMMAND_BACKUP_H
#define RA_COMMAND_BACKUP_H

#include <signal.h>

#include "command/catalog.h"
#include "command/progress.h"
#include "command/record.h"
#include "source/cluster.h"
#include "source/replica.h"
#include "storage/s3/upload.h"
#include "transform/seal.h"

/* Progress of a running backup, for a progress callback. */
typedef struct ra_backup_progress {
    long long done;       /* RDB bytes handed to the upload */
    long long expected;   /* the RDB's length when the server said it, else -1 */
    double elapsed;       /* seconds since the backup started */
    int final;            /* 1: the last call, the backup ended */
    int beat;             /* 1: from the heartbeat thread while no byte came yet (the replica saves): for
                             progress events in a log; a terminal's line has its own clock for that phase */
    const char *id;       /* the backup's id */
    int nshards;          /* a cluster backup: each shard's bytes (done is their sum); else 0 */
    const ra_progress_shard *shards;
} ra_backup_progress;
/* Called on the thread that reads the replica (a cluster backup: its waiting thread, also before the
 * first byte), and with beat set on the heartbeat thread until the first byte: keep it short (a few
 * times a second at most). */
typedef void (*ra_backup_progress_fn)(void *ctx, const ra_backup_progress *p);

/* The replication links a backup for an archive hands over: the one of a standalone source, or one
 * per shard of a cluster (in the record's shard order), each with the node it came from. */
typedef struct ra_backup_link {
    ra_replica_stream stream;
    char host[256];                   /* a shard's node, to resume on; "" for a standalone source (the */
    int port;                         /* configured source is asked again) */
    int allow_master;                 /* the node was a master (a cluster without replicas) */
    ra_cluster_range ranges[RA_CLUSTER_RANGES_MAX]; /* a shard's slots, to find its node again after a */
    int nranges;                      /* failover */
} ra_backup_link;

typedef struct ra_backup_links {
    ra_backup_link *v;
    int n;
} ra_backup_links;

/* Close the links' connections, free their tails and the array. */
void ra_backup_links_clear(ra_backup_links *l);

typedef struct ra_backup_opts {
    const ra_catalog *catalog;        /* where the RDB and its record go */
    ra_s3 *beat_s3;                   /* the heartbeat thread's own client, with the catalog's
                                         configuration (required, not catalog->s3) */
    const ra_replica_opts *source;
    long long part_size;
    int concurrency;
    ra_upload_checksum checksum;      /* per-part integrity the store checks */
    ra_upload_growth growth;          /* part-size-growth */
    const ra_seal_opts *seal;         /* compression and encryption of the stored object; NULL: none
                                         (plain_size is filled in by the job) */
    int automatic;                    /* type auto (scheduled) or manual */
    const char *remark;               /* checked with ra_remark_check */
    ra_backup_progress_fn progress;   /* NULL: none; called at most every 0.25 s and once at the end */
    void *progress_ctx;
    struct ra_backup_links *keep;     /* non-NULL (archive): the source is synced without rdb-only and,
                                         on success, its replication links are handed over here (one, or
                                         one per shard of a cluster; ra_backup_links_clear) */
    volatile sig_atomic_t *cancel;
    const ra_log *log;
} ra_backup_opts;

/* Run one backup. Fills *record (caller clears) with the final record, also on failure when the backup
 * got as far as having an id. Returns 0 on success.
 *
 * Its record in the store says `running` from the start, rewritten every RA_HEARTBEAT_INTERVAL_S by a
 * thread of its own (never by the thread that reads the replica), and gets its final state at the
 * end; the record's times are the store's clock (ra_catalog_now). Of runs of one instance started
 * together, exactly one goes on; the others fail with RA_E_BUSY: the instance's lock object
 * (lock.h), renewed with every heartbeat, decides, or where the store ignores conditional writes the
 * records do. A run whose lock renew is refused (another run took it) fails with RA_E_BUSY and
 * aborts its upload.
 *
 * When the run fails after the upload's Complete was sent (the HEAD that checks the object failed, a
 * SIGTERM during it), the object is deleted: the record says failed, and a failed run leaves no RDB
 * object. (It is not recorded as a success instead: the object could not be checked whole.) */
int ra_backup_run(const ra_backup_opts *opts, ra_record *record, ra_err *err);

#endif
