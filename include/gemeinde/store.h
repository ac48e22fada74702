/* SPDX-License-Identifier: Apache-2.0
 * store.h - all persistent state, in one LMDB environment in data_dir. Only storage/ includes
 * lmdb.h; everyone else sees opaque handles and gm_err. The environment is safe to open from
 * several processes at once (the daemon and CLI commands).
 *
 * Transactions: one per thread at a time; never hold one across a network call. A read
 * transaction may be used from any thread (MDB_NOTLS). Values returned by functions that take a
 * transaction are copies the caller owns, unless a comment says otherwise. */
#ifndef GEMEINDE_STORE_H
#define GEMEINDE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"

struct gm_store;
struct gm_txn;

/* Current layout version, kept in the meta table. */
#define GM_SCHEMA_VERSION 2

/* Open (creating the folder and the environment if needed) the store in `dir`.
 * map_size_mb bounds the database size. GM_OK: *out is yours (gm_store_close).
 * GM_ESTORE: the folder cannot be created or opened, or the layout is newer than this binary;
 * `err` (may be NULL) receives a message naming the path. */
gm_err gm_store_open(const char *dir, size_t map_size_mb, struct gm_store **out, char *err,
                     size_t errlen);
void gm_store_close(struct gm_store *st);

/* The id of the last committed write transaction (each is one fsync): for measurements.
 * GM_OK: *id is set. */
gm_err gm_store_last_txnid(struct gm_store *st, uint64_t *id);

/* What the named database `name` ("stats", "members" ...) occupies, for measurements: its
 * branch, leaf and overflow pages times the page size (free pages of the file not counted), and
 * its entries, read in a read transaction of its own. GM_OK: *bytes and *entries are set.
 * GM_ENOTFOUND: no database of that name. */
gm_err gm_store_db_bytes(struct gm_store *st, const char *name, uint64_t *bytes,
                         uint64_t *entries);

/* Begin a transaction. GM_OK: *out is yours until commit or abort. */
gm_err gm_txn_begin(struct gm_store *st, bool write, struct gm_txn **out);
/* The time of the change a write transaction makes (unix seconds): what the figures count at.
 * The rules set it to the activity's time; unset, it is the clock. */
void gm_txn_set_now(struct gm_txn *txn, int64_t now);
int64_t gm_txn_now(const struct gm_txn *txn);
/* Commit and free `txn` (always freed, also on error). GM_ESTORE if the commit failed. */
gm_err gm_txn_commit(struct gm_txn *txn);
/* Abort and free `txn`; NULL is allowed. */
void gm_txn_abort(struct gm_txn *txn);

/* Meta values (schema version, instance keys, ...): NUL-terminated strings.
 * get: GM_OK and *value is a new string (free) or GM_ENOTFOUND. */
gm_err gm_meta_get(struct gm_txn *txn, const char *key, char **value);
gm_err gm_meta_put(struct gm_txn *txn, const char *key, const char *value);

#endif
