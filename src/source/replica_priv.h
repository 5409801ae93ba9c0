/* replica_priv.h - private to src/source/replica*.c: the source's handle and the helpers its files share
 * (replica.c connects and checks the role; replica_sync.c syncs and hands the link over). */
#ifndef RA_SOURCE_REPLICA_PRIV_H
#define RA_SOURCE_REPLICA_PRIV_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/url.h"
#include "source/net.h"
#include "source/replica.h"
#include "source/resp.h"

#define MINIMAL_ACL "+psync +replconf +info"
#define MAX_REPLICAS 16

typedef struct replica_peer {
    char ip[64];
    int port;
    int online;
    long long offset;
    long long lag;
} replica_peer;

struct ra_replica {
    const ra_log *log;
    volatile sig_atomic_t *cancel;
    long connect_ms;
    long read_ms;
    long sync_ms;   /* deadline for the payload to start: keep-alives alone reset read_ms */
    int allow_master;
    int pick_replica;
    char *replica_allow; /* NULL or the comma-separated list of replicas credentials may go to */
    int allow_unchecked; /* accept an rdb whose checksum field is 0 */
    int unchecked;       /* the rdb synced had no checksum */
    char *sentinel_master; /* NULL: the url names the data node (or its master) */
    ra_host_port sentinels[RA_URL_HOSTS_MAX]; /* with sentinel_master: the url's hosts, asked in order */
    int nsentinels;
    int tls;
    char *user;     /* NULL: AUTH <password> (the default user) */
    char *password; /* secret: wiped on free, never logged */
    char *tls_ca, *tls_cert, *tls_key, *tls_sni;
    int tls_insecure;

    char host[RA_URL_HOST_MAX];
    int port;
    ra_conn *conn;
    ra_resp *resp; /* commands and replies of the handshake; only sends after it */
    int used; /* a connection serves one sync: rdb-only closes it after the RDB */
    int requested; /* the sink's requested hook ran */
    int keep_stream; /* no rdb-only; the link is handed over after the RDB (ra_replica_take_stream) */
    uint8_t *tail;   /* keep_stream: the stream bytes read with the end of the RDB */
    size_t tail_len;
    char replid[41];
    long long offset;

    /* from INFO / ROLE on the current server */
    char role[16];
    char version[32];
    int cluster;      /* INFO server: redis_mode:cluster */
    int link_up;      /* replica: master_link_status:up */
    int syncing;      /* replica: master_sync_in_progress:1 */
    replica_peer peers[MAX_REPLICAS];
    int npeers;
};

static inline int ra_replica_starts_with_ci(const char *s, const char *prefix) {
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* One handshake command and its reply (caller frees), within read_ms. */
ra_resp_reply *ra_replica_command(ra_replica *r, const char *what, int argc, const char **argv, ra_err *err);
/* Turn a server error reply to `cmd` into a message the operator can act on; returns -1. */
int ra_replica_server_error(ra_replica *r, const char *cmd, const char *e, ra_err *err);
/* A command whose answer must be +OK. */
int ra_replica_expect_ok(ra_replica *r, const char *what, int argc, const char **argv, ra_err *err);
/* Close the connection and its command channel (r stays usable for another). */
void ra_replica_close_conn(ra_replica *r);

#endif
