/* bech32.c - see bech32.h; written from BIP 173's definition (polymod over GF(32)). */
#include "transform/bech32.h"

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, uint8_t v) {
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= gen[i];
    return chk;
}

static uint32_t hrp_polymod(const char *hrp, size_t n) {
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)(hrp[i] & 31));
    return chk;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static char upper_of(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

int ra_bech32_encode(const char *hrp, const uint8_t *data, size_t len, int upper, char *out, size_t outsz) {
    size_t hn = strlen(hrp), groups = (len * 8 + 4) / 5, total = hn + 1 + groups + 6;
    if (hn == 0 || total + 1 > outsz) return -1;
    for (size_t i = 0; i < hn; i++)
        if (hrp[i] < 33 || hrp[i] > 126 || (hrp[i] >= 'A' && hrp[i] <= 'Z')) return -1;
    uint32_t chk = hrp_polymod(hrp, hn);
    memcpy(out, hrp, hn);
    size_t o = hn;
    out[o++] = '1';
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            uint8_t v = (uint8_t)((acc >> bits) & 31);
            chk = polymod_step(chk, v);
            out[o++] = charset[v];
        }
    }
    if (bits > 0) {
        uint8_t v = (uint8_t)((acc << (5 - bits)) & 31);
        chk = polymod_step(chk, v);
        out[o++] = charset[v];
    }
    for (int i = 0; i < 6; i++) chk = polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; i++) out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
    out[o] = '\0';
    if (upper)
        for (size_t i = 0; i < o; i++) out[i] = upper_of(out[i]);
    return (int)o;
}

int ra_bech32_decode(const char *s, char *hrp, size_t hrpsz, uint8_t *data, size_t max, size_t *len) {
    size_t n = strlen(s);
    int has_lower = 0, has_upper = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 33 || s[i] > 126) return -1;
        has_lower |= s[i] >= 'a' && s[i] <= 'z';
        has_upper |= s[i] >= 'A' && s[i] <= 'Z';
    }
    if (has_lower && has_upper) return -1;
    const char *sep = strrchr(s, '1');
    if (sep == NULL) return -1;
    size_t hn = (size_t)(sep - s), dn = n - hn - 1;
    if (hn == 0 || dn < 6 || hn + 1 > hrpsz) return -1;
    for (size_t i = 0; i < hn; i++) hrp[i] = lower(s[i]);
    hrp[hn] = '\0';
    uint32_t chk = hrp_polymod(hrp, hn), acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < dn; i++) {
        const char *p = strchr(charset, lower(sep[1 + i]));
        if (p == NULL || *p == '\0') return -1;
        uint8_t v = (uint8_t)(p - charset);
        chk = polymod_step(chk, v);
        if (i >= dn - 6) continue;
        acc = ((acc << 5) | v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o >= max) return -1;
            data[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (chk != 1 || bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return -1;
    *len = o;
    return 0;
}
