/* SPDX-License-Identifier: Apache-2.0
 * remote.h - what the node keeps about other servers' actors: their public keys (the key
 * cache) and their inboxes, stored in LMDB so every process and every restart shares them. */
#ifndef GEMEINDE_REMOTE_H
#define GEMEINDE_REMOTE_H

#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_remote_key {
    char *key_id;        /* as the signature names it, fragment included */
    char *owner;         /* actor id the key belongs to (checked both ways at fetch) */
    char *pem;           /* public key, SPKI or PKCS#1 PEM */
    int64_t fetched_at;  /* unix seconds */
    int64_t refetch_at;  /* last refetch after a failed verification, 0 if none */
};

void gm_remote_key_free(struct gm_remote_key *k); /* NULL is allowed */

/* GM_OK: *out is yours. GM_ENOTFOUND: not cached. */
gm_err gm_remote_key_get(struct gm_txn *txn, const char *key_id, struct gm_remote_key **out);
/* Insert or replace. */
gm_err gm_remote_key_put(struct gm_txn *txn, const struct gm_remote_key *k);

/* A remote actor as far as delivery needs it. */
struct gm_remote_actor {
    char *id;
    char *inbox;
    char *shared_inbox; /* or NULL */
    char *username;     /* preferredUsername, or NULL */
    int64_t published;  /* account creation (unix seconds), 0 if unknown */
    int64_t fetched_at;
};

void gm_remote_actor_free(struct gm_remote_actor *a); /* NULL is allowed */
/* GM_OK: *out is yours. GM_ENOTFOUND: not known. */
gm_err gm_remote_actor_get(struct gm_txn *txn, const char *id, struct gm_remote_actor **out);
/* Insert or replace; with a username, also index the handle "username@host" (host of the id). */
gm_err gm_remote_actor_put(struct gm_txn *txn, const struct gm_remote_actor *a);

/* The actor id of a handle ("user@host" or "@user@host", any case) seen before.
 * GM_OK: *id is a new string. GM_ENOTFOUND: never seen. */
gm_err gm_remote_handle_find(struct gm_txn *txn, const char *handle, char **id);

#endif
