/* config.c - one option table drives parsing (file, environment, flags), --help and the sample file. */
#include "config/config.h"
#include "common/text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1024 * 1024)
#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

typedef enum opt_type { T_STR, T_BOOL, T_INT, T_SIZE, T_DURATION, T_WINDOW, T_WEEKDAYS, T_TZ, T_ENUM } opt_type;

/* Checks a non-empty string value; may replace it with a normalized copy in *norm. */
typedef int (*check_fn)(const char *v, char **norm, ra_err *err);

#define OPT_URL 1u     /* may carry a password: masked when shown */
#define OPT_NOFILE 2u  /* not settable in the config file */

typedef struct opt {
    const char *name;
    opt_type type;
    size_t off;               /* field in ra_config */
    const char *def;          /* default as text; "" = unset */
    long long min, max;       /* T_INT, T_SIZE, T_DURATION */
    const char *arg;          /* kind of value, for --help */
    const char *help;         /* one line */
    const char *doc;          /* more lines for the sample file, may be NULL */
    const char *example;      /* shown commented out in the sample when def is "" */
    const char *const *choices;  /* T_ENUM, index = stored value */
    check_fn check;           /* T_STR */
    unsigned flags;
} opt;

static int check_redis_url(const char *v, char **norm, ra_err *err);
static int check_http_url(const char *v, char **norm, ra_err *err);
static int check_instance(const char *v, char **norm, ra_err *err);
static int check_region(const char *v, char **norm, ra_err *err);
static int check_bucket(const char *v, char **norm, ra_err *err);
static int check_prefix(const char *v, char **norm, ra_err *err);
static int check_hostname(const char *v, char **norm, ra_err *err);
static int check_sentinel_master(const char *v, char **norm, ra_err *err);

