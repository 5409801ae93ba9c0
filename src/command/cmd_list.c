/* cmd_list.c - `list`: the instance's backups, from their records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "command/output.h"
#include "common/text.h"

int ra_cmd_list(ra_app *app, const ra_args *args, ra_err *err) {
    int json = ra_args_at(args, "--json") > 0;
    ra_store store;
    ra_record *recs;
    size_t n;
    if (ra_app_list_records(app, &store, &recs, &n, err) != 0) return -1;
    if (json) {
        ra_output_records_json(stdout, recs, n);
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
            printf("%-21s  %-6s  %-20s  %-20s  %9s  %10s  %-9s  %s%s%s\n", r->id, r->automatic ? "auto" : "manual",
                   started, finished[0] ? finished : "-", size, keys, ra_state_name(r->state), r->keep ? "[kept] " : "",
                   shards,
                   r->remark ? r->remark : "");
        }
    }
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return 0;
}
