/* err.c - error values and the exit-code table. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int exit_code;
} code_table[] = {
    [RA_OK] = {"ok", 0},
    [RA_E_INTERNAL] = {"internal", 1},
    [RA_E_USAGE] = {"usage", 2},
    [RA_E_SOURCE] = {"source", 3},
    [RA_E_STORE] = {"store", 4},
    [RA_E_VERIFY] = {"verify", 5},
    [RA_E_NOTFOUND] = {"notfound", 6},
    [RA_E_BUSY] = {"busy", 7},
    [RA_E_CANCELLED] = {"cancelled", 8},
};

int ra_err_set(ra_err *err, ra_code code, const char *fmt, ...) {
    if (err == NULL) return -1;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int ra_err_prefix(ra_err *err, const char *fmt, ...) {
    if (err == NULL) return -1;
    char head[RA_ERR_MSG_MAX], old[RA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t n = strlen(head);
    if (n >= sizeof(err->msg)) n = sizeof(err->msg) - 1;
    memcpy(err->msg, head, n);
    size_t rest = strnlen(old, sizeof(old) - 1);
    if (rest > sizeof(err->msg) - 1 - n) rest = sizeof(err->msg) - 1 - n;
    memcpy(err->msg + n, old, rest);
    err->msg[n + rest] = '\0';
    if (err->code == RA_OK) err->code = RA_E_INTERNAL;
    return -1;
}

void ra_err_clear(ra_err *err) {
    if (err == NULL) return;
    err->code = RA_OK;
    err->msg[0] = '\0';
}

int ra_err_exit_code(ra_code code) {
    if ((unsigned)code >= sizeof(code_table) / sizeof(code_table[0])) return 1;
    return code_table[code].exit_code;
}

const char *ra_err_code_name(ra_code code) {
    if ((unsigned)code >= sizeof(code_table) / sizeof(code_table[0])) return "internal";
    return code_table[code].name;
}
