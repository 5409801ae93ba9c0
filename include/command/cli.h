/* cli.h - the command table and what every command is handed: configuration, logger, cancel flag. */
#ifndef RA_COMMAND_CLI_H
#define RA_COMMAND_CLI_H

#include <signal.h>
#include <stddef.h>

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
    int stderr_tty;                 /* progress bar on stderr */
} ra_app;

typedef struct ra_command {
    const char *name;
    const char *usage;    /* "backup [--remark TEXT] [--auto]" */
    const char *summary;  /* one line */
    const char *help;     /* the command's own flags, one per line */
    int (*run)(ra_app *app, int argc, char **argv, ra_err *err);  /* argv[0] is the command */
    const char *const *flags;  /* its own flags, NULL-terminated, for did-you-mean */
} ra_command;

/* The table, in the order `--help` lists it. */
const ra_command *ra_commands(size_t *n);
const ra_command *ra_command_find(const char *name);
/* The command closest to a misspelt name ("bakup" -> "backup"), or NULL. */
const char *ra_command_suggest(const char *name);
/* Command flags that take a value (for ra_config_load), NULL-terminated. */
extern const char *const ra_command_value_flags[];

/* Shared by commands: an S3 client and the instance's catalog from the configuration. On success
 * the caller frees with ra_app_close. */
typedef struct ra_store {
    ra_s3_credentials creds;
    ra_s3 *s3;
    ra_catalog catalog;
} ra_store;
int ra_app_open_store(const ra_app *app, ra_store *store, ra_err *err);
void ra_app_close_store(ra_store *store);
/* The record of backup `id` into *rec (caller clears), only when it succeeded: RA_E_NOTFOUND for an
 * unknown id or a backup that did not ("... there is nothing to <purpose>"). */
int ra_app_get_backup(const ra_store *store, const char *id, const char *purpose, ra_record *rec, ra_err *err);
/* S3 client options from the configuration (strings borrowed from it, creds from the caller). */
void ra_app_s3_config(const ra_app *app, const ra_s3_credentials *creds, ra_s3_config *sc);
/* Source options from the configuration (strings borrowed from it); the password is REDISCLI_AUTH's. */
void ra_app_replica_opts(const ra_app *app, ra_replica_opts *opts);

/* Per-command flag parsing: is argv[*i] the flag `name`? For value flags, *value gets the next
 * word (RA_E_USAGE if missing) and *i advances. */
/* RA_E_USAGE for an argument a command does not take, with a did-you-mean for a misspelt flag;
 * returns -1. */
int ra_unexpected(ra_err *err, const char *command, const char *arg);

int ra_flag(int argc, char **argv, int *i, const char *name, const char **value, ra_err *err);

/* One backup with the configured source, store and sizes (backup and schedule). */
int ra_backup_with_config(ra_app *app, int automatic, const char *remark, ra_record *rec, ra_err *err);

int ra_cmd_backup(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_list(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_url(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_verify(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_retention(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_status(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_schedule(ra_app *app, int argc, char **argv, ra_err *err);
int ra_cmd_config(ra_app *app, int argc, char **argv, ra_err *err);

#endif
