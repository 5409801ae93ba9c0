/* replica_it.c - the source against real redis-server processes: diskless and disk-based syncs
 * compared with redis-cli --rdb, a restore proven by DEBUG DIGEST, ACLs, master refusal and pick,
 * link down, a replica killed mid-stream, cancellation and sink errors.
 * Needs RA_TEST_REDIS_MASTER_PORT and RA_TEST_REDIS_REPLICA_PORT (127.0.0.1, the replica replicating
 * from the master, both with enable-debug-command local); skipped when unset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "common/crc64.h"
#include "source/replica.h"

static int master_port, replica_port;
static char tmpdir[256];

/* ---- helpers ---------------------------------------------------------------------------------- */

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static redisContext *rconn(int port) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c != NULL && c->err) {
        redisFree(c);
        c = NULL;
    }
    return c;
}

/* Run a command on 127.0.0.1:port; returns the reply (caller frees) or NULL. */
static redisReply *rcmd(int port, const char *fmt, ...) {
    redisContext *c = rconn(port);
    if (c == NULL) return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return r;
}

static void rok(int port, const char *fmt, ...) {
    redisContext *c = rconn(port);
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR) fail_msg("port %d: '%s' -> %s", port, fmt, r->str);
    freeReplyObject(r);
}

/* A field of INFO <section>, or "" */
static void info(int port, const char *section, const char *field, char *out, size_t cap) {
    out[0] = '\0';
    redisReply *r = rcmd(port, "INFO %s", section);
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        if (r) freeReplyObject(r);
        return;
    }
    char key[64];
    snprintf(key, sizeof(key), "\n%s:", field);
    const char *p = strstr(r->str, key);
    if (p != NULL) {
        p += strlen(key);
        size_t n = strcspn(p, "\r\n");
        if (n >= cap) n = cap - 1;
        memcpy(out, p, n);
        out[n] = '\0';
    }
    freeReplyObject(r);
}

static int pong(int port) {
    redisReply *r = rcmd(port, "PING");
    int ok = r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r) freeReplyObject(r);
    return ok;
}

/* Replica up and caught up with a quiet master. */
static void wait_replica_synced(void) {
    for (int i = 0; i < 600; i++) {
        char link[16], moff[32], roff[32];
        info(replica_port, "replication", "master_link_status", link, sizeof(link));
        info(master_port, "replication", "master_repl_offset", moff, sizeof(moff));
        info(replica_port, "replication", "slave_repl_offset", roff, sizeof(roff));
        if (strcmp(link, "up") == 0 && moff[0] && strcmp(moff, roff) == 0) return;
        sleep_ms(100);
    }
    fail_msg("replica on %d did not catch up with master %d", replica_port, master_port);
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A sink writing to a file, with knobs for failure cases. */
typedef struct file_sink {
    FILE *f;
    int begins;
    ra_stream_info info;
    long long written;
    long long kill_after;           /* > 0: SIGKILL kill_pid once this many bytes were written */
    pid_t kill_pid;
    long long cancel_after;         /* > 0: set *cancel after this many bytes */
    volatile sig_atomic_t *cancel;
    long long fail_after;           /* > 0: fail with RA_E_STORE after this many bytes */
    size_t room_size;               /* > 0: offer reserve/commit over a buffer this big, as the
                                       uploader's parts (the source's zero-copy path) */
    uint8_t *room;
    size_t room_used;
    long long reserves, commits, copied; /* copied: bytes that came through write */
} file_sink;

static int fs_begin(void *ctx, const ra_stream_info *si, ra_err *err) {
    (void)err;
    file_sink *s = ctx;
    s->begins++;
    s->info = *si;
    assert_int_equal(s->written, 0);
    return 0;
}

static int fs_write(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    file_sink *s = ctx;
    assert_int_equal(s->begins, 1);
    if (s->f != NULL) assert_int_equal(fwrite(d, 1, n, s->f), n);
    s->written += (long long)n;
    if (s->kill_after > 0 && s->written >= s->kill_after && s->kill_pid > 0) {
        kill(s->kill_pid, SIGKILL);
        s->kill_pid = 0;
        sleep_ms(200);
    }
    if (s->cancel_after > 0 && s->written >= s->cancel_after) *s->cancel = 1;
    if (s->fail_after > 0 && s->written >= s->fail_after)
        return ra_err_set(err, RA_E_STORE, "test store refuses part 1");
    return 0;
}

static void fs_flush(file_sink *s) {
    if (s->f != NULL && s->room_used > 0) assert_int_equal(fwrite(s->room, 1, s->room_used, s->f), s->room_used);
    s->room_used = 0;
}

static int fs_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    (void)err;
    file_sink *s = ctx;
    assert_int_equal(s->begins, 1);
    if (s->room_used == s->room_size) fs_flush(s);
    *room = s->room + s->room_used;
    *avail = s->room_size - s->room_used;
    s->reserves++;
    return 0;
}

