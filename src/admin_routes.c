/* SPDX-License-Identifier: Apache-2.0
 * admin_routes.c - the dashboard's HTTP side (admin_routes.h): login with the admin token into
 * a stateless session cookie (admin_session.h), and the pages of html_dashboard.h, each built
 * inside one read transaction. A wrong token is logged with the client address, never with
 * what was typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/admin_routes.h"
#include "gemeinde/admin_session.h"
#include "gemeinde/api.h"
#include "gemeinde/app.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/html_dashboard.h"
#include "gemeinde/log.h"
#include "gemeinde/reports.h"
#include "gemeinde/stats_report.h"

#define NEXT_MAX 200
#define QUEUE_MAX 50

static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static gm_err page(struct gm_http_resp *resp, gm_err e, char *html, size_t len)
{
    if (e != GM_OK)
        return e;
    gm_http_resp_take(resp, html, len, "text/html; charset=utf-8");
    if ((e = gm_http_resp_header(resp, "Content-Security-Policy", csp)) == GM_OK &&
        (e = gm_http_resp_header(resp, "X-Content-Type-Options", "nosniff")) == GM_OK &&
        (e = gm_http_resp_header(resp, "Referrer-Policy", "no-referrer")) == GM_OK &&
        (e = gm_http_resp_header(resp, "X-Frame-Options", "DENY")) == GM_OK)
        e = gm_http_resp_header(resp, "Cache-Control", "no-store");
    return e;
}

static int enabled(struct gm_app *app, struct gm_http_resp *resp)
{
    if (app->cfg->admin_token)
        return 1;
    resp->error = "the dashboard is off (no admin_token configured)";
    return 0;
}

static int logged_in(struct gm_app *app, const struct gm_http_req *req)
{
    return gm_session_valid(app->cfg->admin_token, gm_http_req_header(req, "Cookie"),
                            (int64_t)time(NULL));
}

/* Only a dashboard path may follow a login: no open redirect. */
static const char *safe_next(const char *next)
{
    if (!next || strncmp(next, "/admin", 6) != 0 || strlen(next) > NEXT_MAX)
        return "/admin";
    int query = 0; /* "?days=N" may follow the path */
    for (const char *p = next; *p; p++) {
        query |= *p == '?';
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              (!query && (*p == '/' || *p == '_' || *p == '-')) || (query && *p == '=') ||
              (*p == '?' && p > next)))
            return "/admin";
    }
    return strstr(next, "//") ? "/admin" : next;
}

static gm_err redirect(struct gm_http_resp *resp, const char *to)
{
    resp->status = 303;
    gm_http_resp_take(resp, strdup(""), 0, "text/plain; charset=utf-8");
    return resp->body ? gm_http_resp_header(resp, "Location", to) : GM_ENOMEM;
}

static gm_err to_login(const struct gm_http_req *req, struct gm_http_resp *resp)
{
    char to[NEXT_MAX + 64];
    const char *days = gm_http_req_query(req, "days");
    unsigned d = days ? (unsigned)strtoul(days, NULL, 10) : 0;
    int n = snprintf(to, sizeof to, "/admin/login?next=%s", safe_next(req->path));
    if (d >= 1 && d <= 365 && n > 0 && (size_t)n < sizeof to) /* the period comes back too */
        snprintf(to + n, sizeof to - (size_t)n, "%%3Fdays%%3D%u", d);
    return redirect(resp, to);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int gm_admin_form_field(const char *body, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; body && i < len;) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > nlen && !memcmp(body + i, name, nlen) && body[i + nlen] == '=') {
            size_t o = 0;
            for (size_t j = i + nlen + 1; j < end; j++) {
                int c = (unsigned char)body[j];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int h = j + 2 < end ? hexval(body[j + 1]) : -1;
                    int l = j + 2 < end ? hexval(body[j + 2]) : -1;
                    if (h < 0 || l < 0)
                        return 0;
                    c = h * 16 + l;
                    j += 2;
                }
                if (!c || o + 1 >= size)
                    return 0;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 1;
        }
        i = end + 1;
    }
    return 0;
}

gm_err gm_admin_login_form(struct gm_app *app, const struct gm_http_req *req,
                           struct gm_http_resp *resp)
{
    char *html;
    size_t len;
    if (!enabled(app, resp))
        return GM_ENOTFOUND;
    gm_err e = gm_html_login(safe_next(gm_http_req_query(req, "next")), NULL, &html, &len);
    return page(resp, e, html, len);
}

