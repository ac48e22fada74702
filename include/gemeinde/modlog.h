/* SPDX-License-Identifier: Apache-2.0
 * modlog.h - the moderation log: every moderation action (block, unblock, and the actions
 * built on this log later: approve, reject, remove, ban, pin ...) with who, what, when and why.
 * Entries of a community, or node-wide ones (community ""), which every community's public log
 * shows too. The private note is never published. Append-only. */
#ifndef GEMEINDE_MODLOG_H
#define GEMEINDE_MODLOG_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_modlog_entry {
    uint64_t seq;          /* log order (set by the store) */
    int64_t at;            /* unix seconds */
    char *community;       /* "" for node-wide actions */
    char *moderator;       /* who: "cli:USER", an actor id, ... */
    char *action;          /* "block", "unblock", "silence", ... */
    char *target;          /* domain, actor or object */
    char *public_reason;   /* published */
    char *private_note;    /* for moderators only */
};

void gm_modlog_entry_free(struct gm_modlog_entry *e); /* NULL is allowed */
void gm_modlog_entries_free(struct gm_modlog_entry **list, size_t n);

/* Append (texts NULL = ""; strings are copied). */
gm_err gm_modlog_append(struct gm_txn *txn, const struct gm_modlog_entry *e);

/* The same with the fields given one by one (texts NULL = ""), at unix time `at`. */
gm_err gm_modlog_add(struct gm_txn *txn, int64_t at, const char *community, const char *moderator,
                     const char *action, const char *target, const char *public_reason,
                     const char *private_note);

/* Newest first: up to `max` entries of `community` and the node-wide ones, numbered below
 * `before` (0: from the newest). GM_OK: *list of *n (gm_modlog_entries_free). */
gm_err gm_modlog_page(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                      struct gm_modlog_entry ***list, size_t *n);

#endif
