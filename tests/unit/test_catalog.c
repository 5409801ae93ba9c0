/* test_catalog.c - the catalog against a scripted S3 peer on loopback: an unreadable record is skipped,
 * the running check names the run that started first, the orphan cleanup aborts only uploads whose run
 * is over for sure and stops listing at its limit, a pid is only looked up in the reader's own boot and
 * PID namespace, and the sweep refuses to judge ages with a host clock far from the store's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "command/catalog.h"

#include "s3peer.h"

static char ak[] = "AKIAIOSFODNN7EXAMPLE", sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/* ------------------------------------------------------------- scripted peer (s3peer.h) */

typedef struct fixture {
    s3peer p;
    char *logtext;
    size_t loglen;
    ra_log log;
    ra_s3 *s3;
    ra_catalog cat;
} fixture;

static void open_catalog(fixture *f) {
    s3peer_start(&f->p, NULL, 0);
    f->log.out = open_memstream(&f->logtext, &f->loglen);
    f->log.min = RA_LOG_DEBUG;
    f->log.format = RA_LOG_TEXT;
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", f->p.port);
    ra_s3_credentials cr = {ak, sk, NULL, 0};
    ra_s3_config c = {.endpoint = ep, .region = "us-east-1", .bucket = "bkt", .path_style = 1, .credentials = &cr,
                      .max_attempts = 1, .log = &f->log, .request_timeout_ms = 5000};
    ra_err err = {0};
    f->s3 = ra_s3_new(&c, &err);
    assert_non_null(f->s3);
    f->cat = (ra_catalog){.s3 = f->s3, .prefix = "redis-archiver/", .instance = "inst", .log = &f->log};
}

static void close_catalog(fixture *f) {
    s3peer_stop(&f->p);
    ra_s3_free(f->s3);
    fclose(f->log.out);
}

static void free_log(fixture *f) {
    free(f->logtext);
}

#define XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

static char *iso(time_t t) {
    char buf[32];
    ra_time_iso(t, buf);
    return strdup(buf);
}

/* A ListObjectsV2 page with the records of these ids, all last modified at `modified`. */
static char *list_xml(const char *const *ids, int n, time_t modified) {
    char *m = iso(modified), *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    fprintf(o, XML "<ListBucketResult><IsTruncated>false</IsTruncated>");
    for (int i = 0; i < n; i++)
        fprintf(o, "<Contents><Key>redis-archiver/inst/%s.json</Key><Size>100</Size><LastModified>%s</LastModified>"
                   "</Contents>", ids[i], m);
    fprintf(o, "</ListBucketResult>");
    fclose(o);
    free(m);
    return out;
}

static char *uploads_xml(const char *const *ids, int n, int truncated) {
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    fprintf(o, XML "<ListMultipartUploadsResult><IsTruncated>%s</IsTruncated>", truncated ? "true" : "false");
    if (truncated)
        fprintf(o, "<NextKeyMarker>redis-archiver/inst/%s.rdb</NextKeyMarker><NextUploadIdMarker>u"
                   "</NextUploadIdMarker>", ids[n - 1]);
    for (int i = 0; i < n; i++)
        fprintf(o, "<Upload><Key>redis-archiver/inst/%s.rdb</Key><UploadId>up-%s</UploadId></Upload>", ids[i], ids[i]);
    fprintf(o, "</ListMultipartUploadsResult>");
    fclose(o);
    return out;
}

/* A record's JSON; beat_after: seconds between its start and its last heartbeat (0: none since the start). */
static char *record_beat(const char *id, ra_state state, time_t heartbeat, int beat_after) {
    ra_record r = {0};
    snprintf(r.id, sizeof(r.id), "%s", id);
    r.state = state;
    r.started = heartbeat - beat_after;
    r.heartbeat = heartbeat;
    r.pid = 12345;
    char *text = ra_record_to_json(&r);
    return text;
}

static char *record(const char *id, ra_state state, time_t heartbeat) {
    return record_beat(id, state, heartbeat, 0);
}

static char *str(const char *s) {
    return strdup(s);
}

