/* cmd_retention.c - `retention`: a lifecycle rule on the instance's folder, merged with the bucket's
 * other rules (which are kept byte for byte) and read back after the put, and a sweep where the store has
 * no lifecycle support. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/lifecycle.h"
#include "common/random.h"

/* Incomplete multipart uploads (a killed run) are aborted by the store after this many days. */
#define ABORT_INCOMPLETE_DAYS 1

static int sweep(ra_store *store, int days, int dry_run, ra_err *err) {
    int n = ra_catalog_sweep(&store->catalog, days, time(NULL), dry_run, err);
    if (n < 0) return -1;
    printf("%s %d backup%s older than %d day%s\n", dry_run ? "would delete" : "deleted", n, n == 1 ? "" : "s",
           days, days == 1 ? "" : "s");
    if (!dry_run) {
        ra_err oerr = {0};
        int aborted = ra_catalog_abort_orphans(&store->catalog, time(NULL), NULL, &oerr);
        if (aborted < 0) return ra_err_set(err, oerr.code, "%s", oerr.msg);
        if (aborted > 0) printf("aborted %d unfinished upload%s\n", aborted, aborted == 1 ? "" : "s");
    }
    return 0;
}

/* A put of the whole rule set replaces what another process put since we read it (two instances
 * applying at once: faults.md R6). So after a put, read the rules back, twice with a random pause,
 * and merge again from what is there when our rule is missing. */
#define PUT_ATTEMPTS 6

static void pause_jitter(void) {
    long ms = 150 + (long)(ra_random_u32() % 450u);
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* 1: our rule is in the store's rules (after two reads), 0: it is not (*got holds the last read), -1: error. */
static int read_back(ra_store *store, const ra_s3_lifecycle *put, const char *id, const char *xml,
                     ra_s3_lifecycle *got, size_t *vanished, ra_err *err) {
    int unsupported = 0;
    for (int i = 0; i < 2; i++) {
        pause_jitter();
        ra_s3_lifecycle_clear(got);
        if (ra_s3_get_lifecycle(store->s3, got, &unsupported, err) != 0) return -1;
        int took = ra_lifecycle_took(put, got, id, xml, vanished);
        if (took < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        if (!took) return 0;
    }
    return 1;
}

static int put_checked(ra_app *app, ra_store *store, ra_s3_lifecycle *merged, const char *id, const char *xml,
                       ra_err *err) {
    ra_s3_lifecycle got = {0};
    int rc = -1;
    for (int attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
        int unsupported = 0;
        size_t vanished = 0, others;
        ra_lifecycle_change change;
        if (ra_s3_put_lifecycle(store->s3, merged, &unsupported, err) != 0) break;
        int took = read_back(store, merged, id, xml, &got, &vanished, err);
        if (took < 0) break;
        if (vanished > 0)
            ra_log_warn(&app->log, "retention.vanished",
                        "%zu lifecycle rule%s of others went away while ours was put (another writer, or a deletion)",
                        vanished, vanished == 1 ? "" : "s");
        if (took) {
            rc = 0;
            break;
        }
        ra_log_warn(&app->log, "retention.lost",
                    "rule '%s' was replaced by a concurrent lifecycle update: merging again (attempt %d of %d)", id,
                    attempt, PUT_ATTEMPTS);
        ra_s3_lifecycle_clear(merged);
        if (ra_lifecycle_merge(&got, id, xml, merged, &change, &others, err) != 0) break;
        if (change == RA_LIFECYCLE_SAME) {
            rc = 0;
            break;
        }
        if (attempt == PUT_ATTEMPTS)
            ra_err_set(err, RA_E_STORE,
                       "lifecycle rule '%s' was lost to concurrent updates of the bucket's rules %d times: "
                       "run retention --apply again", id, PUT_ATTEMPTS);
        else
            pause_jitter();
    }
    ra_s3_lifecycle_clear(&got);
    return rc;
}

int ra_cmd_retention(ra_app *app, const ra_args *args, ra_err *err) {
    const ra_config *c = app->config;
    /* --sweep is the `sweep` config key (a bare boolean flag): here it forces the sweep. */
    int apply = 0, force_sweep = c->sweep;
    long days = c->retention_days;
    const char *days_text = ra_args_value(args, "--days");
    if (days_text != NULL) {
        long long v;
        if (ra_parse_int(days_text, &v, err) != 0) return -1;
        if (v < 1 || v > RA_RETENTION_DAYS_MAX)
            return ra_err_set(err, RA_E_USAGE, "--days %s is out of range (1..%d)", days_text, RA_RETENTION_DAYS_MAX);
        days = (long)v;
    }
    /* the last of --apply and --dry-run wins */
    apply = ra_args_at(args, "--apply") > ra_args_at(args, "--dry-run");
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    char *dir = ra_catalog_dir(&store.catalog);
    char *rule_id = ra_lifecycle_rule_id(c->prefix, c->instance, err);
    if (rule_id == NULL) {
        free(dir);
        ra_app_close_store(&store);
        return -1;
    }
    char *ours = ra_s3_lifecycle_rule_xml(rule_id, dir, (int)days, ABORT_INCOMPLETE_DAYS);
    ra_s3_lifecycle lc = {0};
    int unsupported = 0, rc = 0;
    if (dir == NULL || ours == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (rc == 0 && ra_s3_get_lifecycle(store.s3, &lc, &unsupported, err) != 0) {
        if (!unsupported) rc = -1;
    }
    if (rc == 0 && unsupported) {
        printf("the store has no lifecycle support: expired backups are deleted by this tool "
               "(run `retention --apply` daily, or set `sweep yes` so every backup sweeps at its end)\n");
        rc = sweep(&store, (int)days, !apply, err);
    } else if (rc == 0) {
        ra_s3_lifecycle merged;
        ra_lifecycle_change change;
        size_t others;
        rc = ra_lifecycle_merge(&lc, rule_id, ours, &merged, &change, &others, err);
        if (rc == 0) {
            printf("bucket '%s': %zu other lifecycle rule%s kept; rule '%s' on '%s': expire after %ld day%s, "
                   "abort unfinished uploads after %d day\n",
                   c->bucket, others, others == 1 ? "" : "s", rule_id, dir, days, days == 1 ? "" : "s",
                   ABORT_INCOMPLETE_DAYS);
            if (change == RA_LIFECYCLE_SAME)
                printf("already up to date\n");
            else if (!apply)
                printf("would %s the rule (dry run; --apply to put it)\n", change == RA_LIFECYCLE_UPDATE ? "update" : "add");
            else if ((rc = put_checked(app, &store, &merged, rule_id, ours, err)) == 0)
                printf("%s the rule\n", change == RA_LIFECYCLE_UPDATE ? "updated" : "added");
            ra_s3_lifecycle_clear(&merged);
        }
        if (rc == 0 && force_sweep) rc = sweep(&store, (int)days, !apply, err);
    }
    ra_s3_lifecycle_clear(&lc);
    free(ours);
    free(rule_id);
    free(dir);
    ra_app_close_store(&store);
    return rc;
}
