/* SPDX-License-Identifier: Apache-2.0
 * relay.c - from a member's post to an Announce in every follower's timeline. Decided inside
 * the transaction that stores the Create (so the Announce and its fan-out are as durable as the
 * post); expanded later by the delivery worker, which knows each destination's software. */
#include "gemeinde/as_ref.h"
#include "gemeinde/relay.h"
#include "gemeinde/stats_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/membership.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/fetch.h"
#include "gemeinde/hosts.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay_store.h"

#define AS_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

/* Does field `key` of `obj` (a string or an array of strings/objects) contain `url`? */
static int field_has(json_t *obj, const char *key, const char *url)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v)) {
        const char *id = gm_as_ref_id(v);
        return id && !strcmp(id, url);
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        const char *id = gm_as_ref_id(item);
        if (id && !strcmp(id, url))
            return 1;
    }
    return 0;
}

static int is_public_uri(json_t *obj, const char *key)
{
    return field_has(obj, key, AS_PUBLIC) || field_has(obj, key, "as:Public") ||
           field_has(obj, key, "Public");
}

/* Public (to) or unlisted (cc) - never followers-only or direct. */
static int is_public(json_t *act, json_t *obj)
{
    return is_public_uri(obj, "to") || is_public_uri(obj, "cc") || is_public_uri(act, "to") ||
           is_public_uri(act, "cc");
}

static int is_mention_of(json_t *tag, const char *url)
{
    const char *type = json_string_value(json_object_get(tag, "type"));
    const char *href = json_string_value(json_object_get(tag, "href"));
    return type && href && !strcmp(type, "Mention") && !strcmp(href, url);
}

/* `tag` may be one object or an array (ActivityStreams allows both; Fedify sends one alone). */
static int mentions(json_t *obj, const char *url)
{
    json_t *tags = json_object_get(obj, "tag"), *tag;
    size_t i;
    if (json_is_object(tags))
        return is_mention_of(tags, url);
    json_array_foreach(tags, i, tag)
    {
        if (is_mention_of(tag, url))
            return 1;
    }
    return 0;
}

static int addressed_to(json_t *act, json_t *obj, const char *url)
{
    static const char *const keys[] = {"to", "cc", "audience"};
    for (size_t i = 0; i < 3; i++)
        if (field_has(act, keys[i], url) || field_has(obj, keys[i], url))
            return 1;
    return mentions(obj, url);
}

/* A direct message names the community in `to` ("private mention": Mastodon, Misskey, Pleroma
 * put the mentioned accounts there). A followers-only post that mentions the community has it
 * in `cc` only: it is private, not a message to the moderators. */
static int direct_to(json_t *act, json_t *obj, const struct gm_rules_ctx *ctx,
                     const char *community)
{
    char url[600];
    snprintf(url, sizeof url, "%s/c/%s", ctx->base_url, community);
    return field_has(act, "to", url) || field_has(obj, "to", url);
}

static int relayable_type(const char *type)
{
    static const char *const types[] = {"Note", "Article", "Page", "Question", "Event"};
    for (size_t i = 0; type && i < 5; i++)
        if (!strcmp(type, types[i]))
            return 1;
    return 0;
}

/* Store `doc` as outbox entry `seq` of `community`, mark `relayed_id` (may be NULL) as relayed,
 * and queue the fan-out job {"seq": seq, ...`job_extra`}. */
static gm_err store_and_queue(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                              uint64_t seq, json_t *doc, const char *relayed_id,
                              const char *job_extra)
{
    char job[160];
    int len = snprintf(job, sizeof job, "{\"seq\":%llu%s}", (unsigned long long)seq,
                       job_extra ? job_extra : "");
    if (len < 0 || (size_t)len >= sizeof job)
        return GM_EINVAL;
    char *json = json_dumps(doc, JSON_COMPACT);
    gm_err e = json ? gm_outbox_put(txn, community, seq, json) : GM_ENOMEM;
    if (e == GM_OK && relayed_id)
        e = gm_relayed_put(txn, community, relayed_id, seq);
    if (e == GM_OK)
        e = gm_queue_push(txn, community, GM_RELAY_FANOUT, job, ctx->now);
    if (e == GM_OK)
        ctx->queued++;
    free(json);
    return e;
}

/* Write Announce number N of `community` for `activity`, mark `relayed_id` (may be NULL) as
 * relayed, and queue the fan-out job {"seq": N, ...`job_extra`}. */
