/* credentials.c - the AWS credential provider chain: which source, and a thread-safe holder that
 * refreshes what it gave. The providers are in cred_file.c (shared files, credential_process) and
 * cred_remote.c (STS, container endpoint, IMDS). */
#include "storage/s3/credentials.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/s3/cred_file.h"
#include "storage/s3/cred_parse.h"
#include "storage/s3/cred_remote.h"
#include "storage/s3/xml.h"

#define REFRESH_RETRY_S 10 /* after a failed refresh, the next try waits this long */

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

typedef enum src_kind {
    SRC_FIXED,
    SRC_ENV,
    SRC_WEBID,
    SRC_PROFILE,
    SRC_PROCESS,
    SRC_ASSUME,
    SRC_CONTAINER,
    SRC_IMDS
} src_kind;

/* A chosen source and what fetching from it needs (no secret but the fixed keys). */
typedef struct src {
    src_kind kind;
    char desc[512];
    char *sts_url, *role_arn, *session, *token_file; /* web identity, assume role (no token file) */
    char *region, *external_id;                        /* assume role */
    struct src *source;                                /* assume role: whose credentials sign the request */
    char *command;                                     /* credential_process */
    char *url;                                         /* container endpoint, IMDS endpoint */
    ra_s3_credentials keys;                            /* fixed, profile keys */
} src;

