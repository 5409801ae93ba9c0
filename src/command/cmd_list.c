/* cmd_list.c - `list`: the instance's backups, from their records (and a point-in-time chain's range). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/chain.h"
#include "command/cli.h"
#include "command/output.h"
#include "command/segment.h"
#include "common/text.h"

int ra_cmd_list(ra_app *app, const ra_args *args, ra_err *err) {
    int json = ra_args_at(args, "--json") > 0;
    ra_store store;
    ra_record *recs;
    size_t n;
    if (ra_app_list_records(app, &store, &recs, &n, err) != 0) return -1;
    ra_segment_state *st = calloc(n + 1, sizeof(*st));
    char (*range)[2][32] = calloc(n + 1, sizeof(*range));
    ra_out_field *extra = calloc(2 * n + 1, sizeof(*extra));
    size_t *nextra = calloc(n + 1, sizeof(*nextra)), ne = 0;
    int rc = 0;
    if (st == NULL || range == NULL || extra == NULL || nextra == NULL) {
        rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        goto out;
    }
    if (n > 0) ra_chain_states(&store.catalog, recs, n, st);
    for (size_t i = 0; i < n; i++) { /* a base of a point-in-time archive: the range restore --at can reach */
        if (st[i].first_ms <= 0 && st[i].last_ms <= 0) continue;
        ra_chain_range_iso(&st[i], &recs[i], range[i][0], range[i][1]);
        extra[ne++] = (ra_out_field){"archive_first", RA_OUT_STR, range[i][0], 0};
        extra[ne++] = (ra_out_field){"archive_last", RA_OUT_STR, range[i][1], 0};
        nextra[i] = 2;
    }
    if (json) {
        ra_output_records_json_with(stdout, recs, n, extra, nextra);
    } else if (n == 0) {
        fprintf(stderr, "no backups of instance '%s' in bucket '%s' yet: 'redis-archiver backup' takes one\n",
                app->config->instance, app->config->bucket);
    } else {
        printf("%-21s  %-6s  %-20s  %-20s  %9s  %10s  %-9s  %s\n", "ID", "TYPE", "STARTED", "FINISHED", "SIZE",
               "KEYS", "STATUS", "REMARK");
        for (size_t i = 0; i < n; i++) {
            const ra_record *r = &recs[i];
            char started[32], finished[32], size[16] = "-";
            ra_time_iso(r->started, started);
            ra_time_iso(r->finished, finished);
            char keys[24] = "-"; /* not counted: an older record, or a structure the reader did not know */
            if (r->state == RA_STATE_SUCCEEDED) ra_human_bytes((double)r->bytes, size, sizeof(size));
            if (r->keys.known) snprintf(keys, sizeof(keys), "%lld", r->keys.total);
            char shards[32] = ""; /* a cluster backup: its shard count before the remark */
            if (r->nshards > 0) snprintf(shards, sizeof(shards), "[%d shards]%s", r->nshards, r->remark ? " " : "");
            char chain[96] = ""; /* an archive's base: the time range of its chain before the remark */
            if (nextra[i]) snprintf(chain, sizeof(chain), "[archive %s..%s] ", range[i][0], range[i][1]);
            printf("%-21s  %-6s  %-20s  %-20s  %9s  %10s  %-9s  %s%s%s%s\n", r->id, r->automatic ? "auto" : "manual",
                   started, finished[0] ? finished : "-", size, keys, ra_state_name(r->state), r->keep ? "[kept] " : "",
                   shards, chain, r->remark ? r->remark : "");
        }
    }
out:
    free(st);
    free(range);
    free(extra);
    free(nextra);
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return rc;
}
