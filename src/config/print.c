/* print.c - configuration as text: `redis-archiver config` (the values in force and where each came
 * from), the --help lines of the config flags, and the sample conf/redis-archiver.conf. */
#include "option.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/url.h"

/* ---------- output ---------- */

void ra_config_format_value(const ra_config *c, ra_config_key k, char *out, size_t outsz) {
    if ((unsigned)k >= RA_CONFIG_NKEYS || outsz == 0) return;
    const opt *o = &ra_config_opts[k];
    switch (o->type) {
    case T_STR:
    case T_TZ: {
        const char *s = *(char *const *)ra_config_cfield(c, o);
        if (s != NULL && (o->flags & OPT_SECRET_PATH)) {
            const char *sep = strstr(s, "://");
            const char *h = sep ? sep + 3 : s;
            size_t n = strcspn(h, "/?#");
            const char *at = memchr(h, '@', n);
            if (at) {
                n -= (size_t)(at + 1 - h);
                h = at + 1;
            }
            snprintf(out, outsz, "%.*s%.*s%s", (int)(sep ? sep + 3 - s : 0), s, (int)n, h, h[n] ? "/***" : "");
        } else if (s != NULL && (o->flags & OPT_URL)) {
            char *m = ra_redis_url_mask(s);
            snprintf(out, outsz, "%s", m ? m : "***");
            free(m);
        } else {
            snprintf(out, outsz, "%s", s ? s : "");
        }
        break;
    }
    case T_BOOL: {
        int b = *(const int *)ra_config_cfield(c, o);
        snprintf(out, outsz, "%s", o->choices && b >= 2 ? o->choices[b] : b ? "yes" : "no");
        break;
    }
    case T_INT: snprintf(out, outsz, "%d", *(const int *)ra_config_cfield(c, o)); break;
    case T_SIZE: ra_format_size(*(const long long *)ra_config_cfield(c, o), out, outsz); break;
    case T_DURATION: ra_format_duration(*(const long *)ra_config_cfield(c, o), out, outsz); break;
    case T_WINDOW: ra_format_window(ra_config_cfield(c, o), out, outsz); break;
    case T_WEEKDAYS: ra_format_weekdays(*(const unsigned *)ra_config_cfield(c, o), out, outsz); break;
    case T_ENUM: {
        int i = *(const int *)ra_config_cfield(c, o);
        snprintf(out, outsz, "%s", i >= 0 && i < 4 && o->choices[i] ? o->choices[i] : "?");
        break;
    }
    }
}

/* A value as the file parser reads it back: quoted when empty or when it has spaces, '#' or '"'. */
static void print_value(FILE *out, const char *v) {
    if (*v != '\0' && strpbrk(v, " \t#\"\\") == NULL) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') fputc('\\', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void ra_config_print(const ra_config *c, FILE *out) {
    char v[RA_CONFIG_VALUE_MAX + 16], env[96];  /* room for a masked password */
    if (c->config != NULL) fprintf(out, "# config file: %s\n", c->config);
    else fprintf(out, "# config file: none\n");
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        ra_config_format_value(c, (ra_config_key)k, v, sizeof(v));
        fprintf(out, "%-16s ", ra_config_opts[k].name);
        print_value(out, v);
        size_t w = strlen(v) + (strpbrk(v, " \t#\"\\") || !*v ? 2 : 0);
        fprintf(out, "%*s # ", w < 32 ? (int)(32 - w) : 0, "");
        switch (c->origin[k]) {
        case RA_ORIGIN_DEFAULT: fprintf(out, "default\n"); break;
        case RA_ORIGIN_FILE: fprintf(out, "file line %d\n", c->origin_line[k]); break;
        case RA_ORIGIN_ENV:
            ra_config_env_name(ra_config_opts[k].name, env, sizeof(env));
            fprintf(out, "env %s\n", env);
            break;
        case RA_ORIGIN_FLAG: fprintf(out, "flag --%s\n", ra_config_opts[k].name); break;
        case RA_ORIGIN_AMBIENT: fprintf(out, "%s\n", c->origin_var[k] ? c->origin_var[k] : "environment"); break;
        }
    }
    if (c->redis_password != NULL)
        fprintf(out, "# REDISCLI_AUTH is set: the source password when the URL carries none\n");
}

void ra_config_key_describe(ra_config_key k, ra_config_key_doc *d) {
    static const char *const booleans[] = {"yes", "no", NULL}, *const tri[] = {"yes", "no", "auto", NULL};
    memset(d, 0, sizeof(*d));
    if ((unsigned)k >= RA_CONFIG_NKEYS) return;
    const opt *o = &ra_config_opts[k];
    *d = (ra_config_key_doc){
        .name = o->name,
        .arg = o->type == T_BOOL ? (o->choices ? "[yes|no|auto]" : "[yes|no]") : o->arg,
        .help = o->help,
        .doc = o->doc,
        .def = o->def,
        .choices = o->type == T_BOOL ? (o->choices ? tri : booleans) : o->type == T_ENUM ? o->choices : NULL,
        .in_file = !(o->flags & OPT_NOFILE),
    };
}

void ra_config_print_help(FILE *out) {
    char env[96], left[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        const opt *o = &ra_config_opts[k];
        ra_config_env_name(o->name, env, sizeof(env));
        snprintf(left, sizeof(left), "--%s %s", o->name,
                 o->type == T_BOOL ? (o->choices ? "[yes|no|auto]" : "[yes|no]") : o->arg);
        fprintf(out, "  %-34s %s", left, env);
        if (o->def[0] != '\0') fprintf(out, ", default %s", o->def);
        fprintf(out, "\n      %s\n", o->help);
    }
}

void ra_config_write_sample(FILE *out) {
    char env[96];
    fprintf(out,
            "# redis-archiver configuration: " RA_CONFIG_DEFAULT_FILE "\n"
            "#\n"
            "# Syntax: one 'key value' per line, '#' starts a comment, a value may be written in\n"
            "# double quotes (with \\\" and \\\\ inside). Each key may also be set as a flag --key VALUE\n"
            "# or a variable REDIS_ARCHIVER_KEY (upper case, '-' as '_'); a flag wins over a\n"
            "# variable, a variable over this file, this file over the built-in default.\n"
            "# The file itself: --config PATH, else REDIS_ARCHIVER_CONFIG, else this path.\n"
            "# 'redis-archiver config' prints the settings in force and where each came from.\n"
            "#\n"
            "# Secrets do not belong here except in the source URL: the Redis password may also\n"
            "# come from REDISCLI_AUTH, S3 credentials only from the AWS variables or files.\n"
            "# Lines below set the defaults; commented-out lines are examples.\n");
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        const opt *o = &ra_config_opts[k];
        if (o->flags & OPT_NOFILE) continue;
        ra_config_env_name(o->name, env, sizeof(env));
        fprintf(out, "\n# %c%s.\n", toupper((unsigned char)o->help[0]), o->help + 1);
        for (const char *d = o->doc; d && *d;) {
            size_t n = strcspn(d, "\n");
            fprintf(out, "# %.*s\n", (int)n, d);
            d += n + (d[n] == '\n');
        }
        fprintf(out, "# Flag --%s, variable %s.\n", o->name, env);
        if (o->def[0] != '\0') {
            fprintf(out, "%s ", o->name);
            print_value(out, o->def);
            fputc('\n', out);
        } else {
            fprintf(out, "# %s %s\n", o->name, o->example ? o->example : "");
        }
    }
}
