/* s3peer.h - a scripted HTTP peer on loopback for unit tests: it answers the n-th connection with the
 * n-th step (status, extra headers, body), records each request, and can answer slowly (a store that
 * trickles its body or sends whitespace before it), read slowly (a slow uplink) or never (a dead peer).
 * Or it answers by request: a reply function fills each step from the request it got.
 * Linked into every unit test (Makefile); shared by test_s3, test_catalog, test_lock, test_credentials,
 * test_objsink. */
#ifndef RA_TESTS_S3PEER_H
#define RA_TESTS_S3PEER_H

#include <pthread.h>
#include <stddef.h>

#define S3PEER_MAX_STEPS 40
#define S3PEER_REQUEST_MAX 4096

typedef struct s3peer_step {
    int status;          /* 0: never answer; hold the connection until the client closes it */
    const char *headers; /* extra header lines, each ending in \r\n; NULL = none */
    const char *body;    /* NULL = empty */
    int trickle_ms;      /* > 0: send the body one byte every trickle_ms (a slow store) */
    int read_delay_ms;   /* > 0: read the request body 16 KiB every read_delay_ms (a slow uplink) */
    int trickle_bytes;   /* with trickle_ms: only trickle_bytes of the body are trickled, from trickle_at (AWS's
                            whitespace in a slow Complete's answer), the rest goes at once; 0 = all */
    int trickle_at;      /* the body's first trickle_at bytes go with the headers */
} s3peer_step;

typedef struct s3peer s3peer;

/* Answer by request: fill p->steps[i] from p->requests[i] and p->body_len[i] (called on the peer's thread
 * once the i-th request is in; the strings put in the step must live until s3peer_stop). */
typedef void (*s3peer_reply_fn)(s3peer *p, int i, void *arg);

struct s3peer {
    int fd, port;
    pthread_t thread;
    s3peer_step steps[S3PEER_MAX_STEPS];
    char *owned[2 * S3PEER_MAX_STEPS]; /* what s3peer_add copied or took, freed by s3peer_stop */
    int nowned;
    int nsteps;
    volatile int served;                                   /* steps answered (set before each answer) */
    char requests[S3PEER_MAX_STEPS][S3PEER_REQUEST_MAX]; /* request line, headers, head of the body */
    size_t body_len[S3PEER_MAX_STEPS];                   /* request body bytes received */
    s3peer_reply_fn reply;                               /* set before s3peer_start: answer by request */
    void *reply_arg;
};

/* Listen on 127.0.0.1 (a free port, in p->port) and serve in a thread. steps != NULL: p is reset and
 * scripted with steps[0..n-1] (copied; the strings must outlive the peer). steps == NULL: p was zeroed
 * and scripted with s3peer_add, or given a reply function (then it serves up to S3PEER_MAX_STEPS requests). */
void s3peer_start(s3peer *p, const s3peer_step *steps, int n);
/* Append a step: headers are copied, body (malloc'd, may be NULL) is taken and freed by s3peer_stop. */
void s3peer_add(s3peer *p, int status, const char *headers, char *body);
/* Stop listening (a step still waiting for its connection is skipped), join, free what was added. */
void s3peer_stop(s3peer *p);

#endif
