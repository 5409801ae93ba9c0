/* seal.h - the transform chain between the verified RDB and the store: compressor -> encryptor on the
 * way in (seal), decryptor -> decompressor on the way out (unseal). The stored format is named by
 * its extension: "rdb", "rdb.zst", "rdb.age", "rdb.zst.age". */
#ifndef RA_TRANSFORM_SEAL_H
#define RA_TRANSFORM_SEAL_H

#include <stddef.h>

#include "common/err.h"
#include "pipeline/sink.h"
#include "transform/age.h"

typedef enum ra_compression { RA_COMPRESSION_NONE, RA_COMPRESSION_ZSTD } ra_compression;

typedef struct ra_seal_opts {
    ra_compression compression;
    int level;                              /* zstd level */
    int workers;                            /* zstd threads besides the caller's; 0: none */
    long long plain_size;                   /* RDB bytes when known, else -1 */
    const ra_age_recipient *recipients;     /* borrowed; nrecipients 0: not encrypted */
    size_t nrecipients;
} ra_seal_opts;

/* "rdb", "rdb.zst", "rdb.age" or "rdb.zst.age" (static). */
const char *ra_seal_format(int zstd, int age);
/* The reverse; NULL or "" is "rdb". -1 for any other text. */
int ra_seal_format_parse(const char *format, int *zstd, int *age);

typedef struct ra_seal ra_seal;

/* The chain for opts writing to next (borrowed: only its write is used). NULL with err set. A chain
 * with no stage is valid and passes bytes through. */
ra_seal *ra_seal_new(const ra_seal_opts *opts, const ra_sink *next, ra_err *err);
/* The chain undone: decrypt with ids when age (n >= 1, copied), then decompress when zstd. */
ra_seal *ra_unseal_new(int zstd, int age, const ra_age_identity *ids, size_t nids, const ra_sink *next, ra_err *err);
/* Its front: the sink the caller writes to (write only). */
ra_sink ra_seal_sink(ra_seal *s);
/* End of input: every stage in order writes what it holds (and unsealing checks the input ended
 * where a file may end). */
int ra_seal_finish(ra_seal *s, ra_err *err);
void ra_seal_free(ra_seal *s);

#endif
