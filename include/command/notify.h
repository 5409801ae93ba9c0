/* notify.h - telling someone about a finished backup: its record as JSON POSTed to notify-url, and
 * notify-command run with it on stdin. Both are bounded in time and neither changes the backup's
 * result: the caller logs their errors and goes on. */
#ifndef RA_COMMAND_NOTIFY_H
#define RA_COMMAND_NOTIFY_H

#include "common/err.h"
#include "common/log.h"

/* notify-on: which runs are announced (the order of the option's choices). */
typedef enum ra_notify_on { RA_NOTIFY_FAILURE, RA_NOTIFY_SUCCESS, RA_NOTIFY_ALWAYS } ra_notify_on;

/* Is a run that succeeded (or not) announced under `on`? */
int ra_notify_wanted(ra_notify_on on, int succeeded);

/* POST json (Content-Type: application/json) to url: up to `attempts` tries while connection errors,
 * 408, 429 and 5xx answers last, all within timeout_s; a 2xx answer is success. Redirects are not
 * followed. ca_file (NULL: the system's) verifies an https URL. Messages never hold the URL (it may
 * carry a token): only its scheme, host and port. RA_E_STORE on failure. */
int ra_notify_post(const char *url, const char *json, int attempts, long timeout_s, const char *ca_file,
                   const ra_log *log, ra_err *err);

/* Run `command` with /bin/sh -c, json on its stdin, its stdout sent to stderr, the environment plus
 * env (NULL-terminated "NAME=value" strings, may be NULL); killed (its whole process group) after
 * timeout_s. Fails when it cannot start, exits non-zero, or times out. */
int ra_notify_run(const char *command, const char *json, const char *const *env, long timeout_s, ra_err *err);

#endif
