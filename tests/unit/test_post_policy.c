/* SPDX-License-Identifier: Apache-2.0
 * test_post_policy.c - what happens to a post addressed to a community (post_policy.h and
 * relay.c): the verdict table (who may post, premoderation, probation by posts and by account
 * age, too many mentions, keyword and regex filters on name/summary/content as plain text,
 * silenced domains, spam_action hold or drop, moderators trusted); then the same through the
 * relay: the held queue (approve relays once and counts towards probation, reject drops; a
 * post deleted while held is never relayed), the hourly rate per member, suspended domains
 * (the author's and the inner object's, node-wide and community) and banned accounts
 * ignored, and a 1,000-addressee post counted without blowup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/relay_store.h"
#include "mod_util.h"
#include "test_util.h"

#define ALICE "https://masto.example/users/alice"
#define YOUNG "https://masto.example/users/young"
#define NOAGE "https://masto.example/users/noage"
#define EVE "https://else.example/users/eve"
#define MOD "https://mods.example/users/mod"
#define QUIET "https://quiet.example/users/q"
#define BAD "https://bad.example/users/b"

static void member(struct gm_txn *txn, const char *actor)
{
    char inbox[300];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    struct gm_member m = {.actor = (char *)actor, .inbox = inbox, .since = 1};
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
}

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    mu_actor(f->txn, ALICE, "alice", MU_NOW - 400 * 86400LL);
    mu_actor(f->txn, YOUNG, "young", MU_NOW - 86400);
    mu_actor(f->txn, NOAGE, "noage", 0);
    mu_actor(f->txn, EVE, "eve", MU_NOW - 400 * 86400LL);
    mu_actor(f->txn, MOD, "mod", MU_NOW - 3600); /* a brand-new moderator account */
    mu_actor(f->txn, QUIET, "q", 0);
    mu_actor(f->txn, BAD, "b", 0);
    member(f->txn, ALICE);
    member(f->txn, YOUNG);
    member(f->txn, NOAGE);
    member(f->txn, QUIET);
    member(f->txn, BAD);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", MOD, "cli:test"), GM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static const char *const V[] = {"relay", "hold", "drop"};

/* ---- the verdict table ------------------------------------------------------------------ */

#define MENTION(n) "{\"type\":\"Mention\",\"href\":\"https://m.example/u/" #n "\"}"

