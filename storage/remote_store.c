/* SPDX-License-Identifier: Apache-2.0
 * remote_store.c - the remote key cache in LMDB, one small JSON document per keyId. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/remote.h"
#include "store_internal.h"

void gm_remote_key_free(struct gm_remote_key *k)
{
    if (!k)
        return;
    free(k->key_id);
    free(k->owner);
    free(k->pem);
    free(k);
}

gm_err gm_remote_key_get(struct gm_txn *txn, const char *key_id, struct gm_remote_key **out)
{
    MDB_val key = {strlen(key_id), (void *)key_id}, val;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_REMOTE_KEYS], &key, &val);
    if (rc)
        return gm_store_map_err(rc, "remote key get");
    json_t *doc = json_loadb(val.mv_data, val.mv_size, 0, NULL);
    const char *owner, *pem;
    json_int_t fetched, refetch;
    gm_err e = GM_ESTORE;
    struct gm_remote_key *k = NULL;
    if (!doc || json_unpack(doc, "{s:s, s:s, s:I, s:I}", "owner", &owner, "pem", &pem,
                            "fetched_at", &fetched, "refetch_at", &refetch) != 0)
        goto out;
    e = GM_ENOMEM;
    if (!(k = calloc(1, sizeof *k)) || !(k->key_id = strdup(key_id)) ||
        !(k->owner = strdup(owner)) || !(k->pem = strdup(pem)))
        goto out;
    k->fetched_at = fetched;
    k->refetch_at = refetch;
    *out = k;
    k = NULL;
    e = GM_OK;
out:
    gm_remote_key_free(k);
    json_decref(doc);
    return e;
}

gm_err gm_remote_key_put(struct gm_txn *txn, const struct gm_remote_key *k)
{
    json_t *doc = json_pack("{s:s, s:s, s:I, s:I}", "owner", k->owner, "pem", k->pem,
                            "fetched_at", (json_int_t)k->fetched_at, "refetch_at",
                            (json_int_t)k->refetch_at);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    MDB_val key = {strlen(k->key_id), k->key_id}, val = {strlen(s), s};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_REMOTE_KEYS], &key, &val, 0);
    free(s);
    return gm_store_map_err(rc, "remote key put");
}

/* "user@host" in lowercase, host = the authority of the actor id (no userinfo, with port). */
static gm_err make_handle(const char *user, const char *id, char *out, size_t size)
{
    const char *h = strstr(id, "://");
    if (!h || !*user || strchr(user, '@') || strchr(user, '/'))
        return GM_EINVAL;
    h += 3;
    size_t hl = strcspn(h, "/?#"), ul = strlen(user);
    const char *at = memchr(h, '@', hl);
    if (at) { /* userinfo never names the host */
        hl -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    if (!hl || ul + 1 + hl >= size)
        return GM_EINVAL;
    for (size_t i = 0; i < ul; i++)
        out[i] = (char)tolower((unsigned char)user[i]);
    out[ul] = '@';
    for (size_t i = 0; i < hl; i++)
        out[ul + 1 + i] = (char)tolower((unsigned char)h[i]);
    out[ul + 1 + hl] = '\0';
    return GM_OK;
}

void gm_remote_actor_free(struct gm_remote_actor *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->inbox);
    free(a->shared_inbox);
    free(a->username);
    free(a);
}

gm_err gm_remote_actor_get(struct gm_txn *txn, const char *id, struct gm_remote_actor **out)
{
    MDB_val key = {strlen(id), (void *)id}, val;
    if (key.mv_size == 0 || key.mv_size > 511)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_REMOTE_ACTORS], &key, &val);
    if (rc)
        return gm_store_map_err(rc, "remote actor get");
    json_t *doc = json_loadb(val.mv_data, val.mv_size, 0, NULL);
    const char *inbox, *shared = NULL, *user = NULL;
    json_int_t fetched, published = 0;
    struct gm_remote_actor *a = NULL;
    gm_err e = GM_ESTORE;
    if (!doc || json_unpack(doc, "{s:s, s?s, s:I, s?s, s?I}", "inbox", &inbox, "shared_inbox",
                            &shared, "fetched_at", &fetched, "username", &user, "published",
                            &published) != 0)
        goto out;
    e = GM_ENOMEM;
    if (!(a = calloc(1, sizeof *a)) || !(a->id = strdup(id)) || !(a->inbox = strdup(inbox)) ||
        (shared && !(a->shared_inbox = strdup(shared))) || (user && !(a->username = strdup(user))))
        goto out;
    a->fetched_at = fetched;
    a->published = published;
    *out = a;
    a = NULL;
    e = GM_OK;
out:
    gm_remote_actor_free(a);
    json_decref(doc);
    return e;
}

gm_err gm_remote_actor_put(struct gm_txn *txn, const struct gm_remote_actor *a)
{
    MDB_val key = {strlen(a->id), a->id}, val;
    if (key.mv_size == 0 || key.mv_size > 511)
        return GM_EINVAL;
    json_t *doc = json_pack("{s:s, s:s*, s:I, s:s*, s:I}", "inbox", a->inbox, "shared_inbox",
                            a->shared_inbox, "fetched_at", (json_int_t)a->fetched_at, "username",
                            a->username, "published", (json_int_t)a->published);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    val = (MDB_val){strlen(s), s};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_REMOTE_ACTORS], &key, &val, 0);
    free(s);
    if (rc || !a->username)
        return gm_store_map_err(rc, "remote actor put");
    char handle[600];
    if (make_handle(a->username, a->id, handle, sizeof handle) != GM_OK)
        return GM_OK; /* an odd username is kept, just not findable by handle */
    MDB_val hk = {strlen(handle), handle}, hv = {strlen(a->id), a->id};
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_HANDLES], &hk, &hv, 0),
                            "handle put");
}

gm_err gm_remote_handle_find(struct gm_txn *txn, const char *handle, char **id)
{
    char key[600];
    size_t n = 0;
    if (handle[0] == '@')
        handle++;
    for (; handle[n] && n < sizeof key - 1; n++)
        key[n] = (char)tolower((unsigned char)handle[n]);
    key[n] = '\0';
    if (!n || handle[n] || !strchr(key, '@'))
        return GM_ENOTFOUND;
    MDB_val k = {n, key}, v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_HANDLES], &k, &v);
    return rc ? gm_store_map_err(rc, "handle get") : gm_store_copy_str(&v, id);
}
