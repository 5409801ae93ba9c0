/* client.c - the S3 client handle: configuration taken as values, its accessors, and presigned
 * URLs. Requests are in request.c, operations in object.c, bucket.c and multipart.c. */
#include "storage/s3/s3.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/limits.h"
#include "storage/s3/request.h"
#include "storage/s3/sigv4.h"

#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS 8000
#define THROTTLE_BASE_MS 1000    /* SlowDown, 503, 429: a longer backoff, doubling to */
#define THROTTLE_CAP_MS 20000
#define RETRY_AFTER_CAP_MS 60000 /* a server's Retry-After is honoured up to this */
#define RA_S3_CLOCK_NOISE_S 2    /* a Date header is to the second, read up to a second later */

ra_s3 *ra_s3_new(const ra_s3_config *config, ra_err *err) {
    if (config == NULL || config->bucket == NULL || *config->bucket == '\0') {
        ra_err_set(err, RA_E_USAGE, "s3: no bucket configured");
        return NULL;
    }
    ra_s3 *s3 = calloc(1, sizeof(*s3));
    if (s3 == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    s3->easy_fd = CURL_SOCKET_BAD;
    s3->region = strdup(config->region && *config->region ? config->region : RA_S3_REGION_DEFAULT);
    s3->bucket = strdup(config->bucket);
    s3->ca_file = config->ca_file ? strdup(config->ca_file) : NULL;
    s3->path_style = config->path_style;
    s3->insecure = config->insecure;
    s3->connect_timeout_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : RA_CONNECT_TIMEOUT_MS_DEFAULT;
    s3->request_timeout_ms = config->request_timeout_ms > 0 ? config->request_timeout_ms : RA_READ_TIMEOUT_MS_DEFAULT;
    s3->max_attempts = config->max_attempts > 0 ? config->max_attempts : RA_S3_MAX_ATTEMPTS_DEFAULT;
    s3->max_keys = config->max_keys > 0 ? config->max_keys : 0;
    s3->total_timeout_ms = config->total_timeout_ms > 0 ? config->total_timeout_ms : RA_S3_TOTAL_TIMEOUT_MS_DEFAULT;
    s3->cleanup_timeout_ms =
        config->cleanup_timeout_ms > 0 ? config->cleanup_timeout_ms : RA_S3_CLEANUP_TIMEOUT_MS_DEFAULT;
    s3->cancel = config->cancel;
    s3->log = config->log;
    s3->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid() ^ (unsigned int)(uintptr_t)s3;
    pthread_mutex_init(&s3->lock, NULL);
    if (!s3->region || !s3->bucket || (config->ca_file && !s3->ca_file)) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto fail;
    }
    s3->sse = config->sse;
    if ((config->sse_kms_key_id && *config->sse_kms_key_id &&
         (s3->sse_kms_key_id = strdup(config->sse_kms_key_id)) == NULL) ||
        (config->storage_class && *config->storage_class &&
         (s3->storage_class = strdup(config->storage_class)) == NULL)) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto fail;
    }
    if ((config->endpoint ? ra_s3_endpoint_parse(&s3->ep, config->endpoint, err)
                          : ra_s3_endpoint_aws(&s3->ep, s3->region, err)) < 0)
        goto fail;
    s3->custom_endpoint = config->endpoint != NULL;
    if (s3->path_style == RA_S3_PATH_STYLE_AUTO) s3->path_style = ra_s3_endpoint_path_style_auto(&s3->ep, s3->bucket);
    if (config->credentials) {
        if ((s3->creds = ra_s3_cred_chain_fixed(config->credentials, err)) == NULL) goto fail;
    } else {
        ra_s3_cred_opts co = {s3->region, s3->log};
        if ((s3->creds = ra_s3_cred_chain_new(&co, err)) == NULL) goto fail;
    }
    if ((s3->easy = curl_easy_init()) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot initialise libcurl");
        goto fail;
    }
    if (s3->insecure && ra_s3_endpoint_is_https(&s3->ep))
        ra_log_warn(s3->log, "s3.insecure", "TLS certificate verification is OFF for '%s' (insecure requested)",
                    s3->ep.host);
    return s3;
