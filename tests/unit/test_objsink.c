/* test_objsink.c - the verified stream's way into one object, against a small S3 peer on loopback that
 * answers by request (Create, UploadPart, Complete, HEAD with the size of the parts it took, Abort): plain
 * writes and the zero-copy path count every byte, the seal stores fewer bytes of a compressible stream and
 * refuses writing in place, metadata reach CreateMultipartUpload, and an abort reaches the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "command/objsink.h"
#include "s3peer.h"
#include "storage/s3/s3.h"

typedef struct peer {
    s3peer http;
    long long part_bytes; /* UploadPart bodies */
    int creates, completes, aborts;
    const char *create_req;
    char head_hdr[S3PEER_MAX_STEPS][96];
} peer;

/* Create, UploadPart, Complete, HEAD with the size of the parts it took, Abort. */
static void reply(s3peer *h, int i, void *arg) {
    peer *p = arg;
    const char *req = h->requests[i];
    s3peer_step *st = &h->steps[i];
    st->status = 200;
    if (strncmp(req, "POST ", 5) == 0 && strstr(req, "?uploads")) {
        p->creates++;
        p->create_req = req;
        st->body = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                   "</InitiateMultipartUploadResult>";
    } else if (strncmp(req, "PUT ", 4) == 0) {
        p->part_bytes += (long long)h->body_len[i];
        st->headers = "ETag: \"e\"\r\n";
    } else if (strncmp(req, "POST ", 5) == 0) {
        p->completes++;
        st->body = "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                   "</CompleteMultipartUploadResult>";
    } else if (strncmp(req, "HEAD ", 5) == 0) {
        snprintf(p->head_hdr[i], sizeof(p->head_hdr[i]), "Content-Length: %lld\r\nETag: \"x-1\"\r\n",
                 p->part_bytes);
        st->headers = p->head_hdr[i];
    } else if (strncmp(req, "DELETE ", 7) == 0) {
        p->aborts++;
        st->status = 204;
    }
}

static ra_s3 *peer_start(peer *p) {
    memset(p, 0, sizeof(*p));
    p->http.reply = reply;
    p->http.reply_arg = p;
    s3peer_start(&p->http, NULL, 0);
    static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->http.port);
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
    s3peer_stop(&p->http);
}

static const ra_kv meta[] = {{"backup-id", "20261129T000000Z-0001"}, {"shard", "2"}};

static void test_plain(void **state) {
    (void)state;
    static peer p;
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
    static peer p;
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
    static peer p;
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
