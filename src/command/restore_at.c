/* restore_at.c - point in time: which chain holds TIME, and the replay of its segments on top of the
 * restored base backup. The commands go to the target byte for byte as the source's master sent
 * them (SELECT included, so databases stay right), through the restore target (source/target.h:
 * pipelined in batches, routed by slot on a cluster); PING and REPLCONF are left out; a MULTI is held
 * until its EXEC and dropped when TIME cuts it. */
#include "command/restore_at.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/segment.h"
#include "common/limits.h"
#include "common/text.h"
#include "source/replstream.h"
#include "source/target.h"

#define SEGMENT_OBJECT_MAX ((size_t)RA_SEGMENT_SIZE_MAX * 2 + 16 * 1024 * 1024)

/* ---- TIME --------------------------------------------------------------------------------------- */

static int num(const char **p, int n, int *v) {
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int ra_restore_at_parse_time(const char *text, long long now_ms, long long *ms, ra_err *err) {
    if (strcmp(text, "now") == 0) {
        *ms = now_ms;
        return 0;
    }
    const char *p = text;
    int Y, M, D, h, m, s, frac = 0, fdig = 0;
    struct tm tm = {0};
    if (num(&p, 4, &Y) || *p++ != '-' || num(&p, 2, &M) || *p++ != '-' || num(&p, 2, &D) || (*p != 'T' && *p != ' ') ||
        (p++, num(&p, 2, &h)) || *p++ != ':' || num(&p, 2, &m) || *p++ != ':' || num(&p, 2, &s))
        goto bad;
    if (*p == '.' || *p == ',') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (fdig < 3) frac = frac * 10 + (*p - '0'), fdig++;
            p++;
        }
        while (fdig < 3) frac *= 10, fdig++;
    }
    long zone = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, zh, zm = 0;
        if (num(&p, 2, &zh)) goto bad;
        if (*p == ':') p++;
        if (*p && num(&p, 2, &zm)) goto bad;
        zone = sign * (zh * 3600L + zm * 60L);
    }
    if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60) goto bad;
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    *ms = ((long long)timegm(&tm) - zone) * 1000 + frac;
    return 0;
bad:
    return ra_err_set(err, RA_E_USAGE, "--at '%s' is no time: give ISO 8601 (2026-11-29T03:40:00Z, UTC when no zone "
                      "is given) or now", text);
}

/* ---- the chains --------------------------------------------------------------------------------- */

typedef struct seglist {
    const char *dir; /* "<dir><id>.seg/" */
    char **keys;
    size_t n, cap;
} seglist;

