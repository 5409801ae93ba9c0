/* cmd_verify.c - `verify ID|latest`: read a stored backup back from S3 through the RDB verifier (magic,
 * EOF opcode, CRC-64) and the structural reader (every opcode and value), and compare its size, checksum
 * and key count with the record written when it was taken; a cluster backup shard by shard. A sealed
 * backup is first decrypted (with identity-file) and decompressed: age authenticates every chunk, zstd
 * checks its frame checksum, and the RDB checks are those of the plaintext. A backup with an archive (point
 * in time) has it read too: every segment whole, of this chain, continuous from the backup's offset
 * (command/restore_at.h ra_restore_at_check). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/output.h"
#include "command/restore_at.h"
#include "common/text.h"
#include "source/rdb.h"
#include "source/rdbparse.h"
#include "storage/s3/download.h"
#include "transform/seal.h"

/* Both read every byte; the structure's first error waits until the framing and the CRC-64 had their
 * say, so a flipped bit is reported as a checksum mismatch wherever it landed. */
typedef struct readers {
    ra_rdb rdb;
    ra_rdbparse *parser;
    int bad_structure;
    ra_err structure;
} readers;

static int feed(void *ctx, const void *data, size_t len, ra_err *err) {
    readers *r = ctx;
    if (ra_rdb_feed(&r->rdb, data, len, err) < 0) return -1;
    if (!r->bad_structure && ra_rdbparse_feed(r->parser, data, len, &r->structure) < 0) r->bad_structure = 1;
    return 0;
}

static int rdb_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    return feed(ctx, data, len, err);
}

static int sealed_feed(void *ctx, const void *data, size_t len, ra_err *err) {
    ra_sink in = ra_seal_sink(ctx);
    return in.write(in.ctx, data, len, err);
}

/* Read one object back through the readers and compare it with what was recorded of it (keys < 0: the
 * record has no count for it). */
static int verify_one(const ra_config *c, ra_s3 *s3, const ra_record *rec, const char *key, long long bytes,
                      uint64_t crc64, long long keys, readers *rd, int *sealed, ra_err *err) {
    const char *id = rec->id;
    ra_rdb_init(&rd->rdb);
    rd->bad_structure = 0;
    ra_rdbparse_free(rd->parser);
    if ((rd->parser = ra_rdbparse_new(NULL)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_sink to_rdb = {.ctx = rd, .write = rdb_write};
    int plain = 1;
    ra_seal *unseal = ra_app_unseal(c, rec, &to_rdb, &plain, err);
    if (unseal == NULL && !plain) return -1;
    *sealed = unseal != NULL;
    ra_download_opts dl = {.concurrency = c->concurrency}; /* ranged GETs in parallel, handed on in order */
    int rc = unseal ? ra_s3_download(s3, key, &dl, sealed_feed, unseal, err) : ra_s3_download(s3, key, &dl, feed, rd, err);
    if (rc == 0 && unseal && ra_seal_finish(unseal, err) != 0) rc = -1;
    if (rc != 0 && err->code == RA_E_NOTFOUND)
        ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)", id, key);
    else if (rc != 0 && err->code == RA_E_VERIFY && unseal)
        ra_err_prefix(err, "backup '%s' ('%s') does not verify: ", id, key);
    else if (rc != 0 && err->code == RA_E_VERIFY)
        ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, key);
    if (rc == 0) {
        if (ra_rdb_finish(&rd->rdb, err) != 0) {
            rc = -1;
        } else if (rd->bad_structure || ra_rdbparse_finish(rd->parser, &rd->structure) != 0) {
            *err = rd->structure;
            rc = -1;
        }
        if (rc != 0) ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, key);
    }
    const ra_rdb_counts *counts = ra_rdbparse_counts(rd->parser);
    if (rc == 0 && keys >= 0 && counts->keys != keys)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') holds %lld keys, its record says %lld", id, key,
                        counts->keys, keys);
    /* a whole, self-consistent RDB that is not the one recorded (replaced, or another backup's) */
    if (rc == 0 && rd->rdb.total != bytes)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') holds %lld bytes, its record says %lld", id, key,
                        rd->rdb.total, bytes);
    if (rc == 0 && crc64 != 0 && rd->rdb.crc != crc64)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') has crc64 %016" PRIx64 ", its record says %016" PRIx64,
                        id, key, rd->rdb.crc, crc64);
    ra_seal_free(unseal);
    return rc;
}

/* The archive (point in time) of the object's stream as a JSON object's text (caller frees), or NULL. */
static char *archive_json(const ra_restore_at_checked *ck) {
    char from[32], to[32];
    ra_time_iso((time_t)(ck->first_ms / 1000), from);
    ra_time_iso((time_t)(ck->last_ms / 1000), to);
    ra_out_field f[] = {
        {"segments", RA_OUT_INT, NULL, ck->segments}, {"bytes", RA_OUT_INT, NULL, ck->bytes},
        {"commands", RA_OUT_INT, NULL, ck->commands}, {"first", RA_OUT_INT, NULL, ck->first},
        {"last", RA_OUT_INT, NULL, ck->last},         {"from", RA_OUT_STR, from, 0},
        {"to", RA_OUT_STR, to, 0},
    };
    return ra_output_json_text(f, sizeof(f) / sizeof(f[0]));
}

/* One verified object (and the archive of its stream, ck, when it has one): a JSON object's text (caller
 * frees), or lines on stdout and NULL. */
