/* SPDX-License-Identifier: Apache-2.0
 * router.c - the route table. Patterns are literal segments and one "{param}" segment. HEAD is
 * served wherever GET is (libmicrohttpd drops the body). Errors become statuses here only (the
 * admin API under /api/v1/, which has its own table, maps them with gm_router_status too). */
#include "gemeinde/admin_routes.h"
#include "gemeinde/metrics.h"
#include "gemeinde/router.h"

#include <stdio.h>
#include <string.h>

#include "gemeinde/actor_routes.h"
#include "gemeinde/community_pages.h"
#include "gemeinde/api.h"
#include "gemeinde/inbox.h"
#include "gemeinde/log.h"
#include "gemeinde/modlog_page.h"
#include "gemeinde/wellknown.h"

struct route {
    const char *method;
    const char *pattern;
    gm_http_handler handler;
};

static const struct route routes[] = {
    {"GET", "/healthz", gm_wellknown_healthz},
    {"GET", "/metrics", gm_metrics_get},
    {"GET", "/.well-known/webfinger", gm_wellknown_webfinger},
    {"GET", "/.well-known/host-meta", gm_wellknown_host_meta},
    {"GET", "/.well-known/nodeinfo", gm_wellknown_nodeinfo_links},
    {"GET", "/nodeinfo/2.1", gm_wellknown_nodeinfo},
    {"GET", "/actor", gm_actor_get_instance},
    {"GET", "/actor/outbox", gm_actor_get_instance_outbox},
    {"GET", "/c/{name}", gm_actor_get_group},
    {"GET", "/c/{name}/outbox", gm_actor_get_outbox},
    {"GET", "/c/{name}/followers", gm_actor_get_followers},
    {"GET", "/c/{name}/featured", gm_actor_get_featured},
    {"GET", "/c/{name}/announces/{seq}", gm_actor_get_announce},
    {"GET", "/c/{name}/modlog", gm_modlog_get},
    {"GET", "/c/{name}/moderators", gm_community_get_moderators},
    {"GET", "/c/{name}/rules", gm_community_get_rules},
    {"GET", "/admin", gm_admin_index},
    {"GET", "/admin/login", gm_admin_login_form},
    {"POST", "/admin/login", gm_admin_login},
    {"POST", "/admin/logout", gm_admin_logout},
    {"GET", "/admin/{name}", gm_admin_dashboard},
    {"POST", "/inbox", gm_inbox_post},
    {"POST", "/c/{name}/inbox", gm_inbox_post},

};

#define PARAM_MAX 256

/* Match `path` against `pattern`; parameters ("{...}", at most two) are copied into params. */
static int match(const char *pattern, const char *path, char params[2][PARAM_MAX])
{
    const char *p = pattern, *s = path;
    int np = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t n = strcspn(s, "/");
            if (!close || n == 0 || n >= PARAM_MAX || np >= 2)
                return 0;
            memcpy(params[np], s, n);
            params[np++][n] = '\0';
            p = close + 1;
            s += n;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    /* Tolerate one trailing slash on the request. */
    return *p == '\0' && (*s == '\0' || (s[0] == '/' && s[1] == '\0' && s > path + 1));
}

unsigned gm_router_status(gm_err err)
{
    switch (err) {
    case GM_OK: return 200;
    case GM_EINVAL: return 400;
    case GM_EAUTH: return 401;
    case GM_EFORBID: case GM_EPERM: return 403;
    case GM_ENOTFOUND: return 404;
    case GM_EEXISTS: return 409;
    case GM_ETOOBIG: return 413;
    case GM_ETEMP: return 503;
    case GM_ENOMEM: case GM_ESTORE: case GM_EINTERNAL: return 500;
    }
    return 500;
}

static void set_error(struct gm_http_resp *resp, unsigned status, const char *message)
{
    json_t *doc = json_pack("{s:s}", "error", message);
    gm_http_resp_clear(resp);
    resp->status = status;
    if (gm_http_resp_json(resp, doc, "application/json") != GM_OK)
        resp->body = NULL;
}

static int method_ok(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

void gm_router_dispatch(struct gm_app *app, const struct gm_http_req *req,
                        struct gm_http_resp *resp)
{
    char params[2][PARAM_MAX];
    char allow[64] = "";
    struct gm_http_req routed = *req;
    if (gm_api_owns(req->path)) { /* the admin API routes, authenticates and answers itself */
        gm_api_dispatch(app, req, resp);
        return;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(routes[i].pattern, req->path, params))
            continue;
        if (!method_ok(routes[i].method, req->method)) {
            size_t n = strlen(allow);
            snprintf(allow + n, sizeof allow - n, "%s%s%s", n ? ", " : "", routes[i].method,
                     strcmp(routes[i].method, "GET") ? "" : ", HEAD");
            continue;
        }
        const char *first = strchr(routes[i].pattern, '{');
        routed.param = first ? params[0] : NULL;
        routed.param2 = first && strchr(first + 1, '{') ? params[1] : NULL;
        resp->status = 200;
        gm_err e = routes[i].handler(app, &routed, resp);
        if (e != GM_OK) {
            unsigned status = gm_router_status(e);
            const char *msg = resp->error ? resp->error : gm_strerror(e);
            if (status >= 500)
                gm_error("%s %s from %s: %s", req->method, req->path, req->remote, msg);
            else
                gm_debug("%s %s from %s: %u %s", req->method, req->path, req->remote, status,
                         msg);
            set_error(resp, status, msg);
        }
        return;
    }
    if (allow[0]) {
        set_error(resp, 405, "method not allowed");
        gm_http_resp_header(resp, "Allow", allow);
        return;
    }
    set_error(resp, 404, "not found");
}
