/* SPDX-License-Identifier: Apache-2.0
 * ckv_store.c - the per-community tables of ckv.h in two LMDB databases: "ckv" for keyed
 * records (key: table byte, community, NUL, record key) and "clog" for numbered logs (key: table
 * byte, community, NUL, 8-byte big-endian number). A table byte plus a NUL-free community name
 * makes each (table, community) one contiguous key range. */
#include <stdlib.h>
#include <string.h>

#include "gemeinde/ckv.h"
#include "gemeinde/stats_store.h"
#include "store_internal.h"

#define PREFIX_MAX (1 + 64 + 1)
#define FULL_MAX (PREFIX_MAX + GM_CKV_KEY_MAX)
#define LMDB_KEY_MAX 511 /* LMDB's default key limit: a longer key is refused by mdb_put */

/* "t community NUL" into buf; returns its length, or 0 if the community is unusable. */
static size_t make_prefix(unsigned table, const char *community, unsigned char *buf)
{
    size_t c = community ? strlen(community) : 0;
    if (!c || c > 64)
        return 0;
    buf[0] = (unsigned char)table;
    memcpy(buf + 1, community, c + 1);
    return c + 2;
}

static gm_err make_key(unsigned table, const char *community, const char *key,
                       unsigned char *buf, MDB_val *out)
{
    size_t p = make_prefix(table, community, buf), k = key ? strlen(key) : 0;
    if (!p || !k || k > GM_CKV_KEY_MAX || p + k > LMDB_KEY_MAX)
        return GM_EINVAL;
    memcpy(buf + p, key, k);
    *out = (MDB_val){p + k, buf};
    return GM_OK;
}

static gm_err put_json(struct gm_txn *txn, MDB_dbi dbi, MDB_val *k, json_t *value, unsigned fl)
{
    if (!json_is_object(value))
        return GM_EINVAL;
    char *s = json_dumps(value, JSON_COMPACT);
    if (!s)
        return GM_ENOMEM;
    MDB_val v = {strlen(s), s};
    int rc = mdb_put(txn->txn, dbi, k, &v, fl);
    free(s);
    return gm_store_map_err(rc, "ckv put");
}

static gm_err get_json(struct gm_txn *txn, MDB_dbi dbi, MDB_val *k, json_t **value)
{
    MDB_val v;
    int rc = mdb_get(txn->txn, dbi, k, &v);
    if (rc)
        return gm_store_map_err(rc, "ckv get");
    json_t *doc = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    if (!doc)
        return GM_ESTORE;
    *value = doc;
    return GM_OK;
}

static gm_err count_request(struct gm_txn *txn, const char *community, int d)
{
    int64_t at = gm_txn_now(txn);
    gm_err e = d > 0 ? gm_stats_add(txn, community, at, GM_STAT_REQUESTS, 1) : GM_OK;
    return e == GM_OK ? gm_stats_add(txn, community, at, GM_STAT_PENDING, d) : e;
}

gm_err gm_ckv_put(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key, json_t *value)
{
    unsigned char buf[FULL_MAX];
    MDB_val k, old;
    gm_err e = make_key(t, community, key, buf, &k);
    if (e != GM_OK)
        return e;
    int fresh = t == GM_CKV_PENDING && mdb_get(txn->txn, txn->st->dbi[DBI_CKV], &k, &old) != 0;
    e = put_json(txn, txn->st->dbi[DBI_CKV], &k, value, 0);
    if (e == GM_OK && fresh) /* a new follow request: counted in the figures */
        e = count_request(txn, community, 1);
    return e;
}

gm_err gm_ckv_get(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key, json_t **value)
{
    unsigned char buf[FULL_MAX];
    MDB_val k;
    gm_err e = make_key(t, community, key, buf, &k);
    if (e != GM_OK)
        return e == GM_EINVAL ? GM_ENOTFOUND : e;
    return get_json(txn, txn->st->dbi[DBI_CKV], &k, value);
}

