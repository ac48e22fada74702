/* SPDX-License-Identifier: Apache-2.0
 * test_pins.c - pinned posts and post removal through the real binary: a running daemon with
 * two members on fake servers, a microblog (127.0.0.2, NodeInfo "mastodon") and a group-aware
 * one (127.0.0.3, "lemmy"); the CLI pins, unpins and removes while the daemon runs, and the
 * daemon's delivery worker sends what the CLI queued. A pin reaches both servers as an Add to
 * the featured collection, which lists the post; a removal with a reason reaches the
 * microblog as Undo(Announce) and the group-aware server as that Undo plus Announce(Delete)
 * with the reason; a later Update of the removed post goes nowhere; a removal without a reason
 * is refused; the moderation log shows each action. */
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
#define QUIET_MS 2500 /* a delivery that must not happen (the worker polls every ~1 s) */

static const char *binary;
static struct gm_fp_key alice_k, bob_k;

struct person {
    char id[200], key_id[220], inbox[64];
    const struct gm_fp_key *key;
};

struct pins_world {
    struct gm_fp_world w;
    char community[200]; /* BASE/c/town */
    EVP_PKEY *community_key;
    struct person alice, bob; /* alice on the microblog A, bob on the group server B */
    char note[300];           /* alice's relayed note */
};

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static EVP_PKEY *community_key(struct pins_world *pw)
{
    struct gm_h_resp resp;
    EVP_PKEY *key = NULL;
    if (gm_h_get(&pw->w.d, "/c/town", GM_FP_AP_TYPE, &resp) != 0)
        return NULL;
    json_t *doc = json_loads(resp.body, 0, NULL);
    const char *pem =
        json_string_value(json_object_get(json_object_get(doc, "publicKey"), "publicKeyPem"));
    if (resp.status == 200 && pem)
        gm_httpsig_load_public_pem(pem, strlen(pem), &key);
    json_decref(doc);
    gm_h_resp_clear(&resp);
    return key;
}

static int person(struct gm_fp *peer, const char *name, const struct gm_fp_key *key,
                  struct person *p)
{
    char path[64];
    snprintf(path, sizeof path, "/users/%s", name);
    snprintf(p->inbox, sizeof p->inbox, "/users/%s/inbox", name);
    snprintf(p->id, sizeof p->id, "%s", gm_fp_url(peer, path));
    snprintf(p->key_id, sizeof p->key_id, "%s#main-key", p->id);
    p->key = key;
    return gm_fp_serve_actor_shared(peer, path, key->pem, gm_fp_url(peer, "/inbox"));
}

static void post_as(struct pins_world *pw, const struct person *who, json_t *doc,
                    const char *what)
{
    struct gm_fp_sig s = {.key_id = who->key_id, .key = who->key->key};
    char *body = json_dumps(doc, JSON_COMPACT), *answer = NULL;
    assert_non_null(body);
    long status = gm_fp_post(&pw->w.d, COMMUNITY_INBOX, body, &s, &answer);
    if (status != 202)
        fail_msg("%s: status %ld, answer %s", what, status, answer ? answer : "(none)");
    free(answer);
    free(body);
}

static json_t *activity(const struct person *who, const char *type, const char *tag,
                        json_t *object)
{
    char id[300];
    snprintf(id, sizeof id, "%s/activities/%s", who->id, tag);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:[s], s:[]}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type", type, "actor",
                     who->id, "object", object, "to", GM_FP_PUBLIC, "cc");
}

/* Follow the community and wait for the Accept. */
static void join(struct pins_world *pw, struct gm_fp *peer, const struct person *who)
{
    json_t *follow = activity(who, "Follow", "follow-1", json_string(pw->community));
    post_as(pw, who, follow, "Follow");
    json_decref(follow);
    if (gm_fp_wait_hits(peer, who->inbox, 1, WAIT_MS) != 0)
        fail_msg("no Accept reached %s", who->inbox);
}

static json_t *note(struct pins_world *pw, const char *content)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "id", pw->note, "type", "Note",
                     "attributedTo", pw->alice.id, "content", content, "to", GM_FP_PUBLIC, "cc",
                     pw->community);
}

