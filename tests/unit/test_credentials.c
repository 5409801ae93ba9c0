/* test_credentials.c - the credential chain: answers of the providers (JSON, STS XML), profiles of
 * the shared files, the order of the sources, refresh before expiry and after ExpiredToken, and the
 * HTTP providers (container, IMDSv2, STS) against a scripted peer on loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/s3/cred_parse.h"
#include "storage/s3/cred_remote.h"
#include "storage/s3/credentials.h"
#include "storage/s3/s3.h"

#include "s3peer.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define P(s) (s), strlen(s)

/* ------------------------------------------------------------- scripted peer: s3peer.h */
/* ------------------------------------------------------------- environment */
static const char *const vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_DISABLED"};

static char tmpdir[64];

static int clean_env(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) unsetenv(vars[i]);
    setenv("HOME", tmpdir, 1); /* no ~/.aws there */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    return 0;
}

static void write_file(const char *name, const char *text, char *path, size_t n) {
    snprintf(path, n, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void iso(time_t t, char out[32]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------- pure parsers */
static void test_parse_json(void **state) {
    (void)state;
    ra_s3_credentials c;
    ra_err err = {0};
    const char *ecs = "{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":"
                      "\"secretECS\",\"Token\":\"tokECS\",\"Expiration\":\"2030-01-02T03:04:05Z\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(ecs), 0, "x", &c, &err), 0);
    assert_string_equal(c.access_key, "ASIAECS");
    assert_string_equal(c.secret_key, "secretECS");
    assert_string_equal(c.session_token, "tokECS");
    assert_int_equal(c.expiration, 1893553445);
    ra_s3_credentials_clear(&c);
    const char *imds = "{\"Code\":\"Success\",\"LastUpdated\":\"2030-01-01T00:00:00Z\",\"Type\":\"AWS-HMAC\","
                       "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                       "\"Expiration\":\"2030-01-02T03:04:05Z\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(imds), 0, "x", &c, &err), 0);
    assert_string_equal(c.access_key, "ASIAIMDS");
    ra_s3_credentials_clear(&c);
    const char *bad_code = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(bad_code), 0, "imds", &c, &err), -1);
    assert_non_null(strstr(err.msg, "AssumeRoleUnauthorizedAccess"));
    /* credential_process: Version 1, SessionToken, no expiration = long-term */
    const char *proc = "{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"secretPROC\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(proc), 1, "credential_process", &c, &err), 0);
    assert_null(c.session_token);
    assert_int_equal(c.expiration, 0);
    ra_s3_credentials_clear(&c);
    const char *proc2 = "{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"secretPROC\", "
                        "\"SessionToken\": \"tokPROC\", \"Expiration\": \"2030-01-02T03:04:05+00:00\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(proc2), 1, "credential_process", &c, &err), 0);
    assert_string_equal(c.session_token, "tokPROC");
    assert_int_equal(c.expiration, 1893553445);
    ra_s3_credentials_clear(&c);
    const char *offset = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\", "
                         "\"Expiration\": \"2030-01-02T05:04:05.5+02:00\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(offset), 1, "credential_process", &c, &err), 0);
    assert_int_equal(c.expiration, 1893553445);
    ra_s3_credentials_clear(&c);
    const char *badoff = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\", "
                         "\"Expiration\": \"2030-01-02T05:04:05 tomorrow\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(badoff), 1, "credential_process", &c, &err), -1);
    const char *nover = "{\"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"secretPROC\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(nover), 1, "credential_process", &c, &err), -1);
    assert_non_null(strstr(err.msg, "Version"));
    assert_null(strstr(err.msg, "secretPROC"));
    const char *nosecret = "{\"AccessKeyId\": \"AK\", \"Token\": \"t\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(nosecret), 0, "the container credentials endpoint", &c, &err), -1);
    assert_string_equal(err.msg, "credentials from the container credentials endpoint: the answer lacks "
                                 "SecretAccessKey");
    assert_int_equal(ra_s3_cred_parse_json(P("[1,2]"), 0, "x", &c, &err), -1);
    assert_int_equal(ra_s3_cred_parse_json(P("{\"AccessKeyId\": \"A\", \"Secret"), 0, "x", &c, &err), -1);
    assert_int_equal(ra_s3_cred_parse_json(NULL, 0, 0, "x", &c, &err), -1);
    const char *badexp = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}";
    assert_int_equal(ra_s3_cred_parse_json(P(badexp), 0, "x", &c, &err), -1);
    assert_null(c.access_key);
}

