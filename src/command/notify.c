/* notify.c - notify-url (libcurl easy, one POST with retries) and notify-command (fork + /bin/sh). */
#include "command/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/version.h"

extern char **environ;

int ra_notify_wanted(ra_notify_on on, int succeeded) {
    return on == RA_NOTIFY_ALWAYS || (on == RA_NOTIFY_SUCCESS) == (succeeded != 0);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx) {
    (void)p;
    (void)ctx;
    return size * n;
}

/* "http://host:port" of url, without user info, path or query (they may carry a token). */
static void url_origin(const char *url, char *out, size_t outsz) {
    const char *sep = strstr(url, "://");
    size_t scheme = sep ? (size_t)(sep + 3 - url) : 0;
    const char *p = url + scheme;
    size_t n = strcspn(p, "/?#");
    const char *at = memrchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(out, outsz, "%.*s%.*s", (int)scheme, url, (int)n, p);
}

int ra_notify_post(const char *url, const char *json, int attempts, long timeout_s, const char *ca_file,
                   const ra_log *log, ra_err *err) {
    char origin[300];
    url_origin(url, origin, sizeof(origin));
    CURL *h = curl_easy_init();
    if (h == NULL) return ra_err_set(err, RA_E_INTERNAL, "notify-url: out of memory");
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = hdr ? curl_slist_append(hdr, "Expect:") : NULL;
    if (h2 == NULL) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        return ra_err_set(err, RA_E_INTERNAL, "notify-url: out of memory");
    }
    hdr = h2;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "redis-archiver/" RA_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);

    double deadline = now_s() + (double)timeout_s;
    int rc = -1;
    char why[256] = "";
    for (int i = 1; i <= attempts; i++) {
        double left = deadline - now_s();
        if (left <= 0.05) break;
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(left * 1000));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(left * 1000));
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            rc = 0;
            break;
        }
        if (cc != CURLE_OK)
            snprintf(why, sizeof(why), "%s", curl_easy_strerror(cc));
        else
            snprintf(why, sizeof(why), "HTTP %ld", status);
        int again = cc != CURLE_OK || status == 408 || status == 429 || status >= 500;
        if (!again || i == attempts) break;
        double pause = (double)(1 << (i - 1)) * 0.5;
        if (now_s() + pause >= deadline) break;
        ra_log_warn(log, "notify.retry", "notify-url %s: %s; attempt %d of %d in %.1fs", origin, why, i + 1, attempts,
                    pause);
        struct timespec ts = {(time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9)};
        nanosleep(&ts, NULL);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (rc != 0)
        return ra_err_set(err, RA_E_STORE, "notify-url %s: POST failed: %s", origin,
                          why[0] ? why : "out of time");
    return 0;
}

/* The environment plus extra, for execve (built before fork: the child only calls async-signal-safe
 * functions). Caller frees the array (not the strings). */
static char **build_env(const char *const *extra) {
    size_t n = 0, m = 0;
    while (environ && environ[n]) n++;
    while (extra && extra[m]) m++;
    char **env = calloc(n + m + 1, sizeof(*env));
    if (env == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int shadowed = 0;
        for (size_t j = 0; j < m && !shadowed; j++) {
            size_t eq = strcspn(extra[j], "=");
            shadowed = strncmp(environ[i], extra[j], eq + 1) == 0;
        }
        if (!shadowed) env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++) env[k++] = (char *)extra[j];
    return env;
}

int ra_notify_run(const char *command, const char *json, const char *const *env, long timeout_s, ra_err *err) {
    char **envp = build_env(env);
    if (envp == NULL) return ra_err_set(err, RA_E_INTERNAL, "notify-command: out of memory");
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) {
        free(envp);
        return ra_err_set(err, RA_E_INTERNAL, "notify-command: pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        free(envp);
        return ra_err_set(err, RA_E_INTERNAL, "notify-command: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(2, 1);
        char *const argv[] = {(char *)"sh", (char *)"-c", (char *)command, NULL};
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    setpgid(pid, pid);
    free(envp);
    close(in[0]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    double deadline = now_s() + (double)timeout_s;
    size_t len = strlen(json), off = 0;
    while (off < len && now_s() < deadline) {
        ssize_t w = write(in[1], json + off, len - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {.fd = in[1], .events = POLLOUT};
            poll(&p, 1, 100);
        } else {
            break; /* it does not read its stdin: fine */
        }
    }
    close(in[1]);
    int status = 0;
    pid_t got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (got == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return ra_err_set(err, RA_E_INTERNAL, "notify-command did not finish within %lds and was killed", timeout_s);
    }
    if (got < 0) return ra_err_set(err, RA_E_INTERNAL, "notify-command: waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return ra_err_set(err, RA_E_INTERNAL, "notify-command was killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return ra_err_set(err, RA_E_INTERNAL, "notify-command exited with status %d", WEXITSTATUS(status));
    return 0;
}