static int setup(void **state)
{
    struct pins_world *pw = calloc(1, sizeof *pw);
    struct gm_fp_doc accepted = {.status = 202, .body = "{}"};
    if (!pw || gm_fp_world_start(&pw->w, binary, 1, alice_k.pem, bob_k.pem) != 0) {
        free(pw);
        return -1;
    }
    snprintf(pw->community, sizeof pw->community, "%s/c/town", pw->w.d.base_url);
    if (gm_fp_serve_nodeinfo(pw->w.a, "mastodon") != 0 ||
        gm_fp_serve_nodeinfo(pw->w.b, "lemmy") != 0 ||
        person(pw->w.a, "alice", &alice_k, &pw->alice) != 0 ||
        person(pw->w.b, "bob", &bob_k, &pw->bob) != 0)
        goto fail;
    static const char *const inboxes[] = {"/inbox", "/users/alice/inbox", "/users/bob/inbox"};
    for (size_t i = 0; i < sizeof inboxes / sizeof inboxes[0]; i++)
        if (gm_fp_serve(pw->w.a, inboxes[i], &accepted) != 0 ||
            gm_fp_serve(pw->w.b, inboxes[i], &accepted) != 0)
            goto fail;
    if (!(pw->community_key = community_key(pw)))
        goto fail;
    snprintf(pw->note, sizeof pw->note, "%s/notes/rules", pw->alice.id);
    *state = pw;
    return 0;
fail:
    fprintf(stderr, "test_pins: setup failed\n");
    pw->w.finished = 1;
    gm_fp_world_stop(&pw->w);
    free(pw);
    return -1;
}

static int teardown(void **state)
{
    struct pins_world *pw = *state;
    int rc = gm_fp_world_stop(&pw->w);
    EVP_PKEY_free(pw->community_key);
    free(pw);
    return rc;
}

/* Both members joined, alice's note relayed to both shared inboxes. */
static void relayed_post(struct pins_world *pw)
{
    join(pw, pw->w.a, &pw->alice);
    join(pw, pw->w.b, &pw->bob);
    json_t *create = activity(&pw->alice, "Create", "create-1", note(pw, "house rules"));
    json_object_set_new(create, "cc", json_pack("[s]", pw->community));
    post_as(pw, &pw->alice, create, "Create");
    json_decref(create);
    assert_int_equal(gm_fp_wait_hits(pw->w.a, "/inbox", 1, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(pw->w.b, "/inbox", 1, WAIT_MS), 0);
}

/* Run the CLI against the daemon's node with its base URL; the exit status. */
static int cli(struct pins_world *pw, struct gm_h_run *run, const char *a, const char *b,
               const char *c, const char *d, const char *e)
{
    return gm_h_cli(&pw->w.env, run, "--base-url", pw->w.d.base_url, a, b, c, d, e, NULL);
}

static void cli_ok(struct pins_world *pw, const char *a, const char *b, const char *c,
                   const char *d, const char *e)
{
    struct gm_h_run run;
    int rc = cli(pw, &run, a, b, c, d, e);
    if (rc != 0)
        fail_msg("gemeinde %s %s: exit %d: %s", a, b, rc, run.err);
    gm_h_run_clear(&run);
}

/* The first of requests [0, count) at `path` of `peer` whose type is `type` (and, when
 * `inner` is set, whose object's type is `inner`), checked to be signed by the community.
 * New reference; the test fails when there is none. */
static json_t *find_sent(struct pins_world *pw, struct gm_fp *peer, const char *path,
                         unsigned count, const char *type, const char *inner)
{
    for (unsigned i = 0; i < count; i++) {
        char *body = gm_fp_body(peer, path, i);
        json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
        free(body);
        const char *t = json_string_value(json_object_get(doc, "type"));
        const char *it =
            json_string_value(json_object_get(json_object_get(doc, "object"), "type"));
        if (t && !strcmp(t, type) && (!inner || (it && !strcmp(it, inner)))) {
            assert_string_equal(json_string_value(json_object_get(doc, "actor")), pw->community);
            gm_err e = gm_fp_verify(peer, path, i, pw->community_key, NULL);
            if (e != GM_OK)
                fail_msg("%s %u at %s does not verify: %s", type, i, path, gm_strerror(e));
            return doc;
        }
        json_decref(doc);
    }
    fail_msg("no %s%s%s among %u requests at %s", type, inner ? " of " : "", inner ? inner : "",
             count, path);
    return NULL;
}

static json_t *get_json(struct pins_world *pw, const char *path)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&pw->w.d, path, GM_FP_AP_TYPE, &resp), 0);
    assert_int_equal(resp.status, 200);
    json_t *doc = json_loads(resp.body, 0, NULL);
    assert_non_null(doc);
    gm_h_resp_clear(&resp);
    return doc;
}