static void test_parse_sts(void **state) {
    (void)state;
    ra_s3_credentials c;
    ra_err err = {0};
    const char *ok =
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <AssumeRoleWithWebIdentityResult>\n"
        "    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>\n"
        "    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId>"
        "</AssumedRoleUser>\n"
        "    <Credentials>\n"
        "      <AccessKeyId>ASIASTS</AccessKeyId>\n"
        "      <SecretAccessKey>sec/ret+STS</SecretAccessKey>\n"
        "      <SessionToken>FwoG&amp;tok==</SessionToken>\n"
        "      <Expiration>2030-01-02T03:04:05.123Z</Expiration>\n"
        "    </Credentials>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        "  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\n"
        "</AssumeRoleWithWebIdentityResponse>";
    assert_int_equal(ra_s3_cred_parse_sts(P(ok), &c, &err), 0);
    assert_string_equal(c.access_key, "ASIASTS");
    assert_string_equal(c.secret_key, "sec/ret+STS");
    assert_string_equal(c.session_token, "FwoG&tok==");
    assert_int_equal(c.expiration, 1893553445);
    ra_s3_credentials_clear(&c);
    const char *refused = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
                          "</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found\n"
                          "in your account</Message></Error><RequestId>r</RequestId></ErrorResponse>";
    assert_int_equal(ra_s3_cred_parse_sts(P(refused), &c, &err), -1);
    assert_string_equal(err.msg, "sts: InvalidIdentityToken: No OpenIDConnect provider found?in your account");
    assert_int_equal(ra_s3_cred_parse_sts(P("<AssumeRoleResponse/>"), &c, &err), -1);
    assert_non_null(strstr(err.msg, "no Credentials"));
    assert_int_equal(ra_s3_cred_parse_sts(P("<X><Credentials><AccessKeyId>A</AccessKeyId></Credentials></X>"), &c,
                                          &err), -1);
    assert_non_null(strstr(err.msg, "SecretAccessKey"));
    assert_int_equal(ra_s3_cred_parse_sts(P("<X><Credentials><AccessKeyId>A"), &c, &err), -1);
    assert_int_equal(ra_s3_cred_parse_sts("", 0, &c, &err), -1);
}

static void test_parse_profiles(void **state) {
    (void)state;
    const char *config = "# config\n[default]\nregion = eu-west-1\n\n[profile dev]\n"
                         "AWS_ACCESS_KEY_ID = AKCFG\naws_secret_access_key=SKCFG ; not a comment\n"
                         "s3 =\n  region = nested-ignored\n  max_concurrent_requests = 4\n"
                         "credential_process = /bin/echo hi\n[dev]\naws_access_key_id = not-a-config-profile\n"
                         "[profile  web ]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /t\n";
    const char *creds = "[dev]\naws_access_key_id = AKCRED\n[default]\nAws_Session_Token = TOKDEF\n";
    ra_s3_cred_profile p = {0};
    assert_int_equal(ra_s3_cred_profile_parse(&p, config, "dev", 1), 0);
    assert_true(p.found);
    assert_string_equal(p.access_key, "AKCFG");
    assert_string_equal(p.secret_key, "SKCFG ; not a comment");
    assert_string_equal(p.credential_process, "/bin/echo hi");
    assert_null(p.region);
    assert_int_equal(ra_s3_cred_profile_parse(&p, creds, "dev", 0), 0);
    assert_string_equal(p.access_key, "AKCRED"); /* the credentials file wins */
    assert_string_equal(p.secret_key, "SKCFG ; not a comment");
    ra_s3_cred_profile_clear(&p);
    assert_null(p.access_key);
    assert_int_equal(ra_s3_cred_profile_parse(&p, config, "default", 1), 0);
    assert_int_equal(ra_s3_cred_profile_parse(&p, creds, "default", 0), 0);
    assert_string_equal(p.region, "eu-west-1");
    assert_string_equal(p.session_token, "TOKDEF");
    ra_s3_cred_profile_clear(&p);
    assert_int_equal(ra_s3_cred_profile_parse(&p, config, "web", 1), 0);
    assert_string_equal(p.role_arn, "arn:aws:iam::1:role/w");
    assert_string_equal(p.web_identity_token_file, "/t");
    ra_s3_cred_profile_clear(&p);
    assert_int_equal(ra_s3_cred_profile_parse(&p, config, "nope", 1), 0);
    assert_false(p.found);
    assert_int_equal(ra_s3_cred_profile_parse(&p, "[profile dev]\n", "dev", 0), 0);
    assert_false(p.found); /* "profile x" headers are only for the config file */
    ra_s3_cred_profile_clear(&p);
}

