/* rdbparse.c - CPU of the structural RDB reader per GiB, on a real RDB file read into memory first:
 * each 1 MiB chunk is copied into a buffer (as the socket read puts it into a part buffer, hot in the
 * cache) and fed from there, as a backup feeds it (counting only), and with every value's bytes handed
 * to a callback as restore takes them; the copy alone is measured too and taken off.
 * usage: rdbparse FILE [ROUNDS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/rdbparse.h"

static volatile size_t sink;

static int on_value(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)ctx;
    (void)err;
    sink += n + d[0];
    return 0;
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint8_t chunk[1 << 20];

/* cb NULL and parse 0: the copy alone */
static double run(const uint8_t *b, size_t n, int rounds, int parse, const ra_rdbparse_cb *cb, long long *keys) {
    double t0 = cpu_s();
    for (int r = 0; r < rounds; r++) {
        ra_rdbparse *p = ra_rdbparse_new(cb);
        ra_err err = {0};
        for (size_t at = 0; at < n; at += sizeof(chunk)) {
            size_t len = n - at < sizeof(chunk) ? n - at : sizeof(chunk);
            memcpy(chunk, b + at, len);
            sink += chunk[len - 1];
            if (parse && ra_rdbparse_feed(p, chunk, len, &err) < 0) break;
        }
        if (parse && ra_rdbparse_finish(p, &err) < 0) fprintf(stderr, "rdbparse: %s\n", err.msg);
        if (parse) *keys = ra_rdbparse_counts(p)->keys;
        ra_rdbparse_free(p);
    }
    return (cpu_s() - t0) / rounds;
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: rdbparse FILE [ROUNDS]\n"), 2;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(n);
    if (b == NULL || fread(b, 1, n, f) != n) return fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    fclose(f);
    long long keys = 0;
    double gib = (double)n / (1024.0 * 1024 * 1024);
    double copy = run(b, n, rounds, 0, NULL, &keys);
    double count = run(b, n, rounds, 1, NULL, &keys) - copy;
    ra_rdbparse_cb cb = {.value = on_value};
    double values = run(b, n, rounds, 1, &cb, &keys) - copy;
    printf("%s: %.1f MB, %lld keys (%.0f bytes per key)\n", argv[1], (double)n / 1e6, keys,
           keys ? (double)n / (double)keys : 0.0);
    printf("  count only (backup):     %.3f CPU-s/GiB  (%.0f MB/s)\n", count / gib, (double)n / count / 1e6);
    printf("  with value bytes (restore): %.3f CPU-s/GiB  (%.0f MB/s)\n", values / gib, (double)n / values / 1e6);
    free(b);
    return 0;
}
