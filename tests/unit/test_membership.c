/* SPDX-License-Identifier: Apache-2.0
 * test_membership.c - who gets in (membership.h): an open community admits a Follow with an
 * Accept and the welcome DM; an approval community keeps a pending request until a moderator
 * approves (Accept embedding the Follow) or rejects it, and the author can take it back with
 * an Undo; bans (reason required, Reject, DM notice, temporary bans that expire, unban, no way
 * back by re-following or by moving to another account); suspended domains (node-wide and
 * community, subdomains too) are refused; moderators; accounts named by URL or handle. Every
 * moderator action is in the moderation log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/remote.h"
#include "mod_util.h"
#include "test_util.h"

#define ANA "https://masto.example/users/ana"
#define BOB "https://masto.example/users/bob"
#define SPAM "https://spam.example/users/spam"
#define SUB "https://x.bad.example/users/sub"
#define QUIET "https://quiet.example/users/q"
#define LOUD "https://loud.example/users/l"
#define NEWANA "https://other.example/users/ana2"
#define UNKNOWN "https://unknown.example/users/who"
#define INBOX(a) a "/inbox"
#define MOD "cli:test"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    tu_add_community(f->txn, "other");
    mu_actor(f->txn, ANA, "ana", 0);
    mu_actor(f->txn, BOB, "Bob", 0);
    mu_actor(f->txn, SPAM, "spam", 0);
    mu_actor(f->txn, SUB, "sub", 0);
    mu_actor(f->txn, QUIET, "q", 0);
    mu_actor(f->txn, LOUD, "l", 0);
    mu_actor(f->txn, NEWANA, "ana2", 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static int is_member(struct tu_store *f, const char *actor)
{
    return gm_member_get(f->txn, "demo", actor, NULL) == GM_OK;
}

static int is_pending(struct tu_store *f, const char *actor)
{
    json_t *req = NULL;
    gm_err e = gm_ckv_get(f->txn, GM_CKV_PENDING, "demo", actor, &req);
    json_decref(req);
    return e == GM_OK;
}

/* Send a Follow by `actor` (tag names its id) at `now`; returns what was queued. */
static int follow(struct tu_store *f, const char *actor, const char *tag, int64_t now)
{
    return mu_apply(f->txn, actor, now, mu_follow(actor, tag));
}

static void open_join(void **state)
{
    struct tu_store *f = *state;
    json_t *sent = mu_follow(ANA, "1");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, json_incref(sent)), 1);
    assert_true(is_member(f, ANA));
    struct gm_member *m = NULL;
    assert_int_equal(gm_member_get(f->txn, "demo", ANA, &m), GM_OK);
    assert_string_equal(m->follow_id, ANA "/follows/1");
    assert_string_equal(m->inbox, INBOX(ANA));
    assert_int_equal(m->since, MU_NOW);
    gm_member_free(m);
    json_t *accept = mu_job(f->txn, INBOX(ANA), "Accept", 0);
    assert_true(json_equal(json_object_get(accept, "object"), sent));
    json_decref(accept);
    json_decref(sent);
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Create"), 0); /* no welcome set */
    /* with a welcome: Accept and the DM */
    mu_set(f->txn, "demo", "welcome", "Welcome to {title}, <friend>!");
    assert_int_equal(follow(f, BOB, "1", MU_NOW), 2);
    char *dm = mu_dm_content(f->txn, INBOX(BOB), 0);
    assert_string_equal(dm, "<p>Welcome to demo, &lt;friend&gt;!</p>");
    free(dm);
    /* an actor whose inbox is unknown is not admitted, and nothing fails */
    assert_int_equal(follow(f, UNKNOWN, "1", MU_NOW), 0);
    assert_false(is_member(f, UNKNOWN));
    /* a Follow of a community that does not exist changes nothing */
    struct gm_rules_ctx ctx = mu_ctx(ANA, MU_NOW);
    json_t *fl = mu_follow(ANA, "x");
    assert_int_equal(gm_membership_on_follow(f->txn, &ctx, "nope", fl), GM_OK);
    json_decref(fl);
    assert_int_equal(ctx.queued, 0);
    assert_int_equal(mu_log_len(f->txn, "demo"), 0); /* joining is not a moderator action */
}