static gm_err announce(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                       json_t *activity, const char *relayed_id, const char *job_extra)
{
    char actor[600], id[700], followers[700], published[32];
    uint64_t seq;
    gm_err e = gm_outbox_next(txn, community, &seq);
    if (e != GM_OK)
        return e;
    time_t now = (time_t)ctx->now;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(published, sizeof published, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(actor, sizeof actor, "%s/c/%s", ctx->base_url, community);
    snprintf(id, sizeof id, "%s/announces/%llu", actor, (unsigned long long)seq);
    snprintf(followers, sizeof followers, "%s/followers", actor);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:[s], s:[s], s:s}", "@context",
                            "https://www.w3.org/ns/activitystreams", "id", id, "type", "Announce",
                            "actor", actor, "object", activity, "to", AS_PUBLIC, "cc", followers,
                            "published", published);
    e = doc ? store_and_queue(txn, ctx, community, seq, doc, relayed_id, job_extra) : GM_ENOMEM;
    if (e == GM_OK) {
        if (relayed_id)
            gm_info("relay: %s announces %s as %s", community, relayed_id, id);
        else
            gm_info("relay: %s announces the %s %s as %s", community,
                    json_string_value(json_object_get(activity, "type")),
                    json_string_value(json_object_get(activity, "id")), id);
    }
    json_decref(doc);
    return e;
}

gm_err gm_relay_announce(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         json_t *activity, const char *job_extra)
{
    return announce(txn, ctx, community, activity, NULL, job_extra);
}

gm_err gm_relay_publish(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        json_t *activity, const char *job_extra, uint64_t *seq)
{
    uint64_t n;
    gm_err e = gm_outbox_next(txn, community, &n);
    if (e == GM_OK)
        e = store_and_queue(txn, ctx, community, n, activity, NULL, job_extra);
    if (e != GM_OK)
        return e;
    gm_info("relay: %s publishes the %s %s as outbox entry %llu", community,
            json_string_value(json_object_get(activity, "type")),
            json_string_value(json_object_get(activity, "id")), (unsigned long long)n);
    if (seq)
        *seq = n;
    return GM_OK;
}

/* Is this Create for `community` at all, and not stopped by a block, a ban or a relay
 * before? *silenced is set for a silenced domain. Logs why not when it was meant for it. */
static int for_community(struct gm_txn *txn, const struct gm_rules_ctx *ctx, const char *community,
                         json_t *create, json_t *obj, const char *object_id, int *silenced)
{
    char url[600];
    uint64_t seq;
    snprintf(url, sizeof url, "%s/c/%s", ctx->base_url, community);
    const char *reply_to = gm_as_ref_id(json_object_get(obj, "inReplyTo"));
    int in_thread = reply_to && gm_relayed_get(txn, community, reply_to, &seq) == GM_OK &&
                    gm_relayed_deleted(txn, community, reply_to) != GM_OK; /* removed: closed */
    if (!addressed_to(create, obj, url) && !in_thread)
        return 0;
    enum gm_block_severity sev = GM_BLOCK_SILENCE, sev2 = GM_BLOCK_SILENCE;
    int b1 = gm_cblock_severity_url(txn, community, object_id, &sev) == GM_OK;
    int b2 = gm_cblock_severity_url(txn, community, ctx->actor, &sev2) == GM_OK;
    if ((b1 && sev == GM_BLOCK_SUSPEND) || (b2 && sev2 == GM_BLOCK_SUSPEND)) {
        gm_info("relay: %s: %s comes from a suspended domain, not relayed", community, object_id);
        return 0; /* the inner object counts, not only the sender */
    }
    *silenced = b1 || b2;
    if (gm_membership_banned(txn, community, ctx->actor, ctx->now) == GM_OK) {
        gm_info("relay: %s: %s is banned, %s ignored", community, ctx->actor, object_id);
        return 0;
    }
    return gm_relayed_get(txn, community, object_id, &seq) != GM_OK; /* not announced yet */
}

/* The fan-out option of a post: replies stay off microblog timelines when the community says
 * so (timeline flooding is the most common complaint about group boosts). */
static const char *post_extra(struct gm_txn *txn, const char *community, json_t *obj)
{
    struct gm_community *c = NULL;
    int replies = 1;
    if (!json_object_get(obj, "inReplyTo") || json_is_null(json_object_get(obj, "inReplyTo")))
        return NULL;
    if (gm_community_get(txn, community, &c) == GM_OK)
        replies = c->microblog_replies;
    gm_community_free(c);
    return replies ? NULL : ",\"only\":\"group\"";
}

