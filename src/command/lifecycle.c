/* lifecycle.c - this instance's lifecycle rules (README, Retention), merged into the bucket's rules, the
 * check that a put took, and the small state object that lets a backup check the rules once a day.
 * Rules are compared by value (ra_s3_lifecycle_rule_equal): stores re-serialise them. */
#include "command/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/limits.h"
#include "storage/s3/xml.h"

#define ID_PREFIX "redis-archiver:"
#define ID_HASH_HEX 16      /* hex digits of SHA-256 that end a shortened ID */
#define TAG_RULE_SUFFIX ":expire-tagged"
#define STATE_MAGIC "redis-archiver retention 1"

static char *rule_id(const char *prefix, const char *instance, const char *suffix, ra_err *err) {
    size_t n = strlen(ID_PREFIX) + strlen(prefix) + strlen(instance) + strlen(suffix);
    char *id = malloc(n + 1);
    if (id == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    snprintf(id, n + 1, ID_PREFIX "%s%s%s", prefix, instance, suffix);
    if (n <= RA_LIFECYCLE_ID_MAX) return id;
    char hex[RA_SHA256_HEX_LEN];
    if (ra_sha256_hex(id, n, hex) != 0) {
        free(id);
        ra_err_set(err, RA_E_INTERNAL, "cannot hash the lifecycle rule id (sha-256 failed)");
        return NULL;
    }
    /* keep the head, cut on a UTF-8 character boundary, and end with "~" and the hash of the whole name */
    size_t keep = RA_LIFECYCLE_ID_MAX - 1 - ID_HASH_HEX;
    while (keep > 0 && ((unsigned char)id[keep] & 0xC0) == 0x80) keep--;
    snprintf(id + keep, n + 1 - keep, "~%.*s", ID_HASH_HEX, hex);
    return id;
}

char *ra_lifecycle_rule_id(const char *prefix, const char *instance, ra_err *err) {
    return rule_id(prefix, instance, "", err);
}

/* A rule of ours as a store gives it back may lose the <And> around a Filter's Prefix and Tag (Ceph RGW
 * 16.2 writes them straight under <Filter>): compare without it. */
static char *strip_and(const char *xml) {
    char *s = strdup(xml);
    if (s == NULL) return NULL;
    static const char *const drop[] = {"<And>", "</And>"};
    for (size_t d = 0; d < 2; d++) {
        size_t k = strlen(drop[d]);
        for (char *p; (p = strstr(s, drop[d])) != NULL;) memmove(p, p + k, strlen(p + k) + 1);
    }
    return s;
}

int ra_lifecycle_rule_same(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    int r = ra_s3_lifecycle_rule_equal(a, b);
    if (r != 0) return r;
    char *sa = strip_and(a), *sb = strip_and(b);
    r = sa && sb ? ra_s3_lifecycle_rule_equal(sa, sb) : -1;
    free(sa);
    free(sb);
    return r;
}

static char *close_stream(FILE *f, char **buf) {
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

/* A rule's start, open at its filter: <Rule><ID>id</ID><Filter>[<And>]<Prefix>dir</Prefix> */
static FILE *rule_begin(char **buf, size_t *len, const char *id, int and, const char *dir) {
    FILE *f = open_memstream(buf, len);
    if (f == NULL) return NULL;
    fputs("<Rule><ID>", f);
    ra_s3xml_put_escaped(f, id);
    fputs(and ? "</ID><Filter><And><Prefix>" : "</ID><Filter><Prefix>", f);
    ra_s3xml_put_escaped(f, dir);
    fputs("</Prefix>", f);
    return f;
}

/* The folder rule: unfinished uploads, and (versioned bucket) noncurrent versions and the delete markers
 * left alone; in the age mode also every object after `days`. */
static char *folder_rule(const char *id, const char *dir, ra_lifecycle_mode mode, int days, int versioned) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = rule_begin(&buf, &len, id, 0, dir);
    if (f == NULL) return NULL;
    fputs("</Filter><Status>Enabled</Status>", f);
    /* Days and ExpiredObjectDeleteMarker exclude each other in one Expiration (AWS) */
    if (mode == RA_LIFECYCLE_AGE)
        fprintf(f, "<Expiration><Days>%d</Days></Expiration>", days);
    else if (versioned)
        fputs("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>", f);
    if (versioned)
        fprintf(f, "<NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays></NoncurrentVersionExpiration>",
                RA_LIFECYCLE_NONCURRENT_DAYS);
    fprintf(f, "<AbortIncompleteMultipartUpload><DaysAfterInitiation>%d</DaysAfterInitiation>"
               "</AbortIncompleteMultipartUpload></Rule>", RA_LIFECYCLE_ABORT_DAYS);
    return close_stream(f, &buf);
}

/* The tag rule: objects tagged expire, after `days` (AWS allows neither AbortIncompleteMultipartUpload
 * nor ExpiredObjectDeleteMarker in a rule that filters on tags: they are the folder rule's). */
static char *tag_rule(const char *id, const char *dir, int days) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = rule_begin(&buf, &len, id, 1, dir);
    if (f == NULL) return NULL;
    fputs("<Tag><Key>" RA_RETAIN_TAG_KEY "</Key><Value>" RA_RETAIN_TAG_EXPIRE "</Value></Tag></And>"
          "</Filter><Status>Enabled</Status>", f);
    fprintf(f, "<Expiration><Days>%d</Days></Expiration></Rule>", days);
    return close_stream(f, &buf);
}

