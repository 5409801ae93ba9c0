/* retain.c - the retention verdicts: count first (newest succeeded), then pins, then age. */
#include "command/retain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

void ra_retain_decide(const ra_record *recs, size_t n, time_t cutoff, int keep_last, ra_retain *out) {
    int kept = 0;
    for (size_t i = 0; i < n; i++) {
        const ra_record *r = &recs[i];
        if (r->state == RA_STATE_RUNNING)
            out[i] = RA_RETAIN_RUNNING;
        else if (r->state == RA_STATE_SUCCEEDED && kept < keep_last)
            out[i] = RA_RETAIN_NEWEST;
        else if (r->keep)
            out[i] = RA_RETAIN_PINNED;
        else if (r->started == 0 || r->started >= cutoff)
            out[i] = RA_RETAIN_YOUNG;
        else
            out[i] = RA_RETAIN_EXPIRE;
        if (r->state == RA_STATE_SUCCEEDED) kept++;
    }
}

/* The shard's key as its record names it, when that lies in the backup's own folder
 * "<prefix><instance>/<id>/" (a record names no other object to delete). */
static int shard_key_ours(const char *prefix, const char *instance, const ra_record *rec, int s) {
    const char *key = rec->shards ? rec->shards[s].key : NULL;
    char *dir = NULL;
    if (key == NULL || asprintf(&dir, "%s%s/%s/", prefix ? prefix : "", instance, rec->id) < 0) return 0;
    size_t dl = strlen(dir);
    int ours = strncmp(key, dir, dl) == 0 && key[dl] != '\0' && strchr(key + dl, '/') == NULL &&
               strstr(key + dl, "..") == NULL;
    free(dir);
    return ours;
}

int ra_retain_unit_keys(const char *prefix, const char *instance, const ra_record *rec, char ***keys, size_t *n) {
    size_t want = (size_t)(rec->nshards > 0 ? rec->nshards : 1) + 1;
    char **k = calloc(want, sizeof(*k));
    *keys = NULL;
    *n = 0;
    if (k == NULL) return -1;
    size_t i = 0;
    for (int s = 0; s < rec->nshards; s++) {
        k[i] = ra_record_shard_key(prefix, instance, rec->id, s, rec->format);
        if (k[i] == NULL && shard_key_ours(prefix, instance, rec, s)) /* a format of another version */
            k[i] = strdup(rec->shards[s].key);
        if (k[i] == NULL) k[i] = ra_record_shard_key(prefix, instance, rec->id, s, NULL);
        i++;
    }
    if (rec->nshards <= 0) {
        k[i] = ra_record_object_key(prefix, instance, rec->id, rec->format);
        if (k[i] == NULL) k[i] = ra_record_rdb_key(prefix, instance, rec->id); /* a format of another version */
        i++;
    }
    k[i++] = ra_record_json_key(prefix, instance, rec->id);
    for (size_t j = 0; j < i; j++) {
        if (k[j] == NULL) {
            ra_retain_unit_keys_free(k, i);
            return -1;
        }
    }
    *keys = k;
    *n = i;
    return 0;
}

void ra_retain_unit_keys_free(char **keys, size_t n) {
    for (size_t i = 0; keys != NULL && i < n; i++) free(keys[i]);
    free(keys);
}

long ra_retain_newest_succeeded(const ra_record *recs, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (recs[i].state == RA_STATE_SUCCEEDED) return (long)i;
    return -1;
}

const char *ra_retain_reason(ra_retain r) {
    switch (r) {
    case RA_RETAIN_EXPIRE: return "expired";
    case RA_RETAIN_YOUNG: return "within the retention days";
    case RA_RETAIN_NEWEST: return "one of the newest retention-keep succeeded backups";
    case RA_RETAIN_PINNED: return "pinned";
    case RA_RETAIN_RUNNING: return "running";
    }
    return "?";
}

void ra_retain_decide_tags(const ra_record *recs, size_t n, int keep_last, const char **tags) {
    ra_retain *v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) tags[i] = NULL;
    if (v == NULL) return; /* out of memory: no tags, which changes nothing */
    /* no cutoff: whatever is not kept by count, pin or run is tagged expire now, and the rule expires it
     * when it is old enough (the rule counts the days from the object's creation) */
    ra_retain_decide(recs, n, RA_RETAIN_NO_CUTOFF, keep_last, v);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == RA_RETAIN_RUNNING) continue;
        /* a record without a start time is judged young by decide: keep it */
        tags[i] = v[i] == RA_RETAIN_EXPIRE && recs[i].started != 0 ? RA_RETAIN_TAG_EXPIRE : RA_RETAIN_TAG_KEEP;
    }
    free(v);
}
