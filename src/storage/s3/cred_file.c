/* cred_file.c - profiles from the shared AWS files, and credential_process. */
#include "storage/s3/cred_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The whole file, or NULL with *missing set when it does not exist. */
static char *slurp(const char *path, int *missing, ra_err *err) {
    *missing = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *missing = 1;
            return NULL;
        }
        ra_err_set(err, RA_E_USAGE, "the AWS shared file '%s' cannot be read: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, RA_S3_CRED_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, RA_S3_CRED_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL) {
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    if (bad || n > RA_S3_CRED_FILE_MAX) {
        ra_err_set(err, RA_E_USAGE, "the AWS shared file '%s' %s", path, bad ? "cannot be read" : "is over 1 MiB");
        explicit_bzero(buf, RA_S3_CRED_FILE_MAX + 1);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int ra_s3_cred_files_profile(const char *config_path, const char *creds_path, const char *profile,
                             ra_s3_cred_profile *p, ra_err *err) {
    memset(p, 0, sizeof(*p));
    const char *paths[] = {config_path, creds_path};
    for (int i = 0; i < 2; i++) {
        if (paths[i] == NULL) continue;
        int missing;
        char *text = slurp(paths[i], &missing, err);
        if (text == NULL && missing) continue;
        if (text == NULL) return -1;
        int r = ra_s3_cred_profile_parse(p, text, profile, i == 0);
        explicit_bzero(text, strlen(text));
        free(text);
        if (r < 0) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    return 0;
}

int ra_s3_cred_process(const char *command, ra_s3_credentials *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    char *buf = calloc(1, RA_S3_CRED_PROCESS_MAX + 1);
    if (buf == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    fflush(NULL);
    FILE *f = popen(command, "r");
    if (f == NULL) {
        free(buf);
        return ra_err_set(err, RA_E_STORE, "credential_process cannot be started: %s", strerror(errno));
    }
    size_t n = 0, k;
    while ((k = fread(buf + n, 1, RA_S3_CRED_PROCESS_MAX + 1 - n, f)) > 0 && n + k <= RA_S3_CRED_PROCESS_MAX) n += k;
    int too_big = k > 0;
    if (too_big) { /* drain, so that the child is not left blocked */
        char sink[4096];
        while (fread(sink, 1, sizeof(sink), f) > 0) {
        }
    }
    int st = pclose(f);
    int r = -1;
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        ra_err_set(err, RA_E_STORE, "credential_process failed (%s %d)",
                   st != -1 && WIFSIGNALED(st) ? "signal" : "exit status",
                   st == -1 ? -1 : WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    else if (too_big)
        ra_err_set(err, RA_E_STORE, "credential_process wrote more than 64 KiB");
    else
        r = ra_s3_cred_parse_json(buf, n, 1, "credential_process", out, err);
    explicit_bzero(buf, RA_S3_CRED_PROCESS_MAX + 1);
    free(buf);
    return r;
}
