/* cli.c - the command table and the wiring from configuration to the S3 client and the source. */
#include "command/cli.h"
#include "transform/seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/text.h"

static const ra_option no_options[] = {{NULL, NULL, NULL}};
static const ra_option backup_options[] = {
    {"--remark", "TEXT", "why this backup was taken (UTF-8, at most 256 bytes, no control characters)"},
    {"--auto", NULL, "record it as a scheduled (auto) backup instead of manual"},
    {"--json", NULL, "print the final record as JSON instead of the id"},
    {"--quiet", NULL, "no progress bar on the terminal (--log-level warn hides it too)"},
    {"--keep", NULL, "pin this backup: retention never deletes it (unkeep ID releases it)"},
    {NULL, NULL, NULL},
};
static const ra_option delete_options[] = {
    {"--force", NULL, "delete even the newest succeeded backup, or a pinned one"},
    {NULL, NULL, NULL},
};
static const ra_option list_options[] = {
    {"--json", NULL, "a JSON array of records (id, key, type, remark, size, started, finished, status, ...)"},
    {NULL, NULL, NULL},
};
static const ra_option url_options[] = {
    {"--expires", "DURATION", "validity: 43200, 30m, 12h, 7d (default: url-expiry, 12h; at most 7 days)"},
    {"--public", NULL, "sign for public-endpoint instead of endpoint"},
    {"--json", NULL, "print id, key, expires_at, url and public_url (when public-endpoint is set); a cluster "
                     "backup: an array, one object per shard"},
    {"--shard", "N", "a cluster backup: the link of shard N only"},
    {NULL, NULL, NULL},
};
static const ra_option verify_options[] = {
    {"--json", NULL, "print id, key, size, crc64 and rdb_version (a cluster backup: an array, one per shard; with an "
                     "archive, its segments, offsets and range)"},
    {NULL, NULL, NULL},
};
static const ra_option schedule_options[] = {
    {"--continuous", NULL, "point in time: archive all the time, a fresh chain (new base) at each window"},
    {NULL, NULL, NULL},
};
static const ra_option archive_options[] = {
    {"--remark", "TEXT", "remark of the base backup (default: base of a point-in-time archive)"},
    {"--json", NULL, "at the end, print id, first, uploaded, received and segments as JSON (and shards for a cluster)"},
    {"--quiet", NULL, "no progress bar while the base backup runs"},
    {NULL, NULL, NULL},
};
static const ra_option restore_options[] = {
    {"--output", "PATH", "write the RDB to PATH, whole and verified or not at all (a cluster backup: shard-N.rdb "
                         "and cluster.json into the directory PATH)"},
    {"--force", NULL, "with --output: replace PATH when it exists (a directory: the files of the same names)"},
    {"--target", "URL", "replay every key into this Redis or cluster (redis://[user:password@]host:port, rediss://)"},
    {"--replace", NULL, "with --target: restore into a server that holds keys, replacing same-named ones"},
    {"--at", "TIME", "with --target: the moment to restore (ISO 8601 UTC or now): base backup + archived stream "
                     "(a cluster target: each command goes to the master of its key's slot)"},
    {"--json", NULL, "print id, output or target, size, keys, restored, skipped_expired, functions, errors, ms "
                     "(and shards for a cluster backup; with --at also at, replayed, replay_errors, offset)"},
    {NULL, NULL, NULL},
};
static const ra_option retention_options[] = {
    {"--dry-run", NULL, "show what would change (the default)"},
    {"--apply", NULL, "put the rule; on stores without lifecycle support, delete expired backups now"},
    {"--days", "N", "expire after N days (default: retention-days, 7)"},
    /* the `sweep` config key, a bare boolean flag that ra_config_load takes: listed for help */
    {"--sweep", NULL, "also delete expired backups now, whatever the store supports"},
    {NULL, NULL, NULL},
};
static const ra_option status_options[] = {
    {"--json", NULL, "a JSON array of task records (a point-in-time base: with archive range, segments and lag)"},
    {NULL, NULL, NULL},
};

static const ra_option config_options[] = {
    {"--json", NULL, "an object: config_file, and per key its value and origin"},
    {NULL, NULL, NULL},
};

