/* SPDX-License-Identifier: Apache-2.0
 * community.h - a community: a Group actor hosted by this node. The record (public fields) and
 * its validation; storage in store.h's transactions. The private key is stored apart from the
 * record and is only handed to signing code (gm_community_private_key). */
#ifndef GEMEINDE_COMMUNITY_H
#define GEMEINDE_COMMUNITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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
    /* Policy (see community_settings.c for names, values and defaults). */
    enum gm_join { GM_JOIN_OPEN = 0, GM_JOIN_APPROVAL } join;
    enum gm_posting { GM_POST_MEMBERS = 0, GM_POST_ANYONE, GM_POST_MODERATORS } posting;
    bool premoderation;        /* every post waits for a moderator */
    unsigned probation_posts;  /* a member's first N posts wait (0: off) */
    unsigned probation_days;   /* posts of accounts younger than D days wait (0: off) */
    unsigned max_mentions;     /* more mentions/addressees than this is spam (0: off) */
    unsigned rate_limit;       /* more posts per member and hour than this is spam (0: off) */
    char **filters;            /* keyword, or /regex/ (POSIX extended, case-insensitive) */
    size_t n_filters;
    bool spam_hold;            /* spam waits for a moderator (true) or is dropped */
    char *welcome;             /* welcome DM template ("" = none); {rules} {community} {title} */
    bool ban_notice;           /* tell a banned account why, by DM */
    /* Figures. */
    unsigned unanswered_minutes; /* a post without an answer this long is listed (default 60) */
    bool weekly_digest;          /* moderators get the week's figures by DM (default: no) */
};

#define GM_FILTERS_MAX 100
#define GM_FILTER_MAX 200
#define GM_WELCOME_MAX 5000

/* Settings by name, shared by `community set`, the admin API and the policy DM commands.
 * Names use '_' ("join", "posting", "premoderation", "probation_posts", "probation_days",
 * "max_mentions", "rate_limit", "spam_action", "filters", "welcome", "ban_notice",
 * "followers_visible", "microblog_replies", "unanswered_minutes", "weekly_digest"). */

/* Set `name` from text (yes/no, a number, an enum word, a text; for "filters" one filter is
 * added, "" clears them). GM_EINVAL: unknown name or bad value, `err` says why. */
gm_err gm_community_setting_set(struct gm_community *c, const char *name, const char *value,
                                char *err, size_t errlen);
/* Set `name` from JSON (booleans, integers, strings; "filters" takes an array that replaces
 * the list). GM_EINVAL with `err` as above. */
gm_err gm_community_setting_json(struct gm_community *c, const char *name, json_t *value,
                                 char *err, size_t errlen);
/* Every setting as a JSON object (new reference). */
json_t *gm_community_settings(const struct gm_community *c);
/* Apply every known key of `obj` (borrowed), ignoring unknown ones (older/newer records).
 * GM_EINVAL on the first bad value. */
gm_err gm_community_settings_load(struct gm_community *c, json_t *obj, char *err, size_t errlen);
/* The welcome text for `c` with its placeholders filled. New string, or NULL if none. */
char *gm_community_welcome_text(const struct gm_community *c);

/* The record as the CLI (--json) and the admin API show it: name, handle ("@name@host", left
 * out when `host` is NULL), title, summary, rules, created (unix seconds), public_key_pem and
 * settings. New reference, NULL when out of memory. */
json_t *gm_community_json(const struct gm_community *c, const char *host);

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
/* Deletes the record, its key and its moderation tables (ckv.h): nothing passes to a new
 * community of the same name. */
gm_err gm_community_delete(struct gm_txn *txn, const char *name);
/* Names in order. GM_OK: *names is a new array of new strings (gm_community_names_free). */
gm_err gm_community_list(struct gm_txn *txn, char ***names, size_t *count);
void gm_community_names_free(char **names, size_t count);
gm_err gm_community_count(struct gm_txn *txn, size_t *count);
/* GM_OK: *pem is a new string holding the private key; wipe and free it after signing. */
gm_err gm_community_private_key(struct gm_txn *txn, const char *name, char **pem);

#endif
