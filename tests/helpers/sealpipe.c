/* sealpipe.c - stdin to stdout through the transform chain, so tests can hold it against the real
 * `age` and `zstd` tools:
 *   sealpipe seal [-z LEVEL] [-r age1...]...     compress and/or encrypt
 *   sealpipe open [-z] [-i IDENTITY_FILE]        decrypt and/or decompress
 * Exit 0, or the error's exit code with its message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transform/seal.h"

static int out_write(void *ctx, const uint8_t *data, size_t len, ra_err *err) {
    (void)ctx;
    if (fwrite(data, 1, len, stdout) != len) return ra_err_set(err, RA_E_INTERNAL, "stdout: write failed");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "seal") != 0 && strcmp(argv[1], "open") != 0)) {
        fprintf(stderr, "usage: sealpipe seal [-z LEVEL] [-r RECIPIENT]... | open [-z] [-i IDENTITY_FILE]\n");
        return 2;
    }
    int sealing = strcmp(argv[1], "seal") == 0, level = 0, opt;
    const char *identity = NULL;
    ra_age_recipient *rcpt = NULL;
    size_t nrcpt = 0;
    ra_err err = {0};
    optind = 2;
    while ((opt = getopt(argc, argv, sealing ? "z:r:" : "zi:")) != -1) {
        if (opt == 'z') level = sealing ? atoi(optarg) : 1;
        else if (opt == 'i') identity = optarg;
        else if (opt == 'r') {
            if (ra_age_recipients_parse(optarg, "-r", &rcpt, &nrcpt, &err) != 0) goto fail;
        } else return 2;
    }
    ra_sink out = {.write = out_write};
    ra_seal *s = NULL;
    if (sealing) {
        ra_seal_opts o = {.compression = level ? RA_COMPRESSION_ZSTD : RA_COMPRESSION_NONE, .level = level,
                          .plain_size = -1, .recipients = rcpt, .nrecipients = nrcpt};
        s = ra_seal_new(&o, &out, &err);
    } else {
        ra_age_identity *ids = NULL;
        size_t nids = 0;
        if (identity && ra_age_identities_load_file(identity, &ids, &nids, &err) != 0) goto fail;
        s = ra_unseal_new(level, identity != NULL, ids, nids, &out, &err);
        ra_age_identities_free(ids, nids);
    }
    if (s == NULL) goto fail;
    ra_sink in = ra_seal_sink(s);
    static uint8_t buf[1 << 17];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), stdin)) > 0) rc = in.write(in.ctx, buf, n, &err);
    if (rc == 0) rc = ra_seal_finish(s, &err);
    ra_seal_free(s);
    free(rcpt);
    if (rc == 0 && fflush(stdout) == 0) return 0;
fail:
    fprintf(stderr, "sealpipe: %s\n", err.msg);
    return ra_err_exit_code(err.code ? err.code : RA_E_INTERNAL);
}
