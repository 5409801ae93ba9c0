/* option.c - the option table, and setting values from text: one key (ra_config_set). Pure: a config
 * file's text is file.c's, reading files and the environment load.c's, printing print.c's. */
#include "option.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/limits.h"
#include "common/text.h"
#include "common/url.h"


static int check_redis_url(const char *v, char **norm, ra_err *err);
static int check_http_url(const char *v, char **norm, ra_err *err);
static int check_instance(const char *v, char **norm, ra_err *err);
static int check_region(const char *v, char **norm, ra_err *err);
static int check_bucket(const char *v, char **norm, ra_err *err);
static int check_prefix(const char *v, char **norm, ra_err *err);
static int check_hostname(const char *v, char **norm, ra_err *err);
static int check_sentinel_master(const char *v, char **norm, ra_err *err);
static int check_recipients(const char *v, char **norm, ra_err *err);
static int check_listen(const char *v, char **norm, ra_err *err);
static int check_notify_url(const char *v, char **norm, ra_err *err);
static int check_storage_class(const char *v, char **norm, ra_err *err);
static int check_kms_key_id(const char *v, char **norm, ra_err *err);

static const char *const log_formats[] = {"auto", "text", "json", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const compressions[] = {"none", "zstd", NULL}; /* = ra_compression */
static const char *const notify_ons[] = {"failure", "success", "always", NULL}; /* = ra_notify_on */
static const char *const part_checksums[] = {"auto", "sha256", "md5", "none", "crc32c", NULL}; /* = ra_upload_checksum */
static const char *const part_growths[] = {"auto", "yes", "no", NULL}; /* = ra_upload_growth */
static const char *const sses[] = {"none", "AES256", "aws:kms", NULL}; /* = ra_s3_sse */

#define F(field) offsetof(ra_config, field)

/* path-style: a boolean that also takes auto (T_BOOL with choices: index = stored value) */
static const char *const path_styles[] = {"no", "yes", "auto", NULL};

const opt ra_config_opts[RA_CONFIG_NKEYS] = {
    [RA_KEY_SOURCE] = {"source", T_STR, F(source), "redis://127.0.0.1:6379", 0, 0, "URL",
        "the Redis to back up: redis://[user[:password]@]host:port or rediss:// for TLS",
        "Best a replica; a master is refused unless allow-master or pick-replica is set.\n"
        "The password may be in the URL or in REDISCLI_AUTH. Given as a flag, it shows in\n"
        "the process list: prefer this file, REDIS_ARCHIVER_SOURCE or REDISCLI_AUTH.",
        NULL, NULL, check_redis_url, OPT_URL},
    [RA_KEY_INSTANCE] = {"instance", T_STR, F(instance), "default", 0, 0, "NAME",
        "name of this Redis in the bucket: backups go under <prefix><instance>/",
        "Letters, digits, '.', '_' and '-'. One archiver per instance name.", NULL, NULL,
        check_instance, 0},
    [RA_KEY_ENDPOINT] = {"endpoint", T_STR, F(endpoint), "", 0, 0, "URL",
        "S3 endpoint URL; empty: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS S3",
        "Credentials never go here: they come from the AWS SDKs' chain (environment, web identity,\n"
        "shared files and profiles, container credentials, EC2 IMDSv2).",
        "http://127.0.0.1:7480", NULL, check_http_url, OPT_URL},
    [RA_KEY_PUBLIC_ENDPOINT] = {"public-endpoint", T_STR, F(public_endpoint), "", 0, 0, "URL",
        "endpoint that download links are signed for, when clients reach S3 by another address",
        "Empty: the endpoint above.", "https://s3.example.com", NULL, check_http_url, OPT_URL},
    [RA_KEY_REGION] = {"region", T_STR, F(region), "", 0, 0, "NAME",
        "S3 region; empty: AWS_REGION / AWS_DEFAULT_REGION, the AWS config file, else us-east-1",
        "The AWS config file is AWS_CONFIG_FILE, else ~/.aws/config: the region of the profile\n"
        "AWS_PROFILE names, else of the default profile. A bucket in another region is found anyway:\n"
        "the store names its region and requests are signed again for it.", "us-east-1",
        NULL, check_region, 0},
    [RA_KEY_BUCKET] = {"bucket", T_STR, F(bucket), "", 0, 0, "NAME",
        "S3 bucket for backups; required by every command that touches S3", NULL, "my-backups",
        NULL, check_bucket, 0},
    [RA_KEY_PREFIX] = {"prefix", T_STR, F(prefix), "redis-archiver/", 0, 0, "PREFIX",
        "key prefix in the bucket; a '/' is added when missing", NULL, NULL, NULL, check_prefix, 0},
    [RA_KEY_PATH_STYLE] = {"path-style", T_BOOL, F(path_style), "auto", 0, 0, "BOOL",
        "address the bucket as <endpoint>/<bucket> (yes) or <bucket>.<endpoint host> (no)",
        "auto: virtual-hosted on AWS endpoints (none set, or *.amazonaws.com[.cn]) unless the\n"
        "name of the bucket has dots and the endpoint is https; path-style on any other endpoint\n"
        "(an IP address, localhost, Ceph RGW, MinIO, moto...).", NULL, path_styles, NULL, 0},
    [RA_KEY_PART_SIZE] = {"part-size", T_SIZE, F(part_size), "16MiB", RA_PART_SIZE_MIN, RA_PART_SIZE_MAX, "SIZE",
        "size of each multipart upload part, 5MiB..5GiB (16MiB, 16M or 16777216)",
        "Memory used is about part-size x (concurrency + 1). S3 allows 10000 parts per object;\n"
        "parts grow as a long upload goes on, so any RDB size fits.",
        NULL, NULL, NULL, 0},
    [RA_KEY_CONCURRENCY] = {"concurrency", T_INT, F(concurrency), "4", 1, RA_CONCURRENCY_MAX, "N",
        "parts uploaded (backup), ranges downloaded (restore, verify) at the same time, 1..64", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_PART_CHECKSUM] = {"part-checksum", T_ENUM, F(part_checksum), "auto", 0, 0, "auto|sha256|md5|none|crc32c",
        "integrity check of each part that the store verifies",
        "crc32c: x-amz-checksum-crc32c (0.07 CPU-s/GiB with SSE4.2), for stores that check it (AWS S3;\n"
        "not Ceph RGW 16 or moto, which ignore it); sha256: signed payload hash (0.6 CPU-s/GiB); md5:\n"
        "Content-MD5 (1.4 CPU-s/GiB); none: only TCP or TLS protect the bytes; auto: crc32c on every\n"
        "part, and over http:// also sha256 until the store shows on the first part that it checks\n"
        "crc32c (it echoes the header). A store that refuses the CRC headers (400 or 501 naming them)\n"
        "makes auto fall back, said once at warn: sha256 over http://, md5 over https:// (set sha256 to\n"
        "silence it); crc32c then fails. The RDB's own CRC-64 is checked in every case.",
        NULL, part_checksums, NULL, 0},
    [RA_KEY_PART_SIZE_GROWTH] = {"part-size-growth", T_ENUM, F(part_size_growth), "auto", 0, 0, "auto|yes|no",
        "no: equal parts, so a backup holds at most part-size x 10000 (auto: no for Cloudflare R2)",
        "no: every part but the last has one size, chosen before the first (part-size, or larger\n"
        "when the RDB size is known), so an object holds at most that size x 10000 (16MiB: 156 GiB);\n"
        "a stream that outgrows it fails, its upload is aborted and no object is left. auto: no\n"
        "for stores that require equal parts (Cloudflare R2, *.r2.cloudflarestorage.com), else yes.",
        NULL, part_growths, NULL, 0},
    [RA_KEY_SSE] = {"sse", T_ENUM, F(sse), "none", 0, 0, "none|AES256|aws:kms",
        "server-side encryption asked for on every backup object and record",
        "Sent as x-amz-server-side-encryption; none leaves it to the bucket's default.",
        NULL, sses, NULL, 0},
    [RA_KEY_SSE_KMS_KEY_ID] = {"sse-kms-key-id", T_STR, F(sse_kms_key_id), "", 0, 0, "ID",
        "KMS key (id, ARN or alias) for sse aws:kms; empty = the bucket's or account's default key",
        NULL, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        NULL, check_kms_key_id, 0},
    [RA_KEY_STORAGE_CLASS] = {"storage-class", T_STR, F(storage_class), "", 0, 0, "CLASS",
        "storage class of backup objects (STANDARD, STANDARD_IA, GLACIER_IR, ...); records stay STANDARD",
        "Passed to the store as x-amz-storage-class; empty = the store's default. Classes that need a\n"
        "restore before reading (GLACIER, DEEP_ARCHIVE) also delay url and restore.",
        "STANDARD_IA", NULL, check_storage_class, 0},
    [RA_KEY_RETENTION_DAYS] = {"retention-days", T_INT, F(retention_days), "7", 1, RA_RETENTION_DAYS_MAX, "DAYS",
        "days a backup is kept, 1..3650; applied as a bucket lifecycle rule",
        "Stores without lifecycle support: see sweep.", NULL, NULL, NULL, 0},
    [RA_KEY_WINDOW] = {"window", T_WINDOW, F(window), "02:00-03:00", 0, 0, "HH:MM-HH:MM",
        "daily window in which the daemon starts a backup, at a random minute; may cross midnight",
        "If the daemon starts after today's window ended and no backup ran in it, it runs one\n"
        "at once.", NULL, NULL, NULL, 0},
    [RA_KEY_WEEKDAYS] = {"weekdays", T_WEEKDAYS, F(weekdays), "*", 0, 0, "DAYS",
        "days the window opens on: * (every day), mon,wed,fri or mon-fri",
        "A window crossing midnight belongs to the day it starts on.", NULL, NULL, NULL, 0},
    [RA_KEY_TIMEZONE] = {"timezone", T_TZ, F(timezone), "UTC", 0, 0, "ZONE",
        "time zone of the window: UTC, a fixed offset like +08:00, or a name like Asia/Shanghai",
        NULL, NULL, NULL, NULL, 0},
    [RA_KEY_URL_EXPIRY] = {"url-expiry", T_DURATION, F(url_expiry), "12h", 1, RA_PRESIGN_EXPIRY_MAX, "DURATION",
        "lifetime of download links: 30m, 12h, 7d or seconds; at most 7d",
        "A link made with temporary credentials dies with them, whichever comes first.", NULL,
        NULL, NULL, 0},
    [RA_KEY_TLS_CA_FILE] = {"tls-ca-file", T_STR, F(tls_ca_file), "", 0, 0, "PATH",
        "rediss: CA bundle to verify the server with; empty: the system's", NULL,
        "/etc/redis/tls/ca.crt", NULL, NULL, 0},
    [RA_KEY_TLS_CERT_FILE] = {"tls-cert-file", T_STR, F(tls_cert_file), "", 0, 0, "PATH",
        "rediss: client certificate, when the server asks for one", NULL,
        "/etc/redis/tls/client.crt", NULL, NULL, 0},
    [RA_KEY_TLS_KEY_FILE] = {"tls-key-file", T_STR, F(tls_key_file), "", 0, 0, "PATH",
        "rediss: private key of the client certificate", NULL, "/etc/redis/tls/client.key", NULL,
        NULL, 0},
    [RA_KEY_TLS_SERVER_NAME] = {"tls-server-name", T_STR, F(tls_server_name), "", 0, 0, "HOST",
        "rediss: name to expect in the server's certificate (SNI); empty: the URL's host", NULL,
        "redis.example.com", NULL, check_hostname, 0},
    [RA_KEY_TLS_INSECURE] = {"tls-insecure", T_BOOL, F(tls_insecure), "no", 0, 0, "BOOL",
        "rediss: do not verify the server's certificate (warns; for tests only)", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_S3_CA_FILE] = {"s3-ca-file", T_STR, F(s3_ca_file), "", 0, 0, "PATH",
        "CA bundle to verify an https S3 endpoint with; empty: the system's", NULL,
        "/etc/ssl/private-ca.pem", NULL, NULL, 0},
    [RA_KEY_S3_INSECURE] = {"s3-insecure", T_BOOL, F(s3_insecure), "no", 0, 0, "BOOL",
        "do not verify the S3 endpoint's certificate (warns; for tests only)", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_ALLOW_MASTER] = {"allow-master", T_BOOL, F(allow_master), "no", 0, 0, "BOOL",
        "accept a master as the source (a full sync costs it a fork and memory)", NULL, NULL,
        NULL, NULL, 0},
    [RA_KEY_PICK_REPLICA] = {"pick-replica", T_BOOL, F(pick_replica), "no", 0, 0, "BOOL",
        "given a master, back up from its healthiest replica instead", NULL, NULL, NULL, NULL, 0},
    [RA_KEY_REPLICA_ALLOW] = {"replica-allow", T_STR, F(replica_allow), "", 0, 0, "HOSTS",
        "with pick-replica and a password: other hosts a replica may be on (host or host:port, comma separated)",
        "A master's replicas announce their own address, and anyone who may run PSYNC on the master can\n"
        "announce one. The source credentials are only sent to a replica on the master's own host or\n"
        "on a host listed here; any other is refused before anything is sent.",
        "10.0.0.12,10.0.0.13:6380", NULL, NULL, 0},
    [RA_KEY_ALLOW_UNCHECKED_RDB] = {"allow-unchecked-rdb", T_BOOL, F(allow_unchecked_rdb), "no", 0, 0, "BOOL",
        "accept a snapshot without a CRC-64 (the source has rdbchecksum no); the record says so",
        "Without a checksum only the RDB framing can be verified: a flipped bit goes unnoticed.\n"
        "By default such a stream is refused (exit 5).", NULL, NULL, NULL, 0},
    [RA_KEY_ALLOW_MIGRATING] = {"allow-migrating", T_BOOL, F(allow_migrating), "no", 0, 0, "BOOL",
        "cluster: back up even while slots migrate or are not covered; the record names them",
        "A source that is a Redis Cluster node is backed up whole: every shard, from its healthiest replica\n"
        "(its master only with allow-master), all at once, into one backup. While a slot migrates its keys\n"
        "are split between two shards, and an uncovered slot is in none: such a backup is refused (exit 3)\n"
        "naming the slots, unless this is set.", NULL, NULL, NULL, 0},
    [RA_KEY_SENTINEL_MASTER] = {"sentinel-master", T_STR, F(sentinel_master), "", 0, 0, "NAME",
        "name of the master at the Sentinel that source then names; back up from its best replica",
        "The source URL may list several Sentinels, asked in order until one answers:\n"
        "redis://[user:password@]host1:26379,host2:26379,host3:26379.\n"
        "The replica with master-link-status ok, not s_down/o_down/disconnected, and the highest\n"
        "slave-repl-offset is used (pick-replica is implied). The sentinel gets the same\n"
        "credentials as the data nodes; a sentinel without a password is used without one.",
        "mymaster", NULL, check_sentinel_master, 0},
    [RA_KEY_CONNECT_TIMEOUT] = {"connect-timeout", T_DURATION, F(connect_timeout), "10s", 1, 3600,
        "DURATION", "how long to wait for a connection to Redis or S3, 1s..1h", NULL, NULL, NULL,
        NULL, 0},
    [RA_KEY_READ_TIMEOUT] = {"read-timeout", T_DURATION, F(read_timeout), "60s", 1, 86400,
        "DURATION", "a transfer with no progress for this long fails, 1s..1d",
        "Keep-alives that Redis sends while it forks and saves count as progress: see sync-timeout.",
        NULL, NULL, NULL, 0},
    [RA_KEY_SYNC_TIMEOUT] = {"sync-timeout", T_DURATION, F(sync_timeout), "1h", 1, 604800,
        "DURATION", "longest wait for the snapshot to start streaming, 1s..7d",
        "While the source forks and saves, it sends only keep-alives; past this the backup fails.",
        NULL, NULL, NULL, 0},
    [RA_KEY_SWEEP] = {"sweep", T_BOOL, F(sweep), "no", 0, 0, "BOOL",
        "backup deletes expired backups itself at its end, for stores without lifecycle rules",
        NULL, NULL, NULL, NULL, 0},
    [RA_KEY_COMPRESSION] = {"compression", T_ENUM, F(compression), "none", 0, 0, "none|zstd",
        "compress backups with zstd (objects end in .rdb.zst); zstd -d restores them",
        "The RDB is verified before it is compressed; verify decompresses and checks it again.\n"
        "Worth it for sources with rdbcompression no or large sets of small values.",
        NULL, compressions, NULL, 0},
    [RA_KEY_COMPRESSION_LEVEL] = {"compression-level", T_INT, F(compression_level), "3", RA_COMPRESSION_LEVEL_MIN,
        RA_COMPRESSION_LEVEL_MAX, "N", "zstd level, 1..19: 1 is fastest, higher is smaller and slower", NULL, NULL,
        NULL, NULL, 0},
    [RA_KEY_COMPRESSION_THREADS] = {"compression-threads", T_INT, F(compression_threads), "1", 0,
        RA_COMPRESSION_THREADS_MAX, "N", "zstd threads besides the one reading the replica, 0..16",
        "0 compresses in the reading thread; 1 (the default) lets reading and compressing overlap;\n"
        "more help levels above 3 on hosts with idle cores. Each thread holds a few MiB.", NULL, NULL, NULL, 0},
    [RA_KEY_ENCRYPT_RECIPIENT] = {"encrypt-recipient", T_STR, F(encrypt_recipient), "", 0, 0, "AGE1...",
        "encrypt backups to these age public keys (comma separated; objects end in .age)",
        "The object is a standard age v1 file: age -d -i KEY opens it. Only public keys are\n"
        "needed here, so a backup host that is broken into cannot read old backups. Make a key\n"
        "pair with age-keygen and keep the secret half (the identity) away from this host.",
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", NULL, check_recipients, 0},
    [RA_KEY_ENCRYPT_RECIPIENTS_FILE] = {"encrypt-recipients-file", T_STR, F(encrypt_recipients_file), "", 0, 0,
        "PATH", "a file of age public keys to encrypt to, one a line ('#' comments), as age -R reads it",
        NULL, "/etc/redis-archiver/recipients.txt", NULL, NULL, 0},
    [RA_KEY_IDENTITY_FILE] = {"identity-file", T_STR, F(identity_file), "", 0, 0, "PATH",
        "age identity file (AGE-SECRET-KEY-1...) that verify decrypts encrypted backups with",
        "Only the commands that read backups back need it; never give the key itself.",
        "/root/.config/redis-archiver/key.txt", NULL, NULL, 0},
    [RA_KEY_RETRIES] = {"retries", T_INT, F(retries), "3", 0, RA_RETRIES_MAX, "N",
        "schedule: how often a failed backup is tried again inside its window, 0..100",
        "Waits retry-delay, then twice as long each time (at most " RA_RETRY_DELAY_CAP_TEXT "), never past the\n"
        "window's end; then it logs schedule.gave-up and waits for the next window.", NULL, NULL, NULL, 0},
    [RA_KEY_RETRY_DELAY] = {"retry-delay", T_DURATION, F(retry_delay), "1m", 1, 86400, "DURATION",
        "schedule: wait before the first retry of a failed backup, 1s..1d", NULL, NULL, NULL, NULL, 0},
    [RA_KEY_METRICS_FILE] = {"metrics-file", T_STR, F(metrics_file), "", 0, 0, "PATH",
        "after every backup run, write Prometheus metrics here (node_exporter textfile collector)",
        "Replaced atomically; counters go on from the file's previous values. archive and schedule\n"
        "--continuous also write the archive's last segment time and lag as segments land (at most\n"
        "every " RA_METRICS_FILE_EVERY_TEXT ") and when they stop. node_exporter reads only files ending in .prom.", "/var/lib/node_exporter/textfile/redis-archiver.prom", NULL, NULL, 0},
    [RA_KEY_LISTEN_ADDRESS] = {"listen-address", T_STR, F(listen_address), "", 0, 0, "HOST:PORT",
        "schedule: serve /metrics (Prometheus) and /healthz on this address; empty: off",
        "/healthz answers 200 while the last scheduled backup succeeded within health-max-age,\n"
        "503 otherwise. Plain HTTP without authentication: bind it to a private address.",
        "127.0.0.1:9187", NULL, check_listen, 0},
    [RA_KEY_HEALTH_MAX_AGE] = {"health-max-age", T_DURATION, F(health_max_age), "26h", 60, 31 * 86400L,
        "DURATION", "schedule: /healthz fails when the newest scheduled success is older than this",
        "A daily window needs a day plus the window and a backup's length: 26h by default.", NULL, NULL, NULL, 0},
    [RA_KEY_NOTIFY_URL] = {"notify-url", T_STR, F(notify_url), "", 0, 0, "URL",
        "POST the backup's record as JSON to this URL when a backup fails (see notify-on)",
        "Tried " RA_NOTIFY_ATTEMPTS_TEXT " times within " RA_NOTIFY_TIMEOUT_TEXT " at most; its result never changes the\n"
        "backup's. The record holds no secret. `config` and logs show only its scheme and host:\n"
        "its path and query often hold the hook's token.",
        "https://hooks.example.com/redis-archiver", NULL, check_notify_url, OPT_SECRET_PATH},
    [RA_KEY_NOTIFY_ON] = {"notify-on", T_ENUM, F(notify_on), "failure", 0, 0, "failure|success|always",
        "which backups notify-url and notify-command hear about", NULL, NULL, notify_ons, NULL, 0},
    [RA_KEY_NOTIFY_COMMAND] = {"notify-command", T_STR, F(notify_command), "", 0, 0, "COMMAND",
        "run this shell command with the backup's record as JSON on stdin (see notify-on)",
        "Its environment has RA_STATE, RA_ID, RA_INSTANCE and RA_EXIT_CLASS; it is killed after\n"
        RA_NOTIFY_TIMEOUT_TEXT ".", "/usr/local/bin/page-oncall", NULL, NULL, 0},
    [RA_KEY_RETENTION_KEEP] = {"retention-keep", T_INT, F(retention_keep), "3", 0, 1000, "N",
        "the newest N succeeded backups are never expired, whatever their age, 0..1000",
        "See README, Retention: backups are tagged, and the lifecycle rule expires only tagged ones.",
        NULL, NULL, NULL, 0},
    [RA_KEY_PROGRESS_INTERVAL] = {"progress-interval", T_DURATION, F(progress_interval), "30s", 0, 86400,
        "DURATION", "off a terminal, log a progress event this often during a backup; 0: never",
        "Each event (backup.progress) has the fields id, instance, bytes, seconds and rate (and shard\n"
        "for each shard of a cluster backup) in JSON log lines. On a terminal the progress line shows it.",
        NULL, NULL, NULL, 0},
    [RA_KEY_SEGMENT_SECONDS] = {"segment-seconds", T_DURATION, F(segment_seconds), "60s", 1, 3600, "DURATION",
        "archive: close a segment of the replication stream this often, 1s..1h",
        "A restore --at reaches up to the last closed (uploaded) segment.", NULL, NULL, NULL, 0},
    [RA_KEY_SEGMENT_SIZE] = {"segment-size", T_SIZE, F(segment_size), "16MiB", RA_SEGMENT_SIZE_MIN,
        RA_SEGMENT_SIZE_MAX, "SIZE", "archive: ... or when it holds this many bytes, 1MiB..1GiB",
        "Memory used is at most archive-queue + 2 x segment-size (the open segment's buffer).", NULL, NULL,
        NULL, 0},
    [RA_KEY_ARCHIVE_QUEUE] = {"archive-queue", T_SIZE, F(archive_queue), "64MiB", RA_ARCHIVE_QUEUE_MIN,
        RA_ARCHIVE_QUEUE_LIMIT, "SIZE", "archive: closed segments that may wait for the store, in bytes, 1MiB..64GiB",
        "While the store is down or slow, closed segments wait in memory up to this many bytes (and 1024\n"
        "segments); the one that would exceed it fails the archive (exit 4) rather than drop history.\n"
        "A single segment larger than this is still taken when none waits. Memory used is at\n"
        "most archive-queue + 2 x segment-size.", NULL, NULL, NULL, 0},
    [RA_KEY_LOG_FORMAT] = {"log-format", T_ENUM, F(log_format), "auto", 0, 0, "auto|text|json",
        "log lines as text or JSON; auto: text on a terminal, JSON otherwise", NULL, NULL,
        log_formats, NULL, 0},
    [RA_KEY_LOG_LEVEL] = {"log-level", T_ENUM, F(log_level), "info", 0, 0,
        "debug|info|warn|error", "least severe level logged", NULL, NULL, log_levels, NULL, 0},
    [RA_KEY_CONFIG] = {"config", T_STR, F(config), "", 0, 0, "PATH",
        "config file; default " RA_CONFIG_DEFAULT_FILE " when it exists", NULL, NULL, NULL, NULL,
        OPT_NOFILE},
};

#undef F

/* ---------- small helpers ---------- */

int ra_config_has_ctl(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 1;
    return 0;
}

static int xstrdup(char **dst, const char *s, ra_err *err) {
    char *p = strdup(s);
    if (p == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    free(*dst);
    *dst = p;
    return 0;
}

static void *field(ra_config *c, const opt *o) { return (char *)c + o->off; }

int ra_config_push_warning(ra_config *c, const char *text) {
    char **w = realloc(c->warnings, (size_t)(c->nwarnings + 1) * sizeof(*w));
    if (w == NULL) return -1;
    c->warnings = w;
    if ((w[c->nwarnings] = strdup(text)) == NULL) return -1;
    c->nwarnings++;
    return 0;
}

const char *ra_config_key_name(ra_config_key k) {
    return (unsigned)k < RA_CONFIG_NKEYS ? ra_config_opts[k].name : NULL;
}

int ra_config_find_n(const char *name, size_t n) {
    for (int i = 0; i < RA_CONFIG_NKEYS; i++)
        if (strlen(ra_config_opts[i].name) == n && memcmp(ra_config_opts[i].name, name, n) == 0) return i;
    return -1;
}

int ra_config_key_find(const char *name) { return name ? ra_config_find_n(name, strlen(name)) : -1; }

void ra_config_env_name(const char *key, char *out, size_t outsz) {
    if (outsz == 0) return;
    size_t n = (size_t)snprintf(out, outsz, "%s", RA_CONFIG_ENV_PREFIX);
    for (; *key && n + 1 < outsz; key++, n++)
        out[n] = *key == '-' ? '_' : (char)toupper((unsigned char)*key);
    out[n < outsz ? n : outsz - 1] = '\0';
}

const char *ra_config_suggest(const char *name) {
    if (name == NULL) return NULL;
    while (*name == '-') name++;
    char norm[64];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(norm)) return NULL;
    for (size_t i = 0; i <= n; i++) norm[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
    const char *best = NULL, *prefix_of = NULL;
    int best_d = 3, nprefix = 0;
    for (int i = 0; i < RA_CONFIG_NKEYS; i++) {
        int d = ra_edit_distance(norm, ra_config_opts[i].name);
        if (d < best_d) {
            best_d = d;
            best = ra_config_opts[i].name;
        }
        if (n >= 3 && strncmp(ra_config_opts[i].name, norm, n) == 0) {
            prefix_of = ra_config_opts[i].name;
            nprefix++;
        }
    }
    if (best != NULL && (best_d == 0 || best_d * 2 <= (int)n)) return best;
    return nprefix == 1 ? prefix_of : NULL;
}

/* ---------- string checks ---------- */

/* host[:port] or [v6][:port]: 1 when well formed. */
static int hostport_ok(const char *h, size_t n) {
    size_t hostlen = n;
    const char *port = NULL;
    if (n > 0 && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        if (rb == NULL) return 0;
        hostlen = (size_t)(rb + 1 - h);
        if (hostlen < n) {
            if (h[hostlen] != ':') return 0;
            port = h + hostlen + 1;
        }
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon != NULL) {
            hostlen = (size_t)(colon - h);
            port = colon + 1;
        }
    }
    if (hostlen == 0) return 0;
    if (port != NULL) {
        size_t pl = n - (size_t)(port - h);
        long pv = 0;
        if (pl == 0 || pl > 5) return 0;
        for (size_t i = 0; i < pl; i++) {
            if (!isdigit((unsigned char)port[i])) return 0;
            pv = pv * 10 + (port[i] - '0');
        }
        if (pv < 1 || pv > 65535) return 0;
    }
    return 1;
}

/* The one Redis URL parser (common/url.h) decides; its messages quote the URL masked. */
static int check_redis_url(const char *v, char **norm, ra_err *err) {
    (void)norm;
    ra_redis_url u;
    if (ra_redis_url_parse(v, &u, err) != 0) return -1;
    ra_redis_url_clear(&u);
    return 0;
}

/* http(s)://host[:port][/path]. Object keys and signed queries are appended to the endpoint, so it
 * carries no user info, query or fragment; a refused URL is quoted without its user info, which may
 * hold a secret. */
static int check_http_url(const char *v, char **norm, ra_err *err) {
    (void)norm;
    const char *p = NULL;
    if (strncasecmp(v, "http://", 7) == 0) p = v + 7;
    else if (strncasecmp(v, "https://", 8) == 0) p = v + 8;
    size_t auth = p ? strcspn(p, "/?#") : 0;
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++)
        if (p[i] == '@') at = p + i;
    if (at != NULL)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid endpoint URL '%.*s***@%.200s' (no user info: credentials come from the AWS "
                          "credential chain, not the URL)", (int)(p - v), v, at + 1);
    if (p == NULL || strchr(v, ' ') != NULL || !hostport_ok(p, auth))
        return ra_err_set(err, RA_E_USAGE, "invalid endpoint URL '%.200s' (use http://host:port or https://host)", v);
    if (p[strcspn(p, "?#")] != '\0')
        return ra_err_set(err, RA_E_USAGE,
                          "invalid endpoint URL '%.200s' (no query or fragment: http://host:port or https://host)", v);
    return 0;
}

static int check_instance(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 128 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n ||
        strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid instance name '%.64s' (letters, digits, '.', '_' and '-', at most 128)", v);
    return 0;
}

/* host:port, [v6]:port or :port (every address) for the metrics listener. */
static int check_listen(const char *v, char **norm, ra_err *err) {
    (void)norm;
    const char *colon = strrchr(v, ':');
    size_t hn = colon ? (size_t)(colon - v) : 0;
    int ok = colon != NULL && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
             strlen(colon + 1) <= 5 && atol(colon + 1) >= 1 && atol(colon + 1) <= 65535;
    if (ok && hn > 0) {
        if (v[0] == '[')
            ok = hn > 2 && v[hn - 1] == ']' && strspn(v + 1, "0123456789abcdefABCDEF:.") == hn - 2;
        else
            ok = hn <= 253 && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") == hn;
    }
    if (!ok) return ra_err_set(err, RA_E_USAGE, "invalid listen address '%.64s' (use host:port, like 127.0.0.1:9187)", v);
    return 0;
}

static int check_notify_url(const char *v, char **norm, ra_err *err) {
    (void)norm;
    if ((strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0) || strpbrk(v, " \"<>") != NULL ||
        ra_config_has_ctl(v))
        return ra_err_set(err, RA_E_USAGE, "invalid notify-url (use http://host[:port]/path or https://...)");
    return 0;
}

/* Sentinel names are single words in sentinel.conf: printable, no spaces. */
/* age1... words separated by commas or spaces: their shape only; backup checks the Bech32 checksum. */
static int check_recipients(const char *v, char **norm, ra_err *err) {
    (void)norm;
    for (const char *p = v; *p;) {
        size_t sep = strspn(p, ", ");
        p += sep;
        size_t n = strcspn(p, ", ");
        if (n == 0) break;
        if (n >= 15 && strncasecmp(p, "AGE-SECRET-KEY-", 15) == 0)  /* never echo a secret into a message */
            return ra_err_set(err, RA_E_USAGE, "an age secret key was given as a recipient: give its public key "
                              "(age-keygen -y KEYFILE prints it) and keep the secret key off this host");
        int ok = n > 4 && strncmp(p, "age1", 4) == 0;
        for (size_t i = 4; ok && i < n; i++) ok = strchr("qpzry9x8gf2tvdw0s3jn54khce6mua7l", p[i]) != NULL;
        if (!ok)
            return ra_err_set(err, RA_E_USAGE, "'%.*s' is not an age public key (age1..., as age-keygen -y prints)",
                              (int)(n < 100 ? n : 100), p);
        p += n;
    }
    return 0;
}

static int check_sentinel_master(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] == 0x7f)
            return ra_err_set(err, RA_E_USAGE, "invalid sentinel master name '%.64s' (no spaces or "
                              "control characters)", v);
    if (n > 255) return ra_err_set(err, RA_E_USAGE, "sentinel master name longer than 255 bytes");
    return 0;
}

