/* httpd.c - a listening socket and one thread serving /metrics and /healthz. */
#include "command/httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUEST_MAX 4096
#define CLIENT_TIMEOUT_MS 2000

struct ra_httpd {
    int fd;
    int wake[2];           /* a byte on wake[1] stops the thread */
    pthread_t thread;
    pthread_mutex_t lock;  /* guards m */
    ra_metrics m;
    char *instance;
    long max_age;
    time_t started;
    int port;
    const ra_log *log;
};

static void send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *reason, const char *type, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, type, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* Read the request line and headers (up to the blank line), at most REQUEST_MAX bytes. */
static int read_request(int fd, char *buf, size_t size) {
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, CLIENT_TIMEOUT_MS) <= 0) return -1;
        ssize_t r = recv(fd, buf + n, size - 1 - n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n")) return 0;
    }
    return -1;
}

static void serve_one(ra_httpd *h, int fd) {
    char req[REQUEST_MAX];
    if (read_request(fd, req, sizeof(req)) != 0) return;
    char method[8] = "", path[256] = "";
    if (sscanf(req, "%7s %255s", method, path) != 2) {
        reply(fd, 400, "Bad Request", "text/plain", "bad request\n");
        return;
    }
    char *q = strchr(path, '?');
    if (q) *q = '\0';
    int head = strcmp(method, "HEAD") == 0;
    if (strcmp(method, "GET") != 0 && !head) {
        reply(fd, 405, "Method Not Allowed", "text/plain", "only GET\n");
        return;
    }
    pthread_mutex_lock(&h->lock);
    ra_metrics m = h->m;
    pthread_mutex_unlock(&h->lock);
    if (strcmp(path, "/metrics") == 0) {
        if (m.archive_last_segment > 0 && time(NULL) > m.archive_last_segment)
            m.archive_lag_seconds = (long)(time(NULL) - m.archive_last_segment);
        char *text = ra_metrics_format(&m, h->instance);
        if (text == NULL) {
            reply(fd, 500, "Internal Server Error", "text/plain", "out of memory\n");
            return;
        }
        reply(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", head ? "" : text);
        free(text);
    } else if (strcmp(path, "/healthz") == 0) {
        time_t now = time(NULL);
        char body[256], when[32];
        int ok = ra_metrics_healthy(&m, now, h->max_age, h->started);
        if (ok && m.last_attempt == 0) {
            snprintf(body, sizeof(body), "ok: no scheduled backup yet\n");
        } else if (ok) {
            ra_time_iso(m.last_success, when);
            snprintf(body, sizeof(body), "ok: last scheduled backup succeeded at %s\n", when);
        } else if (m.last_attempt != 0 && !m.last_ok) {
            ra_time_iso(m.last_attempt, when);
            snprintf(body, sizeof(body), "unhealthy: the last scheduled backup failed at %s\n", when);
        } else {
            ra_time_iso(m.last_success, when);
            snprintf(body, sizeof(body), "unhealthy: no scheduled backup succeeded within health-max-age (%lds)%s%s\n",
                     h->max_age, m.last_success ? "; last success at " : "", m.last_success ? when : "");
        }
        reply(fd, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", "text/plain", head ? "" : body);
    } else {
        reply(fd, 404, "Not Found", "text/plain", "not found: try /metrics or /healthz\n");
    }
}

static void *serve(void *arg) {
    ra_httpd *h = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = h->fd, .events = POLLIN}, {.fd = h->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents) break;
        if (!(p[0].revents & POLLIN)) continue;
        int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) continue;
        serve_one(h, c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static int listen_on(const char *address, int *port, ra_err *err) {
    char host[300];
    const char *colon = strrchr(address, ':');
    if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
        return ra_err_set(err, RA_E_USAGE, "listen-address '%.64s': use host:port", address);
    size_t hn = (size_t)(colon - address);
    memcpy(host, address, hn);
    host[hn] = '\0';
    char *h = host;
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
        host[hn - 1] = '\0';
        h = host + 1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res);
    if (g != 0)
        return ra_err_set(err, RA_E_USAGE, "listen-address '%.64s': %s", address, gai_strerror(g));
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return ra_err_set(err, RA_E_USAGE, "listen-address '%.64s': cannot listen: %s (is the port in use?)", address,
                          strerror(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

ra_httpd *ra_httpd_new(const char *address, const char *instance, long health_max_age, const ra_metrics *m,
                       time_t started, const ra_log *log, ra_err *err) {
    ra_httpd *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->instance = strdup(instance)) == NULL) {
        free(h);
        ra_err_set(err, RA_E_INTERNAL, "out of memory");
        return NULL;
    }
    h->wake[0] = h->wake[1] = -1;
    h->fd = listen_on(address, &h->port, err);
    if (h->fd < 0 || pipe2(h->wake, O_CLOEXEC) != 0) {
        if (h->fd >= 0) ra_err_set(err, RA_E_INTERNAL, "pipe: %s", strerror(errno));
        if (h->fd >= 0) close(h->fd);
        free(h->instance);
        free(h);
        return NULL;
    }
    h->m = m ? *m : (ra_metrics){0};
    h->max_age = health_max_age;
    h->started = started;
    h->log = log;
    pthread_mutex_init(&h->lock, NULL);
    if (pthread_create(&h->thread, NULL, serve, h) != 0) {
        ra_err_set(err, RA_E_INTERNAL, "cannot start the metrics thread");
        close(h->fd);
        close(h->wake[0]);
        close(h->wake[1]);
        pthread_mutex_destroy(&h->lock);
        free(h->instance);
        free(h);
        return NULL;
    }
    return h;
}

void ra_httpd_seed(ra_httpd *h, const ra_metrics *m) {
    if (h == NULL) return;
    pthread_mutex_lock(&h->lock);
    h->m = *m;
    pthread_mutex_unlock(&h->lock);
}

void ra_httpd_add_run(ra_httpd *h, const ra_record *rec, ra_code code, double seconds, time_t now) {
    if (h == NULL) return;
    pthread_mutex_lock(&h->lock);
    ra_metrics_add(&h->m, rec, code, seconds, now);
    pthread_mutex_unlock(&h->lock);
}

void ra_httpd_set_archive(ra_httpd *h, time_t last_segment, long long lag_bytes) {
    if (h == NULL) return;
    pthread_mutex_lock(&h->lock);
    h->m.archive_last_segment = last_segment;
    h->m.archive_lag_bytes = lag_bytes;
    pthread_mutex_unlock(&h->lock);
}

int ra_httpd_port(const ra_httpd *h) { return h->port; }

void ra_httpd_free(ra_httpd *h) {
    if (h == NULL) return;
    ssize_t w;
    do w = write(h->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(h->thread, NULL);
    close(h->fd);
    close(h->wake[0]);
    close(h->wake[1]);
    pthread_mutex_destroy(&h->lock);
    free(h->instance);
    free(h);
}
