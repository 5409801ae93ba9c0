/* rdbparse.c - the structural RDB reader: a resumable interpreter of small programs, one per opcode and
 * value type, written from the format Redis's rdb.c saves (rdbSaveObject, rdbSaveRio) and loads. Every
 * primitive (length, string, fixed bytes, old-style double) can stop at any byte and go on with the next
 * chunk, so no value is ever buffered here: big strings are skipped as they pass. */
#include "source/rdbparse.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lzf.h"
#include "rdbprog.h"

#define LOOP_MAX 4 /* streams nest three deep: groups, consumers, their pending entries */

enum { S_HEADER, S_OPCODE, S_PROG, S_TRAILER, S_DONE, S_FAILED };
enum { W_OPCODE, W_KEY, W_VALUE, W_FUNCTION }; /* what the running program reads */

struct ra_rdbparse {
    ra_rdbparse_cb cb;
    int counting_only; /* no callbacks: key names are skipped, not kept */
    int state, what, opcode;
    long long off; /* file offset of the first byte of the current chunk */
    uint8_t head[9];
    int head_have, version, valkey;
    /* the program */
    const uint8_t *prog;
    size_t pc;
    struct {
        uint64_t left;
        size_t body;
    } loop[LOOP_MAX];
    int depth;
    uint64_t last_len;
    /* primitives in progress */
    uint8_t tok[9];
    int tok_have, tok_need;
    int str_sub, str_enc; /* string: 0 header, 1 LZF clen, 2 LZF ulen, 3 body; str_enc -1 plain, 0-2 int, 3 LZF */
    uint64_t lzf_ulen;
    int blob;             /* B_*: check the string being read as that blob */
    uint64_t blob_len;    /* its length as stored */
    uint8_t blob_head[8], blob_last;
    size_t blob_seen;
    int fix_active;
    uint64_t skip;
    int mod_op; /* P_MODVAL: the field being read, -1 between fields */
    uint8_t cap[8];
    int cap_have;
    /* the key being read, and what applies to it */
    uint8_t *raw, *key;
    size_t raw_len, raw_cap, key_len, key_cap;
    int db;
    long long expire, idle, item_off;
    int freq;
    ra_rdb_item item;
    int in_value;
    long long trailer_left;
    ra_rdb_counts counts;
    ra_rdb_dbcount *dbs;
    size_t dbs_cap, cur_db;
};

