/* test_replica.c - the source against a scripted fake server on 127.0.0.1: fallbacks (no rdb-only,
 * no PSYNC), refusals, timeouts and keep-alives, corrupt payloads, trailing bytes. The real-server
 * cases are in tests/integration/replica_it.c. */
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

#include "common/crc64.h"
#include "source/replica.h"
#include "source/resp.h"
#include "source/sentinel.h"

#define MARK "869113b215fce579c32e73731f5b99392fa0526b"
#define REPLID "58a650775053a28fd78b5d939f08372a5ec93a73"

/* One step: when a command starting with `expect` arrives (args joined by spaces), send `reply`
 * (reply_len bytes; 0 = strlen), in pieces with `gap_ms` between bytes when gap_ms > 0 (after the
 * first `burst` bytes, sent at once). */
typedef struct step {
    const char *expect;
    const char *reply;
    size_t reply_len;
    int gap_ms;
    size_t burst;
} step;

typedef struct fake {
    int lfd;
    int port;
    const step *steps;
    int nsteps;
    int hold_ms;      /* keep the connection open this long after the last step */
    int seen;         /* steps matched */
    char got[16][64]; /* commands received */
    int ngot;
    pthread_t th;
} fake;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Read one RESP array command from fd into "ARG ARG ..."; 0 on EOF. */
static int read_command(int fd, char *out, size_t cap) {
    char buf[4096];
    size_t len = 0;
    for (;;) {
        /* try to parse */
        size_t pos = 0, o = 0;
        if (len > 0 && buf[0] == '*') {
            char *nl = memchr(buf, '\n', len);
            if (nl != NULL) {
                int argc = atoi(buf + 1);
                pos = (size_t)(nl - buf) + 1;
                int ok = 1;
                for (int i = 0; i < argc && ok; i++) {
                    char *nl2 = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
                    if (nl2 == NULL) {
                        ok = 0;
                        break;
                    }
                    size_t alen = (size_t)atoi(buf + pos + 1);
                    size_t start = (size_t)(nl2 - buf) + 1;
                    if (start + alen + 2 > len) {
                        ok = 0;
                        break;
                    }
                    if (o + alen + 2 < cap) {
                        if (o) out[o++] = ' ';
                        memcpy(out + o, buf + start, alen);
                        o += alen;
                    }
                    pos = start + alen + 2;
                }
                if (ok) {
                    out[o] = '\0';
                    return 1;
                }
            }
        }
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n <= 0) return 0;
        len += (size_t)n;
    }
}

static void *fake_main(void *arg) {
    fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    char cmd[256];
    while (f->seen < f->nsteps && read_command(fd, cmd, sizeof(cmd))) {
        if (f->ngot < 16) snprintf(f->got[f->ngot++], 64, "%.63s", cmd);
        const step *s = &f->steps[f->seen];
        if (strncmp(cmd, s->expect, strlen(s->expect)) != 0) break;
        f->seen++;
        size_t n = s->reply_len ? s->reply_len : strlen(s->reply);
        if (s->gap_ms > 0) {
            size_t i = s->burst < n ? s->burst : n;
            if (i > 0 && send(fd, s->reply, i, MSG_NOSIGNAL) != (ssize_t)i) break;
            for (; i < n; i++) {
                if (send(fd, s->reply + i, 1, MSG_NOSIGNAL) != 1) break;
                sleep_ms(s->gap_ms);
            }
        } else if (send(fd, s->reply, n, MSG_NOSIGNAL) != (ssize_t)n) {
            break;
        }
    }
    if (f->hold_ms > 0) sleep_ms(f->hold_ms);
    close(fd);
    return NULL;
}

