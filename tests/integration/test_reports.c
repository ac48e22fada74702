/* SPDX-License-Identifier: Apache-2.0
 * test_reports.c - reports against the real daemon. A fake Mastodon on 127.0.0.2 serves its
 * instance actor and sends the documented Flag (tests/fixtures/activities/
 * mastodon-docs-flag.json, pointed at this node) about a member on 127.0.0.3 whose post the
 * community relayed: 202, and `gemeinde reports town --json` shows it. The same Flag with a bad
 * signature gets 401 and stores nothing. `reports forward` makes the daemon deliver a Flag
 * signed by the community to the member's server; `reports resolve` closes the report, and
 * the public /c/town/modlog shows the action but never the private note. */
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

#define WAIT_MS 10000 /* a delivery that should happen, under ASan */
#define FLAG_FIXTURE GM_FIXTURES "/activities/mastodon-docs-flag.json"
#define PRIVATE_NOTE "talked to bob's admin privately"

static const char *binary;
static struct gm_fp_key instance_k, alice_k, bob_k;

struct reports_world {
    struct gm_fp_world w;
    char community[200];                   /* BASE/c/town */
    char instance[200], instance_key[220]; /* the fake Mastodon's instance actor on A */
    char bob_shared[200];                  /* bob's shared inbox on B */
};

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    struct reports_world *rw = calloc(1, sizeof *rw);
    if (!rw || gm_fp_world_start(&rw->w, binary, 1, alice_k.pem, bob_k.pem) != 0) {
        free(rw);
        return -1;
    }
    snprintf(rw->community, sizeof rw->community, "%s/c/town", rw->w.d.base_url);
    snprintf(rw->instance, sizeof rw->instance, "%s", gm_fp_url(rw->w.a, "/actor"));
    snprintf(rw->instance_key, sizeof rw->instance_key, "%s#main-key", rw->instance);
    snprintf(rw->bob_shared, sizeof rw->bob_shared, "%s", gm_fp_url(rw->w.b, "/inbox"));
    struct gm_fp_doc accepted = {.status = 202, .body = "{}"};
    if (gm_fp_serve_actor(rw->w.a, "/actor", instance_k.pem) != 0 ||
        gm_fp_serve_actor_shared(rw->w.b, "/users/bob", bob_k.pem, rw->bob_shared) != 0 ||
        gm_fp_serve(rw->w.b, "/inbox", &accepted) != 0 ||
        gm_fp_serve(rw->w.b, "/users/bob/inbox", &accepted) != 0) {
        rw->w.finished = 1;
        gm_fp_world_stop(&rw->w);
        free(rw);
        return -1;
    }
    *state = rw;
    return 0;
}

static int teardown(void **state)
{
    struct reports_world *rw = *state;
    int rc = gm_fp_world_stop(&rw->w);
    free(rw);
    return rc;
}

static char *dump(json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    assert_non_null(s);
    return s;
}

/* POST `body` to `path` signed by (key_id, key); the HTTP status. */
static long post(struct reports_world *rw, const char *path, const char *body, const char *key_id,
                 EVP_PKEY *key, unsigned tamper)
{
    struct gm_fp_sig s = {.key_id = key_id, .key = key, .tamper = tamper};
    return gm_fp_post(&rw->w.d, path, body, &s, NULL);
}

/* The documented Mastodon Flag, sent by our fake Mastodon: its id and actor on peer A, its
 * objects = `objects` (a JSON array, stolen), `to` as given. New string. */
static char *mastodon_flag(struct reports_world *rw, const char *tag, json_t *objects,
                           const char *to)
{
    json_error_t err;
    json_t *doc = json_load_file(FLAG_FIXTURE, 0, &err);
    if (!doc)
        fail_msg("%s: %s", FLAG_FIXTURE, err.text);
    char id[300];
    snprintf(id, sizeof id, "%s/%s", gm_fp_origin(rw->w.a), tag);
    json_object_set_new(doc, "id", json_string(id));
    json_object_set_new(doc, "actor", json_string(rw->instance));
    json_object_set_new(doc, "object", objects);
    json_object_set_new(doc, "to", json_string(to));
    char *body = dump(doc);
    json_decref(doc);
    return body;
}

/* `gemeinde reports town ARGS... --json`-style run whose stdout is JSON. New reference. */
static json_t *cli_json(struct reports_world *rw, const char *a1, const char *a2)
{
    struct gm_h_run run;
    int rc = gm_h_cli(&rw->w.env, &run, "reports", "town", a1, a2, NULL);
    if (rc != 0)
        fail_msg("reports town %s %s: exit %d: %s", a1, a2 ? a2 : "", rc, run.err);
    json_t *doc = json_loads(run.out, 0, NULL);
    if (!doc)
        fail_msg("reports --json printed no JSON: %s", run.out);
    gm_h_run_clear(&run);
    return doc;
}

