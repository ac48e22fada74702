/* SPDX-License-Identifier: Apache-2.0
 * community_store.c - communities in LMDB. The public record is a small JSON document keyed by
 * name in "communities"; the private key PEM is kept in "community_keys" so that reading a
 * community for rendering never touches the private key. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/stats_store.h"
#include "store_internal.h"

static MDB_val name_key(const char *name) { return (MDB_val){strlen(name), (void *)name}; }

static gm_err encode(const struct gm_community *c, char **out)
{
    json_t *rules = json_array();
    for (size_t i = 0; rules && i < c->n_rules; i++)
        json_array_append_new(rules, json_string(c->rules[i]));
    json_t *doc = json_pack("{s:i, s:s, s:s, s:s, s:o, s:I, s:s}", "v", 1, "name", c->name,
                            "title", c->title, "summary", c->summary, "rules", rules, "created",
                            (json_int_t)c->created, "public_key_pem",
                            c->public_key_pem ? c->public_key_pem : "");
    json_t *settings = gm_community_settings(c);
    if (!doc || !settings || json_object_update(doc, settings) != 0) {
        json_decref(settings);
        json_decref(doc);
        return GM_ENOMEM;
    }
    json_decref(settings);
    *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return *out ? GM_OK : GM_ENOMEM;
}

static gm_err decode(const MDB_val *v, struct gm_community **out)
{
    json_error_t jerr;
    json_t *doc = json_loadb(v->mv_data, v->mv_size, 0, &jerr);
    const char *name, *title, *summary, *pem;
    json_t *rules;
    json_int_t created;
    struct gm_community *c = NULL;
    gm_err e = GM_ESTORE;
    if (!doc || json_unpack(doc, "{s:s, s:s, s:s, s:o, s:I, s:s}", "name", &name, "title", &title,
                            "summary", &summary, "rules", &rules, "created", &created,
                            "public_key_pem", &pem) != 0)
        goto out;
    if ((e = gm_community_new(name, &c)) != GM_OK)
        goto out;
    c->created = created;
    /* settings sit beside the public fields; absent ones (older records) keep their defaults */
    char err[256];
    if ((e = gm_community_settings_load(c, doc, err, sizeof err)) != GM_OK)
        goto out;
    e = GM_ENOMEM;
    if (gm_community_set_title(c, title) || gm_community_set_summary(c, summary) ||
        !(c->public_key_pem = strdup(pem)))
        goto out;
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        if (json_is_string(rule) && gm_community_add_rule(c, json_string_value(rule)))
            goto out;
    }
    *out = c;
    c = NULL;
    e = GM_OK;
out:
    gm_community_free(c);
    json_decref(doc);
    return e;
}

static gm_err put_record(struct gm_txn *txn, const struct gm_community *c, unsigned flags)
{
    char *json;
    gm_err e = encode(c, &json);
    if (e != GM_OK)
        return e;
    MDB_val k = name_key(c->name), v = {strlen(json), json};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &k, &v, flags);
    free(json);
    return gm_store_map_err(rc, "community put");
}

gm_err gm_community_create(struct gm_txn *txn, const struct gm_community *c,
                           const char *private_key_pem)
{
    gm_err e = put_record(txn, c, MDB_NOOVERWRITE);
    if (e != GM_OK)
        return e;
    MDB_val k = name_key(c->name), v = {strlen(private_key_pem), (void *)private_key_pem};
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_COMMUNITY_KEYS], &k, &v, 0),
                            "community key put");
}

gm_err gm_community_get(struct gm_txn *txn, const char *name, struct gm_community **out)
{
    if (!gm_community_name_valid(name))
        return GM_ENOTFOUND;
    MDB_val k = name_key(name), v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "community get");
    return decode(&v, out);
}

gm_err gm_community_has(struct gm_txn *txn, const char *name)
{
    MDB_val k = name_key(name), v;
    if (!gm_community_name_valid(name))
        return GM_ENOTFOUND;
    return gm_store_map_err(mdb_get(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &k, &v),
                            "community get");
}

gm_err gm_community_exists(struct gm_store *st, const char *name)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_has(txn, name);
    gm_txn_abort(txn);
    return e;
}

gm_err gm_community_update(struct gm_txn *txn, const struct gm_community *c)
{
    MDB_val k = name_key(c->name), v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "community get");
    return put_record(txn, c, 0);
}

gm_err gm_community_delete(struct gm_txn *txn, const char *name)
{
    if (!gm_community_name_valid(name))
        return GM_ENOTFOUND;
    MDB_val k = name_key(name);
    int rc = mdb_del(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &k, NULL);
    if (rc)
        return gm_store_map_err(rc, "community delete");
    rc = mdb_del(txn->txn, txn->st->dbi[DBI_COMMUNITY_KEYS], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return gm_store_map_err(rc, "community key delete");
    /* members, moderators, bans, requests, held posts, figures ... must not pass to a new
     * community of the name */
    gm_err e = gm_store_drop_prefix(txn, txn->st->dbi[DBI_MEMBERS], name, strlen(name) + 1);
    if (e == GM_OK)
        e = gm_ckv_drop_community(txn, name);
    return e == GM_OK ? gm_stats_drop_community(txn, name) : e;
}

void gm_community_names_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

gm_err gm_community_list(struct gm_txn *txn, char ***names, size_t *count)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    char **list = NULL;
    size_t n = 0;
    gm_err e = GM_OK;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char **grown = realloc(list, (n + 1) * sizeof *grown);
        if (!grown || (e = gm_store_copy_str(&k, &grown[n])) != GM_OK) {
            list = grown ? grown : list;
            e = GM_ENOMEM;
            break;
        }
        list = grown;
        n++;
    }
    mdb_cursor_close(cur);
    if (e == GM_OK && rc != MDB_NOTFOUND)
        e = gm_store_map_err(rc, "community list");
    if (e != GM_OK) {
        gm_community_names_free(list, n);
        return e;
    }
    *names = list;
    *count = n;
    return GM_OK;
}

gm_err gm_community_count(struct gm_txn *txn, size_t *count)
{
    MDB_stat stat;
    int rc = mdb_stat(txn->txn, txn->st->dbi[DBI_COMMUNITIES], &stat);
    if (rc)
        return gm_store_map_err(rc, "community stat");
    *count = stat.ms_entries;
    return GM_OK;
}

gm_err gm_community_private_key(struct gm_txn *txn, const char *name, char **pem)
{
    if (!gm_community_name_valid(name))
        return GM_ENOTFOUND;
    MDB_val k = name_key(name), v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_COMMUNITY_KEYS], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "community key get");
    return gm_store_copy_str(&v, pem);
}
