/* SPDX-License-Identifier: Apache-2.0
 * html_community.h - the page a person sees at a community's URL. */
#ifndef GEMEINDE_HTML_COMMUNITY_H
#define GEMEINDE_HTML_COMMUNITY_H

#include <stddef.h>

#include <jansson.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_app;
struct gm_community;

#define GM_HTML_RECENT_POSTS 20

/* The newest posts `community` relayed (not deleted or removed since), newest first, at most
 * `max`: {"url", "author", "title" (may be ""), "html" (remote content sanitized to the
 * allow-list of html_sanitize.h), "published"}. GM_OK: *posts is a new array. */
gm_err gm_html_community_posts(struct gm_txn *txn, const char *community, size_t max,
                               json_t **posts);

/* Render the community page: title, description, rules, member count, how to follow it and
 * the recent posts (`posts` as gm_html_community_posts gives, borrowed; NULL: none). Every
 * text is escaped; post content is already sanitized. GM_OK: *html is a new string of *len
 * bytes. */
gm_err gm_html_community_page(const struct gm_app *app, const struct gm_community *c,
                              size_t members, json_t *posts, char **html, size_t *len);

#endif