fail:
    ra_s3_free(s3);
    return NULL;
}

void ra_s3_free(ra_s3 *s3) {
    if (s3 == NULL) return;
    if (s3->easy) curl_easy_cleanup(s3->easy);
    ra_s3_cred_chain_free(s3->creds);
    ra_s3_endpoint_clear(&s3->ep);
    ra_s3_endpoint_clear(&s3->old_ep);
    free(s3->region);
    free(s3->old_region);
    free(s3->bucket);
    free(s3->ca_file);
    free(s3->sse_kms_key_id);
    free(s3->storage_class);
    pthread_mutex_destroy(&s3->lock);
    free(s3);
}

const ra_log *ra_s3_get_log(const ra_s3 *s3) {
    return s3->log;
}

const char *ra_s3_bucket(const ra_s3 *s3) {
    return s3->bucket;
}

int ra_s3_is_https(const ra_s3 *s3) {
    return ra_s3_endpoint_is_https(&s3->ep);
}

volatile sig_atomic_t *ra_s3_cancel_flag(const ra_s3 *s3) {
    return s3->cancel;
}

long ra_s3_clock_offset(const ra_s3 *s3) {
    return __atomic_load_n(&s3->clock_offset, __ATOMIC_RELAXED);
}

char *ra_s3_presign_get(ra_s3 *s3, const char *endpoint, const char *key, long expires, time_t now, ra_err *err) {
    ra_s3_endpoint pub;
    const ra_s3_endpoint *at = &s3->ep;
    char *host = NULL, *path = NULL, *epath = NULL, *query = NULL, *url = NULL, date[17];
    ra_s3_credentials cr = {0};
    memset(&pub, 0, sizeof(pub));
    if (expires <= 0 || expires > RA_PRESIGN_EXPIRY_MAX) {
        ra_err_set(err, RA_E_USAGE, "s3: presign expiry %ld s out of range (1..%ld)", expires,
                   (long)RA_PRESIGN_EXPIRY_MAX);
        return NULL;
    }
    if (endpoint) {
        /* a public address: signed for its own host, as the client will send it */
        if (ra_s3_endpoint_parse(&pub, endpoint, err) < 0) return NULL;
        at = &pub;
    }
    time_t t = now + ra_s3_clock_offset(s3);
    ra_sigv4_amz_date(t, date);
    char region[64];
    /* region and endpoint may be replaced by a redirect (ra_s3_learn_region) */
    pthread_mutex_lock(&s3->lock);
    snprintf(region, sizeof(region), "%s", s3->region);
    int ok = ra_s3_endpoint_address(at, s3->bucket, s3->path_style, key, &host, &path) == 0;
    const char *scheme = at->scheme;
    pthread_mutex_unlock(&s3->lock);
    if (!ok || (epath = ra_sigv4_uri_encode(path, 1)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    if (ra_s3_cred_chain_get(s3->creds, &cr, NULL, err) < 0) goto done;
    ra_sigv4_signer sg = {cr.access_key, cr.secret_key, cr.session_token, region, "s3", date};
    if ((query = ra_sigv4_presign_query(&sg, "GET", path, host, expires)) == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "s3: cannot sign the link (out of memory or a failed hash)");
        goto done;
    }
    if (asprintf(&url, "%s://%s%s?%s", scheme, host, epath, query) < 0) {
        url = NULL;
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto done;
    }
    if (cr.expiration && cr.expiration < now + expires)
        ra_log_warn(s3->log, "s3.presign", "the link for '%s' stops working in %ld s, when the temporary "
                                           "credentials expire, not in %ld s",
                    key, (long)(cr.expiration - now), expires);
done:
    ra_s3_credentials_clear(&cr);
    ra_s3_endpoint_clear(&pub);
    free(host);
    free(path);
    free(epath);
    free(query);
    return url;
}

/* ---------- what answers teach the client: backoff, clock, region ---------- */

static long backoff_from(ra_s3 *s3, int attempt, long base, long cap) {
    long d = base;
    for (int i = 1; i < attempt && d < cap; i++) d *= 2;
    if (d > cap) d = cap;
    /* jitter in [d/2, d]: parts failing together do not come back together */
    pthread_mutex_lock(&s3->lock);
    unsigned r = (unsigned)rand_r(&s3->seed);
    pthread_mutex_unlock(&s3->lock);
    return d / 2 + (long)(r % (unsigned)(d / 2 + 1));
}

long ra_s3_backoff_ms(ra_s3 *s3, int attempt) {
    return backoff_from(s3, attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

/* A throttled request waits longer, and at least what the server asked for in Retry-After (capped). */
long ra_s3_throttle_ms(ra_s3 *s3, int attempt, long retry_after_s) {
    long ms = backoff_from(s3, attempt, THROTTLE_BASE_MS, THROTTLE_CAP_MS);
    long asked = retry_after_s > RETRY_AFTER_CAP_MS / 1000 ? RETRY_AFTER_CAP_MS : retry_after_s * 1000;
    return asked > ms ? asked : ms;
}

/* Every answer's Date header tells the server's clock to the second, read when the header arrived: an
 * offset that differs from the known one by more than that noise replaces it (and is said once per
 * change), so ages are judged in the store's clock by every command, not only after a
 * RequestTimeTooSkewed (whose offset is kept from then on). */
void ra_s3_learn_clock(ra_s3 *s3, const ra_s3_resp *r) {
    /* the offset a server named when it refused a signature wins: signing must satisfy the servers
     * that check the time (behind one endpoint, gateways' clocks may differ) */
    if (r->date <= 0 || r->date_local <= 0 || __atomic_load_n(&s3->clock_pinned, __ATOMIC_RELAXED)) return;
    long off = (long)(r->date - r->date_local);
    long known = ra_s3_clock_offset(s3);
    if (labs(off - known) <= RA_S3_CLOCK_NOISE_S) return;
    if (labs(off) <= RA_S3_CLOCK_NOISE_S) off = 0; /* within the noise of a correct clock */
    if (!__atomic_compare_exchange_n(&s3->clock_offset, &known, off, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return;
    ra_log_info(s3->log, "s3.clock", "the store's clock differs from this host's by %ld s (Date header); times and "
                                     "ages use the store's", off);
}

/* The bucket lives in another region than the one signed for (AWS: 301 PermanentRedirect, 400
 * AuthorizationHeaderMalformed, with x-amz-bucket-region): sign for that one from now on, and on AWS's
 * endpoints go to that region's endpoint, as the AWS SDKs do. Once per client, said once. 0 when taken. */
int ra_s3_learn_region(ra_s3 *s3, const char *named) {
    int r = -1;
    char was[64];
    pthread_mutex_lock(&s3->lock);
    snprintf(was, sizeof(was), "%s", s3->region);
    if (!s3->region_learned && strcmp(named, s3->region) != 0) {
        ra_s3_endpoint ep = {0};
        char *region = strdup(named);
        int move = !s3->custom_endpoint || ra_s3_endpoint_is_aws(&s3->ep);
        if (region != NULL && (!move || ra_s3_endpoint_aws(&ep, region, NULL) == 0)) {
            s3->region_learned = 1;
            s3->old_region = s3->region;
            s3->region = region;
            if (move) {
                s3->old_ep = s3->ep;
                s3->ep = ep;
            }
            r = 0;
        } else {
            free(region);
        }
    }
    pthread_mutex_unlock(&s3->lock);
    if (r == 0)
        ra_log_warn(s3->log, "s3.region", "bucket '%s' is in region '%s', not '%s': signing for '%s' (set region %s "
                                          "to go there at once)", s3->bucket, named, was, named, named);
    return r;
}
