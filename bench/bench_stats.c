/* SPDX-License-Identifier: Apache-2.0
 * bench_stats.c - the figures at scale: `gemeinde stats` and the admin dashboard of a community
 * with 100,000 members on 2,000 servers and 1,000,000 relayed posts over a year. A fresh store in
 * a temporary folder is filled through the hooks that the relay and the storage call
 * (gm_member_put, gm_stats_on_post, gm_stats_on_like, reports, the moderation log ...), one
 * event after another in time order, with each transaction's clock set to the event's time. The
 * relay itself (outbox, fan-out, delivery) does not run: the figures are what is measured.
 * Then, each R times after one warm-up (median, p95, max): gm_stats_report for 7, 30 and 365
 * days, the text, CSV and JSON forms of a year, the dashboard handler for 30 and 365 days (and
 * its reads and its rendering apart), and the `gemeinde stats --days 365` process when a binary
 * is given; the cost of recording one relayed post; the LMDB bytes of the figures per day and
 * per post beside the members table. The synthetic data is seeded, so runs are comparable.
 * No network.
 *
 *   bench_stats [GEMEINDE_BINARY] [--members N] [--hosts H] [--posts P] [--runs R] [--keep]
 *
 * Exit status: 0 when the run completed and the figures match what was recorded (targets are
 * reported, not enforced), 1 otherwise, 2 on a usage error. */
#define _XOPEN_SOURCE 700 /* nftw, in bench_util.h */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

#include "bench_util.h"
#include "gemeinde/admin_routes.h"
#include "gemeinde/admin_session.h"
#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/config.h"
#include "gemeinde/html_dashboard.h"
#include "gemeinde/http.h"
#include "gemeinde/log.h"
#include "gemeinde/modlog.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"
#include "gemeinde/store.h"
#include "stats_world.h"

#define MAP_SIZE_MB 16384 /* the data stays far below: about 0.4 GB at the default scale */
#define ALARM_S 3600
#define TARGET_MS 100.0
#define TOKEN "bench-admin-token-0123456789abcdef"
#define RUNS_MAX 1000
#define BATCH 1000 /* posts per transaction when measuring the cost of one */
#define BATCH_ROUNDS 20

struct opts {
    const char *binary; /* NULL: the CLI process is not timed */
    size_t members, hosts, posts;
    unsigned runs;
    int keep;
};

/* ---- what is timed -------------------------------------------------------------------------- */

struct bench {
    const struct opts *o;
    struct world *w;
    struct gm_store *st;
    struct bu_node node;
    struct gm_config cfg;
    struct gm_app app;
    char cookie[GM_SESSION_VALUE_MAX + 16];
    json_t *year_text, *year_daily; /* reports of the year, for the formatting rows */
    struct gm_dashboard dash;       /* read once, for the rendering row */
    int app_ready;
};

/* A report as `gemeinde stats`, the API and the dashboard ask for it. */
struct rq {
    unsigned days;
    int daily;
    size_t unanswered_max;
};

static int report(struct bench *b, const struct rq *r, json_t **out)
{
    struct gm_txn *txn;
    struct gm_stats_query q = {.community = COMMUNITY,
                               .now = b->w->now,
                               .days = r->days,
                               .unanswered_age = -1,
                               .unanswered_max = r->unanswered_max,
                               .top_max = 10,
                               .daily = r->daily};
    gm_err e = gm_txn_begin(b->st, false, &txn);
    if (e == GM_OK) {
        e = gm_stats_report(txn, &q, out);
        gm_txn_abort(txn);
    }
    if (e != GM_OK)
        fprintf(stderr, "bench_stats: report of %u days: %s\n", r->days, gm_strerror(e));
    return e == GM_OK ? 0 : -1;
}

typedef int (*work_fn)(struct bench *b, const void *arg, size_t *bytes);

static int work_report(struct bench *b, const void *arg, size_t *bytes)
{
    json_t *r;
    if (report(b, arg, &r) != 0)
        return -1;
    *bytes = 0;
    json_decref(r);
    return 0;
}

