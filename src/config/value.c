/* value.c - value parsers and canonical formatters (sizes, durations, windows, weekdays, zones,
 * booleans) and the URL password helpers: pure text work. The one look outside, whether a zone name
 * exists in the zoneinfo directory, is asked of load.c (ra_config_zone_check). */
#include "config/value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "option.h"

#define KIB RA_KIB
#define MIB RA_MIB
#define GIB RA_GIB

/* ---------- value parsers ---------- */

int ra_parse_bool(const char *s, int *out, ra_err *err) {
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; s && i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0) return *out = 0, 0;
    }
    return ra_err_set(err, RA_E_USAGE, "invalid boolean '%.64s' (use yes/no, true/false, on/off or 1/0)",
                      s ? s : "");
}

int ra_parse_int(const char *s, long long *out, ra_err *err) {
    const char *p = s ? s : "";
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) goto bad;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) goto bad;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) return ra_err_set(err, RA_E_USAGE, "number '%.64s' is too large", s);
    *out = v;
    return 0;
bad:
    return ra_err_set(err, RA_E_USAGE, "invalid number '%.64s'", s ? s : "");
}

/* Leading decimal digits of *p into *v, advancing *p; -1 on none or overflow. */
static int take_digits(const char **p, long long *v) {
    if (!isdigit((unsigned char)**p)) return -1;
    long long x = 0;
    for (; isdigit((unsigned char)**p); (*p)++) {
        int d = **p - '0';
        if (x > (LLONG_MAX - d) / 10) return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

int ra_parse_size(const char *s, long long *out, ra_err *err) {
    static const struct { const char *unit; long long mult; } units[] = {
        {"", 1}, {"b", 1}, {"k", KIB}, {"kb", KIB}, {"kib", KIB}, {"m", MIB}, {"mb", MIB},
        {"mib", MIB}, {"g", GIB}, {"gb", GIB}, {"gib", GIB}, {"t", GIB * 1024}, {"tb", GIB * 1024},
        {"tib", GIB * 1024},
    };
    const char *p = s ? s : "";
    long long v;
    if (take_digits(&p, &v) != 0) {
        if (isdigit((unsigned char)*p)) return ra_err_set(err, RA_E_USAGE, "size '%.64s' is too large", s);
        goto bad;
    }
    while (*p == ' ') p++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(p, units[i].unit) != 0) continue;
        if (v > LLONG_MAX / units[i].mult)
            return ra_err_set(err, RA_E_USAGE, "size '%.64s' is too large", s);
        *out = v * units[i].mult;
        return 0;
    }
bad:
    return ra_err_set(err, RA_E_USAGE,
                      "invalid size '%.64s' (use bytes or a number with K, M, G, T or KiB, MiB, "
                      "GiB, TiB: 16MiB, 16M, 16777216)", s ? s : "");
}

int ra_parse_duration(const char *s, long *seconds, ra_err *err) {
    const char *p = s ? s : "";
    long long total = 0, v;
    if (*p == '\0') goto bad;
    do {
        if (take_digits(&p, &v) != 0) {
            if (isdigit((unsigned char)*p)) goto big;
            goto bad;
        }
        long long mult;
        switch (*p) {
        case '\0': mult = 1; if (p != s + strspn(s, "0123456789")) goto bad; break; /* bare digits only alone */
        case 's': mult = 1; p++; break;
        case 'm': mult = 60; p++; break;
        case 'h': mult = 3600; p++; break;
        case 'd': mult = 86400; p++; break;
        case 'w': mult = 604800; p++; break;
        default: goto bad;
        }
        if (v > (LLONG_MAX - total) / mult) goto big;
        total += v * mult;
    } while (*p != '\0');
    if (total > LONG_MAX) goto big;
    *seconds = (long)total;
    return 0;
big:
    return ra_err_set(err, RA_E_USAGE, "duration '%.64s' is too large", s);
bad:
    return ra_err_set(err, RA_E_USAGE,
                      "invalid duration '%.64s' (use seconds or a number with s, m, h, d, w: "
                      "43200, 30m, 12h, 7d, 1h30m)", s ? s : "");
}

