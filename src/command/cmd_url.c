/* cmd_url.c - `url ID`: a presigned GET link, 12 hours by default, for the private and public endpoint.
 * For a sealed backup it also says what the link gives and the command that opens it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/output.h"
#include "common/limits.h"
#include "transform/seal.h"

/* What a download of the format is, and the shell pipe that turns it into dump.rdb (NULL: nothing to
 * undo). */
static const char *open_command(const char *format, const char **what) {
    int zstd = 0, age = 0;
    *what = "an RDB file";
    if (ra_seal_format_parse(format, &zstd, &age) != 0 || (!zstd && !age)) return NULL;
    *what = zstd && age ? "an age-encrypted, zstd-compressed RDB" : age ? "an age-encrypted RDB"
                                                                       : "a zstd-compressed RDB";
    return zstd && age ? "age -d -i KEY | zstd -d > dump.rdb" : age ? "age -d -i KEY > dump.rdb"
                                                                    : "zstd -d > dump.rdb";
}

typedef struct link_opts {
    const ra_config *c;
    ra_s3 *s3;
    const ra_record *rec;
    long expires;
    time_t now;
    int public_only, json;
} link_opts;

/* The link(s) of one object: printed (plain: the URL, or "N SLOTS URL" for shard N >= 0), or as JSON
 * text into *json_text (caller frees). */
static int one_link(const link_opts *o, const char *key, int shard, const char *slots, char **json_text,
                    ra_err *err) {
    const ra_record *rec = o->rec;
    ra_s3_head head = {0};
    int rc = ra_s3_head_object(o->s3, key, &head, err);
    if (rc != 0 && err->code == RA_E_NOTFOUND)
        ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)", rec->id, key);
    char *url = NULL, *public_url = NULL;
    if (rc == 0 && !o->public_only && (url = ra_s3_presign_get(o->s3, NULL, key, o->expires, o->now, err)) == NULL)
        rc = -1;
    if (rc == 0 && o->c->public_endpoint && (o->public_only || o->json) &&
        (public_url = ra_s3_presign_get(o->s3, o->c->public_endpoint, key, o->expires, o->now, err)) == NULL)
        rc = -1;
    if (rc == 0 && json_text != NULL) {
        const char *what = NULL, *opener = open_command(rec->format, &what);
        char at[32];
        ra_time_iso(o->now + o->expires, at);
        ra_out_field f[] = {
            {"id", RA_OUT_STR, rec->id, 0},
            {"key", RA_OUT_STR, key, 0},
            {"size", RA_OUT_INT, NULL, head.size},
            {"expires", RA_OUT_INT, NULL, o->expires},
            {"expires_at", RA_OUT_STR, at, 0},
            {"url", RA_OUT_STR, url, 0},
            {"public_url", RA_OUT_STR, public_url, 0},
            {"format", RA_OUT_STR, rec->format ? rec->format : "rdb", 0},
            {"open_command", RA_OUT_STR, opener, 0},
            {"shard", RA_OUT_INT, NULL, shard},
            {"slots", RA_OUT_STR, slots, 0},
        };
        size_t nf = sizeof(f) / sizeof(f[0]) - (rec->nshards > 0 ? 0 : 2); /* shard and slots: cluster only */
        if (rec->nshards > 0 && shard < 0) { /* --shard N: say which */
            for (int i = 0; i < rec->nshards; i++)
                if (strcmp(rec->shards[i].key, key) == 0) {
                    f[9].num = i;
                    f[10].str = rec->shards[i].slots;
                }
        }
        if ((*json_text = ra_output_json_text(f, nf)) == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    } else if (rc == 0) {
        const char *u = o->public_only ? public_url : url;
        if (shard >= 0) printf("%d %s %s\n", shard, slots ? slots : "-", u);
        else printf("%s\n", u);
    }
    free(url);
    free(public_url);
    ra_s3_head_clear(&head);
    return rc;
}