static int take(struct gm_buf *buf, size_t *bytes)
{
    char *out;
    if (gm_buf_take(buf, &out, bytes) != GM_OK)
        return -1;
    free(out);
    return 0;
}

/* What `gemeinde stats NAME --days 365` does once the store is open: report and text. */
static int work_cli_text(struct bench *b, const void *arg, size_t *bytes)
{
    static const struct rq year = {YEAR_DAYS, 0, 20};
    struct gm_buf buf;
    json_t *r;
    (void)arg;
    if (report(b, &year, &r) != 0)
        return -1;
    gm_buf_init(&buf, 64u << 20);
    gm_stats_format_text(r, &buf);
    json_decref(r);
    return take(&buf, bytes);
}

static int work_text(struct bench *b, const void *arg, size_t *bytes)
{
    struct gm_buf buf;
    (void)arg;
    gm_buf_init(&buf, 64u << 20);
    gm_stats_format_text(b->year_text, &buf);
    return take(&buf, bytes);
}

static int work_csv(struct bench *b, const void *arg, size_t *bytes)
{
    struct gm_buf buf;
    (void)arg;
    gm_buf_init(&buf, 64u << 20);
    gm_stats_format_csv(b->year_daily, &buf);
    return take(&buf, bytes);
}

static int work_json(struct bench *b, const void *arg, size_t *bytes)
{
    (void)arg;
    char *s = json_dumps(b->year_daily, JSON_INDENT(2)); /* as `stats --json` prints it */
    if (!s)
        return -1;
    *bytes = strlen(s);
    free(s);
    return 0;
}

/* A logged-in GET /admin/c/bench[?days=N] */
struct fake_req {
    struct gm_http_req req;
    const char *cookie, *days;
};

static const char *fake_header(void *ctx, const char *name)
{
    const struct fake_req *f = ctx;
    return !strcasecmp(name, "Cookie") ? f->cookie : NULL;
}

static const char *fake_query(void *ctx, const char *name)
{
    const struct fake_req *f = ctx;
    return !strcmp(name, "days") ? f->days : NULL;
}

static int work_dashboard(struct bench *b, const void *arg, size_t *bytes)
{
    struct fake_req f = {.cookie = b->cookie, .days = arg};
    struct gm_http_resp resp;
    f.req = (struct gm_http_req){.method = "GET",
                                 .path = "/admin/c/" COMMUNITY,
                                 .target = "/admin/c/" COMMUNITY,
                                 .remote = "127.0.0.1",
                                 .header = fake_header,
                                 .query = fake_query,
                                 .ctx = &f,
                                 .param = COMMUNITY};
    memset(&resp, 0, sizeof resp);
    gm_err e = gm_admin_dashboard(&b->app, &f.req, &resp);
    int ok = e == GM_OK && resp.body && resp.status != 303;
    *bytes = resp.body_len;
    if (!ok)
        fprintf(stderr, "bench_stats: dashboard: %s (status %u)\n", gm_strerror(e), resp.status);
    gm_http_resp_clear(&resp);
    return ok ? 0 : -1;
}

static void dash_clear(struct gm_dashboard *d)
{
    json_decref(d->report);
    json_decref(d->pending);
    json_decref(d->held);
    json_decref(d->reports);
    gm_modlog_entries_free(d->log, d->n_log);
    gm_community_free((struct gm_community *)d->c);
    memset(d, 0, sizeof *d);
}

