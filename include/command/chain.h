/* chain.h - a base backup and its archive (command/archive.h) are one chain: the chains' states for
 * list and status, retention's view of a chain, and deleting a chain's segments. */
#ifndef RA_COMMAND_CHAIN_H
#define RA_COMMAND_CHAIN_H

#include <stdio.h>

#include "common/err.h"

struct ra_store;
struct ra_catalog;
struct ra_record;
struct ra_segment_state;

/* The state of backup id's archive: 1 and *st when it has one, 0 when not (or it cannot be read). */
int ra_chain_state_get(const struct ra_catalog *c, const char *id, struct ra_segment_state *st);
/* list: the states of the archives of recs (one listing, then one GET each that has one) into st (n
 * entries; first_ms and last_ms -1 for a backup without an archive). The number found. */
int ra_chain_states(const struct ra_catalog *c, const struct ra_record *recs, size_t n, struct ra_segment_state *st);
/* Retention and delete treat a base backup and its segments as one chain: the segments and state of
 * backup id go with it (listed under "<dir><id>.seg/", deleted in batches). The number deleted, or -1. */
int ra_chain_delete_segments(const struct ra_catalog *c, const char *id, ra_err *err);
/* Retention judges a chain by its newest segment: when backup id has an archive, the time (unix s) of its
 * last stored tick or of its state's last write, whichever is later; 0 when it has none. */
long long ra_chain_newest(const struct ra_catalog *c, const char *id);
/* Chains whose base backup is gone (its record is not among recs[0..n) and a HEAD says 404: the
 * lifecycle rule expired it): their segments and state serve no restore (--at starts from the base),
 * so they are deleted. Returns how many chains were removed; failures are logged and skipped. */
int ra_chain_remove_orphans(const struct ra_catalog *c, const struct ra_record *recs, size_t n);
/* status: one line about backup id's archive when it has one: the stream range stored, segments, the
 * last one, how far behind (seconds since the last stored tick, bytes received but not stored), when the
 * state was written. Nothing when there is none or it cannot be read. */
void ra_chain_print_status(const struct ra_store *store, const char *id, FILE *out);

/* The moments restore --at reaches in a chain of state st (ra_chain_states) and base rec, as ISO 8601 UTC:
 * its first tick (an older state without one: the base's end) and its last stored one. */
void ra_chain_range_iso(const struct ra_segment_state *st, const struct ra_record *rec, char from[32], char to[32]);

#endif
