/* progress.c - the backup's progress line on a terminal: formatting (pure) and drawing; and the
 * progress events in the log off a terminal. */
#include "command/progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/text.h"

#define BAR_MIN 10
#define BAR_MAX 30
#define DRAW_EVERY_S 0.2
#define LINE_MAX 512

/* m:ss, or h:mm:ss from an hour on */
static void clock_text(double s, char *out, size_t outsz) {
    long t = s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600) snprintf(out, outsz, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, outsz, "%ld:%02ld", t / 60, t % 60);
}

/* seconds with real precision: 0.84 s, 3.72 s, 42.1 s, else m:ss */
static void duration_text(double s, char *out, size_t outsz) {
    if (s < 10) snprintf(out, outsz, "%.2f s", s);
    else if (s < 60) snprintf(out, outsz, "%.1f s", s);
    else clock_text(s, out, outsz);
}

enum { F_BAR = 1, F_PCT = 2, F_TOTAL = 4, F_RATE = 8, F_ELAPSED = 16, F_ETA = 32, F_WAITED = 64, F_SHARDS = 128,
       F_SHARDS_SHORT = 256 };

typedef struct parts {
    char pct[16], done[24], total[48], rate[48], elapsed[48], eta[48], waited[64], shards[LINE_MAX], nshards[24];
    double fraction;  /* 0..1 for the bar, < 0: none */
} parts;

/* The line with the fields in `f`, the bar bar_w wide. */
static size_t assemble(const parts *pt, unsigned f, int bar_w, char *out, size_t outsz) {
    size_t n = 0;
    out[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(out + n, n < outsz ? outsz - n : 0, __VA_ARGS__), n = n < outsz ? n : outsz - 1)
    if ((f & F_BAR) && bar_w > 2) {
        int inner = bar_w - 2, fill = (int)(pt->fraction * inner);
        if (fill > inner) fill = inner;
        ADD("[");
        for (int i = 0; i < inner; i++) ADD("%c", i < fill ? '#' : '-');
        ADD("] ");
    }
    if (f & F_PCT) ADD("%s ", pt->pct);
    ADD("%s", pt->done);
    if (f & F_TOTAL) ADD(" of %s", pt->total);
    if (f & F_RATE) ADD("  %s", pt->rate);
    if (f & F_ELAPSED) ADD("  %s", pt->elapsed);
    if (f & F_ETA) ADD("  %s", pt->eta);
    if (f & F_SHARDS) ADD("  %s", pt->shards);
    else if (f & F_SHARDS_SHORT) ADD("  %s", pt->nshards);
    if (f & F_WAITED) ADD("  %s", pt->waited);
#undef ADD
    return n;
}

/* 812K, 3.4M, 66M, 1.2G: a shard's bytes in few columns */
static void compact_bytes(long long b, char *out, size_t outsz) {
    double v = (double)b;
    if (b < 1024) snprintf(out, outsz, "%lldB", b);
    else if (v < 1024.0 * 1024) snprintf(out, outsz, "%.0fK", v / 1024);
    else if (v < 10.0 * 1024 * 1024) snprintf(out, outsz, "%.1fM", v / (1024.0 * 1024));
    else if (v < 1024.0 * 1024 * 1024) snprintf(out, outsz, "%.0fM", v / (1024.0 * 1024));
    else snprintf(out, outsz, "%.1fG", v / (1024.0 * 1024 * 1024));
}

/* "shards 45/50/47%" when every length is known, else "shards 66M 12% 70M" */
static void shards_text(const ra_progress_view *v, char *out, size_t outsz) {
    int all = 1;
    for (int i = 0; i < v->nshards; i++) all = all && v->shards[i].expected > 0;
    size_t n = (size_t)snprintf(out, outsz, "shards ");
    for (int i = 0; i < v->nshards && n < outsz; i++) {
        const ra_progress_shard *s = &v->shards[i];
        char one[24];
        if (s->expected > 0) {
            int pct = (int)(100.0 * (double)s->done / (double)s->expected);
            snprintf(one, sizeof(one), "%d%s", pct > 100 ? 100 : pct, all ? "" : "%");
        } else {
            compact_bytes(s->done, one, sizeof(one));
        }
        n += (size_t)snprintf(out + n, outsz - n, "%s%s", i ? (all ? "/" : " ") : "", one);
    }
    if (all && n < outsz) snprintf(out + n, outsz - n, "%%");
}

