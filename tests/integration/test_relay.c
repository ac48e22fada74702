/* SPDX-License-Identifier: Apache-2.0
 * test_relay.c - membership and relaying against the real daemon, with fake remote servers on
 * 127.0.0.2 and 127.0.0.3 (fake_peer.c) that serve actors (with shared inboxes), NodeInfo, and
 * inboxes that record what they receive: a Follow is answered by a signed Accept; a member's
 * public post becomes one Announce per distinct inbox, shaped per destination software; private
 * posts and non-members' posts go nowhere; 500 is retried with backoff, 410 dropped; after an
 * Undo(Follow) nothing more reaches the former member. Retry delays are skipped by moving the
 * queued jobs to "due now" from the test process. Each test gets its own node and peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_peer.h"
#include "harness.h"

#define COMMUNITY_INBOX "/c/town/inbox"
#define WAIT_MS 10000 /* a delivery that should happen, under ASan */
#define QUIET_MS 2000 /* a delivery that must not happen */

static const char *binary;
static struct gm_fp_key alice_k, bob_k, carol_k;

/* One remote actor the test speaks for. */
struct person {
    struct gm_fp *peer;                   /* borrowed */
    char path[64];                        /* of its actor document */
    char id[200], key_id[220], inbox[64]; /* inbox: its personal inbox's path */
    const struct gm_fp_key *key;
};

struct relay_world {
    struct gm_fp_world w;
    char community[200]; /* BASE/c/town */
    EVP_PKEY *community_key;
};

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The community's public key, from its actor document; its key id is BASE/c/town#main-key. */
static EVP_PKEY *community_key(struct relay_world *rw)
{
    struct gm_h_resp resp;
    EVP_PKEY *key = NULL;
    char want[240];
    if (gm_h_get(&rw->w.d, "/c/town", GM_FP_AP_TYPE, &resp) != 0)
        return NULL;
    json_t *doc = json_loads(resp.body, 0, NULL), *pk = json_object_get(doc, "publicKey");
    const char *pem = json_string_value(json_object_get(pk, "publicKeyPem"));
    const char *id = json_string_value(json_object_get(pk, "id"));
    snprintf(want, sizeof want, "%s#main-key", rw->community);
    if (resp.status == 200 && pem && id && !strcmp(id, want))
        gm_httpsig_load_public_pem(pem, strlen(pem), &key);
    json_decref(doc);
    gm_h_resp_clear(&resp);
    return key;
}

static int setup(void **state)
{
    struct relay_world *rw = calloc(1, sizeof *rw);
    if (!rw || gm_fp_world_start(&rw->w, binary, 1, alice_k.pem, bob_k.pem) != 0) {
        free(rw);
        return -1;
    }
    snprintf(rw->community, sizeof rw->community, "%s/c/town", rw->w.d.base_url);
    /* every inbox accepts unless a test says otherwise */
    static const char *const inboxes[] = {"/inbox", "/users/alice/inbox", "/users/bob/inbox",
                                          "/users/carol/inbox"};
    struct gm_fp_doc accepted = {.status = 202, .body = "{}"};
    for (size_t i = 0; i < sizeof inboxes / sizeof inboxes[0]; i++)
        if (gm_fp_serve(rw->w.a, inboxes[i], &accepted) != 0 ||
            gm_fp_serve(rw->w.b, inboxes[i], &accepted) != 0)
            goto fail;
    if (!(rw->community_key = community_key(rw)))
        goto fail;
    *state = rw;
    return 0;
fail:
    fprintf(stderr, "test_relay: setup failed\n");
    rw->w.finished = 1;
    gm_fp_world_stop(&rw->w);
    free(rw);
    return -1;
}

static int teardown(void **state)
{
    struct relay_world *rw = *state;
    int rc = gm_fp_world_stop(&rw->w);
    EVP_PKEY_free(rw->community_key);
    free(rw);
    return rc;
}

