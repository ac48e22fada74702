/* SPDX-License-Identifier: Apache-2.0
 * html_community.h - the page a person sees at a community's URL. */
#ifndef GEMEINDE_HTML_COMMUNITY_H
#define GEMEINDE_HTML_COMMUNITY_H

#include <stddef.h>

#include "gemeinde/err.h"

struct gm_app;
struct gm_community;

/* Render the community page: title, description, rules, member count and how to follow it.
 * Every text is escaped. GM_OK: *html is a new string of *len bytes. */
gm_err gm_html_community_page(const struct gm_app *app, const struct gm_community *c,
                              size_t members, char **html, size_t *len);

#endif
