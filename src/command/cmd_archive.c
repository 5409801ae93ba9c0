/* cmd_archive.c - `redis-archiver archive`: a base backup exactly as `backup` takes it (same record,
 * same lock, but without rdb-only), then the replication stream after it, cut into segments, until
 * SIGTERM/SIGINT (command/archive.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/archive.h"
#include "command/cli.h"
#include "command/segment.h"
#include "common/limits.h"
#include "command/output.h"
#include "source/net.h"
#include "source/replica.h"

static long long state_field(const char *text, const char *key, char *sval, size_t cap) {
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != ' ') continue;
        const char *v = p + kl + 1;
        if (sval != NULL) {
            size_t n = strcspn(v, "\n");
            if (n >= cap) n = cap - 1;
            memcpy(sval, v, n);
            sval[n] = '\0';
        }
        return strtoll(v, NULL, 10);
    }
    return -1;
}

void ra_archive_print_status(const ra_store *store, const char *id, FILE *out) {
    char *dir = ra_catalog_dir(&store->catalog), *key = NULL, *text = NULL;
    size_t len = 0;
    ra_err err = {0};
    if (dir == NULL || asprintf(&key, "%s%s.seg/state", dir, id) < 0) key = NULL;
    if (key != NULL && ra_s3_get_object_small(store->s3, key, 4096, &text, &len, &err) == 0) {
        char *t = realloc(text, len + 1);
        if (t != NULL) {
            text = t;
            text[len] = '\0';
            char last[64] = "-", at[32] = "-", upd[32] = "-";
            state_field(text, "last-segment", last, sizeof(last));
            long long last_ms = state_field(text, "last-ms", NULL, 0), upd_ms = state_field(text, "updated-ms", NULL, 0);
            long long uploaded = state_field(text, "uploaded", NULL, 0), received = state_field(text, "received", NULL, 0);
            if (last_ms > 0) ra_time_iso((time_t)(last_ms / 1000), at);
            if (upd_ms > 0) ra_time_iso((time_t)(upd_ms / 1000), upd);
            fprintf(out, "  archive: stream %lld-%lld in %lld segments, last %s (to %s), lag %llds and %lld bytes "
                    "received not yet stored; state written %s\n", state_field(text, "first", NULL, 0), uploaded,
                    state_field(text, "segments", NULL, 0), last, at,
                    last_ms > 0 ? (long long)time(NULL) - last_ms / 1000 : -1LL,
                    received > uploaded ? received - uploaded : 0, upd);
        }
    }
    free(text);
    free(key);
    free(dir);
}

typedef struct keylist {
    char **keys;
    size_t n, cap;
} keylist;

static int collect_key(void *ctx, const ra_s3_object *obj, ra_err *err) {
    keylist *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nk = realloc(l->keys, cap * sizeof(*nk));
        if (nk == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        l->keys = nk;
        l->cap = cap;
    }
    if ((l->keys[l->n] = strdup(obj->key)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    l->n++;
    return 0;
}

int ra_archive_delete_segments(const ra_catalog *c, const char *id, ra_err *err) {
    char *dir = ra_catalog_dir(c), *sdir = dir ? ra_segment_dir(dir, id) : NULL;
    keylist l = {0};
    int rc = sdir ? ra_s3_list(c->s3, sdir, collect_key, &l, err) : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (rc == 0 && l.n > 0) rc = ra_s3_delete_objects(c->s3, (const char *const *)l.keys, l.n, err);
    if (rc == 0 && l.n > 0)
        ra_log_info(c->log, "archive.deleted", "deleted the %zu archive objects of backup %s", l.n, id);
    for (size_t i = 0; i < l.n; i++) free(l.keys[i]);
    free(l.keys);
    free(sdir);
    free(dir);
    return rc == 0 ? (int)l.n : -1;
}

/* A broken link: a fresh connection to the configured source, checked as a backup's is. */
static ra_conn *connect_source(void *ctx, ra_err *err) {
    ra_app *app = ctx;
    ra_replica_opts src;
    ra_app_replica_opts(app, &src);
    ra_replica_info info;
    ra_replica *r = ra_replica_connect(&src, &info, err);
    ra_conn *c = ra_replica_take_conn(r);
    ra_replica_free(r);
    return c;
}

