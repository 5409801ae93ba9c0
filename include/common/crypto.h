/* crypto.h - the primitives age needs, over OpenSSL 3: X25519, HKDF-SHA-256, ChaCha20-Poly1305 and a
 * CSPRNG. None is written here by hand. Every function returns 0, or -1 when the library fails (or,
 * for the AEAD open, when the tag does not authenticate); outputs are then zeroed. */
#ifndef RA_COMMON_CRYPTO_H
#define RA_COMMON_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define RA_X25519_LEN 32
#define RA_AEAD_KEY_LEN 32
#define RA_AEAD_NONCE_LEN 12
#define RA_AEAD_TAG_LEN 16
#define RA_HKDF_LEN 32

/* n bytes from OpenSSL's CSPRNG (seeded by the kernel): for keys and nonces. */
int ra_crypto_random(void *out, size_t n);
/* pub = X25519(priv, basepoint) (RFC 7748). */
int ra_x25519_public(const uint8_t priv[RA_X25519_LEN], uint8_t pub[RA_X25519_LEN]);
/* shared = X25519(priv, peer); -1 also for an all-zero result (a low-order peer point). */
int ra_x25519_shared(const uint8_t priv[RA_X25519_LEN], const uint8_t peer[RA_X25519_LEN],
                     uint8_t shared[RA_X25519_LEN]);
/* HKDF-SHA-256 (RFC 5869) of ikm with salt (may be empty) and info, 32 bytes out. */
int ra_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen, const char *info,
                   uint8_t out[RA_HKDF_LEN]);
/* ChaCha20-Poly1305 (RFC 7539), no associated data: out gets len bytes of ciphertext and the 16-byte
 * tag (len + RA_AEAD_TAG_LEN bytes). */
int ra_aead_seal(const uint8_t key[RA_AEAD_KEY_LEN], const uint8_t nonce[RA_AEAD_NONCE_LEN], const uint8_t *in,
                 size_t len, uint8_t *out);
/* The reverse: in holds len >= 16 bytes (ciphertext and tag), out gets len - 16 bytes. -1 when the tag
 * does not authenticate (out zeroed). */
int ra_aead_open(const uint8_t key[RA_AEAD_KEY_LEN], const uint8_t nonce[RA_AEAD_NONCE_LEN], const uint8_t *in,
                 size_t len, uint8_t *out);

#endif
