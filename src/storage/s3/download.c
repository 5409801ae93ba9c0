/* download.c - ranged GETs on a libcurl multi handle, driven in the caller's thread: a slot per
 * range in flight, each with its own easy handle and a buffer of one chunk. Ranges start in order
 * and a slot is freed only when its chunk has been handed on, so the chunks held are always the
 * next `concurrency` ones of the object: memory is concurrency x chunk size. While the caller's
 * write runs, the transfers wait in the kernel's socket buffers. */
#include "storage/s3/download.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/request.h"

#define GET_MIN_RATE 1024L  /* bytes/s a range must keep over the request timeout */
#define POLL_SLICE_MS 100   /* how often the loop looks at the cancel flag */
#define RANGES_PER_STREAM 10 /* an object is cut into about this many ranges per stream in flight */

enum { SLOT_FREE, SLOT_RUNNING, SLOT_WAITING, SLOT_DONE };

typedef struct slot {
    int state;
    long long chunk;    /* index of the range it holds */
    long long start;    /* first byte */
    size_t want;        /* bytes of the range */
    unsigned char *buf; /* want bytes at most */
    size_t len;
    int attempt;
    long long retry_at; /* monotonic ms, SLOT_WAITING */
    CURL *easy;
    ra_s3_xfer x;
    ra_s3_req req;
    ra_kv headers[2];
    char range[64];
} slot;

typedef struct dl {
    ra_s3 *s3;
    const char *key;
    CURLM *multi;
    slot *slots;
    int nslots;
    long long size, chunk, nchunks;
    long long next_start, next_deliver;
    const char *etag; /* borrowed from the HEAD, "" when the store sent none */
} dl;

/* The range's bytes into its slot; more than asked is a store gone wrong. */
static int take(void *ctx, const void *data, size_t n, ra_err *err) {
    slot *s = ctx;
    if (n > s->want - s->len)
        return ra_err_set(err, RA_E_STORE, "s3: GET '%s' %s: the answer is longer than the range",
                          s->req.key, s->range);
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return 0;
}

static int slot_start(dl *d, slot *s, ra_err *err) {
    s->len = 0;
    if (ra_s3_xfer_setup(d->s3, &s->x, &s->req, err) < 0) return -1;
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    CURLMcode mc = curl_multi_add_handle(d->multi, s->easy);
    if (mc != CURLM_OK) return ra_err_set(err, RA_E_INTERNAL, "s3: cannot start a GET: %s", curl_multi_strerror(mc));
    s->state = SLOT_RUNNING;
    return 0;
}

static int slot_submit(dl *d, slot *s, ra_err *err) {
    s->chunk = d->next_start++;
    s->start = s->chunk * d->chunk;
    long long end = s->start + d->chunk < d->size ? s->start + d->chunk : d->size;
    s->want = (size_t)(end - s->start);
    snprintf(s->range, sizeof(s->range), "bytes=%lld-%lld", s->start, end - 1);
    size_t nh = 0;
    s->headers[nh++] = (ra_kv){"Range", s->range};
    if (*d->etag) s->headers[nh++] = (ra_kv){"If-Match", d->etag};
    s->req = (ra_s3_req){.method = "GET", .key = d->key, .headers = s->headers, .nheaders = nh, .write = take,
                         .write_ctx = s, .min_rate = GET_MIN_RATE, .restartable = 1};
    s->attempt = 1;
    s->x.skew_retried = 0;
    s->x.token_refreshed = 0;
    return slot_start(d, s, err);
}

/* A finished attempt: DONE, WAITING for a retry, or -1 with err set. */
static int slot_finished(dl *d, slot *s, CURLcode rc, ra_err *err) {
    long retry = -1;
    int r = ra_s3_xfer_result(d->s3, &s->x, rc, s->attempt, &retry, err);
    long status = s->x.resp.status;
    if (r == 0 && status != 206 && !(status == 200 && s->start == 0 && (long long)s->want == d->size))
        r = ra_err_set(err, RA_E_STORE, "s3: GET '%s' %s: answered %ld, not 206: the store ignores Range requests",
                       d->key, s->range, status);
    else if (r == 0 && s->len != s->want) {
        /* a short answer: the connection ended early or the store lost its place; ask again */
        r = ra_err_set(err, RA_E_STORE, "s3: GET '%s' %s: %zu of %zu bytes arrived", d->key, s->range, s->len,
                       s->want);
        if (s->attempt < d->s3->max_attempts) retry = 250L * s->attempt;
    }
    if (status == 412)
        ra_err_prefix(err, "the object changed while it was read (its ETag no longer matches): ");
    ra_s3_xfer_clear(&s->x);
    if (r == 0) {
        s->state = SLOT_DONE;
        return 0;
    }
    if (retry >= 0) {
        ra_log_warn(d->s3->log, "s3.range.retry", "%s; range again, attempt %d of %d", err->msg, s->attempt + 1,
                    d->s3->max_attempts);
        ra_err_clear(err);
        s->attempt++;
        s->state = SLOT_WAITING;
        s->retry_at = ra_s3_now_ms() + retry;
        return 0;
    }
    return -1;
}

