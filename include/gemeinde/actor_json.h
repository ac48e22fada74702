/* SPDX-License-Identifier: Apache-2.0
 * actor_json.h - the community's Group actor, the instance Application actor and their
 * collections as ActivityStreams JSON. Pure functions of their inputs: no storage, no I/O. */
#ifndef GEMEINDE_ACTOR_JSON_H
#define GEMEINDE_ACTOR_JSON_H

#include <jansson.h>
#include <stddef.h>

struct gm_app;
struct gm_community;

/* Media type we serve ActivityPub documents with. */
#define GM_AP_CONTENT_TYPE "application/activity+json"

/* URL of a community: BASE/c/NAME followed by `suffix` ("" , "/inbox", "#main-key", ...).
 * New string (caller frees) or NULL. */
char *gm_actor_url(const struct gm_app *app, const char *name, const char *suffix);

/* The summary as the actor shows it: the escaped description in <p>, then the rules as an
 * ordered list. New string or NULL. */
char *gm_actor_summary_html(const struct gm_community *c);

/* The Group actor. New reference, or NULL on allocation failure. */
json_t *gm_actor_group_json(const struct gm_app *app, const struct gm_community *c);

/* The instance actor (Application, BASE/actor). New reference or NULL. */
json_t *gm_actor_instance_json(const struct gm_app *app);

/* An OrderedCollection with `total` and the given items (steals `items`). With items NULL,
 * an empty collection gets "orderedItems": [] and a non-empty one shows only totalItems.
 * New reference or NULL. */
json_t *gm_actor_collection_json(const char *id, size_t total, json_t *items);

#endif
