/* SPDX-License-Identifier: Apache-2.0
 * test_pins.c - pinned posts: only relayed (and not deleted) posts, never twice, at most
 * GM_PINS_MAX; Add and Remove {actor: the community, target: its featured collection} reach
 * every destination unchanged (microblogs and group-aware servers alike, a shared inbox once);
 * the list is newest first; each change is in the moderation log; /c/NAME/featured lists the
 * pinned ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/actor_routes.h"
#include "gemeinde/app.h"
#include "gemeinde/ckv.h"
#include "gemeinde/hosts.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"
#include "gemeinde/pins.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/rules.h"
#include "test_util.h"

#define BASE "https://groups.example"
#define DEMO BASE "/c/demo"
#define PUBLIC "https://www.w3.org/ns/activitystreams#Public"
#define ALICE "https://masto.example/users/alice"
#define BOB "https://masto.example/users/bob"
#define CAROL "https://lemmy.example/u/carol"
#define MASTO "https://masto.example/inbox"
#define LEMMY "https://lemmy.example/inbox"
#define MOD "cli:tester"

static void member(struct gm_txn *txn, const char *actor, const char *shared)
{
    char inbox[200];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    struct gm_member m = {.actor = (char *)actor, .inbox = inbox, .shared_inbox = (char *)shared,
                          .since = 1};
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
}

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    member(f->txn, ALICE, MASTO);
    member(f->txn, BOB, MASTO);
    member(f->txn, CAROL, LEMMY);
    struct gm_host lemmy = {.software_at = 1};
    strcpy(lemmy.software, "lemmy");
    assert_int_equal(gm_host_put(f->txn, "lemmy.example", &lemmy), GM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

/* Expand every queued fan-out job; *out gets the deliveries (due order), removed from the
 * queue. `plain`: each job must carry "plain":1. */
static void deliveries(struct tu_store *f, int plain, struct gm_job ***out, size_t *n_out)
{
    struct gm_job **jobs;
    size_t n, queued;
    assert_int_equal(gm_queue_take_due(f->txn, 2000000000, 2000000000, 100, &jobs, &n), GM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(jobs[i]->inbox, GM_RELAY_FANOUT);
        if (plain)
            assert_true(tu_contains(jobs[i]->activity, "\"plain\":1"));
        char *next = NULL;
        assert_int_equal(
            gm_relay_expand(f->txn, BASE, "demo", jobs[i]->activity, &queued, &next), GM_OK);
        assert_null(next);
        assert_int_equal(gm_queue_done(f->txn, jobs[i]), GM_OK);
    }
    gm_jobs_free(jobs, n);
    assert_int_equal(gm_queue_take_due(f->txn, 2000000000, 2000000000, 100, out, n_out), GM_OK);
    for (size_t i = 0; i < *n_out; i++)
        assert_int_equal(gm_queue_done(f->txn, (*out)[i]), GM_OK);
}

/* Relay alice's note `n` and deliver its Announce (so the queue is empty again). */
static void relay_note(struct tu_store *f, const char *n)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"id\":\"" ALICE "/create/%s\",\"type\":\"Create\",\"actor\":\"" ALICE "\","
             "\"object\":{\"id\":\"" ALICE "/notes/%s\",\"type\":\"Note\",\"attributedTo\":\"" ALICE
             "\",\"content\":\"hi\",\"to\":[\"" PUBLIC "\"],\"cc\":[\"" DEMO "\"]}}",
             n, n);
    json_t *doc = json_loads(text, 0, NULL);
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .actor = ALICE, .now = 1000};
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    assert_int_equal(ctx.queued, 1);
    json_decref(doc);
    struct gm_job **jobs;
    size_t count;
    deliveries(f, 0, &jobs, &count);
    assert_int_equal(count, 2);
    gm_jobs_free(jobs, count);
}

static gm_err pin(struct tu_store *f, const char *object, int64_t now, int add)
{
    struct gm_rules_ctx ctx = {.base_url = BASE, .now = now};
    gm_err e = add ? gm_pin_add(f->txn, &ctx, "demo", object, MOD)
                   : gm_pin_remove(f->txn, &ctx, "demo", object, MOD);
    assert_int_equal(ctx.queued, e == GM_OK ? 1 : 0);
    return e;
}

/* Every delivery is `type` of `object` to the featured collection, the same body to the
 * microblog and the group-aware inbox. */
