/* cli.c - the command table and the wiring from configuration to the S3 client and the source. */
#include "command/cli.h"

#include <string.h>

#include "common/text.h"

const char *const ra_command_value_flags[] = {"--remark", "--expires", "--days", NULL};

static const char *const backup_flags[] = {"--remark", "--auto", "--json", NULL};
static const char *const list_flags[] = {"--json", NULL};
static const char *const url_flags[] = {"--expires", "--public", "--json", NULL};
static const char *const retention_flags[] = {"--apply", "--dry-run", "--days", "--sweep", NULL};
static const char *const no_flags[] = {NULL};

static const ra_command commands[] = {
    {"backup", "backup [--remark TEXT] [--auto] [--json]", "take one backup now and print its id",
     "  --remark TEXT   why this backup was taken (UTF-8, at most 256 bytes, no control characters)\n"
     "  --auto          record it as a scheduled (auto) backup instead of manual\n"
     "  --json          print the final record as JSON instead of the id\n",
     ra_cmd_backup, backup_flags},
    {"list", "list [--json]", "list this instance's backups, newest first",
     "  --json          a JSON array of records (id, key, type, remark, size, started, finished, status, ...)\n",
     ra_cmd_list, list_flags},
    {"url", "url ID [--expires DURATION] [--public] [--json]", "print a presigned download URL for a backup",
     "  --expires D     validity: 43200, 30m, 12h, 7d (default: url-expiry, 12h; at most 7 days)\n"
     "  --public        sign for public-endpoint instead of endpoint\n"
     "  --json          print id, key, expires_at, url and public_url (when public-endpoint is set)\n",
     ra_cmd_url, url_flags},
    {"verify", "verify ID [--json]", "read a backup back and check it: RDB framing, CRC-64, size and checksum recorded",
     "  --json          print id, key, size, crc64 and rdb_version\n"
     "  exit 0: the stored RDB is whole and the one recorded; 5: it is damaged or not the one recorded\n",
     ra_cmd_verify, list_flags},
    {"retention", "retention [--apply|--dry-run] [--days N] [--sweep]",
     "put the lifecycle rule that expires this instance's backups (merged with the bucket's rules)",
     "  --dry-run       show what would change (the default)\n"
     "  --apply         put the rule; on stores without lifecycle support, delete expired backups now\n"
     "  --days N        expire after N days (default: retention-days, 7)\n"
     "  --sweep         also delete expired backups now, whatever the store supports\n",
     ra_cmd_retention, retention_flags},
    {"status", "status [--json] [ID]", "show running and recent backup tasks",
     "  --json          a JSON array of task records\n", ra_cmd_status, list_flags},
    {"schedule", "schedule", "run forever: one auto backup a day inside window, on weekdays",
     "  (no flags: window, weekdays, timezone come from the configuration)\n", ra_cmd_schedule, no_flags},
    {"config", "config", "print the effective configuration and where each value came from", "",
     ra_cmd_config, no_flags},
};

const ra_command *ra_commands(size_t *n) {
    *n = sizeof(commands) / sizeof(commands[0]);
    return commands;
}

const ra_command *ra_command_find(const char *name) {
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

const char *ra_command_suggest(const char *name) {
    const char *best = NULL;
    int best_d = 3; /* at most two edits away */
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
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
    for (size_t i = 0; cmd && cmd->flags[i]; i++) {
        int d = ra_edit_distance(arg, cmd->flags[i]);
        if (d < best_d) {
            best_d = d;
            best = cmd->flags[i] + 2;
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

int ra_flag(int argc, char **argv, int *i, const char *name, const char **value, ra_err *err) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (value == NULL) return arg[n] == '\0';
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        ra_err_set(err, RA_E_USAGE, "%s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

void ra_app_s3_config(const ra_app *app, const ra_s3_credentials *creds, ra_s3_config *sc) {
    const ra_config *c = app->config;
    *sc = (ra_s3_config){
        .endpoint = c->endpoint,
        .region = c->region,
        .bucket = c->bucket,
        .path_style = c->path_style,
        .ca_file = c->s3_ca_file,
        .insecure = c->s3_insecure,
        .cancel = app->cancel,
        .credentials = creds,
        .connect_timeout_ms = c->connect_timeout * 1000,
        .request_timeout_ms = c->read_timeout * 1000, /* read-timeout: no progress for this long fails */
        .log = &app->log,
    };
}

int ra_app_open_store(const ra_app *app, ra_store *store, ra_err *err) {
    const ra_config *c = app->config;
    memset(store, 0, sizeof(*store));
    if (ra_config_require_bucket(c, err) != 0) return -1;
    if (ra_s3_credentials_load(&store->creds, err) != 0) return -1;
    ra_s3_config sc;
    ra_app_s3_config(app, &store->creds, &sc);
    store->s3 = ra_s3_new(&sc, err);
    if (store->s3 == NULL) {
        ra_s3_credentials_clear(&store->creds);
        return -1;
    }
    store->catalog = (ra_catalog){
        .s3 = store->s3, .prefix = c->prefix, .instance = c->instance, .log = &app->log};
    return 0;
}

int ra_app_get_backup(const ra_store *store, const char *id, const char *purpose, ra_record *rec, ra_err *err) {
    if (ra_catalog_get(&store->catalog, id, rec, err) != 0) return -1;
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
        .sentinel_master = c->sentinel_master,
        .connect_timeout_ms = c->connect_timeout * 1000,
        .read_timeout_ms = c->read_timeout * 1000,
        .sync_timeout_ms = c->sync_timeout * 1000,
        .cancel = app->cancel,
        .log = &app->log,
    };
}
