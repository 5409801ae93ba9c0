/* url.h - the one parser of Redis URLs, pure (no I/O, no libcurl):
 *
 *     redis://[userinfo@]host[:port][,host[:port]...][/[db]]      rediss:// for TLS
 *
 * Rules (the same for the source, the config check and every message):
 *  - no "://" means redis://; the scheme is redis or rediss, in any case;
 *  - the userinfo ends at the LAST '@' of the URL: a Redis URL has no path that could hold one
 *    (at most a db number), so passwords may contain '@', ':', '/', '?', '#' and ',' unencoded;
 *  - "user:password@": the user ends at the FIRST ':' (a password may hold more); "password@"
 *    with no ':' is a password for the default user, as redis-cli reads it (AUTH <password>).
 *    An empty user ("redis://:pw@h") is the default user; an empty password is no password;
 *  - user and password are percent-decoded (%41 -> 'A'); a '%' not followed by two hex digits
 *    stays as it is; a decoded NUL byte is refused;
 *  - hosts: a name or IPv4 address, or an IPv6 literal in brackets ("[::1]:6379"), each with an
 *    optional port (1..65535, default 6379); several hosts, comma separated, are Sentinels;
 *  - after the hosts: nothing, "/" or "/<db>" (decimal; parsed, unused by replication).
 * Error messages quote the URL with its password masked, never the password. */
#ifndef RA_COMMON_URL_H
#define RA_COMMON_URL_H

#include "common/err.h"

#define RA_URL_HOSTS_MAX 8
#define RA_URL_HOST_MAX 256 /* host name bytes, with the NUL */
#define RA_REDIS_PORT_DEFAULT 6379

typedef struct ra_host_port {
    char host[RA_URL_HOST_MAX]; /* an IPv6 literal without its brackets */
    int port;
} ra_host_port;

typedef struct ra_redis_url {
    int tls;        /* 1 for rediss:// */
    char *user;     /* decoded, NULL for the default user */
    char *password; /* decoded, NULL when none; a secret: ra_redis_url_clear wipes it */
    ra_host_port hosts[RA_URL_HOSTS_MAX];
    int nhosts;     /* >= 1 after a successful parse */
    int db;         /* from "/<db>", -1 when absent */
} ra_redis_url;

/* Parse text into *out (zeroed first). 0, or -1 with err set: RA_E_USAGE for a malformed URL
 * (the message quotes the masked URL), RA_E_INTERNAL when out of memory. On failure *out holds
 * nothing to free. */
int ra_redis_url_parse(const char *text, ra_redis_url *out, ra_err *err);

/* Wipe the password, free the strings, zero the struct. NULL-safe. */
void ra_redis_url_clear(ra_redis_url *u);

/* 1 when the URL's userinfo holds a non-empty password (by the rules above), else 0. Works on
 * any text, parseable or not. */
int ra_redis_url_has_password(const char *url);

/* A malloc'd copy with the password replaced by "***" (redis://u:***@h, or ***@h for a bare
 * password); the text unchanged when it has none. Works on any text. NULL when out of memory or url is NULL. */
char *ra_redis_url_mask(const char *url);

/* Overwrite the password in place with '*', keeping the length (for argv). NULL-safe. */
void ra_redis_url_scrub(char *url);

#endif