static void expect_sent(struct tu_store *f, const char *type, const char *object)
{
    struct gm_job **jobs;
    size_t n;
    deliveries(f, 1, &jobs, &n);
    assert_int_equal(n, 2); /* masto's shared inbox once, lemmy's */
    assert_string_equal(jobs[0]->activity, jobs[1]->activity);
    int masto = 0, lemmy = 0;
    for (size_t i = 0; i < n; i++) {
        masto += !strcmp(jobs[i]->inbox, MASTO);
        lemmy += !strcmp(jobs[i]->inbox, LEMMY);
    }
    assert_int_equal(masto, 1);
    assert_int_equal(lemmy, 1);
    json_t *doc = json_loads(jobs[0]->activity, 0, NULL);
    assert_string_equal(tu_jstr(doc, "type"), type);
    assert_string_equal(tu_jstr(doc, "actor"), DEMO);
    assert_string_equal(tu_jstr(doc, "object"), object);
    assert_string_equal(tu_jstr(doc, "target"), DEMO "/featured");
    assert_string_equal(tu_jstr(doc, "audience"), DEMO);
    assert_true(tu_contains(tu_jstr(doc, "id"), DEMO "/activities/"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "to"), 0)), PUBLIC);
    json_decref(doc);
    gm_jobs_free(jobs, n);
}

static void expect_log(struct tu_store *f, size_t n_want, const char *action, const char *target)
{
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 50, &list, &n), GM_OK);
    assert_int_equal(n, n_want);
    assert_string_equal(list[0]->action, action); /* the newest */
    assert_string_equal(list[0]->target, target);
    assert_string_equal(list[0]->moderator, MOD);
    assert_string_equal(list[0]->community, "demo");
    gm_modlog_entries_free(list, n);
}

static void only_relayed_posts(void **state)
{
    struct tu_store *f = *state;
    struct gm_job **jobs;
    size_t n, count;
    assert_int_equal(pin(f, ALICE "/notes/never", 2000, 1), GM_ENOTFOUND);
    assert_int_equal(pin(f, ALICE "/notes/never", 2000, 0), GM_ENOTFOUND);
    /* relayed, then deleted by its author: gone, not pinnable */
    relay_note(f, "1");
    json_t *del = json_pack("{s:s, s:s, s:s, s:s}", "id", ALICE "/deletes/1", "type", "Delete",
                            "actor", ALICE, "object", ALICE "/notes/1");
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .actor = ALICE, .now = 1000};
    assert_int_equal(gm_rules_apply(f->txn, &ctx, del), GM_OK);
    json_decref(del);
    deliveries(f, 0, &jobs, &n);
    gm_jobs_free(jobs, n);
    assert_int_equal(pin(f, ALICE "/notes/1", 2000, 1), GM_ENOTFOUND);
    assert_int_equal(gm_ckv_count(f->txn, GM_CKV_PINS, "demo", &count), GM_OK);
    assert_int_equal(count, 0);
    deliveries(f, 0, &jobs, &n);
    assert_int_equal(n, 0); /* nothing sent */
    gm_jobs_free(jobs, n);
}

static void pin_and_unpin_reach_everyone(void **state)
{
    struct tu_store *f = *state;
    json_t *list;
    relay_note(f, "1");
    assert_int_equal(pin(f, ALICE "/notes/1", 2000, 1), GM_OK);
    expect_sent(f, "Add", ALICE "/notes/1");
    expect_log(f, 1, "pin", ALICE "/notes/1");
    assert_int_equal(gm_pin_find(f->txn, "demo", ALICE "/notes/1"), GM_OK);
    assert_int_equal(pin(f, ALICE "/notes/1", 2001, 1), GM_EEXISTS);
    assert_int_equal(gm_pin_list(f->txn, "demo", &list), GM_OK);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(tu_jstr(json_array_get(list, 0), "object"), ALICE "/notes/1");
    assert_string_equal(tu_jstr(json_array_get(list, 0), "by"), MOD);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "at")), 2000);
    json_decref(list);
    /* the Add is an outbox entry too (announce 1 is the post) */
    char *json;
    assert_int_equal(gm_outbox_get(f->txn, "demo", 2, &json), GM_OK);
    assert_true(tu_contains(json, "\"type\":\"Add\""));
    free(json);

    assert_int_equal(pin(f, ALICE "/notes/1", 3000, 0), GM_OK);
    expect_sent(f, "Remove", ALICE "/notes/1");
    expect_log(f, 2, "unpin", ALICE "/notes/1");
    assert_int_equal(gm_pin_find(f->txn, "demo", ALICE "/notes/1"), GM_ENOTFOUND);
    assert_int_equal(pin(f, ALICE "/notes/1", 3001, 0), GM_ENOTFOUND);
    assert_int_equal(gm_pin_list(f->txn, "demo", &list), GM_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    /* pinned again after an unpin: fine */
    assert_int_equal(pin(f, ALICE "/notes/1", 3002, 1), GM_OK);
}