static const struct judge_case {
    const char *settings; /* "key=value;key=value" */
    const char *actor;
    const char *extra; /* members of the Note */
    bool silenced;
    enum gm_verdict want;
    const char *rule; /* prefix of the deciding rule ("" when relayed) */
} judge_cases[] = {
    {"", ALICE, "", false, GM_VERDICT_RELAY, ""},
    {"", EVE, "", false, GM_VERDICT_DROP, "posting: members only"},
    {"posting=anyone", EVE, "", false, GM_VERDICT_RELAY, ""},
    {"posting=moderators", ALICE, "", false, GM_VERDICT_DROP, "posting: moderators only"},
    {"posting=moderators", MOD, "", false, GM_VERDICT_RELAY, ""},
    {"", MOD, "", false, GM_VERDICT_RELAY, ""}, /* a moderator who is not a member */
    {"premoderation=yes", ALICE, "", false, GM_VERDICT_HOLD, "premoderation"},
    {"premoderation=yes;posting=anyone", EVE, "", false, GM_VERDICT_HOLD, "premoderation"},
    {"premoderation=yes", MOD, "", false, GM_VERDICT_RELAY, ""},
    {"probation_posts=1", ALICE, "", false, GM_VERDICT_HOLD, "probation: post 1 of the first 1"},
    {"probation_days=7", YOUNG, "", false, GM_VERDICT_HOLD,
     "probation: account younger than 7 days"},
    {"probation_days=7", ALICE, "", false, GM_VERDICT_RELAY, ""},
    {"probation_days=7", NOAGE, "", false, GM_VERDICT_RELAY, ""}, /* age unknown */
    {"probation_days=7", MOD, "", false, GM_VERDICT_RELAY, ""},
    {"probation_days=1", YOUNG, "", false, GM_VERDICT_RELAY, ""}, /* exactly one day old */
    {"max_mentions=2", ALICE, "\"tag\":[" MENTION(1) "," MENTION(2) "," MENTION(3) "]", false,
     GM_VERDICT_HOLD, "max_mentions: 4 mentions or addressees, at most 2"},
    {"max_mentions=2;spam_action=drop", ALICE, "\"tag\":[" MENTION(1) "," MENTION(2) "]", false,
     GM_VERDICT_DROP, "max_mentions: 3"},
    {"max_mentions=2", ALICE, "\"tag\":[" MENTION(1) "]", false, GM_VERDICT_RELAY, ""},
    {"max_mentions=2", ALICE,
     "\"tag\":[" MENTION(1) "," MENTION(1) ",{\"type\":\"Hashtag\","
                                           "\"href\":\"https://x/tags/a\"}]",
     false, GM_VERDICT_RELAY, ""},
    {"max_mentions=1", MOD, "\"tag\":[" MENTION(1) "," MENTION(2) "]", false, GM_VERDICT_RELAY, ""},
    {"filters=casino", ALICE, "\"content\":\"<p>Best CASINO in town</p>\"", false, GM_VERDICT_HOLD,
     "filter: casino"},
    {"filters=casino;spam_action=drop", ALICE, "\"content\":\"<p>casino</p>\"", false,
     GM_VERDICT_DROP, "filter: casino"},
    {"filters=casino", ALICE, "\"content\":\"<p>no gambling</p>\"", false, GM_VERDICT_RELAY, ""},
    {"filters=buy&sell", ALICE, "\"content\":\"<p>buy&amp;sell here</p>\"", false, GM_VERDICT_HOLD,
     "filter: buy&sell"},
    {"filters=a < b", ALICE, "\"content\":\"<p>a &lt; b</p>\"", false, GM_VERDICT_HOLD, "filter"},
    {"filters=café", ALICE, "\"content\":\"caf&#233; open\"", false, GM_VERDICT_HOLD, "filter"},
    {"filters=free money", ALICE, "\"content\":\"<p>fr<b>ee</b> money</p>\"", false,
     GM_VERDICT_HOLD, "filter: free money"},
    {"filters=<b>", ALICE, "\"content\":\"<p><b>bold</b></p>\"", false, GM_VERDICT_RELAY, ""},
    {"filters=spoiler", ALICE, "\"summary\":\"Spoiler ahead\"", false, GM_VERDICT_HOLD,
     "filter: spoiler"},
    {"filters=casino", ALICE, "\"type\":\"Question\",\"name\":\"Casino night?\"", false,
     GM_VERDICT_HOLD, "filter: casino"},
    {"filters=/cheap (pills|meds)/", ALICE, "\"content\":\"<p>CHEAP  meds</p>\"", false,
     GM_VERDICT_RELAY, ""},
    {"filters=/cheap +(pills|meds)/", ALICE, "\"content\":\"<p>CHEAP  meds</p>\"", false,
     GM_VERDICT_HOLD, "filter: /cheap +(pills|meds)/"},
    {"filters=/^win/", ALICE, "\"summary\":\"win a prize\"", false, GM_VERDICT_HOLD, "filter"},
    {"filters=casino", MOD, "\"content\":\"casino\"", false, GM_VERDICT_RELAY, ""},
    {"", QUIET, "", true, GM_VERDICT_HOLD, "silenced domain"},
    {"premoderation=yes", QUIET, "", true, GM_VERDICT_HOLD, "silenced domain"},
    {"max_mentions=1;spam_action=drop", QUIET, "\"tag\":[" MENTION(1) "]", true, GM_VERDICT_DROP,
     "max_mentions"}, /* spam goes before silence */
    {"", MOD, "", true, GM_VERDICT_RELAY, ""},
};

static void judge_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(judge_cases); i++) {
        const struct judge_case *t = &judge_cases[i];
        struct tu_store *f;
        setup((void **)&f);
        char settings[256];
        snprintf(settings, sizeof settings, "%s", t->settings);
        for (char *kv = strtok(settings, ";"); kv; kv = strtok(NULL, ";")) {
            char *eq = strchr(kv, '=');
            assert_non_null(eq);
            *eq = '\0';
            mu_set(f->txn, "demo", kv, eq + 1);
        }
        struct gm_community *c;
        assert_int_equal(gm_community_get(f->txn, "demo", &c), GM_OK);
        json_t *create = mu_post(t->actor, "1", t->extra);
        struct gm_rules_ctx ctx = mu_ctx(t->actor, MU_NOW);
        enum gm_verdict v = (enum gm_verdict)9;
        char rule[300] = "junk";
        assert_int_equal(gm_policy_judge(f->txn, &ctx, c, create, json_object_get(create, "object"),
                                         t->silenced, &v, rule, sizeof rule),
                         GM_OK);
        if (v != t->want || strncmp(rule, t->rule, strlen(t->rule)) != 0 ||
            (t->want == GM_VERDICT_RELAY && rule[0]))
            fail_msg("case %zu [%s] by %s: %s (%s), want %s (%s)", i, t->settings, t->actor,
                     v <= GM_VERDICT_DROP ? V[v] : "?", rule, V[t->want], t->rule);
        assert_int_equal(ctx.queued, 0); /* judging sends nothing */
        json_decref(create);
        gm_community_free(c);
        teardown((void **)&f);
    }
}

