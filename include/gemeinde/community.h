/* SPDX-License-Identifier: Apache-2.0
 * community.h - a community: a Group actor hosted by this node. The record (public fields) and
 * its validation; storage in store.h's transactions. The private key is stored apart from the
 * record and is only handed to signing code (gm_community_private_key). */
#ifndef GEMEINDE_COMMUNITY_H
#define GEMEINDE_COMMUNITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

#define GM_NAME_MAX 64
#define GM_TITLE_MAX 200
#define GM_SUMMARY_MAX 5000
#define GM_RULE_MAX 1000
#define GM_RULES_MAX 50

struct gm_community {
    char name[GM_NAME_MAX + 1];
    char *title;          /* plain text, never NULL after gm_community_new */
    char *summary;        /* plain text, escaped wherever it is rendered */
    char **rules;         /* n_rules plain-text rules */
    size_t n_rules;
    int64_t created;      /* unix seconds */
    char *public_key_pem; /* SPKI PEM */
    /* Settings. */
    bool followers_visible; /* the followers collection lists members (default: count only) */
    bool microblog_replies; /* microblogs get replies too (default), or top-level posts only */
};

/* True if `name` is 1-64 characters of [a-z0-9_]. */
bool gm_community_name_valid(const char *name);

/* Check lengths and characters of title, summary and rules (UTF-8, no control characters
 * except newline in summary). GM_EINVAL with `err` naming the field. */
gm_err gm_community_validate(const struct gm_community *c, char *err, size_t errlen);

/* A new record named `name` with title = name and empty summary and rules. GM_OK: *out is
 * yours (gm_community_free). GM_EINVAL: invalid name. */
gm_err gm_community_new(const char *name, struct gm_community **out);
void gm_community_free(struct gm_community *c);

/* Setters copy their argument. */
gm_err gm_community_set_title(struct gm_community *c, const char *title);
gm_err gm_community_set_summary(struct gm_community *c, const char *summary);
gm_err gm_community_add_rule(struct gm_community *c, const char *rule);
void gm_community_clear_rules(struct gm_community *c);

/* Storage. create: generates nothing; the caller supplies both key PEMs. GM_EEXISTS if taken. */
gm_err gm_community_create(struct gm_txn *txn, const struct gm_community *c,
                           const char *private_key_pem);
/* GM_OK: *out is yours. GM_ENOTFOUND if no such community. */
gm_err gm_community_get(struct gm_txn *txn, const char *name, struct gm_community **out);
/* GM_OK if `name` is a community, GM_ENOTFOUND if not (without decoding the record). */
gm_err gm_community_has(struct gm_txn *txn, const char *name);
/* The same in a read transaction of its own. */
gm_err gm_community_exists(struct gm_store *st, const char *name);
/* Replace the public fields of an existing community (its key stays). */
gm_err gm_community_update(struct gm_txn *txn, const struct gm_community *c);
gm_err gm_community_delete(struct gm_txn *txn, const char *name);
/* Names in order. GM_OK: *names is a new array of new strings (gm_community_names_free). */
gm_err gm_community_list(struct gm_txn *txn, char ***names, size_t *count);
void gm_community_names_free(char **names, size_t count);
gm_err gm_community_count(struct gm_txn *txn, size_t *count);
/* GM_OK: *pem is a new string holding the private key; wipe and free it after signing. */
gm_err gm_community_private_key(struct gm_txn *txn, const char *name, char **pem);

#endif
