/* upload.c - the multipart sink: parts cut from a stream, up to `concurrency` UploadPart requests in
 * flight on a libcurl multi handle, every part kept in memory until its ETag arrives.
 *
 * Two threads: the caller's fills part buffers (write/reserve/commit) and hands full parts over;
 * the upload thread, started by ra_upload_new and joined by finish/abort, hashes them and runs
 * the transfers (the multi handle and every part's easy handle are used by it alone). So the
 * source socket is read while parts are hashed and sent, and parts are sent as soon as they are
 * full. The lock guards slot states, the ETags and the first failure; a FILLING buffer belongs
 * to the caller, a QUEUED/RUNNING/WAITING one to the upload thread. */
#include "storage/s3/upload.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "storage/s3/acks.h"
#include "storage/s3/partsum.h"
#include "storage/s3/request.h"

#define WAIT_SLICE_MS 100 /* how often a blocked writer looks at the cancel flag and its watchdog */

enum { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_RUNNING, SLOT_WAITING };

typedef struct slot {
    unsigned char *buf; /* allocated on first use, grown only when the part size grows */
    size_t cap;
    size_t len;
    size_t target;      /* size this part is cut at */
    int part;           /* 1-based part number */
    int state;
    int attempt;
    long long retry_at; /* monotonic ms, SLOT_WAITING */
    curl_off_t sent;    /* bytes of this attempt libcurl has sent so far (upload thread) */
    CURL *easy;         /* one per slot; connections are shared through the multi handle */
    ra_s3_xfer x;
    ra_s3_req req;
    ra_kv query[2];
    char partno[16];
    ra_partsum_part sum; /* its checksum headers, computed once */
} slot;

struct ra_upload {
    ra_s3 *s3;
    char *key;
    char *upload_id;
    CURLM *multi;
    slot *slots;
    int nslots;
    int cur; /* SLOT_FILLING slot, -1 when none */
    char **etags;
    char **crcs;     /* each part's CRC-32C as sent, parallel to etags (when crc) */
    int etags_cap;
    int nparts; /* parts started */
    int stored; /* parts the store took (upload thread) */
    long long bytes;
    long long part_size;
    long long fixed;   /* without growth: the size of every part but the last; 0 = parts grow */
    int max_parts;
    long long expected;
    long stall_ms;
    volatile sig_atomic_t *cancel;
    ra_partsum sum;  /* part-checksum and auto's decision (upload thread) */
    int finished;
    int aborted;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot was freed, or a failure: wakes the writer */
    int sync_ready;         /* lock and changed initialised */
    /* under lock */
    int quit;               /* the upload thread returns */
    ra_s3_acks acks;        /* the upload's connections: what the store acknowledged */
    long long moved;        /* bytes handed to the store plus parts finished: the stall watchdog's
                               sign of life (a slow store that moves is not stalled) */
    int failed;
    ra_err ferr;
};

static long long now_ms(void) {
    return ra_s3_now_ms();
}

/* Under lock. */
static int fail(ra_upload *up, ra_err *err) {
    if (err) *err = up->ferr;
    return -1;
}

/* Record the first failure (under lock); later writes and finish report it. */
static void set_failed(ra_upload *up, const ra_err *e) {
    if (up->failed) return;
    up->failed = 1;
    up->ferr = *e;
    pthread_cond_broadcast(&up->changed);
}

static int is_failed(ra_upload *up, ra_err *err) {
    pthread_mutex_lock(&up->lock);
    int f = up->failed;
    if (f) fail(up, err);
    pthread_mutex_unlock(&up->lock);
    return f;
}

static void *upload_thread(void *arg);

