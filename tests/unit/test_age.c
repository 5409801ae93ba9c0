/* test_age.c - age v1: Bech32 keys (the spec's known answers and BIP 173's), canonical base64, STREAM
 * nonces, header format and parse, a file written by the age tool opened by our decryptor, and our
 * encryptor's output opened again at every chunk boundary, with tampering and truncation caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "transform/age.h"
#include "transform/agefmt.h"
#include "transform/bech32.h"

/* age-encryption.org/v1's X25519 example: the identity is 32 bytes of 0x42. */
#define SPEC_IDENTITY "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
#define SPEC_RECIPIENT "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
#define OTHER_IDENTITY "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZ9K4CN"

/* Written by `age -r SPEC_RECIPIENT` (age 1.1.1) from "redis-archiver reads what age wrote\n". */
static const unsigned char age_tool_file[] = {
  0x61, 0x67, 0x65, 0x2d, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x69,
  0x6f, 0x6e, 0x2e, 0x6f, 0x72, 0x67, 0x2f, 0x76, 0x31, 0x0a, 0x2d, 0x3e,
  0x20, 0x58, 0x32, 0x35, 0x35, 0x31, 0x39, 0x20, 0x75, 0x70, 0x62, 0x61,
  0x65, 0x72, 0x72, 0x39, 0x66, 0x42, 0x35, 0x32, 0x41, 0x51, 0x6f, 0x70,
  0x31, 0x72, 0x45, 0x4c, 0x78, 0x77, 0x69, 0x69, 0x6e, 0x4a, 0x61, 0x4c,
  0x45, 0x34, 0x63, 0x2b, 0x42, 0x53, 0x6d, 0x54, 0x47, 0x6c, 0x43, 0x7a,
  0x37, 0x48, 0x4d, 0x0a, 0x49, 0x73, 0x68, 0x43, 0x64, 0x39, 0x31, 0x4a,
  0x33, 0x67, 0x6c, 0x68, 0x72, 0x65, 0x36, 0x77, 0x51, 0x41, 0x71, 0x30,
  0x71, 0x41, 0x5a, 0x54, 0x2f, 0x64, 0x37, 0x42, 0x4d, 0x79, 0x35, 0x4d,
  0x51, 0x4a, 0x37, 0x51, 0x56, 0x4c, 0x47, 0x30, 0x4f, 0x48, 0x77, 0x0a,
  0x2d, 0x2d, 0x2d, 0x20, 0x69, 0x77, 0x75, 0x68, 0x4c, 0x56, 0x38, 0x59,
  0x2b, 0x30, 0x31, 0x70, 0x4a, 0x66, 0x38, 0x4b, 0x51, 0x68, 0x42, 0x44,
  0x71, 0x32, 0x43, 0x45, 0x76, 0x51, 0x79, 0x4d, 0x44, 0x6c, 0x74, 0x6f,
  0x4f, 0x44, 0x42, 0x64, 0x65, 0x68, 0x47, 0x41, 0x64, 0x50, 0x63, 0x0a,
  0xa7, 0xc1, 0x08, 0x11, 0x6c, 0xe8, 0x75, 0x13, 0x7a, 0xd7, 0x3b, 0xe9,
  0x8a, 0x0a, 0x15, 0x4e, 0x1a, 0x3b, 0xea, 0x30, 0xc9, 0xff, 0x7c, 0x9a,
  0x6a, 0xc8, 0xff, 0xf7, 0x63, 0xa0, 0x77, 0x89, 0xe4, 0x8f, 0x5d, 0x11,
  0x35, 0xa5, 0x55, 0xee, 0x27, 0x4e, 0x94, 0x68, 0x59, 0x34, 0xff, 0x52,
  0x32, 0xe2, 0x94, 0x67, 0x29, 0xcd, 0x6d, 0xc6, 0xba, 0x20, 0xd2, 0x6f,
  0x58, 0x35, 0xb9, 0xde, 0x94, 0x55, 0x0a, 0x73
};
static const unsigned int age_tool_file_len = 236;

