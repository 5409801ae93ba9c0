/* fuzz_metrics.c - libFuzzer: reading back a metrics file (a textfile collector directory is often
 * writable by others) from arbitrary bytes; what it reads formats and reads back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_metrics m;
    memset(&m, 0, sizeof(m));
    ra_metrics_parse(&m, "fuzz", (const char *)data, size);
    char *text = ra_metrics_format(&m, "fuzz");
    if (text == NULL) return 0;
    ra_metrics back;
    memset(&back, 0, sizeof(back));
    ra_metrics_parse(&back, "fuzz", text, strlen(text));
    char *again = ra_metrics_format(&back, "fuzz");
    if (again == NULL || strcmp(text, again) != 0) abort();
    free(again);
    free(text);
    return 0;
}
