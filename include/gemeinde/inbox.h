/* SPDX-License-Identifier: Apache-2.0
 * inbox.h - the one door for federated activities: POST /c/NAME/inbox and the shared /inbox.
 * Cheap checks first (size, JSON shape, signature syntax, date window, digest), then the key
 * (cache, or a fetch on a deferral thread), verification, origin rules, dedupe, and one write
 * transaction before 202. Every refusal is logged with the peer and the reason. */
#ifndef GEMEINDE_INBOX_H
#define GEMEINDE_INBOX_H

#include <jansson.h>
#include <stdint.h>

#include "gemeinde/http.h"

/* Accepted clock skew: signatures may be this far in the future / this old. */
#define GM_INBOX_MAX_FUTURE (60 * 60)
#define GM_INBOX_MAX_AGE (12 * 60 * 60)
/* Nesting cap for activity JSON and the longest activity id we keep. */
#define GM_INBOX_MAX_DEPTH 32
#define GM_INBOX_MAX_ID 500

/* The route handler for both inboxes (req->param is the community or NULL). */
gm_err gm_inbox_post(struct gm_app *app, const struct gm_http_req *req,
                     struct gm_http_resp *resp);

/* Shape of an activity before anything trusts it: a JSON object with a string "type", an
 * "actor" (string or object with a string id) that is an http(s) URL, an optional string "id"
 * (http(s), at most GM_INBOX_MAX_ID bytes), and no top-level "@graph", "@included" or
 * "@reverse". GM_OK: *actor and *type are borrowed from `doc`. GM_EINVAL: `why` says what. */
gm_err gm_inbox_check_shape(json_t *doc, const char **actor, const char **type,
                            const char **why);

/* Origin rules once the signer is known to be `actor` (FEP-fe34): the activity id shares the
 * actor's origin; a Create/Update's embedded object shares it and is attributed to the actor;
 * a Delete's object shares it; an Undo's embedded activity is the actor's. Other embedded
 * objects from another origin are not trusted: they are replaced by their id in `doc`.
 * GM_OK, or GM_EFORBID with `why`. */
gm_err gm_inbox_check_origin(json_t *doc, const char *actor, const char **why);

#endif