#define EX "redis-archiver "
static const ra_command commands[] = {
    {.name = "backup", .usage = "backup [--remark TEXT] [--auto] [--keep] [--json] [--quiet]",
     .summary = "take one backup now and print its id", .options = backup_options, .notes = "",
     .examples = EX "backup\n" EX "backup --remark 'before the 7.2 upgrade'\n" EX
     "backup --instance cache-eu --bucket my-backups --json\n",
     .run = ra_cmd_backup},
    {.name = "archive", .usage = "archive [--remark TEXT] [--json] [--quiet]",
     .summary = "point in time: a base backup, then archive the replication stream until stopped",
     .options = archive_options, .notes =
     "  The stream is cut into segments (segment-seconds, segment-size) stored under the base backup;\n"
     "  restore ID|latest --target URL --at TIME replays up to a moment. SIGTERM or SIGINT store the open\n"
     "  segment and stop (exit 0). Memory is bounded: closed segments wait for the store up to\n"
     "  archive-queue bytes (64MiB), plus the open segment's buffer (at most 2 x segment-size, 16MiB);\n"
     "  a store down longer than the queue holds fails the archive (exit 4) rather than drop history.\n"
     "  Given a cluster node, every shard's stream is archived at once (one chain, all or nothing), and\n"
     "  restore --at brings every shard to the same moment.\n",
     .examples = EX "archive --segment-seconds 10s\n" EX "restore latest --target redis://127.0.0.1:6380 --at 2026-11-29T03:40:00Z\n",
     .run = ra_cmd_archive},
    {.name = "list", .usage = "list [--json]", .summary = "list this instance's backups, newest first",
     .options = list_options, .notes = "",
     .examples = EX "list\n" EX "list --instance cache-eu\n" EX "list --json | jq -r '.[0].id'\n",
     .run = ra_cmd_list},
    {.name = "url", .usage = "url ID|latest [--expires DURATION] [--public] [--json] [--shard N]",
     .summary = "print a presigned download URL for a backup", .options = url_options, .operand = "ID", .notes = "",
     .examples = EX "url 20261128T221407Z-913d\n" EX "url 20261128T221407Z-913d --expires 30m --public\n"
     "curl -o dump.rdb \"$(" EX "url 20261128T221407Z-913d)\"\n" EX "url 20261129T011038Z-03ad --shard 1\n",
     .run = ra_cmd_url},
    {.name = "verify", .usage = "verify ID|latest [--json]",
     .summary = "read a backup back and check it: RDB framing, CRC-64, size and checksum recorded",
     .options = verify_options, .operand = "ID",
     .notes = "  exit 0: the stored RDB is whole and the one recorded; 5: it is damaged or not the one recorded\n"
              "  A backup with a point-in-time archive has it read too: every segment whole and continuous.\n",
     .examples = EX "verify 20261128T221407Z-913d\n" EX "verify 20261128T221407Z-913d --json\n" EX "verify latest\n",
     .run = ra_cmd_verify},
    {.name = "restore", .usage = "restore ID|latest (--output PATH [--force] | --target URL [--replace] [--at TIME]) [--json]",
     .summary = "download a backup into a file, or replay it into a running Redis, verified as it passes",
     .options = restore_options, .operand = "ID",
     .notes = "  exit 0: restored; 5: the backup is damaged (nothing is left at PATH); 2: PATH exists (a directory:\n"
              "  is not empty), or the target holds keys, or is older than the backup; 3: the target refused keys\n",
     .examples = EX "restore latest --output dump.rdb\n" EX "restore 20261128T221407Z-913d --target redis://127.0.0.1:6380\n"
     EX "restore latest --target redis://10.0.0.5:7000 --replace\n"
     EX "restore latest --output /var/backups/cluster   # a cluster backup: shard-N.rdb and cluster.json\n",
     .run = ra_cmd_restore},
    {.name = "retention", .usage = "retention [--apply|--dry-run] [--days N] [--sweep]",
     .summary = "check the lifecycle rules that expire this instance's backups now (backups do it daily), tag, sweep",
     .options = retention_options, .notes = "",
     .examples = EX "retention\n" EX "retention --apply\n" EX "retention --apply --days 30\n",
     .run = ra_cmd_retention},
    {.name = "status", .usage = "status [--json] [ID]", .summary = "show running and recent backup tasks",
     .options = status_options, .operand = "ID", .notes = "",
     .examples = EX "status\n" EX "status 20261128T221407Z-913d --json\n", .run = ra_cmd_status},
    {.name = "keep", .usage = "keep ID",
     .summary = "pin a backup: retention (the sweep, delete without --force) never deletes it", .options = no_options,
     .operand = "ID", .notes = "", .examples = EX "keep 20261128T221407Z-913d\n" EX "backup --keep --remark 'before the 7.2 upgrade'\n",
     .run = ra_cmd_keep},
    {.name = "unkeep", .usage = "unkeep ID", .summary = "release a pinned backup to retention", .options = no_options,
     .operand = "ID", .notes = "", .examples = EX "unkeep 20261128T221407Z-913d\n" EX "list --json | jq -r '.[] | select(.keep) | .id'\n",
     .run = ra_cmd_unkeep},
    {.name = "delete", .usage = "delete ID [--force]", .summary = "delete one backup (its objects, every shard's of a cluster backup, and its record)",
     .options = delete_options, .operand = "ID",
     .notes = "  refuses the newest succeeded backup and pinned ones without --force\n",
     .examples = EX "delete 20261128T221407Z-913d\n" EX "delete 20261128T221407Z-913d --force\n",
     .run = ra_cmd_delete},
    {.name = "schedule", .usage = "schedule [--continuous]",
     .summary = "run forever: one auto backup a day inside window, on weekdays", .options = schedule_options,
     .notes = "  (window, weekdays, timezone come from the configuration)\n"
              "  --continuous runs `archive` all the time instead: each window ends the chain and starts a\n"
              "  fresh one with a new base backup (restore --at then replays less); a failed chain is started\n"
              "  again after retry-delay, doubled each time up to 15m. /metrics adds the archive's lag.\n"
              "  It runs in the foreground and logs to stderr; a window missed today is caught up at start;\n"
              "  SIGTERM or SIGINT stop it (a running backup is cancelled and recorded as cancelled).\n"
              "  Watch it with `status` (the running backup, from any host), /metrics and /healthz on\n"
              "  listen-address, metrics-file, or notify-url / notify-command on each run.\n",
     .examples = EX "schedule\n" EX "schedule --window 01:00-02:00 --timezone Europe/Berlin --weekdays mon-fri\n"
                 EX "schedule --listen-address 0.0.0.0:9121   # then curl http://HOST:9121/healthz\n"
                 EX "schedule --continuous --segment-seconds 30s\n",
     .run = ra_cmd_schedule},
    {.name = "config", .usage = "config [--json]",
     .summary = "print the effective configuration and where each value came from", .options = config_options,
     .notes = "",
     .examples = EX "config\n" EX "config --config ./test.conf --bucket my-backups\n" EX "config --json\n",
     .run = ra_cmd_config},
    {.name = "help", .usage = "help [COMMAND]", .summary = "show a command's flags and examples, or every setting",
     .options = no_options, .operand = "COMMAND", .notes = "",
     .examples = EX "help backup\n" EX "backup --help\n", .run = ra_cmd_help},
    {.name = "man", .usage = "man", .summary = "print the manual page redis-archiver(1) (roff)",
     .options = no_options, .notes = "", .examples = EX "man | man -l -\n" EX "man > redis-archiver.1\n",
     .run = ra_cmd_man},
    {.name = "completion", .usage = "completion bash|zsh",
     .summary = "print the shell completion script for bash or zsh", .options = no_options, .operand = "SHELL",
     .notes = "",
     .examples = "source <(" EX "completion bash)\n" EX "completion bash > /etc/bash_completion.d/redis-archiver\n"
     EX "completion zsh > \"${fpath[1]}/_redis-archiver\"\n",
     .run = ra_cmd_completion},
};
#undef EX

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const ra_command *ra_commands(size_t *n) {
    *n = NCOMMANDS;
    return commands;
}

