/* cli.h - the command table and what every command is handed: configuration, logger, cancel flag. */
#ifndef RA_COMMAND_CLI_H
#define RA_COMMAND_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "command/catalog.h"
#include "command/record.h"
#include "common/err.h"
#include "common/log.h"
#include "config/config.h"
#include "source/replica.h"
#include "storage/s3/s3.h"

typedef struct ra_app {
    const ra_config *config;
    ra_log log;
    volatile sig_atomic_t *cancel;  /* set by SIGTERM/SIGINT */
    int stdout_tty;                 /* human output on stdout */
    int stderr_tty;                 /* progress bar on stderr: a terminal, text logs, log level info or
                                       lower, no --quiet */
    struct ra_httpd *monitor;       /* schedule's /metrics endpoint, told about each run; NULL: none */
} ra_app;

/* One flag of a command, as git's parse_options has them: the table drives parsing, did-you-mean,
 * the value-flag list handed to ra_config_load and the command's --help. */
typedef struct ra_option {
    const char *name;  /* "--remark" */
    const char *arg;   /* kind of value for --help ("TEXT"); NULL: a bare flag */
    const char *help;  /* one line */
} ra_option;

#define RA_COMMAND_OPTIONS_MAX 8

/* A command's arguments after parsing. */
typedef struct ra_args {
    const struct ra_command *cmd;
    const char *value[RA_COMMAND_OPTIONS_MAX]; /* by option index: its value, "" for a bare flag; NULL: not given */
    int at[RA_COMMAND_OPTIONS_MAX];            /* argv index where it was last given; 0: not given */
    const char *operand;                       /* the operand (ID) when the command takes one; NULL: none */
} ra_args;

typedef struct ra_command {
    const char *name;
    const char *usage;    /* "backup [--remark TEXT] [--auto]" */
    const char *summary;  /* one line */
    const ra_option *options;  /* its own flags, ended by {NULL} */
    const char *operand;  /* "ID": takes at most one operand; NULL: none */
    const char *notes;    /* lines of help after the flags ("" or NULL for none) */
    int (*run)(ra_app *app, const ra_args *args, ra_err *err);
    const char *examples; /* shell command lines, one per line ("" or NULL for none) */
} ra_command;

/* The table, in the order `--help` lists it. */
const ra_command *ra_commands(size_t *n);
const ra_command *ra_command_find(const char *name);
/* The command closest to a misspelt name ("bakup" -> "backup"), or NULL. */
const char *ra_command_suggest(const char *name);
/* The flags of every command that take a value (for ra_config_load), each once, into out[0..max-1],
 * NULL-terminated; returns how many. */
size_t ra_command_value_flags(const char **out, size_t max);
/* argv[0] is the command: its flags (`--flag`, `--flag VALUE`, `--flag=VALUE`; the last of a flag
 * given twice wins) and operand into *args. RA_E_USAGE naming the argument, with a did-you-mean. */
int ra_command_parse(const ra_command *cmd, int argc, char **argv, ra_args *args, ra_err *err);
/* A flag's value ("" for a bare flag) or NULL when not given; and where it was last given (0: not). */
const char *ra_args_value(const ra_args *args, const char *name);
int ra_args_at(const ra_args *args, const char *name);
/* `redis-archiver CMD --help`: usage, summary, a line per flag, the notes, the examples. */
void ra_command_print_help(const ra_command *cmd, FILE *out);

/* Shared by commands: an S3 client and the instance's catalog from the configuration. On success
 * the caller frees with ra_app_close. */
typedef struct ra_store {
    ra_s3_credentials creds;
    ra_s3 *s3;
    ra_catalog catalog;
} ra_store;
int ra_app_open_store(const ra_app *app, ra_store *store, ra_err *err);
void ra_app_close_store(ra_store *store);
/* Sort records newest first: by start time, in one second a running one first, then by finish time,
 * then by id. */
