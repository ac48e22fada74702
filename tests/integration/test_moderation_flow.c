/* SPDX-License-Identifier: Apache-2.0
 * test_moderation_flow.c - community moderation against the real daemon, with fake remote
 * servers on 127.0.0.2-4 whose inboxes record what they receive (fake_peer.c):
 *   approval: a signed Follow gets no answer, shows in `gemeinde pending --json`, and
 *     `pending approve` sends the Accept embedding it and the welcome DM;
 *   ban: `gemeinde ban --reason` sends a Reject and a DM with the reason; a new Follow gets
 *     a Reject again and no membership;
 *   premoderation: a post is held (`gemeinde held --json`) and reaches members only after
 *     `held approve`;
 *   DMs: a moderator (`gemeinde mod add`, listed at /c/NAME/moderators) sends "ban @x 2 spam"
 *     as Mastodon writes it: done, and answered by a DM threaded under it; a non-moderator's
 *     DM is not relayed and shows in `gemeinde inbox --json`;
 *   a node-wide suspended domain: its verified Follow is answered with a Reject and nothing
 *     else ever reaches it; its other activities get 403, a forged Follow 401.
 * The CLI signs nothing: what it queues is sent by the running daemon (base_url is written
 * into the config once the daemon's port is known, as a real node configures it). */
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
static struct gm_fp_key key_a, key_b, key_c;

/* A remote account the test speaks for: actor document with its own preferredUsername. */
struct person {
    struct gm_fp *peer; /* borrowed */
    char name[32], path[64], inbox[80];
    char id[200], key_id[220], handle[120];
    const struct gm_fp_key *key;
};

struct world {
    struct gm_fp_world w;
    struct gm_fp *c; /* 127.0.0.4, started by tests that need a third host */
    char community[200];
    EVP_PKEY *community_key;
};

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *dump(json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    assert_non_null(s);
    return s;
}

static EVP_PKEY *community_key(struct world *mw)
{
    struct gm_h_resp resp;
    EVP_PKEY *key = NULL;
    if (gm_h_get(&mw->w.d, "/c/town", GM_FP_AP_TYPE, &resp) != 0)
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

static int setup(void **state)
{
    struct world *mw = calloc(1, sizeof *mw);
    if (!mw || gm_fp_world_start(&mw->w, binary, 1, key_a.pem, key_b.pem) != 0) {
        free(mw);
        return -1;
    }
    snprintf(mw->community, sizeof mw->community, "%s/c/town", mw->w.d.base_url);
    /* the CLI must name the node as the daemon does */
    FILE *f = fopen(mw->w.env.config, "a");
    if (!f || fprintf(f, "base_url = %s\n", mw->w.d.base_url) < 0 || fclose(f) != 0)
        goto fail;
    if (!(mw->community_key = community_key(mw)))
        goto fail;
    *state = mw;
    return 0;
fail:
    fprintf(stderr, "test_moderation_flow: setup failed\n");
    mw->w.finished = 1;
    gm_fp_world_stop(&mw->w);
    free(mw);
    return -1;
}

static int teardown(void **state)
{
    struct world *mw = *state;
    int rc = gm_fp_world_stop(&mw->w);
    gm_fp_stop(mw->c);
    EVP_PKEY_free(mw->community_key);
    free(mw);
    return rc;
}

/* Serve account `name` at /users/NAME of `peer`, with an inbox that accepts. */
static struct person person(struct gm_fp *peer, const char *name, const struct gm_fp_key *key)
{
    struct person p = {.peer = peer, .key = key};
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.path, sizeof p.path, "/users/%s", name);
    snprintf(p.inbox, sizeof p.inbox, "/users/%s/inbox", name);
    snprintf(p.id, sizeof p.id, "%s", gm_fp_url(peer, p.path));
    snprintf(p.key_id, sizeof p.key_id, "%s#main-key", p.id);
    snprintf(p.handle, sizeof p.handle, "@%s@%s", name, gm_fp_origin(peer) + strlen("http://"));
    char *text = gm_fp_actor_json(p.id, p.key_id, key->pem);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    json_object_set_new(doc, "preferredUsername", json_string(name));
    json_object_set_new(doc, "published", json_string("2020-01-01T00:00:00Z"));
    char *body = dump(doc);
    json_decref(doc);
    struct gm_fp_doc d = {.body = body}, accepted = {.status = 202, .body = "{}"};
    if (gm_fp_serve(peer, p.path, &d) != 0 || gm_fp_serve(peer, p.inbox, &accepted) != 0)
        fail_msg("cannot serve %s", p.id);
    free(body);
    return p;
}

