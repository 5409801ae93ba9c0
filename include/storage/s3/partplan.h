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

#endif
