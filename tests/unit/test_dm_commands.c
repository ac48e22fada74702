/* SPDX-License-Identifier: Apache-2.0
 * test_dm_commands.c - moderation by direct message (dm_commands.h), with DMs shaped as
 * Mastodon sends them (to the community alone, "@name" in the HTML and the full name in the
 * tag array): a moderator's command is carried out and answered by a DM threaded under it; a
 * DM from anyone else is never relayed, lands in the moderator inbox, and a command word gets
 * a polite refusal and changes nothing; a banned account's DM is ignored. The command table
 * (help, pending, approve/reject of requests and held posts, queue, ban/unban, block, stats,
 * unknown words, missing arguments) runs through gm_dm_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/ckv.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/notify.h"
#include "gemeinde/relay_store.h"
#include "mod_util.h"
#include "test_util.h"

#define MIA "https://mods.example/users/mia" /* the moderator */
#define ANA "https://masto.example/users/ana"
#define BOB "https://masto.example/users/bob"
#define SAM "https://spam.example/users/sam"
#define INBOX(a) a "/inbox"
#define DEMO_TAG "{\"type\":\"Mention\",\"href\":\"" MU_DEMO "\",\"name\":\"@demo@groups.example\"}"
#define SAM_TAG "{\"type\":\"Mention\",\"href\":\"" SAM "\",\"name\":\"@sam@spam.example\"}"
#define HCARD(url, name)                                                                           \
    "<span class=\\\"h-card\\\"><a href=\\\"" url "\\\" class=\\\"u-url mention\\\">@<span>" name  \
    "</span></a></span>"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    mu_actor(f->txn, MIA, "mia", 0);
    mu_actor(f->txn, ANA, "ana", 0);
    mu_actor(f->txn, BOB, "bob", 0);
    mu_actor(f->txn, SAM, "sam", 0);
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", MIA, "cli:test"), GM_OK);
    assert_int_equal(mu_apply(f->txn, SAM, MU_NOW, mu_follow(SAM, "1")), 1); /* a member */
    mu_clear_queue(f->txn);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

/* A DM from `actor` to the community: content `html` (JSON-escaped already), tags `tags`
 * (JSON array text). Returns what was queued. The Note's id is ACTOR/dm/TAG. */
static int send_dm(struct tu_store *f, const char *actor, const char *tag, const char *html,
                   const char *tags)
{
    char text[70000];
    int n = snprintf(
        text, sizeof text,
        "{\"id\":\"%s/dm/%s/create\",\"type\":\"Create\",\"actor\":\"%s\",\"to\":[\"" MU_DEMO
        "\"],\"cc\":[],\"object\":{\"id\":\"%s/dm/%s\",\"type\":\"Note\","
        "\"attributedTo\":\"%s\",\"to\":[\"" MU_DEMO "\"],\"cc\":[],\"content\":\"%s\","
        "\"tag\":%s}}",
        actor, tag, actor, actor, tag, actor, html, tags);
    assert_true(n > 0 && (size_t)n < sizeof text);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("bad test DM: %s", jerr.text);
    return mu_apply(f->txn, actor, MU_NOW + 100, doc);
}

static json_t *inbox_page(struct tu_store *f)
{
    json_t *page = NULL;
    assert_int_equal(gm_dm_inbox(f->txn, "demo", 0, 100, &page), GM_OK);
    return page;
}

static size_t outbox(struct tu_store *f)
{
    size_t n;
    assert_int_equal(gm_outbox_count(f->txn, "demo", &n), GM_OK);
    return n;
}

/* The plain text of the k-th DM to `inbox`, and its inReplyTo (copied to `reply_to`). */
static char *reply_text(struct tu_store *f, const char *inbox, size_t k, char *reply_to,
                        size_t size)
{
    json_t *dm = mu_job(f->txn, inbox, "Create", k);
    if (!dm)
        fail_msg("no DM %zu to %s", k, inbox);
    json_t *note = json_object_get(dm, "object");
    snprintf(reply_to, size, "%s", tu_jstr(note, "inReplyTo") ? tu_jstr(note, "inReplyTo") : "");
    char *text = gm_notify_html_text(tu_jstr(note, "content"));
    json_decref(dm);
    return text;
}

