/* cred_remote.c - credentials from STS (web identity), the container endpoint and IMDSv2. */
#include "storage/s3/cred_remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/digest.h"
#include "storage/s3/cred_http.h"
#include "storage/s3/endpoint.h"
#include "storage/s3/cred_parse.h"
#include "storage/s3/sigv4.h"

#define TOKEN_FILE_MAX (64 * 1024)

char *ra_s3_cred_sts_url(const char *region) {
    char *url = NULL;
    const char *r = region && *region ? region : "us-east-1";
    if (asprintf(&url, "https://sts.%s.amazonaws.com%s", r, strncmp(r, "cn-", 3) == 0 ? ".cn" : "") < 0) return NULL;
    return url;
}

/* The whole of a small file, malloc'd and NUL-terminated, trailing white space cut. */
static char *read_token(const char *path, const char *what, ra_err *err) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        ra_err_set(err, RA_E_USAGE, "%s '%s' cannot be read: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, TOKEN_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, TOKEN_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    if (bad || n > TOKEN_FILE_MAX) {
        ra_err_set(err, RA_E_USAGE, "%s '%s' %s", what, path, bad ? "cannot be read" : "is larger than 64 KiB");
        explicit_bzero(buf, TOKEN_FILE_MAX + 1);
        free(buf);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    if (n == 0) {
        ra_err_set(err, RA_E_USAGE, "%s '%s' is empty", what, path);
        free(buf);
        return NULL;
    }
    return buf;
}

static void wipe_free(char *s) {
    if (s == NULL) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/* POST an STS query (body form-encoded) and parse the Credentials of its answer. */
static int sts_call(const char *url, const char *const *hdr, size_t nh, const char *body, const char *what,
                    ra_s3_credentials *out, ra_err *err) {
    char *ans = NULL;
    size_t alen = 0;
    long status = 0;
    ra_s3_cred_http_req req = {"POST", url, hdr, nh, body, "sts", 0};
    int r = -1;
    if (ra_s3_cred_http(&req, &status, &ans, &alen, err) < 0) goto done;
    if (ra_s3_cred_parse_sts(ans, alen, out, err) < 0 || status != 200) {
        if (status != 200 && out->access_key) ra_err_set(err, RA_E_STORE, "sts: an answer without error code");
        ra_s3_credentials_clear(out);
        if (status != 200) ra_err_prefix(err, "HTTP %ld: ", status);
        ra_err_prefix(err, "%s at '%s': ", what, url);
        goto done;
    }
    r = 0;
done:
    ra_s3_cred_http_free(ans, alen);
    return r;
}

int ra_s3_cred_web_identity(const char *sts_url, const char *role_arn, const char *session, const char *token_file,
                            ra_s3_credentials *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    char *token = read_token(token_file, "the web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE)", err);
    if (token == NULL) return -1;
    char own[64];
    snprintf(own, sizeof(own), "redis-archiver-%ld", (long)time(NULL));
    char *erole = ra_sigv4_uri_encode(role_arn, 0), *esess = ra_sigv4_uri_encode(session && *session ? session : own, 0);
    char *etok = ra_sigv4_uri_encode(token, 0), *body = NULL, *url = NULL;
    int r = -1;
    wipe_free(token);
    if (!erole || !esess || !etok ||
        asprintf(&body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s&RoleSessionName=%s"
                        "&WebIdentityToken=%s", erole, esess, etok) < 0 ||
        asprintf(&url, "%s%s", sts_url, sts_url[0] && sts_url[strlen(sts_url) - 1] == '/' ? "" : "/") < 0) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};
    char what[400];
    snprintf(what, sizeof(what), "assuming role '%.300s' with the web identity token", role_arn);
    r = sts_call(url, hdr, 1, body, what, out, err);
done:
    free(erole);
    free(esess);
    wipe_free(etok);
    wipe_free(body);
    free(url);
    return r;
}

