/* segment.c - the archive's segment objects: key names and the text header, pure. */
#include "command/segment.h"

#include <inttypes.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc64.h"

char *ra_segment_dir(const char *dir, const char *base_id) {
    char *s = NULL;
    return asprintf(&s, "%s%s.seg/", dir, base_id) < 0 ? NULL : s;
}

char *ra_segment_shard_dir(const char *dir, const char *base_id, int shard) {
    char *s = NULL;
    if (shard < 0) return ra_segment_dir(dir, base_id);
    return asprintf(&s, "%s%s.seg/shard-%d/", dir, base_id, shard) < 0 ? NULL : s;
}

char *ra_segment_key(const char *dir, const char *base_id, int shard, long long first, long long last) {
    char *d = ra_segment_shard_dir(dir, base_id, shard), *s = NULL;
    if (d == NULL || asprintf(&s, "%s%020lld-%020lld", d, first, last) < 0) s = NULL;
    free(d);
    return s;
}

static int digits(const char *s, size_t n, long long *v) {
    if (n == 0 || n > 20) return 0;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        if (x > (9223372036854775807LL - 9) / 10) return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

int ra_segment_name_parse(const char *name, long long *first, long long *last) {
    const char *dash = strchr(name, '-');
    if (dash == NULL) return 0;
    long long a, b;
    if (!digits(name, (size_t)(dash - name), &a) || !digits(dash + 1, strlen(dash + 1), &b) || b < a) return 0;
    *first = a;
    *last = b;
    return 1;
}

int ra_segment_rel_parse(const char *rel, int *shard, long long *first, long long *last) {
    *shard = -1;
    if (strncmp(rel, "shard-", 6) == 0) {
        const char *slash = strchr(rel + 6, '/');
        long long n;
        if (slash == NULL || !digits(rel + 6, (size_t)(slash - rel - 6), &n) || n > 65535) return 0;
        *shard = (int)n;
        rel = slash + 1;
    }
    return ra_segment_name_parse(rel, first, last);
}

int ra_segment_tick_add(ra_segment_meta *m, long long ms, long long offset) {
    if (m->nticks > 0) {
        ra_segment_tick *t = &m->ticks[m->nticks - 1];
        if (ms < t->ms || offset < t->offset) return 0;
        if (offset == t->offset && m->nticks > 1 && m->ticks[m->nticks - 2].offset == offset) {
            t->ms = ms; /* a quiet stream: one tick per run of the same offset, its latest time */
            return 0;
        }
    }
    if (m->nticks == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        ra_segment_tick *nt = realloc(m->ticks, cap * sizeof(*nt));
        if (nt == NULL) return -1;
        m->ticks = nt;
        m->cap = cap;
    }
    m->ticks[m->nticks++] = (ra_segment_tick){ms, offset};
    return 0;
}

char *ra_segment_header(const ra_segment_meta *m, size_t *len) {
    size_t cap = 256 + m->nticks * 48, n = 0;
    char *s = malloc(cap);
    if (s == NULL) return NULL;
    n += (size_t)snprintf(s + n, cap - n, "%sreplid %s\nbase %s\n", RA_SEGMENT_MAGIC, m->replid, m->base);
    if (m->sharded) n += (size_t)snprintf(s + n, cap - n, "shard %d\n", m->shard);
    n += (size_t)snprintf(s + n, cap - n, "first %lld\nlast %lld\n", m->first, m->last);
    if (m->has_crc) n += (size_t)snprintf(s + n, cap - n, "crc64 %016" PRIx64 "\n", m->crc64);
    for (size_t i = 0; i < m->nticks; i++)
        n += (size_t)snprintf(s + n, cap - n, "t %lld %lld\n", m->ticks[i].ms, m->ticks[i].offset);
    n += (size_t)snprintf(s + n, cap - n, "\n");
    *len = n;
    return s;
}

static int bad(ra_err *err, const char *what) {
    return ra_err_set(err, RA_E_VERIFY, "segment header: %s", what);
}

/* One header line [p, nl): "key value" or "t ms offset". */
static int header_line(ra_segment_meta *m, const char *p, size_t n, unsigned *seen, ra_err *err) {
    const char *sp = memchr(p, ' ', n);
    if (sp == NULL) return bad(err, "a line without a value");
    size_t kl = (size_t)(sp - p), vl = n - kl - 1;
    const char *v = sp + 1;
    if (kl == 1 && p[0] == 't') {
        const char *sp2 = memchr(v, ' ', vl);
        long long ms, off;
        if (sp2 == NULL || !digits(v, (size_t)(sp2 - v), &ms) || !digits(sp2 + 1, vl - (size_t)(sp2 - v) - 1, &off))
            return bad(err, "a malformed tick");
        if (m->nticks >= RA_SEGMENT_TICKS_MAX) return bad(err, "too many ticks");
        if (m->nticks > 0 && (ms < m->ticks[m->nticks - 1].ms || off < m->ticks[m->nticks - 1].offset))
            return bad(err, "ticks out of order");
        size_t before = m->nticks;
        if (ra_segment_tick_add(m, ms, off) < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        if (m->nticks == before) m->ticks[m->nticks - 1] = (ra_segment_tick){ms, off};
        return 0;
    }
    if (kl == 6 && memcmp(p, "replid", 6) == 0) {
        if (vl == 0 || vl > 40) return bad(err, "a malformed replid");
        for (size_t i = 0; i < vl; i++)
            if (!isxdigit((unsigned char)v[i])) return bad(err, "a malformed replid");
        memcpy(m->replid, v, vl);
        m->replid[vl] = '\0';
        *seen |= 1;
    } else if (kl == 4 && memcmp(p, "base", 4) == 0) {
        if (vl == 0 || vl >= sizeof(m->base)) return bad(err, "a malformed base id");
        memcpy(m->base, v, vl);
        m->base[vl] = '\0';
        if (!ra_record_id_valid(m->base)) return bad(err, "a malformed base id");
        *seen |= 2;
    } else if (kl == 5 && memcmp(p, "shard", 5) == 0) {
        long long shard;
        if (!digits(v, vl, &shard) || shard > 65535) return bad(err, "a malformed shard");
        m->sharded = 1;
        m->shard = (int)shard;
    } else if (kl == 5 && memcmp(p, "crc64", 5) == 0) {
        uint64_t c = 0;
        if (vl != 16) return bad(err, "a malformed crc64");
        for (size_t i = 0; i < 16; i++) {
            int d = isdigit((unsigned char)v[i]) ? v[i] - '0' : v[i] >= 'a' && v[i] <= 'f' ? v[i] - 'a' + 10 : -1;
            if (d < 0) return bad(err, "a malformed crc64");
            c = c << 4 | (uint64_t)d;
        }
        m->has_crc = 1;
        m->crc64 = c;
    } else if (kl == 5 && memcmp(p, "first", 5) == 0) {
        if (!digits(v, vl, &m->first)) return bad(err, "a malformed first offset");
        *seen |= 4;
    } else if (kl == 4 && memcmp(p, "last", 4) == 0) {
        if (!digits(v, vl, &m->last)) return bad(err, "a malformed last offset");
        *seen |= 8;
    } /* other keys: from a newer version, ignored */
    return 0;
}

static int parse(const uint8_t *obj, size_t len, ra_segment_meta *m, size_t *payload_at, ra_err *err) {
    size_t ml = strlen(RA_SEGMENT_MAGIC);
    if (len < ml || memcmp(obj, RA_SEGMENT_MAGIC, ml) != 0)
        return ra_err_set(err, RA_E_VERIFY, "not a segment of this version (no '%.7s' header)", RA_SEGMENT_MAGIC);
    const char *p = (const char *)obj + ml, *end = (const char *)obj + len;
    unsigned seen = 0;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) return bad(err, "no end");
        if (nl == p) {
            p = nl + 1;
            break;
        }
        if (header_line(m, p, (size_t)(nl - p), &seen, err) < 0) return -1;
        p = nl + 1;
    }
    if (seen != 15) return bad(err, "replid, base, first or last missing");
    if (m->last < m->first) return bad(err, "last before first");
    for (size_t i = 0; i < m->nticks; i++)
        if (m->ticks[i].offset < m->first || m->ticks[i].offset > m->last) return bad(err, "a tick outside the segment");
    *payload_at = (size_t)(p - (const char *)obj);
    if ((long long)(len - *payload_at) != m->last - m->first)
        return ra_err_set(err, RA_E_VERIFY, "segment %lld-%lld holds %zu stream bytes, its offsets say %lld", m->first,
                          m->last, len - *payload_at, m->last - m->first);
    if (m->has_crc && ra_crc64(0, obj + *payload_at, len - *payload_at) != m->crc64)
        return ra_err_set(err, RA_E_VERIFY, "segment %lld-%lld is damaged: its stream bytes do not match its crc64",
                          m->first, m->last);
    return 0;
}

