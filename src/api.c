/* SPDX-License-Identifier: Apache-2.0
 * api.c - the admin API's front door: bearer-token check, its own route table of (method,
 * pattern) -> handler with up to two "{param}" captures, the body checks (Content-Type, JSON
 * object, CSV text), and errors as JSON bodies. The token is compared as SHA-256 digests with
 * CRYPTO_memcmp, so neither its bytes nor its length show in the timing; a missing and a wrong
 * token get the same answer, and neither is ever logged. Handlers live in api_<area>.c. */
#include "gemeinde/api.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "gemeinde/community.h"
#include "gemeinde/delivery.h"
#include "gemeinde/fetch.h"
#include "gemeinde/log.h"
#include "gemeinde/router.h"

#define PARAM_MAX 256
#define JSON_DEPTH_MAX 16

struct api_route {
    const char *method;
    const char *pattern; /* below GM_API_PREFIX */
    gm_api_handler handler;
    enum gm_api_body body;
};

/* Literal paths come before a "{param}" pattern that would also match them. */
static const struct api_route routes[] = {
    {"GET", "/communities", gm_api_communities_list, GM_API_NO_BODY},
    {"GET", "/communities/{community}", gm_api_community_get, GM_API_NO_BODY},
    {"PATCH", "/communities/{community}", gm_api_community_patch, GM_API_JSON},
    {"GET", "/communities/{community}/members", gm_api_members_list, GM_API_NO_BODY},
    {"DELETE", "/communities/{community}/members", gm_api_member_remove, GM_API_NO_BODY},
    {"GET", "/communities/{community}/modlog", gm_api_modlog_list, GM_API_NO_BODY},
    {"GET", "/modlog", gm_api_modlog_list, GM_API_NO_BODY},
    {"GET", "/blocks", gm_api_blocks_list, GM_API_NO_BODY},
    {"POST", "/blocks", gm_api_block_add, GM_API_JSON},
    {"GET", "/blocks/export", gm_api_blocks_export, GM_API_NO_BODY},
    {"POST", "/blocks/import", gm_api_blocks_import, GM_API_CSV},
    {"DELETE", "/blocks/{domain}", gm_api_block_remove, GM_API_NO_BODY},
    {"GET", "/communities/{community}/pending", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/pending/approve", gm_api_pending_answer, GM_API_JSON},
    {"POST", "/communities/{community}/pending/reject", gm_api_pending_answer, GM_API_JSON},
    {"GET", "/communities/{community}/held", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/held/approve", gm_api_held_answer, GM_API_JSON},
    {"POST", "/communities/{community}/held/reject", gm_api_held_answer, GM_API_JSON},
    {"GET", "/communities/{community}/bans", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/bans", gm_api_ban_add, GM_API_JSON},
    {"DELETE", "/communities/{community}/bans", gm_api_ban_remove, GM_API_NO_BODY},
    {"GET", "/communities/{community}/moderators", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/moderators", gm_api_moderator_add, GM_API_JSON},
    {"DELETE", "/communities/{community}/moderators", gm_api_moderator_remove, GM_API_NO_BODY},
    {"GET", "/communities/{community}/blocks", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/blocks", gm_api_cblock_add, GM_API_JSON},
    {"DELETE", "/communities/{community}/blocks/{domain}", gm_api_cblock_remove, GM_API_NO_BODY},
    {"GET", "/communities/{community}/inbox", gm_api_moderation_list, GM_API_NO_BODY},
    {"GET", "/communities/{community}/reports", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/reports/{id}/resolve", gm_api_report_act, GM_API_JSON},
    {"POST", "/communities/{community}/reports/{id}/dismiss", gm_api_report_act, GM_API_JSON},
    {"POST", "/communities/{community}/reports/{id}/forward", gm_api_report_act, GM_API_NO_BODY},
    {"GET", "/communities/{community}/pins", gm_api_moderation_list, GM_API_NO_BODY},
    {"POST", "/communities/{community}/pins", gm_api_pin_add, GM_API_JSON},
    {"DELETE", "/communities/{community}/pins", gm_api_pin_remove, GM_API_NO_BODY},
    {"POST", "/communities/{community}/remove", gm_api_post_remove, GM_API_JSON},
    {"GET", "/communities/{community}/stats", gm_api_stats, GM_API_NO_BODY},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

bool gm_api_owns(const char *path)
{
    size_t n = strlen(GM_API_PREFIX);
    return strncmp(path, GM_API_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Match `path` against `pattern`, copying "{...}" segments into params (at most two). */
static bool match(const char *pattern, const char *path, char params[2][PARAM_MAX])
{
    const char *p = pattern, *s = path;
    int np = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t n = strcspn(s, "/");
            if (!close || n == 0 || n >= PARAM_MAX || np >= 2)
                return false;
            memcpy(params[np], s, n);
            params[np++][n] = '\0';
            p = close + 1;
            s += n;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    /* One trailing slash on the request is tolerated. */
    return *p == '\0' && (*s == '\0' || (s[0] == '/' && s[1] == '\0' && s > path + 1));
}

static void set_error(struct gm_http_resp *resp, unsigned status, const char *message)
{
    gm_http_resp_clear(resp);
    resp->status = status;
    if (gm_http_resp_json(resp, json_pack("{s:s}", "error", message), "application/json") != GM_OK)
        resp->body = NULL;
}

bool gm_api_token_matches(const char *token, const char *presented)
{
    unsigned char want[32], got[32];
    unsigned int wlen = 0, glen = 0;
    if (!token || !presented)
        return false;
    if (!EVP_Digest(token, strlen(token), want, &wlen, EVP_sha256(), NULL) ||
        !EVP_Digest(presented, strlen(presented), got, &glen, EVP_sha256(), NULL) ||
        wlen != sizeof want || glen != sizeof got)
        return false;
    bool same = CRYPTO_memcmp(want, got, sizeof want) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return same;
}

bool gm_api_bearer_ok(const char *token, const struct gm_http_req *req)
{
    const char *header = gm_http_req_header(req, "Authorization");
    const char *presented = "";
    bool bearer = header && strncasecmp(header, "Bearer ", 7) == 0;
    if (bearer)
        for (presented = header + 7; *presented == ' ';)
            presented++;
    bool same = gm_api_token_matches(token, presented); /* hashed even when absent */
    return bearer && same;
}

/* Is the media type of Content-Type `type` (or, with `json`, any "+json" type)? */
static bool content_type_is(const struct gm_http_req *req, const char *type, bool json)
{
    const char *ct = gm_http_req_header(req, "Content-Type");
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    size_t tn = strlen(type);
    return (n == tn && strncasecmp(ct, type, n) == 0) ||
           (json && n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* Parse or check the body the route takes. Returns an HTTP status (0: fine); *text is a new
 * NUL-terminated copy of a CSV body. */
static unsigned read_body(const struct api_route *r, struct gm_api_call *call, char **text)
{
    const struct gm_http_req *req = call->req;
    json_error_t jerr;
    if (r->body == GM_API_NO_BODY)
        return 0;
    bool json = r->body == GM_API_JSON;
    if (!content_type_is(req, json ? "application/json" : "text/csv", json)) {
        snprintf(call->err, sizeof call->err, "Content-Type must be %s",
                 json ? "application/json" : "text/csv");
        return 415;
    }
    if (!json) {
        if (req->body_len && memchr(req->body, '\0', req->body_len)) {
            snprintf(call->err, sizeof call->err, "the CSV body contains a NUL byte");
            return 400;
        }
        if (!(*text = strndup(req->body ? req->body : "", req->body_len)))
            return 500;
        call->text = *text;
        return 0;
    }
    if (!req->body_len) {
        snprintf(call->err, sizeof call->err, "a JSON object is needed as the body");
        return 400;
    }
    if (!gm_fetch_json_depth_ok(req->body, req->body_len, JSON_DEPTH_MAX)) {
        snprintf(call->err, sizeof call->err, "the JSON body is nested too deeply");
        return 400;
    }
    call->body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!call->body) {
        snprintf(call->err, sizeof call->err, "the body is not valid JSON: %s (line %d, column %d)",
                 jerr.text, jerr.line, jerr.column);
        return 400;
    }
    if (!json_is_object(call->body)) {
        snprintf(call->err, sizeof call->err, "the JSON body must be an object");
        return 400;
    }
    return 0;
}

static bool method_ok(const char *route_method, const char *method)
{
    return !strcmp(route_method, method) ||
           (!strcmp(route_method, "GET") && !strcmp(method, "HEAD"));
}

/* The route for `path` and `method`. NULL: *status is 404, or 405 with `allow` filled (every
 * method of the first pattern that matches the path). */
static const struct api_route *find_route(const char *path, const char *method,
                                          char params[2][PARAM_MAX], char *allow, size_t size,
                                          unsigned *status)
{
    const char *pattern = NULL;
    *status = 404;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (pattern ? strcmp(routes[i].pattern, pattern) != 0
                    : !match(routes[i].pattern, path, params))
            continue;
        pattern = routes[i].pattern;
        if (method_ok(routes[i].method, method))
            return &routes[i]; /* params were filled when the pattern first matched */
        size_t n = strlen(allow);
        snprintf(allow + n, size - n, "%s%s%s", n ? ", " : "", routes[i].method,
                 strcmp(routes[i].method, "GET") ? "" : ", HEAD");
        *status = 405;
    }
    return NULL;
}

/* Run the route's handler, after the community check and the body. Returns the status. */
static unsigned run(const struct api_route *r, struct gm_api_call *call)
{
    char *text = NULL;
    unsigned status = 0;
    gm_err e = strstr(r->pattern, "{community}")
                   ? gm_community_exists(call->app->st, call->param[0])
                   : GM_OK;
    if (e != GM_OK) {
        snprintf(call->err, sizeof call->err, "%s",
                 e == GM_ENOTFOUND ? "no such community" : gm_strerror(e));
        return gm_router_status(e);
    }
    if ((status = read_body(r, call, &text)) == 0) {
        call->resp->status = 200;
        e = r->handler(call);
        if (e != GM_OK && !call->err[0])
            snprintf(call->err, sizeof call->err, "%s", gm_strerror(e));
        status = e == GM_OK ? call->resp->status : gm_router_status(e);
    }
    if (call->queued && call->app->delivery)
        gm_delivery_kick(call->app->delivery);
    json_decref(call->body);
    call->body = NULL;
    free(text);
    return status;
}

void gm_api_dispatch(struct gm_app *app, const struct gm_http_req *req, struct gm_http_resp *resp)
{
    const char *token = app->cfg ? app->cfg->admin_token : NULL;
    const char *path = req->path + strlen(GM_API_PREFIX);
    char params[2][PARAM_MAX], allow[64] = "";
    struct gm_api_call call = {.app = app, .req = req, .resp = resp};
    unsigned status;
    if (!token || !*token) {
        status = 404;
        snprintf(call.err, sizeof call.err, "admin API is off");
    } else if (!gm_api_bearer_ok(token, req)) {
        status = 401;
        snprintf(call.err, sizeof call.err, "unauthorized");
    } else {
        const struct api_route *r =
            find_route(path, req->method, params, allow, sizeof allow, &status);
        snprintf(call.err, sizeof call.err, "%s",
                 status == 405 ? "method not allowed" : "no such endpoint");
        if (r) {
            const char *first = strchr(r->pattern, '{');
            call.err[0] = '\0';
            call.param[0] = first ? params[0] : NULL;
            call.param[1] = first && strchr(first + 1, '{') ? params[1] : NULL;
            status = run(r, &call);
        }
    }
    if (status >= 400) {
        if (status >= 500)
            gm_error("api: %s %s from %s: %u %s", req->method, req->path, req->remote, status,
                     call.err);
        set_error(resp, status, call.err);
    }
    gm_info("api: %s %s from %s: %u", req->method, req->path, req->remote, status);
    if (status == 401)
        gm_http_resp_header(resp, "WWW-Authenticate", "Bearer");
    if (status == 405)
        gm_http_resp_header(resp, "Allow", allow);
    gm_http_resp_header(resp, "Cache-Control", "no-store");
}

gm_err gm_api_fail(struct gm_api_call *call, gm_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->err, sizeof call->err, fmt, ap);
    va_end(ap);
    return e;
}

gm_err gm_api_reply(struct gm_api_call *call, json_t *doc)
{
    return gm_http_resp_json(call->resp, doc, "application/json");
}

gm_err gm_api_fields(struct gm_api_call *call, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(call->body, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i])
            return gm_api_fail(call, GM_EINVAL, "unknown field '%.64s'", key);
    }
    return GM_OK;
}

gm_err gm_api_string(struct gm_api_call *call, const char *key, bool required, const char **out)
{
    json_t *v = json_object_get(call->body, key);
    if (!v && !required) {
        *out = NULL;
        return GM_OK;
    }
    if (!json_is_string(v))
        return gm_api_fail(call, GM_EINVAL, "%s: a string is needed", key);
    *out = json_string_value(v);
    return GM_OK;
}

gm_err gm_api_query_uint(struct gm_api_call *call, const char *name, unsigned long long def,
                         unsigned long long min, unsigned long long max, unsigned long long *out)
{
    const char *s = gm_http_req_query(call->req, name);
    unsigned long long v = 0;
    size_t i = 0;
    if (!s) {
        *out = def;
        return GM_OK;
    }
    for (; s[i] >= '0' && s[i] <= '9' && i < 20 && v <= max; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0');
    if (i == 0 || s[i] || v < min || v > max)
        return gm_api_fail(call, GM_EINVAL, "%s: a whole number from %llu to %llu", name, min, max);
    *out = v;
    return GM_OK;
}
