/* SPDX-License-Identifier: Apache-2.0
 * test_inbox.c - the inbox against the real daemon with fake remote servers on 127.0.0.2 and
 * 127.0.0.3 (fake_peer.c): signed activities accepted and stored, duplicates, RFC 9421 and
 * Ed25519, the refusals that must cost no key fetch (Misskey CVE-2023-49079, BookWyrm #4174:
 * tampered body, digest, coverage, date window, Host, unsigned), who may act on what (Mastodon
 * CVE-2024-23832), malformed input, the shared inbox, and durability across SIGKILL. Key
 * fetching itself (binding, media type, redirects, SSRF, rotation, slow servers) is in
 * test_inbox_keys.c. Each test gets its own node folder, daemon and peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_peer.h"
#include "gemeinde/blocks.h"
#include "harness.h"

static const char *binary;

/* Key pairs made once for the run: alice and bob (RSA), carol (Ed25519). */
static struct gm_fp_key alice_k, bob_k, carol_k;

static int setup(void **state)
{
    struct gm_fp_world *w = calloc(1, sizeof *w);
    if (!w || gm_fp_world_start(w, binary, 1, alice_k.pem, bob_k.pem) != 0) {
        free(w);
        return -1;
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct gm_fp_world *w = *state;
    int rc = gm_fp_world_stop(w);
    free(w);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static struct gm_fp_sig signed_by(const char *key_id, const struct gm_fp_key *k)
{
    return (struct gm_fp_sig){.key_id = key_id, .key = k->key};
}

static struct gm_fp_sig as_alice(const struct gm_fp_world *w)
{
    return signed_by(w->alice_key, &alice_k);
}

/* POST and expect `status`; for 202 also {"status": want} ("accepted", "duplicate"). */
static void expect_post(struct gm_fp_world *w, const char *path, const char *body,
                        const struct gm_fp_sig *s, long status, const char *want, const char *what)
{
    char *answer = NULL;
    long got = gm_fp_post(&w->d, path, body, s, &answer);
    if (got != status)
        fail_msg("%s: status %ld, want %ld; answer: %s", what, got, status,
                 answer ? answer : "(none)");
    json_t *doc = json_loads(answer, 0, NULL);
    if (!doc)
        fail_msg("%s: answer is not JSON: %s", what, answer);
    const char *key = status == 202 ? "status" : "error";
    const char *v = json_string_value(json_object_get(doc, key));
    if (!v || (want && strcmp(v, want) != 0))
        fail_msg("%s: %s is '%s', want '%s'", what, key, v ? v : "(none)", want ? want : "any");
    json_decref(doc);
    free(answer);
}

static void expect_count(struct gm_fp_world *w, long want, const char *what)
{
    long n = gm_fp_stored_count(w->env.data_dir);
    if (n != want)
        fail_msg("%s: %ld activities stored, want %ld", what, n, want);
}

static char *create_note(const char *actor, const char *tag, const char *content)
{
    char id[300];
    snprintf(id, sizeof id, "%s/notes/%s", actor, tag);
    return gm_fp_activity(actor, "Create", tag, gm_fp_note(id, actor, content));
}

/* The public key of the daemon's instance actor, from GET /actor. */
static EVP_PKEY *instance_key(struct gm_fp_world *w)
{
    struct gm_h_resp resp;
    EVP_PKEY *key = NULL;
    assert_int_equal(gm_h_get(&w->d, "/actor", GM_FP_AP_TYPE, &resp), 0);
    assert_int_equal(resp.status, 200);
    json_t *doc = json_loads(resp.body, 0, NULL);
    const char *pem =
        json_string_value(json_object_get(json_object_get(doc, "publicKey"), "publicKeyPem"));
    assert_non_null(pem);
    assert_int_equal(gm_httpsig_load_public_pem(pem, strlen(pem), &key), GM_OK);
    json_decref(doc);
    gm_h_resp_clear(&resp);
    return key;
}

/* ---- 1, 2, 3: accepted ------------------------------------------------------------------ */

static void test_accept_cavage(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    char *body = create_note(w->alice, "1", "hello town");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "first Create");
    expect_count(w, 1, "after one Create");

    json_t *rec = gm_fp_stored(w->env.data_dir, 1), *sent = json_loads(body, 0, NULL);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "actor")), w->alice);
    assert_string_equal(json_string_value(json_object_get(rec, "type")), "Create");
    assert_string_equal(json_string_value(json_object_get(rec, "community")), "town");
    if (!json_equal(json_object_get(rec, "activity"), sent))
        fail_msg("stored activity differs from the one sent:\n%s\n%s",
                 json_dumps(json_object_get(rec, "activity"), JSON_COMPACT), body);
    json_decref(rec);
    json_decref(sent);
    free(body);

    /* one key fetch, of the actor document, signed by the instance actor, and one NodeInfo
     * lookup of the sender's server (this fake peer has none: 404, remembered) */
    assert_int_equal(gm_fp_hits(w->a, "/users/alice"), 1);
    assert_int_equal(gm_fp_hits(w->a, "/.well-known/nodeinfo"), 1);
    assert_int_equal(gm_fp_hits(w->a, NULL), 2);
    struct gm_httpsig *sig = NULL;
    assert_int_equal(gm_fp_last_signature(w->a, &sig), GM_OK);
    char want_key[200];
    snprintf(want_key, sizeof want_key, "%s/actor#main-key", w->d.base_url);
    assert_string_equal(gm_httpsig_key_id(sig), want_key);
    assert_true(gm_httpsig_covers(sig, "(request-target)"));
    assert_true(gm_httpsig_covers(sig, "host"));
    assert_true(gm_httpsig_covers(sig, "date"));
    assert_int_equal(gm_httpsig_check_time(sig, (int64_t)time(NULL), 300, 300), GM_OK);
    EVP_PKEY *ik = instance_key(w);
    assert_int_equal(gm_httpsig_verify(sig, ik, NULL), GM_OK);
    EVP_PKEY_free(ik);
    gm_httpsig_free(sig);
    char *host = gm_fp_last_header(w->a, "host");
    assert_string_equal(host, gm_fp_origin(w->a) + strlen("http://"));
    free(host);

    /* a second activity of the same actor: the cached key, no fetch */
    body = create_note(w->alice, "2", "hello again");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "second Create");
    free(body);
    assert_int_equal(gm_fp_hits(w->a, NULL), 2); /* nothing new */
    expect_count(w, 2, "after two Creates");
    w->finished = 1;
}

