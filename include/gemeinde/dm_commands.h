/* SPDX-License-Identifier: Apache-2.0
 * dm_commands.h - moderation by direct message, from any fediverse app. A moderator of a
 * community sends it a DM ("approve @ana@example.social", "ban @spam@bad.example 7 spam",
 * "help" ...); the node performs the command with the same operations as the CLI and the
 * admin API and answers by DM. DMs from anyone else are never relayed: they are kept in the
 * community's moderator inbox (`gemeinde inbox NAME`), and a command word from a
 * non-moderator gets a short polite refusal. */
#ifndef GEMEINDE_DM_COMMANDS_H
#define GEMEINDE_DM_COMMANDS_H

#include <jansson.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_DM_TEXT_MAX 5000

/* A verified non-public Create (borrowed) from ctx->actor addressed to `community`. */
gm_err gm_dm_on_message(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        json_t *create, json_t *obj);

/* Run the command line `text` (plain text, mentions already stripped) for moderator
 * ctx->actor of `community`. GM_OK: *reply is a new string to send back. */
gm_err gm_dm_run(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                 const char *text, char **reply);

/* Messages in the moderator inbox, newest first: a new array of {seq, value:{from, object,
 * content, at}} (see ckv.h gm_clog_page). */
gm_err gm_dm_inbox(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                   json_t **page);

#endif
