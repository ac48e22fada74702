/* SPDX-License-Identifier: Apache-2.0
 * stats_report.c - the figures of the last N days as one JSON document (stats_report.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/reports.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"
#include "gemeinde/timefmt.h"

#define OPEN_REPORTS_MAX 100000 /* counted; more are shown as this many */

/* Move the k-th smallest value to vals[k], smaller ones before it, larger after. */
static void select_kth(uint32_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        /* median of three as the pivot */
        uint32_t x = a[lo], y = a[mid], z = a[hi];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j], a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

int64_t gm_stats_percentile(uint32_t *vals, size_t n, double p)
{
    if (!n)
        return -1;
    double pos = p * (double)(n - 1);
    size_t k = (size_t)pos;
    select_kth(vals, n, k);
    double v = vals[k];
    if (k + 1 < n && pos > (double)k) {
        uint32_t next = vals[k + 1];
        for (size_t i = k + 2; i < n; i++)
            if (vals[i] < next)
                next = vals[i];
        v += (pos - (double)k) * ((double)next - v);
    }
    return (int64_t)llround(v);
}

/* {count, median, p90} of n samples (reordered). */
static json_t *spread(uint32_t *vals, size_t n)
{
    json_int_t median = gm_stats_percentile(vals, n, 0.5), p90 = gm_stats_percentile(vals, n, 0.9);
    return json_pack("{s:I, s:o, s:o}", "count", (json_int_t)n, "median",
                     n ? json_integer(median) : json_null(), "p90",
                     n ? json_integer(p90) : json_null());
}

/* Spread of the samples of the last `days` days of a series of `ndays` (per_day counts). */
static json_t *spread_tail(const uint32_t *vals, size_t n, const size_t *per_day, size_t ndays,
                           size_t days)
{
    size_t skip = 0, i = 0;
    for (; ndays > days && i < ndays - days; i++)
        skip += per_day[i];
    size_t m = n - skip;
    uint32_t *copy = m ? malloc(m * sizeof *copy) : NULL;
    if (m && !copy)
        return NULL;
    if (m)
        memcpy(copy, vals + skip, m * sizeof *copy);
    json_t *s = spread(copy, m);
    free(copy);
    return s;
}

static void date_of(uint32_t day, char *buf, size_t size)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

struct top {
    const struct gm_stats_query *q;
    uint32_t from;
    size_t active_posters, active_repliers, active;
    json_t *list; /* kept sorted, at most q->top_max */
};

static int ranks_before(const struct gm_stats_who *w, json_t *item)
{
    json_int_t a = json_integer_value(json_object_get(item, "answered"));
    json_int_t t = json_integer_value(json_object_get(item, "posts")) +
                   json_integer_value(json_object_get(item, "replies"));
    if ((json_int_t)w->answered != a)
        return (json_int_t)w->answered > a;
    return (json_int_t)w->posts + w->replies > t;
}

static void top_one(const char *actor, size_t len, const struct gm_stats_who *w, void *arg)
{
    struct top *t = arg;
    int posted = w->posts && w->last_post_day >= t->from;
    int replied = w->replies && w->last_reply_day >= t->from;
    t->active_posters += posted;
    t->active_repliers += replied;
    t->active += posted || replied;
    if (!(posted || replied) || !t->q->top_max)
        return;
    size_t n = json_array_size(t->list), at = n;
    while (at > 0 && ranks_before(w, json_array_get(t->list, at - 1)))
        at--;
    if (at >= t->q->top_max)
        return;
    json_t *item = json_pack("{s:s%, s:I, s:I, s:I}", "actor", actor, len, "posts",
                             (json_int_t)w->posts, "replies", (json_int_t)w->replies, "answered",
                             (json_int_t)w->answered);
    if (item && json_array_insert_new(t->list, at, item) == 0 &&
        json_array_size(t->list) > t->q->top_max)
        json_array_remove(t->list, t->q->top_max);
}