static void src_clear(src *s) {
    if (s->source) {
        src_clear(s->source);
        free(s->source);
    }
    free(s->region);
    free(s->external_id);
    free(s->sts_url);
    free(s->role_arn);
    free(s->session);
    free(s->token_file);
    wipe_free(s->command);
    free(s->url);
    ra_s3_credentials_clear(&s->keys);
    memset(s, 0, sizeof(*s));
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Whether an http:// container URL is one the SDKs accept: loopback or the ECS / EKS addresses. */
static int container_host_ok(const char *url) {
    if (strncasecmp(url, "https://", 8) == 0) return 1;
    if (strncasecmp(url, "http://", 7) != 0) return 0;
    const char *h = url + 7;
    size_t n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?#");
    static const char *const ok[] = {"localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strlen(ok[i]) == n && strncasecmp(h, ok[i], n) == 0) return 1;
    return n > 4 && strncmp(h, "127.", 4) == 0;
}

static int oom(ra_err *err) {
    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
}

static int webid_src(src *s, const char *region, const char *role, const char *session, const char *token_file,
                     const char *origin, ra_err *err) {
    s->kind = SRC_WEBID;
    const char *ep = env("AWS_ENDPOINT_URL_STS") ? env("AWS_ENDPOINT_URL_STS") : env("AWS_ENDPOINT_URL");
    s->sts_url = ep ? strdup(ep) : ra_s3_cred_sts_url(region);
    s->role_arn = strdup(role);
    s->session = xstrdup(session);
    s->token_file = strdup(token_file);
    if (!s->sts_url || !s->role_arn || !s->token_file || (session && !s->session)) return oom(err);
    snprintf(s->desc, sizeof(s->desc), "web identity (%.120s '%.150s', STS '%.200s')", origin, role, s->sts_url);
    return 0;
}

static int container_src(src *s, ra_err *err) {
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    s->kind = SRC_CONTAINER;
    if (rel ? asprintf(&s->url, "%s%s", RA_S3_CONTAINER_HOST_DEFAULT, rel) < 0 : (s->url = strdup(full)) == NULL) {
        s->url = NULL;
        return oom(err);
    }
    if (!rel && !container_host_ok(full))
        return ra_err_set(err, RA_E_USAGE, "s3 credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or "
                                           "http to a loopback address or 169.254.170.2/.23 (as in the AWS SDKs)");
    const char *tfile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tfile && (s->token_file = strdup(tfile)) == NULL) return oom(err);
    snprintf(s->desc, sizeof(s->desc), "container credentials (%s%s)",
             rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             tfile ? ", AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
                   : env("AWS_CONTAINER_AUTHORIZATION_TOKEN") ? ", AWS_CONTAINER_AUTHORIZATION_TOKEN" : "");
    return 0;
}

static int imds_src(src *s, ra_err *err) {
    s->kind = SRC_IMDS;
    const char *ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT"), *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (ep == NULL) ep = mode && strcasecmp(mode, "IPv6") == 0 ? RA_S3_IMDS_ENDPOINT_IPV6 : RA_S3_IMDS_ENDPOINT_DEFAULT;
    if ((s->url = strdup(ep)) == NULL) return oom(err);
    snprintf(s->desc, sizeof(s->desc), "EC2 instance metadata (IMDSv2 at '%.300s')", s->url);
    return 0;
}

/* The shared files' paths. */
typedef struct files {
    char cfg[4096], crd[4096];
} files;

#define MAX_ROLE_CHAIN 4 /* source_profile hops */

/* The source a profile names: 0 chosen, 1 the profile gives none, -1 err. An assume-role profile
 * takes its source from source_profile (depth bounds the chain) or credential_source. */
static int profile_src(src *s, const char *region, const files *f, const char *pname, int must_exist, int depth,
                       ra_err *err) {
    ra_s3_cred_profile p;
    if (ra_s3_cred_files_profile(f->cfg, f->crd, pname, &p, err) < 0) {
        ra_s3_cred_profile_clear(&p);
        return -1;
    }
    int r = 1;
    if (must_exist && !p.found) {
        r = ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' not found in '%s' nor '%s'", pname, f->crd,
                       f->cfg);
    } else if (p.role_arn && p.web_identity_token_file) {
        char origin[300];
        snprintf(origin, sizeof(origin), "profile '%s' role_arn", pname);
        r = webid_src(s, region, p.role_arn, p.role_session_name, p.web_identity_token_file, origin, err);
    } else if (p.role_arn) {
        s->kind = SRC_ASSUME;
        const char *ep = env("AWS_ENDPOINT_URL_STS") ? env("AWS_ENDPOINT_URL_STS") : env("AWS_ENDPOINT_URL");
        s->sts_url = ep ? strdup(ep) : ra_s3_cred_sts_url(region);
        s->region = strdup(region && *region ? region : "us-east-1");
        s->role_arn = strdup(p.role_arn);
        s->session = xstrdup(p.role_session_name);
        s->external_id = xstrdup(p.external_id);
        s->source = calloc(1, sizeof(*s->source));
        if (!s->sts_url || !s->region || !s->role_arn || !s->source || (p.role_session_name && !s->session) ||
            (p.external_id && !s->external_id)) {
            r = oom(err);
        } else if (p.source_profile) {
            if (depth >= MAX_ROLE_CHAIN)
                r = ra_err_set(err, RA_E_USAGE, "s3 credentials: profile '%s': more than %d source_profile hops (a "
                                                "loop?)", pname, MAX_ROLE_CHAIN);
            else if ((r = profile_src(s->source, region, f, p.source_profile, 1, depth + 1, err)) == 1)
                r = ra_err_set(err, RA_E_USAGE, "s3 credentials: profile '%s' (source_profile of '%s') has no "
                                                "credentials", p.source_profile, pname);
        } else if (p.credential_source && strcmp(p.credential_source, "Environment") == 0) {
            s->source->kind = SRC_ENV;
            snprintf(s->source->desc, sizeof(s->source->desc), "environment");
            r = env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")
                    ? 0
                    : ra_err_set(err, RA_E_USAGE, "s3 credentials: profile '%s' takes credential_source Environment, "
                                                  "but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set", pname);
        } else if (p.credential_source && strcmp(p.credential_source, "Ec2InstanceMetadata") == 0) {
            r = imds_src(s->source, err);
        } else if (p.credential_source && strcmp(p.credential_source, "EcsContainer") == 0 &&
                   (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))) {
            r = container_src(s->source, err);
        } else {
            r = ra_err_set(err, RA_E_USAGE, "s3 credentials: profile '%s' has role_arn but no usable source_profile or "
                                            "credential_source (Environment, Ec2InstanceMetadata, EcsContainer)",
                           pname);
        }
        if (r == 0)
            snprintf(s->desc, sizeof(s->desc), "role '%.150s' of profile '%.60s' assumed with %.200s", p.role_arn,
                     pname, s->source->desc);
    } else if (p.access_key || p.secret_key) {
        if (!p.access_key || !p.secret_key) {
            r = ra_err_set(err, RA_E_USAGE, "no s3 credentials: profile '%s' in '%s' or '%s' lacks "
                                            "aws_access_key_id or aws_secret_access_key", pname, f->crd, f->cfg);
        } else {
            s->kind = SRC_PROFILE;
            ra_s3_credentials k = {p.access_key, p.secret_key, p.session_token, 0};
            r = ra_s3_credentials_copy(&s->keys, &k) < 0 ? oom(err) : 0;
            snprintf(s->desc, sizeof(s->desc), "shared files, profile '%.100s' ('%.160s', '%.160s')", pname, f->crd,
                     f->cfg);
        }
    } else if (p.credential_process) {
        s->kind = SRC_PROCESS;
        r = (s->command = strdup(p.credential_process)) == NULL ? oom(err) : 0;
        snprintf(s->desc, sizeof(s->desc), "credential_process of profile '%.100s' ('%.300s')", pname, f->cfg);
    }
    ra_s3_cred_profile_clear(&p);
    return r;
}

