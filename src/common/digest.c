/* digest.c - hashes over OpenSSL EVP; failures are errors, never silent zeros. */
#include "common/digest.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int evp_digest(const EVP_MD *md, const void *data, size_t len, unsigned char *out, unsigned want) {
    unsigned int n = 0;
    if (md == NULL || EVP_Digest(data ? data : "", len, out, &n, md, NULL) != 1 || n != want) {
        memset(out, 0, want);
        return -1;
    }
    return 0;
}

int ra_sha256(const void *data, size_t len, unsigned char out[RA_SHA256_LEN]) {
    return evp_digest(EVP_sha256(), data, len, out, RA_SHA256_LEN);
}

int ra_md5(const void *data, size_t len, unsigned char out[RA_MD5_LEN]) {
    return evp_digest(EVP_md5(), data, len, out, RA_MD5_LEN);
}

void ra_hex(const unsigned char *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int ra_sha256_hex(const void *data, size_t len, char hex[RA_SHA256_HEX_LEN]) {
    unsigned char md[RA_SHA256_LEN];
    if (ra_sha256(data, len, md) < 0) {
        memset(hex, 0, RA_SHA256_HEX_LEN);
        return -1;
    }
    ra_hex(md, sizeof(md), hex);
    return 0;
}

int ra_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[RA_SHA256_LEN]) {
    unsigned int n = 0;
    if (klen > 0x7fffffff ||
        HMAC(EVP_sha256(), key, (int)klen, msg ? msg : (const void *)"", mlen, out, &n) == NULL ||
        n != RA_SHA256_LEN) {
        memset(out, 0, RA_SHA256_LEN);
        return -1;
    }
    return 0;
}

void ra_base64(const unsigned char *in, size_t n, char *out) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
}

int ra_md5_base64(const void *data, size_t len, char out[RA_MD5_BASE64_LEN]) {
    unsigned char md[RA_MD5_LEN];
    if (ra_md5(data, len, md) < 0) {
        memset(out, 0, RA_MD5_BASE64_LEN);
        return -1;
    }
    ra_base64(md, sizeof(md), out);
    return 0;
}
