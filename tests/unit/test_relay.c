/* SPDX-License-Identifier: Apache-2.0
 * test_relay.c - FEP-1b12 relaying: which Creates become Announces (addressed, mention,
 * reply in a relayed thread; not private, not from non-members, never twice), the outbox, and
 * the fan-out: one delivery per distinct inbox (shared inboxes once), Announce(Create) for
 * group-aware servers and Announce(id) for microblogs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/community.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/hosts.h"
#include "gemeinde/members.h"
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
#define EVE "https://else.example/users/eve"

static void member(struct gm_txn *txn, const char *actor, const char *inbox, const char *shared)
{
    struct gm_member m = {.actor = (char *)actor, .inbox = (char *)inbox,
                          .shared_inbox = (char *)shared, .since = 1};
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
}

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    member(f->txn, ALICE, ALICE "/inbox", "https://masto.example/inbox");
    member(f->txn, BOB, BOB "/inbox", "https://masto.example/inbox");
    member(f->txn, CAROL, CAROL "/inbox", "https://lemmy.example/inbox");
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

/* A Create by `actor` of note `n`; `to`/`cc` JSON arrays as text; `extra` object fields. */
static json_t *create(const char *actor, const char *n, const char *to, const char *cc,
                      const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"id\":\"%s/create/%s\",\"type\":\"Create\",\"actor\":\"%s\",\"object\":{"
             "\"id\":\"%s/notes/%s\",\"type\":\"Note\",\"attributedTo\":\"%s\",\"content\":\"hi\","
             "\"to\":%s,\"cc\":%s%s}}",
             actor, n, actor, actor, n, actor, to, cc, extra);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static int apply(struct tu_store *f, const char *community, const char *actor, json_t *doc)
{
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = community, .actor = actor,
                               .now = 1000};
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    json_decref(doc);
    return ctx.queued;
}

static size_t outbox_len(struct tu_store *f)
{
    size_t n;
    assert_int_equal(gm_outbox_count(f->txn, "demo", &n), GM_OK);
    return n;
}

/* Messages in the moderator inbox of demo. */
static size_t modinbox_len(struct tu_store *f)
{
    json_t *page = NULL;
    assert_int_equal(gm_dm_inbox(f->txn, "demo", 0, 100, &page), GM_OK);
    size_t n = json_array_size(page);
    json_decref(page);
    return n;
}

static void which_creates_are_relayed(void **state)
{
    struct tu_store *f = *state;
    /* addressed in cc, public: relayed */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    /* the same object again: not twice */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 0);
    /* unlisted (Public in cc) with a Mention tag, through the shared inbox: relayed */
    assert_int_equal(apply(f, NULL, BOB, create(BOB, "2", "[\"" BOB "/followers\"]", "[\"" PUBLIC "\"]",
                                                ",\"tag\":[{\"type\":\"Mention\",\"href\":\"" DEMO "\"}]")), 1);
    /* a single Mention tag as an object, not an array (as Fedify sends it): relayed */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "2b", "[\"" PUBLIC "\"]", "[]",
                                                    ",\"tag\":{\"type\":\"Mention\",\"href\":\"" DEMO "\"}")), 1);
    /* followers-only and direct: acknowledged, not relayed; only the direct message (the
     * community in `to`) goes to the moderator inbox */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "3", "[\"" ALICE "/followers\"]", "[\"" DEMO "\"]", "")), 0);
    assert_int_equal(modinbox_len(f), 0);
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "4", "[\"" DEMO "\"]", "[]", "")), 0);
    assert_int_equal(modinbox_len(f), 1);
    /* not a member */
    assert_int_equal(apply(f, "demo", EVE, create(EVE, "5", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 0);
    /* not addressed to the community */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "6", "[\"" PUBLIC "\"]", "[]", "")), 0);
    /* a reply inside a relayed thread, not addressing the community: relayed */
    assert_int_equal(apply(f, "demo", CAROL, create(CAROL, "7", "[\"" PUBLIC "\"]", "[]",
                                                    ",\"inReplyTo\":\"" ALICE "/notes/1\"")), 1);
    /* a reply to something never relayed: not */
    assert_int_equal(apply(f, "demo", CAROL, create(CAROL, "8", "[\"" PUBLIC "\"]", "[]",
                                                    ",\"inReplyTo\":\"" EVE "/notes/9\"")), 0);
    assert_int_equal(outbox_len(f), 4);
    /* the newest Announce: id, actor, audience, and the whole Create as object */
    char *json;
    assert_int_equal(gm_outbox_get(f->txn, "demo", 4, &json), GM_OK);
    json_t *a = json_loads(json, 0, NULL);
    free(json);
    assert_string_equal(json_string_value(json_object_get(a, "id")), DEMO "/announces/4");
    assert_string_equal(json_string_value(json_object_get(a, "type")), "Announce");
    assert_string_equal(json_string_value(json_object_get(a, "actor")), DEMO);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "to"), 0)), PUBLIC);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "cc"), 0)),
                        DEMO "/followers");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "object"), "id")),
                        CAROL "/create/7");
    json_decref(a);
}

