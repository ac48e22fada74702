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

static const char style[] =
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d1d1f;background:#fafafa}h1{margin-bottom:.2rem}.handle{color:#555;"
    "font-family:monospace;font-size:1.05rem}section{background:#fff;border:1px solid #ddd;"
    "border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}code{background:#eef;padding:0 .3rem}"
    ".about{white-space:pre-line}footer{color:#777;font-size:.85rem}";

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

gm_err gm_html_community_page(const struct gm_app *app, const struct gm_community *c,
                              size_t members, char **html, size_t *len)
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
    gm_buf_puts(&b, "<footer>A community on gemeinde " GM_VERSION ".</footer></body></html>\n");
    free(actor);
    return gm_buf_take(&b, html, len);
}
