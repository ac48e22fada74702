/* SPDX-License-Identifier: Apache-2.0
 * weekly.h - the weekly digest: for a community with the setting weekly_digest on, every
 * moderator gets a direct message each week (Mondays from 08:00 UTC) with the last seven days'
 * figures and the posts still waiting for an answer. The daemon's delivery worker checks every
 * few minutes; the week a digest went out is kept (meta "weekly:NAME"), so each week's digest
 * is sent once, also across restarts. */
#ifndef GEMEINDE_WEEKLY_H
#define GEMEINDE_WEEKLY_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_WEEKLY_HOUR 8        /* Monday, 08:00 UTC */
#define GM_WEEKLY_UNANSWERED 10 /* posts listed */

/* Weeks since the Monday before 1970-01-01 (weeks start on Monday 00:00 UTC). */
int64_t gm_weekly_week(int64_t t);

/* The digest of `community` for the 7 days ending with the day of `now`, as plain text.
 * GM_OK: *text is a new string. GM_ENOTFOUND: no such community. */
gm_err gm_weekly_text(struct gm_txn *txn, const char *community, int64_t now, char **text);

/* Queue the digests that are due at ctx->now (inside the write transaction `txn`): every
 * community with weekly_digest on, not sent this week yet, now past Monday 08:00 UTC. A
 * moderator whose inbox is unknown is skipped (logged). GM_OK: *sent (may be NULL) counts the
 * direct messages queued. */
gm_err gm_weekly_run(struct gm_txn *txn, struct gm_rules_ctx *ctx, size_t *sent);

#endif
