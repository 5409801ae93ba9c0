/* s3peer.c - the scripted HTTP peer of the unit tests (s3peer.h). */
#include "s3peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void answer(s3peer *p, int i, int c) {
    const s3peer_step *s = &p->steps[i];
    const char *hdrs = s->headers ? s->headers : "";
    int head = strncmp(p->requests[i], "HEAD ", 5) == 0;
    size_t blen = s->body && !head ? strlen(s->body) : 0;
    char *resp = NULL;
    int len;
    if (head && strcasestr(hdrs, "content-length"))
        len = asprintf(&resp, "HTTP/1.1 %d X\r\nConnection: close\r\n%s\r\n", s->status, hdrs);
    else
        len = asprintf(&resp, "HTTP/1.1 %d X\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s", s->status,
                       hdrs, blen, blen ? s->body : "");
    p->served = i + 1; /* before answering: the client may check it as soon as it has the answer */
    if (len < 0) return;
    if (s->trickle_ms > 0 && blen > 0) {
        size_t at = s->trickle_at > 0 && (size_t)s->trickle_at < blen ? (size_t)s->trickle_at : 0;
        size_t hl = (size_t)len - blen + at, slow = s->trickle_bytes > 0 ? (size_t)s->trickle_bytes : blen;
        if (slow > blen - at) slow = blen - at;
        int ok = write(c, resp, hl) == (ssize_t)hl;
        size_t b = hl;
        for (; ok && b < hl + slow; b++) {
            pause_ms(s->trickle_ms);
            ok = write(c, resp + b, 1) == 1;
        }
        if (ok && b < (size_t)len && write(c, resp + b, (size_t)len - b) < 0) {
        }
    } else if (write(c, resp, (size_t)len) < 0) {
    }
    free(resp);
}

static void *serve(void *arg) {
    s3peer *p = arg;
    for (int i = 0; i < (p->reply ? S3PEER_MAX_STEPS : p->nsteps); i++) {
        int c = accept(p->fd, NULL, NULL);
        if (c < 0) break;
        char buf[1 << 16];
        size_t n = 0;
        char *end = NULL;
        while (end == NULL && n < sizeof(buf) - 1) {
            ssize_t r = read(c, buf + n, sizeof(buf) - 1 - n);
            if (r <= 0) break;
            n += (size_t)r;
            buf[n] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        if (end == NULL) {
            close(c);
            continue;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        long long clen = 0;
        const char *cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl != NULL && cl < end) clen = strtoll(cl + 17, NULL, 10);
        /* the request as received: headers, then as much of the body as fits */
        char *rq = p->requests[i];
        size_t keep = n < S3PEER_REQUEST_MAX - 1 ? n : S3PEER_REQUEST_MAX - 1;
        memcpy(rq, buf, keep);
        rq[keep] = '\0';
        long long have = (long long)(n - hlen);
        int delay = p->steps[i].read_delay_ms;
        while (have < clen) {
            if (delay > 0) pause_ms(delay);
            ssize_t r = read(c, buf, delay > 0 ? 16384 : sizeof(buf));
            if (r <= 0) break;
            if (keep < S3PEER_REQUEST_MAX - 1) {
                size_t m = (size_t)r < S3PEER_REQUEST_MAX - 1 - keep ? (size_t)r : S3PEER_REQUEST_MAX - 1 - keep;
                memcpy(rq + keep, buf, m);
                keep += m;
                rq[keep] = '\0';
            }
            have += r;
        }
        p->body_len[i] = (size_t)have;
        if (p->reply) p->reply(p, i, p->reply_arg);
        if (p->steps[i].status == 0) {
            p->served = i + 1;
            while (read(c, buf, sizeof(buf)) > 0) {
            }
        } else {
            answer(p, i, c);
        }
        close(c);
    }
    return NULL;
}

void s3peer_start(s3peer *p, const s3peer_step *steps, int n) {
    if (steps != NULL) {
        memset(p, 0, sizeof(*p));
        if (n > S3PEER_MAX_STEPS) abort();
        memcpy(p->steps, steps, (size_t)n * sizeof(*steps));
        p->nsteps = n;
    }
    p->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* small kernel buffers, as on a slow link: bytes the client counts as sent are then
     * nearly all taken by the peer (accepted sockets inherit it) */
    int rcvbuf = 32 * 1024;
    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(p->fd, (struct sockaddr *)&a, &al) != 0 || listen(p->fd, 16) != 0) {
        perror("s3peer: cannot listen on 127.0.0.1");
        abort();
    }
    p->port = ntohs(a.sin_port);
    pthread_create(&p->thread, NULL, serve, p);
}

void s3peer_add(s3peer *p, int status, const char *headers, char *body) {
    if (p->nsteps >= S3PEER_MAX_STEPS) abort();
    s3peer_step *s = &p->steps[p->nsteps++];
    memset(s, 0, sizeof(*s));
    s->status = status;
    if (headers != NULL) {
        char *h = strdup(headers);
        if (h == NULL) abort();
        p->owned[p->nowned++] = h;
        s->headers = h;
    }
    if (body != NULL) p->owned[p->nowned++] = body;
    s->body = body;
}

void s3peer_stop(s3peer *p) {
    shutdown(p->fd, SHUT_RDWR);
    close(p->fd);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < p->nowned; i++) free(p->owned[i]);
    p->nowned = 0;
}