static const char *const log_formats[] = {"auto", "text", "json", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const part_checksums[] = {"auto", "sha256", "md5", "none", NULL}; /* = ra_upload_checksum */

#define F(field) offsetof(ra_config, field)

static const opt opts[RA_CONFIG_NKEYS] = {
    [RA_KEY_SOURCE] = {"source", T_STR, F(source), "redis://127.0.0.1:6379", 0, 0, "URL",
        "the Redis to back up: redis://[user[:password]@]host:port or rediss:// for TLS",
        "Best a replica; a master is refused unless allow-master or pick-replica is set.\n"
        "The password may be in the URL or in REDISCLI_AUTH. Given as a flag, it shows in\n"
        "the process list: prefer this file, REDIS_ARCHIVER_SOURCE or REDISCLI_AUTH.",
        NULL, NULL, check_redis_url, OPT_URL},
    [RA_KEY_INSTANCE] = {"instance", T_STR, F(instance), "default", 0, 0, "NAME",
        "name of this Redis in the bucket: backups go under <prefix><instance>/",
        "Letters, digits, '.', '_' and '-'. One archiver per instance name.", NULL, NULL,
        check_instance, 0},
    [RA_KEY_ENDPOINT] = {"endpoint", T_STR, F(endpoint), "", 0, 0, "URL",
        "S3 endpoint URL; empty: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS S3",
        "Credentials never go here: they come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY\n"
        "(and AWS_SESSION_TOKEN) or the AWS shared credentials file.",
        "http://127.0.0.1:7480", NULL, check_http_url, OPT_URL},
    [RA_KEY_PUBLIC_ENDPOINT] = {"public-endpoint", T_STR, F(public_endpoint), "", 0, 0, "URL",
        "endpoint that download links are signed for, when clients reach S3 by another address",
        "Empty: the endpoint above.", "https://s3.example.com", NULL, check_http_url, OPT_URL},
    [RA_KEY_REGION] = {"region", T_STR, F(region), "", 0, 0, "NAME",
        "S3 region; empty: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1", NULL, "us-east-1",
        NULL, check_region, 0},
    [RA_KEY_BUCKET] = {"bucket", T_STR, F(bucket), "", 0, 0, "NAME",
        "S3 bucket for backups; required by every command that touches S3", NULL, "my-backups",
        NULL, check_bucket, 0},
    [RA_KEY_PREFIX] = {"prefix", T_STR, F(prefix), "redis-archiver/", 0, 0, "PREFIX",
        "key prefix in the bucket; a '/' is added when missing", NULL, NULL, NULL, check_prefix, 0},
    [RA_KEY_PATH_STYLE] = {"path-style", T_BOOL, F(path_style), "no", 0, 0, "BOOL",
        "address the bucket as <endpoint>/<bucket> instead of <bucket>.<endpoint host>",
        "Most self-hosted stores (Ceph RGW, MinIO) want yes.", NULL, NULL, NULL, 0},
    [RA_KEY_PART_SIZE] = {"part-size", T_SIZE, F(part_size), "16MiB", 5 * MIB, 5 * GIB, "SIZE",
        "size of each multipart upload part, 5MiB..5GiB (16MiB, 16M or 16777216)",
        "Memory used is about part-size x (concurrency + 1). S3 allows 10000 parts per object;\n"
        "parts grow as a long upload goes on, so any RDB size fits.",
        NULL, NULL, NULL, 0},
    [RA_KEY_CONCURRENCY] = {"concurrency", T_INT, F(concurrency), "4", 1, 64, "N",
        "parts uploaded at the same time, 1..64", NULL, NULL, NULL, NULL, 0},
    [RA_KEY_PART_CHECKSUM] = {"part-checksum", T_ENUM, F(part_checksum), "auto", 0, 0, "auto|sha256|md5|none",
        "integrity check of each part that the store verifies",
        "sha256: signed payload hash (0.6 CPU-s/GiB); md5: Content-MD5 (1.4 CPU-s/GiB); none: only TCP or\n"
        "TLS protect the bytes; auto: sha256 over http://, none over https:// (TLS already\n"
        "authenticates every byte). The RDB's own CRC-64 is checked in every case.",
        NULL, part_checksums, NULL, 0},
    [RA_KEY_RETENTION_DAYS] = {"retention-days", T_INT, F(retention_days), "7", 1, 3650, "DAYS",
        "days a backup is kept, 1..3650; applied as a bucket lifecycle rule",
        "Stores without lifecycle support: see sweep.", NULL, NULL, NULL, 0},
    [RA_KEY_WINDOW] = {"window", T_WINDOW, F(window), "02:00-03:00", 0, 0, "HH:MM-HH:MM",
        "daily window in which the daemon starts a backup, at a random minute; may cross midnight",
        "If the daemon starts after today's window ended and no backup ran in it, it runs one\n"
        "at once.", NULL, NULL, NULL, 0},
    [RA_KEY_WEEKDAYS] = {"weekdays", T_WEEKDAYS, F(weekdays), "*", 0, 0, "DAYS",
        "days the window opens on: * (every day), mon,wed,fri or mon-fri",
        "A window crossing midnight belongs to the day it starts on.", NULL, NULL, NULL, 0},
    [RA_KEY_TIMEZONE] = {"timezone", T_TZ, F(timezone), "UTC", 0, 0, "ZONE",
        "time zone of the window: UTC, a fixed offset like +08:00, or a name like Asia/Shanghai",
        NULL, NULL, NULL, NULL, 0},
    [RA_KEY_URL_EXPIRY] = {"url-expiry", T_DURATION, F(url_expiry), "12h", 1, 604800, "DURATION",
        "lifetime of download links: 30m, 12h, 7d or seconds; at most 7d",
        "A link made with temporary credentials dies with them, whichever comes first.", NULL,
        NULL, NULL, 0},
    [RA_KEY_TLS_CA_FILE] = {"tls-ca-file", T_STR, F(tls_ca_file), "", 0, 0, "PATH",
        "rediss: CA bundle to verify the server with; empty: the system's", NULL,
        "/etc/redis/tls/ca.crt", NULL, NULL, 0},
    [RA_KEY_TLS_CERT_FILE] = {"tls-cert-file", T_STR, F(tls_cert_file), "", 0, 0, "PATH",
        "rediss: client certificate, when the server asks for one", NULL,
        "/etc/redis/tls/client.crt", NULL, NULL, 0},
    [RA_KEY_TLS_KEY_FILE] = {"tls-key-file", T_STR, F(tls_key_file), "", 0, 0, "PATH",
        "rediss: private key of the client certificate", NULL, "/etc/redis/tls/client.key", NULL,
        NULL, 0},
    [RA_KEY_TLS_SERVER_NAME] = {"tls-server-name", T_STR, F(tls_server_name), "", 0, 0, "HOST",
        "rediss: name to expect in the server's certificate (SNI); empty: the URL's host", NULL,
        "redis.example.com", NULL, check_hostname, 0},
    [RA_KEY_TLS_INSECURE] = {"tls-insecure", T_BOOL, F(tls_insecure), "no", 0, 0, "BOOL",
        "rediss: do not verify the server's certificate (warns; for tests only)", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_S3_CA_FILE] = {"s3-ca-file", T_STR, F(s3_ca_file), "", 0, 0, "PATH",
        "CA bundle to verify an https S3 endpoint with; empty: the system's", NULL,
        "/etc/ssl/private-ca.pem", NULL, NULL, 0},
    [RA_KEY_S3_INSECURE] = {"s3-insecure", T_BOOL, F(s3_insecure), "no", 0, 0, "BOOL",
        "do not verify the S3 endpoint's certificate (warns; for tests only)", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_ALLOW_MASTER] = {"allow-master", T_BOOL, F(allow_master), "no", 0, 0, "BOOL",
        "accept a master as the source (a full sync costs it a fork and memory)", NULL, NULL,
        NULL, NULL, 0},
    [RA_KEY_PICK_REPLICA] = {"pick-replica", T_BOOL, F(pick_replica), "no", 0, 0, "BOOL",
        "given a master, back up from its healthiest replica instead", NULL, NULL, NULL, NULL, 0},
    [RA_KEY_SENTINEL_MASTER] = {"sentinel-master", T_STR, F(sentinel_master), "", 0, 0, "NAME",
        "name of the master at the Sentinel that source then names; back up from its best replica",
        "The source URL may list several Sentinels, asked in order until one answers:\n"
        "redis://[user:password@]host1:26379,host2:26379,host3:26379.\n"
        "The replica with master-link-status ok, not s_down/o_down/disconnected, and the highest\n"
        "slave-repl-offset is used (pick-replica is implied). The sentinel gets the same\n"
        "credentials as the data nodes; a sentinel without a password is used without one.",
        "mymaster", NULL, check_sentinel_master, 0},
    [RA_KEY_CONNECT_TIMEOUT] = {"connect-timeout", T_DURATION, F(connect_timeout), "10s", 1, 3600,
        "DURATION", "how long to wait for a connection to Redis or S3, 1s..1h", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_READ_TIMEOUT] = {"read-timeout", T_DURATION, F(read_timeout), "60s", 1, 86400,
        "DURATION", "a transfer with no progress for this long fails, 1s..1d",
        "Keep-alives that Redis sends while it forks and saves count as progress: see sync-timeout.",
        NULL, NULL, NULL, 0},
    [RA_KEY_SYNC_TIMEOUT] = {"sync-timeout", T_DURATION, F(sync_timeout), "1h", 1, 604800,
        "DURATION", "longest wait for the snapshot to start streaming, 1s..7d",
        "While the source forks and saves, it sends only keep-alives; past this the backup fails.",
        NULL, NULL, NULL, 0},
    [RA_KEY_SWEEP] = {"sweep", T_BOOL, F(sweep), "no", 0, 0, "BOOL",
        "backup deletes expired backups itself at its end, for stores without lifecycle rules",
        NULL, NULL, NULL, NULL, 0},
    [RA_KEY_LOG_FORMAT] = {"log-format", T_ENUM, F(log_format), "auto", 0, 0, "auto|text|json",
        "log lines as text or JSON; auto: text on a terminal, JSON otherwise", NULL, NULL,
        log_formats, NULL, 0},
    [RA_KEY_LOG_LEVEL] = {"log-level", T_ENUM, F(log_level), "info", 0, 0,
        "debug|info|warn|error", "least severe level logged", NULL, NULL, log_levels, NULL, 0},
    [RA_KEY_CONFIG] = {"config", T_STR, F(config), "", 0, 0, "PATH",
        "config file; default " RA_CONFIG_DEFAULT_FILE " when it exists", NULL, NULL, NULL, NULL,
        OPT_NOFILE},
};

#undef F

/* ---------- small helpers ---------- */

static int has_ctl(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 1;
    return 0;
}

static int xstrdup(char **dst, const char *s, ra_err *err) {
    char *p = strdup(s);
    if (p == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    free(*dst);
    *dst = p;
    return 0;
}

static void *field(ra_config *c, const opt *o) { return (char *)c + o->off; }
static const void *cfield(const ra_config *c, const opt *o) { return (const char *)c + o->off; }

static int push_warning(ra_config *c, const char *text) {
    char **w = realloc(c->warnings, (size_t)(c->nwarnings + 1) * sizeof(*w));
    if (w == NULL) return -1;
    c->warnings = w;
    if ((w[c->nwarnings] = strdup(text)) == NULL) return -1;
    c->nwarnings++;
    return 0;
}

const char *ra_config_key_name(ra_config_key k) {
    return (unsigned)k < RA_CONFIG_NKEYS ? opts[k].name : NULL;
}

static int find_n(const char *name, size_t n) {
    for (int i = 0; i < RA_CONFIG_NKEYS; i++)
        if (strlen(opts[i].name) == n && memcmp(opts[i].name, name, n) == 0) return i;
    return -1;
}

int ra_config_key_find(const char *name) { return name ? find_n(name, strlen(name)) : -1; }

void ra_config_env_name(const char *key, char *out, size_t outsz) {
    if (outsz == 0) return;
    size_t n = (size_t)snprintf(out, outsz, "%s", RA_CONFIG_ENV_PREFIX);
    for (; *key && n + 1 < outsz; key++, n++)
        out[n] = *key == '-' ? '_' : (char)toupper((unsigned char)*key);
    out[n < outsz ? n : outsz - 1] = '\0';
}

const char *ra_config_suggest(const char *name) {
    if (name == NULL) return NULL;
    while (*name == '-') name++;
    char norm[64];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(norm)) return NULL;
    for (size_t i = 0; i <= n; i++) norm[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
    const char *best = NULL, *prefix_of = NULL;
    int best_d = 3, nprefix = 0;
    for (int i = 0; i < RA_CONFIG_NKEYS; i++) {
        int d = ra_edit_distance(norm, opts[i].name);
        if (d < best_d) {
            best_d = d;
            best = opts[i].name;
        }
        if (n >= 3 && strncmp(opts[i].name, norm, n) == 0) {
            prefix_of = opts[i].name;
            nprefix++;
        }
    }
    if (best != NULL && (best_d == 0 || best_d * 2 <= (int)n)) return best;
    return nprefix == 1 ? prefix_of : NULL;
}

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
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0') dir = "/usr/share/zoneinfo";
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, s);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return ra_err_set(err, RA_E_USAGE, "unknown time zone '%s' (not in %.200s)", s, dir);
    }
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

