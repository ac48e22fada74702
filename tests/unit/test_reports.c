/* SPDX-License-Identifier: Apache-2.0
 * test_reports.c - the report queue: real Flags (Mastodon from its instance actor, Lemmy and
 * Mbin from a user; tests/fixtures/activities) pass the inbox's origin rules unchanged and land
 * in the community they concern, or nowhere; caps on objects and comment; resolve, dismiss and
 * forward change the report once, log themselves, and a forward queues exactly one Flag to the
 * reported account's server and nothing to a suspended domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/inbox.h"
#include "gemeinde/modlog.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/remote.h"
#include "gemeinde/reports.h"
#include "gemeinde/rules.h"
#include "test_util.h"

#define FIX GM_FIXTURES "/activities/"
#define BASE "https://groups.example"
#define DEMO BASE "/c/demo"
#define ACCOUNT "https://masto.example/users/alice"
#define POST ACCOUNT "/statuses/1"
#define BOB "https://bob.example/users/bob"
#define BOB_POST BOB "/notes/7"
#define INSTANCE "https://reporter.example/actor"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    tu_add_community(f->txn, "other");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static json_t *load_fixture(const char *name)
{
    json_error_t err;
    json_t *doc = json_load_file(name, JSON_REJECT_DUPLICATES, &err);
    if (!doc)
        fail_msg("%s: %s", name, err.text);
    return doc;
}

static json_t *parse(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    return doc;
}

/* Apply `doc` (stolen) as a verified activity of `actor` arriving at `community`'s inbox
 * (NULL: the shared inbox) of a node at `base`. Returns the deliveries queued. */
static int deliver(struct tu_store *f, const char *base, const char *community, const char *actor,
                   json_t *doc)
{
    struct gm_rules_ctx ctx = {
        .base_url = base, .community = community, .actor = actor, .now = 1700000000};
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    json_decref(doc);
    return ctx.queued;
}

static size_t reports(struct tu_store *f, const char *community, bool all)
{
    json_t *page;
    assert_int_equal(gm_report_list(f->txn, community, all, 0, 1000, &page), GM_OK);
    size_t n = json_array_size(page);
    json_decref(page);
    return n;
}

/* Report `id` of `community` (new reference). */
static json_t *report(struct tu_store *f, const char *community, uint64_t id)
{
    json_t *r;
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_REPORTS, community, id, &r), GM_OK);
    return r;
}

/* doc[key] is the array of strings `want`. */
static void assert_ids(json_t *doc, const char *key, const char *const *want, size_t n)
{
    json_t *objects = json_object_get(doc, key);
    assert_int_equal(json_array_size(objects), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(objects, i)), want[i]);
}

/* ---- the shapes pass the inbox's origin rules intact ------------------------------------ */

static void fixtures_pass_inbox_rules(void **state)
{
    (void)state;
    static const char *const files[] = {FIX "mastodon-docs-flag.json", FIX "lemmy-report-page.json",
                                        FIX "mbin-flag.json"};
    for (size_t i = 0; i < TU_ARRAY_LEN(files); i++) {
        json_t *doc = load_fixture(files[i]), *before = json_deep_copy(doc);
        const char *actor, *type, *why = NULL;
        assert_int_equal(gm_inbox_check_shape(doc, &actor, &type, &why), GM_OK);
        assert_string_equal(type, "Flag");
        if (gm_inbox_check_origin(doc, actor, &why) != GM_OK)
            fail_msg("%s refused: %s", files[i], why);
        assert_true(json_equal(doc, before)); /* nothing rewritten */
        json_decref(before);
        json_decref(doc);
    }
}

/* ---- which community a Flag concerns ---------------------------------------------------- */

static void mastodon_flag_shared_inbox_relayed_object(void **state)
{
    struct tu_store *f = *state;
    /* demo relayed one of the flagged posts; other relayed nothing of it */
    assert_int_equal(gm_relayed_put(f->txn, "demo", "https://example.com/posts/380590", 1), GM_OK);
    assert_int_equal(gm_relayed_put(f->txn, "other", "https://example.com/posts/1", 1), GM_OK);
    json_t *flag = load_fixture(FIX "mastodon-docs-flag.json");
    assert_int_equal(deliver(f, BASE, NULL, "https://mastodon.example/actor", flag), 0);
    assert_int_equal(reports(f, "demo", false), 1);
    assert_int_equal(reports(f, "other", true), 0);
    json_t *r = report(f, "demo", 1);
    static const char *const want[] = {"https://example.com/users/1",
                                       "https://example.com/posts/380590",
                                       "https://example.com/posts/380591"};
    assert_ids(r, "objects", want, 3);
    assert_string_equal(tu_jstr(r, "reporter"), "https://mastodon.example/actor");
    assert_string_equal(tu_jstr(r, "comment"), "Please take a look at this user and their posts");
    assert_string_equal(tu_jstr(r, "status"), "open");
    assert_string_equal(tu_jstr(r, "flag"),
                        "https://mastodon.example/ccb4f39a-506a-490e-9a8c-71831c7713a4");
    assert_int_equal(json_integer_value(json_object_get(r, "at")), 1700000000);
    json_decref(r);
}

