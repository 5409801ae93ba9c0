/* cred_parse.c - the answers of credential providers (JSON through jansson, STS XML by a small
 * scanner) and the shared-file profiles. Pure: no I/O. */
#include "storage/s3/cred_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>


static void wipe_free(char *s) {
    if (s == NULL) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/* Peer text for a message: printable ASCII only, at most n-1 bytes. */
static void safe_copy(char *dst, size_t n, const char *src, size_t len) {
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < n; i++)
        dst[j++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[j] = '\0';
}

/* An ISO 8601 UTC time as the providers write it: "2030-01-02T03:04:05Z", with fractions of a
 * second or an offset ("+02:00", "-0500"); 0 when it is none of these. */
static time_t parse_iso(const char *s) {
    struct tm tm = {0};
    int n = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec, &n) != 6)
        return 0;
    const char *p = s + n;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p);) p++;
    long off = 0;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh = 0, mm = 0, k = 0;
        if (sscanf(p + 1, "%2d%n", &hh, &k) != 1 || k != 2) return 0;
        p += 3;
        if (*p == ':') p++;
        if (isdigit((unsigned char)*p)) {
            if (sscanf(p, "%2d%n", &mm, &k) != 1 || k != 2) return 0;
            p += 2;
        }
        off = sign * (hh * 3600L + mm * 60L);
    } else if (*p == 'Z' || *p == 'z') {
        p++;
    }
    if (*p != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? 0 : t - off;
}

static const char *jstr(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int ra_s3_cred_parse_json(const char *body, size_t len, int process, const char *what, ra_s3_credentials *out,
                          ra_err *err) {
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *root = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    int r = -1;
    if (!json_is_object(root)) {
        ra_err_set(err, RA_E_STORE, "credentials from %s: the answer is not a JSON object", what);
        goto done;
    }
    if (process) {
        json_t *v = json_object_get(root, "Version");
        if (!json_is_integer(v) || json_integer_value(v) != 1) {
            ra_err_set(err, RA_E_STORE, "credentials from %s: \"Version\": 1 is missing (the AWS credential_process "
                                        "format)", what);
            goto done;
        }
    }
    const char *code = jstr(root, "Code");
    if (code && strcmp(code, "Success") != 0) {
        char c[64];
        safe_copy(c, sizeof(c), code, strlen(code));
        ra_err_set(err, RA_E_STORE, "credentials from %s: the endpoint answers Code '%s'", what, c);
        goto done;
    }
    const char *ak = jstr(root, "AccessKeyId"), *sk = jstr(root, "SecretAccessKey");
    const char *tok = jstr(root, process ? "SessionToken" : "Token"), *exp = jstr(root, "Expiration");
    if (tok == NULL) tok = jstr(root, process ? "Token" : "SessionToken");
    if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0') {
        ra_err_set(err, RA_E_STORE, "credentials from %s: the answer lacks %s", what,
                   ak == NULL || *ak == '\0' ? "AccessKeyId" : "SecretAccessKey");
        goto done;
    }
    ra_s3_credentials c = {(char *)ak, (char *)sk, (char *)(tok && *tok ? tok : NULL), 0};
    if (exp && *exp && (c.expiration = parse_iso(exp)) == 0) {
        ra_err_set(err, RA_E_STORE, "credentials from %s: Expiration is not an ISO 8601 time", what);
        goto done;
    }
    if (ra_s3_credentials_copy(out, &c) < 0) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    r = 0;
done:
    json_decref(root); /* jansson does not wipe its strings; the body is wiped by the caller */
    return r;
}

/* The text of the first element named `name` (no attributes expected) after `from`, entities
 * decoded, malloc'd; NULL when absent or out of memory (*oom set). */
static char *xml_text(const char *from, const char *end, const char *name, int *oom) {
    size_t nl = strlen(name);
    for (const char *p = from; p && p < end; p++) {
        p = memchr(p, '<', (size_t)(end - p));
        if (p == NULL) return NULL;
        const char *q = p + 1;
        if ((size_t)(end - q) <= nl || strncmp(q, name, nl) != 0) continue;
        q += nl;
        if (*q == '/' && q + 1 < end && q[1] == '>') {
            char *v = strdup("");
            *oom |= v == NULL;
            return v;
        }
        if (*q != '>') continue;
        const char *s = q + 1, *e = s;
        while (e < end && *e != '<') e++;
        char *v = malloc((size_t)(e - s) + 1);
        if (v == NULL) {
            *oom = 1;
            return NULL;
        }
        size_t j = 0;
        for (const char *c = s; c < e; c++) {
            static const struct { const char *ent; char ch; } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            int done = 0;
            for (size_t k = 0; *c == '&' && k < 5 && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if ((size_t)(e - c) >= el && strncmp(c, ents[k].ent, el) == 0) {
                    v[j++] = ents[k].ch;
                    c += el - 1;
                    done = 1;
                }
            }
            if (!done) v[j++] = *c;
        }
        v[j] = '\0';
        return v;
    }
    return NULL;
}

/* The first occurrence of tag in [from, end), or NULL. */
static const char *find(const char *from, const char *end, const char *tag) {
    size_t tl = strlen(tag);
    for (const char *p = from; (size_t)(end - p) >= tl; p++)
        if (*p == '<' && strncmp(p, tag, tl) == 0) return p;
    return NULL;
}

