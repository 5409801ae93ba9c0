/* credentials.h - AWS credentials and where they come from: the provider chain in the AWS SDKs'
 * order, and a thread-safe holder that refreshes temporary credentials before they expire.
 * Reading the AWS_* credential variables and the shared files is this module's job alone (the
 * exception to "only config reads configuration"); the rest of the S3 layer takes values. */
#ifndef RA_STORAGE_S3_CREDENTIALS_H
#define RA_STORAGE_S3_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"

/* Credentials; strings are owned by whoever filled them and wiped by ra_s3_credentials_clear. */
typedef struct ra_s3_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;  /* NULL unless temporary credentials */
    time_t expiration;    /* 0 = unknown / does not expire */
} ra_s3_credentials;

/* Temporary credentials are refreshed this long before they expire, or after half their life when
 * that is shorter. */
#define RA_S3_CRED_REFRESH_S 300

/* Resolve credentials once through the chain (ra_s3_cred_chain_new) and copy them into creds
 * (caller clears). RA_E_USAGE when none are found, naming where it looked (never a secret). */
int ra_s3_credentials_load(ra_s3_credentials *creds, ra_err *err);
/* Deep copy; an empty session token becomes NULL. -1 when out of memory (dst then empty). */
int ra_s3_credentials_copy(ra_s3_credentials *dst, const ra_s3_credentials *src);
/* Wipe and free the strings; creds may be NULL. */
void ra_s3_credentials_clear(ra_s3_credentials *creds);

/* The chain: a source chosen once, and the credentials it gave last. */
typedef struct ra_s3_cred_chain ra_s3_cred_chain;

typedef struct ra_s3_cred_opts {
    const char *region; /* for the regional STS endpoint; NULL = us-east-1 */
    const ra_log *log;  /* refresh warnings; may be NULL */
} ra_s3_cred_opts;

/* Choose the first source that is configured, in the AWS SDKs' order, and fetch from it:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN,
 *      AWS_CREDENTIAL_EXPIRATION];
 *   2. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME],
 *      STS AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the
 *      regional STS endpoint;
 *   3. the profile AWS_PROFILE (else "default") of the shared credentials file
 *      (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials) over the config file (AWS_CONFIG_FILE,
 *      ~/.aws/config, [profile NAME]): role_arn + web_identity_token_file, role_arn assumed with
 *      the credentials of source_profile or credential_source (STS AssumeRole), keys, or
 *      credential_process;
 *   4. container credentials (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (at
 *      169.254.170.2) or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN;
 *   5. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT, else by
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE IPv4 or IPv6), unless
 *      AWS_EC2_METADATA_DISABLED is true.
 * RA_E_USAGE when no source is configured (naming what was looked at), RA_E_STORE or RA_E_USAGE
 * when the chosen one fails. */
ra_s3_cred_chain *ra_s3_cred_chain_new(const ra_s3_cred_opts *opts, ra_err *err);
/* A chain of fixed credentials (copied), never refreshed. */
ra_s3_cred_chain *ra_s3_cred_chain_fixed(const ra_s3_credentials *creds, ra_err *err);
void ra_s3_cred_chain_free(ra_s3_cred_chain *ch);

/* Thread-safe. A copy of the current credentials into out (caller clears), fetched again first
 * when they expire within RA_S3_CRED_REFRESH_S (or half their life). A failed refresh keeps
 * credentials that have not expired yet (with a warning) and is an error once they have.
 * *generation (may be NULL) names the credentials handed out, for ra_s3_cred_chain_expired. */
int ra_s3_cred_chain_get(ra_s3_cred_chain *ch, ra_s3_credentials *out, unsigned *generation, ra_err *err);

/* Thread-safe. The store refused the credentials of `generation` as expired (ExpiredToken): fetch
 * new ones unless another caller already did. 1: others are available, retry; 0: the source has
 * no others (fixed or environment credentials); -1 with err when the fetch fails. */
int ra_s3_cred_chain_expired(ra_s3_cred_chain *ch, unsigned generation, ra_err *err);

/* How many times the chain fetched credentials (1 after new; tests and logs). */
unsigned ra_s3_cred_chain_fetches(ra_s3_cred_chain *ch);

/* Where the credentials come from, for messages ("web identity (AWS_ROLE_ARN 'arn:...')");
 * never a secret. Borrowed, valid while ch lives. */
const char *ra_s3_cred_chain_source(const ra_s3_cred_chain *ch);

/* The source the chain would choose now (region as for ra_s3_cred_opts), described as above,
 * without contacting anything (`config`). Never fails: a problem is described in buf instead. */
void ra_s3_credentials_describe(const char *region, char *buf, size_t n);

#endif