static void mastodon_flag_of_the_group_itself(void **state)
{
    struct tu_store *f = *state;
    json_t *flag = parse("{\"id\":\"" INSTANCE "/flags/1\",\"type\":\"Flag\",\"actor\":\"" INSTANCE
                         "\",\"content\":\"spam group\",\"object\":[\"" DEMO "\"]}");
    deliver(f, BASE, NULL, INSTANCE, flag);
    assert_int_equal(reports(f, "demo", false), 1);
    assert_int_equal(reports(f, "other", false), 0);
}

static void lemmy_flag_community_inbox(void **state)
{
    struct tu_store *f = *state;
    /* the fixture as Lemmy sends it, to the community inbox of a node at its `to` */
    tu_add_community(f->txn, "main");
    json_t *flag = load_fixture(FIX "lemmy-report-page.json");
    deliver(f, "http://enterprise.lemmy.ml", "main", "http://ds9.lemmy.ml/u/lemmy_alpha", flag);
    assert_int_equal(reports(f, "main", false), 1);
    assert_int_equal(reports(f, "demo", true), 0);
    json_t *r = report(f, "main", 1);
    static const char *const want[] = {"http://enterprise.lemmy.ml/post/7"};
    assert_ids(r, "objects", want, 1);
    assert_string_equal(tu_jstr(r, "comment"), "report this post"); /* from summary */
    assert_string_equal(tu_jstr(r, "reporter"), "http://ds9.lemmy.ml/u/lemmy_alpha");
    json_decref(r);
}

static void mbin_flag_shared_inbox_addressed(void **state)
{
    struct tu_store *f = *state;
    tu_add_community(f->txn, "test_mag");
    json_t *flag = load_fixture(FIX "mbin-flag.json");
    deliver(f, "https://lemmy-test", NULL, "https://mbin-test1/u/BentiGorlich", flag);
    assert_int_equal(reports(f, "test_mag", false), 1); /* named in to and audience */
    assert_int_equal(reports(f, "demo", false), 0);
    json_t *r = report(f, "test_mag", 1);
    static const char *const want[] = {"https://lemmy-test/post/4",
                                       "https://lemmy-test/u/BentiGorlich"};
    assert_ids(r, "objects", want, 2);
    assert_string_equal(tu_jstr(r, "comment"), "dikjhgasdpas dsa\xc3\xbc");
    json_decref(r);
}

static void flags_ignored(void **state)
{
    struct tu_store *f = *state;
    static const char *const flags[] = {
        /* names nothing of ours, shared inbox */
        "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"object\":[\"" ACCOUNT "\",\"" POST "\"],"
        "\"to\":[\"" ACCOUNT "\"]}",
        /* another node's community of the same name */
        "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"object\":\"https://elsewhere/c/demo\"}",
        /* no object at all, or none that is a URL */
        "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"to\":[\"" DEMO "\"]}",
        "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"to\":[\"" DEMO "\"],\"object\":[1,\"x\"]}",
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(flags); i++)
        assert_int_equal(deliver(f, BASE, NULL, INSTANCE, parse(flags[i])), 0);
    assert_int_equal(reports(f, "demo", true), 0);
    assert_int_equal(reports(f, "other", true), 0);
    /* a domain blocked with reject_reports: ignored, even at the community inbox */
    struct gm_block b = {.severity = GM_BLOCK_SILENCE, .reject_reports = true, .created = 1};
    strcpy(b.domain, "reporter.example");
    assert_int_equal(gm_block_set(f->txn, &b), GM_OK);
    static const char *const good = "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\","
                                    "\"object\":[\"" DEMO "\"],\"content\":\"x\"}";
    deliver(f, BASE, "demo", INSTANCE, parse(good));
    assert_int_equal(reports(f, "demo", true), 0);
    /* the control: the same silence without reject_reports lets reports in */
    b.reject_reports = false;
    assert_int_equal(gm_block_set(f->txn, &b), GM_OK);
    deliver(f, BASE, "demo", INSTANCE, parse(good));
    assert_int_equal(reports(f, "demo", true), 1);
}