static int fs_commit(void *ctx, size_t n, ra_err *err) {
    (void)err;
    file_sink *s = ctx;
    assert_true(n <= s->room_size - s->room_used);
    s->room_used += n;
    s->written += (long long)n;
    s->commits++;
    return 0;
}

/* Through the room too when there is one, as the uploader's write does. */
static int fs_write_room(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    (void)err;
    file_sink *s = ctx;
    assert_int_equal(s->begins, 1);
    s->copied += (long long)n;
    while (n > 0) {
        if (s->room_used == s->room_size) fs_flush(s);
        size_t k = s->room_size - s->room_used < n ? s->room_size - s->room_used : n;
        memcpy(s->room + s->room_used, d, k);
        s->room_used += k;
        s->written += (long long)k;
        d += k;
        n -= k;
    }
    return 0;
}

static ra_replica_opts opts_for(int port, char *url, size_t cap) {
    snprintf(url, cap, "redis://127.0.0.1:%d", port);
    ra_replica_opts o = {.url = url, .read_timeout_ms = 30000};
    return o;
}

/* Sync from opts into path; returns the rc, fills bytes/crc/err/sink. */
static int sync_to(const ra_replica_opts *o, const char *path, file_sink *s, long long *bytes,
                   uint64_t *crc, ra_replica_info *ri, ra_err *err) {
    ra_replica_info dummy;
    ra_replica *r = ra_replica_connect(o, ri ? ri : &dummy, err);
    if (r == NULL) return -1;
    if (path != NULL) s->f = fopen(path, "wb");
    ra_sink sink = {.ctx = s, .begin = fs_begin, .write = fs_write};
    if (s->room_size > 0) {
        assert_non_null(s->room = malloc(s->room_size));
        sink.write = fs_write_room;
        sink.reserve = fs_reserve;
        sink.commit = fs_commit;
    }
    int rc = ra_replica_sync(r, &sink, bytes, crc, err);
    if (s->room_size > 0) {
        fs_flush(s);
        free(s->room);
        s->room = NULL;
    }
    if (s->f) fclose(s->f);
    s->f = NULL;
    ra_replica_free(r);
    return rc;
}

/* Our file against redis-cli --rdb FILE of the same quiet server: same length, same bytes except
 * the aux fields that change per snapshot (ctime, used-mem) near the start and the trailer. */
static void compare_with_redis_cli(const char *ours, int port) {
    char cli[512], cmd[1024];
    snprintf(cli, sizeof(cli), "%s/cli.rdb", tmpdir);
    snprintf(cmd, sizeof(cmd), "redis-cli -p %d --rdb %s >/dev/null 2>&1", port, cli);
    assert_int_equal(system(cmd), 0);
    size_t a_len, b_len;
    uint8_t *a = slurp(ours, &a_len), *b = slurp(cli, &b_len);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a_len, b_len);
    /* both trailers are right for their own bytes */
    uint64_t sa = 0, sb = 0;
    for (int i = 7; i >= 0; i--) {
        sa = (sa << 8) | a[a_len - 8 + (size_t)i];
        sb = (sb << 8) | b[b_len - 8 + (size_t)i];
    }
    assert_true(ra_crc64(0, a, a_len - 8) == sa);
    assert_true(ra_crc64(0, b, b_len - 8) == sb);
    /* the data part is identical: find the first SELECTDB (0xFE) after the aux fields */
    const uint8_t *sel = memmem(a, a_len, "aof-base", 8);
    size_t from = sel ? (size_t)(sel - a) : 200;
    assert_memory_equal(a + from, b + from, a_len - 8 - from);
    free(a);
    free(b);
    unlink(cli);
}