int ra_segment_parse(const uint8_t *obj, size_t len, ra_segment_meta *m, size_t *payload_at, ra_err *err) {
    ra_segment_meta_clear(m);
    if (parse(obj, len, m, payload_at, err) == 0) return 0;
    ra_segment_meta_clear(m); /* nothing held after a failure */
    return -1;
}

long long ra_segment_offset_at(const ra_segment_meta *m, long long ms) {
    long long off = -1;
    for (size_t i = 0; i < m->nticks && m->ticks[i].ms <= ms; i++) off = m->ticks[i].offset;
    return off;
}

void ra_segment_meta_clear(ra_segment_meta *m) {
    free(m->ticks);
    memset(m, 0, sizeof(*m));
}

char *ra_segment_state_key(const char *dir, const char *base_id) {
    char *s = NULL;
    return asprintf(&s, "%s%s.archive", dir, base_id) < 0 ? NULL : s;
}

char *ra_segment_shard_state_key(const char *dir, const char *base_id, int shard) {
    char *s = NULL;
    if (shard < 0) return ra_segment_state_key(dir, base_id);
    return asprintf(&s, "%s%s.seg/shard-%d.archive", dir, base_id, shard) < 0 ? NULL : s;
}

int ra_segment_state_format(const ra_segment_state *st, const char *replid, char *out, size_t cap) {
    char shards[32] = "", id[64] = "";
    if (st->shards > 0) snprintf(shards, sizeof(shards), "shards %lld\n", st->shards);
    if (replid && *replid) snprintf(id, sizeof(id), "replid %.40s\n", replid);
    return snprintf(out, cap, "%s%sfirst %lld\nuploaded %lld\nreceived %lld\nsegments %lld\nlast-segment %s\n"
                    "last-ms %lld\nupdated-ms %lld\nfirst-ms %lld\n", shards, id, st->first, st->uploaded,
                    st->received, st->segments, st->last_segment, st->last_ms, st->updated_ms, st->first_ms);
}

