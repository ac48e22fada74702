/* SPDX-License-Identifier: Apache-2.0
 * rules.h - what a verified activity changes, decided and written inside the write
 * transaction that stores the activity, so the activity and every delivery it causes are
 * durable together. No network here: consequences are queued for federation/delivery.c. */
#ifndef GEMEINDE_RULES_H
#define GEMEINDE_RULES_H

#include <jansson.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_rules_ctx {
    const char *base_url;  /* our node, "https://host" */
    const char *community; /* the inbox's community, or NULL for the shared inbox */
    const char *actor;     /* verified actor id */
    int64_t now;
    int queued;            /* out: deliveries queued (so the caller can wake delivery) */
    /* For a Move: the target actor, fetched from its origin, whose alsoKnownAs lists `actor`
     * (the inbox checked it); NULL otherwise. Borrowed. */
    const struct gm_remote_actor *moved_to;
};

struct gm_remote_actor;

/* Apply `doc` (borrowed; already shape- and origin-checked). Unknown or irrelevant activities
 * change nothing and return GM_OK. Handled: Follow of one of our communities (member recorded,
 * Accept embedding the Follow queued to the follower's inbox); Undo of such a Follow (member
 * removed); Move to an actor that lists the mover in alsoKnownAs (memberships carried over);
 * Create addressed to a community by a member (relayed: see relay.h); Flag (a report: see
 * reports.h). Errors are
 * storage errors; the caller's transaction then must not commit. */
gm_err gm_rules_apply(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc);

/* Call fn for the community the activity came to (ctx->community), or - for the shared
 * inbox - for every community; stops at the first non-GM_OK. */
typedef gm_err (*gm_rules_community_fn)(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                                        const char *community, void *arg);
gm_err gm_rules_each_community(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               gm_rules_community_fn fn, void *arg);

/* The community a URL names on this node (BASE/c/NAME): GM_OK and `name` filled, or
 * GM_ENOTFOUND. */
gm_err gm_rules_local_community(const char *base_url, const char *url, char *name,
                                size_t size);

#endif