ra_upload *ra_upload_new(ra_s3 *s3, const char *key, const ra_upload_opts *opts, ra_err *err) {
    ra_upload_opts def = {.expected_size = -1};
    if (opts == NULL) opts = &def;
    if (opts->part_size != 0 && (opts->part_size < RA_PART_SIZE_MIN || opts->part_size > RA_PART_SIZE_MAX)) {
        ra_err_set(err, RA_E_USAGE, "part size %lld out of range (5 MiB..5 GiB)", opts->part_size);
        return NULL;
    }
    ra_upload *up = calloc(1, sizeof(*up));
    if (up == NULL) goto oom;
    up->s3 = s3;
    up->cur = -1;
    ra_s3_acks_init(&up->acks);
    up->part_size = opts->part_size;
    up->expected = opts->expected_size;
    up->max_parts = opts->max_parts > 0 && opts->max_parts < RA_PARTS_MAX ? opts->max_parts : RA_PARTS_MAX;
    if (opts->growth == RA_UPLOAD_GROWTH_NO ||
        (opts->growth == RA_UPLOAD_GROWTH_AUTO && ra_upload_host_needs_equal_parts(s3->ep.host)))
        up->fixed = ra_upload_part_size_fixed(opts->part_size, opts->expected_size);
    up->stall_ms = opts->stall_timeout_ms > 0 ? opts->stall_timeout_ms : RA_SINK_STALL_MS_DEFAULT;
    up->cancel = opts->cancel ? opts->cancel : ra_s3_cancel_flag(s3);
    ra_partsum_init(&up->sum, opts->checksum, ra_s3_is_https(s3));
    up->nslots = (opts->concurrency > 0 ? opts->concurrency : RA_CONCURRENCY_DEFAULT) + 1;
    if ((up->key = strdup(key)) == NULL) goto oom;
    if ((up->slots = calloc((size_t)up->nslots, sizeof(*up->slots))) == NULL) goto oom;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) goto oom;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&up->lock, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        goto oom;
    }
    if (pthread_cond_init(&up->changed, &ca) != 0) {
        pthread_mutex_destroy(&up->lock);
        pthread_condattr_destroy(&ca);
        goto oom;
    }
    pthread_condattr_destroy(&ca);
    up->sync_ready = 1;
    if ((up->multi = curl_multi_init()) == NULL) goto oom;
    curl_multi_setopt(up->multi, CURLMOPT_MAXCONNECTS, (long)up->nslots);
    for (int i = 0; i < up->nslots; i++) {
        if ((up->slots[i].easy = curl_easy_init()) == NULL) goto oom;
        up->slots[i].x.easy = up->slots[i].easy;
        up->slots[i].x.cancel = up->cancel; /* a part in flight stops at once on a cancel */
    }
    if (up->cancel && *up->cancel) {
        ra_err_set(err, RA_E_CANCELLED, "upload of '%s' cancelled", key);
        ra_upload_free(up);
        return NULL;
    }

    if (ra_s3_upload_create_sum(s3, key, opts->content_type, opts->meta, opts->nmeta, &up->sum, &up->upload_id,
                                err) < 0) {
        ra_err_prefix(err, "starting upload of '%s': ", key);
        ra_upload_free(up);
        return NULL;
    }
    if (pthread_create(&up->thread, NULL, upload_thread, up) != 0) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot start the upload thread");
        ra_upload_free(up); /* aborts the upload just created */
        return NULL;
    }
    up->thread_started = 1;
    ra_log_debug(ra_s3_get_log(s3), "s3.upload.start", "multipart upload of '%s' started (%s parts of %lld bytes)",
                 key, up->fixed > 0 ? "equal" : "growing",
                 up->fixed > 0 ? up->fixed : ra_upload_part_size(opts->part_size, -1, 1));
    return up;
oom:
    ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_upload_free(up);
    return NULL;
}

static int sock_open(void *ud, curl_socket_t fd, curlsocktype purpose);
static int sock_close(void *ud, curl_socket_t fd);

static int slot_start(ra_upload *up, slot *s, ra_err *err) {
    if (ra_s3_xfer_setup(up->s3, &s->x, &s->req, err) < 0) return -1;
    s->sent = 0;
    curl_easy_setopt(s->easy, CURLOPT_SOCKOPTFUNCTION, sock_open);
    curl_easy_setopt(s->easy, CURLOPT_SOCKOPTDATA, up);
    curl_easy_setopt(s->easy, CURLOPT_CLOSESOCKETFUNCTION, sock_close);
    curl_easy_setopt(s->easy, CURLOPT_CLOSESOCKETDATA, up);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    CURLMcode mc = curl_multi_add_handle(up->multi, s->easy);
    if (mc != CURLM_OK) return ra_err_set(err, RA_E_INTERNAL, "s3: cannot queue part: %s", curl_multi_strerror(mc));
    s->state = SLOT_RUNNING;
    return 0;
}