/* Sums over the days and one entry per day. */
static json_t *period_and_days(const struct gm_stats_query *q, const uint64_t *c, size_t ndays,
                               uint32_t from, const uint32_t *rt, const size_t *per_day,
                               json_t **daily)
{
    uint64_t sum[GM_STAT_COUNT] = {0};
    json_t *days = q->daily ? json_array() : NULL;
    size_t off = 0;
    for (size_t d = 0; d < ndays; d++) {
        const uint64_t *day = c + d * GM_STAT_COUNT;
        for (int s = 0; s < GM_STAT_COUNT; s++)
            if (!gm_stat_is_gauge(s))
                sum[s] += day[s];
        if (days) {
            char date[16];
            date_of(from + (uint32_t)d, date, sizeof date);
            json_t *e = json_pack("{s:s}", "date", date);
            for (int s = 0; e && s < GM_STAT_COUNT; s++)
                json_object_set_new(e, gm_stat_name(s), json_integer((json_int_t)day[s]));
            uint32_t *seg = malloc((per_day[d] ? per_day[d] : 1) * sizeof *seg);
            if (seg && per_day[d])
                memcpy(seg, rt + off, per_day[d] * sizeof *seg);
            json_object_set_new(e, "response", seg ? spread(seg, per_day[d]) : NULL);
            free(seg);
            json_array_append_new(days, e);
        }
        off += per_day[d];
    }
    json_t *p = json_object();
    for (int s = 0; p && s < GM_STAT_COUNT; s++) /* distinct people: active_* (people()) */
        if (!gm_stat_is_gauge(s) && s != GM_STAT_POSTERS && s != GM_STAT_REPLIERS)
            json_object_set_new(p, gm_stat_name(s), json_integer((json_int_t)sum[s]));
    const uint64_t *first = c, *last = c + (ndays - 1) * GM_STAT_COUNT;
    uint64_t waiting = sum[GM_STAT_POSTS] - (sum[GM_STAT_ANSWERED] + sum[GM_STAT_CLOSED] > sum[GM_STAT_POSTS]
                                                 ? sum[GM_STAT_POSTS]
                                                 : sum[GM_STAT_ANSWERED] + sum[GM_STAT_CLOSED]);
    json_object_set_new(p, "unanswered", json_integer((json_int_t)waiting));
    int64_t start = (int64_t)first[GM_STAT_MEMBERS] - (int64_t)first[GM_STAT_MEMBERS_GAINED] +
                    (int64_t)first[GM_STAT_MEMBERS_LOST];
    json_object_set_new(p, "members_start", json_integer(start < 0 ? 0 : start));
    json_object_set_new(p, "members_end", json_integer((json_int_t)last[GM_STAT_MEMBERS]));
    json_object_set_new(p, "answer_rate",
                        sum[GM_STAT_POSTS] ? json_real(round(1000.0 * (double)sum[GM_STAT_ANSWERED] /
                                                             (double)sum[GM_STAT_POSTS]) / 1000.0)
                                           : json_null());
    *daily = days;
    return p;
}

static gm_err figures(struct gm_txn *txn, const struct gm_stats_query *q, json_t *r)
{
    uint32_t to = gm_stats_day(q->now), from = to - (q->days - 1);
    uint32_t rfrom = q->days < 30 ? to - 29 : from; /* samples for 7 and 30 days too */
    size_t ndays = q->days, nr = (size_t)(to - rfrom) + 1, nvals = 0;
    uint64_t *c = malloc(ndays * GM_STAT_COUNT * sizeof *c);
    size_t *per_day = calloc(nr, sizeof *per_day);
    uint32_t *rt = NULL, *qt = NULL;
    size_t nq = 0;
    json_t *daily = NULL;
    gm_err e = c && per_day ? GM_OK : GM_ENOMEM;
    if (e == GM_OK)
        e = gm_stats_range(txn, q->community, from, to, c);
    if (e == GM_OK)
        e = gm_stats_samples(txn, q->community, 'r', rfrom, to, &rt, &nvals, per_day);
    if (e == GM_OK)
        e = gm_stats_samples(txn, q->community, 'q', from, to, &qt, &nq, NULL);
    if (e != GM_OK)
        goto out;
    size_t *pd = per_day + (nr - ndays), skip = 0; /* the report's own days */
    for (size_t i = 0; i < nr - ndays; i++)
        skip += per_day[i];
    json_t *period = period_and_days(q, c, ndays, from, rt + (rt ? skip : 0), pd, &daily);
    json_t *resp = json_pack("{s:o, s:o, s:o}", "period", spread_tail(rt, nvals, per_day, nr, ndays),
                             "7d", spread_tail(rt, nvals, per_day, nr, 7), "30d",
                             spread_tail(rt, nvals, per_day, nr, 30));
    json_object_set_new(r, "period", period);
    json_object_set_new(r, "response_time", resp);
    json_object_set_new(r, "report_resolution", spread(qt, nq));
    if (daily)
        json_object_set_new(r, "daily", daily);
    if (!period || !resp)
        e = GM_ENOMEM;
out:
    free(c);
    free(per_day);
    free(rt);
    free(qt);
    return e;
}