static int fail(ra_rdbparse *p, long long at, ra_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(ra_rdbparse *p, long long at, ra_err *err, const char *fmt, ...) {
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    p->state = S_FAILED;
    return ra_err_set(err, RA_E_VERIFY, "rdb structure: %s at offset %lld", what, at);
}

ra_rdbparse *ra_rdbparse_new(const ra_rdbparse_cb *cb) {
    ra_rdbparse *p = calloc(1, sizeof(*p));
    if (p == NULL) return NULL;
    if (cb) p->cb = *cb;
    p->counting_only = !p->cb.begin && !p->cb.value && !p->cb.end;
    p->expire = p->idle = -1;
    p->freq = -1;
    p->mod_op = -1;
    return p;
}

void ra_rdbparse_free(ra_rdbparse *p) {
    if (p == NULL) return;
    free(p->raw);
    free(p->key);
    free(p->dbs);
    free(p);
}

int ra_rdbparse_version(const ra_rdbparse *p, int *valkey) {
    if (valkey) *valkey = p->valkey;
    return p->version;
}

const ra_rdb_counts *ra_rdbparse_counts(const ra_rdbparse *p) {
    return &p->counts;
}

const char *ra_rdb_kind_name(ra_rdb_kind k) {
    static const char *names[RA_RDB_KINDS] = {"string", "list", "set", "zset", "hash", "stream", "module"};
    return (unsigned)k < RA_RDB_KINDS ? names[k] : "?";
}

/* moduleTypeNameByID: 9 characters of 6 bits above a 10-bit encoding version */
void ra_rdb_module_name(uint64_t id, char out[10]) {
    static const char cset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    id >>= 10;
    for (int j = 8; j >= 0; j--) {
        out[j] = cset[id & 63];
        id >>= 6;
    }
    out[9] = '\0';
}

/* A length (rdbLoadLenByRef): 1, 2, 5 or 9 bytes; *enc for the 11xxxxxx special string encodings.
 * 1 done, 0 more input needed, -1 error. */
static int rd_len(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, uint64_t *val, int *enc, ra_err *err) {
    if (p->tok_have == 0) {
        if (*i >= n) return 0;
        uint8_t b = d[(*i)++];
        *enc = 0;
        switch (b >> 6) {
        case 0: *val = b & 0x3f; return 1;
        case 3: *val = b & 0x3f; *enc = 1; return 1;
        case 1: p->tok_need = 2; break;
        default:
            if (b == 0x80) p->tok_need = 5;
            else if (b == 0x81) p->tok_need = 9;
            else return fail(p, p->off + (long long)*i - 1, err, "bad length byte 0x%02x", b);
        }
        p->tok[0] = b;
        p->tok_have = 1;
    }
    while (p->tok_have < p->tok_need) {
        if (*i >= n) return 0;
        p->tok[p->tok_have++] = d[(*i)++];
    }
    uint64_t v = 0;
    if (p->tok_need == 2) v = ((uint64_t)(p->tok[0] & 0x3f) << 8) | p->tok[1];
    else
        for (int k = 1; k < p->tok_need; k++) v = (v << 8) | p->tok[k]; /* big-endian */
    p->tok_have = 0;
    *val = v;
    *enc = 0;
    return 1;
}

static int rd_plain_len(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, uint64_t *val, ra_err *err) {
    int enc = 0;
    int r = rd_len(p, d, n, i, val, &enc, err);
    if (r == 1 && enc) return fail(p, p->off + (long long)*i - 1, err, "an encoded string where a length belongs");
    return r;
}

static int keep_raw(ra_rdbparse *p, const uint8_t *d, size_t len, ra_err *err) {
    if (p->raw_len + len > p->raw_cap) {
        size_t cap = p->raw_cap ? p->raw_cap : 64;
        while (cap < p->raw_len + len) cap *= 2;
        uint8_t *nb = realloc(p->raw, cap);
        if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory reading a key name");
        p->raw = nb;
        p->raw_cap = cap;
    }
    memcpy(p->raw + p->raw_len, d, len);
    p->raw_len += len;
    return 0;
}

/* n bytes skipped (kept in cap when keep): 1 done, 0 more needed. */
static int rd_fix(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, uint64_t count, int keep) {
    if (!p->fix_active) {
        p->fix_active = 1;
        p->skip = count;
        p->cap_have = 0;
    }
    size_t take = n - *i < p->skip ? n - *i : (size_t)p->skip;
    if (keep) {
        memcpy(p->cap + p->cap_have, d + *i, take);
        p->cap_have += (int)take;
    }
    *i += take;
    p->skip -= take;
    if (p->skip > 0) return 0;
    p->fix_active = 0;
    return 1;
}

/* A string (rdbGenericLoadStringObject); keep: its bytes as stored go to raw (the key). */
static int rd_str(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, int keep, ra_err *err) {
    uint64_t v = 0;
    int enc = 0, r;
    switch (p->str_sub) {
    case 0:
        if ((r = rd_len(p, d, n, i, &v, &enc, err)) <= 0) return r;
        p->str_enc = enc ? (int)v : -1;
        if (enc && v == 3) {
            p->str_sub = 1;
            return rd_str(p, d, n, i, keep, err);
        }
        if (enc && v > 3) return fail(p, p->off + (long long)*i - 1, err, "unknown string encoding %d", (int)v);
        p->skip = enc ? (uint64_t)1 << v : v; /* int8, int16, int32 */
        p->blob_len = p->skip;
        p->blob_seen = 0;
        if (keep && p->skip > RA_RDBPARSE_KEY_MAX)
            return fail(p, p->off + (long long)*i, err, "key of %" PRIu64 " bytes", p->skip);
        p->str_sub = 3;
        break;
    case 1:
        if ((r = rd_plain_len(p, d, n, i, &v, err)) <= 0) return r;
        if (v == 0) return fail(p, p->off + (long long)*i - 1, err, "empty lzf string");
        p->skip = v;
        p->str_sub = 2;
        return rd_str(p, d, n, i, keep, err);
    case 2:
        if ((r = rd_plain_len(p, d, n, i, &v, err)) <= 0) return r;
        if (v == 0 || (keep && v > RA_RDBPARSE_KEY_MAX))
            return fail(p, p->off + (long long)*i - 1, err, "lzf string of %" PRIu64 " bytes", v);
        p->lzf_ulen = v;
        p->str_sub = 3;
        break;
    default:
        break;
    }
    size_t take = n - *i < p->skip ? n - *i : (size_t)p->skip;
    if (keep && take > 0 && keep_raw(p, d + *i, take, err) < 0) return -1;
    if (p->blob && take > 0) {
        for (size_t k = 0; k < take && p->blob_seen < sizeof(p->blob_head); k++) p->blob_head[p->blob_seen++] = d[*i + k];
        p->blob_last = d[*i + take - 1];
    }
    *i += take;
    p->skip -= take;
    if (p->skip > 0) return 0;
    p->str_sub = 0;
    return 1;
}

static int key_room(ra_rdbparse *p, size_t len, ra_err *err) {
    if (len + 1 <= p->key_cap) return 0;
    uint8_t *nb = realloc(p->key, len + 1);
    if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory reading a key name");
    p->key = nb;
    p->key_cap = len + 1;
    return 0;
}

/* raw (as stored) -> key (as Redis holds it) */
static int decode_key(ra_rdbparse *p, long long at, ra_err *err) {
    if (p->str_enc == 3) {
        if (key_room(p, (size_t)p->lzf_ulen, err) < 0) return -1;
        if (ra_lzf_expand(p->raw, p->raw_len, p->key, (size_t)p->lzf_ulen) != 0)
            return fail(p, at, err, "key name does not decompress (lzf)");
        p->key_len = (size_t)p->lzf_ulen;
    } else if (p->str_enc >= 0) {
        uint64_t u = 0;
        for (size_t k = p->raw_len; k-- > 0;) u = (u << 8) | p->raw[k]; /* little-endian */
        int bits = 8 * (int)p->raw_len;
        int64_t v = (u & ((uint64_t)1 << (bits - 1))) ? (int64_t)(u - ((uint64_t)1 << bits)) : (int64_t)u;
        if (key_room(p, 24, err) < 0) return -1;
        p->key_len = (size_t)snprintf((char *)p->key, 24, "%" PRId64, v);
    } else {
        if (key_room(p, p->raw_len, err) < 0) return -1;
        if (p->raw_len) memcpy(p->key, p->raw, p->raw_len);
        p->key_len = p->raw_len;
    }
    p->key[p->key_len] = '\0';
    p->raw_len = 0;
    return 0;
}

/* The P_NEXT that closes the P_LOOP at pc. */
static size_t loop_end(const uint8_t *prog, size_t pc) {
    int depth = 0;
    for (size_t k = pc;; k++) {
        if (prog[k] == P_LOOP) depth++;
        else if (prog[k] == P_NEXT && --depth == 0) return k;
        else if (prog[k] == P_FIX || prog[k] == P_FIXCAP || prog[k] == P_BLOB) k++;
    }
}

/* A module value's typed fields (rdbLoadCheckModuleValue). */
static int rd_modval(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, ra_err *err) {
    for (;;) {
        uint64_t v;
        int r;
        if (p->mod_op < 0) {
            if ((r = rd_plain_len(p, d, n, i, &v, err)) <= 0) return r;
            if (v == 0) return 1;
            if (v > 5) return fail(p, p->off + (long long)*i - 1, err, "unknown module field opcode %" PRIu64, v);
            p->mod_op = (int)v;
        }
        switch (p->mod_op) {
        case 1:
        case 2: r = rd_plain_len(p, d, n, i, &v, err); break;
        case 3: r = rd_fix(p, d, n, i, 4, 0); break;
        case 4: r = rd_fix(p, d, n, i, 8, 0); break;
        default: r = rd_str(p, d, n, i, 0, err); break;
        }
        if (r <= 0) return r;
        p->mod_op = -1;
    }
}

/* Run the program: 1 when it ended, 0 when the chunk did, -1 on error. */
static int run(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, ra_err *err) {
    for (;;) {
        const uint8_t *pr = p->prog;
        uint64_t v;
        int r = 1;
        switch (pr[p->pc]) {
        case P_END: return 1;
        case P_LEN:
        case P_MODID:
            if ((r = rd_plain_len(p, d, n, i, &v, err)) <= 0) return r;
            if (pr[p->pc] == P_MODID) p->item.module_id = v;
            p->last_len = v;
            p->pc++;
            break;
        case P_STR:
        case P_KEY:
            if ((r = rd_str(p, d, n, i, pr[p->pc] == P_KEY && !p->counting_only, err)) <= 0) return r;
            p->pc++;
            break;
        case P_FIX:
        case P_FIXCAP:
            if ((r = rd_fix(p, d, n, i, pr[p->pc + 1], pr[p->pc] == P_FIXCAP)) <= 0) return r;
            p->pc += 2;
            break;
        case P_DBL:
            if (!p->fix_active) {
                if (*i >= n) return 0;
                uint8_t b = d[(*i)++];
                if (b >= 253) {
                    p->pc++;
                    break;
                }
                p->fix_active = 1;
                p->skip = b;
            }
            if ((r = rd_fix(p, d, n, i, 0, 0)) <= 0) return r;
            p->pc++;
            break;
        case P_LOOP:
            if (p->last_len == 0) {
                p->pc = loop_end(pr, p->pc) + 1;
            } else {
                if (p->depth == LOOP_MAX) return fail(p, p->off + (long long)*i, err, "loops nested too deep");
                p->loop[p->depth].left = p->last_len;
                p->loop[p->depth++].body = ++p->pc;
            }
            break;
        case P_NEXT:
            if (--p->loop[p->depth - 1].left > 0) {
                p->pc = p->loop[p->depth - 1].body;
            } else {
                p->depth--;
                p->pc++;
            }
            break;
        case P_MODVAL:
            if ((r = rd_modval(p, d, n, i, err)) <= 0) return r;
            p->pc++;
            break;
        case P_BLOB: {
            int kind = pr[p->pc + 1];
            if (kind == B_LISTPACK_IF_PACKED) kind = p->last_len == 2 ? B_LISTPACK : B_NONE; /* 1: a plain node */
            p->blob = kind;
            if ((r = rd_str(p, d, n, i, 0, err)) <= 0) return r;
            p->blob = B_NONE;
            const char *wrong = p->str_enc == -1 ? ra_rdb_blob_wrong(kind, p->blob_head, p->blob_len, p->blob_last) : NULL;
            if (wrong) return fail(p, p->off + (long long)*i, err, "%s of %" PRIu64 " bytes", wrong, p->blob_len);
            p->pc += 2;
            break;
        }
        default: return fail(p, p->off + (long long)*i, err, "internal: bad program step");
        }
    }
}

static void start(ra_rdbparse *p, const uint8_t *prog, int what) {
    p->prog = prog;
    p->pc = 0;
    p->depth = 0;
    p->what = what;
    p->state = S_PROG;
}

static int emit(ra_rdbparse *p, const uint8_t *d, size_t len, ra_err *err) {
    if (len == 0) return 0;
    p->item.value_len += (long long)len;
    if (p->cb.value && p->cb.value(p->cb.ctx, d, len, err) < 0) {
        p->state = S_FAILED;
        return -1;
    }
    return 0;
}

static int count_key(ra_rdbparse *p, ra_err *err) {
    ra_rdb_counts *c = &p->counts;
    int ttl = p->item.expire_ms >= 0;
    c->keys++;
    c->expires += ttl;
    c->kinds[p->item.value_kind]++;
    if (p->cur_db >= c->ndbs || p->dbs[p->cur_db].db != p->db) {
        size_t k = 0;
        while (k < c->ndbs && p->dbs[k].db != p->db) k++;
        if (k == c->ndbs) {
            if (c->ndbs == p->dbs_cap) {
                size_t cap = p->dbs_cap ? 2 * p->dbs_cap : 16;
                ra_rdb_dbcount *nd = realloc(p->dbs, cap * sizeof(*nd));
                if (nd == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory counting keys");
                p->dbs = nd;
                p->dbs_cap = cap;
            }
            p->dbs[k] = (ra_rdb_dbcount){.db = p->db};
            c->ndbs++;
        }
        p->cur_db = k;
        c->dbs = p->dbs;
    }
    p->dbs[p->cur_db].keys++;
    p->dbs[p->cur_db].expires += ttl;
    return 0;
}

static uint64_t cap_le(const ra_rdbparse *p) {
    uint64_t v = 0;
    for (int k = p->cap_have; k-- > 0;) v = (v << 8) | p->cap[k];
    return v;
}

/* An opcode's program ended: apply what it read; a key's name starts its value. at: its offset. */
static int finished(ra_rdbparse *p, const uint8_t *d, size_t i, size_t *span, ra_err *err) {
    long long at = p->off + (long long)i;
    p->state = S_OPCODE;
    switch (p->what) {
    case W_KEY: {
        if (!p->counting_only && decode_key(p, at, err) < 0) return -1;
        p->item.key = p->key;
        p->item.key_len = p->key_len;
        if (p->cb.begin && p->cb.begin(p->cb.ctx, &p->item, err) < 0) return p->state = S_FAILED, -1;
        uint8_t type = (uint8_t)p->opcode;
        p->in_value = 1;
        if (emit(p, &type, 1, err) < 0) return -1;
        *span = i;
        start(p, types[p->opcode].prog, W_VALUE);
        return 0;
    }
    case W_VALUE:
    case W_FUNCTION:
        p->in_value = 0;
        if (emit(p, d + *span, i - *span, err) < 0) return -1;
        if (p->what == W_VALUE && count_key(p, err) < 0) return -1;
        if (p->what == W_FUNCTION) p->counts.functions++;
        if (p->cb.end && p->cb.end(p->cb.ctx, &p->item, err) < 0) return p->state = S_FAILED, -1;
        p->expire = p->idle = -1;
        p->freq = -1;
        return 0;
    default:
        break;
    }
    switch (p->opcode) {
    case OP_SELECTDB:
        if (p->last_len > 0x7fffffff) return fail(p, at, err, "database %" PRIu64, p->last_len);
        p->db = (int)p->last_len;
        break;
    case OP_EXPIRETIME: p->expire = (long long)cap_le(p) * 1000; break;
    case OP_EXPIRETIME_MS: p->expire = (long long)cap_le(p); break;
    case OP_IDLE: p->idle = (long long)p->last_len; break;
    case OP_FREQ: p->freq = p->cap[0]; break;
    case OP_MODULE_AUX: p->counts.module_aux++; break;
    default: break;
    }
    return 0;
}

static void new_item(ra_rdbparse *p, ra_rdb_item_kind kind, int type, long long at) {
    p->item = (ra_rdb_item){.kind = kind, .db = p->db, .type = type, .expire_ms = p->expire, .idle = p->idle,
                            .freq = p->freq, .offset = at};
    if (kind == RA_RDB_ITEM_KEY) p->item.value_kind = types[type].kind;
}

static int opcode(ra_rdbparse *p, uint8_t b, long long at, size_t *span, size_t i, ra_err *err) {
    switch (b) {
    case OP_EOF:
        p->state = p->version >= 5 ? S_TRAILER : S_DONE;
        p->trailer_left = 8;
        return 0;
    case OP_SELECTDB:
    case OP_IDLE: start(p, prog_one_len, W_OPCODE); break;
    case OP_RESIZEDB: start(p, prog_two_len, W_OPCODE); break;
    case OP_SLOT_INFO: start(p, prog_slot_info, W_OPCODE); break;
    case OP_EXPIRETIME: start(p, prog_expire_s, W_OPCODE); break;
    case OP_EXPIRETIME_MS: start(p, prog_expire_ms, W_OPCODE); break;
    case OP_FREQ: start(p, prog_freq, W_OPCODE); break;
    case OP_AUX: start(p, prog_aux, W_OPCODE); break;
    case OP_MODULE_AUX: start(p, prog_module_aux, W_OPCODE); break;
    case OP_FUNCTION2:
        new_item(p, RA_RDB_ITEM_FUNCTION, b, at);
        if (p->cb.begin && p->cb.begin(p->cb.ctx, &p->item, err) < 0) return p->state = S_FAILED, -1;
        p->in_value = 1;
        if (emit(p, &b, 1, err) < 0) return -1;
        *span = i;
        start(p, prog_blob, W_FUNCTION);
        break;
    case OP_FUNCTION_PRE_GA:
        return fail(p, at, err, "a function saved by a Redis 7.0 release candidate (opcode 0xf6)");
    default:
        if (b >= NTYPES || types[b].prog == NULL)
            return fail(p, at, err, "unknown opcode or value type 0x%02x (rdb version %d)", b, p->version);
        new_item(p, RA_RDB_ITEM_KEY, b, at);
        p->raw_len = 0;
        start(p, prog_key, W_KEY);
        break;
    }
    p->opcode = b;
    return 0;
}

/* A length wholly inside d[*j..n): 1 and *j past it; 0 when it is not (the slow path then reads it). */
static int peek_len(const uint8_t *d, size_t n, size_t *j, uint64_t *v, int *enc) {
    if (*j >= n) return 0;
    uint8_t b = d[*j];
    *enc = (b >> 6) == 3;
    switch (b >> 6) {
    case 0:
    case 3: *v = b & 0x3f; *j += 1; return 1;
    case 1:
        if (*j + 1 >= n) return 0;
        *v = ((uint64_t)(b & 0x3f) << 8) | d[*j + 1];
        *j += 2;
        return 1;
    default:
        if (b != 0x80 || *j + 4 >= n) return 0;
        *v = ((uint64_t)d[*j + 1] << 24) | ((uint64_t)d[*j + 2] << 16) | ((uint64_t)d[*j + 3] << 8) | d[*j + 4];
        *j += 5;
        return 1;
    }
}

/* A string wholly inside d[*j..n), skipped: 1, or 0 (the slow path reads it; also for a plain blob of
 * kind that is not right, so that the slow path says what is wrong). */
static int peek_str(const uint8_t *d, size_t n, size_t *j, int kind) {
    uint64_t len, ulen;
    int enc;
    if (!peek_len(d, n, j, &len, &enc)) return 0;
    if (!enc && len <= n - *j && kind != B_NONE) {
        uint8_t head[8] = {0};
        memcpy(head, d + *j, len < 8 ? (size_t)len : 8);
        if (len == 0 || ra_rdb_blob_wrong(kind, head, len, d[*j + len - 1]) != NULL) return 0;
    }
    if (enc) {
        if (len < 3) len = (uint64_t)1 << len;
        else if (len > 3 || !peek_len(d, n, j, &len, &enc) || enc || len == 0 || !peek_len(d, n, j, &ulen, &enc) ||
                 enc || ulen == 0)
            return 0;
    }
    if (len > n - *j) return 0;
    *j += (size_t)len;
    return 1;
}

/* Counting only (no callbacks): a key whose value is one string, wholly in this chunk, is counted
 * without the interpreter. Most keys of most datasets are such; the verdict is the slow path's. */
static int fast_key(ra_rdbparse *p, const uint8_t *d, size_t n, size_t *i, ra_err *err) {
    size_t j = *i;
    uint8_t t = d[j++];
    if (t >= NTYPES || !types[t].single || !peek_str(d, n, &j, B_NONE) || !peek_str(d, n, &j, types[t].blob)) return 0;
    p->item.expire_ms = p->expire;
    p->item.value_kind = types[t].kind;
    if (count_key(p, err) < 0) return -1;
    p->expire = p->idle = -1;
    p->freq = -1;
    *i = j;
    return 1;
}

static int header(ra_rdbparse *p, ra_err *err) {
    int v = 0, digits = memcmp(p->head, "VALKEY", 6) == 0 ? 3 : memcmp(p->head, "REDIS", 5) == 0 ? 4 : 0;
    for (int k = 9 - digits; digits && k < 9; k++) {
        if (p->head[k] < '0' || p->head[k] > '9') digits = 0;
        else v = v * 10 + (p->head[k] - '0');
    }
    if (digits == 0 || v < 1) return fail(p, 0, err, "not an rdb header");
    p->version = v;
    p->valkey = digits == 3;
    p->state = S_OPCODE;
    return 0;
}

int ra_rdbparse_feed(ra_rdbparse *p, const void *data, size_t n, ra_err *err) {
    const uint8_t *d = data;
    size_t i = 0, span = 0;
    if (p->state == S_FAILED) return ra_err_set(err, RA_E_VERIFY, "rdb structure: the reader already failed");
    while (i < n) {
        switch (p->state) {
        case S_HEADER:
            while (i < n && p->head_have < 9) p->head[p->head_have++] = d[i++];
            if (p->head_have == 9 && header(p, err) < 0) return -1;
            break;
        case S_OPCODE: {
            if (p->counting_only) {
                int r = fast_key(p, d, n, &i, err);
                if (r < 0) return -1;
                if (r > 0) break;
            }
            uint8_t b = d[i++];
            if (opcode(p, b, p->off + (long long)i - 1, &span, i, err) < 0) return -1;
            break;
        }
        case S_PROG: {
            int r = run(p, d, n, &i, err);
            if (r < 0) return -1;
            if (r == 1 && finished(p, d, i, &span, err) < 0) return -1;
            break;
        }
        case S_TRAILER: {
            size_t take = n - i < (size_t)p->trailer_left ? n - i : (size_t)p->trailer_left;
            i += take;
            p->trailer_left -= (long long)take;
            if (p->trailer_left == 0) p->state = S_DONE;
            break;
        }
        default:
            return fail(p, p->off + (long long)i, err, "%zu bytes after the end of the rdb", n - i);
        }
    }
    if (p->in_value && emit(p, d + span, n - span, err) < 0) return -1;
    p->off += (long long)n;
    return 0;
}

int ra_rdbparse_finish(ra_rdbparse *p, ra_err *err) {
    static const char *where[] = {"the header", "an opcode", "", "the checksum", "", ""};
    if (p->state == S_DONE) return 0;
    if (p->state == S_FAILED) return ra_err_set(err, RA_E_VERIFY, "rdb structure: the reader failed");
    const char *in = where[p->state];
    if (p->state == S_PROG) in = p->what == W_KEY ? "a key name" : p->what == W_OPCODE ? "an opcode's fields" : "a value";
    p->state = S_FAILED;
    return ra_err_set(err, RA_E_VERIFY, "rdb structure: truncated in %s at offset %lld", in, p->off);
}