int ra_s3_cred_assume_role(const char *sts_url, const char *region, const char *role_arn, const char *session,
                           const char *external_id, const ra_s3_credentials *source, ra_s3_credentials *out,
                           ra_err *err) {
    memset(out, 0, sizeof(*out));
    ra_s3_endpoint ep;
    if (ra_s3_endpoint_parse(&ep, sts_url, err) < 0) return ra_err_prefix(err, "the STS endpoint: ");
    char own[64], date[17], sha[RA_SHA256_HEX_LEN];
    snprintf(own, sizeof(own), "redis-archiver-%ld", (long)time(NULL));
    ra_sigv4_amz_date(time(NULL), date);
    char *erole = ra_sigv4_uri_encode(role_arn, 0), *esess = ra_sigv4_uri_encode(session && *session ? session : own, 0);
    char *eext = external_id ? ra_sigv4_uri_encode(external_id, 0) : NULL, *body = NULL, *url = NULL, *path = NULL;
    char *auth = NULL, *h_auth = NULL, *h_date = NULL, *h_tok = NULL;
    int r = -1;
    if (!erole || !esess || (external_id && !eext) ||
        asprintf(&body, "Action=AssumeRole&Version=2011-06-15&RoleArn=%s&RoleSessionName=%s%s%s", erole, esess,
                 eext ? "&ExternalId=" : "", eext ? eext : "") < 0 ||
        asprintf(&path, "%s/", ep.base_path) < 0 || asprintf(&url, "%s://%s%s", ep.scheme, ep.host, path) < 0) {
        body = path = url = NULL;
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    if (ra_sha256_hex(body, strlen(body), sha) < 0) {
        ra_err_set(err, RA_E_INTERNAL, "sts: cannot hash the request (OpenSSL failed)");
        goto done;
    }
    const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
    ra_kv hs[] = {{"Host", ep.host}, {"Content-Type", ctype}, {"X-Amz-Date", date},
                  {"X-Amz-Security-Token", source->session_token}};
    size_t nh = source->session_token ? 4 : 3;
    ra_sigv4_signer sg = {source->access_key, source->secret_key, source->session_token, region, "sts", date};
    ra_sigv4_request sreq = {"POST", path, NULL, 0, hs, nh, sha};
    if ((auth = ra_sigv4_authorization(&sg, &sreq)) == NULL || asprintf(&h_auth, "Authorization: %s", auth) < 0 ||
        asprintf(&h_date, "X-Amz-Date: %s", date) < 0 ||
        (source->session_token && asprintf(&h_tok, "X-Amz-Security-Token: %s", source->session_token) < 0)) {
        ra_err_set(err, RA_E_INTERNAL, "sts: cannot sign the request (out of memory or a failed hash)");
        goto done;
    }
    char h_ct[96];
    snprintf(h_ct, sizeof(h_ct), "Content-Type: %s", ctype);
    const char *hdr[] = {h_ct, h_date, h_auth, h_tok};
    char what[400];
    snprintf(what, sizeof(what), "assuming role '%.300s'", role_arn);
    r = sts_call(url, hdr, h_tok ? 4 : 3, body, what, out, err);
done:
    ra_s3_endpoint_clear(&ep);
    free(erole);
    free(esess);
    free(eext);
    free(body);
    free(path);
    free(url);
    wipe_free(auth);
    wipe_free(h_auth);
    free(h_date);
    wipe_free(h_tok);
    return r;
}

int ra_s3_cred_container(const char *url, const char *authorization, ra_s3_credentials *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    char *hdr = NULL, *ans = NULL;
    size_t alen = 0;
    long status = 0;
    int r = -1;
    if (authorization && asprintf(&hdr, "Authorization: %s", authorization) < 0)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    const char *hs[] = {hdr};
    ra_s3_cred_http_req req = {"GET", url, hs, hdr ? 1 : 0, NULL, "the container credentials endpoint", 0};
    if (ra_s3_cred_http(&req, &status, &ans, &alen, err) < 0) goto done;
    if (status != 200) {
        ra_err_set(err, RA_E_STORE, "the container credentials endpoint answers HTTP %ld%s", status,
                   status == 401 || status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE))" : "");
        goto done;
    }
    r = ra_s3_cred_parse_json(ans, alen, 0, "the container credentials endpoint", out, err);
done:
    ra_s3_cred_http_free(ans, alen);
    wipe_free(hdr);
    return r;
}

