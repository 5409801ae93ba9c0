/* rdb.c - streaming RDB verifier: what redis-check-rdb checks about the framing, as bytes pass. */
#include "source/rdb.h"

#include <string.h>

#include "common/crc64.h"

#define RDB_OPCODE_EOF 0xff /* rdb.h RDB_OPCODE_EOF */

void ra_rdb_init(ra_rdb *r) {
    memset(r, 0, sizeof(*r));
    r->last_crc_byte = -1;
}

static int digits(const uint8_t *p, size_t n, int *out) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* "REDIS%04d" (rdb.c rdbSaveRio) or Valkey 9's "VALKEY%03d". Versions below 5 have no checksum
 * trailer (RDB_VERSION 5 added it in Redis 2.6), so the framing check below cannot apply. */
static int check_header(ra_rdb *r, ra_err *err) {
    char safe[RA_RDB_HEADER_LEN + 1];
    for (int i = 0; i < RA_RDB_HEADER_LEN; i++)
        safe[i] = (r->head[i] >= 0x20 && r->head[i] < 0x7f) ? (char)r->head[i] : '?';
    safe[RA_RDB_HEADER_LEN] = '\0';
    int v = -1;
    if (memcmp(r->head, "REDIS", 5) == 0 && digits(r->head + 5, 4, &v) == 0) {
        r->valkey = 0;
    } else if (memcmp(r->head, "VALKEY", 6) == 0 && digits(r->head + 6, 3, &v) == 0) {
        r->valkey = 1;
    } else {
        return ra_err_set(err, RA_E_VERIFY, "not an rdb: bad magic '%s'", safe);
    }
    if (v < 5)
        return ra_err_set(err, RA_E_VERIFY, "not an rdb this tool can verify: version %d in '%s' "
                                            "has no checksum", v, safe);
    r->version = v;
    return 0;
}

int ra_rdb_feed(ra_rdb *r, const void *data, size_t n, ra_err *err) {
    const uint8_t *p = data;
    if (n == 0) return 0;
    if (r->total < RA_RDB_HEADER_LEN) {
        size_t need = RA_RDB_HEADER_LEN - (size_t)r->total;
        size_t take = n < need ? n : need;
        memcpy(r->head + r->total, p, take);
        if (take == need && check_header(r, err) < 0) return -1;
    }
    r->total += (long long)n;

    /* Hold back the last 8 bytes (the candidate trailer); everything before them is checksummed.
     * Combined view: tail[0..t) + p[0..n). */
    size_t t = r->tail_len;
    if (t + n <= 8) {
        memcpy(r->tail + t, p, n);
        r->tail_len = t + n;
        return 0;
    }
    size_t out = t + n - 8; /* bytes that leave the hold-back and enter the crc */
    size_t from_tail = out < t ? out : t;
    if (from_tail > 0) {
        r->crc = ra_crc64(r->crc, r->tail, from_tail);
        r->last_crc_byte = r->tail[from_tail - 1];
    }
    size_t from_p = out - from_tail;
    if (from_p > 0) {
        r->crc = ra_crc64(r->crc, p, from_p);
        r->last_crc_byte = p[from_p - 1];
    }
    /* new tail = last 8 bytes of the combined view */
    if (n >= 8) {
        memcpy(r->tail, p + n - 8, 8);
    } else {
        memmove(r->tail, r->tail + from_tail, t - from_tail);
        memcpy(r->tail + (t - from_tail), p, n);
    }
    r->tail_len = 8;
    return 0;
}

int ra_rdb_finish(ra_rdb *r, ra_err *err) {
    if (r->total < RA_RDB_HEADER_LEN)
        return ra_err_set(err, RA_E_VERIFY, "rdb truncated: only %lld bytes, not even a header",
                          r->total);
    if (r->version == 0 && check_header(r, err) < 0) return -1;
    if (r->total < RA_RDB_MIN_LEN)
        return ra_err_set(err, RA_E_VERIFY, "rdb truncated: %lld bytes, the smallest rdb has %d",
                          r->total, RA_RDB_MIN_LEN);
    if (r->last_crc_byte != RDB_OPCODE_EOF)
        return ra_err_set(err, RA_E_VERIFY,
                          "rdb truncated: no eof opcode 0xff at offset %lld (found 0x%02x)",
                          r->total - 9, (unsigned)r->last_crc_byte);
    uint64_t stored = 0;
    for (int i = 7; i >= 0; i--) stored = (stored << 8) | r->tail[i]; /* little-endian (memrev64ifbe) */
    r->stored_crc = stored;
    if (stored == 0) { /* rdbchecksum no: loaders skip the check too (rdb.c rdbLoadRio) */
        r->checksum_disabled = 1;
        return 0;
    }
    if (stored != r->crc)
        return ra_err_set(err, RA_E_VERIFY, "rdb checksum mismatch: stored %016llx computed %016llx",
                          (unsigned long long)stored, (unsigned long long)r->crc);
    return 0;
}
