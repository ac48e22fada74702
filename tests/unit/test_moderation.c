/* SPDX-License-Identifier: Apache-2.0
 * test_moderation.c - domain blocks as moderators manage them: a suspend ends the domain's
 * memberships (subdomains too), a silence does not; Mastodon CSV import (quoting, header,
 * noop, limit) and export round-trip; a bad line imports nothing; a silenced domain's posts are
 * not relayed while a suspended one is refused everywhere. The shared community operations:
 * an edit logs each changed field as "policy" (filters and long texts in the private note
 * only), a failed edit stores and logs nothing; removing a member is logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/community.h"
#include "gemeinde/app.h"
#include "gemeinde/members.h"
#include "gemeinde/moderation.h"
#include "gemeinde/modlog.h"
#include "gemeinde/router.h"
#include "gemeinde/rules.h"
#include "test_util.h"

static void add_member(struct gm_store *st, const char *actor)
{
    struct gm_txn *txn;
    char inbox[200];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    struct gm_member m = {.actor = (char *)actor, .inbox = inbox, .since = 1};
    assert_int_equal(gm_txn_begin(st, true, &txn), GM_OK);
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
}

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(0);
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    tu_add_community(txn, "demo");
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    add_member(f->st, "https://good.example/u/a");
    add_member(f->st, "https://bad.example/u/b");
    add_member(f->st, "https://x.bad.example/u/c");
    add_member(f->st, "https://quiet.example/u/d");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static size_t members(struct tu_store *f)
{
    struct gm_txn *txn;
    size_t n;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_member_count(txn, "demo", &n), GM_OK);
    gm_txn_abort(txn);
    return n;
}

static void suspend_ends_memberships(void **state)
{
    struct tu_store *f = *state;
    struct gm_block b = {.domain = "quiet.example", .severity = GM_BLOCK_SILENCE};
    size_t removed = 99;
    assert_int_equal(gm_mod_block_add(f->st, &b, "cli:test", &removed), GM_OK);
    assert_int_equal(removed, 0); /* a silence keeps members */
    assert_int_equal(members(f), 4);
    struct gm_block s = {.domain = "BAD.example", .severity = GM_BLOCK_SUSPEND,
                         .reason = "spam", .public_comment = "spam"};
    assert_int_equal(gm_mod_block_add(f->st, &s, "cli:test", &removed), GM_OK);
    assert_int_equal(removed, 2); /* bad.example and its subdomain */
    assert_int_equal(members(f), 2);
    struct gm_block bad = {.domain = "not a domain"};
    assert_int_equal(gm_mod_block_add(f->st, &bad, "cli:test", NULL), GM_EINVAL);
    assert_int_equal(gm_mod_block_remove(f->st, "bad.example", "cli:test"), GM_OK);
    assert_int_equal(gm_mod_block_remove(f->st, "bad.example", "cli:test"), GM_ENOTFOUND);
}