static void test_duplicate(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    char *body = create_note(w->alice, "dup", "once");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "first delivery");
    expect_post(w, "/c/town/inbox", body, &s, 202, "duplicate", "second delivery");
    s.scheme = GM_FP_RFC9421;
    s.alg = "rsa-v1_5-sha256";
    expect_post(w, "/c/town/inbox", body, &s, 202, "duplicate", "again, RFC 9421");
    expect_post(w, "/inbox", body, &s, 202, "duplicate", "again, shared inbox");
    free(body);
    expect_count(w, 1, "after duplicates");
    w->finished = 1;
}

static void test_rfc9421_and_ed25519(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    s.scheme = GM_FP_RFC9421;
    s.alg = "rsa-v1_5-sha256";
    char *body = create_note(w->alice, "rfc", "RFC 9421, rsa-v1_5-sha256");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "RFC 9421 RSA");
    free(body);

    assert_int_equal(gm_fp_serve_actor(w->a, "/users/carol", carol_k.pem), 0);
    char carol[200], carol_key[220];
    snprintf(carol, sizeof carol, "%s", gm_fp_url(w->a, "/users/carol"));
    snprintf(carol_key, sizeof carol_key, "%s#main-key", carol);
    s = signed_by(carol_key, &carol_k); /* cavage, algorithm="hs2019" */
    body = create_note(carol, "hs2019", "cavage hs2019, Ed25519");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "cavage Ed25519");
    free(body);
    s.scheme = GM_FP_RFC9421;
    s.alg = "ed25519";
    body = create_note(carol, "ed", "RFC 9421, ed25519");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "RFC 9421 Ed25519");
    free(body);
    expect_count(w, 3, "after three");
    assert_int_equal(gm_fp_hits(w->a, "/users/carol"), 1);
    w->finished = 1;
}

/* ---- 4, 5: refused before any key fetch ------------------------------------------------- */

