/* age.c - see age.h: keys, file-key wrapping and the streaming encryptor and decryptor. */
#include "transform/age.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/digest.h"
#include "transform/agefmt.h"
#include "transform/bech32.h"

#define AGE_KEYFILE_MAX (64 * 1024)
#define X25519_INFO "age-encryption.org/v1/X25519"

static const uint8_t zero_nonce[RA_AEAD_NONCE_LEN];

static int oom(ra_err *err) { return ra_err_set(err, RA_E_INTERNAL, "out of memory"); }
static int crypto_failed(ra_err *err, const char *what) {
    return ra_err_set(err, RA_E_INTERNAL, "%s failed in the crypto library (OpenSSL)", what);
}

/* ---------- keys ---------- */

int ra_age_recipient_parse(const char *text, ra_age_recipient *r, ra_err *err) {
    char hrp[8];
    size_t n = 0;
    memset(r, 0, sizeof(*r));
    if (strncasecmp(text, "AGE-SECRET-KEY-", 15) == 0)  /* never echo a secret into a message */
        return ra_err_set(err, RA_E_USAGE, "an age secret key was given as a recipient: give its public key "
                          "(age-keygen -y KEYFILE prints it) and keep the secret key off this host");
    if (strlen(text) > 100 || ra_bech32_decode(text, hrp, sizeof(hrp), r->pub, sizeof(r->pub), &n) != 0 ||
        strcmp(hrp, "age") != 0 || n != 32 || strncmp(text, "age1", 4) != 0)
        return ra_err_set(err, RA_E_USAGE, "'%.100s' is not an age X25519 recipient (age1... as age-keygen prints it)",
                          text);
    uint8_t md[RA_SHA256_LEN];
    if (ra_sha256(text, strlen(text), md) != 0) return crypto_failed(err, "sha-256");
    ra_hex(md, 8, r->fingerprint);
    return 0;
}

int ra_age_recipients_parse(const char *text, const char *where, ra_age_recipient **list, size_t *n, ra_err *err) {
    const char *p = text;
    while (*p) {
        if (*p == '#') {
            while (*p && *p != '\n') p++;
            continue;
        }
        if (*p == ',' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        size_t len = strcspn(p, ", \t\r\n#");
        char word[128];
        snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) - 1 ? len : sizeof(word) - 1), p);
        ra_age_recipient r;
        if (ra_age_recipient_parse(word, &r, err) != 0) return ra_err_prefix(err, "%s: ", where);
        ra_age_recipient *grown = realloc(*list, (*n + 1) * sizeof(*grown));
        if (grown == NULL) return oom(err);
        *list = grown;
        grown[(*n)++] = r;
        p += len;
    }
    return 0;
}

