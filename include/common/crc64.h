/* crc64.h - CRC-64/Jones as Redis uses it for RDB trailers (reflected poly 0x95ac9329ac4bc9b5,
 * init 0, no final xor). Check value: ra_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca. */
#ifndef RA_COMMON_CRC64_H
#define RA_COMMON_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over n bytes at p; start with crc = 0. Incremental: crc(a+b) == crc(crc(a), b).
 * PCLMULQDQ folding on x86-64 CPUs that have it (checked at run time), else slicing-by-16 over
 * static const tables: no state, safe from any thread. */
uint64_t ra_crc64(uint64_t crc, const void *p, size_t n);

/* The same CRC, always by the table (slicing-by-16): for tests and benchmarks of the fast path. */
uint64_t ra_crc64_table(uint64_t crc, const void *p, size_t n);

#endif
