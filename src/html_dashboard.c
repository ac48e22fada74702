/* SPDX-License-Identifier: Apache-2.0
 * html_dashboard.c - the admin dashboard pages (html_dashboard.h). A community's page is built
 * from one stats report: tiles with the period's figures, four SVG charts (members, joined and
 * left, activity, response time), the unanswered posts (oldest first, linked), top contributors,
 * servers, then the queues and the moderation log. Mobile first: one column, tiles wrap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/as_ref.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"
#include "gemeinde/html_dashboard.h"
#include "gemeinde/html_sanitize.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"
#include "gemeinde/svg_chart.h"
#include "gemeinde/timefmt.h"

#define PAGE_MAX (4u << 20)
#define EXCERPT 160

static const char css[] =
    ":root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d1d1f;--mute:#5f6368;"
    "--line:#dcdfe4;--accent:#2457c5;--warn:#a4330f}"
    "@media (prefers-color-scheme:dark){:root{--bg:#15171a;--card:#1f2226;--fg:#e8eaed;"
    "--mute:#a0a4aa;--line:#363a40;--accent:#8ab4f8;--warn:#f28b6b}}"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "sans-serif;background:var(--bg);color:var(--fg)}header,main{max-width:72rem;margin:0 auto;"
    "padding:0 1rem}header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;"
    "padding-top:1rem}h1{font-size:1.4rem;margin:0}h2{font-size:1.05rem;margin:0 0 .6rem}"
    ".mute{color:var(--mute)}a{color:var(--accent)}nav a{margin-right:.6rem}"
    "nav a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.6rem;"
    "margin:1rem 0}.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:.6rem .8rem}.tile b{display:block;font-size:1.35rem}.tile span{color:var(--mute);"
    "font-size:.85rem}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));"
    "gap:1rem}.charts{grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr))}section{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:.9rem 1rem;margin:0 0 1rem;overflow-wrap:anywhere}ul.list{list-style:none;margin:0;"
    "padding:0}ul.list li{padding:.45rem 0;border-top:1px solid var(--line)}"
    "ul.list li:first-child{border-top:0}.q{display:inline-block;background:var(--warn);"
    "color:var(--card);border-radius:4px;padding:0 .35rem;font-size:.75rem;margin-right:.3rem}"
    ".warn{color:var(--warn);font-weight:600}form.login{max-width:24rem;margin:3rem auto;"
    "background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.2rem}"
    "input[type=password]{width:100%;padding:.5rem;font:inherit;margin:.4rem 0 .8rem}"
    "button{font:inherit;padding:.45rem 1rem;border-radius:6px;border:1px solid var(--accent);"
    "background:var(--accent);color:var(--card);cursor:pointer}footer{max-width:72rem;"
    "margin:0 auto 2rem;padding:0 1rem;color:var(--mute);font-size:.85rem}";

static void head(struct gm_buf *b, const char *title)
{
    gm_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<meta name=\"robots\" content=\"noindex\"><title>");
    gm_buf_put_html(b, title);
    gm_buf_printf(b, "</title><style>%s%s</style></head><body>", css, gm_svg_chart_css);
}

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* A link if `url` is http(s), else the text alone. */
static void put_link(struct gm_buf *b, const char *url, const char *text)
{
    int web = gm_as_is_web_url(url);
    if (web) {
        gm_buf_puts(b, "<a rel=\"nofollow noopener noreferrer\" href=\"");
        gm_buf_put_html(b, url);
        gm_buf_puts(b, "\">");
    }
    gm_buf_put_html(b, text && *text ? text : url ? url : "");
    if (web)
        gm_buf_puts(b, "</a>");
}

static void tile(struct gm_buf *b, const char *value, const char *label, const char *id)
{
    gm_buf_printf(b, "<div class=\"tile\" id=\"%s\"><b>", id);
    gm_buf_put_html(b, value);
    gm_buf_puts(b, "</b><span>");
    gm_buf_put_html(b, label);
    gm_buf_puts(b, "</span></div>");
}

