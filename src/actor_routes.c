/* SPDX-License-Identifier: Apache-2.0
 * actor_routes.c - serve our actors: load the community in a short read transaction, release
 * it, then render. Collections come from storage: the outbox (paged), the members
 * (a count, and the list when the community shows it), the pinned posts (featured). */
#include "gemeinde/actor_routes.h"
#include "gemeinde/stats_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/actor_json.h"
#include "gemeinde/app.h"
#include "gemeinde/community.h"
#include "gemeinde/html_community.h"
#include "gemeinde/members.h"
#include "gemeinde/pins.h"
#include "gemeinde/relay_store.h"

/* The community named by the path, and its member count (members may be NULL). */
static gm_err load(struct gm_app *app, const struct gm_http_req *req, struct gm_http_resp *resp,
                   struct gm_community **out, size_t *members)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_get(txn, req->param, out);
    if (e == GM_OK && members && (e = gm_member_count(txn, req->param, members)) != GM_OK)
        gm_community_free(*out);
    gm_txn_abort(txn);
    if (e == GM_ENOTFOUND)
        resp->error = "no such community";
    return e;
}

static gm_err vary_accept(struct gm_http_resp *resp)
{
    return gm_http_resp_header(resp, "Vary", "Accept");
}

/* The page for browsers: the member count from the figures (no scan of the members), the
 * recent posts sanitized, and a policy that allows no script at all. */
static gm_err community_page(struct gm_app *app, const struct gm_community *c,
                             struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    uint64_t levels[GM_STAT_COUNT];
    json_t *posts = NULL;
    char *html;
    size_t len;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_stats_levels(txn, c->name, levels);
    if (e == GM_OK)
        e = gm_html_community_posts(txn, c->name, GM_HTML_RECENT_POSTS, &posts);
    gm_txn_abort(txn);
    if (e == GM_OK)
        e = gm_html_community_page(app, c, (size_t)levels[GM_STAT_MEMBERS], posts, &html, &len);
    json_decref(posts);
    if (e != GM_OK)
        return e;
    gm_http_resp_take(resp, html, len, "text/html; charset=utf-8");
    e = gm_http_resp_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    return e == GM_OK ? gm_http_resp_header(resp, "X-Content-Type-Options", "nosniff") : e;
}

gm_err gm_actor_get_group(struct gm_app *app, const struct gm_http_req *req,
                          struct gm_http_resp *resp)
{
    struct gm_community *c;
    gm_err e = load(app, req, resp, &c, NULL);
    if (e != GM_OK)
        return e;
    if (gm_http_wants_activity_json(req))
        e = gm_http_resp_json(resp, gm_actor_group_json(app, c), GM_AP_CONTENT_TYPE);
    else
        e = community_page(app, c, resp);
    gm_community_free(c);
    return e == GM_OK ? vary_accept(resp) : e;
}

/* A positive decimal number, or 0. */
static uint64_t parse_seq(const char *s)
{
    char *end;
    if (!s || !*s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    return errno || *end ? 0 : (uint64_t)v;
}

static json_t *outbox_page(struct gm_txn *txn, const char *community, const char *base,
                           uint64_t before)
{
    char **items = NULL, id[700], next[700];
    uint64_t seqs[GM_OUTBOX_PAGE];
    size_t n = 0;
    if (gm_outbox_page(txn, community, before, GM_OUTBOX_PAGE, &items, seqs, &n) != GM_OK)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, json_loads(items[i], 0, NULL));
    gm_outbox_items_free(items, n);
    if (before)
        snprintf(id, sizeof id, "%s?before=%llu", base, (unsigned long long)before);
    else
        snprintf(id, sizeof id, "%s?page=true", base);
    snprintf(next, sizeof next, "%s?before=%llu", base, (unsigned long long)(n ? seqs[n - 1] : 0));
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s*}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type",
                     "OrderedCollectionPage", "partOf", base, "orderedItems", list, "next",
                     n == GM_OUTBOX_PAGE && seqs[n - 1] > 1 ? next : NULL);
}

gm_err gm_actor_get_outbox(struct gm_app *app, const struct gm_http_req *req,
                           struct gm_http_resp *resp)
{
    struct gm_community *c;
    struct gm_txn *txn;
    size_t total = 0;
    gm_err e = load(app, req, resp, &c, NULL);
    if (e != GM_OK)
        return e;
    char *base = gm_actor_url(app, c->name, "/outbox");
    gm_community_free(c);
    if (!base || (e = gm_txn_begin(app->st, false, &txn)) != GM_OK) {
        free(base);
        return base ? e : GM_ENOMEM;
    }
    const char *page = gm_http_req_query(req, "page");
    uint64_t before = parse_seq(gm_http_req_query(req, "before"));
    json_t *doc;
    if (before || (page && !strcmp(page, "true"))) {
        doc = outbox_page(txn, req->param, base, before);
    } else if ((e = gm_outbox_count(txn, req->param, &total)) == GM_OK) {
        char first[720];
        snprintf(first, sizeof first, "%s?page=true", base);
        doc = gm_actor_collection_json(base, total, NULL);
        if (doc && total)
            json_object_set_new(doc, "first", json_string(first));
    } else {
        doc = NULL;
    }
    gm_txn_abort(txn);
    free(base);
    return e == GM_OK ? gm_http_resp_json(resp, doc, GM_AP_CONTENT_TYPE) : e;
}