/* POST `body` to the community inbox as `who`: the HTTP status. */
static long post_raw(struct world *mw, const struct person *who, const char *body)
{
    struct gm_fp_sig s = {.key_id = who->key_id, .key = who->key->key};
    return gm_fp_post(&mw->w.d, COMMUNITY_INBOX, body, &s, NULL);
}

/* POST `doc` (stolen) as `who`; it must be accepted (202). */
static void post_as(struct world *mw, const struct person *who, json_t *doc, const char *what)
{
    char *body = dump(doc);
    long status = post_raw(mw, who, body);
    if (status != 202)
        fail_msg("%s by %s: status %ld, want 202", what, who->name, status);
    free(body);
    json_decref(doc);
}

static json_t *activity(const struct person *who, const char *type, const char *tag, json_t *object)
{
    char id[300];
    snprintf(id, sizeof id, "%s/activities/%s", who->id, tag);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type", type, "actor",
                     who->id, "object", object);
}

/* Follow the community; the Follow (new reference). */
static json_t *follow(struct world *mw, const struct person *who, const char *tag)
{
    json_t *doc = activity(who, "Follow", tag, json_string(mw->community));
    post_as(mw, who, json_incref(doc), "Follow");
    return doc;
}

/* A public post to the community (new reference). */
static json_t *public_post(struct world *mw, const struct person *who, const char *tag)
{
    char note_id[300];
    snprintf(note_id, sizeof note_id, "%s/notes/%s", who->id, tag);
    json_t *note = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "id", note_id, "type", "Note",
                             "attributedTo", who->id, "content", "<p>hello town</p>", "to",
                             GM_FP_PUBLIC, "cc", mw->community);
    json_t *doc = activity(who, "Create", tag, note);
    json_object_set_new(doc, "to", json_pack("[s]", GM_FP_PUBLIC));
    json_object_set_new(doc, "cc", json_pack("[s]", mw->community));
    post_as(mw, who, json_incref(doc), "public Create");
    return doc;
}

/* A direct message to the community as Mastodon sends it: "@town" (and "@name" of `about`,
 * if given) in the HTML, the full names in the tag array. */
static json_t *direct_message(struct world *mw, const struct person *who, const char *tag,
                              const char *before, const struct person *about, const char *after)
{
    char note_id[300], html[2048], town[120];
    snprintf(note_id, sizeof note_id, "%s/statuses/%s", who->id, tag);
    snprintf(town, sizeof town, "@town@%s", mw->w.d.host);
    snprintf(html, sizeof html,
             "<p><span class=\"h-card\"><a href=\"%s\" class=\"u-url mention\">@<span>town</span>"
             "</a></span> %s%s%s%s%s%s%s</p>",
             mw->community, before, about ? " <span class=\"h-card\"><a href=\"" : "",
             about ? about->id : "", about ? "\" class=\"u-url mention\">@<span>" : "",
             about ? about->name : "", about ? "</span></a></span> " : "", after);
    json_t *tags =
        json_pack("[{s:s, s:s, s:s}]", "type", "Mention", "href", mw->community, "name", town);
    if (about)
        json_array_append_new(tags, json_pack("{s:s, s:s, s:s}", "type", "Mention", "href",
                                              about->id, "name", about->handle));
    json_t *note =
        json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[], s:o}", "id", note_id, "type", "Note",
                  "attributedTo", who->id, "content", html, "to", mw->community, "cc", "tag", tags);
    json_t *doc = activity(who, "Create", tag, note);
    json_object_set_new(doc, "to", json_pack("[s]", mw->community));
    json_object_set_new(doc, "cc", json_array());
    post_as(mw, who, json_incref(doc), "direct message");
    return doc;
}