static void tiles(struct gm_buf *b, json_t *r)
{
    json_t *now = json_object_get(r, "now"), *p = json_object_get(r, "period");
    json_t *rt = json_object_get(r, "response_time");
    char v[64], d1[32], d2[32];
    gm_buf_puts(b, "<div class=\"tiles\">");
    snprintf(v, sizeof v, "%lld", num(now, "members"));
    tile(b, v, "members now", "t-members");
    snprintf(v, sizeof v, "+%lld / -%lld", num(p, "members_gained"), num(p, "members_lost"));
    tile(b, v, "joined / left", "t-growth");
    snprintf(v, sizeof v, "%lld", num(p, "posts"));
    tile(b, v, "posts", "t-posts");
    snprintf(v, sizeof v, "%lld", num(p, "replies"));
    tile(b, v, "replies", "t-replies");
    snprintf(v, sizeof v, "%lld", num(p, "active_members"));
    tile(b, v, "active members", "t-active");
    json_t *rate = json_object_get(p, "answer_rate");
    snprintf(v, sizeof v, json_is_number(rate) ? "%.0f%%" : "-", json_number_value(rate) * 100);
    tile(b, v, "posts answered", "t-rate");
    json_t *p7 = json_object_get(rt, "7d"), *pp = json_object_get(rt, "period");
    tile(b, gm_stats_spread_duration(pp, "median", d1, sizeof d1), "median first answer", "t-median");
    tile(b, gm_stats_spread_duration(pp, "p90", d2, sizeof d2), "90% answered within", "t-p90");
    tile(b, gm_stats_spread_duration(p7, "median", d1, sizeof d1), "median, last 7 days", "t-median7");
    snprintf(v, sizeof v, "%lld", num(json_object_get(r, "unanswered"), "total"));
    tile(b, v, "waiting for an answer", "t-unanswered");
    snprintf(v, sizeof v, "%lld", num(now, "open_reports"));
    tile(b, v, "open reports", "t-reports");
    snprintf(v, sizeof v, "%lld / %lld", num(now, "pending"), num(now, "held"));
    tile(b, v, "requests / held posts", "t-queues");
    gm_buf_puts(b, "</div>");
}

/* One chart of daily values: stats by name, or the response spread ("response.median"). */
static void chart(struct gm_buf *b, json_t *daily, const char *id, const char *title,
                  const char *const *keys, const char *const *names, size_t nser,
                  enum gm_svg_kind kind, double scale, const char *unit)
{
    size_t n = json_array_size(daily);
    double *vals = calloc(n * nser + 1, sizeof *vals);
    const char **labels = calloc(n + 1, sizeof *labels);
    struct gm_svg_series series[4];
    if (!vals || !labels || nser > 4) {
        free(vals);
        free(labels);
        b->err = b->err ? b->err : GM_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *day = json_array_get(daily, i);
        labels[i] = str(day, "date");
        for (size_t s = 0; s < nser; s++) {
            const char *dot = strchr(keys[s], '.');
            json_t *v = dot ? json_object_get(json_object_get(day, "response"), dot + 1)
                            : json_object_get(day, keys[s]);
            vals[s * n + i] = json_is_integer(v) ? (double)json_integer_value(v) / scale : NAN;
        }
    }
    static const char *const classes[] = {"s1", "s2", "s3", "s4"};
    for (size_t s = 0; s < nser; s++)
        series[s] = (struct gm_svg_series){names[s], vals + s * n, kind, classes[s]};
    struct gm_svg_chart c = {id, title, labels, n, series, nser, unit};
    gm_buf_printf(b, "<section><h2>%s</h2>", title);
    if (gm_svg_chart(b, &c) != GM_OK)
        gm_buf_puts(b, "<p class=\"mute\">chart unavailable</p>");
    gm_buf_puts(b, "</section>");
    free(vals);
    free(labels);
}