static char *report(const ra_record *rec, const char *key, const readers *rd, int sealed, int shard,
                    const ra_restore_at_checked *ck, int json) {
    char crc[17], size[16];
    const ra_rdb *rdb = &rd->rdb;
    const ra_rdb_counts *counts = ra_rdbparse_counts(rd->parser);
    snprintf(crc, sizeof(crc), "%016" PRIx64, rdb->crc);
    ra_human_bytes((double)rdb->total, size, sizeof(size));
    if (json) {
        ra_out_field f[] = {
            {"id", RA_OUT_STR, rec->id, 0},
            {"key", RA_OUT_STR, key, 0},
            {"size", RA_OUT_INT, NULL, rdb->total},
            {"crc64", RA_OUT_STR, crc, 0},
            {"rdb_version", RA_OUT_INT, NULL, rdb->version},
            {"format", RA_OUT_STR, rec->format ? rec->format : "rdb", 0},
            {"keys", RA_OUT_INT, NULL, counts->keys},
            {"expires", RA_OUT_INT, NULL, counts->expires},
            {"verified", RA_OUT_BOOL, NULL, 1},
            {"archive", RA_OUT_JSON, NULL, 0},
            {"shard", RA_OUT_INT, NULL, shard},
            {"slots", RA_OUT_STR, shard >= 0 ? rec->shards[shard].slots : NULL, 0},
        };
        size_t nf = sizeof(f) / sizeof(f[0]) - (shard >= 0 ? 0 : 2);
        char *arch = ck ? archive_json(ck) : NULL;
        if (arch) f[9].str = arch;
        else memmove(&f[9], &f[10], (nf - 10) * sizeof(f[0])), nf--; /* no archive: no field */
        char *text = ra_output_json_text(f, nf);
        free(arch);
        return text;
    }
    char shard_text[64] = "";
    if (shard >= 0)
        snprintf(shard_text, sizeof(shard_text), " shard %d (slots %.30s)", shard, rec->shards[shard].slots);
    printf("backup %s%s verified: %s (%lld bytes), RDB version %d, crc64 %s%s, %lld keys (%lld with a TTL)%s%s\n",
           rec->id, shard_text, size, rdb->total, rdb->version, crc,
           rdb->checksum_disabled ? " (the source wrote no checksum)" : "", counts->keys, counts->expires,
           sealed ? ", stored as " : "", sealed ? rec->format : "");
    if (ck) {
        char from[32], to[32];
        ra_time_iso((time_t)(ck->first_ms / 1000), from);
        ra_time_iso((time_t)(ck->last_ms / 1000), to);
        printf("  archive verified: %lld segments, stream %lld-%lld (%lld bytes, %lld commands), %s..%s, whole and "
               "continuous from the backup's offset\n", ck->segments, ck->first, ck->last, ck->bytes, ck->commands,
               from, to);
    }
    return NULL;
}

int ra_cmd_verify(ra_app *app, const ra_args *args, ra_err *err) {
    const ra_config *c = app->config;
    const char *id = args->operand;
    int json = ra_args_at(args, "--json") > 0;
    if (id == NULL) return ra_err_set(err, RA_E_USAGE, "verify: which backup? usage: verify ID|latest [--json]");
    if (!ra_app_id_arg_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);

    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec = {0};
    int rc = ra_app_get_backup(&store, id, "verify", &rec, err);
    readers rd = {0};
    int sealed = 0;
    /* its archive (point in time), when it has one: every stream read whole and checked, before the RDBs */
    ra_restore_at chain = {0};
    ra_restore_at_checked *ck = NULL;
    long long from, to;
    int has = rc == 0 ? ra_restore_at_load(&store, &rec, &chain, &from, &to, err) : 0;
    if (has < 0) rc = -1;
    if (has > 0 && (ck = calloc((size_t)chain.streams, sizeof(*ck))) == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (int s = 0; rc == 0 && ck && s < chain.streams; s++)
        if ((rc = ra_restore_at_check(&store, &rec, &chain, s, &ck[s], err)) != 0)
            ra_err_prefix(err, "the archive of backup %s: ", rec.id);
    ra_restore_at_clear(&chain);
    if (rc == 0 && rec.nshards == 0) {
        rc = verify_one(c, store.s3, &rec, rec.key, rec.bytes, rec.crc64, rec.keys.known ? rec.keys.total : -1, &rd,
                        &sealed, err);
        if (rc == 0) {
            char *text = report(&rec, rec.key, &rd, sealed, -1, ck, json);
            if (json) printf("%s\n", text ? text : "null");
            free(text);
        }
    } else if (rc == 0) {
        /* a cluster backup: every shard, each against its own size, CRC-64 and key count */
        char **texts = calloc((size_t)rec.nshards, sizeof(*texts));
        if (texts == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        for (int i = 0; rc == 0 && i < rec.nshards; i++) {
            const ra_record_shard *sh = &rec.shards[i];
            rc = verify_one(c, store.s3, &rec, sh->key, sh->bytes, sh->crc64, sh->keys.known ? sh->keys.total : -1,
                            &rd, &sealed, err);
            if (rc == 0) texts[i] = report(&rec, sh->key, &rd, sealed, i, ck ? &ck[i] : NULL, json);
            else ra_err_prefix(err, "shard %d (slots %s): ", i, sh->slots ? sh->slots : "?");
        }
        if (rc == 0 && json) ra_output_json_array(stdout, texts, (size_t)rec.nshards);
        for (int i = 0; texts != NULL && i < rec.nshards; i++) free(texts[i]);
        free(texts);
    }
    free(ck);
    ra_rdbparse_free(rd.parser);
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