/* What gm_admin_dashboard reads in its one transaction (admin_routes.c), for days = *arg. */
static gm_err dash_read(struct bench *b, unsigned days, struct gm_dashboard *d)
{
    struct gm_txn *txn;
    struct gm_community *c = NULL;
    json_t *page = NULL, *it;
    size_t i;
    struct gm_stats_query q = {.community = COMMUNITY,
                               .now = b->w->now,
                               .days = days,
                               .unanswered_age = -1,
                               .unanswered_max = 50,
                               .top_max = 10,
                               .daily = 1};
    memset(d, 0, sizeof *d);
    d->host = b->app.host;
    gm_err e = gm_txn_begin(b->st, false, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_get(txn, COMMUNITY, &c)) == GM_OK)
        d->c = c;
    if (e == GM_OK)
        e = gm_stats_report(txn, &q, &d->report);
    if (e == GM_OK)
        e = gm_ckv_page(txn, GM_CKV_PENDING, COMMUNITY, NULL, 50, &d->pending);
    if (e == GM_OK)
        e = gm_ckv_page(txn, GM_CKV_HELD, COMMUNITY, NULL, 50, &d->held);
    if (e == GM_OK && (e = gm_clog_page(txn, GM_CLOG_REPORTS, COMMUNITY, 0, 500, &page)) == GM_OK &&
        !(d->reports = json_array()))
        e = GM_ENOMEM;
    json_array_foreach(page, i, it)
    {
        const char *st = json_string_value(json_object_get(json_object_get(it, "value"), "status"));
        if (e == GM_OK && st && !strcmp(st, "open") && json_array_size(d->reports) < 50)
            json_array_append(d->reports, it);
    }
    json_decref(page);
    if (e == GM_OK)
        e = gm_modlog_page(txn, COMMUNITY, 0, 20, &d->log, &d->n_log);
    gm_txn_abort(txn);
    if (e != GM_OK)
        dash_clear(d);
    return e;
}

static int work_dash_reads(struct bench *b, const void *arg, size_t *bytes)
{
    struct gm_dashboard d;
    *bytes = 0;
    if (dash_read(b, *(const unsigned *)arg, &d) != GM_OK)
        return -1;
    dash_clear(&d);
    return 0;
}

static int work_dash_render(struct bench *b, const void *arg, size_t *bytes)
{
    char *html;
    (void)arg;
    if (gm_html_dashboard(&b->dash, &html, bytes) != GM_OK)
        return -1;
    free(html);
    return 0;
}

/* The whole `gemeinde -c CONFIG stats bench --days 365` process, output to /dev/null; a
 * blocking waitpid (bu_wait polls every 5 ms), bounded by the global alarm. */
static int work_cli_process(struct bench *b, const void *arg, size_t *bytes)
{
    char *argv[] = {
        (char *)b->o->binary, "-c", b->node.config, "stats", COMMUNITY, "--days", "365", NULL};
    int ws = 0;
    (void)arg;
    *bytes = 0;
    pid_t pid = bu_spawn(argv, "/dev/null");
    while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    int ok = pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    if (!ok)
        fprintf(stderr, "bench_stats: `gemeinde stats` failed (wait status %d)\n", ws);
    return ok ? 0 : -1;
}

struct timing {
    double median, p95, max;
};

/* One warm-up, then o->runs timed calls; prints one row. */
static int measure(struct bench *b, const char *name, work_fn fn, const void *arg, struct timing *t)
{
    double ms[RUNS_MAX];
    size_t bytes = 0;
    unsigned n = b->o->runs;
    if (fn(b, arg, &bytes) != 0)
        return -1;
    for (unsigned r = 0; r < n; r++) {
        double a = bu_now_s();
        if (fn(b, arg, &bytes) != 0)
            return -1;
        ms[r] = (bu_now_s() - a) * 1000.0;
    }
    qsort(ms, n, sizeof *ms, bu_cmp_double);
    *t = (struct timing){bu_percentile(ms, n, 50), bu_percentile(ms, n, 95), ms[n - 1]};
    char size[32] = "-";
    if (bytes)
        snprintf(size, sizeof size, "%zu", bytes);
    printf("  %-46s %9.2f %9.2f %9.2f %10s\n", name, t->median, t->p95, t->max, size);
    fflush(stdout);
    return 0;
}

struct results {
    struct timing r7, r30, r365, cli, dash30, dash365, process;
    int have_process;
};

