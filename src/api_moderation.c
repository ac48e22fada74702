/* SPDX-License-Identifier: Apache-2.0
 * api_moderation.c - admin API endpoints for a community's moderation: requests to join, held
 * posts, bans, moderators, the community's own domain blocks, reports and the moderator inbox.
 * Every action calls the operation the CLI and DM commands call (membership.h, post_policy.h,
 * community_blocks.h, reports.h) in one write transaction, as moderator "api". */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/delivery.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/membership.h"
#include "gemeinde/pins.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/removal.h"
#include "gemeinde/reports.h"
#include "gemeinde/rules.h"

#define LIST_MAX 1000

enum act {
    PENDING_APPROVE, PENDING_REJECT, HELD_APPROVE, HELD_REJECT, BAN, UNBAN, MOD_ADD, MOD_REMOVE,
    CBLOCK_ADD, CBLOCK_REMOVE, REPORT_RESOLVE, REPORT_DISMISS, REPORT_FORWARD, PIN_ADD,
    PIN_REMOVE, POST_REMOVE
};

struct action {
    enum act act;
    const char *who;    /* actor (URL or handle), object URL or domain */
    const char *reason;
    int64_t until;
    uint64_t report;
    struct gm_block block;
    char *resolved;     /* the actor id `who` names */
    char *inbox;        /* forward: where it went */
};

static int needs_actor(enum act a)
{
    return a == PENDING_APPROVE || a == PENDING_REJECT || a == BAN || a == UNBAN ||
           a == MOD_ADD || a == MOD_REMOVE;
}

static gm_err perform(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *c,
                      struct action *x)
{
    const char *by = GM_API_MODERATOR;
    gm_err e = GM_OK;
    if (needs_actor(x->act) && (e = gm_membership_resolve(txn, x->who, &x->resolved)) != GM_OK)
        return e;
    const char *a = x->resolved;
    switch (x->act) {
    case PENDING_APPROVE: return gm_membership_approve(txn, ctx, c, a, by);
    case PENDING_REJECT: return gm_membership_reject(txn, ctx, c, a, by, x->reason);
    case HELD_APPROVE: return gm_held_approve(txn, ctx, c, x->who, by);
    case HELD_REJECT: return gm_held_reject(txn, ctx, c, x->who, by, x->reason);
    case BAN: return gm_membership_ban(txn, ctx, c, a, x->until, by, x->reason);
    case UNBAN: return gm_membership_unban(txn, ctx, c, a, by);
    case MOD_ADD: return gm_moderator_add(txn, ctx, c, a, by);
    case MOD_REMOVE: return gm_moderator_remove(txn, ctx, c, a, by);
    case CBLOCK_ADD: return gm_cblock_add(txn, ctx, c, &x->block, by, NULL);
    case CBLOCK_REMOVE: return gm_cblock_remove(txn, ctx, c, x->who, by);
    case REPORT_RESOLVE: return gm_report_resolve(txn, ctx, c, x->report, by, x->reason);
    case REPORT_DISMISS: return gm_report_dismiss(txn, ctx, c, x->report, by, x->reason);
    case REPORT_FORWARD: return gm_report_forward(txn, ctx, c, x->report, by, &x->inbox);
    case PIN_ADD: return gm_pin_add(txn, ctx, c, x->who, by);
    case PIN_REMOVE: return gm_pin_remove(txn, ctx, c, x->who, by);
    case POST_REMOVE: return gm_post_remove(txn, ctx, c, x->who, by, x->reason);
    }
    return GM_EINVAL;
}