/* Load path into a fresh redis-server and return its DEBUG DIGEST. */
static void digest_of_file(const char *path, char *out, size_t cap) {
    int port = free_port();
    char dir[300], cmd[4096];
    snprintf(dir, sizeof(dir), "%s/restore-%d", tmpdir, port);
    mkdir(dir, 0700);
    const char *slash = strrchr(path, '/');
    snprintf(cmd, sizeof(cmd), "cp %s %s/ && redis-server --bind 127.0.0.1 --port %d --dir %s "
             "--dbfilename %s --save '' --appendonly no --daemonize yes --pidfile %s/redis.pid "
             "--logfile %s/redis.log --enable-debug-command local",
             path, dir, port, dir, slash + 1, dir, dir);
    assert_int_equal(system(cmd), 0);
    int up = 0;
    for (int i = 0; i < 600 && !up; i++) {
        up = pong(port);
        if (!up) sleep_ms(100);
    }
    assert_true(up);
    redisReply *r = rcmd(port, "DEBUG DIGEST");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    snprintf(out, cap, "%s", r->str);
    freeReplyObject(r);
    r = rcmd(port, "SHUTDOWN NOSAVE");
    if (r) freeReplyObject(r);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- setup ------------------------------------------------------------------------------------ */

static int group_setup(void **state) {
    (void)state;
    const char *m = getenv("RA_TEST_REDIS_MASTER_PORT"), *r = getenv("RA_TEST_REDIS_REPLICA_PORT");
    if (m == NULL || r == NULL) return 0;
    master_port = atoi(m);
    replica_port = atoi(r);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/replica_it.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) return -1;
    /* make sure there is data worth streaming (~20 MB incompressible + small types) */
    char keys[32];
    info(master_port, "keyspace", "db0", keys, sizeof(keys));
    long n = keys[0] ? strtol(keys + 5, NULL, 10) : 0;
    if (n < 20000) {
        redisContext *c = rconn(master_port);
        if (c == NULL) return -1;
        uint8_t v[1000];
        uint32_t seed = (uint32_t)time(NULL);
        for (int i = 0; i < 20000; i++) {
            for (size_t j = 0; j < sizeof(v); j++) {
                seed = seed * 1103515245u + 12345u;
                v[j] = (uint8_t)(seed >> 16);
            }
            redisAppendCommand(c, "SET it:%d %b", i, v, sizeof(v));
        }
        for (int i = 0; i < 20000; i++) {
            redisReply *rep;
            if (redisGetReply(c, (void **)&rep) != REDIS_OK) return -1;
            freeReplyObject(rep);
        }
        redisAppendCommand(c, "HSET it:hash a 1 b 2");
        redisAppendCommand(c, "RPUSH it:list x y z");
        for (int i = 0; i < 2; i++) {
            redisReply *rep;
            if (redisGetReply(c, (void **)&rep) != REDIS_OK) return -1;
            freeReplyObject(rep);
        }
        redisFree(c);
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0) return -1;
    }
    return 0;
}

#define NEED_SERVERS()                                                                        \
    do {                                                                                      \
        if (master_port == 0) skip();                                                         \
        wait_replica_synced();                                                                \
    } while (0)

/* ---- cases ------------------------------------------------------------------------------------ */

