/* SPDX-License-Identifier: Apache-2.0
 * blocks.h - node-wide domain blocks. A block covers the domain and every subdomain. This is
 * the enforcement side (the inbox refuses, delivery and fan-out skip); managing blocks
 * (severities, reasons, import/export, per community) is built on it. */
#ifndef GEMEINDE_BLOCKS_H
#define GEMEINDE_BLOCKS_H

#include "gemeinde/err.h"
#include "gemeinde/store.h"

#define GM_BLOCK_REASON_MAX 500

/* Block `domain` (lowercase host name, no port) with a reason (may be ""). */
gm_err gm_block_put(struct gm_txn *txn, const char *domain, const char *reason);
/* GM_ENOTFOUND if it was not blocked. */
gm_err gm_block_del(struct gm_txn *txn, const char *domain);
/* Is `host` ("host" or "host:port", any case) or one of its parent domains blocked?
 * GM_OK: yes (`which`, may be NULL, receives the blocked domain); GM_ENOTFOUND: no. */
gm_err gm_block_find(struct gm_txn *txn, const char *host, char *which, size_t size);
/* The same for the host of an http(s) URL. */
gm_err gm_block_find_url(struct gm_txn *txn, const char *url);

#endif