/* The unit of the response-time chart: seconds while every day's 90th percentile is under
 * two minutes, minutes under two hours, else hours, so the lines never sit on the zero line. */
static int response_unit(json_t *daily)
{
    json_t *day;
    size_t i;
    json_int_t most = 0;
    json_array_foreach(daily, i, day) {
        json_t *p90 = json_object_get(json_object_get(day, "response"), "p90");
        if (json_is_integer(p90) && json_integer_value(p90) > most)
            most = json_integer_value(p90);
    }
    return most < 120 ? 1 : most < 7200 ? 60 : 3600;
}

static void charts(struct gm_buf *b, json_t *r)
{
    json_t *daily = json_object_get(r, "daily");
    int unit = response_unit(daily);
    gm_buf_puts(b, "<div class=\"grid charts\">");
    chart(b, daily, "chart-members", "Members", (const char *const[]){"members"},
          (const char *const[]){"members"}, 1, GM_SVG_LINE, 1, "");
    chart(b, daily, "chart-growth", "Joined and left",
          (const char *const[]){"members_gained", "members_lost"},
          (const char *const[]){"joined", "left"}, 2, GM_SVG_BARS, 1, "");
    chart(b, daily, "chart-activity", "Posts and replies", (const char *const[]){"posts", "replies"},
          (const char *const[]){"posts", "replies"}, 2, GM_SVG_BARS, 1, "");
    chart(b, daily, "chart-response",
          unit == 1    ? "Time to first answer (seconds, by day of the post)"
          : unit == 60 ? "Time to first answer (minutes, by day of the post)"
                       : "Time to first answer (hours, by day of the post)",
          (const char *const[]){"response.median", "response.p90"},
          (const char *const[]){"median", "90th percentile"}, 2, GM_SVG_LINE, unit,
          unit == 1 ? "s" : unit == 60 ? "min" : "h");
    gm_buf_puts(b, "</div>");
}

static void unanswered(struct gm_buf *b, json_t *r)
{
    json_t *un = json_object_get(r, "unanswered"), *it;
    size_t i;
    char d[32];
    gm_buf_printf(b, "<section id=\"unanswered\"><h2>Waiting for an answer (%lld, more than %s, "
                     "oldest first)</h2>",
                  num(un, "total"), gm_stats_duration(num(un, "older_than"), d, sizeof d));
    if (!json_array_size(json_object_get(un, "posts")))
        gm_buf_puts(b, "<p class=\"mute\">Every post of the period has an answer.</p>");
    gm_buf_puts(b, "<ul class=\"list\">");
    json_array_foreach(json_object_get(un, "posts"), i, it) {
        gm_buf_puts(b, "<li>");
        if (json_is_true(json_object_get(it, "question")))
            gm_buf_puts(b, "<span class=\"q\">question</span>");
        put_link(b, str(it, "url"), str(it, "title"));
        gm_buf_printf(b, "<br><span class=\"mute\">waiting %s, by ",
                      gm_stats_duration(num(it, "waiting"), d, sizeof d));
        put_link(b, str(it, "author"), str(it, "author"));
        gm_buf_puts(b, "</span></li>");
    }
    gm_buf_puts(b, "</ul></section>");
}

static void people(struct gm_buf *b, json_t *r)
{
    json_t *it;
    size_t i;
    gm_buf_puts(b, "<div class=\"grid\"><section><h2>Top contributors</h2><ul class=\"list\">");
    json_array_foreach(json_object_get(r, "top_contributors"), i, it) {
        gm_buf_puts(b, "<li>");
        put_link(b, str(it, "actor"), str(it, "actor"));
        gm_buf_printf(b, "<br><span class=\"mute\">%lld got an answer &middot; %lld posts "
                         "&middot; %lld replies</span></li>",
                      num(it, "answered"), num(it, "posts"), num(it, "replies"));
    }
    gm_buf_printf(b, "</ul></section><section><h2>Members by server (%lld)</h2><ul class=\"list\">",
                  num(r, "servers"));
    json_array_foreach(json_object_get(r, "members_by_server"), i, it) {
        gm_buf_puts(b, "<li>");
        gm_buf_put_html(b, str(it, "host"));
        gm_buf_printf(b, " <span class=\"mute\">%lld</span></li>", num(it, "members"));
    }
    gm_buf_puts(b, "</ul></section></div>");
}