/* ------------------------------------------------------------- the chain */
static void test_chain_order(void **state) {
    (void)state;
    char cfg[256], crd[256], buf[640];
    ra_err err = {0};
    ra_s3_credentials c;
    write_file("config", "[profile dev]\naws_access_key_id = AKDEV\naws_secret_access_key = SKDEV\n", cfg,
               sizeof(cfg));
    write_file("credentials", "[default]\nAWS_ACCESS_KEY_ID = AKDEF\nAWS_SECRET_ACCESS_KEY = SKDEF\n", crd,
               sizeof(crd));
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", crd, 1);
    /* the default profile, upper-case keys */
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKDEF");
    ra_s3_credentials_clear(&c);
    /* [profile dev] of the config file */
    setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKDEV");
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_non_null(strstr(buf, "profile 'dev'"));
    ra_s3_credentials_clear(&c);
    /* web identity comes before the files */
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ra", 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
    ra_s3_credentials_describe("eu-west-1", buf, sizeof(buf));
    assert_string_equal(buf, "web identity (AWS_ROLE_ARN 'arn:aws:iam::123456789012:role/ra', STS "
                             "'https://sts.eu-west-1.amazonaws.com')");
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "/nonexistent/token"));
    /* the environment comes first of all */
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SKENV", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKENV");
    assert_null(c.session_token);
    ra_s3_credentials_clear(&c);
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "environment (AWS_ACCESS_KEY_ID)");
    assert_null(strstr(buf, "SKENV"));
    /* expired environment credentials are refused before any work */
    setenv("AWS_SESSION_TOKEN", "TOK", 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "AWS_CREDENTIAL_EXPIRATION"));
    /* ... and those about to expire are used with a warning: they cannot be refreshed */
    char exp[32], *text = NULL;
    size_t tlen = 0;
    iso(time(NULL) + 60, exp);
    setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
    ra_log log = {.out = open_memstream(&text, &tlen), .min = RA_LOG_DEBUG, .format = RA_LOG_TEXT};
    ra_s3_cred_opts o = {NULL, &log};
    ra_s3_cred_chain *ch = ra_s3_cred_chain_new(&o, &err);
    assert_non_null(ch);
    fclose(log.out);
    assert_non_null(strstr(text, "expire in 60 s (AWS_CREDENTIAL_EXPIRATION) and cannot be refreshed"));
    assert_null(strstr(text, "SKENV"));
    free(text);
    ra_s3_cred_chain_free(ch);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_string_equal(err.msg, "no s3 credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set "
                                 "both");
    clean_env(NULL);
    /* nothing at all */
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "AWS_EC2_METADATA_DISABLED"));
    setenv("AWS_PROFILE", "nope", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "profile 'nope'"));
    unsetenv("AWS_PROFILE");
    /* IMDS over IPv6 */
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6", 1);
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "EC2 instance metadata (IMDSv2 at 'http://[fd00:ec2::254]')");
    unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "EC2 instance metadata (IMDSv2 at 'http://169.254.169.254')");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    /* containers: only https or the known addresses over http */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "must be https"));
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)");
    unlink(cfg);
    unlink(crd);
}