/* A small file whole into a NUL-terminated buffer (caller wipes and frees). */
static char *slurp(const char *path, const char *what, size_t *len, ra_err *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ra_err_set(err, RA_E_USAGE, "%s '%s' cannot be read: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(AGE_KEYFILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, AGE_KEYFILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL) {
        oom(err);
        return NULL;
    }
    if (bad || n > AGE_KEYFILE_MAX) {
        explicit_bzero(buf, n);
        free(buf);
        ra_err_set(err, RA_E_USAGE, "%s '%s' %s", what, path, bad ? "cannot be read" : "is larger than 64 KiB");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int ra_age_recipients_load_file(const char *path, ra_age_recipient **list, size_t *n, ra_err *err) {
    size_t len = 0;
    char *text = slurp(path, "encrypt-recipients-file", &len, err);
    if (text == NULL) return -1;
    char where[300];
    snprintf(where, sizeof(where), "encrypt-recipients-file '%.250s'", path);
    size_t before = *n;
    int rc = ra_age_recipients_parse(text, where, list, n, err);
    free(text);
    if (rc == 0 && *n == before) rc = ra_err_set(err, RA_E_USAGE, "%s holds no recipient", where);
    return rc;
}

int ra_age_identities_parse(const char *text, size_t len, const char *where, ra_age_identity **ids, size_t *n,
                            ra_err *err) {
    *ids = NULL;
    *n = 0;
    size_t pos = 0;
    int lineno = 0, rc = 0;
    while (pos < len && rc == 0) {
        lineno++;
        const char *line = text + pos;
        const char *lf = memchr(line, '\n', len - pos);
        size_t ln = lf ? (size_t)(lf - line) : len - pos;
        pos += ln + (lf ? 1 : 0);
        while (ln > 0 && (line[ln - 1] == '\r' || line[ln - 1] == ' ' || line[ln - 1] == '\t')) ln--;
        if (ln == 0 || line[0] == '#') continue;
        char key[128], hrp[20];
        uint8_t secret[40];
        size_t got = 0;
        int ok = ln < sizeof(key);
        if (ok) {
            memcpy(key, line, ln);
            key[ln] = '\0';
            ok = ra_bech32_decode(key, hrp, sizeof(hrp), secret, sizeof(secret), &got) == 0 &&
                 strcmp(hrp, "age-secret-key-") == 0 && got == 32;
        }
        explicit_bzero(key, sizeof(key));
        if (!ok) {
            rc = ra_err_set(err, RA_E_USAGE, "%s line %d is not an age identity (AGE-SECRET-KEY-1... as age-keygen "
                            "writes it)", where, lineno);
        } else {
            ra_age_identity *grown = calloc(*n + 1, sizeof(*grown));
            if (grown == NULL) {
                rc = oom(err);
            } else {
                if (*n) memcpy(grown, *ids, *n * sizeof(*grown));
                ra_age_identities_free(*ids, *n);
                *ids = grown;
                memcpy(grown[*n].secret, secret, 32);
                if (ra_x25519_public(secret, grown[*n].pub) != 0) rc = crypto_failed(err, "x25519");
                (*n)++;
            }
        }
        explicit_bzero(secret, sizeof(secret));
    }
    if (rc == 0 && *n == 0) rc = ra_err_set(err, RA_E_USAGE, "%s holds no age identity", where);
    if (rc != 0) {
        ra_age_identities_free(*ids, *n);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

int ra_age_identities_load_file(const char *path, ra_age_identity **ids, size_t *n, ra_err *err) {
    size_t len = 0;
    char *text = slurp(path, "identity-file", &len, err);
    if (text == NULL) return -1;
    char where[300];
    snprintf(where, sizeof(where), "identity-file '%.250s'", path);
    int rc = ra_age_identities_parse(text, len, where, ids, n, err);
    explicit_bzero(text, len);
    free(text);
    return rc;
}

void ra_age_identities_free(ra_age_identity *ids, size_t n) {
    if (ids == NULL) return;
    explicit_bzero(ids, n * sizeof(*ids));
    free(ids);
}

/* ---------- header keys ---------- */

static int wrap_key(const uint8_t shared[32], const uint8_t share[32], const uint8_t pub[32], uint8_t key[32]) {
    uint8_t salt[64];
    memcpy(salt, share, 32);
    memcpy(salt + 32, pub, 32);
    return ra_hkdf_sha256(salt, sizeof(salt), shared, 32, X25519_INFO, key);
}

static int header_mac(const uint8_t file_key[RA_AGE_FILE_KEY_LEN], const void *hdr, size_t len,
                      uint8_t mac[RA_AGE_MAC_LEN]) {
    uint8_t k[RA_HKDF_LEN];
    int rc = ra_hkdf_sha256(NULL, 0, file_key, RA_AGE_FILE_KEY_LEN, "header", k);
    if (rc == 0) rc = ra_hmac_sha256(k, sizeof(k), hdr, len, mac);
    explicit_bzero(k, sizeof(k));
    return rc;
}

static int payload_key(const uint8_t file_key[RA_AGE_FILE_KEY_LEN], const uint8_t nonce[RA_AGE_NONCE_LEN],
                       uint8_t key[RA_HKDF_LEN]) {
    return ra_hkdf_sha256(nonce, RA_AGE_NONCE_LEN, file_key, RA_AGE_FILE_KEY_LEN, "payload", key);
}

/* ---------- encryptor ---------- */

struct ra_age_enc {
    ra_sink next;
    ra_age_recipient *rcpt;
    size_t nrcpt;
    int started;
    uint64_t counter;
    uint8_t file_key[RA_AGE_FILE_KEY_LEN];
    uint8_t key[RA_HKDF_LEN];
    size_t fill;
    uint8_t plain[RA_AGE_CHUNK];
    uint8_t sealed[RA_AGE_CHUNK + RA_AGE_TAG];
};

ra_age_enc *ra_age_enc_new(const ra_age_recipient *r, size_t n, const ra_sink *next, ra_err *err) {
    if (n == 0 || n > RA_AGE_STANZAS_MAX) {
        ra_err_set(err, RA_E_USAGE, "encryption needs 1 to %d recipients, not %zu", RA_AGE_STANZAS_MAX, n);
        return NULL;
    }
    ra_age_enc *e = calloc(1, sizeof(*e));
    if (e) e->rcpt = malloc(n * sizeof(*r));
    if (e == NULL || e->rcpt == NULL) {
        ra_age_enc_free(e);
        oom(err);
        return NULL;
    }
    memcpy(e->rcpt, r, n * sizeof(*r));
    e->nrcpt = n;
    e->next = *next;
    return e;
}

/* The header and payload nonce: a fresh file key wrapped for each recipient. */
static int enc_start(ra_age_enc *e, ra_err *err) {
    ra_age_stanza st[RA_AGE_STANZAS_MAX];
    uint8_t eph[32], shared[32], wk[32], nonce[RA_AGE_NONCE_LEN], mac[RA_AGE_MAC_LEN];
    char hdr[256 + RA_AGE_STANZAS_MAX * 128];
    int rc = ra_crypto_random(e->file_key, sizeof(e->file_key)) == 0 && ra_crypto_random(nonce, sizeof(nonce)) == 0
                 ? 0 : crypto_failed(err, "random");
    for (size_t i = 0; rc == 0 && i < e->nrcpt; i++) {
        if (ra_crypto_random(eph, sizeof(eph)) != 0 || ra_x25519_public(eph, st[i].share) != 0 ||
            ra_x25519_shared(eph, e->rcpt[i].pub, shared) != 0 || wrap_key(shared, st[i].share, e->rcpt[i].pub, wk) != 0 ||
            ra_aead_seal(wk, zero_nonce, e->file_key, sizeof(e->file_key), st[i].body) != 0)
            rc = ra_err_set(err, RA_E_USAGE, "cannot encrypt to recipient %s (not a valid X25519 key?)",
                            e->rcpt[i].fingerprint);
    }
    explicit_bzero(eph, sizeof(eph));
    explicit_bzero(shared, sizeof(shared));
    explicit_bzero(wk, sizeof(wk));
    int len = rc == 0 ? ra_age_header_format(st, e->nrcpt, hdr, sizeof(hdr) - 64) : -1;
    if (rc == 0 && len < 0) rc = ra_err_set(err, RA_E_INTERNAL, "age header does not fit");
    if (rc == 0 && (header_mac(e->file_key, hdr, (size_t)len, mac) != 0 || payload_key(e->file_key, nonce, e->key) != 0))
        rc = crypto_failed(err, "hkdf");
    if (rc == 0) {
        hdr[len++] = ' ';
        len += (int)ra_age_b64_encode(mac, sizeof(mac), hdr + len);
        hdr[len++] = '\n';
        rc = e->next.write(e->next.ctx, (const uint8_t *)hdr, (size_t)len, err);
    }
    if (rc == 0) rc = e->next.write(e->next.ctx, nonce, sizeof(nonce), err);
    explicit_bzero(e->file_key, sizeof(e->file_key));
    e->started = 1;
    return rc;
}

static int enc_chunk(ra_age_enc *e, int last, ra_err *err) {
    uint8_t nonce[RA_AEAD_NONCE_LEN];
    ra_age_stream_nonce(e->counter, last, nonce);
    if (ra_aead_seal(e->key, nonce, e->plain, e->fill, e->sealed) != 0) return crypto_failed(err, "chacha20-poly1305");
    e->counter++;
    size_t n = e->fill + RA_AGE_TAG;
    e->fill = 0;
    return e->next.write(e->next.ctx, e->sealed, n, err);
}

static int enc_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_age_enc *e = ctx;
    if (!e->started && enc_start(e, err) != 0) return -1;
    while (len > 0) {
        /* a full chunk is sealed only once more bytes come: the last one carries the final flag */
        if (e->fill == RA_AGE_CHUNK && enc_chunk(e, 0, err) != 0) return -1;
        size_t take = RA_AGE_CHUNK - e->fill < len ? RA_AGE_CHUNK - e->fill : len;
        memcpy(e->plain + e->fill, data, take);
        e->fill += take;
        data += take;
        len -= take;
    }
    return 0;
}

ra_sink ra_age_enc_sink(ra_age_enc *e) { return (ra_sink){.ctx = e, .write = enc_write}; }

int ra_age_enc_finish(ra_age_enc *e, ra_err *err) {
    if (!e->started && enc_start(e, err) != 0) return -1;
    return enc_chunk(e, 1, err);
}

void ra_age_enc_free(ra_age_enc *e) {
    if (e == NULL) return;
    free(e->rcpt);
    explicit_bzero(e, sizeof(*e));
    free(e);
}

/* ---------- decryptor ---------- */

struct ra_age_dec {
    ra_sink next;
    ra_age_identity *ids;
    size_t nids;
    int state;                 /* 0 header, 1 nonce, 2 payload */
    uint8_t *hdr;              /* the header while it arrives */
    size_t hlen, hcap;
    uint8_t file_key[RA_AGE_FILE_KEY_LEN];
    uint8_t nonce[RA_AGE_NONCE_LEN];
    size_t nlen;
    uint8_t key[RA_HKDF_LEN];
    uint64_t counter;
    size_t fill;
    uint8_t sealed[RA_AGE_CHUNK + RA_AGE_TAG];
    uint8_t plain[RA_AGE_CHUNK];
};

ra_age_dec *ra_age_dec_new(const ra_age_identity *ids, size_t n, const ra_sink *next, ra_err *err) {
    ra_age_dec *d = n ? calloc(1, sizeof(*d)) : NULL;
    if (d) d->ids = malloc(n * sizeof(*ids));
    if (d == NULL || d->ids == NULL) {
        if (n == 0) ra_err_set(err, RA_E_USAGE, "decryption needs an age identity");
        else oom(err);
        ra_age_dec_free(d);
        return NULL;
    }
    memcpy(d->ids, ids, n * sizeof(*ids));
    d->nids = n;
    d->next = *next;
    return d;
}

static int ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= (uint8_t)(a[i] ^ b[i]);
    return acc == 0;
}

/* A whole header: find the file key with one of our identities, check the MAC. */
static int dec_open_header(ra_age_dec *d, const ra_age_header *h, ra_err *err) {
    if (h->scrypt)
        return ra_err_set(err, RA_E_VERIFY, "the age file is encrypted with a passphrase; only X25519 identities "
                          "are supported");
    int found = 0;
    for (size_t s = 0; s < h->nx25519 && !found; s++) {
        for (size_t i = 0; i < d->nids && !found; i++) {
            uint8_t shared[32], wk[32];
            if (ra_x25519_shared(d->ids[i].secret, h->x25519[s].share, shared) == 0 &&
                wrap_key(shared, h->x25519[s].share, d->ids[i].pub, wk) == 0 &&
                ra_aead_open(wk, zero_nonce, h->x25519[s].body, sizeof(h->x25519[s].body), d->file_key) == 0)
                found = 1;
            explicit_bzero(shared, sizeof(shared));
            explicit_bzero(wk, sizeof(wk));
        }
    }
    if (!found)
        return ra_err_set(err, RA_E_VERIFY, "no identity in identity-file opens this age file (it is encrypted to %zu "
                          "other recipient%s)", h->nx25519 + h->nother, h->nx25519 + h->nother == 1 ? "" : "s");
    uint8_t mac[RA_AGE_MAC_LEN];
    if (header_mac(d->file_key, d->hdr, h->mac_input_len, mac) != 0) return crypto_failed(err, "hmac");
    if (!ct_equal(mac, h->mac, sizeof(mac)))
        return ra_err_set(err, RA_E_VERIFY, "the age header does not authenticate (altered)");
    return 0;
}

static int dec_chunk(ra_age_dec *d, int last, ra_err *err) {
    uint8_t nonce[RA_AEAD_NONCE_LEN];
    ra_age_stream_nonce(d->counter, last, nonce);
    if (d->fill < RA_AGE_TAG || ra_aead_open(d->key, nonce, d->sealed, d->fill, d->plain) != 0)
        return ra_err_set(err, RA_E_VERIFY, "age chunk %llu (at payload byte %llu) does not authenticate: the file "
                          "is damaged or altered", (unsigned long long)d->counter,
                          (unsigned long long)d->counter * (RA_AGE_CHUNK + RA_AGE_TAG));
    size_t n = d->fill - RA_AGE_TAG;
    if (last && n == 0 && d->counter > 0)
        return ra_err_set(err, RA_E_VERIFY, "the age file ends with an empty chunk (not a valid age file)");
    d->counter++;
    d->fill = 0;
    return n ? d->next.write(d->next.ctx, d->plain, n, err) : 0;
}

static int dec_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    ra_age_dec *d = ctx;
    while (len > 0) {
        if (d->state == 0) {
            /* the header, one line at a time so that the payload stays out of its buffer */
            const uint8_t *lf = memchr(data, '\n', len);
            size_t take = lf ? (size_t)(lf - data) + 1 : len;
            if (d->hlen + take > RA_AGE_HEADER_MAX) take = RA_AGE_HEADER_MAX - d->hlen;
            if (d->hlen + take > d->hcap) {
                size_t cap = d->hcap ? d->hcap * 2 : 1024;
                while (cap < d->hlen + take) cap *= 2;
                uint8_t *p = realloc(d->hdr, cap);
                if (p == NULL) return oom(err);
                d->hdr = p;
                d->hcap = cap;
            }
            memcpy(d->hdr + d->hlen, data, take);
            d->hlen += take;
            data += take;
            len -= take;
            ra_age_header *h = malloc(sizeof(*h));
            if (h == NULL) return oom(err);
            int rc = ra_age_header_parse(d->hdr, d->hlen, h, err);
            if (rc > 0) rc = dec_open_header(d, h, err) == 0 ? 1 : -1;
            free(h);
            if (rc < 0) return -1;
            if (rc > 0) d->state = 1;
        } else if (d->state == 1) {
            size_t take = RA_AGE_NONCE_LEN - d->nlen < len ? RA_AGE_NONCE_LEN - d->nlen : len;
            memcpy(d->nonce + d->nlen, data, take);
            d->nlen += take;
            data += take;
            len -= take;
            if (d->nlen == RA_AGE_NONCE_LEN) {
                if (payload_key(d->file_key, d->nonce, d->key) != 0) return crypto_failed(err, "hkdf");
                explicit_bzero(d->file_key, sizeof(d->file_key));
                d->state = 2;
            }
        } else {
            /* a full chunk is opened as not-last only once a byte after it arrives */
            if (d->fill == sizeof(d->sealed) && dec_chunk(d, 0, err) != 0) return -1;
            size_t room = sizeof(d->sealed) - d->fill, take = room < len ? room : len;
            memcpy(d->sealed + d->fill, data, take);
            d->fill += take;
            data += take;
            len -= take;
        }
    }
    return 0;
}

ra_sink ra_age_dec_sink(ra_age_dec *d) { return (ra_sink){.ctx = d, .write = dec_write}; }

int ra_age_dec_finish(ra_age_dec *d, ra_err *err) {
    if (d->state < 2 || (d->fill == 0))
        return ra_err_set(err, RA_E_VERIFY, "the age file is cut short (%s)",
                          d->state == 0 ? "in its header" : d->state == 1 ? "before its payload" : "no final chunk");
    return dec_chunk(d, 1, err);
}

void ra_age_dec_free(ra_age_dec *d) {
    if (d == NULL) return;
    ra_age_identities_free(d->ids, d->nids);
    if (d->hdr) explicit_bzero(d->hdr, d->hcap);
    free(d->hdr);
    explicit_bzero(d, sizeof(*d));
    free(d);
}
