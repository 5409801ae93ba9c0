/* archive.c - the replication link after the base backup: read it always (a replica that stops
 * reading is dropped at the output-buffer limit), acknowledge every second and on GETACK, cut the
 * stream at command ends into segments, and hand them to uploader threads through a bounded
 * queue. Threads: the caller's reads the socket and owns the open segment; each uploader owns an
 * s3 client; they share the queue and the counters under `mu`. */
#include "command/archive.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/segment.h"
#include "common/crc64.h"
#include "common/limits.h"
#include "source/net.h"
#include "source/replresume.h"
#include "source/replstream.h"

#define READ_CHUNK (256 * 1024)
#define POLL_MS 100
#define RETRY_MS 2000

typedef struct closed {
    uint8_t *obj; /* header + stream bytes */
    size_t len;
    long long first, last, last_ms;
    int state; /* 0 waiting, 1 being stored, 2 stored (waits for the ones before it) */
} closed;

typedef struct arch {
    const ra_archive_opts *o;
    ra_conn *conn;
    char replid[41];
    long long first;           /* the stream's first offset */
    long long first_ms;        /* and when it started (the first tick) */
    ra_replstream rs;
    int getack;
    long long resumed;
    int full_resync;
    /* the open segment: stream bytes from seg_first */
    uint8_t *buf;
    size_t len, cap;
    long long seg_first;
    long long seg_opened;      /* monotonic ms */
    ra_segment_meta meta;
    /* shared with the uploader */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    closed q[RA_ARCHIVE_QUEUE_MAX + 1];
    int qhead, qn;
    long long qbytes, qmax;     /* bytes of the closed segments not stored yet, and their bound */
    int draining, give_up, up_running;
    long long uploaded, segments, last_ms;
    char last_name[48];
    ra_err up_err;             /* the store's last error */
    pthread_t th[RA_ARCHIVE_UPLOADERS_MAX];
    int nth;
} arch;

static long long mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the uploaders ------------------------------------------------------------------------------ */

typedef struct upctx {
    arch *a;
    ra_s3 *s3;
} upctx;

/* After the head of the queue is stored: the state object, by the uploader that popped it. */
static void put_state(arch *a, ra_s3 *s3, long long received) {
    char *key = ra_segment_shard_state_key(a->o->dir, a->o->base_id, a->o->shard), text[512];
    if (key == NULL) return;
    pthread_mutex_lock(&a->mu);
    ra_segment_state st = {.first = a->first, .uploaded = a->uploaded, .received = received, .segments = a->segments,
                           .first_ms = a->first_ms, .last_ms = a->last_ms, .updated_ms = wall_ms(), .shards = -1};
    snprintf(st.last_segment, sizeof(st.last_segment), "%s", a->last_name);
    int n = ra_segment_state_format(&st, a->replid, text, sizeof(text));
    ra_archive_progress p = {.first = a->first, .received = received, .uploaded = a->uploaded,
                             .segments = a->segments, .first_ms = a->first_ms, .last_ms = a->last_ms};
    pthread_mutex_unlock(&a->mu);
    if (a->o->progress) a->o->progress(a->o->progress_ctx, &p);
    ra_err e = {0};
    if (ra_s3_put_object(s3, key, text, (size_t)n, "text/plain", NULL, 0, &e) != 0)
        ra_log_warn(a->o->log, "archive.state", "could not write the archive's state: %s", e.msg);
    free(key);
}

/* The first closed segment no uploader has taken, or -1 (under mu). */
static int next_waiting(const arch *a) {
    for (int k = 0; k < a->qn; k++) {
        int i = (a->qhead + k) % (RA_ARCHIVE_QUEUE_MAX + 1), busy = 0;
        if (a->q[i].state != 0) continue;
        /* a quiet stream's "<e>-<e>" again: not while an older one of that key is being stored (it would land
         * last and put back fewer ticks) */
        for (int j = 0; j < k && !busy; j++) {
            const closed *p = &a->q[(a->qhead + j) % (RA_ARCHIVE_QUEUE_MAX + 1)];
            busy = p->state == 1 && p->first == a->q[i].first && p->last == a->q[i].last;
        }
        if (!busy) return i;
    }
    return -1;
}

/* Several uploaders store segments at once, each with its own s3 client; the queue's head leaves only
 * once stored, so `uploaded` (and the state) only ever covers a stream without holes. */
