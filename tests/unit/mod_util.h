/* SPDX-License-Identifier: Apache-2.0
 * mod_util.h - helpers shared by the moderation unit tests (membership, post policy, DM
 * commands, community blocks), header-only like test_util.h: remote actors with a known inbox,
 * community settings by name, Creates and Follows as peers send them, and a look at what was
 * queued (gm_queue_peek) and logged (modlog) without changing either. Include after
 * <cmocka.h>; it brings test_util.h. */
#ifndef GEMEINDE_MOD_UTIL_H
#define GEMEINDE_MOD_UTIL_H

#include "test_util.h"

#include "gemeinde/community.h"
#include "gemeinde/modlog.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"
#include "gemeinde/rules.h"

#define MU_BASE "https://groups.example"
#define MU_DEMO MU_BASE "/c/demo"
#define MU_PUBLIC "https://www.w3.org/ns/activitystreams#Public"
#define MU_NOW 1700000000

/* A remote actor `id` with inbox ID/inbox, handle `user` (may be NULL) and account creation
 * time `published` (0: unknown). */
static inline void mu_actor(struct gm_txn *txn, const char *id, const char *user, int64_t published)
{
    char inbox[600];
    snprintf(inbox, sizeof inbox, "%s/inbox", id);
    struct gm_remote_actor a = {.id = (char *)id,
                                .inbox = inbox,
                                .username = (char *)user,
                                .published = published,
                                .fetched_at = 1};
    assert_int_equal(gm_remote_actor_put(txn, &a), GM_OK);
}

/* Set community `name`'s setting `key` to `value` (text form) and store it. */
static inline void mu_set(struct gm_txn *txn, const char *name, const char *key, const char *value)
{
    struct gm_community *c;
    char err[256] = "";
    assert_int_equal(gm_community_get(txn, name, &c), GM_OK);
    if (gm_community_setting_set(c, key, value, err, sizeof err) != GM_OK)
        fail_msg("setting %s=%s: %s", key, value, err);
    assert_int_equal(gm_community_update(txn, c), GM_OK);
    gm_community_free(c);
}

static inline struct gm_rules_ctx mu_ctx(const char *actor, int64_t now)
{
    struct gm_rules_ctx ctx = {
        .base_url = MU_BASE, .community = "demo", .actor = actor, .now = now};
    return ctx;
}

/* A Follow of the demo community by `actor` with id ACTOR/follows/TAG. New reference. */
static inline json_t *mu_follow(const char *actor, const char *tag)
{
    char id[600];
    snprintf(id, sizeof id, "%s/follows/%s", actor, tag);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", "Follow", "actor", actor,
                          "object", MU_DEMO);
    assert_non_null(f);
    return f;
}

/* Apply `doc` (stolen) as ctx->actor would send it; returns deliveries/fan-outs queued. */
static inline int mu_apply(struct gm_txn *txn, const char *actor, int64_t now, json_t *doc)
{
    struct gm_rules_ctx ctx = mu_ctx(actor, now);
    gm_err e = gm_rules_apply(txn, &ctx, doc);
    json_decref(doc);
    if (e != GM_OK)
        fail_msg("gm_rules_apply by %s: %s", actor, gm_strerror(e));
    return ctx.queued;
}

/* A public Create by `actor` of Note ACTOR/notes/TAG addressed to demo (cc), content
 * "<p>hello</p>"; `extra` are members of the Note as JSON text without braces ("" for none),
 * replacing those. New reference. */
