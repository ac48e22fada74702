/* SPDX-License-Identifier: Apache-2.0
 * queue.h - the durable delivery queue. One job per (activity, destination inbox), keyed by
 * (due time, sequence) so the next due job is the first key. A job taken for sending is not
 * removed: it is moved to now + lease, so a crash mid-send only delays it (at-least-once). */
#ifndef GEMEINDE_QUEUE_H
#define GEMEINDE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_job {
    unsigned char key[16]; /* (due, seq) as stored; identifies the job */
    int64_t due;           /* unix seconds */
    char *community;       /* who signs */
    char *inbox;           /* where to */
    char *activity;        /* the JSON body to POST */
    unsigned attempts;     /* sends tried so far */
    int64_t created;       /* when it was queued */
};

void gm_job_free(struct gm_job *j); /* NULL is allowed */
void gm_jobs_free(struct gm_job **jobs, size_t n);

/* Queue a delivery due at `due`. */
gm_err gm_queue_push(struct gm_txn *txn, const char *community, const char *inbox,
                     const char *activity, int64_t due);

/* Take up to `max` jobs due at or before `now`, moving each to `lease_until`.
 * GM_OK: *jobs (array of *n, gm_jobs_free) holds them with their new keys; *n may be 0. */
gm_err gm_queue_take_due(struct gm_txn *txn, int64_t now, int64_t lease_until, size_t max,
                         struct gm_job ***jobs, size_t *n);

/* Remove a job (sent, or dropped for good). GM_ENOTFOUND if it is gone already. */
gm_err gm_queue_done(struct gm_txn *txn, const struct gm_job *j);

/* Reschedule a job at `due` with attempts + 1. */
gm_err gm_queue_retry(struct gm_txn *txn, const struct gm_job *j, int64_t due);

/* Up to `max` jobs in due order, without leasing them (for `gemeinde queue`). */
gm_err gm_queue_peek(struct gm_txn *txn, size_t max, struct gm_job ***jobs, size_t *n);

/* Jobs in the queue, and the due time of the first (0 when empty). */
gm_err gm_queue_stat(struct gm_txn *txn, size_t *count, int64_t *next_due);

#endif