static void non_moderator_dm(void **state)
{
    struct tu_store *f = *state;
    /* a member's message: kept for the moderators, not relayed, no answer */
    assert_int_equal(send_dm(f, ANA, "1", "<p>" HCARD(MU_DEMO, "demo") " someone &amp; spam</p>",
                             "[" DEMO_TAG "]"),
                     0);
    assert_int_equal(outbox(f), 0);
    json_t *page = inbox_page(f);
    assert_int_equal(json_array_size(page), 1);
    json_t *msg = json_object_get(json_array_get(page, 0), "value");
    assert_string_equal(tu_jstr(msg, "from"), ANA);
    assert_string_equal(tu_jstr(msg, "object"), ANA "/dm/1");
    assert_string_equal(tu_jstr(msg, "content"), "someone & spam");
    assert_int_equal(json_integer_value(json_object_get(msg, "at")), MU_NOW + 100);
    json_decref(page);
    /* a command word from a non-moderator: refused politely, nothing done */
    assert_int_equal(send_dm(f, ANA, "2",
                             "<p>" HCARD(MU_DEMO, "demo") " ban " HCARD(SAM, "sam") " 2 spam</p>",
                             "[" DEMO_TAG "," SAM_TAG "]"),
                     1);
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW + 200), GM_ENOTFOUND);
    assert_int_equal(gm_member_get(f->txn, "demo", SAM, NULL), GM_OK);
    char in_reply_to[300];
    char *text = reply_text(f, INBOX(ANA), 0, in_reply_to, sizeof in_reply_to);
    assert_true(tu_contains(text, "only the moderators of this community can use commands"));
    assert_string_equal(in_reply_to, ANA "/dm/2");
    free(text);
    /* a non-member, and Bob asking for "help": both kept, newest first */
    assert_int_equal(send_dm(f, BOB, "3", "HELP", "[]"), 1);
    page = inbox_page(f);
    assert_int_equal(json_array_size(page), 3);
    msg = json_object_get(json_array_get(page, 0), "value");
    assert_string_equal(tu_jstr(msg, "from"), BOB);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "seq")), 3);
    assert_string_equal(tu_jstr(json_object_get(json_array_get(page, 1), "value"), "content"),
                        "ban " SAM " 2 spam"); /* the mention resolved through its tag */
    json_decref(page);
    assert_int_equal(outbox(f), 0);
    assert_int_equal(mu_log_len(f->txn, "demo"), 1); /* add_moderator only */
    /* a banned account's DM is not even kept */
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", BOB, 0, "cli:test", "abuse"), GM_OK);
    assert_int_equal(send_dm(f, BOB, "4", "let me back", "[]"), 0);
    page = inbox_page(f);
    assert_int_equal(json_array_size(page), 3);
    json_decref(page);
}

/* The moderator's DM as Mastodon writes it: "@demo ban @sam 2 spam" with the names in tags. */
static void moderator_ban_by_dm(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(send_dm(f, MIA, "1",
                             "<p>" HCARD(MU_DEMO, "demo") " ban " HCARD(SAM, "sam") " 2 spam</p>",
                             "[" DEMO_TAG "," SAM_TAG "]"),
                     3); /* the Reject and the notice to sam, the answer to mia */
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW + 100), GM_OK);
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW + 100 + 2 * 86400),
                     GM_ENOTFOUND);
    json_t *ban = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, "demo", SAM, &ban), GM_OK);
    assert_string_equal(tu_jstr(ban, "reason"), "spam");
    assert_string_equal(tu_jstr(ban, "by"), MIA);
    json_decref(ban);
    assert_int_equal(gm_member_get(f->txn, "demo", SAM, NULL), GM_ENOTFOUND);
    assert_int_equal(mu_count(f->txn, INBOX(SAM), "Reject"), 1);
    mu_assert_log(f->txn, "demo", "ban_temporary", SAM);
    char in_reply_to[300];
    char *text = reply_text(f, INBOX(MIA), 0, in_reply_to, sizeof in_reply_to);
    assert_string_equal(text, "Banned " SAM " for 2 days.");
    assert_string_equal(in_reply_to, MIA "/dm/1");
    free(text);
    /* never relayed, never in the moderator inbox */
    assert_int_equal(outbox(f), 0);
    json_t *page = inbox_page(f);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
    /* "@sam" with no tag to say who it is: not guessed */
    assert_int_equal(send_dm(f, MIA, "2", "unban @sam", "[]"), 1);
    text = reply_text(f, INBOX(MIA), 1, in_reply_to, sizeof in_reply_to);
    assert_string_equal(text, "I do not know @sam; use the account's URL.");
    free(text);
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW + 100), GM_OK);
    /* through the shared inbox, with the full handle typed out */
    struct gm_rules_ctx shared = mu_ctx(MIA, MU_NOW + 100);
    shared.community = NULL;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:{s:s, s:s, s:s, s:[s], s:s}}", "id",
                            MIA "/dm/3/create", "type", "Create", "actor", MIA, "to", MU_DEMO,
                            "object", "id", MIA "/dm/3", "type", "Note", "attributedTo", MIA, "to",
                            MU_DEMO, "content", "<p>unban @sam@spam.example</p>");
    assert_int_equal(gm_rules_apply(f->txn, &shared, doc), GM_OK);
    json_decref(doc);
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW + 100), GM_ENOTFOUND);
    mu_assert_log(f->txn, "demo", "unban", SAM);
}