const ra_command *ra_command_find(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

const char *ra_command_suggest(const char *name) {
    const char *best = NULL;
    int best_d = 3; /* at most two edits away */
    for (size_t i = 0; i < NCOMMANDS; i++) {
        int d = ra_edit_distance(name, commands[i].name);
        if (d < best_d) {
            best_d = d;
            best = commands[i].name;
        }
    }
    return best;
}

/* The command flag closest to a misspelt one, or NULL. */
static const char *flag_suggest(const char *command, const char *arg) {
    const ra_command *cmd = ra_command_find(command);
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; cmd && cmd->options[i].name; i++) {
        int d = ra_edit_distance(arg, cmd->options[i].name);
        if (d < best_d) {
            best_d = d;
            best = cmd->options[i].name + 2;
        }
    }
    return best;
}

int ra_unexpected(ra_err *err, const char *command, const char *arg) {
    const char *near = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        near = flag_suggest(command, arg);
        if (near == NULL) near = ra_config_suggest(arg + 2);
    }
    if (near != NULL)
        return ra_err_set(err, RA_E_USAGE, "%s: unknown flag '%s' (did you mean '--%s'?)", command, arg, near);
    return ra_err_set(err, RA_E_USAGE, "%s: unexpected argument '%s' (see redis-archiver %s --help)", command, arg,
                      command);
}

