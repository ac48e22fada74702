/* SPDX-License-Identifier: Apache-2.0
 * committer.h - group commit. Many threads hand their writes to one committer thread, which
 * applies them together in one LMDB write transaction and one fsync, then wakes each caller
 * with its own result. Nothing is reported done before it is durable; one caller's failure
 * (each write runs in a nested transaction) does not undo the others'. */
#ifndef GEMEINDE_COMMITTER_H
#define GEMEINDE_COMMITTER_H

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_committer;

/* A write: runs inside a (nested) write transaction on the committer thread. Its result is
 * handed back to the caller; non-GM_OK rolls back only this write. */
typedef gm_err (*gm_commit_fn)(struct gm_txn *txn, void *arg);

/* Start the committer thread for `st` (borrowed, must outlive it). GM_OK: *out is yours. */
gm_err gm_committer_start(struct gm_store *st, struct gm_committer **out);

/* Finish queued writes, stop the thread, free; NULL is allowed. */
void gm_committer_stop(struct gm_committer *c);

/* Run `fn(txn, arg)` in the next batch and wait until the batch is committed and synced.
 * Returns fn's result, or the commit's error (GM_ESTORE, GM_ETOOBIG) when the batch could not
 * be committed. With c == NULL, runs in a transaction of its own on this thread. */
gm_err gm_committer_run(struct gm_committer *c, struct gm_store *st, gm_commit_fn fn, void *arg);

#endif
