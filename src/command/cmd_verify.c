/* cmd_verify.c - `verify ID`: read a stored backup back from S3 through the RDB verifier (magic, EOF
 * opcode, CRC-64) and the structural reader (every opcode and value), and compare its size, checksum
 * and key count with the record written when it was taken. A sealed backup is first decrypted (with
 * identity-file) and decompressed: age authenticates every chunk, zstd checks its frame checksum, and
 * the RDB checks are those of the plaintext. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "command/cli.h"
#include "command/output.h"
#include "common/text.h"
#include "source/rdb.h"
#include "source/rdbparse.h"
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
    if (rc == 0) id = rec.id; /* "latest" resolved */
    readers rd = {.parser = ra_rdbparse_new(NULL)};
    ra_rdb_init(&rd.rdb);
    if (rc == 0 && rd.parser == NULL) rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
    ra_seal *unseal = NULL;
    int plain = 1;
    ra_sink to_rdb = {.ctx = &rd, .write = rdb_write};
    if (rc == 0 && (unseal = ra_app_unseal(c, &rec, &to_rdb, &plain, err)) == NULL && !plain) rc = -1;
    if (rc == 0) {
        rc = unseal ? ra_s3_get_object(store.s3, rec.key, sealed_feed, unseal, err)
                    : ra_s3_get_object(store.s3, rec.key, feed, &rd, err);
        if (rc == 0 && unseal && ra_seal_finish(unseal, err) != 0) rc = -1;
        if (rc != 0 && err->code == RA_E_NOTFOUND)
            ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)", id,
                       rec.key);
        else if (rc != 0 && err->code == RA_E_VERIFY && unseal)
            ra_err_prefix(err, "backup '%s' ('%s') does not verify: ", id, rec.key);
        else if (rc != 0 && err->code == RA_E_VERIFY)
            ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, rec.key);
    }
    if (rc == 0) {
        if (ra_rdb_finish(&rd.rdb, err) != 0) {
            rc = -1;
        } else if (rd.bad_structure || ra_rdbparse_finish(rd.parser, &rd.structure) != 0) {
            *err = rd.structure;
            rc = -1;
        }
        if (rc != 0) ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, rec.key);
    }
    const ra_rdb_counts *counts = rd.parser ? ra_rdbparse_counts(rd.parser) : NULL;
    if (rc == 0 && rec.keys.known && counts->keys != rec.keys.total)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') holds %lld keys, its record says %lld", id, rec.key,
                        counts->keys, rec.keys.total);
    /* a whole, self-consistent RDB that is not the one recorded (replaced, or another backup's) */
    if (rc == 0 && rd.rdb.total != rec.bytes)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') holds %lld bytes, its record says %lld", id, rec.key,
                        rd.rdb.total, rec.bytes);
    if (rc == 0 && rec.crc64 != 0 && rd.rdb.crc != rec.crc64)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') has crc64 %016" PRIx64 ", its record says %016" PRIx64,
                        id, rec.key, rd.rdb.crc, rec.crc64);
    if (rc == 0) {
        char crc[17], size[16];
        snprintf(crc, sizeof(crc), "%016" PRIx64, rd.rdb.crc);
        ra_human_bytes((double)rd.rdb.total, size, sizeof(size));
        if (json) {
            ra_out_field f[] = {
                {"id", RA_OUT_STR, rec.id, 0},
                {"key", RA_OUT_STR, rec.key, 0},
                {"size", RA_OUT_INT, NULL, rd.rdb.total},
                {"crc64", RA_OUT_STR, crc, 0},
                {"rdb_version", RA_OUT_INT, NULL, rd.rdb.version},
                {"format", RA_OUT_STR, rec.format ? rec.format : "rdb", 0},
                {"keys", RA_OUT_INT, NULL, counts->keys},
                {"expires", RA_OUT_INT, NULL, counts->expires},
                {"verified", RA_OUT_BOOL, NULL, 1},
            };
            ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]));
        } else {
            printf("backup %s verified: %s (%lld bytes), RDB version %d, crc64 %s%s, %lld keys (%lld with a TTL)%s%s\n",
                   rec.id, size, rd.rdb.total, rd.rdb.version, crc,
                   rd.rdb.checksum_disabled ? " (the source wrote no checksum)" : "", counts->keys, counts->expires,
                   unseal ? ", stored as " : "", unseal ? rec.format : "");
        }
    }
    ra_seal_free(unseal);
    ra_rdbparse_free(rd.parser);
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