/* ---------- URLs ---------- */

/* Userinfo of scheme://userinfo@host...: sets [*b, *e) and returns 1 when there is one. */
static int url_userinfo(const char *url, const char **b, const char **e) {
    const char *p = strstr(url, "://");
    if (p == NULL) return 0;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++)
        if (p[i] == '@') at = p + i;
    if (at == NULL) return 0;
    *b = p;
    *e = at;
    return 1;
}

int ra_url_has_password(const char *url) {
    const char *b, *e;
    if (url == NULL || !url_userinfo(url, &b, &e)) return 0;
    const char *colon = memchr(b, ':', (size_t)(e - b));
    return colon ? colon + 1 < e : e > b;  /* "user:pw@", or "pw@" as redis-cli reads it */
}

void ra_url_scrub_password(char *url) {
    const char *b, *e;
    if (url == NULL || !ra_url_has_password(url) || !url_userinfo(url, &b, &e)) return;
    const char *colon = memchr(b, ':', (size_t)(e - b));
    char *from = url + ((colon ? colon + 1 : b) - url);
    memset(from, '*', (size_t)(e - (colon ? colon + 1 : b)));
}

char *ra_url_mask_password(const char *url) {
    const char *b, *e;
    if (url == NULL) return NULL;
    if (!ra_url_has_password(url) || !url_userinfo(url, &b, &e)) return strdup(url);
    const char *colon = memchr(b, ':', (size_t)(e - b));
    const char *cut = colon ? colon + 1 : b;
    size_t head = (size_t)(cut - url), len = head + 3 + strlen(e) + 1;
    char *out = malloc(len);
    if (out == NULL) return NULL;
    memcpy(out, url, head);
    snprintf(out + head, len - head, "***%s", e);
    return out;
}

