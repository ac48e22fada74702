/* SPDX-License-Identifier: Apache-2.0
 * api.h - the admin API: JSON over HTTP under /api/v1/ for the operations the CLI offers, both
 * calling the one implementation in moderation.h. Off unless the configuration sets
 * admin_token; every request must then carry "Authorization: Bearer TOKEN". Actions are logged
 * in the moderation log as moderator GM_API_MODERATOR. Endpoints: docs/API.md; adding one:
 * src/api_int.h. */
#ifndef GEMEINDE_API_H
#define GEMEINDE_API_H

#include <stdbool.h>

#include "gemeinde/http.h"

#define GM_API_PREFIX "/api/v1"
#define GM_API_MODERATOR "api"

/* Is `presented` the admin token `token`? Both are hashed first, so the comparison takes the
 * same time whatever the presented text's length or content. False if either is NULL. */
bool gm_api_token_matches(const char *token, const char *presented);
/* Does the request's "Authorization: Bearer ..." carry `token`? */
bool gm_api_bearer_ok(const char *token, const struct gm_http_req *req);

/* True if `path` is "/api/v1" or below it: the router hands such requests to gm_api_dispatch. */
bool gm_api_owns(const char *path);

/* Answer an API request in `resp`, for every outcome: API off 404, missing or wrong token 401
 * (WWW-Authenticate: Bearer; the same body either way), unknown endpoint 404, wrong method 405
 * with Allow, unknown community 404, wrong Content-Type 415, bad body 400, operation errors by
 * gm_router_status; always a JSON body {"error": "..."} on failure. Never fails. */
void gm_api_dispatch(struct gm_app *app, const struct gm_http_req *req, struct gm_http_resp *resp);

#endif
