/* SPDX-License-Identifier: Apache-2.0
 * test_inbox_keys.c - how the inbox gets the signer's key, against the real daemon and fake
 * remote servers on 127.0.0.2 and 127.0.0.3 (fake_peer.c): a key document must be listed back
 * by its owner (discourse-activity-pub #325/#327); the document's media type and id and the
 * origin of redirects are checked (Mastodon CVE-2024-25623, CVE-2023-42451); no fetch to a
 * private address unless allowed (Lemmy GHSA-c482-7gjx-pp36); key rotation refetches, and
 * refetches are rate-limited; a slow key server holds up nobody else. Each test gets its own
 * node folder, daemon and peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_peer.h"
#include "harness.h"

#define AS_LD "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""

static const char *binary;

/* Key pairs made once for the run: alice, bob, and two more for alice's rotations. */
static struct gm_fp_key alice_k, bob_k, new_k, unknown_k;

static int setup_world(void **state, int private_fetch)
{
    struct gm_fp_world *w = calloc(1, sizeof *w);
    if (!w || gm_fp_world_start(w, binary, private_fetch, alice_k.pem, bob_k.pem) != 0) {
        free(w);
        return -1;
    }
    *state = w;
    return 0;
}

static int setup(void **state)
{
    return setup_world(state, 1);
}

static int setup_no_private(void **state)
{
    return setup_world(state, 0);
}

static int teardown(void **state)
{
    struct gm_fp_world *w = *state;
    int rc = gm_fp_world_stop(w);
    free(w);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct gm_fp_sig signed_by(const char *key_id, const struct gm_fp_key *k)
{
    return (struct gm_fp_sig){.key_id = key_id, .key = k->key};
}

static char *create_note(const char *actor, const char *tag)
{
    char id[300];
    snprintf(id, sizeof id, "%s/notes/%s", actor, tag);
    return gm_fp_activity(actor, "Create", tag, gm_fp_note(id, actor, "text"));
}

/* POST a Create of `actor` signed as `s` and expect `status` (202 means "accepted"). */
static void expect_create(struct gm_fp_world *w, const char *actor, const char *tag,
                          const struct gm_fp_sig *s, long status, const char *what)
{
    char *body = create_note(actor, tag), *answer = NULL;
    long got = gm_fp_post(&w->d, "/c/town/inbox", body, s, &answer);
    if (got != status || (status == 202 && !strstr(answer, "\"accepted\"")))
        fail_msg("%s: status %ld, want %ld; answer: %s", what, got, status,
                 answer ? answer : "(none)");
    free(answer);
    free(body);
}

static void expect_count(struct gm_fp_world *w, long want, const char *what)
{
    long n = gm_fp_stored_count(w->env.data_dir);
    if (n != want)
        fail_msg("%s: %ld activities stored, want %ld", what, n, want);
}

static void expect_hits(struct gm_fp *p, const char *path, unsigned want, const char *what)
{
    unsigned n = gm_fp_hits(p, path);
    if (n != want)
        fail_msg("%s: %u requests to %s, want %u", what, n, path ? path : "the peer", want);
}

/* Serve `doc` (stolen) at `path` of p; content_type NULL: application/activity+json. */
static void serve_json(struct gm_fp *p, const char *path, json_t *doc, const char *content_type)
{
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    struct gm_fp_doc d = {.body = text, .content_type = content_type};
    assert_int_equal(gm_fp_serve(p, path, &d), 0);
    free(text);
    json_decref(doc);
}

/* ---- 7: a key document must be listed by its owner -------------------------------------- */

static void test_key_document_binding(void **state)
{
    struct gm_fp_world *w = *state;
    char key1[200], key2[200], key3[200], dora[200];
    snprintf(key1, sizeof key1, "%s", gm_fp_url(w->a, "/keys/1"));
    snprintf(key2, sizeof key2, "%s", gm_fp_url(w->a, "/keys/2"));
    snprintf(key3, sizeof key3, "%s", gm_fp_url(w->a, "/keys/3"));
    snprintf(dora, sizeof dora, "%s", gm_fp_url(w->a, "/users/dora"));

    /* /keys/1 says its owner is alice, but alice lists only alice#main-key */
    serve_json(w->a, "/keys/1",
               json_pack("{s:s, s:s, s:s, s:s}", "id", key1, "type", "CryptographicKey", "owner",
                         w->alice, "publicKeyPem", alice_k.pem),
               NULL);
    struct gm_fp_sig s = signed_by(key1, &alice_k);
    expect_create(w, w->alice, "k1", &s, 401, "key document not listed by its owner");
    expect_hits(w->a, "/keys/1", 1, "key 1");
    expect_hits(w->a, "/users/alice", 1, "key 1's owner");

    /* /keys/3 claims an owner on another origin: not even fetched */
    serve_json(w->a, "/keys/3",
               json_pack("{s:s, s:s, s:s, s:s}", "id", key3, "type", "CryptographicKey", "owner",
                         w->bob, "publicKeyPem", bob_k.pem),
               NULL);
    s = signed_by(key3, &bob_k);
    expect_create(w, w->bob, "k3", &s, 401, "key document owned across origins");
    expect_hits(w->b, NULL, 0, "bob's peer");
    expect_count(w, 0, "after the unbound keys");

    /* the control: dora lists /keys/2 (in a publicKey array) and it names her */
    serve_json(w->a, "/keys/2",
               json_pack("{s:s, s:s, s:s, s:s}", "id", key2, "type", "CryptographicKey", "owner",
                         dora, "publicKeyPem", alice_k.pem),
               NULL);
    char dora_main[220];
    snprintf(dora_main, sizeof dora_main, "%s#main-key", dora);
    serve_json(w->a, "/users/dora",
               json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "id", dora,
                         "type", "Person", "inbox", gm_fp_url(w->a, "/users/dora/inbox"),
                         "publicKey", "id", dora_main, "owner", dora, "publicKeyPem", bob_k.pem,
                         "id", key2, "owner", dora, "publicKeyPem", alice_k.pem),
               NULL);
    s = signed_by(key2, &alice_k);
    expect_create(w, dora, "k2", &s, 202, "key document listed by its owner");
    expect_count(w, 1, "after the bound key");
    w->finished = 1;
}