static gm_err relay_post(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         void *arg)
{
    json_t *doc = arg, *obj = json_object_get(doc, "object");
    const char *object_id = json_string_value(json_object_get(obj, "id"));
    int silenced = 0;
    if (!for_community(txn, ctx, community, doc, obj, object_id, &silenced))
        return GM_OK;
    if (!is_public(doc, obj)) { /* a direct message to the community, or private: never relayed */
        if (direct_to(doc, obj, ctx, community))
            return gm_dm_on_message(txn, ctx, community, doc, obj);
        gm_info("relay: %s: %s is not public, acknowledged and not relayed", community, object_id);
        return GM_OK;
    }
    struct gm_community *c = NULL;
    enum gm_verdict verdict;
    char rule[300];
    gm_err e = gm_community_get(txn, community, &c);
    if (e == GM_OK)
        e = gm_policy_judge(txn, ctx, c, doc, obj, silenced, &verdict, rule, sizeof rule);
    gm_community_free(c);
    if (e != GM_OK)
        return e;
    if (verdict == GM_VERDICT_DROP) {
        gm_info("relay: %s: %s by %s dropped (%s)", community, object_id, ctx->actor, rule);
        return GM_OK;
    }
    if (verdict == GM_VERDICT_HOLD) {
        e = gm_held_put(txn, ctx, community, ctx->actor, doc, rule);
        if (e == GM_OK)
            gm_info("relay: %s: %s by %s held for a moderator (%s)", community, object_id,
                    ctx->actor, rule);
        return e == GM_EEXISTS ? GM_OK : e;
    }
    if ((e = gm_relay_announce_post(txn, ctx, community, doc)) == GM_OK)
        e = gm_policy_count_relayed(txn, community, ctx->actor);
    return e;
}

gm_err gm_relay_announce_post(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                              json_t *create)
{
    json_t *obj = json_object_get(create, "object");
    const char *object_id = json_string_value(json_object_get(obj, "id"));
    if (!object_id)
        return GM_EINVAL;
    gm_err e = announce(txn, ctx, community, create, object_id, post_extra(txn, community, obj));
    return e == GM_OK ? gm_stats_on_post(txn, community, ctx->now,
                                         gm_as_ref_id(json_object_get(create, "actor")), create)
                      : e;
}

gm_err gm_relay_on_create(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    json_t *obj = json_object_get(doc, "object");
    const char *object_id = json_string_value(json_object_get(obj, "id"));
    if (!json_is_object(obj) || !object_id ||
        !relayable_type(json_string_value(json_object_get(obj, "type"))))
        return GM_OK;
    return gm_rules_each_community(txn, ctx, relay_post, doc);
}

/* The relayed object an Update, Delete, Like, Dislike or Undo(Like/Dislike) is about. */
static const char *target_of(json_t *doc, const char *type)
{
    json_t *obj = json_object_get(doc, "object");
    if (!strcmp(type, "Undo")) {
        const char *inner = json_string_value(json_object_get(obj, "type"));
        if (!inner || (strcmp(inner, "Like") != 0 && strcmp(inner, "Dislike") != 0))
            return NULL;
        return gm_as_ref_id(json_object_get(obj, "object"));
    }
    return gm_as_ref_id(obj);
}

/* The author deleted `object_id` while it waited for a moderator: it leaves the queue, so it
 * can never be approved (and announced) after the Delete. */
static gm_err drop_held(struct gm_txn *txn, const struct gm_rules_ctx *ctx,
                        const char *community, const char *object_id)
{
    json_t *rec = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_HELD, community, object_id, &rec);
    const char *author = json_string_value(json_object_get(rec, "actor"));
    if (e == GM_OK && author && !strcmp(author, ctx->actor) &&
        (e = gm_ckv_del(txn, GM_CKV_HELD, community, object_id)) == GM_OK)
        gm_info("relay: %s: held %s deleted by its author", community, object_id);
    json_decref(rec);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

