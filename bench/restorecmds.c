/* restorecmds.c - the RESTORE commands `restore --target` sends for an RDB, as RESP for `redis-cli --pipe`:
 * the peer of the restore benchmark (bench/restore.sh) gets exactly the same work, made with the archiver's
 * own reader: SELECT per database, RESTORE key ttl payload [ABSTTL] [IDLETIME s | FREQ f] (payload: the value
 * bytes, the RDB version and their CRC-64), FUNCTION RESTORE payload; keys already expired are left out.
 * usage: restorecmds FILE >commands.resp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crc64.h"
#include "source/rdbparse.h"

typedef struct gen {
    ra_rdbparse *p;
    FILE *out;
    uint8_t *val;
    size_t len, cap;
    int keep;
    int db;
    long long now_ms, keys;
} gen;

static int add(gen *g, const uint8_t *d, size_t n) {
    if (g->len + n > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->len + n) cap *= 2;
        uint8_t *b = realloc(g->val, cap);
        if (b == NULL) return -1;
        g->val = b;
        g->cap = cap;
    }
    memcpy(g->val + g->len, d, n);
    g->len += n;
    return 0;
}

static void bulk(FILE *o, const void *d, size_t n) {
    fprintf(o, "$%zu\r\n", n);
    fwrite(d, 1, n, o);
    fputs("\r\n", o);
}

static void word(FILE *o, const char *s) {
    bulk(o, s, strlen(s));
}

static int on_begin(void *ctx, const ra_rdb_item *it, ra_err *err) {
    gen *g = ctx;
    (void)err;
    g->len = 0;
    g->keep = !(it->kind == RA_RDB_ITEM_KEY && it->expire_ms >= 0 && it->expire_ms <= g->now_ms);
    return 0;
}

static int on_value(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    gen *g = ctx;
    if (g->keep && add(g, d, n) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

static int on_end(void *ctx, const ra_rdb_item *it, ra_err *err) {
    gen *g = ctx;
    if (!g->keep) return 0;
    int v = ra_rdbparse_version(g->p, NULL);
    uint8_t t[8] = {(uint8_t)(v & 0xff), (uint8_t)(v >> 8)};
    if (add(g, t, 2) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    uint64_t crc = ra_crc64(0, g->val, g->len);
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(crc >> (8 * i));
    if (add(g, t, 8) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    FILE *o = g->out;
    char num[32];
    if (it->kind == RA_RDB_ITEM_FUNCTION) {
        fputs("*3\r\n", o);
        word(o, "FUNCTION");
        word(o, "RESTORE");
        bulk(o, g->val, g->len);
        return 0;
    }
    if (it->db != g->db) {
        snprintf(num, sizeof(num), "%d", it->db);
        fputs("*2\r\n", o);
        word(o, "SELECT");
        word(o, num);
        g->db = it->db;
    }
    int extra = (it->idle >= 0 || it->freq >= 0 ? 2 : 0) + (it->expire_ms > 0);
    fprintf(o, "*%d\r\n", 4 + extra);
    word(o, "RESTORE");
    bulk(o, it->key, it->key_len);
    snprintf(num, sizeof(num), "%lld", it->expire_ms >= 0 ? it->expire_ms : 0);
    word(o, num);
    bulk(o, g->val, g->len);
    if (it->expire_ms > 0) word(o, "ABSTTL");
    if (it->idle >= 0) {
        word(o, "IDLETIME");
        snprintf(num, sizeof(num), "%lld", it->idle);
        word(o, num);
    } else if (it->freq >= 0) {
        word(o, "FREQ");
        snprintf(num, sizeof(num), "%d", it->freq);
        word(o, num);
    }
    g->keys++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: restorecmds FILE >commands.resp\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (in == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gen g = {.out = stdout, .db = 0, .now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000};
    ra_rdbparse_cb cb = {.ctx = &g, .begin = on_begin, .value = on_value, .end = on_end};
    g.p = ra_rdbparse_new(&cb);
    static uint8_t buf[1 << 20];
    ra_err err = {0};
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0) rc = ra_rdbparse_feed(g.p, buf, n, &err);
    if (rc == 0) rc = ra_rdbparse_finish(g.p, &err);
    if (rc != 0) fprintf(stderr, "restorecmds: %s\n", err.msg);
    else fprintf(stderr, "restorecmds: %lld keys\n", g.keys);
    fclose(in);
    ra_rdbparse_free(g.p);
    free(g.val);
    return rc == 0 ? 0 : 1;
}
