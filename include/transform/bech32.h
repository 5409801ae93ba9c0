/* bech32.h - Bech32 (BIP 173, without its 90-character limit, as age uses it) for age keys:
 * "age1..." recipients and "AGE-SECRET-KEY-1..." identities. Pure. */
#ifndef RA_TRANSFORM_BECH32_H
#define RA_TRANSFORM_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* hrp (lower case) and len bytes of data into out as "<hrp>1<data><checksum>", upper-cased when
 * upper is 1. Returns the string's length, or -1 when outsz is too small or hrp is not printable. */
int ra_bech32_encode(const char *hrp, const uint8_t *data, size_t len, int upper, char *out, size_t outsz);
/* The reverse: the hrp, lower-cased, into hrp (hrpsz bytes with the NUL) and the data bytes into data
 * (at most max, count in *len). -1 for mixed case, a bad character or checksum, padding bits that are
 * not zero, or a part that does not fit. */
int ra_bech32_decode(const char *s, char *hrp, size_t hrpsz, uint8_t *data, size_t max, size_t *len);

#endif