/* Update/Delete/Like/Dislike/Undo inside a relayed thread, for one community. */
static gm_err relay_follow_up(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                              void *arg)
{
    json_t *doc = arg;
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *target = target_of(doc, type);
    uint64_t seq;
    struct gm_member *m = NULL;
    char extra[64];
    if (!strcmp(type, "Delete")) {
        gm_err e = drop_held(txn, ctx, community, target);
        if (e != GM_OK)
            return e;
    }
    if (gm_relayed_get(txn, community, target, &seq) != GM_OK ||
        gm_relayed_deleted(txn, community, target) == GM_OK)
        return GM_OK; /* not ours, or deleted: never announced again */
    int edit = !strcmp(type, "Update") || !strcmp(type, "Delete");
    enum gm_block_severity sev;
    if (strcmp(type, "Delete") != 0 && /* a Delete is always passed on: it removes content */
        (gm_membership_banned(txn, community, ctx->actor, ctx->now) == GM_OK ||
         gm_cblock_severity_url(txn, community, ctx->actor, &sev) == GM_OK)) {
        gm_info("relay: %s: %s from a banned account or blocked domain, not relayed", community,
                type);
        return GM_OK;
    }
    if (!edit) { /* votes count from members only */
        if (gm_member_get(txn, community, ctx->actor, &m) != GM_OK)
            return GM_OK;
        gm_member_free(m);
    }
    if (!strcmp(type, "Delete")) {
        gm_err e = gm_relayed_mark_deleted(txn, community, target);
        if (e == GM_OK)
            e = gm_stats_on_gone(txn, community, target);
        if (e != GM_OK)
            return e;
        /* microblogs: undo the boost so it disappears; group-aware: Announce(Delete) */
        snprintf(extra, sizeof extra, ",\"undo\":%llu", (unsigned long long)seq);
        return announce(txn, ctx, community, doc, NULL, extra);
    }
    gm_err e = announce(txn, ctx, community, doc, NULL, ",\"only\":\"group\"");
    if (e == GM_OK && !strcmp(type, "Like"))
        e = gm_stats_on_like(txn, community, ctx->now);
    return e;
}

gm_err gm_relay_on_activity(struct gm_txn *txn, struct gm_rules_ctx *ctx, json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (!type || !target_of(doc, type))
        return GM_OK;
    return gm_rules_each_community(txn, ctx, relay_follow_up, doc);
}

/* The Announce for a server that cannot read Announce(Create): the same, object by id. */
static char *micro_shape(json_t *announce)
{
    json_t *copy = json_deep_copy(announce);
    const char *oid = gm_as_ref_id(json_object_get(json_object_get(announce, "object"), "object"));
    char *s = NULL;
    if (copy && oid && json_object_set_new(copy, "object", json_string(oid)) == 0)
        s = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return s;
}

/* For microblogs, a relayed post deleted by its author: Undo of the boost (Announce `undo_seq`),
 * so the boost disappears from their timelines. */
static char *undo_shape(struct gm_txn *txn, const char *community, json_t *announce,
                        uint64_t undo_seq)
{
    char *old_json = NULL, *s = NULL, id[800];
    if (gm_outbox_get(txn, community, undo_seq, &old_json) != GM_OK)
        return NULL;
    json_t *old = json_loads(old_json, 0, NULL);
    free(old_json);
    const char *oid = gm_as_ref_id(json_object_get(json_object_get(old, "object"), "object"));
    json_t *actor = json_object_get(announce, "actor");
    snprintf(id, sizeof id, "%s/undo", json_string_value(json_object_get(announce, "id")));
    json_t *undo =
        oid ? json_pack("{s:s, s:s, s:s, s:O, s:{s:O, s:s, s:O, s:s}, s:O, s:O}", "@context",
                        "https://www.w3.org/ns/activitystreams", "id", id, "type", "Undo", "actor",
                        actor, "object", "id", json_object_get(old, "id"), "type", "Announce",
                        "actor", actor, "object", oid, "to", json_object_get(announce, "to"), "cc",
                        json_object_get(announce, "cc"))
            : NULL;
    if (undo)
        s = json_dumps(undo, JSON_COMPACT);
    json_decref(undo);
    json_decref(old);
    return s;
}

/* What each kind of destination gets: group-aware servers up to two bodies, microblogs one
 * (NULL: nothing). */
struct shapes {
    const char *group[2];
    const char *micro;
};

/* One delivery per distinct inbox (a shared inbox once, across all batches), shaped by the
 * destination software. */
