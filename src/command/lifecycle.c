/* lifecycle.c - merging this instance's lifecycle rule into the bucket's rules, and checking that a
 * put took. */
#include "command/lifecycle.h"

#include <stdlib.h>
#include <string.h>

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
    *change = mine < 0 ? RA_LIFECYCLE_ADD
              : strcmp(cur->rules[mine].xml ? cur->rules[mine].xml : "", xml) == 0 ? RA_LIFECYCLE_SAME
                                                                                 : RA_LIFECYCLE_UPDATE;
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
        /* a rule without an ID is matched by its text */
        int found = 0;
        for (size_t j = 0; j < got->nrules && !found; j++)
            found = rid[0] != '\0' ? got->rules[j].id && strcmp(got->rules[j].id, rid) == 0
                                   : got->rules[j].xml && put->rules[i].xml &&
                                         strcmp(got->rules[j].xml, put->rules[i].xml) == 0;
        if (!found) (*vanished)++;
    }
    int mine = find(got, id);
    return mine >= 0 && got->rules[mine].xml != NULL && strcmp(got->rules[mine].xml, xml) == 0;
}
