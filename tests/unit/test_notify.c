/* SPDX-License-Identifier: Apache-2.0
 * test_notify.c - what a community sends to one actor: fresh activity ids, Accept/Reject
 * embedding the Follow, direct messages (a Create of a Note to that actor alone, mentioning it,
 * plain text escaped into paragraphs, threaded with inReplyTo), queued in the caller's
 * transaction to the actor's personal inbox, nothing for an actor whose inbox is unknown; and
 * the plain text of HTML content (tags, line breaks, named and numeric entities, hostile
 * input). Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/notify.h"
#include "gemeinde/queue.h"
#include "mod_util.h"
#include "test_util.h"

#define ANA "https://masto.example/users/ana"
#define ANA_INBOX ANA "/inbox"
#define NOBODY "https://unknown.example/users/x"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    mu_actor(f->txn, ANA, "ana", 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static void new_ids(void **state)
{
    (void)state;
    char *a = gm_notify_new_id(MU_BASE, "demo", "accept");
    char *b = gm_notify_new_id(MU_BASE, "demo", "accept");
    const char *prefix = MU_BASE "/c/demo/activities/accept-";
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strncmp(a, prefix, strlen(prefix)), 0);
    const char *hex = a + strlen(prefix);
    assert_int_equal(strlen(hex), 24);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 24);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void follow_answers(void **state)
{
    struct tu_store *f = *state;
    json_t *follow = mu_follow(ANA, "1");
    for (int accept = 1; accept >= 0; accept--) {
        struct gm_rules_ctx ctx = mu_ctx(ANA, MU_NOW);
        assert_int_equal(gm_notify_follow_answer(f->txn, &ctx, "demo", ANA, follow, accept), GM_OK);
        assert_int_equal(ctx.queued, 1);
        const char *type = accept ? "Accept" : "Reject";
        assert_int_equal(mu_count(f->txn, ANA_INBOX, type), 1);
        json_t *doc = mu_job(f->txn, ANA_INBOX, type, 0);
        assert_string_equal(tu_jstr(doc, "actor"), MU_DEMO);
        assert_string_equal(tu_jstr(doc, "@context"), "https://www.w3.org/ns/activitystreams");
        assert_true(json_equal(json_object_get(doc, "object"), follow)); /* embedded whole */
        assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "to"), 0)), ANA);
        char prefix[128];
        snprintf(prefix, sizeof prefix, MU_DEMO "/activities/%s-", accept ? "accept" : "reject");
        assert_int_equal(strncmp(tu_jstr(doc, "id"), prefix, strlen(prefix)), 0);
        json_decref(doc);
    }
    /* signed by the community that answers */
    struct gm_job **jobs;
    size_t n = mu_jobs(f->txn, &jobs);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(jobs[i]->community, "demo");
        assert_int_equal(jobs[i]->due, MU_NOW);
    }
    gm_jobs_free(jobs, n);
    /* nobody to send to: GM_ENOTFOUND, nothing queued */
    struct gm_rules_ctx ctx = mu_ctx(NOBODY, MU_NOW);
    assert_int_equal(gm_notify_follow_answer(f->txn, &ctx, "demo", NOBODY, follow, true),
                     GM_ENOTFOUND);
    assert_int_equal(gm_notify_dm(f->txn, &ctx, "demo", NOBODY, "hi", NULL), GM_ENOTFOUND);
    assert_int_equal(ctx.queued, 0);
    assert_int_equal(mu_count(f->txn, NULL, NULL), 2);
    json_decref(follow);
}