/* Wait until `total` requests reached the person's inbox, then return the k-th (0-based) of
 * `type` among them (deliveries queued together may arrive in any order): parsed, from and
 * signed by the community. */
static json_t *received(struct world *mw, const struct person *who, unsigned total,
                        const char *type, unsigned k)
{
    if (gm_fp_wait_hits(who->peer, who->inbox, total, WAIT_MS) != 0)
        fail_msg("%s: %u requests did not arrive within %d ms (%u did)", who->name, total, WAIT_MS,
                 gm_fp_hits(who->peer, who->inbox));
    for (unsigned n = 0; n < total; n++) {
        char *body = gm_fp_body(who->peer, who->inbox, n);
        json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
        const char *t = json_string_value(json_object_get(doc, "type"));
        free(body);
        if (!t || strcmp(t, type) != 0 || k-- != 0) {
            json_decref(doc);
            continue;
        }
        assert_string_equal(json_string_value(json_object_get(doc, "actor")), mw->community);
        gm_err e = gm_fp_verify(who->peer, who->inbox, n, mw->community_key, NULL);
        if (e != GM_OK)
            fail_msg("%s %u to %s does not verify: %s", type, n, who->name, gm_strerror(e));
        return doc;
    }
    fail_msg("%s: no %s among the first %u requests", who->name, type, total);
    return NULL;
}

/* The plain-text-ish content of a received DM (its Note's HTML). */
static const char *dm_html(json_t *create)
{
    return json_string_value(json_object_get(json_object_get(create, "object"), "content"));
}

/* Run `gemeinde -c CONFIG args...` (args NULL-terminated); exit status `want`; stdout parsed
 * as JSON when json is set (new reference, else NULL). Use through CLI(). */
static json_t *cli(struct world *mw, int want, int json, const char *const *args)
{
    const char *argv[24] = {"-c", mw->w.env.config};
    char line[512] = "";
    size_t n = 2;
    for (; args[n - 2] && n < 23; n++) {
        argv[n] = args[n - 2];
        strncat(line, " ", sizeof line - strlen(line) - 1);
        strncat(line, argv[n], sizeof line - strlen(line) - 1);
    }
    argv[n] = NULL;
    struct gm_h_run run;
    int rc = gm_h_run_argv(mw->w.env.binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    if (rc != want)
        fail_msg("gemeinde%s: exit %d, want %d; stderr: %s", line, rc, want,
                 run.err ? run.err : "");
    json_t *doc = json ? json_loads(run.out, 0, NULL) : NULL;
    if (json && !doc)
        fail_msg("gemeinde%s: not JSON: %s", line, run.out);
    gm_h_run_clear(&run);
    return doc;
}
#define CLI(mw, want, json, ...) cli(mw, want, json, (const char *const[]){__VA_ARGS__, NULL})

static json_t *get_json(struct world *mw, const char *path)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&mw->w.d, path, GM_FP_AP_TYPE, &resp), 0);
    assert_int_equal(resp.status, 200);
    json_t *doc = json_loads(resp.body, 0, NULL);
    assert_non_null(doc);
    gm_h_resp_clear(&resp);
    return doc;
}

static long total_items(struct world *mw, const char *path)
{
    json_t *doc = get_json(mw, path);
    long n = (long)json_integer_value(json_object_get(doc, "totalItems"));
    json_decref(doc);
    return n;
}

/* ---- approval --------------------------------------------------------------------------- */