static int app_init(struct bench *b)
{
    char err[GM_CONFIG_ERRLEN], value[GM_SESSION_VALUE_MAX];
    if (gm_config_init(&b->cfg) != GM_OK ||
        gm_config_set(&b->cfg, "admin_token", TOKEN, err, sizeof err) != GM_OK ||
        gm_app_init(&b->app, &b->cfg, b->st, BASE) != GM_OK ||
        gm_session_issue(TOKEN, (int64_t)time(NULL), value, sizeof value) != GM_OK)
        return -1;
    b->app_ready = 1;
    snprintf(b->cookie, sizeof b->cookie, GM_SESSION_COOKIE "=%s", value);
    return 0;
}

/* CPU seconds of this process and of the `gemeinde stats` processes it waited for. */
static double own_cpu_s(void)
{
    struct rusage ru;
    double kids = 0;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        kids = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return bu_clock_s(CLOCK_PROCESS_CPUTIME_ID) + kids;
}

/* As bench_inbox: CPU that other programs used during the timings (from /proc/stat). */
static void print_other_load(double busy_s, double own_s, double wall_s)
{
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN), other = busy_s - own_s;
    double share = wall_s > 0 && other > 0 ? 100.0 * other / (wall_s * ncpu) : 0;
    printf("  other load during the timings: %.1f%% of %.0f CPUs\n", share, ncpu);
    if (share > 10)
        printf("  WARNING: other programs used over 10%% of the CPUs; the timings are too high\n");
}

static int measure_all(struct bench *b, struct results *res)
{
    static const struct rq d7 = {7, 1, 50}, d30 = {30, 1, 50}, d365 = {YEAR_DAYS, 1, 50},
                           year_json = {YEAR_DAYS, 1, 20}, year_text = {YEAR_DAYS, 0, 20};
    static const unsigned days30 = 30, days365 = YEAR_DAYS;
    struct timing t;
    if (app_init(b) != 0 || report(b, &year_text, &b->year_text) != 0 ||
        report(b, &year_json, &b->year_daily) != 0 || dash_read(b, YEAR_DAYS, &b->dash) != GM_OK)
        return -1;
    double m0 = bu_machine_busy_s(), c0 = own_cpu_s(), t0 = bu_now_s();
    printf("\ntimings: %u runs each after one warm-up (ms)\n", b->o->runs);
    printf("  %-46s %9s %9s %9s %10s\n", "", "median", "p95", "max", "bytes");
    if (measure(b, "gm_stats_report  7 days (daily, as dashboard)", work_report, &d7, &res->r7) ||
        measure(b, "gm_stats_report 30 days (daily, as dashboard)", work_report, &d30, &res->r30) ||
        measure(b, "gm_stats_report 365 days (daily, as dashboard)", work_report, &d365,
                &res->r365) ||
        measure(b, "stats --days 365: report + text (in process)", work_cli_text, NULL,
                &res->cli) ||
        measure(b, "  text formatting of the 365-day report", work_text, NULL, &t) ||
        measure(b, "  CSV of the 365-day report (--csv)", work_csv, NULL, &t) ||
        measure(b, "  JSON dump of the 365-day report (--json)", work_json, NULL, &t) ||
        measure(b, "dashboard handler, 30 days (the default)", work_dashboard, NULL,
                &res->dash30) ||
        measure(b, "dashboard handler, 365 days (?days=365)", work_dashboard, "365",
                &res->dash365) ||
        measure(b, "  its reads in one txn, 30 days", work_dash_reads, &days30, &t) ||
        measure(b, "  its reads in one txn, 365 days", work_dash_reads, &days365, &t) ||
        measure(b, "  gm_html_dashboard render, 365 days", work_dash_render, NULL, &t))
        return -1;
    if (b->o->binary) {
        if (measure(b, "`gemeinde stats bench --days 365` process", work_cli_process, NULL,
                    &res->process))
            return -1;
        res->have_process = 1;
    }
    print_other_load(bu_machine_busy_s() - m0, own_cpu_s() - c0, bu_now_s() - t0);
    return 0;
}

/* gm_stats_on_post of BATCH new posts (30% top-level, 70% replies to posts of the last two
 * days) in one write transaction, BATCH_ROUNDS times; the Create documents are built first. */
