/* output.c - JSON output of commands: objects built from member lists, arrays of records. */
#include "command/output.h"

#include <jansson.h>
#include <stdlib.h>

char *ra_output_json_text(const ra_out_field *fields, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < n; i++) {
        const ra_out_field *f = &fields[i];
        json_t *v = f->type == RA_OUT_INT    ? json_integer((json_int_t)f->num)
                    : f->type == RA_OUT_BOOL ? json_boolean(f->num)
                    : f->str != NULL         ? json_string(f->str)
                                             : json_null();
        json_object_set_new(o, f->name, v);
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