static void set_diskless(int port, int yes) {
    rok(port, "CONFIG SET repl-diskless-sync %s", yes ? "yes" : "no");
    rok(port, "CONFIG SET repl-diskless-sync-delay 0");
}

/* room_size > 0: the zero-copy path, into "parts" of that size (odd, so reads straddle them) */
static void check_mode(int diskless, size_t room_size) {
    NEED_SERVERS();
    set_diskless(replica_port, diskless);
    char url[64], path[512];
    ra_replica_opts o = opts_for(replica_port, url, sizeof(url));
    snprintf(path, sizeof(path), "%s/ours-%d.rdb", tmpdir, diskless);
    file_sink s = {.room_size = room_size};
    ra_err err = {0};
    long long bytes = 0;
    uint64_t crc = 0;
    ra_replica_info ri;
    int rc = sync_to(&o, path, &s, &bytes, &crc, &ri, &err);
    if (rc != 0) fail_msg("sync failed: %s", err.msg);
    assert_string_equal(ri.role, "slave");
    assert_true(strncmp(ri.redis_version, "7.", 2) == 0 || ri.redis_version[0] != '\0');
    assert_int_equal(ri.port, replica_port);
    assert_int_equal(s.begins, 1);
    assert_int_equal(s.info.diskless, diskless);
    assert_int_equal(s.info.length, diskless ? -1 : bytes);
    assert_int_equal(strlen(s.info.replid), 40);
    assert_true(s.info.offset >= 0);
    assert_string_equal(s.info.redis_version, ri.redis_version);
    assert_int_equal(s.written, bytes);
    if (room_size > 0) {
        /* most bytes went in place; write only carried what straddled two parts */
        assert_true(s.commits > 0);
        assert_true(s.copied < bytes / 4);
    }
    size_t len;
    uint8_t *data = slurp(path, &len);
    assert_int_equal(len, (size_t)bytes);
    assert_true(ra_crc64(0, data, len - 8) == crc);
    assert_memory_equal(data, "REDIS", 5);
    free(data);
    compare_with_redis_cli(path, replica_port);
    char want[64], got[64];
    redisReply *r = rcmd(master_port, "DEBUG DIGEST");
    assert_non_null(r);
    snprintf(want, sizeof(want), "%s", r->str);
    freeReplyObject(r);
    digest_of_file(path, got, sizeof(got));
    assert_string_equal(got, want);
    unlink(path);
    set_diskless(replica_port, 1);
}

static void test_diskless(void **state) {
    (void)state;
    check_mode(1, 0);
}

static void test_disk_based(void **state) {
    (void)state;
    check_mode(0, 0);
}

static void test_in_place(void **state) {
    (void)state;
    check_mode(1, 1000003);
    check_mode(0, 1000003);
}

static void acl_user(const char *name, const char *rules) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ACL SETUSER %s reset on >it-secret-pw %s", name, rules);
    redisContext *c = rconn(replica_port);
    assert_non_null(c);
    /* rules split on spaces for the argv form */
    const char *argv[16];
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", cmd);
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 16; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
}

static int sync_as(const char *user, const char *pass, ra_err *err) {
    char url[256];
    snprintf(url, sizeof(url), "redis://%s:%s@127.0.0.1:%d/", user, pass, replica_port);
    ra_replica_opts o = {.url = url, .read_timeout_ms = 30000};
    file_sink s = {0};
    long long bytes;
    uint64_t crc;
    int rc = sync_to(&o, NULL, &s, &bytes, &crc, NULL, err);
    if (rc == 0) assert_int_equal(s.written, bytes);
    return rc;
}

