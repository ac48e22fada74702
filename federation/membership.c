/* SPDX-License-Identifier: Apache-2.0
 * membership.c - join policy, requests, bans and moderators. A pending request keeps the whole
 * Follow, so the Accept or Reject sent later embeds it as peers expect. A ban is a record with
 * an end time; it is checked wherever the account could get back in (Follow, post, Move). */
#include "gemeinde/as_ref.h"
#include "gemeinde/membership.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"
#include "gemeinde/notify.h"
#include "gemeinde/remote.h"

gm_err gm_membership_log(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                         const char *community, const char *moderator, const char *action,
                         const char *target, const char *reason)
{
    return gm_modlog_add(txn, ctx->now, community, moderator, action, target, reason, NULL);
}

gm_err gm_membership_resolve(struct gm_txn *txn, const char *who, char **id)
{
    if (!who || !*who)
        return GM_EINVAL;
    if (gm_as_is_web_url(who)) {
        *id = strdup(who);
        return *id ? GM_OK : GM_ENOMEM;
    }
    const char *h = who[0] == '@' ? who + 1 : who;
    const char *at = strchr(h, '@');
    if (!at || at == h || !at[1] || strchr(at + 1, '@') || strchr(h, '/'))
        return GM_EINVAL;
    return gm_remote_handle_find(txn, h, id);
}

/* The welcome DM of a new member, when the community has one. */
static gm_err welcome(struct gm_txn *txn, struct gm_rules_ctx *ctx, const struct gm_community *c,
                      const char *actor)
{
    char *text = gm_community_welcome_text(c);
    if (!text)
        return GM_OK;
    gm_err e = gm_notify_dm(txn, ctx, c->name, actor, text, NULL);
    free(text);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

/* Make `actor` a member with the inboxes we know, answer its Follow and welcome it. */
static gm_err admit(struct gm_txn *txn, struct gm_rules_ctx *ctx, const struct gm_community *c,
                    const char *actor, json_t *follow)
{
    struct gm_remote_actor *who = NULL;
    gm_err e = gm_remote_actor_get(txn, actor, &who);
    if (e == GM_ENOTFOUND) {
        gm_warn("membership: Follow of %s by %s: no known inbox, not accepted", c->name, actor);
        return GM_OK;
    }
    if (e != GM_OK)
        return e;
    struct gm_member m = {.actor = (char *)actor, .inbox = who->inbox,
                          .shared_inbox = who->shared_inbox,
                          .follow_id = (char *)json_string_value(json_object_get(follow, "id")),
                          .since = ctx->now};
    if ((e = gm_member_put(txn, c->name, &m)) == GM_OK &&
        (e = gm_notify_follow_answer(txn, ctx, c->name, actor, follow, true)) == GM_OK)
        e = welcome(txn, ctx, c, actor);
    if (e == GM_OK)
        gm_info("membership: %s joins %s", actor, c->name);
    gm_remote_actor_free(who);
    return e;
}

/* Is the domain of `actor` suspended for this community (node-wide or its own block)? */
static int suspended(struct gm_txn *txn, const char *community, const char *actor)
{
    enum gm_block_severity sev;
    return gm_cblock_severity_url(txn, community, actor, &sev) == GM_OK &&
           sev == GM_BLOCK_SUSPEND;
}

gm_err gm_membership_on_follow(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               const char *community, json_t *follow)
{
    struct gm_community *c = NULL;
    gm_err e = gm_community_get(txn, community, &c);
    if (e != GM_OK)
        return e == GM_ENOTFOUND ? GM_OK : e;
    if (gm_membership_banned(txn, community, ctx->actor, ctx->now) == GM_OK ||
        suspended(txn, community, ctx->actor)) {
        gm_info("membership: Follow of %s by %s rejected (banned or suspended)", community,
                ctx->actor);
        e = gm_notify_follow_answer(txn, ctx, community, ctx->actor, follow, false);
        gm_member_delete(txn, community, ctx->actor);
        e = e == GM_ENOTFOUND ? GM_OK : e;
    } else if (c->join == GM_JOIN_APPROVAL &&
               gm_member_get(txn, community, ctx->actor, NULL) != GM_OK) {
        json_t *req = json_pack("{s:O, s:I}", "follow", follow, "at", (json_int_t)ctx->now);
        e = req ? gm_ckv_put(txn, GM_CKV_PENDING, community, ctx->actor, req) : GM_ENOMEM;
        json_decref(req);
        if (e == GM_OK)
            gm_info("membership: %s asks to join %s (waiting for approval)", ctx->actor,
                    community);
    } else {
        e = admit(txn, ctx, c, ctx->actor, follow);
    }
    gm_community_free(c);
    return e;
}

gm_err gm_membership_on_move(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                             const char *community)
{
    json_t *ban = NULL;
    if (!ctx->moved_to || gm_membership_banned(txn, community, ctx->actor, ctx->now) != GM_OK)
        return GM_OK;
    gm_err e = gm_ckv_get(txn, GM_CKV_BANS, community, ctx->actor, &ban);
    if (e == GM_OK)
        e = gm_ckv_put(txn, GM_CKV_BANS, community, ctx->moved_to->id, ban);
    if (e == GM_OK) {
        gm_member_delete(txn, community, ctx->moved_to->id);
        gm_info("membership: ban of %s in %s carried over to %s", ctx->actor, community,
                ctx->moved_to->id);
    }
    json_decref(ban);
    return e;
}

/* Take the pending request of `actor`: GM_OK and *follow (new reference). */
static gm_err take_pending(struct gm_txn *txn, const char *community, const char *actor,
                          json_t **follow)
{
    json_t *req = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_PENDING, community, actor, &req);
    if (e == GM_OK && (e = gm_ckv_del(txn, GM_CKV_PENDING, community, actor)) == GM_OK) {
        *follow = json_incref(json_object_get(req, "follow"));
        if (!*follow)
            e = GM_ESTORE;
    }
    json_decref(req);
    return e;
}

