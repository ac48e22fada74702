/* SPDX-License-Identifier: Apache-2.0
 * test_api_moderation.c - the admin API's moderation endpoints: requests to join, held posts,
 * bans, moderators, community blocks, pins, removal and reports, each checked against the
 * store and the moderation log, with their error cases. */
#include "api_fixture.h"

#include <time.h>

#include "gemeinde/ckv.h"
#include "gemeinde/membership.h"
#include "gemeinde/modlog.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"

#define ANA "https://m.example/users/ana"
#define C "/api/v1/communities/demo"

static void put_remote(struct fx *fx, const char *id, const char *user)
{
    struct gm_txn *txn;
    struct gm_remote_actor a = {.id = (char *)id, .inbox = "https://m.example/users/x/inbox",
                                .username = (char *)user, .fetched_at = 1};
    assert_int_equal(gm_txn_begin(fx->store->st, true, &txn), GM_OK);
    assert_int_equal(gm_remote_actor_put(txn, &a), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
}

static void put_pending(struct fx *fx, const char *actor)
{
    struct gm_txn *txn;
    json_t *req = json_pack("{s:{s:s, s:s, s:s, s:s}, s:i}", "follow", "id",
                            "https://m.example/follows/1", "type", "Follow", "actor", actor,
                            "object", BASE "/c/demo", "at", 1);
    assert_int_equal(gm_txn_begin(fx->store->st, true, &txn), GM_OK);
    assert_int_equal(gm_ckv_put(txn, GM_CKV_PENDING, "demo", actor, req), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    json_decref(req);
}

static size_t queued(struct fx *fx)
{
    struct gm_txn *txn;
    size_t n;
    int64_t next;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_queue_stat(txn, &n, &next), GM_OK);
    gm_txn_abort(txn);
    return n;
}

static const char *newest_action(struct fx *fx, char *buf, size_t size)
{
    struct gm_txn *txn;
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_modlog_page(txn, "demo", 0, 1, &list, &n), GM_OK);
    gm_txn_abort(txn);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->moderator, "api");
    snprintf(buf, size, "%s", list[0]->action);
    gm_modlog_entries_free(list, n);
    return buf;
}