static int collect_segment(void *ctx, const ra_s3_object *obj, ra_err *err) {
    seglist *l = ctx;
    size_t dl = strlen(l->dir);
    long long a, b;
    int shard;
    if (strncmp(obj->key, l->dir, dl) != 0 || !ra_segment_rel_parse(obj->key + dl, &shard, &a, &b)) return 0;
    if (ra_strv_push(&l->keys, &l->n, &l->cap, obj->key) != 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

/* the shard of a segment key (after its chain's dir), -1 for a standalone chain's */
static int key_shard(const char *key) {
    const char *rel = strstr(key, ".seg/");
    long long a, b;
    int shard = -1;
    if (rel != NULL) (void)ra_segment_rel_parse(rel + 5, &shard, &a, &b);
    return shard;
}

/* by shard, then by name (fixed-width offsets: "<e>-<e>" sorts before "<e>-<next>") */
static int by_key(const void *a, const void *b) {
    const char *ka = *(char *const *)a, *kb = *(char *const *)b;
    int sa = key_shard(ka), sb = key_shard(kb);
    return sa != sb ? (sa < sb ? -1 : 1) : strcmp(ka, kb);
}

static void free_keys(char **keys, size_t n) {
    for (size_t i = 0; i < n; i++) free(keys[i]);
    free(keys);
}

static int get_segment(const ra_store *store, const char *key, uint8_t **obj, size_t *len, ra_segment_meta *m,
                       size_t *at, ra_err *err) {
    char *data = NULL;
    if (ra_s3_get_object_small(store->s3, key, SEGMENT_OBJECT_MAX, &data, len, err) != 0) return -1;
    *obj = (uint8_t *)data;
    if (ra_segment_parse(*obj, *len, m, at, err) != 0) {
        free(data);
        *obj = NULL;
        return ra_err_prefix(err, "segment '%s': ", key);
    }
    return 0;
}

/* The time range of one stream, keys[0..n): its first segment's first tick, its last segment's last tick. */
static int stream_range(const ra_store *store, char *const *keys, size_t n, long long *from, long long *to,
                        ra_err *err) {
    ra_segment_meta m = {0};
    uint8_t *obj;
    size_t len, at;
    if (get_segment(store, keys[0], &obj, &len, &m, &at, err) != 0) return -1;
    *from = m.nticks ? m.ticks[0].ms : -1;
    free(obj);
    if (get_segment(store, keys[n - 1], &obj, &len, &m, &at, err) != 0) return -1;
    *to = m.nticks ? m.ticks[m.nticks - 1].ms : -1;
    free(obj);
    ra_segment_meta_clear(&m);
    return 0;
}

/* The chain's keys grouped by stream (p->streams, p->stream_at) and the range every stream covers: a
 * cluster chain reaches from the latest of its shards' first ticks to the earliest of their last ticks. A
 * cluster chain missing a shard's stream covers nothing (*from > *to). */
static int chain_range(const ra_store *store, const ra_record *rec, ra_restore_at *p, long long *from,
                       long long *to, ra_err *err) {
    int want = rec->nshards > 0 ? rec->nshards : 1;
    p->stream_at = calloc((size_t)want + 1, sizeof(*p->stream_at));
    if (p->stream_at == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    p->streams = want;
    *from = -1;
    *to = -1;
    size_t i = 0;
    for (int s = 0; s < want; s++) {
        int shard = rec->nshards > 0 ? s : -1;
        while (i < p->nkeys && key_shard(p->keys[i]) < shard) i++; /* a stray stream: not this record's */
        p->stream_at[s] = i;
        size_t end = i;
        while (end < p->nkeys && key_shard(p->keys[end]) == shard) end++;
        if (end == i) { /* a shard without a stream: nothing of the chain can be restored */
            *from = 1;
            *to = 0;
            p->stream_at[want] = i;
            return 0;
        }
        long long f, t;
        if (stream_range(store, p->keys + i, end - i, &f, &t, err) != 0) return -1;
        if (f > *from) *from = f;
        if (*to < 0 || t < *to) *to = t;
        i = end;
    }
    p->stream_at[want] = i;
    return 0;
}

static void iso_ms(long long ms, char out[32]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ra_restore_at_pick(const ra_store *store, const char *id, const char *at, ra_restore_at *p, ra_record *rec,
                       ra_err *err) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ra_restore_at_parse_time(at, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &p->at_ms, err) != 0) return -1;
    ra_record *recs = NULL;
    size_t n = 0;
    if (ra_catalog_list(&store->catalog, time(NULL), &recs, &n, err) != 0) return -1;
    ra_records_sort_newest(recs, n);
    char *dir = ra_catalog_dir(&store->catalog);
    char ranges[1024] = "";
    int found = 0, rc = 0;
    for (size_t i = 0; dir && i < n && !found && rc == 0; i++) {
        if (recs[i].state != RA_STATE_SUCCEEDED) continue;
        if (strcmp(id, RA_ID_LATEST) != 0 && strcmp(id, recs[i].id) != 0) continue;
        seglist l = {0};
        char *sdir = ra_segment_dir(dir, recs[i].id);
        l.dir = sdir;
        if (sdir == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        if (rc == 0) rc = ra_s3_list(store->s3, sdir, collect_segment, &l, err);
        long long from = -1, to = -1;
        ra_restore_at chain = {.at_ms = p->at_ms};
        if (rc == 0 && l.n > 0) {
            qsort(l.keys, l.n, sizeof(*l.keys), by_key);
            chain.keys = l.keys;
            chain.nkeys = l.n;
            l.keys = NULL;
            l.n = 0;
            rc = chain_range(store, &recs[i], &chain, &from, &to, err);
        }
        if (rc == 0 && chain.nkeys > 0 && from <= to) {
            if (from <= p->at_ms && p->at_ms <= to) {
                found = 1;
                *p = chain;
                memset(&chain, 0, sizeof(chain));
                rc = ra_app_get_backup(store, recs[i].id, "restore", rec, err);
            } else {
                char a[32], b[32];
                iso_ms(from, a);
                iso_ms(to, b);
                size_t k = strlen(ranges);
                snprintf(ranges + k, sizeof(ranges) - k, "%s%s..%s (base %s)", k ? ", " : "", a, b, recs[i].id);
            }
        }
        ra_restore_at_clear(&chain);
        free_keys(l.keys, l.n);
        free(sdir);
    }
    free(dir);
    ra_catalog_records_free(recs, n);
    if (rc != 0 || found) return rc;
    char want[32];
    iso_ms(p->at_ms, want);
    if (ranges[0] == '\0')
        return ra_err_set(err, RA_E_USAGE, "restore --at %s: no archived stream%s%s of instance '%s' exists: run "
                          "archive first", want, strcmp(id, RA_ID_LATEST) ? " for backup " : "",
                          strcmp(id, RA_ID_LATEST) ? id : "", store->catalog.instance);
    return ra_err_set(err, RA_E_USAGE, "restore --at %s is outside the archived range; what exists: %s", want, ranges);
}

/* ---- the replay --------------------------------------------------------------------------------- */

typedef struct replay {
    ra_target *t;
    ra_target_stats st;     /* of the replay only: commands answered, error replies */
    const uint8_t *payload; /* the current segment's stream bytes, from seg_first */
    long long seg_first;
    long long cut;          /* commands ending after this are not replayed */
    uint8_t *tx;            /* a MULTI block waiting for its EXEC (may span segments) */
    size_t txlen, txcap;
    int txcount;
    int in_tx;
} replay;

static int tx_keep(replay *r, const uint8_t *d, size_t n, ra_err *err) {
    if (r->txlen + n > r->txcap) {
        size_t cap = r->txcap ? r->txcap : 4096;
        while (cap < r->txlen + n) cap *= 2;
        uint8_t *nb = realloc(r->tx, cap);
        if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        r->tx = nb;
        r->txcap = cap;
    }
    memcpy(r->tx + r->txlen, d, n);
    r->txlen += n;
    r->txcount++;
    return 0;
}

static int on_replayed(void *ctx, const ra_replcmd *c, ra_err *err) {
    replay *r = ctx;
    if (c->end > r->cut) return 0;
    const uint8_t *d = r->payload + (c->start - r->seg_first);
    size_t n = (size_t)(c->end - c->start);
    if (strcmp(c->name, "ping") == 0 || strcmp(c->name, "replconf") == 0) return 0;
    if (strcmp(c->name, "multi") == 0) {
        r->in_tx = 1;
        r->txlen = 0;
        r->txcount = 0;
        return tx_keep(r, d, n, err);
    }
    if (r->in_tx) {
        if (tx_keep(r, d, n, err) < 0) return -1;
        if (strcmp(c->name, "exec") != 0 && strcmp(c->name, "discard") != 0) return 0;
        r->in_tx = 0;
        return ra_target_commands(r->t, r->tx, r->txlen, r->txcount, &r->st, err);
    }
    return ra_target_commands(r->t, d, n, 1, &r->st, err);
}

/* Replay one stream of segments (keys, in offset order, of the stream of base base_id - of its shard, -1
 * for a standalone chain - that starts at base_offset) into r->t up to p->at_ms; p->offset: where it
 * stopped; r->in_tx: a MULTI cut by TIME. */
static int replay_chain(const ra_store *store, const char *base_id, int shard, char *const *keys, size_t nkeys,
                        long long base_offset, ra_restore_at *p, replay *r, ra_err *err) {
    long long expect = base_offset, ms_end = -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nkeys; i++) {
        ra_segment_meta m = {0};
        uint8_t *obj = NULL;
        size_t len, at;
        if ((rc = get_segment(store, keys[i], &obj, &len, &m, &at, err)) != 0) break;
        /* the replid may change along a chain (a failover followed by +CONTINUE <id>): offsets are the proof */
        if (strcmp(m.base, base_id) != 0 || m.sharded != (shard >= 0) || (shard >= 0 && m.shard != shard))
            rc = ra_err_set(err, RA_E_VERIFY, "segment '%s' belongs to another chain (base %s)", keys[i], m.base);
        else if (m.first != expect)
            rc = ra_err_set(err, RA_E_VERIFY, "the archive has a gap: offsets %lld to %lld are missing before '%s'",
                            expect, m.first, keys[i]);
        if (rc == 0) {
            ms_end = m.nticks ? m.ticks[m.nticks - 1].ms : -1;
            long long cut = ms_end <= p->at_ms ? m.last : ra_segment_offset_at(&m, p->at_ms);
            if (cut < m.first) cut = m.first;
            r->payload = obj + at;
            r->seg_first = m.first;
            r->cut = cut;
            ra_replstream rs;
            ra_replstream_init(&rs, m.first);
            rc = ra_replstream_feed(&rs, obj + at, len - at, on_replayed, r, err);
            if (rc == 0 && ra_replstream_partial(&rs))
                rc = ra_err_set(err, RA_E_VERIFY, "segment '%s' ends inside a command", keys[i]);
            p->offset = cut;
            expect = m.last;
            if (cut < m.last) i = nkeys; /* TIME is inside this one: done */
        }
        free(obj);
        ra_segment_meta_clear(&m);
    }
    if (rc == 0) rc = ra_target_flush(r->t, &r->st, err);
    return rc;
}

int ra_restore_at_replay(ra_app *app, const ra_store *store, const ra_record *rec, ra_restore_at *p, ra_target *t,
                         ra_err *err) {
    replay r = {.t = t};
    /* a standalone target: the stream's commands start in db 0 unless it SELECTs (nothing on a cluster) */
    int rc = ra_target_select(t, 0, &r.st, err);
    for (int s = 0; rc == 0 && s < p->streams; s++) { /* a cluster chain: shard after shard (slots apart) */
        int shard = rec->nshards > 0 ? s : -1;
        r.in_tx = 0;
        rc = replay_chain(store, rec->id, shard, p->keys + p->stream_at[s], p->stream_at[s + 1] - p->stream_at[s],
                          shard >= 0 ? rec->shards[s].offset : rec->offset, p, &r, err);
    }
    if (p->streams > 1 || rec->nshards > 0) p->offset = -1; /* one stream per shard: no one offset */
    p->replayed += r.st.commands;
    if (r.st.errors > 0 && p->errors == 0) snprintf(p->first_error, sizeof(p->first_error), "%s", r.st.first_error);
    p->errors += r.st.errors;
    if (rc == 0 && p->errors > 0)
        rc = ra_err_set(err, RA_E_SOURCE, "the target refused %lld of the %lld commands replayed; the first: %s",
                        p->errors, p->replayed, p->first_error);
    if (rc == 0)
        ra_log_info(&app->log, "restore.at", "replayed %lld commands of the archived stream%s up to offset %lld%s",
                    p->replayed, p->offset < 0 ? "s of every shard" : "", p->offset,
                    r.in_tx ? " (a transaction cut by --at was left out)" : "");
    free(r.tx);
    return rc;
}

void ra_restore_at_clear(ra_restore_at *p) {
    free_keys(p->keys, p->nkeys);
    free(p->stream_at);
    memset(p, 0, sizeof(*p));
}
