/* config.h - settings from flags, REDIS_ARCHIVER_* variables and a redis.conf-like file, driven by
 * one option table that also writes --help and the sample conf/redis-archiver.conf. Files:
 * option.c (the table, setting values; pure), value.c (value text forms; pure), load.c (argv,
 * environment, files), print.c (`config`, --help, the sample). */
#ifndef RA_CONFIG_CONFIG_H
#define RA_CONFIG_CONFIG_H

#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "config/schedule.h"
#include "config/value.h"

#define RA_CONFIG_DEFAULT_FILE "/etc/redis-archiver/redis-archiver.conf"
#define RA_CONFIG_ENV_PREFIX "REDIS_ARCHIVER_"
#define RA_CONFIG_VALUE_MAX 4000  /* bytes of any one value */
#define RA_RETENTION_DAYS_MAX 3650  /* retention-days and retention --days */

#define RA_PATH_STYLE_AUTO 2 /* path-style auto: ra_s3_config.path_style RA_S3_PATH_STYLE_AUTO */

typedef enum ra_config_log_format {
    RA_CONFIG_LOG_AUTO,  /* text on a terminal, JSON lines otherwise */
    RA_CONFIG_LOG_TEXT,
    RA_CONFIG_LOG_JSON,
} ra_config_log_format;

/* Where a key's effective value came from. */
typedef enum ra_config_origin {
    RA_ORIGIN_DEFAULT,
    RA_ORIGIN_FILE,
    RA_ORIGIN_ENV,
    RA_ORIGIN_FLAG,
    RA_ORIGIN_AMBIENT,  /* another tool's variable, named by origin_var: AWS_REGION, AWS_ENDPOINT_URL... */
} ra_config_origin;

/* Index of each key in the option table (ra_config_key_name gives its name). */
typedef enum ra_config_key {
    RA_KEY_SOURCE, RA_KEY_INSTANCE, RA_KEY_ENDPOINT, RA_KEY_PUBLIC_ENDPOINT, RA_KEY_REGION,
    RA_KEY_BUCKET, RA_KEY_PREFIX, RA_KEY_PATH_STYLE, RA_KEY_PART_SIZE, RA_KEY_CONCURRENCY, RA_KEY_PART_CHECKSUM,
    RA_KEY_PART_SIZE_GROWTH, RA_KEY_SSE, RA_KEY_SSE_KMS_KEY_ID, RA_KEY_STORAGE_CLASS,
    RA_KEY_RETENTION_DAYS, RA_KEY_WINDOW, RA_KEY_WEEKDAYS, RA_KEY_TIMEZONE, RA_KEY_URL_EXPIRY,
    RA_KEY_TLS_CA_FILE, RA_KEY_TLS_CERT_FILE, RA_KEY_TLS_KEY_FILE, RA_KEY_TLS_SERVER_NAME,
    RA_KEY_TLS_INSECURE, RA_KEY_S3_CA_FILE, RA_KEY_S3_INSECURE, RA_KEY_ALLOW_MASTER,
    RA_KEY_PICK_REPLICA, RA_KEY_REPLICA_ALLOW, RA_KEY_ALLOW_UNCHECKED_RDB, RA_KEY_ALLOW_MIGRATING, RA_KEY_SENTINEL_MASTER, RA_KEY_CONNECT_TIMEOUT, RA_KEY_READ_TIMEOUT, RA_KEY_SYNC_TIMEOUT, RA_KEY_SWEEP,
    RA_KEY_COMPRESSION, RA_KEY_COMPRESSION_LEVEL, RA_KEY_COMPRESSION_THREADS, RA_KEY_ENCRYPT_RECIPIENT, RA_KEY_ENCRYPT_RECIPIENTS_FILE,
    RA_KEY_IDENTITY_FILE,
    RA_KEY_RETRIES, RA_KEY_RETRY_DELAY, RA_KEY_METRICS_FILE, RA_KEY_LISTEN_ADDRESS, RA_KEY_HEALTH_MAX_AGE,
    RA_KEY_NOTIFY_URL, RA_KEY_NOTIFY_ON, RA_KEY_NOTIFY_COMMAND, RA_KEY_RETENTION_KEEP, RA_KEY_PROGRESS_INTERVAL,
    RA_KEY_SEGMENT_SECONDS, RA_KEY_SEGMENT_SIZE, RA_KEY_ARCHIVE_QUEUE,
    RA_KEY_LOG_FORMAT, RA_KEY_LOG_LEVEL, RA_KEY_CONFIG,
    RA_CONFIG_NKEYS
} ra_config_key;