/* A credential_process that counts its runs and hands out credentials valid `life` seconds. */
static void process_profile(int life, char *counter, size_t n) {
    char cfg[256], text[1024];
    snprintf(counter, n, "%s/runs", tmpdir);
    unlink(counter);
    snprintf(text, sizeof(text),
             "[default]\ncredential_process = sh -c 'echo x >> %s; n=$(wc -l < %s); "
             "printf \"{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"AKP$n\\\", \\\"SecretAccessKey\\\": \\\"S\\\", "
             "\\\"SessionToken\\\": \\\"T$n\\\", \\\"Expiration\\\": \\\"%%s\\\"}\" "
             "$(date -u -d @$(( $(date +%%s) + %d )) +%%Y-%%m-%%dT%%H:%%M:%%SZ)'\n",
             counter, counter, life);
    write_file("config", text, cfg, sizeof(cfg));
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
}

static void test_refresh(void **state) {
    (void)state;
    char counter[256];
    process_profile(4, counter, sizeof(counter));
    ra_err err = {0};
    ra_s3_cred_chain *ch = ra_s3_cred_chain_new(NULL, &err);
    assert_non_null(ch);
    assert_non_null(strstr(ra_s3_cred_chain_source(ch), "credential_process of profile 'default'"));
    ra_s3_credentials c;
    unsigned g1 = 0, g2 = 0, g3 = 0;
    assert_int_equal(ra_s3_cred_chain_get(ch, &c, &g1, &err), 0);
    assert_string_equal(c.access_key, "AKP1");
    assert_string_equal(c.session_token, "T1");
    assert_true(c.expiration > time(NULL));
    ra_s3_credentials_clear(&c);
    assert_int_equal(ra_s3_cred_chain_fetches(ch), 1);
    sleep(3); /* a life of 4 s: fetched again once half of it is gone */
    assert_int_equal(ra_s3_cred_chain_get(ch, &c, &g2, &err), 0);
    assert_string_equal(c.access_key, "AKP2");
    assert_int_not_equal(g1, g2);
    assert_int_equal(ra_s3_cred_chain_fetches(ch), 2);
    ra_s3_credentials_clear(&c);
    /* ExpiredToken for credentials already replaced: no fetch; for the current ones: one */
    assert_int_equal(ra_s3_cred_chain_expired(ch, g1, &err), 1);
    assert_int_equal(ra_s3_cred_chain_fetches(ch), 2);
    assert_int_equal(ra_s3_cred_chain_expired(ch, g2, &err), 1);
    assert_int_equal(ra_s3_cred_chain_fetches(ch), 3);
    assert_int_equal(ra_s3_cred_chain_get(ch, &c, &g3, &err), 0);
    assert_string_equal(c.access_key, "AKP3");
    ra_s3_credentials_clear(&c);
    ra_s3_cred_chain_free(ch);
    unlink(counter);
    /* fixed credentials have no others */
    char ak[] = "AK", sk[] = "SK";
    ra_s3_credentials fixed = {ak, sk, NULL, 0};
    ch = ra_s3_cred_chain_fixed(&fixed, &err);
    assert_non_null(ch);
    assert_int_equal(ra_s3_cred_chain_get(ch, &c, &g1, &err), 0);
    assert_int_equal(ra_s3_cred_chain_expired(ch, g1, &err), 0);
    ra_s3_credentials_clear(&c);
    ra_s3_cred_chain_free(ch);
    /* a failing credential_process names itself, never its output */
    char cfg[256];
    write_file("config", "[default]\ncredential_process = sh -c 'echo SECRETOUT; exit 3'\n", cfg, sizeof(cfg));
    assert_null(ra_s3_cred_chain_new(NULL, &err));
    assert_non_null(strstr(err.msg, "credential_process failed (exit status 3)"));
    assert_null(strstr(err.msg, "SECRETOUT"));
    unlink(cfg);
}

typedef struct reader {
    ra_s3_cred_chain *ch;
    int bad;
    int gets;
} reader;

