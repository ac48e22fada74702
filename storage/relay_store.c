/* SPDX-License-Identifier: Apache-2.0
 * relay_store.c - outbox, relayed objects and fan-out marks. Outbox keys are
 * "community NUL seq(8 BE)", so one community's Announces are a key range in order. Relayed
 * objects are keyed "object id NUL community". */
#include <stdlib.h>
#include <string.h>

#include "gemeinde/relay_store.h"
#include "store_internal.h"

#define KEY_MAX 511

static gm_err outbox_key(const char *community, uint64_t seq, unsigned char *buf, MDB_val *k)
{
    size_t c = strlen(community);
    if (!c || c + 9 > KEY_MAX)
        return GM_EINVAL;
    memcpy(buf, community, c + 1);
    gm_store_be64(seq, buf + c + 1);
    *k = (MDB_val){c + 9, buf};
    return GM_OK;
}

static int in_range(const MDB_val *k, const char *community)
{
    size_t c = strlen(community) + 1;
    return k->mv_size == c + 8 && memcmp(k->mv_data, community, c) == 0;
}

gm_err gm_outbox_next(struct gm_txn *txn, const char *community, uint64_t *seq)
{
    unsigned char buf[KEY_MAX + 1];
    MDB_val k, v;
    MDB_cursor *cur;
    uint64_t n = 1;
    gm_err e = outbox_key(community, UINT64_MAX, buf, &k);
    if (e != GM_OK)
        return e;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_OUTBOX], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    /* the last key of this community: position after it, step back */
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && in_range(&k, community))
        n = gm_store_from_be64((const unsigned char *)k.mv_data + strlen(community) + 1) + 1;
    mdb_cursor_close(cur);
    *seq = n;
    return GM_OK;
}

gm_err gm_outbox_put(struct gm_txn *txn, const char *community, uint64_t seq, const char *json)
{
    unsigned char buf[KEY_MAX + 1];
    MDB_val k, v = {strlen(json), (void *)json};
    gm_err e = outbox_key(community, seq, buf, &k);
    if (e != GM_OK)
        return e;
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_OUTBOX], &k, &v, MDB_NOOVERWRITE),
                            "outbox put");
}

gm_err gm_outbox_get(struct gm_txn *txn, const char *community, uint64_t seq, char **json)
{
    unsigned char buf[KEY_MAX + 1];
    MDB_val k, v;
    if (outbox_key(community, seq, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_OUTBOX], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "outbox get");
    return gm_store_copy_str(&v, json);
}

void gm_outbox_items_free(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

gm_err gm_outbox_page(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                      char ***items, uint64_t *seqs, size_t *n)
{
    unsigned char buf[KEY_MAX + 1];
    MDB_val k, v;
    MDB_cursor *cur;
    size_t got = 0, clen = strlen(community) + 1;
    char **out = calloc(max ? max : 1, sizeof *out);
    gm_err e = out ? outbox_key(community, before ? before : UINT64_MAX, buf, &k) : GM_ENOMEM;
    if (e != GM_OK) {
        free(out);
        return e == GM_EINVAL ? GM_ENOTFOUND : e;
    }
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_OUTBOX], &cur);
    if (rc) {
        free(out);
        return gm_store_map_err(rc, "cursor");
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    for (; rc == 0 && got < max && in_range(&k, community);
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if ((e = gm_store_copy_str(&v, &out[got])) != GM_OK)
            break;
        seqs[got++] = gm_store_from_be64((const unsigned char *)k.mv_data + clen);
    }
    mdb_cursor_close(cur);
    if (e != GM_OK) {
        gm_outbox_items_free(out, got);
        return e;
    }
    *items = out;
    *n = got;
    return GM_OK;
}

gm_err gm_outbox_count(struct gm_txn *txn, const char *community, size_t *count)
{
    char **items;
    uint64_t seq;
    size_t n;
    gm_err e = gm_outbox_page(txn, community, 0, 1, &items, &seq, &n);
    if (e != GM_OK)
        return e;
    gm_outbox_items_free(items, n);
    *count = n ? (size_t)seq : 0; /* numbers are dense: the newest is the count */
    return GM_OK;
}

