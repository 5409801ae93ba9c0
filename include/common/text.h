/* text.h - small text helpers shared by the CLI and the configuration. */
#ifndef RA_COMMON_TEXT_H
#define RA_COMMON_TEXT_H

#include <stddef.h>

/* Levenshtein distance of two short strings (for did-you-mean); 99 when either is over 63 bytes. */
int ra_edit_distance(const char *a, const char *b);

/* "94.8 MiB", "512 B": binary units, one decimal. */
void ra_human_bytes(double bytes, char *out, size_t outsz);

/* Append a copy of s to the growable array *v of *n strings (capacity *cap, doubled as needed).
 * -1 when out of memory (the array is unchanged). */
int ra_strv_push(char ***v, size_t *n, size_t *cap, const char *s);

#endif
