/* partsum.c - the integrity an UploadPart carries, and auto's decision on part 1's answer. */
#include "storage/s3/partsum.h"

#include <string.h>
#include <strings.h>

void ra_partsum_init(ra_partsum *ps, ra_upload_checksum mode, int https) {
    ps->mode = mode;
    ps->crc = mode == RA_UPLOAD_CHECKSUM_AUTO || mode == RA_UPLOAD_CHECKSUM_CRC32C;
    ps->sha_until = mode == RA_UPLOAD_CHECKSUM_AUTO && !https;
    ps->checked = -1;
    ps->https = https;
    ps->fallen = 0;
}

/* The part's integrity is checked by the server through the headers computed here, once per part
 * and reused on retries. Otherwise the payload is UNSIGNED-PAYLOAD, over http as over https: the
 * signature still binds method, key, part number, upload id and headers, so nobody can replay it
 * for another part, and hashing the body a second time just to sign it would cost another full
 * pass over every byte (SHA-256: 0.6 CPU-s per GiB). */
int ra_partsum_compute(const ra_partsum *ps, const void *buf, size_t len, ra_partsum_part *p) {
    p->nheaders = 0;
    p->payload_hash = NULL;
    p->crc[0] = '\0';
    if (ps->crc) {
        ra_crc32c_base64(ra_crc32c(0, buf, len), p->crc);
        p->header[p->nheaders++] = (ra_kv){"x-amz-checksum-crc32c", p->crc};
    }
    if (ps->mode == RA_UPLOAD_CHECKSUM_MD5 || (ps->fallen && ps->https)) {
        if (ra_md5_base64(buf, len, p->md5) < 0) return -1;
        p->header[p->nheaders++] = (ra_kv){"Content-MD5", p->md5};
    }
    /* AUTO: SHA-256 as well while the CRC is not known to be checked (decided on part 1); fallen back
     * over http, SHA-256 instead of the CRC */
    if (ps->mode == RA_UPLOAD_CHECKSUM_SHA256 || (ps->fallen && !ps->https) || (ps->sha_until && ps->checked != 1)) {
        if (ra_sha256_hex(buf, len, p->hash) < 0) return -1;
        p->payload_hash = p->hash;
    }
    return 0;
}

int ra_partsum_answer(ra_partsum *ps, int part, const ra_partsum_part *p, const char *echoed) {
    if (!ps->crc || ps->checked >= 0 || part != 1) return 0;
    ps->checked = echoed != NULL && strcmp(echoed, p->crc) == 0;
    return 1;
}

const char *ra_partsum_describe(const ra_partsum *ps) {
    if (ps->checked == 1)
        return ps->sha_until ? "the store echoed part 1's CRC-32C (it checks it): parts carry CRC-32C only"
                             : "the store echoed part 1's CRC-32C (it checks it): parts carry CRC-32C";
    return ps->sha_until ? "the store did not echo part 1's CRC-32C: parts carry CRC-32C and SHA-256"
                         : "the store did not echo part 1's CRC-32C: parts carry CRC-32C";
}

int ra_partsum_damaged(const char *code) {
    return strcmp(code, "BadDigest") == 0 || strcmp(code, "XAmzContentSHA256Mismatch") == 0 ||
           strcmp(code, "XAmzContentChecksumMismatch") == 0;
}

/* case-insensitive: does s contain w */
static int mentions(const char *s, const char *w) {
    for (size_t n = strlen(w); *s; s++)
        if (strncasecmp(s, w, n) == 0) return 1;
    return 0;
}

int ra_partsum_refused(long status, const char *code, const char *message) {
    if (status == 400)
        return (strcmp(code, "InvalidArgument") == 0 || strcmp(code, "InvalidRequest") == 0 ||
                strcmp(code, "NotImplemented") == 0) &&
               mentions(message, "checksum");
    if (status == 501)
        return (strcmp(code, "NotImplemented") == 0 || *code == '\0') &&
               (*message == '\0' || mentions(message, "checksum") || mentions(message, "header"));
    return 0;
}

int ra_partsum_fall_back(ra_partsum *ps) {
    if (ps->mode != RA_UPLOAD_CHECKSUM_AUTO || !ps->crc) return 0;
    ps->crc = 0;
    ps->sha_until = 0;
    ps->checked = -1;
    ps->fallen = 1;
    return 1;
}

const char *ra_partsum_fallback_name(const ra_partsum *ps) {
    return ps->https ? "Content-MD5" : "the SHA-256 payload signature";
}
