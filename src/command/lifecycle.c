/* lifecycle.c - merging this instance's lifecycle rule into the bucket's rules, and checking that a
 * put took. Rules are compared by value (ra_s3_lifecycle_rule_equal): stores re-serialise them. */
#include "command/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"

#define ID_PREFIX "redis-archiver:"
#define ID_HASH_HEX 16 /* hex digits of SHA-256 that end a shortened ID */

char *ra_lifecycle_rule_id(const char *prefix, const char *instance, ra_err *err) {
    size_t n = strlen(ID_PREFIX) + strlen(prefix) + strlen(instance);
    char *id = malloc(n + 1);
    if (id == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    snprintf(id, n + 1, ID_PREFIX "%s%s", prefix, instance);
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

static int find(const ra_s3_lifecycle *lc, const char *id) {
    for (size_t i = 0; i < lc->nrules; i++)
        if (lc->rules[i].id != NULL && strcmp(lc->rules[i].id, id) == 0) return (int)i;
    return -1;
}

int ra_lifecycle_merge(const ra_s3_lifecycle *cur, const char *id, const char *xml, ra_s3_lifecycle *out,
                       ra_lifecycle_change *change, size_t *others, ra_err *err) {
    memset(out, 0, sizeof(*out));
    int mine = find(cur, id);
    size_t n = cur->nrules + (mine < 0);
    int same = mine < 0 ? 0 : ra_s3_lifecycle_rule_equal(cur->rules[mine].xml ? cur->rules[mine].xml : "", xml);
    if (same < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    *change = mine < 0 ? RA_LIFECYCLE_ADD : same ? RA_LIFECYCLE_SAME : RA_LIFECYCLE_UPDATE;
    *others = cur->nrules - (mine >= 0);
    out->rules = calloc(n, sizeof(*out->rules));
    if (out->rules == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int ours = (mine >= 0 && i == (size_t)mine) || i == cur->nrules;
        const char *rid = ours ? id : cur->rules[i].id, *rxml = ours ? xml : cur->rules[i].xml;
        out->rules[i].id = strdup(rid ? rid : "");
        out->rules[i].xml = strdup(rxml ? rxml : "");
        out->nrules = i + 1;
        if (out->rules[i].id == NULL || out->rules[i].xml == NULL) {
            ra_s3_lifecycle_clear(out);
            return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
    }
    return 0;
}

int ra_lifecycle_took(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const char *id, const char *xml,
                      size_t *vanished) {
    *vanished = 0;
    for (size_t i = 0; i < put->nrules; i++) {
        const char *rid = put->rules[i].id;
        if (rid == NULL || strcmp(rid, id) == 0) continue;
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
    int mine = find(got, id);
    return mine >= 0 && got->rules[mine].xml != NULL ? ra_s3_lifecycle_rule_equal(got->rules[mine].xml, xml) : 0;
}
