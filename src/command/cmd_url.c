/* cmd_url.c - `url ID`: a presigned GET link, 12 hours by default, for the private and public endpoint.
 * For a sealed backup it also says what the link gives and the command that opens it. */
#include <stdio.h>
#include <stdlib.h>
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

    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec = {0};
    int rc = ra_app_get_backup(&store, id, "download", &rec, err);
    if (rc == 0) id = rec.id; /* "latest" resolved */
    ra_s3_head head = {0};
    if (rc == 0) {
        rc = ra_s3_head_object(store.s3, rec.key, &head, err);
        if (rc != 0 && err->code == RA_E_NOTFOUND)
            ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)", id,
                       rec.key);
    }
    time_t now = time(NULL);
    char *url = NULL, *public_url = NULL;
    if (rc == 0 && !public_only) {
        url = ra_s3_presign_get(store.s3, NULL, rec.key, expires, now, err);
        if (url == NULL) rc = -1;
    }
    if (rc == 0 && c->public_endpoint && (public_only || json)) {
        public_url = ra_s3_presign_get(store.s3, c->public_endpoint, rec.key, expires, now, err);
        if (public_url == NULL) rc = -1;
    }
    const char *what = NULL, *opener = rc == 0 ? open_command(rec.format, &what) : NULL;
    if (rc == 0) {
        if (json) {
            char at[32];
            ra_time_iso(now + expires, at);
            ra_out_field f[] = {
                {"id", RA_OUT_STR, rec.id, 0},
                {"key", RA_OUT_STR, rec.key, 0},
                {"size", RA_OUT_INT, NULL, head.size},
                {"expires", RA_OUT_INT, NULL, expires},
                {"expires_at", RA_OUT_STR, at, 0},
                {"url", RA_OUT_STR, url, 0},
                {"public_url", RA_OUT_STR, public_url, 0},
                {"format", RA_OUT_STR, rec.format ? rec.format : "rdb", 0},
                {"open_command", RA_OUT_STR, opener, 0},
            };
            ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]));
        } else {
            printf("%s\n", public_only ? public_url : url);
            if (opener) {
                fflush(stdout);
                ra_log_info(&app->log, "url.format", "the link gives %s (%s%s%s); open the download with: %s", what,
                            rec.format, rec.recipients ? ", encrypted to the keys with fingerprints " : "",
                            rec.recipients ? rec.recipients : "", opener);
            }
        }
    }
    free(url);
    free(public_url);
    ra_s3_head_clear(&head);
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