/* Serve `name` at /users/NAME of `peer` (shared: endpoints.sharedInbox = peer's /inbox). */
static struct person person(struct gm_fp *peer, const char *name, const struct gm_fp_key *key,
                            int shared)
{
    struct person p = {.peer = peer, .key = key};
    snprintf(p.path, sizeof p.path, "/users/%s", name);
    snprintf(p.inbox, sizeof p.inbox, "/users/%s/inbox", name);
    snprintf(p.id, sizeof p.id, "%s", gm_fp_url(peer, p.path));
    snprintf(p.key_id, sizeof p.key_id, "%s#main-key", p.id);
    if (gm_fp_serve_actor_shared(peer, p.path, key->pem,
                                 shared ? gm_fp_url(peer, "/inbox") : NULL) != 0)
        fail_msg("cannot serve %s", p.id);
    return p;
}

/* POST `body` to the community inbox as `who`; it must be accepted (202 "accepted"). */
static void post_as(struct relay_world *rw, const struct person *who, const char *body,
                    const char *what)
{
    struct gm_fp_sig s = {.key_id = who->key_id, .key = who->key->key};
    char *answer = NULL;
    long status = gm_fp_post(&rw->w.d, COMMUNITY_INBOX, body, &s, &answer);
    json_t *doc = answer ? json_loads(answer, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(doc, "status"));
    if (status != 202 || !v || strcmp(v, "accepted") != 0)
        fail_msg("%s: status %ld, answer %s; want 202 accepted", what, status,
                 answer ? answer : "(none)");
    json_decref(doc);
    free(answer);
}

static json_t *activity(const struct person *who, const char *type, const char *tag, json_t *object)
{
    char id[300];
    snprintf(id, sizeof id, "%s/activities/%s", who->id, tag);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type", type, "actor",
                     who->id, "object", object);
}

static char *dump(json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    assert_non_null(s);
    return s;
}

/* Follow the community; the Follow document is returned (new reference). */
static json_t *follow(struct relay_world *rw, const struct person *who)
{
    json_t *doc = activity(who, "Follow", "follow-1", json_string(rw->community));
    char *body = dump(doc);
    post_as(rw, who, body, "Follow");
    free(body);
    return doc;
}

/* Follow and wait for the Accept at the personal inbox (the n-th request there). */
static void join(struct relay_world *rw, const struct person *who, unsigned n)
{
    json_decref(follow(rw, who));
    if (gm_fp_wait_hits(who->peer, who->inbox, n, WAIT_MS) != 0)
        fail_msg("no Accept reached %s within %d ms", who->inbox, WAIT_MS);
}

/* A Create of a Note addressed to the community. public: to Public, cc the community;
 * otherwise followers-only: to the author's followers and the community. New reference. */
static json_t *create_note(const struct relay_world *rw, const struct person *who, const char *tag,
                           int public)
{
    char note_id[300], followers[240];
    snprintf(note_id, sizeof note_id, "%s/notes/%s", who->id, tag);
    snprintf(followers, sizeof followers, "%s/followers", who->id);
    json_t *to =
        public ? json_pack("[s]", GM_FP_PUBLIC) : json_pack("[s,s]", followers, rw->community);
    json_t *cc = public ? json_pack("[s]", rw->community) : json_array();
    json_t *note = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "id", note_id, "type", "Note",
                             "attributedTo", who->id, "content", "hello town", "to", to, "cc", cc);
    json_t *doc = activity(who, "Create", tag, note);
    json_object_set_new(doc, "to", to);
    json_object_set_new(doc, "cc", cc);
    return doc;
}

/* POST a Create, return it (new reference). */
static json_t *post_note(struct relay_world *rw, const struct person *who, const char *tag,
                         int public)
{
    json_t *doc = create_note(rw, who, tag, public);
    char *body = dump(doc);
    post_as(rw, who, body, public ? "public Create" : "followers-only Create");
    free(body);
    return doc;
}