static void test_bech32_known_answers(void **state) {
    (void)state;
    uint8_t key[32];
    memset(key, 0x42, sizeof(key));
    char out[128];
    assert_int_equal(ra_bech32_encode("age-secret-key-", key, 32, 1, out, sizeof(out)), strlen(SPEC_IDENTITY));
    assert_string_equal(out, SPEC_IDENTITY);
    /* the recipient of that identity, as the spec gives it */
    uint8_t pub[32];
    assert_int_equal(ra_x25519_public(key, pub), 0);
    assert_true(ra_bech32_encode("age", pub, 32, 0, out, sizeof(out)) > 0);
    assert_string_equal(out, SPEC_RECIPIENT);
    /* BIP 173's valid strings decode, whatever their case */
    char hrp[90];
    uint8_t data[64];
    size_t n = 99;
    assert_int_equal(ra_bech32_decode("A12UEL5L", hrp, sizeof(hrp), data, sizeof(data), &n), 0);
    assert_string_equal(hrp, "a");
    assert_int_equal(n, 0);
    assert_int_equal(ra_bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", hrp, sizeof(hrp), data,
                                      sizeof(data), &n), 0);
    assert_string_equal(hrp, "abcdef");
    /* round trip */
    assert_int_equal(ra_bech32_decode(SPEC_IDENTITY, hrp, sizeof(hrp), data, sizeof(data), &n), 0);
    assert_string_equal(hrp, "age-secret-key-");
    assert_int_equal(n, 32);
    assert_memory_equal(data, key, 32);
}

static void test_bech32_rejects(void **state) {
    (void)state;
    char hrp[90];
    uint8_t data[64];
    size_t n;
    char s[] = SPEC_RECIPIENT;
    s[10] = s[10] == 'q' ? 'p' : 'q';  /* one character changed: the checksum catches it */
    assert_int_equal(ra_bech32_decode(s, hrp, sizeof(hrp), data, sizeof(data), &n), -1);
    assert_int_equal(ra_bech32_decode("age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", hrp,
                                      sizeof(hrp), data, sizeof(data), &n), -1);  /* mixed case */
    assert_int_equal(ra_bech32_decode("age1bzvkyg2", hrp, sizeof(hrp), data, sizeof(data), &n), -1); /* 'b' */
    assert_int_equal(ra_bech32_decode("nosep", hrp, sizeof(hrp), data, sizeof(data), &n), -1);
    assert_int_equal(ra_bech32_decode("1qqqqqq", hrp, sizeof(hrp), data, sizeof(data), &n), -1); /* empty hrp */
    assert_int_equal(ra_bech32_decode(SPEC_RECIPIENT, hrp, sizeof(hrp), data, 31, &n), -1);      /* too long */
}

