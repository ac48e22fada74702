/* SPDX-License-Identifier: Apache-2.0
 * router.h - (method, path) -> handler, and the one place where gm_err becomes an HTTP status. */
#ifndef GEMEINDE_ROUTER_H
#define GEMEINDE_ROUTER_H

#include "gemeinde/http.h"

/* Route `req` and fill `resp` (status, body, headers) for every outcome: unknown path 404,
 * wrong method 405 with Allow, handler errors mapped by gm_router_status with a JSON body
 * {"error": "..."}. Never fails. */
void gm_router_dispatch(struct gm_app *app, const struct gm_http_req *req,
                        struct gm_http_resp *resp);

/* The HTTP status for a handler error. */
unsigned gm_router_status(gm_err err);

#endif
