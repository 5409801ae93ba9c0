/* acks.c - bytes acknowledged by the store, from TCP_INFO (acks.h). */
#include "storage/s3/acks.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked; glibc's lacks it */

void ra_s3_acks_init(ra_s3_acks *a) {
    for (int i = 0; i < RA_S3_ACKS_MAX; i++) a->socks[i].fd = -1;
}

void ra_s3_acks_add(ra_s3_acks *a, int fd) {
    for (int i = 0; i < RA_S3_ACKS_MAX; i++)
        if (a->socks[i].fd == -1) {
            a->socks[i].fd = fd;
            a->socks[i].acked = 0;
            return;
        }
}

void ra_s3_acks_remove(ra_s3_acks *a, int fd) {
    for (int i = 0; i < RA_S3_ACKS_MAX; i++)
        if (a->socks[i].fd == fd) a->socks[i].fd = -1;
}

long long ra_s3_acks_delta(ra_s3_acks *a) {
    long long d = 0;
    for (int i = 0; i < RA_S3_ACKS_MAX; i++) {
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (a->socks[i].fd == -1) continue;
        memset(&ti, 0, sizeof(ti));
        if (getsockopt(a->socks[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
            len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
            continue;
        long long v = (long long)ti.tcpi_bytes_acked;
        if (v > a->socks[i].acked) d += v - a->socks[i].acked;
        a->socks[i].acked = v;
    }
    return d;
}
