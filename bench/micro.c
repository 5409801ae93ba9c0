/* micro.c - per-byte CPU costs of the archiver's hot path: CRC-64, part hashes, copies, parser+verifier,
 * and the optional transforms (zstd levels 1 and 3, age encryption and decryption). */
/*
 * usage: micro [SECONDS_PER_CASE]   (default 1.0)
 * Each case runs over a 16 MiB buffer of random bytes (one default part) until SECONDS have passed,
 * three times; the best run is printed as GB/s (10^9 bytes/s) and CPU seconds per GiB, one row per
 * case in a markdown table. Built by bench/run.sh against BUILD/libredis-archiver.a.
 */
#include <nmmintrin.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crc64.h"
#include "common/digest.h"
#include "source/psync.h"
#include "source/rdb.h"
#include "storage/s3/request.h"
#include "storage/s3/sigv4.h"
#include "transform/seal.h"
#include "transform/zstd.h"

#define PART (16u * 1024 * 1024)
#define CHUNK (1024u * 1024) /* the source reads 1 MiB at a time (STREAM_BUF in replica.c) */

static unsigned char *buf, *dst;
static volatile uint64_t sink; /* keeps results alive */

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void c_crc64(void) { sink += ra_crc64(0, buf, PART); }

static void c_md5_evp(void) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(buf, PART, md, &n, EVP_md5(), NULL);
    sink += md[0];
}

static void c_sha256_evp(void) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(buf, PART, md, &n, EVP_sha256(), NULL);
    sink += md[0];
}

static void c_sha256_hex(void) { /* what UploadPart computes by default (signed payload) */
    char hex[65];
    ra_sha256_hex(buf, PART, hex);
    sink += (unsigned char)hex[0];
}

static void c_content_md5(void) { /* what UploadPart computes with checksum=md5 */
    char b64[25];
    ra_md5_base64(buf, PART, b64);
    sink += (unsigned char)b64[0];
}

/* SSE4.2; reference only: RGW 16.2 ignores x-amz-checksum-crc32c. Skipped on CPUs without it. */
__attribute__((target("sse4.2"))) static void c_crc32c(void) {
    uint64_t c = 0xffffffffu;
    const unsigned char *p = buf;
    for (size_t i = 0; i < PART; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        c = _mm_crc32_u64(c, v);
    }
    sink += c;
}

static void c_memcpy_part(void) { /* socket buffer -> part buffer */
    memcpy(dst, buf, PART);
    sink += dst[PART - 1];
}

static void c_memcpy_64k(void) { /* part buffer -> libcurl upload buffer, 64 KiB per read callback */
    static unsigned char small[65536];
    for (size_t i = 0; i < PART; i += sizeof(small)) {
        memcpy(small, buf + i, sizeof(small));
        sink += small[i & 0xffff];
    }
}

/* The archiver's in-process work per byte with no network: PSYNC parser (EOF-mark scan) -> RDB
 * verifier (CRC-64) -> copy into the part buffer, 1 MiB reads; plus SHA-256 once per part. */
static ra_psync ps;
static ra_rdb rv;
static size_t dlen;
static int emit(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx;
    if (ra_rdb_feed(&rv, d, n, err) < 0) return -1;
    memcpy(dst + dlen, d, n);
    dlen += n;
    return 0;
}
static int emit_none(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx, (void)err;
    sink += d[n - 1];
    return 0;
}
static int emit_rdb(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx;
    return ra_rdb_feed(&rv, d, n, err);
}
static const char head[] = "+FULLRESYNC 0123456789012345678901234567890123456789 1\r\n"
                           "$EOF:0123456789abcdef0123456789abcdef01234567\r\n";
