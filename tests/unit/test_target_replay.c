/* test_target_replay.c - ra_target_commands against scripted Redis peers on loopback (what real servers
 * cannot be made to do on cue): a cluster master that answers MOVED sends the unit, whole, to the one it
 * names, and the slot map follows; a keyless unit goes to every master and counts once; SELECT is left out
 * on a cluster; a command the target's COMMAND INFO does not know stops with a clear error; a standalone
 * target gets the bytes as they are, error replies counted. Real-server routing: replay_cluster.sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "source/respcmd.h"
#include "source/target.h"

typedef struct fake {
    int lfd, port;
    int cluster;      /* INFO says cluster_enabled:1; CLUSTER SLOTS: every slot on itself */
    int moved_to;     /* > 0: every SET is answered MOVED to this port */
    char got[2048];   /* the commands received, "name name ..." (COMMAND subcommands with their argument) */
    pthread_t th;
} fake;

static const char SPEC_SET[] = "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n"
                               "*0\r\n*0\r\n*0\r\n*0\r\n";
static const char SPEC_KEYLESS[] = "*1\r\n*10\r\n$8\r\nflushall\r\n:-1\r\n*1\r\n+write\r\n:0\r\n:0\r\n:0\r\n"
                                   "*0\r\n*0\r\n*0\r\n*0\r\n";

static void answer(fake *f, const ra_respcmd *c, char *out, size_t cap) {
    char name[64] = "";
    snprintf(name, sizeof(name), "%.*s", (int)c->lens[0], c->argv[0]);
    if (strcmp(name, "COMMAND") == 0 && c->argc == 3)
        snprintf(name, sizeof(name), "COMMAND:%.*s", (int)c->lens[2], c->argv[2]);
    size_t k = strlen(f->got);
    snprintf(f->got + k, sizeof(f->got) - k, "%s%s", k ? " " : "", name);
    if (strcmp(name, "INFO") == 0) {
        char body[256];
        snprintf(body, sizeof(body), "# Server\r\nredis_version:7.0.15\r\n%s", f->cluster ? "cluster_enabled:1\r\n" : "");
        snprintf(out, cap, "$%zu\r\n%s\r\n", strlen(body), body);
    } else if (strcmp(name, "CLUSTER") == 0) {
        snprintf(out, cap, "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n", f->port);
    } else if (strcmp(name, "COMMAND:set") == 0) {
        snprintf(out, cap, "%s", SPEC_SET);
    } else if (strncmp(name, "COMMAND:", 8) == 0 && strcmp(name, "COMMAND:bogus") != 0) {
        snprintf(out, cap, "%s", SPEC_KEYLESS);
    } else if (strncmp(name, "COMMAND:", 8) == 0) {
        snprintf(out, cap, "*1\r\n$-1\r\n"); /* what Redis says of a command it does not know */
    } else if (strcasecmp(name, "SET") == 0 && f->moved_to > 0) {
        snprintf(out, cap, "-MOVED %d 127.0.0.1:%d\r\n", ra_target_key_slot(c->argv[1], c->lens[1]), f->moved_to);
    } else if (strcasecmp(name, "INCR") == 0) {
        snprintf(out, cap, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    } else {
        snprintf(out, cap, "+OK\r\n");
    }
}

static void *fake_main(void *arg) {
    fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    static __thread uint8_t buf[1 << 16];
    size_t len = 0;
    ra_respcmd c = {0};
    for (;;) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n <= 0) break;
        len += (size_t)n;
        size_t at = 0, used = 0;
        ra_err err = {0};
        char out[512];
        while (ra_respcmd_parse(&c, buf + at, len - at, &used, &err) == 1) {
            answer(f, &c, out, sizeof(out));
            if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0) break;
            at += used;
        }
        memmove(buf, buf + at, len - at);
        len -= at;
    }
    ra_respcmd_clear(&c);
    close(fd);
    return NULL;
}