/* Start free slots on the next ranges and due retries; returns ms until the next retry is due. */
static long start_more(dl *d, ra_err *err, int *failed) {
    long wait = POLL_SLICE_MS;
    long long now = ra_s3_now_ms();
    for (int i = 0; i < d->nslots && !*failed; i++) {
        slot *s = &d->slots[i];
        if (s->state == SLOT_FREE && d->next_start < d->nchunks) {
            if (slot_submit(d, s, err) < 0) *failed = 1;
        } else if (s->state == SLOT_WAITING && s->retry_at <= now) {
            if (slot_start(d, s, err) < 0) *failed = 1;
        } else if (s->state == SLOT_WAITING && s->retry_at - now < wait) {
            wait = (long)(s->retry_at - now);
        }
    }
    return wait;
}

static int run(dl *d, int (*write)(void *, const void *, size_t, ra_err *), void *ctx, ra_err *err) {
    volatile sig_atomic_t *cancel = ra_s3_cancel_flag(d->s3);
    int failed = 0;
    while (d->next_deliver < d->nchunks) {
        if (cancel && *cancel) return ra_err_set(err, RA_E_CANCELLED, "s3: GET '%s': cancelled", d->key);
        long wait = start_more(d, err, &failed);
        if (failed) return -1;
        int running = 0, left = 0;
        CURLMcode mc = curl_multi_perform(d->multi, &running);
        if (mc != CURLM_OK) return ra_err_set(err, RA_E_INTERNAL, "s3: transfer engine failed: %s",
                                              curl_multi_strerror(mc));
        CURLMsg *m;
        while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) continue;
            slot *s = NULL;
            CURLcode rc = m->data.result;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_multi_remove_handle(d->multi, m->easy_handle);
            if (s != NULL && slot_finished(d, s, rc, err) < 0) return -1;
        }
        /* hand on every chunk that is next in order; their slots then take the next ranges at once */
        int handed = 0;
        for (int progressed = 1; progressed && d->next_deliver < d->nchunks;) {
            progressed = 0;
            for (int i = 0; i < d->nslots; i++) {
                slot *s = &d->slots[i];
                if (s->state != SLOT_DONE || s->chunk != d->next_deliver) continue;
                if (cancel && *cancel) return ra_err_set(err, RA_E_CANCELLED, "s3: GET '%s': cancelled", d->key);
                if (write(ctx, s->buf, s->len, err) < 0) return -1;
                s->state = SLOT_FREE;
                d->next_deliver++;
                progressed = handed = 1;
            }
        }
        if (!handed && d->next_deliver < d->nchunks && wait > 0)
            curl_multi_poll(d->multi, NULL, 0, (int)wait, NULL);
    }
    return 0;
}

static long long chunk_size(long long want, long long size, int streams) {
    if (want > 0) return want < RA_KIB ? RA_KIB : want > RA_RANGE_SIZE_MAX ? RA_RANGE_SIZE_MAX : want;
    long long c = size / ((long long)streams * RANGES_PER_STREAM);
    return c < RA_RANGE_SIZE_MIN ? RA_RANGE_SIZE_MIN : c > RA_RANGE_SIZE_MAX ? RA_RANGE_SIZE_MAX : c;
}

int ra_s3_download(ra_s3 *s3, const char *key, const ra_download_opts *opts,
                   int (*write)(void *ctx, const void *data, size_t len, ra_err *err), void *ctx, ra_err *err) {
    static const ra_download_opts none = {0};
    if (opts == NULL) opts = &none;
    ra_s3_head head;
    if (ra_s3_head_object(s3, key, &head, err) < 0) return -1;
    if (opts->size) *opts->size = head.size;
    if (head.size < 0) {
        ra_s3_head_clear(&head);
        return ra_err_set(err, RA_E_STORE, "s3: HEAD '%s': the answer has no Content-Length", key);
    }
    int streams = opts->concurrency > 0 ? opts->concurrency : RA_CONCURRENCY_DEFAULT;
    if (streams > RA_CONCURRENCY_MAX) streams = RA_CONCURRENCY_MAX;
    dl d = {.s3 = s3, .key = key, .size = head.size, .etag = head.etag ? head.etag : ""};
    d.chunk = chunk_size(opts->chunk_size, head.size, streams);
    d.nchunks = (head.size + d.chunk - 1) / d.chunk;
    d.nslots = d.nchunks < streams ? (int)d.nchunks : streams;
    int rc = 0;
    if (d.nchunks > 0) {
        d.multi = curl_multi_init();
        d.slots = calloc((size_t)d.nslots, sizeof(*d.slots));
        if (d.multi == NULL || d.slots == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        if (d.multi) curl_multi_setopt(d.multi, CURLMOPT_MAXCONNECTS, (long)d.nslots);
        for (int i = 0; rc == 0 && i < d.nslots; i++) {
            slot *s = &d.slots[i];
            s->buf = malloc((size_t)d.chunk);
            s->easy = s->x.easy = curl_easy_init();
            s->x.cancel = ra_s3_cancel_flag(s3);
            if (s->buf == NULL || s->easy == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
        if (rc == 0) rc = run(&d, write, ctx, err);
    }
    for (int i = 0; d.slots && i < d.nslots; i++) {
        slot *s = &d.slots[i];
        if (s->easy) {
            if (s->state == SLOT_RUNNING) curl_multi_remove_handle(d.multi, s->easy);
            curl_easy_cleanup(s->easy);
        }
        ra_s3_xfer_clear(&s->x);
        free(s->buf);
    }
    free(d.slots);
    if (d.multi) curl_multi_cleanup(d.multi);
    ra_s3_head_clear(&head);
    return rc;
}