/* Start a QUEUED slot as UploadPart number s->part (upload thread: the hash is computed here). */
static int slot_submit(ra_upload *up, slot *s, ra_err *err) {
    snprintf(s->partno, sizeof(s->partno), "%d", s->part);
    s->query[0] = (ra_kv){"partNumber", s->partno};
    s->query[1] = (ra_kv){"uploadId", up->upload_id};
    memset(&s->req, 0, sizeof(s->req));
    s->req.method = "PUT";
    s->req.key = up->key;
    s->req.query = s->query;
    s->req.nquery = 2;
    s->req.body = s->buf;
    s->req.body_len = s->len;
    if (ra_partsum_compute(&up->sum, s->buf, s->len, &s->sum) < 0)
        return ra_err_set(err, RA_E_INTERNAL, "s3: cannot hash part %d (OpenSSL failed)", s->part);
    s->req.headers = s->sum.header;
    s->req.nheaders = s->sum.nheaders;
    s->req.payload_hash = s->sum.payload_hash;
    s->attempt = 1;
    s->x.skew_retried = 0;
    s->x.token_refreshed = 0;
    return slot_start(up, s, err);
}

static int store_etag(ra_upload *up, int part, const char *etag, const char *crc, ra_err *err) {
    if (part > up->etags_cap) {
        int cap = up->etags_cap ? up->etags_cap : 64;
        while (cap < part) cap *= 2;
        for (int a = 0; a < 2; a++) { /* etags, then crcs */
            char ***arr = a ? &up->crcs : &up->etags, **n = realloc(*arr, (size_t)cap * sizeof(*n));
            if (n == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
            memset(n + up->etags_cap, 0, (size_t)(cap - up->etags_cap) * sizeof(*n));
            *arr = n;
        }
        up->etags_cap = cap;
    }
    free(up->etags[part - 1]);
    free(up->crcs[part - 1]);
    up->crcs[part - 1] = NULL;
    if ((up->etags[part - 1] = strdup(etag)) == NULL || (*crc && (up->crcs[part - 1] = strdup(crc)) == NULL))
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

#define DAMAGED_RETRY_MS 200

/* Upload thread: part s was refused for its CRC-32C header (ra_partsum_refused). Under auto, while no
 * part is stored yet (all are still in their buffers), the upload falls back and s is sent again at
 * once (0); parts sent with the CRC before the fallback come here too. Else -1, the error says why. */
static long part_refused(ra_upload *up, slot *s, ra_err *e) {
    if (up->stored == 0 && ra_partsum_fall_back(&up->sum))
        ra_s3_checksum_refused(up->s3, "UploadPart", &s->x.resp, &up->sum);
    if (!up->sum.fallen || ra_partsum_compute(&up->sum, s->buf, s->len, &s->sum) < 0) {
        ra_s3_checksum_hint(e);
        return -1;
    }
    s->req.nheaders = s->sum.nheaders;
    s->req.payload_hash = s->sum.payload_hash;
    return 0;
}

/* The upload's connections (opened by any slot's handle, shared through the multi handle) are watched
 * for acknowledgements: the watchdog's best sign of life (acks.h). */
static int sock_open(void *ud, curl_socket_t fd, curlsocktype purpose) {
    ra_upload *up = ud;
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
    pthread_mutex_lock(&up->lock);
    ra_s3_acks_add(&up->acks, fd);
    pthread_mutex_unlock(&up->lock);
    return CURL_SOCKOPT_OK;
}

static int sock_close(void *ud, curl_socket_t fd) {
    ra_upload *up = ud;
    pthread_mutex_lock(&up->lock);
    ra_s3_acks_remove(&up->acks, fd);
    pthread_mutex_unlock(&up->lock);
    return close(fd);
}

/* Upload thread: add what the running parts sent, and what the store acknowledged, since last
 * time to up->moved. A retry's bytes count as progress too: the store is answering. */
static void count_progress(ra_upload *up) {
    pthread_mutex_lock(&up->lock);
    for (int i = 0; i < up->nslots; i++) {
        slot *s = &up->slots[i];
        curl_off_t v = 0;
        if (s->state != SLOT_RUNNING) continue;
        if (curl_easy_getinfo(s->easy, CURLINFO_SIZE_UPLOAD_T, &v) == CURLE_OK) {
            if (v > s->sent) up->moved += v - s->sent;
            s->sent = v;
        }
    }
    up->moved += ra_s3_acks_delta(&up->acks);
    pthread_mutex_unlock(&up->lock);
}

/* Upload thread: push transfers, then collect finished parts and restart due retries. */
static void drive(ra_upload *up) {
    int running = 0, left = 0;
    CURLMcode mc = curl_multi_perform(up->multi, &running);
    if (mc != CURLM_OK) {
        ra_err e;
        ra_err_set(&e, RA_E_INTERNAL, "s3: transfer engine failed: %s", curl_multi_strerror(mc));
        pthread_mutex_lock(&up->lock);
        set_failed(up, &e);
        pthread_mutex_unlock(&up->lock);
        return;
    }
    count_progress(up);
    CURLMsg *m;
    while ((m = curl_multi_info_read(up->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        slot *s = NULL;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        curl_multi_remove_handle(up->multi, m->easy_handle);
        if (s == NULL) continue;
        long retry = -1;
        ra_err e;
        ra_err_clear(&e);
        int ok = ra_s3_xfer_result(up->s3, &s->x, rc, s->attempt, &retry, &e) == 0;
        if (ok && ra_partsum_answer(&up->sum, s->part, &s->sum, s->x.resp.checksum_crc32c))
            ra_log_debug(ra_s3_get_log(up->s3), "s3.upload.checksum", "%s", ra_partsum_describe(&up->sum));
        /* a part refused as damaged on the way is sent again from our buffer */
        if (!ok && retry < 0 && ra_partsum_damaged(s->x.resp.code) && s->attempt < up->s3->max_attempts) {
            ra_log_warn(ra_s3_get_log(up->s3), "s3.part.damaged", "part %d of '%s' arrived damaged (%s); attempt %d of %d",
                        s->part, up->key, s->x.resp.code, s->attempt + 1, up->s3->max_attempts);
            retry = DAMAGED_RETRY_MS * s->attempt;
        }
        if (!ok && retry < 0 && s->sum.crc[0] &&
            ra_partsum_refused(s->x.resp.status, s->x.resp.code, s->x.resp.message))
            retry = part_refused(up, s, &e);
        pthread_mutex_lock(&up->lock);
        if (ok) {
            const char *etag = s->x.resp.etag;
            if (etag == NULL || *etag == '\0') {
                ra_err_set(&e, RA_E_STORE, "s3: UploadPart %d of '%s': answer without ETag", s->part, up->key);
                set_failed(up, &e);
            } else if (store_etag(up, s->part, etag, s->sum.crc, &e) < 0) {
                set_failed(up, &e);
            }
            ra_s3_xfer_clear(&s->x);
            s->state = SLOT_FREE;
            s->len = 0;
            up->moved++;
            up->stored++;
            pthread_cond_broadcast(&up->changed);
        } else if (retry >= 0) {
            ra_s3_xfer_clear(&s->x);
            s->attempt++;
            s->state = SLOT_WAITING;
            s->retry_at = now_ms() + retry;
        } else {
            ra_err_prefix(&e, "uploading part %d: ", s->part);
            set_failed(up, &e);
            ra_s3_xfer_clear(&s->x);
            s->state = SLOT_FREE;
        }
        pthread_mutex_unlock(&up->lock);
    }
}

/* The upload thread: start queued parts (lowest number first), restart due retries, drive the
 * transfers, sleep in curl_multi_poll until a socket is ready, a retry is due or the writer
 * wakes it (curl_multi_wakeup). */
static void *upload_thread(void *arg) {
    ra_upload *up = arg;
    for (;;) {
        slot *start = NULL;
        int is_retry = 0;
        long long now = now_ms();
        long wait = WAIT_SLICE_MS;
        pthread_mutex_lock(&up->lock);
        if (up->quit) {
            pthread_mutex_unlock(&up->lock);
            return NULL;
        }
        if (!up->failed) {
            for (int i = 0; i < up->nslots; i++) {
                slot *s = &up->slots[i];
                if (s->state == SLOT_QUEUED && (start == NULL || is_retry || s->part < start->part)) {
                    start = s;
                    is_retry = 0;
                } else if (s->state == SLOT_WAITING) {
                    if (s->retry_at <= now && start == NULL) {
                        start = s;
                        is_retry = 1;
                    } else if (s->retry_at - now < wait) {
                        wait = (long)(s->retry_at - now);
                    }
                }
            }
            if (start) start->state = SLOT_RUNNING; /* the writer leaves it alone from QUEUED on */
        }
        pthread_mutex_unlock(&up->lock);
        if (start) {
            ra_err e;
            ra_err_clear(&e);
            if ((is_retry ? slot_start(up, start, &e) : slot_submit(up, start, &e)) < 0) {
                pthread_mutex_lock(&up->lock);
                start->state = SLOT_FREE;
                set_failed(up, &e);
                pthread_mutex_unlock(&up->lock);
            }
            wait = 0; /* more may be queued: look again after one push */
        }
        drive(up);
        if (wait < 0) wait = 0;
        if (wait > 0) curl_multi_poll(up->multi, NULL, 0, (int)wait, NULL);
    }
}

static int cancelled(const ra_upload *up) {
    return up->cancel && *up->cancel;
}

/* Writer, under lock: block until `ready` holds; fails on a part failure or cancel. With
 * `stall` (while the source is being read), also when nothing moved for stall_ms: no byte sent
 * and no part finished. A diskless Redis drops a replica that stops reading, so a writer must not
 * block that long; a slow store whose bytes keep going out is not stalled (faults.md R15). */
static int wait_for(ra_upload *up, int (*ready)(const ra_upload *), int stall, ra_err *err) {
    long long moved = up->moved;
    long long deadline = now_ms() + up->stall_ms;
    for (;;) {
        if (up->failed) return fail(up, err);
        if (ready(up)) return 0;
        if (cancelled(up)) return ra_err_set(err, RA_E_CANCELLED, "upload of '%s' cancelled", up->key);
        long long now = now_ms();
        if (up->moved != moved) {
            moved = up->moved;
            deadline = now + up->stall_ms;
        }
        if (stall && now >= deadline)
            return ra_err_set(err, RA_E_STORE, "s3: upload of '%s' stalled: nothing sent to the store in %ld ms",
                              up->key, up->stall_ms);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WAIT_SLICE_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&up->changed, &up->lock, &ts);
    }
}

static int has_free(const ra_upload *up) {
    for (int i = 0; i < up->nslots; i++)
        if (up->slots[i].state == SLOT_FREE) return 1;
    return 0;
}

static int all_free(const ra_upload *up) {
    for (int i = 0; i < up->nslots; i++)
        if (up->slots[i].state != SLOT_FREE) return 0;
    return 1;
}

/* Make a FILLING slot for the next part. */
static int next_slot(ra_upload *up, ra_err *err) {
    if (up->nparts >= up->max_parts && up->fixed > 0)
        return ra_err_set(err, RA_E_STORE, "s3: upload of '%s' outgrew its %lld-byte limit (%d equal parts of %lld "
                          "bytes, part-size-growth no): raise part-size", up->key, up->fixed * up->max_parts,
                          up->max_parts, up->fixed);
    if (up->nparts >= up->max_parts)
        return ra_err_set(err, RA_E_STORE, "s3: upload of '%s' needs more than %d parts", up->key, up->max_parts);
    pthread_mutex_lock(&up->lock);
    int r = wait_for(up, has_free, 1, err);
    slot *s = NULL;
    for (int i = 0; r == 0 && i < up->nslots; i++) {
        if (up->slots[i].state != SLOT_FREE) continue;
        s = &up->slots[i];
        s->state = SLOT_FILLING; /* the writer's now */
        up->cur = i;
        break;
    }
    pthread_mutex_unlock(&up->lock);
    if (r < 0) return -1;
    if (s != NULL) {
        long long size = up->fixed > 0 ? up->fixed
                                       : ra_upload_part_alloc(up->part_size, up->expected, up->nparts + 1, up->bytes);
        if ((size_t)size > s->cap) {
            unsigned char *b = realloc(s->buf, (size_t)size);
            if (b == NULL) {
                pthread_mutex_lock(&up->lock);
                s->state = SLOT_FREE;
                up->cur = -1;
                pthread_mutex_unlock(&up->lock);
                return ra_err_set(err, RA_E_INTERNAL, "out of memory for a %lld-byte part", size);
            }
            s->buf = b;
            s->cap = (size_t)size;
        }
        s->target = (size_t)size;
        s->len = 0;
        s->part = ++up->nparts;
        return 0;
    }
    return ra_err_set(err, RA_E_INTERNAL, "s3: no free part buffer");
}

/* Hand the FILLING part to the upload thread. */
static void queue_part(ra_upload *up) {
    pthread_mutex_lock(&up->lock);
    up->slots[up->cur].state = SLOT_QUEUED;
    up->cur = -1;
    pthread_mutex_unlock(&up->lock);
    curl_multi_wakeup(up->multi);
}

/* Stop the upload thread and wait for it; then the multi and easy handles are the caller's. */
static void stop_thread(ra_upload *up) {
    if (!up->thread_started) return;
    pthread_mutex_lock(&up->lock);
    up->quit = 1;
    pthread_mutex_unlock(&up->lock);
    curl_multi_wakeup(up->multi);
    pthread_join(up->thread, NULL);
    up->thread_started = 0;
}

int ra_upload_reserve(ra_upload *up, void **buf, size_t *avail, ra_err *err) {
    *buf = NULL;
    *avail = 0;
    if (is_failed(up, err)) return -1;
    if (up->finished || up->aborted) return ra_err_set(err, RA_E_INTERNAL, "s3: write after the upload ended");
    if (cancelled(up)) return ra_err_set(err, RA_E_CANCELLED, "upload of '%s' cancelled", up->key);
    if (up->cur < 0 && next_slot(up, err) < 0) return -1;
    slot *s = &up->slots[up->cur];
    *buf = s->buf + s->len;
    *avail = s->target - s->len;
    return 0;
}

int ra_upload_commit(ra_upload *up, size_t n, ra_err *err) {
    if (up->cur < 0) {
        if (n == 0) return 0;
        return ra_err_set(err, RA_E_INTERNAL, "s3: commit without reserve");
    }
    slot *s = &up->slots[up->cur];
    if (n > s->target - s->len) return ra_err_set(err, RA_E_INTERNAL, "s3: commit beyond the reserved room");
    s->len += n;
    up->bytes += (long long)n;
    if (s->len == s->target) queue_part(up);
    return 0;
}

int ra_upload_write(ra_upload *up, const void *data, size_t len, ra_err *err) {
    const unsigned char *p = data;
    if (len == 0) return is_failed(up, err) ? -1 : 0;
    while (len > 0) {
        void *room;
        size_t n;
        if (ra_upload_reserve(up, &room, &n, err) < 0) return -1;
        if (n > len) n = len;
        memcpy(room, p, n);
        p += n;
        len -= n;
        if (ra_upload_commit(up, n, err) < 0) return -1;
    }
    return 0;
}

/* The ETag of a multipart object ends in "-<parts>", quoted ("...-2\"") or not (some stores strip quotes). */
static int etag_has_parts(const char *etag, int nparts) {
    char want[24];
    int n = snprintf(want, sizeof(want), "-%d", nparts);
    if (etag == NULL) return 0;
    size_t len = strlen(etag);
    if (len > 0 && etag[len - 1] == '"') len--;
    return len > (size_t)n && memcmp(etag + len - (size_t)n, want, (size_t)n) == 0;
}

int ra_upload_finish(ra_upload *up, ra_err *err) {
    if (up->finished) return 0;
    if (is_failed(up, err)) return -1;
    if (up->aborted) return ra_err_set(err, RA_E_INTERNAL, "s3: finish after abort");
    if (cancelled(up)) return ra_err_set(err, RA_E_CANCELLED, "upload of '%s' cancelled", up->key);
    /* the last part may be short; an empty stream still needs one (empty) part */
    if (up->cur < 0 && up->nparts == 0 && next_slot(up, err) < 0) return -1;
    if (up->cur >= 0) queue_part(up);
    pthread_mutex_lock(&up->lock);
    /* the source is fully read: no replica to protect any more, only the store's own timeouts
     * (no progress for the request timeout fails a part) apply */
    int w = wait_for(up, all_free, 0, err);
    pthread_mutex_unlock(&up->lock);
    if (w < 0) return -1;
    stop_thread(up);
    for (int i = 0; i < up->nparts; i++)
        if (up->etags == NULL || i >= up->etags_cap || up->etags[i] == NULL)
            return ra_err_set(err, RA_E_INTERNAL, "s3: part %d of '%s' has no ETag", i + 1, up->key);

    int r = ra_s3_upload_complete_sum(up->s3, up->key, up->upload_id, (const char *const *)up->etags,
                                      (const char *const *)up->crcs, (size_t)up->nparts, &up->sum, err);
    /* NoSuchUpload after a retried Complete (the first attempt may have succeeded and only its answer was
     * lost), or no clear answer at all: the HEAD below decides, before anything is aborted (size and part
     * count must match) */
    int unsure = r == RA_S3_NO_SUCH_UPLOAD || r == RA_S3_COMPLETE_UNSURE;
    if (r < 0) {
        ra_err_prefix(err, "completing upload of '%s': ", up->key);
        return -1;
    }
    ra_err why = *err;
    /* RGW 16.2 answers with an empty ETag: check the object really is there, whole */
    ra_s3_head head;
    if (ra_s3_head_object(up->s3, up->key, &head, err) < 0) {
        if (unsure)
            return ra_err_set(err, RA_E_STORE, "completing upload of '%s': %s; and no object (HEAD: %s)", up->key,
                              r == RA_S3_NO_SUCH_UPLOAD ? "NoSuchUpload" : why.msg, err->msg);
        ra_err_prefix(err, "checking completed upload: ");
        return -1;
    }
    long long size = head.size;
    int parts_match = etag_has_parts(head.etag, up->nparts);
    ra_s3_head_clear(&head);
    if (unsure && (size != up->bytes || !parts_match))
        return ra_err_set(err, RA_E_STORE, "s3: completing upload of '%s': %s and no matching object", up->key,
                          r == RA_S3_NO_SUCH_UPLOAD ? "NoSuchUpload" : why.msg);
    if (size != up->bytes)
        return ra_err_set(err, RA_E_STORE, "s3: completed upload of '%s' holds %lld bytes, %lld were sent", up->key,
                          size, up->bytes);
    if (r == RA_S3_COMPLETE_UNSURE)
        ra_log_warn(ra_s3_get_log(up->s3), "s3.complete.settled",
                    "completing '%s' got no clear answer (%s), but the object is there whole: completed", up->key,
                    why.msg);
    ra_err_clear(err);
    up->finished = 1;
    ra_log_debug(ra_s3_get_log(up->s3), "s3.upload.done", "upload of '%s' complete: %lld bytes in %d parts",
                 up->key, up->bytes, up->nparts);
    return 0;
}

void ra_upload_abort(ra_upload *up) {
    if (up == NULL || up->finished || up->aborted) return;
    up->aborted = 1;
    stop_thread(up);
    /* stop the parts in flight first, so none lands after the abort */
    for (int i = 0; i < up->nslots; i++) {
        slot *s = &up->slots[i];
        if (s->state == SLOT_RUNNING) curl_multi_remove_handle(up->multi, s->easy);
        ra_s3_xfer_clear(&s->x);
        s->state = SLOT_FREE;
    }
    up->cur = -1;
    if (up->upload_id == NULL) return;
    ra_err e;
    ra_err_clear(&e);
    if (ra_s3_abort_upload(up->s3, up->key, up->upload_id, &e) < 0)
        ra_log_warn(ra_s3_get_log(up->s3), "s3.upload.abort", "could not abort upload of '%s' (a lifecycle rule "
                                                              "will): %s", up->key, e.msg);
    else
        ra_log_info(ra_s3_get_log(up->s3), "s3.upload.abort", "upload of '%s' aborted", up->key);
}

void ra_upload_free(ra_upload *up) {
    if (up == NULL) return;
    if (!up->finished && !up->aborted) ra_upload_abort(up);
    stop_thread(up);
    for (int i = 0; up->slots && i < up->nslots; i++) {
        slot *s = &up->slots[i];
        if (s->easy) {
            if (s->state == SLOT_RUNNING) curl_multi_remove_handle(up->multi, s->easy);
            curl_easy_cleanup(s->easy);
        }
        ra_s3_xfer_clear(&s->x);
        free(s->buf);
    }
    if (up->multi) curl_multi_cleanup(up->multi);
    for (int i = 0; i < up->etags_cap; i++) {
        free(up->etags[i]);
        free(up->crcs[i]);
    }
    free(up->etags);
    free(up->crcs);
    free(up->slots);
    free(up->key);
    free(up->upload_id);
    if (up->sync_ready) {
        pthread_cond_destroy(&up->changed);
        pthread_mutex_destroy(&up->lock);
    }
    free(up);
}

long long ra_upload_bytes(const ra_upload *up) {
    return up->bytes;
}

const char *ra_upload_id(const ra_upload *up) {
    return up->upload_id;
}

int ra_upload_crc32c_checked(const ra_upload *up) {
    return up->sum.checked;
}
