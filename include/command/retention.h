/* retention.h - retention applied by the archiver itself (README, Retention): the lifecycle rules checked at
 * most once a day by every backup, the object tags the tag rule filters on, and the sweep where the store
 * cannot expire by tags. Used by `backup`, `schedule`, `retention`, `keep` and `delete`. */
#ifndef RA_COMMAND_RETENTION_H
#define RA_COMMAND_RETENTION_H

#include "command/cli.h"
#include "command/lifecycle.h"

/* Seconds between two checks of the rules by backups (one GET of the rules when nothing changed). */
#define RA_RETENTION_CHECK_EVERY_S 86400

/* The mode the configuration asks for: age (retention-keep 0) or tags. */
ra_lifecycle_mode ra_retention_wanted_mode(const ra_config *c);

/* Make sure the instance's rules are in the bucket. how 0: nothing but one GET of the state object when
 * the rules were checked within a day and the configuration did not change; else the versioning, the
 * rules (GET; PUT only when they differ, read back) and the state object. A store that refuses the tag
 * rule or has no lifecycle at all gets the sweep mode (said once, when the mode changes). apply 0: only
 * say what would change, write nothing. how RA_RETENTION_NOW: check now; RA_RETENTION_SAY: describe the rules
 * on stdout (`retention`). *st gets the mode in force. */
#define RA_RETENTION_NOW 1
#define RA_RETENTION_SAY 2
#define RA_RETENTION_NO_TAGS 4 /* the store has no object tagging: the sweep mode's rules */
int ra_retention_ensure(ra_app *app, ra_store *store, int how, int apply, ra_lifecycle_state *st, ra_err *err);

/* Tag every finished backup (objects and records) keep or expire (ra_retain_decide_tags). A store without
 * object tagging: *unsupported = 1, returns -1. *expiring counts backups tagged expire. */
int ra_retention_retag(ra_app *app, ra_store *store, int *expiring, int *unsupported, ra_err *err);

/* Tag one backup's objects (its record and RDB objects): `keep ID`. Missing objects are skipped; a store
 * without tagging is not an error. */
int ra_retention_tag_backup(ra_store *store, const ra_record *rec, const char *tag, int *unsupported, ra_err *err);

/* After a backup (ok: it succeeded): the rules (daily), then the tags (tags mode) or the sweep (sweep mode,
 * or `sweep yes`), never deleting what started at or after rec->started. Failures are warnings: the
 * backup's result never depends on them. */
void ra_retention_after_backup(ra_app *app, ra_store *store, const ra_record *rec, int ok);

/* What a sweep leaves in a versioned bucket: a log line (deleted > 0). */
void ra_retention_note_versions(ra_app *app, const ra_lifecycle_state *st, int deleted);

#endif
