/* SPDX-License-Identifier: Apache-2.0
 * keycache.c - remote public keys. A keyId is fetched (signed by our instance actor, as
 * authorized-fetch servers require) from its origin; the key is accepted when the document is
 * an actor that lists the key, or a key document whose owner, fetched in turn, lists it back
 * (discourse-activity-pub #325/#327: a key must not be claimable by an actor that does not list
 * it). Key and owner must share an origin. Accepted keys go to LMDB. */
#include "gemeinde/keycache.h"
#include "gemeinde/timefmt.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/app.h"
#include "gemeinde/fetch.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/log.h"
#include "gemeinde/nodeinfo.h"

/* In-process fetch gate: one fetch per keyId at a time (the others wait for its result in
 * LMDB), and a keyId whose fetch failed is not fetched again for GM_KEYCACHE_NEGATIVE_TTL.
 * Slots are chosen by hash; a collision only makes two keys share a gate. */
#define GATE_SLOTS 256
#define GM_KEYCACHE_NEGATIVE_TTL 60

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct {
        uint64_t hash;
        int busy;
        int64_t failed_until;
    } slot[GATE_SLOTS];
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0, 0, 0}}};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Enter the gate for `hash`. GM_OK: we fetch (call gate_leave). GM_EEXISTS: another thread
 * fetched meanwhile, read the cache again. GM_ETEMP: it failed recently. */
static gm_err gate_enter(uint64_t hash, int64_t now)
{
    size_t i = hash % GATE_SLOTS;
    gm_err e = GM_OK;
    pthread_mutex_lock(&gate.mu);
    if (gate.slot[i].busy) {
        while (gate.slot[i].busy)
            pthread_cond_wait(&gate.cv, &gate.mu);
        e = GM_EEXISTS;
    } else if (gate.slot[i].hash == hash && gate.slot[i].failed_until > now) {
        e = GM_ETEMP;
    } else {
        gate.slot[i].busy = 1;
        gate.slot[i].hash = hash;
    }
    pthread_mutex_unlock(&gate.mu);
    return e;
}

static void gate_leave(uint64_t hash, gm_err result, int64_t now)
{
    size_t i = hash % GATE_SLOTS;
    pthread_mutex_lock(&gate.mu);
    gate.slot[i].busy = 0;
    gate.slot[i].failed_until = result == GM_OK ? 0 : now + GM_KEYCACHE_NEGATIVE_TTL;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* Decoded keys, by hash of keyId; a slot holds one key (a collision replaces it). */
#define PKEY_SLOTS 4096
#define PKEY_ID_MAX 256

static struct {
    pthread_mutex_t mu;
    struct {
        char key_id[PKEY_ID_MAX];
        uint64_t pem_hash; /* a rotated key has another PEM, hence another hash */
        EVP_PKEY *pkey;
    } slot[PKEY_SLOTS];
} pkeys = {PTHREAD_MUTEX_INITIALIZER, {{"", 0, NULL}}};


gm_err gm_keycache_pkey(const struct gm_remote_key *k, EVP_PKEY **out)
{
    size_t i = fnv1a(k->key_id) % PKEY_SLOTS;
    uint64_t pem_hash = fnv1a(k->pem);
    int cacheable = strlen(k->key_id) < PKEY_ID_MAX;
    pthread_mutex_lock(&pkeys.mu);
    if (cacheable && pkeys.slot[i].pkey && pkeys.slot[i].pem_hash == pem_hash &&
        !strcmp(pkeys.slot[i].key_id, k->key_id)) {
        EVP_PKEY *hit = pkeys.slot[i].pkey;
        EVP_PKEY_up_ref(hit);
        pthread_mutex_unlock(&pkeys.mu);
        *out = hit;
        return GM_OK;
    }
    pthread_mutex_unlock(&pkeys.mu);
    EVP_PKEY *pkey = NULL;
    gm_err e = gm_httpsig_load_public_pem(k->pem, strlen(k->pem), &pkey);
    if (e != GM_OK)
        return e;
    if (cacheable) {
        EVP_PKEY_up_ref(pkey);
        pthread_mutex_lock(&pkeys.mu);
        EVP_PKEY *old = pkeys.slot[i].pkey;
        strcpy(pkeys.slot[i].key_id, k->key_id);
        pkeys.slot[i].pem_hash = pem_hash;
        pkeys.slot[i].pkey = pkey;
        pthread_mutex_unlock(&pkeys.mu);
        EVP_PKEY_free(old);
    }
    *out = pkey;
    return GM_OK;
}

gm_err gm_keycache_get(struct gm_app *app, const char *key_id, struct gm_remote_key **out)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_remote_key_get(txn, key_id, out);
    gm_txn_abort(txn);
    return e;
}

bool gm_keycache_may_refetch(const struct gm_remote_key *k, int64_t now)
{
    return k->refetch_at == 0 || now - k->refetch_at >= GM_KEYCACHE_REFETCH_INTERVAL;
}

