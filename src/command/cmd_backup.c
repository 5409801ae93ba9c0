/* cmd_backup.c - `redis-archiver backup`: one backup now, manual or auto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/backup.h"
#include "command/cli.h"

/* Shared with `schedule`: one backup with the configured source, store and sizes. */
int ra_backup_with_config(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_err *err) {
    const ra_config *c = app->config;
    memset(rec, 0, sizeof(*rec));
    if (ra_remark_check(remark, err) != 0) return -1;
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_replica_opts src;
    ra_app_replica_opts(app, &src);
    ra_backup_opts opts = {
        .catalog = &store.catalog,
        .source = &src,
        .part_size = c->part_size,
        .concurrency = c->concurrency,
        .checksum = (ra_upload_checksum)c->part_checksum,
        .automatic = automatic,
        .remark = remark,
        .sweep_days = c->sweep ? c->retention_days : 0,
        .progress = app->stderr_tty ? ra_backup_progress_bar : NULL,
        .cancel = app->cancel,
        .log = &app->log,
    };
    int rc = ra_backup_run(&opts, rec, err);
    ra_app_close_store(&store);
    return rc;
}

int ra_cmd_backup(ra_app *app, int argc, char **argv, ra_err *err) {
    const char *remark = NULL;
    int automatic = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = ra_flag(argc, argv, &i, "--remark", &remark, err)) != 0) {
            if (m < 0) return -1;
        } else if (ra_flag(argc, argv, &i, "--auto", NULL, err)) {
            automatic = 1;
        } else if (ra_flag(argc, argv, &i, "--json", NULL, err)) {
            json = 1;
        } else {
            return ra_unexpected(err, "backup", argv[i]);
        }
    }
    ra_record rec;
    int rc = ra_backup_with_config(app, automatic, remark, &rec, err);
    if (rec.id[0] != '\0' && json) {
        char *text = ra_record_to_json(&rec);
        if (text) printf("%s\n", text);
        free(text);
    } else if (rc == 0) {
        printf("%s\n", rec.id);
    }
    ra_record_clear(&rec);
    return rc;
}
