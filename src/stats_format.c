/* SPDX-License-Identifier: Apache-2.0
 * stats_format.c - a stats report (stats_report.h) for a terminal, and as CSV. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"

const char *gm_stats_duration(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        snprintf(buf, size, "-");
    else if (s < 60)
        snprintf(buf, size, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(buf, size, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, size, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
    return buf;
}

static json_int_t num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

const char *gm_stats_spread_duration(json_t *spread, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(spread, key);
    return gm_stats_duration(json_is_integer(v) ? json_integer_value(v) : -1, buf, size);
}



/* Text from remote content on one terminal line: control characters become spaces. */
static void put_clean(struct gm_buf *b, const char *s)
{
    for (; s && *s; s++) {
        char c = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
        gm_buf_append(b, &c, 1);
    }
}

static void text_response(json_t *r, struct gm_buf *b)
{
    json_t *rt = json_object_get(r, "response_time"), *p = json_object_get(rt, "period");
    json_t *w7 = json_object_get(rt, "7d"), *w30 = json_object_get(rt, "30d");
    char a[32], c[32], d[32], e[32], f[32], g[32];
    gm_buf_printf(b, "Response     first answer: median %s, 90%% within %s (%lld posts)\n",
                  gm_stats_spread_duration(p, "median", a, sizeof a), gm_stats_spread_duration(p, "p90", c, sizeof c), num(p, "count"));
    gm_buf_printf(b, "             last 7 days %s / %s, last 30 days %s / %s\n",
                  gm_stats_spread_duration(w7, "median", d, sizeof d), gm_stats_spread_duration(w7, "p90", e, sizeof e),
                  gm_stats_spread_duration(w30, "median", f, sizeof f), gm_stats_spread_duration(w30, "p90", g, sizeof g));
}

static void text_lists(json_t *r, struct gm_buf *b)
{
    json_t *hosts = json_object_get(r, "members_by_server"), *it;
    size_t i;
    char t[32];
    gm_buf_printf(b, "Servers      %lld:", num(r, "servers"));
    json_array_foreach(hosts, i, it) {
        if (i >= 8)
            break;
        gm_buf_printf(b, "%s %s %lld", i ? "," : "", json_string_value(json_object_get(it, "host")),
                      num(it, "members"));
    }
    gm_buf_puts(b, "\n");
    json_t *top = json_object_get(r, "top_contributors");
    if (json_array_size(top))
        gm_buf_puts(b, "\nTop contributors (posts and replies others answered)\n");
    json_array_foreach(top, i, it) {
        gm_buf_printf(b, "  %2zu. ", i + 1);
        put_clean(b, json_string_value(json_object_get(it, "actor")));
        gm_buf_printf(b, "  %lld answered, %lld posts, %lld replies\n", num(it, "answered"),
                      num(it, "posts"), num(it, "replies"));
    }
    json_t *un = json_object_get(r, "unanswered");
    gm_buf_printf(b, "\nUnanswered for more than %s: %lld (oldest first)\n",
                  gm_stats_duration(num(un, "older_than"), t, sizeof t), num(un, "total"));
    json_array_foreach(json_object_get(un, "posts"), i, it) {
        gm_buf_printf(b, "  %-8s %s ", gm_stats_duration(num(it, "waiting"), t, sizeof t),
                      json_is_true(json_object_get(it, "question")) ? "?" : " ");
        put_clean(b, json_string_value(json_object_get(it, "title")));
        gm_buf_puts(b, "\n           ");
        put_clean(b, json_string_value(json_object_get(it, "url")));
        gm_buf_puts(b, "\n");
    }
}

void gm_stats_format_text(json_t *r, struct gm_buf *b)
{
    json_t *now = json_object_get(r, "now"), *p = json_object_get(r, "period");
    json_t *res = json_object_get(r, "report_resolution");
    char a[32];
    json_int_t posts = num(p, "posts");
    gm_buf_printf(b, "%s: last %lld days (%s to %s, UTC)\n\n", json_string_value(json_object_get(r, "community")),
                  num(r, "days"), json_string_value(json_object_get(r, "from")),
                  json_string_value(json_object_get(r, "to")));
    gm_buf_printf(b, "Members      %lld now; +%lld joined, -%lld left; %lld requests waiting\n",
                  num(now, "members"), num(p, "members_gained"), num(p, "members_lost"),
                  num(now, "pending"));
    gm_buf_printf(b, "Activity     %lld posts, %lld replies, %lld likes; %lld active members "
                     "(%lld posted, %lld replied)\n",
                  posts, num(p, "replies"), num(p, "likes"), num(p, "active_members"),
                  num(p, "active_posters"), num(p, "active_repliers"));
    gm_buf_printf(b, "Answers      %lld of %lld posts answered (%lld%%), %lld questions; %lld waiting\n",
                  num(p, "answered"), posts, posts ? num(p, "answered") * 100 / posts : 0,
                  num(p, "questions"), num(p, "unanswered"));
    text_response(r, b);
    gm_buf_printf(b, "Reports      %lld opened, %lld resolved (median %s); %lld open now\n",
                  num(p, "reports_opened"), num(p, "reports_resolved"), gm_stats_spread_duration(res, "median", a, sizeof a),
                  num(now, "open_reports"));
    gm_buf_printf(b, "Moderation   %lld actions; %lld posts held for review\n", num(p, "mod_actions"),
                  num(now, "held"));
    text_lists(r, b);
}

void gm_stats_format_csv(json_t *r, struct gm_buf *b)
{
    json_t *day;
    size_t i;
    gm_buf_puts(b, "date");
    for (int s = 0; s < GM_STAT_COUNT; s++)
        gm_buf_printf(b, ",%s", gm_stat_name(s));
    gm_buf_puts(b, ",response_count,response_median_s,response_p90_s\n");
    json_array_foreach(json_object_get(r, "daily"), i, day) {
        json_t *resp = json_object_get(day, "response");
        gm_buf_puts(b, json_string_value(json_object_get(day, "date")));
        for (int s = 0; s < GM_STAT_COUNT; s++)
            gm_buf_printf(b, ",%lld", num(day, gm_stat_name(s)));
        gm_buf_printf(b, ",%lld,", num(resp, "count"));
        if (json_is_integer(json_object_get(resp, "median")))
            gm_buf_printf(b, "%lld", num(resp, "median"));
        gm_buf_puts(b, ",");
        if (json_is_integer(json_object_get(resp, "p90")))
            gm_buf_printf(b, "%lld", num(resp, "p90"));
        gm_buf_puts(b, "\n");
    }
}
