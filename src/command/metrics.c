/* metrics.c - Prometheus text format of ra_metrics, read back, and its atomic file. */
#include "command/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME "redis_archiver_"
#define LABEL "instance_name"
#define FILE_MAX (1024 * 1024)
#define VALUE_MAX 9e18 /* below LLONG_MAX: values read back are clamped to it */

void ra_metrics_add(ra_metrics *m, const ra_record *rec, ra_code code, double seconds, time_t now) {
    m->last_attempt = now;
    m->duration = seconds;
    m->last_ok = code == RA_OK;
    if (code == RA_OK) {
        m->succeeded++;
        m->last_success = rec && rec->finished ? rec->finished : now;
        if (rec) {
            m->bytes = rec->bytes;
            m->stored = rec->stored ? rec->stored : rec->bytes;
        }
        return;
    }
    if (code == RA_E_CANCELLED)
        m->cancelled++;
    else
        m->failed++;
    if ((unsigned)code < RA_METRICS_NCLASS) m->by_class[code]++;
}

/* The instance as a label value: \ " and newline escaped. */
static void put_label(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help) {
    fprintf(f, "# HELP " NAME "%s %s\n# TYPE " NAME "%s %s\n", name, help, name, type);
}

static void series(FILE *f, const char *name, const char *instance, const char *label, const char *value,
                   const char *num) {
    fprintf(f, NAME "%s{" LABEL "=\"", name);
    put_label(f, instance);
    fputc('"', f);
    if (label) fprintf(f, ",%s=\"%s\"", label, value);
    fprintf(f, "} %s\n", num);
}

static void gauge(FILE *f, const char *name, const char *help, const char *instance, int decimals, double v) {
    char num[64];
    snprintf(num, sizeof(num), "%.*f", decimals, v);
    head(f, name, "gauge", help);
    series(f, name, instance, NULL, NULL, num);
}

char *ra_metrics_format(const ra_metrics *m, const char *instance) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) return NULL;
    gauge(f, "last_success_timestamp_seconds", "Unix time the newest backup that succeeded finished (0: none yet).",
          instance, 0, (double)m->last_success);
    gauge(f, "last_attempt_timestamp_seconds", "Unix time the last backup run ended, whatever its result.",
          instance, 0, (double)m->last_attempt);
    gauge(f, "last_backup_succeeded", "1 when the last backup run succeeded, 0 when it failed or was cancelled.",
          instance, 0, m->last_attempt ? (double)m->last_ok : 0.0);
    gauge(f, "backup_duration_seconds", "Seconds the last backup run took.", instance, 3, m->duration);
    gauge(f, "backup_bytes", "RDB bytes of the newest backup that succeeded.", instance, 0, (double)m->bytes);
    gauge(f, "backup_stored_bytes", "Bytes stored for the newest backup that succeeded (after compression and "
          "encryption).", instance, 0, (double)m->stored);

    if (m->archive_last_segment > 0) {
        gauge(f, "archive_last_segment_timestamp_seconds", "Unix time the newest stored segment of the "
              "point-in-time archive reaches.", instance, 0, (double)m->archive_last_segment);
        gauge(f, "archive_lag_seconds", "Seconds the stored archive is behind now.", instance, 0,
              (double)m->archive_lag_seconds);
        gauge(f, "archive_lag_bytes", "Bytes of the replication stream received but not stored yet.", instance, 0,
              (double)m->archive_lag_bytes);
    }

    char num[32];
    head(f, "backups_total", "counter", "Backup runs by result.");
    const struct {
        const char *result;
        unsigned long long n;
    } results[] = {{"succeeded", m->succeeded}, {"failed", m->failed}, {"cancelled", m->cancelled}};
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        snprintf(num, sizeof(num), "%llu", results[i].n);
        series(f, "backups_total", instance, "result", results[i].result, num);
    }
    head(f, "backup_failures_total", "counter",
         "Failed or cancelled backup runs by error class (the exit code's class: source, store, verify, ...).");
    for (int c = RA_E_INTERNAL; c < RA_METRICS_NCLASS; c++) {
        if (c == RA_E_NOTFOUND) continue; /* a backup run never ends "no such backup" */
        snprintf(num, sizeof(num), "%llu", m->by_class[c]);
        series(f, "backup_failures_total", instance, "class", ra_err_code_name((ra_code)c), num);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The value of label `name` in the n bytes of labels at p ("a=\"x\",b=\"y\""), unescaped into out. */
static int label_value(const char *p, size_t n, const char *name, char *out, size_t outsz) {
    size_t nl = strlen(name), i = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && p[k] != '=') k++;
        if (k + 1 >= n || p[k + 1] != '"') return -1;
        int match = k - i == nl && memcmp(p + i, name, nl) == 0;
        size_t o = 0;
        for (k += 2; k < n && p[k] != '"'; k++) {
            char c = p[k];
            if (c == '\\' && k + 1 < n) c = p[++k] == 'n' ? '\n' : p[k];
            if (match && o + 1 < outsz) out[o++] = c;
        }
        if (k >= n) return -1;
        if (match) {
            out[o] = '\0';
            return 0;
        }
        i = k + 1;
        if (i < n && p[i] == ',') i++;
    }
    return -1;
}