static int event_cost(struct bench *b)
{
    struct world *w = b->w;
    uint32_t *recent = malloc(w->nposts * sizeof *recent);
    json_t *batch[BATCH] = {0};
    char authors[BATCH][96], id[160], parent[160];
    double us[BATCH_ROUNDS], commit_ms[BATCH_ROUNDS];
    size_t nrecent = 0;
    int rc = -1;
    for (size_t p = 0; recent && p < w->nposts; p++)
        if (w->posts[p].t >= w->now - 2 * DAY)
            recent[nrecent++] = (uint32_t)p;
    for (unsigned r = 0; recent && nrecent && r < BATCH_ROUNDS; r++) {
        struct gm_txn *txn;
        for (size_t k = 0; k < BATCH; k++) {
            uint32_t a = (uint32_t)zipf_draw(&w->who);
            actor_of(w, a, authors[k], sizeof authors[k]);
            snprintf(id, sizeof id, "%.95s/statuses/9%02u%06zu", authors[k], r, k);
            json_t *obj = json_pack("{s:s, s:s, s:s}", "id", id, "type", "Note", "content",
                                    "<p>One more post, is that measured?</p>");
            if (obj && unif() < 0.7) {
                post_id(w, recent[below(nrecent)], parent, sizeof parent);
                json_object_set_new(obj, "inReplyTo", json_string(parent));
            }
            batch[k] =
                json_pack("{s:s, s:s, s:o}", "type", "Create", "actor", authors[k], "object", obj);
        }
        if (gm_txn_begin(b->st, true, &txn) != GM_OK)
            goto out;
        gm_txn_set_now(txn, w->now);
        double a = bu_now_s();
        gm_err e = GM_OK;
        for (size_t k = 0; k < BATCH && e == GM_OK; k++)
            e = batch[k] ? gm_stats_on_post(txn, COMMUNITY, w->now - BATCH + (int64_t)k, authors[k],
                                            batch[k])
                         : GM_ENOMEM;
        us[r] = (bu_now_s() - a) * 1e6 / BATCH;
        a = bu_now_s();
        if (e != GM_OK) {
            gm_txn_abort(txn);
            goto out;
        }
        if (gm_txn_commit(txn) != GM_OK)
            goto out;
        commit_ms[r] = (bu_now_s() - a) * 1000.0;
        for (size_t k = 0; k < BATCH; k++) {
            json_decref(batch[k]);
            batch[k] = NULL;
        }
    }
    if (!nrecent)
        goto out;
    qsort(us, BATCH_ROUNDS, sizeof *us, bu_cmp_double);
    qsort(commit_ms, BATCH_ROUNDS, sizeof *commit_ms, bu_cmp_double);
    double cm = bu_percentile(commit_ms, BATCH_ROUNDS, 50);
    printf("\nrecording a relayed post: gm_stats_on_post, %d per write txn, %d txns\n", BATCH,
           BATCH_ROUNDS);
    printf("  per post, calls only       median %.1f us, p95 %.1f us\n",
           bu_percentile(us, BATCH_ROUNDS, 50), bu_percentile(us, BATCH_ROUNDS, 95));
    printf("  commit of the txn (fsync)  median %.2f ms (%.1f us per post)\n", cm,
           cm * 1000.0 / BATCH);
    rc = 0;
out:
    for (size_t k = 0; k < BATCH; k++)
        json_decref(batch[k]);
    free(recent);
    if (rc)
        fprintf(stderr, "bench_stats: measuring gm_stats_on_post failed\n");
    return rc;
}

/* ---- storage, the figures checked, the data described --------------------------------------- */