/* Run the action in one write transaction; wake delivery when it queued something. */
static gm_err run(struct gm_api_call *call, struct action *x, const char *done)
{
    struct gm_txn *txn;
    struct gm_rules_ctx ctx = {.base_url = call->app->base_url, .now = (int64_t)time(NULL)};
    gm_err e = gm_txn_begin(call->app->st, true, &txn);
    if (e != GM_OK)
        return e;
    if ((e = perform(txn, &ctx, call->param[0], x)) == GM_OK)
        e = gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    if (e == GM_OK && ctx.queued) {
        call->queued = true;
        if (call->app->delivery)
            gm_delivery_kick(call->app->delivery);
    }
    json_t *reply = NULL;
    if (e == GM_OK)
        reply = json_pack("{s:s, s:s?, s:s?}", "done", done, "target", x->resolved ? x->resolved : x->who,
                          "inbox", x->inbox);
    free(x->resolved);
    free(x->inbox);
    if (e == GM_ENOTFOUND)
        return gm_api_fail(call, e, "nothing to %s: no such request, post, ban, moderator, report "
                                    "or account (accounts are named by URL, or by @user@host once seen)",
                           done);
    if (e == GM_EEXISTS)
        return gm_api_fail(call, e, "already done");
    if (e == GM_EINVAL)
        return gm_api_fail(call, e, "invalid %s (a reason may be required)", x->who ? "target" : "request");
    return e == GM_OK ? gm_api_reply(call, reply) : e;
}

/* The body's target field `key` and an optional reason. */
static gm_err body_target(struct gm_api_call *call, const char *key, struct action *x)
{
    const char *const allowed[] = {key, "reason", "days", "severity", "public_comment", NULL};
    gm_err e = gm_api_fields(call, allowed);
    if (e == GM_OK)
        e = gm_api_string(call, key, true, &x->who);
    if (e == GM_OK)
        e = gm_api_string(call, "reason", false, &x->reason);
    return e;
}

static gm_err answer(struct gm_api_call *call, const char *key, enum act approve_act)
{
    struct action x = {0};
    const char *path = call->req->path;
    int approve = strlen(path) > 8 && !strcmp(path + strlen(path) - 8, "/approve");
    gm_err e = body_target(call, key, &x);
    if (e != GM_OK)
        return e;
    x.act = approve ? approve_act : approve_act + 1;
    return run(call, &x, approve ? "approve" : "reject");
}

gm_err gm_api_pending_answer(struct gm_api_call *call)
{
    return answer(call, "actor", PENDING_APPROVE);
}

gm_err gm_api_held_answer(struct gm_api_call *call)
{
    return answer(call, "object", HELD_APPROVE);
}

gm_err gm_api_ban_add(struct gm_api_call *call)
{
    struct action x = {.act = BAN};
    gm_err e = body_target(call, "actor", &x);
    json_t *days = json_object_get(call->body, "days");
    if (e != GM_OK)
        return e;
    if (!x.reason || !*x.reason)
        return gm_api_fail(call, GM_EINVAL, "reason: a ban needs a reason (the account is told)");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 ||
                 json_integer_value(days) > 36500))
        return gm_api_fail(call, GM_EINVAL, "days: a whole number of days, 1-36500");
    if (days)
        x.until = (int64_t)time(NULL) + (int64_t)json_integer_value(days) * 86400;
    return run(call, &x, "ban");
}

/* DELETE with ?actor=URL (bans, moderators). */
static gm_err by_query(struct gm_api_call *call, enum act act, const char *name, const char *done)
{
    struct action x = {.act = act, .who = gm_http_req_query(call->req, name)};
    if (!x.who || !*x.who)
        return gm_api_fail(call, GM_EINVAL, "%s: needed as ?%s=...", name, name);
    return run(call, &x, done);
}

gm_err gm_api_ban_remove(struct gm_api_call *call) { return by_query(call, UNBAN, "actor", "unban"); }

gm_err gm_api_moderator_add(struct gm_api_call *call)
{
    struct action x = {.act = MOD_ADD};
    gm_err e = body_target(call, "actor", &x);
    return e == GM_OK ? run(call, &x, "add_moderator") : e;
}

gm_err gm_api_moderator_remove(struct gm_api_call *call)
{
    return by_query(call, MOD_REMOVE, "actor", "remove_moderator");
}