/* ---- addressees and filters ------------------------------------------------------------- */

static void addressees_table(void **state)
{
    (void)state;
    static const struct {
        const char *create, *obj;
        size_t want;
    } cases[] = {
        {"{}", "{}", 0},
        {"{\"to\":[\"" MU_PUBLIC "\"],\"cc\":[\"https://a/u/x/followers\"]}",
         "{\"to\":\"as:Public\",\"cc\":\"Public\"}", 0},
        {"{\"to\":[\"https://a/u/1\",\"https://a/u/2\"]}", "{\"to\":[\"https://a/u/2\"]}", 2},
        {"{\"bto\":\"https://a/u/1\",\"bcc\":[\"https://a/u/3\"]}",
         "{\"audience\":\"https://g/c/x\"}", 3},
        {"{}", "{\"cc\":[{\"id\":\"https://a/u/1\"},{\"type\":\"Person\"},7,null,\"\"]}", 1},
        {"{\"cc\":[\"https://a/u/1\"]}",
         "{\"tag\":[{\"type\":\"Mention\",\"href\":\"https://a/u/1\"},{\"type\":\"Mention\","
         "\"href\":\"https://a/u/2\"},{\"type\":\"Hashtag\",\"href\":\"https://a/t/x\"},"
         "{\"type\":\"Mention\"},{\"href\":\"https://a/u/9\"}]}",
         2},
        {"{}", "{\"tag\":{\"type\":\"Mention\",\"href\":\"https://a/u/1\"}}", 1},
        {"{}", "{\"tag\":\"not a tag\"}", 0},
        {"{}", "{\"to\":[\"https://a/u/followers\",\"https://a/u/myfollowers\"]}", 1},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        json_t *c = json_loads(cases[i].create, 0, NULL), *o = json_loads(cases[i].obj, 0, NULL);
        assert_non_null(c);
        assert_non_null(o);
        size_t n = gm_policy_addressees(c, o);
        if (n != cases[i].want)
            fail_msg("case %zu: %zu, want %zu", i, n, cases[i].want);
        json_decref(c);
        json_decref(o);
    }
}

/* 1,000 distinct mentions (also repeated in cc): counted once each, quickly; 20,000 are
 * counted far enough to be spam, without building an unbounded set. */
static void addressees_many(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        int n = round ? 20000 : 1000;
        json_t *tags = json_array(), *cc = json_array();
        char href[64];
        for (int i = 0; i < n; i++) {
            snprintf(href, sizeof href, "https://m%d.example/u/%d", i % 97, i);
            json_array_append_new(tags, json_pack("{s:s, s:s}", "type", "Mention", "href", href));
            json_array_append_new(cc, json_string(href));
            json_array_append_new(cc, json_string(href));
        }
        json_t *obj = json_pack("{s:o, s:o, s:[s]}", "tag", tags, "cc", cc, "to", MU_PUBLIC);
        json_t *create = json_pack("{s:O}", "cc", json_object_get(obj, "cc"));
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        size_t got = gm_policy_addressees(create, obj);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        if (round == 0)
            assert_int_equal(got, 1000);
        else
            assert_true(got > 1000 && got <= 20000);
        if (secs > 2.0)
            fail_msg("%d addressees took %.2f s", n, secs);
        json_decref(obj);
        json_decref(create);
    }
}

