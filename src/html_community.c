/* SPDX-License-Identifier: Apache-2.0
 * html_community.c - the public community page: a small self-contained HTML document (inline
 * CSS, no scripts, no external resources) that tells a visitor what the community is and how to
 * follow it from Mastodon or another fediverse app. */
#include "gemeinde/html_community.h"

#include <stdlib.h>
#include <string.h>

#include "gemeinde/actor_json.h"
#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"
#include "gemeinde/html_sanitize.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/as_ref.h"

static const char style[] =
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d1d1f;background:#fafafa}h1{margin-bottom:.2rem}.handle{color:#555;"
    "font-family:monospace;font-size:1.05rem}section{background:#fff;border:1px solid #ddd;"
    "border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}code{background:#eef;padding:0 .3rem}"
    ".about{white-space:pre-line}footer{color:#777;font-size:.85rem}article{border-top:1px solid "
    "#eee;padding:.6rem 0;overflow-wrap:anywhere}article:first-of-type{border-top:0}"
    "article h3{margin:.2rem 0;font-size:1.05rem}.meta{color:#666;font-size:.85rem}"
    "blockquote{border-left:3px solid #ccd;margin:0;padding-left:.8rem}pre{overflow-x:auto}";

static void put_follow_help(struct gm_buf *b, const struct gm_community *c, const char *host)
{
    gm_buf_puts(b, "<section><h2>How to join</h2><ol><li>In Mastodon (or any fediverse app), "
                   "search for <code>@");
    gm_buf_put_html(b, c->name);
    gm_buf_puts(b, "@");
    gm_buf_put_html(b, host);
    gm_buf_puts(b, "</code>.</li><li>Follow the group.</li><li>Mention <code>@");
    gm_buf_put_html(b, c->name);
    gm_buf_puts(b, "@");
    gm_buf_put_html(b, host);
    gm_buf_puts(b, "</code> in a public post: the group shares it with every member."
                   "</li></ol></section>");
}

/* One relayed post, if the outbox entry is an Announce of a Create still standing. */
static json_t *post_of(struct gm_txn *txn, const char *community, const char *entry)
{
    json_t *doc = json_loads(entry, 0, NULL), *out = NULL;
    json_t *create = json_object_get(doc, "object"), *obj = json_object_get(create, "object");
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *type = json_string_value(json_object_get(create, "type"));
    const char *content = json_string_value(json_object_get(obj, "content"));
    char *clean = NULL;
    if (!id || !type || strcmp(type, "Create") || gm_relayed_deleted(txn, community, id) == GM_OK)
        goto out;
    if (gm_html_sanitize(content ? content : "", content ? strlen(content) : 0, &clean, NULL) != GM_OK)
        goto out;
    const char *url = gm_as_ref_id(json_object_get(obj, "url"));
    if (!gm_as_is_web_url(url))
        url = id;
    const char *author = gm_as_ref_id(json_object_get(create, "actor"));
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *published = json_string_value(json_object_get(obj, "published"));
    out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "url", url, "author", author ? author : "",
                    "title", name ? name : "", "html", clean, "published",
                    published ? published : "");
out:
    free(clean);
    json_decref(doc);
    return out;
}

gm_err gm_html_community_posts(struct gm_txn *txn, const char *community, size_t max,
                               json_t **posts)
{
    json_t *out = json_array();
    uint64_t before = 0, seqs[50];
    if (!out)
        return GM_ENOMEM;
    for (int pages = 0; pages < 10 && json_array_size(out) < max; pages++) {
        char **items = NULL;
        size_t n = 0;
        gm_err e = gm_outbox_page(txn, community, before, 50, &items, seqs, &n);
        if (e != GM_OK) {
            json_decref(out);
            return e;
        }
        for (size_t i = 0; i < n && json_array_size(out) < max; i++) {
            json_t *p = post_of(txn, community, items[i]);
            if (p)
                json_array_append_new(out, p);
        }
        gm_outbox_items_free(items, n);
        if (n < 50)
            break;
        before = seqs[n - 1];
    }
    *posts = out;
    return GM_OK;
}

static void put_posts(struct gm_buf *b, json_t *posts)
{
    json_t *p;
    size_t i;
    if (!json_array_size(posts))
        return;
    gm_buf_puts(b, "<section><h2>Recent posts</h2>");
    json_array_foreach(posts, i, p) {
        const char *title = json_string_value(json_object_get(p, "title"));
        gm_buf_puts(b, "<article>");
        if (title && *title) {
            gm_buf_puts(b, "<h3>");
            gm_buf_put_html(b, title);
            gm_buf_puts(b, "</h3>");
        }
        gm_buf_puts(b, json_string_value(json_object_get(p, "html"))); /* sanitized */
        gm_buf_puts(b, "<p class=\"meta\"><a rel=\"nofollow noopener noreferrer ugc\" href=\"");
        gm_buf_put_html(b, json_string_value(json_object_get(p, "url")));
        gm_buf_puts(b, "\">");
        const char *when = json_string_value(json_object_get(p, "published"));
        gm_buf_put_html(b, when && *when ? when : "original post");
        gm_buf_puts(b, "</a> by ");
        gm_buf_put_html(b, json_string_value(json_object_get(p, "author")));
        gm_buf_puts(b, "</p></article>");
    }
    gm_buf_puts(b, "</section>");
}

gm_err gm_html_community_page(const struct gm_app *app, const struct gm_community *c,
                              size_t members, json_t *posts, char **html, size_t *len)
{
    struct gm_buf b;
    char *actor = gm_actor_url(app, c->name, "");
    if (!actor)
        return GM_ENOMEM;
    gm_buf_init(&b, 1024 * 1024);
    gm_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                    "<title>");
    gm_buf_put_html(&b, c->title);
    gm_buf_puts(&b, "</title><link rel=\"alternate\" type=\"application/activity+json\" href=\"");
    gm_buf_put_html(&b, actor);
    gm_buf_printf(&b, "\"><style>%s</style></head><body><header><h1>", style);
    gm_buf_put_html(&b, c->title);
    gm_buf_puts(&b, "</h1><div class=\"handle\">@");
    gm_buf_put_html(&b, c->name);
    gm_buf_puts(&b, "@");
    gm_buf_put_html(&b, app->host);
    gm_buf_printf(&b, "</div><p>%zu member%s</p></header>", members, members == 1 ? "" : "s");
    if (c->summary[0]) {
        gm_buf_puts(&b, "<section><h2>About</h2><p class=\"about\">");
        gm_buf_put_html(&b, c->summary);
        gm_buf_puts(&b, "</p></section>");
    }
    if (c->n_rules) {
        gm_buf_puts(&b, "<section><h2>Rules</h2><ol>");
        for (size_t i = 0; i < c->n_rules; i++) {
            gm_buf_puts(&b, "<li>");
            gm_buf_put_html(&b, c->rules[i]);
            gm_buf_puts(&b, "</li>");
        }
        gm_buf_puts(&b, "</ol></section>");
    }
    put_follow_help(&b, c, app->host);
    put_posts(&b, posts);
    gm_buf_puts(&b, "<footer>A community on gemeinde " GM_VERSION ".</footer></body></html>\n");
    free(actor);
    return gm_buf_take(&b, html, len);
}