static void test_tampered_body(void **state)
{
    struct gm_fp_world *w = *state;
    char *body = create_note(w->alice, "t", "signed text");
    struct gm_fp_sig s = as_alice(w);
    s.tamper = GM_FP_TAMPER_BODY;
    expect_post(w, "/c/town/inbox", body, &s, 401, "body does not match its digest",
                "cavage, body changed after signing");
    s.scheme = GM_FP_RFC9421;
    s.alg = "rsa-v1_5-sha256";
    expect_post(w, "/c/town/inbox", body, &s, 401, "body does not match its digest",
                "RFC 9421, body changed");
    expect_count(w, 0, "tampered");
    if (gm_fp_hits(w->a, NULL) != 0)
        fail_msg("a body that does not match its digest cost %u key fetches, want 0",
                 gm_fp_hits(w->a, NULL));
    /* the digest recomputed for the new body: the signature over Digest fails (after a fetch) */
    s = as_alice(w);
    s.tamper = GM_FP_TAMPER_REDIGEST;
    expect_post(w, "/c/town/inbox", body, &s, 401, "signature does not verify",
                "body and Digest changed");
    expect_count(w, 0, "tampered with a new digest");
    free(body);
    w->finished = 1;
}

#define NO_COVER "signature does not cover request-target, host, date and digest"
#define MALFORMED "malformed signature"
#define WINDOW "signature date outside the accepted window"
#define OTHER_HOST "signed for another host"

struct cheap_case {
    const char *what;
    enum gm_fp_scheme scheme;
    unsigned tamper;
    const char *drop;
    long clock_offset;
    const char *host;
    int unsigned_;
    const char *raw_signature;
    const char *error; /* the reason the daemon must give */
};

static const struct cheap_case cheap_cases[] = {
    {"Digest dropped after signing", GM_FP_CAVAGE, 0, "digest", 0, NULL, 0, NULL, MALFORMED},
    {"no Digest, not covered", GM_FP_CAVAGE, GM_FP_NO_DIGEST_COVER, "digest", 0, NULL, 0, NULL,
     NO_COVER},
    {"Digest not covered", GM_FP_CAVAGE, GM_FP_NO_DIGEST_COVER, NULL, 0, NULL, 0, NULL, NO_COVER},
    {"RFC 9421 without content-digest", GM_FP_RFC9421, GM_FP_NO_DIGEST_COVER, NULL, 0, NULL, 0,
     NULL, NO_COVER},
    {"Content-Digest dropped", GM_FP_RFC9421, 0, "content-digest", 0, NULL, 0, NULL, MALFORMED},
    {"Date dropped", GM_FP_CAVAGE, 0, "date", 0, NULL, 0, NULL, MALFORMED},
    {"date 13 h old", GM_FP_CAVAGE, 0, NULL, -13 * 3600, NULL, 0, NULL, WINDOW},
    {"date 2 h ahead", GM_FP_CAVAGE, 0, NULL, 2 * 3600, NULL, 0, NULL, WINDOW},
    {"RFC 9421 created 13 h ago", GM_FP_RFC9421, 0, NULL, -13 * 3600, NULL, 0, NULL, WINDOW},
    {"RFC 9421 created 2 h ahead", GM_FP_RFC9421, 0, NULL, 2 * 3600, NULL, 0, NULL, WINDOW},
    {"signed for another port", GM_FP_CAVAGE, 0, NULL, 0, "127.0.0.1:1", 0, NULL, OTHER_HOST},
    {"signed for another host", GM_FP_CAVAGE, 0, NULL, 0, "other.example", 0, NULL, OTHER_HOST},
    {"RFC 9421 for another host", GM_FP_RFC9421, 0, NULL, 0, "other.example", 0, NULL, OTHER_HOST},
    {"unsigned", GM_FP_CAVAGE, 0, NULL, 0, NULL, 1, NULL, "request is not signed"},
    {"garbage Signature", GM_FP_CAVAGE, 0, NULL, 0, NULL, 1, "garbage!! \"=,", MALFORMED},
    {"Signature without signature", GM_FP_CAVAGE, 0, NULL, 0, NULL, 1,
     "keyId=\"x\",headers=\"(request-target) host date digest\"", MALFORMED},
};

