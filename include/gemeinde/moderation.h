/* SPDX-License-Identifier: Apache-2.0
 * moderation.h - moderation and administration operations, one implementation shared by the
 * CLI and the admin API (src/api*.c). Each runs in one write transaction of its own and records
 * itself in the moderation log in that transaction. */
#ifndef GEMEINDE_MODERATION_H
#define GEMEINDE_MODERATION_H

#include <jansson.h>
#include <stddef.h>

#include "gemeinde/blocks.h"
#include "gemeinde/community.h"
#include "gemeinde/err.h"
#include "gemeinde/store.h"

/* Every operation records itself in the moderation log (modlog.h) in the same transaction, as
 * done by `moderator` ("cli:USER", an actor id ...). */

/* Append one entry to the moderation log in `txn`, dated now. `community` "" is node-wide;
 * NULL texts are "". */
gm_err gm_mod_log(struct gm_txn *txn, const char *community, const char *moderator,
                  const char *action, const char *target, const char *public_reason,
                  const char *private_note);

/* "suspend" / "silence" -> *severity. GM_EINVAL for anything else. */
gm_err gm_mod_severity_parse(const char *word, enum gm_block_severity *severity);
/* The word for `severity` (static string). */
const char *gm_mod_severity_name(enum gm_block_severity severity);
/* A block as JSON: domain, severity, reason, public_comment, reject_media, reject_reports,
 * obfuscate, created (unix seconds). New reference, NULL when out of memory. */
json_t *gm_mod_block_json(const struct gm_block *b);

/* Add or replace a node-wide domain block. A suspend also ends every membership of an actor
 * on that domain or its subdomains (*removed, may be NULL, counts them); nothing is sent.
 * GM_EINVAL: bad domain or texts. */
gm_err gm_mod_block_add(struct gm_store *st, const struct gm_block *b, const char *moderator,
                        size_t *removed);

/* Lift a block. GM_ENOTFOUND if there was none. */
gm_err gm_mod_block_remove(struct gm_store *st, const char *domain, const char *moderator);

/* Import blocks from Mastodon's domain-block CSV (`#domain,#severity,#reject_media,
 * #reject_reports,#public_comment,#obfuscate`; a header line is optional; severity `noop`
 * lines are skipped). All lines are checked first; a bad line imports nothing.
 * GM_OK: *imported blocks set, *removed memberships ended. GM_EINVAL: `err` names the line. */
gm_err gm_mod_block_import(struct gm_store *st, const char *csv, const char *moderator,
                           size_t *imported, size_t *removed, char *err, size_t errlen);

/* Export every block as Mastodon's CSV. GM_OK: *csv is a new string. */
gm_err gm_mod_block_export(struct gm_store *st, char **csv);

/* Edit a community: `edit` changes the record it is given (title, summary, rules, and settings
 * through gm_community_setting_set / _json, so every caller validates alike) and returns GM_OK,
 * or GM_EINVAL with a message in `err`. The result must pass gm_community_validate. Then the
 * record is stored and each field that changed is logged as action "policy", target = the
 * field name, public reason "name: old → new" (long texts shortened; filters and rules as
 * counts, their full lists in the private note), all in one write transaction; nothing is
 * stored or logged when anything fails.
 * GM_OK: *changed (may be NULL) is a new array of the changed field names, in setting order.
 * GM_ENOTFOUND: no such community. GM_EINVAL: `err` says why. */
typedef gm_err (*gm_mod_edit_fn)(struct gm_community *c, void *arg, char *err, size_t errlen);
gm_err gm_mod_community_edit(struct gm_store *st, const char *name, gm_mod_edit_fn edit,
                             void *arg, const char *moderator, json_t **changed, char *err,
                             size_t errlen);

/* End `actor`'s membership of `community` without telling them (nothing is sent; they stop
 * receiving the community's posts), logged as action "remove_member".
 * GM_ENOTFOUND: no such community or not a member (*which, may be NULL, says which:
 * "community" or "member"). */
gm_err gm_mod_member_remove(struct gm_store *st, const char *community, const char *actor,
                            const char *moderator, const char **which);

#endif
