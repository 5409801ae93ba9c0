/* allow.c - the replica-allow rule: which announced nodes may get the source credentials. Pure. */
#include "source/allow.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ra_allow_check(const char *allow, const char *seed_host, const char *ip, int node_port, ra_err *err) {
    if (strcasecmp(ip, seed_host) == 0) return 1;
    for (const char *e = allow; e != NULL && *e;) {
        e += strspn(e, " ");
        size_t n = strcspn(e, ",");
        while (n > 0 && e[n - 1] == ' ') n--;
        char item[300], *host = item, *port = NULL;
        if (n == 0) return ra_err_set(err, RA_E_USAGE, "empty entry in replica-allow (host or host:port, ...)");
        if (n >= sizeof(item))
            return ra_err_set(err, RA_E_USAGE, "replica-allow entry of %zu bytes is too long (host or host:port)", n);
        memcpy(item, e, n);
        item[n] = '\0';
        char *rb = item[0] == '[' ? strchr(item, ']') : NULL;
        if (rb != NULL) { /* [v6] or [v6]:port */
            host = item + 1;
            *rb = '\0';
            if (rb[1] == ':') port = rb + 2;
            else if (rb[1] != '\0') return ra_err_set(err, RA_E_USAGE, "invalid replica-allow entry '%s'", item);
        } else if (strchr(item, ':') != NULL && strchr(item, ':') == strrchr(item, ':')) { /* host:port */
            port = strchr(item, ':');
            *port++ = '\0';
        } /* else a host name, or an IPv6 address without a port */
        size_t pl = port != NULL ? strlen(port) : 0;
        int pv = port != NULL && pl >= 1 && pl <= 5 && strspn(port, "0123456789") == pl ? atoi(port) : 0;
        if (port != NULL && (pv <= 0 || pv > 65535))
            return ra_err_set(err, RA_E_USAGE, "invalid port in replica-allow entry '%.*s' (host or host:port)",
                              (int)n, e);
        if (strcasecmp(host, ip) == 0 && (port == NULL || pv == node_port)) return 1;
        e += n;
        e += strspn(e, " ");
        if (*e == ',') e++;
    }
    return 0;
}