static void *uploader(void *arg) {
    upctx *u = arg;
    arch *a = u->a;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        int i;
        while ((i = next_waiting(a)) < 0 && !(a->draining && a->qn == 0) && !a->give_up)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->give_up || i < 0) break;
        closed *c = &a->q[i];
        c->state = 1;
        uint8_t *obj = c->obj;
        size_t len = c->len;
        long long first = c->first, last = c->last;
        pthread_mutex_unlock(&a->mu);
        char *key = ra_segment_key(a->o->dir, a->o->base_id, a->o->shard, first, last);
        ra_err e = {0};
        int rc = key ? ra_s3_put_object(u->s3, key, obj, len, "application/octet-stream", NULL, 0, &e)
                     : ra_err_set(&e, RA_E_INTERNAL, "out of memory");
        if (rc == 0)
            ra_log_info(a->o->log, "archive.segment", "segment %lld-%lld stored (%zu bytes) as '%s'", first, last, len,
                        key);
        free(key);
        pthread_mutex_lock(&a->mu);
        if (rc != 0) {
            c->state = 0;
            a->up_err = e;
            int waiting = a->qn;
            pthread_mutex_unlock(&a->mu);
            ra_log_warn(a->o->log, "archive.store", "segment %lld-%lld not stored yet (%d waiting): %s", first, last,
                        waiting, e.msg);
            struct timespec ts = {.tv_sec = RETRY_MS / 1000, .tv_nsec = (RETRY_MS % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&a->mu);
            continue;
        }
        c->state = 2;
        free(c->obj);
        c->obj = NULL;
        a->qbytes -= (long long)len;
        a->up_err = (ra_err){0};
        int popped = 0;
        while (a->qn > 0 && a->q[a->qhead].state == 2) {
            closed *h = &a->q[a->qhead];
            a->uploaded = h->last;
            a->last_ms = h->last_ms;
            a->segments++;
            snprintf(a->last_name, sizeof(a->last_name), "%020lld-%020lld", h->first, h->last);
            a->qhead = (a->qhead + 1) % (RA_ARCHIVE_QUEUE_MAX + 1);
            a->qn--;
            popped = 1;
        }
        pthread_cond_broadcast(&a->cv);
        if (popped) {
            long long received = a->rs.boundary;
            pthread_mutex_unlock(&a->mu);
            put_state(a, u->s3, received);
            pthread_mutex_lock(&a->mu);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---- the link ----------------------------------------------------------------------------------- */

static int send_ack(arch *a, ra_err *err) {
    char off[24], cmd[96];
    int ol = snprintf(off, sizeof(off), "%lld", a->rs.boundary);
    int n = snprintf(cmd, sizeof(cmd), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%s\r\n", ol, off);
    if (ra_conn_write(a->conn, cmd, (size_t)n, a->o->read_ms, err) < 0)
        return ra_err_prefix(err, "acknowledging offset %lld: ", a->rs.boundary);
    return 0;
}

static int on_command(void *ctx, const ra_replcmd *c, ra_err *err) {
    (void)err;
    arch *a = ctx;
    if (strcmp(c->name, "replconf") == 0 && strcmp(c->arg1, "getack") == 0) a->getack = 1;
    return 0;
}

/* Close the open segment at the last command's end and queue it. With `idle` (segment-seconds passed, or
 * the archive stops) a segment without a byte is stored too: "<end>-<end>", its ticks saying the stream
 * stood still until now, so restore --at reaches the present on a quiet source. Its ticks are kept for the
 * next one, which overwrites the same key while the stream stays quiet and then starts at the same offset
 * (restore sorts "<e>-<e>" before "<e>-<next>"). */
static int close_segment(arch *a, int idle, ra_err *err) {
    long long end = a->rs.boundary;
    if (end < a->seg_first || (end == a->seg_first && !idle)) return 0;
    size_t plen = (size_t)(end - a->seg_first);
    long long now = wall_ms();
    a->meta.first = a->seg_first;
    a->meta.last = end;
    if (ra_segment_tick_add(&a->meta, now, end) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    a->meta.has_crc = 1; /* verify and restore --at tell a damaged segment by it */
    a->meta.crc64 = plen > 0 ? ra_crc64(0, a->buf, plen) : 0;
    size_t hl;
    char *h = ra_segment_header(&a->meta, &hl);
    uint8_t *obj = h ? malloc(hl + plen) : NULL;
    if (obj == NULL) {
        free(h);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    memcpy(obj, h, hl);
    if (plen > 0) memcpy(obj + hl, a->buf, plen); /* an idle segment may come before any buffer */
    free(h);
    pthread_mutex_lock(&a->mu);
    closed *tail = a->qn > 0 ? &a->q[(a->qhead + a->qn - 1) % (RA_ARCHIVE_QUEUE_MAX + 1)] : NULL;
    if (plen == 0 && tail != NULL && tail->state == 0 && tail->first == end && tail->last == end) {
        /* quiet while the last one still waits: these ticks (a superset) replace it, the queue does not grow */
        a->qbytes += (long long)hl - (long long)tail->len;
        free(tail->obj);
        tail->obj = obj;
        tail->len = hl;
        tail->last_ms = now;
        pthread_mutex_unlock(&a->mu);
        a->seg_opened = mono_ms();
        return 0;
    }
    if (a->qn >= RA_ARCHIVE_QUEUE_MAX || (a->qn > 0 && a->qbytes + (long long)(hl + plen) > a->qmax)) {
        ra_err last = a->up_err;
        int n = a->qn;
        long long qb = a->qbytes;
        pthread_mutex_unlock(&a->mu);
        free(obj);
        return ra_err_set(err, RA_E_STORE, "the store takes segments more slowly than the source writes them, or "
                          "not at all: %d segments (%lld bytes) wait and the next one would pass archive-queue "
                          "(%lld bytes, or %d segments), so the archive stops here rather than drop history at "
                          "offset %lld; raise archive-queue to ride out longer outages; the store's last error: %s",
                          n, qb, a->qmax, RA_ARCHIVE_QUEUE_MAX, a->seg_first, last.msg[0] ? last.msg : "none (only slow)");
    }
    int slot = (a->qhead + a->qn) % (RA_ARCHIVE_QUEUE_MAX + 1);
    a->q[slot] = (closed){.obj = obj, .len = hl + plen, .first = a->seg_first, .last = end, .last_ms = now, .state = 0};
    a->qn++;
    a->qbytes += (long long)(hl + plen);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    /* only once queued: refused, the bytes stay in the open segment (closed again at the end) */
    if (plen > 0) memmove(a->buf, a->buf + plen, a->len - plen);
    a->len -= plen;
    /* the next segment starts where this one ended, at the same moment */
    a->seg_opened = mono_ms();
    if (end == a->seg_first) return 0; /* idle: the ticks go on into the next */
    a->seg_first = end;
    char replid[41];
    memcpy(replid, a->meta.replid, sizeof(replid));
    ra_segment_meta_clear(&a->meta);
    memcpy(a->meta.replid, replid, sizeof(replid));
    snprintf(a->meta.base, sizeof(a->meta.base), "%s", a->o->base_id);
    a->meta.sharded = a->o->shard >= 0;
    a->meta.shard = a->o->shard;
    if (ra_segment_tick_add(&a->meta, now, end) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

/* Room for one more read in the open segment's buffer. */
static int room(arch *a, ra_err *err) {
    if (a->cap - a->len >= READ_CHUNK) return 0;
    size_t cap = a->cap ? a->cap * 2 : (size_t)READ_CHUNK * 4;
    while (cap - a->len < READ_CHUNK) cap *= 2;
    if (cap > (size_t)RA_SEGMENT_SIZE_MAX * 2)
        return ra_err_set(err, RA_E_SOURCE, "a command of the replication stream is larger than %lld bytes: the "
                          "archive cannot hold it", (long long)RA_SEGMENT_SIZE_MAX);
    uint8_t *nb = realloc(a->buf, cap);
    if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    a->buf = nb;
    a->cap = cap;
    return 0;
}

static int take(arch *a, const uint8_t *d, size_t n, int copy, ra_err *err) {
    if (copy) {
        if (a->cap - a->len < n) {
            uint8_t *nb = realloc(a->buf, a->len + n + READ_CHUNK);
            if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
            a->buf = nb;
            a->cap = a->len + n + READ_CHUNK;
        }
        memcpy(a->buf + a->len, d, n);
        d = a->buf + a->len;
    }
    a->len += n;
    pthread_mutex_lock(&a->mu); /* rs.boundary is read by the uploader for the state */
    int rc = ra_replstream_feed(&a->rs, d, n, on_command, a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int read_loop(arch *a, ra_err *err) {
    const ra_archive_opts *o = a->o;
    long long next_ack = 0, last_byte = mono_ms();
    for (;;) {
        long long now = mono_ms();
        if (a->getack || now >= next_ack) {
            if (send_ack(a, err) < 0) return err->code == RA_E_CANCELLED ? 0 : -1;
            if (now >= next_ack) {
                if (ra_segment_tick_add(&a->meta, wall_ms(), a->rs.boundary) < 0)
                    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
                next_ack = now + RA_ARCHIVE_ACK_MS;
            }
            a->getack = 0;
        }
        if (now - a->seg_opened >= o->segment_ms || (long long)a->len >= o->segment_size) {
            if (close_segment(a, now - a->seg_opened >= o->segment_ms, err) < 0) return -1;
        }
        if ((o->cancel && *o->cancel) || (o->stop_ms > 0 && wall_ms() >= o->stop_ms)) return 0;
        long wait = (long)(next_ack - now);
        if (wait > POLL_MS) wait = POLL_MS;
        if (wait < 1) wait = 1;
        int ready = ra_conn_readable(a->conn, wait, err);
        if (ready < 0) return err->code == RA_E_CANCELLED ? 0 : -1;
        if (ready == 0) {
            if (mono_ms() - last_byte >= o->read_ms)
                return ra_err_set(err, RA_E_SOURCE, "no byte from '%s' for %ld ms (masters ping their replicas every "
                                  "10 s): the replication link is dead", ra_conn_name(a->conn), o->read_ms);
            continue;
        }
        if (room(a, err) < 0) return -1;
        ssize_t n = ra_conn_read(a->conn, a->buf + a->len, READ_CHUNK, o->read_ms, err);
        if (n < 0) return err->code == RA_E_CANCELLED ? 0 : -1;
        if (n == 0)
            return ra_err_set(err, RA_E_SOURCE, "'%s' closed the replication link at offset %lld",
                              ra_conn_name(a->conn), a->rs.offset);
        last_byte = mono_ms();
        if (take(a, a->buf + a->len, (size_t)n, 0, err) < 0) return -1;
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The link broke at a->rs.boundary: the bytes of a half-read command are dropped (the source sends
 * them again), and a new connection asks for the stream from there. 0 on +CONTINUE, -1 otherwise
 * (a->full_resync on +FULLRESYNC). */
static int resume(arch *a, const ra_err *why, ra_err *err) {
    const ra_archive_opts *o = a->o;
    long long at = a->rs.boundary;
    ra_log_warn(o->log, "archive.link", "the replication link broke at offset %lld (%s); resuming with psync", at,
                why->msg);
    ra_conn_close(a->conn);
    a->conn = NULL;
    pthread_mutex_lock(&a->mu);
    a->len = (size_t)(at - a->seg_first);
    ra_replstream_init(&a->rs, at);
    pthread_mutex_unlock(&a->mu);
    long long until = mono_ms() + o->read_ms;
    ra_err last = *why;
    while (mono_ms() < until) {
        if (o->cancel && *o->cancel) return ra_err_set(err, RA_E_CANCELLED, "cancelled");
        ra_err e = {0};
        ra_conn *c = o->connect(o->connect_ctx, &e);
        int r = -1;
        ra_replica_stream link;
        if (c != NULL) r = ra_replresume(c, a->replid, at, o->read_ms, &link, &e);
        if (r == 0) {
            a->full_resync = 1;
            return ra_err_set(err, RA_E_SOURCE, "the source answered a full resync to psync %s %lld: its history after "
                              "offset %lld is lost, so this archive chain ends there", a->replid, at + 1, at);
        }
        if (r == 1) {
            if (strcmp(link.replid, a->replid) != 0) { /* a failover: the new id from here on */
                ra_log_info(o->log, "archive.replid", "replication id %s follows %s at offset %lld", link.replid,
                            a->replid, at);
                if (close_segment(a, 0, err) < 0) {
                    ra_conn_close(link.conn);
                    free(link.tail);
                    return -1;
                }
                pthread_mutex_lock(&a->mu); /* the uploaders read it for the state */
                snprintf(a->replid, sizeof(a->replid), "%s", link.replid);
                pthread_mutex_unlock(&a->mu);
                memcpy(a->meta.replid, a->replid, sizeof(a->replid));
            }
            a->conn = link.conn;
            a->resumed++;
            ra_log_info(o->log, "archive.resumed", "partial resync from '%s' at offset %lld", ra_conn_name(a->conn), at);
            int rc = link.tail_len > 0 ? take(a, link.tail, link.tail_len, 1, err) : 0;
            free(link.tail);
            return rc;
        }
        last = e;
        if (e.code == RA_E_CANCELLED) return ra_err_set(err, RA_E_CANCELLED, "cancelled");
        ra_log_warn(o->log, "archive.link", "no partial resync yet: %s", e.msg);
        sleep_ms(1000);
    }
    return ra_err_set(err, RA_E_SOURCE, "the replication link broke at offset %lld and could not be resumed within "
                      "%ld ms: %s", at, o->read_ms, last.msg);
}

/* Read until cancelled; a broken link is resumed when the caller gave a way to connect. */
static int stream_loop(arch *a, ra_err *err) {
    for (;;) {
        int rc = read_loop(a, err);
        if (rc == 0 || a->o->connect == NULL || err->code != RA_E_SOURCE) return rc;
        ra_err why = *err;
        if (resume(a, &why, err) < 0) return err->code == RA_E_CANCELLED ? 0 : -1;
    }
}

int ra_archive_run(const ra_archive_opts *o, ra_archive_result *res, ra_err *err) {
    memset(res, 0, sizeof(*res));
    arch a = {.o = o, .conn = o->link->conn, .qmax = o->queue_bytes > 0 ? o->queue_bytes : RA_ARCHIVE_QUEUE_MIN};
    o->link->conn = NULL;
    snprintf(a.replid, sizeof(a.replid), "%s", o->link->replid);
    ra_replstream_init(&a.rs, o->link->offset);
    a.seg_first = a.first = o->link->offset;
    a.uploaded = o->link->offset;
    res->first = o->link->offset;
    memcpy(a.meta.replid, a.replid, sizeof(a.replid));
    snprintf(a.meta.base, sizeof(a.meta.base), "%s", o->base_id);
    a.meta.sharded = o->shard >= 0;
    a.meta.shard = o->shard;
    a.seg_opened = mono_ms();
    a.first_ms = wall_ms();
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    int rc = ra_segment_tick_add(&a.meta, a.first_ms, a.rs.boundary) < 0 ? ra_err_set(err, RA_E_INTERNAL, "out of memory") : 0;
    upctx up[RA_ARCHIVE_UPLOADERS_MAX];
    int nup = o->nuploaders > 0 && o->nuploaders <= RA_ARCHIVE_UPLOADERS_MAX ? o->nuploaders : 1;
    for (int k = 0; rc == 0 && k < nup; k++) {
        up[k] = (upctx){.a = &a, .s3 = o->s3[k]};
        if (pthread_create(&a.th[k], NULL, uploader, &up[k]) != 0)
            rc = ra_err_set(err, RA_E_INTERNAL, "cannot start an uploader thread");
        else
            a.nth++;
    }
    a.up_running = a.nth > 0;
    char *sdir = ra_segment_shard_dir(o->dir, o->base_id, o->shard);
    ra_log_info(o->log, "archive.start", "archiving the replication stream of '%s' from offset %lld (replid %s) under "
                "'%s'", a.conn ? ra_conn_name(a.conn) : "?", a.rs.offset, a.replid, sdir ? sdir : "?");
    free(sdir);
    if (rc == 0 && o->link->tail_len > 0) rc = take(&a, o->link->tail, o->link->tail_len, 1, err);
    free(o->link->tail);
    o->link->tail = NULL;
    o->link->tail_len = 0;
    if (rc == 0) rc = stream_loop(&a, err);
    /* what was received whole goes to the store, also when the link failed */
    ra_err cerr = {0};
    if (close_segment(&a, 1, &cerr) < 0 && rc == 0) {
        *err = cerr;
        rc = -1;
    }
    ra_conn_close(a.conn);
    if (a.up_running) {
        long long until = mono_ms() + (o->drain_ms > 0 ? o->drain_ms : RA_S3_CLEANUP_TIMEOUT_MS_DEFAULT);
        pthread_mutex_lock(&a.mu);
        a.draining = 1;
        pthread_cond_broadcast(&a.cv);
        while (a.qn > 0 && mono_ms() < until) {
            pthread_mutex_unlock(&a.mu);
            struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000L};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&a.mu);
        }
        a.give_up = 1;
        pthread_cond_broadcast(&a.cv);
        int left = a.qn;
        long long first_left = left ? a.q[a.qhead].first : 0;
        ra_err last = a.up_err;
        pthread_mutex_unlock(&a.mu);
        for (int k = 0; k < a.nth; k++) pthread_join(a.th[k], NULL);
        if (left > 0 && rc == 0)
            rc = ra_err_set(err, RA_E_STORE, "%d segments from offset %lld could not be stored before the archive "
                            "stopped: %s", left, first_left, last.msg);
        while (a.qn > 0) {
            free(a.q[a.qhead].obj); /* NULL once stored */
            a.qhead = (a.qhead + 1) % (RA_ARCHIVE_QUEUE_MAX + 1);
            a.qn--;
        }
    }
    res->uploaded = a.uploaded;
    res->received = a.rs.boundary;
    res->segments = a.segments;
    res->resumed = a.resumed;
    res->full_resync = a.full_resync;
    ra_log_info(o->log, "archive.stop", "archive of '%s' stopped: stream %lld-%lld stored in %lld segments%s",
                o->base_id, res->first, res->uploaded, res->segments, rc == 0 ? "" : " (failed)");
    free(a.buf);
    ra_segment_meta_clear(&a.meta);
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
    return rc;
}
