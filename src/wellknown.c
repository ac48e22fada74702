/* SPDX-License-Identifier: Apache-2.0
 * wellknown.c - discovery documents. WebFinger maps acct:NAME@HOST (or the actor URL) to the
 * Group actor, and acct:HOSTNAME@HOST to the instance actor, as Mastodon does for its own.
 * NodeInfo 2.1 tells crawlers and peers which software this is; peers use its software name to
 * pick the shape of what they send us. */
#include "gemeinde/wellknown.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/actor_json.h"
#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"

#define RESOURCE_MAX 1024

/* The host without port, e.g. "groups.example.org" or "[::1]" -> "::1"-free form kept. */
static void host_name(const struct gm_app *app, char *out, size_t size)
{
    snprintf(out, size, "%s", app->host);
    char *end = out[0] == '[' ? strchr(out, ']') : strchr(out, ':');
    if (end)
        end[out[0] == '['] = '\0';
}

static gm_err parse_url_resource(const struct gm_app *app, const char *r, char *name,
                                 size_t name_size)
{
    size_t blen = strlen(app->base_url);
    if (strncasecmp(r, app->base_url, blen) != 0)
        return GM_ENOTFOUND;
    const char *rest = r + blen;
    if (strcmp(rest, "/actor") == 0) {
        name[0] = '\0';
        return GM_OK;
    }
    if (strncmp(rest, "/c/", 3) != 0 || !gm_community_name_valid(rest + 3))
        return GM_ENOTFOUND;
    snprintf(name, name_size, "%s", rest + 3);
    return GM_OK;
}

gm_err gm_wellknown_parse_resource(const struct gm_app *app, const char *resource, char *name,
                                   size_t name_size)
{
    if (!resource || !*resource || strlen(resource) > RESOURCE_MAX)
        return GM_EINVAL;
    const char *r = resource;
    if (strncasecmp(r, "acct:", 5) == 0)
        r += 5;
    else if (strncasecmp(r, "https://", 8) == 0 || strncasecmp(r, "http://", 7) == 0)
        return parse_url_resource(app, r, name, name_size);
    if (*r == '@')
        r++;
    const char *at = strrchr(r, '@');
    if (!at || at == r || !at[1])
        return GM_EINVAL;
    for (const char *p = r; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '/' || *p == '?' || *p == '#')
            return GM_EINVAL;
    if (strcasecmp(at + 1, app->host) != 0)
        return GM_ENOTFOUND;
    char user[GM_NAME_MAX + 2], hostname[300];
    size_t ulen = (size_t)(at - r);
    host_name(app, hostname, sizeof hostname);
    if (ulen == strlen(hostname) && strncasecmp(r, hostname, ulen) == 0) {
        name[0] = '\0';
        return GM_OK;
    }
    if (ulen > GM_NAME_MAX || ulen >= name_size)
        return GM_ENOTFOUND;
    for (size_t i = 0; i < ulen; i++)
        user[i] = (char)tolower((unsigned char)r[i]);
    user[ulen] = '\0';
    if (!gm_community_name_valid(user))
        return GM_ENOTFOUND;
    memcpy(name, user, ulen + 1);
    return GM_OK;
}

static json_t *jrd(const char *subject, const char *actor)
{
    return json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "subject", subject,
                     "aliases", actor, "links", "rel", "self", "type", GM_AP_CONTENT_TYPE, "href",
                     actor, "rel", "http://webfinger.net/rel/profile-page", "type", "text/html",
                     "href", actor);
}

gm_err gm_wellknown_webfinger(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp)
{
    char name[GM_NAME_MAX + 1], subject[400], actor[600], hostname[300];
    const char *resource = gm_http_req_query(req, "resource");
    gm_err e = gm_wellknown_parse_resource(app, resource, name, sizeof name);
    if (e == GM_EINVAL)
        resp->error = resource && *resource ? "malformed resource"
                                            : "missing resource query parameter";
    else if (e == GM_ENOTFOUND)
        resp->error = "no such account on this host";
    if (e != GM_OK)
        return e;
    if (name[0]) {
        if ((e = gm_community_exists(app->st, name)) != GM_OK) {
            resp->error = e == GM_ENOTFOUND ? "no such community" : NULL;
            return e;
        }
        snprintf(subject, sizeof subject, "acct:%s@%s", name, app->host);
        snprintf(actor, sizeof actor, "%s/c/%s", app->base_url, name);
    } else {
        host_name(app, hostname, sizeof hostname);
        snprintf(subject, sizeof subject, "acct:%s@%s", hostname, app->host);
        snprintf(actor, sizeof actor, "%s/actor", app->base_url);
    }
    e = gm_http_resp_json(resp, jrd(subject, actor), "application/jrd+json; charset=utf-8");
    if (e == GM_OK)
        e = gm_http_resp_header(resp, "Access-Control-Allow-Origin", "*");
    return e;
}

gm_err gm_wellknown_host_meta(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp)
{
    struct gm_buf b;
    char *body;
    size_t len;
    gm_buf_init(&b, 4096);
    gm_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n"
                    "  <Link rel=\"lrdd\" template=\"");
    gm_buf_put_html(&b, app->base_url);
    gm_buf_puts(&b, "/.well-known/webfinger?resource={uri}\"/>\n</XRD>\n");
    gm_err e = gm_buf_take(&b, &body, &len);
    if (e != GM_OK)
        return e;
    gm_http_resp_take(resp, body, len, "application/xrd+xml; charset=utf-8");
    return GM_OK;
}

gm_err gm_wellknown_nodeinfo_links(struct gm_app *app, const struct gm_http_req *req,
                                   struct gm_http_resp *resp)
{
    char href[600];
    snprintf(href, sizeof href, "%s/nodeinfo/2.1", app->base_url);
    return gm_http_resp_json(
        resp,
        json_pack("{s:[{s:s, s:s}]}", "links", "rel",
                  "http://nodeinfo.diaspora.software/ns/schema/2.1", "href", href),
        "application/json");
}

gm_err gm_wellknown_nodeinfo(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    size_t communities = 0;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_count(txn, &communities);
    gm_txn_abort(txn);
    if (e != GM_OK)
        return e;
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[s], s:{s:[], s:[]}, s:b, s:{s:{s:I}, s:I}, s:{s:s, s:I}}",
        "version", "2.1", "software", "name", "gemeinde", "version", GM_VERSION, "homepage",
        app->base_url, "protocols", "activitypub", "services", "inbound", "outbound",
        "openRegistrations", 0, "usage", "users", "total", (json_int_t)communities, "localPosts",
        (json_int_t)0, "metadata", "nodeName", app->host, "communities", (json_int_t)communities);
    return gm_http_resp_json(
        resp, doc,
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"");
}

gm_err gm_wellknown_healthz(struct gm_app *app, const struct gm_http_req *req,
                            struct gm_http_resp *resp)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    gm_txn_abort(txn);
    return gm_http_resp_json(resp, json_pack("{s:s, s:s}", "status", "ok", "version", GM_VERSION),
                             "application/json");
}
