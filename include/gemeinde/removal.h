/* SPDX-License-Identifier: Apache-2.0
 * removal.h - a moderator removes a post the community relayed. The post is marked deleted in
 * the community's relay store (never announced again; its edits, votes and thread replies are
 * not relayed), unpinned if it was pinned, and taken back everywhere it went: every member's
 * server gets an Undo of the Announce that relayed it (the boost disappears on Mastodon), and
 * group-aware servers (Lemmy, ...) also get the Lemmy-compatible removal, an Announce of
 * Delete{actor: the community, object: the post, summary: the reason}. The reason is
 * required; it is published in the moderation log ("remove") and sent with the Delete. All
 * inside the caller's write transaction; no network here. */
#ifndef GEMEINDE_REMOVAL_H
#define GEMEINDE_REMOVAL_H

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_REMOVAL_REASON_MAX 1000 /* bytes */

/* Remove `object_id` from `community`, done by `moderator` for `reason`. `ctx` gives base_url
 * and now; ctx->queued counts the queued fan-outs. GM_EINVAL: no reason (empty or blank).
 * GM_ETOOBIG: a reason over GM_REMOVAL_REASON_MAX. GM_ENOTFOUND: the community never relayed
 * it. GM_EEXISTS: removed (or deleted by its author) already. */
gm_err gm_post_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *object_id, const char *moderator, const char *reason);

#endif
