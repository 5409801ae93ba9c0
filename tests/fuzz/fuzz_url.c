/* fuzz_url.c - libFuzzer: the Redis URL parser, mask and scrub on arbitrary text. Never crashes;
 * a parsed password never survives the mask or the scrub: parsing the masked URL gives "***" in
 * its place (same user and hosts), parsing the scrubbed one gives only '*'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/url.h"

static void check_same_hosts(const ra_redis_url *a, const ra_redis_url *b) {
    if (a->nhosts != b->nhosts || a->tls != b->tls || a->db != b->db) abort();
    for (int i = 0; i < a->nhosts; i++)
        if (strcmp(a->hosts[i].host, b->hosts[i].host) != 0 || a->hosts[i].port != b->hosts[i].port) abort();
    if ((a->user == NULL) != (b->user == NULL) || (a->user && strcmp(a->user, b->user) != 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ra_redis_url u;
    ra_err err = {0};
    int ok = ra_redis_url_parse(text, &u, &err) == 0;
    if (ok && u.nhosts < 1) abort();
    char *masked = ra_redis_url_mask(text);
    if (masked == NULL) abort();
    if (ok && (u.password != NULL) != ra_redis_url_has_password(text)) abort();
    if (ok) {
        ra_redis_url m;
        if (ra_redis_url_parse(masked, &m, &err) != 0) abort();
        check_same_hosts(&u, &m);
        if (u.password != NULL && (m.password == NULL || strcmp(m.password, "***") != 0)) abort();
        ra_redis_url_clear(&m);
    }
    char *scrubbed = strdup(text);
    if (scrubbed == NULL) abort();
    ra_redis_url_scrub(scrubbed);
    if (strlen(scrubbed) != strlen(text)) abort();
    if (ok) {
        ra_redis_url s;
        if (ra_redis_url_parse(scrubbed, &s, &err) != 0) abort();
        check_same_hosts(&u, &s);
        for (const char *p = s.password; p != NULL && *p; p++)
            if (*p != '*') abort();
        ra_redis_url_clear(&s);
    }
    if (ra_redis_url_has_password(masked) != ra_redis_url_has_password(text)) abort();
    ra_redis_url_clear(&u);
    free(scrubbed);
    free(masked);
    free(text);
    return 0;
}