size_t ra_progress_format(const ra_progress_view *v, int width, char *out, size_t outsz) {
    size_t room = width > 1 ? (size_t)width - 1 : 1;
    if (outsz < 2) return 0;
    if (room > outsz - 1) room = outsz - 1;
    char line[LINE_MAX], t[32];
    if (v->waiting && !v->final) {
        clock_text(v->waited, t, sizeof(t));
        if (v->nshards > 0) snprintf(line, sizeof(line), "%d replicas saving their snapshots... %s", v->nshards, t);
        else snprintf(line, sizeof(line), "replica saving the snapshot... %s", t);
        if (strlen(line) > room) snprintf(line, sizeof(line), "saving... %s", t);
    } else {
        parts pt;
        memset(&pt, 0, sizeof(pt));
        double rate = v->streamed > 0 ? (double)v->done / v->streamed : 0;
        unsigned avail = F_ELAPSED | (rate > 0 ? F_RATE : 0);
        char b[24];
        ra_human_bytes((double)v->done, pt.done, sizeof(pt.done));
        ra_human_bytes(rate, b, sizeof(b));
        snprintf(pt.rate, sizeof(pt.rate), "rate %s/s", b);
        pt.fraction = -1;
        if (v->nshards > 0) {
            snprintf(pt.nshards, sizeof(pt.nshards), "%d shards", v->nshards);
            shards_text(v, pt.shards, sizeof(pt.shards));
            avail |= F_SHARDS_SHORT | (v->final ? 0 : F_SHARDS);
        }
        int over = v->total > 0 && v->done > v->total; /* an estimate that was too small */
        if (v->final) {
            duration_text(v->streamed, t, sizeof(t));
            snprintf(pt.elapsed, sizeof(pt.elapsed), "in %s", t);
            if (v->waited >= 0.5) {
                duration_text(v->waited, t, sizeof(t));
                snprintf(pt.waited, sizeof(pt.waited), "(+%s replica saving)", t);
                avail |= F_WAITED;
            }
        } else {
            clock_text(v->streamed, t, sizeof(t));
            snprintf(pt.elapsed, sizeof(pt.elapsed), "elapsed %s", t);
            if (v->total > 0 && !over) {
                pt.fraction = (double)v->done / (double)v->total;
                snprintf(pt.pct, sizeof(pt.pct), "%s%d%%", v->estimated ? "~" : "", (int)(pt.fraction * 100));
                ra_human_bytes((double)v->total, b, sizeof(b));
                snprintf(pt.total, sizeof(pt.total), "%s%s%s", v->estimated ? "~" : "", b,
                         v->estimated ? " (est.)" : "");
                avail |= F_BAR | F_PCT | F_TOTAL;
                if (rate > 0) {
                    clock_text((double)(v->total - v->done) / rate, t, sizeof(t));
                    snprintf(pt.eta, sizeof(pt.eta), "ETA %s%s", v->estimated ? "~" : "", t);
                    avail |= F_ETA;
                }
            }
        }
        /* least useful first: the saving time, the bar (which first shrinks to fit), elapsed, the total,
         * each shard's share (then only their number), the rate, the ETA, the percentage; what remains at
         * the end is cut */
        static const unsigned drop[] = {F_WAITED, F_BAR, F_ELAPSED, F_TOTAL, F_SHARDS, F_RATE, F_SHARDS_SHORT,
                                        F_ETA, F_PCT};
        unsigned f = avail;
        size_t n = 0;
        for (size_t i = 0;; i++) {
            n = assemble(&pt, f & ~(unsigned)F_BAR, 0, line, sizeof(line));
            if ((f & F_BAR) && n + 1 + BAR_MIN <= room) {
                int bar_w = (int)(room - n - 1);
                if (bar_w > BAR_MAX) bar_w = BAR_MAX;
                n = assemble(&pt, f, bar_w, line, sizeof(line));
            }
            if (n <= room || i == sizeof(drop) / sizeof(drop[0])) break;
            f &= ~drop[i];
        }
    }
    size_t n = strlen(line);
    if (n > room) n = room; /* ASCII only: cutting never splits a character */
    memcpy(out, line, n);
    out[n] = '\0';
    return n;
}

