/* cred_remote.h - the credential providers that ask a service: STS AssumeRoleWithWebIdentity (EKS
 * IRSA), the container credentials endpoint (ECS, EKS Pod Identity) and EC2 instance metadata
 * (IMDSv2). They take explicit values; credentials.c reads the environment. Private to the s3 folder. */
#ifndef RA_STORAGE_S3_CRED_REMOTE_H
#define RA_STORAGE_S3_CRED_REMOTE_H

#include <stddef.h>

#include "common/err.h"
#include "storage/s3/credentials.h"

#define RA_S3_IMDS_ENDPOINT_DEFAULT "http://169.254.169.254"
#define RA_S3_IMDS_ENDPOINT_IPV6 "http://[fd00:ec2::254]" /* AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 */
#define RA_S3_CONTAINER_HOST_DEFAULT "http://169.254.170.2"
#define RA_S3_IMDS_TOKEN_TTL_S 21600
#define RA_S3_IMDS_TIMEOUT_MS 2000L

/* STS AssumeRoleWithWebIdentity at sts_url ("https://sts.eu-west-1.amazonaws.com") with the token
 * read from token_file (re-read at every call: the kubelet rotates it). session NULL = a name of
 * our own. Fills out (caller clears); RA_E_STORE naming the role and STS's code on refusal. */
int ra_s3_cred_web_identity(const char *sts_url, const char *role_arn, const char *session, const char *token_file,
                            ra_s3_credentials *out, ra_err *err);

/* STS AssumeRole at sts_url, signed (SigV4, service "sts", region) with the source credentials.
 * session NULL = a name of our own; external_id may be NULL. Fills out (caller clears). */
int ra_s3_cred_assume_role(const char *sts_url, const char *region, const char *role_arn, const char *session,
                           const char *external_id, const ra_s3_credentials *source, ra_s3_credentials *out,
                           ra_err *err);

/* GET url with "Authorization: <authorization>" when authorization is not NULL; the JSON answer
 * fills out (caller clears). */
int ra_s3_cred_container(const char *url, const char *authorization, ra_s3_credentials *out, ra_err *err);

/* IMDSv2 at endpoint: PUT /latest/api/token, GET the role name, GET its credentials. The role name
 * is copied to role (may be NULL). Fills out (caller clears). */
int ra_s3_cred_imds(const char *endpoint, ra_s3_credentials *out, char *role, size_t rolen, ra_err *err);

/* The regional STS endpoint: "https://sts.<region>.amazonaws.com" (".amazonaws.com.cn" for cn-*).
 * Caller frees; NULL when out of memory. */
char *ra_s3_cred_sts_url(const char *region);

#endif