void ra_segment_state_parse(const char *text, size_t len, ra_segment_state *st) {
    static const struct {
        const char *key;
        size_t at;
    } nums[] = {{"first", offsetof(ra_segment_state, first)},         {"uploaded", offsetof(ra_segment_state, uploaded)},
                {"received", offsetof(ra_segment_state, received)},   {"segments", offsetof(ra_segment_state, segments)},
                {"first-ms", offsetof(ra_segment_state, first_ms)},   {"last-ms", offsetof(ra_segment_state, last_ms)},
                {"updated-ms", offsetof(ra_segment_state, updated_ms)}, {"shards", offsetof(ra_segment_state, shards)}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) *(long long *)((char *)st + nums[i].at) = -1;
    snprintf(st->last_segment, sizeof(st->last_segment), "-");
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *sp = memchr(p, ' ', n);
        if (sp != NULL) {
            size_t kl = (size_t)(sp - p), vl = n - kl - 1;
            for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
                long long v;
                if (strlen(nums[i].key) == kl && memcmp(p, nums[i].key, kl) == 0 && digits(sp + 1, vl, &v))
                    *(long long *)((char *)st + nums[i].at) = v;
            }
            if (kl == 12 && memcmp(p, "last-segment", 12) == 0 && vl < sizeof(st->last_segment)) {
                memcpy(st->last_segment, sp + 1, vl);
                st->last_segment[vl] = '\0';
            }
        }
        p += n + 1;
    }
}