static void pending_approve_by_handle(void **state)
{
    struct fx *fx = *state;
    char act[64];
    put_remote(fx, ANA, "Ana");
    put_pending(fx, ANA);
    json_t *doc = expect(fx, "GET", C "/pending", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    json_decref(doc);
    doc = expect(fx, "POST", C "/pending/approve", NULL, JSON, "{\"actor\":\"@ana@m.example\"}",
                 200, NULL);
    assert_string_equal(tu_jstr(doc, "target"), ANA);
    json_decref(doc);
    assert_int_equal(queued(fx), 1); /* the Accept */
    assert_string_equal(newest_action(fx, act, sizeof act), "approve");
    /* approved: no longer pending, a second approve finds nothing */
    json_decref(expect(fx, "POST", C "/pending/approve", NULL, JSON, "{\"actor\":\"" ANA "\"}",
                       404, "nothing to approve"));
    json_decref(expect(fx, "POST", C "/pending/approve", NULL, JSON, "{\"who\":\"x\"}", 400,
                       "unknown field"));
}

static void bans_need_reason_and_expire(void **state)
{
    struct fx *fx = *state;
    char act[64];
    add_member(fx, ANA);
    json_decref(expect(fx, "POST", C "/bans", NULL, JSON, "{\"actor\":\"" ANA "\"}", 400,
                       "needs a reason"));
    json_decref(expect(fx, "POST", C "/bans", NULL, JSON,
                       "{\"actor\":\"" ANA "\",\"reason\":\"spam\",\"days\":0}", 400, "days"));
    json_decref(expect(fx, "POST", C "/bans", NULL, JSON,
                       "{\"actor\":\"" ANA "\",\"reason\":\"spam\",\"days\":3}", 200, NULL));
    assert_string_equal(newest_action(fx, act, sizeof act), "ban_temporary");
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_member_get(txn, "demo", ANA, NULL), GM_ENOTFOUND); /* membership ended */
    assert_int_equal(gm_membership_banned(txn, "demo", ANA, time(NULL)), GM_OK);
    assert_int_equal(gm_membership_banned(txn, "demo", ANA, time(NULL) + 4 * 86400), GM_ENOTFOUND);
    gm_txn_abort(txn);
    json_t *doc = expect(fx, "GET", C "/bans", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    json_decref(doc);
    json_decref(expect(fx, "DELETE", C "/bans", "actor=" ANA, NULL, NULL, 200, NULL));
    assert_string_equal(newest_action(fx, act, sizeof act), "unban");
    json_decref(expect(fx, "DELETE", C "/bans", "actor=" ANA, NULL, NULL, 404, "nothing to"));
    json_decref(expect(fx, "DELETE", C "/bans", NULL, NULL, NULL, 400, "actor"));
}

static void moderators_and_blocks(void **state)
{
    struct fx *fx = *state;
    char act[64];
    json_decref(expect(fx, "POST", C "/moderators", NULL, JSON, "{\"actor\":\"" ANA "\"}", 200, NULL));
    json_decref(expect(fx, "POST", C "/moderators", NULL, JSON, "{\"actor\":\"" ANA "\"}", 409,
                       "already"));
    json_t *doc = expect(fx, "GET", C "/moderators", NULL, NULL, NULL, 200, NULL);
    assert_string_equal(tu_jstr(json_array_get(json_object_get(doc, "items"), 0), "key"), ANA);
    json_decref(doc);
    add_member(fx, "https://sub.spam.example/u/1");
    json_decref(expect(fx, "POST", C "/blocks", NULL, JSON,
                       "{\"domain\":\"spam.example\",\"severity\":\"bogus\"}", 400, "severity"));
    json_decref(expect(fx, "POST", C "/blocks", NULL, JSON,
                       "{\"domain\":\"spam.example\",\"reason\":\"ads\"}", 200, NULL));
    assert_string_equal(newest_action(fx, act, sizeof act), "block");
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_member_get(txn, "demo", "https://sub.spam.example/u/1", NULL), GM_ENOTFOUND);
    gm_txn_abort(txn);
    json_decref(expect(fx, "DELETE", C "/blocks/spam.example", NULL, NULL, NULL, 200, NULL));
    json_decref(expect(fx, "DELETE", C "/blocks/spam.example", NULL, NULL, NULL, 404, "nothing"));
    json_decref(expect(fx, "DELETE", C "/moderators", "actor=" ANA, NULL, NULL, 200, NULL));
    assert_string_equal(newest_action(fx, act, sizeof act), "remove_moderator");
}

static void posts_and_reports_errors(void **state)
{
    struct fx *fx = *state;
    json_decref(expect(fx, "POST", C "/held/approve", NULL, JSON,
                       "{\"object\":\"https://m.example/notes/1\"}", 404, "nothing to approve"));
    json_decref(expect(fx, "POST", C "/remove", NULL, JSON,
                       "{\"object\":\"https://m.example/notes/1\"}", 400, "reason"));
    json_decref(expect(fx, "POST", C "/remove", NULL, JSON,
                       "{\"object\":\"https://m.example/notes/1\",\"reason\":\"x\"}", 404, "nothing"));
    json_decref(expect(fx, "POST", C "/pins", NULL, JSON,
                       "{\"object\":\"https://m.example/notes/1\"}", 404, "nothing to pin"));
    json_decref(expect(fx, "POST", C "/reports/7/resolve", NULL, JSON, "{}", 404, "nothing"));
    json_decref(expect(fx, "POST", C "/reports/x/dismiss", NULL, JSON, "{}", 404, "no such report"));
    json_t *doc = expect(fx, "GET", C "/reports", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 0);
    json_decref(doc);
    doc = expect(fx, "GET", C "/inbox", NULL, NULL, NULL, 200, NULL);
    assert_true(json_is_array(json_object_get(doc, "items")));
    json_decref(doc);
    /* without the token nothing is listed */
    fx->auth[0] = '\0';
    json_decref(expect(fx, "GET", C "/bans", NULL, NULL, NULL, 401, "unauthorized"));
    json_decref(expect(fx, "GET", "/api/v1/communities/nope/bans", NULL, NULL, NULL, 401,
                       "unauthorized"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pending_approve_by_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(bans_need_reason_and_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(moderators_and_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(posts_and_reports_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
