/* credentials.c - the AWS credential provider chain: environment, then the shared credentials file. */
#include "storage/s3/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/xml.h"

static char *xstrdup(const char *s) {
    return s ? strdup(s) : NULL;
}

static void wipe_free(char *s) {
    if (s == NULL) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void ra_s3_credentials_clear(ra_s3_credentials *creds) {
    if (creds == NULL) return;
    wipe_free(creds->access_key);
    wipe_free(creds->secret_key);
    wipe_free(creds->session_token);
    memset(creds, 0, sizeof(*creds));
}

int ra_s3_credentials_copy(ra_s3_credentials *dst, const ra_s3_credentials *src) {
    memset(dst, 0, sizeof(*dst));
    dst->access_key = xstrdup(src->access_key);
    dst->secret_key = xstrdup(src->secret_key);
    dst->session_token = src->session_token && *src->session_token ? strdup(src->session_token) : NULL;
    dst->expiration = src->expiration;
    if (!dst->access_key || !dst->secret_key || (src->session_token && *src->session_token && !dst->session_token)) {
        ra_s3_credentials_clear(dst);
        return -1;
    }
    return 0;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* The [profile] section of an AWS shared credentials file. */
static int creds_from_file(ra_s3_credentials *c, const char *path, const char *profile, ra_err *err) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return ra_err_set(err, RA_E_USAGE, "no s3 credentials: AWS_ACCESS_KEY_ID is not set and '%s' "
                                                      "cannot be read: %s", path, strerror(errno));
    char line[4096];
    int in = 0, found = 0;
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line);
        if (*l == '#' || *l == ';' || *l == '\0') continue;
        if (*l == '[') {
            char *e = strchr(l, ']');
            if (e) *e = '\0';
            in = strcmp(trim(l + 1), profile) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || eq == NULL) continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1), **dst = NULL;
        if (strcmp(k, "aws_access_key_id") == 0) dst = &c->access_key;
        else if (strcmp(k, "aws_secret_access_key") == 0) dst = &c->secret_key;
        else if (strcmp(k, "aws_session_token") == 0) dst = &c->session_token;
        if (dst) {
            wipe_free(*dst);
            *dst = strdup(v);
        }
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    if (!found) return ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' not found in '%s'", profile, path);
    if (!c->access_key || !*c->access_key || !c->secret_key || !*c->secret_key)
        return ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' in '%s' lacks aws_access_key_id or "
                                           "aws_secret_access_key", profile, path);
    return 0;
}

int ra_s3_credentials_load(ra_s3_credentials *creds, ra_err *err) {
    memset(creds, 0, sizeof(*creds));
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak && *ak && sk && *sk) {
        const char *tok = getenv("AWS_SESSION_TOKEN");
        creds->access_key = strdup(ak);
        creds->secret_key = strdup(sk);
        creds->session_token = tok && *tok ? strdup(tok) : NULL;
        creds->expiration = ra_s3xml_parse_time(getenv("AWS_CREDENTIAL_EXPIRATION"));
        if (!creds->access_key || !creds->secret_key || (tok && *tok && !creds->session_token)) {
            ra_s3_credentials_clear(creds);
            return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
        return 0;
    }
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
    const char *profile = getenv("AWS_PROFILE");
    char path[4096];
    if (file && *file)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/.aws/credentials", home && *home ? home : ".");
    int r = creds_from_file(creds, path, profile && *profile ? profile : "default", err);
    if (r < 0) ra_s3_credentials_clear(creds);
    return r;
}
