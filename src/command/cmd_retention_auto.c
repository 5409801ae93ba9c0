/* cmd_retention_auto.c - retention without a separate step (README, Retention): the lifecycle rules
 * checked once a day (a state object remembers when), the object tags the tag rule filters on, and the
 * sweep where the store cannot expire by tags. */
#include "command/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/chain.h"
#include "command/retain.h"
#include "common/random.h"

#define STATE_NAME ".retention"
/* A put of the whole rule set replaces what another process put since we read it (two instances
 * applying at once: faults.md R6). So after a put, read the rules back, twice with a random pause,
 * and merge again from what is there when our rules are missing. */
#define PUT_ATTEMPTS 6

ra_lifecycle_mode ra_retention_wanted_mode(const ra_config *c) {
    return c->retention_keep > 0 ? RA_LIFECYCLE_TAGS : RA_LIFECYCLE_AGE;
}

static char *state_key(const ra_catalog *c) {
    char *key = NULL;
    /* beside the folder, not in it: listings of the folder (and its rules) never see it */
    if (asprintf(&key, "%s%s" STATE_NAME, c->prefix ? c->prefix : "", c->instance) < 0) return NULL;
    return key;
}

/* 1: a state was read, 0: none (or unreadable as one), -1: the store failed. */
static int read_state(ra_store *store, ra_lifecycle_state *st, ra_err *err) {
    memset(st, 0, sizeof(*st));
    char *key = state_key(&store->catalog), *text = NULL;
    size_t len = 0;
    if (key == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_err gerr = {0};
    int rc = ra_s3_get_object_small(store->s3, key, RA_LIFECYCLE_STATE_MAX, &text, &len, &gerr);
    free(key);
    if (rc != 0) {
        if (gerr.code == RA_E_NOTFOUND) return 0;
        if (err) *err = gerr;
        return -1;
    }
    rc = ra_lifecycle_state_parse(text, len, st) == 0;
    free(text);
    return rc;
}

static int write_state(ra_store *store, const ra_lifecycle_state *st, ra_err *err) {
    char *key = state_key(&store->catalog), *text = ra_lifecycle_state_format(st);
    int rc = key && text ? ra_s3_put_object(store->s3, key, text, strlen(text), "text/plain", NULL, 0, err)
                         : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    free(key);
    free(text);
    return rc;
}

static void pause_jitter(void) {
    long ms = 150 + (long)(ra_random_u32() % 450u);
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* 1: our rules are in the store's rules (after two reads), 0: they are not (*got holds the last read), -1: error. */
static int read_back(ra_store *store, const ra_s3_lifecycle *put, const ra_lifecycle_want *w, ra_s3_lifecycle *got,
                     size_t *vanished, ra_err *err) {
    int unsupported = 0;
    for (int i = 0; i < 2; i++) {
        pause_jitter();
        ra_s3_lifecycle_clear(got);
        if (ra_s3_get_lifecycle(store->s3, got, &unsupported, err) != 0) return -1;
        int took = ra_lifecycle_took_want(put, got, w, vanished);
        if (took < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        if (!took) return 0;
    }
    return 1;
}

/* *unsupported 1: the store answered the put NotImplemented (it has no lifecycle to put). */
static int put_checked(ra_app *app, ra_store *store, ra_s3_lifecycle *merged, const ra_lifecycle_want *w,
                       int *unsupported, ra_err *err) {
    ra_s3_lifecycle got = {0};
    int rc = -1;
    *unsupported = 0;
    for (int attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
        size_t vanished = 0, others;
        ra_lifecycle_change change;
        if (ra_s3_put_lifecycle(store->s3, merged, unsupported, err) != 0) break;
        int took = read_back(store, merged, w, &got, &vanished, err);
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
                    "rule '%s' was replaced by a concurrent lifecycle update: merging again (attempt %d of %d)",
                    w->id[0], attempt, PUT_ATTEMPTS);
        ra_s3_lifecycle_clear(merged);
        if (ra_lifecycle_merge_want(&got, w, merged, &change, &others, err) != 0) break;
        if (change == RA_LIFECYCLE_SAME) {
            rc = 0;
            break;
        }
        if (attempt == PUT_ATTEMPTS)
            ra_err_set(err, RA_E_STORE,
                       "lifecycle rule '%s' was lost to concurrent updates of the bucket's rules %d times: "
                       "run retention --apply again", w->id[0], PUT_ATTEMPTS);
        else
            pause_jitter();
    }
    ra_s3_lifecycle_clear(&got);
    return rc;
}

static void describe(const ra_app *app, const ra_lifecycle_want *w, ra_lifecycle_mode mode, int versioned,
                     size_t others) {
    const ra_config *c = app->config;
    int days = (int)c->retention_days;
    printf("bucket '%s': %zu other lifecycle rule%s kept; rule '%s' on '%s%s/': abort unfinished uploads after %d "
           "day%s\n", c->bucket, others, others == 1 ? "" : "s", w->id[0], c->prefix, c->instance,
           RA_LIFECYCLE_ABORT_DAYS, RA_LIFECYCLE_ABORT_DAYS == 1 ? "" : "s");
    if (mode == RA_LIFECYCLE_AGE)
        printf("  and expire every object after %d day%s (retention-keep 0)\n", days, days == 1 ? "" : "s");
    else if (mode == RA_LIFECYCLE_TAGS)
        printf("  rule '%s': expire backups tagged %s=%s after %d day%s; the newest %d succeeded and pinned ones "
               "stay tagged %s\n", w->id[1], RA_RETAIN_TAG_KEY, RA_RETAIN_TAG_EXPIRE, days, days == 1 ? "" : "s",
               c->retention_keep, RA_RETAIN_TAG_KEEP);
    else
        printf("  backups older than %d day%s are deleted by the sweep, except the newest %d succeeded and pinned "
               "ones (the store cannot expire by tags)\n", days, days == 1 ? "" : "s", c->retention_keep);
    if (versioned)
        printf("  versioned bucket: noncurrent versions expire after %d day%s%s\n", RA_LIFECYCLE_NONCURRENT_DAYS,
               RA_LIFECYCLE_NONCURRENT_DAYS == 1 ? "" : "s",
               mode == RA_LIFECYCLE_AGE ? "" : ", delete markers without versions are removed");
}

/* Put the rules of `mode` where they differ. 0, or -1 with err (*rejected REFUSED: the store refused the put,
 * NO_LIFECYCLE: it answered NotImplemented). */
#define REFUSED 1
#define NO_LIFECYCLE 2
static int apply_rules(ra_app *app, ra_store *store, const ra_s3_lifecycle *cur, ra_lifecycle_mode mode,
                       int versioned, int apply, int say, ra_lifecycle_want *w, int *rejected, ra_err *err) {
    const ra_config *c = app->config;
    *rejected = 0;
    if (ra_lifecycle_want_build(c->prefix, c->instance, mode, (int)c->retention_days, versioned, w, err) != 0)
        return -1;
    ra_s3_lifecycle merged;
    ra_lifecycle_change change;
    size_t others;
    int unsupported = 0;
    if (ra_lifecycle_merge_want(cur, w, &merged, &change, &others, err) != 0) return -1;
    if (say) describe(app, w, mode, versioned, others);
    int rc = 0;
    if (change == RA_LIFECYCLE_SAME) {
        if (say) printf("already up to date\n");
    } else if (!apply) {
        printf("would %s the rules (dry run; --apply to put them)\n", change == RA_LIFECYCLE_UPDATE ? "update" : "add");
    } else if ((rc = put_checked(app, store, &merged, w, &unsupported, err)) == 0) {
        if (say) printf("%s the rules\n", change == RA_LIFECYCLE_UPDATE ? "updated" : "added");
        ra_log_info(&app->log, "retention.rules", "%s the lifecycle rules of instance '%s' (%s)",
                    change == RA_LIFECYCLE_UPDATE ? "updated" : "added", c->instance, ra_lifecycle_mode_name(mode));
    } else {
        *rejected = unsupported ? NO_LIFECYCLE : err->code == RA_E_STORE ? REFUSED : 0;
    }
    ra_s3_lifecycle_clear(&merged);
    return rc;
}

/* The store has no lifecycle (GET or PUT answered NotImplemented): the sweep deletes, also with retention-keep 0;
 * said when the mode changes (and on `retention`), so once a day at most. */
static void no_lifecycle(ra_app *app, ra_lifecycle_state *st, int said_before, int say, const char *why) {
    st->mode = RA_LIFECYCLE_SWEEP;
    if (!said_before)
        ra_log_warn(&app->log, "retention.no-lifecycle",
                    "the store has no lifecycle support (%s): expired backups are deleted by the archiver's sweep "
                    "at the end of every backup", why);
    if (say) printf("the store has no lifecycle support: expired backups are deleted by this tool's sweep\n");
}

static int ensure_mode(ra_app *app, ra_store *store, int how, int apply, ra_lifecycle_mode want,
                       ra_lifecycle_state *st, ra_err *err) {
    const ra_config *c = app->config;
    int force = (how & RA_RETENTION_NOW) != 0, say = (how & RA_RETENTION_SAY) != 0;
    ra_lifecycle_state old;
    int have = read_state(store, &old, err);
    if (have < 0) return -1;
    time_t now = ra_catalog_now(&store->catalog, time(NULL));
    if (have && !force && old.checked <= now && now - old.checked < RA_RETENTION_CHECK_EVERY_S &&
        (old.mode == want || old.mode == RA_LIFECYCLE_SWEEP)) {
        /* checked within a day: the same configuration gives the same rules (the sweep mode, a fallback, holds
         * for the day) */
        ra_lifecycle_want w;
        char hash[RA_LIFECYCLE_HASH_LEN + 1];
        if (ra_lifecycle_want_build(c->prefix, c->instance, old.mode, (int)c->retention_days, old.versioned, &w,
                                    err) != 0)
            return -1;
        int same = ra_lifecycle_want_hash(&w, hash) == 0 && strcmp(hash, old.rules) == 0;
        ra_lifecycle_want_clear(&w);
        if (same) {
            *st = old;
            st->said = old.mode == RA_LIFECYCLE_SWEEP;
            return 0;
        }
    }
    memset(st, 0, sizeof(*st));
    st->checked = now;
    ra_err verr = {0};
    if (ra_s3_get_versioning(store->s3, &st->versioned, &verr) != 0) {
        if (verr.code != RA_E_STORE) {
            if (err) *err = verr;
            return -1;
        }
        /* a store without versioning (or that will not say): rules for an unversioned bucket */
        ra_log_info(&app->log, "retention.versioning", "cannot read the bucket's versioning (%s): taken as "
                    "unversioned", verr.msg);
        st->versioned = 0;
    }
    ra_s3_lifecycle cur = {0};
    int unsupported = 0, rejected = 0, rc = 0;
    ra_lifecycle_want w = {0};
    int said_before = !force && have && old.mode == RA_LIFECYCLE_SWEEP;
    st->said = said_before;
    if (ra_s3_get_lifecycle(store->s3, &cur, &unsupported, err) != 0) {
        if (!unsupported) return -1;
        no_lifecycle(app, st, said_before, say, err->msg);
        ra_err_clear(err);
    } else {
        st->mode = want;
        rc = apply_rules(app, store, &cur, want, st->versioned, apply, say, &w, &rejected, err);
        if (rc != 0 && rejected && want == RA_LIFECYCLE_TAGS) {
            /* a store that refuses a rule with a tag filter: the folder rule alone, and the sweep */
            char why[sizeof(err->msg)];
            snprintf(why, sizeof(why), "%s", err->msg);
            ra_err_clear(err);
            ra_lifecycle_want_clear(&w);
            st->mode = RA_LIFECYCLE_SWEEP;
            rc = apply_rules(app, store, &cur, RA_LIFECYCLE_SWEEP, st->versioned, apply, say, &w, &rejected, err);
            if (rc == 0 && !said_before)
                ra_log_warn(&app->log, "retention.no-tags",
                            "the store refused a lifecycle rule that filters on object tags (%s): expired backups "
                            "are deleted by the archiver's sweep instead", why);
        }
        if (rc != 0 && rejected == NO_LIFECYCLE) {
            /* GET answers, PUT is not implemented: no lifecycle either */
            no_lifecycle(app, st, said_before, say, err->msg);
            ra_err_clear(err);
            ra_lifecycle_want_clear(&w);
            rc = 0;
        }
    }
    /* no lifecycle: the hash of the sweep mode's rules, so that the next backups within the day find it */
    if (rc == 0 && w.id[0] == NULL)
        rc = ra_lifecycle_want_build(c->prefix, c->instance, RA_LIFECYCLE_SWEEP, (int)c->retention_days,
                                     st->versioned, &w, err);
    if (rc == 0 && ra_lifecycle_want_hash(&w, st->rules) != 0) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (rc == 0 && apply) rc = write_state(store, st, err);
    ra_lifecycle_want_clear(&w);
    ra_s3_lifecycle_clear(&cur);
    return rc;
}

int ra_retention_ensure(ra_app *app, ra_store *store, int how, int apply, ra_lifecycle_state *st, ra_err *err) {
    ra_lifecycle_mode want = ra_retention_wanted_mode(app->config);
    if ((how & RA_RETENTION_NO_TAGS) && want == RA_LIFECYCLE_TAGS) want = RA_LIFECYCLE_SWEEP;
    return ensure_mode(app, store, how, apply, want, st, err);
}

static int tag_key(ra_store *store, const char *key, const char *tag, int *unsupported, ra_err *err) {
    ra_err terr = {0};
    if (key == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (ra_s3_put_object_tagging(store->s3, key, RA_RETAIN_TAG_KEY, tag, unsupported, &terr) == 0) return 0;
    if (terr.code == RA_E_NOTFOUND) return 0; /* a failed run's object (none should exist), or already expired */
    if (err) *err = terr;
    return -1;
}

int ra_retention_tag_backup(ra_store *store, const ra_record *rec, const char *tag, int *unsupported, ra_err *err) {
    const ra_catalog *c = &store->catalog;
    *unsupported = 0;
    char **keys;
    size_t n;
    /* the backup as one unit: every shard's object of a cluster backup (or its one object) and its record */
    if (ra_retain_unit_keys(c->prefix, c->instance, rec, &keys, &n) != 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) rc = tag_key(store, keys[i], tag, unsupported, err);
    ra_retain_unit_keys_free(keys, n);
    return rc;
}

int ra_retention_retag(ra_app *app, ra_store *store, int *expiring, int *unsupported, ra_err *err) {
    ra_record *recs;
    size_t n;
    *expiring = 0;
    *unsupported = 0;
    if (ra_catalog_list(&store->catalog, time(NULL), &recs, &n, err) != 0) return -1;
    ra_records_sort_newest(recs, n);
    const char **tags = calloc(n + 1, sizeof(*tags));
    int rc = tags ? 0 : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (rc == 0) ra_retain_decide_tags(recs, n, app->config->retention_keep, tags);
    /* a base backup and its archive are one chain, judged by its newest segment (as the sweep does): a
     * chain written within the retention days keeps its base tagged keep, whatever the base's age */
    time_t cutoff = ra_catalog_now(&store->catalog, time(NULL)) - (time_t)app->config->retention_days * 86400;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (tags[i] == NULL || strcmp(tags[i], RA_RETAIN_TAG_EXPIRE) != 0) continue;
        long long newest = ra_chain_newest(&store->catalog, recs[i].id);
        if (newest > 0 && newest >= (long long)cutoff) tags[i] = RA_RETAIN_TAG_KEEP;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (tags[i] == NULL) continue;
        rc = ra_retention_tag_backup(store, &recs[i], tags[i], unsupported, err);
        if (rc == 0 && strcmp(tags[i], RA_RETAIN_TAG_EXPIRE) == 0) (*expiring)++;
    }
    if (rc == 0) ra_chain_remove_orphans(&store->catalog, recs, n); /* segments carry no tag: README */
    if (rc == 0)
        ra_log_info(&app->log, "retention.tags", "%d backup%s of instance '%s' tagged %s (the rule expires them "
                    "after %d days), the other %zu %s", *expiring, *expiring == 1 ? "" : "s", app->config->instance,
                    RA_RETAIN_TAG_EXPIRE, app->config->retention_days, n - (size_t)*expiring, RA_RETAIN_TAG_KEEP);
    free(tags);
    ra_catalog_records_free(recs, n);
    return rc;
}

void ra_retention_note_versions(ra_app *app, const ra_lifecycle_state *st, int deleted) {
    if (!st->versioned || deleted <= 0) return;
    ra_log_info(&app->log, "retention.versions",
                "the bucket is versioned: the %d deleted backup%s stay as noncurrent versions (and delete markers) "
                "until the lifecycle rule removes them after %d day%s; the sweep does not delete versions",
                deleted, deleted == 1 ? "" : "s", RA_LIFECYCLE_NONCURRENT_DAYS,
                RA_LIFECYCLE_NONCURRENT_DAYS == 1 ? "" : "s");
}

void ra_retention_after_backup(ra_app *app, ra_store *store, const ra_record *rec, int ok) {
    const ra_config *c = app->config;
    ra_lifecycle_state st;
    ra_err err = {0};
    if (ra_retention_ensure(app, store, 0, 1, &st, &err) != 0) {
        ra_log_warn(&app->log, "retention.rules",
                    "could not check the bucket's lifecycle rules (the backup is not affected; tried again at the "
                    "next backup, or run `retention --apply`): %s", err.msg);
        memset(&st, 0, sizeof(st));
        st.mode = c->retention_keep > 0 ? RA_LIFECYCLE_SWEEP : RA_LIFECYCLE_AGE;
    }
    if (!ok) return;
    if (st.mode == RA_LIFECYCLE_TAGS) {
        int expiring, unsupported = 0;
        ra_err_clear(&err);
        if (ra_retention_retag(app, store, &expiring, &unsupported, &err) != 0) {
            if (unsupported) {
                /* said once: a daily retry that finds no tagging again is only noted */
                if (st.said)
                    ra_log_info(&app->log, "retention.sweep-mode", "still no object tagging: the sweep goes on");
                else
                    ra_log_warn(&app->log, "retention.no-tags",
                                "the store has no object tagging (%s): expired backups are deleted by the "
                                "archiver's sweep instead", err.msg);
                /* the folder rule alone (the tag rule goes), for a day; then tags are tried again */
                ra_err_clear(&err);
                if (ra_retention_ensure(app, store, RA_RETENTION_NOW | RA_RETENTION_NO_TAGS, 1, &st, &err) != 0)
                    ra_log_warn(&app->log, "retention.rules", "could not update the lifecycle rules: %s", err.msg);
                st.mode = RA_LIFECYCLE_SWEEP;
            } else {
                ra_log_warn(&app->log, "retention.tags", "could not tag the backups for the lifecycle rule: %s",
                            err.msg);
            }
        }
    }
    if (st.mode == RA_LIFECYCLE_SWEEP || c->sweep) {
        ra_err_clear(&err);
        int n = ra_catalog_sweep_before(&store->catalog, (int)c->retention_days, time(NULL), rec->started, 0, &err);
        if (n < 0) ra_log_warn(&app->log, "retention.sweep", "sweep failed: %s", err.msg);
        ra_retention_note_versions(app, &st, n);
    }
}
