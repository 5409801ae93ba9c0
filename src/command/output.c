/* output.c - JSON output of commands: objects built from member lists, arrays of records. */
#include "command/output.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

char *ra_output_json_text(const ra_out_field *fields, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < n; i++) {
        const ra_out_field *f = &fields[i];
        json_t *v = f->type == RA_OUT_INT    ? json_integer((json_int_t)f->num)
                    : f->type == RA_OUT_BOOL ? json_boolean(f->num)
                    : f->type == RA_OUT_JSON ? (f->str ? json_loads(f->str, 0, NULL) : NULL)
                    : f->str != NULL         ? json_string(f->str)
                                             : json_null();
        json_object_set_new(o, f->name, v ? v : json_null());
    }
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return text;
}

void ra_output_json_object(FILE *out, const ra_out_field *fields, size_t n) {
    char *text = ra_output_json_text(fields, n);
    fprintf(out, "%s\n", text ? text : "null");
    free(text);
}

void ra_output_json_array(FILE *out, char *const *texts, size_t n) {
    fprintf(out, "[");
    for (size_t i = 0; i < n; i++) fprintf(out, "%s%s", i ? ",\n" : "\n", texts[i] ? texts[i] : "null");
    fprintf(out, "%s]\n", n ? "\n" : "");
}

void ra_output_records_json(FILE *out, const ra_record *recs, size_t n) {
    fprintf(out, "[");
    for (size_t i = 0; i < n; i++) {
        char *text = ra_record_to_json(&recs[i]);
        fprintf(out, "%s%s", i ? ",\n" : "\n", text ? text : "null");
        free(text);
    }
    fprintf(out, "%s]\n", n ? "\n" : "");
}

void ra_output_records_json_with(FILE *out, const ra_record *recs, size_t n, const ra_out_field *extra,
                                 const size_t *nextra) {
    fprintf(out, "[");
    for (size_t i = 0, at = 0; i < n; at += nextra[i], i++) {
        char *text = ra_record_to_json(&recs[i]);
        json_t *o = text && nextra[i] ? json_loads(text, 0, NULL) : NULL;
        char *more = nextra[i] ? ra_output_json_text(extra + at, nextra[i]) : NULL;
        json_t *m = more ? json_loads(more, 0, NULL) : NULL;
        if (o != NULL && m != NULL && json_object_update(o, m) == 0) {
            free(text);
            text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        }
        json_decref(o);
        json_decref(m);
        free(more);
        fprintf(out, "%s%s", i ? ",\n" : "\n", text ? text : "null");
        free(text);
    }
    fprintf(out, "%s]\n", n ? "\n" : "");
}

void ra_output_config_json(FILE *out, const ra_config *c) {
    static const char *const origins[] = {
        [RA_ORIGIN_DEFAULT] = "default", [RA_ORIGIN_FILE] = "file", [RA_ORIGIN_ENV] = "env",
        [RA_ORIGIN_FLAG] = "flag", [RA_ORIGIN_AMBIENT] = "environment"};
    json_t *root = json_object(), *settings = json_object();
    char v[RA_CONFIG_VALUE_MAX + 16], from[96];
    for (int k = 0; root != NULL && settings != NULL && k < RA_CONFIG_NKEYS; k++) {
        if (k == RA_KEY_CONFIG) continue;
        const char *name = ra_config_key_name((ra_config_key)k);
        ra_config_format_value(c, (ra_config_key)k, v, sizeof(v));
        from[0] = '\0';
        switch (c->origin[k]) {
        case RA_ORIGIN_DEFAULT: break;
        case RA_ORIGIN_FILE: snprintf(from, sizeof(from), "line %d", c->origin_line[k]); break;
        case RA_ORIGIN_ENV: ra_config_env_name(name, from, sizeof(from)); break;
        case RA_ORIGIN_FLAG: snprintf(from, sizeof(from), "--%s", name); break;
        case RA_ORIGIN_AMBIENT: snprintf(from, sizeof(from), "%s", c->origin_var[k] ? c->origin_var[k] : ""); break;
        }
        json_object_set_new(settings, name,
                            json_pack("{s:s, s:s, s:o}", "value", v, "origin", origins[c->origin[k]], "from",
                                      from[0] ? json_string(from) : json_null()));
    }
    if (root != NULL) {
        json_object_set_new(root, "config_file", c->config ? json_string(c->config) : json_null());
        json_object_set(root, "settings", settings);
        json_object_set_new(root, "redis_password_set", json_boolean(c->redis_password != NULL));
    }
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    fprintf(out, "%s\n", text ? text : "null");
    free(text);
    json_decref(settings);
    json_decref(root);
}