static long long file_bytes(const char *dir, const char *name)
{
    char path[400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* The figures by key kind (stats_store.c): what grows with the days, what with the posts. */
static void print_kinds(const struct bench *b)
{
    static const struct {
        char kind;
        const char *what;
    } kinds[] = {{'d', "counters per day"},
                 {'s', "distinct posters/repliers per day"},
                 {'r', "response-time samples per day"},
                 {'q', "report-resolution samples per day"},
                 {'o', "one per relayed post or reply"},
                 {'u', "unanswered posts (until answered)"},
                 {'c', "one per contributor"},
                 {'h', "members per server"},
                 {'l', "gauge levels and totals"}};
    struct gm_txn *txn;
    uint64_t entries, bytes;
    if (gm_txn_begin(b->st, false, &txn) != GM_OK)
        return;
    printf("  \"stats\" by kind: keys + values, without LMDB's page overhead\n");
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (gm_stats_kind_usage(txn, kinds[i].kind, &entries, &bytes) == GM_OK)
            printf("    '%c' %-36s %12llu bytes %9llu entries  %6.0f B/entry\n", kinds[i].kind,
                   kinds[i].what, (unsigned long long)bytes, (unsigned long long)entries,
                   entries ? (double)bytes / (double)entries : 0.0);
    gm_txn_abort(txn);
}

static void print_storage(const struct bench *b)
{
    static const char *const dbs[] = {"stats",       "members",        "ckv", "clog", "modlog",
                                      "communities", "community_keys", "meta"};
    const struct world *w = b->w;
    uint64_t bytes, entries, stats_bytes = 0, stats_entries = 0, member_bytes = 0;
    printf("\nstorage (LMDB pages of each database: branch + leaf + overflow, x page size)\n");
    printf("  %-16s %14s %12s\n", "database", "bytes", "entries");
    for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++) {
        if (gm_store_db_bytes(b->st, dbs[i], &bytes, &entries) != GM_OK)
            continue;
        printf("  %-16s %14llu %12llu\n", dbs[i], (unsigned long long)bytes,
               (unsigned long long)entries);
        if (i == 0)
            stats_bytes = bytes, stats_entries = entries;
        if (i == 1)
            member_bytes = bytes;
    }
    printf("  data.mdb file    %14lld\n", file_bytes(b->node.data_dir, "data.mdb"));
    print_kinds(b);
    printf("  figures (\"stats\"): %.1f MiB, %.1f KiB per day of the year, %.0f bytes per "
           "relayed post, %.1f entries per post\n",
           (double)stats_bytes / 1048576.0, (double)stats_bytes / 1024.0 / YEAR_DAYS,
           (double)stats_bytes / (double)w->nposts, (double)stats_entries / (double)w->nposts);
    printf("  members table: %.1f MiB, %.0f bytes per member\n", (double)member_bytes / 1048576.0,
           (double)member_bytes / (double)w->members);
}

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* The 365-day report must count exactly what was recorded. */
static int check_figures(struct bench *b)
{
    static const struct rq year = {YEAR_DAYS, 0, 20};
    const struct world *w = b->w;
    json_t *r;
    if (report(b, &year, &r) != 0)
        return -1;
    json_t *p = json_object_get(r, "period"), *now = json_object_get(r, "now");
    json_t *rt = json_object_get(json_object_get(r, "response_time"), "period");
    const size_t *n = w->count;
    struct {
        const char *name;
        json_int_t got, want;
    } rows[] = {
        {"posts", num(p, "posts"), (json_int_t)w->ntop},
        {"replies", num(p, "replies"), (json_int_t)w->nreplies},
        {"questions", num(p, "questions"), (json_int_t)w->nquestions},
        {"likes", num(p, "likes"), (json_int_t)n[EV_LIKE]},
        {"members_gained", num(p, "members_gained"), (json_int_t)n[EV_JOIN]},
        {"members_lost", num(p, "members_lost"), (json_int_t)n[EV_LEAVE]},
        {"members_start", num(p, "members_start"), 0},
        {"members_end", num(p, "members_end"), (json_int_t)w->members},
        {"now.members", num(now, "members"), (json_int_t)w->members},
        {"requests", num(p, "requests"), (json_int_t)n[EV_REQUEST]},
        {"now.pending", num(now, "pending"), (json_int_t)(n[EV_REQUEST] - n[EV_HANDLED])},
        {"now.held", num(now, "held"), (json_int_t)n[EV_HELD]},
        {"reports_opened", num(p, "reports_opened"), (json_int_t)n[EV_REPORT]},
        {"reports_resolved", num(p, "reports_resolved"), (json_int_t)n[EV_CLOSE]},
        {"now.open_reports", num(now, "open_reports"), (json_int_t)(n[EV_REPORT] - n[EV_CLOSE])},
        {"mod_actions", num(p, "mod_actions"), (json_int_t)(n[EV_MODLOG] + n[EV_CLOSE])},
        {"servers", num(r, "servers"), -1},
    };
    int bad = 0;
    printf("\nthe 365-day report against what was recorded\n");
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int ok = rows[i].want < 0 || rows[i].got == rows[i].want;
        bad |= !ok;
        printf("  %-18s %10lld  %s\n", rows[i].name, (long long)rows[i].got,
               rows[i].want < 0 ? ""
               : ok             ? "ok"
                                : "MISMATCH");
        if (!ok)
            printf("  %-18s %10lld  expected\n", "", (long long)rows[i].want);
    }
    char d1[32], d2[32];
    printf("  answered %lld (rate %.3f), waiting %lld, closed %lld; first answer median %s, "
           "p90 %s (%lld samples); active members %lld\n",
           (long long)num(p, "answered"), json_number_value(json_object_get(p, "answer_rate")),
           (long long)num(json_object_get(r, "unanswered"), "total"), (long long)num(p, "closed"),
           gm_stats_duration(num(rt, "median"), d1, sizeof d1),
           gm_stats_duration(num(rt, "p90"), d2, sizeof d2), (long long)num(rt, "count"),
           (long long)num(p, "active_members"));
    json_decref(r);
    return bad ? -1 : 0;
}

