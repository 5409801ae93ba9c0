/* fuzz_credparse.c - libFuzzer: the answers of the credential providers (container / IMDS JSON,
 * credential_process JSON, STS XML) and the shared-file profiles, fed the same arbitrary bytes; a
 * success leaves both keys set, a failure leaves nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/cred_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, ra_s3_credentials *c) {
    if (r == 0 && (c->access_key == NULL || c->secret_key == NULL || !*c->access_key || !*c->secret_key)) abort();
    if (r != 0 && (c->access_key != NULL || c->secret_key != NULL || c->session_token != NULL)) abort();
    ra_s3_credentials_clear(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    ra_err err;
    ra_s3_credentials c;
    check(ra_s3_cred_parse_json(body, size, 0, "fuzz", &c, &err), &c);
    check(ra_s3_cred_parse_json(body, size, 1, "fuzz", &c, &err), &c);
    check(ra_s3_cred_parse_sts(body, size, &c, &err), &c);
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ra_s3_cred_profile p = {0};
    if (ra_s3_cred_profile_parse(&p, text, "default", 1) < 0) abort();
    if (ra_s3_cred_profile_parse(&p, text, "x", 0) < 0) abort();
    ra_s3_cred_profile_clear(&p);
    free(text);
    return 0;
}