static void *read_loop(void *arg) {
    reader *r = arg;
    for (int i = 0; i < 150; i++) {
        ra_s3_credentials c;
        ra_err err = {0};
        if (ra_s3_cred_chain_get(r->ch, &c, NULL, &err) < 0) {
            r->bad++;
            continue;
        }
        /* key and token of one fetch, never a mix of two */
        if (c.access_key == NULL || c.session_token == NULL || strncmp(c.access_key, "AKP", 3) != 0 ||
            strcmp(c.access_key + 3, c.session_token + 1) != 0)
            r->bad++;
        ra_s3_credentials_clear(&c);
        r->gets++;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Requests on several threads (the upload engine's) read while the credentials are replaced. */
static void test_refresh_threads(void **state) {
    (void)state;
    char counter[256];
    process_profile(2, counter, sizeof(counter));
    ra_err err = {0};
    ra_s3_cred_chain *ch = ra_s3_cred_chain_new(NULL, &err);
    assert_non_null(ch);
    reader r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (reader){ch, 0, 0};
        pthread_create(&t[i], NULL, read_loop, &r[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].bad, 0);
        assert_int_equal(r[i].gets, 150);
    }
    /* 3 s of reads with a life of 2 s: fetched again every second or so, not at every read */
    unsigned n = ra_s3_cred_chain_fetches(ch);
    assert_true(n >= 3);
    assert_true(n <= 6);
    ra_s3_cred_chain_free(ch);
    unlink(counter);
}

#define STEP_ERR(status, code) {status, NULL, "<Error><Code>" code "</Code><Message></Message></Error>"}

/* A client on the peer; credentials NULL = the chain from the environment. */
static ra_s3 *client(const s3peer *p, const ra_s3_credentials *creds) {
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", p->port);
    ra_s3_config c = {.endpoint = ep, .bucket = "bkt", .path_style = 1, .credentials = creds, .max_attempts = 3};
    ra_err err = {0};
    ra_s3 *s3 = ra_s3_new(&c, &err);
    if (s3 == NULL) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(s3);
    return s3;
}

static void test_expired_token_refreshes_once(void **state) {
    (void)state;
    char counter[256];
    process_profile(3600, counter, sizeof(counter));
    s3peer_step steps[] = {STEP_ERR(400, "ExpiredToken"), {200, NULL, ""}, STEP_ERR(403, "ExpiredToken"),
                    STEP_ERR(403, "ExpiredToken")};
    s3peer p;
    s3peer_start(&p, steps, 4);
    ra_s3 *s3 = client(&p, NULL);
    ra_err err = {0};
    assert_int_equal(ra_s3_check_bucket(s3, &err), 0);
    assert_int_equal(p.served, 2);
    assert_non_null(strstr(p.requests[0], "x-amz-security-token: T1\r\n"));
    assert_non_null(strstr(p.requests[1], "x-amz-security-token: T2\r\n"));
    /* new credentials refused again: once per request, then it says where they came from */
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_int_equal(p.served, 4);
    assert_non_null(strstr(err.msg, "403 ExpiredToken"));
    assert_non_null(strstr(err.msg, "credentials from credential_process of profile 'default'"));
    assert_non_null(strstr(err.msg, "renew them"));
    ra_s3_free(s3);
    s3peer_stop(&p);
    unlink(counter);

    /* fixed credentials: no retry, and the 403 of a bad signature names the usual causes */
    char ak[] = "AK", sk[] = "SK";
    ra_s3_credentials fixed = {ak, sk, NULL, 0};
    s3peer_step steps2[] = {STEP_ERR(400, "ExpiredToken"), STEP_ERR(403, "SignatureDoesNotMatch")};
    s3peer_start(&p, steps2, 2);
    s3 = client(&p, &fixed);
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_int_equal(p.served, 1);
    assert_int_equal(ra_s3_check_bucket(s3, &err), -1);
    assert_string_equal(err.msg, "s3: GET bucket 'bkt': 403 SignatureDoesNotMatch (request id none); credentials "
                                 "from fixed keys given by the program, region 'us-east-1': check the secret key, "
                                 "the region and the clock");
    ra_s3_free(s3);
    s3peer_stop(&p);
}

static void test_container(void **state) {
    (void)state;
    char exp[32], body[512], url[128], tokfile[256];
    iso(time(NULL) + 3600, exp);
    snprintf(body, sizeof(body), "{\"AccessKeyId\":\"ASIACT\",\"SecretAccessKey\":\"S\",\"Token\":\"TC\","
                                 "\"Expiration\":\"%s\"}", exp);
    s3peer_step steps[] = {{200, NULL, body}, {401, NULL, "{}"}};
    s3peer p;
    s3peer_start(&p, steps, 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/credentials?id=1", p.port);
    write_file("podtoken", "eks-pod-token\n", tokfile, sizeof(tokfile));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-given", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
    ra_s3_credentials c;
    ra_err err = {0};
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "ASIACT");
    assert_string_equal(c.session_token, "TC");
    assert_true(strncmp(p.requests[0], "GET /v1/credentials?id=1 HTTP/1.1\r\n", 35) == 0);
    assert_non_null(strstr(p.requests[0], "\r\nAuthorization: eks-pod-token\r\n"));
    ra_s3_credentials_clear(&c);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "HTTP 401"));
    assert_non_null(strstr(err.msg, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    s3peer_stop(&p);
    unlink(tokfile);
}

static void test_imds(void **state) {
    (void)state;
    char exp[32], body[512], url[128];
    iso(time(NULL) + 3600, exp);
    snprintf(body, sizeof(body), "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIM\","
                                 "\"SecretAccessKey\":\"S\",\"Token\":\"TI\",\"Expiration\":\"%s\"}", exp);
    s3peer_step steps[] = {{200, NULL, "IMDSTOKEN-1"}, {200, NULL, "ra-role\n"}, {200, NULL, body}, {403, NULL, ""}};
    s3peer p;
    s3peer_start(&p, steps, 4);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", p.port);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    char buf[640];
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_non_null(strstr(buf, "EC2 instance metadata (IMDSv2 at 'http://127.0.0.1:"));
    ra_s3_credentials c;
    ra_err err = {0};
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "ASIAIM");
    assert_true(strncmp(p.requests[0], "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0);
    assert_non_null(strstr(p.requests[0], "\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"));
    assert_true(strncmp(p.requests[1], "GET /latest/meta-data/iam/security-credentials/ HTTP", 52) == 0);
    assert_non_null(strstr(p.requests[1], "\r\nX-aws-ec2-metadata-token: IMDSTOKEN-1\r\n"));
    assert_true(strncmp(p.requests[2], "GET /latest/meta-data/iam/security-credentials/ra-role HTTP", 59) == 0);
    assert_non_null(strstr(p.requests[2], "\r\nX-aws-ec2-metadata-token: IMDSTOKEN-1\r\n"));
    ra_s3_credentials_clear(&c);
    /* no token, no credentials (IMDSv1 is not tried) */
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_int_equal(err.code, RA_E_USAGE);
    assert_non_null(strstr(err.msg, "PUT /latest/api/token) answers HTTP 403"));
    s3peer_stop(&p);
}

static void test_web_identity(void **state) {
    (void)state;
    char body[1024], url[128], tokfile[256], exp[32];
    iso(time(NULL) + 3600, exp);
    snprintf(body, sizeof(body), "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                                 "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
                                 "<SessionToken>TW</SessionToken><Expiration>%s</Expiration></Credentials>"
                                 "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>", exp);
    s3peer_step steps[] = {{200, NULL, body},
                    {403, NULL, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized to perform "
                          "sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>"}};
    s3peer p;
    s3peer_start(&p, steps, 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    write_file("webtoken", "eyJhbGciOi.payload+/=.sig\n", tokfile, sizeof(tokfile));
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokfile, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ra", 1);
    setenv("AWS_ROLE_SESSION_NAME", "my-session", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1); /* the STS variable wins */
    setenv("AWS_ENDPOINT_URL_STS", url, 1);
    ra_s3_credentials c;
    ra_err err = {0};
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "ASIAWEB");
    assert_string_equal(c.session_token, "TW");
    assert_true(strncmp(p.requests[0], "POST / HTTP/1.1\r\n", 17) == 0);
    assert_non_null(strstr(p.requests[0], "\r\n\r\nAction=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn="
                                          "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fra&RoleSessionName=my-session"
                                          "&WebIdentityToken=eyJhbGciOi.payload%2B%2F%3D.sig"));
    assert_null(strstr(p.requests[0], "Authorization:"));
    ra_s3_credentials_clear(&c);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "assuming role 'arn:aws:iam::123456789012:role/ra'"));
    assert_non_null(strstr(err.msg, "HTTP 403: sts: AccessDenied: Not authorized"));
    s3peer_stop(&p);
    unlink(tokfile);
}

static void test_assume_role(void **state) {
    (void)state;
    char body[1024], url[128], cfg[256], exp[32], buf[640];
    iso(time(NULL) + 3600, exp);
    snprintf(body, sizeof(body), "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE"
                                 "</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>TR</SessionToken>"
                                 "<Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
             exp);
    s3peer_step steps[] = {{200, NULL, body}, {200, NULL, body}};
    s3peer p;
    s3peer_start(&p, steps, 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    write_file("config",
               "[profile base]\naws_access_key_id = AKBASE\naws_secret_access_key = SKBASE\n"
               "[profile ops]\nrole_arn = arn:aws:iam::1:role/ops\nsource_profile = base\nexternal_id = ext/1\n"
               "role_session_name = s1\n"
               "[profile envrole]\nrole_arn = arn:aws:iam::1:role/env\ncredential_source = Environment\n"
               "[profile loop1]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = loop2\n"
               "[profile loop2]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = loop1\n"
               "[profile nosrc]\nrole_arn = arn:aws:iam::1:role/n\n",
               cfg, sizeof(cfg));
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    setenv("AWS_ENDPOINT_URL_STS", url, 1);
    setenv("AWS_PROFILE", "ops", 1);
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_true(strncmp(buf, "role 'arn:aws:iam::1:role/ops' of profile 'ops' assumed with shared files, profile "
                             "'base'", 86) == 0);
    ra_s3_credentials c;
    ra_err err = {0};
    assert_int_equal(ra_s3_credentials_load(&c, &err), 0);
    assert_string_equal(c.access_key, "ASIAROLE");
    assert_string_equal(c.session_token, "TR");
    ra_s3_credentials_clear(&c);
    assert_true(strncmp(p.requests[0], "POST / HTTP/1.1\r\n", 17) == 0);
    assert_non_null(strstr(p.requests[0], "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKBASE/"));
    assert_non_null(strstr(p.requests[0], "/us-east-1/sts/aws4_request,SignedHeaders=content-type;host;x-amz-date,"
                                          "Signature="));
    assert_non_null(strstr(p.requests[0], "\r\n\r\nAction=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A"
                                          "%3A1%3Arole%2Fops&RoleSessionName=s1&ExternalId=ext%2F1"));
    assert_null(strstr(p.requests[0], "SKBASE"));
    /* credential_source Environment without keys in the environment (with them, the environment itself comes
     * first in the chain) */
    setenv("AWS_PROFILE", "envrole", 1);
    ra_s3_credentials_describe(NULL, buf, sizeof(buf));
    assert_non_null(strstr(buf, "none: s3 credentials: profile 'envrole' takes credential_source Environment"));
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "credential_source Environment"));
    s3peer_stop(&p);
    /* loops and roles without a source are refused before any request */
    setenv("AWS_PROFILE", "loop1", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "source_profile hops"));
    setenv("AWS_PROFILE", "nosrc", 1);
    assert_int_equal(ra_s3_credentials_load(&c, &err), -1);
    assert_non_null(strstr(err.msg, "no usable source_profile or credential_source"));
    unlink(cfg);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ra-credtest-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_json),
        cmocka_unit_test(test_parse_sts),
        cmocka_unit_test(test_parse_profiles),
        cmocka_unit_test_setup(test_chain_order, clean_env),
        cmocka_unit_test_setup(test_refresh, clean_env),
        cmocka_unit_test_setup(test_refresh_threads, clean_env),
        cmocka_unit_test_setup(test_expired_token_refreshes_once, clean_env),
        cmocka_unit_test_setup(test_container, clean_env),
        cmocka_unit_test_setup(test_imds, clean_env),
        cmocka_unit_test_setup(test_web_identity, clean_env),
        cmocka_unit_test_setup(test_assume_role, clean_env),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(tmpdir);
    return r;
}
