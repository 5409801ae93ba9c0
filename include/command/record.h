/* record.h - a backup's record: what `list` and `status` show, kept as JSON in the bucket beside the
 * RDB (<prefix><instance>/<id>.json), so another process or a restarted container sees it. */
#ifndef RA_COMMAND_RECORD_H
#define RA_COMMAND_RECORD_H

#include <stdint.h>
#include <time.h>

#include "common/err.h"
#include "transform/seal.h"
#include "source/rdbparse.h"

#define RA_REMARK_MAX 256  /* bytes of UTF-8 */
#define RA_ID_MAX 40

typedef enum ra_state { RA_STATE_RUNNING, RA_STATE_SUCCEEDED, RA_STATE_FAILED, RA_STATE_CANCELLED } ra_state;

/* What the structural reader counted in the RDB (source/rdbparse.h), kept in the record as "keys". */
typedef struct ra_record_dbkeys {
    int db;
    long long keys;
    long long expires;
} ra_record_dbkeys;

typedef struct ra_record_keys {
    int known;                      /* 0: not counted (older records, or the reader gave up) */
    long long total;
    long long expires;              /* keys with a TTL */
    long long functions;            /* function libraries */
    long long kinds[RA_RDB_KINDS];  /* by ra_rdb_kind */
    ra_record_dbkeys *dbs;          /* owned */
    size_t ndbs;
} ra_record_keys;
/* One shard of a cluster backup: its slots, nodes and object. */
typedef struct ra_record_shard {
    char *slots;            /* "0-5460,5462" */
    char *master_id;        /* the shard's master: node id and host:port */
    char *master;
    char *node_id;          /* the node synced from (a replica, or the master with allow-master) */
    char *node;
    char *replid;
    long long offset;       /* -1 unknown */
    long long bytes;        /* RDB bytes */
    long long stored;       /* object bytes */
    uint64_t crc64;
    char *key;              /* <prefix><instance>/<id>/shard-<n>.<format> */
    double started;         /* seconds after the first shard's snapshot started streaming */
    ra_record_keys keys;    /* this shard's counts; the record's keys are their sum */
} ra_record_shard;

typedef struct ra_record {
    char id[RA_ID_MAX];     /* 20261124T020512Z-3fa9: sorts by start time */
    char *instance;
    char *key;              /* object key of the RDB: <id>.<format> */
    int automatic;          /* 1 = type auto (scheduled), 0 = manual */
    char *remark;           /* UTF-8, may be NULL */
    time_t started;
    time_t finished;        /* 0 while running */
    time_t heartbeat;       /* last update by the running process */
    ra_state state;
    long long bytes;        /* bytes streamed so far (the size once succeeded) */
    double rate;            /* bytes per second over the run */
    uint64_t crc64;         /* RDB CRC-64 once verified */
    char *error;            /* one line, when failed/cancelled */
    char *source;           /* host:port synced from, no credentials */
    char *redis_version;
    char *replid;
    long long offset;
    char *tool_version;
    char *host;             /* where the archiver ran */
    long pid;
    char *format;           /* what the object holds: "rdb", "rdb.zst", "rdb.age", "rdb.zst.age"; NULL: "rdb"
                               (records from before formats) */
    char *recipients;       /* encrypted: the recipients' fingerprints (ra_age_recipient), comma separated */
    long long stored;       /* bytes of the object (after compression and encryption); 0: not recorded */
    char *exit_class;       /* failed/cancelled: the error's class (ra_err_code_name: "source", "store",
                               "verify", ...), which gives the exit code; NULL otherwise */
    int keep;               /* pinned (backup --keep, `keep ID`): never expired */
    int unchecked;          /* the RDB had no CRC-64 (rdbchecksum no, allow-unchecked-rdb): framing only */
    ra_record_shard *shards; /* a cluster backup: one per shard (key is then the first shard's); NULL else */
    int nshards;
    double skew;            /* cluster: seconds between the first and the last shard's snapshot start */
    char *moving;           /* cluster, allow-migrating: the slots that moved meanwhile */
    /* Where pid means something: the kernel's boot id and the PID namespace ("pid:[4026531836]")
     * of the archiver; a pid is only looked up when both match the reader's (NULL: unknown). */
    char *boot_id;
    char *pid_ns;
    ra_record_keys keys;
} ra_record;

void ra_record_clear(ra_record *r);
/* The reader's counts into r->keys (replacing what was there); -1 when out of memory. */
int ra_record_set_keys(ra_record *r, const ra_rdb_counts *c, ra_err *err);
/* The same into any ra_record_keys (a cluster shard's). */
int ra_record_keys_set(ra_record_keys *k, const ra_rdb_counts *c, ra_err *err);
/* Add src's counts to dst (dbs merged by number); dst stays known only while both are (start a sum
 * from {.known = 1}). -1: out of memory. */
int ra_record_keys_add(ra_record_keys *dst, const ra_record_keys *src, ra_err *err);
/* A new id from a start time and 16 random bits. */
void ra_record_make_id(char id[RA_ID_MAX], time_t started, unsigned rnd);
/* Is id of the shape ra_record_make_id makes (safe to put into an object key)? */
int ra_record_id_valid(const char *id);

const char *ra_state_name(ra_state s);
/* Keys: "<prefix><instance>/<id>.rdb" and ".json"; caller frees. */
char *ra_record_rdb_key(const char *prefix, const char *instance, const char *id);
char *ra_record_json_key(const char *prefix, const char *instance, const char *id);
/* "<prefix><instance>/<id>.<format>" (format NULL: "rdb"); caller frees. NULL when out of memory or
 * format is not one of the four. */
char *ra_record_object_key(const char *prefix, const char *instance, const char *id, const char *format);

/* "<prefix><instance>/<id>/shard-<n>.<format>" (format NULL: "rdb"); caller frees. */
char *ra_record_shard_key(const char *prefix, const char *instance, const char *id, int n, const char *format);
/* Every object key of r (its shards', or its one key) into keys[0..cap); returns how many. Borrowed. */
int ra_record_object_keys(const ra_record *r, const char **keys, int cap);

/* Format and recipients' fingerprints of a backup sealed with so (NULL: plain "rdb"). */
void ra_record_set_seal(ra_record *r, const ra_seal_opts *so);

/* A failed or cancelled run: state, error message and exit class from err. */
void ra_record_set_error(ra_record *r, const ra_err *err);

/* Remark rules: valid UTF-8, <= RA_REMARK_MAX bytes, no control characters. */
int ra_remark_check(const char *remark, ra_err *err);

/* JSON text of a record (caller frees) and back. */
char *ra_record_to_json(const ra_record *r);
int ra_record_from_json(ra_record *r, const char *text, size_t len, ra_err *err);

/* ISO 8601 UTC ("2026-11-24T02:05:12Z"); "" for 0. */
void ra_time_iso(time_t t, char out[32]);
time_t ra_time_parse_iso(const char *s);

#endif