/* ------------------------------------------------------------- tests */

/* R17: one object that is not a record is skipped with a warning naming it, the others are listed. */
static void test_unreadable_record_skipped(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-abcd", "20260102T000000Z-0001"};
    s3peer_add(&f.p, 200, NULL, list_xml(ids, 2, now));
    s3peer_add(&f.p, 200, NULL, str("not json"));
    s3peer_add(&f.p, 200, NULL, record(ids[1], RA_STATE_SUCCEEDED, now - 100));
    open_catalog(&f);
    ra_record *recs = NULL;
    size_t n = 0;
    ra_err err = {0};
    assert_int_equal(ra_catalog_list(&f.cat, now, &recs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(recs[0].id, ids[1]);
    ra_catalog_records_free(recs, n);
    close_catalog(&f);
    assert_non_null(strstr(f.logtext, "redis-archiver/inst/20260101T000000Z-abcd.json"));
    assert_non_null(strstr(f.logtext, "not valid JSON"));
    free_log(&f);
}

/* A store error (not a bad object) still fails the listing: a record we cannot read may be a running one. */
static void test_store_error_not_skipped(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-abcd"};
    s3peer_add(&f.p, 200, NULL, list_xml(ids, 1, now));
    s3peer_add(&f.p, 403, NULL, str(XML "<Error><Code>AccessDenied</Code></Error>"));
    open_catalog(&f);
    ra_record who;
    ra_err err = {0};
    assert_int_equal(ra_catalog_find_running(&f.cat, now, NULL, &who, &err), -1);
    assert_non_null(strstr(err.msg, "AccessDenied"));
    close_catalog(&f);
    free_log(&f);
}

/* R4: the running check names the run that started first, whatever order the store lists them in. */
static void test_find_running_names_first(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-0002", "20260101T000000Z-0001", "20260101T000000Z-0003"};
    s3peer_add(&f.p, 200, NULL, list_xml(ids, 3, now));
    s3peer_add(&f.p, 200, NULL, record(ids[0], RA_STATE_RUNNING, now));
    s3peer_add(&f.p, 200, NULL, record(ids[1], RA_STATE_RUNNING, now));
    s3peer_add(&f.p, 200, NULL, record(ids[2], RA_STATE_SUCCEEDED, now));
    open_catalog(&f);
    ra_record who;
    ra_err err = {0};
    assert_int_equal(ra_catalog_find_running(&f.cat, now, NULL, &who, &err), 1);
    assert_string_equal(who.id, "20260101T000000Z-0001");
    ra_record_clear(&who);
    close_catalog(&f);
    free_log(&f);

    /* but a run that already wrote a heartbeat since its start passed its checks: it comes first */
    fixture g = {0};
    s3peer_add(&g.p, 200, NULL, list_xml(ids, 3, now));
    s3peer_add(&g.p, 200, NULL, record_beat(ids[0], RA_STATE_RUNNING, now, 5));
    s3peer_add(&g.p, 200, NULL, record(ids[1], RA_STATE_RUNNING, now));
    s3peer_add(&g.p, 200, NULL, record(ids[2], RA_STATE_SUCCEEDED, now));
    open_catalog(&g);
    assert_int_equal(ra_catalog_find_running(&g.cat, now, NULL, &who, &err), 1);
    assert_string_equal(who.id, "20260101T000000Z-0002");
    ra_record_clear(&who);
    close_catalog(&g);
    free_log(&g);
}

/* Liveness is the store's LastModified when the listing gives it, not the heartbeat a host wrote with
 * its own clock: a record written 10 s ago (store time) whose heartbeat field says 5 min ago is alive,
 * and one written 5 min ago whose heartbeat field says now is not. */
static void test_liveness_by_store_time(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *fresh[] = {"20260101T000000Z-0001"};
    s3peer_add(&f.p, 200, NULL, list_xml(fresh, 1, now - 10));
    s3peer_add(&f.p, 200, NULL, record(fresh[0], RA_STATE_RUNNING, now - 300));
    open_catalog(&f);
    ra_record *recs = NULL;
    size_t n = 0;
    ra_err err = {0};
    assert_int_equal(ra_catalog_list(&f.cat, now, &recs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].state, RA_STATE_RUNNING);
    ra_catalog_records_free(recs, n);
    close_catalog(&f);
    free_log(&f);

    fixture g = {0};
    s3peer_add(&g.p, 200, NULL, list_xml(fresh, 1, now - 300));
    s3peer_add(&g.p, 200, NULL, record(fresh[0], RA_STATE_RUNNING, now));
    open_catalog(&g);
    assert_int_equal(ra_catalog_list(&g.cat, now, &recs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].state, RA_STATE_FAILED);
    ra_catalog_records_free(recs, n);
    close_catalog(&g);
    free_log(&g);
}

/* The clock offset measured from a record's LastModified: used when clearly off, noise ignored. */
static void test_measure_clock(void **state) {
    (void)state;
    time_t now = time(NULL);
    char hdr[96];
    struct tm tm;
    time_t t = now - 180;
    gmtime_r(&t, &tm);
    strftime(hdr, sizeof(hdr), "Last-Modified: %a, %d %b %Y %H:%M:%S GMT\r\nETag: \"e\"\r\n", &tm);
    fixture f = {0};
    s3peer_add(&f.p, 200, hdr, NULL);
    open_catalog(&f);
    ra_err err = {0};
    assert_int_equal(ra_catalog_measure_clock(&f.cat, "20260101T000000Z-0001", now, now, &err), 0);
    assert_true(f.cat.clock_known);
    assert_true(labs(f.cat.clock_offset + 180) <= 1);
    assert_true(labs((long)(ra_catalog_now(&f.cat, now) - (now - 180))) <= 1);
    close_catalog(&f);
    free_log(&f);

    gmtime_r(&now, &tm);
    strftime(hdr, sizeof(hdr), "Last-Modified: %a, %d %b %Y %H:%M:%S GMT\r\nETag: \"e\"\r\n", &tm);
    fixture g = {0};
    s3peer_add(&g.p, 200, hdr, NULL);
    open_catalog(&g);
    assert_int_equal(ra_catalog_measure_clock(&g.cat, "20260101T000000Z-0001", now - 1, now, &err), 0);
    assert_false(g.cat.clock_known);
    close_catalog(&g);
    free_log(&g);
}

/* R3: a pid is looked up only in the reader's own boot and PID namespace. */
static void test_owner_scoped_by_namespace(void **state) {
    (void)state;
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-0001", "20260101T000000Z-0002"};
    ra_record mine = {0}, other = {0};
    ra_catalog_stamp_owner(&mine);
    assert_non_null(mine.boot_id);
    assert_non_null(mine.pid_ns);
    ra_catalog_stamp_owner(&other);
    free(other.pid_ns);
    other.pid_ns = strdup("pid:[1]");
    ra_record *rs[] = {&mine, &other};
    fixture f = {0};
    s3peer_add(&f.p, 200, NULL, list_xml(ids, 2, now));
    for (int i = 0; i < 2; i++) {
        snprintf(rs[i]->id, sizeof(rs[i]->id), "%s", ids[i]);
        rs[i]->state = RA_STATE_RUNNING;
        rs[i]->started = rs[i]->heartbeat = now;
        rs[i]->pid = dead;
        s3peer_add(&f.p, 200, NULL, ra_record_to_json(rs[i]));
    }
    open_catalog(&f);
    ra_record *recs = NULL;
    size_t n = 0;
    ra_err err = {0};
    assert_int_equal(ra_catalog_list(&f.cat, now, &recs, &n, &err), 0);
    assert_int_equal(n, 2);
    /* newest first: [0] is the other namespace's run (alive as far as we can tell), [1] ours (dead) */
    assert_string_equal(recs[0].id, ids[1]);
    assert_int_equal(recs[0].state, RA_STATE_RUNNING);
    assert_int_equal(recs[1].state, RA_STATE_FAILED);
    assert_non_null(strstr(recs[1].error, "stopped without finishing"));
    ra_catalog_records_free(recs, n);
    ra_record_clear(&mine);
    ra_record_clear(&other);
    close_catalog(&f);
    free_log(&f);
}

/* R2/R3: only uploads whose run is over for sure are aborted; 8 at most, and the listing stops there. */
static void test_orphans_only_when_over(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *ids[] = {
        "20260101T000000Z-0001", /* running, fresh heartbeat: kept */
        "20260101T000000Z-0002", /* running, stale by 3 min only: kept */
        "20260101T000000Z-0003", /* running, stale by an hour: aborted */
        "20260101T000000Z-0004", /* failed: aborted */
        "20260101T000000Z-0005", /* no record: aborted */
        "20260101T000000Z-0006", /* record unreadable: kept */
        "20260101T000000Z-0007", /* store error on the record: kept */
        "20260101T000000Z-0008", /* succeeded (a leftover upload): aborted */
        "20260101T000000Z-0009", /* past the limit: not examined */
    };
    s3peer_add(&f.p, 200, NULL, uploads_xml(ids, 9, 1));
    s3peer_add(&f.p, 200, NULL, record(ids[0], RA_STATE_RUNNING, now - 3));
    s3peer_add(&f.p, 200, NULL, record(ids[1], RA_STATE_RUNNING, now - 300));
    s3peer_add(&f.p, 200, NULL, record(ids[2], RA_STATE_RUNNING, now - 3600));
    s3peer_add(&f.p, 204, NULL, NULL); /* abort 3 */
    s3peer_add(&f.p, 200, NULL, record(ids[3], RA_STATE_FAILED, now - 3));
    s3peer_add(&f.p, 204, NULL, NULL); /* abort 4 */
    s3peer_add(&f.p, 404, NULL, str(XML "<Error><Code>NoSuchKey</Code></Error>"));
    s3peer_add(&f.p, 204, NULL, NULL); /* abort 5 */
    s3peer_add(&f.p, 200, NULL, str("{"));
    s3peer_add(&f.p, 403, NULL, str(XML "<Error><Code>AccessDenied</Code></Error>"));
    s3peer_add(&f.p, 200, NULL, record(ids[7], RA_STATE_SUCCEEDED, now - 3));
    s3peer_add(&f.p, 204, NULL, NULL); /* abort 8 */
    s3peer_add(&f.p, 200, NULL, uploads_xml(ids + 8, 1, 0)); /* a second page: must not be asked for */
    open_catalog(&f);
    ra_err err = {0};
    assert_int_equal(ra_catalog_abort_orphans(&f.cat, now, NULL, &err), 4);
    close_catalog(&f);
    assert_int_equal(f.p.served, f.p.nsteps - 1);
    int aborts = 0;
    for (int i = 0; i < f.p.served; i++)
        if (strncmp(f.p.requests[i], "DELETE ", 7) == 0) {
            aborts++;
            assert_true(strstr(f.p.requests[i], "-0003.rdb") || strstr(f.p.requests[i], "-0004.rdb") ||
                        strstr(f.p.requests[i], "-0005.rdb") || strstr(f.p.requests[i], "-0008.rdb"));
        }
    assert_int_equal(aborts, 4);
    free_log(&f);
}

/* R1: with a host clock 30 days off the store's, the sweep deletes nothing and says why. */
static void test_sweep_refuses_skewed_clock(void **state) {
    (void)state;
    fixture f = {0};
    char date[64];
    time_t ahead = time(NULL) - 30 * 86400; /* the store is 30 days behind us */
    struct tm tm;
    gmtime_r(&ahead, &tm);
    strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    s3peer_add(&f.p, 403, date, str(XML "<Error><Code>RequestTimeTooSkewed</Code></Error>"));
    s3peer_add(&f.p, 200, NULL, str("ok"));
    open_catalog(&f);
    ra_err err = {0};
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(ra_s3_get_object_small(f.s3, "k", 100, &data, &len, &err), 0);
    free(data);
    assert_true(ra_s3_clock_offset(f.s3) < -RA_CLOCK_SKEW_MAX_S);
    /* the store's clock is what ages are judged by */
    assert_true(labs((long)(ra_catalog_now(&f.cat, time(NULL)) - ahead)) < 5);
    assert_int_equal(ra_catalog_sweep(&f.cat, 7, time(NULL), 0, &err), -1);
    assert_non_null(strstr(err.msg, "clock"));
    close_catalog(&f);
    assert_int_equal(f.p.served, 2); /* nothing listed, nothing deleted */
    free_log(&f);
}

/* The sweep judges ages by the store's clock and never deletes what started at or after keep_from. */
static void test_sweep_by_store_clock(void **state) {
    (void)state;
    fixture f = {0};
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-0001", "20260101T000000Z-0002"};
    s3peer_add(&f.p, 200, NULL, list_xml(ids, 2, now));
    char *old = record(ids[0], RA_STATE_SUCCEEDED, now - 10 * 86400);
    char *young = record(ids[1], RA_STATE_SUCCEEDED, now - 86400);
    s3peer_add(&f.p, 200, NULL, old);
    s3peer_add(&f.p, 200, NULL, young);
    open_catalog(&f);
    ra_err err = {0};
    /* dry run: reports the 10-day-old one only; with keep_from before it, not even that one */
    assert_int_equal(ra_catalog_sweep_before(&f.cat, 7, now, 0, 1, &err), 1);
    close_catalog(&f);
    free_log(&f);

    fixture g = {0};
    s3peer_add(&g.p, 200, NULL, list_xml(ids, 2, now));
    s3peer_add(&g.p, 200, NULL, record(ids[0], RA_STATE_SUCCEEDED, now - 10 * 86400));
    s3peer_add(&g.p, 200, NULL, record(ids[1], RA_STATE_SUCCEEDED, now - 86400));
    open_catalog(&g);
    assert_int_equal(ra_catalog_sweep_before(&g.cat, 7, now, now - 20 * 86400, 1, &err), 0);
    close_catalog(&g);
    free_log(&g);
}

/* A base backup and its archive are one chain judged by its newest segment: a 10-day-old base whose
 * archive was written an hour ago is kept; one whose archive stopped 9 days ago goes (dry run counts). */
static void test_sweep_keeps_written_chain(void **state) {
    (void)state;
    time_t now = time(NULL);
    const char *ids[] = {"20260101T000000Z-0001"};
    const long long ago[] = {3600, 9 * 86400};
    const int expired[] = {0, 1};
    for (int k = 0; k < 2; k++) {
        fixture f = {0};
        s3peer_add(&f.p, 200, NULL, list_xml(ids, 1, now));
        s3peer_add(&f.p, 200, NULL, record(ids[0], RA_STATE_SUCCEEDED, now - 10 * 86400));
        char *st = NULL;
        assert_true(asprintf(&st, "first 100\nuploaded 200\nlast-ms %lld\nupdated-ms %lld\n",
                             (long long)(now - ago[k]) * 1000, (long long)(now - ago[k]) * 1000) > 0);
        s3peer_add(&f.p, 200, NULL, st);
        open_catalog(&f);
        ra_err err = {0};
        assert_int_equal(ra_catalog_sweep_before(&f.cat, 7, now, 0, 1, &err), expired[k]);
        close_catalog(&f);
        if (k == 0) assert_non_null(strstr(f.logtext, "the base of a point-in-time archive"));
        free_log(&f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_keeps_written_chain),
        cmocka_unit_test(test_unreadable_record_skipped),
        cmocka_unit_test(test_store_error_not_skipped),
        cmocka_unit_test(test_find_running_names_first),
        cmocka_unit_test(test_owner_scoped_by_namespace),
        cmocka_unit_test(test_liveness_by_store_time),
        cmocka_unit_test(test_measure_clock),
        cmocka_unit_test(test_orphans_only_when_over),
        cmocka_unit_test(test_sweep_refuses_skewed_clock),
        cmocka_unit_test(test_sweep_by_store_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
