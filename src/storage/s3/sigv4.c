/* sigv4.c - AWS Signature Version 4 for S3: canonical request, string to sign, signature, presign. */
#include "storage/s3/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"

void ra_sigv4_amz_date(time_t t, char out[17]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *ra_sigv4_uri_encode(const char *s, int keep_slash) {
    static const char up[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *p = out;
    if (out == NULL) return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c) || (keep_slash && *c == '/')) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = up[*c >> 4];
            *p++ = up[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

typedef struct enc_pair {
    char *name;
    char *value;
} enc_pair;

static int pair_cmp(const void *a, const void *b) {
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

char *ra_sigv4_canonical_query(const ra_kv *query, size_t n) {
    enc_pair *pairs = calloc(n ? n : 1, sizeof(*pairs));
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = NULL;
    if (pairs == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        pairs[i].name = ra_sigv4_uri_encode(query[i].key, 0);
        pairs[i].value = ra_sigv4_uri_encode(query[i].value ? query[i].value : "", 0);
        if (pairs[i].name == NULL || pairs[i].value == NULL) goto done;
    }
    qsort(pairs, n, sizeof(*pairs), pair_cmp);
    if ((f = open_memstream(&out, &outlen)) == NULL) goto done;
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
    if (fclose(f) != 0) {
        free(out);
        out = NULL;
    }
done:
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    return out;
}

typedef struct canon_header {
    char *name;  /* lower case */
    char *value; /* trimmed, inner runs of spaces folded to one */
} canon_header;

static int header_cmp(const void *a, const void *b) {
    return strcmp(((const canon_header *)a)->name, ((const canon_header *)b)->name);
}

static char *canon_value(const char *v) {
    char *out = malloc(strlen(v) + 1), *p = out;
    if (out == NULL) return NULL;
    while (*v == ' ' || *v == '\t') v++;
    while (*v) {
        if (*v == ' ' || *v == '\t') {
            while (*v == ' ' || *v == '\t') v++;
            if (*v) *p++ = ' ';
        } else {
            *p++ = *v++;
        }
    }
    *p = '\0';
    return out;
}

char *ra_sigv4_canonical_request(const ra_sigv4_request *req, char **signed_headers) {
    canon_header *hs = calloc(req->nheaders ? req->nheaders : 1, sizeof(*hs));
    char *path = NULL, *query = NULL, *out = NULL, *sh = NULL;
    size_t outlen = 0, shlen = 0;
    FILE *f = NULL, *g = NULL;
    int ok = 0;
    if (signed_headers) *signed_headers = NULL;
    if (hs == NULL) return NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        hs[i].name = strdup(req->headers[i].key);
        hs[i].value = canon_value(req->headers[i].value ? req->headers[i].value : "");
        if (hs[i].name == NULL || hs[i].value == NULL) goto done;
        for (char *c = hs[i].name; *c; c++) *c = (char)tolower((unsigned char)*c);
    }
    qsort(hs, req->nheaders, sizeof(*hs), header_cmp);
    path = ra_sigv4_uri_encode(req->path && *req->path ? req->path : "/", 1);
    query = ra_sigv4_canonical_query(req->query, req->nquery);
    if (path == NULL || query == NULL) goto done;
    if ((f = open_memstream(&out, &outlen)) == NULL) goto done;
    if ((g = open_memstream(&sh, &shlen)) == NULL) goto done;
    fprintf(f, "%s\n%s\n%s\n", req->method, path, query);
    for (size_t i = 0; i < req->nheaders; i++) {
        fprintf(f, "%s:%s\n", hs[i].name, hs[i].value);
        fprintf(g, "%s%s", i ? ";" : "", hs[i].name);
    }
    fclose(g);
    g = NULL;
    if (sh == NULL) goto done;
    fprintf(f, "\n%s\n%s", sh, req->payload_hash);
    ok = fclose(f) == 0;
    f = NULL;
done:
    if (g) fclose(g);
    if (f) fclose(f);
    for (size_t i = 0; i < req->nheaders; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    free(path);
    free(query);
    if (!ok) {
        free(out);
        free(sh);
        return NULL;
    }
    if (signed_headers)
        *signed_headers = sh;
    else
        free(sh);
    return out;
}

char *ra_sigv4_scope(const ra_sigv4_signer *sg) {
    char *out = NULL;
    if (asprintf(&out, "%.8s/%s/%s/aws4_request", sg->amz_date, sg->region, sg->service) < 0) return NULL;
    return out;
}

char *ra_sigv4_string_to_sign(const ra_sigv4_signer *sg, const char *canonical_request) {
    char hash[65], *scope = ra_sigv4_scope(sg), *out = NULL;
    if (scope == NULL) return NULL;
    if (ra_sha256_hex(canonical_request, strlen(canonical_request), hash) < 0) {
        free(scope);
        return NULL;
    }
    if (asprintf(&out, "AWS4-HMAC-SHA256\n%s\n%s\n%s", sg->amz_date, scope, hash) < 0) out = NULL;
    free(scope);
    return out;
}

static int hmac256(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32]) {
    return ra_hmac_sha256(key, klen, msg, strlen(msg), out);
}

int ra_sigv4_signing_key(const ra_sigv4_signer *sg, unsigned char key[32]) {
    size_t slen = strlen(sg->secret_key);
    unsigned char *k0 = malloc(slen + 5);
    char date[9];
    unsigned char k1[32], k2[32], k3[32];
    int r = -1;
    memset(key, 0, 32);
    if (k0 == NULL) return -1;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, sg->secret_key, slen + 1);
    memcpy(date, sg->amz_date, 8);
    date[8] = '\0';
    if (hmac256(k0, slen + 4, date, k1) == 0 && hmac256(k1, 32, sg->region, k2) == 0 &&
        hmac256(k2, 32, sg->service, k3) == 0 && hmac256(k3, 32, "aws4_request", key) == 0)
        r = 0;
    /* the derived keys are as good as the secret for a day: wipe them */
    explicit_bzero(k0, slen + 4);
    explicit_bzero(k1, sizeof(k1));
    explicit_bzero(k2, sizeof(k2));
    explicit_bzero(k3, sizeof(k3));
    free(k0);
    return r;
}

int ra_sigv4_signature(const ra_sigv4_signer *sg, const char *string_to_sign, char hex[65]) {
    unsigned char key[32], sig[32];
    int r = ra_sigv4_signing_key(sg, key);
    if (r == 0) r = hmac256(key, 32, string_to_sign, sig);
    explicit_bzero(key, sizeof(key));
    if (r < 0) {
        memset(hex, 0, 65);
        return -1;
    }
    ra_hex(sig, 32, hex);
    return 0;
}

char *ra_sigv4_authorization(const ra_sigv4_signer *sg, const ra_sigv4_request *req) {
    char *sh = NULL, *creq = ra_sigv4_canonical_request(req, &sh), *sts = NULL, *scope = NULL;
    char *out = NULL, sig[65];
    if (creq == NULL) return NULL;
    sts = ra_sigv4_string_to_sign(sg, creq);
    scope = ra_sigv4_scope(sg);
    if (sts != NULL && scope != NULL && ra_sigv4_signature(sg, sts, sig) == 0) {
        if (asprintf(&out, "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
                     sg->access_key, scope, sh, sig) < 0)
            out = NULL;
    }
    free(creq);
    free(sh);
    free(sts);
    free(scope);
    return out;
}

char *ra_sigv4_presign_query(const ra_sigv4_signer *sg, const char *method, const char *path,
                             const char *host, long expires) {
    char *scope = ra_sigv4_scope(sg), *cred = NULL, *query = NULL, *creq = NULL, *sts = NULL;
    char *out = NULL, exp[32], sig[65];
    if (scope == NULL) return NULL;
    if (asprintf(&cred, "%s/%s", sg->access_key, scope) < 0) cred = NULL;
    snprintf(exp, sizeof(exp), "%ld", expires);
    ra_kv q[6] = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", cred},
        {"X-Amz-Date", sg->amz_date},
        {"X-Amz-Expires", exp},
        {"X-Amz-SignedHeaders", "host"},
        {"X-Amz-Security-Token", sg->session_token},
    };
    size_t nq = sg->session_token && *sg->session_token ? 6 : 5;
    ra_kv h[1] = {{"host", host}};
    ra_sigv4_request req = {method, path, q, nq, h, 1, RA_SIGV4_UNSIGNED};
    if (cred == NULL) goto done;
    if ((query = ra_sigv4_canonical_query(q, nq)) == NULL) goto done;
    if ((creq = ra_sigv4_canonical_request(&req, NULL)) == NULL) goto done;
    if ((sts = ra_sigv4_string_to_sign(sg, creq)) == NULL) goto done;
    if (ra_sigv4_signature(sg, sts, sig) < 0) goto done;
    if (asprintf(&out, "%s&X-Amz-Signature=%s", query, sig) < 0) out = NULL;
done:
    free(scope);
    free(cred);
    free(query);
    free(creq);
    free(sts);
    return out;
}