/* ---- 8: media type, id, redirects ------------------------------------------------------- */

static void serve_actor_as(struct gm_fp_world *w, const char *path, const char *id,
                           const char *content_type)
{
    char key_id[300];
    snprintf(key_id, sizeof key_id, "%s#main-key", gm_fp_url(w->a, path));
    char *body = gm_fp_actor_json(id, key_id, alice_k.pem);
    struct gm_fp_doc d = {.body = body, .content_type = content_type};
    assert_int_equal(gm_fp_serve(w->a, path, &d), 0);
    free(body);
}

static void post_as(struct gm_fp_world *w, const char *path, const char *tag, long status,
                    const char *what)
{
    char actor[200], key_id[220];
    snprintf(actor, sizeof actor, "%s", gm_fp_url(w->a, path));
    snprintf(key_id, sizeof key_id, "%s#main-key", actor);
    struct gm_fp_sig s = signed_by(key_id, &alice_k);
    expect_create(w, actor, tag, &s, status, what);
}

static void test_key_document_checks(void **state)
{
    struct gm_fp_world *w = *state;
    serve_actor_as(w, "/users/html", gm_fp_url(w->a, "/users/html"), "text/html; charset=utf-8");
    post_as(w, "/users/html", "html", 401, "actor served as text/html");
    serve_actor_as(w, "/users/json", gm_fp_url(w->a, "/users/json"), "application/json");
    post_as(w, "/users/json", "json", 401, "actor served as application/json");
    serve_actor_as(w, "/users/wrongid", gm_fp_url(w->a, "/users/someone-else"), NULL);
    post_as(w, "/users/wrongid", "id", 401, "actor whose id is not its URL");

    /* a redirect to 127.0.0.3, which serves a good-looking copy */
    struct gm_fp_doc redirect = {.status = 302, .location = gm_fp_url(w->b, "/users/redir")};
    assert_int_equal(gm_fp_serve(w->a, "/users/redir", &redirect), 0);
    char copy_key[300];
    snprintf(copy_key, sizeof copy_key, "%s#main-key", gm_fp_url(w->a, "/users/redir"));
    char *copy = gm_fp_actor_json(gm_fp_url(w->a, "/users/redir"), copy_key, alice_k.pem);
    struct gm_fp_doc d = {.body = copy};
    assert_int_equal(gm_fp_serve(w->b, "/users/redir", &d), 0);
    free(copy);
    post_as(w, "/users/redir", "redir", 401, "redirect to another origin");
    expect_hits(w->a, "/users/redir", 1, "the redirecting peer");
    expect_hits(w->b, NULL, 0, "the redirect target");
    expect_count(w, 0, "after the bad documents");

    /* the controls: ld+json with the AS profile; a redirect within the origin */
    serve_actor_as(w, "/users/ld", gm_fp_url(w->a, "/users/ld"), AS_LD);
    post_as(w, "/users/ld", "ld", 202, "actor served as ld+json with the AS profile");
    char moved[200], here_key[220];
    snprintf(moved, sizeof moved, "%s", gm_fp_url(w->a, "/users/moved"));
    snprintf(here_key, sizeof here_key, "%s", gm_fp_url(w->a, "/users/here#main-key"));
    struct gm_fp_doc local = {.status = 301, .location = moved};
    assert_int_equal(gm_fp_serve(w->a, "/users/here", &local), 0);
    char *moved_doc = gm_fp_actor_json(moved, here_key, alice_k.pem);
    struct gm_fp_doc md = {.body = moved_doc};
    assert_int_equal(gm_fp_serve(w->a, "/users/moved", &md), 0);
    free(moved_doc);
    struct gm_fp_sig s = signed_by(here_key, &alice_k);
    expect_create(w, moved, "moved", &s, 202, "key behind a same-origin redirect");
    expect_hits(w->a, "/users/moved", 1, "the redirect target on the same origin");
    expect_count(w, 2, "after the controls");
    w->finished = 1;
}

