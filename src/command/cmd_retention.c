/* cmd_retention.c - `retention`: the instance's lifecycle rules checked now (cmd_retention_auto.c: merged with
 * the bucket's other rules, which are kept byte for byte, and read back after the put), the object tags the
 * tag rule filters on, and the sweep. Backups do the same once a day by themselves (README, Retention). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/retention.h"

static int sweep(ra_app *app, ra_store *store, const ra_lifecycle_state *st, int days, int dry_run, ra_err *err) {
    int n = ra_catalog_sweep(&store->catalog, days, time(NULL), dry_run, err);
    if (n < 0) return -1;
    printf("%s %d backup%s older than %d day%s\n", dry_run ? "would delete" : "deleted", n, n == 1 ? "" : "s",
           days, days == 1 ? "" : "s");
    if (!dry_run) {
        ra_retention_note_versions(app, st, n);
        ra_err oerr = {0};
        int aborted = ra_catalog_abort_orphans(&store->catalog, time(NULL), NULL, &oerr);
        if (aborted < 0) return ra_err_set(err, oerr.code, "%s", oerr.msg);
        if (aborted > 0) printf("aborted %d unfinished upload%s\n", aborted, aborted == 1 ? "" : "s");
    }
    return 0;
}

int ra_cmd_retention(ra_app *app, const ra_args *args, ra_err *err) {
    const ra_config *c = app->config;
    /* --sweep is the `sweep` config key (a bare boolean flag): here it forces the sweep. */
    int force_sweep = c->sweep;
    const char *days_text = ra_args_value(args, "--days");
    ra_config days_config;
    if (days_text != NULL) {
        long long v;
        if (ra_parse_int(days_text, &v, err) != 0) return -1;
        if (v < 1 || v > RA_RETENTION_DAYS_MAX)
            return ra_err_set(err, RA_E_USAGE, "--days %s is out of range (1..%d)", days_text, RA_RETENTION_DAYS_MAX);
        days_config = *c;
        days_config.retention_days = (int)v;
        c = &days_config;
    }
    ra_app local = *app;
    local.config = c;
    /* the last of --apply and --dry-run wins */
    int apply = ra_args_at(args, "--apply") > ra_args_at(args, "--dry-run");
    ra_store store;
    if (ra_app_open_store(&local, &store, err) != 0) return -1;
    ra_lifecycle_state st;
    int rc = ra_retention_ensure(&local, &store, RA_RETENTION_NOW | RA_RETENTION_SAY, apply, &st, err);
    if (rc == 0 && st.mode == RA_LIFECYCLE_TAGS) {
        if (!apply) {
            printf("would tag backups %s or %s (dry run)\n", RA_RETAIN_TAG_KEEP, RA_RETAIN_TAG_EXPIRE);
        } else {
            int expiring, unsupported;
            rc = ra_retention_retag(&local, &store, &expiring, &unsupported, err);
            if (rc != 0 && unsupported) {
                /* rules without the tag rule, and the sweep */
                ra_err_clear(err);
                rc = ra_retention_ensure(&local, &store, RA_RETENTION_NOW | RA_RETENTION_NO_TAGS, apply, &st, err);
                st.mode = RA_LIFECYCLE_SWEEP;
                printf("the store has no object tagging: expired backups are deleted by the sweep\n");
            } else if (rc == 0) {
                printf("tagged %d backup%s %s (the rule expires them once older than %d day%s)\n", expiring,
                       expiring == 1 ? "" : "s", RA_RETAIN_TAG_EXPIRE, c->retention_days,
                       c->retention_days == 1 ? "" : "s");
            }
        }
    }
    /* with retention-keep the sweep also runs here: it deletes now what the rule would delete at its next run
     * (and covers records whose start is older than their objects) */
    if (rc == 0 && (st.mode != RA_LIFECYCLE_AGE || force_sweep))
        rc = sweep(&local, &store, &st, c->retention_days, !apply, err);
    ra_app_close_store(&store);
    return rc;
}