gm_err gm_actor_get_announce(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    char *json = NULL;
    uint64_t seq = parse_seq(req->param2);
    gm_err e = seq ? gm_txn_begin(app->st, false, &txn) : GM_ENOTFOUND;
    if (e == GM_OK) {
        e = gm_outbox_get(txn, req->param, seq, &json);
        gm_txn_abort(txn);
    }
    if (e == GM_ENOTFOUND)
        resp->error = "no such announce";
    if (e != GM_OK)
        return e;
    gm_http_resp_take(resp, json, strlen(json), GM_AP_CONTENT_TYPE);
    return GM_OK;
}

static uint64_t parse_seq(const char *s);

#define FOLLOWERS_PAGE 50

/* Page `page` (1-based) of a visible follower list: the members' actor ids. */
static json_t *followers_page(struct gm_txn *txn, const char *community, const char *base,
                              uint64_t page, size_t total)
{
    struct gm_member **m = NULL;
    size_t n = 0;
    char id[720], next[720];
    if (gm_member_list(txn, community, &m, &n) != GM_OK)
        return NULL;
    json_t *items = json_array();
    size_t from = (size_t)(page - 1) * FOLLOWERS_PAGE;
    for (size_t i = from; items && i < n && i < from + FOLLOWERS_PAGE; i++)
        json_array_append_new(items, json_string(m[i]->actor));
    gm_members_free(m, n);
    snprintf(id, sizeof id, "%s?page=%llu", base, (unsigned long long)page);
    snprintf(next, sizeof next, "%s?page=%llu", base, (unsigned long long)page + 1);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s*}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type",
                     "OrderedCollectionPage", "partOf", base, "totalItems", (json_int_t)total,
                     "orderedItems", items, "next", from + FOLLOWERS_PAGE < total ? next : NULL);
}

/* The member count always; the list itself only when the community made it visible. */
gm_err gm_actor_get_followers(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp)
{
    struct gm_community *c;
    struct gm_txn *txn;
    size_t total = 0;
    gm_err e = load(app, req, resp, &c, &total);
    if (e != GM_OK)
        return e;
    int visible = c->followers_visible;
    char *base = gm_actor_url(app, c->name, "/followers");
    gm_community_free(c);
    uint64_t page = parse_seq(gm_http_req_query(req, "page"));
    if (!base || (e = gm_txn_begin(app->st, false, &txn)) != GM_OK) {
        free(base);
        return base ? e : GM_ENOMEM;
    }
    json_t *doc;
    if (visible && page) {
        doc = followers_page(txn, req->param, base, page, total);
    } else {
        char first[720];
        snprintf(first, sizeof first, "%s?page=1", base);
        doc = gm_actor_collection_json(base, total, NULL);
        if (doc && visible && total)
            json_object_set_new(doc, "first", json_string(first));
    }
    gm_txn_abort(txn);
    free(base);
    return gm_http_resp_json(resp, doc, GM_AP_CONTENT_TYPE);
}

/* The pinned posts, newest first, by id. */
gm_err gm_actor_get_featured(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp)
{
    struct gm_community *c;
    struct gm_txn *txn;
    json_t *pins = NULL, *items = json_array(), *pin;
    size_t i;
    gm_err e = items ? load(app, req, resp, &c, NULL) : GM_ENOMEM;
    if (e != GM_OK) {
        json_decref(items);
        return e;
    }
    char *id = gm_actor_url(app, c->name, "/featured");
    gm_community_free(c);
    if (!id)
        e = GM_ENOMEM;
    else if ((e = gm_txn_begin(app->st, false, &txn)) == GM_OK) {
        e = gm_pin_list(txn, req->param, &pins);
        gm_txn_abort(txn);
    }
    json_array_foreach(pins, i, pin)
    {
        if (json_array_append(items, json_object_get(pin, "object")) != 0)
            e = GM_ENOMEM;
    }
    json_decref(pins);
    if (e == GM_OK)
        e = gm_http_resp_json(resp, gm_actor_collection_json(id, json_array_size(items), items),
                              GM_AP_CONTENT_TYPE);
    else
        json_decref(items);
    free(id);
    return e;
}

gm_err gm_actor_get_instance(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp)
{
    return gm_http_resp_json(resp, gm_actor_instance_json(app), GM_AP_CONTENT_TYPE);
}

gm_err gm_actor_get_instance_outbox(struct gm_app *app, const struct gm_http_req *req,
                                    struct gm_http_resp *resp)
{
    char id[600];
    snprintf(id, sizeof id, "%s/actor/outbox", app->base_url);
    return gm_http_resp_json(resp, gm_actor_collection_json(id, 0, NULL), GM_AP_CONTENT_TYPE);
}