/* Text of a remote post, short and escaped (script and style contents dropped). */
static void put_excerpt(struct gm_buf *b, const char *html)
{
    char *text = gm_html_to_text(html, html ? strlen(html) : 0, EXCERPT);
    gm_buf_put_html(b, text ? text : "");
    free(text);
}

static void queues(struct gm_buf *b, const struct gm_dashboard *d)
{
    json_t *it;
    size_t i;
    char t[32];
    gm_buf_printf(b, "<div class=\"grid\"><section id=\"pending\"><h2>Requests to join (%zu)</h2>"
                     "<ul class=\"list\">", json_array_size(d->pending));
    json_array_foreach(d->pending, i, it) {
        gm_buf_puts(b, "<li>");
        put_link(b, str(it, "key"), str(it, "key"));
        gm_buf_printf(b, " <span class=\"mute\">since %s</span></li>",
                      gm_time_format(num(json_object_get(it, "value"), "at"), t, sizeof t));
    }
    gm_buf_printf(b, "</ul></section><section id=\"reports\"><h2>Open reports (%zu)</h2>"
                     "<ul class=\"list\">", json_array_size(d->reports));
    json_array_foreach(d->reports, i, it) {
        json_t *v = it, *obj;
        size_t j;
        gm_buf_printf(b, "<li>#%lld by ", num(it, "id"));
        put_link(b, str(v, "reporter"), str(v, "reporter"));
        gm_buf_puts(b, ": ");
        gm_buf_put_html(b, str(v, "comment"));
        json_array_foreach(json_object_get(v, "objects"), j, obj) {
            gm_buf_puts(b, "<br>");
            put_link(b, json_string_value(obj), json_string_value(obj));
        }
        gm_buf_puts(b, "</li>");
    }
    gm_buf_printf(b, "</ul></section><section id=\"held\"><h2>Held posts (%zu)</h2>"
                     "<ul class=\"list\">", json_array_size(d->held));
    json_array_foreach(d->held, i, it) {
        json_t *v = json_object_get(it, "value");
        json_t *obj = json_object_get(json_object_get(v, "activity"), "object");
        gm_buf_puts(b, "<li>");
        put_excerpt(b, json_string_value(json_object_get(obj, "content")));
        gm_buf_puts(b, "<br><span class=\"mute\">");
        put_link(b, str(v, "actor"), str(v, "actor"));
        gm_buf_puts(b, " &middot; ");
        gm_buf_put_html(b, str(v, "rule"));
        gm_buf_puts(b, "</span></li>");
    }
    gm_buf_puts(b, "</ul></section></div>");
}

static void modlog(struct gm_buf *b, const struct gm_dashboard *d)
{
    char t[32];
    gm_buf_puts(b, "<section id=\"modlog\"><h2>Moderation log</h2><ul class=\"list\">");
    for (size_t i = 0; i < d->n_log; i++) {
        const struct gm_modlog_entry *e = d->log[i];
        gm_buf_printf(b, "<li><span class=\"mute\">%s</span> ", gm_time_format(e->at, t, sizeof t));
        gm_buf_put_html(b, e->action);
        gm_buf_puts(b, " ");
        gm_buf_put_html(b, e->target);
        gm_buf_puts(b, " <span class=\"mute\">by ");
        gm_buf_put_html(b, e->moderator);
        if (e->public_reason && *e->public_reason) {
            gm_buf_puts(b, ": ");
            gm_buf_put_html(b, e->public_reason);
        }
        gm_buf_puts(b, "</span></li>");
    }
    gm_buf_puts(b, "</ul></section>");
}