static void approval_flow(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "join", "approval");
    mu_set(f->txn, "demo", "welcome", "Hello {community}");
    json_t *sent = mu_follow(ANA, "1");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, json_incref(sent)), 0); /* no answer yet */
    assert_false(is_member(f, ANA));
    json_t *req = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_PENDING, "demo", ANA, &req), GM_OK);
    assert_true(json_equal(json_object_get(req, "follow"), sent));
    assert_int_equal(json_integer_value(json_object_get(req, "at")), MU_NOW);
    json_decref(req);
    assert_int_equal(follow(f, BOB, "1", MU_NOW), 0);
    assert_int_equal(mu_count(f->txn, NULL, NULL), 0);

    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW + 60);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "demo", ANA, MOD), GM_OK);
    assert_int_equal(ctx.queued, 2); /* Accept and welcome */
    assert_true(is_member(f, ANA));
    assert_false(is_pending(f, ANA));
    json_t *accept = mu_job(f->txn, INBOX(ANA), "Accept", 0);
    assert_true(json_equal(json_object_get(accept, "object"), sent));
    json_decref(accept);
    char *dm = mu_dm_content(f->txn, INBOX(ANA), 0);
    assert_string_equal(dm, "<p>Hello demo</p>");
    free(dm);
    mu_assert_log(f->txn, "demo", "approve", ANA);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "demo", ANA, MOD), GM_ENOTFOUND);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "other", BOB, MOD), GM_ENOTFOUND);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "nope", BOB, MOD), GM_ENOTFOUND);

    /* rejected: a Reject embedding the Follow, never a member */
    assert_int_equal(gm_membership_reject(f->txn, &ctx, "demo", BOB, MOD, "not today"), GM_OK);
    assert_false(is_pending(f, BOB));
    assert_false(is_member(f, BOB));
    json_t *reject = mu_job(f->txn, INBOX(BOB), "Reject", 0);
    assert_string_equal(tu_jstr(json_object_get(reject, "object"), "id"), BOB "/follows/1");
    json_decref(reject);
    assert_int_equal(mu_count(f->txn, INBOX(BOB), "Accept"), 0);
    mu_assert_log(f->txn, "demo", "reject", BOB);
    assert_int_equal(gm_membership_reject(f->txn, &ctx, "demo", BOB, MOD, NULL), GM_ENOTFOUND);
    /* a member following again is answered at once, not asked to wait */
    mu_clear_queue(f->txn);
    assert_int_equal(follow(f, ANA, "2", MU_NOW + 100), 2);
    assert_false(is_pending(f, ANA));
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Accept"), 1);
    json_decref(sent);
}

/* The author takes the request back: an Undo of the Follow (embedded or by id, through the
 * community inbox or the shared one) removes it; an Undo of another Follow does not. */