static void run_psync(ra_psync_emit_fn fn, int sha) {
    ra_err err = {0};
    char hex[65];
    ra_psync_init(&ps);
    ra_rdb_init(&rv);
    dlen = 0;
    memcpy(buf, "REDIS0010", 9); /* keep the verifier's header check happy */
    if (ra_psync_feed(&ps, (const uint8_t *)head, sizeof(head) - 1, fn, NULL, &err) < 0) goto bad;
    for (size_t i = 0; i < PART; i += CHUNK)
        if (ra_psync_feed(&ps, buf + i, CHUNK, fn, NULL, &err) < 0) goto bad;
    if (sha) {
        ra_sha256_hex(dst, dlen, hex);
        sink += (unsigned char)hex[0];
    }
    sink += rv.crc;
    return;
bad:
    fprintf(stderr, "micro: pipeline failed: %s\n", err.msg);
    exit(1);
}
static void c_psync(void) { run_psync(emit_none, 0); }
static void c_psync_rdb(void) { run_psync(emit_rdb, 0); }
static void c_pipeline_nosha(void) { run_psync(emit, 0); }
static void c_pipeline(void) { run_psync(emit, 1); }
/* Transforms: the 16 MiB part through a seal chain into a counting sink, 1 MiB writes. text: a buffer
 * like an RDB of small string values (keys and values of a few words, some digits), zstd's good case. */
static unsigned char *text;
static long long stored;
static int count_out(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx, (void)err;
    stored += (long long)n;
    sink += d[n - 1];
    return 0;
}
static ra_age_recipient rcpt;
static ra_age_identity *ident;
static void run_seal(const unsigned char *in, int level, int age) {
    ra_err err = {0};
    ra_seal_opts o = {.compression = level ? RA_COMPRESSION_ZSTD : RA_COMPRESSION_NONE, .level = level,
                      .plain_size = PART, .recipients = &rcpt, .nrecipients = age ? 1 : 0};
    ra_sink out = {.write = count_out};
    ra_seal *s = ra_seal_new(&o, &out, &err);
    if (s == NULL) goto bad;
    ra_sink w = ra_seal_sink(s);
    for (size_t i = 0; i < PART; i += CHUNK)
        if (w.write(w.ctx, in + i, CHUNK, &err) != 0) goto bad;
    if (ra_seal_finish(s, &err) != 0) goto bad;
    ra_seal_free(s);
    return;
bad:
    fprintf(stderr, "micro: seal failed: %s\n", err.msg);
    exit(1);
}
static void c_zstd1(void) { run_seal(buf, 1, 0); }
static void c_zstd3(void) { run_seal(buf, 3, 0); }
static void c_zstd1_text(void) { run_seal(text, 1, 0); }
static void c_zstd3_text(void) { run_seal(text, 3, 0); }
static void c_age(void) { run_seal(buf, 0, 1); }
static void c_zstd1_age_text(void) { run_seal(text, 1, 1); }
static unsigned char *sealed;
static size_t sealed_len;
static int keep_out(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx, (void)err;
    memcpy(sealed + sealed_len, d, n);
    sealed_len += n;
    return 0;
}
static void c_age_open(void) {
    ra_err err = {0};
    ra_sink out = {.write = count_out};
    ra_seal *s = ra_unseal_new(0, 1, ident, 1, &out, &err);
    ra_sink w = ra_seal_sink(s);
    if (w.write(w.ctx, sealed, sealed_len, &err) != 0 || ra_seal_finish(s, &err) != 0) {
        fprintf(stderr, "micro: age open failed: %s\n", err.msg);
        exit(1);
    }
    ra_seal_free(s);
}

typedef struct bench_case {
    const char *name;
    void (*fn)(void);
    const char *note;
} bench_case;