static void expect_featured(struct pins_world *pw, const char *item)
{
    json_t *doc = get_json(pw, "/c/town/featured");
    json_t *items = json_object_get(doc, "orderedItems");
    assert_int_equal(json_integer_value(json_object_get(doc, "totalItems")), item ? 1 : 0);
    assert_int_equal(json_array_size(items), item ? 1 : 0);
    if (item)
        assert_string_equal(json_string_value(json_array_get(items, 0)), item);
    json_decref(doc);
}

/* The actions of the moderation log, newest first, joined by spaces: "remove unpin pin". */
static void expect_modlog(struct pins_world *pw, const char *actions, const char *reason)
{
    char got[256] = "";
    json_t *doc = get_json(pw, "/c/town/modlog"), *entry;
    size_t i;
    json_array_foreach(json_object_get(doc, "entries"), i, entry)
    {
        const char *a = json_string_value(json_object_get(entry, "action"));
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", a ? a : "?");
        assert_string_equal(json_string_value(json_object_get(entry, "target")), pw->note);
        const char *r = json_string_value(json_object_get(entry, "reason"));
        if (reason && a && !strcmp(a, "remove") && (!r || strcmp(r, reason) != 0))
            fail_msg("modlog entry %s has reason %s, want %s",
                     json_dumps(entry, JSON_COMPACT), r ? r : "(none)", reason);
    }
    assert_string_equal(got, actions);
    json_decref(doc);
}

static void test_pin_unpin(void **state)
{
    struct pins_world *pw = *state;
    struct gm_h_run run;
    char featured[240];
    snprintf(featured, sizeof featured, "%s/featured", pw->community);
    relayed_post(pw);
    /* the node's public URL is needed (listen port 0: only the daemon knows it) */
    assert_int_equal(gm_h_cli(&pw->w.env, &run, "pin", "town", pw->note, NULL), 2);
    assert_non_null(strstr(run.err, "base_url"));
    gm_h_run_clear(&run);
    /* only relayed posts */
    assert_int_equal(cli(pw, &run, "pin", "town", "http://127.0.0.2/notes/other", NULL, NULL), 2);
    assert_non_null(strstr(run.err, "never relayed"));
    gm_h_run_clear(&run);

    cli_ok(pw, "pin", "town", pw->note, NULL, NULL);
    assert_int_equal(gm_fp_wait_hits(pw->w.a, "/inbox", 2, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(pw->w.b, "/inbox", 2, WAIT_MS), 0);
    struct gm_fp *peers[2] = {pw->w.a, pw->w.b};
    for (int i = 0; i < 2; i++) {
        json_t *add = find_sent(pw, peers[i], "/inbox", 2, "Add", NULL);
        assert_string_equal(json_string_value(json_object_get(add, "object")), pw->note);
        assert_string_equal(json_string_value(json_object_get(add, "target")), featured);
        json_decref(add);
    }
    expect_featured(pw, pw->note);
    assert_int_equal(cli(pw, &run, "pins", "town", "--json", NULL, NULL), 0);
    json_t *list = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "object")),
                        pw->note);
    json_decref(list);
    assert_int_equal(cli(pw, &run, "pin", "town", pw->note, NULL, NULL), 2);
    assert_non_null(strstr(run.err, "already"));
    gm_h_run_clear(&run);

    cli_ok(pw, "unpin", "town", pw->note, NULL, NULL);
    assert_int_equal(gm_fp_wait_hits(pw->w.a, "/inbox", 3, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(pw->w.b, "/inbox", 3, WAIT_MS), 0);
    for (int i = 0; i < 2; i++) {
        json_t *rm = find_sent(pw, peers[i], "/inbox", 3, "Remove", NULL);
        assert_string_equal(json_string_value(json_object_get(rm, "target")), featured);
        json_decref(rm);
    }
    expect_featured(pw, NULL);
    expect_modlog(pw, "unpin pin", NULL);
    assert_int_equal(cli(pw, &run, "pins", "town", NULL, NULL, NULL), 0);
    assert_non_null(strstr(run.out, "no pinned posts"));
    gm_h_run_clear(&run);
    pw->w.finished = 1;
}