static void undo_pending(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "join", "approval");
    json_t *sent = mu_follow(ANA, "1");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, json_incref(sent)), 0);
    assert_true(is_pending(f, ANA));
    json_t *undo = json_pack("{s:s, s:s, s:s, s:O}", "id", ANA "/undo/1", "type", "Undo", "actor",
                             ANA, "object", sent);
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, undo), 0);
    assert_false(is_pending(f, ANA));
    assert_false(is_member(f, ANA));
    json_decref(sent);

    assert_int_equal(follow(f, ANA, "2", MU_NOW), 0);
    undo = json_pack("{s:s, s:s, s:s, s:s}", "id", ANA "/undo/2", "type", "Undo", "actor", ANA,
                     "object", ANA "/follows/other");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, undo), 0);
    assert_true(is_pending(f, ANA)); /* another Follow's id */
    undo = json_pack("{s:s, s:s, s:s, s:s}", "id", ANA "/undo/3", "type", "Undo", "actor", ANA,
                     "object", ANA "/follows/2");
    struct gm_rules_ctx shared = mu_ctx(ANA, MU_NOW);
    shared.community = NULL; /* through the shared inbox */
    assert_int_equal(gm_rules_apply(f->txn, &shared, undo), GM_OK);
    json_decref(undo);
    assert_false(is_pending(f, ANA));
    /* somebody else's Undo of ana's request changes nothing */
    assert_int_equal(follow(f, ANA, "3", MU_NOW), 0);
    json_t *fake = json_pack("{s:s, s:s, s:s, s:o}", "id", BOB "/undo/1", "type", "Undo", "actor",
                             BOB, "object", mu_follow(ANA, "3"));
    assert_int_equal(mu_apply(f->txn, BOB, MU_NOW, fake), 0);
    assert_true(is_pending(f, ANA));
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "demo", ANA, MOD), GM_OK);
    assert_int_equal(mu_count(f->txn, NULL, NULL), 1);
}

static void ban_member(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(follow(f, ANA, "1", MU_NOW), 1);
    assert_int_equal(follow(f, BOB, "1", MU_NOW), 1);
    mu_clear_queue(f->txn);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW + 10);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "spam <links> & more"),
                     GM_OK);
    assert_int_equal(ctx.queued, 2);
    assert_false(is_member(f, ANA));
    assert_true(is_member(f, BOB));
    /* the Reject ends the follow on the member's server: it names the original Follow */
    json_t *reject = mu_job(f->txn, INBOX(ANA), "Reject", 0);
    json_t *obj = json_object_get(reject, "object");
    assert_string_equal(tu_jstr(obj, "type"), "Follow");
    assert_string_equal(tu_jstr(obj, "id"), ANA "/follows/1");
    assert_string_equal(tu_jstr(obj, "actor"), ANA);
    assert_string_equal(tu_jstr(obj, "object"), MU_DEMO);
    json_decref(reject);
    char *dm = mu_dm_content(f->txn, INBOX(ANA), 0);
    assert_true(tu_contains(dm, "You have been banned from demo."));
    assert_true(tu_contains(dm, "Reason: spam &lt;links&gt; &amp; more"));
    assert_false(tu_contains(dm, "until"));
    free(dm);
    mu_assert_log(f->txn, "demo", "ban", ANA);
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 1, &list, &n), GM_OK);
    assert_string_equal(list[0]->public_reason, "spam <links> & more");
    assert_string_equal(list[0]->moderator, MOD);
    gm_modlog_entries_free(list, n);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW + 10), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, 4000000000LL), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "other", ANA, MU_NOW), GM_ENOTFOUND);
    assert_int_equal(gm_membership_banned(f->txn, "demo", BOB, MU_NOW), GM_ENOTFOUND);
    /* without ban_notice: the Reject only */
    mu_set(f->txn, "demo", "ban_notice", "no");
    mu_clear_queue(f->txn);
    ctx.queued = 0;
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", BOB, 0, MOD, "rude"), GM_OK);
    assert_int_equal(ctx.queued, 1);
    assert_int_equal(mu_count(f->txn, INBOX(BOB), "Reject"), 1);
    assert_int_equal(mu_count(f->txn, INBOX(BOB), "Create"), 0);
}

