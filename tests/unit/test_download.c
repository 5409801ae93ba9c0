/* test_download.c - ranged GETs in parallel (storage/s3/download.c) against a scripted HTTP peer on
 * loopback that serves one object by ranges, each connection in its own thread: ranges answered out
 * of order, a range failing once, answers cut short or shorter than asked, a store ignoring Range,
 * an object that changes meanwhile, a missing object, a cancel. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/s3/download.h"

static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#define OBJ_SIZE 10000
#define CHUNK 1024
#define MAX_CONN 256

enum fault { NONE, FAIL_500, CUT, SHORT, DELAY, WHOLE, CHANGED };

typedef struct peer {
    int fd, port;
    pthread_t thread;
    unsigned char obj[OBJ_SIZE];
    long long size;             /* what HEAD says */
    int head_status;            /* 0 = 200 */
    enum fault fault;           /* for the range that starts at fault_at */
    long long fault_at;
    int fault_times;            /* how many answers to it get the fault (-1: all) */
    int hold_ms;                /* every range is answered after this long (ranges in flight overlap) */
    pthread_mutex_t lock;
    pthread_t conns[MAX_CONN];
    int nconns;
    int in_flight, max_in_flight;
    int gets, heads;
    int if_match_seen;
} peer;

typedef struct conn {
    peer *p;
    int fd;
} conn;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void send_all(int fd, const void *b, size_t n) {
    const char *c = b;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        c += w;
        n -= (size_t)w;
    }
}

/* Out of flight before the answer goes: the client may send its next request as soon as the answer is in,
 * before this thread runs again, and that one must not be counted beside this one. */
static void answered(peer *p) {
    pthread_mutex_lock(&p->lock);
    p->in_flight--;
    pthread_mutex_unlock(&p->lock);
}

static void *serve_conn(void *arg) {
    conn *cn = arg;
    peer *p = cn->p;
    char req[8192];
    size_t n = 0;
    while (n < sizeof(req) - 1) {
        ssize_t r = read(cn->fd, req + n, sizeof(req) - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[n] = '\0';
    char hdr[512];
    pthread_mutex_lock(&p->lock);
    int in = ++p->in_flight;
    if (in > p->max_in_flight) p->max_in_flight = in;
    pthread_mutex_unlock(&p->lock);
    if (strncmp(req, "HEAD ", 5) == 0) {
        pthread_mutex_lock(&p->lock);
        p->heads++;
        pthread_mutex_unlock(&p->lock);
        int st = p->head_status ? p->head_status : 200;
        int l = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %lld\r\n"
                         "ETag: \"e1\"\r\n\r\n", st, st == 200 ? p->size : 0);
        answered(p);
        send_all(cn->fd, hdr, (size_t)l);
        goto out;
    }
    long long a = 0, b = 0;
    const char *rg = strcasestr(req, "\r\nrange: bytes=");
    if (rg) sscanf(rg + 15, "%lld-%lld", &a, &b);
    pthread_mutex_lock(&p->lock);
    p->gets++;
    if (strcasestr(req, "\r\nif-match: \"e1\"")) p->if_match_seen++;
    enum fault f = NONE;
    if (rg && a == p->fault_at && p->fault_times != 0) {
        f = p->fault;
        if (p->fault_times > 0) p->fault_times--;
    }
    pthread_mutex_unlock(&p->lock);
    if (b >= OBJ_SIZE) b = OBJ_SIZE - 1;
    size_t len = (size_t)(b - a + 1);
    if (f == FAIL_500) {
        const char *body = "<Error><Code>InternalError</Code></Error>";
        int l = snprintf(hdr, sizeof(hdr), "HTTP/1.1 500 X\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(body), body);
        answered(p);
        send_all(cn->fd, hdr, (size_t)l);
        goto out;
    }
    if (f == CHANGED) {
        const char *body = "<Error><Code>PreconditionFailed</Code></Error>";
        int l = snprintf(hdr, sizeof(hdr), "HTTP/1.1 412 X\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(body), body);
        answered(p);
        send_all(cn->fd, hdr, (size_t)l);
        goto out;
    }
    if (p->hold_ms > 0) sleep_ms(p->hold_ms);
    if (f == DELAY) sleep_ms(400); /* the first range comes last */
    if (f == WHOLE) {
        a = 0;
        len = OBJ_SIZE;
    }
    size_t send = f == SHORT ? len / 2 : len;
    int l = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %zu\r\n"
                     "Content-Range: bytes %lld-%lld/%d\r\n\r\n", f == WHOLE ? 200 : 206, send, a,
                     a + (long long)send - 1, OBJ_SIZE);
    answered(p);
    send_all(cn->fd, hdr, (size_t)l);
    send_all(cn->fd, p->obj + a, f == CUT ? send / 3 : send); /* CUT: the connection ends early */
out:
    close(cn->fd);
    free(cn);
    return NULL;
}

static void *serve(void *arg) {
    peer *p = arg;
    for (;;) {
        int c = accept(p->fd, NULL, NULL);
        if (c < 0) break;
        conn *cn = malloc(sizeof(*cn));
        cn->p = p;
        cn->fd = c;
        pthread_mutex_lock(&p->lock);
        int i = p->nconns < MAX_CONN ? p->nconns++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (i < 0) {
            close(c);
            free(cn);
            continue;
        }
        pthread_create(&p->conns[i], NULL, serve_conn, cn);
    }
    return NULL;
}

static void peer_start(peer *p) {
    for (int i = 0; i < OBJ_SIZE; i++) p->obj[i] = (unsigned char)(i * 7 + i / 251);
    if (p->size == 0) p->size = OBJ_SIZE;
    pthread_mutex_init(&p->lock, NULL);
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(p->fd, (struct sockaddr *)&a, &al);
    p->port = ntohs(a.sin_port);
    assert_int_equal(listen(p->fd, 64), 0);
    pthread_create(&p->thread, NULL, serve, p);
}

static void peer_stop(peer *p) {
    shutdown(p->fd, SHUT_RDWR);
    close(p->fd);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < p->nconns; i++) pthread_join(p->conns[i], NULL);
    pthread_mutex_destroy(&p->lock);
}

static ra_s3 *client_cancel(const peer *p, volatile sig_atomic_t *cancel) {
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 3, .request_timeout_ms = 5000, .cancel = cancel};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    return s3;
}