static void test_approval(void **state)
{
    struct world *mw = *state;
    struct person ana = person(mw->w.a, "ana", &key_a);
    /* a filter that does not compile is refused at set time, and nothing is changed */
    json_decref(CLI(mw, 2, 0, "community", "set", "town", "--filter", "/(unclosed/"));
    json_decref(CLI(mw, 0, 0, "community", "set", "town", "--join", "approval"));
    json_decref(CLI(mw, 0, 0, "community", "set", "town", "--welcome", "Welcome to {title}!"));
    json_t *group = get_json(mw, "/c/town");
    assert_true(json_is_true(json_object_get(group, "manuallyApprovesFollowers")));
    assert_true(json_is_false(json_object_get(group, "postingRestrictedToMods")));
    json_decref(group);
    json_t *rules = get_json(mw, "/c/town/rules");
    assert_string_equal(json_string_value(json_object_get(rules, "join")), "approval");
    assert_string_equal(json_string_value(json_object_get(rules, "posting")), "members");
    json_decref(rules);

    json_t *sent = follow(mw, &ana, "follow-1");
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(ana.peer, ana.inbox), 0); /* no answer yet */
    assert_int_equal(total_items(mw, "/c/town/followers"), 0);
    json_t *pending = CLI(mw, 0, 1, "pending", "town", "--json");
    assert_int_equal(json_array_size(pending), 1);
    json_t *item = json_array_get(pending, 0);
    assert_string_equal(json_string_value(json_object_get(item, "key")), ana.id);
    assert_true(json_equal(json_object_get(json_object_get(item, "value"), "follow"), sent));
    json_decref(pending);

    json_decref(CLI(mw, 0, 0, "pending", "town", "approve", ana.id));
    json_t *accept = received(mw, &ana, 2, "Accept", 0);
    if (!json_equal(json_object_get(accept, "object"), sent))
        fail_msg("the Accept does not embed the Follow");
    json_decref(accept);
    json_t *welcome = received(mw, &ana, 2, "Create", 0);
    assert_string_equal(dm_html(welcome), "<p>Welcome to town!</p>");
    json_t *to = json_object_get(json_object_get(welcome, "object"), "to");
    assert_int_equal(json_array_size(to), 1);
    assert_string_equal(json_string_value(json_array_get(to, 0)), ana.id);
    json_decref(welcome);
    json_decref(sent);
    assert_int_equal(total_items(mw, "/c/town/followers"), 1);
    pending = CLI(mw, 0, 1, "pending", "town", "--json");
    assert_int_equal(json_array_size(pending), 0);
    json_decref(pending);
    /* approving again: nothing to approve */
    json_decref(CLI(mw, 2, 0, "pending", "town", "approve", ana.id));
    msleep(500);
    assert_int_equal(gm_fp_hits(ana.peer, ana.inbox), 2);
    mw->w.finished = 1;
}

/* ---- ban with a reason, then a new Follow ------------------------------------------------ */

static void test_ban_and_refollow(void **state)
{
    struct world *mw = *state;
    struct person sam = person(mw->w.b, "sam", &key_b);
    json_decref(follow(mw, &sam, "follow-1"));
    json_decref(received(mw, &sam, 1, "Accept", 0));
    assert_int_equal(total_items(mw, "/c/town/followers"), 1);

    /* named by handle: the node learned it when it fetched sam's actor */
    json_decref(CLI(mw, 2, 0, "ban", "town", sam.handle)); /* no reason */
    json_decref(CLI(mw, 0, 0, "ban", "town", sam.handle, "--reason", "spam <links>"));
    json_t *reject = received(mw, &sam, 3, "Reject", 0);
    json_t *obj = json_object_get(reject, "object");
    assert_string_equal(json_string_value(json_object_get(obj, "type")), "Follow");
    char want_id[300];
    snprintf(want_id, sizeof want_id, "%s/activities/follow-1", sam.id);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), want_id);
    json_decref(reject);
    json_t *notice = received(mw, &sam, 3, "Create", 0);
    if (!strstr(dm_html(notice), "Reason: spam &lt;links&gt;"))
        fail_msg("the ban notice does not give the reason: %s", dm_html(notice));
    json_decref(notice);
    assert_int_equal(total_items(mw, "/c/town/followers"), 0);
    json_t *bans = CLI(mw, 0, 1, "bans", "town", "--json");
    assert_int_equal(json_array_size(bans), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bans, 0), "key")), sam.id);
    json_decref(bans);

    /* back with a new Follow: rejected again, never a member; its posts go nowhere */
    json_t *again = follow(mw, &sam, "follow-2");
    reject = received(mw, &sam, 4, "Reject", 1);
    assert_true(json_equal(json_object_get(reject, "object"), again));
    json_decref(reject);
    json_decref(again);
    json_decref(public_post(mw, &sam, "post-1"));
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(sam.peer, sam.inbox), 4);
    assert_int_equal(total_items(mw, "/c/town/followers"), 0);
    assert_int_equal(total_items(mw, "/c/town/outbox"), 0);
    json_t *modlog = get_json(mw, "/c/town/modlog");
    json_t *first = json_array_get(json_object_get(modlog, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "ban");
    json_decref(modlog);
    mw->w.finished = 1;
}

