/* test_acks.c - bytes acknowledged by the peer (storage/s3/acks.c) on a real loopback connection: what
 * the peer took is counted once (the handshake's SYN as one more byte), a removed connection no longer counts, nothing watched counts 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/s3/acks.h"

/* A connected pair on 127.0.0.1: *client and *server. */
static void pair(int *client, int *server) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
    *server = accept(l, NULL, NULL);
    assert_true(*server >= 0);
    close(l);
}

/* Send n bytes on c and read them on s. */
static void move(int c, int s, size_t n) {
    static char buf[65536];
    size_t got = 0;
    for (size_t sent = 0; sent < n;) {
        size_t k = n - sent < sizeof(buf) ? n - sent : sizeof(buf);
        ssize_t w = write(c, buf, k);
        assert_true(w > 0);
        sent += (size_t)w;
        while (got < sent) {
            ssize_t r = read(s, buf, sizeof(buf));
            assert_true(r > 0);
            got += (size_t)r;
        }
    }
}

/* The delta until it reaches want, for up to 5 s (acknowledgements come a little after the read). */
static long long delta_until(ra_s3_acks *a, long long want) {
    long long total = 0;
    for (int i = 0; i < 500 && total < want; i++) {
        total += ra_s3_acks_delta(a);
        if (total < want) nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return total;
}

static void test_counts_what_the_peer_took(void **state) {
    (void)state;
    ra_s3_acks a;
    ra_s3_acks_init(&a);
    assert_int_equal(ra_s3_acks_delta(&a), 0);
    int c, s;
    pair(&c, &s);
    ra_s3_acks_add(&a, c);
    move(c, s, 300000);
    long long first = delta_until(&a, 300000);
    assert_true(first == 300000 || first == 300001); /* TCP counts the SYN as one byte acknowledged */
    assert_int_equal(ra_s3_acks_delta(&a), 0); /* counted once */
    move(c, s, 1000);
    assert_int_equal(delta_until(&a, 1000), 1000);
    ra_s3_acks_remove(&a, c);
    move(c, s, 5000);
    nanosleep(&(struct timespec){0, 50000000L}, NULL);
    assert_int_equal(ra_s3_acks_delta(&a), 0); /* no longer watched */
    close(c);
    close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_what_the_peer_took),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
