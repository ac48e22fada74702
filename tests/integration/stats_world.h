/* SPDX-License-Identifier: Apache-2.0
 * stats_world.h - what test_stats.c and test_stats_web.c share: a node (community "town",
 * admin_token set, metrics on, unanswered_minutes 0) with its daemon and three fake remote
 * servers on 127.0.0.2-4 (fake_peer.c) with one account each, and the traffic whose figures
 * the tests check: ana, bob and cat follow; ana asks a question, bob answers it once the daemon
 * accepted it and likes it; cat posts twice (a '?' only inside a URL, then hostile HTML, a
 * second later) and nobody answers; cat leaves. Then the CLI and HTTP helpers of both files.
 * Header-only (static inline), for the integration tests only. The including file defines
 * STATS_WORLD_TESTS: the tests of the group, test_traffic first, that count in w->passed (the
 * daemon's log is printed when not all of them passed). */
#ifndef GEMEINDE_TEST_STATS_WORLD_H
#define GEMEINDE_TEST_STATS_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_peer.h"
#include "harness.h"

#define TOKEN "Zq7-stats-token-4b1e9c2d8f0a7e61"
#define AUTH "Authorization: Bearer " TOKEN
#define COMMUNITY_INBOX "/c/town/inbox"
#define WAIT_MS 15000   /* deliveries that should happen, under ASan */
#define SENT_ACCEPTED 9 /* activities of the traffic: 3 Follow, 4 Create, Like, Undo */
#define HOSTILE                                                                                    \
    "<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>"
#define HDRS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *binary;
static struct gm_fp_key key_a, key_b, key_c;

/* A remote account the test speaks for. */
struct person {
    struct gm_fp *peer; /* borrowed */
    const struct gm_fp_key *key;
    char name[32], path[64], inbox[80], host[64];
    char id[200], key_id[220];
};

struct world {
    struct gm_h_env env;
    struct gm_h_daemon d;
    struct gm_fp *peer[3];
    struct person ana, bob, cat;
    char community[200];
    char question_id[300], plain_id[300], plain_url[300], hostile_id[300];
    long long day_before, day_after; /* UTC days when the traffic began and the checks ran */
    int passed;                      /* tests that reached their end */
};

static inline void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline long long utc_day(void)
{
    return (long long)time(NULL) / 86400;
}

/* ---- the world -------------------------------------------------------------------------- */

/* Serve account `name` at /users/NAME of `peer`, with an inbox that accepts. 0 or -1. */
static inline int person_init(struct person *p, struct gm_fp *peer, const char *name,
                              const struct gm_fp_key *key)
{
    memset(p, 0, sizeof *p);
    p->peer = peer;
    p->key = key;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->path, sizeof p->path, "/users/%s", name);
    snprintf(p->inbox, sizeof p->inbox, "/users/%s/inbox", name);
    snprintf(p->host, sizeof p->host, "%s", gm_fp_origin(peer) + strlen("http://"));
    snprintf(p->id, sizeof p->id, "%s", gm_fp_url(peer, p->path));
    snprintf(p->key_id, sizeof p->key_id, "%s#main-key", p->id);
    char *text = gm_fp_actor_json(p->id, p->key_id, key->pem);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_object_set_new(doc, "preferredUsername", json_string(name));
    json_object_set_new(doc, "published", json_string("2020-01-01T00:00:00Z"));
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    struct gm_fp_doc actor = {.body = body}, accepted = {.status = 202, .body = "{}"};
    int rc = body && gm_fp_serve(peer, p->path, &actor) == 0 &&
                     gm_fp_serve(peer, p->inbox, &accepted) == 0
                 ? 0
                 : -1;
    free(body);
    return rc;
}

