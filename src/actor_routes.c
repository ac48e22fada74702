/* SPDX-License-Identifier: Apache-2.0
 * actor_routes.c - serve our actors: load the community in a short read transaction, release
 * it, then render. Collections are empty until membership and relaying exist; their counts come
 * from storage so they stay true as those features land. */
#include "gemeinde/actor_routes.h"

#include <stdio.h>
#include <stdlib.h>

#include "gemeinde/actor_json.h"
#include "gemeinde/app.h"
#include "gemeinde/community.h"
#include "gemeinde/html_community.h"
#include "gemeinde/members.h"

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

gm_err gm_actor_get_group(struct gm_app *app, const struct gm_http_req *req,
                          struct gm_http_resp *resp)
{
    struct gm_community *c;
    size_t members = 0;
    gm_err e = load(app, req, resp, &c, &members);
    if (e != GM_OK)
        return e;
    if (gm_http_wants_activity_json(req)) {
        e = gm_http_resp_json(resp, gm_actor_group_json(app, c), GM_AP_CONTENT_TYPE);
    } else {
        char *html;
        size_t len;
        e = gm_html_community_page(app, c, members, &html, &len);
        if (e == GM_OK)
            gm_http_resp_take(resp, html, len, "text/html; charset=utf-8");
    }
    gm_community_free(c);
    return e == GM_OK ? vary_accept(resp) : e;
}

/* A collection that shows its size only (items come with the relay and pinning features;
 * follower lists stay hidden, as Mastodon allows). */
static gm_err counted_collection(struct gm_app *app, const struct gm_http_req *req,
                                 struct gm_http_resp *resp, const char *suffix, int count_members)
{
    struct gm_community *c;
    size_t members = 0;
    gm_err e = load(app, req, resp, &c, count_members ? &members : NULL);
    if (e != GM_OK)
        return e;
    char *id = gm_actor_url(app, c->name, suffix);
    gm_community_free(c);
    if (!id)
        return GM_ENOMEM;
    e = gm_http_resp_json(resp, gm_actor_collection_json(id, members, NULL), GM_AP_CONTENT_TYPE);
    free(id);
    return e;
}

gm_err gm_actor_get_outbox(struct gm_app *app, const struct gm_http_req *req,
                           struct gm_http_resp *resp)
{
    return counted_collection(app, req, resp, "/outbox", 0);
}

gm_err gm_actor_get_followers(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp)
{
    return counted_collection(app, req, resp, "/followers", 1);
}

gm_err gm_actor_get_featured(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp)
{
    return counted_collection(app, req, resp, "/featured", 0);
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