gm_err gm_membership_approve(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                             const char *community, const char *actor, const char *moderator)
{
    struct gm_community *c = NULL;
    json_t *follow = NULL;
    gm_txn_set_now(txn, ctx->now); /* the figures count the new member now */
    gm_err e = gm_community_get(txn, community, &c);
    if (e == GM_OK)
        e = take_pending(txn, community, actor, &follow);
    if (e == GM_OK)
        e = admit(txn, ctx, c, actor, follow);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "approve", actor, NULL);
    json_decref(follow);
    gm_community_free(c);
    return e;
}

gm_err gm_membership_reject(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                            const char *community, const char *actor, const char *moderator,
                            const char *reason)
{
    json_t *follow = NULL;
    gm_txn_set_now(txn, ctx->now); /* the figures count the request gone now */
    gm_err e = take_pending(txn, community, actor, &follow);
    if (e == GM_OK) {
        e = gm_notify_follow_answer(txn, ctx, community, actor, follow, false);
        e = e == GM_ENOTFOUND ? GM_OK : e;
    }
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "reject", actor, reason);
    json_decref(follow);
    return e;
}

/* A Follow to embed in a Reject for a member whose Follow we no longer have whole. */
static json_t *follow_of(const char *community_url, const char *actor, const char *follow_id)
{
    json_t *f = json_pack("{s:s, s:s, s:s}", "type", "Follow", "actor", actor, "object",
                          community_url);
    if (f && follow_id)
        json_object_set_new(f, "id", json_string(follow_id));
    return f;
}

/* End the membership (or request) of `actor` with a Reject. GM_ENOTFOUND if it had neither. */
static gm_err end_membership(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                             const char *actor)
{
    struct gm_member *m = NULL;
    json_t *follow = NULL;
    char url[600];
    snprintf(url, sizeof url, "%s/c/%s", ctx->base_url, community);
    gm_txn_set_now(txn, ctx->now); /* the figures count the member lost now */
    gm_err e = gm_member_get(txn, community, actor, &m);
    if (e == GM_OK) {
        follow = follow_of(url, actor, m->follow_id);
        e = gm_member_delete(txn, community, actor);
    } else if (e == GM_ENOTFOUND) {
        e = take_pending(txn, community, actor, &follow);
    }
    if (e == GM_OK) {
        e = follow ? gm_notify_follow_answer(txn, ctx, community, actor, follow, false)
                   : GM_ENOMEM;
        e = e == GM_ENOTFOUND ? GM_OK : e;
    }
    json_decref(follow);
    gm_member_free(m);
    return e;
}

