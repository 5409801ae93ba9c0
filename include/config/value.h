/* value.h - the text forms of configuration values: parsers (shared with commands: --expires 7d,
 * --days 30), canonical formatters, and the password helpers for URLs. */
#ifndef RA_CONFIG_VALUE_H
#define RA_CONFIG_VALUE_H

#include <stddef.h>

#include "common/err.h"
#include "config/schedule.h"

/* Value parsers. RA_E_USAGE with a message that quotes the bad text and shows the accepted forms;
 * no range checks beyond overflow. */
int ra_parse_bool(const char *s, int *out, ra_err *err);           /* yes/no true/false on/off 1/0 */
int ra_parse_size(const char *s, long long *out, ra_err *err);     /* 16777216, 16M, 16MiB, 1g; x1024 */
int ra_parse_duration(const char *s, long *seconds, ra_err *err);  /* 43200, 30s, 30m, 12h, 7d, 1w, 1h30m */
int ra_parse_int(const char *s, long long *out, ra_err *err);      /* decimal, optional sign */
int ra_parse_window(const char *s, ra_window *out, ra_err *err);   /* HH:MM-HH:MM, end may be 24:00 */
int ra_parse_weekdays(const char *s, unsigned *mask, ra_err *err); /* "*", "all", "mon,wed,fri", "mon-fri", "sat-sun" */
/* "UTC", "Z", "GMT", "+08:00", "-0530", "+8" -> *fixed 1 and *offset; an IANA name ("Asia/Shanghai")
 * -> *fixed 0, checked against the zoneinfo directory when there is one. */
int ra_parse_timezone(const char *s, int *fixed, long *offset, ra_err *err);

/* The `region` of profile (a name; "default") in the text of an AWS shared config file, as the AWS SDKs
 * read it: sections "[default]" (or "[profile default]") and "[profile NAME]", "key = value" with the key
 * in any case, '#' and ';' comments, indented lines belonging to the key above (sub-sections). NULL when
 * there is none; malloc'd. */
char *ra_parse_aws_config_region(const char *text, size_t len, const char *profile);

/* Canonical text forms: 16MiB, 12h, 02:00-03:00, mon-fri / * . */
void ra_format_size(long long bytes, char *out, size_t outsz);
void ra_format_duration(long seconds, char *out, size_t outsz);
void ra_format_window(const ra_window *w, char *out, size_t outsz);
void ra_format_weekdays(unsigned mask, char *out, size_t outsz);


#endif