/* A CLI run that must exit 0; prints why not. 0 or -1. */
static inline int cli_ok(struct world *w, const char *const *args)
{
    const char *argv[16] = {"-c", w->env.config};
    struct gm_h_run run;
    size_t n = 2;
    for (; args[n - 2] && n < 15; n++)
        argv[n] = args[n - 2];
    argv[n] = NULL;
    int rc = gm_h_run_argv(w->env.binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    if (rc != 0)
        fprintf(stderr, "test_stats: %s %s: exit %d: %s\n", args[0], args[1], rc,
                run.err ? run.err : "");
    gm_h_run_clear(&run);
    return rc == 0 ? 0 : -1;
}

static inline int group_setup(void **state)
{
    static const char *const addrs[3] = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    struct world *w = calloc(1, sizeof *w);
    if (!w || gm_h_env_init(&w->env, binary,
                            "allow_http_fetch = true\nallow_private_addresses = true\n"
                            "max_body = 65536\nthreads = 4\nmetrics = true\n"
                            "admin_token = " TOKEN "\n") != 0)
        goto fail;
    if (cli_ok(w, HDRS("community", "create", "town")) != 0 ||
        cli_ok(w, HDRS("community", "set", "town", "--unanswered-minutes", "0")) != 0)
        goto fail;
    for (int i = 0; i < 3; i++)
        if (gm_fp_start(addrs[i], &w->peer[i]) != 0)
            goto fail;
    if (person_init(&w->ana, w->peer[0], "ana", &key_a) != 0 ||
        person_init(&w->bob, w->peer[1], "bob", &key_b) != 0 ||
        person_init(&w->cat, w->peer[2], "cat", &key_c) != 0)
        goto fail;
    if (gm_h_serve_start(&w->env, &w->d) != 0)
        goto fail;
    snprintf(w->community, sizeof w->community, "%s/c/town", w->d.base_url);
    *state = w;
    return 0;
fail:
    fprintf(stderr, "test_stats: setup failed\n");
    for (int i = 0; w && i < 3; i++)
        gm_fp_stop(w->peer[i]);
    if (w)
        gm_h_env_clear(&w->env);
    free(w);
    return -1;
}

static inline int group_teardown(void **state)
{
    struct world *w = *state;
    int rc = gm_h_serve_stop(&w->d, SIGTERM) == 0 ? 0 : -1; /* prints the log if not 0 */
    if (rc == 0 && w->passed < STATS_WORLD_TESTS)
        gm_h_serve_dump(&w->d);
    for (int i = 0; i < 3; i++)
        gm_fp_stop(w->peer[i]);
    gm_h_env_clear(&w->env);
    free(w);
    return rc;
}

/* ---- activities ------------------------------------------------------------------------- */

static inline json_t *activity(const struct person *who, const char *type, const char *tag,
                               json_t *object)
{
    char id[300];
    snprintf(id, sizeof id, "%s/activities/%s", who->id, tag);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type", type, "actor",
                     who->id, "object", object);
}

/* POST `doc` (stolen) to the community inbox as `who`, signed with `key` (NULL: who's own).
 * Returns the status. */
static inline long post_signed(struct world *w, const struct person *who, json_t *doc,
                               const struct gm_fp_key *key)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    assert_non_null(body);
    struct gm_fp_sig s = {.key_id = who->key_id, .key = (key ? key : who->key)->key};
    long status = gm_fp_post(&w->d, COMMUNITY_INBOX, body, &s, NULL);
    free(body);
    json_decref(doc);
    return status;
}

static inline void post_as(struct world *w, const struct person *who, json_t *doc, const char *what)
{
    long status = post_signed(w, who, doc, NULL);
    if (status != 202)
        fail_msg("%s by %s: status %ld, want 202", what, who->name, status);
}

/* A public Note to the community: id WHO/notes/TAG (into note_id, may be NULL), `url` and
 * `in_reply_to` optional. The Create (new reference). */
static inline json_t *public_post(struct world *w, const struct person *who, const char *tag,
                                  const char *html, const char *url, const char *in_reply_to,
                                  char *note_id, size_t id_size)
{
    char id[300];
    snprintf(id, sizeof id, "%s/notes/%s", who->id, tag);
    json_t *note =
        json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "id", id, "type", "Note", "attributedTo",
                  who->id, "content", html, "to", GM_FP_PUBLIC, "cc", w->community);
    if (url)
        json_object_set_new(note, "url", json_string(url));
    if (in_reply_to)
        json_object_set_new(note, "inReplyTo", json_string(in_reply_to));
    json_t *doc = activity(who, "Create", tag, note);
    json_object_set_new(doc, "to", json_pack("[s]", GM_FP_PUBLIC));
    json_object_set_new(doc, "cc", json_pack("[s]", w->community));
    if (note_id)
        snprintf(note_id, id_size, "%s", id);
    return doc;
}

/* ---- CLI and HTTP ----------------------------------------------------------------------- */

/* `gemeinde -c CONFIG args...`: exit status `want` (-2: any non-zero); *run yours. */
static inline void cli(struct world *w, int want, struct gm_h_run *run, const char *const *args)
{
    const char *argv[16] = {"-c", w->env.config};
    char line[300] = "";
    size_t n = 2;
    for (; args[n - 2] && n < 15; n++) {
        argv[n] = args[n - 2];
        strncat(line, " ", sizeof line - strlen(line) - 1);
        strncat(line, argv[n], sizeof line - strlen(line) - 1);
    }
    argv[n] = NULL;
    int rc = gm_h_run_argv(w->env.binary, argv, GM_H_CLI_TIMEOUT_MS, run);
    if (want == -2 ? rc <= 0 : rc != want)
        fail_msg("gemeinde%s: exit %d, want %s%d; stderr: %s", line, rc, want == -2 ? "not " : "",
                 want == -2 ? 0 : want, run->err ? run->err : "");
}
#define CLI(w, want, run, ...) cli(w, want, run, HDRS(__VA_ARGS__))

