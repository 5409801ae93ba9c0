/* cmd_list.c - `list` and `status`: the instance's backups and tasks, from their records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command/cli.h"
#include "common/text.h"

static void print_json_array(const ra_record *recs, size_t n) {
    printf("[");
    for (size_t i = 0; i < n; i++) {
        char *text = ra_record_to_json(&recs[i]);
        printf("%s%s", i ? ",\n" : "\n", text ? text : "null");
        free(text);
    }
    printf("%s]\n", n ? "\n" : "");
}

static int load(ra_app *app, ra_store *store, ra_record **recs, size_t *n, ra_err *err) {
    if (ra_app_open_store(app, store, err) != 0) return -1;
    if (ra_catalog_list(&store->catalog, time(NULL), recs, n, err) != 0) {
        ra_app_close_store(store);
        return -1;
    }
    return 0;
}

int ra_cmd_list(ra_app *app, int argc, char **argv, ra_err *err) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (ra_flag(argc, argv, &i, "--json", NULL, err))
            json = 1;
        else
            return ra_unexpected(err, "list", argv[i]);
    }
    ra_store store;
    ra_record *recs;
    size_t n;
    if (load(app, &store, &recs, &n, err) != 0) return -1;
    if (json) {
        print_json_array(recs, n);
    } else {
        printf("%-21s  %-6s  %-20s  %-20s  %9s  %-9s  %s\n", "ID", "TYPE", "STARTED", "FINISHED", "SIZE",
               "STATUS", "REMARK");
        for (size_t i = 0; i < n; i++) {
            const ra_record *r = &recs[i];
            char started[32], finished[32], size[16] = "-";
            ra_time_iso(r->started, started);
            ra_time_iso(r->finished, finished);
            if (r->state == RA_STATE_SUCCEEDED) ra_human_bytes((double)r->bytes, size, sizeof(size));
            printf("%-21s  %-6s  %-20s  %-20s  %9s  %-9s  %s\n", r->id, r->automatic ? "auto" : "manual",
                   started, finished[0] ? finished : "-", size, ra_state_name(r->state),
                   r->remark ? r->remark : "");
        }
        if (n == 0) fprintf(stderr, "no backups of instance '%s' yet\n", app->config->instance);
    }
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return 0;
}

/* Status shows every running task and the most recent finished ones. */
#define STATUS_RECENT 10

int ra_cmd_status(ra_app *app, int argc, char **argv, ra_err *err) {
    int json = 0;
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (ra_flag(argc, argv, &i, "--json", NULL, err))
            json = 1;
        else if (argv[i][0] != '-' && id == NULL)
            id = argv[i];
        else
            return ra_unexpected(err, "status", argv[i]);
    }
    ra_store store;
    ra_record *recs;
    size_t n;
    if (load(app, &store, &recs, &n, err) != 0) return -1;
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
        print_json_array(shown, k);
    } else {
        printf("%-21s  %-11s  %-9s  %10s  %11s  %s\n", "ID", "KIND", "STATE", "BYTES", "RATE", "ERROR");
        for (size_t i = 0; i < k; i++) {
            const ra_record *r = &shown[i];
            char bytes[16], rate[16], per_second[20];
            ra_human_bytes((double)r->bytes, bytes, sizeof(bytes));
            ra_human_bytes(r->rate, rate, sizeof(rate));
            snprintf(per_second, sizeof(per_second), "%s/s", rate);
            printf("%-21s  %-11s  %-9s  %10s  %11s  %s\n", r->id, r->automatic ? "backup-auto" : "backup",
                   ra_state_name(r->state), bytes, per_second, r->error ? r->error : "");
        }
    }
    free(shown); /* the records it points into are freed below */
    ra_catalog_records_free(recs, n);
    ra_app_close_store(&store);
    return rc;
}
