/* SPDX-License-Identifier: Apache-2.0
 * community_pages.h - public documents about how a community is run: its moderators (the
 * collection Lemmy reads from the Group's attributedTo) and its rules (HTML for people, JSON
 * for programs, by content negotiation). */
#ifndef GEMEINDE_COMMUNITY_PAGES_H
#define GEMEINDE_COMMUNITY_PAGES_H

#include "gemeinde/http.h"

/* GET /c/{name}/moderators: an OrderedCollection of the moderators' actor ids. */
gm_err gm_community_get_moderators(struct gm_app *app, const struct gm_http_req *req,
                                   struct gm_http_resp *resp);
/* GET /c/{name}/rules: {name, title, rules[], join, posting} or an HTML page. */
gm_err gm_community_get_rules(struct gm_app *app, const struct gm_http_req *req,
                              struct gm_http_resp *resp);

#endif