static void fake_start(fake *f, const step *steps, int nsteps, int hold_ms) {
    memset(f, 0, sizeof(*f));
    f->steps = steps;
    f->nsteps = nsteps;
    f->hold_ms = hold_ms;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake *f) {
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* A valid small RDB, and transcripts built around it. */
static uint8_t rdb[64];
static size_t rdb_len;
static char diskless_reply[512], disk_reply[512], sync_reply[512], corrupt_reply[512], trailing_reply[512];
static size_t diskless_len, disk_len, sync_len, corrupt_len, trailing_len;

static size_t build(char *out, const char *pre, const char *post, int flip) {
    size_t n = (size_t)sprintf(out, "%s", pre);
    memcpy(out + n, rdb, rdb_len);
    if (flip) out[n + 20] ^= 1;
    n += rdb_len;
    n += (size_t)sprintf(out + n, "%s", post);
    return n;
}

static int setup_rdb(void **state) {
    (void)state;
    const char body[] = "REDIS0010\xfa\x09redis-ver\x06" "7.0.15\xfe\x00\xfb\x01\x00\x00\x03key\x05value\xff";
    rdb_len = sizeof(body) - 1;
    memcpy(rdb, body, rdb_len);
    uint64_t crc = ra_crc64(0, rdb, rdb_len);
    for (int i = 0; i < 8; i++) rdb[rdb_len++] = (uint8_t)(crc >> (8 * i));
    char hdr[128];
    diskless_len = build(diskless_reply, "\n+FULLRESYNC " REPLID " 266\r\n$EOF:" MARK "\r\n", MARK, 0);
    snprintf(hdr, sizeof(hdr), "+FULLRESYNC " REPLID " 759\r\n\n$%zu\r\n", rdb_len);
    disk_len = build(disk_reply, hdr, "*1\r\n$4\r\nping\r\n", 0);
    snprintf(hdr, sizeof(hdr), "\n\n$%zu\r\n", rdb_len);
    sync_len = build(sync_reply, hdr, "", 0);
    corrupt_len = build(corrupt_reply, "+FULLRESYNC " REPLID " 1\r\n$EOF:" MARK "\r\n", MARK, 1);
    trailing_len = build(trailing_reply, "+FULLRESYNC " REPLID " 1\r\n$EOF:" MARK "\r\n", MARK "+OK\r\n", 0);
    return 0;
}

#define INFO_SERVER "$32\r\n# Server\r\nredis_version:7.0.15\r\n\r\n"
#define INFO_REPL "$50\r\n# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n\r\n"

typedef struct mem_sink {
    int begins;
    ra_stream_info info;
    uint8_t data[512];
    size_t len;
} mem_sink;

static int ms_begin(void *ctx, const ra_stream_info *si, ra_err *err) {
    (void)err;
    mem_sink *m = ctx;
    m->begins++;
    m->info = *si;
    return 0;
}

static int ms_write(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    mem_sink *m = ctx;
    assert_true(m->len + n <= sizeof(m->data));
    memcpy(m->data + m->len, d, n);
    m->len += n;
    return 0;
}

static int run(fake *f, mem_sink *m, long read_timeout_ms, long long *bytes, ra_err *err) {
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f->port);
    ra_replica_opts o = {.url = url, .read_timeout_ms = read_timeout_ms};
    ra_replica_info ri;
    ra_replica *r = ra_replica_connect(&o, &ri, err);
    if (r == NULL) return -1;
    assert_string_equal(ri.redis_version, "7.0.15");
    ra_sink sink = {.ctx = m, .begin = ms_begin, .write = ms_write};
    uint64_t crc = 0;
    int rc = ra_replica_sync(r, &sink, bytes, &crc, err);
    if (rc == 0) assert_true(crc == ra_crc64(0, rdb, rdb_len - 8));
    ra_replica_free(r);
    return rc;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_diskless_ok(void **state) {
    (void)state;
    step steps[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},        {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0},    {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", diskless_reply, diskless_len, 0, 0},
    };
    fake f;
    fake_start(&f, steps, 5, 0);
    mem_sink m = {0};
    ra_err err = {0};
    long long bytes = 0;
    if (run(&f, &m, 2000, &bytes, &err) != 0) fail_msg("%s", err.msg);
    fake_stop(&f);
    assert_int_equal(bytes, rdb_len);
    assert_int_equal(m.len, rdb_len);
    assert_memory_equal(m.data, rdb, rdb_len);
    assert_int_equal(m.begins, 1);
    assert_int_equal(m.info.diskless, 1);
    assert_string_equal(m.info.replid, REPLID);
    assert_int_equal(m.info.offset, 266);
    assert_string_equal(m.info.redis_version, "7.0.15");
}

/* Redis < 6.2: rdb-only unknown -> warn and go on; commands after the RDB are ignored and we do
 * not wait for the server (which keeps the connection open) to close. */
static void test_no_rdb_only(void **state) {
    (void)state;
    step steps[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},
        {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0},
        {"REPLCONF rdb-only 1", "-ERR Unrecognized REPLCONF option: rdb-only\r\n", 0, 0, 0},
        {"PSYNC ? -1", disk_reply, disk_len, 0, 0},
    };
    fake f;
    fake_start(&f, steps, 5, 3000);
    mem_sink m = {0};
    ra_err err = {0};
    long long bytes = 0, t0 = now_ms();
    if (run(&f, &m, 2000, &bytes, &err) != 0) fail_msg("%s", err.msg);
    assert_true(now_ms() - t0 < 1500);
    fake_stop(&f);
    assert_int_equal(m.info.diskless, 0);
    assert_int_equal(m.info.length, rdb_len);
    assert_memory_equal(m.data, rdb, rdb_len);
}

