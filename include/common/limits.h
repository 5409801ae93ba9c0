/* limits.h - every default and limit that more than one module needs, once. The option table in
 * src/config/ shows them to users; adapters fall back to them when a caller passes 0. Values in
 * milliseconds carry _MS, sizes in bytes carry no suffix. */
#ifndef RA_COMMON_LIMITS_H
#define RA_COMMON_LIMITS_H

#define RA_KIB 1024LL
#define RA_MIB (1024LL * 1024)
#define RA_GIB (1024LL * 1024 * 1024)

/* Network */
#define RA_CONNECT_TIMEOUT_MS_DEFAULT 10000L  /* TCP connect, and TLS handshake, each */
#define RA_READ_TIMEOUT_MS_DEFAULT 60000L     /* no byte (source) / no progress (store) for this long */
#define RA_SYNC_TIMEOUT_MS_DEFAULT 3600000L   /* the RDB must start streaming within this */

/* Redis: a replica is dropped by its master after repl-timeout (60 s by default) without reading;
 * whatever blocks the thread that reads the replica socket must stay well below it. */
#define RA_REPL_TIMEOUT_MS 60000L
#define RA_SINK_STALL_MS_DEFAULT 45000L

/* S3 */
#define RA_PART_SIZE_MIN (5LL * RA_MIB)
#define RA_PART_SIZE_MAX (5LL * RA_GIB)
#define RA_PART_SIZE_DEFAULT (16LL * RA_MIB)
#define RA_PARTS_MAX 10000
#define RA_CONCURRENCY_DEFAULT 4
#define RA_CONCURRENCY_MAX 64
#define RA_RANGE_SIZE_MIN (1LL * RA_MIB)     /* restore: ranged GETs, each at most this .. that */
#define RA_RANGE_SIZE_MAX (8LL * RA_MIB)     /* memory: concurrency x this at most */
#define RA_PRESIGN_EXPIRY_MAX 604800L        /* SigV4 query signing: 7 days, in seconds */
#define RA_URL_EXPIRY_DEFAULT 43200L         /* 12 h, in seconds */
#define RA_S3_TOTAL_TIMEOUT_MS_DEFAULT 180000L /* one call with all its retries */
#define RA_S3_CLEANUP_TIMEOUT_MS_DEFAULT 30000L
#define RA_S3_MAX_ATTEMPTS_DEFAULT 5
#define RA_S3_REGION_DEFAULT "us-east-1"

/* Transforms (zstd, age) */
#define RA_COMPRESSION_LEVEL_MIN 1
#define RA_COMPRESSION_LEVEL_MAX 19
#define RA_COMPRESSION_LEVEL_DEFAULT 3
#define RA_COMPRESSION_THREADS_MAX 16

/* Catalog */
#define RA_RETENTION_DAYS_DEFAULT 7
#define RA_HEARTBEAT_INTERVAL_S 5            /* a running backup rewrites its record this often */
#define RA_STALE_AFTER_S 120                 /* a running record not rewritten for this long is dead */

/* Unattended operation: schedule's retries, hooks, the metrics listener */
#define RA_RETRIES_MAX 100
#define RA_RETRY_DELAY_CAP_S 900             /* retry-delay doubles up to this */
#define RA_RETRY_DELAY_CAP_TEXT "15m"
#define RA_NOTIFY_ATTEMPTS 3                 /* notify-url: tries per event */
#define RA_NOTIFY_TIMEOUT_S 30               /* notify-url (all tries) and notify-command, each */
#define RA_NOTIFY_ATTEMPTS_TEXT "3"
#define RA_NOTIFY_TIMEOUT_TEXT "30s"
#define RA_METRICS_FILE_EVERY_S 5            /* metrics-file: an archive rewrites it at most this often */
#define RA_METRICS_FILE_EVERY_TEXT "5s"
#define RA_RETENTION_KEEP_DEFAULT 3
/* The object tag the lifecycle rule filters on (README, Retention): backups are created with "keep"; the
 * archiver moves those that drop out of the newest retention-keep succeeded (and are not pinned) to
 * "expire", and the rule expires only those. */
#define RA_RETAIN_TAG_KEY "redis-archiver-retain"
#define RA_RETAIN_TAG_KEEP "keep"
#define RA_RETAIN_TAG_EXPIRE "expire"

/* Point in time (archive) */
#define RA_SEGMENT_SIZE_MIN RA_MIB
#define RA_SEGMENT_SIZE_MAX RA_GIB
#define RA_ARCHIVE_QUEUE_MAX 1024       /* closed segments waiting for the store (beside archive-queue's bytes) */
#define RA_ARCHIVE_QUEUE_MIN RA_MIB     /* archive-queue: bytes of closed segments waiting for the store */
#define RA_ARCHIVE_QUEUE_LIMIT (64 * RA_GIB)
#define RA_ARCHIVE_UPLOADERS_MAX 8      /* segments stored at once (concurrency, capped) */
#define RA_ARCHIVE_ACK_MS 1000          /* REPLCONF ACK and offset->time index entry, as a replica acks */
#define RA_HOLD_ACK_MS 1000             /* a link waiting to be archived is acknowledged as often */
#define RA_HOLD_TAIL_MAX (16 * RA_MIB)  /* ... and read into memory up to this much (per cluster shard) */

#endif
