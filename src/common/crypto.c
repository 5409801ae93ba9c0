/* crypto.c - see crypto.h: thin calls into OpenSSL 3's EVP, KDF and RAND interfaces. */
#include "common/crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

int ra_crypto_random(void *out, size_t n) {
    if (n > INT_MAX || RAND_bytes(out, (int)n) != 1) {
        memset(out, 0, n);
        return -1;
    }
    return 0;
}

int ra_x25519_public(const uint8_t priv[RA_X25519_LEN], uint8_t pub[RA_X25519_LEN]) {
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, RA_X25519_LEN);
    size_t n = RA_X25519_LEN;
    int rc = k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == RA_X25519_LEN ? 0 : -1;
    EVP_PKEY_free(k);
    if (rc != 0) memset(pub, 0, RA_X25519_LEN);
    return rc;
}

int ra_x25519_shared(const uint8_t priv[RA_X25519_LEN], const uint8_t peer[RA_X25519_LEN],
                     uint8_t shared[RA_X25519_LEN]) {
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, RA_X25519_LEN);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, RA_X25519_LEN);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    size_t n = RA_X25519_LEN;
    int rc = -1;
    if (ctx && p && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
        EVP_PKEY_derive(ctx, shared, &n) == 1 && n == RA_X25519_LEN) {
        uint8_t acc = 0;
        for (size_t i = 0; i < RA_X25519_LEN; i++) acc |= shared[i];
        rc = acc != 0 ? 0 : -1;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    if (rc != 0) memset(shared, 0, RA_X25519_LEN);
    return rc;
}

int ra_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen, const char *info,
                   uint8_t out[RA_HKDF_LEN]) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
    /* no salt is HKDF's zero salt of hash length, which RFC 5869 makes the same as an empty one */
    if (saltlen > 0) *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    *p = OSSL_PARAM_construct_end();
    int rc = ctx != NULL && EVP_KDF_derive(ctx, out, RA_HKDF_LEN, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (rc != 0) memset(out, 0, RA_HKDF_LEN);
    return rc;
}

/* One AEAD call: enc 1 seals, 0 opens (in includes the tag). */
static int aead(int enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *in, size_t len, uint8_t *out) {
    size_t body = enc ? len : len - RA_AEAD_TAG_LEN;
    if ((!enc && len < RA_AEAD_TAG_LEN) || body > INT_MAX) return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0, rc = -1;
    if (ctx && EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, RA_AEAD_NONCE_LEN, NULL) == 1 &&
        EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
        (body == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)body) == 1) &&
        (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, RA_AEAD_TAG_LEN, (void *)(in + body)) == 1) &&
        EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == body &&
        (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, RA_AEAD_TAG_LEN, out + body) == 1))
        rc = 0;
    EVP_CIPHER_CTX_free(ctx);
    if (rc != 0) memset(out, 0, enc ? len + RA_AEAD_TAG_LEN : body);
    return rc;
}

int ra_aead_seal(const uint8_t key[RA_AEAD_KEY_LEN], const uint8_t nonce[RA_AEAD_NONCE_LEN], const uint8_t *in,
                 size_t len, uint8_t *out) {
    return aead(1, key, nonce, in, len, out);
}

int ra_aead_open(const uint8_t key[RA_AEAD_KEY_LEN], const uint8_t nonce[RA_AEAD_NONCE_LEN], const uint8_t *in,
                 size_t len, uint8_t *out) {
    return aead(0, key, nonce, in, len, out);
}
