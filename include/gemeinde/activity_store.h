/* SPDX-License-Identifier: Apache-2.0
 * activity_store.h - activities the inbox accepted: the dedupe set of activity ids and the
 * append-only log of received activities (the input of the rules that act on them). */
#ifndef GEMEINDE_ACTIVITY_STORE_H
#define GEMEINDE_ACTIVITY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_activity_rec {
    const char *id;        /* activity id, or NULL for an activity without one */
    const char *community; /* inbox it came to, NULL for the shared inbox */
    const char *actor;     /* verified actor id */
    const char *type;      /* activity type */
    const char *json;      /* the activity as stored (compact JSON) */
    int64_t received;      /* unix seconds */
};

/* GM_OK if `id` was accepted before, GM_ENOTFOUND if not. */
gm_err gm_activity_seen(struct gm_txn *txn, const char *id);

/* Append `rec` to the log and, when it has an id, mark the id seen. GM_EEXISTS if the id was
 * seen already (nothing written). GM_OK: *seq (may be NULL) gets its sequence number. */
gm_err gm_activity_append(struct gm_txn *txn, const struct gm_activity_rec *rec, uint64_t *seq);

/* The record with sequence `seq`: GM_OK and *json a new string holding
 * {"id","community","actor","type","received","activity"}. */
gm_err gm_activity_get(struct gm_txn *txn, uint64_t seq, char **json);

/* Number of stored activities. */
gm_err gm_activity_count(struct gm_txn *txn, size_t *count);

#endif
