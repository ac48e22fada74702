/* SPDX-License-Identifier: Apache-2.0
 * post_policy.h - whether a post addressed to a community is relayed now, held for a
 * moderator, or dropped, by the community's settings: who may post (members, anyone,
 * moderators), pre-moderation, probation (a member's first N posts; accounts younger than D
 * days), anti-spam (too many mentions or addressees, a per-member hourly rate, keyword and
 * regex filters) and silenced domains. The rule that decided is named, for the log and for the
 * moderators' queue. Held posts wait in the community's queue until approved (relayed) or
 * rejected (dropped); both are moderation actions in the log. */
#ifndef GEMEINDE_POST_POLICY_H
#define GEMEINDE_POST_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "gemeinde/community.h"
#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

enum gm_verdict { GM_VERDICT_RELAY = 0, GM_VERDICT_HOLD, GM_VERDICT_DROP };

/* Judge the Create `create` (borrowed) of `obj` by ctx->actor for community `c`, which it is
 * addressed to (or replies in one of its threads). `silenced`: the author's domain is
 * silenced. `rule` receives the deciding rule ("" when relayed). Counts the post towards the
 * member's hourly rate (so call it once per post). */
gm_err gm_policy_judge(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                       const struct gm_community *c, json_t *create, json_t *obj, bool silenced,
                       enum gm_verdict *verdict, char *rule, size_t rule_size);

/* A relayed post by `actor` counts towards leaving probation. */
gm_err gm_policy_count_relayed(struct gm_txn *txn, const char *community, const char *actor);

/* Put `create` (borrowed) in the community's queue of held posts with the rule that held it.
 * GM_EEXISTS if that object is held already. */
gm_err gm_held_put(struct gm_txn *txn, const struct gm_rules_ctx *ctx, const char *community,
                   const char *actor, json_t *create, const char *rule);

/* Approve a held post: it is relayed now (as relay.h would have). GM_ENOTFOUND: not held. */
gm_err gm_held_approve(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                       const char *object_id, const char *moderator);
/* Reject a held post: dropped, never relayed. GM_ENOTFOUND: not held. */
gm_err gm_held_reject(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *object_id, const char *moderator, const char *reason);

/* Count the mentions and addressees of `create`/`obj` other than the public collection and
 * the followers collections (what mass-mention spam inflates). */
size_t gm_policy_addressees(json_t *create, json_t *obj);

/* Does `text` match `filter` (a keyword, case-insensitive; or /regex/, POSIX extended,
 * case-insensitive)? */
bool gm_policy_filter_match(const char *filter, const char *text);

#endif
