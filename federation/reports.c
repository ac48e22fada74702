/* SPDX-License-Identifier: Apache-2.0
 * reports.c - Flag activities into each concerned community's report queue, and what
 * moderators do with a report: resolve, dismiss, forward. A report keeps only ids of the
 * flagged objects (never embedded copies, which the sender may have made up), the reporter and
 * a capped comment. A forward is a Flag from the community to the reported account's server,
 * queued in the same transaction that records it, and never to a suspended domain. */
#include "gemeinde/as_ref.h"
#include "gemeinde/reports.h"
#include "gemeinde/stats_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/fetch.h"
#include "gemeinde/log.h"
#include "gemeinde/modlog.h"
#include "gemeinde/notify.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/remote.h"

#define AS_CONTEXT "https://www.w3.org/ns/activitystreams"
#define LIST_STEP 100 /* log entries read per page while filtering */

static int is_http_url(const char *s)
{
    return s && (!strncasecmp(s, "https://", 8) || !strncasecmp(s, "http://", 7));
}

static int array_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!strcmp(json_string_value(v), s))
            return 1;
    }
    return 0;
}

/* Does field `key` of `doc` (a reference or an array of them) name `url`? */
static int field_has(json_t *doc, const char *key, const char *url)
{
    json_t *v = json_object_get(doc, key), *item;
    size_t i;
    if (!json_is_array(v)) {
        const char *id = gm_as_ref_id(v);
        return id && !strcmp(id, url);
    }
    json_array_foreach(v, i, item)
    {
        const char *id = gm_as_ref_id(item);
        if (id && !strcmp(id, url))
            return 1;
    }
    return 0;
}

