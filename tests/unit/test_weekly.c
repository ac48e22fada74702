/* SPDX-License-Identifier: Apache-2.0
 * test_weekly.c - the weekly digest: weeks start on Monday 00:00 UTC; digests go out from
 * Monday 08:00 UTC, once a week, only for communities with weekly_digest on, to every
 * moderator whose inbox is known; the text carries the week's figures and the posts waiting for
 * an answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/membership.h"
#include "gemeinde/weekly.h"
#include "mod_util.h"

#define MONDAY 1700438400 /* 2023-11-20T00:00:00Z, a Monday */
#define ANA "https://masto.example/users/ana"
#define BEA "https://lemmy.example/u/bea"
#define GHOST "https://gone.example/users/ghost" /* a moderator whose inbox is unknown */
#define SAM "https://masto.example/users/sam"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    tu_add_community(f->txn, "quiet");
    mu_actor(f->txn, ANA, "ana", 0);
    mu_actor(f->txn, BEA, "bea", 0);
    mu_actor(f->txn, SAM, "sam", 0);
    struct gm_rules_ctx ctx = mu_ctx("cli:test", MONDAY - 86400 * 3);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", ANA, "cli:test"), GM_OK);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", BEA, "cli:test"), GM_OK);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "demo", GHOST, "cli:test"), GM_OK);
    assert_int_equal(gm_moderator_add(f->txn, &ctx, "quiet", ANA, "cli:test"), GM_OK);
    mu_set(f->txn, "demo", "weekly_digest", "yes");
    mu_set(f->txn, "demo", "unanswered_minutes", "60");
    /* last week: sam joins and asks something nobody answers */
    mu_apply(f->txn, SAM, MONDAY - 86400 * 2, mu_follow(SAM, "1"));
    mu_apply(f->txn, SAM, MONDAY - 86400 * 2 + 60,
             mu_post(SAM, "q1", "\"content\": \"<p>Where do we meet?</p>\""));
    mu_clear_queue(f->txn);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static void weeks_start_on_monday(void **state)
{
    (void)state;
    static const struct { int64_t t; int64_t week; } cases[] = {
        {MONDAY, 2812},             {MONDAY - 1, 2811},        {MONDAY + 7 * 86400 - 1, 2812},
        {MONDAY + 7 * 86400, 2813}, {0, 0} /* a Thursday */,   {-3 * 86400, 0} /* Monday */,
        {-3 * 86400 - 1, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(gm_weekly_week(cases[i].t), cases[i].week);
}

static void digest_text_has_the_week(void **state)
{
    struct tu_store *f = *state;
    char *text = NULL;
    assert_int_equal(gm_weekly_text(f->txn, "demo", MONDAY + 9 * 3600, &text), GM_OK);
    assert_non_null(strstr(text, "Weekly figures of demo, 2023-11-14 to 2023-11-20:"));
    assert_non_null(strstr(text, "Members: 1 (+1 joined, -0 left), 0 requests waiting"));
    assert_non_null(strstr(text, "Activity: 1 posts, 0 replies, 0 likes, 1 active members"));
    assert_non_null(strstr(text, "Answers: 0 of 1 posts answered"));
    assert_non_null(strstr(text, "Waiting for an answer (1, oldest first):"));
    assert_non_null(strstr(text, "- [?] Where do we meet? (2d 8h) " SAM "/notes/q1"));
    free(text);
    assert_int_equal(gm_weekly_text(f->txn, "nope", MONDAY, &text), GM_ENOTFOUND);
}

static void sent_once_a_week_from_monday_8(void **state)
{
    struct tu_store *f = *state;
    size_t sent = 99;
    struct gm_rules_ctx early = mu_ctx(NULL, MONDAY + 8 * 3600 - 1);
    assert_int_equal(gm_weekly_run(f->txn, &early, &sent), GM_OK);
    assert_int_equal(sent, 0); /* not yet */
    struct gm_rules_ctx at8 = mu_ctx(NULL, MONDAY + 8 * 3600);
    assert_int_equal(gm_weekly_run(f->txn, &at8, &sent), GM_OK);
    assert_int_equal(sent, 2); /* ana and bea; ghost's inbox is unknown; quiet is off */
    assert_int_equal(mu_count(f->txn, ANA "/inbox", "Create"), 1);
    assert_int_equal(mu_count(f->txn, BEA "/inbox", "Create"), 1);
    char *dm = mu_dm_content(f->txn, ANA "/inbox", 0);
    assert_non_null(dm);
    assert_non_null(strstr(dm, "Where do we meet?"));
    free(dm);
    struct gm_rules_ctx later = mu_ctx(NULL, MONDAY + 6 * 86400);
    assert_int_equal(gm_weekly_run(f->txn, &later, &sent), GM_OK);
    assert_int_equal(sent, 0); /* this week's went out */
    struct gm_rules_ctx next = mu_ctx(NULL, MONDAY + 7 * 86400 + 8 * 3600);
    assert_int_equal(gm_weekly_run(f->txn, &next, &sent), GM_OK);
    assert_int_equal(sent, 2);
    mu_set(f->txn, "demo", "weekly_digest", "no");
    struct gm_rules_ctx off = mu_ctx(NULL, MONDAY + 14 * 86400 + 8 * 3600);
    assert_int_equal(gm_weekly_run(f->txn, &off, &sent), GM_OK);
    assert_int_equal(sent, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weeks_start_on_monday),
        cmocka_unit_test_setup_teardown(digest_text_has_the_week, setup, teardown),
        cmocka_unit_test_setup_teardown(sent_once_a_week_from_monday_8, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
