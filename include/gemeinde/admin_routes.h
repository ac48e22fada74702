/* SPDX-License-Identifier: Apache-2.0
 * admin_routes.h - the admin dashboard over HTTP. Off (404) unless admin_token is configured.
 *   GET  /admin/login   the login form          POST /admin/login   token -> session cookie
 *   POST /admin/logout  ends the session        GET  /admin         the communities
 *   GET  /admin/NAME    a community's dashboard (?days=7|30|90|365, default 30)
 * Without a valid session a page redirects (303) to the login form, which returns there.
 * Every page is sent with a strict Content-Security-Policy (no scripts at all), no caching,
 * no referrer and no framing. */
#ifndef GEMEINDE_ADMIN_ROUTES_H
#define GEMEINDE_ADMIN_ROUTES_H

#include "gemeinde/http.h"

gm_err gm_admin_login_form(struct gm_app *app, const struct gm_http_req *req,
                           struct gm_http_resp *resp);
gm_err gm_admin_login(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp);
gm_err gm_admin_logout(struct gm_app *app, const struct gm_http_req *req,
                       struct gm_http_resp *resp);
gm_err gm_admin_index(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp);
gm_err gm_admin_dashboard(struct gm_app *app, const struct gm_http_req *req,
                          struct gm_http_resp *resp);

/* Decode application/x-www-form-urlencoded field `name` of `body` (len bytes) into out.
 * 1 if present and it fits (NUL bytes are refused), else 0. */
int gm_admin_form_field(const char *body, size_t len, const char *name, char *out, size_t size);

#endif
