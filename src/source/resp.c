/* resp.c - RESP commands and replies over an ra_conn: hiredis parses, into our own reply tree,
 * within limits on elements, bulk length, total size and total time. */
#include "source/resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/read.h>

#define READ_BUF (16 * 1024)

/* What the reply builders tell the reader loop when they refuse (hiredis then says only "out
 * of memory"). */
typedef struct limits_hit {
    const char *what; /* "array", "string"; NULL: nothing refused */
    const char *unit; /* "elements", "bytes" */
    long long value;
    long long limit;
} limits_hit;

struct ra_resp {
    ra_conn *conn;
    redisReader *reader;
    limits_hit hit;
    char *out; /* queued commands (ra_resp_append) */
    size_t out_len, out_cap;
};

void ra_resp_printable(char *dst, size_t cap, const char *src, size_t n) {
    if (cap == 0) return;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[j] = '\0';
}

/* ---- reply objects (hiredis callbacks) --------------------------------------------------------- */

static ra_resp_reply *new_reply(const redisReadTask *task, ra_resp_type type) {
    ra_resp_reply *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->type = type;
    if (task->parent != NULL) {
        ra_resp_reply *parent = task->parent->obj;
        if (parent != NULL && parent->type == RA_RESP_ARRAY && task->idx >= 0 && (size_t)task->idx < parent->elements)
            parent->element[task->idx] = r;
    }
    return r;
}

static void *create_string(const redisReadTask *task, char *str, size_t len) {
    limits_hit *hit = task->privdata;
    if (len > RA_RESP_BULK_MAX) {
        if (hit != NULL) *hit = (limits_hit){"string", "bytes", (long long)len, RA_RESP_BULK_MAX};
        return NULL;
    }
    ra_resp_type t = task->type == REDIS_REPLY_STATUS ? RA_RESP_STATUS
                     : task->type == REDIS_REPLY_ERROR ? RA_RESP_ERROR
                                                        : RA_RESP_STRING;
    char *s = malloc(len + 1);
    if (s == NULL) return NULL;
    if (t == RA_RESP_STRING) {
        memcpy(s, str, len);
        s[len] = '\0';
    } else {
        ra_resp_printable(s, len + 1, str, len); /* server text that goes into messages */
    }
    ra_resp_reply *r = new_reply(task, t);
    if (r == NULL) {
        free(s);
        return NULL;
    }
    r->str = s;
    r->len = len;
    return r;
}

static void *create_array(const redisReadTask *task, int elements) {
    limits_hit *hit = task->privdata;
    if (elements < 0 || elements > RA_RESP_ELEMENTS_MAX) {
        if (hit != NULL) *hit = (limits_hit){"array", "elements", elements, RA_RESP_ELEMENTS_MAX};
        return NULL;
    }
    ra_resp_reply *r = new_reply(task, RA_RESP_ARRAY);
    if (r == NULL) return NULL;
    if (elements > 0 && (r->element = calloc((size_t)elements, sizeof(*r->element))) == NULL) {
        if (task->parent == NULL) free(r); /* else the parent owns it now */
        return NULL;
    }
    r->elements = (size_t)elements;
    return r;
}

static void *create_integer(const redisReadTask *task, long long value) {
    ra_resp_reply *r = new_reply(task, RA_RESP_INTEGER);
    if (r != NULL) r->integer = value;
    return r;
}

static void *create_nil(const redisReadTask *task) { return new_reply(task, RA_RESP_NIL); }

void ra_resp_reply_free(ra_resp_reply *r) {
    if (r == NULL) return;
    for (size_t i = 0; i < r->elements && r->element != NULL; i++) ra_resp_reply_free(r->element[i]);
    free(r->element);
    free(r->str);
    free(r);
}

static void free_object(void *p) { ra_resp_reply_free(p); }

static redisReplyObjectFunctions functions = {
    create_string, create_array, create_integer, create_nil, free_object,
};

static redisReader *new_reader(limits_hit *hit) {
    redisReader *rd = redisReaderCreateWithFunctions(&functions);
    if (rd != NULL) rd->privdata = hit;
    return rd;
}

/* The reader's failure as a message: our limit when a builder refused, else hiredis' text. */
static int reader_error(const redisReader *rd, const limits_hit *hit, const char *what, const char *name,
                        ra_err *err) {
    if (hit->what != NULL)
        return ra_err_set(err, RA_E_SOURCE, "bad reply to %s from '%s': %s of %lld %s (the limit is %lld)", what,
                          name, hit->what, hit->value, hit->unit, hit->limit);
    char e[sizeof(rd->errstr)];
    ra_resp_printable(e, sizeof(e), rd->errstr, strnlen(rd->errstr, sizeof(rd->errstr)));
    return ra_err_set(err, RA_E_SOURCE, "bad reply to %s from '%s': %s", what, name, e);
}

/* ---- over the connection ------------------------------------------------------------------------ */

