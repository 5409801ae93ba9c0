/* help.c - help texts and the manual page, generated from the command table and the option table. The
 * completion scripts are completion.c's. */
#include "command/help.h"

#include <string.h>

#include "command/cli.h"
#include "common/version.h"
#include "config/config.h"

#define TAGLINE "stream Redis backups from a replica into S3-compatible storage"

static const char credentials_text[] =
    "S3 credentials: the AWS SDKs' chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,\n"
    "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), the shared credentials and config files\n"
    "(AWS_PROFILE), container credentials (ECS, EKS Pod Identity), EC2 IMDSv2. The Redis password: in the source\n"
    "URL (config file or REDIS_ARCHIVER_SOURCE) or REDISCLI_AUTH, never on the command line.\n";

/* exit status and meaning, in the order of include/common/err.h's codes */
static const char *const exit_codes[][2] = {
    {"0", "success"},
    {"1", "internal error"},
    {"2", "usage or configuration error"},
    {"3", "the Redis source failed or was refused"},
    {"4", "the S3 store failed or refused"},
    {"5", "RDB verification failed: damaged or not the one recorded"},
    {"6", "no such backup"},
    {"7", "another backup of the instance is running"},
    {"8", "cancelled (SIGTERM, SIGINT)"},
};
#define NEXIT (sizeof(exit_codes) / sizeof(exit_codes[0]))

/* One line per command, the summaries in one column after the longest name. */
static void command_lines(FILE *out, const ra_command *cmds, size_t n) {
    int w = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(cmds[i].name) > w) w = (int)strlen(cmds[i].name);
    for (size_t i = 0; i < n; i++) fprintf(out, "  %-*s  %s\n", w, cmds[i].name, cmds[i].summary);
}

void ra_help_commands(FILE *out) {
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    fprintf(out, "usage: redis-archiver COMMAND [flags] [--key value ...]\n\ncommands:\n");
    command_lines(out, cmds, n);
    fprintf(out, "\n'redis-archiver help COMMAND' shows a command's flags and examples, 'redis-archiver --help'\n"
                 "every setting, 'man redis-archiver' the manual.\n");
}

void ra_help_global(FILE *out) {
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    fprintf(out,
            "redis-archiver %s - " TAGLINE "\n\n"
            "usage: redis-archiver COMMAND [command flags] [--key value ...]\n\ncommands:\n",
            RA_VERSION);
    command_lines(out, cmds, n);
    fprintf(out, "\n`redis-archiver help COMMAND` (or COMMAND --help) shows a command's flags and examples.\n\n"
                 "configuration (flag > REDIS_ARCHIVER_<KEY> variable > config file > AWS_REGION and the like\n"
                 "for region and endpoint > default):\n");
    ra_config_print_help(out);
    fprintf(out, "\n%s\nexit codes:", credentials_text);
    for (size_t i = 0; i < NEXIT; i++) fprintf(out, "%s %s %s", i ? "," : "", exit_codes[i][0], exit_codes[i][1]);
    fprintf(out, "\n");
}

int ra_cmd_help(ra_app *app, const ra_args *args, ra_err *err) {
    (void)app;
    if (args->operand == NULL) {
        ra_help_global(stdout);
        return 0;
    }
    const ra_command *cmd = ra_command_find(args->operand);
    if (cmd == NULL) {
        const char *near = ra_command_suggest(args->operand);
        if (near != NULL)
            return ra_err_set(err, RA_E_USAGE, "help: unknown command '%s' (did you mean '%s'?)", args->operand, near);
        return ra_err_set(err, RA_E_USAGE, "help: unknown command '%s' (see redis-archiver --help)", args->operand);
    }
    ra_command_print_help(cmd, stdout);
    return 0;
}

/* ---------- the manual page ---------- */

/* Text for roff: backslash, hyphen (so flags copy and paste as ASCII '-') and double quote escaped; a
 * line that would start with '.' or '\'' is protected. Newlines start new lines, each protected. */
static void roff(FILE *out, const char *s) {
    int bol = 1;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\'')) fputs("\\&", out);
        bol = *s == '\n';
        switch (*s) {
        case '\\': fputs("\\e", out); break;
        case '-': fputs("\\-", out); break;
        case '"': fputs("\\(dq", out); break;
        default: fputc(*s, out);
        }
    }
}

/* Lines of text (each "\n"-ended, leading blanks dropped) as one filled paragraph. */
static void roff_lines(FILE *out, const char *s) {
    while (*s) {
        while (*s == ' ') s++;
        size_t n = strcspn(s, "\n");
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), s);
        if (line[0]) {
            roff(out, line);
            fputc('\n', out);
        }
        s += n + (s[n] == '\n');
    }
}