/* ---- premoderation ---------------------------------------------------------------------- */

static void test_premoderation(void **state)
{
    struct world *mw = *state;
    struct person ana = person(mw->w.a, "ana", &key_a);
    struct person carl = person(mw->w.b, "carl", &key_b);
    json_decref(CLI(mw, 0, 0, "community", "set", "town", "--premoderation", "yes"));
    json_decref(follow(mw, &ana, "follow-1"));
    json_decref(follow(mw, &carl, "follow-1"));
    json_decref(received(mw, &ana, 1, "Accept", 0));
    json_decref(received(mw, &carl, 1, "Accept", 0));

    json_t *create = public_post(mw, &ana, "post-1");
    const char *note_id =
        json_string_value(json_object_get(json_object_get(create, "object"), "id"));
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(carl.peer, carl.inbox), 1); /* the Accept only */
    assert_int_equal(total_items(mw, "/c/town/outbox"), 0);
    json_t *held = CLI(mw, 0, 1, "held", "town", "--json");
    assert_int_equal(json_array_size(held), 1);
    json_t *item = json_array_get(held, 0);
    assert_string_equal(json_string_value(json_object_get(item, "key")), note_id);
    json_t *value = json_object_get(item, "value");
    assert_string_equal(json_string_value(json_object_get(value, "rule")), "premoderation");
    assert_string_equal(json_string_value(json_object_get(value, "actor")), ana.id);
    json_decref(held);

    json_decref(CLI(mw, 0, 0, "held", "town", "approve", note_id));
    json_t *announce = received(mw, &carl, 2, "Announce", 0);
    json_t *obj = json_object_get(announce, "object");
    if (!(json_is_string(obj) && !strcmp(json_string_value(obj), note_id)))
        fail_msg("the Announce does not carry the approved post");
    json_decref(announce);
    json_decref(received(mw, &ana, 2, "Announce", 0));
    assert_int_equal(total_items(mw, "/c/town/outbox"), 1);
    held = CLI(mw, 0, 1, "held", "town", "--json");
    assert_int_equal(json_array_size(held), 0);
    json_decref(held);
    json_decref(CLI(mw, 2, 0, "held", "town", "approve", note_id));
    json_decref(create);
    mw->w.finished = 1;
}

/* ---- DM commands and the moderator inbox ------------------------------------------------ */

