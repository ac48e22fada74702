/* SPDX-License-Identifier: Apache-2.0
 * removal.c - removing a relayed post. One fan-out carries both halves (relay.c, "undo" with
 * "undo_all"): the Undo of the original Announce for every destination, then, for group-aware
 * servers, the Announce of a Delete whose actor is the community, not the author, with the
 * reason as summary, which Lemmy reads as a moderator's removal. */
#include "gemeinde/removal.h"
#include "gemeinde/stats_events.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/log.h"
#include "gemeinde/modlog.h"
#include "gemeinde/notify.h"
#include "gemeinde/pins.h"
#include "gemeinde/relay.h"
#include "gemeinde/relay_store.h"

#define AS_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

/* Delete{actor: community, object, summary: reason, to Public, cc and audience the community}.
 * New reference. */
static json_t *removal_delete(const struct gm_rules_ctx *ctx, const char *community,
                              const char *object_id, const char *reason)
{
    char me[600];
    snprintf(me, sizeof me, "%s/c/%s", ctx->base_url, community);
    char *id = gm_notify_new_id(ctx->base_url, community, "remove");
    json_t *doc = id ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:s}", "id", id, "type",
                                 "Delete", "actor", me, "object", object_id, "summary", reason,
                                 "to", AS_PUBLIC, "cc", me, "audience", me)
                     : NULL;
    free(id);
    return doc;
}

gm_err gm_post_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *object_id, const char *moderator, const char *reason)
{
    uint64_t seq;
    char extra[80];
    if (blank(reason))
        return GM_EINVAL;
    if (strlen(reason) > GM_REMOVAL_REASON_MAX)
        return GM_ETOOBIG;
    gm_err e = gm_relayed_get(txn, community, object_id, &seq);
    if (e != GM_OK)
        return e;
    if (gm_relayed_deleted(txn, community, object_id) == GM_OK)
        return GM_EEXISTS;
    if ((e = gm_relayed_mark_deleted(txn, community, object_id)) == GM_OK)
        e = gm_stats_on_gone(txn, community, object_id);
    if (e != GM_OK)
        return e;
    if (gm_pin_find(txn, community, object_id) == GM_OK &&
        (e = gm_pin_remove(txn, ctx, community, object_id, moderator)) != GM_OK)
        return e;
    json_t *del = removal_delete(ctx, community, object_id, reason);
    snprintf(extra, sizeof extra, ",\"undo\":%llu,\"undo_all\":1", (unsigned long long)seq);
    e = del ? gm_relay_announce(txn, ctx, community, del, extra) : GM_ENOMEM;
    json_decref(del);
    if (e != GM_OK)
        return e;
    if ((e = gm_modlog_add(txn, ctx->now, community, moderator, "remove", object_id, reason,
                           NULL)) == GM_OK)
        gm_info("removal: %s removed %s (%s): %s", community, object_id, moderator, reason);
    return e;
}