static void csv_round_trip(void **state)
{
    struct tu_store *f = *state;
    const char *csv = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n"
                      "bad.example,suspend,true,false,\"spam, \"\"ads\"\"\nmore\",false\r\n"
                      "skip.example,noop,false,false,,false\n"
                      "quiet.example,limit,false,true,,true\n"
                      "\n";
    size_t imported = 0, removed = 0;
    char err[128] = "";
    assert_int_equal(gm_mod_block_import(f->st, csv, "cli:test", &imported, &removed, err, sizeof err), GM_OK);
    assert_int_equal(imported, 2);
    assert_int_equal(removed, 2);
    char *out = NULL;
    assert_int_equal(gm_mod_block_export(f->st, &out), GM_OK);
    assert_string_equal(out,
                        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
                        "bad.example,suspend,true,false,\"spam, \"\"ads\"\"\nmore\",false\n"
                        "quiet.example,silence,false,true,,true\n");
    /* the export imports again to the same blocks */
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_block_del(txn, "bad.example"), GM_OK);
    assert_int_equal(gm_block_del(txn, "quiet.example"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    assert_int_equal(gm_mod_block_import(f->st, out, "cli:test", &imported, &removed, err, sizeof err), GM_OK);
    assert_int_equal(imported, 2);
    char *again = NULL;
    assert_int_equal(gm_mod_block_export(f->st, &again), GM_OK);
    assert_string_equal(again, out);
    free(again);
    free(out);
}

static void bad_csv_imports_nothing(void **state)
{
    struct tu_store *f = *state;
    static const char *const bad[] = {
        "good.example,suspend\nnot a domain,suspend\n",
        "good.example,obliterate\n",
        "good.example,suspend,\"unterminated\n",
        "good.example,\"x\"y,false\n",
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(bad); i++) {
        size_t imported = 7, removed = 7;
        char err[128] = "";
        assert_int_equal(gm_mod_block_import(f->st, bad[i], "cli:test", &imported, &removed, err, sizeof err),
                         GM_EINVAL);
        assert_true(tu_contains(err, "line"));
        assert_int_equal(imported, 7); /* untouched */
    }
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_block_find(txn, "good.example", NULL, 0), GM_ENOTFOUND);
    gm_txn_abort(txn);
}

static void silence_versus_suspend(void **state)
{
    struct tu_store *f = *state;
    struct gm_block b = {.domain = "quiet.example", .severity = GM_BLOCK_SILENCE};
    assert_int_equal(gm_mod_block_add(f->st, &b, "cli:test", NULL), GM_OK);
    struct gm_txn *txn;
    enum gm_block_severity sev;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    /* not a suspend: the inbox and delivery let it through */
    assert_int_equal(gm_block_find_url(txn, "https://quiet.example/u/d"), GM_ENOTFOUND);
    assert_int_equal(gm_block_severity_url(txn, "https://quiet.example/u/d", &sev), GM_OK);
    assert_int_equal(sev, GM_BLOCK_SILENCE);
    /* but its member's post is not relayed */
    json_t *post = json_loads(
        "{\"id\":\"https://quiet.example/c/1\",\"type\":\"Create\",\"actor\":"
        "\"https://quiet.example/u/d\",\"object\":{\"id\":\"https://quiet.example/n/1\","
        "\"type\":\"Note\",\"to\":[\"https://www.w3.org/ns/activitystreams#Public\"],"
        "\"cc\":[\"https://g.example/c/demo\"]}}",
        0, NULL);
    struct gm_rules_ctx ctx = {.base_url = "https://g.example", .community = "demo",
                               .actor = "https://quiet.example/u/d", .now = 1};
    assert_int_equal(gm_rules_apply(txn, &ctx, post), GM_OK);
    assert_int_equal(ctx.queued, 0);
    json_decref(post);
    gm_txn_abort(txn);
}

/* Every block operation is in the log, newest first, node-wide entries in every community's
 * log, with the private note kept; the public page shows the rest, escaped (in JSON too: \u003c),
 * and never the note. */
