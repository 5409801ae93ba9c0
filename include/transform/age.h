/* age.h - age v1 encryption to X25519 recipients and decryption with X25519 identities, as streaming
 * transforms: an encryptor or decryptor takes bytes through an ra_sink and writes its output to the
 * next sink, holding one 64 KiB chunk. Files are the age tool's: `age -d -i KEY` opens what the
 * encryptor writes, and the decryptor opens what `age -r age1...` wrote. Format in agefmt.h, the
 * primitives in common/crypto.h (OpenSSL). */
#ifndef RA_TRANSFORM_AGE_H
#define RA_TRANSFORM_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "pipeline/sink.h"

#define RA_AGE_FINGERPRINT_LEN 17  /* 16 hex digits and the NUL */

/* A public key: "age1..." (Bech32, hrp "age"). fingerprint: the first 8 bytes of the SHA-256 of the
 * recipient's text, in hex (`printf %s age1... | sha256sum | cut -c1-16`). */
typedef struct ra_age_recipient {
    uint8_t pub[32];
    char fingerprint[RA_AGE_FINGERPRINT_LEN];
} ra_age_recipient;

/* A secret key: "AGE-SECRET-KEY-1...", and its public key. Wiped by ra_age_identities_free. */
typedef struct ra_age_identity {
    uint8_t secret[32];
    uint8_t pub[32];
} ra_age_identity;

/* One "age1..." recipient; RA_E_USAGE naming it when it is not one. */
int ra_age_recipient_parse(const char *text, ra_age_recipient *r, ra_err *err);
/* Recipients from text: "age1..." separated by commas, spaces or newlines; a '#' starts a comment to
 * the end of its line (age's recipients file). Appended to *list (grown with realloc, caller frees);
 * `where` names the source in errors ("encrypt-recipient", "recipients.txt:3"). */
int ra_age_recipients_parse(const char *text, const char *where, ra_age_recipient **list, size_t *n, ra_err *err);
/* The same from a file (at most 64 KiB). */
int ra_age_recipients_load_file(const char *path, ra_age_recipient **list, size_t *n, ra_err *err);
/* Identities from an age identity file's text: one "AGE-SECRET-KEY-1..." a line, '#' comments and
 * blank lines skipped. *ids is allocated (free with ra_age_identities_free). Messages name the line,
 * never its text. */
int ra_age_identities_parse(const char *text, size_t len, const char *where, ra_age_identity **ids, size_t *n,
                            ra_err *err);
int ra_age_identities_load_file(const char *path, ra_age_identity **ids, size_t *n, ra_err *err);
void ra_age_identities_free(ra_age_identity *ids, size_t n);

typedef struct ra_age_enc ra_age_enc;
/* An encryptor to n >= 1 recipients (copied) writing to next (borrowed; only its write is used). The
 * header goes out with the first write or at finish. NULL with err set. */
ra_age_enc *ra_age_enc_new(const ra_age_recipient *r, size_t n, const ra_sink *next, ra_err *err);
/* The sink that feeds it (write only). */
ra_sink ra_age_enc_sink(ra_age_enc *e);
/* Seal the last chunk and write it. */
int ra_age_enc_finish(ra_age_enc *e, ra_err *err);
void ra_age_enc_free(ra_age_enc *e);

typedef struct ra_age_dec ra_age_dec;
/* A decryptor with n >= 1 identities (copied, wiped on free) writing plaintext to next. Errors while
 * writing are RA_E_VERIFY: no identity opens the file, the header MAC or a chunk does not
 * authenticate, the file is cut short. */
ra_age_dec *ra_age_dec_new(const ra_age_identity *ids, size_t n, const ra_sink *next, ra_err *err);
ra_sink ra_age_dec_sink(ra_age_dec *d);
/* End of input: opens the final chunk; RA_E_VERIFY when the file ended early. */
int ra_age_dec_finish(ra_age_dec *d, ra_err *err);
void ra_age_dec_free(ra_age_dec *d);

#endif
