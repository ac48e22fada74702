/* SPDX-License-Identifier: Apache-2.0
 * moderation.h - moderation operations, one implementation shared by the CLI and (later) the
 * admin API. Each runs in one write transaction of its own. */
#ifndef GEMEINDE_MODERATION_H
#define GEMEINDE_MODERATION_H

#include <stddef.h>

#include "gemeinde/blocks.h"
#include "gemeinde/err.h"
#include "gemeinde/store.h"

/* Every operation records itself in the moderation log (modlog.h) in the same transaction, as
 * done by `moderator` ("cli:USER", an actor id ...). */

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

#endif