/* "H:MM" or "HH:MM" at *p -> minutes; allow_24 accepts "24:00". */
static int take_clock(const char **p, int allow_24) {
    const char *q = *p;
    int h = 0, m;
    if (!isdigit((unsigned char)*q)) return -1;
    h = *q++ - '0';
    if (isdigit((unsigned char)*q)) h = h * 10 + (*q++ - '0');
    if (*q++ != ':') return -1;
    if (!isdigit((unsigned char)q[0]) || !isdigit((unsigned char)q[1])) return -1;
    m = (q[0] - '0') * 10 + (q[1] - '0');
    q += 2;
    if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0))) return -1;
    *p = q;
    return (h * 60 + m) % 1440;
}

int ra_parse_window(const char *s, ra_window *out, ra_err *err) {
    const char *p = s ? s : "";
    int start = take_clock(&p, 0);
    if (start < 0) goto bad;
    while (*p == ' ') p++;
    if (*p++ != '-') goto bad;
    while (*p == ' ') p++;
    int end = take_clock(&p, 1);
    if (end < 0 || *p != '\0') goto bad;
    if (start == end)
        return ra_err_set(err, RA_E_USAGE, "window '%.64s' is empty: start and end are the same time", s);
    out->start = start;
    out->end = end;
    return 0;
bad:
    return ra_err_set(err, RA_E_USAGE,
                      "invalid window '%.64s' (use HH:MM-HH:MM, 24-hour clock: 02:00-03:00, 23:30-00:30)",
                      s ? s : "");
}

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const day_full[7] = {"sunday", "monday", "tuesday", "wednesday", "thursday",
                                        "friday", "saturday"};

static int day_index(const char *s, size_t n) {
    for (int i = 0; i < 7; i++) {
        if ((n == 3 && strncasecmp(s, day_names[i], 3) == 0) ||
            (n == strlen(day_full[i]) && strncasecmp(s, day_full[i], n) == 0))
            return i;
    }
    return -1;
}

int ra_parse_weekdays(const char *s, unsigned *mask, ra_err *err) {
    if (s == NULL) s = "";
    if (strcmp(s, "*") == 0 || strcasecmp(s, "all") == 0) return *mask = RA_WEEKDAYS_ALL, 0;
    unsigned m = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, ",-");
        size_t tn = n;
        while (tn > 0 && p[tn - 1] == ' ') tn--;
        int a = day_index(p, tn), b;
        if (a < 0) goto bad;
        p += n;
        b = a;
        if (*p == '-') {
            p++;
            while (*p == ' ') p++;
            n = strcspn(p, ",-");
            tn = n;
            while (tn > 0 && p[tn - 1] == ' ') tn--;
            if ((b = day_index(p, tn)) < 0) goto bad;
            p += n;
            if (*p == '-') goto bad;
        }
        for (int d = a;; d = (d + 1) % 7) {  /* ranges may wrap: sat-mon */
            m |= 1u << d;
            if (d == b) break;
        }
        if (*p == '\0') break;
        p++;  /* ',' */
    }
    *mask = m;
    return 0;
bad:
    return ra_err_set(err, RA_E_USAGE,
                      "invalid weekdays '%.64s' (use *, day names and ranges: mon,wed,fri or mon-fri)", s);
}