static void print_world(const struct world *w, double gen_s)
{
    size_t big = 0;
    for (size_t i = 0; i < w->members; i++)
        big += w->host[i] == 0;
    printf("gemeinde stats benchmark: one community, figures of a year (%d days)\n", YEAR_DAYS);
    printf("  members          %zu on %zu servers (Zipf 1.1: the biggest has %.1f%%), %zu more "
           "joined and left\n",
           w->members, w->hosts, 100.0 * (double)big / (double)w->members,
           w->all_members - w->members);
    printf("  relayed posts    %zu: %zu top-level (%zu ask something, %zu never answered by "
           "others), %zu replies (%zu by the author before any answer)\n",
           w->nposts, w->ntop, w->nquestions, w->nnever, w->nreplies, w->nself);
    printf("  other events     %zu likes, %zu deletions, %zu reports (%zu closed), %zu moderation "
           "entries, %zu follow requests (%zu handled), %zu held posts\n",
           w->count[EV_LIKE], w->count[EV_GONE], w->count[EV_REPORT], w->count[EV_CLOSE],
           w->count[EV_MODLOG], w->count[EV_REQUEST], w->count[EV_HANDLED], w->count[EV_HELD]);
    printf("  generated in %.1f s (seeded); the relay itself (outbox, fan-out, delivery) does "
           "not run: only what the figures record is measured\n",
           gen_s);
}

static void print_population(const struct world *w, const struct population *pop)
{
    printf("\npopulation: %zu events in time order, %zu write txns of up to %d, each event at "
           "its own time (gm_txn_set_now)\n",
           w->nev, pop->txns, TXN_OPS);
    printf("  wall %.1f s: %.0f events/s; commits %.1f s\n", pop->wall_s,
           (double)w->nev / pop->wall_s, pop->commit_s);
    for (int k = 0; k < EV_KINDS; k++)
        if (w->count[k])
            printf("  %-18s %9zu  %8.2f s  %7.1f us each\n", ev_names[k], w->count[k], pop->op_s[k],
                   pop->op_s[k] * 1e6 / (double)w->count[k]);
}