/* Request n at path of peer: parsed JSON (new reference), signed by the community. */
static json_t *received(struct relay_world *rw, struct gm_fp *peer, const char *path, unsigned n,
                        const char *type)
{
    char *body = gm_fp_body(peer, path, n), *key_id = NULL, want[240];
    if (!body)
        fail_msg("no request %u at %s", n, path);
    json_t *doc = json_loads(body, 0, NULL);
    if (!doc || !json_string_value(json_object_get(doc, "type")) ||
        strcmp(json_string_value(json_object_get(doc, "type")), type) != 0)
        fail_msg("request %u at %s is not a %s: %s", n, path, type, body);
    assert_string_equal(json_string_value(json_object_get(doc, "actor")), rw->community);
    gm_err e = gm_fp_verify(peer, path, n, rw->community_key, &key_id);
    if (e != GM_OK)
        fail_msg("%s %u at %s does not verify with the community key: %s", type, n, path,
                 gm_strerror(e));
    snprintf(want, sizeof want, "%s#main-key", rw->community);
    assert_string_equal(key_id, want);
    free(key_id);
    free(body);
    return doc;
}

static long total_items(struct relay_world *rw, const char *path)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&rw->w.d, path, GM_FP_AP_TYPE, &resp), 0);
    assert_int_equal(resp.status, 200);
    json_t *doc = json_loads(resp.body, 0, NULL);
    long n = (long)json_integer_value(json_object_get(doc, "totalItems"));
    json_decref(doc);
    gm_h_resp_clear(&resp);
    return n;
}

/* Wait until the queue holds `count` jobs for `inbox` with `attempts` attempts at most. */
static void wait_queue(struct relay_world *rw, const char *inbox, long count, unsigned attempts,
                       int64_t *next_due)
{
    long n = -1;
    unsigned got = 0;
    for (int waited = 0; waited < WAIT_MS; waited += 20) {
        n = gm_fp_queue_peek(rw->w.env.data_dir, inbox, &got, next_due);
        if (n == count && (count == 0 || got == attempts))
            return;
        msleep(20);
    }
    fail_msg("queue for %s: %ld jobs with %u attempts, want %ld with %u", inbox, n, got, count,
             attempts);
}

/* ---- 1: Follow -> Accept ---------------------------------------------------------------- */

static void test_follow_accept(void **state)
{
    struct relay_world *rw = *state;
    struct person alice = person(rw->w.a, "alice", &alice_k, 1);
    json_t *sent = follow(rw, &alice);
    assert_int_equal(gm_fp_wait_hits(rw->w.a, alice.inbox, 1, WAIT_MS), 0);
    json_t *accept = received(rw, rw->w.a, alice.inbox, 0, "Accept");
    if (!json_equal(json_object_get(accept, "object"), sent))
        fail_msg("Accept object %s is not the Follow %s",
                 json_dumps(json_object_get(accept, "object"), JSON_COMPACT),
                 json_dumps(sent, JSON_COMPACT));
    json_decref(accept);
    json_decref(sent);
    assert_int_equal(total_items(rw, "/c/town/followers"), 1);
    msleep(500);
    assert_int_equal(gm_fp_hits(rw->w.a, alice.inbox), 1); /* one Accept */
    assert_int_equal(gm_fp_hits(rw->w.a, "/inbox"), 0);    /* to the personal inbox */
    rw->w.finished = 1;
}

/* ---- 2: one Announce per distinct inbox, shaped per software ---------------------------- */