static void fake_start(fake *f, int cluster) {
    memset(f, 0, sizeof(*f));
    f->cluster = cluster;
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

static ra_target *open_at(fake *f, ra_target_info *info) {
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", f->port);
    ra_target_opts o = {.url = url, .read_timeout_ms = 5000};
    ra_err err = {0};
    ra_target *t = ra_target_open(&o, info, &err);
    if (t == NULL) fail_msg("open: %s", err.msg);
    return t;
}

#define U(s) (const uint8_t *)(s), strlen(s)
#define SET_K "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
#define FLUSHALL "*1\r\n$8\r\nFLUSHALL\r\n"
#define SELECT3 "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"

static void test_moved_and_keyless(void **state) {
    (void)state;
    fake a, b;
    fake_start(&b, 1);
    fake_start(&a, 1);
    a.moved_to = b.port;
    ra_target_info info;
    ra_target *t = open_at(&a, &info);
    assert_int_equal(info.cluster, 1);
    ra_target_stats st = {0};
    ra_err err = {0};
    assert_int_equal(ra_target_commands(t, U(SELECT3), 1, &st, &err), 0);
    assert_int_equal(ra_target_commands(t, U(SET_K), 1, &st, &err), 0);
    assert_int_equal(ra_target_flush(t, &st, &err), 0);
    assert_int_equal(ra_target_commands(t, U(SET_K), 1, &st, &err), 0); /* the map followed the MOVED: to b */
    assert_int_equal(ra_target_commands(t, U(FLUSHALL), 1, &st, &err), 0);
    assert_int_equal(ra_target_flush(t, &st, &err), 0);
    assert_int_equal(st.commands, 3); /* SET twice, FLUSHALL once though sent to both */
    assert_int_equal(st.errors, 0);
    ra_target_free(t);
    fake_stop(&a);
    fake_stop(&b);
    assert_string_equal(a.got, "INFO CLUSTER INFO COMMAND:select COMMAND:set SET COMMAND:flushall FLUSHALL");
    assert_string_equal(b.got, "SET SET FLUSHALL");
}

static void test_unknown_command(void **state) {
    (void)state;
    fake a;
    fake_start(&a, 1);
    ra_target_info info;
    ra_target *t = open_at(&a, &info);
    ra_target_stats st = {0};
    ra_err err = {0};
    assert_int_equal(ra_target_commands(t, U("*2\r\n$5\r\nBOGUS\r\n$1\r\nx\r\n"), 1, &st, &err), -1);
    assert_int_equal(err.code, RA_E_SOURCE);
    assert_non_null(strstr(err.msg, "does not know the command 'bogus' of the archived stream"));
    /* a unit that does not hold the commands it says */
    assert_int_equal(ra_target_commands(t, U(FLUSHALL), 2, &st, &err), -1);
    assert_int_equal(ra_target_commands(t, U("*1\r\n$8\r\nFLUSH"), 1, &st, &err), -1);
    ra_target_free(t);
    fake_stop(&a);
}

static void test_standalone(void **state) {
    (void)state;
    fake a;
    fake_start(&a, 0);
    ra_target_info info;
    ra_target *t = open_at(&a, &info);
    assert_int_equal(info.cluster, 0);
    ra_target_stats st = {0};
    ra_err err = {0};
    const char *tx = "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" SET_K "*1\r\n$4\r\nEXEC\r\n";
    assert_int_equal(ra_target_commands(t, U(SELECT3), 1, &st, &err), 0);
    assert_int_equal(ra_target_commands(t, U(tx), 4, &st, &err), 0);
    assert_int_equal(ra_target_flush(t, &st, &err), 0);
    assert_int_equal(st.commands, 5);
    assert_int_equal(st.errors, 1);
    assert_non_null(strstr(st.first_error, "WRONGTYPE"));
    ra_target_free(t);
    fake_stop(&a);
    assert_string_equal(a.got, "INFO SELECT MULTI INCR SET EXEC"); /* no COMMAND INFO: nothing to route */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moved_and_keyless),
        cmocka_unit_test(test_unknown_command),
        cmocka_unit_test(test_standalone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
