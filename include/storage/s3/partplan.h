/* partplan.h - the size of each part of a multipart upload: pure, unit-tested alone
 * (test_upload_plan.c). Limits in common/limits.h. */
#ifndef RA_STORAGE_S3_PARTPLAN_H
#define RA_STORAGE_S3_PARTPLAN_H

/* Without a known size, the part size doubles every RA_PART_GROW_EVERY parts (capped at 5 GiB):
 * from 5 MiB parts, 10,000 parts then hold 9.3 TiB; from 16 MiB, the first growth is at 14 GiB. */
#define RA_PART_GROW_EVERY 900

/* Part size for part number `index` (1-based) given the configured size and whether the total is
 * known: pure, so the plan is unit-tested. A known size is planned for 9,936 parts (the rest of
 * S3's 10,000 is slack for the growth below). */
long long ra_upload_part_size(long long configured, long long expected_size, int index);
/* The size really allocated for part `index` once `received` bytes were accepted: the plan, but
 * never more than max(configured, received). So a source announcing 50 TB and sending little
 * gets configured-size buffers (faults.md R14), while an honest large one reaches the planned
 * size after a few doubling parts. */
long long ra_upload_part_alloc(long long configured, long long expected_size, int index, long long received);

/* Without growth (part-size-growth no, for stores that refuse unequal parts, e.g. Cloudflare R2):
 * one size for every part but the last, chosen before the first: the configured size, or for a
 * known size the plan above when that is larger. Such an upload holds at most this size x
 * RA_PARTS_MAX bytes (ra_upload_size_limit); a stream that outgrows it fails. */
long long ra_upload_part_size_fixed(long long configured, long long expected_size);
/* 1 when the store at `host` (the endpoint's "name[:port]") refuses parts of unequal size, so
 * part-size-growth auto turns growth off: Cloudflare R2 (*.r2.cloudflarestorage.com). */
int ra_upload_host_needs_equal_parts(const char *host);
/* The largest object an upload without growth can hold: size x RA_PARTS_MAX. */
long long ra_upload_size_limit(long long fixed_part_size);

#endif
