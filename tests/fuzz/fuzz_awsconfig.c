/* fuzz_awsconfig.c - libFuzzer target: AWS shared config file text into the region reader of the config
 * layer (ra_parse_aws_config_region), for the default profile and a named one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const profiles[] = {"default", "prod"};
    for (size_t i = 0; i < 2; i++) {
        char *r = ra_parse_aws_config_region((const char *)data, size, profiles[i]);
        if (r == NULL) continue;
        /* a value of one line, trimmed, never empty, and taken from the text */
        size_t n = strlen(r);
        if (n == 0 || n > size || strchr(r, '\n') || r[0] == ' ' || r[n - 1] == ' ') abort();
        if (memmem(data, size, r, n) == NULL) abort();
        free(r);
    }
    return 0;
}
