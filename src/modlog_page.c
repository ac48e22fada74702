/* SPDX-License-Identifier: Apache-2.0
 * modlog_page.c - the public moderation log: transparency for members, who can see what was
 * moderated, when, by whom and why. JSON for programs, a plain HTML table for people; every
 * text escaped; the private note left out. */
#include "gemeinde/modlog_page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"
#include "gemeinde/modlog.h"

static uint64_t parse_before(const char *s)
{
    char *end;
    if (!s || *s < '1' || *s > '9')
        return 0;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    return errno || *end ? 0 : (uint64_t)v;
}

static void iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *as_json(struct gm_modlog_entry **list, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) {
        char when[32];
        iso(list[i]->at, when);
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)list[i]->seq,
                             "at", when, "scope", list[i]->community[0] ? "community" : "node",
                             "moderator", list[i]->moderator, "action", list[i]->action, "target",
                             list[i]->target, "reason", list[i]->public_reason));
    }
    return items;
}

/* `doc` (stolen) as compact JSON with <, > and & written as \u escapes, so the reasons
 * moderators typed are inert even where the JSON is mistaken for HTML. */
static gm_err html_safe_json(json_t *doc, char **out, size_t *len)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return GM_ENOMEM;
    struct gm_buf b;
    gm_buf_init(&b, 4 * 1024 * 1024);
    for (const char *p = text; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&')
            gm_buf_printf(&b, "\\u%04x", (unsigned)*p);
        else
            gm_buf_append(&b, p, 1);
    }
    free(text);
    return gm_buf_take(&b, out, len);
}

static gm_err as_html(const struct gm_community *c, struct gm_modlog_entry **list, size_t n,
                      char **html, size_t *len)
{
    struct gm_buf b;
    gm_buf_init(&b, 2 * 1024 * 1024);
    gm_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
                    "name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    gm_buf_put_html(&b, c->title);
    gm_buf_puts(&b, " - moderation log</title><style>body{font:15px/1.5 system-ui,sans-serif;"
                    "max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:"
                    "collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;"
                    "text-align:left;vertical-align:top}</style></head><body><h1>");
    gm_buf_put_html(&b, c->title);
    gm_buf_puts(&b, ": moderation log</h1>");
    if (!n)
        gm_buf_puts(&b, "<p>No moderation actions yet.</p>");
    else
        gm_buf_puts(&b, "<table><tr><th>When (UTC)</th><th>Scope</th><th>Action</th>"
                        "<th>Target</th><th>Reason</th><th>By</th></tr>");
    for (size_t i = 0; i < n; i++) {
        char when[32];
        iso(list[i]->at, when);
        gm_buf_printf(&b, "<tr><td>%s</td><td>%s</td><td>", when,
                      list[i]->community[0] ? "community" : "node");
        gm_buf_put_html(&b, list[i]->action);
        gm_buf_puts(&b, "</td><td>");
        gm_buf_put_html(&b, list[i]->target);
        gm_buf_puts(&b, "</td><td>");
        gm_buf_put_html(&b, list[i]->public_reason);
        gm_buf_puts(&b, "</td><td>");
        gm_buf_put_html(&b, list[i]->moderator);
        gm_buf_puts(&b, "</td></tr>");
    }
    gm_buf_puts(&b, n ? "</table></body></html>\n" : "</body></html>\n");
    return gm_buf_take(&b, html, len);
}

gm_err gm_modlog_get(struct gm_app *app, const struct gm_http_req *req,
                     struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    struct gm_community *c = NULL;
    struct gm_modlog_entry **list = NULL;
    size_t n = 0;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_get(txn, req->param, &c);
    if (e == GM_OK)
        e = gm_modlog_page(txn, req->param, parse_before(gm_http_req_query(req, "before")),
                           GM_MODLOG_PAGE, &list, &n);
    gm_txn_abort(txn);
    if (e == GM_ENOTFOUND)
        resp->error = "no such community";
    if (e == GM_OK && gm_http_wants_activity_json(req)) {
        char *json;
        size_t len;
        e = html_safe_json(json_pack("{s:s, s:o}", "community", c->name, "entries",
                                     as_json(list, n)),
                           &json, &len);
        if (e == GM_OK)
            gm_http_resp_take(resp, json, len, "application/json");
    } else if (e == GM_OK) {
        char *html;
        size_t len;
        if ((e = as_html(c, list, n, &html, &len)) == GM_OK)
            gm_http_resp_take(resp, html, len, "text/html; charset=utf-8");
    }
    if (e == GM_OK)
        e = gm_http_resp_header(resp, "Vary", "Accept");
    gm_modlog_entries_free(list, n);
    gm_community_free(c);
    return e;
}