/* One chain: a base backup, then its stream until stopped. */
static int chain(ra_app *app, const char *remark, int json, ra_archive_result *res, ra_err *err) {
    const ra_config *c = app->config;
    memset(res, 0, sizeof(*res));
    ra_record rec;
    ra_replica_stream link;
    memset(&link, 0, sizeof(link));
    if (ra_backup_keep_link(app, remark && *remark ? remark : "base of a point-in-time archive", &rec, &link, err) != 0) {
        ra_record_clear(&rec);
        return -1;
    }
    if (!json) printf("%s\n", rec.id);
    fflush(stdout);
    ra_store store;
    char *dir = NULL;
    int rc = ra_app_open_store(app, &store, err);
    if (rc == 0 && (dir = ra_catalog_dir(&store.catalog)) == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    /* concurrency uploaders, each with a client of its own (the first is the store's) */
    ra_s3 *s3[RA_ARCHIVE_UPLOADERS_MAX] = {0};
    int nup = c->concurrency < 1 ? 1 : c->concurrency > RA_ARCHIVE_UPLOADERS_MAX ? RA_ARCHIVE_UPLOADERS_MAX : c->concurrency;
    if (rc == 0) s3[0] = store.s3;
    for (int k = 1; rc == 0 && k < nup; k++) {
        ra_s3_config sc;
        ra_app_s3_config(app, NULL, &sc);
        if ((s3[k] = ra_s3_new(&sc, err)) == NULL) rc = -1;
    }
    if (rc == 0) {
        ra_archive_opts ao = {
            .s3 = s3,
            .nuploaders = nup,
            .dir = dir,
            .base_id = rec.id,
            .link = &link,
            .segment_ms = c->segment_seconds * 1000,
            .segment_size = c->segment_size,
            .queue_bytes = c->archive_queue,
            .read_ms = c->read_timeout * 1000,
            .connect = connect_source,
            .connect_ctx = app,
            .cancel = app->cancel,
            .log = &app->log,
        };
        rc = ra_archive_run(&ao, res, err);
    }
    for (int k = 1; k < nup; k++) ra_s3_free(s3[k]);
    ra_app_close_store(&store); /* zeroed by a failed open */
    ra_conn_close(link.conn); /* still ours when the archive did not start */
    free(link.tail);
    if (json) {
        ra_out_field f[] = {
            {"id", RA_OUT_STR, rec.id, 0},
            {"first", RA_OUT_INT, NULL, res->first},
            {"uploaded", RA_OUT_INT, NULL, res->uploaded},
            {"received", RA_OUT_INT, NULL, res->received},
            {"segments", RA_OUT_INT, NULL, res->segments},
        };
        ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]));
    } else {
        printf("archive of base %s: stream %lld-%lld stored in %lld segments\n", rec.id, res->first, res->uploaded,
               res->segments);
    }
    free(dir);
    ra_record_clear(&rec);
    return rc;
}

int ra_cmd_archive(ra_app *app, const ra_args *args, ra_err *err) {
    const char *remark = ra_args_value(args, "--remark");
    int json = ra_args_at(args, "--json") > 0;
    if (ra_args_at(args, "--quiet") > 0) app->stderr_tty = 0;
    ra_archive_result res;
    int rc = chain(app, remark, json, &res, err);
    /* history lost (+FULLRESYNC on resume): the chain ended with a gap, a new base starts the next */
    while (rc != 0 && res.full_resync && !(app->cancel && *app->cancel)) {
        ra_log_warn(&app->log, "archive.gap", "%s; the stream after offset %lld is not archived until a new base "
                    "backup: taking it now", err->msg, res.received);
        *err = (ra_err){0};
        rc = chain(app, remark, json, &res, err);
    }
    return rc;
}
