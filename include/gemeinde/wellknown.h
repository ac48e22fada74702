/* SPDX-License-Identifier: Apache-2.0
 * wellknown.h - discovery: WebFinger (RFC 7033), host-meta (RFC 6415), NodeInfo 2.1, health. */
#ifndef GEMEINDE_WELLKNOWN_H
#define GEMEINDE_WELLKNOWN_H

#include "gemeinde/http.h"

gm_err gm_wellknown_webfinger(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp);
gm_err gm_wellknown_host_meta(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp);
gm_err gm_wellknown_nodeinfo_links(struct gm_app *app, const struct gm_http_req *req,
                                   struct gm_http_resp *resp);
gm_err gm_wellknown_nodeinfo(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp);
gm_err gm_wellknown_healthz(struct gm_app *app, const struct gm_http_req *req,
                            struct gm_http_resp *resp);

/* Parse a WebFinger resource against this node's host. Accepts "acct:NAME@HOST" (also
 * "acct:@NAME@HOST" and without "acct:") and the actor URL BASE/c/NAME. GM_OK: `name` holds the
 * community name, or "" for the instance actor (acct:HOST@HOST or BASE/actor).
 * GM_EINVAL: malformed; GM_ENOTFOUND: well-formed but another host or path. */
gm_err gm_wellknown_parse_resource(const struct gm_app *app, const char *resource, char *name,
                                   size_t name_size);

#endif
