/* SPDX-License-Identifier: Apache-2.0
 * http_resp.c - building responses and reading requests, for handlers. Content negotiation for
 * actors lives here too: ActivityPub JSON unless the client asks for HTML only. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/http.h"

gm_err gm_http_resp_json(struct gm_http_resp *resp, json_t *doc, const char *content_type)
{
    if (!doc)
        return GM_ENOMEM;
    char *s = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    gm_http_resp_take(resp, s, strlen(s), content_type);
    return GM_OK;
}

void gm_http_resp_take(struct gm_http_resp *resp, char *body, size_t len,
                       const char *content_type)
{
    free(resp->body);
    resp->body = body;
    resp->body_len = len;
    resp->content_type = content_type;
}

gm_err gm_http_resp_header(struct gm_http_resp *resp, const char *name, const char *value)
{
    if (resp->n_headers >= GM_HTTP_MAX_HEADERS)
        return GM_ETOOBIG;
    char *copy = strdup(value);
    if (!copy)
        return GM_ENOMEM;
    resp->hdr_name[resp->n_headers] = name;
    resp->hdr_value[resp->n_headers++] = copy;
    return GM_OK;
}

void gm_http_resp_clear(struct gm_http_resp *resp)
{
    free(resp->body);
    for (size_t i = 0; i < resp->n_headers; i++)
        free(resp->hdr_value[i]);
    memset(resp, 0, sizeof *resp);
}

const char *gm_http_req_header(const struct gm_http_req *req, const char *name)
{
    return req->header ? req->header(req->ctx, name) : NULL;
}

const char *gm_http_req_query(const struct gm_http_req *req, const char *name)
{
    return req->query ? req->query(req->ctx, name) : NULL;
}

/* Case-insensitive search for `needle` in `hay`. */
static int has_token(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

int gm_http_wants_activity_json(const struct gm_http_req *req)
{
    const char *accept = gm_http_req_header(req, "Accept");
    if (!accept)
        return 1;
    if (has_token(accept, "application/activity+json") ||
        has_token(accept, "application/ld+json") || has_token(accept, "application/json"))
        return 1;
    return !has_token(accept, "text/html");
}
