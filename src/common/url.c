/* url.c - the Redis URL parser and its password mask (rules in url.h). */
#include "common/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_FORMS "expected redis://[user[:password]@]host[:port] or rediss://..."

/* Where the part after the scheme starts: after "scheme://" when the scheme is a plain token
 * (letters, digits, '+', '-', '.'), else at the start (a "://" inside a password is no scheme). */
static const char *after_scheme(const char *url, size_t *scheme_len) {
    const char *p = strstr(url, "://");
    *scheme_len = 0;
    if (p == NULL || p == url) return url;
    for (const char *q = url; q < p; q++)
        if (!isalnum((unsigned char)*q) && *q != '+' && *q != '-' && *q != '.') return url;
    *scheme_len = (size_t)(p - url);
    return p + 3;
}

/* The password's span [*b, *e) in url (may be empty); 0 when there is no userinfo at all. */
static int password_span(const char *url, const char **b, const char **e) {
    size_t sl;
    const char *auth = after_scheme(url, &sl);
    const char *at = strrchr(auth, '@');
    if (at == NULL) return 0;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    *b = colon != NULL ? colon + 1 : auth;
    *e = at;
    return 1;
}

int ra_redis_url_has_password(const char *url) {
    const char *b, *e;
    return url != NULL && password_span(url, &b, &e) && e > b;
}

char *ra_redis_url_mask(const char *url) {
    const char *b, *e;
    if (url == NULL) return NULL;
    if (!password_span(url, &b, &e) || e == b) return strdup(url);
    size_t head = (size_t)(b - url), len = head + 3 + strlen(e) + 1;
    char *out = malloc(len);
    if (out == NULL) return NULL;
    memcpy(out, url, head);
    snprintf(out + head, len - head, "***%s", e);
    return out;
}

void ra_redis_url_scrub(char *url) {
    const char *b, *e;
    if (url == NULL || !password_span(url, &b, &e)) return;
    memset(url + (b - url), '*', (size_t)(e - b));
}

/* "invalid redis url '<masked>': <why> (<forms>)" */
static int bad(ra_err *err, const char *url, const char *why) {
    char *masked = ra_redis_url_mask(url);
    ra_err_set(err, RA_E_USAGE, "invalid redis url '%.200s': %s (" URL_FORMS ")", masked ? masked : "(masked)",
               why);
    free(masked);
    return -1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+n) into a new string; NULL for an empty span. -1 on a decoded NUL
 * (*nul set) or out of memory. */
static int decode(const char *s, size_t n, char **out, int *nul) {
    *out = NULL;
    *nul = 0;
    if (n == 0) return 0;
    char *d = malloc(n + 1);
    if (d == NULL) return -1;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            if (c == '\0') {
                explicit_bzero(d, j);
                free(d);
                *nul = 1;
                return -1;
            }
            d[j++] = c;
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    return 0;
}

/* A decimal number of 1..maxdigits digits spanning exactly [s, s+n); -1 otherwise. */
static long number(const char *s, size_t n, size_t maxdigits) {
    if (n == 0 || n > maxdigits) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int host_char(char c) { return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'; }

static int v6_char(char c) { return isxdigit((unsigned char)c) || c == ':' || c == '.' || c == '%'; }

/* One entry of the host list, [h, h+n), into hp; why names the fault. */
static int parse_host(const char *h, size_t n, ra_host_port *hp, const char **why) {
    const char *host = h, *port = NULL;
    size_t hl;
    if (n > 0 && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        if (rb == NULL) return *why = "an IPv6 address lacks its ']'", -1;
        host = h + 1;
        hl = (size_t)(rb - host);
        if (hl == 0) return *why = "empty IPv6 address", -1;
        for (size_t i = 0; i < hl; i++)
            if (!v6_char(host[i])) return *why = "bad character in an IPv6 address", -1;
        if (rb + 1 < h + n) {
            if (rb[1] != ':') return *why = "unexpected text after an IPv6 address", -1;
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(h, ':', n);
        hl = colon != NULL ? (size_t)(colon - h) : n;
        if (colon != NULL) port = colon + 1;
        if (colon != NULL && memchr(port, ':', (size_t)(h + n - port)) != NULL)
            return *why = "an IPv6 address goes in brackets", -1;
        if (hl == 0) return *why = "no host", -1;
        for (size_t i = 0; i < hl; i++)
            if (!host_char(host[i])) return *why = "bad character in a host name (IPv6 goes in brackets)", -1;
    }
    if (hl >= sizeof(hp->host)) return *why = "host name too long", -1;
    memcpy(hp->host, host, hl);
    hp->host[hl] = '\0';
    hp->port = RA_REDIS_PORT_DEFAULT;
    if (port != NULL) {
        long v = number(port, (size_t)(h + n - port), 5);
        if (v < 1 || v > 65535) return *why = "bad port (1..65535)", -1;
        hp->port = (int)v;
    }
    return 0;
}

int ra_redis_url_parse(const char *text, ra_redis_url *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    out->db = -1;
    if (text == NULL || *text == '\0') return ra_err_set(err, RA_E_USAGE, "no redis url given");
    size_t sl;
    const char *auth = after_scheme(text, &sl);
    if (sl == 5 && strncasecmp(text, "redis", 5) == 0) out->tls = 0;
    else if (sl == 6 && strncasecmp(text, "rediss", 6) == 0) out->tls = 1;
    else if (sl != 0) return bad(err, text, "unsupported scheme (use redis:// or rediss://)");
    const char *at = strrchr(auth, '@');
    const char *hosts = at != NULL ? at + 1 : auth;
    size_t hn = strcspn(hosts, "/?#");
    const char *tail = hosts + hn;
    if (*tail == '?' || *tail == '#') return bad(err, text, "no query or fragment after the hosts");
    if (*tail == '/' && tail[1] != '\0') {
        long db = number(tail + 1, strlen(tail + 1), 9);
        if (db < 0) return bad(err, text, "the path may only be a database number");
        out->db = (int)db;
    }
    for (const char *h = hosts, *end = hosts + hn; h <= end;) {
        const char *e = memchr(h, ',', (size_t)(end - h));
        if (e == NULL) e = end;
        const char *why = NULL;
        if (out->nhosts == RA_URL_HOSTS_MAX) return bad(err, text, "more than 8 hosts");
        if (parse_host(h, (size_t)(e - h), &out->hosts[out->nhosts], &why) < 0) {
            memset(out, 0, sizeof(*out));
            out->db = -1;
            return bad(err, text, why);
        }
        out->nhosts++;
        h = e + 1;
    }
    if (at != NULL) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        const char *pw = colon != NULL ? colon + 1 : auth;
        int nul = 0;
        if ((colon != NULL && decode(auth, (size_t)(colon - auth), &out->user, &nul) < 0) ||
            decode(pw, (size_t)(at - pw), &out->password, &nul) < 0) {
            ra_redis_url_clear(out);
            if (nul) return bad(err, text, "the user or password decodes to a NUL byte");
            return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
    }
    return 0;
}

void ra_redis_url_clear(ra_redis_url *u) {
    if (u == NULL) return;
    if (u->password != NULL) explicit_bzero(u->password, strlen(u->password));
    free(u->password);
    free(u->user);
    memset(u, 0, sizeof(*u));
    u->db = -1;
}