static void filter_match_table(void **state)
{
    (void)state;
    static const struct {
        const char *filter, *text;
        bool want;
    } cases[] = {
        {"casino", "Best CASINO", true},
        {"casino", "casin", false},
        {"CaSiNo", "xcasinox", true},
        {"", "anything", false},
        {"long filter", "short", false},
        {"casino", "", false},
        {"/^abc$/", "abc", true},
        {"/^abc$/", "xabc", false},
        {"/a|b/", "zzb", true},
        {"/[0-9]{4}/", "call 1234", true},
        {"/[unclosed/", "[unclosed", false},
        {"/", "a/b", true}, /* one slash: a keyword */
        {"//", "anything", true},
        {"/ÄÖ/", "xäöx", false}, /* ICASE is bytewise */
        {"ÄÖ", "ÄÖ", true},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++)
        if (gm_policy_filter_match(cases[i].filter, cases[i].text) != cases[i].want)
            fail_msg("case %zu: '%s' on '%s': want %d", i, cases[i].filter, cases[i].text,
                     cases[i].want);
}

/* ---- through the relay ------------------------------------------------------------------ */

enum outcome { RELAYED, HELD, IGNORED };
static const char *const O[] = {"relayed", "held", "ignored"};

static size_t outbox(struct tu_store *f)
{
    size_t n;
    assert_int_equal(gm_outbox_count(f->txn, "demo", &n), GM_OK);
    return n;
}

static json_t *held_rec(struct tu_store *f, const char *object_id)
{
    json_t *rec = NULL;
    return gm_ckv_get(f->txn, GM_CKV_HELD, "demo", object_id, &rec) == GM_OK ? rec : NULL;
}

/* Send `create` (stolen) by `actor` at `now`: what became of its object. */
static enum outcome send(struct tu_store *f, const char *actor, json_t *create, int64_t now)
{
    char oid[600];
    snprintf(oid, sizeof oid, "%s",
             json_string_value(json_object_get(json_object_get(create, "object"), "id")));
    size_t before = outbox(f);
    json_t *was = held_rec(f, oid);
    int queued = mu_apply(f->txn, actor, now, create);
    json_t *is = held_rec(f, oid);
    enum outcome o = outbox(f) > before ? RELAYED : is && !was ? HELD : IGNORED;
    assert_int_equal(queued, o == RELAYED ? 1 : 0);
    json_decref(was);
    json_decref(is);
    return o;
}

static void expect(struct tu_store *f, const char *actor, const char *tag, const char *extra,
                   int64_t now, enum outcome want)
{
    enum outcome got = send(f, actor, mu_post(actor, tag, extra), now);
    if (got != want)
        fail_msg("post %s by %s: %s, want %s", tag, actor, O[got], O[want]);
}

static void held_queue(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "premoderation", "yes");
    json_t *create = mu_post(ALICE, "1", "");
    assert_int_equal(send(f, ALICE, json_incref(create), MU_NOW), HELD);
    json_t *rec = held_rec(f, ALICE "/notes/1");
    assert_true(json_equal(json_object_get(rec, "activity"), create));
    assert_string_equal(tu_jstr(rec, "actor"), ALICE);
    assert_string_equal(tu_jstr(rec, "rule"), "premoderation");
    assert_int_equal(json_integer_value(json_object_get(rec, "at")), MU_NOW);
    json_decref(rec);
    /* the same post again (e.g. also through the shared inbox): still one */
    assert_int_equal(send(f, ALICE, json_incref(create), MU_NOW), IGNORED);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_held_put(f->txn, &ctx, "demo", ALICE, create, "x"), GM_EEXISTS);
    size_t n;
    assert_int_equal(gm_ckv_count(f->txn, GM_CKV_HELD, "demo", &n), GM_OK);
    assert_int_equal(n, 1);
    /* approve: relayed exactly once, logged */
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/1", MOD), GM_OK);
    assert_int_equal(ctx.queued, 1);
    assert_int_equal(outbox(f), 1);
    assert_null(held_rec(f, ALICE "/notes/1"));
    mu_assert_log(f->txn, "demo", "approve_post", ALICE "/notes/1");
    char *json = NULL;
    assert_int_equal(gm_outbox_get(f->txn, "demo", 1, &json), GM_OK);
    json_t *announce = json_loads(json, 0, NULL);
    free(json);
    assert_true(json_equal(json_object_get(announce, "object"), create));
    json_decref(announce);
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/1", MOD), GM_ENOTFOUND);
    assert_int_equal(send(f, ALICE, json_incref(create), MU_NOW), IGNORED); /* relayed before */
    assert_int_equal(outbox(f), 1);
    json_decref(create);
    /* reject: dropped, logged, never relayed */
    expect(f, ALICE, "2", "", MU_NOW, HELD);
    ctx.queued = 0;
    assert_int_equal(gm_held_reject(f->txn, &ctx, "demo", ALICE "/notes/2", MOD, "off topic"),
                     GM_OK);
    assert_int_equal(ctx.queued, 0);
    mu_assert_log(f->txn, "demo", "reject_post", ALICE "/notes/2");
    assert_int_equal(gm_held_reject(f->txn, &ctx, "demo", ALICE "/notes/2", MOD, NULL),
                     GM_ENOTFOUND);
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/2", MOD), GM_ENOTFOUND);
    assert_int_equal(outbox(f), 1);
    /* a Create without an object id cannot be held */
    json_t *bare = json_pack("{s:s, s:{s:s}}", "type", "Create", "object", "type", "Note");
    assert_int_equal(gm_held_put(f->txn, &ctx, "demo", ALICE, bare, "x"), GM_EINVAL);
    json_decref(bare);
}

