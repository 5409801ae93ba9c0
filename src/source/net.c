/* net.c - a client connection: non-blocking TCP connect with poll timeouts (anet style), optional
 * TLS via OpenSSL 3; every wait is a poll in short slices so cancellation is noticed quickly. */
#include "source/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define SLICE_MS 200

struct ra_conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    volatile sig_atomic_t *cancel;
    long batch_ms;  /* > 0: SO_RCVLOWAT is set; a read waits at most this long for it */
    char name[300]; /* "host:port" for messages */
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll fd for `events` for up to timeout_ms, in slices so a cancel is seen: 1 ready (or an error
 * the next call will report), 0 timed out, -1 cancelled or poll failed (err set). */
static int poll_fd(int fd, short events, long timeout_ms, volatile sig_atomic_t *cancel,
                   const char *name, const char *what, ra_err *err) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (cancel != NULL && *cancel) return ra_err_set(err, RA_E_CANCELLED, "cancelled");
        long long left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int rc = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
        if (rc > 0) return 1;
        if (rc < 0 && errno != EINTR)
            return ra_err_set(err, RA_E_SOURCE, "%s '%s': poll: %s", what, name, strerror(errno));
    }
}

static int timed_out(const char *name, const char *what, long timeout_ms, ra_err *err) {
    return ra_err_set(err, RA_E_SOURCE, "%s '%s' timed out after %ld ms", what, name, timeout_ms);
}

/* Wait until fd is ready for `events`, at most timeout_ms. `what` names the wait in messages. */
static int wait_fd(int fd, short events, long timeout_ms, volatile sig_atomic_t *cancel,
                   const char *name, const char *what, ra_err *err) {
    int rc = poll_fd(fd, events, timeout_ms, cancel, name, what, err);
    if (rc == 0) return timed_out(name, what, timeout_ms, err);
    return rc < 0 ? -1 : 0;
}

/* The first OpenSSL error on the queue, as text. */
static const char *ssl_errstr(char *buf, size_t cap) {
    unsigned long e = ERR_get_error();
    if (e == 0) {
        snprintf(buf, cap, "%s", errno ? strerror(errno) : "connection closed");
    } else {
        ERR_error_string_n(e, buf, cap);
    }
    ERR_clear_error();
    return buf;
}

static int tcp_connect(ra_conn *c, const ra_conn_opts *o, long timeout_ms, ra_err *err) {
    char port[16];
    snprintf(port, sizeof(port), "%d", o->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(o->host, port, &hints, &res);
    if (rc != 0)
        return ra_err_set(err, RA_E_SOURCE, "cannot resolve '%s': %s", o->host, gai_strerror(rc));
    ra_err last = {0};
    ra_err_set(&last, RA_E_SOURCE, "cannot connect to '%s': no address", c->name);
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            ra_err_set(&last, RA_E_SOURCE, "cannot connect to '%s': socket: %s", c->name,
                       strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
            ra_err_set(&last, RA_E_SOURCE, "cannot connect to '%s': %s", c->name, strerror(errno));
            close(fd);
            continue;
        }
        if (wait_fd(fd, POLLOUT, timeout_ms, o->cancel, c->name, "connecting to", &last) < 0) {
            close(fd);
            if (last.code == RA_E_CANCELLED) break;
            continue;
        }
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
        if (soerr != 0) {
            ra_err_set(&last, RA_E_SOURCE, "cannot connect to '%s': %s", c->name, strerror(soerr));
            close(fd);
            continue;
        }
        int one = 1; /* the handshake is small request/reply round trips */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->fd = fd;
        freeaddrinfo(res);
        return 0;
    }
    freeaddrinfo(res);
    if (err != NULL) *err = last;
    return -1;
}

static int tls_handshake(ra_conn *c, const ra_conn_opts *o, long timeout_ms, const ra_log *log,
                         ra_err *err) {
    char ebuf[256];
    const char *name = o->tls_sni != NULL ? o->tls_sni : o->host;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL) return ra_err_set(err, RA_E_INTERNAL, "tls: %s", ssl_errstr(ebuf, sizeof(ebuf)));
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    /* Completeness is proven by the EOF mark / byte count, never by a TLS close_notify, so a peer
     * that just closes reads as a plain EOF instead of an SSL error. */
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (o->tls_insecure) {
        ra_log_warn(log, "tls.insecure", "tls certificate verification is off for '%s'", c->name);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        int ok = o->tls_ca_file != NULL ? SSL_CTX_load_verify_locations(c->ctx, o->tls_ca_file, NULL)
                                        : SSL_CTX_set_default_verify_paths(c->ctx);
        if (ok != 1)
            return ra_err_set(err, RA_E_USAGE, "tls: cannot load ca file '%s': %s",
                              o->tls_ca_file ? o->tls_ca_file : "(system)",
                              ssl_errstr(ebuf, sizeof(ebuf)));
    }
    if (o->tls_cert_file != NULL) {
        const char *key = o->tls_key_file != NULL ? o->tls_key_file : o->tls_cert_file;
        if (SSL_CTX_use_certificate_chain_file(c->ctx, o->tls_cert_file) != 1)
            return ra_err_set(err, RA_E_USAGE, "tls: cannot load client certificate '%s': %s",
                              o->tls_cert_file, ssl_errstr(ebuf, sizeof(ebuf)));
        if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(c->ctx) != 1)
            return ra_err_set(err, RA_E_USAGE, "tls: cannot load client key '%s': %s", key,
                              ssl_errstr(ebuf, sizeof(ebuf)));
    }
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
        return ra_err_set(err, RA_E_INTERNAL, "tls: %s", ssl_errstr(ebuf, sizeof(ebuf)));
    SSL_set_mode(c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(c->ssl, name); /* RFC 6066: no IP literals in SNI */
    if (!o->tls_insecure) {
        X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name)
                       : X509_VERIFY_PARAM_set1_host(param, name, 0);
        if (ok != 1) return ra_err_set(err, RA_E_USAGE, "tls: bad server name '%s'", name);
    }
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(c->ssl);
        if (r == 1) return 0;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, timeout_ms, c->cancel,
                        c->name, "tls handshake with", err) < 0)
                return -1;
            continue;
        }
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK)
            return ra_err_set(err, RA_E_SOURCE, "tls: certificate of '%s' not trusted: %s", c->name,
                              X509_verify_cert_error_string(v));
        return ra_err_set(err, RA_E_SOURCE, "tls handshake with '%s' failed: %s", c->name,
                          ssl_errstr(ebuf, sizeof(ebuf)));
    }
}

