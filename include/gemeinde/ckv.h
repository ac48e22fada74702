/* SPDX-License-Identifier: Apache-2.0
 * ckv.h - small per-community tables of JSON records, for the moderation state: pending
 * follow requests, bans, moderators, held posts, pins, per-community domain blocks, per-member
 * posting counters (keyed tables), and reports and the moderator inbox (numbered logs).
 * Keys are "community NUL key" (or "community NUL seq(8 BE)"), so one community's records are
 * one key range and a page is a cursor walk. Values are JSON objects. */
#ifndef GEMEINDE_CKV_H
#define GEMEINDE_CKV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

enum gm_ckv_table {
    GM_CKV_PENDING = 0, /* actor id -> {follow, inbox, shared_inbox, at} */
    GM_CKV_BANS,        /* actor id -> {until, reason, by, at} */
    GM_CKV_MODERATORS,  /* actor id -> {by, at} */
    GM_CKV_HELD,        /* object id -> {activity, actor, rule, at} */
    GM_CKV_PINS,        /* object id -> {by, at} */
    GM_CKV_BLOCKS,      /* domain -> block JSON (as node-wide blocks) */
    GM_CKV_POSTERS,     /* actor id -> {posts, window, in_window} */
    GM_CKV_TABLES
};

enum gm_clog_table {
    GM_CLOG_REPORTS = 0, /* seq -> {reporter, objects, comment, at, status, ...} */
    GM_CLOG_MODINBOX,    /* seq -> {from, object, content, at} */
    GM_CLOG_TABLES
};

#define GM_CKV_KEY_MAX 480 /* bytes of a record key (actor ids, object ids, domains); fewer
                            * under a long community name: LMDB keys are at most 511 bytes */

/* Insert or replace `value` (borrowed JSON object) under (community, key). GM_EINVAL: empty
 * community or key, or the key is too long. */
gm_err gm_ckv_put(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key, json_t *value);
/* GM_OK: *value is a new reference. GM_ENOTFOUND: no such record. */
gm_err gm_ckv_get(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key, json_t **value);
/* GM_ENOTFOUND if there was none. */
gm_err gm_ckv_del(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                  const char *key);
/* Up to `max` records with keys after `after` (NULL: from the first), in key order.
 * GM_OK: *page is a new array of {"key": ..., "value": {...}} objects (maybe empty). */
gm_err gm_ckv_page(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                   const char *after, size_t max, json_t **page);
gm_err gm_ckv_count(struct gm_txn *txn, enum gm_ckv_table t, const char *community,
                    size_t *count);
/* Remove every record of `community` in every table (keyed and logs), e.g. on delete. */
gm_err gm_ckv_drop_community(struct gm_txn *txn, const char *community);

/* Append `value` (borrowed) with the next number (1, 2 ...). GM_OK: *seq (may be NULL). */
gm_err gm_clog_append(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                      json_t *value, uint64_t *seq);
/* GM_OK: *value is a new reference. GM_ENOTFOUND: no such entry. */
gm_err gm_clog_get(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                   uint64_t seq, json_t **value);
/* Replace entry `seq` (it must exist: GM_ENOTFOUND otherwise). */
gm_err gm_clog_update(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                      uint64_t seq, json_t *value);
/* Newest first: up to `max` entries numbered below `before` (0: from the newest).
 * GM_OK: *page is a new array of {"seq": N, "value": {...}} objects. */
gm_err gm_clog_page(struct gm_txn *txn, enum gm_clog_table t, const char *community,
                    uint64_t before, size_t max, json_t **page);

#endif
