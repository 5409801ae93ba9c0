/* replresume.h - picking a broken replication link up where it broke: PSYNC <replid> <offset+1> on a
 * fresh connection (authenticated and role-checked by replica.c), as a replica does; +CONTINUE
 * carries on (with a new replication id after a failover), +FULLRESYNC means the history is lost. */
#ifndef RA_SOURCE_REPLRESUME_H
#define RA_SOURCE_REPLRESUME_H

#include "common/err.h"
#include "source/net.h"
#include "source/replica.h"

/* The answer to PSYNC, pure: 1 for "+CONTINUE" (newid "" or the new replication id of
 * "+CONTINUE <id>"), 0 for "+FULLRESYNC ..." (history lost), -1 with err (RA_E_SOURCE) otherwise. */
int ra_replresume_answer(const char *line, char newid[41], ra_err *err);

/* On conn (taken: closed on failure and on a full resync, else handed over in *out): REPLCONF capa eof
 * capa psync2, PSYNC replid offset+1. 1 with *out filled (replid: the new one after a failover, offset:
 * `offset`, tail: stream bytes read with the answer); 0 when the source answered +FULLRESYNC (the
 * connection is closed); -1 with err set. */
int ra_replresume(ra_conn *conn, const char *replid, long long offset, long read_ms, ra_replica_stream *out,
                  ra_err *err);

#endif
