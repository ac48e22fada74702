/* SPDX-License-Identifier: Apache-2.0
 * post_policy.c - the posting rules of a community, applied to each post in the transaction
 * that stores it. Per-member counters (posts relayed, posts in the current hour) live in the
 * ckv table GM_CKV_POSTERS; held posts in GM_CKV_HELD with the whole Create, so approving one
 * relays exactly what arrived. */
#include "gemeinde/as_ref.h"
#include "gemeinde/post_policy.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/ckv.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/notify.h"
#include "gemeinde/relay.h"
#include "gemeinde/remote.h"

#define AS_PUBLIC "https://www.w3.org/ns/activitystreams#Public"
#define MAX_COUNTED 10000

static int is_public_or_followers(const char *id)
{
    size_t n = strlen(id);
    return !strcmp(id, AS_PUBLIC) || !strcmp(id, "as:Public") || !strcmp(id, "Public") ||
           (n >= 10 && !strcmp(id + n - 10, "/followers"));
}

/* Add `id` to the set `seen` (a JSON object used as a set). */
static void note_id(json_t *seen, const char *id)
{
    if (id && *id && !is_public_or_followers(id) && json_object_size(seen) < MAX_COUNTED)
        json_object_set_new(seen, id, json_true());
}

static void note_field(json_t *seen, json_t *v)
{
    size_t i;
    json_t *item;
    if (!json_is_array(v)) {
        note_id(seen, gm_as_ref_id(v));
        return;
    }
    json_array_foreach(v, i, item) note_id(seen, gm_as_ref_id(item));
}

size_t gm_policy_addressees(json_t *create, json_t *obj)
{
    static const char *const keys[] = {"to", "cc", "bto", "bcc", "audience"};
    json_t *seen = json_object(), *tags = json_object_get(obj, "tag"), *tag;
    size_t i, n;
    for (i = 0; i < 5; i++) {
        note_field(seen, json_object_get(create, keys[i]));
        note_field(seen, json_object_get(obj, keys[i]));
    }
    if (json_is_object(tags))
        tags = json_pack("[O]", tags);
    else
        json_incref(tags);
    json_array_foreach(tags, i, tag)
    {
        const char *type = json_string_value(json_object_get(tag, "type"));
        if (type && !strcmp(type, "Mention"))
            note_id(seen, json_string_value(json_object_get(tag, "href")));
    }
    json_decref(tags);
    n = json_object_size(seen);
    json_decref(seen);
    return n;
}

bool gm_policy_filter_match(const char *filter, const char *text)
{
    size_t n = strlen(filter);
    if (n >= 2 && filter[0] == '/' && filter[n - 1] == '/') {
        char *re = strndup(filter + 1, n - 2);
        regex_t rx;
        bool hit = false;
        if (re && regcomp(&rx, re, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0) {
            hit = regexec(&rx, text, 0, NULL, 0) == 0;
            regfree(&rx);
        }
        free(re);
        return hit;
    }
    size_t t = strlen(text);
    for (size_t i = 0; n && i + n <= t; i++)
        if (!strncasecmp(text + i, filter, n))
            return true;
    return false;
}

/* The text filters look at: name, summary (content warning) and content, as plain text. */
static char *post_text(json_t *obj)
{
    static const char *const keys[] = {"name", "summary", "content"};
    size_t len = 0;
    char *out = calloc(1, 1);
    for (size_t i = 0; out && i < 3; i++) {
        const char *html = json_string_value(json_object_get(obj, keys[i]));
        char *text = html ? gm_notify_html_text(html) : NULL;
        size_t n = text ? strlen(text) : 0;
        char *grown = n ? realloc(out, len + n + 2) : out;
        if (!grown) {
            free(out);
            out = NULL;
        } else if (n) {
            out = grown;
            memcpy(out + len, text, n);
            len += n;
            out[len++] = '\n';
            out[len] = '\0';
        }
        free(text);
    }
    return out;
}

/* The member's counters, with the hourly window moved on to `now` and this post counted.
 * *in_window: posts this hour including this one; *relayed: posts relayed so far. */
static gm_err count_post(struct gm_txn *txn, const char *community, const char *actor,
                         int64_t now, json_int_t *in_window, json_int_t *relayed)
{
    json_t *rec = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_POSTERS, community, actor, &rec);
    if (e == GM_ENOTFOUND)
        rec = json_object(), e = rec ? GM_OK : GM_ENOMEM;
    if (e != GM_OK)
        return e;
    json_int_t hour = now / 3600, window = json_integer_value(json_object_get(rec, "window"));
    json_int_t count = window == hour ? json_integer_value(json_object_get(rec, "in_window")) : 0;
    *in_window = count + 1;
    *relayed = json_integer_value(json_object_get(rec, "posts"));
    json_object_set_new(rec, "window", json_integer(hour));
    json_object_set_new(rec, "in_window", json_integer(*in_window));
    e = gm_ckv_put(txn, GM_CKV_POSTERS, community, actor, rec);
    json_decref(rec);
    return e;
}

gm_err gm_policy_count_relayed(struct gm_txn *txn, const char *community, const char *actor)
{
    json_t *rec = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_POSTERS, community, actor, &rec);
    if (e == GM_ENOTFOUND)
        rec = json_object(), e = rec ? GM_OK : GM_ENOMEM;
    if (e != GM_OK)
        return e;
    json_object_set_new(rec, "posts",
                        json_integer(json_integer_value(json_object_get(rec, "posts")) + 1));
    e = gm_ckv_put(txn, GM_CKV_POSTERS, community, actor, rec);
    json_decref(rec);
    return e;
}