/* Minimal ACL: +psync +replconf +info (AUTH needs nothing). +role can stand in for +info. */
static void test_acl(void **state) {
    (void)state;
    NEED_SERVERS();
    ra_err err = {0};
    acl_user("it_min", "-@all +psync +replconf +info");
    if (sync_as("it_min", "it-secret-pw", &err) != 0) fail_msg("minimal acl: %s", err.msg);
    acl_user("it_role", "-@all +psync +replconf +role");
    if (sync_as("it_role", "it-secret-pw", &err) != 0) fail_msg("role instead of info: %s", err.msg);
    acl_user("it_full", "-@all +psync +replconf +info +role");
    if (sync_as("it_full", "it-secret-pw", &err) != 0) fail_msg("brief's acl: %s", err.msg);

    /* only +psync: cannot even check the role; the message names the whole minimal acl */
    acl_user("it_psync", "-@all +psync");
    assert_int_equal(sync_as("it_psync", "it-secret-pw", &err), -1);
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "+replconf"));
    /* no replconf: must fail on REPLCONF, never go on to PSYNC (it would make us a real replica) */
    acl_user("it_norepl", "-@all +psync +info +role");
    assert_int_equal(sync_as("it_norepl", "it-secret-pw", &err), -1);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "'replconf'") == NULL || strstr(err.msg, "NOPERM") == NULL)
        fail_msg("no replconf: %s", err.msg);
    char clients[32];
    info(replica_port, "replication", "connected_slaves", clients, sizeof(clients));
    /* (only the real sub-replicas, if any: our rejected connection did not become one) */
    assert_string_equal(clients, "0");
    /* no psync, no sync */
    acl_user("it_nopsync", "-@all +replconf +info");
    assert_int_equal(sync_as("it_nopsync", "it-secret-pw", &err), -1);
    assert_non_null(strstr(err.msg, "'psync'"));
    /* +sync instead of +psync works through the SYNC fallback */
    acl_user("it_sync", "-@all +sync +replconf +info");
    if (sync_as("it_sync", "it-secret-pw", &err) != 0) fail_msg("sync fallback: %s", err.msg);

    /* wrong password: names the user, never the password */
    assert_int_equal(sync_as("it_min", "wrong-pw-123", &err), -1);
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "authentication failed for user 'it_min'"));
    assert_null(strstr(err.msg, "wrong-pw-123"));
    /* the url's password wins over opts->password (the caller's REDISCLI_AUTH); percent-decoding */
    char url[256];
    snprintf(url, sizeof(url), "redis://it%%5Fmin:it-secret-pw@127.0.0.1:%d", replica_port);
    ra_replica_opts o = {.url = url, .password = "wrong-pw-123"};
    file_sink s = {0};
    long long bytes;
    uint64_t crc;
    if (sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err) != 0) fail_msg("url password: %s", err.msg);
    /* opts->password when the url carries none; the source reads no environment */
    memset(&s, 0, sizeof(s));
    snprintf(url, sizeof(url), "redis://it_min:@127.0.0.1:%d", replica_port);
    o.password = "it-secret-pw";
    setenv("REDISCLI_AUTH", "wrong-pw-123", 1);
    int rc = sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err);
    unsetenv("REDISCLI_AUTH");
    if (rc != 0) fail_msg("opts password: %s", err.msg);
    /* "x@host" is a password for the default user (redis-cli's reading), never a user name */
    memset(&s, 0, sizeof(s));
    snprintf(url, sizeof(url), "redis://MyS3cretPw@127.0.0.1:%d", replica_port);
    o.password = NULL;
    assert_int_equal(sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err), -1);
    assert_null(strstr(err.msg, "MyS3cretPw"));
    assert_non_null(strstr(err.msg, "'default'"));

    const char *users[] = {"it_min", "it_role", "it_full", "it_psync", "it_norepl", "it_nopsync", "it_sync"};
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) rok(replica_port, "ACL DELUSER %s", users[i]);
}