int ra_cmd_url(ra_app *app, const ra_args *args, ra_err *err) {
    const ra_config *c = app->config;
    const char *id = args->operand, *expires_text = ra_args_value(args, "--expires");
    int public_only = ra_args_at(args, "--public") > 0, json = ra_args_at(args, "--json") > 0;
    if (id == NULL) return ra_err_set(err, RA_E_USAGE, "url: which backup? usage: url ID|latest [--expires DURATION]");
    long expires = c->url_expiry;
    if (expires_text && ra_parse_duration(expires_text, &expires, err) != 0) return -1;
    if (expires < 1 || expires > RA_PRESIGN_EXPIRY_MAX)
        return ra_err_set(err, RA_E_USAGE, "--expires %s is out of range: a presigned URL lives 1s to 7d (%lds)",
                          expires_text ? expires_text : "", RA_PRESIGN_EXPIRY_MAX);
    if (public_only && c->public_endpoint == NULL)
        return ra_err_set(err, RA_E_USAGE, "--public needs public-endpoint to be configured");
    if (!ra_app_id_arg_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);

    const char *shard_text = ra_args_value(args, "--shard");
    int shard = -1;
    if (shard_text != NULL) {
        char *end = NULL;
        long v = strtol(shard_text, &end, 10);
        if (end == shard_text || *end != '\0' || v < 0 || v > 100000)
            return ra_err_set(err, RA_E_USAGE, "--shard %s: give a shard number (0, 1, ...)", shard_text);
        shard = (int)v;
    }

    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec = {0};
    int rc = ra_app_get_backup(&store, id, "download", &rec, err);
    if (rc == 0) id = rec.id; /* "latest" resolved */
    if (rc == 0 && shard >= 0 && shard >= rec.nshards)
        rc = rec.nshards == 0 ? ra_err_set(err, RA_E_USAGE, "backup '%s' is not a cluster backup: it has no shards", id)
                              : ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has %d shards (0 to %d), not %d", id,
                                           rec.nshards, rec.nshards - 1, shard);
    link_opts lo = {.c = c, .s3 = store.s3, .rec = &rec, .expires = expires, .now = time(NULL),
                    .public_only = public_only, .json = json};
    if (rc == 0 && rec.nshards == 0) {
        char *text = NULL;
        rc = one_link(&lo, rec.key, -1, NULL, json ? &text : NULL, err);
        if (rc == 0 && json) printf("%s\n", text);
        free(text);
    } else if (rc == 0) {
        /* a cluster backup: one link per shard (--shard N: that one) */
        int from = shard >= 0 ? shard : 0, to = shard >= 0 ? shard + 1 : rec.nshards;
        char **texts = calloc((size_t)rec.nshards, sizeof(*texts));
        if (texts == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        for (int i = from; rc == 0 && i < to; i++)
            rc = one_link(&lo, rec.shards[i].key, shard >= 0 ? -1 : i, rec.shards[i].slots,
                          json ? &texts[i - from] : NULL, err);
        if (rc == 0 && json && shard >= 0) printf("%s\n", texts[0]);
        else if (rc == 0 && json) ra_output_json_array(stdout, texts, (size_t)rec.nshards);
        for (int i = 0; texts != NULL && i < rec.nshards; i++) free(texts[i]);
        free(texts);
    }
    const char *what = NULL, *opener = rc == 0 ? open_command(rec.format, &what) : NULL;
    if (rc == 0 && opener && !json) {
        fflush(stdout);
        ra_log_info(&app->log, "url.format", "the link%s %s %s (%s%s%s); open the download with: %s",
                    rec.nshards > 0 && shard < 0 ? "s" : "", rec.nshards > 0 && shard < 0 ? "give" : "gives", what,
                    rec.format, rec.recipients ? ", encrypted to the keys with fingerprints " : "",
                    rec.recipients ? rec.recipients : "", opener);
    }
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
