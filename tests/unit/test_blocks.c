/* SPDX-License-Identifier: Apache-2.0
 * test_blocks.c - domain blocks: a block covers subdomains, ignores case, port and trailing
 * dot, judges the real host of a URL with userinfo; blocked destinations get no delivery job
 * and a blocked domain's post is not relayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/community.h"
#include "gemeinde/members.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay.h"
#include "gemeinde/rules.h"
#include "test_util.h"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    assert_int_equal(gm_block_put(f->txn, "Bad.Example", "spam"), GM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static void matching(void **state)
{
    struct tu_store *f = *state;
    static const struct {
        const char *host;
        gm_err want;
    } cases[] = {
        {"bad.example", GM_OK},         {"BAD.EXAMPLE.", GM_OK},
        {"a.b.bad.example", GM_OK},     {"bad.example:8443", GM_OK},
        {"notbad.example", GM_ENOTFOUND}, {"bad.example.org", GM_ENOTFOUND},
        {"example", GM_ENOTFOUND},      {"", GM_ENOTFOUND},
    };
    char which[64];
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        gm_err e = gm_block_find(f->txn, cases[i].host, which, sizeof which);
        if (e != cases[i].want)
            fail_msg("%s: got %d want %d", cases[i].host, e, cases[i].want);
        if (e == GM_OK)
            assert_string_equal(which, "bad.example");
    }
    assert_int_equal(gm_block_find_url(f->txn, "https://x.bad.example/users/a"), GM_OK);
    assert_int_equal(gm_block_find_url(f->txn, "https://good.example@bad.example/a"), GM_OK);
    assert_int_equal(gm_block_find_url(f->txn, "https://good.example/a"), GM_ENOTFOUND);
    assert_int_equal(gm_block_del(f->txn, "bad.example"), GM_OK);
    assert_int_equal(gm_block_find(f->txn, "bad.example", NULL, 0), GM_ENOTFOUND);
    assert_int_equal(gm_block_del(f->txn, "bad.example"), GM_ENOTFOUND);
}

static void relay_and_fanout_respect_blocks(void **state)
{
    struct tu_store *f = *state;
    tu_add_community(f->txn, "demo");
    struct gm_member good = {.actor = "https://good.example/u/a",
                             .inbox = "https://good.example/u/a/inbox", .since = 1};
    struct gm_member bad = {.actor = "https://x.bad.example/u/b",
                            .inbox = "https://x.bad.example/u/b/inbox", .since = 1};
    assert_int_equal(gm_member_put(f->txn, "demo", &good), GM_OK);
    assert_int_equal(gm_member_put(f->txn, "demo", &bad), GM_OK);
    struct gm_rules_ctx ctx = {.base_url = "https://g.example", .community = "demo",
                               .actor = bad.actor, .now = 1000};
#define POST_FMT                                                                                   \
    "{\"id\":\"%s/c/1\",\"type\":\"Create\",\"actor\":\"%s\",\"object\":{\"id\":\"%s/n/1\","     \
    "\"type\":\"Note\",\"to\":[\"https://www.w3.org/ns/activitystreams#Public\"],"           \
    "\"cc\":[\"https://g.example/c/demo\"]}}"
    char text[1024];
    /* a (still member) account on a blocked domain: its post is not relayed */
    snprintf(text, sizeof text, POST_FMT, bad.actor, bad.actor, bad.actor);
    json_t *doc = json_loads(text, 0, NULL);
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 0);
    json_decref(doc);
    /* a good member's post: relayed, but the blocked member gets no delivery job */
    ctx.actor = good.actor;
    snprintf(text, sizeof text, POST_FMT, good.actor, good.actor, good.actor);
    doc = json_loads(text, 0, NULL);
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 1);
    json_decref(doc);
    struct gm_job **jobs;
    size_t n, queued;
    char *next;
    assert_int_equal(gm_queue_take_due(f->txn, 1000, 1000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(gm_relay_expand(f->txn, "https://g.example", "demo", jobs[0]->activity,
                                     &queued, &next),
                     GM_OK);
    assert_int_equal(gm_queue_done(f->txn, jobs[0]), GM_OK);
    gm_jobs_free(jobs, n);
    assert_int_equal(queued, 1);
    assert_int_equal(gm_queue_take_due(f->txn, 2000000000, 2000000000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, good.inbox);
    gm_jobs_free(jobs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(matching, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_and_fanout_respect_blocks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