static void test_master(void **state) {
    (void)state;
    NEED_SERVERS();
    char url[64];
    ra_replica_opts o = opts_for(master_port, url, sizeof(url));
    ra_err err = {0};
    ra_replica_info ri;
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_int_equal(err.code, RA_E_SOURCE);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d is a master (replicas: 127.0.0.1:%d", master_port,
             replica_port);
    if (strstr(err.msg, want) == NULL || strstr(err.msg, "--allow-master") == NULL)
        fail_msg("master refusal: %s", err.msg);

    /* pick_replica: syncs from the replica */
    o.pick_replica = 1;
    file_sink s = {0};
    long long bytes;
    uint64_t crc;
    if (sync_to(&o, NULL, &s, &bytes, &crc, &ri, &err) != 0) fail_msg("pick: %s", err.msg);
    assert_int_equal(ri.port, replica_port);
    assert_string_equal(ri.role, "slave");

    /* allow_master: syncs from the master itself */
    o.pick_replica = 0;
    o.allow_master = 1;
    char delay[32];
    redisReply *r = rcmd(master_port, "CONFIG GET repl-diskless-sync-delay");
    assert_non_null(r);
    snprintf(delay, sizeof(delay), "%s", r->element[1]->str);
    freeReplyObject(r);
    rok(master_port, "CONFIG SET repl-diskless-sync-delay 0");
    memset(&s, 0, sizeof(s));
    int rc = sync_to(&o, NULL, &s, &bytes, &crc, &ri, &err);
    rok(master_port, "CONFIG SET repl-diskless-sync-delay %s", delay);
    if (rc != 0) fail_msg("allow master: %s", err.msg);
    assert_string_equal(ri.role, "master");
    assert_true(bytes > 1000000);
}

static void test_link_down(void **state) {
    (void)state;
    NEED_SERVERS();
    rok(replica_port, "REPLICAOF 127.0.0.1 %d", free_port());
    sleep_ms(300);
    char url[64];
    ra_replica_opts o = opts_for(replica_port, url, sizeof(url));
    ra_err err = {0};
    ra_replica_info ri;
    ra_replica *r = ra_replica_connect(&o, &ri, &err);
    rok(replica_port, "REPLICAOF 127.0.0.1 %d", master_port);
    assert_null(r);
    assert_int_equal(err.code, RA_E_SOURCE);
    if (strstr(err.msg, "link to its master is down") == NULL) fail_msg("link down: %s", err.msg);
    wait_replica_synced();
}

/* kill -9 the replica after 1 MB went into the sink: an error, never success. Then restart it. */
static void test_killed_mid_stream(void **state) {
    (void)state;
    NEED_SERVERS();
    char pid[32], conf[512];
    info(replica_port, "server", "process_id", pid, sizeof(pid));
    info(replica_port, "server", "config_file", conf, sizeof(conf));
    assert_true(atoi(pid) > 0);
    assert_true(conf[0] != '\0'); /* needed to restart it */
    set_diskless(replica_port, 1);
    char url[64];
    ra_replica_opts o = opts_for(replica_port, url, sizeof(url));
    file_sink s = {.kill_after = 1000000, .kill_pid = atoi(pid)};
    ra_err err = {0};
    long long bytes = -7;
    uint64_t crc = 7;
    int rc = sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err);
    assert_int_equal(rc, -1);
    assert_true(err.code == RA_E_VERIFY || err.code == RA_E_SOURCE);
    if (strstr(err.msg, "ended early") == NULL) fail_msg("killed: %s", err.msg);
    assert_int_equal(bytes, -7); /* untouched on failure */
    assert_int_equal(s.kill_pid, 0); /* the kill really happened mid-stream */

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "redis-server %s --daemonize yes", conf);
    for (int i = 0; i < 50 && pong(replica_port); i++) sleep_ms(100);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < 100 && !pong(replica_port); i++) sleep_ms(100);
    wait_replica_synced();
    set_diskless(replica_port, 1);
}