/* The moderator's public post about the community is a post, not a command. */
static void public_post_is_not_a_command(void **state)
{
    struct tu_store *f = *state;
    json_t *post = mu_post(MIA, "p", "\"content\":\"<p>ban " SAM " 1 spam</p>\"");
    assert_int_equal(mu_apply(f->txn, MIA, MU_NOW, post), 1);
    assert_int_equal(outbox(f), 1);
    assert_int_equal(gm_membership_banned(f->txn, "demo", SAM, MU_NOW), GM_ENOTFOUND);
    assert_int_equal(mu_count(f->txn, INBOX(MIA), NULL), 0);
}

/* ---- the command table ------------------------------------------------------------------ */

static const struct cmd_case {
    const char *text;
    const char *reply; /* the answer starts with this */
} cmd_cases[] = {
    {"help", "Commands (one per message):"},
    {"  Help  ", "Commands (one per message):"},
    {"", "Sorry, I do not know the command '(empty)'."},
    {"frobnicate now", "Sorry, I do not know the command 'frobnicate'. Send 'help' for the list."},
    {"pending", "2 waiting to join:\n- @ana@masto.example\n- @bob@masto.example"},
    {"queue", "1 posts wait for approval:\n- " SAM "/notes/1 by @sam@spam.example (premoderation)"},
    {"stats", "Members: 1\nWaiting to join: 2\nPosts waiting for approval: 1\nOpen reports: 0\nModerators: 1\n"
              "Announces sent: 0"},
    {"approve", "Usage: approve @user@host, or approve POST-URL"},
    {"approve @ana@masto.example", "Approved: @ana@masto.example is a member now."},
    {"reject " BOB " not yet", "Rejected: " BOB " will not join."},
    {"approve @nobody@masto.example", "Nothing to approve: @nobody@masto.example is neither"},
    {"reject https://nowhere.example/x", "Nothing to reject: https://nowhere.example/x is neither"},
    {"approve " SAM "/notes/1", "Approved: " SAM "/notes/1 is relayed now."},
    {"ban", "Usage: ban @user@host [days] reason"},
    {"ban @sam@spam.example", "A ban needs a reason: ban @sam@spam.example [days] reason"},
    {"ban @sam@spam.example 3", "A ban needs a reason"},
    {"ban @who@nowhere.example spam", "I do not know @who@nowhere.example; use the account's URL."},
    {"ban @sam@spam.example 0 spam", "A ban lasts at least 1 day: ban @sam@spam.example"},
    {"ban @sam@spam.example 000 spam", "A ban lasts at least 1 day"},
    {"ban @sam@spam.example 123456 spam", "Banned @sam@spam.example."}, /* 6 digits: a reason */
    {"unban @sam@spam.example", "Unbanned @sam@spam.example."},
    {"unban @sam@spam.example", "@sam@spam.example is not banned."},
    {"ban " SAM " 7 spam and more", "Banned " SAM " for 7 days."},
    {"block", "Usage: block DOMAIN reason"},
    {"block spam.example", "Usage: block DOMAIN reason"},
    {"block .example reason", "'.example' is not a domain name"},
    {"block spam.example spam wave", "Blocked spam.example for this community; 0 members"},
    {"unban", "Usage: unban @user@host"},
};

