/* gen.c - benchmark dataset generator: RESP commands on stdout for `redis-cli --pipe`, incompressible values. */
/*
 * usage: gen BYTES [SEED]
 * Writes about BYTES of payload (values, fields, members), so that used_memory ends near BYTES * 1.1:
 *   16 of every 20 keys: a string of 900..1100 random bytes (mean 1000)            SET s:<i> <v>
 *   the other 4: a hash / list / set / sorted set of 10 random 100-byte items       HSET/RPUSH/SADD/ZADD
 * Random bytes come from xoshiro256** (deterministic for a seed): LZF finds nothing to compress, like
 * real encrypted or already-compressed payloads, so the RDB is about as large as the data.
 * Small aggregates stay listpack-encoded, which the RDB stores as one blob each (as in production).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t st[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(void) {
    uint64_t r = rotl(st[1] * 5, 7) * 9, t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return r;
}

static void seed(uint64_t s) {
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        st[i] = z ^ (z >> 31);
    }
}

static char out[1 << 20];
static size_t olen;

static void flush_out(void) {
    size_t off = 0;
    while (off < olen) {
        ssize_t n = write(1, out + off, olen - off);
        if (n <= 0) exit(1); /* reader went away */
        off += (size_t)n;
    }
    olen = 0;
}

static void put(const void *p, size_t n) {
    if (olen + n > sizeof(out)) flush_out();
    memcpy(out + olen, p, n);
    olen += n;
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void bulk(const char *s, size_t n) {
    char h[32];
    int k = snprintf(h, sizeof(h), "$%zu\r\n", n);
    put(h, (size_t)k);
    put(s, n);
    put("\r\n", 2);
}

static void bulk_str(const char *s) { bulk(s, strlen(s)); }

static void bulk_rand(size_t n) {
    char h[32];
    int k = snprintf(h, sizeof(h), "$%zu\r\n", n);
    put(h, (size_t)k);
    if (olen + n + 2 > sizeof(out)) flush_out();
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = next();
        memcpy(out + olen + i, &r, n - i < 8 ? n - i : 8);
    }
    olen += n;
    put("\r\n", 2);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: gen BYTES [SEED [KEY_PREFIX]]\n");
        return 2;
    }
    long long target = strtoll(argv[1], NULL, 10), done = 0;
    seed(argc > 2 ? strtoull(argv[2], NULL, 10) : 42);
    static const char *const agg[4][2] = {{"HSET", "h"}, {"RPUSH", "l"}, {"SADD", "t"}, {"ZADD", "z"}};
    /* a prefix such as "{t42}" puts every key into one cluster hash slot (bench/cluster.sh) */
    const char *pre = argc > 3 ? argv[3] : "";
    char key[96], num[32];
    for (long long i = 0; done < target; i++) {
        int kind = (int)(i % 20);
        if (kind >= 4) {
            size_t n = 900 + (size_t)(next() % 201);
            snprintf(key, sizeof(key), "%.40ss:%lld", pre, i);
            puts_("*3\r\n$3\r\nSET\r\n");
            bulk_str(key);
            bulk_rand(n);
            done += (long long)n;
            continue;
        }
        /* 10 items of 100 random bytes: HSET k f v ... (20 args), ZADD k score m ... (20), RPUSH/SADD k m ... (10) */
        int pairs = kind == 0 || kind == 3;
        snprintf(key, sizeof(key), "%.40s%s:%lld", pre, agg[kind][1], i);
        snprintf(num, sizeof(num), "*%d\r\n", 2 + (pairs ? 20 : 10));
        puts_(num);
        bulk_str(agg[kind][0]);
        bulk_str(key);
        for (int j = 0; j < 10; j++) {
            if (kind == 0) {
                snprintf(num, sizeof(num), "f%d", j);
                bulk_str(num);
            } else if (kind == 3) {
                snprintf(num, sizeof(num), "%.6f", (double)(next() >> 11) / 9007199254740992.0 * 1e6);
                bulk_str(num);
            }
            bulk_rand(100);
        }
        done += 1000;
    }
    flush_out();
    return 0;
}
