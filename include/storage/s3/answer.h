/* answer.h - what an S3 answer's status and error code mean (answer.c), for the retry engine of
 * request.c. Not for use outside src/storage/s3/. */
#ifndef RA_STORAGE_S3_ANSWER_H
#define RA_STORAGE_S3_ANSWER_H

/* A code worth another attempt (SlowDown, InternalError, RequestTimeout...). */
int ra_s3_code_retriable(const char *code);
/* A throttling code (SlowDown, Throttling...): a longer backoff. */
int ra_s3_code_throttle(const char *code);
/* Temporary credentials ran out (ExpiredToken...). */
int ra_s3_code_expired(const char *code);
/* A 403 code that usually means a wrong secret, region or clock ("" too: a HEAD has no body). */
int ra_s3_code_credentials(const char *code);
/* "Forbidden" for 403 and the like; "error" for a status without one here. */
const char *ra_s3_reason(long status);

#endif