int ra_lifecycle_want_build(const char *prefix, const char *instance, ra_lifecycle_mode mode, int days,
                            int versioned, ra_lifecycle_want *w, ra_err *err) {
    memset(w, 0, sizeof(*w));
    char *dir = NULL;
    if (asprintf(&dir, "%s%s/", prefix, instance) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    w->id[0] = rule_id(prefix, instance, "", err);
    w->id[1] = w->id[0] ? rule_id(prefix, instance, TAG_RULE_SUFFIX, err) : NULL;
    if (w->id[1] == NULL) {
        free(dir);
        ra_lifecycle_want_clear(w);
        return -1;
    }
    w->xml[0] = folder_rule(w->id[0], dir, mode, days, versioned);
    int oom = w->xml[0] == NULL;
    if (mode == RA_LIFECYCLE_TAGS && !oom) oom = (w->xml[1] = tag_rule(w->id[1], dir, days)) == NULL;
    free(dir);
    if (oom) {
        ra_lifecycle_want_clear(w);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    return 0;
}

void ra_lifecycle_want_clear(ra_lifecycle_want *w) {
    if (w == NULL) return;
    for (int i = 0; i < 2; i++) {
        free(w->id[i]);
        free(w->xml[i]);
    }
    memset(w, 0, sizeof(*w));
}

int ra_lifecycle_want_hash(const ra_lifecycle_want *w, char out[RA_LIFECYCLE_HASH_LEN + 1]) {
    char *text = NULL;
    if (asprintf(&text, "%s\n%s\n%s\n%s\n", w->id[0], w->xml[0] ? w->xml[0] : "", w->id[1],
                 w->xml[1] ? w->xml[1] : "") < 0)
        return -1;
    char hex[RA_SHA256_HEX_LEN];
    int rc = ra_sha256_hex(text, strlen(text), hex);
    free(text);
    if (rc != 0) return -1;
    snprintf(out, RA_LIFECYCLE_HASH_LEN + 1, "%.*s", RA_LIFECYCLE_HASH_LEN, hex);
    return 0;
}

static int find(const ra_s3_lifecycle *lc, const char *id) {
    for (size_t i = 0; i < lc->nrules; i++)
        if (lc->rules[i].id != NULL && strcmp(lc->rules[i].id, id) == 0) return (int)i;
    return -1;
}

int ra_lifecycle_merge(const ra_s3_lifecycle *cur, const char *id, const char *xml, ra_s3_lifecycle *out,
                       ra_lifecycle_change *change, size_t *others, ra_err *err) {
    memset(out, 0, sizeof(*out));
    int mine = find(cur, id);
    int same = mine < 0 ? xml == NULL
               : xml == NULL ? 0
                             : ra_lifecycle_rule_same(cur->rules[mine].xml ? cur->rules[mine].xml : "", xml);
    if (same < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    *change = same ? RA_LIFECYCLE_SAME : mine < 0 ? RA_LIFECYCLE_ADD : RA_LIFECYCLE_UPDATE;
    *others = cur->nrules - (mine >= 0);
    /* xml NULL: our rule goes (where it is); else it takes its place or goes last */
    size_t n = xml == NULL ? cur->nrules - (mine >= 0) : cur->nrules + (mine < 0);
    out->rules = calloc(n + 1, sizeof(*out->rules));
    if (out->rules == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t i = 0, j = 0; j < n; i++) {
        if (xml == NULL && mine >= 0 && i == (size_t)mine) continue;
        int ours = xml != NULL && ((mine >= 0 && i == (size_t)mine) || i == cur->nrules);
        const char *rid = ours ? id : cur->rules[i].id, *rxml = ours ? xml : cur->rules[i].xml;
        out->rules[j].id = strdup(rid ? rid : "");
        out->rules[j].xml = strdup(rxml ? rxml : "");
        out->nrules = ++j;
        if (out->rules[j - 1].id == NULL || out->rules[j - 1].xml == NULL) {
            ra_s3_lifecycle_clear(out);
            return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
    }
    return 0;
}

int ra_lifecycle_merge_want(const ra_s3_lifecycle *cur, const ra_lifecycle_want *w, ra_s3_lifecycle *out,
                            ra_lifecycle_change *change, size_t *others, ra_err *err) {
    ra_s3_lifecycle mid;
    ra_lifecycle_change c0, c1;
    size_t o0, o1;
    if (ra_lifecycle_merge(cur, w->id[0], w->xml[0], &mid, &c0, &o0, err) != 0) return -1;
    int rc = ra_lifecycle_merge(&mid, w->id[1], w->xml[1], out, &c1, &o1, err);
    ra_s3_lifecycle_clear(&mid);
    if (rc != 0) return -1;
    *change = c0 == RA_LIFECYCLE_SAME                            ? c1
              : c0 == RA_LIFECYCLE_ADD && c1 != RA_LIFECYCLE_UPDATE ? c0
                                                                    : RA_LIFECYCLE_UPDATE;
    *others = o1 > 0 ? o1 - 1 : 0; /* mid holds our folder rule: o1 counted it */
    return 0;
}

static int took_ids(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const char *const *ids,
                    const char *const *xmls, size_t nids, size_t *vanished) {
    *vanished = 0;
    for (size_t i = 0; i < put->nrules; i++) {
        const char *rid = put->rules[i].id;
        int ours = 0;
        for (size_t k = 0; k < nids; k++) ours |= rid != NULL && strcmp(rid, ids[k]) == 0;
        if (rid == NULL || ours) continue;
        /* a rule without an ID is matched by its value */
        int found = 0;
        for (size_t j = 0; j < got->nrules && found == 0; j++)
            found = rid[0] != '\0' ? got->rules[j].id && strcmp(got->rules[j].id, rid) == 0
                                   : got->rules[j].xml && put->rules[i].xml
                                         ? ra_s3_lifecycle_rule_equal(got->rules[j].xml, put->rules[i].xml)
                                         : 0;
        if (found < 0) return -1;
        if (!found) (*vanished)++;
    }
    for (size_t k = 0; k < nids; k++) {
        int mine = find(got, ids[k]);
        if (xmls[k] == NULL) {
            if (mine >= 0) return 0;
            continue;
        }
        int same = mine >= 0 && got->rules[mine].xml != NULL ? ra_lifecycle_rule_same(got->rules[mine].xml, xmls[k])
                                                             : 0;
        if (same <= 0) return same;
    }
    return 1;
}

int ra_lifecycle_took(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const char *id, const char *xml,
                      size_t *vanished) {
    return took_ids(put, got, &id, &xml, 1, vanished);
}

int ra_lifecycle_took_want(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const ra_lifecycle_want *w,
                           size_t *vanished) {
    const char *ids[2] = {w->id[0], w->id[1]}, *xmls[2] = {w->xml[0], w->xml[1]};
    return took_ids(put, got, ids, xmls, 2, vanished);
}

static const char *const mode_names[] = {"age", "tags", "sweep"};

const char *ra_lifecycle_mode_name(ra_lifecycle_mode m) {
    return (unsigned)m < 3 ? mode_names[m] : "?";
}

int ra_lifecycle_state_parse(const char *text, size_t len, ra_lifecycle_state *st) {
    memset(st, 0, sizeof(*st));
    char buf[RA_LIFECYCLE_STATE_MAX + 1];
    if (text == NULL || len == 0 || len > RA_LIFECYCLE_STATE_MAX) return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (strlen(buf) != len || strncmp(buf, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) != 0) return -1;
    long long checked;
    char mode[8], hash[RA_LIFECYCLE_HASH_LEN + 1];
    int versioned, end = 0;
    if (sscanf(buf + strlen(STATE_MAGIC) + 1, "checked %lld\nmode %7s\nversioned %d\nrules %16s\n%n", &checked,
               mode, &versioned, hash, &end) != 4 || end == 0)
        return -1;
    if (checked < 0 || (versioned != 0 && versioned != 1) || strlen(hash) != RA_LIFECYCLE_HASH_LEN) return -1;
    int m = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(mode, mode_names[i]) == 0) m = i;
    if (m < 0) return -1;
    st->checked = (time_t)checked;
    st->mode = (ra_lifecycle_mode)m;
    st->versioned = versioned;
    memcpy(st->rules, hash, sizeof(st->rules));
    return 0;
}

char *ra_lifecycle_state_format(const ra_lifecycle_state *st) {
    char *text = NULL;
    if (asprintf(&text, STATE_MAGIC "\nchecked %lld\nmode %s\nversioned %d\nrules %s\n", (long long)st->checked,
                 ra_lifecycle_mode_name(st->mode), st->versioned ? 1 : 0, st->rules) < 0)
        return NULL;
    return text;
}