/* ---- 9: no fetch to a private address --------------------------------------------------- */

static void test_ssrf_guard(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = signed_by(w->alice_key, &alice_k);
    expect_create(w, w->alice, "ssrf", &s, 401, "key on 127.0.0.2 without allow_private");
    expect_hits(w->a, NULL, 0, "the private peer");
    expect_count(w, 0, "after the refused key");
    w->finished = 1;
}

/* ---- 10: rotation and the refetch rate limit -------------------------------------------- */

/* As the brief has it: the key changes right after it was first fetched. */
static void test_key_rotation(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = signed_by(w->alice_key, &alice_k);
    expect_create(w, w->alice, "before", &s, 202, "with the first key");
    assert_int_equal(gm_fp_serve_actor(w->a, "/users/alice", new_k.pem), 0);
    s = signed_by(w->alice_key, &new_k);
    expect_create(w, w->alice, "after", &s, 202, "with the rotated key, fetched 0 s ago");
    expect_hits(w->a, "/users/alice", 2, "fetch, then one refetch");
    w->finished = 1;
}

struct flood {
    struct gm_fp_world *w;
    int first, n;
    long statuses[8];
};

static void *flood_thread(void *arg)
{
    struct flood *f = arg;
    struct gm_fp_sig s = signed_by(f->w->alice_key, &unknown_k);
    for (int i = 0; i < f->n; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "flood-%d", f->first + i);
        char *body = create_note(f->w->alice, tag);
        f->statuses[i] = gm_fp_post(&f->w->d, "/c/town/inbox", body, &s, NULL);
        free(body);
    }
    return NULL;
}

/* 30 POSTs with a key alice never published, from 5 threads at once: all 401. */
static void flood(struct gm_fp_world *w)
{
    struct flood f[5];
    pthread_t t[5];
    for (int i = 0; i < 5; i++) {
        f[i] = (struct flood){.w = w, .first = i * 6, .n = 6};
        assert_int_equal(pthread_create(&t[i], NULL, flood_thread, &f[i]), 0);
    }
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < f[i].n; j++)
            if (f[i].statuses[j] != 401)
                fail_msg("flood POST %d: status %ld, want 401", f[i].first + j, f[i].statuses[j]);
}

/* The key was cached long ago (aged in the store), so a failed verification may refetch:
 * rotation works, and a flood of bad signatures costs at most one more fetch. */
static void test_key_rotation_and_rate_limit(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = signed_by(w->alice_key, &alice_k);
    expect_create(w, w->alice, "before", &s, 202, "with the first key");
    assert_int_equal(gm_fp_age_key(w->env.data_dir, w->alice_key, 400), 0);
    assert_int_equal(gm_fp_serve_actor(w->a, "/users/alice", new_k.pem), 0);
    s = signed_by(w->alice_key, &new_k);
    expect_create(w, w->alice, "after", &s, 202, "with the rotated key, fetched 400 s ago");
    expect_hits(w->a, "/users/alice", 2, "fetch, then one refetch");

    flood(w); /* just refetched: no more fetches */
    expect_hits(w->a, "/users/alice", 2, "30 bad signatures right after a refetch");
    assert_int_equal(gm_fp_age_key(w->env.data_dir, w->alice_key, 400), 0);
    flood(w); /* a refetch is due: exactly one, however many arrive at once */
    unsigned n = gm_fp_hits(w->a, "/users/alice");
    if (n > 3)
        fail_msg("30 concurrent bad signatures caused %u refetches of the key, want at most 1",
                 n - 2);
    expect_count(w, 2, "after the floods");
    w->finished = 1;
}