gm_err gm_keycache_claim_refetch(struct gm_app *app, const char *key_id, int64_t now)
{
    struct gm_txn *txn;
    struct gm_remote_key *k = NULL;
    gm_err e = gm_txn_begin(app->st, true, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_remote_key_get(txn, key_id, &k)) == GM_OK) {
        if (!gm_keycache_may_refetch(k, now)) {
            e = GM_EEXISTS;
        } else {
            k->refetch_at = now;
            e = gm_remote_key_put(txn, k);
        }
    }
    gm_remote_key_free(k);
    if (e != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}

/* The publicKey entry of `actor` whose id is key_id (object or array of objects); borrowed. */
static json_t *listed_key(json_t *actor, const char *key_id)
{
    json_t *pk = json_object_get(actor, "publicKey");
    if (json_is_object(pk)) {
        const char *id = json_string_value(json_object_get(pk, "id"));
        return id && !strcmp(id, key_id) ? pk : NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(pk, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        if (id && !strcmp(id, key_id))
            return v;
    }
    return NULL;
}

static gm_err fetch(struct gm_app *app, EVP_PKEY *signer_key, struct gm_fetch_budget *budget,
                    const char *url, struct gm_fetch_result *res)
{
    char key_id[600];
    snprintf(key_id, sizeof key_id, "%s/actor#main-key", app->base_url);
    struct gm_fetch_signer signer = {key_id, signer_key};
    struct gm_fetch_opts opts = {.base_url = app->base_url, .signer = signer_key ? &signer : NULL,
                                 .budget = budget,
                                 .allow_http = app->cfg && app->cfg->allow_http_fetch,
                                 .allow_private = app->cfg && app->cfg->allow_private_addresses};
    return gm_fetch_json(&opts, url, res);
}

/* The inboxes of a fetched actor document, for delivery. NULL when it has no inbox. */
static struct gm_remote_actor *actor_info(json_t *actor, const char *id)
{
    const char *inbox = json_string_value(json_object_get(actor, "inbox"));
    const char *shared = json_string_value(
        json_object_get(json_object_get(actor, "endpoints"), "sharedInbox"));
    const char *user = json_string_value(json_object_get(actor, "preferredUsername"));
    struct gm_remote_actor *a = calloc(1, sizeof *a);
    if (!a || !inbox || !gm_fetch_same_origin(inbox, id) || !(a->id = strdup(id)) ||
        !(a->inbox = strdup(inbox)) || (shared && !(a->shared_inbox = strdup(shared))) ||
        (user && strlen(user) <= 100 && !(a->username = strdup(user)))) {
        gm_remote_actor_free(a);
        return NULL;
    }
    a->fetched_at = (int64_t)time(NULL);
    a->published = gm_time_parse(json_string_value(json_object_get(actor, "published")));
    return a;
}

/* From the fetched document(s), find owner and PEM for key_id, and the owner's inboxes. */
static gm_err resolve(struct gm_app *app, EVP_PKEY *signer_key, const char *key_id,
                      json_t *doc, char **owner, char **pem, struct gm_remote_actor **info)
{
    struct gm_fetch_budget budget = {1};
    struct gm_fetch_result owner_res = {0};
    json_t *actor = doc, *entry = listed_key(doc, key_id);
    gm_err e = GM_EAUTH;
    if (!entry) { /* a key document: its owner must list it back */
        const char *o = json_string_value(json_object_get(doc, "owner"));
        if (!o || !gm_fetch_same_origin(o, key_id))
            goto out;
        if ((e = fetch(app, signer_key, &budget, o, &owner_res)) != GM_OK)
            goto out;
        actor = owner_res.doc;
        e = GM_EAUTH;
        if (!(entry = listed_key(actor, key_id)))
            goto out;
    }
    const char *actor_id = json_string_value(json_object_get(actor, "id"));
    const char *claimed = json_string_value(json_object_get(entry, "owner"));
    const char *text = json_string_value(json_object_get(entry, "publicKeyPem"));
    if (!actor_id || !text || (claimed && strcmp(claimed, actor_id) != 0) ||
        !gm_fetch_same_origin(actor_id, key_id))
        goto out;
    e = GM_ENOMEM;
    if (!(*owner = strdup(actor_id)))
        goto out;
    if (!(*pem = strdup(text))) {
        free(*owner);
        goto out;
    }
    *info = actor_info(actor, actor_id);
    e = GM_OK;
out:
    gm_fetch_result_free(&owner_res);
    return e;
}

static gm_err load_signer(struct gm_app *app, EVP_PKEY **key)
{
    struct gm_txn *txn;
    char *pem = NULL;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_meta_get(txn, "instance.private_key_pem", &pem);
    gm_txn_abort(txn);
    if (e == GM_OK)
        e = gm_httpsig_load_private_pem(pem, strlen(pem), key);
    gm_keygen_wipe_free(pem);
    return e;
}

static gm_err store_key(struct gm_app *app, struct gm_remote_key *k,
                        const struct gm_remote_actor *info)
{
    struct gm_txn *txn;
    struct gm_remote_key *old = NULL;
    gm_err e = gm_txn_begin(app->st, true, &txn);
    if (e != GM_OK)
        return e;
    if (gm_remote_key_get(txn, k->key_id, &old) == GM_OK)
        k->refetch_at = k->fetched_at; /* a refetch: rate-limit the next one */
    gm_remote_key_free(old);
    if ((e = gm_remote_key_put(txn, k)) != GM_OK ||
        (info && (e = gm_remote_actor_put(txn, info)) != GM_OK)) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}

static gm_err fetch_now(struct gm_app *app, const char *key_id, struct gm_remote_key **out)
{
    struct gm_fetch_budget budget = {1};
    struct gm_fetch_result res = {0};
    struct gm_remote_key *k = NULL;
    struct gm_remote_actor *info = NULL;
    EVP_PKEY *signer_key = NULL;
    char url[GM_FETCH_MAX_URL + 1];
    size_t n = strcspn(key_id, "#");
    if (n == 0 || n > GM_FETCH_MAX_URL)
        return GM_EINVAL;
    memcpy(url, key_id, n);
    url[n] = '\0';
    gm_err e = load_signer(app, &signer_key);
    if (e != GM_OK)
        gm_warn("keycache: instance key unavailable (%s), fetching unsigned", gm_strerror(e));
    if ((e = fetch(app, signer_key, &budget, url, &res)) != GM_OK)
        goto out;
    e = GM_ENOMEM;
    if (!(k = calloc(1, sizeof *k)) || !(k->key_id = strdup(key_id)))
        goto out;
    if ((e = resolve(app, signer_key, key_id, res.doc, &k->owner, &k->pem, &info)) != GM_OK) {
        gm_info("keycache: %s: key and actor do not point at each other", key_id);
        goto out;
    }
    k->fetched_at = (int64_t)time(NULL);
    if ((e = store_key(app, k, info)) != GM_OK)
        goto out;
    gm_debug("keycache: fetched %s (owner %s)", key_id, k->owner);
    char signer_id[600];
    snprintf(signer_id, sizeof signer_id, "%s/actor#main-key", app->base_url);
    struct gm_fetch_signer signer = {signer_id, signer_key};
    gm_nodeinfo_learn(app, signer_key ? &signer : NULL, k->owner); /* its Announce shape */
    *out = k;
    k = NULL;
out:
    gm_remote_key_free(k);
    gm_remote_actor_free(info);
    gm_fetch_result_free(&res);
    EVP_PKEY_free(signer_key);
    return e;
}

gm_err gm_keycache_fetch(struct gm_app *app, const char *key_id, struct gm_remote_key **out)
{
    uint64_t hash = fnv1a(key_id);
    int64_t now = (int64_t)time(NULL);
    gm_err e = gate_enter(hash, now);
    if (e == GM_EEXISTS) { /* fetched by another thread just now: use its result */
        struct gm_remote_key *k = NULL;
        if (gm_keycache_get(app, key_id, &k) == GM_OK && k->fetched_at >= now) {
            *out = k;
            return GM_OK;
        }
        gm_remote_key_free(k);
        e = gate_enter(hash, now);
    }
    if (e != GM_OK) {
        gm_debug("keycache: %s: fetch failed recently, not retried yet", key_id);
        return GM_ETEMP;
    }
    e = fetch_now(app, key_id, out);
    gate_leave(hash, e, (int64_t)time(NULL));
    return e;
}

gm_err gm_keycache_fetch_actor(struct gm_app *app, const char *url,
                               struct gm_remote_actor **info, json_t **doc)
{
    struct gm_fetch_budget budget = {1};
    struct gm_fetch_result res = {0};
    struct gm_remote_actor *a = NULL;
    struct gm_txn *txn;
    EVP_PKEY *signer_key = NULL;
    if (load_signer(app, &signer_key) != GM_OK)
        signer_key = NULL;
    gm_err e = fetch(app, signer_key, &budget, url, &res);
    EVP_PKEY_free(signer_key);
    if (e != GM_OK)
        return e;
    const char *id = json_string_value(json_object_get(res.doc, "id"));
    if (!id || !(a = actor_info(res.doc, id))) {
        gm_fetch_result_free(&res);
        return GM_EPERM; /* not an actor with an inbox on its own origin */
    }
    if ((e = gm_txn_begin(app->st, true, &txn)) == GM_OK) {
        if ((e = gm_remote_actor_put(txn, a)) == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
    }
    if (e != GM_OK) {
        gm_remote_actor_free(a);
        gm_fetch_result_free(&res);
        return e;
    }
    *info = a;
    *doc = json_incref(res.doc);
    gm_fetch_result_free(&res);
    return GM_OK;
}