/* ---- caps -------------------------------------------------------------------------------- */

static void truncate_utf8_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t max;
        const char *out;
    } cases[] = {
        {"abc", 5, "abc"},
        {"abc", 3, "abc"},
        {"abc", 2, "ab"},
        {"a\xc3\xa9", 2, "a"},
        {"a\xc3\xa9", 3, "a\xc3\xa9"},
        {"\xe2\x82\xac", 2, ""},
        {"a\xe2\x82\xac\x62", 4, "a\xe2\x82\xac"}, /* "a€b" */
        {"\xf0\x9f\x98\x80x", 3, ""},
        {"", 0, ""},
        {"abc", 0, ""},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        char *got = gm_report_truncate_utf8(cases[i].in, cases[i].max);
        assert_non_null(got);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].out);
        free(got);
    }
}

static void caps_on_objects_and_comment(void **state)
{
    struct tu_store *f = *state;
    json_t *objects = json_array();
    for (int i = 0; i < 60; i++) {
        char id[80];
        snprintf(id, sizeof id, "https://masto.example/statuses/%d", i);
        json_array_append_new(objects, json_string(id));
    }
    json_array_append_new(objects, json_string(DEMO));    /* the 61st: past the cap */
    json_array_insert_new(objects, 0, json_string(DEMO)); /* the first, and once more */
    json_array_insert_new(objects, 1, json_string(DEMO));
    char *comment = malloc(6002);
    assert_non_null(comment);
    comment[0] = 'x'; /* so each 2-byte character starts at an odd offset */
    for (int i = 0; i < 3000; i++)
        memcpy(comment + 1 + 2 * i, "\xc3\xa9", 2);
    comment[6001] = '\0';
    json_t *flag = json_pack("{s:s, s:s, s:o, s:s}", "type", "Flag", "actor", INSTANCE, "object",
                             objects, "content", comment);
    deliver(f, BASE, NULL, INSTANCE, flag);
    json_t *r = report(f, "demo", 1);
    assert_int_equal(json_array_size(json_object_get(r, "objects")), GM_REPORT_OBJECTS_MAX);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "objects"), 1)),
                        "https://masto.example/statuses/0"); /* the duplicate was dropped */
    const char *c = tu_jstr(r, "comment");
    assert_int_equal(strlen(c), 4999); /* 'x' and 2499 whole characters */
    assert_int_equal(memcmp(c, comment, 4999), 0);
    free(comment);
    json_decref(r);
}

/* ---- resolve and dismiss ----------------------------------------------------------------- */

static void store_reports(struct tu_store *f, int n)
{
    for (int i = 0; i < n; i++) {
        char text[400];
        snprintf(text, sizeof text,
                 "{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"object\":[\"" ACCOUNT "\",\""
                 "%s\"],\"to\":\"" DEMO "\",\"content\":\"report %d\"}",
                 POST, i + 1);
        deliver(f, BASE, NULL, INSTANCE, parse(text));
    }
    assert_int_equal(reports(f, "demo", false), (size_t)n);
}

static size_t modlog(struct tu_store *f, struct gm_modlog_entry ***list)
{
    size_t n;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 50, list, &n), GM_OK);
    return n;
}