static void test_announce_fanout(void **state)
{
    struct relay_world *rw = *state;
    assert_int_equal(gm_fp_serve_nodeinfo(rw->w.b, "lemmy"), 0);
    struct person alice = person(rw->w.a, "alice", &alice_k, 1);
    struct person bob = person(rw->w.a, "bob", &bob_k, 1); /* alice's host and shared inbox */
    struct person carol = person(rw->w.b, "carol", &carol_k, 1);
    join(rw, &alice, 1);
    join(rw, &bob, 1);
    join(rw, &carol, 1);
    assert_int_equal(total_items(rw, "/c/town/followers"), 3);

    json_t *create = post_note(rw, &alice, "fanout", 1);
    const char *note_id =
        json_string_value(json_object_get(json_object_get(create, "object"), "id"));
    assert_int_equal(gm_fp_wait_hits(rw->w.a, "/inbox", 1, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(rw->w.b, "/inbox", 1, WAIT_MS), 0);
    msleep(1000);
    assert_int_equal(gm_fp_hits(rw->w.a, "/inbox"), 1); /* alice and bob share it: once */
    assert_int_equal(gm_fp_hits(rw->w.b, "/inbox"), 1);
    assert_int_equal(gm_fp_hits(rw->w.a, alice.inbox), 1); /* the Accept only */
    assert_int_equal(gm_fp_hits(rw->w.a, bob.inbox), 1);
    assert_int_equal(gm_fp_hits(rw->w.b, carol.inbox), 1);

    json_t *micro = received(rw, rw->w.a, "/inbox", 0, "Announce");
    json_t *group = received(rw, rw->w.b, "/inbox", 0, "Announce");
    json_t *object = json_object_get(micro, "object");
    if (!json_is_string(object) || strcmp(json_string_value(object), note_id) != 0)
        fail_msg("Announce to a plain server has object %s, want the string %s",
                 json_dumps(object, JSON_COMPACT | JSON_ENCODE_ANY), note_id);
    if (!json_equal(json_object_get(group, "object"), create))
        fail_msg("Announce to lemmy has object %s, want the Create",
                 json_dumps(json_object_get(group, "object"), JSON_COMPACT | JSON_ENCODE_ANY));
    const char *id = json_string_value(json_object_get(group, "id"));
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(micro, "id")), id);
    assert_int_equal(total_items(rw, "/c/town/outbox"), 1);

    /* the Announce id resolves to the outbox entry */
    struct gm_h_resp resp;
    assert_int_equal(strncmp(id, rw->w.d.base_url, strlen(rw->w.d.base_url)), 0);
    assert_int_equal(gm_h_get(&rw->w.d, id + strlen(rw->w.d.base_url), GM_FP_AP_TYPE, &resp), 0);
    assert_int_equal(resp.status, 200);
    json_t *stored = json_loads(resp.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(stored, "id")), id);
    json_decref(stored);
    gm_h_resp_clear(&resp);
    json_decref(micro);
    json_decref(group);
    json_decref(create);
    rw->w.finished = 1;
}

/* ---- 3: private posts and non-members' posts are not relayed ---------------------------- */

static void test_not_relayed(void **state)
{
    struct relay_world *rw = *state;
    struct person alice = person(rw->w.a, "alice", &alice_k, 0);
    struct person bob = person(rw->w.b, "bob", &bob_k, 0); /* not a member */
    join(rw, &alice, 1);

    json_decref(post_note(rw, &alice, "private", 0));
    json_decref(post_note(rw, &bob, "outsider", 1));
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(rw->w.a, alice.inbox), 1); /* the Accept only */
    assert_int_equal(gm_fp_hits(rw->w.a, "/inbox"), 0);
    assert_int_equal(gm_fp_hits(rw->w.b, bob.inbox), 0);
    assert_int_equal(gm_fp_hits(rw->w.b, "/inbox"), 0);
    assert_int_equal(total_items(rw, "/c/town/outbox"), 0);
    assert_int_equal(gm_fp_queue_peek(rw->w.env.data_dir, NULL, NULL, NULL), 0);
    assert_int_equal(gm_fp_stored_count(rw->w.env.data_dir), 3); /* Follow and both Creates */

    /* the control: alice's public post reaches her */
    json_decref(post_note(rw, &alice, "public", 1));
    assert_int_equal(gm_fp_wait_hits(rw->w.a, alice.inbox, 2, WAIT_MS), 0);
    json_decref(received(rw, rw->w.a, alice.inbox, 1, "Announce"));
    rw->w.finished = 1;
}

