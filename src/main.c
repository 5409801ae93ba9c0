/* main.c - the redis-archiver command line: configuration, command lookup, exit codes. */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "command/cli.h"
#include "command/help.h"
#include "common/version.h"

/* The one piece of global state: what a signal handler may touch. */
static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig) {
    (void)sig;
    cancel_requested = 1;
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    ra_config config;
    ra_err err = {0};
    int nrest;
    char **rest;
    /* The logger exists before the configuration, so that its errors are JSON lines too. */
    ra_log log = ra_log_default();
    const char *value_flags[32];
    ra_command_value_flags(value_flags, sizeof(value_flags) / sizeof(value_flags[0]));
    ra_config_init(&config);
    if (ra_config_load(&config, argc, argv, value_flags, &nrest, &rest, &err) != 0) {
        ra_log_error(&log, "config", "%s", err.msg);
        ra_config_clear(&config);
        return ra_err_exit_code(err.code);
    }
    if (nrest == 0) { /* no command: a usage error, the short list */
        ra_help_commands(stderr);
        ra_config_clear(&config);
        return 2;
    }
    if (strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "-h") == 0) {
        ra_help_global(stdout);
        ra_config_clear(&config);
        return 0;
    }
    if (strcmp(rest[0], "version") == 0 || strcmp(rest[0], "--version") == 0 || strcmp(rest[0], "-V") == 0) {
        printf("redis-archiver %s\n", RA_VERSION);
        ra_config_clear(&config);
        return 0;
    }
    const ra_command *cmd = ra_command_find(rest[0]);
    if (cmd == NULL) {
        const char *near = ra_command_suggest(rest[0]);
        if (near)
            ra_log_error(&log, "usage", "unknown command '%s' (did you mean '%s'?)", rest[0], near);
        else
            ra_log_error(&log, "usage", "unknown command '%s' (see redis-archiver --help)", rest[0]);
        ra_config_clear(&config);
        return 2;
    }
    if (wants_help(nrest, rest)) {
        ra_command_print_help(cmd, stdout);
        ra_config_clear(&config);
        return 0;
    }

    ra_app app = {
        .config = &config,
        .log = log,
        .cancel = &cancel_requested,
        .stdout_tty = isatty(STDOUT_FILENO),
        .stderr_tty = isatty(STDERR_FILENO),
    };
    app.log.min = config.log_level;
    if (config.log_format == RA_CONFIG_LOG_TEXT) app.log.format = RA_LOG_TEXT;
    if (config.log_format == RA_CONFIG_LOG_JSON) app.log.format = RA_LOG_JSON;
    if (app.log.format == RA_LOG_JSON) app.stderr_tty = 0; /* no progress bar inside JSON lines */
    if (app.log.min > RA_LOG_INFO) app.stderr_tty = 0;     /* --log-level warn: quiet */
    for (int i = 0; i < config.nwarnings; i++) ra_log_warn(&app.log, "config", "%s", config.warnings[i]);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();

    ra_args args;
    int rc = ra_command_parse(cmd, nrest, rest, &args, &err);
    if (rc == 0) rc = cmd->run(&app, &args, &err);
    int code = 0;
    if (rc != 0) {
        if (err.code == RA_OK) err.code = RA_E_INTERNAL;
        ra_log_error(&app.log, "error", "%s", err.msg[0] ? err.msg : "failed");
        code = ra_err_exit_code(err.code);
    }
    xmlCleanupParser();
    curl_global_cleanup();
    ra_config_clear(&config);
    return code;
}