static void ban_needs_reason(void **state)
{
    struct tu_store *f = *state;
    char *long_reason = malloc(GM_REASON_MAX + 2);
    assert_non_null(long_reason);
    memset(long_reason, 'r', GM_REASON_MAX + 1);
    long_reason[GM_REASON_MAX + 1] = '\0';
    const struct {
        const char *community, *actor, *reason;
        gm_err want;
    } cases[] = {
        {"demo", ANA, NULL, GM_EINVAL},        {"demo", ANA, "", GM_EINVAL},
        {"demo", ANA, long_reason, GM_EINVAL}, {"demo", "", "spam", GM_EINVAL},
        {"demo", NULL, "spam", GM_EINVAL},     {"nope", ANA, "spam", GM_ENOTFOUND},
    };
    assert_int_equal(follow(f, ANA, "1", MU_NOW), 1);
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
        gm_err e = gm_membership_ban(f->txn, &ctx, cases[i].community, cases[i].actor, 0, MOD,
                                     cases[i].reason);
        if (e != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, gm_strerror(e), gm_strerror(cases[i].want));
        assert_int_equal(ctx.queued, 0);
    }
    long_reason[GM_REASON_MAX] = '\0'; /* exactly the limit */
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", BOB, 0, MOD, long_reason), GM_OK);
    free(long_reason);
    assert_true(is_member(f, ANA)); /* nothing happened to ana */
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW), GM_ENOTFOUND);
    assert_int_equal(mu_log_len(f->txn, "demo"), 1);
}

/* A banned account comes back with a new Follow (community inbox or shared inbox, open or
 * approval): a Reject each time, never a member, never a request. */
static void ban_evasion_refollow(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "spam"), GM_OK);
    mu_clear_queue(f->txn);
    json_t *sent = mu_follow(ANA, "again");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW + 5, json_incref(sent)), 1);
    assert_false(is_member(f, ANA));
    json_t *reject = mu_job(f->txn, INBOX(ANA), "Reject", 0);
    assert_true(json_equal(json_object_get(reject, "object"), sent));
    json_decref(reject);
    json_decref(sent);
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Accept"), 0);
    /* through the shared inbox */
    struct gm_rules_ctx shared = mu_ctx(ANA, MU_NOW + 6);
    shared.community = NULL;
    json_t *fl = mu_follow(ANA, "shared");
    assert_int_equal(gm_rules_apply(f->txn, &shared, fl), GM_OK);
    json_decref(fl);
    assert_int_equal(shared.queued, 1);
    assert_false(is_member(f, ANA));
    /* approval mode: no request either */
    mu_set(f->txn, "demo", "join", "approval");
    assert_int_equal(follow(f, ANA, "approval", MU_NOW + 7), 1);
    assert_false(is_pending(f, ANA));
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Reject"), 3);
    /* the other community is not affected */
    struct gm_rules_ctx other = mu_ctx(ANA, MU_NOW);
    other.community = "other";
    json_t *of = json_pack("{s:s, s:s, s:s, s:s}", "id", ANA "/follows/o", "type", "Follow",
                           "actor", ANA, "object", MU_BASE "/c/other");
    assert_int_equal(gm_rules_apply(f->txn, &other, of), GM_OK);
    json_decref(of);
    assert_int_equal(gm_member_get(f->txn, "other", ANA, NULL), GM_OK);
}

static void temporary_ban_expires(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(follow(f, ANA, "1", MU_NOW), 1);
    mu_clear_queue(f->txn);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, MU_NOW + 3600, MOD, "cool off"),
                     GM_OK);
    mu_assert_log(f->txn, "demo", "ban_temporary", ANA);
    char *dm = mu_dm_content(f->txn, INBOX(ANA), 0);
    assert_true(tu_contains(dm, "until 2023-11-14 23:13 UTC"));
    free(dm);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW + 3599), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW + 3600), GM_ENOTFOUND);
    /* still banned: refused */
    assert_int_equal(follow(f, ANA, "2", MU_NOW + 1800), 1); /* the Reject */
    assert_false(is_member(f, ANA));
    /* expired: a Follow is welcome again */
    mu_clear_queue(f->txn);
    assert_int_equal(follow(f, ANA, "3", MU_NOW + 7200), 1);
    assert_true(is_member(f, ANA));
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Accept"), 1);
    /* banning again replaces the ban: now permanent */
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "again"), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, 4000000000LL), GM_OK);
    json_t *ban = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, "demo", ANA, &ban), GM_OK);
    assert_string_equal(tu_jstr(ban, "reason"), "again");
    json_decref(ban);
}