static void test_dm_commands(void **state)
{
    struct world *mw = *state;
    struct person mia = person(mw->w.a, "mia", &key_a);
    struct person sam = person(mw->w.b, "sam", &key_b);
    struct person eve = person(mw->w.b, "eve", &key_c);
    json_decref(follow(mw, &sam, "follow-1"));
    json_decref(received(mw, &sam, 1, "Accept", 0));
    json_decref(follow(mw, &eve, "follow-1"));
    json_decref(received(mw, &eve, 1, "Accept", 0));

    /* mia signs in (the node learns her actor) and becomes a moderator */
    json_decref(direct_message(mw, &mia, "hello", "hi, may I help?", NULL, ""));
    json_decref(CLI(mw, 0, 0, "mod", "town", "add", mia.id));
    json_t *mods = get_json(mw, "/c/town/moderators");
    assert_string_equal(json_string_value(json_object_get(mods, "type")), "OrderedCollection");
    assert_int_equal(json_integer_value(json_object_get(mods, "totalItems")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(mods, "orderedItems"), 0)),
                        mia.id);
    json_decref(mods);
    json_t *group = get_json(mw, "/c/town");
    char want[260];
    snprintf(want, sizeof want, "%s/moderators", mw->community);
    assert_string_equal(json_string_value(json_object_get(group, "attributedTo")), want);
    json_decref(group);

    /* "@town ban @sam 2 spam" */
    json_t *cmd = direct_message(mw, &mia, "ban-1", "ban", &sam, "2 spam");
    const char *cmd_id = json_string_value(json_object_get(json_object_get(cmd, "object"), "id"));
    json_decref(received(mw, &sam, 3, "Reject", 0));
    json_t *notice = received(mw, &sam, 3, "Create", 0);
    assert_non_null(strstr(dm_html(notice), "Reason: spam"));
    assert_non_null(strstr(dm_html(notice), "until"));
    json_decref(notice);
    json_t *answer = received(mw, &mia, 1, "Create", 0);
    json_t *note = json_object_get(answer, "object");
    assert_string_equal(json_string_value(json_object_get(note, "inReplyTo")), cmd_id);
    char text[300];
    snprintf(text, sizeof text, "<p>Banned %s for 2 days.</p>", sam.id);
    assert_string_equal(dm_html(answer), text);
    json_decref(answer);
    json_decref(cmd);
    json_t *bans = CLI(mw, 0, 1, "bans", "town", "--json");
    assert_int_equal(json_array_size(bans), 1);
    json_t *ban = json_object_get(json_array_get(bans, 0), "value");
    long long until = (long long)json_integer_value(json_object_get(ban, "until"));
    long long now = (long long)time(NULL);
    if (until < now + 2 * 86400 - 120 || until > now + 2 * 86400)
        fail_msg("the ban ends at %lld, want about %lld", until, now + 2 * 86400);
    assert_string_equal(json_string_value(json_object_get(ban, "reason")), "spam");
    assert_string_equal(json_string_value(json_object_get(ban, "by")), mia.id);
    json_decref(bans);
    assert_int_equal(total_items(mw, "/c/town/followers"), 1); /* eve */

    /* eve, not a moderator: her DM stays with the moderators; a command word is refused */
    json_decref(direct_message(mw, &eve, "dm-1", "someone is spamming, please look", NULL, ""));
    json_decref(direct_message(mw, &eve, "dm-2", "ban", &mia, "1 power grab"));
    json_t *refusal = received(mw, &eve, 2, "Create", 0);
    assert_non_null(strstr(dm_html(refusal), "only the moderators"));
    json_decref(refusal);
    json_t *inbox = CLI(mw, 0, 1, "inbox", "town", "--json");
    assert_int_equal(json_array_size(inbox), 3); /* mia's first message, and eve's two */
    json_t *newest = json_object_get(json_array_get(inbox, 0), "value");
    json_t *older = json_object_get(json_array_get(inbox, 1), "value");
    assert_string_equal(json_string_value(json_object_get(newest, "from")), eve.id);
    assert_string_equal(json_string_value(json_object_get(older, "content")),
                        "someone is spamming, please look");
    json_decref(inbox);
    bans = CLI(mw, 0, 1, "bans", "town", "--json");
    assert_int_equal(json_array_size(bans), 1); /* mia is not banned */
    json_decref(bans);
    msleep(QUIET_MS);
    assert_int_equal(total_items(mw, "/c/town/outbox"), 0); /* no DM was relayed */
    assert_int_equal(gm_fp_hits(eve.peer, eve.inbox), 2);   /* Accept, refusal */
    assert_int_equal(gm_fp_hits(mia.peer, mia.inbox), 1);   /* the answer */
    mw->w.finished = 1;
}

/* ---- a node-wide suspended domain -------------------------------------------------------- */