static gm_err relayed_key(const char *object_id, const char *community, char *buf, MDB_val *k)
{
    size_t o = strlen(object_id), c = community ? strlen(community) : 0;
    if (!o || o + 1 + c > KEY_MAX)
        return GM_EINVAL;
    memcpy(buf, object_id, o + 1);
    if (c)
        memcpy(buf + o + 1, community, c);
    *k = (MDB_val){o + 1 + c, buf};
    return GM_OK;
}

/* The record of a relayed object: 8 bytes of announce seq, and a 9th byte once deleted. */
static gm_err relayed_record(struct gm_txn *txn, const char *community, const char *object_id,
                             MDB_val *v)
{
    char buf[KEY_MAX + 1];
    MDB_val k;
    if (relayed_key(object_id, community, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_RELAYED], &k, v);
    if (rc)
        return gm_store_map_err(rc, "relayed get");
    return v->mv_size == 8 || v->mv_size == 9 ? GM_OK : GM_ESTORE;
}

gm_err gm_relayed_get(struct gm_txn *txn, const char *community, const char *object_id,
                      uint64_t *seq)
{
    MDB_val v;
    gm_err e = relayed_record(txn, community, object_id, &v);
    if (e == GM_OK)
        *seq = gm_store_from_be64(v.mv_data);
    return e;
}

gm_err gm_relayed_mark_deleted(struct gm_txn *txn, const char *community, const char *object_id)
{
    char buf[KEY_MAX + 1];
    unsigned char val[9];
    uint64_t seq = 0;
    MDB_val k, v = {9, val};
    gm_err e = gm_relayed_get(txn, community, object_id, &seq);
    if (e != GM_OK || (e = relayed_key(object_id, community, buf, &k)) != GM_OK)
        return e;
    gm_store_be64(seq, val);
    val[8] = 1;
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_RELAYED], &k, &v, 0),
                            "relayed delete");
}

gm_err gm_relayed_deleted(struct gm_txn *txn, const char *community, const char *object_id)
{
    MDB_val v;
    gm_err e = relayed_record(txn, community, object_id, &v);
    return e == GM_OK && v.mv_size != 9 ? GM_ENOTFOUND : e;
}

gm_err gm_relayed_put(struct gm_txn *txn, const char *community, const char *object_id,
                      uint64_t seq)
{
    char buf[KEY_MAX + 1];
    unsigned char val[8];
    MDB_val k, v = {8, val};
    gm_err e = relayed_key(object_id, community, buf, &k);
    if (e != GM_OK)
        return e;
    gm_store_be64(seq, val);
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_RELAYED], &k, &v, 0),
                            "relayed put");
}

/* Fan-out marks: "community NUL seq(8 BE) inbox" -> "". */
static gm_err fanout_key(const char *community, uint64_t seq, const char *inbox,
                         unsigned char *buf, MDB_val *k)
{
    size_t c = strlen(community), i = inbox ? strlen(inbox) : 0;
    if (!c || c + 9 + i > KEY_MAX)
        return GM_EINVAL;
    memcpy(buf, community, c + 1);
    gm_store_be64(seq, buf + c + 1);
    if (i)
        memcpy(buf + c + 9, inbox, i);
    *k = (MDB_val){c + 9 + i, buf};
    return GM_OK;
}

gm_err gm_fanout_mark(struct gm_txn *txn, const char *community, uint64_t seq, const char *inbox)
{
    unsigned char buf[KEY_MAX + 1];
    MDB_val k, v = {0, ""};
    gm_err e = fanout_key(community, seq, inbox, buf, &k);
    if (e != GM_OK)
        return e;
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_FANOUT], &k, &v, MDB_NOOVERWRITE),
                            "fanout mark");
}

gm_err gm_fanout_clear(struct gm_txn *txn, const char *community, uint64_t seq)
{
    unsigned char prefix[KEY_MAX + 1];
    MDB_cursor *cur;
    MDB_val k, v, p;
    gm_err e = fanout_key(community, seq, NULL, prefix, &p);
    if (e != GM_OK)
        return e;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_FANOUT], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    for (;;) {
        k = p;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc != 0 || k.mv_size < p.mv_size || memcmp(k.mv_data, p.mv_data, p.mv_size) != 0)
            break;
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "fanout clear");
}