/* ---------- string checks ---------- */

/* host[:port] or [v6][:port] of an authority; message names the URL kind. */
static int check_hostport(const char *h, size_t n, const char *what, const char *v, ra_err *err) {
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (h[i] == '@') at = h + i;
    if (at != NULL) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    size_t hostlen = n;
    const char *port = NULL;
    if (n > 0 && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        if (rb == NULL) goto bad;
        hostlen = (size_t)(rb + 1 - h);
        if (hostlen < n) {
            if (h[hostlen] != ':') goto bad;
            port = h + hostlen + 1;
        }
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon != NULL) {
            hostlen = (size_t)(colon - h);
            port = colon + 1;
        }
    }
    if (hostlen == 0) goto bad;
    if (port != NULL) {
        size_t pl = n - (size_t)(port - h);
        long pv = 0;
        if (pl == 0 || pl > 5) goto bad;
        for (size_t i = 0; i < pl; i++) {
            if (!isdigit((unsigned char)port[i])) goto bad;
            pv = pv * 10 + (port[i] - '0');
        }
        if (pv < 1 || pv > 65535) goto bad;
    }
    return 0;
bad:;
    char *masked = ra_url_mask_password(v);
    ra_err_set(err, RA_E_USAGE, "invalid %s '%.200s' (no host, or a bad port)", what,
               masked ? masked : "");
    free(masked);
    return -1;
}

/* list: the hosts may be a comma-separated list (after the user info), each checked. */
static int check_url(const char *v, const char *const *schemes, const char *what, const char *forms, int list,
                     ra_err *err) {
    const char *p = NULL;
    for (; *schemes; schemes++) {
        size_t n = strlen(*schemes);
        if (strncasecmp(v, *schemes, n) == 0) p = v + n;
    }
    if (p == NULL || strchr(v, ' ') != NULL) {
        char *masked = ra_url_mask_password(v);
        ra_err_set(err, RA_E_USAGE, "invalid %s '%.200s' (%s)", what, masked ? masked : "", forms);
        free(masked);
        return -1;
    }
    size_t n = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '@') at = p + i;
    const char *comma = list ? memchr(at ? at : p, ',', n - (size_t)((at ? at : p) - p)) : NULL;
    if (comma == NULL) return check_hostport(p, n, what, v, err);
    /* user info (a password may hold ',') first, then each host of the list */
    for (const char *h = at ? at + 1 : p, *end = p + n; h <= end;) {
        const char *e = memchr(h, ',', (size_t)(end - h));
        if (e == NULL) e = end;
        if (check_hostport(h, (size_t)(e - h), what, v, err) != 0) return -1;
        h = e + 1;
    }
    return 0;
}

static int check_redis_url(const char *v, char **norm, ra_err *err) {
    static const char *const s[] = {"redis://", "rediss://", NULL};
    (void)norm;
    return check_url(v, s, "redis URL", "use redis://host:port or rediss://host:port", 1, err);
}

static int check_http_url(const char *v, char **norm, ra_err *err) {
    static const char *const s[] = {"http://", "https://", NULL};
    (void)norm;
    if (check_url(v, s, "endpoint URL", "use http://host:port or https://host", 0, err) != 0) return -1;
    /* Object keys and signed queries are appended to the endpoint: it cannot carry its own. */
    const char *auth = strstr(v, "://") + 3;
    if (auth[strcspn(auth, "?#")] != '\0' || memchr(auth, '@', strcspn(auth, "/")) != NULL)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid endpoint URL '%.200s' (no user, query or fragment: http://host:port or "
                          "https://host)", v);
    return 0;
}

static int check_instance(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 128 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n ||
        strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid instance name '%.64s' (letters, digits, '.', '_' and '-', at most 128)", v);
    return 0;
}

/* Sentinel names are single words in sentinel.conf: printable, no spaces. */
static int check_sentinel_master(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] == 0x7f)
            return ra_err_set(err, RA_E_USAGE, "invalid sentinel master name '%.64s' (no spaces or "
                              "control characters)", v);
    if (n > 255) return ra_err_set(err, RA_E_USAGE, "sentinel master name longer than 255 bytes");
    return 0;
}

static int check_region(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
        return ra_err_set(err, RA_E_USAGE, "invalid region '%.64s' (like us-east-1)", v);
    return 0;
}

static int check_bucket(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n < 3 || n > 255 || !isalnum((unsigned char)v[0]) ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid bucket name '%.64s' (3 to 255 letters, digits, '.', '_', '-')", v);
    return 0;
}

