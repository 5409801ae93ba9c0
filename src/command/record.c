/* record.c - backup records: ids, object keys, remark rules, JSON (jansson). */
#include "command/record.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/seal.h"

static void free_str(char **p) {
    free(*p);
    *p = NULL;
}

void ra_record_clear(ra_record *r) {
    if (r == NULL) return;
    free_str(&r->instance);
    free_str(&r->key);
    free_str(&r->remark);
    free_str(&r->error);
    free_str(&r->source);
    free_str(&r->redis_version);
    free_str(&r->replid);
    free_str(&r->tool_version);
    free_str(&r->host);
    free_str(&r->format);
    free_str(&r->recipients);
    free_str(&r->exit_class);
    free_str(&r->moving);
    for (int i = 0; i < r->nshards; i++) {
        ra_record_shard *sh = &r->shards[i];
        free(sh->slots);
        free(sh->master_id);
        free(sh->master);
        free(sh->node_id);
        free(sh->node);
        free(sh->replid);
        free(sh->key);
        free(sh->keys.dbs);
    }
    free(r->shards);
    free_str(&r->boot_id);
    free_str(&r->pid_ns);
    free(r->keys.dbs);
    memset(r, 0, sizeof(*r));
}

int ra_record_keys_set(ra_record_keys *k, const ra_rdb_counts *c, ra_err *err) {
    ra_record_dbkeys *dbs = c->ndbs ? calloc(c->ndbs, sizeof(*dbs)) : NULL;
    if (c->ndbs && dbs == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t i = 0; i < c->ndbs; i++)
        dbs[i] = (ra_record_dbkeys){.db = c->dbs[i].db, .keys = c->dbs[i].keys, .expires = c->dbs[i].expires};
    free(k->dbs);
    *k = (ra_record_keys){.known = 1, .total = c->keys, .expires = c->expires, .functions = c->functions,
                          .dbs = dbs, .ndbs = c->ndbs};
    memcpy(k->kinds, c->kinds, sizeof(k->kinds));
    return 0;
}

int ra_record_set_keys(ra_record *r, const ra_rdb_counts *c, ra_err *err) {
    return ra_record_keys_set(&r->keys, c, err);
}

