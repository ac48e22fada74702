/* SPDX-License-Identifier: Apache-2.0
 * relay.h - FEP-1b12 relaying. A public or unlisted Create (Note, Article, Page, Question,
 * Event) that a member addresses to a community (to/cc/audience, or a Mention), or that
 * replies inside a thread the community relayed, becomes an Announce in the community's outbox
 * and a fan-out job; the delivery worker expands the fan-out into one delivery per destination
 * inbox (members sharing a sharedInbox get one), shaped for what the destination reads:
 * group-aware servers Announce{object: the Create}, everyone else Announce{object: the id}. */
#ifndef GEMEINDE_RELAY_H
#define GEMEINDE_RELAY_H

#include <jansson.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

/* Marks a fan-out job in the delivery queue (its "inbox"). */
#define GM_RELAY_FANOUT "gemeinde:fanout"

/* Relay a verified Create (inside the activity's write transaction). Not relayed (private,
 * not a member, not addressed, already relayed) is GM_OK with nothing written. */
gm_err gm_relay_on_create(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc);

/* Announce the post of `create` (borrowed, a Create already judged: see post_policy.h) to
 * the members of `community` now. */
gm_err gm_relay_announce_post(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                              json_t *create);

/* Relay what happens inside a relayed thread (inside the activity's write transaction): the
 * author's Update and Delete of a relayed object, and members' Like, Dislike and their Undo.
 * Group-aware servers get Announce(activity); microblogs get, for a Delete, an Undo of the
 * original Announce (the boost disappears) and nothing for the others. A deleted object is never
 * announced again; one still held for a moderator (post_policy.h) leaves the held queue when its
 * author deletes it. Anything else: GM_OK, nothing written. */
gm_err gm_relay_on_activity(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc);

/* Announce `activity` (borrowed; embedded whole) as the next entry of the community's outbox
 * and queue its fan-out job with `job_extra` (NULL, or more job members as JSON text starting
 * with a comma, e.g. ",\"undo\":3,\"undo_all\":1"), inside `txn`. */
gm_err gm_relay_announce(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         json_t *activity, const char *job_extra);

/* Store `activity` (borrowed; sent as it is, e.g. an Add or Remove by the community) as the next
 * entry of the community's outbox and queue its fan-out job with `job_extra` (",\"plain\":1"
 * to send it unchanged to every member's inbox). GM_OK: *seq (may be NULL) is its number. */
gm_err gm_relay_publish(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        json_t *activity, const char *job_extra, uint64_t *seq);

/* Members expanded per transaction: a large audience is fanned out in background batches. */
#define GM_RELAY_BATCH 1000

/* Expand the next batch of fan-out job `activity` of `community` into deliveries, inside `txn`.
 * The job is {"seq": N} (outbox entry N: group-aware servers get it whole, microblogs an
 * Announce of the object id), with "after": the last member done, and options:
 *   "only":"group"  microblogs get nothing (votes, edits);
 *   "undo":M        microblogs get an Undo of Announce M instead (the boost disappears);
 *   "undo_all":1    with "undo": group-aware servers get that Undo too, then entry N;
 *   "plain":1       everyone gets entry N unchanged (Add, Remove by the community).
 * Destination inboxes are deduplicated across batches.
 * GM_OK: *queued deliveries were queued, and *next_job is the job for the next batch (a new
 * string) or NULL when the fan-out is complete. */
gm_err gm_relay_expand(struct gm_txn *txn, const char *base_url, const char *community,
                       const char *activity, size_t *queued, char **next_job);

#endif
