/* SPDX-License-Identifier: Apache-2.0
 * relay_store.h - what a community relayed: its outbox of Announces (numbered per community,
 * newest last), the objects it announced (so replies in those threads are relayed and nothing
 * is announced twice). */
#ifndef GEMEINDE_RELAY_STORE_H
#define GEMEINDE_RELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

/* The number the next Announce of `community` gets (1, 2 ...), so its id can name it. */
gm_err gm_outbox_next(struct gm_txn *txn, const char *community, uint64_t *seq);
/* Store Announce number `seq` (JSON text). GM_EEXISTS if taken. */
gm_err gm_outbox_put(struct gm_txn *txn, const char *community, uint64_t seq, const char *json);
/* Announce number `seq` of `community`: GM_OK and *json a new string, or GM_ENOTFOUND. */
gm_err gm_outbox_get(struct gm_txn *txn, const char *community, uint64_t seq, char **json);
/* Newest first: up to `max` entries with numbers below `before` (0 = from the newest).
 * GM_OK: *items is an array of *n new strings (gm_outbox_items_free), seqs[i] their numbers. */
gm_err gm_outbox_page(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                      char ***items, uint64_t *seqs, size_t *n);
void gm_outbox_items_free(char **items, size_t n);
gm_err gm_outbox_count(struct gm_txn *txn, const char *community, size_t *count);

/* Objects a community announced: object id -> announce number. GM_ENOTFOUND if never. */
gm_err gm_relayed_get(struct gm_txn *txn, const char *community, const char *object_id,
                      uint64_t *seq);
gm_err gm_relayed_put(struct gm_txn *txn, const char *community, const char *object_id,
                      uint64_t seq);
/* Mark a relayed object deleted by its author (it is never announced again, nor its edits).
 * GM_ENOTFOUND if it was never relayed. */
gm_err gm_relayed_mark_deleted(struct gm_txn *txn, const char *community, const char *object_id);
/* GM_OK if `object_id` was relayed by `community` and deleted since, else GM_ENOTFOUND. */
gm_err gm_relayed_deleted(struct gm_txn *txn, const char *community, const char *object_id);


/* Fan-out dedupe across batches: GM_OK the first time (community, announce seq, inbox) is
 * marked, GM_EEXISTS after. */
gm_err gm_fanout_mark(struct gm_txn *txn, const char *community, uint64_t seq, const char *inbox);
/* Forget the marks of a finished fan-out. */
gm_err gm_fanout_clear(struct gm_txn *txn, const char *community, uint64_t seq);

#endif