/* A Flag with a bad signature: 401, nothing stored; the same Flag signed right: stored. */
static void test_flag_bad_signature(void **state)
{
    struct reports_world *rw = *state;
    char *body = mastodon_flag(rw, "flag-1", json_pack("[s]", rw->community), rw->community);
    /* signed with another key than the instance actor's */
    assert_int_equal(post(rw, "/inbox", body, rw->instance_key, bob_k.key, 0), 401);
    /* signed right, then the body changed (its digest recomputed) */
    assert_int_equal(post(rw, "/inbox", body, rw->instance_key, instance_k.key,
                          GM_FP_TAMPER_BODY | GM_FP_TAMPER_REDIGEST),
                     401);
    assert_int_equal(post(rw, "/c/town/inbox", body, rw->instance_key, bob_k.key, 0), 401);
    assert_int_equal(gm_fp_stored_count(rw->w.env.data_dir), 0);
    json_t *all = cli_json(rw, "--all", "--json");
    assert_int_equal(json_array_size(all), 0);
    json_decref(all);
    /* the control: the same Flag, signed right, is a report */
    assert_int_equal(post(rw, "/inbox", body, rw->instance_key, instance_k.key, 0), 202);
    free(body);
    assert_int_equal(gm_fp_stored_count(rw->w.env.data_dir), 1);
    all = cli_json(rw, "--json", NULL);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
    rw->w.finished = 1;
}

/* bob joins town and posts; town relays it. Returns the note id (static buffer). */
static const char *bob_posts(struct reports_world *rw)
{
    static char note_id[300];
    char follow_id[300], create_id[320];
    snprintf(follow_id, sizeof follow_id, "%s/follows/1", rw->w.bob);
    snprintf(note_id, sizeof note_id, "%s/notes/1", rw->w.bob);
    snprintf(create_id, sizeof create_id, "%s/create", note_id);
    json_t *follow = json_pack("{s:s, s:s, s:s, s:s}", "id", follow_id, "type", "Follow", "actor",
                               rw->w.bob, "object", rw->community);
    char *body = dump(follow);
    json_decref(follow);
    assert_int_equal(post(rw, "/c/town/inbox", body, rw->w.bob_key, bob_k.key, 0), 202);
    free(body);
    json_t *note = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "id", note_id, "type", "Note",
                             "attributedTo", rw->w.bob, "content", "buy my stuff", "to",
                             GM_FP_PUBLIC, "cc", rw->community);
    json_t *create =
        json_pack("{s:s, s:s, s:s, s:o, s:[s], s:[s]}", "id", create_id, "type", "Create", "actor",
                  rw->w.bob, "object", note, "to", GM_FP_PUBLIC, "cc", rw->community);
    body = dump(create);
    json_decref(create);
    assert_int_equal(post(rw, "/c/town/inbox", body, rw->w.bob_key, bob_k.key, 0), 202);
    free(body);
    return note_id;
}

/* Wait for a request of `type` at `path` of `peer`; parsed (new reference) with its index. */
static json_t *wait_for(struct gm_fp *peer, const char *path, const char *type, unsigned *index)
{
    for (int waited = 0; waited < WAIT_MS; waited += 50) {
        unsigned hits = gm_fp_hits(peer, path);
        for (unsigned i = 0; i < hits; i++) {
            char *body = gm_fp_body(peer, path, i);
            json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
            free(body);
            const char *t = json_string_value(json_object_get(doc, "type"));
            if (t && !strcmp(t, type)) {
                *index = i;
                return doc;
            }
            json_decref(doc);
        }
        msleep(50);
    }
    fail_msg("no %s reached %s within %d ms", type, path, WAIT_MS);
    return NULL;
}

static EVP_PKEY *community_key(struct reports_world *rw)
{
    struct gm_h_resp resp;
    EVP_PKEY *key = NULL;
    assert_int_equal(gm_h_get(&rw->w.d, "/c/town", GM_FP_AP_TYPE, &resp), 0);
    json_t *doc = json_loads(resp.body, 0, NULL);
    const char *pem =
        json_string_value(json_object_get(json_object_get(doc, "publicKey"), "publicKeyPem"));
    assert_non_null(pem);
    assert_int_equal(gm_httpsig_load_public_pem(pem, strlen(pem), &key), GM_OK);
    json_decref(doc);
    gm_h_resp_clear(&resp);
    return key;
}

