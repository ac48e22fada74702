/* SPDX-License-Identifier: Apache-2.0
 * modlog_page.h - GET /c/{name}/modlog: the public moderation log of a community (its own and
 * the node-wide entries, newest first, ?before=N pages of GM_MODLOG_PAGE), as JSON or as an
 * HTML page for browsers. Private notes are never part of it. */
#ifndef GEMEINDE_MODLOG_PAGE_H
#define GEMEINDE_MODLOG_PAGE_H

#include "gemeinde/http.h"

#define GM_MODLOG_PAGE 50

gm_err gm_modlog_get(struct gm_app *app, const struct gm_http_req *req,
                     struct gm_http_resp *resp);

#endif