/* Anti-spam: the first rule the post breaks, written to `rule`; 0 if none. */
static int spam_rule(const struct gm_community *c, json_t *create, json_t *obj,
                     json_int_t in_window, char *rule, size_t size)
{
    size_t n;
    if (c->max_mentions && (n = gm_policy_addressees(create, obj)) > c->max_mentions) {
        snprintf(rule, size, "max_mentions: %zu mentions or addressees, at most %u", n,
                 c->max_mentions);
        return 1;
    }
    if (c->rate_limit && in_window > (json_int_t)c->rate_limit) {
        snprintf(rule, size, "rate_limit: post %lld this hour, at most %u", (long long)in_window,
                 c->rate_limit);
        return 1;
    }
    if (!c->n_filters)
        return 0;
    char *text = post_text(obj);
    int hit = 0;
    for (size_t i = 0; text && !hit && i < c->n_filters; i++) {
        if ((hit = gm_policy_filter_match(c->filters[i], text)))
            snprintf(rule, size, "filter: %s", c->filters[i]);
    }
    free(text);
    return hit;
}

/* Who may post at all; 0 with `rule` set if ctx->actor may not. */
static int may_post(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                    const struct gm_community *c, int moderator, char *rule, size_t size)
{
    if (c->posting == GM_POST_MODERATORS && !moderator) {
        snprintf(rule, size, "posting: moderators only");
        return 0;
    }
    if (c->posting == GM_POST_MEMBERS && !moderator &&
        gm_member_get(txn, c->name, ctx->actor, NULL) != GM_OK) {
        snprintf(rule, size, "posting: members only");
        return 0;
    }
    return 1;
}

/* Probation: a member's first posts and new accounts wait. 0 if neither applies. */
static int on_probation(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                        const struct gm_community *c, json_int_t relayed, char *rule, size_t size)
{
    if (c->probation_posts && relayed < (json_int_t)c->probation_posts) {
        snprintf(rule, size, "probation: post %lld of the first %u", (long long)relayed + 1,
                 c->probation_posts);
        return 1;
    }
    struct gm_remote_actor *a = NULL;
    int young = 0;
    if (c->probation_days && gm_remote_actor_get(txn, ctx->actor, &a) == GM_OK && a->published &&
        ctx->now - a->published < (int64_t)c->probation_days * 86400) {
        snprintf(rule, size, "probation: account younger than %u days", c->probation_days);
        young = 1;
    }
    gm_remote_actor_free(a);
    return young;
}

gm_err gm_policy_judge(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                       const struct gm_community *c, json_t *create, json_t *obj, bool silenced,
                       enum gm_verdict *verdict, char *rule, size_t rule_size)
{
    int moderator = gm_moderator_is(txn, c->name, ctx->actor) == GM_OK;
    json_int_t in_window = 0, relayed = 0;
    rule[0] = '\0';
    *verdict = GM_VERDICT_RELAY;
    if (!may_post(txn, ctx, c, moderator, rule, rule_size)) {
        *verdict = GM_VERDICT_DROP;
        return GM_OK;
    }
    if (moderator)
        return GM_OK; /* moderators are trusted with their own community */
    gm_err e = count_post(txn, c->name, ctx->actor, ctx->now, &in_window, &relayed);
    if (e != GM_OK)
        return e;
    if (spam_rule(c, create, obj, in_window, rule, rule_size))
        *verdict = c->spam_hold ? GM_VERDICT_HOLD : GM_VERDICT_DROP;
    else if (silenced && snprintf(rule, rule_size, "silenced domain"))
        *verdict = GM_VERDICT_HOLD;
    else if (c->premoderation && snprintf(rule, rule_size, "premoderation"))
        *verdict = GM_VERDICT_HOLD;
    else if (on_probation(txn, ctx, c, relayed, rule, rule_size))
        *verdict = GM_VERDICT_HOLD;
    return GM_OK;
}

gm_err gm_held_put(struct gm_txn *txn, const struct gm_rules_ctx *ctx, const char *community,
                   const char *actor, json_t *create, const char *rule)
{
    const char *oid = gm_as_ref_id(json_object_get(create, "object"));
    json_t *old = NULL;
    if (!oid)
        return GM_EINVAL;
    if (gm_ckv_get(txn, GM_CKV_HELD, community, oid, &old) == GM_OK) {
        json_decref(old);
        return GM_EEXISTS;
    }
    json_t *rec = json_pack("{s:O, s:s, s:s, s:I}", "activity", create, "actor", actor, "rule",
                            rule, "at", (json_int_t)ctx->now);
    gm_err e = rec ? gm_ckv_put(txn, GM_CKV_HELD, community, oid, rec) : GM_ENOMEM;
    json_decref(rec);
    return e;
}

gm_err gm_held_approve(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                       const char *object_id, const char *moderator)
{
    json_t *rec = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_HELD, community, object_id, &rec);
    if (e != GM_OK)
        return e;
    const char *author = json_string_value(json_object_get(rec, "actor"));
    if ((e = gm_ckv_del(txn, GM_CKV_HELD, community, object_id)) == GM_OK)
        e = gm_relay_announce_post(txn, ctx, community, json_object_get(rec, "activity"));
    if (e == GM_OK && author)
        e = gm_policy_count_relayed(txn, community, author);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "approve_post", object_id, NULL);
    json_decref(rec);
    return e;
}

gm_err gm_held_reject(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *object_id, const char *moderator, const char *reason)
{
    gm_err e = gm_ckv_del(txn, GM_CKV_HELD, community, object_id);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "reject_post", object_id, reason);
    return e;
}
