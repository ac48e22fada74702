/* SPDX-License-Identifier: Apache-2.0
 * metrics.c - the Prometheus exposition of metrics.h. Every figure comes from the recorded
 * figures in LMDB (one read transaction), except the inbox results, which are counted in
 * memory since the daemon started. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/api.h"
#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"
#include "gemeinde/log.h"
#include "gemeinde/metrics.h"
#include "gemeinde/queue.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"

enum inbox_result { R_ACCEPTED, R_DUPLICATE, R_INVALID, R_UNAUTHORIZED, R_FORBIDDEN,
                    R_TOO_LARGE, R_UNKNOWN_COMMUNITY, R_ERROR, R_COUNT };
static const char *const result_names[R_COUNT] = {
    "accepted", "duplicate", "invalid", "unauthorized", "forbidden", "too_large",
    "unknown_community", "error"};
static atomic_ullong inbox_results[R_COUNT];

void gm_metrics_inbox(gm_err e, int duplicate)
{
    enum inbox_result r;
    switch (e) {
    case GM_OK: r = duplicate ? R_DUPLICATE : R_ACCEPTED; break;
    case GM_EINVAL: r = R_INVALID; break;
    case GM_EAUTH: r = R_UNAUTHORIZED; break;
    case GM_EFORBID: case GM_EPERM: r = R_FORBIDDEN; break;
    case GM_ETOOBIG: r = R_TOO_LARGE; break;
    case GM_ENOTFOUND: r = R_UNKNOWN_COMMUNITY; break;
    default: r = R_ERROR; break;
    }
    atomic_fetch_add_explicit(&inbox_results[r], 1, memory_order_relaxed);
}

int gm_metrics_is_loopback(const char *remote)
{
    if (!remote)
        return 0;
    if (!strncmp(remote, "::ffff:", 7))
        remote += 7;
    return !strncmp(remote, "127.", 4) || !strcmp(remote, "::1");
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(struct gm_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"')
            gm_buf_printf(b, "\\%c", s[i]);
        else if (s[i] == '\n')
            gm_buf_puts(b, "\\n");
        else
            gm_buf_append(b, s + i, 1);
    }
}

static void help(struct gm_buf *b, const char *name, const char *type, const char *text)
{
    gm_buf_printf(b, "# HELP gemeinde_%s %s\n# TYPE gemeinde_%s %s\n", name, text, name, type);
}

/* The figures of every community for one metric (stat s). */
static void per_community(struct gm_buf *b, char **names, const uint64_t *levels, size_t n,
                          enum gm_stat s)
{
    int gauge = gm_stat_is_gauge(s);
    char name[64];
    snprintf(name, sizeof name, "%s%s", gm_stat_name(s), gauge ? "" : "_total");
    help(b, name, gauge ? "gauge" : "counter",
         gauge ? "Current level." : "Events since the community's figures began.");
    for (size_t i = 0; i < n; i++)
        gm_buf_printf(b, "gemeinde_%s{community=\"%s\"} %llu\n", name, names[i],
                      (unsigned long long)levels[i * GM_STAT_COUNT + s]);
}

/* Response-time quantiles and unanswered posts of one community. */
/* The response-time summary of one window: the samples of its days (reordered). */
static void summary(struct gm_buf *b, const char *name, unsigned window, uint32_t *vals, size_t n)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += vals[i];
    if (n) {
        long long q50 = (long long)gm_stats_percentile(vals, n, 0.5);
        long long q90 = (long long)gm_stats_percentile(vals, n, 0.9);
        gm_buf_printf(b,
                      "gemeinde_response_time_seconds{community=\"%s\",window=\"%ud\",quantile=\"0.5\"} %lld\n"
                      "gemeinde_response_time_seconds{community=\"%s\",window=\"%ud\",quantile=\"0.9\"} %lld\n",
                      name, window, q50, name, window, q90);
    }
    gm_buf_printf(b,
                  "gemeinde_response_time_seconds_sum{community=\"%s\",window=\"%ud\"} %llu\n"
                  "gemeinde_response_time_seconds_count{community=\"%s\",window=\"%ud\"} %zu\n",
                  name, window, sum, name, window, n);
}

/* 7 and 30 days from one read of the 30 days' samples: the last 7 days are its tail. */
static void response_times(struct gm_buf *b, struct gm_txn *txn, const char *name, int64_t now)
{
    uint32_t to = gm_stats_day(now), *vals = NULL;
    size_t n = 0, per_day[30], tail = 0;
    if (gm_stats_samples(txn, name, 'r', to - 29, to, &vals, &n, per_day) != GM_OK)
        return;
    for (size_t d = 23; d < 30; d++)
        tail += per_day[d];
    summary(b, name, 7, vals + (n - tail), tail); /* reorders only the tail */
    summary(b, name, 30, vals, n);
    free(vals);
}

