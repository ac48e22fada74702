/* SPDX-License-Identifier: Apache-2.0
 * modlog_store.c - the moderation log: one table keyed by a big-endian sequence number (the
 * next is the last + 1), each entry a small JSON record. A community's page walks backwards
 * from the newest and keeps its own and the node-wide entries. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/modlog.h"
#include "gemeinde/stats_store.h"
#include "store_internal.h"

#define SCAN_MAX 100000 /* entries looked at for one page, at most */

void gm_modlog_entry_free(struct gm_modlog_entry *e)
{
    if (!e)
        return;
    free(e->community);
    free(e->moderator);
    free(e->action);
    free(e->target);
    free(e->public_reason);
    free(e->private_note);
    free(e);
}

void gm_modlog_entries_free(struct gm_modlog_entry **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gm_modlog_entry_free(list[i]);
    free(list);
}

static const char *or_empty(const char *s) { return s ? s : ""; }

gm_err gm_modlog_append(struct gm_txn *txn, const struct gm_modlog_entry *e)
{
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned char key[8];
    uint64_t seq = 1;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_MODLOG], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
        seq = gm_store_from_be64(k.mv_data) + 1;
    mdb_cursor_close(cur);
    json_t *doc = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "at", (json_int_t)e->at,
                            "community", or_empty(e->community), "moderator",
                            or_empty(e->moderator), "action", or_empty(e->action), "target",
                            or_empty(e->target), "public_reason", or_empty(e->public_reason),
                            "private_note", or_empty(e->private_note));
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    gm_store_be64(seq, key);
    k = (MDB_val){8, key};
    v = (MDB_val){strlen(s), s};
    rc = mdb_put(txn->txn, txn->st->dbi[DBI_MODLOG], &k, &v, MDB_APPEND);
    free(s);
    gm_err err = gm_store_map_err(rc, "modlog put");
    if (err == GM_OK && e->community && *e->community) /* the community's figures count it */
        err = gm_stats_add(txn, e->community, e->at, GM_STAT_MOD_ACTIONS, 1);
    return err == GM_EINVAL ? GM_OK : err;
}

static struct gm_modlog_entry *decode(const MDB_val *k, const MDB_val *v)
{
    json_t *doc = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    struct gm_modlog_entry *e = calloc(1, sizeof *e);
    if (!doc || !e || k->mv_size != 8)
        goto fail;
    e->seq = gm_store_from_be64(k->mv_data);
    e->at = json_integer_value(json_object_get(doc, "at"));
    char **slots[] = {&e->community, &e->moderator, &e->action, &e->target, &e->public_reason,
                      &e->private_note};
    static const char *const names[] = {"community", "moderator", "action", "target",
                                        "public_reason", "private_note"};
    for (size_t i = 0; i < 6; i++)
        if (!(*slots[i] = strdup(or_empty(json_string_value(json_object_get(doc, names[i]))))))
            goto fail;
    json_decref(doc);
    return e;
fail:
    gm_modlog_entry_free(e);
    json_decref(doc);
    return NULL;
}

gm_err gm_modlog_add(struct gm_txn *txn, int64_t at, const char *community, const char *moderator,
                     const char *action, const char *target, const char *public_reason,
                     const char *private_note)
{
    struct gm_modlog_entry e = {.at = at, .community = (char *)community,
                                .moderator = (char *)moderator, .action = (char *)action,
                                .target = (char *)target, .public_reason = (char *)public_reason,
                                .private_note = (char *)private_note};
    return gm_modlog_append(txn, &e);
}

gm_err gm_modlog_page(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                      struct gm_modlog_entry ***list, size_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned char key[8];
    struct gm_modlog_entry **out = calloc(max ? max : 1, sizeof *out);
    size_t got = 0, scanned = 0;
    gm_err e = out ? GM_OK : GM_ENOMEM;
    int rc = e == GM_OK ? mdb_cursor_open(txn->txn, txn->st->dbi[DBI_MODLOG], &cur) : 0;
    if (rc)
        e = gm_store_map_err(rc, "cursor");
    if (e != GM_OK) {
        free(out);
        return e;
    }
    if (before) {
        gm_store_be64(before, key);
        k = (MDB_val){8, key};
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                     : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    }
    for (; rc == 0 && got < max && scanned++ < SCAN_MAX;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        struct gm_modlog_entry *entry = decode(&k, &v);
        if (!entry) {
            e = GM_ESTORE;
            break;
        }
        if (entry->community[0] && strcmp(entry->community, community) != 0) {
            gm_modlog_entry_free(entry);
            continue;
        }
        out[got++] = entry;
    }
    mdb_cursor_close(cur);
    if (e != GM_OK) {
        gm_modlog_entries_free(out, got);
        return e;
    }
    *list = out;
    *n = got;
    return GM_OK;
}
