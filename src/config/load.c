/* load.c - where configuration comes from: argv, the REDIS_ARCHIVER_* variables, the config file,
 * and the variables of other tools that fill what those leave unset (AWS_REGION, AWS_ENDPOINT_URL,
 * REDISCLI_AUTH). The only file of src/config that reads files or the environment. */
#include "option.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/url.h"

#define FILE_MAX (1024 * 1024)

int ra_config_load_file(ra_config *c, const char *path, ra_err *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ra_err_set(err, RA_E_USAGE, "cannot open config file '%s': %s", path, strerror(errno));
    char *buf = malloc(FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    size_t n = fread(buf, 1, FILE_MAX + 1, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc;
    if (rd_err)
        rc = ra_err_set(err, RA_E_USAGE, "cannot read config file '%s'", path);
    else if (n > FILE_MAX)
        rc = ra_err_set(err, RA_E_USAGE, "config file '%s' is larger than 1 MiB", path);
    else
        rc = ra_config_parse_text(c, buf, n, path, err);
    free(buf);
    if (rc == 0 && ra_config_set(c, "config", path, c->origin[RA_KEY_CONFIG], 0, "config", err) != 0)
        return -1;
    return rc;
}

/* ---------- environment ---------- */

int ra_config_load_env(ra_config *c, ra_err *err) {
    char name[96];
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        ra_config_env_name(ra_config_opts[k].name, name, sizeof(name));
        const char *v = getenv(name);
        if (v == NULL || *v == '\0') continue;
        if (ra_config_set(c, ra_config_opts[k].name, v, RA_ORIGIN_ENV, 0, name, err) != 0) return -1;
    }
    /* Misspelt variables are silently ignored otherwise: say so. */
    size_t plen = strlen(RA_CONFIG_ENV_PREFIX);
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, RA_CONFIG_ENV_PREFIX, plen) != 0) continue;
        size_t n = strcspn(*e, "=");
        if (n - plen == 0 || n >= sizeof(name)) continue;
        char key[96];
        for (size_t i = plen; i < n; i++)
            key[i - plen] = (*e)[i] == '_' ? '-' : (char)tolower((unsigned char)(*e)[i]);
        key[n - plen] = '\0';
        if (ra_config_key_find(key) >= 0) continue;
        char msg[256];
        const char *s = ra_config_suggest(key);
        if (s != NULL) {
            ra_config_env_name(s, name, sizeof(name));
            snprintf(msg, sizeof(msg), "unknown variable %.*s ignored (did you mean %s?)", (int)(n > 80 ? 80 : n),
                     *e, name);
        } else {
            snprintf(msg, sizeof(msg), "unknown variable %.*s ignored", (int)(n > 80 ? 80 : n), *e);
        }
        if (ra_config_push_warning(c, msg) != 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    return 0;
}

/* ---------- other tools' variables ---------- */

/* The first of two variables that is set and not empty, its name in *name. */
static const char *env_first(const char *a, const char *b, const char **name) {
    const char *v = getenv(a);
    *name = a;
    if (v == NULL || *v == '\0') {
        v = getenv(b);
        *name = b;
    }
    return v != NULL && *v != '\0' ? v : NULL;
}

/* The `region` of the active profile (AWS_PROFILE, else default) in the AWS shared config file
 * (AWS_CONFIG_FILE, else ~/.aws/config), parsed by ra_parse_aws_config_region. NULL when there is none or the
 * file cannot be read (a missing file is the usual case); malloc'd. *origin names where it came from. */