static void unanswered(struct gm_buf *b, struct gm_txn *txn, const char *name, int64_t now)
{
    struct gm_community *c = NULL;
    json_t *page = NULL;
    size_t total = 0;
    int64_t age = gm_community_get(txn, name, &c) == GM_OK ? (int64_t)c->unanswered_minutes * 60 : 3600;
    gm_community_free(c);
    if (gm_stats_unanswered_page(txn, name, (int64_t)(gm_stats_day(now) - 29) * 86400,
                                 now - age + 1, 0, &page, &total) == GM_OK)
        gm_buf_printf(b, "gemeinde_unanswered_posts{community=\"%s\"} %zu\n", name, total);
    json_decref(page);
}

static void delivery_line(const char *host, size_t len, const uint64_t c[GM_DELIVERY_KINDS],
                          void *arg)
{
    static const char *const outcome[GM_DELIVERY_KINDS] = {"done", "retry", "failed"};
    struct gm_buf *b = arg;
    for (int k = 0; k < GM_DELIVERY_KINDS; k++) {
        gm_buf_puts(b, "gemeinde_deliveries_total{host=\"");
        put_label(b, host, len);
        gm_buf_printf(b, "\",outcome=\"%s\"} %llu\n", outcome[k], (unsigned long long)c[k]);
    }
}

static void node(struct gm_buf *b, struct gm_txn *txn, size_t communities)
{
    size_t queued = 0;
    int64_t next_due = 0;
    help(b, "communities", "gauge", "Communities on this node.");
    gm_buf_printf(b, "gemeinde_communities %zu\n", communities);
    help(b, "delivery_queue_jobs", "gauge", "Deliveries waiting or retrying.");
    if (gm_queue_stat(txn, &queued, &next_due) == GM_OK)
        gm_buf_printf(b, "gemeinde_delivery_queue_jobs %zu\n", queued);
    help(b, "deliveries_total", "counter", "Delivery attempts by destination host and outcome.");
    gm_stats_delivery_each(txn, delivery_line, b);
    help(b, "inbox_requests_total", "counter", "Inbox requests by result since the daemon started.");
    for (int r = 0; r < R_COUNT; r++)
        gm_buf_printf(b, "gemeinde_inbox_requests_total{result=\"%s\"} %llu\n", result_names[r],
                      (unsigned long long)atomic_load_explicit(&inbox_results[r], memory_order_relaxed));
}

static gm_err render(struct gm_app *app, struct gm_buf *b)
{
    struct gm_txn *txn;
    char **names = NULL;
    size_t n = 0;
    int64_t now = (int64_t)time(NULL);
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_list(txn, &names, &n)) != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    uint64_t *levels = calloc(n ? n : 1, GM_STAT_COUNT * sizeof *levels);
    for (size_t i = 0; levels && i < n; i++)
        if (gm_stats_levels(txn, names[i], levels + i * GM_STAT_COUNT) != GM_OK)
            memset(levels + i * GM_STAT_COUNT, 0, GM_STAT_COUNT * sizeof *levels);
    if (!levels) {
        e = GM_ENOMEM;
        goto out;
    }
    for (int s = 0; s < GM_STAT_COUNT; s++)
        if (s != GM_STAT_POSTERS && s != GM_STAT_REPLIERS) /* distinct per day: not counters */
            per_community(b, names, levels, n, s);
    help(b, "response_time_seconds", "summary",
         "Time to the first answer of top-level posts relayed in the window (quantiles).");
    for (size_t i = 0; i < n; i++)
        response_times(b, txn, names[i], now);
    help(b, "unanswered_posts", "gauge",
         "Top-level posts of the last 30 days waiting longer than the community's threshold.");
    for (size_t i = 0; i < n; i++)
        unanswered(b, txn, names[i], now);
    node(b, txn, n);
out:
    free(levels);
    gm_community_names_free(names, n);
    gm_txn_abort(txn);
    return e;
}

static int allowed(struct gm_app *app, const struct gm_http_req *req)
{
    int proxied = gm_http_req_header(req, "X-Forwarded-For") ||
                  gm_http_req_header(req, "X-Real-IP") || gm_http_req_header(req, "Forwarded");
    if (!proxied && gm_metrics_is_loopback(req->remote))
        return 1;
    return app->cfg->admin_token && gm_api_bearer_ok(app->cfg->admin_token, req);
}

gm_err gm_metrics_get(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp)
{
    struct gm_buf b;
    char *out;
    size_t len;
    if (!app->cfg->metrics || !allowed(app, req)) {
        resp->error = "not found";
        return GM_ENOTFOUND;
    }
    gm_buf_init(&b, 64u << 20);
    gm_err e = render(app, &b);
    if (e != GM_OK) {
        gm_buf_free(&b);
        return e;
    }
    if ((e = gm_buf_take(&b, &out, &len)) != GM_OK)
        return e;
    gm_http_resp_take(resp, out, len, "text/plain; version=0.0.4; charset=utf-8");
    return GM_OK;
}
