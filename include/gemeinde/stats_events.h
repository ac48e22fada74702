/* SPDX-License-Identifier: Apache-2.0
 * stats_events.h - what the figures (stats_store.h) make of what a community relays, inside the
 * transaction that relays it: top-level posts and replies, who posted, questions, the first
 * answer by someone other than the author (response time, unanswered list, "answered" of top
 * contributors), likes, deleted or removed posts and closed reports.
 * Membership, requests, opened reports and moderation actions are counted by the storage
 * itself. A figure that cannot be recorded for a reason of its own (a key too long) never
 * stops what is being relayed: only storage errors are returned. */
#ifndef GEMEINDE_STATS_EVENTS_H
#define GEMEINDE_STATS_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

/* `create` (borrowed) was announced by `community` at `at`; `author` is its actor. */
gm_err gm_stats_on_post(struct gm_txn *txn, const char *community, int64_t at,
                        const char *author, json_t *create);
/* A like of a relayed post was passed on. */
gm_err gm_stats_on_like(struct gm_txn *txn, const char *community, int64_t at);
/* Relayed object `id` was deleted by its author or removed by a moderator: an unanswered
 * top-level post leaves the list (counted as closed on its day). */
gm_err gm_stats_on_gone(struct gm_txn *txn, const char *community, const char *id);
/* A report opened at `opened_at` was resolved or dismissed at `at`. */
gm_err gm_stats_on_report_closed(struct gm_txn *txn, const char *community, int64_t opened_at,
                                 int64_t at);

/* Does this object ask something? A Question, or a '?' (also fullwidth or Arabic) in its name
 * or text that ends a sentence (not the '?' of a URL's query). */
int gm_stats_is_question(json_t *obj);

#endif
