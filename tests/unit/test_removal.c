/* SPDX-License-Identifier: Apache-2.0
 * test_removal.c - a moderator removes a relayed post: a reason is required; only relayed
 * posts, once; microblogs get the Undo of the Announce, group-aware servers that Undo and an
 * Announce of Delete{actor: the community, summary: the reason}; the post is never relayed
 * again, nor its edits, votes or thread replies; a pinned post is unpinned (Remove sent); the
 * moderation log has each action. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/hosts.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"
#include "gemeinde/pins.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/removal.h"
#include "gemeinde/rules.h"
#include "test_util.h"

#define BASE "https://groups.example"
#define DEMO BASE "/c/demo"
#define PUBLIC "https://www.w3.org/ns/activitystreams#Public"
#define ALICE "https://masto.example/users/alice"
#define CAROL "https://lemmy.example/u/carol"
#define MASTO "https://masto.example/inbox"
#define LEMMY "https://lemmy.example/inbox"
#define NOTE ALICE "/notes/1"
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

/* Expand every queued fan-out job; *out gets the deliveries in due order. */
static void deliveries(struct tu_store *f, struct gm_job ***out, size_t *n_out)
{
    struct gm_job **jobs;
    size_t n, queued;
    assert_int_equal(gm_queue_take_due(f->txn, 2000000000, 2000000000, 100, &jobs, &n), GM_OK);
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

static size_t drain(struct tu_store *f)
{
    struct gm_job **jobs;
    size_t n;
    deliveries(f, &jobs, &n);
    gm_jobs_free(jobs, n);
    return n;
}

/* Apply `text` (an activity by `actor`) to the community inbox; the fan-outs it queued. */
static int apply(struct tu_store *f, const char *actor, const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    struct gm_rules_ctx ctx = {.base_url = BASE, .community = "demo", .actor = actor, .now = 1000};
    assert_int_equal(gm_rules_apply(f->txn, &ctx, doc), GM_OK);
    json_decref(doc);
    return ctx.queued;
}

#define NOTE_JSON(id, extra)                                                                   \
    "{\"id\":\"" id "\",\"type\":\"Note\",\"attributedTo\":\"" ALICE "\",\"content\":\"hi\","  \
    "\"to\":[\"" PUBLIC "\"],\"cc\":[\"" DEMO "\"]" extra "}"
#define CREATE_NOTE                                                                            \
    "{\"id\":\"" ALICE "/create/1\",\"type\":\"Create\",\"actor\":\"" ALICE "\",\"object\":"   \
    NOTE_JSON(NOTE, "") "}"

static void relay_note(struct tu_store *f)
{
    assert_int_equal(apply(f, ALICE, CREATE_NOTE), 1);
    assert_int_equal(drain(f), 2);
}

static gm_err remove_post(struct tu_store *f, const char *object, const char *reason, int *queued)
{
    struct gm_rules_ctx ctx = {.base_url = BASE, .now = 5000};
    gm_err e = gm_post_remove(f->txn, &ctx, "demo", object, MOD, reason);
    if (queued)
        *queued = ctx.queued;
    else
        assert_int_equal(ctx.queued, 0);
    return e;
}

static void reason_required_and_relayed_only(void **state)
{
    struct tu_store *f = *state;
    char long_reason[GM_REMOVAL_REASON_MAX + 2];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    relay_note(f);
    static const struct {
        const char *object, *reason;
        gm_err want;
    } cases[] = {
        {NOTE, NULL, GM_EINVAL},
        {NOTE, "", GM_EINVAL},
        {NOTE, " \t\n", GM_EINVAL},
        {ALICE "/notes/never", "spam", GM_ENOTFOUND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++)
        if (remove_post(f, cases[i].object, cases[i].reason, NULL) != cases[i].want)
            fail_msg("case %zu: want %s", i, gm_strerror(cases[i].want));
    assert_int_equal(remove_post(f, NOTE, long_reason, NULL), GM_ETOOBIG);
    /* nothing changed: not deleted, nothing logged, nothing queued */
    assert_int_equal(gm_relayed_deleted(f->txn, "demo", NOTE), GM_ENOTFOUND);
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 10, &list, &n), GM_OK);
    assert_int_equal(n, 0);
    gm_modlog_entries_free(list, n);
    assert_int_equal(drain(f), 0);
}