static int check_prefix(const char *v, char **norm, ra_err *err) {
    size_t n = strlen(v);
    if (n + (v[n - 1] != '/') > 512 || v[0] == '/')  /* the limit holds for the stored prefix */
        return ra_err_set(err, RA_E_USAGE, "invalid prefix '%.64s' (no leading '/', at most 512 bytes)", v);
    if (v[n - 1] != '/') {
        if ((*norm = malloc(n + 2)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        memcpy(*norm, v, n);
        memcpy(*norm + n, "/", 2);
    }
    return 0;
}

static int check_hostname(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 253 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != n)
        return ra_err_set(err, RA_E_USAGE, "invalid host name '%.64s'", v);
    return 0;
}

/* ---------- setting values ---------- */

static int range_err(const opt *o, const char *v, ra_err *err) {
    char lo[32], hi[32];
    if (o->type == T_SIZE) {
        ra_format_size(o->min, lo, sizeof(lo));
        ra_format_size(o->max, hi, sizeof(hi));
    } else if (o->type == T_DURATION) {
        ra_format_duration((long)o->min, lo, sizeof(lo));
        ra_format_duration((long)o->max, hi, sizeof(hi));
    } else {
        snprintf(lo, sizeof(lo), "%lld", o->min);
        snprintf(hi, sizeof(hi), "%lld", o->max);
    }
    return ra_err_set(err, RA_E_USAGE, "'%.64s' is out of range (%s..%s)", v, lo, hi);
}

static int set_value(ra_config *c, const opt *o, const char *v, ra_err *err) {
    if (has_ctl(v)) return ra_err_set(err, RA_E_USAGE, "value contains a control character");
    if (strlen(v) > RA_CONFIG_VALUE_MAX)
        return ra_err_set(err, RA_E_USAGE, "value is longer than %d bytes", RA_CONFIG_VALUE_MAX);
    switch (o->type) {
    case T_STR: {
        char **dst = field(c, o);
        if (*v == '\0') {
            if (o == &opts[RA_KEY_SOURCE] || o == &opts[RA_KEY_INSTANCE])
                return ra_err_set(err, RA_E_USAGE, "needs a value");
            free(*dst);
            *dst = NULL;
            if (o == &opts[RA_KEY_PREFIX]) return xstrdup(dst, "", err);
            return 0;
        }
        char *norm = NULL;
        if (o->check != NULL && o->check(v, &norm, err) != 0) return -1;
        if (norm != NULL) {
            free(*dst);
            *dst = norm;
            return 0;
        }
        return xstrdup(dst, v, err);
    }
    case T_BOOL:
        return ra_parse_bool(v, field(c, o), err);
    case T_INT: {
        long long x;
        if (ra_parse_int(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(int *)field(c, o) = (int)x;
        return 0;
    }
    case T_SIZE: {
        long long x;
        if (ra_parse_size(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(long long *)field(c, o) = x;
        return 0;
    }
    case T_DURATION: {
        long x;
        if (ra_parse_duration(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(long *)field(c, o) = x;
        return 0;
    }
    case T_WINDOW:
        return ra_parse_window(v, field(c, o), err);
    case T_WEEKDAYS: {
        unsigned m;
        if (ra_parse_weekdays(v, &m, err) != 0) return -1;
        *(unsigned *)field(c, o) = m;
        return 0;
    }
    case T_TZ: {
        int fixed;
        long off;
        if (ra_parse_timezone(v, &fixed, &off, err) != 0) return -1;
        if (xstrdup(field(c, o), v, err) != 0) return -1;
        c->tz_fixed = fixed;
        c->tz_offset = off;
        return 0;
    }
    case T_ENUM:
        for (int i = 0; o->choices[i]; i++) {
            if (strcasecmp(v, o->choices[i]) == 0) {
                *(int *)field(c, o) = i;
                return 0;
            }
        }
        return ra_err_set(err, RA_E_USAGE, "invalid value '%.64s' (use %s)", v, o->arg);
    }
    return ra_err_set(err, RA_E_INTERNAL, "bad option type");
}

int ra_config_set(ra_config *c, const char *key, const char *value, ra_config_origin origin,
                  int line, const char *where, ra_err *err) {
    int k = ra_config_key_find(key);
    if (k < 0) {
        const char *s = ra_config_suggest(key);
        if (s != NULL)
            return ra_err_set(err, RA_E_USAGE, "%s: unknown key '%.64s' (did you mean '%s'?)", where, key, s);
        return ra_err_set(err, RA_E_USAGE, "%s: unknown key '%.64s'", where, key);
    }
    if (set_value(c, &opts[k], value ? value : "", err) != 0)
        return ra_err_prefix(err, "%s: ", where);
    c->origin[k] = origin;
    c->origin_line[k] = origin == RA_ORIGIN_FILE ? line : 0;
    return 0;
}

void ra_config_init(ra_config *c) {
    memset(c, 0, sizeof(*c));
    for (int k = 0; k < RA_CONFIG_NKEYS; k++)
        (void)set_value(c, &opts[k], opts[k].def, NULL);  /* defaults parse: tested */
}

void ra_config_free(ra_config *c) {
    if (c == NULL) return;
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (opts[k].type == T_STR || opts[k].type == T_TZ) {
            char **p = field(c, &opts[k]);
            free(*p);
            *p = NULL;
        }
    }
    for (int i = 0; i < c->nwarnings; i++) free(c->warnings[i]);
    free(c->warnings);
    free(c->rest);
    memset(c, 0, sizeof(*c));
}

/* ---------- the file ---------- */

int ra_config_parse_text(ra_config *c, const char *text, size_t len, const char *name, ra_err *err) {
    int seen[RA_CONFIG_NKEYS] = {0};
    char *val = malloc(len + 1);  /* a value is never longer than the text */
    char key[72];
    int lineno = 0, rc = -1;
    if (val == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n > 0 && line[n - 1] == '\r') n--;
        if (memchr(line, '\0', n) != NULL) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: NUL byte in line", name, lineno);
            goto out;
        }
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == n || line[i] == '#') continue;
        size_t kb = i;
        while (i < n && line[i] != ' ' && line[i] != '\t') i++;
        size_t kn = i - kb;
        const char *eq = memchr(line + kb, '=', kn);
        if (eq != NULL) kn = (size_t)(eq - (line + kb));  /* "key=value": name the key, reject below */
        snprintf(key, sizeof(key), "%.*s", (int)(kn < 64 ? kn : 64), line + kb);
        int k = find_n(line + kb, kn);
        if (k < 0) {
            const char *s = kn < 64 ? ra_config_suggest(key) : NULL;
            if (has_ctl(key)) snprintf(key, sizeof(key), "?");
            if (s != NULL)
                ra_err_set(err, RA_E_USAGE, "%s:%d: unknown key '%s' (did you mean '%s'?)", name, lineno, key, s);
            else
                ra_err_set(err, RA_E_USAGE, "%s:%d: unknown key '%s'", name, lineno, key);
            goto out;
        }
        if (eq != NULL) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: write '%s value', not '%s=value'", name, lineno, key, key);
            goto out;
        }
        if (opts[k].flags & OPT_NOFILE) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: key '%s' cannot be set in a config file", name, lineno, key);
            goto out;
        }
        if (seen[k]) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: duplicate key '%s' (first set on line %d)", name, lineno,
                       key, seen[k]);
            goto out;
        }
        seen[k] = lineno;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == n || line[i] == '#') {
            ra_err_set(err, RA_E_USAGE, "%s:%d: key '%s' needs a value", name, lineno, key);
            goto out;
        }
        size_t vn = 0;
        if (line[i] == '"') {
            int closed = 0;
            for (i++; i < n; i++) {
                if (line[i] == '"') {
                    closed = 1;
                    i++;
                    break;
                }
                if (line[i] == '\\') {
                    if (i + 1 == n || (line[i + 1] != '"' && line[i + 1] != '\\')) {
                        ra_err_set(err, RA_E_USAGE, "%s:%d: %s: bad escape in quoted value (only \\\" and \\\\)",
                                   name, lineno, key);
                        goto out;
                    }
                    i++;
                }
                val[vn++] = line[i];
            }
            if (!closed) {
                ra_err_set(err, RA_E_USAGE, "%s:%d: %s: unterminated quoted value", name, lineno, key);
                goto out;
            }
            while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
            if (i < n && line[i] != '#') {
                ra_err_set(err, RA_E_USAGE, "%s:%d: %s: unexpected text after the closing quote", name,
                           lineno, key);
                goto out;
            }
        } else {
            /* The rest of the line; " #" starts a comment. */
            size_t e = i;
            while (e < n && !(line[e] == '#' && (line[e - 1] == ' ' || line[e - 1] == '\t'))) e++;
            while (e > i && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
            vn = e - i;
            memcpy(val, line + i, vn);
        }
        val[vn] = '\0';
        if (memchr(val, '\0', vn) != NULL || has_ctl(val)) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: %s: value contains a control character", name, lineno, key);
            goto out;
        }
        if (set_value(c, &opts[k], val, err) != 0) {
            ra_err_prefix(err, "%s:%d: %s: ", name, lineno, key);
            goto out;
        }
        c->origin[k] = RA_ORIGIN_FILE;
        c->origin_line[k] = lineno;
    }
    rc = 0;