static void test_suspended_follow(void **state)
{
    struct world *mw = *state;
    assert_int_equal(gm_fp_start("127.0.0.4", &mw->c), 0);
    struct person zed = person(mw->c, "zed", &key_c);
    struct person ana = person(mw->w.a, "ana", &key_a);
    json_decref(follow(mw, &ana, "follow-1"));
    json_decref(received(mw, &ana, 1, "Accept", 0));
    json_decref(CLI(mw, 0, 0, "block", "add", "127.0.0.4", "--reason", "spam"));

    /* a forged Follow is refused before anything is sent */
    json_t *forged = activity(&zed, "Follow", "forged", json_string(mw->community));
    char *body = dump(forged);
    struct gm_fp_sig bad = {.key_id = zed.key_id, .key = key_a.key}; /* not zed's key */
    assert_int_equal(gm_fp_post(&mw->w.d, COMMUNITY_INBOX, body, &bad, NULL), 401);
    free(body);
    json_decref(forged);
    /* the real one is verified and answered with a Reject */
    json_t *sent = follow(mw, &zed, "follow-1");
    json_t *reject = received(mw, &zed, 1, "Reject", 0);
    assert_true(json_equal(json_object_get(reject, "object"), sent));
    json_decref(reject);
    json_decref(sent);
    assert_int_equal(total_items(mw, "/c/town/followers"), 1);
    /* anything else from there: 403 */
    json_t *note = gm_fp_note(gm_fp_url(mw->c, "/notes/1"), zed.id, "hi");
    json_object_set_new(note, "cc", json_pack("[s]", mw->community));
    json_t *create = activity(&zed, "Create", "post-1", note);
    body = dump(create);
    assert_int_equal(post_raw(mw, &zed, body), 403);
    free(body);
    json_decref(create);
    json_t *undo = activity(&zed, "Undo", "undo-1", json_string(gm_fp_url(mw->c, "/x")));
    body = dump(undo);
    assert_int_equal(post_raw(mw, &zed, body), 403);
    free(body);
    json_decref(undo);
    /* nothing else reaches the suspended host, even what the community sends to everyone */
    json_decref(public_post(mw, &ana, "post-1"));
    json_decref(received(mw, &ana, 2, "Announce", 0));
    msleep(QUIET_MS);
    assert_int_equal(gm_fp_hits(mw->c, NULL) - gm_fp_hits(mw->c, zed.path), 1);
    assert_int_equal(gm_fp_hits(mw->c, zed.inbox), 1);
    mw->w.finished = 1;
}

/* ---- a community's own block, from the CLI ---------------------------------------------- */

static void test_community_block(void **state)
{
    struct world *mw = *state;
    struct person sam = person(mw->w.b, "sam", &key_b);
    struct person ana = person(mw->w.a, "ana", &key_a);
    /* a misspelt severity is refused, not read as a suspend */
    json_decref(
        CLI(mw, 2, 0, "block", "add", "127.0.0.3", "--community", "town", "--severity", "silense"));
    json_t *list = CLI(mw, 0, 1, "block", "list", "--community", "town", "--json");
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    json_decref(
        CLI(mw, 0, 0, "block", "add", "127.0.0.3", "--community", "town", "--reason", "spam wave"));
    list = CLI(mw, 0, 1, "block", "list", "--community", "town", "--json");
    assert_int_equal(json_array_size(list), 1);
    json_t *b = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(b, "domain")), "127.0.0.3");
    assert_string_equal(json_string_value(json_object_get(b, "severity")), "suspend");
    assert_string_equal(json_string_value(json_object_get(b, "reason")), "spam wave");
    json_decref(list);
    json_t *node = CLI(mw, 0, 1, "block", "list", "--json");
    assert_int_equal(json_array_size(node), 0); /* not a node-wide block */
    json_decref(node);
    json_decref(CLI(mw, 2, 0, "block", "list", "--community", "nope"));

    json_t *sent = follow(mw, &sam, "follow-1");
    json_t *reject = received(mw, &sam, 1, "Reject", 0);
    assert_true(json_equal(json_object_get(reject, "object"), sent));
    json_decref(reject);
    json_decref(sent);
    json_decref(follow(mw, &ana, "follow-1"));
    json_decref(received(mw, &ana, 1, "Accept", 0));
    assert_int_equal(total_items(mw, "/c/town/followers"), 1);
    /* lifted: welcome again */
    json_decref(CLI(mw, 0, 0, "block", "remove", "127.0.0.3", "--community", "town"));
    json_decref(follow(mw, &sam, "follow-2"));
    json_decref(received(mw, &sam, 2, "Accept", 0));
    assert_int_equal(total_items(mw, "/c/town/followers"), 2);
    mw->w.finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&key_a) != 0 || gm_fp_key_rsa(&key_b) != 0 || gm_fp_key_rsa(&key_c) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_approval),    T(test_ban_and_refollow), T(test_premoderation),
        T(test_dm_commands), T(test_suspended_follow), T(test_community_block),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&key_a);
    gm_fp_key_clear(&key_b);
    gm_fp_key_clear(&key_c);
    curl_global_cleanup();
    return failed;
}