/* The delivery at `inbox` number `k` among those for it (0-based), parsed. */
static json_t *nth_for(struct gm_job **jobs, size_t n, const char *inbox, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(jobs[i]->inbox, inbox) && k-- == 0)
            return json_loads(jobs[i]->activity, 0, NULL);
    fail_msg("no delivery %zu for %s", k, inbox);
    return NULL;
}

static size_t count_for(struct gm_job **jobs, size_t n, const char *inbox)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !strcmp(jobs[i]->inbox, inbox);
    return c;
}

static void expect_undo(json_t *undo)
{
    assert_string_equal(tu_jstr(undo, "type"), "Undo");
    assert_string_equal(tu_jstr(undo, "actor"), DEMO);
    json_t *undone = json_object_get(undo, "object");
    assert_string_equal(tu_jstr(undone, "type"), "Announce");
    assert_string_equal(tu_jstr(undone, "id"), DEMO "/announces/1");
    assert_string_equal(tu_jstr(undone, "object"), NOTE);
}

static void removal_reaches_everyone(void **state)
{
    struct tu_store *f = *state;
    struct gm_job **jobs;
    size_t n;
    int queued = 0;
    relay_note(f);
    assert_int_equal(remove_post(f, NOTE, "spam, rule 2", &queued), GM_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(gm_relayed_deleted(f->txn, "demo", NOTE), GM_OK);
    deliveries(f, &jobs, &n);
    assert_int_equal(count_for(jobs, n, MASTO), 1);
    assert_int_equal(count_for(jobs, n, LEMMY), 2);
    json_t *m = nth_for(jobs, n, MASTO, 0), *l0 = nth_for(jobs, n, LEMMY, 0),
           *l1 = nth_for(jobs, n, LEMMY, 1);
    expect_undo(m);
    assert_true(json_equal(m, l0)); /* the same Undo, first */
    assert_string_equal(tu_jstr(l1, "type"), "Announce");
    assert_string_equal(tu_jstr(l1, "actor"), DEMO);
    json_t *del = json_object_get(l1, "object");
    assert_string_equal(tu_jstr(del, "type"), "Delete");
    assert_string_equal(tu_jstr(del, "actor"), DEMO); /* not the author: a removal */
    assert_string_equal(tu_jstr(del, "object"), NOTE);
    assert_string_equal(tu_jstr(del, "summary"), "spam, rule 2");
    assert_string_equal(tu_jstr(del, "audience"), DEMO);
    assert_string_equal(json_string_value(json_array_get(json_object_get(del, "to"), 0)), PUBLIC);
    assert_string_equal(json_string_value(json_array_get(json_object_get(del, "cc"), 0)), DEMO);
    json_decref(m);
    json_decref(l0);
    json_decref(l1);
    gm_jobs_free(jobs, n);
    struct gm_modlog_entry **list;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 10, &list, &n), GM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->action, "remove");
    assert_string_equal(list[0]->target, NOTE);
    assert_string_equal(list[0]->public_reason, "spam, rule 2");
    assert_string_equal(list[0]->moderator, MOD);
    assert_int_equal(list[0]->at, 5000);
    gm_modlog_entries_free(list, n);
    /* once */
    assert_int_equal(remove_post(f, NOTE, "again", NULL), GM_EEXISTS);
}

