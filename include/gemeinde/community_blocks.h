/* SPDX-License-Identifier: Apache-2.0
 * community_blocks.h - domain blocks of one community, beside the node-wide ones (blocks.h):
 * same severities (suspend, silence), same subdomain rule, same reasons. A check asks both:
 * a node-wide suspend wins, otherwise the stricter of the two. */
#ifndef GEMEINDE_COMMUNITY_BLOCKS_H
#define GEMEINDE_COMMUNITY_BLOCKS_H

#include <jansson.h>

#include "gemeinde/blocks.h"
#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

/* Add or replace a block of `b->domain` for `community`; a suspend ends the memberships (and
 * pending requests) of accounts on that domain and its subdomains (*removed counts them, may
 * be NULL) and records the block in the moderation log as done by `moderator`.
 * GM_EINVAL: bad domain or texts. GM_ENOTFOUND: no such community. */
gm_err gm_cblock_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                     const struct gm_block *b, const char *moderator, size_t *removed);
/* GM_ENOTFOUND if the community had no such block. */
gm_err gm_cblock_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        const char *domain, const char *moderator);
/* The community's blocks: GM_OK and *list a new array of {domain, severity, reason,
 * public_comment, created, by}. */
gm_err gm_cblock_list(struct gm_txn *txn, const char *community, json_t **list);

/* The block that applies to the host of `url` for `community` (NULL: node-wide only): the
 * stricter of the node-wide and the community's (a community adds to the node's blocks and
 * never loosens them). GM_OK with *severity, or GM_ENOTFOUND. */
gm_err gm_cblock_severity_url(struct gm_txn *txn, const char *community, const char *url,
                              enum gm_block_severity *severity);

#endif