out:
    free(val);
    return rc;
}

int ra_config_load_file(ra_config *c, const char *path, ra_err *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ra_err_set(err, RA_E_USAGE, "cannot open config file '%s': %s", path, strerror(errno));
    char *buf = malloc(FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    size_t n = fread(buf, 1, FILE_MAX + 1, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc;
    if (rd_err)
        rc = ra_err_set(err, RA_E_USAGE, "cannot read config file '%s'", path);
    else if (n > FILE_MAX)
        rc = ra_err_set(err, RA_E_USAGE, "config file '%s' is larger than 1 MiB", path);
    else
        rc = ra_config_parse_text(c, buf, n, path, err);
    free(buf);
    if (rc == 0 && ra_config_set(c, "config", path, c->origin[RA_KEY_CONFIG], 0, "config", err) != 0)
        return -1;
    return rc;
}

/* ---------- environment ---------- */

int ra_config_load_env(ra_config *c, ra_err *err) {
    char name[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        ra_config_env_name(opts[k].name, name, sizeof(name));
        const char *v = getenv(name);
        if (v == NULL || *v == '\0') continue;
        if (ra_config_set(c, opts[k].name, v, RA_ORIGIN_ENV, 0, name, err) != 0) return -1;
    }
    /* Misspelt variables are silently ignored otherwise: say so. */
    size_t plen = strlen(RA_CONFIG_ENV_PREFIX);
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, RA_CONFIG_ENV_PREFIX, plen) != 0) continue;
        size_t n = strcspn(*e, "=");
        if (n - plen == 0 || n >= sizeof(name)) continue;
        char key[96];
        for (size_t i = plen; i < n; i++)
            key[i - plen] = (*e)[i] == '_' ? '-' : (char)tolower((unsigned char)(*e)[i]);
        key[n - plen] = '\0';
        if (ra_config_key_find(key) >= 0) continue;
        char msg[256];
        const char *s = ra_config_suggest(key);
        if (s != NULL) {
            ra_config_env_name(s, name, sizeof(name));
            snprintf(msg, sizeof(msg), "unknown variable %.*s ignored (did you mean %s?)", (int)(n > 80 ? 80 : n),
                     *e, name);
        } else {
            snprintf(msg, sizeof(msg), "unknown variable %.*s ignored", (int)(n > 80 ? 80 : n), *e);
        }
        if (push_warning(c, msg) != 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    return 0;
}

/* ---------- flags ---------- */

typedef struct pending {
    int key;
    const char *value;
    const char *arg;  /* the argv word naming the flag, for messages */
} pending;

static int is_bool_word(const char *s) {
    static const char *const w[] = {"yes", "no", "true", "false", "on", "off"};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        if (strcasecmp(s, w[i]) == 0) return 1;
    return 0;
}

static int in_list(const char *const *list, const char *s) {
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

int ra_config_load(ra_config *c, int argc, char **argv, const char *const *value_flags,
                   int *nrest, char ***rest, ra_err *err) {
    pending *pend = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*pend));
    free(c->rest);
    c->rest = calloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
    c->nrest = 0;
    int np = 0, rc = -1;
    const char *config_path = NULL;
    if (pend == NULL || c->rest == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc) c->rest[c->nrest++] = argv[i++];
            break;
        }
        int k = -1, negated = 0;
        const char *eq = NULL;
        if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            const char *name = a + 2;
            eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            k = find_n(name, n);
            if (k < 0 && n > 3 && strncmp(name, "no-", 3) == 0 && eq == NULL) {
                k = find_n(name + 3, n - 3);
                if (k >= 0 && opts[k].type == T_BOOL) negated = 1;
                else k = -1;
            }
        }
        if (k < 0) {
            c->rest[c->nrest++] = argv[i];
            if (in_list(value_flags, a) && i + 1 < argc) c->rest[c->nrest++] = argv[++i];
            continue;
        }
        const char *v;
        if (eq != NULL) {
            v = eq + 1;
        } else if (opts[k].type == T_BOOL) {
            v = negated ? "no" : "yes";
            if (!negated && i + 1 < argc && is_bool_word(argv[i + 1])) v = argv[++i];
        } else {
            if (i + 1 >= argc) {
                ra_err_set(err, RA_E_USAGE, "--%s needs a value", opts[k].name);
                goto out;
            }
            v = argv[++i];
            if (strncmp(v, "--", 2) == 0) {
                ra_err_set(err, RA_E_USAGE, "--%s needs a value (got the flag '%.64s')", opts[k].name, v);
                goto out;
            }
        }
        if (k == RA_KEY_CONFIG) {
            if (*v == '\0') {
                ra_err_set(err, RA_E_USAGE, "--config needs a value");
                goto out;
            }
            config_path = v;
            continue;
        }
        pend[np].key = k;
        pend[np].value = v;
        pend[np].arg = a;
        np++;
    }
    c->rest[c->nrest] = NULL;

    /* Lowest precedence first: file, environment, flags. */
    ra_config_origin file_origin = RA_ORIGIN_FLAG;
    if (config_path == NULL) {
        const char *e = getenv(RA_CONFIG_ENV_PREFIX "CONFIG");
        if (e != NULL && *e != '\0') {
            config_path = e;
            file_origin = RA_ORIGIN_ENV;
        } else if (access(RA_CONFIG_DEFAULT_FILE, F_OK) == 0) {
            config_path = RA_CONFIG_DEFAULT_FILE;
            file_origin = RA_ORIGIN_DEFAULT;
        }
    }
    if (config_path != NULL) {
        c->origin[RA_KEY_CONFIG] = file_origin;
        if (ra_config_load_file(c, config_path, err) != 0) goto out;
    }
    if (ra_config_load_env(c, err) != 0) goto out;
    for (int i = 0; i < np; i++) {
        char where[80];
        snprintf(where, sizeof(where), "--%s", opts[pend[i].key].name);
        if (ra_config_set(c, opts[pend[i].key].name, pend[i].value, RA_ORIGIN_FLAG, 0, where, err) != 0)
            goto out;
        if (pend[i].key == RA_KEY_SOURCE && ra_url_has_password(pend[i].value)) {
            c->source_password_in_argv = 1;
            /* Hide it from /proc/PID/cmdline now; it was visible from exec until here. */
            ra_url_scrub_password((char *)pend[i].value);
        }
    }
    if (c->source_password_in_argv &&
        push_warning(c, "the --source URL carried a password, which other users could see in the process "
                        "list until it was hidden: put it in the config file, REDIS_ARCHIVER_SOURCE or "
                        "REDISCLI_AUTH") != 0) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(pend);
    if (nrest != NULL) *nrest = c->rest ? c->nrest : 0;
    if (rest != NULL) *rest = c->rest;
    return rc;
}

