/* SPDX-License-Identifier: Apache-2.0
 * api_communities.c - admin API handlers for communities: list, show (record, settings,
 * member count), edit (PATCH, through gm_mod_community_edit as `community set`), members (pages,
 * removal through gm_mod_member_remove as `members --remove`) and the moderation log with its
 * private notes (the admin view of /c/NAME/modlog). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "gemeinde/community.h"
#include "gemeinde/members.h"
#include "gemeinde/moderation.h"
#include "gemeinde/modlog.h"
#include "gemeinde/timefmt.h"

#define MEMBERS_PAGE 100
#define MEMBERS_PAGE_MAX 1000
#define MODLOG_PAGE 50
#define MODLOG_PAGE_MAX 500

static json_t *community_url(const struct gm_app *app, const char *name)
{
    size_t n = strlen(app->base_url) + strlen(name) + 4;
    char *url = malloc(n);
    if (!url)
        return NULL;
    snprintf(url, n, "%s/c/%s", app->base_url, name);
    json_t *s = json_string(url);
    free(url);
    return s;
}

/* The full view of community `name`: its record and settings, url and member count.
 * GM_OK: *doc is a new reference. */
static gm_err community_doc(struct gm_app *app, const char *name, json_t **doc)
{
    struct gm_txn *txn;
    struct gm_community *c = NULL;
    size_t members = 0;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_get(txn, name, &c)) == GM_OK)
        e = gm_member_count(txn, name, &members);
    gm_txn_abort(txn);
    json_t *d = e == GM_OK ? gm_community_json(c, app->host) : NULL;
    if (e == GM_OK && (!d || json_object_set_new(d, "url", community_url(app, name)) ||
                       json_object_set_new(d, "members", json_integer((json_int_t)members))))
        e = GM_ENOMEM;
    gm_community_free(c);
    if (e != GM_OK) {
        json_decref(d);
        return e;
    }
    *doc = d;
    return GM_OK;
}

/* One summary line of community `name` in `txn`. New reference or NULL. */
static json_t *community_summary(struct gm_app *app, struct gm_txn *txn, const char *name)
{
    struct gm_community *c;
    size_t members = 0;
    if (gm_community_get(txn, name, &c) != GM_OK)
        return NULL;
    json_t *s = gm_member_count(txn, name, &members) == GM_OK
                    ? json_pack("{s:s, s:s, s:o, s:I}", "name", c->name, "title", c->title, "url",
                                community_url(app, name), "members", (json_int_t)members)
                    : NULL;
    gm_community_free(c);
    return s;
}

gm_err gm_api_communities_list(struct gm_api_call *call)
{
    struct gm_txn *txn;
    char **names;
    size_t n;
    gm_err e = gm_txn_begin(call->app->st, false, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_list(txn, &names, &n)) != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        json_t *one = community_summary(call->app, txn, names[i]);
        if (!one || json_array_append_new(list, one) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    gm_txn_abort(txn);
    gm_community_names_free(names, n);
    return gm_api_reply(call, list ? json_pack("{s:o}", "communities", list) : NULL);
}

gm_err gm_api_community_get(struct gm_api_call *call)
{
    json_t *doc;
    gm_err e = community_doc(call->app, call->param[0], &doc);
    return e == GM_OK ? gm_api_reply(call, doc) : e;
}

/* title, summary and rules[] of a PATCH body. */
static gm_err patch_record(struct gm_community *c, const char *key, json_t *v, char *err,
                           size_t errlen)
{
    if (strcmp(key, "rules") != 0) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "%s: a string is needed", key);
            return GM_EINVAL;
        }
        return !strcmp(key, "title") ? gm_community_set_title(c, json_string_value(v))
                                     : gm_community_set_summary(c, json_string_value(v));
    }
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        if (!json_is_string(json_array_get(v, i)))
            n = GM_RULES_MAX + 1;
    }
    if (!json_is_array(v) || n > GM_RULES_MAX) {
        snprintf(err, errlen, "rules: an array of at most %d strings", GM_RULES_MAX);
        return GM_EINVAL;
    }
    gm_community_clear_rules(c);
    for (size_t i = 0; i < n; i++) {
        gm_err e = gm_community_add_rule(c, json_string_value(json_array_get(v, i)));
        if (e != GM_OK)
            return e;
    }
    return GM_OK;
}

/* "settings": {name: value, ...} */
static gm_err patch_settings(struct gm_community *c, json_t *settings, char *err, size_t errlen)
{
    const char *name;
    json_t *value;
    if (!json_is_object(settings)) {
        snprintf(err, errlen, "settings: an object of settings by name");
        return GM_EINVAL;
    }
    json_object_foreach(settings, name, value)
    {
        gm_err e = gm_community_setting_json(c, name, value, err, errlen);
        if (e != GM_OK)
            return e;
    }
    return GM_OK;
}

/* The edit step of PATCH: record fields, settings by name at the top level or in "settings",
 * each through the code `community set` uses. */
