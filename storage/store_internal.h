/* SPDX-License-Identifier: Apache-2.0
 * store_internal.h - what the storage/ modules share: the LMDB handles behind gm_store and
 * gm_txn, and the MDB -> gm_err mapping. Not to be included outside storage/. */
#ifndef GEMEINDE_STORE_INTERNAL_H
#define GEMEINDE_STORE_INTERNAL_H

#include <lmdb.h>
#include <sys/types.h>

#include "gemeinde/store.h"

/* Named databases. Keep the order: the index is the slot in gm_store.dbi. */
enum gm_dbi {
    DBI_META = 0,    /* ascii key -> ascii value */
    DBI_COMMUNITIES, /* name -> community JSON (public fields) */
    DBI_COMMUNITY_KEYS, /* name -> private key PEM */
    DBI_REMOTE_KEYS, /* keyId as sent -> remote key JSON (owner, PEM, times) */
    DBI_SEEN,        /* activity id -> received time (8 bytes big-endian) */
    DBI_ACTIVITIES,  /* seq (8 bytes big-endian) -> received activity record JSON */
    DBI_REMOTE_ACTORS, /* actor id -> {inbox, shared_inbox, fetched_at} */
    DBI_MEMBERS,     /* community NUL actor id -> member JSON */
    DBI_QUEUE,       /* due (8 BE) seq (8 BE) -> delivery job JSON */
    DBI_HOSTS,       /* host[:port] -> scheme, failing_since, last_probe (3 x 8 BE), software */
    DBI_OUTBOX,      /* community NUL seq (8 BE) -> Announce JSON */
    DBI_RELAYED,     /* object id NUL community -> announce seq (8 BE) [+ deleted byte] */
    DBI_FANOUT,      /* community NUL seq (8 BE) inbox -> "" (dedupe across fan-out batches) */
    DBI_BLOCKS,      /* blocked domain -> block JSON */
    DBI_MODLOG,      /* seq (8 BE) -> moderation log entry JSON */
    DBI_CKV,         /* table (1 byte) community NUL key -> JSON (ckv.h keyed tables) */
    DBI_CLOG,        /* table (1 byte) community NUL seq (8 BE) -> JSON (ckv.h logs) */
    DBI_HANDLES,     /* "user@host" (lowercase) -> actor id */
    DBI_STATS,       /* kind (1 byte) community NUL ... -> figures (stats_store.h) */
    DBI_COUNT
};

struct gm_store {
    MDB_env *env;
    MDB_dbi dbi[DBI_COUNT];
    dev_t dev;
    ino_t ino;
    unsigned refs;
    struct gm_store *next;
};

struct gm_txn {
    struct gm_store *st;
    MDB_txn *txn;
    int write;
    int64_t now; /* the time of the change (gm_txn_set_now), 0: the clock */
};

/* Map an MDB return code: MDB_NOTFOUND -> GM_ENOTFOUND, MDB_KEYEXIST -> GM_EEXISTS,
 * MDB_MAP_FULL -> GM_ETOOBIG, others -> GM_ESTORE (logged). */
gm_err gm_store_map_err(int rc, const char *what);

/* 8-byte big-endian encoding, so integer keys sort as numbers. */
void gm_store_be64(uint64_t v, unsigned char out[8]);
uint64_t gm_store_from_be64(const unsigned char in[8]);

/* Delete every record of `dbi` whose key starts with the `plen` bytes of `prefix`. */
gm_err gm_store_drop_prefix(struct gm_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen);

/* Copy an LMDB value out as a NUL-terminated string (new, caller frees). */
gm_err gm_store_copy_str(const MDB_val *v, char **out);

#endif