static void removed_post_stays_gone(void **state)
{
    struct tu_store *f = *state;
    relay_note(f);
    assert_int_equal(remove_post(f, NOTE, "off topic", &(int){0}), GM_OK);
    assert_int_equal(drain(f), 3);
    /* the author's edit, a member's vote, a reply in the thread, the same Create again */
    assert_int_equal(apply(f, ALICE, "{\"id\":\"" ALICE "/update/1\",\"type\":\"Update\","
                                     "\"actor\":\"" ALICE "\",\"object\":" NOTE_JSON(NOTE, "") "}"),
                     0);
    assert_int_equal(apply(f, CAROL, "{\"id\":\"" CAROL "/like/1\",\"type\":\"Like\",\"actor\":\""
                                     CAROL "\",\"object\":\"" NOTE "\"}"),
                     0);
    assert_int_equal(
        apply(f, CAROL,
              "{\"id\":\"" CAROL "/create/2\",\"type\":\"Create\",\"actor\":\"" CAROL
              "\",\"object\":{\"id\":\"" CAROL "/notes/2\",\"type\":\"Note\",\"attributedTo\":\""
              CAROL "\",\"to\":[\"" PUBLIC "\"],\"inReplyTo\":\"" NOTE "\"}}"),
        0);
    assert_int_equal(apply(f, ALICE, CREATE_NOTE), 0);
    assert_int_equal(drain(f), 0);
    /* nor can it be pinned */
    struct gm_rules_ctx ctx = {.base_url = BASE, .now = 6000};
    assert_int_equal(gm_pin_add(f->txn, &ctx, "demo", NOTE, MOD), GM_ENOTFOUND);
}

static void removing_a_pinned_post_unpins_it(void **state)
{
    struct tu_store *f = *state;
    struct gm_job **jobs;
    size_t n;
    int queued = 0;
    relay_note(f);
    struct gm_rules_ctx ctx = {.base_url = BASE, .now = 4000};
    assert_int_equal(gm_pin_add(f->txn, &ctx, "demo", NOTE, MOD), GM_OK);
    assert_int_equal(drain(f), 2);
    assert_int_equal(remove_post(f, NOTE, "rule 1", &queued), GM_OK);
    assert_int_equal(queued, 2); /* the Remove, and the removal */
    assert_int_equal(gm_pin_find(f->txn, "demo", NOTE), GM_ENOTFOUND);
    deliveries(f, &jobs, &n);
    assert_int_equal(count_for(jobs, n, MASTO), 2); /* Remove, Undo */
    assert_int_equal(count_for(jobs, n, LEMMY), 3); /* Remove, Undo, Announce(Delete) */
    json_t *rm = nth_for(jobs, n, MASTO, 0);
    assert_string_equal(tu_jstr(rm, "type"), "Remove");
    assert_string_equal(tu_jstr(rm, "target"), DEMO "/featured");
    json_decref(rm);
    gm_jobs_free(jobs, n);
    struct gm_modlog_entry **list;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 10, &list, &n), GM_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0]->action, "remove");
    assert_string_equal(list[1]->action, "unpin");
    assert_string_equal(list[2]->action, "pin");
    gm_modlog_entries_free(list, n);
}

/* Deleted by its author first: nothing left to remove. */
static void deleted_by_author(void **state)
{
    struct tu_store *f = *state;
    relay_note(f);
    assert_int_equal(apply(f, ALICE, "{\"id\":\"" ALICE "/delete/1\",\"type\":\"Delete\","
                                     "\"actor\":\"" ALICE "\",\"object\":\"" NOTE "\"}"),
                     1);
    assert_int_equal(drain(f), 2);
    assert_int_equal(remove_post(f, NOTE, "spam", NULL), GM_EEXISTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reason_required_and_relayed_only, setup, teardown),
        cmocka_unit_test_setup_teardown(removal_reaches_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(removed_post_stays_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(removing_a_pinned_post_unpins_it, setup, teardown),
        cmocka_unit_test_setup_teardown(deleted_by_author, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
