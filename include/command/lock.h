/* lock.h - the one lock object of an instance, "<prefix><instance>/.lock", that keeps two backups of it
 * apart: taken with a create-only PUT (If-None-Match: *), renewed and released with If-Match on its
 * ETag, taken over only when stale by the store's clock. Where the store ignores the conditions (found
 * out when taking it), the lock is only advisory and the caller falls back to the record protocol. */
#ifndef RA_COMMAND_LOCK_H
#define RA_COMMAND_LOCK_H

#include "command/catalog.h"
#include "command/record.h"

typedef struct ra_lock ra_lock;

/* Take the instance's lock for the running record `owner` (its JSON is the lock's body: backup id,
 * host, pid, boot id, PID namespace, started). A held lock is taken over only when its last write
 * (LastModified) is older than RA_STALE_AFTER_S by the store's clock (ra_catalog_now), or its owner
 * ran in this boot and PID namespace and is gone. NULL with RA_E_BUSY naming the holder when another
 * run holds it; NULL with another code when the store failed. *honoured is 1 when the store refused a
 * second create-only PUT and a PUT on a wrong ETag, 0 when it ignores conditions (then the lock keeps
 * nothing apart: the caller must use the record protocol). Logs which mode it is. Caller frees. */
ra_lock *ra_lock_acquire(const ra_catalog *c, const ra_record *owner, int *honoured, ra_err *err);

/* Rewrite the lock with If-Match on its ETag, through s3 (a handle of the calling thread; NULL: the
 * catalog's). -1 with RA_E_BUSY ("lost the lock") when the store refused: another run took it. Other
 * failures are -1 with their code, and the lock may still be ours. No request when not honoured. */
int ra_lock_renew(ra_lock *l, ra_s3 *s3, ra_err *err);

/* 1 once a renew was refused: the lock belongs to another run. */
int ra_lock_lost(const ra_lock *l);

/* Delete the lock when it is still ours (its ETag unchanged); warns when it could not. */
void ra_lock_release(ra_lock *l);

void ra_lock_free(ra_lock *l);

/* "<prefix><instance>/.lock" (caller frees). */
char *ra_lock_key(const ra_catalog *c);

#endif