void ra_records_sort_newest(ra_record *recs, size_t n);
/* Open the store and list the instance's records, newest first (ra_records_sort_newest); on success the caller frees the
 * records (ra_catalog_records_free) and closes the store. */
int ra_app_list_records(const ra_app *app, ra_store *store, ra_record **recs, size_t *n, ra_err *err);
/* The operand that names the newest succeeded backup wherever an id is taken. */
#define RA_ID_LATEST "latest"
/* Is id a backup id or RA_ID_LATEST? */
int ra_app_id_arg_valid(const char *id);
/* The record of backup `id` (or RA_ID_LATEST: the newest that succeeded; RA_E_NOTFOUND when none
 * did) into *rec (caller clears), only when it succeeded: RA_E_NOTFOUND for an
 * unknown id or a backup that did not ("... there is nothing to <purpose>"); RA_E_VERIFY for a record
 * whose id or key is not the one prefix, instance and id give (a forged record). */
int ra_app_get_backup(const ra_store *store, const char *id, const char *purpose, ra_record *rec, ra_err *err);
/* The stages that undo a sealed backup's format (decrypt with identity-file, decompress) in front of
 * to_plain, which then sees the RDB as Redis wrote it. NULL with *plain = 1 for a plain backup; NULL with
 * *plain = 0 and err set when the format is unknown (RA_E_VERIFY) or no identity was given (RA_E_USAGE).
 * Caller frees with ra_seal_free. */
ra_seal *ra_app_unseal(const ra_config *c, const ra_record *rec, const ra_sink *to_plain, int *plain, ra_err *err);
/* S3 client options from the configuration (strings borrowed from it, creds from the caller). */
void ra_app_s3_config(const ra_app *app, const ra_s3_credentials *creds, ra_s3_config *sc);
/* Source options from the configuration (strings borrowed from it); the password is REDISCLI_AUTH's. */
void ra_app_replica_opts(const ra_app *app, ra_replica_opts *opts);

/* RA_E_USAGE for an argument a command does not take, with a did-you-mean for a misspelt flag;
 * returns -1. */
int ra_unexpected(ra_err *err, const char *command, const char *arg);

/* One backup with the configured source, store and sizes (backup and schedule), then its report
 * (ra_report_run). */
int ra_backup_with_config(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_err *err);
/* The same for archive: the base backup, synced without rdb-only, its replication links (one, or one per
 * shard of a cluster) handed over in *links on success (command/backup.h keep). */
struct ra_backup_links;
int ra_backup_keep_links(ra_app *app, int automatic, const char *remark, ra_record *rec, struct ra_backup_links *links,
                         ra_err *err);
/* After a backup run (rc its result, err its error when rc != 0, seconds its length): fill in what a
 * run that failed early lacks in *rec (instance, times, error, exit class), count it in app->monitor
 * and metrics-file, and run the hooks that notify-on asks for. Never fails: problems are logged. */
void ra_report_run(const ra_app *app, ra_record *rec, int rc, const ra_err *err, double seconds);

int ra_cmd_backup(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_list(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_url(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_verify(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_restore(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_archive(ra_app *app, const ra_args *args, ra_err *err);
/* schedule --continuous: archive chains (a base backup, then its stream) until `until` (then 0, the last
 * chain ended cleanly there) or a failure (-1); a chain cut by a full resync is followed by a new one.
 * Progress goes to app->monitor. */
int ra_archive_continuous(ra_app *app, time_t until, ra_err *err);
int ra_cmd_retention(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_status(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_schedule(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_keep(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_unkeep(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_delete(ra_app *app, const ra_args *args, ra_err *err);
/* Mark the backup just taken as kept (pinned) and write its record again (backup --keep). */
int ra_backup_pin(ra_app *app, ra_record *rec, ra_err *err);
int ra_cmd_config(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_help(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_man(ra_app *app, const ra_args *args, ra_err *err);
int ra_cmd_completion(ra_app *app, const ra_args *args, ra_err *err);

#endif
