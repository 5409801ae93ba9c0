/* option.h - private to src/config: the option table and the helpers its files share. */
#ifndef RA_CONFIG_OPTION_H
#define RA_CONFIG_OPTION_H

#include <stddef.h>

#include "config/config.h"

typedef enum opt_type { T_STR, T_BOOL, T_INT, T_SIZE, T_DURATION, T_WINDOW, T_WEEKDAYS, T_TZ, T_ENUM } opt_type;

/* Checks a non-empty string value; may replace it with a normalized copy in *norm. */
typedef int (*check_fn)(const char *v, char **norm, ra_err *err);

#define OPT_URL 1u     /* may carry a password: masked when shown */
#define OPT_NOFILE 2u  /* not settable in the config file */
#define OPT_SECRET_PATH 4u  /* a URL whose path and query may be a secret (a webhook's token): shown as
                               scheme://host/... with the rest masked */

typedef struct opt {
    const char *name;
    opt_type type;
    size_t off;               /* field in ra_config */
    const char *def;          /* default as text; "" = unset */
    long long min, max;       /* T_INT, T_SIZE, T_DURATION */
    const char *arg;          /* kind of value, for --help */
    const char *help;         /* one line */
    const char *doc;          /* more lines for the sample file, may be NULL */
    const char *example;      /* shown commented out in the sample when def is "" */
    const char *const *choices;  /* T_ENUM, index = stored value */
    check_fn check;           /* T_STR */
    unsigned flags;
} opt;

extern const opt ra_config_opts[RA_CONFIG_NKEYS];

/* Index of the key whose name is the n bytes at name, or -1. */
int ra_config_find_n(const char *name, size_t n);
/* Does s hold a control character? */
int ra_config_has_ctl(const char *s);
/* Append a warning for the logger; -1 when out of memory. */
int ra_config_push_warning(ra_config *c, const char *text);
/* Set the key o from text (no origin recorded). */
int ra_config_set_value(ra_config *c, const opt *o, const char *v, ra_err *err);
/* RA_E_USAGE when a zoneinfo directory ($TZDIR, else /usr/share/zoneinfo) exists and has no file
 * `name` (load.c: the one look at the file system a value parser needs). */
int ra_config_zone_check(const char *name, ra_err *err);
static inline const void *ra_config_cfield(const ra_config *c, const opt *o) { return (const char *)c + o->off; }

#endif