int ra_s3_cred_parse_sts(const char *body, size_t len, ra_s3_credentials *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    if (body == NULL || len == 0) return ra_err_set(err, RA_E_STORE, "sts: empty answer");
    const char *end = body + len;
    int oom = 0;
    const char *error = find(body, end, "<Error");
    if (error) {
        char *code = xml_text(error, end, "Code", &oom);
        char *msg = xml_text(body, end, "Message", &oom);
        char c[64], m[200];
        safe_copy(c, sizeof(c), code ? code : "", code ? strlen(code) : 0);
        safe_copy(m, sizeof(m), msg ? msg : "", msg ? strlen(msg) : 0);
        ra_err_set(err, RA_E_STORE, "sts: %s%s%s", *c ? c : "error", *m ? ": " : "", m);
        free(code);
        free(msg);
        return -1;
    }
    const char *creds = find(body, end, "<Credentials>");
    if (creds) creds += 13;
    if (creds == NULL) return ra_err_set(err, RA_E_STORE, "sts: the answer has no Credentials element");
    ra_s3_credentials c = {xml_text(creds, end, "AccessKeyId", &oom), xml_text(creds, end, "SecretAccessKey", &oom),
                           xml_text(creds, end, "SessionToken", &oom), 0};
    char *exp = xml_text(creds, end, "Expiration", &oom);
    int r = 0;
    if (oom) r = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    else if (!c.access_key || !*c.access_key || !c.secret_key || !*c.secret_key)
        r = ra_err_set(err, RA_E_STORE, "sts: the answer lacks %s",
                       !c.access_key || !*c.access_key ? "AccessKeyId" : "SecretAccessKey");
    else if (exp && (c.expiration = parse_iso(exp)) == 0)
        r = ra_err_set(err, RA_E_STORE, "sts: Expiration is not an ISO 8601 time");
    free(exp);
    if (r == 0) *out = c;
    else ra_s3_credentials_clear(&c);
    if (r == 0 && out->session_token && !*out->session_token) {
        free(out->session_token);
        out->session_token = NULL;
    }
    return r;
}

void ra_s3_cred_profile_clear(ra_s3_cred_profile *p) {
    if (p == NULL) return;
    char **f[] = {&p->access_key, &p->secret_key, &p->session_token, &p->credential_process, &p->role_arn,
                  &p->source_profile, &p->web_identity_token_file, &p->role_session_name, &p->external_id,
                  &p->credential_source, &p->region};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) wipe_free(*f[i]);
    memset(p, 0, sizeof(*p));
}

static char **profile_field(ra_s3_cred_profile *p, const char *k) {
    static const char *const names[] = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                                        "credential_process", "role_arn", "source_profile",
                                        "web_identity_token_file", "role_session_name", "external_id",
                                        "credential_source", "region"};
    char **f[] = {&p->access_key, &p->secret_key, &p->session_token, &p->credential_process, &p->role_arn,
                  &p->source_profile, &p->web_identity_token_file, &p->role_session_name, &p->external_id,
                  &p->credential_source, &p->region};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(k, names[i]) == 0) return f[i];
    return NULL;
}

/* Whether a section header's inner text (trimmed) names the profile. */
static int section_is(const char *s, size_t n, const char *profile, int config) {
    size_t pl = strlen(profile);
    if (config) {
        if (n > 8 && strncmp(s, "profile", 7) == 0 && isspace((unsigned char)s[7])) {
            s += 8, n -= 8;
            while (n && isspace((unsigned char)*s)) s++, n--;
            return n == pl && strncmp(s, profile, n) == 0;
        }
        return strcmp(profile, "default") == 0 && n == 7 && strncmp(s, "default", 7) == 0;
    }
    return n == pl && strncmp(s, profile, n) == 0;
}

int ra_s3_cred_profile_parse(ra_s3_cred_profile *p, const char *text, const char *profile, int config) {
    int in = 0, nested = 0;
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        const char *next = nl ? nl + 1 : NULL;
        int indented = n > 0 && (l[0] == ' ' || l[0] == '\t');
        while (n && isspace((unsigned char)*l)) l++, n--;
        while (n && isspace((unsigned char)l[n - 1])) n--;
        if (n == 0 || *l == '#' || *l == ';') {
            l = next;
            continue;
        }
        if (*l == '[') {
            const char *e = memchr(l, ']', n);
            const char *s = l + 1;
            size_t sn = e ? (size_t)(e - s) : n - 1;
            while (sn && isspace((unsigned char)*s)) s++, sn--;
            while (sn && isspace((unsigned char)s[sn - 1])) sn--;
            in = section_is(s, sn, profile, config);
            p->found |= in;
            nested = 0;
            l = next;
            continue;
        }
        if (indented && nested) {
            l = next;
            continue;
        }
        const char *eq = memchr(l, '=', n);
        if (!in || eq == NULL) {
            l = next;
            continue;
        }
        char key[64];
        size_t kn = (size_t)(eq - l);
        while (kn && isspace((unsigned char)l[kn - 1])) kn--;
        const char *v = eq + 1;
        size_t vn = n - (size_t)(v - l);
        while (vn && isspace((unsigned char)*v)) v++, vn--;
        nested = vn == 0;
        char **dst = kn < sizeof(key) ? (memcpy(key, l, kn), key[kn] = '\0', profile_field(p, key)) : NULL;
        if (dst && vn > 0) {
            char *val = strndup(v, vn);
            if (val == NULL) return -1;
            wipe_free(*dst);
            *dst = val;
        }
        l = next;
    }
    return 0;
}
