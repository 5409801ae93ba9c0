/* rdbtee.c - the structural reader beside a backup's sink, counting keys as the bytes pass. */
#include "command/rdbtee.h"

#include <string.h>

static void give_up(ra_rdbtee *t, const ra_err *why) {
    ra_log_warn(t->log, "backup.keys", "key counts left out of the record: %s", why->msg);
    ra_rdbparse_free(t->parser);
    t->parser = NULL;
}

static void read_bytes(ra_rdbtee *t, const uint8_t *data, size_t len) {
    ra_err perr = {0};
    if (t->parser && ra_rdbparse_feed(t->parser, data, len, &perr) < 0) give_up(t, &perr);
}

static int tee_requested(void *ctx, ra_err *err) {
    ra_rdbtee *t = ctx;
    return t->inner->requested ? t->inner->requested(t->inner->ctx, err) : 0;
}

static int tee_begin(void *ctx, const ra_stream_info *info, ra_err *err) {
    ra_rdbtee *t = ctx;
    return t->inner->begin ? t->inner->begin(t->inner->ctx, info, err) : 0;
}

static int tee_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_rdbtee *t = ctx;
    read_bytes(t, data, len);
    return t->inner->write(t->inner->ctx, data, len, err);
}

static int tee_reserve(void *ctx, uint8_t **room, size_t *avail, ra_err *err) {
    ra_rdbtee *t = ctx;
    if (t->inner->reserve(t->inner->ctx, room, avail, err) < 0) return -1;
    t->room = *room;
    return 0;
}

/* the committed bytes are the first len of the room lent last (sink.h) */
static int tee_commit(void *ctx, size_t len, ra_err *err) {
    ra_rdbtee *t = ctx;
    read_bytes(t, t->room, len);
    t->room += len;
    return t->inner->commit(t->inner->ctx, len, err);
}

int ra_rdbtee_init(ra_rdbtee *t, const ra_sink *inner, const ra_log *log, ra_err *err) {
    memset(t, 0, sizeof(*t));
    t->inner = inner;
    t->log = log;
    t->parser = ra_rdbparse_new(NULL);
    if (t->parser == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    t->sink = (ra_sink){.ctx = t, .requested = tee_requested, .begin = tee_begin, .write = tee_write};
    if (inner->reserve && inner->commit) {
        t->sink.reserve = tee_reserve;
        t->sink.commit = tee_commit;
    }
    return 0;
}

void ra_rdbtee_finish_keys(ra_rdbtee *t, ra_record_keys *keys) {
    ra_err perr = {0};
    if (t->parser == NULL) return;
    if (ra_rdbparse_finish(t->parser, &perr) < 0 || ra_record_keys_set(keys, ra_rdbparse_counts(t->parser), &perr) < 0)
        give_up(t, &perr);
}

void ra_rdbtee_finish(ra_rdbtee *t, ra_record *rec) {
    ra_rdbtee_finish_keys(t, &rec->keys);
}

void ra_rdbtee_clear(ra_rdbtee *t) {
    ra_rdbparse_free(t->parser);
    memset(t, 0, sizeof(*t));
}
