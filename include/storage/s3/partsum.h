/* partsum.h - what an UploadPart carries to prove its bytes (part-checksum): CRC-32C, the signed
 * SHA-256, Content-MD5, for auto the decision taken on part 1's answer, and which answers mean the
 * store refuses the CRC-32C headers (auto then falls back). Pure (hashes only).
 * Private to src/storage/s3/ (upload.c, multipart.c). */
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
    int https;
    int fallen;    /* AUTO, the store refused the CRC-32C headers: no CRC; SHA-256 (http) or Content-MD5
                      (https) on every part instead, so a part still carries a checksum (Object Lock) */
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
/* The store's answer to a request with x-amz-checksum-algorithm or x-amz-checksum-crc32c says it
 * does not take them: 400 InvalidArgument/InvalidRequest whose message names a checksum (B2:
 * "Unsupported header 'x-amz-checksum-algorithm' received for this API call", AWS on a part: "Checksum
 * Type mismatch occurred, expected checksum Type: null"), or 501 (NotImplemented or no code) whose
 * message names a header or checksum, or is empty (R2: "Header 'x-amz-checksum-crc32c' with value
 * ... not implemented"). Never 403 or any other status, never BadDigest (the bytes were damaged). */
int ra_partsum_refused(long status, const char *code, const char *message);
/* AUTO only: drop the CRC for this upload (SHA-256 over http, Content-MD5 over https); 1 when it fell
 * back now, 0 when the mode is not auto or sends no CRC (then the refusal is an error). */
int ra_partsum_fall_back(ra_partsum *ps);
/* "the SHA-256 payload signature" or "Content-MD5": what a fallen-back part carries, for the log. */
const char *ra_partsum_fallback_name(const ra_partsum *ps);
/* The store refused the part as damaged on the way (its checksum did not match what arrived). */
int ra_partsum_damaged(const char *code);

#endif