static ra_s3 *client(const peer *p) {
    return client_cancel(p, NULL);
}

typedef struct sink {
    unsigned char got[OBJ_SIZE * 2];
    size_t len;
    int calls;
    int fail_at_call;               /* > 0: that call fails */
    volatile sig_atomic_t *cancel;  /* set by the first call (a SIGINT meanwhile) */
} sink;

static int collect(void *ctx, const void *data, size_t len, ra_err *err) {
    sink *s = ctx;
    if (++s->calls == s->fail_at_call) return ra_err_set(err, RA_E_VERIFY, "the reader says no");
    if (s->cancel) *s->cancel = 1;
    assert_true(s->len + len <= sizeof(s->got));
    memcpy(s->got + s->len, data, len);
    s->len += len;
    return 0;
}

/* A fresh peer whose range at `at` gets fault f for `times` answers (-1: all), and an empty sink; one
 * each, static (the peer is large). */
static peer *peer_with(enum fault f, long long at, int times) {
    static peer p;
    memset(&p, 0, sizeof(p));
    p.fault = f;
    p.fault_at = at;
    p.fault_times = times;
    return &p;
}

static sink *empty_sink(void) {
    static sink s;
    memset(&s, 0, sizeof(s));
    return &s;
}

/* Start the peer, download its object with `streams` ranges of CHUNK bytes in flight, stop the peer. */
static int fetch(peer *p, int streams, sink *s, ra_err *err) {
    peer_start(p);
    ra_s3 *s3 = client(p);
    long long size = -2;
    ra_download_opts o = {.concurrency = streams, .chunk_size = CHUNK, .size = &size};
    int rc = ra_s3_download(s3, "dir/obj", &o, collect, s, err);
    ra_s3_free(s3);
    peer_stop(p);
    if (rc == 0) assert_int_equal(size, p->size);
    return rc;
}

static void assert_whole(const peer *p, const sink *s) {
    assert_int_equal(s->len, OBJ_SIZE);
    assert_memory_equal(s->got, p->obj, OBJ_SIZE);
}

static void test_in_order_from_parallel_ranges(void **state) {
    (void)state;
    peer *p = peer_with(DELAY, 0, 1); /* the first range is answered after the others */
    p->hold_ms = 150; /* on a loaded machine the first range may reach the peer last: every range waits a little, so
                         the ranges in flight meet there even then */
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 4, s, &err), 0);
    assert_whole(p, s);
    assert_int_equal(p->heads, 1);
    assert_int_equal(p->gets, (OBJ_SIZE + CHUNK - 1) / CHUNK);
    assert_int_equal(p->if_match_seen, p->gets); /* every range only of the version the HEAD saw */
    assert_true(p->max_in_flight >= 2);
    assert_true(p->max_in_flight <= 4);
    assert_int_equal(s->calls, (OBJ_SIZE + CHUNK - 1) / CHUNK);
}