size_t ra_command_value_flags(const char **out, size_t max) {
    size_t n = 0;
    for (size_t c = 0; c < NCOMMANDS; c++) {
        for (const ra_option *o = commands[c].options; o->name; o++) {
            if (o->arg == NULL) continue;
            size_t j = 0;
            while (j < n && strcmp(out[j], o->name) != 0) j++;
            if (j == n && n + 1 < max) out[n++] = o->name;
        }
    }
    if (max > 0) out[n] = NULL;
    return n;
}

/* Index of the option that argv word `arg` names ("--days" or "--days=..."), or -1. */
static int option_index(const ra_command *cmd, const char *arg, const char **inline_value) {
    *inline_value = NULL;
    for (int i = 0; cmd->options[i].name; i++) {
        size_t n = strlen(cmd->options[i].name);
        if (strncmp(arg, cmd->options[i].name, n) != 0) continue;
        if (arg[n] == '\0') return i;
        if (arg[n] == '=' && cmd->options[i].arg != NULL) {
            *inline_value = arg + n + 1;
            return i;
        }
    }
    return -1;
}

int ra_command_parse(const ra_command *cmd, int argc, char **argv, ra_args *args, ra_err *err) {
    memset(args, 0, sizeof(*args));
    args->cmd = cmd;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int k = option_index(cmd, argv[i], &v);
        if (k >= 0 && k < RA_COMMAND_OPTIONS_MAX) {
            const ra_option *o = &cmd->options[k];
            args->at[k] = i;
            if (o->arg != NULL && v == NULL) {
                if (i + 1 >= argc) return ra_err_set(err, RA_E_USAGE, "%s needs a value", o->name);
                v = argv[++i];
            }
            args->value[k] = o->arg != NULL ? v : "";
        } else if (cmd->operand != NULL && argv[i][0] != '-' && args->operand == NULL) {
            args->operand = argv[i];
        } else {
            return ra_unexpected(err, cmd->name, argv[i]);
        }
    }
    return 0;
}

static int args_index(const ra_args *args, const char *name) {
    for (int i = 0; args->cmd && args->cmd->options[i].name && i < RA_COMMAND_OPTIONS_MAX; i++)
        if (strcmp(args->cmd->options[i].name, name) == 0) return i;
    return -1;
}

const char *ra_args_value(const ra_args *args, const char *name) {
    int k = args_index(args, name);
    return k >= 0 ? args->value[k] : NULL;
}

int ra_args_at(const ra_args *args, const char *name) {
    int k = args_index(args, name);
    return k >= 0 ? args->at[k] : 0;
}