gm_err gm_api_cblock_add(struct gm_api_call *call)
{
    struct action x = {.act = CBLOCK_ADD};
    const char *sev = NULL, *pub = NULL;
    gm_err e = body_target(call, "domain", &x);
    if (e == GM_OK)
        e = gm_api_string(call, "severity", false, &sev);
    if (e == GM_OK)
        e = gm_api_string(call, "public_comment", false, &pub);
    if (e != GM_OK)
        return e;
    if (sev && strcmp(sev, "suspend") && strcmp(sev, "silence"))
        return gm_api_fail(call, GM_EINVAL, "severity: suspend or silence");
    if (gm_block_normalise(x.who, x.block.domain) != GM_OK)
        return gm_api_fail(call, GM_EINVAL, "domain: not a domain name");
    x.block.severity = sev && !strcmp(sev, "silence") ? GM_BLOCK_SILENCE : GM_BLOCK_SUSPEND;
    x.block.reason = (char *)(x.reason ? x.reason : "");
    x.block.public_comment = (char *)(pub ? pub : "");
    return run(call, &x, "block");
}

gm_err gm_api_cblock_remove(struct gm_api_call *call)
{
    struct action x = {.act = CBLOCK_REMOVE, .who = call->param[1]};
    return run(call, &x, "unblock");
}

gm_err gm_api_report_act(struct gm_api_call *call)
{
    const char *path = call->req->path, *slash = strrchr(path, '/');
    struct action x = {0};
    char *end;
    unsigned long long id = strtoull(call->param[1], &end, 10);
    gm_err e = gm_api_fields(call, (const char *const[]){"note", NULL});
    if (e == GM_OK && call->body)
        e = gm_api_string(call, "note", false, &x.reason);
    if (e != GM_OK)
        return e;
    if (*end || !id)
        return gm_api_fail(call, GM_ENOTFOUND, "no such report");
    x.report = id;
    x.act = !strcmp(slash, "/resolve") ? REPORT_RESOLVE
            : !strcmp(slash, "/dismiss") ? REPORT_DISMISS
                                         : REPORT_FORWARD;
    x.who = call->param[1];
    return run(call, &x, slash + 1);
}

gm_err gm_api_pin_add(struct gm_api_call *call)
{
    struct action x = {.act = PIN_ADD};
    gm_err e = body_target(call, "object", &x);
    return e == GM_OK ? run(call, &x, "pin") : e;
}

gm_err gm_api_pin_remove(struct gm_api_call *call)
{
    return by_query(call, PIN_REMOVE, "object", "unpin");
}

gm_err gm_api_post_remove(struct gm_api_call *call)
{
    struct action x = {.act = POST_REMOVE};
    gm_err e = body_target(call, "object", &x);
    if (e == GM_OK && (!x.reason || !*x.reason))
        return gm_api_fail(call, GM_EINVAL, "reason: removing a post needs a reason");
    return e == GM_OK ? run(call, &x, "remove") : e;
}

/* GET lists: a ckv table page, or the report / inbox logs. */
gm_err gm_api_moderation_list(struct gm_api_call *call)
{
    const char *path = call->req->path, *tail = strrchr(path, '/') + 1;
    struct gm_txn *txn;
    json_t *page = NULL;
    const char *all = gm_http_req_query(call->req, "all");
    gm_err e = gm_txn_begin(call->app->st, false, &txn);
    if (e != GM_OK)
        return e;
    const char *c = call->param[0];
    if (!strcmp(tail, "pending"))
        e = gm_ckv_page(txn, GM_CKV_PENDING, c, NULL, LIST_MAX, &page);
    else if (!strcmp(tail, "held"))
        e = gm_ckv_page(txn, GM_CKV_HELD, c, NULL, LIST_MAX, &page);
    else if (!strcmp(tail, "bans"))
        e = gm_ckv_page(txn, GM_CKV_BANS, c, NULL, LIST_MAX, &page);
    else if (!strcmp(tail, "moderators"))
        e = gm_ckv_page(txn, GM_CKV_MODERATORS, c, NULL, LIST_MAX, &page);
    else if (!strcmp(tail, "blocks"))
        e = gm_cblock_list(txn, c, &page);
    else if (!strcmp(tail, "pins"))
        e = gm_pin_list(txn, c, &page);
    else if (!strcmp(tail, "inbox"))
        e = gm_dm_inbox(txn, c, 0, LIST_MAX, &page);
    else
        e = gm_report_list(txn, c, all && !strcmp(all, "true"), 0, LIST_MAX, &page);
    gm_txn_abort(txn);
    return e == GM_OK ? gm_api_reply(call, json_pack("{s:o}", "items", page)) : e;
}
