/* cmd_url.c - `url ID`: a presigned GET link, 12 hours by default, for the private and public endpoint. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "command/cli.h"

#define URL_EXPIRY_MAX 604800L /* SigV4 presigned URLs live at most 7 days */

int ra_cmd_url(ra_app *app, int argc, char **argv, ra_err *err) {
    const ra_config *c = app->config;
    const char *id = NULL, *expires_text = NULL;
    int public_only = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = ra_flag(argc, argv, &i, "--expires", &expires_text, err)) != 0) {
            if (m < 0) return -1;
        } else if (ra_flag(argc, argv, &i, "--public", NULL, err)) {
            public_only = 1;
        } else if (ra_flag(argc, argv, &i, "--json", NULL, err)) {
            json = 1;
        } else if (argv[i][0] != '-' && id == NULL) {
            id = argv[i];
        } else {
            return ra_unexpected(err, "url", argv[i]);
        }
    }
    if (id == NULL) return ra_err_set(err, RA_E_USAGE, "url: which backup? usage: url ID [--expires DURATION]");
    long expires = c->url_expiry;
    if (expires_text && ra_parse_duration(expires_text, &expires, err) != 0) return -1;
    if (expires < 1 || expires > URL_EXPIRY_MAX)
        return ra_err_set(err, RA_E_USAGE, "--expires %s is out of range: a presigned URL lives 1s to 7d (604800s)",
                          expires_text ? expires_text : "");
    if (public_only && c->public_endpoint == NULL)
        return ra_err_set(err, RA_E_USAGE, "--public needs public-endpoint to be configured");
    if (!ra_record_id_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);

    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec = {0};
    int rc = ra_app_get_backup(&store, id, "download", &rec, err);
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
    if (rc == 0) {
        if (json) {
            char at[32];
            ra_time_iso(now + expires, at);
            json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s?, s:s?}", "id", rec.id, "key", rec.key, "size",
                                  (json_int_t)head.size, "expires", (json_int_t)expires, "expires_at", at, "url",
                                  url, "public_url", public_url);
            char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(o);
        } else {
            printf("%s\n", public_only ? public_url : url);
        }
    }
    free(url);
    free(public_url);
    ra_s3_head_clear(&head);
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
