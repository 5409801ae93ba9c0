/* fuzz_config.c - libFuzzer target: config-file text into the file parser, then print and re-read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/url.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ra_config c;
    ra_err err = {0};
    ra_config_init(&c);
    if (ra_config_parse_text(&c, (const char *)data, size, "fuzz.conf", &err) != 0) {
        /* Every rejection is a usage error naming the file and a line. */
        if (err.code != RA_E_USAGE || strncmp(err.msg, "fuzz.conf:", 10) != 0) abort();
        ra_config_clear(&c);
        return 0;
    }
    /* Accepted: what `config` prints must read back to the same settings. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (f == NULL) abort();
    ra_config_print(&c, f);
    fclose(f);
    ra_config d;
    ra_config_init(&d);
    if (ra_config_parse_text(&d, out, outlen, "printed", &err) != 0) abort();
    for (int k = 0; k < RA_CONFIG_NKEYS; k++) {
        char va[RA_CONFIG_VALUE_MAX + 16], vb[RA_CONFIG_VALUE_MAX + 16];
        ra_config_format_value(&c, (ra_config_key)k, va, sizeof(va));
        ra_config_format_value(&d, (ra_config_key)k, vb, sizeof(vb));
        if (strcmp(va, vb) != 0) abort();
    }
    /* A password never reaches the printed source (other keys may hold any text, even a URL). */
    if (c.source != NULL && ra_redis_url_has_password(c.source)) {
        char shown[RA_CONFIG_VALUE_MAX + 16];
        ra_config_format_value(&c, RA_KEY_SOURCE, shown, sizeof(shown));
        if (strcmp(shown, c.source) == 0) abort();
    }
    ra_config_clear(&d);
    ra_config_clear(&c);
    free(out);

    /* The value parsers on the first line, as a flag or variable would give it. */
    char val[256];
    size_t n = 0;
    while (n < size && n < sizeof(val) - 1 && data[n] != '\n' && data[n] != '\0') {
        val[n] = (char)data[n];
        n++;
    }
    val[n] = '\0';
    long long ll;
    long l;
    int b, fixed;
    unsigned m;
    ra_window w;
    char text[64];
    if (ra_parse_size(val, &ll, NULL) == 0 && ll < 0) abort();
    if (ra_parse_duration(val, &l, NULL) == 0 && l < 0) abort();
    (void)ra_parse_bool(val, &b, NULL);
    (void)ra_parse_int(val, &ll, NULL);
    if (ra_parse_window(val, &w, NULL) == 0) {
        ra_window w2;
        ra_format_window(&w, text, sizeof(text));
        if (ra_parse_window(text, &w2, NULL) != 0 || w2.start != w.start || w2.end != w.end) abort();
    }
    if (ra_parse_weekdays(val, &m, NULL) == 0) {
        unsigned m2;
        if (m == 0 || m > RA_WEEKDAYS_ALL) abort();
        ra_format_weekdays(m, text, sizeof(text));
        if (ra_parse_weekdays(text, &m2, NULL) != 0 || m2 != m) abort();
    }
    (void)ra_parse_timezone(val, &fixed, &l, NULL);
    char *masked = ra_redis_url_mask(val);
    free(masked);
    (void)ra_config_suggest(val);
    return 0;
}
