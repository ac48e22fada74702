/* SPDX-License-Identifier: Apache-2.0
 * notify.h - activities a community sends to one actor: answers to a Follow (Accept,
 * Reject), direct messages (a Create of a Note addressed only to that actor, as Mastodon shows
 * a DM), and anything else built by the caller. Queued inside the caller's write transaction,
 * so they are as durable as the change that caused them; no network here. */
#ifndef GEMEINDE_NOTIFY_H
#define GEMEINDE_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

/* A fresh activity id: BASE/c/COMMUNITY/activities/KIND-RANDOM. New string, NULL if out of
 * memory. */
char *gm_notify_new_id(const char *base_url, const char *community, const char *kind);

/* Queue `activity` (borrowed; sent as it is) from `community` to the personal inbox of
 * `actor`. GM_ENOTFOUND: the actor's inbox is not known (it never signed anything to us). */
gm_err gm_notify_send(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *actor, json_t *activity);

/* Accept (accept = true) or Reject the Follow `follow` (borrowed, embedded whole) of `actor`.
 * A Reject of a Follow that was accepted before ends the follow on Mastodon's side too. */
gm_err gm_notify_follow_answer(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               const char *community, const char *actor, json_t *follow,
                               bool accept);

/* A direct message with `text` (plain text; escaped, one paragraph per blank-line-separated
 * block, line breaks kept) that mentions `actor` and is addressed to it alone. `in_reply_to`
 * (may be NULL) threads it under the message it answers. */
gm_err gm_notify_dm(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                    const char *actor, const char *text, const char *in_reply_to);

/* The plain text of an HTML fragment as servers send "content": tags dropped, <br> and </p>
 * as newlines, the five XML entities and numeric ones decoded. New string or NULL. */
char *gm_notify_html_text(const char *html);

#endif