static gm_err people(struct gm_txn *txn, const struct gm_stats_query *q, json_t *r)
{
    uint32_t from = gm_stats_day(q->now) - (q->days - 1);
    struct top t = {.q = q, .from = from, .list = json_array()};
    json_t *hosts = NULL;
    size_t nhosts = 0;
    gm_err e = t.list ? gm_stats_who_each(txn, q->community, top_one, &t) : GM_ENOMEM;
    if (e == GM_OK)
        e = gm_stats_hosts(txn, q->community, 20, &hosts, &nhosts);
    if (e != GM_OK) {
        json_decref(t.list);
        return e;
    }
    json_t *period = json_object_get(r, "period");
    json_object_set_new(period, "active_posters", json_integer((json_int_t)t.active_posters));
    json_object_set_new(period, "active_repliers", json_integer((json_int_t)t.active_repliers));
    json_object_set_new(period, "active_members", json_integer((json_int_t)t.active));
    json_object_set_new(r, "top_contributors", t.list);
    json_object_set_new(r, "members_by_server", hosts);
    json_object_set_new(r, "servers", json_integer((json_int_t)nhosts));
    return GM_OK;
}

static gm_err waiting(struct gm_txn *txn, const struct gm_stats_query *q, json_t *r)
{
    int64_t start = (int64_t)(gm_stats_day(q->now) - (q->days - 1)) * 86400;
    json_t *page = NULL;
    size_t total = 0;
    gm_err e = gm_stats_unanswered_page(txn, q->community, start, q->now - q->unanswered_age + 1,
                                        q->unanswered_max, &page, &total);
    if (e != GM_OK)
        return e;
    size_t i;
    json_t *it;
    json_array_foreach(page, i, it)
        json_object_set_new(it, "waiting", json_integer((json_int_t)(q->now - json_integer_value(json_object_get(it, "at")))));
    json_object_set_new(r, "unanswered", json_pack("{s:I, s:I, s:o}", "older_than",
                                                   (json_int_t)q->unanswered_age, "total",
                                                   (json_int_t)total, "posts", page));
    return GM_OK;
}

gm_err gm_stats_report(struct gm_txn *txn, const struct gm_stats_query *q, json_t **out)
{
    struct gm_community *c = NULL;
    uint64_t level[GM_STAT_COUNT];
    size_t held = 0;
    char from[16], to[16], now[32];
    if (!q || !q->community || q->days < 1 || q->days > GM_STATS_DAYS_MAX ||
        gm_stats_day(q->now) < q->days + 30)
        return GM_EINVAL;
    gm_err e = gm_community_get(txn, q->community, &c);
    if (e != GM_OK)
        return e;
    struct gm_stats_query qq = *q;
    if (qq.unanswered_age < 0) /* the community's own setting */
        qq.unanswered_age = (int64_t)c->unanswered_minutes * 60;
    q = &qq;
    gm_community_free(c);
    json_t *open = NULL;
    if ((e = gm_stats_levels(txn, q->community, level)) != GM_OK ||
        (e = gm_ckv_count(txn, GM_CKV_HELD, q->community, &held)) != GM_OK ||
        (e = gm_report_list(txn, q->community, false, 0, OPEN_REPORTS_MAX, &open)) != GM_OK)
        return e;
    size_t n_open = json_array_size(open);
    json_decref(open);
    date_of(gm_stats_day(q->now) - (q->days - 1), from, sizeof from);
    date_of(gm_stats_day(q->now), to, sizeof to);
    gm_time_format(q->now, now, sizeof now);
    json_t *r = json_pack("{s:s, s:s, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "community",
                          q->community, "generated_at", now, "days", (json_int_t)q->days, "from",
                          from, "to", to, "now", "members", (json_int_t)level[GM_STAT_MEMBERS],
                          "pending", (json_int_t)level[GM_STAT_PENDING], "held", (json_int_t)held,
                          "open_reports", (json_int_t)n_open);
    if (!r)
        return GM_ENOMEM;
    if ((e = figures(txn, q, r)) == GM_OK && (e = people(txn, q, r)) == GM_OK)
        e = waiting(txn, q, r);
    if (e != GM_OK) {
        json_decref(r);
        return e;
    }
    *out = r;
    return GM_OK;
}