static void fanout_dedupes_and_shapes(void **state)
{
    struct tu_store *f = *state;
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    struct gm_job **jobs;
    size_t n, queued = 0;
    assert_int_equal(gm_queue_take_due(f->txn, 1000, 1000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, GM_RELAY_FANOUT);
    char *next = NULL;
    assert_int_equal(gm_relay_expand(f->txn, BASE, "demo", jobs[0]->activity, &queued, &next),
                     GM_OK);
    assert_null(next); /* 3 members: one batch */
    assert_int_equal(gm_queue_done(f->txn, jobs[0]), GM_OK);
    gm_jobs_free(jobs, n);
    /* alice and bob share masto.example's inbox: 2 deliveries for 3 members */
    assert_int_equal(queued, 2);
    assert_int_equal(gm_queue_take_due(f->txn, 2000000000, 2000000000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_loads(jobs[i]->activity, 0, NULL);
        json_t *obj = json_object_get(a, "object");
        if (!strcmp(jobs[i]->inbox, "https://lemmy.example/inbox")) {
            assert_true(json_is_object(obj)); /* Lemmy reads Announce(Create) */
            assert_string_equal(json_string_value(json_object_get(obj, "type")), "Create");
        } else {
            assert_string_equal(jobs[i]->inbox, "https://masto.example/inbox");
            assert_string_equal(json_string_value(obj), ALICE "/notes/1"); /* Announce(id) */
        }
        json_decref(a);
    }
    gm_jobs_free(jobs, n);
}

/* Expand every queued fan-out job; return the deliveries queued, in due order. */
static void expand_all(struct tu_store *f, struct gm_job ***out, size_t *n_out)
{
    struct gm_job **jobs;
    size_t n, queued;
    assert_int_equal(gm_queue_take_due(f->txn, 2000, 2000, 100, &jobs, &n), GM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(jobs[i]->inbox, GM_RELAY_FANOUT);
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

static json_t *body_for(struct gm_job **jobs, size_t n, const char *inbox)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(jobs[i]->inbox, inbox))
            return json_loads(jobs[i]->activity, 0, NULL);
    return NULL;
}

#define MASTO "https://masto.example/inbox"
#define LEMMY "https://lemmy.example/inbox"

static void follow_ups_in_relayed_threads(void **state)
{
    struct tu_store *f = *state;
    struct gm_job **jobs;
    size_t n;
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    expand_all(f, &jobs, &n);
    gm_jobs_free(jobs, n);
    /* a member's Like: group-aware servers only */
    json_t *like = json_pack("{s:s, s:s, s:s, s:s}", "id", BOB "/likes/1", "type", "Like",
                             "actor", BOB, "object", ALICE "/notes/1");
    assert_int_equal(apply(f, "demo", BOB, json_incref(like)), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, LEMMY);
    json_t *a = json_loads(jobs[0]->activity, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "object"), "type")), "Like");
    json_decref(a);
    gm_jobs_free(jobs, n);
    /* a non-member's Like: nothing */
    json_t *eve_like = json_pack("{s:s, s:s, s:s, s:s}", "id", EVE "/likes/1", "type", "Like",
                                 "actor", EVE, "object", ALICE "/notes/1");
    assert_int_equal(apply(f, "demo", EVE, eve_like), 0);
    /* Undo of the Like: group-aware only */
    json_t *undo = json_pack("{s:s, s:s, s:s, s:o}", "id", BOB "/undo/1", "type", "Undo", "actor",
                             BOB, "object", like);
    assert_int_equal(apply(f, "demo", BOB, undo), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 1);
    gm_jobs_free(jobs, n);
    /* the author's Update: group-aware only */
    json_t *update = create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "");
    json_object_set_new(update, "type", json_string("Update"));
    json_object_set_new(update, "id", json_string(ALICE "/updates/1"));
    assert_int_equal(apply(f, "demo", ALICE, update), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, LEMMY);
    gm_jobs_free(jobs, n);
    /* the author's Delete: microblogs get Undo(Announce 1), group-aware Announce(Delete) */
    json_t *del = json_pack("{s:s, s:s, s:s, s:s}", "id", ALICE "/deletes/1", "type", "Delete",
                            "actor", ALICE, "object", ALICE "/notes/1");
    assert_int_equal(apply(f, "demo", ALICE, del), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 2);
    json_t *m = body_for(jobs, n, MASTO), *l = body_for(jobs, n, LEMMY);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "Undo");
    json_t *undone = json_object_get(m, "object");
    assert_string_equal(json_string_value(json_object_get(undone, "id")), DEMO "/announces/1");
    assert_string_equal(json_string_value(json_object_get(undone, "object")), ALICE "/notes/1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(l, "object"), "type")),
                        "Delete");
    json_decref(m);
    json_decref(l);
    gm_jobs_free(jobs, n);
    /* deleted: never announced again, nor edited */
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 0);
    json_t *update2 = create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "");
    json_object_set_new(update2, "type", json_string("Update"));
    assert_int_equal(apply(f, "demo", ALICE, update2), 0);
    /* a Like of something never relayed: nothing */
    json_t *stray = json_pack("{s:s, s:s, s:s, s:s}", "id", BOB "/likes/2", "type", "Like",
                              "actor", BOB, "object", EVE "/notes/9");
    assert_int_equal(apply(f, "demo", BOB, stray), 0);
}