/* PSYNC unknown (renamed away) -> SYNC: no +FULLRESYNC, so no replid. */
static void test_sync_fallback(void **state) {
    (void)state;
    step steps[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},
        {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0},
        {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", "-ERR unknown command 'PSYNC', with args beginning with: '?' '-1' \r\n", 0, 0, 0},
        {"SYNC", sync_reply, sync_len, 0, 0},
    };
    fake f;
    fake_start(&f, steps, 6, 0);
    mem_sink m = {0};
    ra_err err = {0};
    long long bytes = 0;
    if (run(&f, &m, 2000, &bytes, &err) != 0) fail_msg("%s", err.msg);
    fake_stop(&f);
    assert_string_equal(m.info.replid, "");
    assert_int_equal(m.info.offset, -1);
    assert_int_equal(bytes, rdb_len);
}

/* Refusals: the message says what to do, and nothing after the refusal is sent. */
static void test_refusals(void **state) {
    (void)state;
    static const struct {
        const char *at;
        const char *reply;
        const char *want;
    } cases[] = {
        {"REPLCONF rdb-only 1", "-NOPERM this user has no permissions to run the 'replconf' command\r\n",
         "may not run 'replconf'"},
        {"REPLCONF capa eof", "-NOPERM this user has no permissions to run the 'replconf' command\r\n",
         "+psync +replconf +info"},
        {"REPLCONF rdb-only 1", "-ERR something else\r\n", "failed on"},
        {"PSYNC ? -1", "\n-NOMASTERLINK Can't SYNC while not connected with my master\r\n",
         "link to its master is down"},
        {"PSYNC ? -1", "-LOADING Redis is loading the dataset in memory\r\n", "still loading"},
        {"PSYNC ? -1", "+CONTINUE\r\n", "partial resync"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        step steps[6] = {
            {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
            {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
            {"PSYNC ? -1", diskless_reply, diskless_len, 0, 0},
        };
        int n = 0;
        while (strcmp(steps[n].expect, cases[i].at) != 0) n++;
        steps[n].reply = cases[i].reply;
        steps[n].reply_len = 0;
        fake f;
        fake_start(&f, steps, n + 1, 300);
        mem_sink m = {0};
        ra_err err = {0};
        long long bytes = 0;
        assert_int_equal(run(&f, &m, 2000, &bytes, &err), -1);
        fake_stop(&f);
        assert_int_equal(err.code, RA_E_SOURCE);
        if (strstr(err.msg, cases[i].want) == NULL) fail_msg("case %zu: '%s'", i, err.msg);
        assert_int_equal(f.ngot, n + 1); /* nothing sent after the refused command */
        assert_int_equal(m.begins, 0);
    }
}

static void test_corrupt_and_trailing(void **state) {
    (void)state;
    const char *replies[] = {corrupt_reply, trailing_reply, "+FULLRESYNC " REPLID " 1\r\n$14\r\n<html><body>!!"};
    size_t lens[] = {corrupt_len, trailing_len, 0};
    const char *want[] = {"rdb checksum mismatch", "after the end", "not an rdb: bad magic"};
    ra_code codes[] = {RA_E_VERIFY, RA_E_SOURCE, RA_E_VERIFY};
    for (int i = 0; i < 3; i++) {
        step steps[] = {
            {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
            {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
            {"PSYNC ? -1", replies[i], lens[i], 0, 0},
        };
        fake f;
        fake_start(&f, steps, 5, 0);
        mem_sink m = {0};
        ra_err err = {0};
        long long bytes = -3;
        assert_int_equal(run(&f, &m, 2000, &bytes, &err), -1);
        fake_stop(&f);
        assert_int_equal(err.code, codes[i]);
        if (strstr(err.msg, want[i]) == NULL) fail_msg("case %d: '%s'", i, err.msg);
        assert_int_equal(bytes, -3);
    }
}

/* Keep-alives every 150 ms keep a 400 ms read timeout from firing; silence does not. */
static void test_timeouts(void **state) {
    (void)state;
    char slow[64];
    snprintf(slow, sizeof(slow), "\n\n\n\n\n\n");
    char *both = malloc(diskless_len + 8);
    memcpy(both, slow, 6);
    memcpy(both + 6, diskless_reply, diskless_len);
    step steps[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", both, 6, 150, 0},
    };
    /* the keep-alives alone, then silence while the connection stays open */
    fake f;
    fake_start(&f, steps, 5, 1500);
    mem_sink m = {0};
    ra_err err = {0};
    long long bytes = 0, t0 = now_ms();
    assert_int_equal(run(&f, &m, 400, &bytes, &err), -1);
    long long took = now_ms() - t0;
    fake_stop(&f);
    free(both);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "timed out after 400 ms") == NULL) fail_msg("%s", err.msg);
    /* keep-alives at 0, 150, ..., 750 ms each reset the 400 ms timer: it fires near 1150 ms */
    if (took < 1100 || took > 3000) fail_msg("timed out after %lld ms", took);

    /* closed mid-payload: RA_E_VERIFY naming the byte count */
    step cut[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", diskless_reply, diskless_len - 50, 0, 0},
    };
    fake_start(&f, cut, 5, 0);
    memset(&m, 0, sizeof(m));
    assert_int_equal(run(&f, &m, 2000, &bytes, &err), -1);
    fake_stop(&f);
    assert_int_equal(err.code, RA_E_VERIFY);
    if (strstr(err.msg, "stream ended early after") == NULL) fail_msg("%s", err.msg);
}

/* ---- SENTINEL REPLICAS parsing and ranking: the reply as it comes over the wire (RESP2) ---------- */

/* One replica entry as a flat field/value array; fields as Redis 7.0's sentinel sends them, in part. */
static void sentinel_entry(char *out, size_t cap, const char *ip, const char *port, const char *flags,
                           const char *link, const char *offset) {
    const char *kv[] = {"name", "x", "ip", ip, "port", port, "runid", "abc", "flags", flags,
                        "master-link-status", link, "slave-priority", "100", "slave-repl-offset", offset};
    int n = 0;
    for (size_t i = 1; i < sizeof(kv) / sizeof(kv[0]); i += 2)
        if (kv[i] != NULL) n += 2;
    size_t len = (size_t)snprintf(out, cap, "*%d\r\n", n);
    for (size_t i = 0; i + 1 < sizeof(kv) / sizeof(kv[0]); i += 2) {
        if (kv[i + 1] == NULL) continue; /* the field is left out */
        len += (size_t)snprintf(out + len, cap - len, "$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(kv[i]), kv[i],
                                strlen(kv[i + 1]), kv[i + 1]);
    }
}

static ra_resp_reply *parse_resp(const char *text) {
    ra_err err = {0};
    ra_resp_reply *reply = ra_resp_parse(text, strlen(text), &err);
    if (reply == NULL) fail_msg("%s", err.msg);
    return reply;
}

static void test_sentinel_replicas(void **state) {
    (void)state;
    typedef struct { const char *ip, *port, *flags, *link, *offset; const char *reject; } ent;
    static const struct {
        const char *name;
        ent e[4];
        int n;
        int order[4]; /* indices of the healthy entries, best first */
        int norder;
    } cases[] = {
        {"two healthy: highest offset first", {{"10.0.0.1", "6380", "slave", "ok", "100", NULL},
                                               {"10.0.0.2", "6381", "slave", "ok", "250", NULL}}, 2, {1, 0}, 2},
        {"equal offsets keep the sentinel's order", {{"a", "1", "slave", "ok", "7", NULL},
                                                     {"b", "2", "slave", "ok", "7", NULL}}, 2, {0, 1}, 2},
        {"s_down, o_down, disconnected, link err",
         {{"h1", "1", "s_down,slave", "ok", "900", "subjectively down (s_down)"},
          {"h2", "2", "slave,o_down", "ok", "900", "objectively down (o_down)"},
          {"h3", "3", "slave,disconnected", "ok", "900", "disconnected from the sentinel"},
          {"h4", "4", "slave", "err", "900", "its link to the master is down"}}, 4, {0}, 0},
        {"one bad among good", {{"h1", "1", "slave", "err", "999", "its link to the master is down"},
                                {"h2", "2", "slave", "ok", "5", NULL},
                                {"h3", "3", "slave,s_down", "ok", "999", "subjectively down (s_down)"}}, 3, {1}, 1},
        {"a flag that only contains s_down as a substring is not s_down",
         {{"h1", "1", "slave,xs_downx", "ok", "1", NULL}}, 1, {0}, 1},
        {"missing fields", {{NULL, "1", "slave", "ok", "1", "no ip or port"},
                            {"h", "0", "slave", "ok", "1", "no ip or port"},
                            {"h", "2", "slave", NULL, "1", "its link to the master is down"},
                            {"h", "3", "slave", "ok", NULL, NULL}}, 4, {3}, 1},
        {"no replicas", {{0}}, 0, {0}, 0},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char text[8192];
        size_t len = (size_t)snprintf(text, sizeof(text), "*%d\r\n", cases[c].n);
        for (int i = 0; i < cases[c].n; i++) {
            const ent *e = &cases[c].e[i];
            sentinel_entry(text + len, sizeof(text) - len, e->ip, e->port, e->flags, e->link, e->offset);
            len = strlen(text);
        }
        ra_resp_reply *rep = parse_resp(text);
        ra_sentinel_replica v[8];
        int order[8];
        ra_err err = {0};
        int n = ra_sentinel_parse_replicas(rep, v, 8, &err);
        ra_resp_reply_free(rep);
        if (n != cases[c].n) fail_msg("%s: %d entries (%s)", cases[c].name, n, err.msg);
        for (int i = 0; i < n; i++) {
            const ent *e = &cases[c].e[i];
            if (e->ip) assert_string_equal(v[i].ip, e->ip);
            if (e->offset) assert_int_equal(v[i].offset, atoll(e->offset));
            else assert_int_equal(v[i].offset, -1);
            if (e->reject == NULL && v[i].reject != NULL) fail_msg("%s: entry %d rejected: %s", cases[c].name, i, v[i].reject);
            if (e->reject != NULL) {
                if (v[i].reject == NULL) fail_msg("%s: entry %d accepted", cases[c].name, i);
                assert_string_equal(v[i].reject, e->reject);
            }
        }
        int m = ra_sentinel_rank(v, n, order);
        if (m != cases[c].norder) fail_msg("%s: %d ranked", cases[c].name, m);
        for (int i = 0; i < m; i++) assert_int_equal(order[i], cases[c].order[i]);
    }

    /* the cap drops extra entries */
    char text[4096];
    snprintf(text, sizeof(text), "*3\r\n");
    for (int i = 0; i < 3; i++) sentinel_entry(text + strlen(text), sizeof(text) - strlen(text), "h", "1", "slave", "ok", "1");
    ra_resp_reply *rep = parse_resp(text);
    ra_sentinel_replica v[2];
    ra_err err = {0};
    assert_int_equal(ra_sentinel_parse_replicas(rep, v, 2, &err), 2);
    ra_resp_reply_free(rep);

    /* malformed replies */
    static const char *const bad[] = {"+OK\r\n", "*1\r\n:5\r\n", "*1\r\n*3\r\n$2\r\nip\r\n$1\r\nh\r\n$4\r\nport\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rep = parse_resp(bad[i]);
        memset(&err, 0, sizeof(err));
        assert_int_equal(ra_sentinel_parse_replicas(rep, v, 2, &err), -1);
        assert_int_equal(err.code, RA_E_SOURCE);
        assert_non_null(strstr(err.msg, "sentinel replicas"));
        ra_resp_reply_free(rep);
    }
}

/* A dead port: bound, never listening, so connections are refused. */
static int dead_port(int *fd) {
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* Through a fake sentinel: an old sentinel without SENTINEL REPLICAS (SLAVES fallback), a password it
 * refuses because it has none, the best replica refusing connections, then a full sync from the next. */
static void test_sentinel_flow(void **state) {
    (void)state;
    step data_steps[] = {
        {"AUTH s3cret", "+OK\r\n", 0, 0, 0},
        {"INFO server", INFO_SERVER, 0, 0, 0},        {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0},    {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", diskless_reply, diskless_len, 0, 0},
    };
    fake data;
    fake_start(&data, data_steps, 6, 0);
    int dfd;
    int dport = dead_port(&dfd);
    char e1[512], e2[512], e3[512], replicas[2048];
    char dp[16], lp[16];
    snprintf(dp, sizeof(dp), "%d", dport);
    snprintf(lp, sizeof(lp), "%d", data.port);
    sentinel_entry(e1, sizeof(e1), "127.0.0.1", dp, "slave", "ok", "900");       /* best, but dead */
    sentinel_entry(e2, sizeof(e2), "127.0.0.1", lp, "slave", "ok", "800");       /* the one used */
    sentinel_entry(e3, sizeof(e3), "127.0.0.1", "1", "slave,s_down", "ok", "999"); /* down */
    snprintf(replicas, sizeof(replicas), "*3\r\n%s%s%s", e1, e2, e3);
    step sent_steps[] = {
        {"AUTH s3cret", "-ERR AUTH <password> called without any password configured for the default user\r\n", 0, 0, 0},
        {"SENTINEL REPLICAS mymaster", "-ERR Unknown sentinel subcommand 'replicas'\r\n", 0, 0, 0},
        {"SENTINEL SLAVES mymaster", replicas, 0, 0, 0},
    };
    fake sent;
    fake_start(&sent, sent_steps, 3, 0);
    char url[64];
    snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", sent.port);
    ra_replica_opts o = {.url = url, .sentinel_master = "mymaster", .read_timeout_ms = 2000};
    ra_replica_info ri;
    ra_err err = {0};
    ra_replica *r = ra_replica_connect(&o, &ri, &err);
    if (r == NULL) fail_msg("%s", err.msg);
    assert_int_equal(ri.port, data.port);
    assert_string_equal(ri.role, "slave");
    mem_sink m = {0};
    ra_sink sink = {.ctx = &m, .begin = ms_begin, .write = ms_write};
    long long bytes = 0;
    if (ra_replica_sync(r, &sink, &bytes, NULL, &err) != 0) fail_msg("%s", err.msg);
    ra_replica_free(r);
    fake_stop(&sent);
    fake_stop(&data);
    close(dfd);
    assert_int_equal(sent.seen, 3);
    assert_int_equal(bytes, rdb_len);
    assert_memory_equal(m.data, rdb, rdb_len);
}

/* Sentinel refusals, each named with the sentinel and the master, never with the password. */
static void test_sentinel_errors(void **state) {
    (void)state;
    char none[2048], e1[512], e2[512];
    sentinel_entry(e1, sizeof(e1), "10.1.1.1", "6380", "slave,disconnected", "ok", "5");
    sentinel_entry(e2, sizeof(e2), "10.1.1.2", "6381", "slave", "err", "5");
    snprintf(none, sizeof(none), "*2\r\n%s%s", e1, e2);
    static const char *const noauth = "-NOAUTH Authentication required.\r\n";
    struct {
        step steps[3];
        int nsteps;
        const char *want[3];
    } cases[] = {
        {{{"AUTH s3cret", "-WRONGPASS invalid username-password pair or user is disabled.\r\n", 0, 0, 0},
          {"SENTINEL REPLICAS m1", noauth, 0, 0, 0}}, 2,
         {"requires authentication", "refused ours: WRONGPASS", NULL}},
        {{{"AUTH s3cret", "+OK\r\n", 0, 0, 0}, {"SENTINEL REPLICAS m1", "-ERR No such master with that name\r\n", 0, 0, 0}},
         2, {"does not monitor a master of that name", NULL, NULL}},
        {{{"AUTH s3cret", "+OK\r\n", 0, 0, 0}, {"SENTINEL REPLICAS m1", none, 0, 0, 0}}, 2,
         {"no healthy replica to back up from: 10.1.1.1:6380 (disconnected from the sentinel); "
          "10.1.1.2:6381 (its link to the master is down)", NULL, NULL}},
        {{{"AUTH s3cret", "+OK\r\n", 0, 0, 0}, {"SENTINEL REPLICAS m1", "*0\r\n", 0, 0, 0}}, 2,
         {"the sentinel knows no replica of it", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake f;
        fake_start(&f, cases[i].steps, cases[i].nsteps, 0);
        char url[64], where[128];
        snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", f.port);
        snprintf(where, sizeof(where), "sentinel '127.0.0.1:%d' (master 'm1')", f.port);
        ra_replica_opts o = {.url = url, .sentinel_master = "m1", .read_timeout_ms = 2000};
        ra_err err = {0};
        assert_null(ra_replica_connect(&o, NULL, &err));
        fake_stop(&f);
        assert_int_equal(err.code, RA_E_SOURCE);
        if (strstr(err.msg, where) == NULL) fail_msg("case %zu: %s", i, err.msg);
        assert_null(strstr(err.msg, "s3cret"));
        for (int k = 0; k < 3 && cases[i].want[k]; k++)
            if (strstr(err.msg, cases[i].want[k]) == NULL) fail_msg("case %zu: want '%s' in: %s", i, cases[i].want[k], err.msg);
    }
}


/* ---- hostile peers (faults.md R7, R9, R12, R13, R18-R20) --------------------------------------- */

static long long connect_fail(const char *url, long read_ms, ra_err *err) {
    ra_replica_opts o = {.url = url, .read_timeout_ms = read_ms};
    long long t0 = now_ms();
    ra_replica *r = ra_replica_connect(&o, NULL, err);
    assert_null(r);
    return now_ms() - t0;
}

/* R12: INFO answered one byte per 100 ms: the reply must be whole within read-timeout in total. */
static void test_handshake_trickle(void **state) {
    (void)state;
    step steps[] = {{"INFO server", INFO_SERVER, 0, 100, 0}};
    fake f;
    fake_start(&f, steps, 1, 0);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
    ra_err err = {0};
    long long took = connect_fail(url, 400, &err);
    fake_stop(&f);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "did not complete its reply to info server within 400 ms") == NULL) fail_msg("%s", err.msg);
    if (took < 350 || took > 1500) fail_msg("failed after %lld ms", took);
}

/* R20: seven nested *777777774 headers fail at once, with no huge allocation. */
static void test_nested_arrays(void **state) {
    (void)state;
    static const char bomb[] = "*777777774\r\n*777777774\r\n*777777774\r\n*777777774\r\n*777777774\r\n"
                               "*777777774\r\n*777777774\r\n";
    step steps[] = {{"INFO server", bomb, 0, 0, 0}};
    fake f;
    fake_start(&f, steps, 1, 300);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
    ra_err err = {0};
    long long took = connect_fail(url, 3000, &err);
    fake_stop(&f);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "array of 777777774 elements (the limit is 4096)") == NULL)
        fail_msg("%s", err.msg);
    if (took > 1000) fail_msg("failed after %lld ms", took);
    /* the same limits in memory, and a huge bulk string */
    ra_err e2 = {0};
    assert_null(ra_resp_parse(bomb, strlen(bomb), &e2));
    assert_non_null(strstr(e2.msg, "the limit is 4096"));
    static const char bulk[] = "$999999999\r\nabc";
    assert_null(ra_resp_parse(bulk, strlen(bulk), &e2)); /* incomplete, nothing allocated up front */
}

/* R18/R19: server text with ANSI escapes and invalid UTF-8 never reaches a message raw. */
static void test_sanitized_errors(void **state) {
    (void)state;
    static const char evil[] = "-ERR \x1b[2J\x1b[H\x1b[32mALL BACKUPS OK\x1b]0;pwned\x07 \xff\xfe\r\n";
    const char *at[] = {"REPLCONF rdb-only 1", "REPLCONF capa eof", "PSYNC ? -1", "INFO server"};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        step steps[5] = {
            {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
            {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
            {"PSYNC ? -1", diskless_reply, diskless_len, 0, 0},
        };
        int n = 0;
        while (strcmp(steps[n].expect, at[i]) != 0) n++;
        steps[n].reply = evil;
        steps[n].reply_len = 0;
        fake f;
        fake_start(&f, steps, n + 1, 300);
        mem_sink m = {0};
        ra_err err = {0};
        long long bytes = 0;
        char url[64];
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
        ra_replica_opts o = {.url = url, .read_timeout_ms = 2000};
        ra_replica *r = ra_replica_connect(&o, NULL, &err);
        int rc = -1;
        if (r != NULL) {
            ra_sink sink = {.ctx = &m, .begin = ms_begin, .write = ms_write};
            rc = ra_replica_sync(r, &sink, &bytes, NULL, &err);
            ra_replica_free(r);
        }
        fake_stop(&f);
        assert_int_equal(rc, -1);
        for (const char *p = err.msg; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) fail_msg("%s: byte %02x in '%s'", at[i], (unsigned char)*p, err.msg);
        if (strstr(err.msg, "ERR ?[2J?[H?[32mALL BACKUPS OK?]0;pwned? ??") == NULL) fail_msg("%s: %s", at[i], err.msg);
    }
}

/* R13: after the payload header, a trickle (one byte per 40 ms) fails within about read-timeout. */
static void test_payload_trickle(void **state) {
    (void)state;
    size_t head = (size_t)(strstr(diskless_reply, MARK "\r\n") - diskless_reply) + strlen(MARK) + 2;
    step steps[] = {
        {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
        {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
        {"PSYNC ? -1", diskless_reply, diskless_len, 40, head},
    };
    fake f;
    fake_start(&f, steps, 5, 0);
    mem_sink m = {0};
    ra_err err = {0};
    long long bytes = 0, t0 = now_ms();
    assert_int_equal(run(&f, &m, 500, &bytes, &err), -1);
    long long took = now_ms() - t0;
    fake_stop(&f);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "sends the rdb too slowly") == NULL) fail_msg("%s", err.msg);
    if (took < 450 || took > 2000) fail_msg("failed after %lld ms", took);
    assert_int_equal(m.begins, 1);
}

/* R7: an rdb whose checksum field is 0 is refused unless allow_unchecked_rdb; then it is flagged. */
static void test_unchecked_rdb(void **state) {
    (void)state;
    uint8_t saved[sizeof(rdb)];
    memcpy(saved, rdb, rdb_len);
    memset(rdb + rdb_len - 8, 0, 8);
    char reply[512];
    size_t len = build(reply, "+FULLRESYNC " REPLID " 1\r\n$EOF:" MARK "\r\n", MARK, 0);
    memcpy(rdb, saved, rdb_len);
    for (int allow = 0; allow < 2; allow++) {
        step steps[] = {
            {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
            {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
            {"PSYNC ? -1", reply, len, 0, 0},
        };
        fake f;
        fake_start(&f, steps, 5, 0);
        char url[64];
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f.port);
        ra_replica_opts o = {.url = url, .read_timeout_ms = 2000, .allow_unchecked_rdb = allow};
        ra_err err = {0};
        ra_replica *r = ra_replica_connect(&o, NULL, &err);
        if (r == NULL) fail_msg("%s", err.msg);
        mem_sink m = {0};
        ra_sink sink = {.ctx = &m, .begin = ms_begin, .write = ms_write};
        long long bytes = -3;
        int rc = ra_replica_sync(r, &sink, &bytes, NULL, &err);
        if (allow) {
            if (rc != 0) fail_msg("%s", err.msg);
            assert_int_equal(bytes, rdb_len);
            assert_int_equal(ra_replica_rdb_unchecked(r), 1);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, RA_E_VERIFY);
            if (strstr(err.msg, "has no checksum") == NULL || strstr(err.msg, "allow-unchecked-rdb") == NULL)
                fail_msg("%s", err.msg);
            assert_int_equal(bytes, -3);
            assert_int_equal(ra_replica_rdb_unchecked(r), 0);
        }
        ra_replica_free(r);
        fake_stop(&f);
    }
}

/* R9: with a password, pick-replica does not go to a replica the master merely announced (here
 * "localhost", while the URL says 127.0.0.1) unless replica_allow lists it. */
static void test_pick_replica_allow(void **state) {
    (void)state;
    for (int allow = 0; allow < 2; allow++) {
        step rsteps[] = {
            {"AUTH s3cret", "+OK\r\n", 0, 0, 0},
            {"INFO server", INFO_SERVER, 0, 0, 0},     {"INFO replication", INFO_REPL, 0, 0, 0},
            {"REPLCONF capa eof", "+OK\r\n", 0, 0, 0}, {"REPLCONF rdb-only 1", "+OK\r\n", 0, 0, 0},
            {"PSYNC ? -1", diskless_reply, diskless_len, 0, 0},
        };
        fake rep;
        fake_start(&rep, rsteps, 6, 0);
        char text[256], info_repl[300];
        snprintf(text, sizeof(text), "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
                 "slave0:ip=localhost,port=%d,state=online,offset=999999999999,lag=0\r\n", rep.port);
        snprintf(info_repl, sizeof(info_repl), "$%zu\r\n%s\r\n", strlen(text), text);
        step msteps[] = {
            {"AUTH s3cret", "+OK\r\n", 0, 0, 0},
            {"INFO server", INFO_SERVER, 0, 0, 0},
            {"INFO replication", info_repl, 0, 0, 0},
        };
        fake master;
        fake_start(&master, msteps, 3, 0);
        char url[64], list[64];
        snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", master.port);
        snprintf(list, sizeof(list), "10.9.9.9, [::1]:1 , localhost:%d", rep.port);
        ra_replica_opts o = {.url = url, .pick_replica = 1, .read_timeout_ms = 2000,
                             .replica_allow = allow ? list : NULL};
        ra_err err = {0};
        ra_replica_info ri;
        ra_replica *r = ra_replica_connect(&o, &ri, &err);
        if (allow) {
            if (r == NULL) fail_msg("%s", err.msg);
            assert_int_equal(ri.port, rep.port);
            mem_sink m = {0};
            ra_sink sink = {.ctx = &m, .begin = ms_begin, .write = ms_write};
            long long bytes = 0;
            if (ra_replica_sync(r, &sink, &bytes, NULL, &err) != 0) fail_msg("%s", err.msg);
            assert_int_equal(bytes, rdb_len);
        } else {
            assert_null(r);
            assert_int_equal(err.code, RA_E_SOURCE);
            char want[64];
            snprintf(want, sizeof(want), "'localhost:%d' to replica-allow", rep.port);
            if (strstr(err.msg, want) == NULL) fail_msg("%s", err.msg);
            assert_null(strstr(err.msg, "s3cret"));
        }
        ra_replica_free(r);
        fake_stop(&master);
        fake_stop(&rep);
        assert_int_equal(rep.ngot, allow ? 6 : 0); /* refused: nothing, not even AUTH, went to it */
    }
    /* a malformed list is a usage error */
    static const char text[] = "# Replication\r\nrole:master\r\nslave0:ip=h,port=7,state=online,lag=0\r\n";
    char info_repl[200];
    snprintf(info_repl, sizeof(info_repl), "$%zu\r\n%s\r\n", strlen(text), text);
    step msteps[] = {{"AUTH s3cret", "+OK\r\n", 0, 0, 0}, {"INFO server", INFO_SERVER, 0, 0, 0},
                     {"INFO replication", info_repl, 0, 0, 0}};
    fake master;
    fake_start(&master, msteps, 3, 0);
    char url[64];
    snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", master.port);
    ra_replica_opts o = {.url = url, .pick_replica = 1, .read_timeout_ms = 2000, .replica_allow = "x:99999"};
    ra_err err = {0};
    assert_null(ra_replica_connect(&o, NULL, &err));
    fake_stop(&master);
    assert_int_equal(err.code, RA_E_USAGE);
    if (strstr(err.msg, "replica-allow") == NULL) fail_msg("%s", err.msg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diskless_ok),
        cmocka_unit_test(test_no_rdb_only),
        cmocka_unit_test(test_sync_fallback),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_corrupt_and_trailing),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_sentinel_replicas),
        cmocka_unit_test(test_sentinel_flow),
        cmocka_unit_test(test_sentinel_errors),
        cmocka_unit_test(test_handshake_trickle),
        cmocka_unit_test(test_nested_arrays),
        cmocka_unit_test(test_sanitized_errors),
        cmocka_unit_test(test_payload_trickle),
        cmocka_unit_test(test_unchecked_rdb),
        cmocka_unit_test(test_pick_replica_allow),
    };
    return cmocka_run_group_tests(tests, setup_rdb, NULL);
}
