/* SPDX-License-Identifier: Apache-2.0
 * api_int.h - inside the admin API: what a handler receives, the helpers handlers share, and
 * the handlers (one file per area: api_communities.c, api_blocks.c ...). Only src/api*.c
 * include this.
 *
 * Adding an endpoint takes three steps:
 *   1. a handler in the area's file, calling the operation that the CLI calls too:
 *        gm_err gm_api_ban_add(struct gm_api_call *call)
 *        {
 *            const char *actor;
 *            gm_err e = gm_api_fields(call, (const char *const[]){"actor", "reason", NULL});
 *            if (e == GM_OK)
 *                e = gm_api_string(call, "actor", true, &actor);
 *            if (e == GM_OK)
 *                e = gm_mod_ban(call->app->st, call->param[0], actor, GM_API_MODERATOR);
 *            return e == GM_OK ? gm_api_reply(call, json_pack("{s:s}", "banned", actor)) : e;
 *        }
 *   2. its declaration at the end of this file;
 *   3. one line in the route table of api.c:
 *        {"POST", "/communities/{community}/bans", gm_api_ban_add, GM_API_JSON},
 * Auth, routing, 404 for an unknown community, Content-Type and JSON parsing, and turning an
 * error into a status with a JSON body are done before and after the handler. */
#ifndef GEMEINDE_API_INT_H
#define GEMEINDE_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gemeinde/api.h"
#include "gemeinde/app.h"
#include "gemeinde/http.h"

/* What a route takes as its body. */
enum gm_api_body {
    GM_API_NO_BODY = 0, /* any body is ignored */
    GM_API_JSON,        /* Content-Type application/json (or +json); a JSON object */
    GM_API_CSV,         /* Content-Type text/csv; text without NUL bytes */
};

#define GM_API_ERRLEN 256

struct gm_api_call {
    struct gm_app *app;
    const struct gm_http_req *req;
    struct gm_http_resp *resp; /* status 200 unless the handler sets another success status */
    /* Path captures in pattern order, NULL past the pattern's own. "{community}" (the first
     * capture) is a community that existed when the request arrived (the handler still gets
     * GM_ENOTFOUND if it was deleted since). */
    const char *param[2];
    json_t *body;            /* GM_API_JSON: the object, borrowed for the call */
    const char *text;        /* GM_API_CSV: the body, NUL-terminated, borrowed for the call */
    bool queued;             /* set after committing queued deliveries: the workers are woken */
    char err[GM_API_ERRLEN]; /* message of an error result ("" -> gm_strerror) */
};

/* A handler returns GM_OK after gm_api_reply (or after filling call->resp itself), or an error
 * whose status gm_router_status gives, with call->err as the message. */
typedef gm_err (*gm_api_handler)(struct gm_api_call *call);

/* Set the error message and return `e`. */
gm_err gm_api_fail(struct gm_api_call *call, gm_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The JSON body of a success (steals `doc`; NULL is GM_ENOMEM). */
gm_err gm_api_reply(struct gm_api_call *call, json_t *doc);

/* GM_EINVAL (message naming it) if the body has a member not in `allowed` (NULL-terminated). */
gm_err gm_api_fields(struct gm_api_call *call, const char *const *allowed);
/* Body member `key` as a string (borrowed for the call): GM_EINVAL when it is not a string, or
 * absent and required; *out = NULL when absent and optional. */
gm_err gm_api_string(struct gm_api_call *call, const char *key, bool required, const char **out);
/* Query argument `name` as a whole number in [min, max]; `def` when absent. GM_EINVAL with a
 * message otherwise. */
gm_err gm_api_query_uint(struct gm_api_call *call, const char *name, unsigned long long def,
                         unsigned long long min, unsigned long long max, unsigned long long *out);

/* api_communities.c */
gm_err gm_api_communities_list(struct gm_api_call *call);
gm_err gm_api_community_get(struct gm_api_call *call);
gm_err gm_api_community_patch(struct gm_api_call *call);
gm_err gm_api_members_list(struct gm_api_call *call);
gm_err gm_api_member_remove(struct gm_api_call *call);
gm_err gm_api_modlog_list(struct gm_api_call *call);

/* api_blocks.c */
gm_err gm_api_blocks_list(struct gm_api_call *call);
gm_err gm_api_block_add(struct gm_api_call *call);
gm_err gm_api_block_remove(struct gm_api_call *call);
gm_err gm_api_blocks_export(struct gm_api_call *call);
gm_err gm_api_blocks_import(struct gm_api_call *call);

/* api_moderation.c */
gm_err gm_api_moderation_list(struct gm_api_call *call);
gm_err gm_api_pending_answer(struct gm_api_call *call);
gm_err gm_api_held_answer(struct gm_api_call *call);
gm_err gm_api_ban_add(struct gm_api_call *call);
gm_err gm_api_ban_remove(struct gm_api_call *call);
gm_err gm_api_moderator_add(struct gm_api_call *call);
gm_err gm_api_moderator_remove(struct gm_api_call *call);
gm_err gm_api_cblock_add(struct gm_api_call *call);
gm_err gm_api_cblock_remove(struct gm_api_call *call);
gm_err gm_api_report_act(struct gm_api_call *call);
gm_err gm_api_pin_add(struct gm_api_call *call);
gm_err gm_api_pin_remove(struct gm_api_call *call);
gm_err gm_api_post_remove(struct gm_api_call *call);

/* api_stats.c */
gm_err gm_api_stats(struct gm_api_call *call);

#endif