/* ---------- drawing ---------- */

struct ra_progress {
    FILE *out;
    int width;           /* 0: ask the terminal */
    pthread_mutex_t lock;
    long long estimate;
    double first_byte;   /* when the first byte came (the last sample without any); < 0: none yet */
    double last_zero;    /* elapsed of the last sample without bytes; < 0: none */
    double last_draw;
    int drawn;           /* the line is on the screen */
    int ended;           /* the final line was written */
    char line[LINE_MAX];
    pthread_t clock;     /* draws the waiting phase until the first sample (ra_progress_start_clock) */
    pthread_cond_t wake;
    int clock_running, stop, sampled;
    struct timespec t0;
};

ra_progress *ra_progress_new(FILE *out, int width) {
    ra_progress *p = calloc(1, sizeof(*p));
    if (p == NULL) return NULL;
    p->out = out;
    p->width = width;
    p->first_byte = -1;
    p->last_zero = -1;
    p->last_draw = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    return p;
}

void ra_progress_free(ra_progress *p) {
    if (p == NULL) return;
    if (p->clock_running) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->clock, NULL);
    }
    if (p->drawn) { /* a waiting line with no end: leave the terminal clean */
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void ra_progress_set_estimate(ra_progress *p, long long bytes) {
    pthread_mutex_lock(&p->lock);
    p->estimate = bytes > 0 ? bytes : 0;
    pthread_mutex_unlock(&p->lock);
}

static int columns(const ra_progress *p) {
    if (p->width > 0) return p->width;
    struct winsize ws;
    if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

/* "\r", the line, erase to the end of the line: nothing of a longer earlier line remains */
static void draw(ra_progress *p) {
    fprintf(p->out, "\r%s\033[K", p->line);
    fflush(p->out);
    p->drawn = 1;
}

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *clock_main(void *arg) {
    ra_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop && !p->sampled && !p->ended) {
        ra_progress_view v = {.waiting = 1, .waited = since(&p->t0)};
        ra_progress_format(&v, columns(p), p->line, sizeof(p->line));
        draw(p);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(DRAW_EVERY_S * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int ra_progress_start_clock(ra_progress *p) {
    if (p == NULL || p->clock_running) return 0;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    if (pthread_create(&p->clock, NULL, clock_main, p) != 0) return -1;
    p->clock_running = 1;
    return 0;
}

void ra_progress_update(ra_progress *p, long long done, long long expected, double elapsed, int final) {
    ra_progress_update_shards(p, done, expected, elapsed, final, NULL, 0);
}

void ra_progress_update_shards(ra_progress *p, long long done, long long expected, double elapsed, int final,
                               const ra_progress_shard *shards, int nshards) {
    if (p == NULL) return;
    pthread_mutex_lock(&p->lock);
    if (!p->sampled) {
        p->sampled = 1; /* the clock's waiting line ends */
        pthread_cond_signal(&p->wake);
    }
    if (done == 0) p->last_zero = elapsed;
    /* the bytes began after the last sample without any; when there was none (the caller reports only
     * once bytes flow), with this first sample */
    if (done > 0 && p->first_byte < 0) p->first_byte = p->last_zero >= 0 ? p->last_zero : elapsed;
    if (p->ended || (!final && p->last_draw >= 0 && elapsed - p->last_draw < DRAW_EVERY_S)) {
        pthread_mutex_unlock(&p->lock);
        return;
    }
    p->last_draw = elapsed;
    ra_progress_view v = {
        .done = done,
        .total = expected > 0 ? expected : p->estimate,
        .estimated = expected <= 0 && p->estimate > 0,
        .waiting = p->first_byte < 0,
        .waited = p->first_byte < 0 ? elapsed : p->first_byte,
        .streamed = p->first_byte < 0 ? 0 : elapsed - p->first_byte,
        .final = final,
        .nshards = shards ? nshards : 0,
        .shards = shards,
    };
    ra_progress_format(&v, columns(p), p->line, sizeof(p->line));
    draw(p);
    if (final) {
        fputc('\n', p->out);
        fflush(p->out);
        p->ended = 1;
        p->drawn = 0;
    }
    pthread_mutex_unlock(&p->lock);
}

void ra_progress_hook(void *ctx, int before) {
    ra_progress *p = ctx;
    if (p == NULL) return;
    if (before) {
        pthread_mutex_lock(&p->lock); /* held while the log line is written */
        if (p->drawn) {
            fputs("\r\033[K", p->out);
            fflush(p->out);
            p->drawn = 0;
        }
        return;
    }
    if (!p->ended && p->line[0]) draw(p);
    pthread_mutex_unlock(&p->lock);
}

/* ---------- events off a terminal ---------- */

void ra_progress_log_init(ra_progress_log *t, const ra_log *log, const char *instance, double interval) {
    *t = (ra_progress_log){.log = log, .instance = instance, .interval = interval, .next = interval};
}

static void log_one(const ra_progress_log *t, const char *id, int shard, int nshards, long long done,
                    long long expected, double elapsed) {
    char hdone[24], hrate[24], what[48] = "", of[48] = "";
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    ra_human_bytes((double)done, hdone, sizeof(hdone));
    ra_human_bytes(rate, hrate, sizeof(hrate));
    if (shard >= 0) snprintf(what, sizeof(what), " shard %d", shard);
    else if (nshards > 0) snprintf(what, sizeof(what), " (%d shards)", nshards);
    if (expected > 0) {
        char htotal[24];
        ra_human_bytes((double)expected, htotal, sizeof(htotal));
        snprintf(of, sizeof(of), " of %s (%d%%)", htotal, (int)(100.0 * (double)done / (double)expected));
    }
    ra_log_field f[8] = {
        {.key = "id", .s = id ? id : ""},
        {.key = "instance", .s = t->instance ? t->instance : ""},
        {.key = "bytes", .n = (double)done},
        {.key = "seconds", .n = (double)(long long)(elapsed + 0.5)},
        {.key = "rate", .n = (double)(long long)(rate + 0.5)},
    };
    size_t nf = 5;
    if (expected > 0) f[nf++] = (ra_log_field){.key = "expected", .n = (double)expected};
    if (shard >= 0) f[nf++] = (ra_log_field){.key = "shard", .n = shard};
    else if (nshards > 0) f[nf++] = (ra_log_field){.key = "shards", .n = nshards};
    ra_log_fields(t->log, RA_LOG_INFO, "backup.progress", f, nf, "backup %s%s: %s%s in %.0fs (%s/s)", id ? id : "?",
                  what, hdone, of, elapsed, hrate);
}

void ra_progress_log_sample(ra_progress_log *t, const char *id, long long done, long long expected, double elapsed,
                            int final, const ra_progress_shard *shards, int nshards) {
    if (t == NULL || t->interval <= 0 || final) return;
    if (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQUIRE)) return;
    if (elapsed >= t->next) {
        while (t->next <= elapsed) t->next += t->interval;
        log_one(t, id, -1, shards ? nshards : 0, done, expected, elapsed);
        for (int i = 0; shards && i < nshards; i++) log_one(t, id, i, 0, shards[i].done, shards[i].expected, elapsed);
    }
    __atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}