static void test_cancel_and_sink_error(void **state) {
    (void)state;
    NEED_SERVERS();
    char url[64];
    volatile sig_atomic_t cancel = 0;
    ra_replica_opts o = opts_for(replica_port, url, sizeof(url));
    o.cancel = &cancel;
    file_sink s = {.cancel_after = 100000, .cancel = &cancel};
    ra_err err = {0};
    long long bytes;
    uint64_t crc;
    assert_int_equal(sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err), -1);
    if (err.code != RA_E_CANCELLED) fail_msg("cancel: %s", err.msg);

    cancel = 0;
    file_sink s2 = {.fail_after = 100000};
    assert_int_equal(sync_to(&o, NULL, &s2, &bytes, &crc, NULL, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_string_equal(err.msg, "test store refuses part 1");
}

static void test_bad_urls(void **state) {
    (void)state;
    ra_err err = {0};
    ra_replica_info ri;
    ra_replica_opts o = {.url = "http://127.0.0.1:1/"};
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_int_equal(err.code, RA_E_USAGE);
    o.url = "redis://u:topsecret@[::1:1";
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_int_equal(err.code, RA_E_USAGE);
    assert_null(strstr(err.msg, "topsecret"));
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
    o.url = url;
    o.connect_timeout_ms = 2000;
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "cannot connect"));
}

/* rediss://: a TLS-only redis-server with a certificate from a throwaway CA (IP SAN 127.0.0.1 and
 * DNS localhost): verified by default, untrusted CA and wrong name refused, insecure allowed. */
static void test_tls(void **state) {
    (void)state;
    if (master_port == 0) skip();
    char dir[300], cmd[4096];
    snprintf(dir, sizeof(dir), "%s/tls", tmpdir);
    mkdir(dir, 0700);
    int port = free_port();
    snprintf(cmd, sizeof(cmd),
             "(cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 "
             "-subj /CN=it-ca && openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
             "-subj /CN=localhost && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
             "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt "
             "-days 1 -extfile ext && redis-server --port 0 --tls-port %d --tls-cert-file srv.crt "
             "--tls-key-file srv.key --tls-ca-cert-file ca.crt --tls-auth-clients no --bind 127.0.0.1 "
             "--daemonize yes --save '' --dir %s --logfile %s/redis.log --pidfile %s/redis.pid "
             "--repl-diskless-sync-delay 0) >/dev/null 2>&1",
             dir, port, dir, dir, dir);
    if (system(cmd) != 0) skip(); /* no openssl CLI or a redis-server without TLS */
    char url[128], ca[400];
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    snprintf(url, sizeof(url), "rediss://127.0.0.1:%d", port);
    ra_replica_opts o = {.url = url, .allow_master = 1, .tls_ca_file = ca, .read_timeout_ms = 10000};
    ra_err err = {0};
    ra_replica_info ri;
    ra_replica *r = NULL;
    for (int i = 0; i < 50 && r == NULL; i++) { /* wait for the server */
        r = ra_replica_connect(&o, &ri, &err);
        if (r == NULL) sleep_ms(100);
    }
    if (r == NULL) fail_msg("tls connect: %s", err.msg);
    ra_replica_free(r);
    file_sink s = {0};
    long long bytes;
    uint64_t crc;
    if (sync_to(&o, NULL, &s, &bytes, &crc, NULL, &err) != 0) fail_msg("tls sync: %s", err.msg);
    assert_true(bytes >= 18);
    /* by name */
    snprintf(url, sizeof(url), "rediss://localhost:%d", port);
    assert_non_null(r = ra_replica_connect(&o, &ri, &err));
    ra_replica_free(r);
    /* wrong name */
    o.tls_sni = "wrong.example";
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "not trusted"));
    /* the system store does not know our CA */
    o.tls_sni = NULL;
    o.tls_ca_file = NULL;
    assert_null(ra_replica_connect(&o, &ri, &err));
    assert_non_null(strstr(err.msg, "not trusted"));
    /* unless verification is off */
    o.tls_insecure = 1;
    assert_non_null(r = ra_replica_connect(&o, &ri, &err));
    ra_replica_free(r);
    snprintf(cmd, sizeof(cmd), "kill $(cat %s/redis.pid)", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_diskless),
        cmocka_unit_test(test_disk_based),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_acl),
        cmocka_unit_test(test_master),
        cmocka_unit_test(test_link_down),
        cmocka_unit_test(test_cancel_and_sink_error),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_killed_mid_stream),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
