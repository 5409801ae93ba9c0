/* acks.h - what a store really took: the bytes TCP saw acknowledged on a set of connections (Linux
 * TCP_INFO), the upload's watchdog's sign of life. Bytes handed to the kernel stop counting once its
 * buffers are full; acknowledgements go on as long as the store takes data. Not thread-safe: the
 * caller serialises (upload.c, under its lock). Not for use outside src/storage/s3/. */
#ifndef RA_STORAGE_S3_ACKS_H
#define RA_STORAGE_S3_ACKS_H

#include "common/limits.h"

#define RA_S3_ACKS_MAX (2 * RA_CONCURRENCY_MAX + 2) /* connections watched at most; more are not counted */

typedef struct ra_s3_acks {
    struct {
        int fd; /* -1: unused */
        long long acked;
    } socks[RA_S3_ACKS_MAX];
} ra_s3_acks;

/* No connection watched. */
void ra_s3_acks_init(ra_s3_acks *a);
/* Watch the connected socket fd from now (its bytes acknowledged so far count in the next delta). */
void ra_s3_acks_add(ra_s3_acks *a, int fd);
/* Stop watching fd (before it is closed). */
void ra_s3_acks_remove(ra_s3_acks *a, int fd);
/* Bytes acknowledged on the watched connections since the last call; 0 where TCP_INFO lacks the count. */
long long ra_s3_acks_delta(ra_s3_acks *a);

#endif
