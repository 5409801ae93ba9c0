/* partsum.h - what an UploadPart carries to prove its bytes (part-checksum): CRC-32C, the signed
 * SHA-256, Content-MD5, and for auto the decision taken on part 1's answer. Pure (hashes only).
 * Private to src/storage/s3/ (upload.c). */
#ifndef RA_STORAGE_S3_PARTSUM_H
#define RA_STORAGE_S3_PARTSUM_H

#include <stddef.h>

#include "common/crc32c.h"
#include "common/digest.h"
#include "storage/s3/types.h"
#include "storage/s3/upload.h"

typedef struct ra_partsum {
    ra_upload_checksum mode;
    int crc;       /* CRC-32C on every part (the upload is created with x-amz-checksum-algorithm CRC32C) */
    int sha_until; /* AUTO over http: SHA-256 too, until the store shows it checks the CRC */
    int checked;   /* -1 unknown, 0 part 1's CRC was not echoed, 1 it was */
} ra_partsum;

/* The values of one part, computed once and kept for its retries; header[] points into it. */
typedef struct ra_partsum_part {
    ra_kv header[2];
    size_t nheaders;
    const char *payload_hash; /* NULL = UNSIGNED-PAYLOAD */
    char hash[RA_SHA256_HEX_LEN];
    char md5[RA_MD5_BASE64_LEN];
    char crc[RA_CRC32C_BASE64_LEN]; /* "" when no CRC */
} ra_partsum_part;

void ra_partsum_init(ra_partsum *ps, ra_upload_checksum mode, int https);
/* Fill p for the part at buf; -1 when a hash failed (OpenSSL). */
int ra_partsum_compute(const ra_partsum *ps, const void *buf, size_t len, ra_partsum_part *p);
/* Part `part`'s answer echoed `echoed` ("" when not): on part 1, decide whether the store checks
 * the CRC. 1 when the decision was taken now (the caller logs ra_partsum_describe), else 0. */
int ra_partsum_answer(ra_partsum *ps, int part, const ra_partsum_part *p, const char *echoed);
/* "the store echoed part 1's CRC-32C (it checks it): parts carry CRC-32C only", for the log. */
const char *ra_partsum_describe(const ra_partsum *ps);
/* The store refused the part as damaged on the way (its checksum did not match what arrived). */
int ra_partsum_damaged(const char *code);

#endif
