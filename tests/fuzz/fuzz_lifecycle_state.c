/* fuzz_lifecycle_state.c - libFuzzer: the retention state object's parser; a parsed state formats to a text
 * that parses back to the same state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command/lifecycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_lifecycle_state st, back;
    if (ra_lifecycle_state_parse((const char *)data, size, &st) != 0) return 0;
    if (strlen(st.rules) != RA_LIFECYCLE_HASH_LEN || (st.versioned != 0 && st.versioned != 1)) abort();
    char *text = ra_lifecycle_state_format(&st);
    if (text == NULL) return 0;
    if (ra_lifecycle_state_parse(text, strlen(text), &back) != 0 || back.checked != st.checked ||
        back.mode != st.mode || back.versioned != st.versioned || strcmp(back.rules, st.rules) != 0)
        abort();
    free(text);
    return 0;
}