gm_err gm_ckv_del(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key)
{
    unsigned char buf[FULL_MAX];
    MDB_val k;
    gm_err e = make_key(t, community, key, buf, &k);
    if (e != GM_OK)
        return e == GM_EINVAL ? GM_ENOTFOUND : e;
    e = gm_store_map_err(mdb_del(txn->txn, txn->st->dbi[DBI_CKV], &k, NULL), "ckv del");
    return e == GM_OK && t == GM_CKV_PENDING ? count_request(txn, community, -1) : e;
}

/* Walk the range of `prefix` from `start` (forward) or from its end backwards; call `fn` for
 * each record until it returns nonzero. */
typedef int (*visit_fn)(const MDB_val *k, size_t plen, const MDB_val *v, void *arg);

static gm_err walk(struct gm_txn *txn, MDB_dbi dbi, const unsigned char *prefix, size_t plen,
                   const MDB_val *start, int backwards, visit_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val k = *start, v;
    int rc = mdb_cursor_open(txn->txn, dbi, &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (backwards) /* start is just past the wanted range: step back from there */
        rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, backwards ? MDB_PREV : MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        if (fn(&k, plen, &v, arg))
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "ckv walk");
}

struct page_arg {
    json_t *page;
    size_t max;
    int logs;
    const MDB_val *skip; /* the `after` key itself is not part of the page */
    gm_err e;
};

static int add_to_page(const MDB_val *k, size_t plen, const MDB_val *v, void *arg)
{
    struct page_arg *pa = arg;
    if (pa->skip && k->mv_size == pa->skip->mv_size &&
        !memcmp(k->mv_data, pa->skip->mv_data, k->mv_size))
        return 0;
    if (json_array_size(pa->page) >= pa->max)
        return 1;
    json_t *value = json_loadb(v->mv_data, v->mv_size, 0, NULL), *item;
    const char *rest = (const char *)k->mv_data + plen;
    size_t rlen = k->mv_size - plen;
    if (pa->logs && rlen == 8)
        item = json_pack("{s:I, s:o}", "seq",
                         (json_int_t)gm_store_from_be64((const unsigned char *)rest), "value",
                         value ? value : json_object());
    else
        item = json_pack("{s:s%, s:o}", "key", rest, rlen, "value", value ? value : json_object());
    if (!item || json_array_append_new(pa->page, item) != 0) {
        pa->e = GM_ENOMEM;
        return 1;
    }
    return 0;
}

gm_err gm_ckv_page(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                   const char *after, size_t max, json_t **page)
{
    unsigned char prefix[PREFIX_MAX], buf[FULL_MAX];
    size_t plen = make_prefix(t, community, prefix);
    MDB_val start = {plen, prefix};
    if (!plen)
        return GM_EINVAL;
    if (after && *after && make_key(t, community, after, buf, &start) != GM_OK)
        return GM_EINVAL;
    struct page_arg pa = {json_array(), max, 0, after && *after ? &start : NULL, GM_OK};
    if (!pa.page)
        return GM_ENOMEM;
    gm_err e = walk(txn, txn->st->dbi[DBI_CKV], prefix, plen, &start, 0, add_to_page, &pa);
    if (e == GM_OK)
        e = pa.e;
    if (e != GM_OK) {
        json_decref(pa.page);
        return e;
    }
    *page = pa.page;
    return GM_OK;
}

static int count_one(const MDB_val *k, size_t plen, const MDB_val *v, void *arg)
{
    (void)k, (void)plen, (void)v;
    ++*(size_t *)arg;
    return 0;
}

gm_err gm_ckv_count(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                    size_t *count)
{
    unsigned char prefix[PREFIX_MAX];
    size_t plen = make_prefix(t, community, prefix), n = 0;
    MDB_val start = {plen, prefix};
    if (!plen)
        return GM_EINVAL;
    gm_err e = walk(txn, txn->st->dbi[DBI_CKV], prefix, plen, &start, 0, count_one, &n);
    if (e == GM_OK)
        *count = n;
    return e;
}