/* Every case in one store, in order: pending requests from ana and bob, sam's held post. */
static void command_table(void **state)
{
    struct tu_store *f = *state;
    mu_set(f->txn, "demo", "join", "approval");
    mu_set(f->txn, "demo", "premoderation", "yes");
    assert_int_equal(mu_apply(f->txn, ANA, MU_NOW, mu_follow(ANA, "1")), 0);
    assert_int_equal(mu_apply(f->txn, BOB, MU_NOW, mu_follow(BOB, "1")), 0);
    assert_int_equal(mu_apply(f->txn, SAM, MU_NOW, mu_post(SAM, "1", "")), 0);
    for (size_t i = 0; i < TU_ARRAY_LEN(cmd_cases); i++) {
        struct gm_rules_ctx ctx = mu_ctx(MIA, MU_NOW);
        char *reply = NULL;
        assert_int_equal(gm_dm_run(f->txn, &ctx, "demo", cmd_cases[i].text, &reply), GM_OK);
        if (strncmp(reply, cmd_cases[i].reply, strlen(cmd_cases[i].reply)) != 0)
            fail_msg("case %zu '%s': '%s', want '%s...'", i, cmd_cases[i].text, reply,
                     cmd_cases[i].reply);
        free(reply);
    }
    /* what the commands did */
    assert_int_equal(gm_member_get(f->txn, "demo", ANA, NULL), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", BOB, NULL), GM_ENOTFOUND);
    assert_int_equal(mu_count(f->txn, INBOX(ANA), "Accept"), 1);
    assert_int_equal(mu_count(f->txn, INBOX(BOB), "Reject"), 1);
    assert_int_equal(outbox(f), 1); /* sam's approved post */
    json_t *ban = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, "demo", SAM, &ban), GM_OK);
    assert_string_equal(tu_jstr(ban, "reason"), "spam and more");
    assert_int_equal(json_integer_value(json_object_get(ban, "until")), MU_NOW + 7 * 86400);
    json_decref(ban);
    enum gm_block_severity sev;
    assert_int_equal(gm_cblock_severity_url(f->txn, "demo", SAM, &sev), GM_OK);
    assert_int_equal(sev, GM_BLOCK_SUSPEND);
    mu_assert_log(f->txn, "demo", "block", "spam.example");
}

/* A DM that is one enormous word (a pasted blob, a long link) is kept, cut to size; it does
 * not fail the activity (which the sender would then retry for ever). */
static void long_dm(void **state)
{
    struct tu_store *f = *state;
    static char html[60000];
    for (int round = 0; round < 2; round++) {
        memset(html, round ? 'y' : 'x', sizeof html - 1);
        html[sizeof html - 1] = '\0';
        if (round) /* a moderator's: an unknown command, answered */
            assert_int_equal(send_dm(f, MIA, "long", html, "[]"), 1);
        else
            assert_int_equal(send_dm(f, ANA, "long", html, "[]"), 0);
    }
    json_t *page = inbox_page(f);
    assert_int_equal(json_array_size(page), 1);
    const char *content = tu_jstr(json_object_get(json_array_get(page, 0), "value"), "content");
    assert_non_null(content);
    assert_true(strlen(content) > 0 && strlen(content) <= GM_DM_TEXT_MAX);
    assert_int_equal(strspn(content, "x"), strlen(content));
    json_decref(page);
    /* a tag href longer than the room left does not break the text either */
    char tags[3000];
    char href[2100];
    memset(href, 'h', sizeof href - 1);
    href[sizeof href - 1] = '\0';
    memcpy(href, "https://", 8);
    snprintf(tags, sizeof tags,
             "[{\"type\":\"Mention\",\"href\":\"%s\",\"name\":\"@z@z.example\"}]", href);
    char words[8000];
    memset(words, 'w', sizeof words - 1);
    words[sizeof words - 1] = '\0';
    memcpy(words + GM_DM_TEXT_MAX - 10, " @z ", 4);
    assert_int_equal(send_dm(f, ANA, "tag", words, tags), 0);
    page = inbox_page(f);
    assert_int_equal(json_array_size(page), 2);
    content = tu_jstr(json_object_get(json_array_get(page, 0), "value"), "content");
    assert_true(strlen(content) <= GM_DM_TEXT_MAX);
    json_decref(page);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(non_moderator_dm),
        T(moderator_ban_by_dm),
        T(public_post_is_not_a_command),
        T(command_table),
        T(long_dm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
