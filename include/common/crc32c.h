/* crc32c.h - CRC-32C (Castagnoli: reflected poly 0x82f63b78, init and final xor 0xffffffff), the
 * checksum of S3's x-amz-checksum-crc32c. Check value: ra_crc32c(0, "123456789", 9) == 0xe3069283. */
#ifndef RA_COMMON_CRC32C_H
#define RA_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define RA_CRC32C_BASE64_LEN 9 /* 8 characters and the NUL */

/* Continue crc over n bytes at p; start with crc = 0. Incremental: crc(a+b) == crc(crc(a), b).
 * SSE4.2's crc32 instruction on x86-64 CPUs that have it (checked at run time), three streams
 * interleaved, else slicing-by-8 over static const tables: no state, safe from any thread. */
uint32_t ra_crc32c(uint32_t crc, const void *p, size_t n);

/* The same CRC, always by the table: for tests and benchmarks of the fast path. */
uint32_t ra_crc32c_table(uint32_t crc, const void *p, size_t n);

/* 1 when ra_crc32c uses the CPU instruction here. */
int ra_crc32c_hw(void);

/* base64 of the CRC's four bytes in big-endian order, as x-amz-checksum-crc32c wants it. */
void ra_crc32c_base64(uint32_t crc, char out[RA_CRC32C_BASE64_LEN]);

#endif