/* ---- 4, 5: retry on 500, drop on 410 ---------------------------------------------------- */

static void test_retry_500(void **state)
{
    struct relay_world *rw = *state;
    static const int script[] = {500, 500, 202};
    struct person alice = person(rw->w.a, "alice", &alice_k, 1);
    char inbox[200];
    snprintf(inbox, sizeof inbox, "%s", gm_fp_url(rw->w.a, "/inbox"));
    assert_int_equal(gm_fp_serve_statuses(rw->w.a, "/inbox", script, 3), 0);
    join(rw, &alice, 1);
    json_decref(post_note(rw, &alice, "retry", 1));

    for (unsigned failure = 1; failure <= 2; failure++) {
        int64_t next_due = 0;
        assert_int_equal(gm_fp_wait_hits(rw->w.a, "/inbox", failure, WAIT_MS), 0);
        wait_queue(rw, inbox, 1, failure, &next_due); /* the 500 recorded */
        int64_t delay = next_due - (int64_t)time(NULL), want = 60 << (failure - 1);
        if (delay < want - 10 || delay > want)
            fail_msg("after failure %u the retry is due in %lld s, want about %lld", failure,
                     (long long)delay, (long long)want);
        assert_int_equal(gm_fp_queue_due_now(rw->w.env.data_dir), 1);
    }
    assert_int_equal(gm_fp_wait_hits(rw->w.a, "/inbox", 3, WAIT_MS), 0);
    wait_queue(rw, inbox, 0, 0, NULL); /* the 202 recorded: done */
    json_t *last = received(rw, rw->w.a, "/inbox", 2, "Announce");
    json_decref(last);
    char *first = gm_fp_body(rw->w.a, "/inbox", 0), *third = gm_fp_body(rw->w.a, "/inbox", 2);
    assert_string_equal(first, third); /* the same Announce each time */
    free(first);
    free(third);
    msleep(1000);
    assert_int_equal(gm_fp_hits(rw->w.a, "/inbox"), 3);
    rw->w.finished = 1;
}

static void test_drop_410(void **state)
{
    struct relay_world *rw = *state;
    static const int gone[] = {410};
    struct person alice = person(rw->w.a, "alice", &alice_k, 1);
    char inbox[200];
    snprintf(inbox, sizeof inbox, "%s", gm_fp_url(rw->w.a, "/inbox"));
    assert_int_equal(gm_fp_serve_statuses(rw->w.a, "/inbox", gone, 1), 0);
    join(rw, &alice, 1);
    json_decref(post_note(rw, &alice, "gone", 1));
    assert_int_equal(gm_fp_wait_hits(rw->w.a, "/inbox", 1, WAIT_MS), 0);
    wait_queue(rw, inbox, 0, 0, NULL); /* dropped, not rescheduled */
    assert_true(gm_fp_queue_due_now(rw->w.env.data_dir) >= 0);
    msleep(3000);
    assert_int_equal(gm_fp_hits(rw->w.a, "/inbox"), 1);
    json_decref(received(rw, rw->w.a, "/inbox", 0, "Announce"));
    rw->w.finished = 1;
}

/* ---- 6: Undo(Follow) -------------------------------------------------------------------- */

