/* lifecycle.h - the bucket's lifecycle rules with this instance's rule merged in, and the check that
 * a put took (another process may have put its own merge in between). Pure: no S3 calls. */
#ifndef RA_COMMAND_LIFECYCLE_H
#define RA_COMMAND_LIFECYCLE_H

#include <stddef.h>

#include "common/err.h"
#include "storage/s3/s3.h"

typedef enum ra_lifecycle_change {
    RA_LIFECYCLE_SAME,    /* our rule is there as it should be: nothing to put */
    RA_LIFECYCLE_ADD,     /* no rule with our ID: ours goes last */
    RA_LIFECYCLE_UPDATE,  /* a rule with our ID differs: ours takes its place */
} ra_lifecycle_change;

/* The longest rule ID a store accepts (AWS: 255 characters; RGW refuses longer ones). */
#define RA_LIFECYCLE_ID_MAX 255

/* The ID of this instance's rule: "redis-archiver:<prefix><instance>"; when that is longer than
 * RA_LIFECYCLE_ID_MAX bytes, its head (cut on a character boundary), "~" and 16 hex digits of the
 * SHA-256 of the whole name, so that long names stay distinct. Caller frees; NULL with err set. */
char *ra_lifecycle_rule_id(const char *prefix, const char *instance, ra_err *err);

/* Merge rule (id, xml) into cur: the rule with our ID is replaced where it stands, else ours is
 * appended; every other rule is kept byte for byte and in order. Our rule counts as the same when it
 * says the same by value (stores re-serialise rules: ra_s3_lifecycle_rule_equal). *out is a deep copy
 * (the caller clears it with ra_s3_lifecycle_clear), filled for RA_LIFECYCLE_SAME too. *change says
 * what the merge did, *others how many rules of others it kept. RA_E_INTERNAL when out of memory. */
int ra_lifecycle_merge(const ra_s3_lifecycle *cur, const char *id, const char *xml, ra_s3_lifecycle *out,
                       ra_lifecycle_change *change, size_t *others, ra_err *err);

/* After putting `put`, the store returned `got`: 1 when our rule (id, xml) is in it (by value), else 0,
 * -1 when out of memory. *vanished counts the rules of others in `put` that `got` lacks (a concurrent
 * writer's merge or a deletion). */
int ra_lifecycle_took(const ra_s3_lifecycle *put, const ra_s3_lifecycle *got, const char *id, const char *xml,
                      size_t *vanished);

#endif
