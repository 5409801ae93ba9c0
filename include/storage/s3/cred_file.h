/* cred_file.h - the shared credentials and config files (~/.aws/credentials, ~/.aws/config) and
 * credential_process. Paths and names come from credentials.c. Private to the s3 folder. */
#ifndef RA_STORAGE_S3_CRED_FILE_H
#define RA_STORAGE_S3_CRED_FILE_H

#include "common/err.h"
#include "storage/s3/cred_parse.h"
#include "storage/s3/credentials.h"

#define RA_S3_CRED_FILE_MAX (1024 * 1024) /* a larger shared file is refused */
#define RA_S3_CRED_PROCESS_MAX (64 * 1024) /* output of credential_process */

/* The settings of `profile` from the config file, overridden by the credentials file; a path that
 * is NULL or does not exist is skipped (p->found tells whether either has the profile). -1 with
 * err when a file exists but cannot be read or is too large. p is cleared first (caller clears). */
int ra_s3_cred_files_profile(const char *config_path, const char *creds_path, const char *profile,
                             ra_s3_cred_profile *p, ra_err *err);

/* Run command with /bin/sh -c and parse its standard output (JSON, "Version": 1). Fills out
 * (caller clears); RA_E_STORE when it fails or answers badly (its output is never shown). */
int ra_s3_cred_process(const char *command, ra_s3_credentials *out, ra_err *err);

#endif
