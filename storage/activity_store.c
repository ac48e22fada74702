/* SPDX-License-Identifier: Apache-2.0
 * activity_store.c - the dedupe set and the received-activity log. Log keys are 8-byte
 * big-endian sequence numbers, so the newest is the last key under a cursor and LMDB appends
 * (MDB_APPEND) without page splits. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/activity_store.h"
#include "store_internal.h"


gm_err gm_activity_seen(struct gm_txn *txn, const char *id)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    if (k.mv_size == 0 || k.mv_size > 511) /* LMDB's default key limit */
        return GM_ENOTFOUND;
    return gm_store_map_err(mdb_get(txn->txn, txn->st->dbi[DBI_SEEN], &k, &v), "seen get");
}

static gm_err next_seq(struct gm_txn *txn, uint64_t *seq)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_ACTIVITIES], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *seq = 1;
        return GM_OK;
    }
    if (rc || k.mv_size != 8)
        return rc ? gm_store_map_err(rc, "activity last") : GM_ESTORE;
    *seq = gm_store_from_be64(k.mv_data) + 1;
    return GM_OK;
}

gm_err gm_activity_append(struct gm_txn *txn, const struct gm_activity_rec *rec, uint64_t *seq)
{
    unsigned char seqkey[8], when[8];
    uint64_t n = 0;
    gm_err e;
    int rc;
    if (rec->id && strlen(rec->id) <= 511) {
        MDB_val k = {strlen(rec->id), (void *)rec->id}, v = {8, when};
        gm_store_be64((uint64_t)rec->received, when);
        rc = mdb_put(txn->txn, txn->st->dbi[DBI_SEEN], &k, &v, MDB_NOOVERWRITE);
        if (rc)
            return gm_store_map_err(rc, "seen put");
    }
    if ((e = next_seq(txn, &n)) != GM_OK)
        return e;
    /* The record is {"id",...,"activity": <the activity text as given>}: the activity is
     * spliced in, not parsed and serialised again (it is valid JSON: the inbox parsed it). */
    json_t *meta = json_pack("{s:s?, s:s?, s:s, s:s, s:I}", "id", rec->id, "community",
                             rec->community, "actor", rec->actor, "type", rec->type, "received",
                             (json_int_t)rec->received);
    char *head = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    size_t hlen = head ? strlen(head) : 0, alen = strlen(rec->json);
    char *s = head ? malloc(hlen + alen + 16) : NULL;
    if (!s) {
        free(head);
        return GM_ENOMEM;
    }
    memcpy(s, head, hlen - 1); /* without the closing brace */
    memcpy(s + hlen - 1, ",\"activity\":", 12);
    memcpy(s + hlen + 11, rec->json, alen);
    memcpy(s + hlen + 11 + alen, "}", 2);
    free(head);
    gm_store_be64(n, seqkey);
    MDB_val k = {8, seqkey}, v = {strlen(s), s};
    rc = mdb_put(txn->txn, txn->st->dbi[DBI_ACTIVITIES], &k, &v, MDB_APPEND);
    free(s);
    if (rc)
        return gm_store_map_err(rc, "activity put");
    if (seq)
        *seq = n;
    return GM_OK;
}

gm_err gm_activity_get(struct gm_txn *txn, uint64_t seq, char **json)
{
    unsigned char key[8];
    gm_store_be64(seq, key);
    MDB_val k = {8, key}, v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_ACTIVITIES], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "activity get");
    return gm_store_copy_str(&v, json);
}

gm_err gm_activity_count(struct gm_txn *txn, size_t *count)
{
    MDB_stat stat;
    int rc = mdb_stat(txn->txn, txn->st->dbi[DBI_ACTIVITIES], &stat);
    if (rc)
        return gm_store_map_err(rc, "activity stat");
    *count = stat.ms_entries;
    return GM_OK;
}