/* With microblog_replies off, replies reach group-aware servers only; the setting survives
 * storage. */
static void replies_kept_off_microblogs(void **state)
{
    struct tu_store *f = *state;
    struct gm_community *c;
    struct gm_job **jobs;
    size_t n;
    assert_int_equal(gm_community_get(f->txn, "demo", &c), GM_OK);
    assert_true(c->microblog_replies); /* the default */
    assert_false(c->followers_visible);
    c->microblog_replies = false;
    assert_int_equal(gm_community_update(f->txn, c), GM_OK);
    gm_community_free(c);
    assert_int_equal(gm_community_get(f->txn, "demo", &c), GM_OK);
    assert_false(c->microblog_replies);
    gm_community_free(c);
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 2); /* a top-level post goes everywhere */
    gm_jobs_free(jobs, n);
    assert_int_equal(apply(f, "demo", BOB, create(BOB, "2", "[\"" PUBLIC "\"]", "[]",
                                                  ",\"inReplyTo\":\"" ALICE "/notes/1\"")), 1);
    expand_all(f, &jobs, &n);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->inbox, LEMMY);
    gm_jobs_free(jobs, n);
}

/* A large audience in batches of GM_RELAY_BATCH: a shared inbox gets one delivery across all
 * batches, and the dedupe marks are gone when the fan-out is complete. */
static void fanout_in_batches(void **state)
{
    struct tu_store *f = *state;
    char actor[64], inbox[80];
    for (int i = 0; i < 2500; i++) { /* even: behind big.example's shared inbox; odd: own */
        snprintf(actor, sizeof actor, "https://m%d.example/u/%04d", i % 2 ? i : 0, i);
        snprintf(inbox, sizeof inbox, "%s/inbox", actor);
        member(f->txn, actor, inbox, i % 2 ? NULL : "https://big.example/inbox");
    }
    assert_int_equal(apply(f, "demo", ALICE, create(ALICE, "1", "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    struct gm_job **jobs;
    size_t n, total = 0, batches = 0;
    assert_int_equal(gm_queue_take_due(f->txn, 1000, 1000, 10, &jobs, &n), GM_OK);
    assert_int_equal(n, 1);
    char *job = strdup(jobs[0]->activity);
    gm_jobs_free(jobs, n);
    while (job) {
        size_t queued;
        char *next = NULL;
        assert_int_equal(gm_relay_expand(f->txn, BASE, "demo", job, &queued, &next), GM_OK);
        total += queued;
        batches++;
        free(job);
        job = next;
    }
    /* 2,503 members (alice, bob and carol too): masto's and lemmy's shared inboxes, big.example
     * once, and 1,250 personal inboxes */
    assert_int_equal(batches, 3);
    assert_int_equal(total, 2 + 1 + 1250);
    assert_int_equal(gm_fanout_mark(f->txn, "demo", 1, "https://big.example/inbox"), GM_OK);
}

static void outbox_pages(void **state)
{
    struct tu_store *f = *state;
    for (int i = 1; i <= 25; i++) {
        char n[8];
        snprintf(n, sizeof n, "%d", i);
        assert_int_equal(apply(f, "demo", ALICE, create(ALICE, n, "[\"" PUBLIC "\"]", "[\"" DEMO "\"]", "")), 1);
    }
    char **items;
    uint64_t seqs[20];
    size_t n;
    assert_int_equal(gm_outbox_page(f->txn, "demo", 0, 20, &items, seqs, &n), GM_OK);
    assert_int_equal(n, 20);
    assert_int_equal(seqs[0], 25); /* newest first */
    assert_int_equal(seqs[19], 6);
    gm_outbox_items_free(items, n);
    assert_int_equal(gm_outbox_page(f->txn, "demo", 6, 20, &items, seqs, &n), GM_OK);
    assert_int_equal(n, 5);
    assert_int_equal(seqs[4], 1);
    gm_outbox_items_free(items, n);
    assert_int_equal(gm_outbox_page(f->txn, "dem", 0, 20, &items, seqs, &n), GM_OK);
    assert_int_equal(n, 0); /* another community's range */
    gm_outbox_items_free(items, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(which_creates_are_relayed, setup, teardown),
        cmocka_unit_test_setup_teardown(fanout_dedupes_and_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_ups_in_relayed_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(replies_kept_off_microblogs, setup, teardown),
        cmocka_unit_test_setup_teardown(fanout_in_batches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