static void test_cheap_refusals(void **state)
{
    struct gm_fp_world *w = *state;
    char *body = create_note(w->alice, "c", "cheap checks");
    for (size_t i = 0; i < sizeof cheap_cases / sizeof cheap_cases[0]; i++) {
        const struct cheap_case *c = &cheap_cases[i];
        struct gm_fp_sig s = as_alice(w);
        s.scheme = c->scheme;
        s.alg = c->scheme == GM_FP_RFC9421 ? "rsa-v1_5-sha256" : NULL;
        s.tamper = c->tamper;
        s.drop = c->drop;
        s.clock_offset = c->clock_offset;
        s.host = c->host;
        s.raw_signature = c->raw_signature;
        if (c->unsigned_)
            s.key = NULL;
        expect_post(w, "/c/town/inbox", body, &s, 401, c->error, c->what);
        if (gm_fp_hits(w->a, NULL) != 0)
            fail_msg("%s: the daemon fetched a key before the cheap checks", c->what);
    }
    expect_count(w, 0, "after the refusals");
    /* the control: the same activity, correctly signed, is accepted */
    struct gm_fp_sig s = as_alice(w);
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "the control");
    expect_count(w, 1, "after the control");
    free(body);
    w->finished = 1;
}

/* ---- 6: who may act on what ------------------------------------------------------------- */

static void test_origin_rules(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    char id[300], *body;

    body = create_note(w->bob, "impersonated", "signed by alice, claims bob");
    expect_post(w, "/c/town/inbox", body, &s, 403,
                "the signing key belongs to another actor than the activity's",
                "actor bob, alice's key");
    free(body);

    snprintf(id, sizeof id, "%s", gm_fp_url(w->b, "/notes/forged"));
    body = gm_fp_activity(w->alice, "Create", "foreign-object", gm_fp_note(id, w->alice, "x"));
    expect_post(w, "/c/town/inbox", body, &s, 403,
                "object of a Create/Update comes from another origin than its actor",
                "Create of an object on bob's origin");
    free(body);

    snprintf(id, sizeof id, "%s/notes/attr", w->alice);
    body = gm_fp_activity(w->alice, "Create", "attr", gm_fp_note(id, w->bob, "bob said"));
    expect_post(w, "/c/town/inbox", body, &s, 403,
                "object is attributed to someone other than the actor", "Create attributedTo bob");
    free(body);

    snprintf(id, sizeof id, "%s/notes/del", w->bob);
    body = gm_fp_activity(w->alice, "Delete", "del", json_string(id));
    expect_post(w, "/c/town/inbox", body, &s, 403, "Delete of an object from another origin",
                "Delete of bob's note");
    free(body);

    json_t *follow = json_pack("{s:s, s:s, s:s, s:s}", "id", gm_fp_url(w->b, "/follows/1"), "type",
                               "Follow", "actor", w->bob, "object", w->d.base_url);
    body = gm_fp_activity(w->alice, "Undo", "undo", follow);
    expect_post(w, "/c/town/inbox", body, &s, 403, "Undo of another actor's activity",
                "Undo of bob's Follow");
    free(body);
    expect_count(w, 0, "after the forgeries");

    /* an activity id on another origin than its actor */
    snprintf(id, sizeof id, "%s", gm_fp_url(w->b, "/activities/stolen"));
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "@context", "https://www.w3.org/ns/activitystreams",
                  "id", id, "type", "Create", "actor", w->alice, "object",
                  gm_fp_note(gm_fp_url(w->a, "/notes/id"), w->alice, "x"));
    body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    expect_post(w, "/c/town/inbox", body, &s, 403, "activity id has another origin than its actor",
                "activity id on bob's origin");
    free(body);
    expect_count(w, 0, "after the foreign id");

    /* Announce with bob's note embedded: accepted, the note reduced to its id */
    snprintf(id, sizeof id, "%s/notes/1", w->bob);
    body = gm_fp_activity(w->alice, "Announce", "boost", gm_fp_note(id, w->bob, "forged text"));
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "Announce with embedded object");
    free(body);
    expect_count(w, 1, "after the Announce");
    json_t *rec = gm_fp_stored(w->env.data_dir, 1);
    json_t *object = json_object_get(json_object_get(rec, "activity"), "object");
    if (!json_is_string(object) || strcmp(json_string_value(object), id) != 0)
        fail_msg("stored Announce object is %s, want the string %s",
                 json_dumps(object, JSON_COMPACT | JSON_ENCODE_ANY), id);
    json_decref(rec);
    w->finished = 1;
}

/* ---- 12: malformed input and the shared inbox ------------------------------------------- */

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 200);
    int n = sprintf(s, "{\"type\":\"Create\",\"actor\":\"http://127.0.0.2/u\",\"object\":");
    for (int i = 0; i < depth; i++)
        s[n++] = '[';
    for (int i = 0; i < depth; i++)
        s[n++] = ']';
    strcpy(s + n, "}");
    return s;
}