/* At most GM_PINS_MAX; newest first, pins of the same second in the order they were made. */
static void limit_and_order(void **state)
{
    struct tu_store *f = *state;
    char id[GM_PINS_MAX + 1][100], n[8];
    struct gm_job **jobs;
    size_t count;
    for (int i = 0; i <= GM_PINS_MAX; i++) {
        snprintf(n, sizeof n, "%d", i);
        snprintf(id[i], sizeof id[i], ALICE "/notes/%d", i);
        relay_note(f, n);
    }
    /* pins 0..9 at times 100..109 in reverse order, 10..19 all in second 500 */
    for (int i = 9; i >= 0; i--)
        assert_int_equal(pin(f, id[i], 100 + i, 1), GM_OK);
    for (int i = 10; i < GM_PINS_MAX; i++)
        assert_int_equal(pin(f, id[i], 500, 1), GM_OK);
    assert_int_equal(pin(f, id[GM_PINS_MAX], 600, 1), GM_ETOOBIG);
    assert_int_equal(pin(f, id[3], 600, 1), GM_EEXISTS); /* twice beats full */
    deliveries(f, 1, &jobs, &count);
    assert_int_equal(count, 2 * GM_PINS_MAX);
    gm_jobs_free(jobs, count);
    json_t *list;
    assert_int_equal(gm_pin_list(f->txn, "demo", &list), GM_OK);
    assert_int_equal(json_array_size(list), GM_PINS_MAX);
    for (int k = 0; k < GM_PINS_MAX; k++) {
        /* 19..10 (the same second, latest Add first), then 9..0 (by time) */
        assert_string_equal(tu_jstr(json_array_get(list, (size_t)k), "object"),
                            id[GM_PINS_MAX - 1 - k]);
    }
    json_decref(list);
    /* one unpinned: room for the next */
    assert_int_equal(pin(f, id[0], 700, 0), GM_OK);
    assert_int_equal(pin(f, id[GM_PINS_MAX], 700, 1), GM_OK);
}

/* GET /c/demo/featured: the pinned ids, newest first, with totalItems. */
static void featured_collection(void **state)
{
    struct tu_store *f = *state;
    relay_note(f, "1");
    relay_note(f, "2");
    assert_int_equal(pin(f, ALICE "/notes/2", 2000, 1), GM_OK);
    assert_int_equal(pin(f, ALICE "/notes/1", 2001, 1), GM_OK);
    assert_int_equal(gm_txn_commit(f->txn), GM_OK); /* the route reads in its own transaction */
    f->txn = NULL;
    struct gm_app app;
    assert_int_equal(gm_app_init(&app, NULL, NULL, BASE), GM_OK);
    app.st = f->st;
    struct tu_req r;
    struct gm_http_resp resp = {0};
    tu_req_init(&r, "GET", "/c/demo/featured", "demo");
    assert_int_equal(gm_actor_get_featured(&app, &r.req, &resp), GM_OK);
    json_t *doc = tu_resp_json(&resp);
    assert_string_equal(tu_jstr(doc, "id"), DEMO "/featured");
    assert_string_equal(tu_jstr(doc, "type"), "OrderedCollection");
    assert_int_equal(json_integer_value(json_object_get(doc, "totalItems")), 2);
    json_t *items = json_object_get(doc, "orderedItems");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_array_get(items, 0)), ALICE "/notes/1");
    assert_string_equal(json_string_value(json_array_get(items, 1)), ALICE "/notes/2");
    json_decref(doc);
    gm_http_resp_clear(&resp);
    /* an unknown community: not found */
    memset(&resp, 0, sizeof resp);
    tu_req_init(&r, "GET", "/c/nobody/featured", "nobody");
    assert_int_equal(gm_actor_get_featured(&app, &r.req, &resp), GM_ENOTFOUND);
    gm_http_resp_clear(&resp);
    gm_app_clear(&app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(only_relayed_posts, setup, teardown),
        cmocka_unit_test_setup_teardown(pin_and_unpin_reach_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(limit_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(featured_collection, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