static void print_targets(const struct results *r)
{
    printf("\ntargets (p95 under %.0f ms):\n", TARGET_MS);
    const struct {
        const char *name;
        const struct timing *t;
    } rows[] = {{"gm_stats_report 365 days", &r->r365},
                {"stats --days 365 (report + text, in process)", &r->cli},
                {"dashboard, 30 days", &r->dash30},
                {"dashboard, 365 days", &r->dash365},
                {"`gemeinde stats --days 365` process", &r->process}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (i < 4 || r->have_process)
            printf("  %-4s %-46s p95 %.2f ms\n", rows[i].t->p95 < TARGET_MS ? "PASS" : "MISS",
                   rows[i].name, rows[i].t->p95);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.members = 100000, .hosts = 2000, .posts = 1000000, .runs = 20};
    int i = 1;
    if (argc > 1 && argv[1][0] != '-')
        o->binary = argv[i++];
    for (; i < argc; i++) {
        unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], NULL, 10) : 0;
        if (!strcmp(argv[i], "--keep")) {
            o->keep = 1;
            continue;
        }
        if (!strcmp(argv[i], "--members") && v >= 100 && v <= 10000000)
            o->members = v;
        else if (!strcmp(argv[i], "--hosts") && v >= 1 && v <= 1000000)
            o->hosts = v;
        else if (!strcmp(argv[i], "--posts") && v >= 1000 && v <= 20000000)
            o->posts = v;
        else if (!strcmp(argv[i], "--runs") && v >= 1 && v <= RUNS_MAX)
            o->runs = (unsigned)v;
        else
            return -1;
        i++;
    }
    return o->hosts <= o->members ? 0 : -1;
}

/* Refuse to start with less than 8 GiB free where the store goes. */
static int enough_disk(const char *dir)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0)
        return 1;
    double gib = (double)sv.f_bavail * (double)sv.f_frsize / 1073741824.0;
    if (gib < 8.0)
        fprintf(stderr, "bench_stats: only %.1f GiB free in %s, 8 GiB wanted\n", gib, dir);
    return gib >= 8.0;
}

static int run(struct bench *b, const struct opts *o)
{
    struct population pop;
    struct results res = {0};
    char err[512] = "";
    double t = bu_now_s();
    if (world_make(b->w, o->members, o->hosts, o->posts, (int64_t)time(NULL)) != 0) {
        fprintf(stderr, "bench_stats: out of memory making the data\n");
        return -1;
    }
    print_world(b->w, bu_now_s() - t);
    if (gm_store_open(b->node.data_dir, MAP_SIZE_MB, &b->st, err, sizeof err) != GM_OK) {
        fprintf(stderr, "bench_stats: %s\n", err);
        return -1;
    }
    if (create_community(b->st, b->w->start) != 0 || populate(b->w, b->st, &pop) != 0)
        return -1;
    print_population(b->w, &pop);
    int checked = check_figures(b);
    print_storage(b);
    if (measure_all(b, &res) != 0 || event_cost(b) != 0)
        return -1;
    print_targets(&res);
    return checked;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct world w;
    struct bench b = {.o = &o, .w = &w};
    int rc = 1;
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_stats [GEMEINDE_BINARY] [--members N (100000)] "
                        "[--hosts H (2000)] [--posts P (1000000)] [--runs R (20)] [--keep]\n");
        return 2;
    }
    memset(&w, 0, sizeof w);
    gm_log_set_level(GM_LOG_WARN);
    bu_alarm_arm(ALARM_S);
    if (bu_node_init(&b.node, "map_size_mb = 16384\n") != 0)
        goto out;
    bu_alarm_describe("bench_stats", ALARM_S, b.node.dir);
    if (enough_disk(b.node.dir))
        rc = run(&b, &o) == 0 ? 0 : 1;
out:
    json_decref(b.year_text);
    json_decref(b.year_daily);
    dash_clear(&b.dash);
    if (b.app_ready)
        gm_app_clear(&b.app);
    gm_config_clear(&b.cfg);
    gm_store_close(b.st);
    world_free(&w);
    if (o.keep && b.node.dir[0])
        printf("\nkept: %s (config %s)\n", b.node.dir, b.node.config);
    else
        bu_rmtree(b.node.dir);
    return rc;
}
