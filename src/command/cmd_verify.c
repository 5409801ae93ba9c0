/* cmd_verify.c - `verify ID`: read a stored backup back from S3 through the RDB verifier (magic, EOF
 * opcode, CRC-64) and compare its size and checksum with the record written when it was taken. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "command/cli.h"
#include "command/output.h"
#include "common/text.h"
#include "source/rdb.h"

static int feed(void *ctx, const void *data, size_t len, ra_err *err) {
    return ra_rdb_feed(ctx, data, len, err);
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
    ra_rdb rdb;
    ra_rdb_init(&rdb);
    if (rc == 0) {
        rc = ra_s3_get_object(store.s3, rec.key, feed, &rdb, err);
        if (rc != 0 && err->code == RA_E_NOTFOUND)
            ra_err_set(err, RA_E_NOTFOUND, "backup '%s' has a record but its object '%s' is gone (expired?)", id,
                       rec.key);
        else if (rc != 0 && err->code == RA_E_VERIFY)
            ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, rec.key);
    }
    if (rc == 0 && ra_rdb_finish(&rdb, err) != 0) rc = ra_err_prefix(err, "backup '%s' ('%s') is damaged: ", id, rec.key);
    /* a whole, self-consistent RDB that is not the one recorded (replaced, or another backup's) */
    if (rc == 0 && rdb.total != rec.bytes)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') holds %lld bytes, its record says %lld", id, rec.key,
                        rdb.total, rec.bytes);
    if (rc == 0 && rec.crc64 != 0 && rdb.crc != rec.crc64)
        rc = ra_err_set(err, RA_E_VERIFY, "backup '%s' ('%s') has crc64 %016" PRIx64 ", its record says %016" PRIx64,
                        id, rec.key, rdb.crc, rec.crc64);
    if (rc == 0) {
        char crc[17], size[16];
        snprintf(crc, sizeof(crc), "%016" PRIx64, rdb.crc);
        ra_human_bytes((double)rdb.total, size, sizeof(size));
        if (json) {
            ra_out_field f[] = {
                {"id", RA_OUT_STR, rec.id, 0},
                {"key", RA_OUT_STR, rec.key, 0},
                {"size", RA_OUT_INT, NULL, rdb.total},
                {"crc64", RA_OUT_STR, crc, 0},
                {"rdb_version", RA_OUT_INT, NULL, rdb.version},
                {"verified", RA_OUT_BOOL, NULL, 1},
            };
            ra_output_json_object(stdout, f, sizeof(f) / sizeof(f[0]));
        } else {
            printf("backup %s verified: %s (%lld bytes), RDB version %d, crc64 %s%s\n", rec.id, size, rdb.total,
                   rdb.version, crc, rdb.checksum_disabled ? " (the source wrote no checksum)" : "");
        }
    }
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