static void test_keys(void **state) {
    (void)state;
    ra_err err = {0};
    ra_age_recipient r;
    assert_int_equal(ra_age_recipient_parse(SPEC_RECIPIENT, &r, &err), 0);
    assert_int_equal(strlen(r.fingerprint), 16);
    assert_int_equal(ra_age_recipient_parse("age1notakey", &r, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_int_equal(ra_age_recipient_parse(SPEC_IDENTITY, &r, &err), -1);  /* a secret is no recipient */
    assert_null(strstr(err.msg, "GFPYYSJZ"));                                 /* and is never echoed */

    ra_age_recipient *list = NULL;
    size_t n = 0;
    assert_int_equal(ra_age_recipients_parse("# mine\n" SPEC_RECIPIENT "\n\n  " SPEC_RECIPIENT ",# x\n", "t", &list,
                                             &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ra_age_recipients_parse("age1x", "file.txt", &list, &n, &err), -1);
    assert_non_null(strstr(err.msg, "file.txt"));
    free(list);

    ra_age_identity *ids = NULL;
    const char text[] = "# created: today\r\n# public key: " SPEC_RECIPIENT "\r\n" SPEC_IDENTITY "\r\n\n";
    assert_int_equal(ra_age_identities_parse(text, strlen(text), "id", &ids, &n, &err), 0);
    assert_int_equal(n, 1);
    uint8_t k[32];
    memset(k, 0x42, sizeof(k));
    assert_memory_equal(ids[0].secret, k, 32);
    assert_int_equal(ra_age_recipient_parse(SPEC_RECIPIENT, &r, &err), 0);
    assert_memory_equal(ids[0].pub, r.pub, 32);
    ra_age_identities_free(ids, n);
    /* a bad line is named by number, never shown */
    const char bad[] = SPEC_IDENTITY "\nAGE-SECRET-KEY-1SECRETSECRET\n";
    assert_int_equal(ra_age_identities_parse(bad, strlen(bad), "identity-file 'k'", &ids, &n, &err), -1);
    assert_non_null(strstr(err.msg, "line 2"));
    assert_null(strstr(err.msg, "SECRETSECRET"));
    assert_null(ids);
    assert_int_equal(ra_age_identities_parse("# nothing\n", 10, "id", &ids, &n, &err), -1);
}

static void test_base64_canonical(void **state) {
    (void)state;
    uint8_t out[8];
    size_t n;
    char enc[16];
    assert_int_equal(ra_age_b64_encode((const uint8_t *)"\xff", 1, enc), 2);
    assert_string_equal(enc, "/w");
    assert_int_equal(ra_age_b64_decode("/w", 2, out, sizeof(out), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ra_age_b64_decode("/x", 2, out, sizeof(out), &n), -1);   /* stray low bits */
    assert_int_equal(ra_age_b64_decode("/w==", 4, out, sizeof(out), &n), -1); /* padding */
    assert_int_equal(ra_age_b64_decode("A", 1, out, sizeof(out), &n), -1);
    assert_int_equal(ra_age_b64_decode("AAAA", 4, out, 2, &n), -1);           /* too long */
}

static void test_stream_nonce(void **state) {
    (void)state;
    uint8_t nonce[12];
    static const uint8_t first[12] = {0};
    ra_age_stream_nonce(0, 0, nonce);
    assert_memory_equal(nonce, first, 12);
    static const uint8_t c258_last[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1};
    ra_age_stream_nonce(258, 1, nonce);
    assert_memory_equal(nonce, c258_last, 12);
    static const uint8_t big[12] = {0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0};
    ra_age_stream_nonce(0x0102030405060708ULL, 0, nonce);
    assert_memory_equal(nonce, big, 12);
    assert_int_equal(ra_age_payload_size(0), 16 + 16);
    assert_int_equal(ra_age_payload_size(65536), 16 + 65536 + 16);
    assert_int_equal(ra_age_payload_size(65537), 16 + 65537 + 32);
}

/* The spec's example header parses to its share, body and MAC. */
static void test_header_spec_example(void **state) {
    (void)state;
    const char hdr[] = "age-encryption.org/v1\n"
                       "-> X25519 XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE\n"
                       "qRS0AMjdjPvZ/WT08U2KL4G+PIooA3hy38SvLpvaC1E\n"
                       "--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n";
    ra_age_header *h = malloc(sizeof(*h));
    ra_err err = {0};
    assert_int_equal(ra_age_header_parse((const uint8_t *)hdr, strlen(hdr), h, &err), 1);
    assert_int_equal(h->nx25519, 1);
    assert_int_equal(h->len, strlen(hdr));
    assert_int_equal(h->mac_input_len, strstr(hdr, "---") + 3 - hdr);
    char b[64];
    ra_age_b64_encode(h->x25519[0].share, 32, b);
    assert_string_equal(b, "XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE");
    ra_age_b64_encode(h->mac, 32, b);
    assert_string_equal(b, "HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s");
    /* our formatter writes the same text back */
    char out[512];
    int n = ra_age_header_format(h->x25519, 1, out, sizeof(out));
    assert_int_equal(n, h->mac_input_len);
    assert_memory_equal(out, hdr, (size_t)n);
    /* every prefix asks for more; nothing is decided wrongly early */
    for (size_t i = 0; i < strlen(hdr); i++)
        assert_int_equal(ra_age_header_parse((const uint8_t *)hdr, i, h, &err), 0);
    free(h);
}

static void test_header_other_stanzas_and_errors(void **state) {
    (void)state;
    ra_age_header *h = malloc(sizeof(*h));
    ra_err err = {0};
    /* an unknown stanza with a multi-line body (a full 64-column line, then a short one) is skipped */
    const char grease[] = "age-encryption.org/v1\n"
                          "-> x-grease ;3 a\n"
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                          "AA\n"
                          "-> X25519 XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE\n"
                          "qRS0AMjdjPvZ/WT08U2KL4G+PIooA3hy38SvLpvaC1E\n"
                          "--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n";
    assert_int_equal(ra_age_header_parse((const uint8_t *)grease, strlen(grease), h, &err), 1);
    assert_int_equal(h->nx25519, 1);
    assert_int_equal(h->nother, 1);
    static const char *const bad[] = {
        "age-encryption.org/v2\n",
        "not an age file at all\n",
        "age-encryption.org/v1\n--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n",           /* no stanza */
        "age-encryption.org/v1\n-> X25519 XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE\nqRS0\n--- "
        "HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n",                                       /* short body */
        "age-encryption.org/v1\n-> X25519  XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE\n\n",  /* two spaces */
        "age-encryption.org/v1\n-> X25519 XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE\n"
        "qRS0AMjdjPvZ/WT08U2KL4G+PIooA3hy38SvLpvaC1E\n--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s=\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = RA_OK;
        assert_int_equal(ra_age_header_parse((const uint8_t *)bad[i], strlen(bad[i]), h, &err), -1);
        assert_int_equal(err.code, RA_E_VERIFY);
    }
    free(h);
}

/* A growing buffer as the end of a chain. */
typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static int buf_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    (void)err;
    buf *b = ctx;
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

static ra_age_identity *load_ids(const char *text, size_t *n) {
    ra_age_identity *ids = NULL;
    ra_err err = {0};
    assert_int_equal(ra_age_identities_parse(text, strlen(text), "t", &ids, n, &err), 0);
    return ids;
}

/* Decrypt in pieces of `step` bytes; returns 0/-1, the plaintext in *out. */
static int decrypt(const uint8_t *in, size_t len, const char *identity, size_t step, buf *out, ra_err *err) {
    size_t nid;
    ra_age_identity *ids = load_ids(identity, &nid);
    ra_sink sink = {.ctx = out, .write = buf_write};
    ra_age_dec *d = ra_age_dec_new(ids, nid, &sink, err);
    ra_age_identities_free(ids, nid);
    assert_non_null(d);
    ra_sink in_sink = ra_age_dec_sink(d);
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i += step)
        rc = in_sink.write(in_sink.ctx, in + i, len - i < step ? len - i : step, err);
    if (rc == 0) rc = ra_age_dec_finish(d, err);
    ra_age_dec_free(d);
    return rc;
}

static void test_reads_the_age_tools_file(void **state) {
    (void)state;
    const char *want = "redis-archiver reads what age wrote\n";
    size_t steps[] = {1, 7, 100, 100000};
    for (size_t s = 0; s < 4; s++) {
        buf out = {0};
        ra_err err = {0};
        assert_int_equal(decrypt(age_tool_file, age_tool_file_len, SPEC_IDENTITY "\n", steps[s], &out, &err), 0);
        assert_int_equal(out.n, strlen(want));
        assert_memory_equal(out.p, want, out.n);
        free(out.p);
    }
    /* with another identity: a clear verify error */
    buf out = {0};
    ra_err err = {0};
    assert_int_equal(decrypt(age_tool_file, age_tool_file_len, OTHER_IDENTITY "\n", 64, &out, &err), -1);
    assert_int_equal(err.code, RA_E_VERIFY);
    assert_non_null(strstr(err.msg, "no identity"));
    /* both identities in one file: the second opens it */
    assert_int_equal(decrypt(age_tool_file, age_tool_file_len, OTHER_IDENTITY "\n" SPEC_IDENTITY "\n", 64, &out, &err),
                     0);
    free(out.p);
}

static void test_tampering_is_caught(void **state) {
    (void)state;
    uint8_t copy[sizeof(age_tool_file)];
    /* every byte of the file, flipped: never accepted */
    for (size_t i = 0; i < age_tool_file_len; i++) {
        memcpy(copy, age_tool_file, age_tool_file_len);
        copy[i] ^= 0x01;
        buf out = {0};
        ra_err err = {0};
        assert_int_equal(decrypt(copy, age_tool_file_len, SPEC_IDENTITY, 4096, &out, &err), -1);
        assert_int_equal(err.code, RA_E_VERIFY);
        free(out.p);
    }
    /* every truncation */
    for (size_t cut = 0; cut < age_tool_file_len; cut++) {
        buf out = {0};
        ra_err err = {0};
        assert_int_equal(decrypt(age_tool_file, cut, SPEC_IDENTITY, 4096, &out, &err), -1);
        assert_int_equal(err.code, RA_E_VERIFY);
        free(out.p);
    }
}

static void fill(uint8_t *b, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void encrypt(const uint8_t *in, size_t len, size_t step, buf *out) {
    ra_err err = {0};
    ra_age_recipient r[2];
    assert_int_equal(ra_age_recipient_parse(SPEC_RECIPIENT, &r[0], &err), 0);
    assert_int_equal(ra_age_recipient_parse("age15nsf9y4k28p83wth93tf7hafhvfajp45d2mge80ems45gz0c5gys3me64l", &r[1],
                                            &err), 0);
    ra_sink sink = {.ctx = out, .write = buf_write};
    ra_age_enc *e = ra_age_enc_new(r, 2, &sink, &err);
    assert_non_null(e);
    ra_sink s = ra_age_enc_sink(e);
    for (size_t i = 0; i < len; i += step) assert_int_equal(s.write(s.ctx, in + i, len - i < step ? len - i : step, &err), 0);
    assert_int_equal(ra_age_enc_finish(e, &err), 0);
    ra_age_enc_free(e);
}

/* Sizes around every chunk boundary: encrypt, check the payload size, decrypt. */
static void test_round_trip_chunk_boundaries(void **state) {
    (void)state;
    size_t sizes[] = {0, 1, 65535, 65536, 65537, 131072, 200000};
    uint8_t *plain = malloc(200000);
    fill(plain, 200000, 7);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        buf ct = {0}, pt = {0};
        ra_err err = {0};
        encrypt(plain, sizes[k], 10000, &ct);
        ra_age_header *h = malloc(sizeof(*h));
        assert_int_equal(ra_age_header_parse(ct.p, ct.n, h, &err), 1);
        assert_int_equal(h->nx25519, 2);
        assert_int_equal(ct.n - h->len, ra_age_payload_size((long long)sizes[k]));
        free(h);
        assert_int_equal(decrypt(ct.p, ct.n, SPEC_IDENTITY, 3333, &pt, &err), 0);
        assert_int_equal(pt.n, sizes[k]);
        if (sizes[k]) assert_memory_equal(pt.p, plain, sizes[k]);
        free(pt.p);
        /* cut at the last chunk boundary: the final chunk is missing, never "complete" */
        if (sizes[k] > 65536) {
            pt.p = NULL;
            pt.n = pt.cap = 0;
            size_t tail = sizes[k] % 65536 ? sizes[k] % 65536 + 16 : 65536 + 16;
            size_t cut = ct.n - tail;  /* the whole file less its final chunk */
            assert_int_equal(decrypt(ct.p, cut, SPEC_IDENTITY, 65536, &pt, &err), -1);
            assert_int_equal(err.code, RA_E_VERIFY);
            free(pt.p);
        }
        free(ct.p);
    }
    free(plain);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bech32_known_answers),
        cmocka_unit_test(test_bech32_rejects),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_base64_canonical),
        cmocka_unit_test(test_stream_nonce),
        cmocka_unit_test(test_header_spec_example),
        cmocka_unit_test(test_header_other_stanzas_and_errors),
        cmocka_unit_test(test_reads_the_age_tools_file),
        cmocka_unit_test(test_tampering_is_caught),
        cmocka_unit_test(test_round_trip_chunk_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