static void moderation_log(void **state)
{
    struct tu_store *f = *state;
    struct gm_block s = {.domain = "bad.example", .severity = GM_BLOCK_SUSPEND,
                         .reason = "PRIVATE-NOTE", .public_comment = "spam <script>x</script>"};
    assert_int_equal(gm_mod_block_add(f->st, &s, "cli:alice", NULL), GM_OK);
    assert_int_equal(gm_mod_block_remove(f->st, "bad.example", "cli:bob"), GM_OK);
    struct gm_txn *txn;
    struct gm_modlog_entry other = {.at = 5, .community = "other", .moderator = "x",
                                    .action = "ban", .target = "y"};
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_modlog_append(txn, &other), GM_OK); /* another community's */
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_modlog_page(txn, "demo", 0, 10, &list, &n), GM_OK);
    gm_txn_abort(txn);
    assert_int_equal(n, 2);
    assert_string_equal(list[0]->action, "unblock");
    assert_string_equal(list[0]->moderator, "cli:bob");
    assert_string_equal(list[1]->action, "suspend");
    assert_string_equal(list[1]->target, "bad.example");
    assert_string_equal(list[1]->private_note, "PRIVATE-NOTE");
    assert_string_equal(list[1]->community, "");
    gm_modlog_entries_free(list, n);

    struct gm_app app;
    assert_int_equal(gm_app_init(&app, NULL, NULL, "https://g.example"), GM_OK);
    app.st = f->st;
    for (int html = 0; html < 2; html++) {
        struct tu_req r;
        struct gm_http_resp resp = {0};
        tu_req_init(&r, "GET", "/c/demo/modlog", NULL);
        if (html)
            tu_req_add_header(&r, "Accept", "text/html");
        gm_router_dispatch(&app, &r.req, &resp);
        assert_int_equal(resp.status, 200);
        assert_false(tu_contains(resp.body, "PRIVATE-NOTE"));
        if (html) {
            assert_false(tu_contains(resp.body, "<script>"));
            assert_true(tu_contains(resp.body, "&lt;script&gt;"));
        } else {
            json_t *doc = tu_resp_json(&resp);
            json_t *first = json_array_get(json_object_get(doc, "entries"), 0);
            assert_string_equal(tu_jstr(first, "action"), "unblock");
            assert_string_equal(tu_jstr(first, "scope"), "node");
            /* regression: the public reason was dropped from the JSON (one pair short) */
            assert_string_equal(tu_jstr(json_array_get(json_object_get(doc, "entries"), 1),
                                        "reason"),
                                "spam <script>x</script>");
            json_decref(doc);
        }
        gm_http_resp_clear(&resp);
    }
    struct tu_req r;
    struct gm_http_resp resp = {0};
    tu_req_init(&r, "GET", "/c/nope/modlog", NULL);
    gm_router_dispatch(&app, &r.req, &resp);
    assert_int_equal(resp.status, 404);
    gm_http_resp_clear(&resp);
    app.st = NULL;
    gm_app_clear(&app);
}

/* The newest `n` log entries of "demo" (at most 16), newest first. */
static size_t log_of(struct tu_store *f, struct gm_modlog_entry ***list)
{
    struct gm_txn *txn;
    size_t n;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_modlog_page(txn, "demo", 0, 16, list, &n), GM_OK);
    gm_txn_abort(txn);
    return n;
}

struct text_edit {
    const char *names[4], *values[4];
};

static gm_err edit_by_text(struct gm_community *c, void *arg, char *err, size_t errlen)
{
    const struct text_edit *ed = arg;
    gm_err e = GM_OK;
    for (int i = 0; e == GM_OK && i < 4 && ed->names[i]; i++)
        e = !strcmp(ed->names[i], "title")
                ? gm_community_set_title(c, ed->values[i])
                : gm_community_setting_set(c, ed->names[i], ed->values[i], err, errlen);
    return e;
}

#define LONG_WELCOME                                                                           \
    "Welcome to {title}! Please read the rules before posting: {rules}. Moderators answer "    \
    "direct messages within a day."