static void test_bad_input(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    char *deep = nested(100), *big = malloc(70000);
    char graph[600], notype[600];
    snprintf(graph, sizeof graph, "{\"@graph\":[],\"type\":\"Create\",\"actor\":\"%s\"}", w->alice);
    snprintf(notype, sizeof notype, "{\"id\":\"%s/x\",\"actor\":\"%s\"}", w->alice, w->alice);
    memset(big, ' ', 69999);
    big[0] = '{';
    memcpy(big + 69990, "}", 2);
    const struct {
        const char *what, *body;
        long status;
    } cases[] = {
        {"invalid JSON", "{\"type\":\"Create\",", 400},
        {"nesting depth 100", deep, 400},
        {"top-level @graph", graph, 400},
        {"an array", "[1,2,3]", 400},
        {"no type", notype, 400},
        {"no actor", "{\"type\":\"Create\"}", 400},
        {"over max_body", big, 413},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_post(w, "/c/town/inbox", cases[i].body, &s, cases[i].status, NULL, cases[i].what);
    free(deep);
    free(big);
    assert_int_equal(gm_fp_hits(w->a, NULL), 0);

    char *body = create_note(w->alice, "shared", "to the shared inbox");
    expect_post(w, "/c/nope/inbox", body, &s, 404, NULL, "unknown community");
    expect_count(w, 0, "after bad input");
    expect_post(w, "/inbox", body, &s, 202, "accepted", "shared inbox");
    free(body);
    expect_count(w, 1, "after the shared inbox");
    json_t *rec = gm_fp_stored(w->env.data_dir, 1);
    assert_non_null(rec);
    assert_true(json_is_null(json_object_get(rec, "community")) ||
                !json_object_get(rec, "community"));
    json_decref(rec);
    w->finished = 1;
}

/* ---- 13: durability --------------------------------------------------------------------- */

static void test_sigkill_durability(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    char *body = create_note(w->alice, "durable", "survives SIGKILL");
    expect_post(w, "/c/town/inbox", body, &s, 202, "accepted", "before the kill");
    int status = gm_h_serve_stop(&w->d, SIGKILL); /* prints the log; 128 + 9 expected */
    assert_int_equal(status, 128 + SIGKILL);
    expect_count(w, 1, "after SIGKILL");
    assert_int_equal(gm_h_serve_start(&w->env, &w->d), 0);
    expect_count(w, 1, "after the restart");
    expect_post(w, "/c/town/inbox", body, &s, 202, "duplicate", "the same after the restart");
    free(body);
    json_t *rec = gm_fp_stored(w->env.data_dir, 1);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "actor")), w->alice);
    json_decref(rec);
    assert_int_equal(gm_fp_hits(w->a, NULL), 2); /* the key and host caches survived too */
    w->finished = 1;
}

/* A domain blocked while the daemon runs (the CLI's way: another process writes the store):
 * its signed activity is refused 403 before any key fetch, and nothing is stored. */
static void test_blocked_domain(void **state)
{
    struct gm_fp_world *w = *state;
    struct gm_fp_sig s = as_alice(w);
    struct gm_store *st;
    struct gm_txn *txn;
    char *answer = NULL;
    assert_int_equal(gm_store_open(w->env.data_dir, 1024, &st, NULL, 0), GM_OK);
    assert_int_equal(gm_txn_begin(st, true, &txn), GM_OK);
    assert_int_equal(gm_block_put(txn, "127.0.0.2", "test"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_store_close(st);
    char *body = create_note(w->alice, "blocked", "from a blocked domain");
    assert_int_equal(gm_fp_post(&w->d, "/c/town/inbox", body, &s, &answer), 403);
    assert_non_null(strstr(answer, "blocked"));
    free(answer);
    free(body);
    assert_int_equal(gm_fp_hits(w->a, NULL), 0); /* no key fetch */
    expect_count(w, 0, "after a blocked domain's activity");
    w->finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&alice_k) != 0 || gm_fp_key_rsa(&bob_k) != 0 ||
        gm_fp_key_ed25519(&carol_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_accept_cavage), T(test_duplicate),          T(test_rfc9421_and_ed25519),
        T(test_tampered_body), T(test_cheap_refusals),     T(test_origin_rules),
        T(test_bad_input),     T(test_sigkill_durability), T(test_blocked_domain),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&alice_k);
    gm_fp_key_clear(&bob_k);
    gm_fp_key_clear(&carol_k);
    curl_global_cleanup();
    return failed;
}