int ra_record_keys_add(ra_record_keys *dst, const ra_record_keys *src, ra_err *err) {
    if (!dst->known || !src->known) {
        free(dst->dbs);
        memset(dst, 0, sizeof(*dst));
        return 0;
    }
    size_t n = dst->ndbs;
    ra_record_dbkeys *dbs = calloc(n + src->ndbs + 1, sizeof(*dbs));
    if (dbs == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (n) memcpy(dbs, dst->dbs, n * sizeof(*dbs));
    for (size_t i = 0; i < src->ndbs; i++) {
        size_t at = 0;
        while (at < n && dbs[at].db != src->dbs[i].db) at++;
        if (at == n) dbs[n++] = (ra_record_dbkeys){.db = src->dbs[i].db};
        dbs[at].keys += src->dbs[i].keys;
        dbs[at].expires += src->dbs[i].expires;
    }
    free(dst->dbs);
    dst->dbs = dbs;
    dst->ndbs = n;
    dst->total += src->total;
    dst->expires += src->expires;
    dst->functions += src->functions;
    for (int i = 0; i < RA_RDB_KINDS; i++) dst->kinds[i] += src->kinds[i];
    return 0;
}

void ra_time_iso(time_t t, char out[32]) {
    if (t == 0) {
        out[0] = '\0';
        return;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t ra_time_parse_iso(const char *s) {
    struct tm tm = {0};
    if (s == NULL || *s == '\0') return 0;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0') return 0;
    return timegm(&tm);
}

void ra_record_make_id(char id[RA_ID_MAX], time_t started, unsigned rnd) {
    struct tm tm;
    gmtime_r(&started, &tm);
    char ts[20];
    strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(id, RA_ID_MAX, "%s-%04x", ts, rnd & 0xffffu);
}

int ra_record_id_valid(const char *id) {
    /* YYYYMMDDTHHMMSSZ-xxxx */
    static const char shape[] = "dddddddd" "T" "dddddd" "Z" "-" "xxxx";
    if (id == NULL || strlen(id) != sizeof(shape) - 1) return 0;
    for (size_t i = 0; shape[i]; i++) {
        char c = id[i];
        switch (shape[i]) {
        case 'd':
            if (c < '0' || c > '9') return 0;
            break;
        case 'x':
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
            break;
        default:
            if (c != shape[i]) return 0;
        }
    }
    return 1;
}

static const char *state_names[] = {"running", "succeeded", "failed", "cancelled"};

const char *ra_state_name(ra_state s) {
    return (unsigned)s < 4 ? state_names[s] : "unknown";
}

static ra_state state_from_name(const char *s) {
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, state_names[i]) == 0) return (ra_state)i;
    return RA_STATE_FAILED;
}

static char *key_for(const char *prefix, const char *instance, const char *id, const char *ext) {
    char *key = NULL;
    if (asprintf(&key, "%s%s/%s%s", prefix ? prefix : "", instance, id, ext) < 0) return NULL;
    return key;
}

char *ra_record_rdb_key(const char *prefix, const char *instance, const char *id) {
    return key_for(prefix, instance, id, ".rdb");
}

char *ra_record_json_key(const char *prefix, const char *instance, const char *id) {
    return key_for(prefix, instance, id, ".json");
}

char *ra_record_object_key(const char *prefix, const char *instance, const char *id, const char *format) {
    int zstd, age;
    if (ra_seal_format_parse(format, &zstd, &age) != 0) return NULL;
    char ext[16];
    snprintf(ext, sizeof(ext), ".%s", ra_seal_format(zstd, age));
    return key_for(prefix, instance, id, ext);
}

void ra_record_set_seal(ra_record *r, const ra_seal_opts *so) {
    free_str(&r->format);
    free_str(&r->recipients);
    r->format = strdup(ra_seal_format(so && so->compression != RA_COMPRESSION_NONE, so && so->nrecipients > 0));
    for (size_t i = 0; so && i < so->nrecipients; i++) {
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", r->recipients ? r->recipients : "", i ? "," : "",
                     so->recipients[i].fingerprint) < 0)
            joined = NULL;
        free(r->recipients);
        r->recipients = joined;
    }
}

int ra_remark_check(const char *remark, ra_err *err) {
    if (remark == NULL) return 0;
    size_t len = strlen(remark);
    if (len > RA_REMARK_MAX)
        return ra_err_set(err, RA_E_USAGE, "remark is %zu bytes long; at most %d are allowed", len,
                          RA_REMARK_MAX);
    const unsigned char *p = (const unsigned char *)remark;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            n = 1;
            cp = c;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return ra_err_set(err, RA_E_USAGE, "remark is not valid UTF-8 (byte %zu)", i + 1);
        }
        if (i + n > len) return ra_err_set(err, RA_E_USAGE, "remark is not valid UTF-8 (byte %zu)", i + 1);
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return ra_err_set(err, RA_E_USAGE, "remark is not valid UTF-8 (byte %zu)", i + k + 1);
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return ra_err_set(err, RA_E_USAGE, "remark is not valid UTF-8 (byte %zu)", i + 1);
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
            return ra_err_set(err, RA_E_USAGE,
                              "remark contains a control character (U+%04X at byte %zu)", cp, i + 1);
        i += n;
    }
    return 0;
}

void ra_record_set_error(ra_record *r, const ra_err *err) {
    free(r->error);
    r->error = strdup(err->msg);
    free(r->exit_class);
    r->exit_class = strdup(ra_err_code_name(err->code == RA_OK ? RA_E_INTERNAL : err->code));
    r->state = err->code == RA_E_CANCELLED ? RA_STATE_CANCELLED : RA_STATE_FAILED;
}

