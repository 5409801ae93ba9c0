/* respcmd.c - pure parser of one whole RESP multibulk command in memory into argv spans. */
#include "source/respcmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ra_respcmd_clear(ra_respcmd *c) {
    free(c->argv);
    free(c->lens);
    memset(c, 0, sizeof(*c));
}

static int bad(ra_err *err, const char *what, size_t at) {
    return ra_err_set(err, RA_E_SOURCE, "resp command: %s at byte %zu", what, at);
}

/* "<c><digits>\r\n" at d[*i]: the number, *i past it. 1, 0 (incomplete) or -1 (malformed). */
static int line_num(const uint8_t *d, size_t n, size_t *i, uint8_t lead, long long max, long long *v, ra_err *err) {
    size_t p = *i;
    if (p >= n) return 0;
    if (d[p] != lead) return bad(err, lead == '*' ? "no '*' before the argument count" : "no '$' before an argument", p);
    p++;
    long long x = 0;
    size_t digits = 0;
    for (; p < n && d[p] >= '0' && d[p] <= '9'; p++, digits++) {
        if (digits >= 18) return bad(err, "a number too long", p);
        x = x * 10 + (d[p] - '0');
    }
    if (p >= n) return 0;
    if (digits == 0 || d[p] != '\r') return bad(err, "a bad number", p);
    if (p + 1 >= n) return 0;
    if (d[p + 1] != '\n') return bad(err, "no line feed after a number", p + 1);
    if (x > max) return bad(err, "a number over the limit", *i);
    *v = x;
    *i = p + 2;
    return 1;
}

static int grow(ra_respcmd *c, size_t want, ra_err *err) {
    if (want <= c->cap) return 0;
    size_t cap = c->cap ? c->cap : 8;
    while (cap < want) cap *= 2;
    const char **a = realloc(c->argv, cap * sizeof(*a));
    if (a == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    c->argv = a;
    size_t *l = realloc(c->lens, cap * sizeof(*l));
    if (l == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    c->lens = l;
    c->cap = cap;
    return 0;
}

int ra_respcmd_parse(ra_respcmd *c, const uint8_t *d, size_t n, size_t *used, ra_err *err) {
    size_t i = 0;
    long long argc = 0;
    c->argc = 0;
    int r = line_num(d, n, &i, '*', RA_RESPCMD_ARGC_MAX, &argc, err);
    if (r <= 0) return r;
    if (argc < 1) return bad(err, "an empty command", 0);
    for (long long a = 0; a < argc; a++) {
        long long len = 0;
        if ((r = line_num(d, n, &i, '$', RA_RESPCMD_BULK_MAX, &len, err)) <= 0) return r;
        if ((size_t)len + 2 > n - i) return 0;
        if (d[i + len] != '\r' || d[i + len + 1] != '\n') return bad(err, "an argument longer than its length", i + len);
        if (grow(c, (size_t)a + 1, err) < 0) return -1;
        c->argv[a] = (const char *)d + i;
        c->lens[a] = (size_t)len;
        i += (size_t)len + 2;
    }
    c->argc = (int)argc;
    *used = i;
    return 1;
}

int ra_respcmd_first_key(const ra_respcmd *c, long long first) {
    return first > 0 && first < c->argc ? (int)first : -1;
}

int ra_respcmd_is(const ra_respcmd *c, int i, const char *word) {
    return i >= 0 && i < c->argc && c->lens[i] == strlen(word) && strncasecmp(c->argv[i], word, c->lens[i]) == 0;
}

int ra_respcmd_unit_key(const uint8_t *d, size_t len, ra_respcmd_key_cb cb, void *ctx, const char **key,
                        size_t *key_len, int *ncmds, ra_err *err) {
    ra_respcmd c = {0};
    int found = 0, rc = 0;
    *ncmds = 0;
    for (size_t at = 0, used = 0; rc == 0 && at < len; at += used, (*ncmds)++) {
        int r = ra_respcmd_parse(&c, d + at, len - at, &used, err);
        if (r == 0) rc = ra_err_set(err, RA_E_SOURCE, "resp command: the bytes end inside a command");
        if (r <= 0) rc = -1;
        if (rc < 0 || found) continue;
        int i = cb(ctx, &c, err);
        if (i == -2) rc = -1;
        else if (i >= 0 && i < c.argc) {
            *key = c.argv[i];
            *key_len = c.lens[i];
            found = 1;
        }
    }
    ra_respcmd_clear(&c);
    return rc < 0 ? -1 : found;
}