/* The author deletes a held post: it leaves the queue and can never be approved. */
static void deleted_while_held(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "premoderation", "yes");
    expect(f, ALICE, "1", "", MU_NOW, HELD);
    expect(f, YOUNG, "2", "", MU_NOW, HELD);
    /* someone else's Delete of it changes nothing */
    json_t *del = json_pack("{s:s, s:s, s:s, s:s}", "id", YOUNG "/del/1", "type", "Delete", "actor",
                            YOUNG, "object", ALICE "/notes/1");
    assert_int_equal(mu_apply(f->txn, YOUNG, MU_NOW, del), 0);
    json_t *rec = held_rec(f, ALICE "/notes/1");
    assert_non_null(rec);
    json_decref(rec);
    del = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "id", ALICE "/del/1", "type", "Delete",
                    "actor", ALICE, "object", "id", ALICE "/notes/1", "type", "Tombstone");
    assert_int_equal(mu_apply(f->txn, ALICE, MU_NOW, del), 0);
    assert_null(held_rec(f, ALICE "/notes/1"));
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/1", MOD), GM_ENOTFOUND);
    assert_int_equal(outbox(f), 0);
    rec = held_rec(f, YOUNG "/notes/2");
    assert_non_null(rec);
    json_decref(rec);
}

/* Probation by post count: held posts count once approved; then posts go straight through. */
static void probation_counts(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "probation_posts", "2");
    expect(f, ALICE, "1", "", MU_NOW, HELD);
    expect(f, ALICE, "2", "", MU_NOW, HELD);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/1", MOD), GM_OK);
    expect(f, ALICE, "3", "", MU_NOW, HELD); /* one of two so far */
    assert_int_equal(gm_held_reject(f->txn, &ctx, "demo", ALICE "/notes/3", MOD, NULL), GM_OK);
    expect(f, ALICE, "4", "", MU_NOW, HELD); /* a rejected post does not count */
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", ALICE "/notes/2", MOD), GM_OK);
    expect(f, ALICE, "5", "", MU_NOW, RELAYED);
    expect(f, ALICE, "6", "", MU_NOW, RELAYED);
    json_t *rec = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_POSTERS, "demo", ALICE, &rec), GM_OK);
    assert_int_equal(json_integer_value(json_object_get(rec, "posts")), 4);
    json_decref(rec);
    /* another member starts from zero */
    expect(f, NOAGE, "7", "", MU_NOW, HELD);
}

static void rate_limit(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "rate_limit", "2");
    int64_t hour = MU_NOW - MU_NOW % 3600;
    expect(f, ALICE, "1", "", hour + 10, RELAYED);
    expect(f, ALICE, "2", "", hour + 20, RELAYED);
    expect(f, ALICE, "3", "", hour + 3599, HELD);
    json_t *rec = held_rec(f, ALICE "/notes/3");
    assert_string_equal(tu_jstr(rec, "rule"), "rate_limit: post 3 this hour, at most 2");
    json_decref(rec);
    expect(f, NOAGE, "4", "", hour + 30, RELAYED);   /* per member */
    expect(f, ALICE, "5", "", hour + 3600, RELAYED); /* the next hour */
    for (int i = 0; i < 5; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "m%d", i);
        expect(f, MOD, tag, "", hour + 3600, RELAYED); /* moderators are not limited */
    }
    mu_set(f->txn, "demo", "spam_action", "drop");
    expect(f, ALICE, "6", "", hour + 3601, RELAYED);
    expect(f, ALICE, "7", "", hour + 3602, IGNORED); /* dropped */
}