static void resolve_and_dismiss(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .now = 1800000000};
    struct gm_modlog_entry **log;
    store_reports(f, 3);
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 1, "cli:mod", "warned the user"),
                     GM_OK);
    json_t *r = report(f, "demo", 1);
    assert_string_equal(tu_jstr(r, "status"), "resolved");
    assert_string_equal(tu_jstr(r, "handled_by"), "cli:mod");
    assert_string_equal(tu_jstr(r, "note"), "warned the user");
    assert_int_equal(json_integer_value(json_object_get(r, "handled_at")), 1800000000);
    json_decref(r);
    assert_int_equal(modlog(f, &log), 1);
    assert_string_equal(log[0]->community, "demo");
    assert_string_equal(log[0]->action, "resolve_report");
    assert_string_equal(log[0]->target, "report 1");
    assert_string_equal(log[0]->moderator, "cli:mod");
    assert_string_equal(log[0]->private_note, "warned the user");
    assert_string_equal(log[0]->public_reason, "");
    assert_int_equal(log[0]->at, 1800000000);
    gm_modlog_entries_free(log, 1);

    /* closed is closed: a second resolve or a dismiss changes nothing, logs nothing */
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 1, "cli:other", NULL), GM_EEXISTS);
    assert_int_equal(gm_report_dismiss(f->txn, &ctx, "demo", 1, "cli:other", NULL), GM_EEXISTS);
    r = report(f, "demo", 1);
    assert_string_equal(tu_jstr(r, "handled_by"), "cli:mod");
    json_decref(r);

    assert_int_equal(gm_report_dismiss(f->txn, &ctx, "demo", 2, "cli:mod", NULL), GM_OK);
    r = report(f, "demo", 2);
    assert_string_equal(tu_jstr(r, "status"), "dismissed");
    assert_string_equal(tu_jstr(r, "note"), "");
    json_decref(r);
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 2, "cli:mod", NULL), GM_EEXISTS);
    size_t n = modlog(f, &log);
    assert_int_equal(n, 2);
    assert_string_equal(log[0]->action, "dismiss_report");
    assert_string_equal(log[0]->target, "report 2");
    gm_modlog_entries_free(log, n);

    /* lists: open only by default, newest first, with their numbers */
    json_t *page;
    assert_int_equal(gm_report_list(f->txn, "demo", false, 0, 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), 3);
    json_decref(page);
    assert_int_equal(gm_report_list(f->txn, "demo", true, 0, 2, &page), GM_OK);
    assert_int_equal(json_array_size(page), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 1), "id")), 2);
    json_decref(page);
    assert_int_equal(gm_report_list(f->txn, "demo", true, 2, 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 1); /* below 2: report 1 */
    json_decref(page);

    /* errors */
    char *long_note = calloc(1, GM_REPORT_NOTE_MAX + 2);
    memset(long_note, 'n', GM_REPORT_NOTE_MAX + 1);
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 3, "cli:mod", long_note), GM_EINVAL);
    free(long_note);
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 3, "cli:mod", "bad \xff note"),
                     GM_EINVAL);
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 9, "cli:mod", NULL), GM_ENOTFOUND);
    assert_int_equal(gm_report_dismiss(f->txn, &ctx, "other", 3, "cli:mod", NULL), GM_ENOTFOUND);
    assert_int_equal(reports(f, "demo", false), 1);
}

/* ---- forward ----------------------------------------------------------------------------- */

static void remote(struct tu_store *f, const char *id, const char *inbox, const char *shared)
{
    struct gm_remote_actor a = {
        .id = (char *)id, .inbox = (char *)inbox, .shared_inbox = (char *)shared, .fetched_at = 1};
    assert_int_equal(gm_remote_actor_put(f->txn, &a), GM_OK);
}

/* The jobs in the queue (array of *n, gm_jobs_free). */
static struct gm_job **jobs(struct tu_store *f, size_t *n)
{
    struct gm_job **j;
    assert_int_equal(gm_queue_peek(f->txn, 10, &j, n), GM_OK);
    return j;
}

static void forward_to_reported_account(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .now = 1800000000};
    remote(f, INSTANCE, INSTANCE "/inbox", NULL);
    remote(f, ACCOUNT, ACCOUNT "/inbox", "https://masto.example/inbox");
    /* the account is the flagged object that is a known actor; a post on another server is
     * not sent to masto.example */
    deliver(f, BASE, "demo", INSTANCE,
            parse("{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"object\":[\"" POST "\","
                  "\"https://else.example/notes/1\",\"" ACCOUNT "\"],\"content\":\"spam\"}"));
    char *inbox = NULL;
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 1, "cli:mod", &inbox), GM_OK);
    assert_string_equal(inbox, "https://masto.example/inbox"); /* the shared inbox */
    free(inbox);
    assert_int_equal(ctx.queued, 1);
    size_t n;
    struct gm_job **j = jobs(f, &n);
    assert_int_equal(n, 1);
    assert_string_equal(j[0]->inbox, "https://masto.example/inbox");
    assert_string_equal(j[0]->community, "demo");
    json_t *sent = parse(j[0]->activity);
    gm_jobs_free(j, n);
    assert_string_equal(tu_jstr(sent, "type"), "Flag");
    assert_string_equal(tu_jstr(sent, "actor"), DEMO);
    assert_string_equal(tu_jstr(sent, "content"), "spam");
    assert_true(tu_contains(tu_jstr(sent, "id"), DEMO "/activities/flag-"));
    static const char *const want[] = {ACCOUNT, POST};
    assert_ids(sent, "object", want, 2);
    json_decref(sent);

    json_t *r = report(f, "demo", 1);
    assert_string_equal(tu_jstr(r, "forwarded_to"), "https://masto.example/inbox");
    assert_string_equal(tu_jstr(r, "forwarded_by"), "cli:mod");
    assert_string_equal(tu_jstr(r, "status"), "open"); /* forwarding does not close it */
    json_decref(r);
    struct gm_modlog_entry **log;
    assert_int_equal(modlog(f, &log), 1);
    assert_string_equal(log[0]->action, "forward_report");
    gm_modlog_entries_free(log, 1);

    /* once only */
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 1, "cli:mod", NULL), GM_EEXISTS);
    j = jobs(f, &n);
    gm_jobs_free(j, n);
    assert_int_equal(n, 1);
    assert_int_equal(ctx.queued, 1);
}