/* Effective settings. Strings are owned (freed by ra_config_clear); an empty setting is NULL. */
typedef struct ra_config {
    char *source;            /* redis://[user:password@]host:port or rediss://; never NULL */
    char *instance;          /* [A-Za-z0-9._-]+, part of object keys; never NULL */
    char *endpoint;          /* S3 endpoint URL; unset: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL (filled by
                                ra_config_load), else NULL = AWS for the region */
    char *public_endpoint;   /* endpoint presigned URLs are signed for; NULL = endpoint */
    char *region;            /* unset: AWS_REGION, AWS_DEFAULT_REGION, the AWS config file's profile,
                                else RA_S3_REGION_DEFAULT, filled
                                by ra_config_load (NULL only before it) */
    char *bucket;            /* NULL = not set: see ra_config_require_bucket */
    char *prefix;            /* "" or ends with '/'; never NULL */
    int path_style;          /* 0 no (virtual-hosted), 1 yes, RA_PATH_STYLE_AUTO: chosen by the s3 client */
    long long part_size;     /* bytes, 5 MiB .. 5 GiB */
    int concurrency;         /* parts in flight, 1..64 */
    int part_checksum;       /* auto, sha256, md5, none, crc32c: the order of ra_upload_checksum */
    int part_size_growth;    /* auto, yes, no: the order of ra_upload_growth */
    int sse;                 /* none, AES256, aws:kms: the order of ra_s3_sse */
    char *sse_kms_key_id;    /* NULL = the bucket's or account's default KMS key */
    char *storage_class;     /* NULL = the store's default (STANDARD) */
    int retention_days;      /* 1..3650 */
    ra_window window;        /* daily backup window, local time of `timezone` */
    unsigned weekdays;       /* bit 0 = Sunday; RA_WEEKDAYS_ALL */
    char *timezone;          /* as written: "UTC", "+08:00", "Asia/Shanghai"; never NULL */
    int tz_fixed;            /* 1: `timezone` is a fixed offset (UTC, Z, +HH:MM), see tz_offset */
    long tz_offset;          /* seconds east of UTC when tz_fixed */
    long url_expiry;         /* seconds, 1 .. 604800 */
    char *tls_ca_file;       /* rediss: CA bundle; NULL = system */
    char *tls_cert_file;
    char *tls_key_file;
    char *tls_server_name;   /* NULL = host of the URL */
    int tls_insecure;
    char *s3_ca_file;        /* NULL = system */
    int s3_insecure;
    int allow_master;
    int pick_replica;
    char *replica_allow;     /* hosts a picked replica may be on besides the master's; NULL = none */
    int allow_unchecked_rdb; /* accept an RDB without a CRC-64 (rdbchecksum no) */
    int allow_migrating;     /* cluster: back up while slots migrate or are uncovered (recorded) */
    char *sentinel_master;   /* NULL: source is the data node; else a Sentinel and this master name */
    long connect_timeout;    /* seconds */
    long read_timeout;       /* seconds */
    long sync_timeout;       /* seconds: keep-alives only, before the RDB starts */
    int sweep;               /* backup deletes expired backups itself at its end */
    int compression;         /* none, zstd: the order of ra_compression */
    int compression_level;   /* zstd level, RA_COMPRESSION_LEVEL_MIN..MAX */
    int compression_threads; /* zstd worker threads besides the one reading the replica, 0..RA_COMPRESSION_THREADS_MAX */
    char *encrypt_recipient; /* age1... recipients, comma or space separated; NULL = none */
    char *encrypt_recipients_file; /* a file of age1... recipients (age -R); NULL = none */
    char *identity_file;     /* age identity file (AGE-SECRET-KEY-1...) that verify decrypts with */
    int retries;             /* schedule: attempts after a failed one inside the window, 0..RA_RETRIES_MAX */
    long retry_delay;        /* seconds before the first retry; doubled each time, capped */
    char *metrics_file;      /* Prometheus textfile written after every run; NULL = none */
    char *listen_address;    /* schedule: host:port serving /metrics and /healthz; NULL = off */
    long health_max_age;     /* seconds: /healthz fails when the last success is older */
    char *notify_url;        /* POST the record as JSON here; NULL = none */
    int notify_on;           /* failure, success, always: ra_notify_on */
    char *notify_command;    /* run by /bin/sh with the record on stdin; NULL = none */
    int retention_keep;      /* the newest N succeeded backups are never expired */
    long progress_interval;  /* seconds between progress events in the log off a terminal; 0 = none */
    long segment_seconds;    /* archive: a segment of the replication stream is closed this often */
    long long segment_size;  /* archive: ... or when it holds this many bytes */
    long long archive_queue; /* archive: bytes of closed segments that may wait for the store */
    ra_config_log_format log_format;
    ra_log_level log_level;
    char *config;            /* path of the config file read; NULL = none */

    ra_config_origin origin[RA_CONFIG_NKEYS];  /* where each value came from */
    int origin_line[RA_CONFIG_NKEYS];          /* line in `config` when RA_ORIGIN_FILE */
    const char *origin_var[RA_CONFIG_NKEYS];   /* variable name (static) when RA_ORIGIN_AMBIENT */
    char *redis_password;    /* REDISCLI_AUTH: the source password when the URL carries none. Not a
                                key: never printed; secret, wiped by ra_config_clear. NULL = unset */
    int source_password_in_argv;  /* --source carried a password: visible in /proc/PID/cmdline */
    char **warnings;         /* things to log once the logger exists (unknown REDIS_ARCHIVER_*
                                variables, the password above); nwarnings entries, never secrets */
    int nwarnings;
    char **rest;             /* ra_config_load's non-config arguments, pointers into argv */
    int nrest;
} ra_config;

