/* cmd_verify.c - `verify ID`: read a stored backup back from S3 through the RDB verifier (magic, EOF
 * opcode, CRC-64) and compare its size and checksum with the record written when it was taken. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "command/cli.h"
#include "common/text.h"
#include "source/rdb.h"

static int feed(void *ctx, const void *data, size_t len, ra_err *err) {
    return ra_rdb_feed(ctx, data, len, err);
}

int ra_cmd_verify(ra_app *app, int argc, char **argv, ra_err *err) {
    const ra_config *c = app->config;
    const char *id = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (ra_flag(argc, argv, &i, "--json", NULL, err)) {
            json = 1;
        } else if (argv[i][0] != '-' && id == NULL) {
            id = argv[i];
        } else {
            return ra_unexpected(err, "verify", argv[i]);
        }
    }
    if (id == NULL) return ra_err_set(err, RA_E_USAGE, "verify: which backup? usage: verify ID [--json]");
    if (!ra_record_id_valid(id))
        return ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, c->instance);

    ra_store store;
    if (ra_app_open_store(app, &store, err) != 0) return -1;
    ra_record rec = {0};
    int rc = ra_app_get_backup(&store, id, "verify", &rec, err);
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
            json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:i, s:b}", "id", rec.id, "key", rec.key, "size",
                                  (json_int_t)rdb.total, "crc64", crc, "rdb_version", rdb.version, "verified", 1);
            char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(o);
        } else {
            printf("backup %s verified: %s (%lld bytes), RDB version %d, crc64 %s%s\n", rec.id, size, rdb.total,
                   rdb.version, crc, rdb.checksum_disabled ? " (the source wrote no checksum)" : "");
        }
    }
    ra_record_clear(&rec);
    ra_app_close_store(&store);
    return rc;
}
