/* agefmt.c - see agefmt.h. Written from the age v1 specification. */
#include "transform/agefmt.h"

#include <stdio.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ra_age_b64_encode(const uint8_t *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c) {
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

int ra_age_b64_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len) {
    if (n % 4 == 1) return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) return -1;
        acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= max) return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* canonical: the bits left over are zero */
    if ((acc & ((1u << bits) - 1)) != 0) return -1;
    *len = o;
    return 0;
}

int ra_age_header_format(const ra_age_stanza *st, size_t n, char *out, size_t outsz) {
    size_t o = 0;
    int w = snprintf(out, outsz, "%s\n", RA_AGE_VERSION_LINE);
    if (w < 0 || (size_t)w >= outsz) return -1;
    o = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        char share[48], body[48];
        ra_age_b64_encode(st[i].share, sizeof(st[i].share), share);
        /* a 32-byte body is 43 characters: one short line ends the stanza */
        ra_age_b64_encode(st[i].body, sizeof(st[i].body), body);
        w = snprintf(out + o, outsz - o, "-> X25519 %s\n%s\n", share, body);
        if (w < 0 || (size_t)w >= outsz - o) return -1;
        o += (size_t)w;
    }
    if (o + 4 > outsz) return -1;
    memcpy(out + o, "---", 4);
    return (int)(o + 3);
}

/* The next line of buf from *pos: its start and length without the LF; 0 when no LF yet. */
static int next_line(const uint8_t *buf, size_t len, size_t *pos, const char **line, size_t *n) {
    const uint8_t *lf = memchr(buf + *pos, '\n', len - *pos);
    if (lf == NULL) return 0;
    *line = (const char *)buf + *pos;
    *n = (size_t)(lf - (buf + *pos));
    *pos += *n + 1;
    return 1;
}

static int bad(ra_err *err, const char *what) {
    return ra_err_set(err, RA_E_VERIFY, "not a valid age file: %s", what);
}

int ra_age_header_parse(const uint8_t *buf, size_t len, ra_age_header *h, ra_err *err) {
    memset(h, 0, sizeof(*h));
    size_t pos = 0, n;
    const char *line;
    size_t vlen = strlen(RA_AGE_VERSION_LINE);
    /* decide as early as the bytes allow, so a file that is not age fails fast */
    if (memcmp(buf, RA_AGE_VERSION_LINE, len < vlen ? len : vlen) != 0) return bad(err, "no age v1 version line");
    if (!next_line(buf, len, &pos, &line, &n)) goto more;
    if (n != vlen) return bad(err, "no age v1 version line");
    for (;;) {
        if (!next_line(buf, len, &pos, &line, &n)) goto more;
        if (n >= 3 && memcmp(line, "---", 3) == 0) {
            size_t got = 0;
            if (n != 3 + 1 + 43 || line[3] != ' ' ||
                ra_age_b64_decode(line + 4, 43, h->mac, sizeof(h->mac), &got) != 0 || got != RA_AGE_MAC_LEN)
                return bad(err, "malformed MAC line");
            if (h->nx25519 + h->nother + (size_t)h->scrypt == 0) return bad(err, "no recipient stanza");
            h->mac_input_len = (size_t)(line - (const char *)buf) + 3;
            h->len = pos;
            return 1;
        }
        if (n < 4 || memcmp(line, "-> ", 3) != 0) return bad(err, "expected a stanza or the MAC line");
        /* arguments: one or more runs of VCHAR separated by single spaces */
        const char *args = line + 3;
        size_t an = n - 3, nargs = 1;
        for (size_t i = 0; i < an; i++) {
            char c = args[i];
            if (c == ' ') {
                if (i == 0 || i + 1 == an || args[i - 1] == ' ') return bad(err, "malformed stanza arguments");
                nargs++;
            } else if (c < 33 || c > 126) {
                return bad(err, "malformed stanza arguments");
            }
        }
        /* the body: full 64-column lines, then one shorter (maybe empty) line */
        uint8_t body[RA_AGE_FILE_KEY_LEN + RA_AGE_TAG + 1];
        size_t blen = 0;
        int fits = 1;
        for (;;) {
            const char *bl;
            size_t bn;
            if (!next_line(buf, len, &pos, &bl, &bn)) goto more;
            if (bn > 64) return bad(err, "stanza body line longer than 64 columns");
            uint8_t part[48];
            size_t got = 0;
            if (ra_age_b64_decode(bl, bn, part, sizeof(part), &got) != 0) return bad(err, "malformed stanza body");
            if (fits && blen + got <= sizeof(body)) {
                memcpy(body + blen, part, got);
                blen += got;
            } else {
                fits = 0;
            }
            if (bn < 64) break;
            if (bn % 4 != 0) return bad(err, "malformed stanza body");
        }
        if (an >= 6 && memcmp(args, "X25519", 6) == 0 && (an == 6 || args[6] == ' ')) {
            size_t got = 0;
            uint8_t share[32];
            if (nargs != 2 || ra_age_b64_decode(args + 7, an - 7, share, sizeof(share), &got) != 0 || got != 32)
                return bad(err, "malformed X25519 stanza");
            if (!fits || blen != RA_AGE_FILE_KEY_LEN + RA_AGE_TAG) return bad(err, "X25519 stanza body is not 32 bytes");
            if (h->nx25519 >= RA_AGE_STANZAS_MAX) return bad(err, "too many recipients");
            ra_age_stanza *st = &h->x25519[h->nx25519++];
            memcpy(st->share, share, sizeof(share));
            memcpy(st->body, body, sizeof(st->body));
        } else if (an >= 6 && memcmp(args, "scrypt", 6) == 0 && (an == 6 || args[6] == ' ')) {
            h->scrypt = 1;
        } else {
            h->nother++;
        }
    }
more:
    if (len >= RA_AGE_HEADER_MAX) return bad(err, "header longer than 64 KiB");
    return 0;
}

void ra_age_stream_nonce(uint64_t counter, int last, uint8_t nonce[12]) {
    memset(nonce, 0, 12);
    for (int i = 0; i < 8; i++) nonce[10 - i] = (uint8_t)(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

long long ra_age_payload_size(long long plain) {
    long long chunks = plain == 0 ? 1 : (plain + RA_AGE_CHUNK - 1) / RA_AGE_CHUNK;
    return RA_AGE_NONCE_LEN + plain + chunks * RA_AGE_TAG;
}
