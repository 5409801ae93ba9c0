/* credentials.h - AWS credentials and where they come from (the provider chain). Reading the
 * AWS_* credential variables and the shared credentials file is this module's job alone; the
 * rest of the S3 layer takes credentials as values. */
#ifndef RA_STORAGE_S3_CREDENTIALS_H
#define RA_STORAGE_S3_CREDENTIALS_H

#include <time.h>

#include "common/err.h"

/* Credentials; strings are owned by whoever filled them and wiped by ra_s3_credentials_clear. */
typedef struct ra_s3_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;  /* NULL unless temporary credentials */
    time_t expiration;    /* 0 = unknown / does not expire */
} ra_s3_credentials;

/* Resolve credentials the AWS way: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 * (AWS_CREDENTIAL_EXPIRATION), then the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials, profile AWS_PROFILE or "default"). Fills creds (caller clears).
 * RA_E_USAGE when none are found, naming where it looked (never a secret). */
int ra_s3_credentials_load(ra_s3_credentials *creds, ra_err *err);
/* Deep copy; an empty session token becomes NULL. -1 when out of memory (dst then empty). */
int ra_s3_credentials_copy(ra_s3_credentials *dst, const ra_s3_credentials *src);
/* Wipe and free the strings; creds may be NULL. */
void ra_s3_credentials_clear(ra_s3_credentials *creds);

#endif