static const bench_case cases[] = {
    {"crc64 (ra_crc64)", c_crc64, "every RDB byte, in-stream verification"},
    {"sha256 (EVP)", c_sha256_evp, "OpenSSL EVP_Digest"},
    {"sha256 hex (ra_sha256_hex)", c_sha256_hex, "per part, default checksum=sha256 (signed payload)"},
    {"md5 (EVP)", c_md5_evp, "OpenSSL EVP_Digest"},
    {"content-md5 (ra_md5_base64)", c_content_md5, "per part, checksum=md5"},
    {"crc32c (SSE4.2)", c_crc32c, "reference: not used, RGW 16.2 ignores x-amz-checksum-*"},
    {"memcpy 16 MiB", c_memcpy_part, "socket buffer -> part buffer (ra_upload_write)"},
    {"memcpy 64 KiB chunks", c_memcpy_64k, "part buffer -> libcurl (read_cb)"},
    {"psync parser", c_psync, "EOF-mark scan, 1 MiB feeds"},
    {"psync+rdb", c_psync_rdb, "parser + verifier (CRC-64)"},
    {"psync+rdb+copy", c_pipeline_nosha, "in-process floor with checksum=none, no I/O"},
    {"psync+rdb+copy+sha256", c_pipeline, "in-process floor of the default (checksum=sha256), no I/O"},
    {"zstd-1 (random)", c_zstd1, "compression zstd, level 1, incompressible data"},
    {"zstd-3 (random)", c_zstd3, "compression zstd, level 3 (the default), incompressible data"},
    {"zstd-1 (text)", c_zstd1_text, "level 1 on small string values (ratio in the note below)"},
    {"zstd-3 (text)", c_zstd3_text, "level 3 on small string values"},
    {"age encrypt", c_age, "encrypt-recipient: ChaCha20-Poly1305 STREAM, 64 KiB chunks"},
    {"zstd-1 + age (text)", c_zstd1_age_text, "both, on small string values"},
    {"age decrypt", c_age_open, "what verify adds for an encrypted backup"},
};

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    if (secs <= 0) secs = 1.0;
    buf = malloc(PART);
    dst = malloc(PART);
    if (buf == NULL || dst == NULL) return 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < PART; i += 8) { /* xorshift: incompressible, like the bench data */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
    memset(dst, 1, PART);
    text = malloc(PART);
    sealed = malloc(PART + PART / 64);
    if (text == NULL || sealed == NULL) return 1;
    for (size_t i = 0, k = 0; i < PART; k++) { /* "key:000123" -> "value 123 of some user data\n" */
        char rec[96];
        int n = snprintf(rec, sizeof(rec), "key:%06zu\x05value %zu of some user data %zu\n", k % 1000000, k * 7,
                         (k * 2654435761u) % 100000);
        for (int j = 0; j < n && i < PART; j++) text[i++] = (unsigned char)rec[j];
    }
    ra_err err = {0};
    size_t nid = 0;
    const char *key = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    if (ra_age_recipient_parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", &rcpt, &err) != 0 ||
        ra_age_identities_parse(key, strlen(key), "micro", &ident, &nid, &err) != 0) {
        fprintf(stderr, "micro: age keys: %s\n", err.msg);
        return 1;
    }
    {
        ra_seal_opts o = {.compression = RA_COMPRESSION_NONE, .plain_size = PART, .recipients = &rcpt, .nrecipients = 1};
        ra_sink out = {.write = keep_out};
        ra_seal *s = ra_seal_new(&o, &out, &err);
        ra_sink w = ra_seal_sink(s);
        if (w.write(w.ctx, buf, PART, &err) != 0 || ra_seal_finish(s, &err) != 0) return 1;
        ra_seal_free(s);
    }
    if (ra_crc64(0, "123456789", 9) != 0xe9c6d914c4b8d9caULL) {
        fprintf(stderr, "micro: ra_crc64 check value is wrong\n");
        return 1;
    }
    printf("| case | GB/s | CPU-s per GiB | what |\n|---|---:|---:|---|\n");
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        double best = 0;
        if (cases[c].fn == c_crc32c && !__builtin_cpu_supports("sse4.2")) continue;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = cpu_now(), t;
            long long bytes = 0;
            do {
                cases[c].fn();
                bytes += PART;
            } while ((t = cpu_now() - t0) < secs / 3);
            double gbs = (double)bytes / t / 1e9;
            if (gbs > best) best = gbs;
        }
        printf("| %s | %.2f | %.3f | %s |\n", cases[c].name, best, 1.073741824 / best, cases[c].note);
        fflush(stdout);
    }
    int levels[] = {1, 3};
    printf("\nzstd ratio on the text buffer (stored / plain):");
    for (int l = 0; l < 2; l++) {
        stored = 0;
        run_seal(text, levels[l], 0);
        printf(" level %d %.3f%s", levels[l], (double)stored / PART, l ? "\n" : ",");
    }
    return 0;
}
