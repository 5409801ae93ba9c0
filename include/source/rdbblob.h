/* rdbblob.h - pure checks of the blobs RDB values hold (ziplist, listpack, intset): their own length
 * field equal to the string that holds them, the end byte 0xff, an intset's size from its encoding. */
#ifndef RA_SOURCE_RDBBLOB_H
#define RA_SOURCE_RDBBLOB_H

#include <stdint.h>

enum { RA_RDB_BLOB_NONE, RA_RDB_BLOB_ZIPLIST, RA_RDB_BLOB_LISTPACK, RA_RDB_BLOB_INTSET };

/* NULL when a plain blob of len bytes, starting with head (its first 8 bytes, or all of a shorter one)
 * and ending with last, is what kind (RA_RDB_BLOB_*) says; else what is wrong ("a bad listpack"). */
const char *ra_rdb_blob_wrong(int kind, const uint8_t *head, uint64_t len, uint8_t last);

#endif