ra_resp *ra_resp_new(ra_conn *c) {
    ra_resp *p = calloc(1, sizeof(*p));
    if (p == NULL) return NULL;
    p->conn = c;
    if ((p->reader = new_reader(&p->hit)) == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void ra_resp_free(ra_resp *p) {
    if (p == NULL) return;
    redisReaderFree(p->reader);
    free(p->out);
    free(p);
}

static int out_room(ra_resp *p, size_t more, ra_err *err) {
    if (p->out_len + more <= p->out_cap) return 0;
    size_t cap = p->out_cap ? p->out_cap : 64 * 1024;
    while (cap < p->out_len + more) cap *= 2;
    char *nb = realloc(p->out, cap);
    if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    p->out = nb;
    p->out_cap = cap;
    return 0;
}

int ra_resp_append(ra_resp *p, int argc, const char *const *argv, const size_t *lens, ra_err *err) {
    size_t need = 16;
    for (int i = 0; i < argc; i++) need += lens[i] + 24;
    if (out_room(p, need, err) < 0) return -1;
    p->out_len += (size_t)snprintf(p->out + p->out_len, 16, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        p->out_len += (size_t)snprintf(p->out + p->out_len, 24, "$%zu\r\n", lens[i]);
        memcpy(p->out + p->out_len, argv[i], lens[i]);
        p->out_len += lens[i];
        memcpy(p->out + p->out_len, "\r\n", 2);
        p->out_len += 2;
    }
    return 0;
}

int ra_resp_flush(ra_resp *p, long timeout_ms, ra_err *err) {
    if (p->out_len == 0) return 0;
    int rc = ra_conn_write(p->conn, p->out, p->out_len, timeout_ms, err);
    p->out_len = 0;
    return rc;
}

size_t ra_resp_pending_bytes(const ra_resp *p) {
    return p->out_len;
}

int ra_resp_send(ra_resp *p, int argc, const char **argv, long timeout_ms, ra_err *err) {
    size_t cap = 32;
    for (int i = 0; i < argc; i++) cap += strlen(argv[i]) + 32;
    char *buf = malloc(cap);
    if (buf == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    size_t n = (size_t)snprintf(buf, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        n += (size_t)snprintf(buf + n, cap - n, "$%zu\r\n", len);
        memcpy(buf + n, argv[i], len);
        n += len;
        memcpy(buf + n, "\r\n", 2);
        n += 2;
    }
    int rc = ra_conn_write(p->conn, buf, n, timeout_ms, err);
    explicit_bzero(buf, n);
    free(buf);
    return rc;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Handshake commands are each answered by one reply before the next is sent; pipelined commands
 * (ra_resp_append) leave later replies in the reader, which hands them out first. */
ra_resp_reply *ra_resp_read(ra_resp *p, const char *what, long timeout_ms, ra_err *err) {
    char buf[READ_BUF];
    size_t total = 0;
    const char *name = ra_conn_name(p->conn);
    long long deadline = now_ms() + timeout_ms;
    p->hit.what = NULL;
    for (;;) {
        void *reply = NULL;
        if (redisReaderGetReply(p->reader, &reply) != REDIS_OK) {
            reader_error(p->reader, &p->hit, what, name, err);
            return NULL;
        }
        if (reply != NULL) return reply;
        long long left = deadline - now_ms();
        if (left <= 0) {
            ra_err_set(err, RA_E_SOURCE, "'%s' did not complete its reply to %s within %ld ms (read-timeout): "
                       "%zu bytes came", name, what, timeout_ms, total);
            return NULL;
        }
        ssize_t n = ra_conn_read(p->conn, buf, sizeof(buf), (long)left, err);
        if (n < 0) {
            if (err != NULL && err->code == RA_E_SOURCE && now_ms() >= deadline && total > 0)
                ra_err_set(err, RA_E_SOURCE, "'%s' did not complete its reply to %s within %ld ms "
                           "(read-timeout): %zu bytes came", name, what, timeout_ms, total);
            else
                ra_err_prefix(err, "%s: ", what);
            return NULL;
        }
        if (n == 0) {
            ra_err_set(err, RA_E_SOURCE, "'%s' closed the connection during %s", name, what);
            return NULL;
        }
        total += (size_t)n;
        if (total > RA_RESP_REPLY_MAX) {
            ra_err_set(err, RA_E_SOURCE, "reply to %s from '%s' is too large", what, name);
            return NULL;
        }
        if (redisReaderFeed(p->reader, buf, (size_t)n) != REDIS_OK) {
            ra_err_set(err, RA_E_INTERNAL, "out of memory");
            return NULL;
        }
    }
}

ra_resp_reply *ra_resp_command(ra_resp *p, const char *what, int argc, const char **argv, long timeout_ms,
                               ra_err *err) {
    if (ra_resp_send(p, argc, argv, timeout_ms, err) < 0) {
        ra_err_prefix(err, "%s: ", what);
        return NULL;
    }
    return ra_resp_read(p, what, timeout_ms, err);
}

ra_resp_reply *ra_resp_parse(const void *buf, size_t len, ra_err *err) {
    limits_hit hit = {0};
    redisReader *rd = new_reader(&hit);
    if (rd == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    void *reply = NULL;
    if (len > RA_RESP_REPLY_MAX) ra_err_set(err, RA_E_SOURCE, "reply is too large");
    else if (redisReaderFeed(rd, buf, len) != REDIS_OK) ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else if (redisReaderGetReply(rd, &reply) != REDIS_OK) reader_error(rd, &hit, "a command", "memory", err);
    else if (reply == NULL) ra_err_set(err, RA_E_SOURCE, "incomplete reply");
    redisReaderFree(rd);
    return reply;
}

int ra_resp_info_field(const char *text, const char *field, char *out, size_t cap) {
    size_t fl = strlen(field);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
            const char *v = p + fl + 1;
            ra_resp_printable(out, cap, v, strcspn(v, "\r\n"));
            return 0;
        }
    }
    return -1;
}