/* Choose the source (see credentials.h); reads variables and the shared files, contacts nothing. */
static int choose(src *s, const char *region, ra_err *err) {
    memset(s, 0, sizeof(*s));
    const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
    if (ak || sk) {
        if (!ak || !sk)
            return ra_err_set(err, RA_E_USAGE, "no s3 credentials: %s is set but %s is not: set both",
                              ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                              ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        s->kind = SRC_ENV;
        snprintf(s->desc, sizeof(s->desc), "environment (AWS_ACCESS_KEY_ID%s)",
                 env("AWS_SESSION_TOKEN") ? ", AWS_SESSION_TOKEN" : "");
        return 0;
    }
    const char *tf = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env("AWS_ROLE_ARN");
    if (tf && role) return webid_src(s, region, role, env("AWS_ROLE_SESSION_NAME"), tf, "AWS_ROLE_ARN", err);

    const char *home = env("HOME") ? env("HOME") : ".";
    const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : env("AWS_DEFAULT_PROFILE");
    files f;
    snprintf(f.cfg, sizeof(f.cfg), "%s%s", env("AWS_CONFIG_FILE") ? env("AWS_CONFIG_FILE") : home,
             env("AWS_CONFIG_FILE") ? "" : "/.aws/config");
    snprintf(f.crd, sizeof(f.crd), "%s%s",
             env("AWS_SHARED_CREDENTIALS_FILE") ? env("AWS_SHARED_CREDENTIALS_FILE") : home,
             env("AWS_SHARED_CREDENTIALS_FILE") ? "" : "/.aws/credentials");
    const char *pname = profile ? profile : "default";
    int r = profile_src(s, region, &f, pname, profile != NULL, 0, err);
    if (r <= 0) return r;
    src_clear(s);

    if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        return container_src(s, err);
    const char *off = env("AWS_EC2_METADATA_DISABLED");
    if (off && strcasecmp(off, "true") == 0)
        return ra_err_set(err, RA_E_USAGE, "no s3 credentials: AWS_ACCESS_KEY_ID is not set, nor "
                                           "AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, profile '%s' has none in "
                                           "'%s' or '%s', no container endpoint is set, and AWS_EC2_METADATA_DISABLED "
                                           "is true", pname, f.crd, f.cfg);
    return imds_src(s, err);
}

/* Read a token file for the container endpoint (re-read at each fetch: it is rotated). */
static char *read_small(const char *path, ra_err *err) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return ra_err_set(err, RA_E_USAGE, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s' cannot be read", path), NULL;
    char *buf = calloc(1, 16385);
    size_t n = buf ? fread(buf, 1, 16384, f) : 0;
    fclose(f);
    if (buf == NULL) return oom(err), NULL;
    while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
    return buf;
}

static int fetch(const src *s, ra_s3_credentials *out, ra_err *err) {
    if (s->kind == SRC_ASSUME) {
        ra_s3_credentials base;
        if (fetch(s->source, &base, err) < 0) return ra_err_prefix(err, "the source of role '%s': ", s->role_arn);
        int r = ra_s3_cred_assume_role(s->sts_url, s->region, s->role_arn, s->session, s->external_id, &base, out,
                                       err);
        ra_s3_credentials_clear(&base);
        return r;
    }
    memset(out, 0, sizeof(*out));
    int r = -1;
    switch (s->kind) {
    case SRC_FIXED:
    case SRC_PROFILE:
        r = ra_s3_credentials_copy(out, &s->keys) < 0 ? oom(err) : 0;
        break;
    case SRC_ENV: {
        ra_s3_credentials e = {(char *)env("AWS_ACCESS_KEY_ID"), (char *)env("AWS_SECRET_ACCESS_KEY"),
                               (char *)env("AWS_SESSION_TOKEN"), ra_s3xml_parse_time(env("AWS_CREDENTIAL_EXPIRATION"))};
        if (!e.access_key || !e.secret_key) return ra_err_set(err, RA_E_USAGE, "no s3 credentials: AWS_ACCESS_KEY_ID "
                                                                                "or AWS_SECRET_ACCESS_KEY is gone");
        r = ra_s3_credentials_copy(out, &e) < 0 ? oom(err) : 0;
        break;
    }
    case SRC_WEBID:
        r = ra_s3_cred_web_identity(s->sts_url, s->role_arn, s->session, s->token_file, out, err);
        break;
    case SRC_PROCESS:
        r = ra_s3_cred_process(s->command, out, err);
        break;
    case SRC_CONTAINER: {
        char *tok = s->token_file ? read_small(s->token_file, err) : NULL;
        if (s->token_file && tok == NULL) return -1;
        r = ra_s3_cred_container(s->url, tok ? tok : env("AWS_CONTAINER_AUTHORIZATION_TOKEN"), out, err);
        wipe_free(tok);
        break;
    }
    case SRC_IMDS:
        r = ra_s3_cred_imds(s->url, out, NULL, 0, err);
        break;
    case SRC_ASSUME: /* above */
        break;
    }
    return r;
}

struct ra_s3_cred_chain {
    pthread_mutex_t lock;
    src s;
    ra_s3_credentials cur;
    const ra_log *log;
    time_t fetched;    /* when cur was fetched */
    time_t next_try;   /* no refresh before this after a failed one */
    unsigned gen;      /* changes with cur */
    unsigned fetches;
};

static ra_s3_cred_chain *chain_alloc(ra_err *err) {
    ra_s3_cred_chain *ch = calloc(1, sizeof(*ch));
    if (ch == NULL) return oom(err), NULL;
    pthread_mutex_init(&ch->lock, NULL);
    ch->gen = 1;
    return ch;
}

void ra_s3_cred_chain_free(ra_s3_cred_chain *ch) {
    if (ch == NULL) return;
    src_clear(&ch->s);
    ra_s3_credentials_clear(&ch->cur);
    pthread_mutex_destroy(&ch->lock);
    free(ch);
}

ra_s3_cred_chain *ra_s3_cred_chain_fixed(const ra_s3_credentials *creds, ra_err *err) {
    if (!creds->access_key || !creds->secret_key || !*creds->access_key || !*creds->secret_key) {
        ra_err_set(err, RA_E_USAGE, "s3: credentials lack an access key or a secret key");
        return NULL;
    }
    ra_s3_cred_chain *ch = chain_alloc(err);
    if (ch == NULL) return NULL;
    ch->s.kind = SRC_FIXED;
    snprintf(ch->s.desc, sizeof(ch->s.desc), "fixed keys given by the program");
    if (ra_s3_credentials_copy(&ch->s.keys, creds) < 0 || ra_s3_credentials_copy(&ch->cur, creds) < 0) {
        oom(err);
        ra_s3_cred_chain_free(ch);
        return NULL;
    }
    ch->fetched = time(NULL);
    ch->fetches = 1;
    return ch;
}

ra_s3_cred_chain *ra_s3_cred_chain_new(const ra_s3_cred_opts *opts, ra_err *err) {
    ra_s3_cred_chain *ch = chain_alloc(err);
    if (ch == NULL) return NULL;
    ch->log = opts ? opts->log : NULL;
    if (choose(&ch->s, opts ? opts->region : NULL, err) < 0) goto fail;
    if (fetch(&ch->s, &ch->cur, err) < 0) {
        if (ch->s.kind == SRC_IMDS) {
            char why[RA_ERR_MSG_MAX];
            snprintf(why, sizeof(why), "%s", err->msg);
            ra_err_set(err, RA_E_USAGE, "no s3 credentials: none in the environment, the shared files or a container "
                                        "endpoint, and %s (set AWS_EC2_METADATA_DISABLED=true off EC2)", why);
        } else {
            ra_err_prefix(err, "s3 credentials from %s: ", ch->s.desc);
        }
        goto fail;
    }
    ch->fetched = time(NULL);
    ch->fetches = 1;
    if (ch->s.kind == SRC_ENV && ch->cur.expiration && ch->cur.expiration <= ch->fetched) {
        ra_err_set(err, RA_E_USAGE, "s3 credentials from the environment expired %ld s ago "
                                    "(AWS_CREDENTIAL_EXPIRATION): renew them",
                   (long)(ch->fetched - ch->cur.expiration));
        goto fail;
    }
    if (ch->s.kind == SRC_ENV && ch->cur.expiration && ch->cur.expiration - ch->fetched < RA_S3_CRED_REFRESH_S)
        ra_log_warn(ch->log, "s3.credentials", "the s3 credentials from the environment expire in %ld s "
                                               "(AWS_CREDENTIAL_EXPIRATION) and cannot be refreshed: a longer task "
                                               "fails then", (long)(ch->cur.expiration - ch->fetched));
    ra_log_debug(ch->log, "s3.credentials", "s3 credentials from %s", ch->s.desc);
    return ch;
fail:
    ra_s3_cred_chain_free(ch);
    return NULL;
}

static int refresh_due(const ra_s3_cred_chain *ch, time_t now) {
    /* at most one fetch a second, even from a source that hands out expired credentials */
    if (ch->cur.expiration == 0 || ch->s.kind == SRC_FIXED || now < ch->next_try || now <= ch->fetched) return 0;
    time_t window = RA_S3_CRED_REFRESH_S, life = ch->cur.expiration - ch->fetched;
    if (life / 2 < window) window = life > 0 ? life / 2 : 0;
    return now >= ch->cur.expiration - window;
}

/* Fetch again under the lock; on success the new credentials replace the old. */
static int refetch(ra_s3_cred_chain *ch, time_t now, ra_err *err) {
    ra_s3_credentials n;
    if (fetch(&ch->s, &n, err) < 0) {
        ch->next_try = now + REFRESH_RETRY_S;
        return -1;
    }
    ra_s3_credentials_clear(&ch->cur);
    ch->cur = n;
    ch->fetched = now;
    ch->gen++;
    ch->fetches++;
    return 0;
}

int ra_s3_cred_chain_get(ra_s3_cred_chain *ch, ra_s3_credentials *out, unsigned *generation, ra_err *err) {
    pthread_mutex_lock(&ch->lock);
    time_t now = time(NULL);
    if (refresh_due(ch, now)) {
        ra_err e = {0};
        if (refetch(ch, now, &e) == 0) {
            ra_log_info(ch->log, "s3.credentials", "refreshed the s3 credentials from %s before they expire; valid "
                                                   "for %ld s", ch->s.desc, (long)(ch->cur.expiration - now));
        } else {
            if (now >= ch->cur.expiration) {
                pthread_mutex_unlock(&ch->lock);
                if (err) *err = e;
                return ra_err_prefix(err, "s3 credentials from %s expired and cannot be refreshed: ", ch->s.desc);
            }
            ra_log_warn(ch->log, "s3.credentials", "cannot refresh the s3 credentials from %s (%s); the current ones "
                                                   "stay valid %ld s more", ch->s.desc, e.msg,
                        (long)(ch->cur.expiration - now));
        }
    }
    int r = ra_s3_credentials_copy(out, &ch->cur);
    if (generation) *generation = ch->gen;
    pthread_mutex_unlock(&ch->lock);
    return r < 0 ? oom(err) : 0;
}

int ra_s3_cred_chain_expired(ra_s3_cred_chain *ch, unsigned generation, ra_err *err) {
    pthread_mutex_lock(&ch->lock);
    int r = 1;
    if (generation == ch->gen) {
        if (ch->s.kind == SRC_FIXED || ch->s.kind == SRC_ENV) r = 0;
        else if (refetch(ch, time(NULL), err) < 0) r = -1;
        else ra_log_warn(ch->log, "s3.credentials", "the store says the s3 credentials expired; fetched new ones "
                                                    "from %s", ch->s.desc);
    }
    pthread_mutex_unlock(&ch->lock);
    return r;
}

unsigned ra_s3_cred_chain_fetches(ra_s3_cred_chain *ch) {
    pthread_mutex_lock(&ch->lock);
    unsigned n = ch->fetches;
    pthread_mutex_unlock(&ch->lock);
    return n;
}

const char *ra_s3_cred_chain_source(const ra_s3_cred_chain *ch) {
    return ch->s.desc;
}

void ra_s3_credentials_describe(const char *region, char *buf, size_t n) {
    src s;
    ra_err err = {0};
    if (choose(&s, region, &err) < 0) snprintf(buf, n, "none: %s", err.msg);
    else snprintf(buf, n, "%s", s.desc);
    src_clear(&s);
}

int ra_s3_credentials_load(ra_s3_credentials *creds, ra_err *err) {
    memset(creds, 0, sizeof(*creds));
    ra_s3_cred_chain *ch = ra_s3_cred_chain_new(NULL, err);
    if (ch == NULL) return -1;
    int r = ra_s3_cred_chain_get(ch, creds, NULL, err);
    ra_s3_cred_chain_free(ch);
    return r;
}