static void unban(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "spam"), GM_OK);
    assert_int_equal(gm_membership_unban(f->txn, &ctx, "demo", ANA, MOD), GM_OK);
    mu_assert_log(f->txn, "demo", "unban", ANA);
    assert_int_equal(gm_membership_banned(f->txn, "demo", ANA, MU_NOW), GM_ENOTFOUND);
    assert_int_equal(gm_membership_unban(f->txn, &ctx, "demo", ANA, MOD), GM_ENOTFOUND);
    assert_int_equal(gm_membership_unban(f->txn, &ctx, "demo", BOB, MOD), GM_ENOTFOUND);
    mu_clear_queue(f->txn);
    assert_int_equal(follow(f, ANA, "1", MU_NOW), 1);
    assert_true(is_member(f, ANA));
}

/* A ban ends a pending request with a Reject of that request's Follow. */
static void ban_pending_request(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "join", "approval");
    mu_set(f->txn, "demo", "ban_notice", "no");
    json_t *sent = mu_follow(ANA, "1");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, json_incref(sent)), 0);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "spam"), GM_OK);
    assert_false(is_pending(f, ANA));
    json_t *reject = mu_job(f->txn, INBOX(ANA), "Reject", 0);
    assert_true(json_equal(json_object_get(reject, "object"), sent));
    json_decref(reject);
    json_decref(sent);
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "demo", ANA, MOD), GM_ENOTFOUND);
    /* banning someone who is neither member nor asking: the ban only */
    ctx.queued = 0;
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", UNKNOWN, 0, MOD, "pre-emptive"),
                     GM_OK);
    assert_int_equal(ctx.queued, 0);
    assert_int_equal(gm_membership_banned(f->txn, "demo", UNKNOWN, MU_NOW), GM_OK);
}

static void remove_member(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(follow(f, ANA, "1", MU_NOW), 1);
    mu_clear_queue(f->txn);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_remove(f->txn, &ctx, "demo", ANA, MOD, "inactive"), GM_OK);
    assert_false(is_member(f, ANA));
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Reject"), 1);
    mu_assert_log(f->txn, "demo", "remove_member", ANA);
    assert_int_equal(gm_membership_remove(f->txn, &ctx, "demo", ANA, MOD, NULL), GM_ENOTFOUND);
    /* not banned: may follow again */
    assert_int_equal(follow(f, ANA, "2", MU_NOW), 1);
    assert_true(is_member(f, ANA));
}

/* Follows from suspended domains are rejected (node-wide and the community's own block, the
 * domain and its subdomains); a silenced domain may join. */
static void suspended_domains(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(gm_block_put(f->txn, "spam.example", "spam"), GM_OK);
    struct gm_block silence = {.domain = "quiet.example", .severity = GM_BLOCK_SILENCE};
    assert_int_equal(gm_block_set(f->txn, &silence), GM_OK);
    struct gm_block cb = {.domain = "bad.example", .severity = GM_BLOCK_SUSPEND};
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &cb, MOD, NULL), GM_OK);
    /* silenced node-wide, suspended by the community: the community's suspend counts */
    struct gm_block loud = {.domain = "loud.example", .severity = GM_BLOCK_SILENCE};
    assert_int_equal(gm_block_set(f->txn, &loud), GM_OK);
    loud.severity = GM_BLOCK_SUSPEND;
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &loud, MOD, NULL), GM_OK);
    static const struct {
        const char *actor;
        int member;
    } cases[] = {{SPAM, 0}, {SUB, 0}, {LOUD, 0}, {QUIET, 1}, {ANA, 1}};
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        assert_int_equal(follow(f, cases[i].actor, "1", MU_NOW), 1);
        char inbox[300];
        snprintf(inbox, sizeof inbox, "%s/inbox", cases[i].actor);
        if (is_member(f, cases[i].actor) != cases[i].member ||
            mu_count(f->txn, inbox, cases[i].member ? "Accept" : "Reject") != 1)
            fail_msg("Follow by %s: member %d, want %d", cases[i].actor,
                     is_member(f, cases[i].actor), cases[i].member);
    }
    /* the community block is the community's: the same account may join another */
    struct gm_rules_ctx other = mu_ctx(SUB, MU_NOW);
    other.community = "other";
    json_t *of = json_pack("{s:s, s:s, s:s, s:s}", "id", SUB "/follows/o", "type", "Follow",
                           "actor", SUB, "object", MU_BASE "/c/other");
    assert_int_equal(gm_rules_apply(f->txn, &other, of), GM_OK);
    json_decref(of);
    assert_int_equal(gm_member_get(f->txn, "other", SUB, NULL), GM_OK);
}

