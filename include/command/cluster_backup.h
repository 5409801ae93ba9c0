/* cluster_backup.h - one backup of a whole Redis Cluster: every shard from the node
 * source/clusterscan.h picked, all at once, each through the verified pipeline into its own
 * multipart upload, all or nothing.
 *
 * Memory: the part buffers of all shards share one budget, the one of a single backup,
 * part-size x (concurrency + 1). With N shards each upload gets max(1, concurrency / N) parts in
 * flight and a part size of budget / (N x (its in-flight + 1)), at least the S3 minimum of 5 MiB
 * and at most part-size; so the total stays within the budget, or N x 2 x 5 MiB when N is so large
 * that the S3 minimum decides. Each shard streams in its own thread: a slow shard or store
 * connection stalls only its own upload.
 *
 * All or nothing: the uploads are completed only after every shard's RDB verified whole; if one
 * shard fails, every other is cancelled and every upload aborted (an object already completed is
 * deleted), and the backup is recorded as failed. */
#ifndef RA_COMMAND_CLUSTER_BACKUP_H
#define RA_COMMAND_CLUSTER_BACKUP_H

#include "command/backup.h"

/* Run one backup of the cluster that opts->source names (a node, or comma-separated seeds). As
 * ra_backup_run: *record (caller clears) holds the final record once the backup had an id. */
int ra_cluster_backup_run(const ra_backup_opts *opts, ra_record *record, ra_err *err);

/* The per-shard part size and parts in flight for n shards under the budget described above. */
void ra_cluster_backup_budget(long long part_size, int concurrency, int n, long long *shard_part,
                              int *shard_concurrency);

#endif