static void man_command(FILE *out, const ra_command *cmd) {
    fprintf(out, ".SS ");
    roff(out, cmd->name);
    fprintf(out, "\n.B redis\\-archiver ");
    roff(out, cmd->usage);
    fprintf(out, "\n.PP\n");
    roff(out, cmd->summary);
    fputc('\n', out);
    for (const ra_option *o = cmd->options; o->name; o++) {
        fprintf(out, ".TP\n\\fB");
        roff(out, o->name);
        fprintf(out, "\\fR");
        if (o->arg) {
            fprintf(out, " \\fI");
            roff(out, o->arg);
            fprintf(out, "\\fR");
        }
        fputc('\n', out);
        roff(out, o->help);
        fputc('\n', out);
    }
    if (cmd->notes && cmd->notes[0]) {
        fprintf(out, ".PP\n");
        roff_lines(out, cmd->notes);
    }
    if (cmd->examples && cmd->examples[0]) {
        fprintf(out, ".PP\nExamples:\n.RS\n.nf\n");
        roff_lines(out, cmd->examples);
        fprintf(out, ".fi\n.RE\n");
    }
}

static void man_key(FILE *out, ra_config_key k) {
    ra_config_key_doc d;
    char env[96];
    ra_config_key_describe(k, &d);
    ra_config_env_name(d.name, env, sizeof(env));
    fprintf(out, ".TP\n\\fB\\-\\-");
    roff(out, d.name);
    fprintf(out, "\\fR \\fI");
    roff(out, d.arg);
    fprintf(out, "\\fR\n");
    roff(out, d.help);
    fprintf(out, ".\n");
    if (d.doc) roff_lines(out, d.doc);
    fprintf(out, ".br\nVariable \\fB");
    roff(out, env);
    fprintf(out, "\\fR");
    if (d.in_file) {
        fprintf(out, ", file key \\fB");
        roff(out, d.name);
        fprintf(out, "\\fR");
    }
    if (d.def[0]) {
        fprintf(out, ", default \\fB");
        roff(out, d.def);
        fprintf(out, "\\fR");
    }
    fprintf(out, ".\n");
}

void ra_help_man(FILE *out) {
    size_t n;
    const ra_command *cmds = ra_commands(&n);
    fprintf(out, ".\\\" redis-archiver(1), generated by `redis-archiver man` from the command and option tables\n"
                 ".TH REDIS\\-ARCHIVER 1 \"\" \"redis\\-archiver %s\" \"User Commands\"\n"
                 ".nh\n.ad l\n"
                 ".SH NAME\nredis\\-archiver \\- " TAGLINE "\n"
                 ".SH SYNOPSIS\n.B redis\\-archiver\n.I command\n[\\fIflags\\fR] [\\fB\\-\\-key\\fR \\fIvalue\\fR ...]\n"
                 ".br\n.B redis\\-archiver help\n[\\fIcommand\\fR]\n"
                 ".br\n.B redis\\-archiver \\-\\-version\n",
            RA_VERSION);
    fprintf(out, ".SH DESCRIPTION\n"
                 "redis\\-archiver takes backups of a Redis server the way a replica does: it asks a replica for a\n"
                 "full synchronization (PSYNC), checks the RDB stream as it arrives (framing and CRC\\-64) and\n"
                 "uploads it as an S3 multipart upload, completed only when the RDB is whole. Each backup has a\n"
                 "record next to it in the bucket, which \\fBlist\\fR and \\fBstatus\\fR read.\n"
                 ".SH COMMANDS\n");
    for (size_t i = 0; i < n; i++) man_command(out, &cmds[i]);
    fprintf(out, ".SH CONFIGURATION\n"
                 "Every key may be given as a flag \\fB\\-\\-key\\fR \\fIvalue\\fR (or \\fB\\-\\-key=\\fR\\fIvalue\\fR;"
                 " a boolean also as bare \\fB\\-\\-key\\fR or \\fB\\-\\-no\\-key\\fR) anywhere on the command line,"
                 " as a variable \\fBREDIS_ARCHIVER_\\fR\\fIKEY\\fR, or as a line \\fIkey value\\fR in the config file."
                 " A flag wins over a variable, a variable over the file, the file over the AWS variables"
                 " for region and endpoint, and those over the default."
                 " \\fBredis\\-archiver config\\fR prints the settings in force and where each came from.\n");
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) man_key(out, (ra_config_key)k);
    fprintf(out, ".SH ENVIRONMENT\n");
    roff_lines(out, credentials_text);
    fprintf(out, ".PP\nAWS_REGION, AWS_DEFAULT_REGION, then AWS_CONFIG_FILE (else ~/.aws/config) and its AWS_PROFILE:"
                 " the region when \\fBregion\\fR is not set."
                 " AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL: the endpoint when \\fBendpoint\\fR is not set.\n"
                 ".SH FILES\n.TP\n.I ");
    roff(out, RA_CONFIG_DEFAULT_FILE);
    fprintf(out, "\nthe config file read when neither \\fB\\-\\-config\\fR nor REDIS_ARCHIVER_CONFIG names one\n"
                 ".SH \"EXIT STATUS\"\n");
    for (size_t i = 0; i < NEXIT; i++) fprintf(out, ".TP\n.B %s\n%s\n", exit_codes[i][0], exit_codes[i][1]);
    fprintf(out, ".SH \"SEE ALSO\"\n.BR redis\\-server (1),\n.BR redis\\-cli (1),\n.BR aws (1)\n");
}

int ra_cmd_man(ra_app *app, const ra_args *args, ra_err *err) {
    (void)app;
    (void)args;
    (void)err;
    ra_help_man(stdout);
    return 0;
}