static gm_err queue_each(struct gm_txn *txn, const char *community, uint64_t seq,
                         struct gm_member **members, size_t n, const struct shapes *s,
                         size_t *queued, size_t *inboxes)
{
    int64_t now = (int64_t)time(NULL);
    gm_err e = GM_OK;
    for (size_t i = 0; e == GM_OK && i < n; i++) {
        const char *dest = members[i]->shared_inbox ? members[i]->shared_inbox
                                                    : members[i]->inbox;
        if (gm_block_find_url(txn, dest) == GM_OK)
            continue; /* deliveries to blocked domains never leave the node */
        if ((e = gm_fanout_mark(txn, community, seq, dest)) == GM_EEXISTS) {
            e = GM_OK;
            continue;
        }
        if (e != GM_OK)
            break;
        char host[GM_FETCH_MAX_ORIGIN];
        struct gm_host h = {0};
        if (gm_fetch_authority(dest, host, sizeof host) == GM_OK)
            gm_host_get(txn, host, &h);
        int group = gm_host_group_aware(h.software);
        const char *const *bodies = group ? s->group : &s->micro;
        size_t nb = group ? 2 : 1;
        if (bodies[0])
            (*inboxes)++;
        for (size_t b = 0; e == GM_OK && b < nb; b++) {
            if (!bodies[b]) /* nothing this destination can read (a vote, for a microblog) */
                continue;
            e = gm_queue_push(txn, community, dest, bodies[b], now);
            if (e == GM_OK)
                (*queued)++;
        }
    }
    return e;
}

/* The bodies of fan-out job `job` whose outbox entry is `full` (parsed: `entry`). A body made
 * here lands in *owned (the caller frees it). GM_ESTORE when an entry the job names is missing. */
static gm_err shape_job(struct gm_txn *txn, const char *community, json_t *job, json_t *entry,
                        const char *full, struct shapes *s, char **owned)
{
    json_int_t undo = json_integer_value(json_object_get(job, "undo"));
    int plain = json_integer_value(json_object_get(job, "plain")) > 0;
    int undo_all = json_integer_value(json_object_get(job, "undo_all")) > 0;
    int group_only = json_object_get(job, "only") != NULL;
    *s = (struct shapes){.group = {full, NULL}};
    if (plain) { /* the entry as it is, for everyone */
        s->micro = full;
        return GM_OK;
    }
    if (group_only)
        return GM_OK;
    if (undo > 0) { /* the Undo of Announce `undo`; for everyone with undo_all */
        s->micro = *owned = undo_shape(txn, community, entry, (uint64_t)undo);
        if (undo_all)
            s->group[0] = *owned, s->group[1] = full;
    } else {
        s->micro = *owned = micro_shape(entry);
    }
    return s->micro ? GM_OK : GM_ESTORE;
}

gm_err gm_relay_expand(struct gm_txn *txn, const char *base_url, const char *community,
                       const char *activity, size_t *queued, char **next_job)
{
    json_t *job = json_loads(activity, 0, NULL), *entry = NULL;
    json_int_t seq = json_integer_value(json_object_get(job, "seq"));
    const char *after = json_string_value(json_object_get(job, "after"));
    char *full = NULL, *owned = NULL;
    struct gm_member **members = NULL;
    struct shapes shapes;
    size_t n = 0, inboxes = 0;
    gm_err e = seq > 0 ? gm_outbox_get(txn, community, (uint64_t)seq, &full) : GM_EINVAL;
    (void)base_url;
    *queued = 0;
    *next_job = NULL;
    if (e == GM_OK && !(entry = json_loads(full, 0, NULL)))
        e = GM_ESTORE;
    if (e == GM_OK)
        e = shape_job(txn, community, job, entry, full, &shapes, &owned);
    if (e == GM_OK)
        e = gm_member_page(txn, community, after, GM_RELAY_BATCH, &members, &n);
    if (e == GM_OK)
        e = queue_each(txn, community, (uint64_t)seq, members, n, &shapes, queued, &inboxes);
    if (e == GM_OK && n == GM_RELAY_BATCH) { /* more members: continue in a later batch */
        json_object_set_new(job, "after", json_string(members[n - 1]->actor));
        if (!(*next_job = json_dumps(job, JSON_COMPACT)))
            e = GM_ENOMEM;
    } else if (e == GM_OK) {
        e = gm_fanout_clear(txn, community, (uint64_t)seq);
    }
    if (e == GM_OK)
        gm_info("relay: %s announce %lld fanned out to %zu inboxes (%zu members)%s", community,
                (long long)seq, inboxes, n, *next_job ? ", more to come" : "");
    if (e != GM_OK) {
        free(*next_job);
        *next_job = NULL;
    }
    gm_members_free(members, n);
    free(full);
    free(owned);
    json_decref(entry);
    json_decref(job);
    return e;
}
