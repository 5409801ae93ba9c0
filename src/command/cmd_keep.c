/* cmd_keep.c - `keep ID` / `unkeep ID` (pin a backup against retention) and `delete ID` (remove one
 * backup: never the newest succeeded one, nor a pinned one, without --force). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/chain.h"
#include "command/cli.h"
#include "command/retain.h"
#include "command/retention.h"

static int need_id(const ra_args *args, const char *cmd, ra_err *err) {
    if (args->operand == NULL)
        return ra_err_set(err, RA_E_USAGE, "%s needs a backup ID (see redis-archiver list)", cmd);
    return 0;
}

static int set_keep(ra_app *app, const char *id, int keep, ra_err *err) {
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec;
    int rc = keep ? ra_app_get_backup(&store, id, "keep", &rec, err) : ra_catalog_get(&store.catalog, id, &rec, err);
    if (rc == 0) {
        int was = rec.keep;
        rec.keep = keep;
        if (was != keep) rc = ra_catalog_put(&store.catalog, &rec, err);
        /* keep: its objects tagged keep at once (the lifecycle rule expires only those tagged expire);
         * unkeep: the next backup or `retention --apply` tags it as any other */
        int unsupported = 0;
        if (rc == 0 && keep) rc = ra_retention_tag_backup(&store, &rec, RA_RETAIN_TAG_KEEP, &unsupported, err);
        if (rc != 0 && unsupported) {
            ra_err_clear(err);
            rc = 0;
        }
        if (rc == 0)
            printf("backup %s %s\n", id,
                   keep ? (was ? "was already kept" : "is kept: retention never deletes it (unkeep to release it)")
                        : (was ? "is no longer kept: retention treats it as any other" : "was not kept"));
        ra_record_clear(&rec);
    }
    ra_app_close_store(&store);
    return rc;
}

int ra_cmd_keep(ra_app *app, const ra_args *args, ra_err *err) {
    if (need_id(args, "keep", err) != 0) return -1;
    return set_keep(app, args->operand, 1, err);
}

int ra_cmd_unkeep(ra_app *app, const ra_args *args, ra_err *err) {
    if (need_id(args, "unkeep", err) != 0) return -1;
    return set_keep(app, args->operand, 0, err);
}

/* Pin the backup just taken (backup --keep). */
int ra_backup_pin(ra_app *app, ra_record *rec, ra_err *err) {
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    rec->keep = 1;
    int rc = ra_catalog_put(&store.catalog, rec, err);
    ra_app_close_store(&store);
    return rc;
}

/* A deleted backup may have been one of the newest retention-keep: the next older one, tagged expire, is
 * tagged keep now, before the lifecycle rule runs. A failure is a warning: the delete is done. */
static void retag_after_delete(ra_app *app, ra_store *store) {
    ra_lifecycle_state st;
    ra_err err = {0};
    int expiring, unsupported;
    if (ra_retention_ensure(app, store, 0, 1, &st, &err) == 0 && st.mode == RA_LIFECYCLE_TAGS &&
        ra_retention_retag(app, store, &expiring, &unsupported, &err) == 0)
        return;
    if (err.msg[0] != '\0')
        ra_log_warn(&app->log, "retention.tags", "could not tag the remaining backups (run `retention --apply`): %s",
                    err.msg);
}

/* One backup as a unit (ra_retain_unit_keys): every shard's object of a cluster backup, or its one object, then
 * its record last: a failure in between leaves a record that says what is missing, not an orphan. */
static int delete_unit(const ra_catalog *cat, const ra_record *rec, ra_err *err) {
    char **keys;
    size_t n;
    if (ra_retain_unit_keys(cat->prefix, cat->instance, rec, &keys, &n) != 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int rc = ra_s3_delete_objects(cat->s3, (const char *const *)keys, n - 1, err);
    if (rc == 0) rc = ra_s3_delete_objects(cat->s3, (const char *const *)keys + n - 1, 1, err);
    ra_retain_unit_keys_free(keys, n);
    return rc;
}

int ra_cmd_delete(ra_app *app, const ra_args *args, ra_err *err) {
    if (need_id(args, "delete", err) != 0) return -1;
    const char *id = args->operand;
    int force = ra_args_at(args, "--force") > 0;
    ra_store store;
    ra_record *recs;
    size_t n;
    if (ra_app_list_records(app, &store, &recs, &n, err) != 0) return -1;
    const ra_catalog *cat = &store.catalog;
    long at = -1;
    for (size_t i = 0; i < n && at < 0; i++)
        if (strcmp(recs[i].id, id) == 0) at = (long)i;
    int rc = 0;
    if (at < 0) {
        rc = ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, cat->instance);
    } else if (recs[at].state == RA_STATE_RUNNING) {
        rc = ra_err_set(err, RA_E_BUSY, "backup %s is running: stop it first (SIGTERM cancels it)", id);
    } else if (!force && at == ra_retain_newest_succeeded(recs, n)) {
        rc = ra_err_set(err, RA_E_USAGE,
                        "backup %s is the newest succeeded backup of instance '%s': pass --force to delete it anyway",
                        id, cat->instance);
    } else if (!force && recs[at].keep) {
        rc = ra_err_set(err, RA_E_USAGE, "backup %s is kept (pinned): unkeep it first, or pass --force", id);
    } else {
        if (ra_chain_delete_segments(cat, id, err) < 0) /* its archive (point in time) goes first */
            rc = -1;
        else
            rc = delete_unit(cat, &recs[at], err);
        if (rc == 0) retag_after_delete(app, &store);
        if (rc == 0) {
            ra_log_info(&app->log, "backup.deleted", "deleted backup %s of instance '%s'%s", id, cat->instance,
                        force ? " (--force)" : "");
            if (recs[at].nshards > 0)
                printf("deleted %s (%d shards)\n", id, recs[at].nshards);
            else
                printf("deleted %s\n", id);
        }
    }
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return rc;
}
