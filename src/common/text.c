/* text.c - edit distance and human-readable sizes. */
#include "common/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ra_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void ra_human_bytes(double bytes, char *out, size_t outsz) {
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    snprintf(out, outsz, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int ra_strv_push(char ***v, size_t *n, size_t *cap, const char *s) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        char **nv = realloc(*v, c * sizeof(*nv));
        if (nv == NULL) return -1;
        *v = nv;
        *cap = c;
    }
    char *copy = strdup(s);
    if (copy == NULL) return -1;
    (*v)[(*n)++] = copy;
    return 0;
}
