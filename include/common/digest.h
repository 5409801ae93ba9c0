/* digest.h - SHA-256, HMAC-SHA256, MD5 and base64 over OpenSSL's EVP: the one non-TLS user of the
 * library. Every function returns 0, or -1 when the library fails (a FIPS provider refusing MD5,
 * out of memory); then the output is zeroed and must not be used. */
#ifndef RA_COMMON_DIGEST_H
#define RA_COMMON_DIGEST_H

#include <stddef.h>

#define RA_SHA256_LEN 32
#define RA_SHA256_HEX_LEN 65 /* 64 hex digits and the NUL */
#define RA_MD5_LEN 16
#define RA_MD5_BASE64_LEN 25 /* 24 characters and the NUL */

int ra_sha256(const void *data, size_t len, unsigned char out[RA_SHA256_LEN]);
/* Lower-case hex of the SHA-256 of data. */
int ra_sha256_hex(const void *data, size_t len, char hex[RA_SHA256_HEX_LEN]);
int ra_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[RA_SHA256_LEN]);
int ra_md5(const void *data, size_t len, unsigned char out[RA_MD5_LEN]);
/* base64 of the MD5 of data, as HTTP's Content-MD5 wants it. */
int ra_md5_base64(const void *data, size_t len, char out[RA_MD5_BASE64_LEN]);
/* Standard base64 with padding of n bytes into out, which has room for 4 * ((n + 2) / 3) + 1. */
void ra_base64(const unsigned char *in, size_t n, char *out);
/* Lower-case hex of n bytes into out, which has room for 2 * n + 1. */
void ra_hex(const unsigned char *in, size_t n, char *out);

#endif