static void test_remove(void **state)
{
    struct pins_world *pw = *state;
    struct gm_h_run run;
    relayed_post(pw);
    cli_ok(pw, "pin", "town", pw->note, NULL, NULL);
    assert_int_equal(gm_fp_wait_hits(pw->w.a, "/inbox", 2, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(pw->w.b, "/inbox", 2, WAIT_MS), 0);

    /* no reason: refused, nothing sent */
    assert_int_equal(cli(pw, &run, "remove", "town", pw->note, NULL, NULL), 2);
    assert_non_null(strstr(run.err, "reason is required"));
    gm_h_run_clear(&run);
    assert_int_equal(cli(pw, &run, "remove", "town", pw->note, "--reason", ""), 2);
    assert_non_null(strstr(run.err, "reason is required"));
    gm_h_run_clear(&run);

    /* the removal: Remove (it was pinned) and Undo everywhere, Announce(Delete) for lemmy */
    cli_ok(pw, "remove", "town", pw->note, "--reason", "rule 3: no ads");
    assert_int_equal(gm_fp_wait_hits(pw->w.a, "/inbox", 4, WAIT_MS), 0);
    assert_int_equal(gm_fp_wait_hits(pw->w.b, "/inbox", 5, WAIT_MS), 0);
    json_t *undo_a = find_sent(pw, pw->w.a, "/inbox", 4, "Undo", NULL);
    json_t *undo_b = find_sent(pw, pw->w.b, "/inbox", 5, "Undo", NULL);
    json_t *del = find_sent(pw, pw->w.b, "/inbox", 5, "Announce", "Delete");
    json_decref(find_sent(pw, pw->w.a, "/inbox", 4, "Remove", NULL));
    json_decref(find_sent(pw, pw->w.b, "/inbox", 5, "Remove", NULL));
    json_t *undone = json_object_get(undo_a, "object");
    assert_string_equal(json_string_value(json_object_get(undone, "type")), "Announce");
    assert_string_equal(json_string_value(json_object_get(undone, "object")), pw->note);
    assert_true(json_equal(undo_a, undo_b));
    json_t *inner = json_object_get(del, "object");
    assert_string_equal(json_string_value(json_object_get(inner, "actor")), pw->community);
    assert_string_equal(json_string_value(json_object_get(inner, "object")), pw->note);
    assert_string_equal(json_string_value(json_object_get(inner, "summary")), "rule 3: no ads");
    assert_string_equal(json_string_value(json_object_get(inner, "audience")), pw->community);
    json_decref(undo_a);
    json_decref(undo_b);
    json_decref(del);
    expect_featured(pw, NULL);
    expect_modlog(pw, "remove unpin pin", "rule 3: no ads");

    /* the author edits the removed post: relayed nowhere; removing it again is refused */
    json_t *update = activity(&pw->alice, "Update", "update-1", note(pw, "house rules, edited"));
    post_as(pw, &pw->alice, update, "Update");
    json_decref(update);
    assert_int_equal(cli(pw, &run, "remove", "town", pw->note, "--reason", "again"), 2);
    assert_non_null(strstr(run.err, "already"));
    gm_h_run_clear(&run);
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(pw->w.a, "/inbox"), 4);
    assert_int_equal(gm_fp_hits(pw->w.b, "/inbox"), 5);
    assert_int_equal(gm_fp_queue_peek(pw->w.env.data_dir, NULL, NULL, NULL), 0);
    pw->w.finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&alice_k) != 0 || gm_fp_key_rsa(&bob_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {T(test_pin_unpin), T(test_remove)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&alice_k);
    gm_fp_key_clear(&bob_k);
    curl_global_cleanup();
    return failed;
}