gm_err gm_ckv_drop_community(struct gm_txn *txn, const char *community)
{
    unsigned char prefix[PREFIX_MAX];
    gm_err e = GM_OK;
    for (unsigned t = 0; e == GM_OK && t < GM_CKV_TABLES; t++) {
        size_t plen = make_prefix(t, community, prefix);
        e = plen ? gm_store_drop_prefix(txn, txn->st->dbi[DBI_CKV], prefix, plen) : GM_EINVAL;
    }
    for (unsigned t = 0; e == GM_OK && t < GM_CLOG_TABLES; t++) {
        size_t plen = make_prefix(t, community, prefix);
        e = plen ? gm_store_drop_prefix(txn, txn->st->dbi[DBI_CLOG], prefix, plen) : GM_EINVAL;
    }
    return e;
}

static gm_err log_key(enum gm_clog_table t, const char *community, uint64_t seq,
                      unsigned char *buf, MDB_val *out)
{
    size_t p = make_prefix(t, community, buf);
    if (!p)
        return GM_EINVAL;
    gm_store_be64(seq, buf + p);
    *out = (MDB_val){p + 8, buf};
    return GM_OK;
}

static int last_seq(const MDB_val *k, size_t plen, const MDB_val *v, void *arg)
{
    (void)v;
    if (k->mv_size == plen + 8)
        *(uint64_t *)arg = gm_store_from_be64((const unsigned char *)k->mv_data + plen);
    return 1;
}

gm_err gm_clog_append(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                      json_t *value, uint64_t *seq)
{
    unsigned char end[PREFIX_MAX + 8], buf[PREFIX_MAX + 8];
    MDB_val stop, k;
    uint64_t last = 0;
    gm_err e = log_key(t, community, UINT64_MAX, end, &stop);
    if (e != GM_OK)
        return e;
    size_t plen = stop.mv_size - 8;
    if ((e = walk(txn, txn->st->dbi[DBI_CLOG], end, plen, &stop, 1, last_seq, &last)) != GM_OK)
        return e;
    if ((e = log_key(t, community, last + 1, buf, &k)) != GM_OK)
        return e;
    if ((e = put_json(txn, txn->st->dbi[DBI_CLOG], &k, value, MDB_NOOVERWRITE)) == GM_OK &&
        t == GM_CLOG_REPORTS)
        e = gm_stats_add(txn, community, gm_txn_now(txn), GM_STAT_REPORTS_OPENED, 1);
    if (e == GM_OK && seq)
        *seq = last + 1;
    return e;
}

gm_err gm_clog_get(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                   uint64_t seq, json_t **value)
{
    unsigned char buf[PREFIX_MAX + 8];
    MDB_val k;
    if (log_key(t, community, seq, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    return get_json(txn, txn->st->dbi[DBI_CLOG], &k, value);
}

gm_err gm_clog_update(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                      uint64_t seq, json_t *value)
{
    unsigned char buf[PREFIX_MAX + 8];
    MDB_val k, v;
    if (log_key(t, community, seq, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_CLOG], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "clog get");
    return put_json(txn, txn->st->dbi[DBI_CLOG], &k, value, 0);
}

gm_err gm_clog_page(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                    uint64_t before, size_t max, json_t **page)
{
    unsigned char buf[PREFIX_MAX + 8];
    MDB_val start;
    gm_err e = log_key(t, community, before ? before : UINT64_MAX, buf, &start);
    if (e != GM_OK)
        return e;
    struct page_arg pa = {json_array(), max, 1, NULL, GM_OK};
    if (!pa.page)
        return GM_ENOMEM;
    /* backwards from `before` (exclusive): SET_RANGE lands on it or past it, PREV steps back */
    e = walk(txn, txn->st->dbi[DBI_CLOG], buf, start.mv_size - 8, &start, 1, add_to_page, &pa);
    if (e == GM_OK)
        e = pa.e;
    if (e != GM_OK) {
        json_decref(pa.page);
        return e;
    }
    *page = pa.page;
    return GM_OK;
}