static void set_str(json_t *o, const char *name, const char *value) {
    json_object_set_new(o, name, value ? json_string(value) : json_null());
}

static void set_time(json_t *o, const char *name, time_t t) {
    char buf[32];
    ra_time_iso(t, buf);
    json_object_set_new(o, name, t ? json_string(buf) : json_null());
}

/* "keys": {"total", "expires", "functions", "types": {"string": n, ...}, "dbs": [{"db", "keys", "expires"}]} */
static json_t *keys_to_json(const ra_record_keys *k) {
    if (!k->known) return json_null();
    json_t *o = json_object(), *types = json_object(), *dbs = json_array();
    json_object_set_new(o, "total", json_integer(k->total));
    json_object_set_new(o, "expires", json_integer(k->expires));
    json_object_set_new(o, "functions", json_integer(k->functions));
    for (int i = 0; i < RA_RDB_KINDS; i++)
        json_object_set_new(types, ra_rdb_kind_name((ra_rdb_kind)i), json_integer(k->kinds[i]));
    json_object_set_new(o, "types", types);
    for (size_t i = 0; i < k->ndbs; i++) {
        json_t *d = json_object();
        json_object_set_new(d, "db", json_integer(k->dbs[i].db));
        json_object_set_new(d, "keys", json_integer(k->dbs[i].keys));
        json_object_set_new(d, "expires", json_integer(k->dbs[i].expires));
        json_array_append_new(dbs, d);
    }
    json_object_set_new(o, "dbs", dbs);
    return o;
}

static void keys_from_json(ra_record_keys *k, json_t *o) {
    memset(k, 0, sizeof(*k));
    if (!json_is_object(o)) return;
    k->known = 1;
    k->total = json_integer_value(json_object_get(o, "total"));
    k->expires = json_integer_value(json_object_get(o, "expires"));
    k->functions = json_integer_value(json_object_get(o, "functions"));
    json_t *types = json_object_get(o, "types");
    for (int i = 0; i < RA_RDB_KINDS; i++)
        k->kinds[i] = json_integer_value(json_object_get(types, ra_rdb_kind_name((ra_rdb_kind)i)));
    json_t *dbs = json_object_get(o, "dbs");
    size_t n = json_is_array(dbs) ? json_array_size(dbs) : 0;
    k->dbs = n ? calloc(n, sizeof(*k->dbs)) : NULL;
    if (k->dbs == NULL) return;
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(dbs, i);
        k->dbs[i] = (ra_record_dbkeys){.db = (int)json_integer_value(json_object_get(d, "db")),
                                       .keys = json_integer_value(json_object_get(d, "keys")),
                                       .expires = json_integer_value(json_object_get(d, "expires"))};
    }
    k->ndbs = n;
}

