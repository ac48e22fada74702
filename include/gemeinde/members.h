/* SPDX-License-Identifier: Apache-2.0
 * members.h - who follows a community: one record per (community, actor), with where to
 * deliver to them and the Follow that made them a member. */
#ifndef GEMEINDE_MEMBERS_H
#define GEMEINDE_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_member {
    char *actor;        /* actor id */
    char *inbox;        /* personal inbox */
    char *shared_inbox; /* endpoints.sharedInbox, or NULL */
    char *follow_id;    /* id of the Follow activity, or NULL */
    int64_t since;      /* unix seconds */
};

void gm_member_free(struct gm_member *m); /* NULL is allowed */

/* Insert or replace (re-following keeps `since` of the first follow). */
gm_err gm_member_put(struct gm_txn *txn, const char *community, const struct gm_member *m);
/* GM_OK: *out is yours (out may be NULL: a membership test). GM_ENOTFOUND: not a member. */
gm_err gm_member_get(struct gm_txn *txn, const char *community, const char *actor,
                     struct gm_member **out);
/* GM_ENOTFOUND if not a member. */
gm_err gm_member_delete(struct gm_txn *txn, const char *community, const char *actor);
/* Members of `community` in actor order. GM_OK: *out is an array of *count members
 * (gm_members_free). */
gm_err gm_member_list(struct gm_txn *txn, const char *community, struct gm_member ***out,
                      size_t *count);
void gm_members_free(struct gm_member **list, size_t count);
/* Up to `max` members of `community` with actor ids after `after` (NULL: from the first), in
 * actor order. GM_OK: *out as gm_member_list (*count may be 0 at the end). */
gm_err gm_member_page(struct gm_txn *txn, const char *community, const char *after, size_t max,
                      struct gm_member ***out, size_t *count);
gm_err gm_member_count(struct gm_txn *txn, const char *community, size_t *count);

#endif