gm_err gm_admin_login(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp)
{
    char token[GM_ADMIN_TOKEN_MAX + 2], next[NEXT_MAX + 1], value[GM_SESSION_VALUE_MAX];
    char cookie[GM_SESSION_VALUE_MAX + 128], *html;
    size_t len;
    if (!enabled(app, resp))
        return GM_ENOTFOUND;
    if (!gm_admin_form_field(req->body, req->body_len, "next", next, sizeof next))
        strcpy(next, "/admin");
    int have = gm_admin_form_field(req->body, req->body_len, "token", token, sizeof token);
    if (!have || !gm_api_token_matches(app->cfg->admin_token, token)) {
        gm_warn("admin: failed dashboard login from %s", req->remote ? req->remote : "?");
        gm_err e = gm_html_login(safe_next(next), "That is not the admin token.", &html, &len);
        e = page(resp, e, html, len);
        resp->status = 401;
        return e;
    }
    gm_err e = gm_session_issue(app->cfg->admin_token, (int64_t)time(NULL), value, sizeof value);
    if (e != GM_OK)
        return e;
    gm_session_cookie(value, cookie, sizeof cookie);
    gm_info("admin: dashboard login from %s", req->remote ? req->remote : "?");
    if ((e = redirect(resp, safe_next(next))) == GM_OK)
        e = gm_http_resp_header(resp, "Set-Cookie", cookie);
    return e;
}

gm_err gm_admin_logout(struct gm_app *app, const struct gm_http_req *req,
                       struct gm_http_resp *resp)
{
    char cookie[160];
    (void)req;
    if (!enabled(app, resp))
        return GM_ENOTFOUND;
    gm_session_cookie(NULL, cookie, sizeof cookie);
    gm_err e = redirect(resp, "/admin/login");
    return e == GM_OK ? gm_http_resp_header(resp, "Set-Cookie", cookie) : e;
}

gm_err gm_admin_index(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    char **names = NULL, *html;
    size_t n = 0, len;
    if (!enabled(app, resp))
        return GM_ENOTFOUND;
    if (!logged_in(app, req))
        return to_login(req, resp);
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_list(txn, &names, &n);
    gm_txn_abort(txn);
    if (e == GM_OK)
        e = gm_html_admin_index(names, n, &html, &len);
    gm_community_names_free(names, n);
    return page(resp, e, html, len);
}

static unsigned period_days(const struct gm_http_req *req)
{
    const char *d = gm_http_req_query(req, "days");
    long v = d ? strtol(d, NULL, 10) : 30;
    return v >= 1 && v <= 365 ? (unsigned)v : 30;
}

gm_err gm_admin_dashboard(struct gm_app *app, const struct gm_http_req *req,
                          struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    struct gm_community *c = NULL;
    struct gm_dashboard d = {.host = app->host};
    char *html = NULL;
    size_t len = 0;
    if (!enabled(app, resp))
        return GM_ENOTFOUND;
    if (!logged_in(app, req))
        return to_login(req, resp);
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_get(txn, req->param, &c)) == GM_ENOTFOUND)
        resp->error = "no such community";
    struct gm_stats_query q = {.community = req->param, .now = (int64_t)time(NULL),
                               .days = period_days(req), .unanswered_age = -1,
                               .unanswered_max = 50, .top_max = 10, .daily = 1};
    if (e == GM_OK)
        e = gm_stats_report(txn, &q, &d.report);
    if (e == GM_OK)
        e = gm_ckv_page(txn, GM_CKV_PENDING, req->param, NULL, QUEUE_MAX, &d.pending);
    if (e == GM_OK)
        e = gm_ckv_page(txn, GM_CKV_HELD, req->param, NULL, QUEUE_MAX, &d.held);
    if (e == GM_OK)
        e = gm_report_list(txn, req->param, false, 0, QUEUE_MAX, &d.reports);
    if (e == GM_OK)
        e = gm_modlog_page(txn, req->param, 0, 20, &d.log, &d.n_log);
    gm_txn_abort(txn);
    d.c = c;
    if (e == GM_OK)
        e = gm_html_dashboard(&d, &html, &len);
    json_decref(d.report);
    json_decref(d.pending);
    json_decref(d.held);
    json_decref(d.reports);
    gm_modlog_entries_free(d.log, d.n_log);
    gm_community_free(c);
    return page(resp, e, html, len);
}