static gm_err apply_patch(struct gm_community *c, void *arg, char *err, size_t errlen)
{
    json_t *body = arg, *v, *known = gm_community_settings(c);
    const char *key;
    gm_err e = known ? GM_OK : GM_ENOMEM;
    json_object_foreach(body, key, v)
    {
        if (e != GM_OK)
            break;
        if (!strcmp(key, "title") || !strcmp(key, "summary") || !strcmp(key, "rules")) {
            e = patch_record(c, key, v, err, errlen);
        } else if (!strcmp(key, "settings")) {
            e = patch_settings(c, v, err, errlen);
        } else if (json_object_get(known, key)) {
            e = gm_community_setting_json(c, key, v, err, errlen);
        } else {
            snprintf(err, errlen,
                     "unknown field '%.64s' (title, summary, rules, settings or a "
                     "setting name)",
                     key);
            e = GM_EINVAL;
        }
    }
    json_decref(known);
    return e;
}

gm_err gm_api_community_patch(struct gm_api_call *call)
{
    json_t *changed = NULL, *doc = NULL;
    gm_err e = gm_mod_community_edit(call->app->st, call->param[0], apply_patch, call->body,
                                     GM_API_MODERATOR, &changed, call->err, sizeof call->err);
    if (e == GM_OK)
        e = community_doc(call->app, call->param[0], &doc);
    if (e != GM_OK) {
        json_decref(changed);
        return e;
    }
    return gm_api_reply(call, json_pack("{s:o, s:o}", "changed", changed, "community", doc));
}

static json_t *member_json(const struct gm_member *m)
{
    char since[32];
    gm_time_format(m->since, since, sizeof since);
    return json_pack("{s:s, s:s, s:s*, s:s*, s:s}", "actor", m->actor, "inbox", m->inbox,
                     "shared_inbox", m->shared_inbox, "follow_id", m->follow_id, "since", since);
}

gm_err gm_api_members_list(struct gm_api_call *call)
{
    struct gm_txn *txn;
    struct gm_member **m = NULL;
    size_t n = 0, total = 0;
    unsigned long long limit;
    const char *after = gm_http_req_query(call->req, "after");
    gm_err e = gm_api_query_uint(call, "limit", MEMBERS_PAGE, 1, MEMBERS_PAGE_MAX, &limit);
    if (e != GM_OK || (e = gm_txn_begin(call->app->st, false, &txn)) != GM_OK)
        return e;
    e = gm_member_page(txn, call->param[0], after && *after ? after : NULL, limit + 1, &m, &n);
    if (e == GM_OK)
        e = gm_member_count(txn, call->param[0], &total);
    gm_txn_abort(txn);
    json_t *list = json_array();
    for (size_t i = 0; e == GM_OK && i < n && i < limit; i++)
        if (!list || json_array_append_new(list, member_json(m[i])) != 0)
            e = GM_ENOMEM;
    json_t *next = n > limit ? json_string(m[limit - 1]->actor) : json_null();
    gm_members_free(m, n);
    if (e != GM_OK) {
        json_decref(list);
        json_decref(next);
        return e;
    }
    return gm_api_reply(call, json_pack("{s:o, s:o, s:I}", "members", list, "next", next, "total",
                                        (json_int_t)total));
}

gm_err gm_api_member_remove(struct gm_api_call *call)
{
    const char *actor = gm_http_req_query(call->req, "actor");
    const char *which = "member";
    if (!actor || !*actor)
        return gm_api_fail(call, GM_EINVAL, "actor: the member's actor id is needed (?actor=URL)");
    gm_err e = gm_mod_member_remove(call->app->st, call->param[0], actor, GM_API_MODERATOR, &which);
    if (e == GM_ENOTFOUND)
        return gm_api_fail(call, e, "%s",
                           !strcmp(which, "member") ? "not a member" : "no such community");
    return e == GM_OK ? gm_api_reply(call, json_pack("{s:s}", "removed", actor)) : e;
}

static json_t *entry_json(const struct gm_modlog_entry *e)
{
    char at[32];
    gm_time_format(e->at, at, sizeof at);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->seq, "at", at,
                     "scope", e->community[0] ? "community" : "node", "moderator", e->moderator,
                     "action", e->action, "target", e->target, "public_reason", e->public_reason,
                     "private_note", e->private_note);
}

/* Newest first, ?before=ID&limit=N; node-wide entries only on /modlog, a community's and the
 * node-wide ones on /communities/NAME/modlog. */
gm_err gm_api_modlog_list(struct gm_api_call *call)
{
    struct gm_txn *txn;
    struct gm_modlog_entry **list = NULL;
    size_t n = 0;
    unsigned long long before, limit;
    const char *community = call->param[0] ? call->param[0] : "";
    gm_err e = gm_api_query_uint(call, "limit", MODLOG_PAGE, 1, MODLOG_PAGE_MAX, &limit);
    if (e == GM_OK)
        e = gm_api_query_uint(call, "before", 0, 0, 1000000000000000ULL, &before);
    if (e != GM_OK || (e = gm_txn_begin(call->app->st, false, &txn)) != GM_OK)
        return e;
    e = gm_modlog_page(txn, community, before, limit, &list, &n);
    gm_txn_abort(txn);
    json_t *entries = json_array();
    for (size_t i = 0; e == GM_OK && i < n; i++)
        if (!entries || json_array_append_new(entries, entry_json(list[i])) != 0)
            e = GM_ENOMEM;
    json_t *next = n == limit && n ? json_integer((json_int_t)list[n - 1]->seq) : json_null();
    gm_modlog_entries_free(list, n);
    if (e != GM_OK) {
        json_decref(entries);
        json_decref(next);
        return e;
    }
    return gm_api_reply(call, json_pack("{s:o, s:o}", "entries", entries, "next_before", next));
}
