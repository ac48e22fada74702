/* SPDX-License-Identifier: Apache-2.0
 * members_store.c - members in LMDB. Keys are "community NUL actor": community names never
 * contain NUL, so the composite is unambiguous and one community's members are one key range. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/members.h"
#include "gemeinde/stats_store.h"
#include "store_internal.h"

#define KEY_MAX 511

static gm_err make_key(const char *community, const char *actor, char *buf, MDB_val *key)
{
    size_t c = strlen(community), a = strlen(actor);
    if (c + 1 + a > KEY_MAX || !c)
        return GM_EINVAL;
    memcpy(buf, community, c + 1);
    memcpy(buf + c + 1, actor, a);
    *key = (MDB_val){c + 1 + a, buf};
    return GM_OK;
}

void gm_member_free(struct gm_member *m)
{
    if (!m)
        return;
    free(m->actor);
    free(m->inbox);
    free(m->shared_inbox);
    free(m->follow_id);
    free(m);
}

void gm_members_free(struct gm_member **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gm_member_free(list[i]);
    free(list);
}

static gm_err decode(const char *actor, size_t actor_len, const MDB_val *v,
                     struct gm_member **out)
{
    json_t *doc = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    const char *inbox, *shared = NULL, *follow = NULL;
    json_int_t since;
    struct gm_member *m = NULL;
    gm_err e = GM_ESTORE;
    if (!doc || json_unpack(doc, "{s:s, s?s, s?s, s:I}", "inbox", &inbox, "shared_inbox",
                            &shared, "follow_id", &follow, "since", &since) != 0)
        goto out;
    e = GM_ENOMEM;
    if (!(m = calloc(1, sizeof *m)) || !(m->actor = strndup(actor, actor_len)) ||
        !(m->inbox = strdup(inbox)) || (shared && !(m->shared_inbox = strdup(shared))) ||
        (follow && !(m->follow_id = strdup(follow))))
        goto out;
    m->since = since;
    *out = m;
    m = NULL;
    e = GM_OK;
out:
    gm_member_free(m);
    json_decref(doc);
    return e;
}

gm_err gm_member_get(struct gm_txn *txn, const char *community, const char *actor,
                     struct gm_member **out)
{
    char buf[KEY_MAX + 1];
    MDB_val k, v;
    if (make_key(community, actor, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_MEMBERS], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "member get");
    return out ? decode(actor, strlen(actor), &v, out) : GM_OK;
}

/* The figures follow every change of membership (stats_store.h), at the transaction's time. */
static gm_err count_member(struct gm_txn *txn, const char *community, const char *actor, int d)
{
    int64_t at = gm_txn_now(txn);
    gm_err e = gm_stats_add(txn, community, at, d > 0 ? GM_STAT_MEMBERS_GAINED : GM_STAT_MEMBERS_LOST, 1);
    if (e == GM_OK)
        e = gm_stats_add(txn, community, at, GM_STAT_MEMBERS, d);
    if (e == GM_OK)
        e = gm_stats_host_add(txn, community, actor, d);
    return e == GM_EINVAL ? GM_OK : e;
}

gm_err gm_member_put(struct gm_txn *txn, const char *community, const struct gm_member *m)
{
    char buf[KEY_MAX + 1];
    MDB_val k, v;
    gm_err e = make_key(community, m->actor, buf, &k);
    if (e != GM_OK)
        return e;
    int64_t since = m->since;
    int fresh = 1;
    if (mdb_get(txn->txn, txn->st->dbi[DBI_MEMBERS], &k, &v) == 0) {
        fresh = 0;
        json_t *old = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        json_int_t s = json_integer_value(json_object_get(old, "since"));
        if (s > 0)
            since = s;
        json_decref(old);
    }
    json_t *doc = json_pack("{s:s, s:s*, s:s*, s:I}", "inbox", m->inbox, "shared_inbox",
                            m->shared_inbox, "follow_id", m->follow_id, "since",
                            (json_int_t)since);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    v = (MDB_val){strlen(s), s};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_MEMBERS], &k, &v, 0);
    free(s);
    e = gm_store_map_err(rc, "member put");
    return e == GM_OK && fresh ? count_member(txn, community, m->actor, 1) : e;
}

gm_err gm_member_delete(struct gm_txn *txn, const char *community, const char *actor)
{
    char buf[KEY_MAX + 1];
    MDB_val k;
    if (make_key(community, actor, buf, &k) != GM_OK)
        return GM_ENOTFOUND;
    gm_err e = gm_store_map_err(mdb_del(txn->txn, txn->st->dbi[DBI_MEMBERS], &k, NULL),
                                "member delete");
    return e == GM_OK ? count_member(txn, community, actor, -1) : e;
}

/* Walk one community's key range from the first actor after `after` (NULL: the start),
 * collecting up to `max` members into *list (NULL: only count them). */
static gm_err walk(struct gm_txn *txn, const char *community, const char *after, size_t max,
                   struct gm_member ***list, size_t *count)
{
    char start[KEY_MAX + 1];
    size_t clen = strlen(community) + 1, n = 0;
    MDB_cursor *cur;
    MDB_val k = {clen, (void *)community}, v;
    if (after && make_key(community, after, start, &k) != GM_OK)
        return GM_EINVAL;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_MEMBERS], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    gm_err e = GM_OK;
    struct gm_member **out = NULL;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && after && k.mv_size == clen + strlen(after) &&
        !memcmp((const char *)k.mv_data + clen, after, strlen(after)))
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT); /* strictly after */
    for (; rc == 0 && n < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < clen || memcmp(k.mv_data, community, clen) != 0)
            break;
        if (list) {
            struct gm_member **grown = realloc(out, (n + 1) * sizeof *grown);
            if (!grown) {
                e = GM_ENOMEM;
                break;
            }
            out = grown;
            e = decode((const char *)k.mv_data + clen, k.mv_size - clen, &v, &out[n]);
            if (e != GM_OK)
                break;
        }
        n++;
    }
    mdb_cursor_close(cur);
    if (e == GM_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = gm_store_map_err(rc, "member list");
    if (e != GM_OK) {
        gm_members_free(out, n);
        return e;
    }
    if (list)
        *list = out;
    *count = n;
    return GM_OK;
}

gm_err gm_member_list(struct gm_txn *txn, const char *community, struct gm_member ***out,
                      size_t *count)
{
    return walk(txn, community, NULL, SIZE_MAX, out, count);
}

gm_err gm_member_page(struct gm_txn *txn, const char *community, const char *after, size_t max,
                      struct gm_member ***out, size_t *count)
{
    return walk(txn, community, after, max, out, count);
}

gm_err gm_member_count(struct gm_txn *txn, const char *community, size_t *count)
{
    return walk(txn, community, NULL, SIZE_MAX, NULL, count);
}
