/* cmd_restore.c - `restore ID|latest --output PATH | --target URL`: the backup's object read by ranged
 * GETs in parallel and handed on in order (storage/s3/download.h), verified as it passes (structure,
 * CRC-64, size and key count against the record), into a file that appears under PATH only whole, or
 * replayed key by key into a running Redis with RESTORE. A cluster backup gives a directory of one file
 * per shard and cluster.json, or replays every shard into the target, whatever its shape. One function per
 * mode: to_file, to_dir, to_server. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "command/cli.h"
#include "command/output.h"
#include "command/restore_at.h"
#include "common/crc64.h"
#include "common/text.h"
#include "common/url.h"
#include "source/rdb.h"
#include "source/rdbparse.h"
#include "source/resp.h"
#include "source/target.h"
#include "storage/s3/download.h"

typedef struct dbkeys {
    int db;
    long long keys;
} dbkeys;

/* One object of a backup (the backup's, or a shard's) and what its record says of it. */
typedef struct object {
    int shard;              /* -1: not a cluster backup */
    const char *key;
    long long bytes;        /* RDB bytes */
    long long stored;       /* object bytes (sealed), 0: not recorded */
    uint64_t crc64;         /* 0: not recorded */
    long long keys;         /* -1: not counted */
} object;

typedef struct restore {
    const ra_config *c;
    const ra_record *rec;
    object obj;             /* the one being read */
    ra_seal *unseal;        /* a sealed backup's decoders in front of rdb_in, else NULL */
    long long total;        /* bytes of the object read so far */
    long long sum_bytes;    /* RDB bytes and keys of the objects read whole */
    long long sum_keys, sum_functions;
    int obj_done;           /* the one being read is in the sums */
    ra_rdb rdb;             /* framing and CRC-64 */
    ra_rdbparse *parser;    /* structure, keys */
    int bad_structure;      /* --output: the structure's first error waits for the CRC's verdict */
    ra_err structure;
    /* --output */
    int fd;
    const char *tmp;
    /* --target */
    int replay;             /* the readers hand every key to the target */
    ra_target *target;
    ra_target_info tinfo;   /* zero for --output */
    ra_target_stats st;
    int db;                 /* the database SELECTed on the target, -1 before any */
    int collecting;         /* the current item's value bytes are kept */
    uint8_t *val;
    size_t vlen, vcap;
    long long skipped;      /* keys whose TTL had passed */
    dbkeys *dbs;
    size_t ndbs;
    /* progress */
    int progress;           /* a line on stderr (a terminal) */
    double t0, last_draw;   /* monotonic seconds */
} restore;

/* The object's size as stored: the RDB's, or the sealed object's (0: not recorded). */
static long long stored_size(const restore *r) {
    return r->unseal ? r->obj.stored : r->obj.bytes;
}

