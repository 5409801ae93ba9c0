/* partplan.c - the multipart part plan: how large each part is. Pure arithmetic. */
#include "storage/s3/partplan.h"

#include <string.h>
#include <strings.h>

#include "common/limits.h"

/* A known size is planned for fewer parts than S3's limit: parts grow towards the planned size
 * as bytes arrive (ra_upload_part_alloc), and the smaller first parts need the slack. */
#define PLAN_PARTS (RA_PARTS_MAX - 64)

long long ra_upload_part_size(long long configured, long long expected_size, int index) {
    long long p = configured > 0 ? configured : RA_PART_SIZE_DEFAULT;
    if (p < RA_PART_SIZE_MIN) p = RA_PART_SIZE_MIN;
    if (p > RA_PART_SIZE_MAX) p = RA_PART_SIZE_MAX;
    if (expected_size >= 0) {
        /* known size: one size for all parts, large enough for PLAN_PARTS parts, whole MiB */
        long long need = (expected_size + PLAN_PARTS - 1) / PLAN_PARTS;
        need = (need + RA_MIB - 1) / RA_MIB * RA_MIB;
        if (need > p) p = need;
        return p > RA_PART_SIZE_MAX ? RA_PART_SIZE_MAX : p;
    }
    if (index < 1) index = 1;
    for (int g = (index - 1) / RA_PART_GROW_EVERY; g > 0; g--) {
        p *= 2;
        if (p >= RA_PART_SIZE_MAX) return RA_PART_SIZE_MAX;
    }
    return p;
}

long long ra_upload_part_alloc(long long configured, long long expected_size, int index, long long received) {
    long long plan = ra_upload_part_size(configured, expected_size, index);
    long long base = ra_upload_part_size(configured, -1, 1);
    /* a part may be as large as all that came before it, so sizes at most double per part */
    long long cap = received > base ? received : base;
    return plan < cap ? plan : cap;
}

long long ra_upload_part_size_fixed(long long configured, long long expected_size) {
    return ra_upload_part_size(configured, expected_size, 1);
}

long long ra_upload_size_limit(long long fixed_part_size) {
    return fixed_part_size * RA_PARTS_MAX;
}

int ra_upload_host_needs_equal_parts(const char *host) {
    static const char *const equal_parts[] = {".r2.cloudflarestorage.com", NULL};
    if (host == NULL) return 0;
    size_t n = strcspn(host, ":"); /* without the port */
    for (int i = 0; equal_parts[i]; i++) {
        size_t m = strlen(equal_parts[i]);
        if (n > m && strncasecmp(host + n - m, equal_parts[i], m) == 0) return 1;
    }
    return 0;
}