static void forward_to_author_of_relayed_post(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .now = 1800000000};
    remote(f, BOB, BOB "/inbox", NULL); /* no shared inbox */
    const char *announce =
        "{\"type\":\"Announce\",\"actor\":\"" DEMO "\",\"object\":{"
        "\"type\":\"Create\",\"actor\":\"" BOB "\",\"object\":{\"id\":\"" BOB_POST
        "\",\"type\":\"Note\",\"attributedTo\":\"" BOB "\"}}}";
    assert_int_equal(gm_outbox_put(f->txn, "demo", 1, announce), GM_OK);
    assert_int_equal(gm_relayed_put(f->txn, "demo", BOB_POST, 1), GM_OK);
    deliver(f, BASE, NULL, INSTANCE,
            parse("{\"type\":\"Flag\",\"actor\":\"" INSTANCE "\",\"object\":[\"" BOB_POST "\"]}"));
    assert_int_equal(reports(f, "demo", false), 1);
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 1, "cli:mod", NULL), GM_OK);
    size_t n;
    struct gm_job **j = jobs(f, &n);
    assert_int_equal(n, 1);
    assert_string_equal(j[0]->inbox, BOB "/inbox");
    json_t *sent = parse(j[0]->activity);
    gm_jobs_free(j, n);
    static const char *const want[] = {BOB, BOB_POST};
    assert_ids(sent, "object", want, 2);
    json_decref(sent);
}

static void forward_refused(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .now = 1800000000};
    remote(f, "https://spam.example/users/x", "https://spam.example/users/x/inbox",
           "https://spam.example/inbox");
    remote(f, "https://mixed.example/users/y", "https://mixed.example/users/y/inbox",
           "https://relay.spam.example/inbox"); /* its shared inbox is on a suspended domain */
    assert_int_equal(gm_block_put(f->txn, "spam.example", "spam"), GM_OK);
    static const char *const objects[] = {"https://spam.example/users/x",
                                          "https://mixed.example/users/y",
                                          "https://unknown.example/users/z"};
    for (size_t i = 0; i < TU_ARRAY_LEN(objects); i++) {
        char text[300];
        snprintf(text, sizeof text, "{\"type\":\"Flag\",\"actor\":\"%s\",\"object\":[\"%s\"]}",
                 INSTANCE, objects[i]);
        deliver(f, BASE, "demo", INSTANCE, parse(text));
    }
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 1, "cli:mod", NULL), GM_EFORBID);
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 2, "cli:mod", NULL), GM_EFORBID);
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 3, "cli:mod", NULL), GM_ENOTFOUND);
    assert_int_equal(gm_report_forward(f->txn, &ctx, "demo", 4, "cli:mod", NULL), GM_ENOTFOUND);
    size_t n;
    struct gm_job **j = jobs(f, &n);
    gm_jobs_free(j, n);
    assert_int_equal(n, 0);
    assert_int_equal(ctx.queued, 0);
    json_t *r = report(f, "demo", 1);
    assert_null(json_object_get(r, "forwarded_to"));
    json_decref(r);
    struct gm_modlog_entry **log;
    assert_int_equal(modlog(f, &log), 0);
    gm_modlog_entries_free(log, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(fixtures_pass_inbox_rules),
        T(mastodon_flag_shared_inbox_relayed_object),
        T(mastodon_flag_of_the_group_itself),
        T(lemmy_flag_community_inbox),
        T(mbin_flag_shared_inbox_addressed),
        T(flags_ignored),
        T(truncate_utf8_table),
        T(caps_on_objects_and_comment),
        T(resolve_and_dismiss),
        T(forward_to_reported_account),
        T(forward_to_author_of_relayed_post),
        T(forward_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
