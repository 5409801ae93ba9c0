/* chain.c - a base backup and its archive as one chain: the states "<dir><id>.archive" listed beside the
 * records, a chain's newest moment for retention, orphaned chains, a chain's deletion, its status line. */
#include "command/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/segment.h"
#include "common/text.h"

int ra_chain_state_get(const ra_catalog *c, const char *id, ra_segment_state *st) {
    char *dir = ra_catalog_dir(c), *key = dir ? ra_segment_state_key(dir, id) : NULL, *text = NULL;
    size_t len = 0;
    ra_err err = {0};
    int got = key != NULL && ra_s3_get_object_small(c->s3, key, 4096, &text, &len, &err) == 0;
    if (got) ra_segment_state_parse(text, len, st);
    free(text);
    free(key);
    free(dir);
    return got;
}

typedef struct found_states {
    const char *dir;
    const ra_record *recs;
    size_t n;
    char *has; /* has[i]: "<dir><id>.archive" is listed */
} found_states;

/* key is "<dir><id>.archive" (a chain's state): the id's length, else 0 (the id starts at key + strlen(dir)) */
static size_t state_id_len(const char *dir, const char *key) {
    size_t dl = strlen(dir), kl = strlen(key), el = strlen(".archive");
    if (kl <= dl + el || strncmp(key, dir, dl) != 0 || strcmp(key + kl - el, ".archive") != 0) return 0;
    return kl - dl - el;
}

/* the index in recs[0..n) of the record whose id is id[0..len), or n */
static size_t record_index(const ra_record *recs, size_t n, const char *id, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(recs[i].id) == len && strncmp(id, recs[i].id, len) == 0) return i;
    return n;
}

static int note_state(void *ctx, const ra_s3_object *obj, ra_err *err) {
    (void)err;
    found_states *f = ctx;
    size_t il = state_id_len(f->dir, obj->key), i;
    if (il > 0 && (i = record_index(f->recs, f->n, obj->key + strlen(f->dir), il)) < f->n) f->has[i] = 1;
    return 0;
}

int ra_chain_states(const ra_catalog *c, const ra_record *recs, size_t n, ra_segment_state *st) {
    for (size_t i = 0; i < n; i++) st[i] = (ra_segment_state){.first = -1, .first_ms = -1, .last_ms = -1};
    char *dir = ra_catalog_dir(c);
    found_states f = {.dir = dir, .recs = recs, .n = n, .has = calloc(n + 1, 1)};
    ra_err err = {0};
    int found = 0;
    if (dir != NULL && f.has != NULL && ra_s3_list_top(c->s3, dir, note_state, &f, &err) == 0)
        for (size_t i = 0; i < n; i++)
            if (f.has[i] && ra_chain_state_get(c, recs[i].id, &st[i])) found++;
    free(f.has);
    free(dir);
    return found;
}

long long ra_chain_newest(const ra_catalog *c, const char *id) {
    ra_segment_state st;
    if (!ra_chain_state_get(c, id, &st)) return 0;
    long long ms = st.last_ms > st.updated_ms ? st.last_ms : st.updated_ms;
    return ms > 0 ? ms / 1000 : 0;
}

typedef struct orphans {
    const char *dir;
    const ra_record *recs;
    size_t n;
    char **ids;
    size_t nids, cap;
} orphans;