static void direct_message(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(ANA, MU_NOW);
    const char *text = "Hi <b>ana</b> & \"friends\" 'x'\n\n\nSecond\nline";
    assert_int_equal(gm_notify_dm(f->txn, &ctx, "demo", ANA, text, NULL), GM_OK);
    assert_int_equal(gm_notify_dm(f->txn, &ctx, "demo", ANA, "reply",
                                  "https://masto.example/users/ana/statuses/1"),
                     GM_OK);
    assert_int_equal(ctx.queued, 2);
    json_t *dm = mu_job(f->txn, ANA_INBOX, "Create", 0);
    assert_non_null(dm);
    json_t *note = json_object_get(dm, "object");
    assert_string_equal(tu_jstr(dm, "actor"), MU_DEMO);
    assert_string_equal(tu_jstr(note, "type"), "Note");
    assert_string_equal(tu_jstr(note, "attributedTo"), MU_DEMO);
    /* to the actor alone: never public, never followers */
    for (int i = 0; i < 2; i++) {
        json_t *obj = i ? note : dm;
        json_t *to = json_object_get(obj, "to"), *cc = json_object_get(obj, "cc");
        assert_int_equal(json_array_size(to), 1);
        assert_string_equal(json_string_value(json_array_get(to, 0)), ANA);
        assert_true(json_is_array(cc));
        assert_int_equal(json_array_size(cc), 0);
        assert_string_equal(tu_jstr(obj, "published"), "2023-11-14T22:13:20Z");
    }
    json_t *tag = json_array_get(json_object_get(note, "tag"), 0);
    assert_string_equal(tu_jstr(tag, "type"), "Mention");
    assert_string_equal(tu_jstr(tag, "href"), ANA);
    /* escaped, paragraphs at blank lines, <br> at single line breaks */
    assert_string_equal(tu_jstr(note, "content"),
                        "<p>Hi &lt;b&gt;ana&lt;/b&gt; &amp; &quot;friends&quot; &#39;x&#39;</p>"
                        "<p>Second<br>line</p>");
    assert_null(json_object_get(note, "inReplyTo"));
    /* the Create and the Note have distinct ids under the community */
    assert_string_not_equal(tu_jstr(dm, "id"), tu_jstr(note, "id"));
    const char *dm_prefix = MU_DEMO "/activities/dm-";
    assert_int_equal(strncmp(tu_jstr(note, "id"), dm_prefix, strlen(dm_prefix)), 0);
    /* the plain text comes back from the HTML */
    char *back = gm_notify_html_text(tu_jstr(note, "content"));
    assert_string_equal(back, "Hi <b>ana</b> & \"friends\" 'x'\nSecond\nline");
    free(back);
    json_decref(dm);
    dm = mu_job(f->txn, ANA_INBOX, "Create", 1);
    assert_string_equal(tu_jstr(json_object_get(dm, "object"), "inReplyTo"),
                        "https://masto.example/users/ana/statuses/1");
    json_decref(dm);
}

/* Any activity built by the caller, sent as it is. */
static void send_as_is(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(ANA, MU_NOW);
    json_t *act =
        json_pack("{s:s, s:s, s:s}", "id", MU_DEMO "/x/1", "type", "Flag", "actor", MU_DEMO);
    assert_int_equal(gm_notify_send(f->txn, &ctx, "demo", ANA, act), GM_OK);
    json_t *got = mu_job(f->txn, ANA_INBOX, "Flag", 0);
    assert_true(json_equal(got, act));
    json_decref(got);
    json_decref(act);
}

static const struct {
    const char *html, *text;
} html_cases[] = {
    {"<p>Hello</p><p>World</p>", "Hello\nWorld"},
    {"a<br>b<br/>c<BR />d", "a\nb\nc\nd"},
    {"<p><span class=\"h-card\"><a href=\"https://x/@ana\" class=\"u-url mention\">@<span>ana"
     "</span></a></span> hi</p>",
     "@ana hi"},
    {"&amp;&lt;&gt;&quot;&#39;&apos;", "&<>\"''"},
    {"a&nbsp;b", "a b"},
    {"caf&#233; &#xE9; &#XE9;", "café é é"},
    {"&#x1F600; &#128512;", "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80"},
    {"&#8364;", "\xE2\x82\xAC"},
    {"&#0; &#xD800; &#x110000; &#9; &#-1; &#; &#x;",
     "&#0; &#xD800; &#x110000; &#9; &#-1; &#; &#x;"},
    {"&bogus; & alone &amp", "&bogus; & alone &amp"},
    {"&amp;lt;", "&lt;"}, /* decoded once, not twice */
    {"one < two", "one"}, /* a '<' that never closes ends the text */
    {"<script>alert(1)</script>x", "alert(1)x"},
    {"text\n\n  ", "text"},
    {"<p></p><p></p>", ""},
    {"", ""},
    {"no tags", "no tags"},
};

static void html_text_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(html_cases); i++) {
        char *got = gm_notify_html_text(html_cases[i].html);
        assert_non_null(got);
        if (strcmp(got, html_cases[i].text) != 0)
            fail_msg("case %zu '%s': '%s', want '%s'", i, html_cases[i].html, got,
                     html_cases[i].text);
        free(got);
    }
}

/* No entity decodes to more bytes than it takes: dense numeric entities and line breaks in a
 * long input (ASan watches the output buffer). */
static void html_text_dense(void **state)
{
    (void)state;
    static const char *const units[] = {"&#65536;", "&#x10000;", "&#2048;", "&#128;",
                                        "<br>",     "&#x1F600;", "</p>"};
    for (size_t u = 0; u < TU_ARRAY_LEN(units); u++) {
        size_t n = strlen(units[u]), reps = 5000;
        char *in = malloc(n * reps + 2);
        assert_non_null(in);
        for (size_t i = 0; i < reps; i++)
            memcpy(in + i * n, units[u], n);
        in[n * reps] = 'z';
        in[n * reps + 1] = '\0';
        char *out = gm_notify_html_text(in);
        assert_non_null(out);
        assert_true(strlen(out) <= strlen(in));
        assert_int_equal(out[strlen(out) - 1], 'z');
        free(out);
        free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_ids),
        cmocka_unit_test_setup_teardown(follow_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(direct_message, setup, teardown),
        cmocka_unit_test_setup_teardown(send_as_is, setup, teardown),
        cmocka_unit_test(html_text_table),
        cmocka_unit_test(html_text_dense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
