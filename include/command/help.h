/* help.h - the texts generated from the command table (cli.c) and the option table (config): the short
 * command list, the full --help, the manual page redis-archiver(1) and the bash and zsh completion
 * scripts, so that none of them can drift from what the program accepts. */
#ifndef RA_COMMAND_HELP_H
#define RA_COMMAND_HELP_H

#include <stdio.h>

#include "common/err.h"

/* Bare `redis-archiver`: the usage line and one line per command. */
void ra_help_commands(FILE *out);
/* `redis-archiver --help` / `help`: commands, every setting, credentials, exit codes. */
void ra_help_global(FILE *out);
/* `redis-archiver man`: the manual page in roff (man(7) macros). */
void ra_help_man(FILE *out);
/* `redis-archiver completion SHELL`: the completion script for "bash" or "zsh"; RA_E_USAGE otherwise. */
int ra_help_completion(FILE *out, const char *shell, ra_err *err);

#endif