/* The forwarded Flag at bob's shared inbox: from the community, signed by it, naming bob and
 * his posts, carrying the reporter's comment. */
static void check_forwarded(struct reports_world *rw, const char *note_id, const char *other)
{
    unsigned n;
    json_t *flag = wait_for(rw->w.b, "/inbox", "Flag", &n);
    assert_string_equal(json_string_value(json_object_get(flag, "actor")), rw->community);
    json_t *objects = json_object_get(flag, "object");
    assert_int_equal(json_array_size(objects), 3);
    assert_string_equal(json_string_value(json_array_get(objects, 0)), rw->w.bob);
    assert_string_equal(json_string_value(json_array_get(objects, 1)), note_id);
    assert_string_equal(json_string_value(json_array_get(objects, 2)), other);
    assert_string_equal(json_string_value(json_object_get(flag, "content")),
                        "Please take a look at this user and their posts");
    EVP_PKEY *key = community_key(rw);
    assert_int_equal(gm_fp_verify(rw->w.b, "/inbox", n, key, NULL), GM_OK);
    EVP_PKEY_free(key);
    json_decref(flag);
}

static void test_flag_lifecycle(void **state)
{
    struct reports_world *rw = *state;
    struct gm_h_run run;
    const char *note_id = bob_posts(rw);
    char other[300];
    snprintf(other, sizeof other, "%s", gm_fp_url(rw->w.b, "/notes/2")); /* bob's server */
    char *body = mastodon_flag(rw, "ccb4f39a-506a-490e-9a8c-71831c7713a4",
                               json_pack("[s,s,s]", rw->w.bob, note_id, other), rw->w.bob);
    assert_int_equal(post(rw, "/inbox", body, rw->instance_key, instance_k.key, 0), 202);
    free(body);

    json_t *open = cli_json(rw, "--json", NULL), *r = json_array_get(open, 0);
    assert_int_equal(json_array_size(open), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "open");
    assert_string_equal(json_string_value(json_object_get(r, "reporter")), rw->instance);
    assert_string_equal(json_string_value(json_object_get(r, "comment")),
                        "Please take a look at this user and their posts");
    assert_int_equal(json_array_size(json_object_get(r, "objects")), 3);
    json_decref(open);
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "reports", "town", NULL), 0);
    assert_non_null(strstr(run.out, "#1  open"));
    gm_h_run_clear(&run);

    /* forward: the daemon delivers a Flag from the community to bob's shared inbox */
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "--base-url", rw->w.d.base_url, "reports", "town",
                              "forward", "1", NULL),
                     0);
    assert_non_null(strstr(run.out, rw->bob_shared));
    gm_h_run_clear(&run);
    check_forwarded(rw, note_id, other);

    /* resolve with a private note: no longer open; a second resolve is refused */
    assert_int_equal(
        gm_h_cli(&rw->w.env, &run, "reports", "town", "resolve", "1", "--note", PRIVATE_NOTE, NULL),
        0);
    gm_h_run_clear(&run);
    open = cli_json(rw, "--json", NULL);
    assert_int_equal(json_array_size(open), 0);
    json_decref(open);
    json_t *all = cli_json(rw, "--all", "--json");
    assert_int_equal(json_array_size(all), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "status")),
                        "resolved");
    json_decref(all);
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "reports", "town", "resolve", "1", NULL), 2);
    assert_non_null(strstr(run.err, "already"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "reports", "town", "dismiss", "7", NULL), 2);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(&rw->w.env, &run, "reports", "nowhere", NULL), 2);
    gm_h_run_clear(&run);

    /* the public log: both actions, never the private note */
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&rw->w.d, "/c/town/modlog", "application/json", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"resolve_report\""));
    assert_non_null(strstr(resp.body, "\"forward_report\""));
    assert_null(strstr(resp.body, PRIVATE_NOTE));
    gm_h_resp_clear(&resp);
    assert_int_equal(gm_h_get(&rw->w.d, "/c/town/modlog", "text/html", &resp), 0);
    assert_non_null(strstr(resp.body, "resolve_report"));
    assert_null(strstr(resp.body, "talked to bob"));
    gm_h_resp_clear(&resp);
    rw->w.finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&instance_k) != 0 || gm_fp_key_rsa(&alice_k) != 0 ||
        gm_fp_key_rsa(&bob_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {T(test_flag_bad_signature), T(test_flag_lifecycle)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&instance_k);
    gm_fp_key_clear(&alice_k);
    gm_fp_key_clear(&bob_k);
    curl_global_cleanup();
    return failed;
}