gm_err gm_membership_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                            const char *community, const char *actor, const char *moderator,
                            const char *reason)
{
    gm_err e = end_membership(txn, ctx, community, actor);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "remove_member", actor, reason);
    return e;
}

static gm_err ban_notice(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         const char *actor, int64_t until, const char *reason)
{
    struct gm_community *c = NULL;
    gm_err e = gm_community_get(txn, community, &c);
    if (e != GM_OK || !c->ban_notice) {
        gm_community_free(c);
        return e;
    }
    char text[GM_REASON_MAX + 400], when[32] = "";
    if (until) {
        time_t t = (time_t)until;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, " until %Y-%m-%d %H:%M UTC", &tm);
    }
    snprintf(text, sizeof text, "You have been banned from %s%s.\n\nReason: %s", c->title, when,
             reason);
    e = gm_notify_dm(txn, ctx, community, actor, text, NULL);
    gm_community_free(c);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

gm_err gm_membership_ban(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         const char *actor, int64_t until, const char *moderator,
                         const char *reason)
{
    if (!reason || !*reason || strlen(reason) > GM_REASON_MAX || !actor || !*actor)
        return GM_EINVAL;
    if (gm_community_has(txn, community) != GM_OK)
        return GM_ENOTFOUND;
    json_t *ban = json_pack("{s:I, s:s, s:s, s:I}", "until", (json_int_t)until, "reason", reason,
                            "by", moderator, "at", (json_int_t)ctx->now);
    gm_err e = ban ? gm_ckv_put(txn, GM_CKV_BANS, community, actor, ban) : GM_ENOMEM;
    json_decref(ban);
    if (e == GM_OK) {
        e = end_membership(txn, ctx, community, actor);
        e = e == GM_ENOTFOUND ? GM_OK : e;
    }
    if (e == GM_OK)
        e = ban_notice(txn, ctx, community, actor, until, reason);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, until ? "ban_temporary" : "ban",
                              actor, reason);
    return e;
}

gm_err gm_membership_unban(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           const char *actor, const char *moderator)
{
    gm_err e = gm_ckv_del(txn, GM_CKV_BANS, community, actor);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "unban", actor, NULL);
    return e;
}

gm_err gm_membership_banned(struct gm_txn *txn, const char *community, const char *actor,
                            int64_t now)
{
    json_t *ban = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_BANS, community, actor, &ban);
    if (e != GM_OK)
        return e;
    json_int_t until = json_integer_value(json_object_get(ban, "until"));
    json_decref(ban);
    return until == 0 || until > now ? GM_OK : GM_ENOTFOUND;
}

gm_err gm_moderator_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        const char *actor, const char *moderator)
{
    if (gm_community_has(txn, community) != GM_OK)
        return GM_ENOTFOUND;
    if (gm_moderator_is(txn, community, actor) == GM_OK)
        return GM_EEXISTS;
    json_t *rec = json_pack("{s:s, s:I}", "by", moderator, "at", (json_int_t)ctx->now);
    gm_err e = rec ? gm_ckv_put(txn, GM_CKV_MODERATORS, community, actor, rec) : GM_ENOMEM;
    json_decref(rec);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "add_moderator", actor, NULL);
    return e;
}

gm_err gm_moderator_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           const char *actor, const char *moderator)
{
    gm_err e = gm_ckv_del(txn, GM_CKV_MODERATORS, community, actor);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "remove_moderator", actor, NULL);
    return e;
}

gm_err gm_moderator_is(struct gm_txn *txn, const char *community, const char *actor)
{
    json_t *rec = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_MODERATORS, community, actor, &rec);
    json_decref(rec);
    return e;
}