/* ---- 11: a slow key server stalls nobody else ------------------------------------------- */

struct slow_post {
    struct gm_fp_world *w;
    const char *actor, *key_id;
    long status;
    long long ms;
};

static void *slow_thread(void *arg)
{
    struct slow_post *sp = arg;
    struct gm_fp_sig s = signed_by(sp->key_id, &bob_k);
    s.timeout_ms = 30000;
    char *body = create_note(sp->actor, "slow");
    long long t0 = now_ms();
    sp->status = gm_fp_post(&sp->w->d, "/c/town/inbox", body, &s, NULL);
    sp->ms = now_ms() - t0;
    free(body);
    return NULL;
}

static void test_slow_key_server(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = signed_by(w->alice_key, &alice_k);
    expect_create(w, w->alice, "warm", &s, 202, "alice, to cache her key");

    char slow[200], slow_key[220];
    snprintf(slow, sizeof slow, "%s", gm_fp_url(w->b, "/users/slow"));
    snprintf(slow_key, sizeof slow_key, "%s#main-key", slow);
    char *doc = gm_fp_actor_json(slow, slow_key, bob_k.pem);
    struct gm_fp_doc d = {.body = doc, .delay_ms = 8000};
    assert_int_equal(gm_fp_serve(w->b, "/users/slow", &d), 0);
    free(doc);
    struct slow_post sp = {.w = w, .actor = slow, .key_id = slow_key};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_thread, &sp), 0);
    if (gm_fp_wait_hits(w->b, "/users/slow", 1, 5000) != 0) {
        pthread_join(t, NULL);
        fail_msg("the daemon never asked for the slow key");
    }

    CURL *c = gm_h_curl_new();
    for (int i = 0; i < 20; i++) {
        struct gm_h_resp resp;
        long long t0 = now_ms();
        int rc = gm_h_http(&w->d, c, "GET", "/healthz", NULL, NULL, 0, &resp);
        long long ms = now_ms() - t0;
        long status = resp.status;
        gm_h_resp_clear(&resp);
        if (rc != 0 || status != 200 || ms > 1000)
            fail_msg("GET /healthz %d during the slow fetch: rc %d, status %ld, %lld ms", i, rc,
                     status, ms);
    }
    curl_easy_cleanup(c);
    long long t0 = now_ms();
    expect_create(w, w->alice, "cached", &s, 202, "alice (cached key) during the slow fetch");
    long long ms = now_ms() - t0;
    if (ms > 1000)
        fail_msg("a POST with a cached key took %lld ms during the slow fetch", ms);
    assert_int_equal(gm_fp_serve_actor(w->a, "/users/erin", bob_k.pem), 0);
    char erin[200], erin_key[220];
    snprintf(erin, sizeof erin, "%s", gm_fp_url(w->a, "/users/erin"));
    snprintf(erin_key, sizeof erin_key, "%s#main-key", erin);
    s = signed_by(erin_key, &bob_k);
    t0 = now_ms();
    expect_create(w, erin, "fresh", &s, 202, "erin (key fetched) during the slow fetch");
    ms = now_ms() - t0;
    if (ms > 2000)
        fail_msg("a POST needing a fast fetch took %lld ms during the slow fetch", ms);

    pthread_join(t, NULL);
    if ((sp.status != 401 && sp.status != 202) || sp.ms > 15000)
        fail_msg("the slow POST: status %ld after %lld ms", sp.status, sp.ms);
    print_message("slow key server: the waiting POST answered %ld after %lld ms\n", sp.status,
                  sp.ms);
    w->finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&alice_k) != 0 || gm_fp_key_rsa(&bob_k) != 0 || gm_fp_key_rsa(&new_k) != 0 ||
        gm_fp_key_rsa(&unknown_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_key_document_binding),
        T(test_key_document_checks),
        cmocka_unit_test_setup_teardown(test_ssrf_guard, setup_no_private, teardown),
        T(test_key_rotation),
        T(test_key_rotation_and_rate_limit),
        T(test_slow_key_server),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&alice_k);
    gm_fp_key_clear(&bob_k);
    gm_fp_key_clear(&new_k);
    gm_fp_key_clear(&unknown_k);
    curl_global_cleanup();
    return failed;
}