int ra_config_require_bucket(const ra_config *c, ra_err *err) {
    if (c->bucket != NULL) return 0;
    return ra_err_set(err, RA_E_USAGE,
                      "no bucket configured: use --bucket, REDIS_ARCHIVER_BUCKET or 'bucket' in the config file");
}

void ra_config_schedule(const ra_config *c, ra_schedule *s) {
    memset(s, 0, sizeof(*s));
    s->window = c->window;
    s->weekdays = c->weekdays;
    s->offset = c->tz_fixed ? c->tz_offset : 0;
    s->offset_fn = c->tz_fixed ? NULL : ra_tz_offset_localtime;
}

/* ---------- output ---------- */

void ra_config_format_value(const ra_config *c, ra_config_key k, char *out, size_t outsz) {
    if ((unsigned)k >= RA_CONFIG_NKEYS || outsz == 0) return;
    const opt *o = &opts[k];
    switch (o->type) {
    case T_STR:
    case T_TZ: {
        const char *s = *(char *const *)cfield(c, o);
        if (s != NULL && (o->flags & OPT_URL)) {
            char *m = ra_url_mask_password(s);
            snprintf(out, outsz, "%s", m ? m : "***");
            free(m);
        } else {
            snprintf(out, outsz, "%s", s ? s : "");
        }
        break;
    }
    case T_BOOL: snprintf(out, outsz, "%s", *(const int *)cfield(c, o) ? "yes" : "no"); break;
    case T_INT: snprintf(out, outsz, "%d", *(const int *)cfield(c, o)); break;
    case T_SIZE: ra_format_size(*(const long long *)cfield(c, o), out, outsz); break;
    case T_DURATION: ra_format_duration(*(const long *)cfield(c, o), out, outsz); break;
    case T_WINDOW: ra_format_window(cfield(c, o), out, outsz); break;
    case T_WEEKDAYS: ra_format_weekdays(*(const unsigned *)cfield(c, o), out, outsz); break;
    case T_ENUM: {
        int i = *(const int *)cfield(c, o);
        snprintf(out, outsz, "%s", i >= 0 && i < 4 && o->choices[i] ? o->choices[i] : "?");
        break;
    }
    }
}