/* One range fails, is cut, or is answered short; it alone is asked again and the object arrives whole. */
static void faulty_range_once(enum fault f) {
    peer *p = peer_with(f, 3 * CHUNK, 1);
    sink *s = empty_sink();
    ra_err err = {0};
    int rc = fetch(p, 3, s, &err);
    if (rc != 0) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_whole(p, s);
    assert_int_equal(p->gets, (OBJ_SIZE + CHUNK - 1) / CHUNK + 1);
}

static void test_range_failing_once(void **state) {
    (void)state;
    faulty_range_once(FAIL_500);
}

static void test_range_cut_once(void **state) {
    (void)state;
    faulty_range_once(CUT);
}

static void test_range_short_once(void **state) {
    (void)state;
    faulty_range_once(SHORT);
}

static void test_range_short_always_fails(void **state) {
    (void)state;
    peer *p = peer_with(SHORT, 2 * CHUNK, -1);
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 2, s, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "bytes=2048-3071"));
    assert_true(s->len <= 2 * CHUNK); /* nothing after the hole was handed on */
}

static void test_store_ignoring_range_refused(void **state) {
    (void)state;
    peer *p = peer_with(WHOLE, CHUNK, -1);
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 2, s, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
}

static void test_changed_object_fails(void **state) {
    (void)state;
    peer *p = peer_with(CHANGED, 5 * CHUNK, -1);
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 4, s, &err), -1);
    assert_non_null(strstr(err.msg, "changed"));
}

/* The reader refusing a chunk stops everything with its error. */
static void test_writer_error_stops(void **state) {
    (void)state;
    peer *p = peer_with(NONE, 0, 0);
    sink *s = empty_sink();
    s->fail_at_call = 2;
    ra_err err = {0};
    assert_int_equal(fetch(p, 4, s, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    assert_int_equal(s->len, CHUNK);
}

static void test_missing_object(void **state) {
    (void)state;
    peer *p = peer_with(NONE, 0, 0);
    p->head_status = 404;
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 4, s, &err), -1);
    assert_int_equal(err.code, RA_E_NOTFOUND);
    assert_int_equal(p->gets, 0);
}

/* An object shorter than its record: what is there arrives; the reader behind judges it. */
static void test_single_range_and_short_object(void **state) {
    (void)state;
    peer *p = peer_with(NONE, 0, 0);
    p->size = 700;
    sink *s = empty_sink();
    ra_err err = {0};
    assert_int_equal(fetch(p, 4, s, &err), 0);
    assert_int_equal(s->len, 700);
    assert_memory_equal(s->got, p->obj, 700);
    assert_int_equal(p->gets, 1);
}

/* A cancel (SIGTERM/SIGINT) during the download stops it with RA_E_CANCELLED; nothing more is handed on. */
static void test_cancel_stops(void **state) {
    (void)state;
    peer *p = peer_with(NONE, 0, 0);
    sink *s = empty_sink();
    volatile sig_atomic_t flag = 0;
    s->cancel = &flag;
    peer_start(p);
    ra_s3 *s3 = client_cancel(p, &flag);
    ra_download_opts o = {.concurrency = 2, .chunk_size = CHUNK};
    ra_err err = {0};
    assert_int_equal(ra_s3_download(s3, "dir/obj", &o, collect, s, &err), -1);
    ra_s3_free(s3);
    peer_stop(p);
    assert_int_equal(err.code, RA_E_CANCELLED);
    assert_int_equal(s->calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_from_parallel_ranges),
        cmocka_unit_test(test_range_failing_once),
        cmocka_unit_test(test_range_cut_once),
        cmocka_unit_test(test_range_short_once),
        cmocka_unit_test(test_range_short_always_fails),
        cmocka_unit_test(test_store_ignoring_range_refused),
        cmocka_unit_test(test_changed_object_fails),
        cmocka_unit_test(test_writer_error_stops),
        cmocka_unit_test(test_missing_object),
        cmocka_unit_test(test_single_range_and_short_object),
        cmocka_unit_test(test_cancel_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
