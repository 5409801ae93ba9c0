/* cmd_retention.c - `retention`: a lifecycle rule on the instance's folder, merged with the bucket's
 * other rules (which are kept byte for byte), and a sweep where the store has no lifecycle support. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"

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
    char rule_id[300];
    snprintf(rule_id, sizeof(rule_id), "redis-archiver:%s%s", c->prefix, c->instance);
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
        /* Merge: our rule replaces the one with our ID; every other rule is kept as it was. */
        size_t mine = lc.nrules;
        for (size_t i = 0; i < lc.nrules; i++)
            if (strcmp(lc.rules[i].id, rule_id) == 0) mine = i;
        int same = mine < lc.nrules && strcmp(lc.rules[mine].xml, ours) == 0;
        printf("bucket '%s': %zu other lifecycle rule%s kept; rule '%s' on '%s': expire after %ld day%s, "
               "abort unfinished uploads after %d day\n",
               c->bucket, lc.nrules - (mine < lc.nrules), lc.nrules - (mine < lc.nrules) == 1 ? "" : "s", rule_id,
               dir, days, days == 1 ? "" : "s", ABORT_INCOMPLETE_DAYS);
        if (same) {
            printf("already up to date\n");
        } else if (!apply) {
            printf("would %s the rule (dry run; --apply to put it)\n", mine < lc.nrules ? "update" : "add");
        } else {
            ra_s3_lifecycle merged = lc;
            ra_s3_lifecycle_rule *rules = calloc(lc.nrules + 1, sizeof(*rules));
            if (rules == NULL) {
                rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
            } else {
                if (lc.nrules > 0) memcpy(rules, lc.rules, lc.nrules * sizeof(*rules));
                size_t at = mine < lc.nrules ? mine : lc.nrules;
                rules[at] = (ra_s3_lifecycle_rule){.id = rule_id, .xml = ours};
                merged.rules = rules;
                merged.nrules = lc.nrules + (mine == lc.nrules);
                rc = ra_s3_put_lifecycle(store.s3, &merged, &unsupported, err);
                if (rc == 0) printf("%s the rule\n", mine < lc.nrules ? "updated" : "added");
                free(rules); /* the strings belong to lc and to us */
            }
        }
        if (rc == 0 && force_sweep) rc = sweep(&store, (int)days, !apply, err);
    }
    ra_s3_lifecycle_clear(&lc);
    free(ours);
    free(dir);
    ra_app_close_store(&store);
    return rc;
}
