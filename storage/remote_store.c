/* SPDX-License-Identifier: Apache-2.0
 * remote_store.c - the remote key cache in LMDB, one small JSON document per keyId. */
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
