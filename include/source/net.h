/* net.h - one client connection the caller owns: TCP with connect/read/write timeouts, optional
 * TLS (OpenSSL 3, verification on by default). */
#ifndef RA_SOURCE_NET_H
#define RA_SOURCE_NET_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/log.h"

typedef struct ra_conn ra_conn;

typedef struct ra_conn_opts {
    const char *host;          /* name or IP literal (no brackets) */
    int port;
    long connect_timeout_ms;   /* TCP connect + TLS handshake, each; <= 0: 10000 */
    int tls;                   /* 1: TLS after connect */
    const char *tls_ca_file;   /* NULL: the system store */
    const char *tls_cert_file; /* client certificate (PEM chain), optional */
    const char *tls_key_file;  /* its key; NULL: taken from tls_cert_file */
    const char *tls_sni;       /* server name to send and verify; NULL: host */
    int tls_insecure;          /* 1: no certificate or name check (logs a warning) */
    volatile sig_atomic_t *cancel; /* polled every 200 ms while waiting; non-zero: RA_E_CANCELLED */
} ra_conn_opts;

/* Connect (every address getaddrinfo returns, in order), then the TLS handshake if asked.
 * NULL with err set (RA_E_SOURCE, or RA_E_CANCELLED). */
ra_conn *ra_conn_open(const ra_conn_opts *opts, const ra_log *log, ra_err *err);

/* Write all n bytes; fails when no progress is possible for timeout_ms. */
int ra_conn_write(ra_conn *c, const void *p, size_t n, long timeout_ms, ra_err *err);

/* Read up to cap bytes: > 0 bytes read, 0 when the peer closed, -1 with err set (RA_E_SOURCE,
 * e.g. "no data from 'h:p' for 60000 ms", or RA_E_CANCELLED). */
ssize_t ra_conn_read(ra_conn *c, void *buf, size_t cap, long timeout_ms, ra_err *err);

/* Wait at most wait_ms for something to read: 1 (a read will not wait long), 0 (nothing yet),
 * -1 with err set (RA_E_CANCELLED, a poll error). For a loop that has other work between reads. */
int ra_conn_readable(ra_conn *c, long wait_ms, ra_err *err);

/* Batch the reads of a bulk stream: poll wakes only once `bytes` are queued (SO_RCVLOWAT), or
 * after max_wait_ms, when the next read takes whatever arrived. Measured on loopback here: a
 * 1 GiB RDB read in 10 KB wakeups costs about 1 CPU-s in the kernel (redis-cli --rdb pays it);
 * 256 KiB batches cut that to under half. bytes <= 1 turns it off. 0, or -1 (errno) when the
 * socket refuses the option. */
int ra_conn_batch_reads(ra_conn *c, int bytes, long max_wait_ms);

/* "host:port" as given (borrowed, valid until free). */
const char *ra_conn_name(const ra_conn *c);

/* The flag every wait polls from now on (NULL: none): a connection that outlives the flag it was opened
 * with (a cluster shard's replication link, handed from the backup's run to the archive) gets another. */
void ra_conn_set_cancel(ra_conn *c, volatile sig_atomic_t *cancel);

void ra_conn_close(ra_conn *c);

#endif
