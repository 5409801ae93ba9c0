/* rdbblob.c - the headers of the blobs an RDB value holds, as ziplist.c, listpack.c and intset.c write them. */
#include "source/rdbblob.h"

#include <stddef.h>

static uint32_t le32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

const char *ra_rdb_blob_wrong(int kind, const uint8_t *head, uint64_t len, uint8_t last) {
    switch (kind) {
    case RA_RDB_BLOB_ZIPLIST:
        if (len < 11 || le32(head) != len || le32(head + 4) >= len || last != 0xff) return "a bad ziplist";
        return NULL;
    case RA_RDB_BLOB_LISTPACK:
        if (len < 7 || le32(head) != len || last != 0xff) return "a bad listpack";
        return NULL;
    case RA_RDB_BLOB_INTSET: {
        uint32_t enc = len >= 8 ? le32(head) : 0;
        if (len < 8 || (enc != 2 && enc != 4 && enc != 8) || (uint64_t)le32(head + 4) * enc + 8 != len)
            return "a bad intset";
        return NULL;
    }
    default: return NULL;
    }
}
