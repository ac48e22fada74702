/* SPDX-License-Identifier: Apache-2.0
 * blocks.h - node-wide domain blocks. A block covers the domain and every subdomain.
 * Severities: `suspend` (nothing accepted, nothing delivered, members removed) and `silence`
 * (may follow and read; posts are not relayed). Reasons: a private one for moderators and a
 * public comment, as in Mastodon's CSV export. */
#ifndef GEMEINDE_BLOCKS_H
#define GEMEINDE_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

#define GM_BLOCK_REASON_MAX 500
#define GM_BLOCK_DOMAIN_MAX 255

enum gm_block_severity { GM_BLOCK_SUSPEND = 0, GM_BLOCK_SILENCE = 1 };

struct gm_block {
    char domain[GM_BLOCK_DOMAIN_MAX + 1]; /* normalised: lowercase, no port, no trailing dot */
    enum gm_block_severity severity;
    char *reason;         /* private note, never NULL after a get */
    char *public_comment; /* shown publicly, never NULL after a get */
    bool reject_media, reject_reports, obfuscate; /* kept for Mastodon CSV round trips */
    int64_t created;
};

void gm_block_free(struct gm_block *b); /* NULL is allowed */
void gm_blocks_free(struct gm_block **list, size_t n);

/* Normalise a domain as blocks store it. GM_OK or GM_EINVAL. */
gm_err gm_block_normalise(const char *in, char out[GM_BLOCK_DOMAIN_MAX + 1]);

/* Insert or replace. GM_EINVAL: bad domain or over-long texts (NULL texts are ""). */
gm_err gm_block_set(struct gm_txn *txn, const struct gm_block *b);
/* A suspend with a private reason (shorthand). */
gm_err gm_block_put(struct gm_txn *txn, const char *domain, const char *reason);
/* GM_ENOTFOUND if it was not blocked. */
gm_err gm_block_del(struct gm_txn *txn, const char *domain);
/* Every block, in domain order. GM_OK: *list of *n (gm_blocks_free). */
gm_err gm_block_list(struct gm_txn *txn, struct gm_block ***list, size_t *n);

/* The block that applies to `host` ("host" or "host:port", any case): the most specific of the
 * host and its parent domains. GM_OK: *out is yours. GM_ENOTFOUND: none. */
gm_err gm_block_lookup(struct gm_txn *txn, const char *host, struct gm_block **out);

/* Is `host` suspended (itself or a parent domain)? GM_OK: yes (`which`, may be NULL, receives
 * the blocked domain); GM_ENOTFOUND: no (a silence is not a suspend). */
gm_err gm_block_find(struct gm_txn *txn, const char *host, char *which, size_t size);
/* The same for the host of an http(s) URL (userinfo does not hide the real host). */
gm_err gm_block_find_url(struct gm_txn *txn, const char *url);
/* Is the host of `url` suspended or silenced? GM_OK with *severity, or GM_ENOTFOUND. */
gm_err gm_block_severity_url(struct gm_txn *txn, const char *url,
                             enum gm_block_severity *severity);

#endif
