/* SPDX-License-Identifier: Apache-2.0
 * weekly.c - the weekly digest (weekly.h): a stats report of 7 days (stats_report.h) as a
 * short plain-text direct message to each moderator. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/buf.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/log.h"
#include "gemeinde/notify.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/weekly.h"

int64_t gm_weekly_week(int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t d = day + 3; /* 1970-01-01 was a Thursday: day -3 was a Monday */
    return d >= 0 ? d / 7 : -((-d + 6) / 7);
}

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void digest(struct gm_buf *b, json_t *r)
{
    json_t *now = json_object_get(r, "now"), *p = json_object_get(r, "period");
    json_t *rt = json_object_get(json_object_get(r, "response_time"), "period");
    json_t *un = json_object_get(r, "unanswered"), *it;
    json_int_t posts = num(p, "posts");
    char m[32], q[32], age[32];
    size_t i;
    gm_buf_printf(b, "Weekly figures of %s, %s to %s:\n\n", json_string_value(json_object_get(r, "community")),
                  json_string_value(json_object_get(r, "from")), json_string_value(json_object_get(r, "to")));
    gm_buf_printf(b, "Members: %lld (+%lld joined, -%lld left), %lld requests waiting\n",
                  num(now, "members"), num(p, "members_gained"), num(p, "members_lost"),
                  num(now, "pending"));
    gm_buf_printf(b, "Activity: %lld posts, %lld replies, %lld likes, %lld active members\n", posts,
                  num(p, "replies"), num(p, "likes"), num(p, "active_members"));
    gm_buf_printf(b, "Answers: %lld of %lld posts answered; first answer median %s, 90%% within %s\n",
                  num(p, "answered"), posts, gm_stats_spread_duration(rt, "median", m, sizeof m),
                  gm_stats_spread_duration(rt, "p90", q, sizeof q));
    gm_buf_printf(b, "Moderation: %lld reports opened, %lld resolved, %lld open; %lld posts held\n",
                  num(p, "reports_opened"), num(p, "reports_resolved"), num(now, "open_reports"),
                  num(now, "held"));
    if (!json_array_size(json_object_get(un, "posts"))) {
        gm_buf_puts(b, posts ? "\nEvery post of the week has an answer." : "\nNo posts this week.");
        return;
    }
    gm_buf_printf(b, "\nWaiting for an answer (%lld, oldest first):\n", num(un, "total"));
    json_array_foreach(json_object_get(un, "posts"), i, it)
        gm_buf_printf(b, "- %s%s (%s) %s\n", json_is_true(json_object_get(it, "question")) ? "[?] " : "",
                      json_string_value(json_object_get(it, "title")),
                      gm_stats_duration(num(it, "waiting"), age, sizeof age),
                      json_string_value(json_object_get(it, "url")));
}

gm_err gm_weekly_text(struct gm_txn *txn, const char *community, int64_t now, char **text)
{
    struct gm_stats_query q = {.community = community, .now = now, .days = 7,
                               .unanswered_age = -1, .unanswered_max = GM_WEEKLY_UNANSWERED};
    json_t *r = NULL;
    struct gm_buf b;
    size_t len;
    gm_err e = gm_stats_report(txn, &q, &r);
    if (e != GM_OK)
        return e;
    gm_buf_init(&b, 64 * 1024);
    digest(&b, r);
    json_decref(r);
    return gm_buf_take(&b, text, &len);
}

/* DM the digest to every moderator of `name`. */
static gm_err send_digest(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *name,
                          size_t *sent)
{
    json_t *mods = NULL, *it;
    char *text = NULL;
    size_t i;
    gm_err e = gm_ckv_page(txn, GM_CKV_MODERATORS, name, NULL, 1000, &mods);
    if (e == GM_OK && json_array_size(mods))
        e = gm_weekly_text(txn, name, ctx->now, &text);
    json_array_foreach(mods, i, it) {
        if (e != GM_OK)
            break;
        const char *mod = json_string_value(json_object_get(it, "key"));
        e = gm_notify_dm(txn, ctx, name, mod, text, NULL);
        if (e == GM_ENOTFOUND) {
            gm_warn("weekly: %s: the inbox of moderator %s is unknown, no digest", name, mod);
            e = GM_OK;
        } else if (e == GM_OK) {
            (*sent)++;
        }
    }
    free(text);
    json_decref(mods);
    return e;
}

gm_err gm_weekly_run(struct gm_txn *txn, struct gm_rules_ctx *ctx, size_t *sent)
{
    char **names = NULL, key[96], *last = NULL, week[32];
    size_t n = 0, count = 0;
    int64_t this_week = gm_weekly_week(ctx->now);
    int64_t monday = (this_week * 7 - 3) * 86400;
    gm_err e = gm_community_list(txn, &names, &n);
    if (e != GM_OK)
        return e;
    snprintf(week, sizeof week, "%" PRId64, this_week);
    for (size_t i = 0; e == GM_OK && ctx->now >= monday + GM_WEEKLY_HOUR * 3600 && i < n; i++) {
        struct gm_community *c = NULL;
        if (gm_community_get(txn, names[i], &c) != GM_OK || !c->weekly_digest) {
            gm_community_free(c);
            continue;
        }
        gm_community_free(c);
        snprintf(key, sizeof key, "weekly:%s", names[i]);
        free(last);
        last = NULL;
        if (gm_meta_get(txn, key, &last) == GM_OK && strtoll(last, NULL, 10) >= this_week)
            continue;
        size_t before = count;
        if ((e = send_digest(txn, ctx, names[i], &count)) == GM_OK)
            e = gm_meta_put(txn, key, week);
        if (e == GM_OK)
            gm_info("weekly: %s: digest sent to %zu moderators", names[i], count - before);
    }
    free(last);
    gm_community_names_free(names, n);
    if (e == GM_OK && sent)
        *sent = count;
    return e;
}