/* Defaults (strings allocated: pair with ra_config_clear; out of memory leaves a string NULL). */
void ra_config_init(ra_config *c);
void ra_config_clear(ra_config *c);  /* c may be NULL; leaves c ready for ra_config_init */

/* Everything at once, in precedence order flag > REDIS_ARCHIVER_<KEY> > file > other tools'
 * variables (ra_config_load_ambient) > default. The file
 * is --config PATH, else $REDIS_ARCHIVER_CONFIG, else RA_CONFIG_DEFAULT_FILE when it exists.
 * Config flags (`--key value`, `--key=value`; a boolean also as bare `--key`, `--no-key`, or
 * `--key yes|no|true|false|on|off`) may stand anywhere in argv. Every other argument goes to
 * *rest in order (argv[0] excluded, NULL-terminated, pointers into argv, owned by c): the command,
 * its flags, ids. value_flags (NULL-terminated, may be NULL) names the command flags that take a
 * value (ra_command_value_flags: "--remark", "--expires", "--days"): the word after them is passed
 * on untouched. After "--" everything is passed on, "--" included. A flag given twice: the last wins. An empty
 * environment variable counts as unset. c must be ra_config_init-ed. Errors are RA_E_USAGE and
 * name the flag, the variable, or file:line. */
int ra_config_load(ra_config *c, int argc, char **argv, const char *const *value_flags,
                   int *nrest, char ***rest, ra_err *err);

/* Building blocks of ra_config_load, for tests, the fuzzer and other callers. */

/* Set one key from text; `where` prefixes error messages ("--bucket", "conf:3"). The key "config"
 * only records the path. line is kept for RA_ORIGIN_FILE. */