int ra_metrics_parse(ra_metrics *m, const char *instance, const char *text, size_t len) {
    int got = 0;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL) eol = end;
        const char *brace = memchr(line, '{', (size_t)(eol - line));
        const char *close = brace ? memchr(brace, '}', (size_t)(eol - brace)) : NULL;
        size_t np = strlen(NAME);
        if (line[0] != '#' && close && (size_t)(brace - line) > np && memcmp(line, NAME, np) == 0) {
            char name[64], who[128], result[32] = "", class[32] = "", num[64];
            size_t nn = (size_t)(brace - line) - np, nv = (size_t)(eol - close - 1);
            const char *labels = brace + 1;
            size_t nlab = (size_t)(close - labels);
            if (nn < sizeof(name) && nv < sizeof(num) && label_value(labels, nlab, LABEL, who, sizeof(who)) == 0 &&
                strcmp(who, instance) == 0) {
                memcpy(name, line + np, nn);
                name[nn] = '\0';
                memcpy(num, close + 1, nv);
                num[nv] = '\0';
                char *after;
                double v = strtod(num, &after);
                if (!(v > 0)) v = 0;                 /* negative, NaN: nothing */
                if (v > VALUE_MAX) v = VALUE_MAX;    /* +Inf and the absurd fit every field */
                label_value(labels, nlab, "result", result, sizeof(result));
                label_value(labels, nlab, "class", class, sizeof(class));
                unsigned long long u = v > 0 ? (unsigned long long)v : 0;
                int known = 1;
                if (after == num)
                    known = 0;
                else if (strcmp(name, "last_success_timestamp_seconds") == 0)
                    m->last_success = (time_t)v;
                else if (strcmp(name, "last_attempt_timestamp_seconds") == 0)
                    m->last_attempt = (time_t)v;
                else if (strcmp(name, "last_backup_succeeded") == 0)
                    m->last_ok = v > 0;
                else if (strcmp(name, "backup_duration_seconds") == 0)
                    m->duration = v;
                else if (strcmp(name, "backup_bytes") == 0)
                    m->bytes = (long long)v;
                else if (strcmp(name, "backup_stored_bytes") == 0)
                    m->stored = (long long)v;
                else if (strcmp(name, "archive_last_segment_timestamp_seconds") == 0)
                    m->archive_last_segment = (time_t)v;
                else if (strcmp(name, "archive_lag_seconds") == 0)
                    m->archive_lag_seconds = (long)v;
                else if (strcmp(name, "archive_lag_bytes") == 0)
                    m->archive_lag_bytes = (long long)v;
                else if (strcmp(name, "backups_total") == 0 && strcmp(result, "succeeded") == 0)
                    m->succeeded = u;
                else if (strcmp(name, "backups_total") == 0 && strcmp(result, "failed") == 0)
                    m->failed = u;
                else if (strcmp(name, "backups_total") == 0 && strcmp(result, "cancelled") == 0)
                    m->cancelled = u;
                else if (strcmp(name, "backup_failures_total") == 0) {
                    known = 0;
                    for (int c = RA_E_INTERNAL; c < RA_METRICS_NCLASS; c++)
                        if (strcmp(class, ra_err_code_name((ra_code)c)) == 0) {
                            m->by_class[c] = u;
                            known = 1;
                        }
                } else
                    known = 0;
                got += known;
            }
        }
        line = eol + 1;
    }
    return got;
}

int ra_metrics_healthy(const ra_metrics *m, time_t now, long max_age, time_t since) {
    if (m->last_attempt == 0) return now - since <= max_age;
    return m->last_ok && m->last_success > 0 && now - m->last_success <= max_age;
}

int ra_metrics_write_file(const char *path, const char *text, ra_err *err) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (tmp == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ra_err_set(err, RA_E_USAGE, "metrics-file: cannot write '%s': %s (check the directory exists and is writable)",
                   tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t len = strlen(text), off = 0;
    int rc = 0;
    while (off < len && rc == 0) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = -1;
        else off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0) rc = -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        ra_err_set(err, RA_E_USAGE, "metrics-file: cannot write '%s': %s", path, strerror(saved));
    }
    free(tmp);
    return rc;
}

int ra_metrics_load_file(ra_metrics *m, const char *instance, const char *path, ra_err *err) {
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT) return 0;
        return ra_err_set(err, RA_E_USAGE, "metrics-file: cannot read '%s': %s", path, strerror(errno));
    }
    char *buf = malloc(FILE_MAX);
    if (buf == NULL) {
        fclose(f);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    size_t n = fread(buf, 1, FILE_MAX, f);
    fclose(f);
    ra_metrics_parse(m, instance, buf, n);
    free(buf);
    return 0;
}