/* The JSON the CLI prints (new reference). */
static inline json_t *cli_json(struct world *w, const char *const *args)
{
    struct gm_h_run run;
    cli(w, 0, &run, args);
    json_error_t jerr;
    json_t *doc = json_loads(run.out, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s): %.500s", jerr.text, run.out);
    gm_h_run_clear(&run);
    return doc;
}

static inline struct gm_h_resp http(const struct gm_h_daemon *d, const char *method,
                                    const char *path, const char *const *headers, const char *body)
{
    struct gm_h_resp resp;
    if (gm_h_http(d, NULL, method, path, headers, body, body ? strlen(body) : 0, &resp) != 0)
        fail_msg("%s %s: no answer", method, path);
    return resp;
}

/* The status of a request (the response is dropped). */
static inline long status_of(const struct gm_h_daemon *d, const char *method, const char *path,
                             const char *const *headers, const char *body)
{
    struct gm_h_resp resp = http(d, method, path, headers, body);
    long status = resp.status;
    gm_h_resp_clear(&resp);
    return status;
}

/* Header `name` of resp (static buffer), failing when absent. */
static inline const char *header(const struct gm_h_resp *resp, const char *name)
{
    static char value[1024];
    if (gm_h_resp_header(resp, name, value, sizeof value) != 0)
        fail_msg("no %s header in:\n%s", name, resp->headers);
    return value;
}

static inline json_t *api_json(struct world *w, const char *path)
{
    struct gm_h_resp resp = http(&w->d, "GET", path, HDRS(AUTH), NULL);
    if (resp.status != 200)
        fail_msg("GET %s: status %ld: %s", path, resp.status, resp.body);
    json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
    if (!doc)
        fail_msg("GET %s: not JSON: %.500s", path, resp.body);
    gm_h_resp_clear(&resp);
    return doc;
}

/* ---- the traffic ------------------------------------------------------------------------ */

static inline void test_traffic(void **state)
{
    struct world *w = *state;
    struct person *ana = &w->ana, *bob = &w->bob, *cat = &w->cat;
    char reply_id[300];
    w->day_before = utc_day();
    post_as(w, ana, activity(ana, "Follow", "follow-1", json_string(w->community)), "Follow");
    post_as(w, bob, activity(bob, "Follow", "follow-1", json_string(w->community)), "Follow");
    json_t *cat_follow = activity(cat, "Follow", "follow-1", json_string(w->community));
    post_as(w, cat, json_incref(cat_follow), "Follow");

    /* the question, and the answer once the daemon accepted it */
    post_as(w, ana,
            public_post(w, ana, "q1", "<p>Where can I get my bike fixed?</p>", NULL, NULL,
                        w->question_id, sizeof w->question_id),
            "question");
    post_as(w, bob,
            public_post(w, bob, "r1", "<p>At the repair caf\xC3\xA9 on Main Street.</p>", NULL,
                        w->question_id, reply_id, sizeof reply_id),
            "reply");
    /* not a question: the '?' is a URL's. Its id sorts after the later hostile post's. */
    snprintf(w->plain_url, sizeof w->plain_url, "%s", gm_fp_url(cat->peer, "/@cat/b-plain"));
    post_as(
        w, cat,
        public_post(w, cat, "b-plain",
                    "<p>Repair caf\xC3\xA9 tonight: https://cafe.example/?day=1 for details</p>",
                    w->plain_url, NULL, w->plain_id, sizeof w->plain_id),
        "plain post");
    msleep(1100); /* the next post is relayed a second later at least */
    post_as(w, bob, activity(bob, "Like", "like-1", json_string(w->question_id)), "Like");
    post_as(
        w, cat,
        public_post(w, cat, "a-hostile", HOSTILE, NULL, NULL, w->hostile_id, sizeof w->hostile_id),
        "hostile post");
    post_as(w, cat, activity(cat, "Undo", "undo-1", cat_follow), "Undo Follow");
    w->passed++;
}

/* ---- JSON members and keys -------------------------------------------------------------- */

static inline json_int_t inum(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("'%s' missing or not an integer", key);
    return json_integer_value(v);
}

static inline const char *istr(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        fail_msg("'%s' missing or not a string", key);
    return s;
}

/* The three accounts' keys, made once by main: 0 or -1. */
static inline int stats_keys_new(void)
{
    return gm_fp_key_rsa(&key_a) == 0 && gm_fp_key_rsa(&key_b) == 0 && gm_fp_key_rsa(&key_c) == 0
               ? 0
               : -1;
}

static inline void stats_keys_free(void)
{
    gm_fp_key_clear(&key_a);
    gm_fp_key_clear(&key_b);
    gm_fp_key_clear(&key_c);
}

#endif