int ra_config_set(ra_config *c, const char *key, const char *value, ra_config_origin origin,
                  int line, const char *where, ra_err *err);
/* Parse config-file text (need not be NUL-terminated); name is used in messages ("x.conf:12: ...").
 * Unknown keys, duplicate keys, missing values, bad quoting and bad values are RA_E_USAGE. */
int ra_config_parse_text(ra_config *c, const char *text, size_t len, const char *name, ra_err *err);
/* Read and parse a file (at most 1 MiB); records its path in c->config. */
int ra_config_load_file(ra_config *c, const char *path, ra_err *err);
/* Apply REDIS_ARCHIVER_<KEY> variables from the process environment (not _CONFIG). */
int ra_config_load_env(ra_config *c, ra_err *err);

/* What other tools' variables fill when nothing above set it: region from AWS_REGION, else
 * AWS_DEFAULT_REGION, else the `region` of the active profile (AWS_PROFILE, else default) in the AWS
 * config file (AWS_CONFIG_FILE, else ~/.aws/config), else RA_S3_REGION_DEFAULT; endpoint from AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL; redis_password from REDISCLI_AUTH. Values are checked like the keys' own
 * (errors name the variable). Empty variables count as unset. Part of ra_config_load. */
int ra_config_load_ambient(ra_config *c, ra_err *err);
/* Set a key from another tool's variable `var` (a static string) with origin RA_ORIGIN_AMBIENT. */
int ra_config_set_ambient(ra_config *c, ra_config_key k, const char *value, const char *var, ra_err *err);

/* Commands that touch S3 call this: RA_E_USAGE naming the three ways to set a bucket. */
int ra_config_require_bucket(const ra_config *c, ra_err *err);

/* The window, weekdays and zone as a schedule. A fixed zone gives a pure schedule; an IANA zone
 * uses ra_tz_offset_localtime, so the caller first does setenv("TZ", c->timezone, 1); tzset(). */
void ra_config_schedule(const ra_config *c, ra_schedule *s);

/* `redis-archiver config`: every key as "key value  # origin" (default, file line N, env
 * REDIS_ARCHIVER_..., flag --..., or the other tool's variable: AWS_REGION...), itself a valid config
 * file. A password in a URL is printed as ***; of redis_password only a comment that it is set. */
void ra_config_print(const ra_config *c, FILE *out);
/* --help text for the config flags, two lines each: flag, value kind, variable, default; help.
 * No heading: the caller prints its own. */
void ra_config_print_help(FILE *out);
/* The sample conf/redis-archiver.conf: every key, its help above it, at its default. */
void ra_config_write_sample(FILE *out);

/* Table access. */
const char *ra_config_key_name(ra_config_key k);
/* What the manual page and shell completion say of a key: borrowed from the static table. */
typedef struct ra_config_key_doc {
    const char *name;     /* "part-size" */
    const char *arg;      /* kind of value ("SIZE"); "[yes|no]" for a boolean */
    const char *help;     /* one line */
    const char *doc;      /* more lines, or NULL */
    const char *def;      /* default as text; "" = unset */
    const char *const *choices;  /* the values an enum or boolean takes, NULL-terminated; NULL: free text */
    int in_file;          /* 1: may be set in the config file */
} ra_config_key_doc;
void ra_config_key_describe(ra_config_key k, ra_config_key_doc *d);
int ra_config_key_find(const char *name);  /* index, or -1 */
/* The closest key to a misspelt name ("part_sise" -> "part-size"), or NULL when none is close. */
const char *ra_config_suggest(const char *name);
/* REDIS_ARCHIVER_PART_SIZE for "part-size"; out holds at least 64 bytes. */
void ra_config_env_name(const char *key, char *out, size_t outsz);
/* Effective value of a key as text, as ra_config_print shows it (passwords masked); outsz
 * RA_CONFIG_VALUE_MAX + 16 holds any value. */
void ra_config_format_value(const ra_config *c, ra_config_key k, char *out, size_t outsz);

#endif