int ra_s3_cred_imds(const char *endpoint, ra_s3_credentials *out, char *role, size_t rolen, ra_err *err) {
    memset(out, 0, sizeof(*out));
    const char *ep = endpoint && *endpoint ? endpoint : RA_S3_IMDS_ENDPOINT_DEFAULT;
    size_t el = strlen(ep);
    while (el > 0 && ep[el - 1] == '/') el--;
    char *url = NULL, *tok = NULL, *thdr = NULL, *ans = NULL, name[256];
    size_t alen = 0, tlen = 0;
    long status = 0;
    int r = -1;
    const char *what = "EC2 instance metadata (IMDSv2)";
    if (asprintf(&url, "%.*s/latest/api/token", (int)el, ep) < 0) goto oom;
    char ttl[64];
    snprintf(ttl, sizeof(ttl), "X-aws-ec2-metadata-token-ttl-seconds: %d", RA_S3_IMDS_TOKEN_TTL_S);
    const char *th[] = {ttl};
    ra_s3_cred_http_req put = {"PUT", url, th, 1, NULL, what, RA_S3_IMDS_TIMEOUT_MS};
    if (ra_s3_cred_http(&put, &status, &tok, &tlen, err) < 0) goto done;
    if (status != 200 || tlen == 0) {
        ra_err_set(err, RA_E_STORE, "%s: the session token request (PUT /latest/api/token) answers HTTP %ld", what,
                   status);
        goto done;
    }
    if (asprintf(&thdr, "X-aws-ec2-metadata-token: %s", tok) < 0) goto oom;
    const char *gh[] = {thdr};
    free(url);
    if (asprintf(&url, "%.*s/latest/meta-data/iam/security-credentials/", (int)el, ep) < 0) goto oom;
    ra_s3_cred_http_req get = {"GET", url, gh, 1, NULL, what, RA_S3_IMDS_TIMEOUT_MS};
    if (ra_s3_cred_http(&get, &status, &ans, &alen, err) < 0) goto done;
    size_t nl = strcspn(ans, "\r\n");
    if (status != 200 || nl == 0 || nl >= sizeof(name)) {
        ra_err_set(err, RA_E_STORE, "%s: no IAM role is attached to the instance (HTTP %ld)", what, status);
        goto done;
    }
    memcpy(name, ans, nl);
    name[nl] = '\0';
    for (size_t i = 0; i < nl; i++)
        if (name[i] == '/' || name[i] == '?' || name[i] == '#' || (unsigned char)name[i] < 0x21) {
            ra_err_set(err, RA_E_STORE, "%s: the role name is not a plain name", what);
            goto done;
        }
    if (role) snprintf(role, rolen, "%s", name);
    ra_s3_cred_http_free(ans, alen);
    ans = NULL;
    free(url);
    if (asprintf(&url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)el, ep, name) < 0) goto oom;
    get.url = url;
    if (ra_s3_cred_http(&get, &status, &ans, &alen, err) < 0) goto done;
    if (status != 200) {
        ra_err_set(err, RA_E_STORE, "%s: the credentials of role '%s' answer HTTP %ld", what, name, status);
        goto done;
    }
    r = ra_s3_cred_parse_json(ans, alen, 0, what, out, err);
    goto done;
oom:
    ra_err_set(err, RA_E_INTERNAL, "out of memory");
done:
    ra_s3_cred_http_free(ans, alen);
    ra_s3_cred_http_free(tok, tlen);
    wipe_free(thdr);
    free(url);
    return r;
}
