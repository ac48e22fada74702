/* SPDX-License-Identifier: Apache-2.0
 * community_pages.c - the moderators collection and the rules page. Everything rendered into
 * HTML is escaped; the page has inline CSS only, no scripts and no external resources. */
#include "gemeinde/community_pages.h"

#include <stdlib.h>
#include <string.h>

#include "gemeinde/actor_json.h"
#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"

#define MODERATORS_MAX 1000

static gm_err load(struct gm_app *app, const struct gm_http_req *req, struct gm_http_resp *resp,
                   struct gm_community **c, json_t **mods)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_get(txn, req->param, c);
    if (e == GM_OK && mods &&
        (e = gm_ckv_page(txn, GM_CKV_MODERATORS, req->param, NULL, MODERATORS_MAX, mods)) != GM_OK)
        gm_community_free(*c);
    gm_txn_abort(txn);
    if (e == GM_ENOTFOUND)
        resp->error = "no such community";
    return e;
}

gm_err gm_community_get_moderators(struct gm_app *app, const struct gm_http_req *req,
                                   struct gm_http_resp *resp)
{
    struct gm_community *c = NULL;
    json_t *page = NULL, *items = json_array(), *item;
    size_t i;
    gm_err e = items ? load(app, req, resp, &c, &page) : GM_ENOMEM;
    if (e != GM_OK) {
        json_decref(items);
        return e;
    }
    json_array_foreach(page, i, item) json_array_append(items, json_object_get(item, "key"));
    json_decref(page);
    char *id = gm_actor_url(app, c->name, "/moderators");
    gm_community_free(c);
    if (!id) {
        json_decref(items);
        return GM_ENOMEM;
    }
    e = gm_http_resp_json(resp, gm_actor_collection_json(id, json_array_size(items), items),
                          GM_AP_CONTENT_TYPE);
    free(id);
    return e;
}

static const char style[] =
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d1d1f;background:#fafafa}li{margin:.4rem 0}footer{color:#777;font-size:.85rem}";

static gm_err rules_html(struct gm_app *app, const struct gm_community *c,
                         struct gm_http_resp *resp)
{
    struct gm_buf b;
    char *html;
    size_t len;
    gm_buf_init(&b, 512 * 1024);
    gm_buf_puts(&b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>Rules of ");
    gm_buf_put_html(&b, c->title);
    gm_buf_printf(&b, "</title><style>%s</style></head><body><h1>Rules of ", style);
    gm_buf_put_html(&b, c->title);
    gm_buf_puts(&b, "</h1>");
    if (!c->n_rules)
        gm_buf_puts(&b, "<p>This community has not written down any rules yet.</p>");
    gm_buf_puts(&b, "<ol>");
    for (size_t i = 0; i < c->n_rules; i++) {
        gm_buf_puts(&b, "<li>");
        gm_buf_put_html(&b, c->rules[i]);
        gm_buf_puts(&b, "</li>");
    }
    gm_buf_printf(&b, "</ol><p>Joining: %s. Posting: %s%s.</p><footer><a href=\"%s/c/",
                  c->join == GM_JOIN_APPROVAL ? "a moderator approves each request" : "open to all",
                  c->posting == GM_POST_MODERATORS ? "moderators only"
                  : c->posting == GM_POST_ANYONE   ? "anyone may post"
                                                   : "members may post",
                  c->premoderation ? ", every post is reviewed first" : "", app->base_url);
    gm_buf_put_html(&b, c->name);
    gm_buf_puts(&b, "\">Back to the community</a> · <a href=\"modlog\">Moderation log</a>"
                    "</footer></body></html>");
    gm_err e = gm_buf_take(&b, &html, &len);
    if (e == GM_OK)
        gm_http_resp_take(resp, html, len, "text/html; charset=utf-8");
    return e;
}

gm_err gm_community_get_rules(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp)
{
    struct gm_community *c = NULL;
    gm_err e = load(app, req, resp, &c, NULL);
    if (e != GM_OK)
        return e;
    if ((e = gm_http_resp_header(resp, "Vary", "Accept")) == GM_OK) {
        if (!gm_http_wants_activity_json(req)) {
            e = rules_html(app, c, resp);
        } else {
            json_t *rules = json_array(), *settings = gm_community_settings(c);
            for (size_t i = 0; rules && i < c->n_rules; i++)
                json_array_append_new(rules, json_string(c->rules[i]));
            e = gm_http_resp_json(
                resp,
                json_pack("{s:s, s:s, s:o, s:O, s:O, s:O}", "name", c->name, "title", c->title,
                          "rules", rules, "join", json_object_get(settings, "join"), "posting",
                          json_object_get(settings, "posting"), "premoderation",
                          json_object_get(settings, "premoderation")),
                "application/json");
            json_decref(settings);
        }
    }
    gm_community_free(c);
    return e;
}