static object object_of(const ra_record *rec, int shard) {
    if (shard < 0)
        return (object){-1, rec->key, rec->bytes, rec->stored, rec->crc64, rec->keys.known ? rec->keys.total : -1};
    const ra_record_shard *sh = &rec->shards[shard];
    return (object){shard, sh->key, sh->bytes, sh->stored, sh->crc64, sh->keys.known ? sh->keys.total : -1};
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(restore *r, int final) {
    double t = mono() - r->t0;
    if (!final && t - r->last_draw < 0.25) return;
    r->last_draw = t;
    char done[16], rate[16];
    ra_human_bytes((double)r->total, done, sizeof(done));
    ra_human_bytes(t > 0 ? (double)r->total / t : 0, rate, sizeof(rate));
    long long whole = stored_size(r);
    int pct = whole > 0 ? (int)(100.0 * (double)r->total / (double)whole) : 0;
    char shard[32] = "";
    if (r->obj.shard >= 0) snprintf(shard, sizeof(shard), "shard %d/%d ", r->obj.shard + 1, r->rec->nshards);
    fprintf(stderr, "\r%s%3d%% %s %s/s %lld keys %.0fs%-10s%s", shard, pct, done, rate,
            r->sum_keys + ra_rdbparse_counts(r->parser)->keys, t, "", final ? "\n" : "");
}

/* ---- the value bytes of each key, made into RESTORE payloads ------------------------------------- */

static int keep(restore *r, const uint8_t *d, size_t n, ra_err *err) {
    if (r->vlen + n > r->vcap) {
        size_t cap = r->vcap ? r->vcap : 4096;
        while (cap < r->vlen + n) cap *= 2;
        uint8_t *nb = realloc(r->val, cap);
        if (nb == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory holding a value of %zu bytes", cap);
        r->val = nb;
        r->vcap = cap;
    }
    memcpy(r->val + r->vlen, d, n);
    r->vlen += n;
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_db(restore *r, int db, ra_err *err) {
    size_t k = 0;
    while (k < r->ndbs && r->dbs[k].db != db) k++;
    if (k == r->ndbs) {
        dbkeys *nd = realloc(r->dbs, (r->ndbs + 1) * sizeof(*nd));
        if (nd == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        r->dbs = nd;
        r->dbs[r->ndbs++] = (dbkeys){.db = db};
    }
    r->dbs[k].keys++;
    return 0;
}

static int on_begin(void *ctx, const ra_rdb_item *it, ra_err *err) {
    restore *r = ctx;
    int version = ra_rdbparse_version(r->parser, NULL);
    if (r->tinfo.rdb_version > 0 && r->tinfo.rdb_version < version)
        return ra_err_set(err, RA_E_USAGE, "target '%s' runs %s %s, which loads rdb version %d; backup '%s' is rdb "
                          "version %d: restore into a server at least as new as the source",
                          r->tinfo.name, r->tinfo.valkey_version[0] ? "valkey" : "redis",
                          r->tinfo.valkey_version[0] ? r->tinfo.valkey_version : r->tinfo.redis_version,
                          r->tinfo.rdb_version, r->rec->id, version);
    r->vlen = 0;
    r->collecting = 0;
    if (it->kind == RA_RDB_ITEM_FUNCTION && r->obj.shard > 0) return 0; /* every shard has them: from the first */
    if (it->kind == RA_RDB_ITEM_KEY && it->value_kind == RA_RDB_MODULE) {
        char name[10], key[80];
        ra_rdb_module_name(it->module_id, name);
        ra_resp_printable(key, sizeof(key), (const char *)it->key, it->key_len);
        return ra_err_set(err, RA_E_USAGE, "key '%s' (db %d) holds a value of module type '%s', which restore does "
                          "not replay: use restore --output and load the file where the module is", key, it->db,
                          name);
    }
    if (it->kind == RA_RDB_ITEM_KEY && it->expire_ms >= 0 && it->expire_ms <= now_ms()) {
        r->skipped++;
        return 0;
    }
    r->collecting = 1;
    return 0;
}

static int on_value(void *ctx, const uint8_t *d, size_t n, ra_err *err) {
    restore *r = ctx;
    return r->collecting ? keep(r, d, n, err) : 0;
}

/* DUMP payload: the value, the RDB version (2 bytes) and a CRC-64 of both, little-endian (rdb.c
 * createDumpPayload). */
static int on_end(void *ctx, const ra_rdb_item *it, ra_err *err) {
    restore *r = ctx;
    if (!r->collecting) return 0;
    int version = ra_rdbparse_version(r->parser, NULL);
    uint8_t trailer[10] = {(uint8_t)(version & 0xff), (uint8_t)(version >> 8)};
    if (keep(r, trailer, 2, err) < 0) return -1;
    uint64_t crc = ra_crc64(0, r->val, r->vlen);
    for (int i = 0; i < 8; i++) trailer[i] = (uint8_t)(crc >> (8 * i));
    if (keep(r, trailer, 8, err) < 0) return -1;
    if (it->kind == RA_RDB_ITEM_FUNCTION) return ra_target_function_restore(r->target, r->val, r->vlen, &r->st, err);
    if (it->db != r->db) {
        if (ra_target_select(r->target, it->db, &r->st, err) < 0) return -1;
        r->db = it->db;
    }
    if (count_db(r, it->db, err) < 0) return -1;
    return ra_target_restore(r->target, it->key, it->key_len, it->expire_ms, r->val, r->vlen, it->idle, it->freq,
                             &r->st, err);
}

/* ---- the object as it arrives -------------------------------------------------------------------- */

static int rdb_in(restore *r, const uint8_t *d, size_t n, ra_err *err) {
    if (ra_rdb_feed(&r->rdb, d, n, err) < 0) return -1;
    if (r->target) return ra_rdbparse_feed(r->parser, d, n, err); /* nothing damaged may be replayed */
    if (!r->bad_structure && ra_rdbparse_feed(r->parser, d, n, &r->structure) < 0) r->bad_structure = 1;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(r->fd, d + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", r->tmp, strerror(errno));
        off += (size_t)w;
    }
    return 0;
}

static int plain_in(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    return rdb_in(ctx, data, len, err);
}

/* A sealed backup (zstd, age) goes through its decoders first (ra_app_unseal), so that verification and
 * restore always see the RDB as Redis wrote it. */
static int object_in(void *ctx, const void *data, size_t len, ra_err *err) {
    restore *r = ctx;
    r->total += (long long)len;
    long long limit = stored_size(r);
    if (limit > 0 && r->total > limit)
        return ra_err_set(err, RA_E_VERIFY, "the object holds more than the %lld bytes its record says", limit);
    if (r->progress) draw(r, 0);
    if (r->unseal) {
        ra_sink in = ra_seal_sink(r->unseal);
        return in.write(in.ctx, data, len, err);
    }
    return rdb_in(r, data, len, err);
}

/* After the GET: the framing and CRC-64, then the structure, then the record's size, CRC and keys. */
static int check_whole(restore *r, ra_err *err) {
    const object *o = &r->obj;
    if (ra_rdb_finish(&r->rdb, err) != 0) return -1;
    if (r->bad_structure) {
        *err = r->structure;
        return -1;
    }
    if (ra_rdbparse_finish(r->parser, err) != 0) return -1;
    if (r->rdb.total != o->bytes)
        return ra_err_set(err, RA_E_VERIFY, "it holds %lld bytes, its record says %lld", r->rdb.total, o->bytes);
    if (o->crc64 != 0 && r->rdb.crc != o->crc64)
        return ra_err_set(err, RA_E_VERIFY, "it has crc64 %016" PRIx64 ", its record says %016" PRIx64, r->rdb.crc,
                          o->crc64);
    const ra_rdb_counts *c = ra_rdbparse_counts(r->parser);
    if (o->keys >= 0 && c->keys != o->keys)
        return ra_err_set(err, RA_E_VERIFY, "it holds %lld keys, its record says %lld", c->keys, o->keys);
    return 0;
}

/* Set r up for object `shard` (-1: the backup's one): new readers, and the decoders of a sealed backup. */
static int object_begin(restore *r, int shard, ra_err *err) {
    ra_rdbparse_cb cb = {.ctx = r, .begin = on_begin, .value = on_value, .end = on_end};
    r->obj = object_of(r->rec, shard);
    r->total = 0;
    r->obj_done = 0;
    r->bad_structure = 0;
    ra_rdb_init(&r->rdb);
    ra_rdbparse_free(r->parser);
    ra_seal_free(r->unseal);
    r->unseal = NULL;
    if ((r->parser = ra_rdbparse_new(r->replay ? &cb : NULL)) == NULL)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    int plain = 1;
    ra_sink to_plain = {.ctx = r, .write = plain_in};
    if ((r->unseal = ra_app_unseal(r->c, r->rec, &to_plain, &plain, err)) == NULL && !plain) return -1;
    return 0;
}

/* Read object `shard` (-1: the backup's one) whole through the readers into the file or the target. */
static int fetch(ra_store *store, restore *r, int shard, ra_err *err) {
    if (object_begin(r, shard, err) < 0) return -1;
    const ra_record *rec = r->rec;
    const char *key = r->obj.key;
    ra_download_opts dl = {.concurrency = r->c->concurrency};
    int rc = ra_s3_download(store->s3, key, &dl, object_in, r, err);
    if (rc == 0 && r->unseal) rc = ra_seal_finish(r->unseal, err);
    if (r->progress) draw(r, 1);
    if (rc != 0 && err->code == RA_E_NOTFOUND)
        return ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)",
                          rec->id, key);
    if (rc == 0) rc = check_whole(r, err);
    if (rc != 0 && err->code == RA_E_VERIFY) ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", rec->id, key);
    if (rc != 0 && shard >= 0) ra_err_prefix(err, "shard %d: ", shard);
    if (rc == 0) {
        r->sum_bytes += r->rdb.total;
        r->sum_keys += ra_rdbparse_counts(r->parser)->keys;
        r->sum_functions += shard > 0 ? 0 : ra_rdbparse_counts(r->parser)->functions;
        r->obj_done = 1;
    }
    return rc;
}

/* A cluster backup's shards together hold the keys its record counted. */
static int check_sum(const restore *r, ra_err *err) {
    const ra_record *rec = r->rec;
    if (rec->nshards > 0 && rec->keys.known && r->sum_keys != rec->keys.total)
        return ra_err_set(err, RA_E_VERIFY, "backup '%s' is damaged: its shards hold %lld keys, its record says %lld",
                          rec->id, r->sum_keys, rec->keys.total);
    return 0;
}

/* The objects of a backup: -1 alone, or shards 0 .. n-1. */
static int rec_first(const ra_record *rec) {
    return rec->nshards > 0 ? 0 : -1;
}

static int rec_end(const ra_record *rec) {
    return rec->nshards > 0 ? rec->nshards : 0;
}

/* ---- --output PATH -------------------------------------------------------------------------------- */

/* "<PATH's folder>/.<PATH's name>.restore-XXXXXX" in *tmp (caller frees): the template of the file or folder
 * filled beside PATH and renamed to it only when whole. */
static int temp_beside(const char *path, char **tmp, ra_err *err) {
    char *dir = strdup(path), *base = strdup(path);
    int made = dir && base && asprintf(tmp, "%s/.%s.restore-XXXXXX", dirname(dir), basename(base)) >= 0;
    free(dir);
    free(base);
    if (made) return 0;
    *tmp = NULL;
    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
}

static int to_file(ra_app *app, ra_store *store, restore *r, const char *path, int force, ra_err *err) {
    struct stat sb;
    if (lstat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || !force))
        return ra_err_set(err, RA_E_USAGE, S_ISDIR(sb.st_mode) ? "--output '%s' is a directory: name the file to write"
                                                                : "--output '%s' exists: give --force to replace it",
                          path);
    char *tmp = NULL;
    if (temp_beside(path, &tmp, err) != 0) return -1;
    r->tmp = tmp;
    r->fd = mkstemp(tmp);
    if (r->fd < 0) {
        ra_err_set(err, RA_E_USAGE, "cannot create a file beside '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc = fetch(store, r, -1, err);
    if (rc == 0 && fsync(r->fd) != 0) rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", tmp, strerror(errno));
    if (close(r->fd) != 0 && rc == 0) rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", tmp, strerror(errno));
    if (rc == 0) {
        /* without --force, a file that appeared meanwhile is not replaced either */
        int moved = force ? rename(tmp, path) : renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
        if (moved != 0)
            rc = ra_err_set(err, errno == EEXIST ? RA_E_USAGE : RA_E_INTERNAL, "cannot put the restored file at '%s': %s",
                            path, errno == EEXIST ? "it exists now (give --force to replace it)" : strerror(errno));
    }
    if (rc != 0) unlink(tmp); /* nothing partial is left behind */
    free(tmp);
    r->tmp = NULL;
    if (rc == 0)
        ra_log_info(&app->log, "restore.file", "backup %s restored to '%s' (%lld bytes, %lld keys)", r->rec->id, path,
                    r->rdb.total, ra_rdbparse_counts(r->parser)->keys);
    return rc;
}

/* ---- --output DIR of a cluster backup ----------------------------------------------------------- */

/* What each shard's file holds, for cluster.json. */
typedef struct shard_file {
    long long bytes, keys;
    uint64_t crc64;
} shard_file;

static int is_empty_dir(const char *path) {
    DIR *d = opendir(path);
    if (d == NULL) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL) empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Remove the files of a directory of ours, then it. */
static void remove_dir(const char *path) {
    DIR *d = opendir(path);
    struct dirent *e;
    char f[PATH_MAX];
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            snprintf(f, sizeof(f), "%s/%s", path, e->d_name) < (int)sizeof(f))
            unlink(f);
    if (d) closedir(d);
    rmdir(path);
}

/* cluster.json: the backup, and per file its shard, slots, master at backup time, keys, size and CRC-64. */
static int write_manifest(const restore *r, const char *dir, const shard_file *sf, ra_err *err) {
    const ra_record *rec = r->rec;
    char **texts = calloc((size_t)rec->nshards, sizeof(*texts));
    char *array = NULL, *text = NULL, path[PATH_MAX];
    size_t alen = 0;
    int rc = texts ? 0 : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < rec->nshards; i++) {
        const ra_record_shard *sh = &rec->shards[i];
        char file[32], crc[17];
        snprintf(file, sizeof(file), "shard-%d.rdb", i);
        snprintf(crc, sizeof(crc), "%016" PRIx64, sf[i].crc64);
        ra_out_field f[] = {
            {"shard", RA_OUT_INT, NULL, i},          {"file", RA_OUT_STR, file, 0},
            {"slots", RA_OUT_STR, sh->slots, 0},     {"master_id", RA_OUT_STR, sh->master_id, 0},
            {"master", RA_OUT_STR, sh->master, 0},   {"node_id", RA_OUT_STR, sh->node_id, 0},
            {"node", RA_OUT_STR, sh->node, 0},       {"keys", RA_OUT_INT, NULL, sf[i].keys},
            {"size", RA_OUT_INT, NULL, sf[i].bytes}, {"crc64", RA_OUT_STR, crc, 0},
        };
        if ((texts[i] = ra_output_json_text(f, sizeof(f) / sizeof(f[0]))) == NULL)
            rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    FILE *mem = rc == 0 ? open_memstream(&array, &alen) : NULL;
    if (rc == 0 && mem == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (mem) {
        ra_output_json_array(mem, texts, (size_t)rec->nshards);
        fclose(mem);
    }
    char started[32];
    ra_time_iso(rec->started, started);
    ra_out_field top[] = {
        {"id", RA_OUT_STR, rec->id, 0},
        {"instance", RA_OUT_STR, rec->instance, 0},
        {"started", RA_OUT_STR, started, 0},
        {"redis_version", RA_OUT_STR, rec->redis_version, 0},
        {"rdb_version", RA_OUT_INT, NULL, r->rdb.version},
        {"keys", RA_OUT_INT, NULL, r->sum_keys},
        {"shards", RA_OUT_JSON, array, 0},
    };
    if (rc == 0 && (text = ra_output_json_text(top, sizeof(top) / sizeof(top[0]))) == NULL)
        rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    snprintf(path, sizeof(path), "%s/cluster.json", dir);
    FILE *out = rc == 0 ? fopen(path, "wx") : NULL;
    if (rc == 0 && out == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", path, strerror(errno));
    if (out) {
        int bad = fprintf(out, "%s\n", text) < 0 || fflush(out) != 0 || fsync(fileno(out)) != 0;
        if ((fclose(out) != 0 || bad) && rc == 0)
            rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", path, strerror(errno));
    }
    for (int i = 0; texts && i < rec->nshards; i++) free(texts[i]);
    free(texts);
    free(array);
    free(text);
    return rc;
}

/* Shard i's file in the directory being filled. */
static int shard_to_file(ra_store *store, restore *r, const char *tmp, int i, shard_file *sf, ra_err *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/shard-%d.rdb", tmp, i);
    r->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (r->fd < 0) return ra_err_set(err, RA_E_INTERNAL, "cannot create '%s': %s", path, strerror(errno));
    r->tmp = path;
    int rc = fetch(store, r, i, err);
    if (rc == 0 && fsync(r->fd) != 0) rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", path, strerror(errno));
    if (close(r->fd) != 0 && rc == 0) rc = ra_err_set(err, RA_E_INTERNAL, "writing '%s': %s", path, strerror(errno));
    r->fd = -1;
    r->tmp = NULL;
    *sf = (shard_file){r->rdb.total, ra_rdbparse_counts(r->parser)->keys, r->rdb.crc};
    return rc;
}

/* The filled directory into place: renamed to DIR when it does not exist, else its files moved into DIR
 * one by one (an existing DIR keeps its owner, mode and other files; --force replaces the same names). */
static int put_dir(const restore *r, const char *tmp, const char *path, int exists, int force, ra_err *err) {
    if (!exists) {
        if (rename(tmp, path) == 0) return 0;
        return ra_err_set(err, errno == EEXIST || errno == ENOTEMPTY ? RA_E_USAGE : RA_E_INTERNAL,
                          "cannot put the restored directory at '%s': %s", path,
                          errno == EEXIST || errno == ENOTEMPTY ? "it exists now" : strerror(errno));
    }
    char name[32], from[PATH_MAX], to[PATH_MAX];
    for (int i = -1; i < r->rec->nshards; i++) {
        if (i < 0) snprintf(name, sizeof(name), "cluster.json");
        else snprintf(name, sizeof(name), "shard-%d.rdb", i);
        snprintf(from, sizeof(from), "%s/%s", tmp, name);
        snprintf(to, sizeof(to), "%s/%s", path, name);
        int moved = force ? rename(from, to) : renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
        if (moved != 0)
            return ra_err_set(err, errno == EEXIST ? RA_E_USAGE : RA_E_INTERNAL, "cannot put '%s': %s", to,
                              errno == EEXIST ? "it exists now (give --force to replace it)" : strerror(errno));
    }
    rmdir(tmp);
    return 0;
}

static int to_dir(ra_app *app, ra_store *store, restore *r, const char *path, int force, ra_err *err) {
    const ra_record *rec = r->rec;
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (exists && !S_ISDIR(sb.st_mode))
        return ra_err_set(err, RA_E_USAGE, "--output '%s' is not a directory: backup '%s' is of a cluster (%d shards) "
                          "and restores into a directory, a file per shard and cluster.json", path, rec->id,
                          rec->nshards);
    if (exists && !force && !is_empty_dir(path))
        return ra_err_set(err, RA_E_USAGE, "--output '%s' is not empty: name a new or empty directory, or give "
                          "--force to replace the files of the same names", path);
    char *tmp = NULL;
    if (temp_beside(path, &tmp, err) != 0) return -1;
    if (mkdtemp(tmp) == NULL) {
        ra_err_set(err, RA_E_USAGE, "cannot create a directory beside '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    shard_file *sf = calloc((size_t)rec->nshards, sizeof(*sf));
    int rc = sf ? 0 : ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < rec->nshards; i++) rc = shard_to_file(store, r, tmp, i, &sf[i], err);
    if (rc == 0) rc = check_sum(r, err);
    if (rc == 0) rc = write_manifest(r, tmp, sf, err);
    if (rc == 0) {
        int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        rc = put_dir(r, tmp, path, exists, force, err);
    }
    if (rc != 0) remove_dir(tmp); /* nothing partial is left behind */
    free(sf);
    free(tmp);
    if (rc == 0)
        ra_log_info(&app->log, "restore.dir", "backup %s restored to '%s' (%d shards, %lld bytes, %lld keys)",
                    rec->id, path, rec->nshards, r->sum_bytes, r->sum_keys);
    return rc;
}

/* ---- --target URL --------------------------------------------------------------------------------- */

static int to_server(ra_app *app, ra_store *store, restore *r, const char *url, int replace, ra_err *err) {
    const ra_config *c = app->config;
    ra_target_opts to = {
        .url = url,
        .tls_ca_file = c->tls_ca_file,
        .tls_cert_file = c->tls_cert_file,
        .tls_key_file = c->tls_key_file,
        .tls_sni = c->tls_server_name,
        .tls_insecure = c->tls_insecure,
        .replace = replace,
        .connect_timeout_ms = c->connect_timeout * 1000,
        .read_timeout_ms = c->read_timeout * 1000,
        .cancel = app->cancel,
        .log = &app->log,
    };
    ra_target_info *info = &r->tinfo;
    r->target = ra_target_open(&to, info, err);
    if (r->target == NULL) return -1;
    if (info->keys > 0 && !replace)
        return ra_err_set(err, RA_E_USAGE, "target '%s' holds %lld keys: restore into an empty server, or give "
                          "--replace to overwrite keys of the same names", info->name, info->keys);
    ra_log_info(&app->log, "restore.target", "restoring backup %s into '%s' (%s %s, rdb version %d)%s", r->rec->id,
                info->name, info->valkey_version[0] ? "valkey" : "redis",
                info->valkey_version[0] ? info->valkey_version : info->redis_version, info->rdb_version,
                info->cluster ? ", a cluster: each key goes to the master of its slot, every database into db 0" : "");
    int rc = 0;
    for (int i = rec_first(r->rec); rc == 0 && i < rec_end(r->rec); i++) rc = fetch(store, r, i, err);
    if (rc == 0) rc = ra_target_flush(r->target, &r->st, err);
    if (rc == 0) rc = check_sum(r, err);
    if (rc == 0 && r->st.errors > 0)
        rc = ra_err_set(err, RA_E_SOURCE, "target '%s' refused %lld of the keys and functions sent; the first: %s",
                        info->name, r->st.errors, r->st.first_error);
    return rc;
}

/* pitr: restore --at's replay (NULL without --at). */
static void summary(const restore *r, const ra_restore_at *pitr, const char *where, int json) {
    double t = mono() - r->t0;
    const ra_rdb_counts *c = ra_rdbparse_counts(r->parser);
    int cluster = r->rec->nshards > 0;
    /* the object read last counts too when it failed half way into a target */
    long long bytes = r->sum_bytes + (r->obj_done ? 0 : r->rdb.total);
    long long read = r->sum_keys + (r->obj_done ? 0 : c->keys), keys = r->target ? r->st.restored : r->sum_keys;
    if (json) {
        ra_out_field f[] = {
            {"id", RA_OUT_STR, r->rec->id, 0},
            {r->target ? "target" : "output", RA_OUT_STR, where, 0},
            {"size", RA_OUT_INT, NULL, bytes},
            {"rdb_version", RA_OUT_INT, NULL, r->rdb.version},
            {"keys", RA_OUT_INT, NULL, read},
            {"restored", RA_OUT_INT, NULL, keys},
            {"skipped_expired", RA_OUT_INT, NULL, r->skipped},
            {"functions", RA_OUT_INT, NULL, r->target ? r->st.functions : r->sum_functions},
            {"errors", RA_OUT_INT, NULL, r->st.errors},
            {"ms", RA_OUT_INT, NULL, (long long)(t * 1000)},
            {"shards", RA_OUT_INT, NULL, r->rec->nshards},
        };
        if (pitr == NULL) {
            ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]) - (cluster ? 0 : 1));
            return;
        }
        char at[40];
        time_t secs = (time_t)(pitr->at_ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t k = strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(at + k, sizeof(at) - k, ".%03lldZ", pitr->at_ms % 1000);
        ra_out_field g[sizeof(f) / sizeof(f[0]) + 4];
        size_t n = sizeof(f) / sizeof(f[0]) - (cluster ? 0 : 1);
        memcpy(g, f, n * sizeof(*g));
        g[n++] = (ra_out_field){"at", RA_OUT_STR, at, 0};
        g[n++] = (ra_out_field){"replayed", RA_OUT_INT, NULL, pitr->replayed};
        g[n++] = (ra_out_field){"replay_errors", RA_OUT_INT, NULL, pitr->errors};
        g[n++] = (ra_out_field){"offset", RA_OUT_INT, NULL, pitr->offset};
        ra_output_json_object(stdout, g, n);
        return;
    }
    char shards[32] = "";
    if (cluster) snprintf(shards, sizeof(shards), "%d shards, ", r->rec->nshards);
    if (!r->target && cluster) {
        printf("backup %s restored to %s: %s%lld bytes, %lld keys, in %.1fs (%.1f MB/s)\n", r->rec->id, where, shards,
               bytes, keys, t, t > 0 ? (double)bytes / t / 1e6 : 0);
        return;
    }
    if (!r->target) {
        printf("backup %s restored to %s: %lld bytes, %lld keys, crc64 %016" PRIx64 ", in %.1fs (%.1f MB/s)\n",
               r->rec->id, where, bytes, keys, r->rdb.crc, t, t > 0 ? (double)bytes / t / 1e6 : 0);
        return;
    }
    printf("backup %s restored into %s%s: %s%lld keys", r->rec->id, where, r->tinfo.cluster ? " (cluster)" : "",
           shards, r->st.restored);
    for (size_t i = 0; i < r->ndbs; i++) printf("%sdb%d %lld", i ? ", " : " (", r->dbs[i].db, r->dbs[i].keys);
    printf("%s, %lld functions, %lld expired keys skipped, %lld errors, in %.1fs (%.1f MB/s, %.0f keys/s)\n",
           r->ndbs ? ")" : "", r->st.functions, r->skipped, r->st.errors, t,
           t > 0 ? (double)bytes / t / 1e6 : 0, t > 0 ? (double)keys / t : 0);
}

int ra_cmd_restore(ra_app *app, const ra_args *args, ra_err *err) {
    const ra_config *c = app->config;
    const char *id = args->operand, *output = ra_args_value(args, "--output"), *url = ra_args_value(args, "--target");
    int json = ra_args_at(args, "--json") > 0;
    if (id == NULL || (output == NULL) == (url == NULL))
        return ra_err_set(err, RA_E_USAGE, "restore: usage: restore ID|latest --output PATH [--force] | "
                          "restore ID|latest --target URL [--replace]");
    if ((output && *output == '\0') || (url && *url == '\0'))
        return ra_err_set(err, RA_E_USAGE, "restore: --%s needs a value", output ? "output" : "target");
    if (ra_args_at(args, "--force") && !output)
        return ra_err_set(err, RA_E_USAGE, "restore: --force goes with --output");
    if (ra_args_at(args, "--replace") && !url)
        return ra_err_set(err, RA_E_USAGE, "restore: --replace goes with --target");
    const char *at = ra_args_value(args, "--at"); /* point in time: command/restore_at.h */
    if (at && !url)
        return ra_err_set(err, RA_E_USAGE, "restore: --at goes with --target (an RDB file of a moment, --output "
                          "--at, is not supported: restore --at into a scratch redis-server, then take its RDB with "
                          "redis-cli --rdb FILE)");
    if (!ra_app_id_arg_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);

    char *target_url = url ? strdup(url) : NULL;
    if (url && target_url == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    if (url && ra_redis_url_has_password(url)) { /* hidden from /proc/PID/cmdline now, as --source is */
        ra_redis_url_scrub((char *)url);
        ra_log_warn(&app->log, "restore.password", "the --target URL carried a password, which other users could "
                    "see in the process list until it was hidden");
    }
    url = target_url;
    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) {
        free(target_url);
        return -1;
    }
    ra_record rec = {0};
    ra_restore_at pitr = {0};
    int rc = at ? ra_restore_at_pick(&store, id, at, &pitr, &rec, err) : ra_app_get_backup(&store, id, "restore", &rec, err);
    restore r = {.c = c, .rec = &rec, .fd = -1, .db = -1, .replay = url != NULL,
                 .progress = app->stderr_tty && !json};
    /* an unknown format or a missing identity is said before anything is created or connected */
    if (rc == 0) rc = object_begin(&r, rec_first(&rec), err);
    r.t0 = mono();
    int force = ra_args_at(args, "--force") > 0;
    if (rc == 0 && output && rec.nshards > 0)
        rc = to_dir(app, &store, &r, output, force, err);
    else if (rc == 0 && output)
        rc = to_file(app, &store, &r, output, force, err);
    else if (rc == 0)
        rc = to_server(app, &store, &r, url, ra_args_at(args, "--replace") > 0, err);
    if (rc == 0 && at) rc = ra_restore_at_replay(app, &store, &rec, &pitr, r.target, err);
    if (rc == 0 || (r.target && r.st.restored + r.st.errors > 0))
        summary(&r, at ? &pitr : NULL, output ? output : r.tinfo.name, json);
    ra_restore_at_clear(&pitr);
    ra_target_free(r.target);
    ra_seal_free(r.unseal);
    ra_rdbparse_free(r.parser);
    free(r.val);
    free(r.dbs);
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    if (target_url) explicit_bzero(target_url, strlen(target_url));
    free(target_url);
    return rc;
}
