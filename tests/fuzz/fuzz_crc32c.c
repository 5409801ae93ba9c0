/* fuzz_crc32c.c - libFuzzer, differential: CRC-32C by the fast path (SSE4.2, three streams) and
 * by the table agree on any bytes, from any start value, whole or split at a point the input
 * chooses; the input is repeated to reach the three-stream blocks (3 x 8192 bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 6) return 0;
    uint32_t start;
    memcpy(&start, data, 4);
    size_t reps = 1 + data[4] % 64, split = data[5];
    data += 6;
    size -= 6;
    size_t n = size * reps;
    uint8_t *b = malloc(n + 1);
    if (b == NULL) return 0;
    for (size_t i = 0; i < reps; i++) memcpy(b + i * size, data, size);
    uint32_t want = ra_crc32c_table(start, b, n);
    if (ra_crc32c(start, b, n) != want) abort();
    size_t at = n ? split * 131 % (n + 1) : 0;
    if (ra_crc32c(ra_crc32c(start, b, at), b + at, n - at) != want) abort();
    if (n > 0 && ra_crc32c(start, b + 1, n - 1) != ra_crc32c_table(start, b + 1, n - 1)) abort(); /* unaligned */
    free(b);
    return 0;
}