int ra_parse_timezone(const char *s, int *fixed, long *offset, ra_err *err) {
    if (s == NULL || *s == '\0') goto bad;
    if (strcasecmp(s, "UTC") == 0 || strcasecmp(s, "GMT") == 0 || strcmp(s, "Z") == 0) {
        *fixed = 1;
        *offset = 0;
        return 0;
    }
    if (s[0] == '+' || s[0] == '-') {
        const char *p = s + 1;
        int h = 0, m = 0, nd = 0;
        while (isdigit((unsigned char)*p) && nd < 2) h = h * 10 + (*p++ - '0'), nd++;
        if (nd == 0) goto bad;
        if (*p == ':') p++;
        if (*p != '\0') {
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0') goto bad;
            m = (p[0] - '0') * 10 + (p[1] - '0');
        }
        if (h > 14 || m > 59 || (h == 14 && m > 0))
            return ra_err_set(err, RA_E_USAGE, "time zone offset '%.64s' is out of range (-14:00..+14:00)", s);
        *fixed = 1;
        *offset = (s[0] == '-' ? -1L : 1L) * (h * 3600L + m * 60L);
        return 0;
    }
    /* An IANA name: Area/Location, letters, digits, '_', '-', '+'. */
    if (strlen(s) > 64 || !isalpha((unsigned char)s[0]) || strstr(s, "..") != NULL ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-+") != strlen(s))
        goto bad;
    if (ra_config_zone_check(s, err) != 0) return -1;
    *fixed = 0;
    *offset = 0;
    return 0;
bad:
    return ra_err_set(err, RA_E_USAGE,
                      "invalid time zone '%.64s' (use UTC, an offset like +08:00, or a name like "
                      "Asia/Shanghai)", s ? s : "");
}

/* ---------- formatting ---------- */

void ra_format_size(long long b, char *out, size_t outsz) {
    if (b != 0 && b % GIB == 0) snprintf(out, outsz, "%lldGiB", b / GIB);
    else if (b != 0 && b % MIB == 0) snprintf(out, outsz, "%lldMiB", b / MIB);
    else if (b != 0 && b % KIB == 0) snprintf(out, outsz, "%lldKiB", b / KIB);
    else snprintf(out, outsz, "%lld", b);
}

void ra_format_duration(long s, char *out, size_t outsz) {
    if (s != 0 && s % 86400 == 0) snprintf(out, outsz, "%ldd", s / 86400);
    else if (s != 0 && s % 3600 == 0) snprintf(out, outsz, "%ldh", s / 3600);
    else if (s != 0 && s % 60 == 0) snprintf(out, outsz, "%ldm", s / 60);
    else snprintf(out, outsz, "%lds", s);
}

void ra_format_window(const ra_window *w, char *out, size_t outsz) {
    snprintf(out, outsz, "%02d:%02d-%02d:%02d", w->start / 60 % 100, w->start % 60,
             w->end / 60 % 100, w->end % 60);
}

void ra_format_weekdays(unsigned mask, char *out, size_t outsz) {
    mask &= RA_WEEKDAYS_ALL;
    if (outsz == 0) return;
    out[0] = '\0';
    if (mask == RA_WEEKDAYS_ALL) {
        snprintf(out, outsz, "*");
        return;
    }
    size_t n = 0;
    for (int d = 0; d < 7;) {
        if (!(mask & (1u << d))) {
            d++;
            continue;
        }
        int e = d;
        while (e + 1 < 7 && (mask & (1u << (e + 1)))) e++;
        int w;
        if (e - d >= 2)
            w = snprintf(out + n, outsz - n, "%s%s-%s", n ? "," : "", day_names[d], day_names[e]);
        else if (e > d)
            w = snprintf(out + n, outsz - n, "%s%s,%s", n ? "," : "", day_names[d], day_names[e]);
        else
            w = snprintf(out + n, outsz - n, "%s%s", n ? "," : "", day_names[d]);
        if (w < 0 || (size_t)w >= outsz - n) return;
        n += (size_t)w;
        d = e + 1;
    }
}

/* ---------- the AWS shared config file ---------- */

static const char *trim_span(const char *s, const char *e, const char **end) {
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *end = e;
    return s;
}

static int span_is(const char *s, const char *e, const char *word) {
    size_t n = strlen(word);
    return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

char *ra_parse_aws_config_region(const char *text, size_t len, const char *profile) {
    char want[256];
    int is_default = strcmp(profile, "default") == 0;
    snprintf(want, sizeof(want), "profile %s", profile);
    int in = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *line = p;
        p = nl ? nl + 1 : end;
        if (line < le && (*line == ' ' || *line == '\t')) continue; /* a sub-section's line */
        const char *e;
        const char *s = trim_span(line, le, &e);
        if (s == e || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            const char *close = memchr(s, ']', (size_t)(e - s));
            if (close == NULL) continue;
            const char *ne;
            const char *name = trim_span(s + 1, close, &ne);
            in = span_is(name, ne, want) || (is_default && span_is(name, ne, "default"));
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!in || eq == NULL) continue;
        const char *ke, *ve;
        const char *k = trim_span(s, eq, &ke), *v = trim_span(eq + 1, e, &ve);
        if (ke - k == 6 && strncasecmp(k, "region", 6) == 0 && v < ve && memchr(v, '\0', (size_t)(ve - v)) == NULL)
            return strndup(v, (size_t)(ve - v));
    }
    return NULL;
}
