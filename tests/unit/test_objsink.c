/* test_objsink.c - the verified stream's way into one object, against a small S3 peer on loopback that
 * answers by request (Create, UploadPart, Complete, HEAD with the size of the parts it took, Abort): plain
 * writes and the zero-copy path count every byte, the seal stores fewer bytes of a compressible stream and
 * refuses writing in place, metadata reach CreateMultipartUpload, and an abort reaches the store. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "command/objsink.h"
#include "storage/s3/s3.h"

typedef struct peer {
    int fd, port;
    pthread_t thread;
    long long part_bytes; /* UploadPart bodies */
    int creates, completes, aborts;
    char create_req[4096];
} peer;

static void *serve(void *arg) {
    peer *p = arg;
    for (;;) {
        int c = accept(p->fd, NULL, NULL);
        if (c < 0) break;
        static char buf[1 << 16];
        size_t n = 0;
        char *end = NULL;
        while (end == NULL && n < sizeof(buf) - 1) {
            ssize_t r = read(c, buf + n, sizeof(buf) - 1 - n);
            if (r <= 0) break;
            n += (size_t)r;
            buf[n] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        if (end == NULL) {
            close(c);
            continue;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        char req[4096];
        snprintf(req, sizeof(req), "%.*s", (int)hlen, buf);
        long long clen = 0, have = (long long)(n - hlen);
        const char *cl = strcasestr(req, "\r\ncontent-length:");
        if (cl) clen = strtoll(cl + 17, NULL, 10);
        while (have < clen) {
            ssize_t r = read(c, buf, sizeof(buf));
            if (r <= 0) break;
            have += r;
        }
        const char *body = "", *hdr = "";
        char extra[96] = "";
        if (strncmp(req, "POST ", 5) == 0 && strstr(req, "?uploads")) {
            p->creates++;
            snprintf(p->create_req, sizeof(p->create_req), "%s", req);
            body = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                   "</InitiateMultipartUploadResult>";
        } else if (strncmp(req, "PUT ", 4) == 0) {
            p->part_bytes += have;
            hdr = "ETag: \"e\"\r\n";
        } else if (strncmp(req, "POST ", 5) == 0) {
            p->completes++;
            body = "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                   "</CompleteMultipartUploadResult>";
        } else if (strncmp(req, "HEAD ", 5) == 0) {
            snprintf(extra, sizeof(extra), "Content-Length: %lld\r\nETag: \"x-1\"\r\n", p->part_bytes);
            hdr = extra;
        } else if (strncmp(req, "DELETE ", 7) == 0) {
            p->aborts++;
        }
        int head = strncmp(req, "HEAD ", 5) == 0;
        char resp[1024];
        int status = strncmp(req, "DELETE ", 7) == 0 ? 204 : 200;
        int len = snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nConnection: close\r\n%s", status, hdr);
        if (!head) len += snprintf(resp + len, sizeof(resp) - (size_t)len, "Content-Length: %zu\r\n", strlen(body));
        len += snprintf(resp + len, sizeof(resp) - (size_t)len, "\r\n%s", head ? "" : body);
        if (write(c, resp, (size_t)len) < 0) {
        }
        close(c);
    }
    return NULL;
}

static ra_s3 *peer_start(peer *p) {
    memset(p, 0, sizeof(*p));
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(p->fd, (struct sockaddr *)&a, &al);
    p->port = ntohs(a.sin_port);
    assert_int_equal(listen(p->fd, 16), 0);
    pthread_create(&p->thread, NULL, serve, p);
    static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 1, .request_timeout_ms = 5000};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    assert_non_null(s3);
    return s3;
}

static void peer_stop(peer *p, ra_s3 *s3) {
    ra_s3_free(s3);
    shutdown(p->fd, SHUT_RDWR);
    close(p->fd);
    pthread_join(p->thread, NULL);
}

static const ra_kv meta[] = {{"backup-id", "20261129T000000Z-0001"}, {"shard", "2"}};

static void test_plain(void **state) {
    (void)state;
    peer p;
    ra_s3 *s3 = peer_start(&p);
    ra_err err = {0};
    ra_objsink_opts o = {.s3 = s3, .key = "i/x.rdb", .concurrency = 1, .checksum = RA_UPLOAD_CHECKSUM_NONE};
    ra_objsink *s = ra_objsink_open(&o, 3000, meta, 2, &err);
    assert_non_null(s);
    static uint8_t data[1000];
    memset(data, 'a', sizeof(data));
    assert_int_equal(ra_objsink_write(s, data, sizeof(data), &err), 0);
    uint8_t *room = NULL;
    size_t avail = 0;
    assert_int_equal(ra_objsink_reserve(s, &room, &avail, &err), 0);
    assert_true(avail >= 2000);
    memset(room, 'b', 2000);
    assert_int_equal(ra_objsink_commit(s, 2000, &err), 0);
    assert_int_equal(ra_objsink_stored(s), 3000);
    assert_int_equal(ra_objsink_end(s, &err), 0);
    if (ra_objsink_complete(s, &err) != 0) fail_msg("%s", err.msg);
    ra_objsink_free(s);
    peer_stop(&p, s3);
    assert_int_equal(p.part_bytes, 3000);
    assert_int_equal(p.creates, 1);
    assert_int_equal(p.completes, 1);
    assert_int_equal(p.aborts, 0);
    assert_non_null(strcasestr(p.create_req, "x-amz-meta-shard: 2"));
    assert_non_null(strcasestr(p.create_req, "x-amz-meta-backup-id: 20261129T000000Z-0001"));
}

static void test_sealed(void **state) {
    (void)state;
    peer p;
    ra_s3 *s3 = peer_start(&p);
    ra_err err = {0};
    ra_seal_opts so = {.compression = RA_COMPRESSION_ZSTD, .level = 1, .plain_size = -1};
    ra_objsink_opts o = {.s3 = s3, .key = "i/x.rdb.zst", .concurrency = 1, .checksum = RA_UPLOAD_CHECKSUM_NONE,
                         .seal = &so};
    ra_objsink *s = ra_objsink_open(&o, -1, meta, 2, &err);
    assert_non_null(s);
    static uint8_t data[200000];
    memset(data, 'z', sizeof(data));
    assert_int_equal(ra_objsink_write(s, data, sizeof(data), &err), 0);
    uint8_t *room = NULL;
    size_t avail = 0;
    assert_int_equal(ra_objsink_reserve(s, &room, &avail, &err), -1); /* no writing in place through a seal */
    assert_int_equal(ra_objsink_end(s, &err), 0);
    long long stored = ra_objsink_stored(s);
    assert_true(stored > 0 && stored < 10000);
    if (ra_objsink_complete(s, &err) != 0) fail_msg("%s", err.msg);
    ra_objsink_free(s);
    peer_stop(&p, s3);
    assert_int_equal(p.part_bytes, stored);
}

static void test_abort(void **state) {
    (void)state;
    peer p;
    ra_s3 *s3 = peer_start(&p);
    ra_err err = {0};
    ra_objsink_opts o = {.s3 = s3, .key = "i/y.rdb", .concurrency = 1, .checksum = RA_UPLOAD_CHECKSUM_NONE};
    ra_objsink *s = ra_objsink_open(&o, -1, NULL, 0, &err);
    assert_non_null(s);
    assert_int_equal(ra_objsink_write(s, (const uint8_t *)"REDIS", 5, &err), 0);
    ra_objsink_abort(s);
    ra_objsink_free(s);
    ra_objsink_free(NULL);
    peer_stop(&p, s3);
    assert_int_equal(p.completes, 0);
    assert_int_equal(p.aborts, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_sealed),
        cmocka_unit_test(test_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