static void test_undo_follow(void **state)
{
    struct relay_world *rw = *state;
    struct person alice = person(rw->w.a, "alice", &alice_k, 0);
    struct person bob = person(rw->w.b, "bob", &bob_k, 0); /* his own host */
    join(rw, &alice, 1);
    json_t *follow_doc = follow(rw, &bob);
    assert_int_equal(gm_fp_wait_hits(rw->w.b, bob.inbox, 1, WAIT_MS), 0);
    assert_int_equal(total_items(rw, "/c/town/followers"), 2);

    json_t *undo = activity(&bob, "Undo", "undo-1", follow_doc);
    char *body = dump(undo);
    post_as(rw, &bob, body, "Undo(Follow)");
    free(body);
    json_decref(undo);
    assert_int_equal(total_items(rw, "/c/town/followers"), 1);

    json_decref(post_note(rw, &alice, "after-undo", 1));
    assert_int_equal(gm_fp_wait_hits(rw->w.a, alice.inbox, 2, WAIT_MS), 0);
    json_decref(received(rw, rw->w.a, alice.inbox, 1, "Announce"));
    msleep(1000);
    assert_int_equal(gm_fp_hits(rw->w.b, bob.inbox), 1); /* the Accept only */
    assert_int_equal(gm_fp_hits(rw->w.b, "/inbox"), 0);
    rw->w.finished = 1;
}

/* Serve a moved-to account at `path` of `peer`, listing `aka` (may be NULL) in alsoKnownAs. */
static void serve_moved(struct gm_fp *peer, const char *path, const struct gm_fp_key *key,
                        const char *aka)
{
    char key_id[240];
    snprintf(key_id, sizeof key_id, "%s#main-key", gm_fp_url(peer, path));
    char *text = gm_fp_actor_json(gm_fp_url(peer, path), key_id, key->pem);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    if (aka)
        json_object_set_new(doc, "alsoKnownAs", json_pack("[s]", aka));
    char *body = dump(doc);
    struct gm_fp_doc d = {.body = body};
    assert_int_equal(gm_fp_serve(peer, path, &d), 0);
    free(body);
    json_decref(doc);
}

/* Move: refused unless the target names the mover in alsoKnownAs (fetched from the target's
 * origin); then the membership belongs to the new account, and posts reach it. */
static void test_move(void **state)
{
    struct relay_world *rw = *state;
    struct person alice = person(rw->w.a, "alice", &alice_k, 0);
    join(rw, &alice, 1);
    char target[200], *body;
    long status;
    struct gm_fp_sig s = {.key_id = alice.key_id, .key = alice.key->key};
    /* a target that does not list alice: 403, nothing changes */
    snprintf(target, sizeof target, "%s", gm_fp_url(rw->w.b, "/users/stranger"));
    serve_moved(rw->w.b, "/users/stranger", &bob_k, NULL);
    json_t *move = activity(&alice, "Move", "move-1", json_string(alice.id));
    json_object_set_new(move, "target", json_string(target));
    body = dump(move);
    status = gm_fp_post(&rw->w.d, COMMUNITY_INBOX, body, &s, NULL);
    free(body);
    json_decref(move);
    assert_int_equal(status, 403);
    assert_int_equal(total_items(rw, "/c/town/followers"), 1);
    /* the real new account lists alice: the membership moves */
    snprintf(target, sizeof target, "%s", gm_fp_url(rw->w.b, "/users/alice2"));
    serve_moved(rw->w.b, "/users/alice2", &bob_k, alice.id);
    move = activity(&alice, "Move", "move-2", json_string(alice.id));
    json_object_set_new(move, "target", json_string(target));
    body = dump(move);
    post_as(rw, &alice, body, "Move");
    free(body);
    json_decref(move);
    struct gm_h_run run;
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "members", "town", "--json", NULL), 0);
    json_t *members = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_int_equal(json_array_size(members), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "actor")),
                        target);
    json_decref(members);
    rw->w.finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&alice_k) != 0 || gm_fp_key_rsa(&bob_k) != 0 || gm_fp_key_rsa(&carol_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_follow_accept), T(test_announce_fanout), T(test_not_relayed),
        T(test_retry_500),     T(test_drop_410),        T(test_undo_follow),
        T(test_move),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&alice_k);
    gm_fp_key_clear(&bob_k);
    gm_fp_key_clear(&carol_k);
    curl_global_cleanup();
    return failed;
}
