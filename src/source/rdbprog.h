/* rdbprog.h - private to rdbparse.c: the programs its interpreter runs, one per opcode and value type,
 * written from what Redis's rdb.c saves (rdbSaveObject, rdbSaveRio). Tables, included once. */
#ifndef RA_SOURCE_RDBPROG_H
#define RA_SOURCE_RDBPROG_H

#include <stdint.h>

#include "source/rdbblob.h"
#include "source/rdbparse.h"

/* opcodes (rdb.h RDB_OPCODE_*) */
enum { OP_SLOT_INFO = 0xf4, OP_FUNCTION2, OP_FUNCTION_PRE_GA, OP_MODULE_AUX, OP_IDLE, OP_FREQ, OP_AUX, OP_RESIZEDB,
       OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF };

/* program steps */
enum {
    P_END,    /* program done */
    P_LEN,    /* a length (rdbLoadLen), kept as the loop count */
    P_MODID,  /* a length that is a module type id */
    P_STR,    /* a string: plain, integer (1/2/4 bytes) or LZF */
    P_KEY,    /* a string kept as the key name */
    P_FIX,    /* operand n: n raw bytes */
    P_FIXCAP, /* operand n: n raw bytes, kept (expire, freq) */
    P_DBL,    /* an old-style double: 1 length byte (253..255: nan, +inf, -inf) and that many ASCII bytes */
    P_LOOP,   /* run the steps up to the matching P_NEXT as often as the last P_LEN said (0: skip them) */
    P_NEXT,
    P_MODVAL, /* module value: typed fields (RDB_MODULE_OPCODE_*) up to RDB_MODULE_OPCODE_EOF */
    P_BLOB,   /* operand B_*: a string holding a ziplist, listpack or intset, its header checked */
};

/* Blobs whose header is checked when stored plain (an LZF-compressed one is only skipped): RA_RDB_BLOB_* of
 * rdbblob.h, and a quicklist2 node's, a listpack only when packed (container 2; 1 is a plain node). */
enum { B_NONE = RA_RDB_BLOB_NONE, B_ZIPLIST = RA_RDB_BLOB_ZIPLIST, B_LISTPACK = RA_RDB_BLOB_LISTPACK,
       B_INTSET = RA_RDB_BLOB_INTSET, B_LISTPACK_IF_PACKED };

static const uint8_t prog_blob[] = {P_STR, P_END}; /* strings, zipmaps, functions */
static const uint8_t prog_ziplist[] = {P_BLOB, B_ZIPLIST, P_END};
static const uint8_t prog_listpack[] = {P_BLOB, B_LISTPACK, P_END};
static const uint8_t prog_intset[] = {P_BLOB, B_INTSET, P_END};
static const uint8_t prog_list[] = {P_LEN, P_LOOP, P_STR, P_NEXT, P_END};
static const uint8_t prog_quicklist[] = {P_LEN, P_LOOP, P_BLOB, B_ZIPLIST, P_NEXT, P_END};
static const uint8_t prog_zset[] = {P_LEN, P_LOOP, P_STR, P_DBL, P_NEXT, P_END};
static const uint8_t prog_zset2[] = {P_LEN, P_LOOP, P_STR, P_FIX, 8, P_NEXT, P_END};
static const uint8_t prog_hash[] = {P_LEN, P_LOOP, P_STR, P_STR, P_NEXT, P_END};
static const uint8_t prog_quicklist2[] = {P_LEN, P_LOOP, P_LEN, P_BLOB, B_LISTPACK_IF_PACKED, P_NEXT, P_END};
static const uint8_t prog_module[] = {P_MODID, P_MODVAL, P_END};
static const uint8_t prog_hash_meta_pre[] = {P_LEN, P_LOOP, P_LEN, P_STR, P_STR, P_NEXT, P_END}; /* ttl f v */
static const uint8_t prog_hash_meta[] = {P_FIX, 8, P_LEN, P_LOOP, P_LEN, P_STR, P_STR, P_NEXT, P_END};
static const uint8_t prog_hash_lp_ex[] = {P_FIX, 8, P_BLOB, B_LISTPACK, P_END}; /* minExpire, listpack */

/* Streams (rdbSaveObject OBJ_STREAM): listpacks (node key, listpack), length, last id; v2 adds first id,
 * max deleted id, entries added, and a group's entries read; v3 a consumer's active time. */
