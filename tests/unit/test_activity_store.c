/* SPDX-License-Identifier: Apache-2.0
 * test_activity_store.c - the received-activity log, the dedupe set, the remote key cache and
 * group commit: many threads appending through one committer lose nothing, duplicates are
 * refused without touching the others of their batch, and everything survives a reopen. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/activity_store.h"
#include "gemeinde/committer.h"
#include "gemeinde/keycache.h"
#include "gemeinde/remote.h"
#include "gemeinde/store.h"
#include "test_util.h"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static gm_err append_fn(struct gm_txn *txn, void *arg) { return gm_activity_append(txn, arg, NULL); }

static size_t count(struct gm_store *st)
{
    struct gm_txn *txn;
    size_t n = 0;
    assert_int_equal(gm_txn_begin(st, false, &txn), GM_OK);
    assert_int_equal(gm_activity_count(txn, &n), GM_OK);
    gm_txn_abort(txn);
    return n;
}

static void append_and_dedupe(void **state)
{
    struct tu_store *f = *state;
    struct gm_activity_rec rec = {.id = "https://a.example/a/1", .community = "demo",
                                  .actor = "https://a.example/u/x", .type = "Create",
                                  .json = "{\"type\":\"Create\"}", .received = 1700000000};
    struct gm_txn *txn;
    uint64_t seq = 0;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_activity_seen(txn, rec.id), GM_ENOTFOUND);
    assert_int_equal(gm_activity_append(txn, &rec, &seq), GM_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(gm_activity_seen(txn, rec.id), GM_OK);
    assert_int_equal(gm_activity_append(txn, &rec, &seq), GM_EEXISTS);
    rec.id = NULL; /* activities without id are logged, never deduped */
    assert_int_equal(gm_activity_append(txn, &rec, &seq), GM_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(gm_txn_commit(txn), GM_OK);

    char *json = NULL;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_activity_get(txn, 1, &json), GM_OK);
    json_t *doc = json_loads(json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "community")), "demo");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "activity"),
                                                          "type")),
                        "Create");
    json_decref(doc);
    free(json);
    assert_int_equal(gm_activity_get(txn, 3, &json), GM_ENOTFOUND);
    gm_txn_abort(txn);
    assert_int_equal(count(f->st), 2);
}

#define THREADS 8
#define PER_THREAD 200

struct worker_arg {
    struct gm_committer *c;
    struct gm_store *st;
    int index;
    int ok, dup;
};

static void *worker(void *p)
{
    struct worker_arg *w = p;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[64];
        /* every id is sent twice, by two threads: exactly one wins */
        snprintf(id, sizeof id, "https://a.example/a/%d", (w->index / 2) * PER_THREAD + i);
        struct gm_activity_rec rec = {.id = id, .actor = "https://a.example/u/x",
                                      .type = "Like", .json = "{}", .received = 1};
        gm_err e = gm_committer_run(w->c, w->st, append_fn, &rec);
        if (e == GM_OK)
            w->ok++;
        else if (e == GM_EEXISTS)
            w->dup++;
    }
    return NULL;
}

static void group_commit_threads(void **state)
{
    struct tu_store *f = *state;
    struct gm_committer *c;
    assert_int_equal(gm_committer_start(f->st, &c), GM_OK);
    pthread_t t[THREADS];
    struct worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct worker_arg){.c = c, .st = f->st, .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    int ok = 0, dup = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += args[i].ok;
        dup += args[i].dup;
    }
    gm_committer_stop(c);
    assert_int_equal(ok, THREADS * PER_THREAD / 2);
    assert_int_equal(dup, THREADS * PER_THREAD / 2);
    /* durable: visible after closing and reopening the environment */
    gm_store_close(f->st);
    assert_int_equal(gm_store_open(f->dir, 64, &f->st, NULL, 0), GM_OK);
    assert_int_equal(count(f->st), THREADS * PER_THREAD / 2);
}

static gm_err failing_fn(struct gm_txn *txn, void *arg)
{
    gm_err e = gm_activity_append(txn, arg, NULL);
    return e == GM_OK ? GM_EINVAL : e; /* write, then fail: must be rolled back */
}

static void committer_rolls_back_one_job(void **state)
{
    struct tu_store *f = *state;
    struct gm_committer *c;
    struct gm_activity_rec rec = {.id = "https://a.example/a/rollback", .actor = "x",
                                  .type = "Like", .json = "{}", .received = 1};
    assert_int_equal(gm_committer_start(f->st, &c), GM_OK);
    assert_int_equal(gm_committer_run(c, f->st, failing_fn, &rec), GM_EINVAL);
    gm_committer_stop(c);
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_activity_seen(txn, rec.id), GM_ENOTFOUND);
    gm_txn_abort(txn);
    assert_int_equal(count(f->st), 0);
    /* without a committer, the same call runs in its own transaction */
    assert_int_equal(gm_committer_run(NULL, f->st, append_fn, &rec), GM_OK);
    assert_int_equal(count(f->st), 1);
}

static void remote_key_round_trip(void **state)
{
    struct tu_store *f = *state;
    struct gm_remote_key k = {.key_id = "https://a.example/u/x#main-key",
                              .owner = "https://a.example/u/x", .pem = "PEM", .fetched_at = 100,
                              .refetch_at = 0};
    struct gm_remote_key *got = NULL;
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_remote_key_get(txn, k.key_id, &got), GM_ENOTFOUND);
    assert_int_equal(gm_remote_key_put(txn, &k), GM_OK);
    assert_int_equal(gm_remote_key_get(txn, k.key_id, &got), GM_OK);
    assert_string_equal(got->owner, k.owner);
    assert_string_equal(got->pem, "PEM");
    assert_int_equal(got->fetched_at, 100);
    gm_txn_commit(txn);
    /* refetch rate limit: a key never refetched may be refetched at once (a rotation right
     * after the first fetch); after a refetch, not again before the interval has passed */
    assert_true(gm_keycache_may_refetch(got, 101));
    got->refetch_at = 1000;
    assert_false(gm_keycache_may_refetch(got, 1000 + GM_KEYCACHE_REFETCH_INTERVAL - 1));
    assert_true(gm_keycache_may_refetch(got, 1000 + GM_KEYCACHE_REFETCH_INTERVAL));
    gm_remote_key_free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(append_and_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(group_commit_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(committer_rolls_back_one_job, setup, teardown),
        cmocka_unit_test_setup_teardown(remote_key_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
