/* agefmt.h - the age v1 file format without its cryptography (age-encryption.org/v1): the textual
 * header (version line, recipient stanzas, MAC line), unpadded canonical base64, and the STREAM
 * chunk nonces of the payload. Pure: bytes in, bytes out. age.c adds the keys and ciphers. */
#ifndef RA_TRANSFORM_AGEFMT_H
#define RA_TRANSFORM_AGEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RA_AGE_VERSION_LINE "age-encryption.org/v1"
#define RA_AGE_FILE_KEY_LEN 16
#define RA_AGE_NONCE_LEN 16           /* payload nonce after the header */
#define RA_AGE_CHUNK 65536            /* plaintext bytes of a full STREAM chunk */
#define RA_AGE_TAG 16
#define RA_AGE_MAC_LEN 32
#define RA_AGE_HEADER_MAX 65536       /* a longer header is refused (a file of ours has a few hundred bytes) */
#define RA_AGE_STANZAS_MAX 64         /* X25519 stanzas kept from a header; more are refused */

/* One X25519 recipient stanza: "-> X25519 <share>" and a 32-byte body (the wrapped file key). */
typedef struct ra_age_stanza {
    uint8_t share[32];
    uint8_t body[RA_AGE_FILE_KEY_LEN + RA_AGE_TAG];
} ra_age_stanza;

/* A parsed header: its X25519 stanzas (others, e.g. age's grease, are skipped), the MAC, and how many
 * leading bytes the MAC covers (through "---"). */
typedef struct ra_age_header {
    ra_age_stanza x25519[RA_AGE_STANZAS_MAX];
    size_t nx25519;
    size_t nother;            /* stanzas of other types */
    int scrypt;               /* a passphrase stanza is present */
    uint8_t mac[RA_AGE_MAC_LEN];
    size_t mac_input_len;
    size_t len;               /* whole header, through the MAC line's LF */
} ra_age_header;

/* Unpadded standard base64 of n bytes into out (room for (4n + 2) / 3 + 1). Returns the length. */
size_t ra_age_b64_encode(const uint8_t *in, size_t n, char *out);
/* Decode n characters; -1 for padding, a bad character, non-canonical trailing bits, or more than
 * max bytes. */
int ra_age_b64_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len);

/* The header through "---" for the stanzas (n >= 1), into out; returns its length (the MAC input), or
 * -1 when outsz is too small. The caller appends " " + base64(MAC) + "\n". */
int ra_age_header_format(const ra_age_stanza *st, size_t n, char *out, size_t outsz);
/* Parse a header from the start of buf. Returns 1 with *h filled when it is whole, 0 when more bytes
 * are needed (and fewer than RA_AGE_HEADER_MAX were given), -1 with RA_E_VERIFY for a malformed one. */
int ra_age_header_parse(const uint8_t *buf, size_t len, ra_age_header *h, ra_err *err);

/* The 12-byte ChaCha20-Poly1305 nonce of chunk `counter`: 11-byte big-endian counter, then 1 for the
 * last chunk, else 0. */
void ra_age_stream_nonce(uint64_t counter, int last, uint8_t nonce[12]);
/* Size of the payload (nonce and chunks) for plain bytes of plaintext. */
long long ra_age_payload_size(long long plain);

#endif
