/* SPDX-License-Identifier: Apache-2.0
 * actor_routes.h - GET handlers for our actors and their collections. */
#ifndef GEMEINDE_ACTOR_ROUTES_H
#define GEMEINDE_ACTOR_ROUTES_H

#include "gemeinde/http.h"

/* /c/{name}: Group JSON, or the HTML page when the client asks for HTML. */
gm_err gm_actor_get_group(struct gm_app *app, const struct gm_http_req *req,
                          struct gm_http_resp *resp);
/* The outbox: an OrderedCollection of Announces; ?page=true (or ?before=N) gives a page of
 * GM_OUTBOX_PAGE, newest first. */
#define GM_OUTBOX_PAGE 20
gm_err gm_actor_get_outbox(struct gm_app *app, const struct gm_http_req *req,
                           struct gm_http_resp *resp);
/* /c/{name}/announces/{seq}: one Announce. */
gm_err gm_actor_get_announce(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp);
gm_err gm_actor_get_followers(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp);
gm_err gm_actor_get_featured(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp);
/* /actor and /actor/outbox: the instance actor. */
gm_err gm_actor_get_instance(struct gm_app *app, const struct gm_http_req *req,
                             struct gm_http_resp *resp);
gm_err gm_actor_get_instance_outbox(struct gm_app *app, const struct gm_http_req *req,
                                    struct gm_http_resp *resp);

#endif
