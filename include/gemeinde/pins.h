/* SPDX-License-Identifier: Apache-2.0
 * pins.h - a community's pinned posts (rules, announcements): its `featured` collection,
 * BASE/c/NAME/featured. Only posts the community relayed can be pinned, at most GM_PINS_MAX.
 * Pinning and unpinning are sent to every member's inbox as they are, Add and Remove
 * {actor: the community, object: the post id, target: the featured collection}, and recorded
 * in the moderation log ("pin", "unpin"). Everything happens inside the caller's write
 * transaction (the change and its deliveries are durable together); no network here. */
#ifndef GEMEINDE_PINS_H
#define GEMEINDE_PINS_H

#include <jansson.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_PINS_MAX 20

/* Pin `object_id` in `community`, done by `moderator` ("cli:USER", an actor id). `ctx` gives
 * base_url and now; ctx->queued counts the queued fan-out. GM_ENOTFOUND: the community never
 * relayed it, or it was deleted or removed since. GM_EEXISTS: pinned already. GM_ETOOBIG:
 * GM_PINS_MAX posts are pinned already. GM_EINVAL: an object id too long to be a key. */
gm_err gm_pin_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                  const char *object_id, const char *moderator);

/* Unpin `object_id`. GM_ENOTFOUND: it is not pinned. */
gm_err gm_pin_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                     const char *object_id, const char *moderator);

/* GM_OK if `object_id` is pinned in `community`, else GM_ENOTFOUND. */
gm_err gm_pin_find(struct gm_txn *txn, const char *community, const char *object_id);

/* The pins of `community`, newest first. GM_OK: *pins is a new array of
 * {"object": id, "by": moderator, "at": unix seconds}. */
gm_err gm_pin_list(struct gm_txn *txn, const char *community, json_t **pins);

#endif