static void moderators(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_moderator_is(f->txn, "demo", ANA), GM_ENOTFOUND);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", ANA, MOD), GM_OK);
    mu_assert_log(f->txn, "demo", "add_moderator", ANA);
    assert_int_equal(gm_moderator_is(f->txn, "demo", ANA), GM_OK);
    assert_int_equal(gm_moderator_is(f->txn, "other", ANA), GM_ENOTFOUND);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", ANA, MOD), GM_EEXISTS);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "nope", ANA, MOD), GM_ENOTFOUND);
    json_t *rec = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_MODERATORS, "demo", ANA, &rec), GM_OK);
    assert_string_equal(tu_jstr(rec, "by"), MOD);
    json_decref(rec);
    assert_int_equal(gm_moderator_remove(f->txn, &ctx, "demo", ANA, MOD), GM_OK);
    mu_assert_log(f->txn, "demo", "remove_moderator", ANA);
    assert_int_equal(gm_moderator_is(f->txn, "demo", ANA), GM_ENOTFOUND);
    assert_int_equal(gm_moderator_remove(f->txn, &ctx, "demo", ANA, MOD), GM_ENOTFOUND);
    assert_int_equal(mu_log_len(f->txn, "demo"), 2);
    assert_int_equal(mu_count(f->txn, NULL, NULL), 0); /* nothing is sent */
}

/* Accounts named by URL or by a handle seen before (remote.h handle index). */
static void resolve(void **state)
{
    struct tu_store *f = *state;
    /* a port and userinfo in the id: the handle's host is the authority without userinfo */
    mu_actor(f->txn, "http://u:p@Port.Example:8080/users/Zed", "Zed", 0);
    mu_actor(f->txn, "https://odd.example/users/x", "we@ird", 0); /* kept, not findable */
    static const struct {
        const char *who;
        gm_err want;
        const char *id;
    } cases[] = {
        {ANA, GM_OK, ANA},
        {"http://plain.example/u/1", GM_OK, "http://plain.example/u/1"},
        {"@ana@masto.example", GM_OK, ANA},
        {"ana@masto.example", GM_OK, ANA},
        {"@ANA@Masto.Example", GM_OK, ANA},
        {"@bob@masto.example", GM_OK, BOB}, /* stored as "Bob" */
        {"@zed@port.example:8080", GM_OK, "http://u:p@Port.Example:8080/users/Zed"},
        {"@zed@port.example", GM_ENOTFOUND, NULL},
        {"@ana@other.example", GM_ENOTFOUND, NULL},
        {"@we@ird@odd.example", GM_EINVAL, NULL},
        {"@nobody@masto.example", GM_ENOTFOUND, NULL},
        {"ana", GM_EINVAL, NULL},
        {"@ana", GM_EINVAL, NULL},
        {"@@masto.example", GM_EINVAL, NULL},
        {"@ana@", GM_EINVAL, NULL},
        {"a/b@masto.example", GM_EINVAL, NULL},
        {"ftp://masto.example/users/ana", GM_EINVAL, NULL},
        {"", GM_EINVAL, NULL},
        {NULL, GM_EINVAL, NULL},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        char *id = NULL;
        gm_err e = gm_membership_resolve(f->txn, cases[i].who, &id);
        if (e != cases[i].want)
            fail_msg("case %zu '%s': %s, want %s", i, cases[i].who ? cases[i].who : "(null)",
                     gm_strerror(e), gm_strerror(cases[i].want));
        if (e == GM_OK)
            assert_string_equal(id, cases[i].id);
        free(id);
    }
    /* a new username for the same id is indexed too; the handle finds the id */
    char *id = NULL;
    assert_int_equal(gm_remote_handle_find(f->txn, "ANA@masto.example", &id), GM_OK);
    assert_string_equal(id, ANA);
    free(id);
    assert_int_equal(gm_remote_handle_find(f->txn, "we@ird@odd.example", &id), GM_ENOTFOUND);
}