static int note_orphan(void *ctx, const ra_s3_object *obj, ra_err *err) {
    orphans *o = ctx;
    size_t dl = strlen(o->dir), il = state_id_len(o->dir, obj->key);
    if (il == 0 || record_index(o->recs, o->n, obj->key + dl, il) < o->n) return 0;
    char id[128];
    if (il >= sizeof(id)) return 0;
    memcpy(id, obj->key + dl, il);
    id[il] = '\0';
    if (ra_strv_push(&o->ids, &o->nids, &o->cap, id) != 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

int ra_chain_remove_orphans(const ra_catalog *c, const ra_record *recs, size_t n) {
    char *dir = ra_catalog_dir(c);
    orphans o = {.dir = dir, .recs = recs, .n = n};
    ra_err err = {0};
    int removed = 0;
    if (dir == NULL || ra_s3_list_top(c->s3, dir, note_orphan, &o, &err) != 0) {
        ra_log_warn(c->log, "archive.orphans", "could not look for archives whose base backup is gone: %s",
                    dir ? err.msg : "out of memory");
    }
    for (size_t i = 0; i < o.nids; i++) {
        /* only a record the store says is gone (a record skipped as unreadable, or a failed read, is not) */
        char *rk = ra_record_json_key(c->prefix, c->instance, o.ids[i]);
        ra_s3_head h = {0};
        ra_err_clear(&err);
        int gone = rk != NULL && ra_s3_head_object(c->s3, rk, &h, &err) != 0 && err.code == RA_E_NOTFOUND;
        ra_s3_head_clear(&h);
        free(rk);
        if (!gone) continue;
        ra_err_clear(&err);
        if (ra_chain_delete_segments(c, o.ids[i], &err) < 0) {
            ra_log_warn(c->log, "archive.orphans", "could not delete the archive of expired backup %s: %s", o.ids[i],
                        err.msg);
            continue;
        }
        /* no segment left behind: the state alone */
        char *key = ra_segment_state_key(dir, o.ids[i]);
        ra_err_clear(&err);
        if (key != NULL) (void)ra_s3_delete_object(c->s3, key, &err);
        free(key);
        ra_log_info(c->log, "archive.orphans", "deleted the archive of backup %s, whose base backup is gone "
                    "(expired by the lifecycle rule)", o.ids[i]);
        removed++;
    }
    for (size_t i = 0; i < o.nids; i++) free(o.ids[i]);
    free(o.ids);
    free(dir);
    return removed;
}

void ra_chain_print_status(const ra_store *store, const char *id, FILE *out) {
    ra_segment_state st;
    if (!ra_chain_state_get(&store->catalog, id, &st)) return;
    char at[32] = "-", upd[32] = "-";
    if (st.last_ms > 0) ra_time_iso((time_t)(st.last_ms / 1000), at);
    if (st.updated_ms > 0) ra_time_iso((time_t)(st.updated_ms / 1000), upd);
    long long lag = st.last_ms > 0 ? (long long)time(NULL) - st.last_ms / 1000 : -1LL,
              behind = st.received > st.uploaded ? st.received - st.uploaded : 0;
    if (st.shards > 0)
        fprintf(out, "  archive: %lld shards, %lld bytes of their streams in %lld segments, every shard stored to %s, "
                "lag %llds and %lld bytes received not yet stored; state written %s\n", st.shards, st.uploaded,
                st.segments, at, lag, behind, upd);
    else
        fprintf(out, "  archive: stream %lld-%lld in %lld segments, last %s (to %s), lag %llds and %lld bytes "
                "received not yet stored; state written %s\n", st.first, st.uploaded, st.segments, st.last_segment, at,
                lag, behind, upd);
}

typedef struct keylist {
    char **keys;
    size_t n, cap;
} keylist;

static int collect_key(void *ctx, const ra_s3_object *obj, ra_err *err) {
    keylist *l = ctx;
    if (ra_strv_push(&l->keys, &l->n, &l->cap, obj->key) != 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

int ra_chain_delete_segments(const ra_catalog *c, const char *id, ra_err *err) {
    char *dir = ra_catalog_dir(c), *sdir = dir ? ra_segment_dir(dir, id) : NULL;
    keylist l = {0};
    int rc = sdir ? ra_s3_list(c->s3, sdir, collect_key, &l, err) : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    char *state = dir ? ra_segment_state_key(dir, id) : NULL; /* the state goes last, after the segments */
    ra_err serr = {0};
    if (rc == 0 && state == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (rc == 0 && l.n > 0) rc = ra_s3_delete_objects(c->s3, (const char *const *)l.keys, l.n, err);
    size_t deleted = l.n;
    if (rc == 0 && l.n > 0 && ra_s3_delete_object(c->s3, state, &serr) == 0) deleted++;
    free(state);
    if (rc == 0 && l.n > 0)
        ra_log_info(c->log, "archive.deleted", "deleted the %zu archive objects of backup %s", deleted, id);
    for (size_t i = 0; i < l.n; i++) free(l.keys[i]);
    free(l.keys);
    free(sdir);
    free(dir);
    return rc == 0 ? (int)deleted : -1;
}


void ra_chain_range_iso(const ra_segment_state *st, const ra_record *rec, char from[32], char to[32]) {
    ra_time_iso((time_t)((st->first_ms > 0 ? st->first_ms : rec->finished * 1000LL) / 1000), from);
    ra_time_iso((time_t)(st->last_ms / 1000), to);
}
