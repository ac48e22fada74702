/* SPDX-License-Identifier: Apache-2.0
 * keycache.h - the public keys of remote actors: read from the LMDB cache, or fetched from
 * their origin with a signed GET (deferral threads only: it blocks on the network). A key is
 * accepted only when the key document and the actor point at each other (the key's owner is
 * the actor, and the actor lists the key). After a failed verification a key may be refetched
 * once at once, then at most once per GM_KEYCACHE_REFETCH_INTERVAL (key rotation without a
 * fetch flood); the claim is atomic across threads and processes. */
#ifndef GEMEINDE_KEYCACHE_H
#define GEMEINDE_KEYCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gemeinde/remote.h"

struct gm_app;

#define GM_KEYCACHE_REFETCH_INTERVAL 300

/* From the cache only. GM_OK: *out is yours. GM_ENOTFOUND: not cached. */
gm_err gm_keycache_get(struct gm_app *app, const char *key_id, struct gm_remote_key **out);

/* Fetch `key_id` from its origin, check the binding, store and return it (GM_OK: *out is
 * yours). Refetches update refetch_at. Errors: the fetch's (GM_EFORBID private address,
 * GM_ETEMP network, GM_EPERM refused document, GM_ENOTFOUND gone) or GM_EAUTH when key and
 * actor do not point at each other. */
gm_err gm_keycache_fetch(struct gm_app *app, const char *key_id, struct gm_remote_key **out);

/* The key of `k` as an EVP_PKEY, decoded once and kept in memory (decoding PEM costs about
 * 300 us with OpenSSL 3, verifying about 20 us). Entries are matched on keyId and a hash of
 * the PEM, so a rotated key replaces the old one. GM_OK: *out is a new reference (EVP_PKEY_free).
 * GM_EINVAL: not a usable public key. */
struct evp_pkey_st;
gm_err gm_keycache_pkey(const struct gm_remote_key *k, struct evp_pkey_st **out);

/* Fetch the actor document at `url` from its origin (signed by the instance actor; deferral
 * threads only). GM_OK: *info (inboxes, yours) and *doc (new reference) are set; the actor is
 * also stored in the remote-actor cache. Errors as gm_keycache_fetch. */
gm_err gm_keycache_fetch_actor(struct gm_app *app, const char *url,
                               struct gm_remote_actor **info, json_t **doc);

/* May a cached key be refetched now after a failed verification? */
bool gm_keycache_may_refetch(const struct gm_remote_key *k, int64_t now);

/* Take the one refetch allowed now, atomically (LMDB serialises writers, across processes):
 * GM_OK: yours, refetch_at is now. GM_EEXISTS: another request took it. */
gm_err gm_keycache_claim_refetch(struct gm_app *app, const char *key_id, int64_t now);

#endif