char *gm_report_truncate_utf8(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        /* back off over continuation bytes to the lead byte, then drop that partial char */
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* The ids a Flag names: `object` as one reference or an array of them; http(s) URLs only,
 * each once, at most GM_REPORT_OBJECTS_MAX. New array, NULL when out of memory. */
static json_t *flagged_objects(json_t *doc)
{
    json_t *obj = json_object_get(doc, "object"), *out = json_array(), *item;
    size_t i;
    if (!out || !obj)
        return out;
    json_t *list = json_is_array(obj) ? json_incref(obj) : json_pack("[O]", obj);
    json_array_foreach(list, i, item)
    {
        const char *id = gm_as_ref_id(item);
        if (!is_http_url(id) || strlen(id) > GM_REPORT_ID_MAX || array_has(out, id))
            continue;
        if (json_array_size(out) == GM_REPORT_OBJECTS_MAX) {
            gm_info("reports: Flag names more than %d objects; the rest are dropped",
                    GM_REPORT_OBJECTS_MAX);
            break;
        }
        json_array_append_new(out, json_string(id));
    }
    json_decref(list);
    return out;
}

/* The reporter's comment: Mastodon's `content`, else Lemmy's `summary`; capped. */
static char *flag_comment(json_t *doc)
{
    const char *c = json_string_value(json_object_get(doc, "content"));
    if (!c || !*c)
        c = json_string_value(json_object_get(doc, "summary"));
    return gm_report_truncate_utf8(c ? c : "", GM_REPORT_COMMENT_MAX);
}

/* Is the sender's domain blocked with reject_reports? */
static gm_err reports_rejected(struct gm_txn *txn, const char *actor, int *rejected)
{
    char host[GM_FETCH_MAX_ORIGIN];
    struct gm_block *b = NULL;
    *rejected = 0;
    if (gm_fetch_authority(actor, host, sizeof host) != GM_OK)
        return GM_OK;
    gm_err e = gm_block_lookup(txn, host, &b);
    if (e == GM_OK)
        *rejected = b->reject_reports;
    gm_block_free(b);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

struct flag_in {
    json_t *doc, *objects;
    const char *comment;
    int stored;
};

/* For the shared inbox: does the Flag name `community`, or one of the objects it relayed? */
static gm_err concerns(struct gm_txn *txn, const struct gm_rules_ctx *ctx, const char *community,
                       const struct flag_in *in, int *yes)
{
    static const char *const keys[] = {"to", "cc", "audience"};
    char url[600];
    snprintf(url, sizeof url, "%s/c/%s", ctx->base_url, community);
    *yes = array_has(in->objects, url);
    for (size_t i = 0; !*yes && i < sizeof keys / sizeof keys[0]; i++)
        *yes = field_has(in->doc, keys[i], url);
    size_t i;
    json_t *v;
    json_array_foreach(in->objects, i, v)
    {
        if (*yes)
            break;
        uint64_t seq;
        gm_err e = gm_relayed_get(txn, community, json_string_value(v), &seq);
        if (e == GM_OK)
            *yes = 1;
        else if (e != GM_ENOTFOUND)
            return e;
    }
    return GM_OK;
}

static gm_err store_if_concerned(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                                 const char *community, void *arg)
{
    struct flag_in *in = arg;
    int yes = 1;
    gm_err e = ctx->community ? GM_OK : concerns(txn, ctx, community, in, &yes);
    if (e != GM_OK || !yes)
        return e;
    const char *flag = json_string_value(json_object_get(in->doc, "id"));
    json_t *rec = json_pack("{s:s, s:s, s:O, s:s, s:I, s:s}", "flag", flag ? flag : "", "reporter",
                            ctx->actor, "objects", in->objects, "comment", in->comment, "at",
                            (json_int_t)ctx->now, "status", "open");
    uint64_t seq = 0;
    e = rec ? gm_clog_append(txn, GM_CLOG_REPORTS, community, rec, &seq) : GM_ENOMEM;
    json_decref(rec);
    if (e == GM_OK) {
        in->stored++;
        gm_info("reports: %s: report %llu from %s (%zu object%s)", community,
                (unsigned long long)seq, ctx->actor, json_array_size(in->objects),
                json_array_size(in->objects) == 1 ? "" : "s");
    }
    return e;
}

gm_err gm_report_on_flag(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    int rejected;
    gm_err e = reports_rejected(txn, ctx->actor, &rejected);
    if (e != GM_OK || rejected) {
        if (rejected)
            gm_info("reports: Flag from %s ignored: its domain is blocked with reject_reports",
                    ctx->actor);
        return e;
    }
    struct flag_in in = {.doc = doc, .objects = flagged_objects(doc)};
    char *comment = flag_comment(doc);
    in.comment = comment;
    if (!in.objects || !comment) {
        e = GM_ENOMEM;
    } else if (!json_array_size(in.objects)) {
        gm_info("reports: Flag from %s names no object, ignored", ctx->actor);
    } else if ((e = gm_rules_each_community(txn, ctx, store_if_concerned, &in)) == GM_OK &&
               !in.stored) {
        gm_info("reports: Flag from %s concerns no community here, ignored", ctx->actor);
    }
    free(comment);
    json_decref(in.objects);
    return e;
}

static gm_err log_action(struct gm_txn *txn, const struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, const char *action, const char *note)
{
    char target[48];
    snprintf(target, sizeof target, "report %llu", (unsigned long long)id);
    return gm_modlog_add(txn, ctx->now, community, moderator, action, target, "", note);
}

static gm_err close_report(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           uint64_t id, const char *moderator, const char *note, const char *status,
                           const char *action)
{
    json_t *r = NULL;
    if (note && strlen(note) > GM_REPORT_NOTE_MAX)
        return GM_EINVAL;
    gm_err e = gm_clog_get(txn, GM_CLOG_REPORTS, community, id, &r);
    if (e != GM_OK)
        return e;
    const char *was = json_string_value(json_object_get(r, "status"));
    if (!was || strcmp(was, "open") != 0) {
        e = GM_EEXISTS;
        goto out;
    }
    /* json_string refuses text that is not UTF-8 (a note or $USER from the shell) */
    if (json_object_set_new(r, "status", json_string(status)) ||
        json_object_set_new(r, "handled_by", json_string(moderator)) ||
        json_object_set_new(r, "handled_at", json_integer((json_int_t)ctx->now)) ||
        json_object_set_new(r, "note", json_string(note ? note : "")))
        e = GM_EINVAL;
    else if ((e = gm_clog_update(txn, GM_CLOG_REPORTS, community, id, r)) == GM_OK &&
             (e = gm_stats_on_report_closed(txn, community,
                                            json_integer_value(json_object_get(r, "at")),
                                            ctx->now)) == GM_OK)
        e = log_action(txn, ctx, community, id, moderator, action, note);
    if (e == GM_OK)
        gm_info("reports: %s: report %llu %s by %s", community, (unsigned long long)id, status,
                moderator);
out:
    json_decref(r);
    return e;
}

gm_err gm_report_resolve(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, const char *note)
{
    return close_report(txn, ctx, community, id, moderator, note, "resolved", "resolve_report");
}

gm_err gm_report_dismiss(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, const char *note)
{
    return close_report(txn, ctx, community, id, moderator, note, "dismissed", "dismiss_report");
}

/* The author of object `id` as this community relayed it (the Announce in its outbox holds
 * the Create). New string, or NULL. */
static char *relayed_author(struct gm_txn *txn, const char *community, const char *id)
{
    uint64_t seq;
    char *text = NULL, *author = NULL;
    if (gm_relayed_get(txn, community, id, &seq) != GM_OK ||
        gm_outbox_get(txn, community, seq, &text) != GM_OK)
        return NULL;
    json_t *announce = json_loads(text, 0, NULL);
    json_t *act = json_object_get(announce, "object");
    json_t *obj = json_object_get(act, "object");
    json_t *attr = json_object_get(obj, "attributedTo");
    const char *who = gm_as_ref_id(json_is_array(attr) ? json_array_get(attr, 0) : attr);
    if (!who)
        who = gm_as_ref_id(json_object_get(act, "actor"));
    if (who)
        author = strdup(who);
    json_decref(announce);
    free(text);
    return author;
}

/* The reported account: the first flagged object that is a known remote actor, else the
 * author of a flagged object this community relayed. GM_OK: *out is yours. */
static gm_err reported_account(struct gm_txn *txn, const char *community, json_t *objects,
                               struct gm_remote_actor **out)
{
    size_t i;
    json_t *v;
    gm_err e;
    json_array_foreach(objects, i, v)
    {
        if ((e = gm_remote_actor_get(txn, json_string_value(v), out)) != GM_ENOTFOUND)
            return e;
    }
    json_array_foreach(objects, i, v)
    {
        char *author = relayed_author(txn, community, json_string_value(v));
        e = author ? gm_remote_actor_get(txn, author, out) : GM_ENOTFOUND;
        free(author);
        if (e != GM_ENOTFOUND)
            return e;
    }
    return GM_ENOTFOUND;
}

/* The Flag the community sends: the account first, then its own flagged objects. */
static json_t *forward_flag(const struct gm_rules_ctx *ctx, const char *community,
                            const char *account, json_t *report)
{
    char me[600];
    snprintf(me, sizeof me, "%s/c/%s", ctx->base_url, community);
    char *id = gm_notify_new_id(ctx->base_url, community, "flag");
    json_t *objects = json_pack("[s]", account), *v;
    size_t i;
    json_array_foreach(json_object_get(report, "objects"), i, v)
    {
        const char *o = json_string_value(v);
        if (objects && strcmp(o, account) != 0 && gm_fetch_same_origin(o, account))
            json_array_append_new(objects, json_string(o));
    }
    const char *comment = json_string_value(json_object_get(report, "comment"));
    json_t *doc = id && objects ? json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "@context",
                                            AS_CONTEXT, "id", id, "type", "Flag", "actor", me,
                                            "object", objects, "content", comment ? comment : "")
                                : NULL;
    json_decref(objects);
    free(id);
    return doc;
}

/* Where a forward goes, after the checks: GM_OK with *inbox borrowed from `acct`. */
static gm_err forward_inbox(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                            const struct gm_remote_actor *acct, const char **inbox)
{
    const char *to = acct->shared_inbox && *acct->shared_inbox ? acct->shared_inbox : acct->inbox;
    if (!to || !*to)
        return GM_ENOTFOUND;
    if (gm_fetch_same_origin(acct->id, ctx->base_url) || gm_fetch_same_origin(to, ctx->base_url))
        return GM_EINVAL;
    gm_err e = gm_block_find_url(txn, acct->id);
    if (e == GM_ENOTFOUND)
        e = gm_block_find_url(txn, to);
    if (e == GM_OK) {
        gm_warn("reports: forward to %s refused: its domain is suspended", acct->id);
        return GM_EFORBID;
    }
    if (e == GM_ENOTFOUND)
        *inbox = to;
    return e == GM_ENOTFOUND ? GM_OK : e;
}

/* Queue the Flag and record the forward in the report and the log. */
static gm_err send_forward(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                           uint64_t id, const char *moderator, json_t *report,
                           const struct gm_remote_actor *acct, const char *inbox)
{
    json_t *flag = forward_flag(ctx, community, acct->id, report);
    char *body = flag ? json_dumps(flag, JSON_COMPACT) : NULL;
    char note[GM_REPORT_ID_MAX + 32];
    gm_err e = body ? gm_queue_push(txn, community, inbox, body, ctx->now) : GM_ENOMEM;
    if (e == GM_OK) {
        ctx->queued++;
        if (json_object_set_new(report, "forwarded_to", json_string(inbox)) ||
            json_object_set_new(report, "forwarded_at", json_integer((json_int_t)ctx->now)) ||
            json_object_set_new(report, "forwarded_by", json_string(moderator)))
            e = GM_EINVAL; /* a moderator name that is not UTF-8 */
        else
            e = gm_clog_update(txn, GM_CLOG_REPORTS, community, id, report);
    }
    snprintf(note, sizeof note, "to %s", inbox);
    if (e == GM_OK)
        e = log_action(txn, ctx, community, id, moderator, "forward_report", note);
    if (e == GM_OK)
        gm_info("reports: %s: report %llu forwarded to %s by %s", community, (unsigned long long)id,
                inbox, moderator);
    free(body);
    json_decref(flag);
    return e;
}

gm_err gm_report_forward(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         uint64_t id, const char *moderator, char **inbox)
{
    json_t *r = NULL;
    struct gm_remote_actor *acct = NULL;
    const char *to = NULL;
    gm_err e = gm_clog_get(txn, GM_CLOG_REPORTS, community, id, &r);
    if (e != GM_OK)
        return e;
    if (json_object_get(r, "forwarded_to")) {
        e = GM_EEXISTS;
        goto out;
    }
    if ((e = reported_account(txn, community, json_object_get(r, "objects"), &acct)) != GM_OK ||
        (e = forward_inbox(txn, ctx, acct, &to)) != GM_OK)
        goto out;
    char *copy = inbox ? strdup(to) : NULL;
    if (inbox && !copy) {
        e = GM_ENOMEM;
        goto out;
    }
    e = send_forward(txn, ctx, community, id, moderator, r, acct, to);
    if (inbox && e == GM_OK)
        *inbox = copy;
    else
        free(copy);
out:
    gm_remote_actor_free(acct);
    json_decref(r);
    return e;
}

gm_err gm_report_list(struct gm_txn *txn, const char *community, bool all, uint64_t before,
                      size_t max, json_t **page)
{
    json_t *out = json_array();
    gm_err e = out ? GM_OK : GM_ENOMEM;
    while (e == GM_OK && json_array_size(out) < max) {
        json_t *chunk = NULL, *item;
        size_t i;
        if ((e = gm_clog_page(txn, GM_CLOG_REPORTS, community, before, LIST_STEP, &chunk)) !=
                GM_OK ||
            !json_array_size(chunk)) {
            json_decref(chunk);
            break;
        }
        json_array_foreach(chunk, i, item)
        {
            json_t *value = json_object_get(item, "value");
            json_int_t seq = json_integer_value(json_object_get(item, "seq"));
            const char *status = json_string_value(json_object_get(value, "status"));
            before = (uint64_t)seq;
            if (json_array_size(out) >= max || (!all && (!status || strcmp(status, "open"))))
                continue;
            json_object_set_new(value, "id", json_integer(seq));
            json_array_append(out, value);
        }
        json_decref(chunk);
        if (before <= 1)
            break;
    }
    if (e == GM_OK)
        *page = out;
    else
        json_decref(out);
    return e;
}