/* A banned account that moves keeps its ban on the new account, which does not get the
 * membership; an expired ban is not carried; an unbanned member's membership moves. */
static void ban_survives_move(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(follow(f, BOB, "1", MU_NOW), 1);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ANA, 0, MOD, "ban evasion test"),
                     GM_OK);
    struct gm_remote_actor target = {.id = NEWANA, .inbox = INBOX(NEWANA)};
    json_t *move = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", ANA "/move/1", "type", "Move",
                             "actor", ANA, "object", ANA, "target", NEWANA);
    struct gm_rules_ctx mctx = mu_ctx(ANA, MU_NOW + 1);
    mctx.moved_to = &target;
    assert_int_equal(gm_rules_apply(f->txn, &mctx, move), GM_OK);
    json_decref(move);
    assert_int_equal(gm_membership_banned(f->txn, "demo", NEWANA, MU_NOW + 2), GM_OK);
    json_t *ban = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, "demo", NEWANA, &ban), GM_OK);
    assert_string_equal(tu_jstr(ban, "reason"), "ban evasion test");
    json_decref(ban);
    assert_false(is_member(f, NEWANA));
    mu_clear_queue(f->txn);
    assert_int_equal(follow(f, NEWANA, "1", MU_NOW + 3), 1);
    assert_false(is_member(f, NEWANA));
    assert_int_equal(mu_count(f->txn, INBOX(NEWANA), "Reject"), 1);
    /* an expired ban is not carried; bob (not banned) moves with his membership */
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", SPAM, MU_NOW + 5, MOD, "short"),
                     GM_OK);
    struct gm_remote_actor spam2 = {.id = "https://spam2.example/u/s",
                                    .inbox = "https://spam2.example/u/s/inbox"};
    move = json_pack("{s:s, s:s, s:s, s:s}", "id", SPAM "/move", "type", "Move", "actor", SPAM,
                     "object", SPAM);
    mctx = mu_ctx(SPAM, MU_NOW + 10);
    mctx.moved_to = &spam2;
    assert_int_equal(gm_rules_apply(f->txn, &mctx, move), GM_OK);
    json_decref(move);
    assert_int_equal(gm_membership_banned(f->txn, "demo", spam2.id, MU_NOW + 1), GM_ENOTFOUND);
    struct gm_remote_actor bob2 = {.id = "https://new.example/u/bob",
                                   .inbox = "https://new.example/u/bob/inbox"};
    move = json_pack("{s:s, s:s, s:s, s:s}", "id", BOB "/move", "type", "Move", "actor", BOB,
                     "object", BOB);
    mctx = mu_ctx(BOB, MU_NOW + 10);
    mctx.moved_to = &bob2;
    assert_int_equal(gm_rules_apply(f->txn, &mctx, move), GM_OK);
    json_decref(move);
    assert_true(is_member(f, bob2.id));
    assert_false(is_member(f, BOB));
    assert_int_equal(gm_membership_banned(f->txn, "demo", bob2.id, MU_NOW), GM_ENOTFOUND);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(open_join),
        T(approval_flow),
        T(undo_pending),
        T(ban_member),
        T(ban_needs_reason),
        T(ban_evasion_refollow),
        T(temporary_ban_expires),
        T(unban),
        T(ban_pending_request),
        T(remove_member),
        T(suspended_domains),
        T(moderators),
        T(resolve),
        T(ban_survives_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
