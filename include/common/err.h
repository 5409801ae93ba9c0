/* err.h - errors as values: a code that maps to an exit code, and one message line. */
#ifndef RA_COMMON_ERR_H
#define RA_COMMON_ERR_H

/* Error classes. Each maps to a documented process exit code (see ra_err_exit_code and README). */
typedef enum ra_code {
    RA_OK = 0,
    RA_E_INTERNAL,  /* unexpected: out of memory, a bug                     exit 1 */
    RA_E_USAGE,     /* bad flag, bad config value, bad argument             exit 2 */
    RA_E_SOURCE,    /* Redis side: unreachable, auth, role, sync refused    exit 3 */
    RA_E_STORE,     /* S3 side: unreachable, denied, missing bucket, ...    exit 4 */
    RA_E_VERIFY,    /* RDB stream truncated or corrupt (CRC, header, EOF)   exit 5 */
    RA_E_NOTFOUND,  /* unknown backup id                                    exit 6 */
    RA_E_BUSY,      /* another backup of this instance is running           exit 7 */
    RA_E_CANCELLED, /* SIGTERM/SIGINT during a task                         exit 8 */
} ra_code;

#define RA_ERR_MSG_MAX 512

/* Carried by every fallible call: the first failure sets it, callers may prefix context. */
typedef struct ra_err {
    ra_code code;
    char msg[RA_ERR_MSG_MAX];
} ra_err;

/* Set code and message (printf-style); returns -1 so callers can `return ra_err_set(...)`.
 * err may be NULL. Messages are lowercase, no trailing period, and never contain secrets. */
int ra_err_set(ra_err *err, ra_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with context ("uploading part 3: " + old message); returns -1. */
int ra_err_prefix(ra_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ra_err_clear(ra_err *err);

/* Process exit code for an error class (0 for RA_OK). */
int ra_err_exit_code(ra_code code);

/* Short stable name of a class ("source", "store", ...), for JSON logs and status records. */
const char *ra_err_code_name(ra_code code);

#endif