static inline json_t *mu_post(const char *actor, const char *tag, const char *extra)
{
    char cid[600], nid[600];
    snprintf(cid, sizeof cid, "%s/create/%s", actor, tag);
    snprintf(nid, sizeof nid, "%s/notes/%s", actor, tag);
    json_t *note =
        json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "id", nid, "type", "Note", "attributedTo",
                  actor, "content", "<p>hello</p>", "to", MU_PUBLIC, "cc", MU_DEMO);
    size_t n = strlen(extra) + 3;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "{%s}", extra);
    json_error_t jerr;
    json_t *more = json_loads(text, 0, &jerr);
    if (!note || !more)
        fail_msg("bad test post: %s: %s", jerr.text, text);
    free(text);
    json_object_update(note, more);
    json_decref(more);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:o}", "id", cid, "type", "Create",
                            "actor", actor, "to", MU_PUBLIC, "cc", MU_DEMO, "object", note);
    assert_non_null(doc);
    return doc;
}

/* Every queued job (due order). Free with gm_jobs_free. */
static inline size_t mu_jobs(struct gm_txn *txn, struct gm_job ***jobs)
{
    size_t n = 0;
    assert_int_equal(gm_queue_peek(txn, 100000, jobs, &n), GM_OK);
    return n;
}

/* Jobs queued to `inbox` whose activity has type `type` (NULL: any). */
static inline size_t mu_count(struct gm_txn *txn, const char *inbox, const char *type)
{
    struct gm_job **jobs;
    size_t n = mu_jobs(txn, &jobs), hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (inbox && strcmp(jobs[i]->inbox, inbox) != 0)
            continue;
        json_t *doc = json_loads(jobs[i]->activity, 0, NULL);
        const char *t = json_string_value(json_object_get(doc, "type"));
        if (!type || (t && !strcmp(t, type)))
            hits++;
        json_decref(doc);
    }
    gm_jobs_free(jobs, n);
    return hits;
}

/* The k-th (0-based) job to `inbox` with activity type `type`, parsed (new reference), or
 * NULL. */
static inline json_t *mu_job(struct gm_txn *txn, const char *inbox, const char *type, size_t k)
{
    struct gm_job **jobs;
    size_t n = mu_jobs(txn, &jobs);
    json_t *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        if (strcmp(jobs[i]->inbox, inbox) != 0)
            continue;
        json_t *doc = json_loads(jobs[i]->activity, 0, NULL);
        const char *t = json_string_value(json_object_get(doc, "type"));
        if (t && !strcmp(t, type) && k-- == 0)
            found = json_incref(doc);
        json_decref(doc);
    }
    gm_jobs_free(jobs, n);
    return found;
}

/* The plain content of the k-th DM (Create of a Note) queued to `inbox`; new string or NULL. */
static inline char *mu_dm_content(struct gm_txn *txn, const char *inbox, size_t k)
{
    json_t *dm = mu_job(txn, inbox, "Create", k);
    const char *html = json_string_value(json_object_get(json_object_get(dm, "object"), "content"));
    char *out = html ? strdup(html) : NULL;
    json_decref(dm);
    return out;
}

/* Drop every queued job (so a test can look at what one step queues). */
static inline void mu_clear_queue(struct gm_txn *txn)
{
    struct gm_job **jobs;
    size_t n = mu_jobs(txn, &jobs);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gm_queue_done(txn, jobs[i]), GM_OK);
    gm_jobs_free(jobs, n);
}

/* The newest moderation log entry of `community` has `action` on `target` (NULL: any). */
static inline void mu_assert_log(struct gm_txn *txn, const char *community, const char *action,
                                 const char *target)
{
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_modlog_page(txn, community, 0, 1, &list, &n), GM_OK);
    if (n != 1)
        fail_msg("no moderation log entry, want %s", action);
    if (strcmp(list[0]->action, action) != 0 || (target && strcmp(list[0]->target, target) != 0))
        fail_msg("newest log entry is %s %s, want %s %s", list[0]->action, list[0]->target, action,
                 target ? target : "");
    gm_modlog_entries_free(list, n);
}

static inline size_t mu_log_len(struct gm_txn *txn, const char *community)
{
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_modlog_page(txn, community, 0, 100000, &list, &n), GM_OK);
    gm_modlog_entries_free(list, n);
    return n;
}

#endif