void ra_command_print_help(const ra_command *cmd, FILE *out) {
    fprintf(out, "usage: redis-archiver %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->options[0].name) fprintf(out, "\nflags:\n");
    for (const ra_option *o = cmd->options; o->name; o++) {
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-15s %s\n", left, o->help);
    }
    if (cmd->notes && cmd->notes[0]) fprintf(out, "\n%s", cmd->notes);
    if (cmd->examples && cmd->examples[0]) fprintf(out, "\nexamples:\n");
    for (const char *e = cmd->examples; e && *e;) {
        size_t n = strcspn(e, "\n");
        fprintf(out, "  %.*s\n", (int)n, e);
        e += n + (e[n] == '\n');
    }
    fprintf(out, "\nEvery setting is also a flag (--bucket NAME, --instance NAME, ...): see redis-archiver --help.\n");
}

void ra_app_s3_config(const ra_app *app, const ra_s3_credentials *creds, ra_s3_config *sc) {
    const ra_config *c = app->config;
    *sc = (ra_s3_config){
        .endpoint = c->endpoint,
        .region = c->region,
        .bucket = c->bucket,
        .path_style = c->path_style == RA_PATH_STYLE_AUTO ? RA_S3_PATH_STYLE_AUTO : c->path_style,
        .ca_file = c->s3_ca_file,
        .insecure = c->s3_insecure,
        .cancel = app->cancel,
        .credentials = creds,
        .connect_timeout_ms = c->connect_timeout * 1000,
        .request_timeout_ms = c->read_timeout * 1000, /* read-timeout: no progress for this long fails */
        .log = &app->log,
        .sse = (ra_s3_sse)c->sse,
        .sse_kms_key_id = c->sse_kms_key_id,
        .storage_class = c->storage_class,
    };
}

int ra_app_open_store(const ra_app *app, ra_store *store, ra_err *err) {
    const ra_config *c = app->config;
    memset(store, 0, sizeof(*store));
    if (ra_config_require_bucket(c, err) != 0) return -1;
    ra_s3_config sc;
    ra_app_s3_config(app, NULL, &sc); /* NULL: the client runs the AWS chain and refreshes what it gives */
    store->s3 = ra_s3_new(&sc, err);
    if (store->s3 == NULL) return -1;
    store->catalog = (ra_catalog){
        .s3 = store->s3, .prefix = c->prefix, .instance = c->instance, .log = &app->log,
        .keep_last = c->retention_keep};
    return 0;
}

/* Newest first: later start; in the same second a running one, then the later finish (of two runs one
 * after the other in one second, the first finished no later than the second); then the larger id. */
static int newest_first(const void *pa, const void *pb) {
    const ra_record *a = pa, *b = pb;
    if (a->started != b->started) return a->started > b->started ? -1 : 1;
    if ((a->finished == 0) != (b->finished == 0)) return a->finished == 0 ? -1 : 1;
    if (a->finished != b->finished) return a->finished > b->finished ? -1 : 1;
    return -strcmp(a->id, b->id);
}

void ra_records_sort_newest(ra_record *recs, size_t n) {
    if (n > 1) qsort(recs, n, sizeof(*recs), newest_first);
}

int ra_app_list_records(const ra_app *app, ra_store *store, ra_record **recs, size_t *n, ra_err *err) {
    if (ra_app_open_store(app, store, err) != 0) return -1;
    if (ra_catalog_list(&store->catalog, time(NULL), recs, n, err) != 0) {
        ra_app_close_store(store);
        return -1;
    }
    ra_records_sort_newest(*recs, *n);
    return 0;
}

int ra_app_id_arg_valid(const char *id) {
    return strcmp(id, RA_ID_LATEST) == 0 || ra_record_id_valid(id);
}

/* `latest`: the newest backup of the instance that succeeded, into id. */
static int latest_id(const ra_store *store, const char *purpose, char id[RA_ID_MAX], ra_err *err) {
    ra_record *recs = NULL;
    size_t n = 0;
    if (ra_catalog_list(&store->catalog, time(NULL), &recs, &n, err) != 0) return -1;
    size_t i = 0;
    while (i < n && recs[i].state != RA_STATE_SUCCEEDED) i++;
    if (i < n) snprintf(id, RA_ID_MAX, "%s", recs[i].id);
    ra_catalog_records_free(recs, n);
    if (i == n)
        return ra_err_set(err, RA_E_NOTFOUND, "instance '%s' has no succeeded backup, there is nothing to %s "
                          "(see redis-archiver list)", store->catalog.instance, purpose);
    return 0;
}

int ra_app_get_backup(const ra_store *store, const char *id, const char *purpose, ra_record *rec, ra_err *err) {
    char newest[RA_ID_MAX];
    if (strcmp(id, RA_ID_LATEST) == 0) {
        if (latest_id(store, purpose, newest, err) != 0) return -1;
        id = newest;
    }
    if (ra_catalog_get(&store->catalog, id, rec, err) != 0) return -1;
    /* The record's key is data anyone who may write the instance folder can forge (faults.md R10):
     * the object must be the one prefix, instance and id name. */
    /* Its format picks the extension: an unknown format is as forged as a wrong key. */
    int zstd, age, known = ra_seal_format_parse(rec->format, &zstd, &age) == 0;
    char *key = ra_record_object_key(store->catalog.prefix, store->catalog.instance, id, known ? rec->format : NULL);
    if (key == NULL) {
        ra_record_clear(rec);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    if (known && rec->nshards > 0) { /* a cluster backup: <id>/shard-<n>.<format>, the key is shard 0's */
        free(key);
        key = NULL;
        for (int i = 0; i < rec->nshards; i++) {
            char *want = ra_record_shard_key(store->catalog.prefix, store->catalog.instance, id, i, rec->format);
            int same = want != NULL && rec->shards[i].key != NULL && strcmp(want, rec->shards[i].key) == 0;
            if (i == 0) key = want;
            else free(want);
            if (!same && key != NULL) known = -1;
        }
        if (key == NULL) {
            ra_record_clear(rec);
            return ra_err_set(err, RA_E_INTERNAL, "out of memory");
        }
    }
    if (known <= 0 || rec->key == NULL || strcmp(rec->key, key) != 0 || strcmp(rec->id, id) != 0) {
        ra_err_set(err, RA_E_VERIFY,
                   "the record of backup '%s' names another object%s than %s: refusing it (the record was altered; "
                   "remove it or restore it from a copy)", id, known == 0 ? " format" : "", key);
        free(key);
        ra_record_clear(rec);
        return -1;
    }
    free(key);
    if (rec->state == RA_STATE_SUCCEEDED) return 0;
    ra_err_set(err, RA_E_NOTFOUND, "backup '%s' is %s, there is nothing to %s", id, ra_state_name(rec->state),
               purpose);
    ra_record_clear(rec);
    return -1;
}

void ra_app_close_store(ra_store *store) {
    ra_s3_free(store->s3);
    ra_s3_credentials_clear(&store->creds);
    memset(store, 0, sizeof(*store));
}

void ra_app_replica_opts(const ra_app *app, ra_replica_opts *opts) {
    const ra_config *c = app->config;
    *opts = (ra_replica_opts){
        .url = c->source,
        .password = c->redis_password, /* REDISCLI_AUTH: used when the URL carries none */
        .tls_ca_file = c->tls_ca_file,
        .tls_cert_file = c->tls_cert_file,
        .tls_key_file = c->tls_key_file,
        .tls_sni = c->tls_server_name,
        .tls_insecure = c->tls_insecure,
        .allow_master = c->allow_master,
        .pick_replica = c->pick_replica,
        .replica_allow = c->replica_allow,
        .allow_unchecked_rdb = c->allow_unchecked_rdb,
        .allow_migrating = c->allow_migrating,
        .sentinel_master = c->sentinel_master,
        .connect_timeout_ms = c->connect_timeout * 1000,
        .read_timeout_ms = c->read_timeout * 1000,
        .sync_timeout_ms = c->sync_timeout * 1000,
        .cancel = app->cancel,
        .log = &app->log,
    };
}

ra_seal *ra_app_unseal(const ra_config *c, const ra_record *rec, const ra_sink *to_plain, int *plain, ra_err *err) {
    int zstd = 0, age = 0;
    *plain = 0;
    if (ra_seal_format_parse(rec->format, &zstd, &age) != 0) {
        ra_err_set(err, RA_E_VERIFY, "backup '%s' has a record with an unknown format", rec->id);
        return NULL;
    }
    if (!zstd && !age) {
        *plain = 1;
        return NULL;
    }
    ra_age_identity *ids = NULL;
    size_t nids = 0;
    if (age && c->identity_file == NULL) {
        ra_err_set(err, RA_E_USAGE, "backup '%s' is encrypted (%s): give the age identity that opens it with "
                   "identity-file (a file holding AGE-SECRET-KEY-1...)", rec->id, rec->format);
        return NULL;
    }
    if (age && ra_age_identities_load_file(c->identity_file, &ids, &nids, err) != 0) return NULL;
    ra_seal *s = ra_unseal_new(zstd, age, ids, nids, to_plain, err);
    ra_age_identities_free(ids, nids);
    return s;
}
