/* SPDX-License-Identifier: Apache-2.0
 * test_queue.c - the durable delivery queue (due order, leases, retries), members, the rules
 * that turn a Follow into a member and a queued Accept, and the delivery backoff schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/community.h"
#include "gemeinde/delivery.h"
#include "gemeinde/members.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"
#include "test_util.h"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static void due_order_and_lease(void **state)
{
    struct tu_store *f = *state;
    struct gm_job **jobs;
    size_t n, count;
    int64_t next;
    assert_int_equal(gm_queue_push(f->txn, "demo", "https://b.example/inbox", "{\"n\":2}", 200),
                     GM_OK);
    assert_int_equal(gm_queue_push(f->txn, "demo", "https://a.example/inbox", "{\"n\":1}", 100),
                     GM_OK);
    assert_int_equal(gm_queue_push(f->txn, "demo", "https://c.example/inbox", "{\"n\":3}", 900),
                     GM_OK);
    assert_int_equal(gm_queue_stat(f->txn, &count, &next), GM_OK);
    assert_int_equal(count, 3);
    assert_int_equal(next, 100);
    /* nothing due before 100 */
    assert_int_equal(gm_queue_take_due(f->txn, 99, 1000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 0);
    gm_jobs_free(jobs, n);
    /* at 500: the two due ones, oldest first, leased to 1000 */
    assert_int_equal(gm_queue_take_due(f->txn, 500, 1000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(jobs[0]->inbox, "https://a.example/inbox");
    assert_string_equal(jobs[1]->activity, "{\"n\":2}");
    assert_int_equal(jobs[0]->due, 1000);
    assert_int_equal(gm_queue_stat(f->txn, &count, &next), GM_OK);
    assert_int_equal(count, 3); /* leased, not removed: a crash only delays them */
    assert_int_equal(next, 900);
    /* done removes; retry reschedules with one more attempt */
    assert_int_equal(gm_queue_done(f->txn, jobs[0]), GM_OK);
    assert_int_equal(gm_queue_done(f->txn, jobs[0]), GM_ENOTFOUND);
    assert_int_equal(gm_queue_retry(f->txn, jobs[1], 5000), GM_OK);
    gm_jobs_free(jobs, n);
    assert_int_equal(gm_queue_take_due(f->txn, 5000, 6000, 1, &jobs, &n), GM_OK);
    assert_int_equal(n, 1); /* max respected: the job due at 900 */
    assert_string_equal(jobs[0]->inbox, "https://c.example/inbox");
    assert_int_equal(jobs[0]->attempts, 0);
    gm_jobs_free(jobs, n);
    assert_int_equal(gm_queue_take_due(f->txn, 5000, 6000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, "https://b.example/inbox");
    assert_int_equal(jobs[0]->attempts, 1);
    gm_jobs_free(jobs, n);
}

static void members_round_trip(void **state)
{
    struct tu_store *f = *state;
    struct gm_member a = {.actor = "https://a.example/u/alice", .inbox = "https://a.example/u/alice/inbox",
                          .shared_inbox = "https://a.example/inbox", .follow_id = "https://a.example/f/1",
                          .since = 100};
    struct gm_member b = {.actor = "https://b.example/u/bob", .inbox = "https://b.example/u/bob/inbox",
                          .since = 200};
    struct gm_member *got, **list;
    size_t n;
    assert_int_equal(gm_member_put(f->txn, "demo", &a), GM_OK);
    assert_int_equal(gm_member_put(f->txn, "demo", &b), GM_OK);
    assert_int_equal(gm_member_put(f->txn, "demo2", &b), GM_OK);
    a.since = 300; /* re-follow keeps the first date */
    assert_int_equal(gm_member_put(f->txn, "demo", &a), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", a.actor, &got), GM_OK);
    assert_int_equal(got->since, 100);
    assert_string_equal(got->shared_inbox, "https://a.example/inbox");
    gm_member_free(got);
    assert_int_equal(gm_member_count(f->txn, "demo", &n), GM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(gm_member_count(f->txn, "dem", &n), GM_OK); /* prefix is another name */
    assert_int_equal(n, 0);
    assert_int_equal(gm_member_list(f->txn, "demo2", &list, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->actor, b.actor);
    assert_null(list[0]->shared_inbox);
    gm_members_free(list, n);
    assert_int_equal(gm_member_delete(f->txn, "demo", b.actor), GM_OK);
    assert_int_equal(gm_member_delete(f->txn, "demo", b.actor), GM_ENOTFOUND);
    assert_int_equal(gm_member_get(f->txn, "demo", b.actor, &got), GM_ENOTFOUND);
}

static json_t *follow_of(const char *object)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", "https://a.example/f/1", "type", "Follow",
                     "actor", "https://a.example/u/alice", "object", object);
}

static void follow_accept_undo(void **state)
{
    struct tu_store *f = *state;
    const char *base = "https://groups.example";
    struct gm_remote_actor alice = {.id = "https://a.example/u/alice",
                                    .inbox = "https://a.example/u/alice/inbox", .fetched_at = 1};
    tu_add_community(f->txn, "demo");
    assert_int_equal(gm_remote_actor_put(f->txn, &alice), GM_OK);
    struct gm_rules_ctx ctx = {.base_url = base, .community = "demo", .actor = alice.id,
                               .now = 1000};
    /* a Follow of another community through demo's inbox changes nothing */
    json_t *doc = follow_of("https://groups.example/c/other");
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 0);
    json_decref(doc);
    /* the Follow of demo: member, and an Accept embedding the Follow queued to alice */
    doc = follow_of("https://groups.example/c/demo");
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 1);
    struct gm_member *m;
    assert_int_equal(gm_member_get(f->txn, "demo", alice.id, &m), GM_OK);
    assert_string_equal(m->inbox, alice.inbox);
    assert_string_equal(m->follow_id, "https://a.example/f/1");
    gm_member_free(m);
    struct gm_job **jobs;
    size_t n;
    assert_int_equal(gm_queue_take_due(f->txn, 1000, 2000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, alice.inbox);
    assert_string_equal(jobs[0]->community, "demo");
    json_t *accept = json_loads(jobs[0]->activity, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(accept, "type")), "Accept");
    assert_string_equal(json_string_value(json_object_get(accept, "actor")),
                        "https://groups.example/c/demo");
    assert_true(json_equal(json_object_get(accept, "object"), doc));
    assert_true(tu_contains(json_string_value(json_object_get(accept, "id")),
                            "https://groups.example/c/demo/activities/accept-"));
    json_decref(accept);
    gm_jobs_free(jobs, n);
    /* Undo of the Follow ends the membership */
    json_t *undo = json_pack("{s:s, s:s, s:O}", "type", "Undo", "actor", alice.id, "object", doc);
    assert_int_equal(gm_rules_apply(f->txn, &ctx, undo), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", alice.id, &m), GM_ENOTFOUND);
    json_decref(undo);
    /* Undo by the Follow's id (community inbox) works as well */
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    undo = json_pack("{s:s, s:s, s:s}", "type", "Undo", "actor", alice.id, "object",
                     "https://a.example/f/1");
    assert_int_equal(gm_rules_apply(f->txn, &ctx, undo), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", alice.id, &m), GM_ENOTFOUND);
    /* ... and through the shared inbox, where the community is not known in advance */
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    struct gm_rules_ctx shared = ctx;
    shared.community = NULL;
    assert_int_equal(gm_rules_apply(f->txn, &shared, undo), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", alice.id, &m), GM_ENOTFOUND);
    json_decref(undo);
    json_decref(doc);
}

/* Move: the membership goes to the new account, keeping its date and Follow. */
static void move_carries_membership(void **state)
{
    struct tu_store *f = *state;
    tu_add_community(f->txn, "demo");
    tu_add_community(f->txn, "other");
    struct gm_member old = {.actor = "https://a.example/u/alice", .inbox = "https://a.example/u/alice/inbox",
                            .follow_id = "https://a.example/f/1", .since = 500};
    assert_int_equal(gm_member_put(f->txn, "demo", &old), GM_OK);
    struct gm_remote_actor to = {.id = "https://b.example/u/alice2",
                                 .inbox = "https://b.example/u/alice2/inbox",
                                 .shared_inbox = "https://b.example/inbox", .fetched_at = 1};
    struct gm_rules_ctx ctx = {.base_url = "https://groups.example", .actor = old.actor,
                               .now = 1000, .moved_to = &to}; /* shared inbox: all communities */
    json_t *move = json_pack("{s:s, s:s, s:s, s:s}", "type", "Move", "actor", old.actor, "object",
                             old.actor, "target", to.id);
    assert_int_equal(gm_rules_apply(f->txn, &ctx, move), GM_OK);
    struct gm_member *m;
    assert_int_equal(gm_member_get(f->txn, "demo", old.actor, &m), GM_ENOTFOUND);
    assert_int_equal(gm_member_get(f->txn, "demo", to.id, &m), GM_OK);
    assert_int_equal(m->since, 500);
    assert_string_equal(m->shared_inbox, "https://b.example/inbox");
    assert_string_equal(m->follow_id, "https://a.example/f/1");
    gm_member_free(m);
    assert_int_equal(gm_member_get(f->txn, "other", to.id, &m), GM_ENOTFOUND); /* not a member */
    /* without a checked target (the inbox refused it), nothing moves */
    ctx.moved_to = NULL;
    ctx.actor = to.id;
    assert_int_equal(gm_rules_apply(f->txn, &ctx, move), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", to.id, &m), GM_OK);
    gm_member_free(m);
    json_decref(move);
}

static void follow_without_known_inbox(void **state)
{
    struct tu_store *f = *state;
    tu_add_community(f->txn, "demo");
    struct gm_rules_ctx ctx = {.base_url = "https://groups.example", .actor =
                               "https://a.example/u/alice", .now = 1};
    json_t *doc = follow_of("https://groups.example/c/demo");
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 0);
    json_decref(doc);
}

static void backoff_schedule(void **state)
{
    (void)state;
    static const int64_t want[] = {60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600};
    int64_t total = 0;
    for (unsigned i = 0; i < TU_ARRAY_LEN(want); i++)
        assert_int_equal(gm_delivery_backoff(i + 1), want[i]);
    unsigned attempts = 0;
    while (total <= GM_DELIVERY_MAX_AGE)
        total += gm_delivery_backoff(++attempts);
    /* about three days of retries take this many attempts */
    assert_in_range(attempts, 15, 20);
}

static void local_community_url(void **state)
{
    (void)state;
    char name[GM_NAME_MAX + 1];
    assert_int_equal(gm_rules_local_community("https://g.example", "https://g.example/c/demo", name, sizeof name), GM_OK);
    assert_string_equal(name, "demo");
    assert_int_equal(gm_rules_local_community("https://g.example", "https://g.example/c/demo/outbox", name, sizeof name), GM_ENOTFOUND);
    assert_int_equal(gm_rules_local_community("https://g.example", "https://g.example.evil/c/demo", name, sizeof name), GM_ENOTFOUND);
    assert_int_equal(gm_rules_local_community("https://g.example", NULL, name, sizeof name), GM_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(due_order_and_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(members_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_accept_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_without_known_inbox, setup, teardown),
        cmocka_unit_test_setup_teardown(move_carries_membership, setup, teardown),
        cmocka_unit_test(backoff_schedule),
        cmocka_unit_test(local_community_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
