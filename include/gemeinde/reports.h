/* SPDX-License-Identifier: Apache-2.0
 * reports.h - the report queue of a community. A verified `Flag` (Mastodon: from the instance
 * actor, object = [account, posts...], content = comment; Lemmy/Mbin: from the reporting user,
 * object = a post, summary = the reason, to/audience = the community) becomes one report in
 * each community it concerns (GM_CLOG_REPORTS of ckv.h). Moderators list reports, resolve or
 * dismiss them, and may forward one to the reported account's server as a Flag from the
 * community. Every moderator action goes into the moderation log (modlog.h) in the same
 * transaction. Nothing here touches the network: a forward is a queued delivery.
 *
 * A stored report is a JSON object:
 *   {"flag": activity id or "", "reporter": actor id, "objects": [ids], "comment": text,
 *    "at": unix seconds, "status": "open" | "resolved" | "dismissed",
 *    "handled_by", "handled_at", "note"          (once resolved or dismissed)
 *    "forwarded_to", "forwarded_at", "forwarded_by" (once forwarded)}
 * The note is the moderator's private note; it is never published. */
#ifndef GEMEINDE_REPORTS_H
#define GEMEINDE_REPORTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define GM_REPORT_COMMENT_MAX 5000 /* bytes kept of a comment (cut at a UTF-8 boundary) */
#define GM_REPORT_OBJECTS_MAX 50   /* flagged objects kept per report */
#define GM_REPORT_ID_MAX 2048      /* longer object ids are dropped */
#define GM_REPORT_NOTE_MAX 5000    /* bytes of a moderator's note */

/* A verified Flag (inside the write transaction that stores it; ctx->actor is the sender).
 * The communities it concerns: the community inbox it came to; for the shared inbox, each
 * community whose actor URL is in to/cc/audience/object, or that relayed a flagged object.
 * A Flag concerning none, without objects, or from a domain blocked with reject_reports is
 * ignored with a log line (GM_OK). Errors are storage errors. */
gm_err gm_report_on_flag(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc);

/* Close report `id` of `community` as resolved (action taken) or dismissed (nothing to do),
 * as done by `moderator` ("cli:USER", an actor id ...) with an optional private `note` (NULL
 * or "": none). ctx supplies `now` (base_url and actor are not used). GM_ENOTFOUND: no such
 * report. GM_EEXISTS: it was closed already (it stays as it was). GM_EINVAL: the note is over
 * GM_REPORT_NOTE_MAX, or it or `moderator` is not UTF-8. */
gm_err gm_report_resolve(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, const char *note);
gm_err gm_report_dismiss(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, const char *note);

/* Queue a Flag {actor: BASE/c/COMMUNITY, object: [account, its flagged objects], content: the
 * reporter's comment} to the server of the reported account: the first flagged object that is
 * a known remote actor, else the author of a flagged object this community relayed. Sent to
 * that account's shared inbox, else its inbox (ctx->queued counts it). The note is not sent.
 * GM_OK: `inbox` (may be NULL) receives where it goes (new string). GM_ENOTFOUND: no such
 * report, or no reported account with a known inbox. GM_EINVAL: the account is on this node.
 * GM_EFORBID: its domain is suspended. GM_EEXISTS: forwarded before. */
gm_err gm_report_forward(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, char **inbox);

/* Newest first: up to `max` reports of `community` numbered below `before` (0: from the
 * newest); open ones only unless `all`. GM_OK: *page is a new array of report objects, each
 * with its number added as "id". */
gm_err gm_report_list(struct gm_txn *txn, const char *community, bool all, uint64_t before,
                      size_t max, json_t **page);

/* The longest prefix of `s` of at most `max` bytes that ends at a UTF-8 character boundary.
 * New string, NULL when out of memory. */
char *gm_report_truncate_utf8(const char *s, size_t max);

#endif
