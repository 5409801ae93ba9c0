/* file.c - a config file's text (ra_config_parse_text): "key = value" lines, comments, quoting; each
 * value set through the option table (option.c). Pure: reading the file is load.c's. */
#include "option.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ra_config_parse_text(ra_config *c, const char *text, size_t len, const char *name, ra_err *err) {
    int seen[RA_CONFIG_NKEYS] = {0};
    char *val = malloc(len + 1);  /* a value is never longer than the text */
    char key[72];
    int lineno = 0, rc = -1;
    if (val == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n > 0 && line[n - 1] == '\r') n--;
        if (memchr(line, '\0', n) != NULL) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: NUL byte in line", name, lineno);
            goto out;
        }
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == n || line[i] == '#') continue;
        size_t kb = i;
        while (i < n && line[i] != ' ' && line[i] != '\t') i++;
        size_t kn = i - kb;
        const char *eq = memchr(line + kb, '=', kn);
        if (eq != NULL) kn = (size_t)(eq - (line + kb));  /* "key=value": name the key, reject below */
        snprintf(key, sizeof(key), "%.*s", (int)(kn < 64 ? kn : 64), line + kb);
        int k = ra_config_find_n(line + kb, kn);
        if (k < 0) {
            const char *s = kn < 64 ? ra_config_suggest(key) : NULL;
            if (ra_config_has_ctl(key)) snprintf(key, sizeof(key), "?");
            if (s != NULL)
                ra_err_set(err, RA_E_USAGE, "%s:%d: unknown key '%s' (did you mean '%s'?)", name, lineno, key, s);
            else
                ra_err_set(err, RA_E_USAGE, "%s:%d: unknown key '%s'", name, lineno, key);
            goto out;
        }
        if (eq != NULL) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: write '%s value', not '%s=value'", name, lineno, key, key);
            goto out;
        }
        if (ra_config_opts[k].flags & OPT_NOFILE) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: key '%s' cannot be set in a config file", name, lineno, key);
            goto out;
        }
        if (seen[k]) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: duplicate key '%s' (first set on line %d)", name, lineno,
                       key, seen[k]);
            goto out;
        }
        seen[k] = lineno;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == n || line[i] == '#') {
            ra_err_set(err, RA_E_USAGE, "%s:%d: key '%s' needs a value", name, lineno, key);
            goto out;
        }
        size_t vn = 0;
        if (line[i] == '"') {
            int closed = 0;
            for (i++; i < n; i++) {
                if (line[i] == '"') {
                    closed = 1;
                    i++;
                    break;
                }
                if (line[i] == '\\') {
                    if (i + 1 == n || (line[i + 1] != '"' && line[i + 1] != '\\')) {
                        ra_err_set(err, RA_E_USAGE, "%s:%d: %s: bad escape in quoted value (only \\\" and \\\\)",
                                   name, lineno, key);
                        goto out;
                    }
                    i++;
                }
                val[vn++] = line[i];
            }
            if (!closed) {
                ra_err_set(err, RA_E_USAGE, "%s:%d: %s: unterminated quoted value", name, lineno, key);
                goto out;
            }
            while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
            if (i < n && line[i] != '#') {
                ra_err_set(err, RA_E_USAGE, "%s:%d: %s: unexpected text after the closing quote", name,
                           lineno, key);
                goto out;
            }
        } else {
            /* The rest of the line; " #" starts a comment. */
            size_t e = i;
            while (e < n && !(line[e] == '#' && (line[e - 1] == ' ' || line[e - 1] == '\t'))) e++;
            while (e > i && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
            vn = e - i;
            memcpy(val, line + i, vn);
        }
        val[vn] = '\0';
        if (memchr(val, '\0', vn) != NULL || ra_config_has_ctl(val)) {
            ra_err_set(err, RA_E_USAGE, "%s:%d: %s: value contains a control character", name, lineno, key);
            goto out;
        }
        if (ra_config_set_value(c, &ra_config_opts[k], val, err) != 0) {
            ra_err_prefix(err, "%s:%d: %s: ", name, lineno, key);
            goto out;
        }
        c->origin[k] = RA_ORIGIN_FILE;
        c->origin_line[k] = lineno;
        c->origin_var[k] = NULL;
    }
    rc = 0;
out:
    free(val);
    return rc;
}
