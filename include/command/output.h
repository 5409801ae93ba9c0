/* output.h - what commands print as JSON, in one place (jansson stays in this adapter and record.c). */
#ifndef RA_COMMAND_OUTPUT_H
#define RA_COMMAND_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "command/record.h"
#include "config/config.h"

typedef enum ra_out_type { RA_OUT_STR, RA_OUT_INT, RA_OUT_BOOL, RA_OUT_JSON } ra_out_type;

/* One member of a JSON object: a string (NULL prints null), an integer, a boolean (num 0/1) or JSON text
 * (str, such as an array of ra_output_json_text objects; NULL or not JSON prints null). */
typedef struct ra_out_field {
    const char *name;
    ra_out_type type;
    const char *str;
    long long num;
} ra_out_field;

/* An object of these members in this order, indented by 2, and a newline. */
void ra_output_json_object(FILE *out, const ra_out_field *fields, size_t n);
/* The same object as text without the newline (caller frees; NULL when out of memory), for arrays. */
char *ra_output_json_text(const ra_out_field *fields, size_t n);
/* A JSON array of the texts (NULL prints null), one per line, and a newline. */
void ra_output_json_array(FILE *out, char *const *texts, size_t n);
/* A JSON array of records, one per line, and a newline. */
void ra_output_records_json(FILE *out, const ra_record *recs, size_t n);

/* The same with members added to record i: nextra[i] of extra, taken in order (0: the record alone). */
void ra_output_records_json_with(FILE *out, const ra_record *recs, size_t n, const ra_out_field *extra,
                                 const size_t *nextra);

/* `config --json`: {"config_file": path or null, "settings": {key: {"value", "origin", "from"}, ...},
 * "redis_password_set": bool}. value as `config` prints it (passwords masked); origin default, file, env,
 * flag or environment (another tool's variable); from: "line N", the variable or the flag, else null. */
void ra_output_config_json(FILE *out, const ra_config *c);

#endif