#define STREAM_NODES P_LEN, P_LOOP, P_STR, P_BLOB, B_LISTPACK, P_NEXT, P_LEN, P_LEN, P_LEN
#define STREAM_PEL P_LEN, P_LOOP, P_FIX, 16, P_FIX, 8, P_LEN, P_NEXT
#define CONSUMER_PEL P_LEN, P_LOOP, P_FIX, 16, P_NEXT, P_NEXT
static const uint8_t prog_stream1[] = {STREAM_NODES, P_LEN, P_LOOP, P_STR, P_LEN, P_LEN, STREAM_PEL,
                                       P_LEN, P_LOOP, P_STR, P_FIX, 8, CONSUMER_PEL, P_NEXT, P_END};
static const uint8_t prog_stream2[] = {STREAM_NODES, P_LEN, P_LEN, P_LEN, P_LEN, P_LEN,
                                       P_LEN, P_LOOP, P_STR, P_LEN, P_LEN, P_LEN, STREAM_PEL,
                                       P_LEN, P_LOOP, P_STR, P_FIX, 8, CONSUMER_PEL, P_NEXT, P_END};
static const uint8_t prog_stream3[] = {STREAM_NODES, P_LEN, P_LEN, P_LEN, P_LEN, P_LEN,
                                       P_LEN, P_LOOP, P_STR, P_LEN, P_LEN, P_LEN, STREAM_PEL,
                                       P_LEN, P_LOOP, P_STR, P_FIX, 8, P_FIX, 8, CONSUMER_PEL, P_NEXT, P_END};

static const uint8_t prog_one_len[] = {P_LEN, P_END};     /* SELECTDB, IDLE */
static const uint8_t prog_two_len[] = {P_LEN, P_LEN, P_END}; /* RESIZEDB */
static const uint8_t prog_slot_info[] = {P_LEN, P_LEN, P_LEN, P_END};
static const uint8_t prog_expire_s[] = {P_FIXCAP, 4, P_END};
static const uint8_t prog_expire_ms[] = {P_FIXCAP, 8, P_END};
static const uint8_t prog_freq[] = {P_FIXCAP, 1, P_END};
static const uint8_t prog_aux[] = {P_STR, P_STR, P_END};
static const uint8_t prog_module_aux[] = {P_MODID, P_LEN, P_LEN, P_MODVAL, P_END}; /* id, when opcode, when */
static const uint8_t prog_key[] = {P_KEY, P_END};

typedef struct value_type {
    const uint8_t *prog;
    ra_rdb_kind kind;
    uint8_t blob; /* the value is one string (of this B_* kind): the counting fast path takes it */
    uint8_t single;
} value_type;

/* by RDB type byte (rdb.h RDB_TYPE_*); NULL: not a type this reader knows */
static const value_type types[] = {
    [0] = {prog_blob, RA_RDB_STRING, B_NONE, 1},   [1] = {prog_list, RA_RDB_LIST, 0, 0},
    [2] = {prog_list, RA_RDB_SET, 0, 0},           [3] = {prog_zset, RA_RDB_ZSET, 0, 0},
    [4] = {prog_hash, RA_RDB_HASH, 0, 0},          [5] = {prog_zset2, RA_RDB_ZSET, 0, 0},
    [7] = {prog_module, RA_RDB_MODULE, 0, 0},
    [9] = {prog_blob, RA_RDB_HASH, B_NONE, 1}, /* zipmap */
    [10] = {prog_ziplist, RA_RDB_LIST, B_ZIPLIST, 1}, [11] = {prog_intset, RA_RDB_SET, B_INTSET, 1},
    [12] = {prog_ziplist, RA_RDB_ZSET, B_ZIPLIST, 1}, [13] = {prog_ziplist, RA_RDB_HASH, B_ZIPLIST, 1},
    [14] = {prog_quicklist, RA_RDB_LIST, 0, 0},    [15] = {prog_stream1, RA_RDB_STREAM, 0, 0},
    [16] = {prog_listpack, RA_RDB_HASH, B_LISTPACK, 1}, [17] = {prog_listpack, RA_RDB_ZSET, B_LISTPACK, 1},
    [18] = {prog_quicklist2, RA_RDB_LIST, 0, 0},   [19] = {prog_stream2, RA_RDB_STREAM, 0, 0},
    [20] = {prog_listpack, RA_RDB_SET, B_LISTPACK, 1}, [21] = {prog_stream3, RA_RDB_STREAM, 0, 0},
    [22] = {prog_hash_meta_pre, RA_RDB_HASH, 0, 0},
    [23] = {prog_listpack, RA_RDB_HASH, B_LISTPACK, 1}, /* 7.4 RCs */
    [24] = {prog_hash_meta, RA_RDB_HASH, 0, 0},    [25] = {prog_hash_lp_ex, RA_RDB_HASH, 0, 0},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

#endif