/* A value as the file parser reads it back: quoted when empty or when it has spaces, '#' or '"'. */
static void print_value(FILE *out, const char *v) {
    if (*v != '\0' && strpbrk(v, " \t#\"\\") == NULL) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') fputc('\\', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void ra_config_print(const ra_config *c, FILE *out) {
    char v[RA_CONFIG_VALUE_MAX + 16], env[96];  /* room for a masked password */
    if (c->config != NULL) fprintf(out, "# config file: %s\n", c->config);
    else fprintf(out, "# config file: none\n");
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        ra_config_format_value(c, (ra_config_key)k, v, sizeof(v));
        fprintf(out, "%-16s ", opts[k].name);
        print_value(out, v);
        size_t w = strlen(v) + (strpbrk(v, " \t#\"\\") || !*v ? 2 : 0);
        fprintf(out, "%*s # ", w < 32 ? (int)(32 - w) : 0, "");
        switch (c->origin[k]) {
        case RA_ORIGIN_DEFAULT: fprintf(out, "default\n"); break;
        case RA_ORIGIN_FILE: fprintf(out, "file line %d\n", c->origin_line[k]); break;
        case RA_ORIGIN_ENV:
            ra_config_env_name(opts[k].name, env, sizeof(env));
            fprintf(out, "env %s\n", env);
            break;
        case RA_ORIGIN_FLAG: fprintf(out, "flag --%s\n", opts[k].name); break;
        }
    }
}

void ra_config_print_help(FILE *out) {
    char env[96], left[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        const opt *o = &opts[k];
        ra_config_env_name(o->name, env, sizeof(env));
        snprintf(left, sizeof(left), "--%s %s", o->name, o->type == T_BOOL ? "[yes|no]" : o->arg);
        fprintf(out, "  %-34s %s", left, env);
        if (o->def[0] != '\0') fprintf(out, ", default %s", o->def);
        fprintf(out, "\n      %s\n", o->help);
    }
}

void ra_config_write_sample(FILE *out) {
    char env[96];
    fprintf(out,
            "# redis-archiver configuration: " RA_CONFIG_DEFAULT_FILE "\n"
            "#\n"
            "# Syntax: one 'key value' per line, '#' starts a comment, a value may be written in\n"
            "# double quotes (with \\\" and \\\\ inside). Each key may also be set as a flag --key VALUE\n"
            "# or a variable REDIS_ARCHIVER_KEY (upper case, '-' as '_'); a flag wins over a\n"
            "# variable, a variable over this file, this file over the built-in default.\n"
            "# The file itself: --config PATH, else REDIS_ARCHIVER_CONFIG, else this path.\n"
            "# 'redis-archiver config' prints the settings in force and where each came from.\n"
            "#\n"
            "# Secrets do not belong here except in the source URL: the Redis password may also\n"
            "# come from REDISCLI_AUTH, S3 credentials only from the AWS variables or files.\n"
            "# Lines below set the defaults; commented-out lines are examples.\n");
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        const opt *o = &opts[k];
        if (o->flags & OPT_NOFILE) continue;
        ra_config_env_name(o->name, env, sizeof(env));
        fprintf(out, "\n# %c%s.\n", toupper((unsigned char)o->help[0]), o->help + 1);
        for (const char *d = o->doc; d && *d;) {
            size_t n = strcspn(d, "\n");
            fprintf(out, "# %.*s\n", (int)n, d);
            d += n + (d[n] == '\n');
        }
        fprintf(out, "# Flag --%s, variable %s.\n", o->name, env);
        if (o->def[0] != '\0') {
            fprintf(out, "%s ", o->name);
            print_value(out, o->def);
            fputc('\n', out);
        } else {
            fprintf(out, "# %s %s\n", o->name, o->example ? o->example : "");
        }
    }
}