static void community_edit_logs_policy(void **state)
{
    struct tu_store *f = *state;
    char err[256] = "";
    json_t *changed = NULL;
    struct text_edit ed = {{"join", "welcome", "filters", "title"},
                           {"approval", LONG_WELCOME, "secret-spam-word", "Demo group"}};
    assert_int_equal(gm_mod_community_edit(f->st, "demo", edit_by_text, &ed, "api", &changed,
                                           err, sizeof err),
                     GM_OK);
    assert_int_equal(json_array_size(changed), 4);
    assert_string_equal(json_string_value(json_array_get(changed, 0)), "title");
    json_decref(changed);
    struct gm_modlog_entry **list;
    size_t n = log_of(f, &list);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(list[i]->action, "policy");
        assert_string_equal(list[i]->moderator, "api");
        assert_string_equal(list[i]->community, "demo");
        assert_false(tu_contains(list[i]->public_reason, "secret-spam-word"));
    }
    /* newest first: welcome, filters, join, title (title first, then setting order) */
    assert_string_equal(list[0]->target, "welcome");
    assert_true(tu_contains(list[0]->public_reason, "welcome: (none) → Welcome to {title}!"));
    assert_true(tu_contains(list[0]->public_reason, "…"));
    assert_false(tu_contains(list[0]->public_reason, "within a day."));
    assert_true(tu_contains(list[0]->private_note, "within a day."));
    assert_string_equal(list[1]->target, "filters");
    assert_string_equal(list[1]->public_reason, "filters: 0 entries → 1 entry");
    assert_string_equal(list[1]->private_note, "[] → [\"secret-spam-word\"]");
    assert_string_equal(list[2]->public_reason, "join: open → approval");
    assert_string_equal(list[2]->private_note, "");
    assert_string_equal(list[3]->public_reason, "title: demo → Demo group");
    gm_modlog_entries_free(list, n);

    /* a bad value anywhere: nothing stored, nothing logged, the reason in err */
    struct text_edit bad = {{"title", "posting"}, {"Other", "everybody"}};
    changed = NULL;
    assert_int_equal(gm_mod_community_edit(f->st, "demo", edit_by_text, &bad, "api", &changed,
                                           err, sizeof err),
                     GM_EINVAL);
    assert_null(changed);
    assert_true(tu_contains(err, "posting"));
    struct text_edit empty_title = {{"title"}, {""}};
    assert_int_equal(gm_mod_community_edit(f->st, "demo", edit_by_text, &empty_title, "api",
                                           NULL, err, sizeof err),
                     GM_EINVAL);
    assert_true(tu_contains(err, "title"));
    /* the same values again: no change, no entry */
    assert_int_equal(gm_mod_community_edit(f->st, "demo", edit_by_text, &ed, "api", &changed,
                                           err, sizeof err),
                     GM_OK);
    assert_int_equal(json_array_size(changed), 0);
    json_decref(changed);
    n = log_of(f, &list);
    assert_int_equal(n, 4);
    gm_modlog_entries_free(list, n);
    struct gm_txn *txn;
    struct gm_community *c;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_community_get(txn, "demo", &c), GM_OK);
    gm_txn_abort(txn);
    assert_string_equal(c->title, "Demo group");
    assert_int_equal(c->join, GM_JOIN_APPROVAL);
    gm_community_free(c);
    assert_int_equal(gm_mod_community_edit(f->st, "nope", edit_by_text, &ed, "api", NULL, err,
                                           sizeof err),
                     GM_ENOTFOUND);
}

static void member_remove_logged(void **state)
{
    struct tu_store *f = *state;
    const char *which = NULL;
    assert_int_equal(gm_mod_member_remove(f->st, "demo", "https://good.example/u/a", "cli:eve",
                                          &which),
                     GM_OK);
    assert_int_equal(members(f), 3);
    struct gm_modlog_entry **list;
    size_t n = log_of(f, &list);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->action, "remove_member");
    assert_string_equal(list[0]->target, "https://good.example/u/a");
    assert_string_equal(list[0]->moderator, "cli:eve");
    gm_modlog_entries_free(list, n);
    assert_int_equal(gm_mod_member_remove(f->st, "demo", "https://good.example/u/a", "x",
                                          &which),
                     GM_ENOTFOUND);
    assert_string_equal(which, "member");
    assert_int_equal(gm_mod_member_remove(f->st, "nope", "https://good.example/u/a", "x",
                                          &which),
                     GM_ENOTFOUND);
    assert_string_equal(which, "community");
    n = log_of(f, &list);
    assert_int_equal(n, 1);
    gm_modlog_entries_free(list, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(suspend_ends_memberships, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_csv_imports_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(silence_versus_suspend, setup, teardown),
        cmocka_unit_test_setup_teardown(moderation_log, setup, teardown),
        cmocka_unit_test_setup_teardown(community_edit_logs_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(member_remove_logged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
