/* cred_parse.h - what the AWS credential providers answer, parsed: the JSON of credential_process,
 * the container endpoint and EC2 instance metadata, the XML of STS, and the profiles of the shared
 * credentials and config files. Pure: bytes and values in, credentials out (no I/O, no clock). */
#ifndef RA_STORAGE_S3_CRED_PARSE_H
#define RA_STORAGE_S3_CRED_PARSE_H

#include <stddef.h>

#include "common/err.h"
#include "storage/s3/credentials.h"

/* The JSON credentials of a container endpoint or IMDS (AccessKeyId, SecretAccessKey, Token,
 * Expiration; a "Code" other than "Success" is an error) or, with process 1, of a credential_process
 * ("Version": 1 required; SessionToken). out is filled (caller clears); RA_E_STORE naming `what` and
 * the missing field on a bad answer (never a value). */
int ra_s3_cred_parse_json(const char *body, size_t len, int process, const char *what, ra_s3_credentials *out,
                          ra_err *err);

/* The answer of STS AssumeRoleWithWebIdentity / AssumeRole: Credentials/AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration. An <ErrorResponse> gives RA_E_STORE with its Code and
 * Message (sanitized). out is filled (caller clears). */
int ra_s3_cred_parse_sts(const char *body, size_t len, ra_s3_credentials *out, ra_err *err);

/* The settings of one profile that the chain uses; strings owned (NULL when absent). */
typedef struct ra_s3_cred_profile {
    int found; /* the profile's section exists in one of the files */
    char *access_key;
    char *secret_key;
    char *session_token;
    char *credential_process;
    char *role_arn;
    char *source_profile;
    char *web_identity_token_file;
    char *role_session_name;
    char *external_id;
    char *credential_source;
    char *region;
} ra_s3_cred_profile;

/* Merge the section of `profile` in an INI text into p: the config file (config 1: [default] or
 * [profile NAME]) or the credentials file (config 0: [NAME]); a later call overrides keys it sets.
 * Key names are case-insensitive (AWS_ACCESS_KEY_ID = ... works); '#' and ';' start comments;
 * indented lines under an empty key (nested settings such as "s3 =") are skipped. -1 out of memory. */
int ra_s3_cred_profile_parse(ra_s3_cred_profile *p, const char *text, const char *profile, int config);
/* Wipe and free; the struct is reusable. */
void ra_s3_cred_profile_clear(ra_s3_cred_profile *p);

#endif
