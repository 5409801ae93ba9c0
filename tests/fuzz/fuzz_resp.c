/* fuzz_resp.c - libFuzzer: the handshake reply parser (hiredis behind resp.c) on arbitrary bytes.
 * Never crashes, never allocates past its limits (libFuzzer's -rss_limit_mb catches that), and
 * status/error text in a parsed reply is printable ASCII. */
#include <stdint.h>
#include <stdlib.h>

#include "source/resp.h"

static void check(const ra_resp_reply *r, int depth) {
    if (r == NULL || depth > 8) abort();
    if ((r->type == RA_RESP_STATUS || r->type == RA_RESP_ERROR) && r->str != NULL)
        for (const char *p = r->str; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) abort();
    if (r->type == RA_RESP_ARRAY && r->elements > RA_RESP_ELEMENTS_MAX) abort();
    for (size_t i = 0; r->type == RA_RESP_ARRAY && i < r->elements; i++) check(r->element[i], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_err err = {0};
    ra_resp_reply *r = ra_resp_parse(data, size, &err);
    if (r != NULL) check(r, 0);
    ra_resp_reply_free(r);
    return 0;
}
