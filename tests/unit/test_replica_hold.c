/* test_replica_hold.c - a taken replication link waiting to be archived (ra_replica_stream_hold): read
 * into the tail up to its bound, acknowledged every second with the offset of what arrived, until ready;
 * a peer that closes ends the wait with what came. The peer is a scripted server on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source/net.h"
#include "source/replica.h"

typedef struct peer {
    int lfd, port;
    int chunks;             /* stream writes of 1000 bytes, 200 ms apart */
    int close_after;        /* then close (else wait for the client to go) */
    char acks[4096];        /* what the client sent */
    size_t nacks;
    pthread_t th;
} peer;

static void *peer_main(void *arg) {
    peer *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    char chunk[1000];
    memset(chunk, 'x', sizeof(chunk));
    struct timeval tv = {0, 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < p->chunks + 20; i++) {
        if (i < p->chunks && write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) break;
        if (i >= p->chunks && p->close_after) break;
        ssize_t n = read(fd, p->acks + p->nacks, sizeof(p->acks) - 1 - p->nacks);
        if (n == 0) break;
        if (n > 0) p->nacks += (size_t)n;
    }
    p->acks[p->nacks] = '\0';
    close(fd);
    return NULL;
}

static void peer_start(peer *p) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(p->lfd, (struct sockaddr *)&a, &len);
    p->port = ntohs(a.sin_port);
    assert_int_equal(listen(p->lfd, 1), 0);
    pthread_create(&p->th, NULL, peer_main, p);
}

static long long mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ready once the tail holds want bytes, an ack was due since (1.1 s), and min_at has passed; or at max_at */
typedef struct until {
    const ra_replica_stream *s;
    size_t want;
    long long min_at, max_at, complete_at;
} until;

static int ready(void *ctx) {
    until *u = ctx;
    long long now = mono_ms();
    if (u->complete_at == 0 && u->s->tail_len >= u->want) u->complete_at = now;
    return (u->complete_at > 0 && now >= u->complete_at + 1100 && now >= u->min_at) || now >= u->max_at;
}

static ra_replica_stream link_to(peer *p) {
    ra_conn_opts co = {.host = "127.0.0.1", .port = p->port};
    ra_err err = {0};
    ra_replica_stream s = {.offset = 1000};
    s.conn = ra_conn_open(&co, NULL, &err);
    assert_non_null(s.conn);
    s.tail = malloc(3);
    memcpy(s.tail, "abc", 3); /* bytes that came with the RDB's end */
    s.tail_len = 3;
    return s;
}

/* the last ACK's offset in what the peer read */
static long long last_ack(const peer *p, int *count) {
    long long off = -1;
    *count = 0;
    for (const char *q = p->acks; (q = strstr(q, "$3\r\nACK\r\n")) != NULL; q++) {
        const char *v = strchr(q + 9, '\n');
        if (v) off = atoll(v + 1);
        (*count)++;
    }
    return off;
}

static void test_read_and_acknowledged(void **state) {
    (void)state;
    peer p = {.chunks = 10};
    peer_start(&p);
    ra_replica_stream s = link_to(&p);
    until u = {&s, 10003, mono_ms() + 2500, mono_ms() + 20000, 0};
    long long got = ra_replica_stream_hold(&s, 1 << 20, ready, &u);
    ra_conn_close(s.conn);
    pthread_join(p.th, NULL);
    close(p.lfd);
    assert_int_equal(got, 10000);
    assert_int_equal(s.tail_len, 10003);
    assert_memory_equal(s.tail, "abcxxx", 6);
    int n;
    long long off = last_ack(&p, &n);
    assert_true(n >= 2); /* about one a second */
    assert_true(n <= 20);
    assert_int_equal(off, 1000 + 10003); /* the offset of what arrived */
    free(s.tail);
}

static void test_bounded_then_only_acknowledged(void **state) {
    (void)state;
    peer p = {.chunks = 10};
    peer_start(&p);
    ra_replica_stream s = link_to(&p);
    until u = {&s, 2503, mono_ms() + 2500, mono_ms() + 20000, 0};
    long long got = ra_replica_stream_hold(&s, 2503, ready, &u);
    ra_conn_close(s.conn);
    pthread_join(p.th, NULL);
    close(p.lfd);
    assert_int_equal(got, 2500); /* the bound: the rest stays with the server */
    assert_int_equal(s.tail_len, 2503);
    int n;
    (void)last_ack(&p, &n);
    assert_true(n >= 2); /* still acknowledged while full */
    free(s.tail);
}

static void test_peer_closes(void **state) {
    (void)state;
    peer p = {.chunks = 2, .close_after = 1};
    peer_start(&p);
    ra_replica_stream s = link_to(&p);
    long long t0 = mono_ms();
    until u = {&s, (size_t)-1, t0 + 20000, t0 + 20000, 0};
    long long got = ra_replica_stream_hold(&s, 1 << 20, ready, &u);
    assert_true(mono_ms() - t0 < 10000); /* the wait ends with the link, not at ready */
    assert_int_equal(got, 2000);
    assert_non_null(s.conn); /* left for the archive, which finds it broken and resumes */
    ra_conn_close(s.conn);
    pthread_join(p.th, NULL);
    close(p.lfd);
    free(s.tail);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_acknowledged),
        cmocka_unit_test(test_bounded_then_only_acknowledged),
        cmocka_unit_test(test_peer_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