gm_err gm_html_dashboard(const struct gm_dashboard *d, char **html, size_t *len)
{
    struct gm_buf b;
    static const unsigned periods[] = {7, 30, 90, 365};
    json_int_t days = num(d->report, "days");
    gm_buf_init(&b, PAGE_MAX);
    head(&b, d->c->title);
    gm_buf_puts(&b, "<header><h1>");
    gm_buf_put_html(&b, d->c->title);
    gm_buf_puts(&b, "</h1><span class=\"mute\">@");
    gm_buf_put_html(&b, d->c->name);
    gm_buf_puts(&b, "@");
    gm_buf_put_html(&b, d->host);
    gm_buf_puts(&b, "</span><nav aria-label=\"period\">");
    for (size_t i = 0; i < 4; i++)
        gm_buf_printf(&b, "<a href=\"?days=%u\"%s>%u days</a>", periods[i],
                      days == periods[i] ? " aria-current=\"page\"" : "", periods[i]);
    gm_buf_puts(&b, "</nav><form method=\"post\" action=\"/admin/logout\"><button>Log out</button>"
                    "</form></header><main>");
    gm_buf_printf(&b, "<p class=\"mute\">%s to %s (UTC)</p>", str(d->report, "from"),
                  str(d->report, "to"));
    tiles(&b, d->report);
    unanswered(&b, d->report);
    charts(&b, d->report);
    people(&b, d->report);
    queues(&b, d);
    modlog(&b, d);
    gm_buf_puts(&b, "</main><footer><a href=\"/admin\">All communities</a> &middot; <a href=\"/c/");
    gm_buf_put_html(&b, d->c->name);
    gm_buf_puts(&b, "\">Public page</a></footer></body></html>\n");
    return gm_buf_take(&b, html, len);
}

gm_err gm_html_login(const char *next, const char *message, char **html, size_t *len)
{
    struct gm_buf b;
    gm_buf_init(&b, 64 * 1024);
    head(&b, "gemeinde: log in");
    gm_buf_puts(&b, "<form class=\"login\" method=\"post\" action=\"/admin/login\"><h1>Dashboard"
                    "</h1>");
    if (message) {
        gm_buf_puts(&b, "<p class=\"warn\" role=\"alert\">");
        gm_buf_put_html(&b, message);
        gm_buf_puts(&b, "</p>");
    }
    gm_buf_puts(&b, "<label for=\"token\">Admin token</label><input type=\"password\" id=\"token\" "
                    "name=\"token\" autocomplete=\"current-password\" required autofocus>"
                    "<input type=\"hidden\" name=\"next\" value=\"");
    gm_buf_put_html(&b, next ? next : "/admin");
    gm_buf_puts(&b, "\"><button type=\"submit\">Log in</button><p class=\"mute\">The token is "
                    "<code>admin_token</code> in the node's configuration.</p></form></body></html>\n");
    return gm_buf_take(&b, html, len);
}

gm_err gm_html_admin_index(char *const *names, size_t n, char **html, size_t *len)
{
    struct gm_buf b;
    gm_buf_init(&b, 1024 * 1024);
    head(&b, "gemeinde: communities");
    gm_buf_puts(&b, "<header><h1>Communities</h1><form method=\"post\" action=\"/admin/logout\">"
                    "<button>Log out</button></form></header><main><section><ul class=\"list\">");
    for (size_t i = 0; i < n; i++) {
        gm_buf_puts(&b, "<li><a href=\"/admin/");
        gm_buf_put_html(&b, names[i]);
        gm_buf_puts(&b, "\">");
        gm_buf_put_html(&b, names[i]);
        gm_buf_puts(&b, "</a></li>");
    }
    if (!n)
        gm_buf_puts(&b, "<li class=\"mute\">No community yet: <code>gemeinde community create "
                        "NAME</code></li>");
    gm_buf_puts(&b, "</ul></section></main></body></html>\n");
    return gm_buf_take(&b, html, len);
}