static int check_region(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
        return ra_err_set(err, RA_E_USAGE, "invalid region '%.64s' (like us-east-1)", v);
    return 0;
}

static int check_bucket(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n < 3 || n > 255 || !isalnum((unsigned char)v[0]) ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid bucket name '%.64s' (3 to 255 letters, digits, '.', '_', '-')", v);
    return 0;
}

/* AWS names its classes in upper-case letters, digits and '_'; other stores follow */
static int check_storage_class(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
        return ra_err_set(err, RA_E_USAGE,
                          "invalid storage-class '%.64s' (upper-case letters, digits and '_': STANDARD_IA)", v);
    return 0;
}

/* a key id, alias or ARN: printable, no spaces (it goes into a header) */
static int check_kms_key_id(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 2048 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:/_-.+=@") != n)
        return ra_err_set(err, RA_E_USAGE, "invalid sse-kms-key-id (a KMS key id, alias or ARN without spaces)");
    return 0;
}

static int check_prefix(const char *v, char **norm, ra_err *err) {
    size_t n = strlen(v);
    if (n + (v[n - 1] != '/') > 512 || v[0] == '/')  /* the limit holds for the stored prefix */
        return ra_err_set(err, RA_E_USAGE, "invalid prefix '%.64s' (no leading '/', at most 512 bytes)", v);
    if (v[n - 1] != '/') {
        if ((*norm = malloc(n + 2)) == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        memcpy(*norm, v, n);
        memcpy(*norm + n, "/", 2);
    }
    return 0;
}

static int check_hostname(const char *v, char **norm, ra_err *err) {
    (void)norm;
    size_t n = strlen(v);
    if (n > 253 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != n)
        return ra_err_set(err, RA_E_USAGE, "invalid host name '%.64s'", v);
    return 0;
}

/* ---------- setting values ---------- */

static int range_err(const opt *o, const char *v, ra_err *err) {
    char lo[32], hi[32];
    if (o->type == T_SIZE) {
        ra_format_size(o->min, lo, sizeof(lo));
        ra_format_size(o->max, hi, sizeof(hi));
    } else if (o->type == T_DURATION) {
        ra_format_duration((long)o->min, lo, sizeof(lo));
        ra_format_duration((long)o->max, hi, sizeof(hi));
    } else {
        snprintf(lo, sizeof(lo), "%lld", o->min);
        snprintf(hi, sizeof(hi), "%lld", o->max);
    }
    return ra_err_set(err, RA_E_USAGE, "'%.64s' is out of range (%s..%s)", v, lo, hi);
}

int ra_config_set_value(ra_config *c, const opt *o, const char *v, ra_err *err) {
    if (ra_config_has_ctl(v)) return ra_err_set(err, RA_E_USAGE, "value contains a control character");
    if (strlen(v) > RA_CONFIG_VALUE_MAX)
        return ra_err_set(err, RA_E_USAGE, "value is longer than %d bytes", RA_CONFIG_VALUE_MAX);
    switch (o->type) {
    case T_STR: {
        char **dst = field(c, o);
        if (*v == '\0') {
            if (o == &ra_config_opts[RA_KEY_SOURCE] || o == &ra_config_opts[RA_KEY_INSTANCE])
                return ra_err_set(err, RA_E_USAGE, "needs a value");
            free(*dst);
            *dst = NULL;
            if (o == &ra_config_opts[RA_KEY_PREFIX]) return xstrdup(dst, "", err);
            return 0;
        }
        char *norm = NULL;
        if (o->check != NULL && o->check(v, &norm, err) != 0) return -1;
        if (norm != NULL) {
            free(*dst);
            *dst = norm;
            return 0;
        }
        return xstrdup(dst, v, err);
    }
    case T_BOOL:
        /* a boolean with more words (path-style auto): those past yes and no */
        for (int i = 2; o->choices && o->choices[i]; i++)
            if (strcasecmp(v, o->choices[i]) == 0) return *(int *)field(c, o) = i, 0;
        if (ra_parse_bool(v, field(c, o), err) == 0) return 0;
        return o->choices ? ra_err_set(err, RA_E_USAGE, "invalid value '%.64s' (use yes, no or auto)", v) : -1;
    case T_INT: {
        long long x;
        if (ra_parse_int(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(int *)field(c, o) = (int)x;
        return 0;
    }
    case T_SIZE: {
        long long x;
        if (ra_parse_size(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(long long *)field(c, o) = x;
        return 0;
    }
    case T_DURATION: {
        long x;
        if (ra_parse_duration(v, &x, err) != 0) return -1;
        if (x < o->min || x > o->max) return range_err(o, v, err);
        *(long *)field(c, o) = x;
        return 0;
    }
    case T_WINDOW:
        return ra_parse_window(v, field(c, o), err);
    case T_WEEKDAYS: {
        unsigned m;
        if (ra_parse_weekdays(v, &m, err) != 0) return -1;
        *(unsigned *)field(c, o) = m;
        return 0;
    }
    case T_TZ: {
        int fixed;
        long off;
        if (ra_parse_timezone(v, &fixed, &off, err) != 0) return -1;
        if (xstrdup(field(c, o), v, err) != 0) return -1;
        c->tz_fixed = fixed;
        c->tz_offset = off;
        return 0;
    }
    case T_ENUM:
        for (int i = 0; o->choices[i]; i++) {
            if (strcasecmp(v, o->choices[i]) == 0) {
                *(int *)field(c, o) = i;
                return 0;
            }
        }
        return ra_err_set(err, RA_E_USAGE, "invalid value '%.64s' (use %s)", v, o->arg);
    }
    return ra_err_set(err, RA_E_INTERNAL, "bad option type");
}

int ra_config_set(ra_config *c, const char *key, const char *value, ra_config_origin origin,
                  int line, const char *where, ra_err *err) {
    int k = ra_config_key_find(key);
    if (k < 0) {
        const char *s = ra_config_suggest(key);
        if (s != NULL)
            return ra_err_set(err, RA_E_USAGE, "%s: unknown key '%.64s' (did you mean '%s'?)", where, key, s);
        return ra_err_set(err, RA_E_USAGE, "%s: unknown key '%.64s'", where, key);
    }
    if (ra_config_set_value(c, &ra_config_opts[k], value ? value : "", err) != 0)
        return ra_err_prefix(err, "%s: ", where);
    c->origin[k] = origin;
    c->origin_line[k] = origin == RA_ORIGIN_FILE ? line : 0;
    c->origin_var[k] = NULL;
    return 0;
}

int ra_config_set_ambient(ra_config *c, ra_config_key k, const char *value, const char *var, ra_err *err) {
    if ((unsigned)k >= RA_CONFIG_NKEYS) return ra_err_set(err, RA_E_INTERNAL, "no such configuration key");
    if (ra_config_set(c, ra_config_opts[k].name, value, RA_ORIGIN_AMBIENT, 0, var, err) != 0) return -1;
    c->origin_var[k] = var;
    return 0;
}

void ra_config_init(ra_config *c) {
    memset(c, 0, sizeof(*c));
    for (int k = 0; k < RA_CONFIG_NKEYS; k++)
        (void)ra_config_set_value(c, &ra_config_opts[k], ra_config_opts[k].def, NULL);  /* defaults parse: tested */
}

void ra_config_clear(ra_config *c) {
    if (c == NULL) return;
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (ra_config_opts[k].type == T_STR || ra_config_opts[k].type == T_TZ) {
            char **p = field(c, &ra_config_opts[k]);
            free(*p);
            *p = NULL;
        }
    }
    if (c->redis_password != NULL) explicit_bzero(c->redis_password, strlen(c->redis_password));
    free(c->redis_password);
    for (int i = 0; i < c->nwarnings; i++) free(c->warnings[i]);
    free(c->warnings);
    free(c->rest);
    memset(c, 0, sizeof(*c));
}

int ra_config_require_bucket(const ra_config *c, ra_err *err) {
    if (c->bucket != NULL) return 0;
    return ra_err_set(err, RA_E_USAGE,
                      "no bucket configured: use --bucket, REDIS_ARCHIVER_BUCKET or 'bucket' in the config file");
}

void ra_config_schedule(const ra_config *c, ra_schedule *s) {
    memset(s, 0, sizeof(*s));
    s->window = c->window;
    s->weekdays = c->weekdays;
    s->offset = c->tz_fixed ? c->tz_offset : 0;
    s->offset_fn = c->tz_fixed ? NULL : ra_tz_offset_localtime;
}