/* Suspended domains (the author's or the inner object's; node-wide or the community's) are
 * ignored, never held; silenced ones are held. */
static void domains(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    struct gm_block quiet = {.domain = "quiet.example", .severity = GM_BLOCK_SILENCE};
    assert_int_equal(gm_block_set(f->txn, &quiet), GM_OK);
    expect(f, QUIET, "1", "", MU_NOW, HELD);
    json_t *rec = held_rec(f, QUIET "/notes/1");
    assert_string_equal(tu_jstr(rec, "rule"), "silenced domain");
    json_decref(rec);
    struct gm_block csil = {.domain = "masto.example", .severity = GM_BLOCK_SILENCE};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &csil, "cli:test", NULL), GM_OK);
    expect(f, ALICE, "2", "", MU_NOW, HELD);
    assert_int_equal(gm_cblock_remove(f->txn, &ctx, "demo", "masto.example", "cli:test"), GM_OK);
    /* a post by an author on a suspended domain; suspend after joining (member kept here) */
    assert_int_equal(gm_block_put(f->txn, "bad.example", "spam"), GM_OK);
    expect(f, BAD, "3", "", MU_NOW, IGNORED);
    /* the inner object on a suspended domain, sent by someone fine */
    mu_set(f->txn, "demo", "posting", "anyone");
    expect(f, EVE, "5", "\"id\":\"https://x.bad.example/notes/5\"", MU_NOW, IGNORED);
    expect(f, EVE, "6", "", MU_NOW, RELAYED); /* the control */
    /* the community's own suspend, of the author and of the inner object */
    struct gm_block csus = {.domain = "else.example", .severity = GM_BLOCK_SUSPEND};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &csus, "cli:test", NULL), GM_OK);
    expect(f, EVE, "7", "", MU_NOW, IGNORED);
    expect(f, NOAGE, "8", "\"id\":\"https://else.example/notes/8\"", MU_NOW, IGNORED);
    expect(f, NOAGE, "9", "", MU_NOW, RELAYED);
    size_t n;
    assert_int_equal(gm_ckv_count(f->txn, GM_CKV_HELD, "demo", &n), GM_OK);
    assert_int_equal(n, 2);
}

/* A banned account is ignored even where anyone may post; an expired ban is not a ban. */
static void banned_ignored(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "posting", "anyone");
    mu_set(f->txn, "demo", "premoderation", "yes");
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", EVE, 0, "cli:test", "spam"), GM_OK);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", ALICE, MU_NOW + 60, "cli:test", "x"),
                     GM_OK);
    expect(f, EVE, "1", "", MU_NOW, IGNORED); /* not even held for moderators */
    expect(f, ALICE, "2", "", MU_NOW + 59, IGNORED);
    expect(f, ALICE, "3", "", MU_NOW + 60, HELD); /* expired: the usual rules again */
    mu_set(f->txn, "demo", "premoderation", "no");
    expect(f, ALICE, "4", "", MU_NOW + 61, RELAYED);
    assert_int_equal(outbox(f), 1);
}

/* A thousand addressees through the relay: judged spam by max_mentions, quickly. */
static void thousand_addressees(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "max_mentions", "1000");
    json_t *tags = json_array(), *cc = json_pack("[s]", MU_DEMO);
    char href[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(href, sizeof href, "https://m.example/u/%d", i);
        json_array_append_new(tags, json_pack("{s:s, s:s}", "type", "Mention", "href", href));
        json_array_append_new(cc, json_string(href)); /* addressed and mentioned: once */
    }
    json_t *create = mu_post(ALICE, "1", "");
    json_object_set_new(json_object_get(create, "object"), "tag", tags);
    json_object_set_new(json_object_get(create, "object"), "cc", cc);
    assert_int_equal(send(f, ALICE, create, MU_NOW), HELD); /* 1,000 + the community */
    json_t *rec = held_rec(f, ALICE "/notes/1");
    assert_string_equal(tu_jstr(rec, "rule"),
                        "max_mentions: 1001 mentions or addressees, at most 1000");
    json_decref(rec);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(judge_table),
        cmocka_unit_test(addressees_table),
        cmocka_unit_test(addressees_many),
        cmocka_unit_test(filter_match_table),
        T(held_queue),
        T(deleted_while_held),
        T(probation_counts),
        T(rate_limit),
        T(domains),
        T(banned_ignored),
        T(thousand_addressees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
