/* SPDX-License-Identifier: Apache-2.0
 * rules.c - the consequences of accepted activities. Membership: a Follow of a community
 * records the member (with the inbox learned when its key was fetched) and queues an Accept
 * that embeds the whole Follow, as Mastodon and Lemmy expect; re-following refreshes the member
 * and answers again. An Undo of the Follow ends the membership and sends nothing. A Flag goes
 * to the report queue (reports.c). */
#include "gemeinde/as_ref.h"
#include "gemeinde/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/community.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/ckv.h"
#include "gemeinde/notify.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay.h"
#include "gemeinde/remote.h"
#include "gemeinde/reports.h"

gm_err gm_rules_local_community(const char *base_url, const char *url, char *name, size_t size)
{
    size_t n = strlen(base_url);
    if (!url || strncmp(url, base_url, n) != 0 || strncmp(url + n, "/c/", 3) != 0)
        return GM_ENOTFOUND;
    const char *c = url + n + 3;
    if (!gm_community_name_valid(c) || strlen(c) >= size)
        return GM_ENOTFOUND;
    memcpy(name, c, strlen(c) + 1);
    return GM_OK;
}

/* The community a Follow (or the Follow inside an Undo) is about, if it is ours and matches
 * the inbox it came to. */
static gm_err followed_community(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                                 json_t *follow, char name[GM_NAME_MAX + 1])
{
    if (gm_rules_local_community(ctx->base_url, gm_as_ref_id(json_object_get(follow, "object")), name,
                                 GM_NAME_MAX + 1) != GM_OK)
        return GM_ENOTFOUND;
    if (ctx->community && strcmp(ctx->community, name) != 0)
        return GM_ENOTFOUND;
    return gm_community_has(txn, name);
}

gm_err gm_rules_each_community(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               gm_rules_community_fn fn, void *arg)
{
    if (ctx->community)
        return fn(txn, ctx, ctx->community, arg);
    char **names;
    size_t n;
    gm_err e = gm_community_list(txn, &names, &n);
    if (e != GM_OK)
        return e;
    for (size_t i = 0; e == GM_OK && i < n; i++)
        e = fn(txn, ctx, names[i], arg);
    gm_community_names_free(names, n);
    return e;
}

static gm_err on_follow(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    char name[GM_NAME_MAX + 1];
    if (followed_community(txn, ctx, doc, name) != GM_OK)
        return GM_OK; /* not a follow of one of our communities */
    return gm_membership_on_follow(txn, ctx, name, doc);
}

/* A request to join that its author takes back (Undo of the pending Follow; any Follow of
 * theirs when follow_id is NULL). */
static void withdraw_request(struct gm_txn *txn, const char *community, const char *actor,
                             const char *follow_id)
{
    json_t *req = NULL;
    if (gm_ckv_get(txn, GM_CKV_PENDING, community, actor, &req) != GM_OK)
        return;
    const char *id = json_string_value(json_object_get(json_object_get(req, "follow"), "id"));
    if (!follow_id || (id && !strcmp(id, follow_id))) {
        gm_ckv_del(txn, GM_CKV_PENDING, community, actor);
        gm_info("rules: %s withdrew the request to join %s", actor, community);
    }
    json_decref(req);
}

/* Undo by the Follow's id (`arg`): end the membership in `community` if that Follow made it. */
static gm_err undo_follow_id(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                             void *arg)
{
    const char *follow_id = arg;
    struct gm_member *m;
    withdraw_request(txn, community, ctx->actor, follow_id);
    if (gm_member_get(txn, community, ctx->actor, &m) != GM_OK)
        return GM_OK;
    int same = m->follow_id && !strcmp(m->follow_id, follow_id);
    gm_member_free(m);
    if (!same)
        return GM_OK;
    gm_err e = gm_member_delete(txn, community, ctx->actor);
    if (e == GM_OK)
        gm_info("rules: %s left %s", ctx->actor, community);
    return e;
}

static gm_err on_undo(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    json_t *obj = json_object_get(doc, "object");
    char name[GM_NAME_MAX + 1];
    if (json_is_string(obj)) /* by id: the community inbox, or every community (shared) */
        return gm_rules_each_community(txn, ctx, undo_follow_id, (void *)json_string_value(obj));
    if (!json_is_object(obj))
        return GM_OK;
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (!type || strcmp(type, "Follow") != 0 || followed_community(txn, ctx, obj, name) != GM_OK)
        return GM_OK;
    withdraw_request(txn, name, ctx->actor, NULL);
    gm_err e = gm_member_delete(txn, name, ctx->actor);
    if (e == GM_OK)
        gm_info("rules: %s left %s", ctx->actor, name);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

/* The member `ctx->actor` of `community`, if any, becomes ctx->moved_to (same since, same
 * Follow), as Mastodon's account migration expects. */
static gm_err move_member(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                          void *arg)
{
    (void)arg;
    struct gm_member *old;
    gm_err e = gm_membership_on_move(txn, ctx, community);
    if (e != GM_OK)
        return e;
    if (gm_membership_banned(txn, community, ctx->moved_to->id, ctx->now) == GM_OK)
        return GM_OK; /* a banned account does not get the membership */
    e = gm_member_get(txn, community, ctx->actor, &old);
    if (e != GM_OK)
        return e == GM_ENOTFOUND ? GM_OK : e;
    struct gm_member moved = {.actor = ctx->moved_to->id, .inbox = ctx->moved_to->inbox,
                              .shared_inbox = ctx->moved_to->shared_inbox,
                              .follow_id = old->follow_id, .since = old->since};
    if ((e = gm_member_put(txn, community, &moved)) == GM_OK &&
        (e = gm_member_delete(txn, community, ctx->actor)) == GM_OK)
        gm_info("rules: %s moved to %s, membership of %s carried over", ctx->actor,
                ctx->moved_to->id, community);
    gm_member_free(old);
    return e;
}

static gm_err on_move(struct gm_txn *txn, struct gm_rules_ctx *ctx)
{
    return ctx->moved_to ? gm_rules_each_community(txn, ctx, move_member, NULL) : GM_OK;
}

gm_err gm_rules_apply(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (!type)
        return GM_OK;
    gm_txn_set_now(txn, ctx->now); /* what the figures count at */
    if (!strcmp(type, "Follow"))
        return on_follow(txn, ctx, doc);
    if (!strcmp(type, "Move"))
        return on_move(txn, ctx);
    if (!strcmp(type, "Undo")) { /* of a Follow (membership) or of a vote (relayed) */
        gm_err e = on_undo(txn, ctx, doc);
        return e == GM_OK ? gm_relay_on_activity(txn, ctx, doc) : e;
    }
    if (!strcmp(type, "Create"))
        return gm_relay_on_create(txn, ctx, doc);
    if (!strcmp(type, "Flag"))
        return gm_report_on_flag(txn, ctx, doc);
    return gm_relay_on_activity(txn, ctx, doc); /* Update, Delete, Like ... in relayed threads */
}