ra_conn *ra_conn_open(const ra_conn_opts *o, const ra_log *log, ra_err *err) {
    ra_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->cancel = o->cancel;
    snprintf(c->name, sizeof(c->name), strchr(o->host, ':') ? "[%s]:%d" : "%s:%d", o->host, o->port);
    long timeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    if (tcp_connect(c, o, timeout, err) < 0 || (o->tls && tls_handshake(c, o, timeout, log, err) < 0)) {
        ra_conn_close(c);
        return NULL;
    }
    return c;
}

int ra_conn_write(ra_conn *c, const void *data, size_t n, long timeout_ms, ra_err *err) {
    const char *p = data;
    char ebuf[256];
    while (n > 0) {
        size_t done = 0;
        short want = POLLOUT;
        if (c->ssl != NULL) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_write_ex(c->ssl, p, n, &done);
            if (r != 1) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ) want = POLLIN;
                else if (e != SSL_ERROR_WANT_WRITE)
                    return ra_err_set(err, RA_E_SOURCE, "writing to '%s': %s", c->name,
                                      ssl_errstr(ebuf, sizeof(ebuf)));
                done = 0;
            }
        } else {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return ra_err_set(err, RA_E_SOURCE, "writing to '%s': %s", c->name, strerror(errno));
            done = w > 0 ? (size_t)w : 0;
        }
        if (done == 0) {
            if (wait_fd(c->fd, want, timeout_ms, c->cancel, c->name, "writing to", err) < 0) return -1;
            continue;
        }
        p += done;
        n -= done;
    }
    return 0;
}

ssize_t ra_conn_read(ra_conn *c, void *buf, size_t cap, long timeout_ms, ra_err *err) {
    char ebuf[256];
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (c->cancel != NULL && *c->cancel) return ra_err_set(err, RA_E_CANCELLED, "cancelled");
        short want = POLLIN;
        if (c->ssl != NULL) {
            size_t got = 0;
            ERR_clear_error();
            errno = 0;
            int r = SSL_read_ex(c->ssl, buf, cap, &got);
            if (r == 1) return (ssize_t)got;
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN) return 0;
            if (e == SSL_ERROR_WANT_WRITE) want = POLLOUT;
            else if (e != SSL_ERROR_WANT_READ)
                return ra_err_set(err, RA_E_SOURCE, "reading from '%s': %s", c->name,
                                  ssl_errstr(ebuf, sizeof(ebuf)));
        } else {
            ssize_t n = recv(c->fd, buf, cap, 0);
            if (n >= 0) return n;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return ra_err_set(err, RA_E_SOURCE, "reading from '%s': %s", c->name, strerror(errno));
        }
        long long left = deadline - now_ms();
        if (left <= 0) return timed_out(c->name, "waiting for data from", timeout_ms, err);
        /* Batched: poll wakes at SO_RCVLOWAT bytes, so after batch_ms take whatever is there (the
         * stream's last bytes, or a slow source) with the next recv. */
        long wait = c->batch_ms > 0 && left > c->batch_ms ? c->batch_ms : (long)left;
        if (poll_fd(c->fd, want, wait, c->cancel, c->name, "waiting for data from", err) < 0) return -1;
    }
}

int ra_conn_readable(ra_conn *c, long wait_ms, ra_err *err) {
    if (c->ssl != NULL && SSL_pending(c->ssl) > 0) return 1;
    return poll_fd(c->fd, POLLIN, wait_ms, c->cancel, c->name, "waiting for data from", err);
}

int ra_conn_batch_reads(ra_conn *c, int bytes, long max_wait_ms) {
    if (bytes <= 1 || max_wait_ms <= 0) {
        bytes = 1;
        max_wait_ms = 0;
    }
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes)) < 0) return -1;
    c->batch_ms = max_wait_ms;
    return 0;
}

const char *ra_conn_name(const ra_conn *c) { return c->name; }

void ra_conn_set_cancel(ra_conn *c, volatile sig_atomic_t *cancel) {
    if (c != NULL) c->cancel = cancel;
}

void ra_conn_close(ra_conn *c) {
    if (c == NULL) return;
    if (c->ssl != NULL) SSL_free(c->ssl); /* no SSL_shutdown: we may be abandoning a transfer */
    if (c->ctx != NULL) SSL_CTX_free(c->ctx);
    if (c->fd >= 0) close(c->fd);
    free(c);
}
