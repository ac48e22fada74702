/* SPDX-License-Identifier: Apache-2.0
 * membership.h - who may join a community and who moderates it: Follow handling by the join
 * policy (open: Accept; approval: a pending request), approve/reject of requests, bans
 * (permanent or until a time; Reject, membership ended, a DM saying why), moderators (remote
 * accounts listed in the moderators collection), and the welcome DM. One implementation for
 * the inbox, the CLI, the admin API and DM commands: each runs inside the caller's write
 * transaction, records itself in the moderation log, and queues what it sends
 * (ctx->queued counts it). ctx gives base_url and now; `moderator` says who acted. */
#ifndef GEMEINDE_MEMBERSHIP_H
#define GEMEINDE_MEMBERSHIP_H

#include <jansson.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_REASON_MAX 1000

/* A verified Follow (borrowed) of `community` by ctx->actor: banned or suspended (node or
 * community block) -> Reject; join policy approval -> pending request (answered later);
 * open -> member, Accept and the welcome DM. */
gm_err gm_membership_on_follow(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               const char *community, json_t *follow);

/* ctx->actor moved to ctx->moved_to: bans carry over to the new account (no ban evasion by
 * migrating). Memberships are carried by rules.c. */
gm_err gm_membership_on_move(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                             const char *community);

/* Approve / reject the pending request of `actor`. GM_ENOTFOUND: no such request. */
gm_err gm_membership_approve(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                             const char *community, const char *actor, const char *moderator);
gm_err gm_membership_reject(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                            const char *community, const char *actor, const char *moderator,
                            const char *reason);

/* End a membership from our side: member removed and a Reject of their Follow sent (Mastodon
 * then drops the follow). GM_ENOTFOUND if not a member. */
gm_err gm_membership_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                            const char *community, const char *actor, const char *moderator,
                            const char *reason);

/* Ban `actor` until `until` (unix seconds; 0 = permanent) for `reason` (required: GM_EINVAL
 * if empty). Ends membership or a pending request (with a Reject), and, if the community's
 * ban_notice is on, tells the account why by DM. Banning again replaces the ban. */
gm_err gm_membership_ban(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         const char *actor, int64_t until, const char *moderator,
                         const char *reason);
/* GM_ENOTFOUND if not banned. */
gm_err gm_membership_unban(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           const char *actor, const char *moderator);
/* GM_OK if `actor` is banned from `community` at `now` (an expired ban is not), GM_ENOTFOUND
 * otherwise. */
gm_err gm_membership_banned(struct gm_txn *txn, const char *community, const char *actor,
                            int64_t now);

/* Moderators. add: GM_EEXISTS if already one. remove: GM_ENOTFOUND if not one. */
gm_err gm_moderator_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        const char *actor, const char *moderator);
gm_err gm_moderator_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           const char *actor, const char *moderator);
/* GM_OK if `actor` moderates `community`, GM_ENOTFOUND if not. */
gm_err gm_moderator_is(struct gm_txn *txn, const char *community, const char *actor);

/* An account named by a URL or a handle ("@user@host", "user@host") as an actor id.
 * GM_OK: *id is a new string. GM_ENOTFOUND: a handle never seen. GM_EINVAL: neither. */
gm_err gm_membership_resolve(struct gm_txn *txn, const char *who, char **id);

/* Write a moderation log entry (texts may be NULL). */
gm_err gm_membership_log(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                         const char *community, const char *moderator, const char *action,
                         const char *target, const char *reason);

#endif
