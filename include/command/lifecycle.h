/* lifecycle.h - this instance's lifecycle rules (README, Retention) merged into the bucket's rules, the
 * check that a put took (another process may have put its own merge in between), and the state object
 * that records the last check. Pure: no S3 calls. */
#ifndef RA_COMMAND_LIFECYCLE_H
#define RA_COMMAND_LIFECYCLE_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"
#include "storage/s3/s3.h"

typedef enum ra_lifecycle_change {
    RA_LIFECYCLE_SAME,    /* our rule is there as it should be: nothing to put */
    RA_LIFECYCLE_ADD,     /* no rule with our ID: ours goes last */
    RA_LIFECYCLE_UPDATE,  /* a rule with our ID differs (or goes): ours takes its place */
} ra_lifecycle_change;

/* How backups expire (README, Retention). */
typedef enum ra_lifecycle_mode {
    RA_LIFECYCLE_AGE,   /* retention-keep 0: the folder rule expires every object after the days */
    RA_LIFECYCLE_TAGS,  /* the tag rule expires objects tagged expire after the days; the archiver tags */
    RA_LIFECYCLE_SWEEP, /* the store has no object tags or tag filters: the sweep deletes */
} ra_lifecycle_mode;

/* The longest rule ID a store accepts (AWS: 255 characters; RGW refuses longer ones). */
#define RA_LIFECYCLE_ID_MAX 255
#define RA_LIFECYCLE_ABORT_DAYS 1      /* unfinished multipart uploads (a killed run) are aborted after this */
#define RA_LIFECYCLE_NONCURRENT_DAYS 1 /* versioned bucket: noncurrent versions expire after this */
#define RA_LIFECYCLE_HASH_LEN 16
#define RA_LIFECYCLE_STATE_MAX 512

/* The ID of this instance's folder rule: "redis-archiver:<prefix><instance>"; when that is longer than
 * RA_LIFECYCLE_ID_MAX bytes, its head (cut on a character boundary), "~" and 16 hex digits of the
 * SHA-256 of the whole name, so that long names stay distinct. Caller frees; NULL with err set. */
char *ra_lifecycle_rule_id(const char *prefix, const char *instance, ra_err *err);

/* The rules of an instance: [0] the folder rule (Filter Prefix <prefix><instance>/: abort unfinished
 * uploads; versioned: noncurrent versions and expired delete markers; age mode: Expiration Days), [1] the
 * tag rule (ID of the folder rule + ":expire-tagged"; Filter And{Prefix, Tag redis-archiver-retain=expire},
 * Expiration Days), xml[1] NULL when the mode has none (a tag rule in the bucket is then removed). */
typedef struct ra_lifecycle_want {
    char *id[2];
    char *xml[2];
} ra_lifecycle_want;
int ra_lifecycle_want_build(const char *prefix, const char *instance, ra_lifecycle_mode mode, int days,
                            int versioned, ra_lifecycle_want *w, ra_err *err);
void ra_lifecycle_want_clear(ra_lifecycle_want *w);
/* 16 hex digits that change when any wanted rule does; -1 when out of memory. */
int ra_lifecycle_want_hash(const ra_lifecycle_want *w, char out[RA_LIFECYCLE_HASH_LEN + 1]);

/* Two rules say the same by value, also when one lost the <And> of its Filter (RGW 16.2 gives Prefix and
 * Tag straight under Filter). 1, 0, -1 when out of memory. */
int ra_lifecycle_rule_same(const char *a, const char *b);

/* Merge rule (id, xml) into cur: the rule with our ID is replaced where it stands, else ours is
 * appended; xml NULL removes the rule with our ID. Every other rule is kept byte for byte and in order.
 * Our rule counts as the same when it says the same by value (ra_lifecycle_rule_same). *out is a deep
 * copy (the caller clears it with ra_s3_lifecycle_clear), filled for RA_LIFECYCLE_SAME too. *change
 * says what the merge did, *others how many rules of others it kept. RA_E_INTERNAL when out of memory. */
int ra_lifecycle_merge(const ra_s3_lifecycle *cur, const char *id, const char *xml, ra_s3_lifecycle *out,
                       ra_lifecycle_change *change, size_t *others, ra_err *err);
/* The same for both rules of w (*others: rules that are neither). */
int ra_lifecycle_merge_want(const ra_s3_lifecycle *cur, const ra_lifecycle_want *w, ra_s3_lifecycle *out,
                            ra_lifecycle_change *change, size_t *others, ra_err *err);

/* After putting `put`, the store returned `got`: 1 when our rule (id, xml) is in it (by value), else 0,
 * -1 when out of memory. *vanished counts the rules of others in `put` that `got` lacks (a concurrent
 * writer's merge or a deletion). */
int ra_lifecycle_took(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const char *id, const char *xml,
                      size_t *vanished);
/* The same for both rules of w (a NULL xml: the rule must be absent). */
int ra_lifecycle_took_want(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const ra_lifecycle_want *w,
                           size_t *vanished);

/* The state object <prefix><instance>.retention (beside the folder): when the rules were last checked (store
 * clock), the mode, whether the bucket is versioned, and the hash of the rules then wanted. A short text:
 *   redis-archiver retention 1\nchecked <epoch>\nmode <age|tags|sweep>\nversioned <0|1>\nrules <hex16>\n */
typedef struct ra_lifecycle_state {
    time_t checked;
    ra_lifecycle_mode mode;
    int versioned;
    char rules[RA_LIFECYCLE_HASH_LEN + 1];
    int said;  /* not in the text: the check found the sweep mode already in force (a fallback said before) */
} ra_lifecycle_state;
/* 0, or -1 when the text is not such a state (then *st is zeroed). */
int ra_lifecycle_state_parse(const char *text, size_t len, ra_lifecycle_state *st);
/* Malloc'd text; NULL when out of memory. */
char *ra_lifecycle_state_format(const ra_lifecycle_state *st);
const char *ra_lifecycle_mode_name(ra_lifecycle_mode m);

#endif
