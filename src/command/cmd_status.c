/* cmd_status.c - `status`: running and recent backup tasks, from their records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/chain.h"
#include "command/cli.h"
#include "command/output.h"
#include "command/segment.h"
#include "common/text.h"

/* Status shows every running task and the most recent finished ones. */
#define STATUS_RECENT 10

/* --json: the records, a base of a point-in-time archive with "archive": how far its stream is stored (from,
 * to), segments, lag_seconds (now minus to) and lag_bytes (received, not stored), shards of a cluster chain. */
static void status_json(const ra_store *store, const ra_record *recs, size_t n) {
    ra_segment_state *st = calloc(n + 1, sizeof(*st));
    ra_out_field *extra = calloc(n + 1, sizeof(*extra));
    size_t *nextra = calloc(n + 1, sizeof(*nextra)), ne = 0;
    char **texts = calloc(n + 1, sizeof(*texts));
    if (st && extra && nextra && texts && n > 0) ra_chain_states(&store->catalog, recs, n, st);
    for (size_t i = 0; st && extra && nextra && texts && i < n; i++) {
        if (st[i].last_ms <= 0) continue;
        char from[32], to[32];
        ra_chain_range_iso(&st[i], &recs[i], from, to);
        long long lag = (long long)time(NULL) - st[i].last_ms / 1000;
        ra_out_field f[] = {
            {"from", RA_OUT_STR, from, 0},
            {"to", RA_OUT_STR, to, 0},
            {"segments", RA_OUT_INT, NULL, st[i].segments},
            {"lag_seconds", RA_OUT_INT, NULL, lag > 0 ? lag : 0},
            {"lag_bytes", RA_OUT_INT, NULL, st[i].received > st[i].uploaded ? st[i].received - st[i].uploaded : 0},
            {"shards", RA_OUT_INT, NULL, st[i].shards},
        };
        texts[i] = ra_output_json_text(f, sizeof(f) / sizeof(f[0]) - (st[i].shards > 0 ? 0 : 1));
        if (texts[i] == NULL) continue;
        extra[ne++] = (ra_out_field){"archive", RA_OUT_JSON, texts[i], 0};
        nextra[i] = 1;
    }
    if (st && extra && nextra && texts) ra_output_records_json_with(stdout, recs, n, extra, nextra);
    else ra_output_records_json(stdout, recs, n);
    for (size_t i = 0; texts && i < n; i++) free(texts[i]);
    free(texts);
    free(nextra);
    free(extra);
    free(st);
}

int ra_cmd_status(ra_app *app, const ra_args *args, ra_err *err) {
    int json = ra_args_at(args, "--json") > 0;
    const char *id = args->operand;
    ra_store store;
    ra_record *recs;
    size_t n;
    if (ra_app_list_records(app, &store, &recs, &n, err) != 0) return -1;
    ra_record *shown = calloc(n + 1, sizeof(*shown));
    size_t k = 0, finished = 0;
    for (size_t i = 0; shown && i < n; i++) {
        const ra_record *r = &recs[i];
        if (id && strcmp(r->id, id) != 0) continue;
        if (!id && r->state != RA_STATE_RUNNING && finished++ >= STATUS_RECENT) continue;
        shown[k++] = *r;
    }
    int rc = 0;
    if (id && k == 0) {
        rc = ra_err_set(err, RA_E_NOTFOUND, "no backup '%s' of instance '%s'", id, app->config->instance);
    } else if (json) {
        status_json(&store, shown, k);
    } else if (k == 0) {
        fprintf(stderr, "no backup tasks of instance '%s' yet: 'redis-archiver backup' starts one\n",
                app->config->instance);
    } else {
        /* the vocabulary of `list` and of the JSON: type auto/manual, status */
        printf("%-21s  %-6s  %-9s  %-20s  %-20s  %10s  %11s  %s\n", "ID", "TYPE", "STATUS", "STARTED", "UPDATED",
               "BYTES", "RATE", "ERROR");
        for (size_t i = 0; i < k; i++) {
            const ra_record *r = &shown[i];
            char bytes[16], rate[16], per_second[20], started[32], updated[32];
            ra_human_bytes((double)r->bytes, bytes, sizeof(bytes));
            ra_human_bytes(r->rate, rate, sizeof(rate));
            snprintf(per_second, sizeof(per_second), "%s/s", rate);
            ra_time_iso(r->started, started);
            /* finished, else the last heartbeat of a running task */
            ra_time_iso(r->finished ? r->finished : r->heartbeat, updated);
            printf("%-21s  %-6s  %-9s  %-20s  %-20s  %10s  %11s  %s%s%s%s\n", r->id, r->automatic ? "auto" : "manual",
                   ra_state_name(r->state), started[0] ? started : "-", updated[0] ? updated : "-", bytes,
                   per_second, r->exit_class ? "[" : "", r->exit_class ? r->exit_class : "", r->exit_class ? "] " : "",
                   r->error ? r->error : "");
            for (int j = 0; j < r->nshards; j++) { /* a cluster backup: each shard's progress */
                ra_human_bytes((double)r->shards[j].bytes, bytes, sizeof(bytes));
                printf("  shard %-3d %-20.20s  %10s  from %s\n", j, r->shards[j].slots ? r->shards[j].slots : "?",
                       bytes, r->shards[j].node ? r->shards[j].node : "?");
            }
            if (r->state == RA_STATE_SUCCEEDED) ra_chain_print_status(&store, r->id, stdout);
        }
    }
    free(shown); /* the records it points into are freed below */
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return rc;
}