char *ra_record_to_json(const ra_record *r) {
    json_t *o = json_object();
    char crc[17];
    snprintf(crc, sizeof(crc), "%016" PRIx64, r->crc64);
    set_str(o, "id", r->id);
    set_str(o, "instance", r->instance);
    set_str(o, "key", r->key);
    set_str(o, "type", r->automatic ? "auto" : "manual");
    set_str(o, "remark", r->remark);
    set_time(o, "started", r->started);
    set_time(o, "finished", r->finished);
    set_time(o, "heartbeat", r->heartbeat);
    set_str(o, "status", ra_state_name(r->state));
    json_object_set_new(o, "size", r->state == RA_STATE_SUCCEEDED ? json_integer(r->bytes) : json_null());
    json_object_set_new(o, "bytes", json_integer(r->bytes));
    json_object_set_new(o, "rate", json_integer((json_int_t)llround(r->rate))); /* bytes per second */
    set_str(o, "crc64", r->state == RA_STATE_SUCCEEDED && r->nshards == 0 ? crc : NULL); /* cluster: per shard */
    set_str(o, "error", r->error);
    set_str(o, "source", r->source);
    set_str(o, "redis_version", r->redis_version);
    set_str(o, "replid", r->replid);
    json_object_set_new(o, "offset", r->offset >= 0 ? json_integer(r->offset) : json_null());
    set_str(o, "tool_version", r->tool_version);
    set_str(o, "host", r->host);
    json_object_set_new(o, "pid", json_integer(r->pid));
    set_str(o, "format", r->format ? r->format : "rdb");
    json_t *fps = json_array();
    for (const char *p = r->recipients; p && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(fps, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    json_object_set_new(o, "recipients", fps);
    json_object_set_new(o, "stored_size", r->stored > 0 ? json_integer(r->stored) : json_null());
    set_str(o, "exit_class", r->exit_class);
    json_object_set_new(o, "keep", json_boolean(r->keep));
    if (r->unchecked) json_object_set_new(o, "unchecked", json_true());
    if (r->nshards > 0) {
        json_t *a = json_array();
        for (int i = 0; i < r->nshards; i++) {
            const ra_record_shard *sh = &r->shards[i];
            json_t *x = json_object();
            snprintf(crc, sizeof(crc), "%016" PRIx64, sh->crc64);
            json_object_set_new(x, "shard", json_integer(i));
            set_str(x, "slots", sh->slots);
            set_str(x, "master_id", sh->master_id);
            set_str(x, "master", sh->master);
            set_str(x, "node_id", sh->node_id);
            set_str(x, "node", sh->node);
            set_str(x, "replid", sh->replid);
            json_object_set_new(x, "offset", sh->offset >= 0 ? json_integer(sh->offset) : json_null());
            json_object_set_new(x, "size", json_integer(sh->bytes));
            json_object_set_new(x, "stored_size", json_integer(sh->stored));
            set_str(x, "crc64", r->state == RA_STATE_SUCCEEDED ? crc : NULL);
            set_str(x, "key", sh->key);
            json_object_set_new(x, "started_after", json_real(sh->started));
            json_object_set_new(x, "keys", keys_to_json(&sh->keys));
            json_array_append_new(a, x);
        }
        json_object_set_new(o, "shards", a);
        json_object_set_new(o, "skew", json_real(r->skew));
        set_str(o, "moving", r->moving);
    }
    if (r->boot_id) set_str(o, "boot_id", r->boot_id);
    if (r->pid_ns) set_str(o, "pid_ns", r->pid_ns);
    json_object_set_new(o, "keys", keys_to_json(&r->keys));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

static char *get_str(json_t *o, const char *name) {
    const char *s = json_string_value(json_object_get(o, name));
    return s ? strdup(s) : NULL;
}

static time_t get_time(json_t *o, const char *name) {
    return ra_time_parse_iso(json_string_value(json_object_get(o, name)));
}

int ra_record_from_json(ra_record *r, const char *text, size_t len, ra_err *err) {
    json_error_t jerr;
    memset(r, 0, sizeof(*r));
    json_t *o = json_loadb(text, len, 0, &jerr);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return ra_err_set(err, RA_E_STORE, "backup record is not valid JSON: %s", jerr.text);
    }
    const char *id = json_string_value(json_object_get(o, "id"));
    if (id == NULL || !ra_record_id_valid(id)) {
        json_decref(o);
        return ra_err_set(err, RA_E_STORE, "backup record has no valid id");
    }
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->instance = get_str(o, "instance");
    r->key = get_str(o, "key");
    const char *type = json_string_value(json_object_get(o, "type"));
    r->automatic = type && strcmp(type, "auto") == 0;
    r->remark = get_str(o, "remark");
    r->started = get_time(o, "started");
    r->finished = get_time(o, "finished");
    r->heartbeat = get_time(o, "heartbeat");
    r->state = state_from_name(json_string_value(json_object_get(o, "status")));
    r->bytes = json_integer_value(json_object_get(o, "bytes"));
    r->rate = json_number_value(json_object_get(o, "rate"));
    const char *crc = json_string_value(json_object_get(o, "crc64"));
    r->crc64 = crc ? strtoull(crc, NULL, 16) : 0;
    r->error = get_str(o, "error");
    r->source = get_str(o, "source");
    r->redis_version = get_str(o, "redis_version");
    r->replid = get_str(o, "replid");
    json_t *off = json_object_get(o, "offset");
    r->offset = json_is_integer(off) ? json_integer_value(off) : -1;
    r->tool_version = get_str(o, "tool_version");
    r->host = get_str(o, "host");
    r->pid = (long)json_integer_value(json_object_get(o, "pid"));
    r->format = get_str(o, "format");
    json_t *fps = json_object_get(o, "recipients");
    size_t i;
    json_t *fp;
    json_array_foreach(fps, i, fp) {
        const char *v = json_string_value(fp);
        if (v == NULL || strchr(v, ',')) continue;
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", r->recipients ? r->recipients : "", r->recipients ? "," : "", v) < 0) break;
        free(r->recipients);
        r->recipients = joined;
    }
    r->stored = json_integer_value(json_object_get(o, "stored_size"));
    r->exit_class = get_str(o, "exit_class");
    r->keep = json_is_true(json_object_get(o, "keep"));
    r->unchecked = json_is_true(json_object_get(o, "unchecked"));
    json_t *shards = json_object_get(o, "shards");
    if (json_is_array(shards) && json_array_size(shards) > 0 && json_array_size(shards) <= 4096) {
        r->shards = calloc(json_array_size(shards), sizeof(*r->shards));
        json_t *x;
        json_array_foreach(shards, i, x) {
            if (r->shards == NULL) break;
            ra_record_shard *sh = &r->shards[r->nshards++];
            sh->slots = get_str(x, "slots");
            sh->master_id = get_str(x, "master_id");
            sh->master = get_str(x, "master");
            sh->node_id = get_str(x, "node_id");
            sh->node = get_str(x, "node");
            sh->replid = get_str(x, "replid");
            json_t *so = json_object_get(x, "offset");
            sh->offset = json_is_integer(so) ? json_integer_value(so) : -1;
            sh->bytes = json_integer_value(json_object_get(x, "size"));
            sh->stored = json_integer_value(json_object_get(x, "stored_size"));
            const char *sc = json_string_value(json_object_get(x, "crc64"));
            sh->crc64 = sc ? strtoull(sc, NULL, 16) : 0;
            sh->key = get_str(x, "key");
            sh->started = json_number_value(json_object_get(x, "started_after"));
            keys_from_json(&sh->keys, json_object_get(x, "keys"));
        }
        r->skew = json_number_value(json_object_get(o, "skew"));
        r->moving = get_str(o, "moving");
    }
    r->boot_id = get_str(o, "boot_id");
    r->pid_ns = get_str(o, "pid_ns");
    keys_from_json(&r->keys, json_object_get(o, "keys"));
    json_decref(o);
    return 0;
}

char *ra_record_shard_key(const char *prefix, const char *instance, const char *id, int n, const char *format) {
    char *k = NULL;
    const char *f = format ? format : "rdb";
    if (strcmp(f, "rdb") != 0 && strcmp(f, "rdb.zst") != 0 && strcmp(f, "rdb.age") != 0 &&
        strcmp(f, "rdb.zst.age") != 0)
        return NULL;
    if (asprintf(&k, "%s%s/%s/shard-%d.%s", prefix ? prefix : "", instance, id, n, f) < 0) return NULL;
    return k;
}

int ra_record_object_keys(const ra_record *r, const char **keys, int cap) {
    int n = 0;
    if (r->nshards == 0) {
        if (r->key != NULL && cap > 0) keys[n++] = r->key;
        return n;
    }
    for (int i = 0; i < r->nshards && n < cap; i++)
        if (r->shards[i].key != NULL) keys[n++] = r->shards[i].key;
    return n;
}