static char *shared_config_region(const char **origin) {
    const char *file = getenv("AWS_CONFIG_FILE"), *home = getenv("HOME"), *profile = getenv("AWS_PROFILE");
    char path[PATH_MAX];
    int named = profile != NULL && *profile != '\0';
    if (file != NULL && *file != '\0') {
        snprintf(path, sizeof(path), "%s", file);
        *origin = named ? "AWS_CONFIG_FILE, profile of AWS_PROFILE" : "AWS_CONFIG_FILE, profile default";
    } else if (home != NULL && *home != '\0') {
        snprintf(path, sizeof(path), "%s/.aws/config", home);
        *origin = named ? "~/.aws/config, profile of AWS_PROFILE" : "~/.aws/config, profile default";
    } else {
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = malloc(FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_MAX, f) : 0;
    fclose(f);
    char *region = buf ? ra_parse_aws_config_region(buf, n, named ? profile : "default") : NULL;
    free(buf);
    return region;
}

int ra_config_load_ambient(ra_config *c, ra_err *err) {
    const char *var, *v;
    if (c->region == NULL) {
        v = env_first("AWS_REGION", "AWS_DEFAULT_REGION", &var);
        if (v != NULL && ra_config_set_ambient(c, RA_KEY_REGION, v, var, err) != 0) return -1;
        char *shared = v == NULL ? shared_config_region(&var) : NULL;
        if (shared != NULL) {
            int r = ra_config_set_ambient(c, RA_KEY_REGION, shared, var, err);
            free(shared);
            if (r != 0) return -1;
            v = "";
        }
        if (v == NULL && ra_config_set(c, "region", RA_S3_REGION_DEFAULT, RA_ORIGIN_DEFAULT, 0, "region", err) != 0)
            return -1;
    }
    if (c->endpoint == NULL) {
        v = env_first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", &var);
        if (v != NULL && ra_config_set_ambient(c, RA_KEY_ENDPOINT, v, var, err) != 0) return -1;
    }
    v = getenv("REDISCLI_AUTH");
    if (c->redis_password != NULL) {
        explicit_bzero(c->redis_password, strlen(c->redis_password));
        free(c->redis_password);
        c->redis_password = NULL;
    }
    if (v != NULL && *v != '\0' && (c->redis_password = strdup(v)) == NULL)
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    return 0;
}

/* ---------- flags ---------- */

typedef struct pending {
    int key;
    const char *value;
    const char *arg;  /* the argv word naming the flag, for messages */
} pending;

static int is_bool_word(const char *s) {
    static const char *const w[] = {"yes", "no", "true", "false", "on", "off"};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        if (strcasecmp(s, w[i]) == 0) return 1;
    return 0;
}

static int in_list(const char *const *list, const char *s) {
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

int ra_config_load(ra_config *c, int argc, char **argv, const char *const *value_flags,
                   int *nrest, char ***rest, ra_err *err) {
    pending *pend = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*pend));
    free(c->rest);
    c->rest = calloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
    c->nrest = 0;
    int np = 0, rc = -1;
    const char *config_path = NULL;
    if (pend == NULL || c->rest == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc) c->rest[c->nrest++] = argv[i++];
            break;
        }
        int k = -1, negated = 0;
        const char *eq = NULL;
        if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            const char *name = a + 2;
            eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            k = ra_config_find_n(name, n);
            if (k < 0 && n > 3 && strncmp(name, "no-", 3) == 0 && eq == NULL) {
                k = ra_config_find_n(name + 3, n - 3);
                if (k >= 0 && ra_config_opts[k].type == T_BOOL) negated = 1;
                else k = -1;
            }
        }
        if (k < 0) {
            c->rest[c->nrest++] = argv[i];
            if (in_list(value_flags, a) && i + 1 < argc) c->rest[c->nrest++] = argv[++i];
            continue;
        }
        const char *v;
        if (eq != NULL) {
            v = eq + 1;
        } else if (ra_config_opts[k].type == T_BOOL) {
            v = negated ? "no" : "yes";
            if (!negated && i + 1 < argc &&
                (is_bool_word(argv[i + 1]) || (ra_config_opts[k].choices && strcasecmp(argv[i + 1], "auto") == 0)))
                v = argv[++i];
        } else {
            if (i + 1 >= argc) {
                ra_err_set(err, RA_E_USAGE, "--%s needs a value", ra_config_opts[k].name);
                goto out;
            }
            v = argv[++i];
            if (strncmp(v, "--", 2) == 0) {
                ra_err_set(err, RA_E_USAGE, "--%s needs a value (got the flag '%.64s')", ra_config_opts[k].name, v);
                goto out;
            }
        }
        if (k == RA_KEY_CONFIG) {
            if (*v == '\0') {
                ra_err_set(err, RA_E_USAGE, "--config needs a value");
                goto out;
            }
            config_path = v;
            continue;
        }
        pend[np].key = k;
        pend[np].value = v;
        pend[np].arg = a;
        np++;
    }
    c->rest[c->nrest] = NULL;

    /* Lowest precedence first: file, environment, flags. */
    ra_config_origin file_origin = RA_ORIGIN_FLAG;
    if (config_path == NULL) {
        const char *e = getenv(RA_CONFIG_ENV_PREFIX "CONFIG");
        if (e != NULL && *e != '\0') {
            config_path = e;
            file_origin = RA_ORIGIN_ENV;
        } else if (access(RA_CONFIG_DEFAULT_FILE, F_OK) == 0) {
            config_path = RA_CONFIG_DEFAULT_FILE;
            file_origin = RA_ORIGIN_DEFAULT;
        }
    }
    if (config_path != NULL) {
        c->origin[RA_KEY_CONFIG] = file_origin;
        if (ra_config_load_file(c, config_path, err) != 0) goto out;
    }
    if (ra_config_load_env(c, err) != 0) goto out;
    for (int i = 0; i < np; i++) {
        char where[80];
        snprintf(where, sizeof(where), "--%s", ra_config_opts[pend[i].key].name);
        if (ra_config_set(c, ra_config_opts[pend[i].key].name, pend[i].value, RA_ORIGIN_FLAG, 0, where, err) != 0)
            goto out;
        if (pend[i].key == RA_KEY_SOURCE && ra_redis_url_has_password(pend[i].value)) {
            c->source_password_in_argv = 1;
            /* Hide it from /proc/PID/cmdline now; it was visible from exec until here. */
            ra_redis_url_scrub((char *)pend[i].value);
        }
    }
    if (ra_config_load_ambient(c, err) != 0) goto out;
    if (c->source_password_in_argv &&
        ra_config_push_warning(c, "the --source URL carried a password, which other users could see in the process "
                        "list until it was hidden: put it in the config file, REDIS_ARCHIVER_SOURCE or "
                        "REDISCLI_AUTH") != 0) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    if (c->sse_kms_key_id && c->sse != 2 /* aws:kms */ &&
        ra_config_push_warning(c, "sse-kms-key-id is ignored unless sse is aws:kms") != 0) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(pend);
    if (nrest != NULL) *nrest = c->rest ? c->nrest : 0;
    if (rest != NULL) *rest = c->rest;
    return rc;
}


/* ---------- the zoneinfo directory ---------- */

int ra_config_zone_check(const char *name, ra_err *err) {
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0') dir = "/usr/share/zoneinfo";
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return ra_err_set(err, RA_E_USAGE, "unknown time zone '%s' (not in %.200s)", name, dir);
    }
    return 0;
}
