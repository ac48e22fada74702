/* SPDX-License-Identifier: Apache-2.0
 * test_api.c - the admin API through gm_router_dispatch with fake requests against a real store
 * in a temporary folder: auth (off, missing, wrong, right, a token differing in its last byte,
 * longer and shorter tokens, other schemes; the same 401 body for all, never the token), routing
 * (404, 405 with Allow, HEAD, trailing slash, unknown community), body checks (415, bad JSON,
 * wrong types; a refused edit changes and logs nothing), and each endpoint's answers and errors,
 * with every change in the moderation log as moderator "api". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/api.h"
#include "gemeinde/app.h"
#include "gemeinde/config.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"
#include "gemeinde/router.h"
#include "test_util.h"
#include "api_fixture.h"


/* The newest moderation log entry of "demo" (or node-wide ones with community ""). */
static struct gm_modlog_entry *newest_entry(struct fx *fx, const char *community)
{
    struct gm_txn *txn;
    struct gm_modlog_entry **list;
    size_t n;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_modlog_page(txn, community, 0, 1, &list, &n), GM_OK);
    gm_txn_abort(txn);
    struct gm_modlog_entry *e = n ? list[0] : NULL;
    free(list);
    return e;
}

/* Auth */

static const struct {
    const char *header; /* NULL: none sent */
    unsigned status;
} auth_cases[] = {
    {NULL, 401},
    {"", 401},
    {"Bearer", 401},
    {"Bearer ", 401},
    {"Bearer wrong-token-wrong-token-wrong", 401},
    {"Bearer tok-0123456789abcdef-XYZ-012345678X", 401},  /* differs in the last byte */
    {"Bearer tok-0123456789abcdef-XYZ-01234567890", 401}, /* one byte longer */
    {"Bearer tok-0123456789abcdef-XYZ-012345678", 401},   /* one byte shorter */
    {"Bearer tok-0123456789abcdef-XYZ-0123456789tok-0123456789abcdef-XYZ-0123456789", 401},
    {"Basic tok-0123456789abcdef-XYZ-0123456789", 401},
    {"tok-0123456789abcdef-XYZ-0123456789", 401},
    {"Bearer TOK-0123456789ABCDEF-xyz-0123456789", 401}, /* the token is case-sensitive */
    {"Bearer tok-0123456789abcdef-XYZ-0123456789", 200},
    {"bearer tok-0123456789abcdef-XYZ-0123456789", 200}, /* the scheme is case-insensitive */
    {"Bearer   tok-0123456789abcdef-XYZ-0123456789", 200},
};

static void auth_table(void **state)
{
    struct fx *fx = *state;
    for (size_t i = 0; i < TU_ARRAY_LEN(auth_cases); i++) {
        struct gm_http_resp resp;
        snprintf(fx->auth, sizeof fx->auth, "%s", auth_cases[i].header ? auth_cases[i].header : "");
        unsigned got = send_req(fx, "GET", "/api/v1/communities", NULL, NULL, NULL, &resp);
        if (got != auth_cases[i].status)
            fail_msg("case %zu (%s): %u, expected %u", i, auth_cases[i].header, got,
                     auth_cases[i].status);
        if (got == 401) {
            assert_int_equal(resp.body_len, strlen("{\"error\":\"unauthorized\"}"));
            assert_memory_equal(resp.body, "{\"error\":\"unauthorized\"}", resp.body_len);
            assert_string_equal(tu_resp_header(&resp, "WWW-Authenticate"), "Bearer");
            assert_string_equal(tu_resp_header(&resp, "Cache-Control"), "no-store");
        }
        gm_http_resp_clear(&resp);
    }
    /* Auth comes before routing: without the token, nothing tells what exists. */
    fx->auth[0] = '\0';
    json_decref(expect(fx, "GET", "/api/v1/no-such-endpoint", NULL, NULL, NULL, 401, "unauth"));
    json_decref(expect(fx, "DELETE", "/api/v1/communities/nope", NULL, NULL, NULL, 401, "unauth"));
    json_decref(expect(fx, "PATCH", "/api/v1/communities/demo", NULL, JSON,
                       "{\"join\":\"approval\"}", 401, "unauthorized"));
    assert_null(newest_entry(fx, "demo"));
}

static void api_off(void **state)
{
    struct fx *fx = *state;
    json_decref(
        expect(fx, "GET", "/api/v1/communities", NULL, NULL, NULL, 404, "admin API is off"));
    fx->auth[0] = '\0';
    json_decref(expect(fx, "GET", "/api/v1/blocks", NULL, NULL, NULL, 404, "admin API is off"));
    json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, JSON, "{\"domain\":\"a.example\"}", 404,
                       "admin API is off"));
    /* The rest of the node is unaffected. */
    struct gm_http_resp resp;
    assert_int_equal(send_req(fx, "GET", "/healthz", NULL, NULL, NULL, &resp), 200);
    gm_http_resp_clear(&resp);
}

/* Routing */

static void routing(void **state)
{
    struct fx *fx = *state;
    struct gm_http_resp resp;
    json_decref(expect(fx, "GET", "/api/v1", NULL, NULL, NULL, 404, "no such endpoint"));
    json_decref(expect(fx, "GET", "/api/v1/", NULL, NULL, NULL, 404, "no such endpoint"));
    json_decref(expect(fx, "GET", "/api/v1/nope", NULL, NULL, NULL, 404, "no such endpoint"));
    json_decref(expect(fx, "GET", "/api/v1/communities/demo/nope", NULL, NULL, NULL, 404,
                       "no such endpoint"));
    json_decref(expect(fx, "GET", "/api/v1/communities/", NULL, NULL, NULL, 200, NULL));
    json_decref(
        expect(fx, "GET", "/api/v1/communities/nope", NULL, NULL, NULL, 404, "no such community"));
    json_decref(expect(fx, "GET", "/api/v1/communities/Bad%20Name", NULL, NULL, NULL, 404,
                       "no such community"));
    json_decref(expect(fx, "PATCH", "/api/v1/communities/nope", NULL, JSON, "{}", 404,
                       "no such community"));
    assert_int_equal(send_req(fx, "PUT", "/api/v1/blocks", NULL, JSON, "{}", &resp), 405);
    assert_string_equal(tu_resp_header(&resp, "Allow"), "GET, HEAD, POST");
    gm_http_resp_clear(&resp);
    assert_int_equal(send_req(fx, "POST", "/api/v1/communities/demo", NULL, JSON, "{}", &resp),
                     405);
    assert_string_equal(tu_resp_header(&resp, "Allow"), "GET, HEAD, PATCH");
    gm_http_resp_clear(&resp);
    assert_int_equal(send_req(fx, "GET", "/api/v1/blocks/import", NULL, NULL, NULL, &resp), 405);
    assert_string_equal(tu_resp_header(&resp, "Allow"), "POST");
    gm_http_resp_clear(&resp);
    assert_int_equal(send_req(fx, "HEAD", "/api/v1/communities", NULL, NULL, NULL, &resp), 200);
    gm_http_resp_clear(&resp);
    /* "/api/v10" and "/apix" are not the API: the normal router answers. */
    assert_int_equal(send_req(fx, "GET", "/api/v10/communities", NULL, NULL, NULL, &resp), 404);
    assert_null(tu_resp_header(&resp, "Cache-Control"));
    gm_http_resp_clear(&resp);
    assert_true(gm_api_owns("/api/v1"));
    assert_true(gm_api_owns("/api/v1/x"));
    assert_false(gm_api_owns("/api/v1x"));
    assert_false(gm_api_owns("/api"));
}

/* Bodies: every refusal leaves the community and the log untouched. */

static const struct {
    const char *ctype, *body;
    unsigned status;
    const char *message;
} body_cases[] = {
    {NULL, "{\"join\":\"approval\"}", 415, "Content-Type must be application/json"},
    {"text/plain", "{\"join\":\"approval\"}", 415, "application/json"},
    {"application/jsonx", "{\"join\":\"approval\"}", 415, "application/json"},
    {JSON, "", 400, "JSON object"},
    {JSON, "{\"join\":", 400, "not valid JSON"},
    {JSON, "[\"join\"]", 400, "must be an object"},
    {JSON, "\"join\"", 400, "not valid JSON"},
    {JSON, "{\"join\":\"approval\",\"join\":\"open\"}", 400, "not valid JSON"},
    {JSON, "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", 400, "nested too deeply"},
    {JSON, "{\"title\":5}", 400, "title: a string"},
    {JSON, "{\"title\":\"\"}", 400, "title"},
    {JSON, "{\"title\":\"bad\\u0007bell\"}", 400, "title"},
    {JSON, "{\"summary\":null}", 400, "summary: a string"},
    {JSON, "{\"rules\":\"be nice\"}", 400, "rules: an array"},
    {JSON, "{\"rules\":[\"ok\", 1]}", 400, "rules: an array"},
    {JSON, "{\"rules\":[\"\"]}", 400, "rule 1"},
    {JSON, "{\"settings\":[]}", 400, "settings: an object"},
    {JSON, "{\"settings\":{\"nope\":1}}", 400, "no setting named 'nope'"},
    {JSON, "{\"join\":\"nope\"}", 400, "join: one of open approval"},
    {JSON, "{\"join\":true}", 400, "join"},
    {JSON, "{\"premoderation\":\"maybe\"}", 400, "premoderation: yes or no"},
    {JSON, "{\"max_mentions\":-1}", 400, "max_mentions"},
    {JSON, "{\"max_mentions\":1.5}", 400, "max_mentions"},
    {JSON, "{\"filters\":\"x\"}", 400, "filters: an array"},
    {JSON, "{\"filters\":[\"/[unclosed/\"]}", 400, "regular expression"},
    {JSON, "{\"frobnicate\":1}", 400, "unknown field 'frobnicate'"},
    {JSON, "{\"title\":\"Fine\",\"join\":\"bogus\"}", 400, "join"}, /* all or nothing */
};

static void bad_bodies(void **state)
{
    struct fx *fx = *state;
    for (size_t i = 0; i < TU_ARRAY_LEN(body_cases); i++)
        json_decref(expect(fx, "PATCH", "/api/v1/communities/demo", NULL, body_cases[i].ctype,
                           body_cases[i].body, body_cases[i].status, body_cases[i].message));
    json_t *doc = expect(fx, "GET", "/api/v1/communities/demo", NULL, NULL, NULL, 200, NULL);
    assert_string_equal(tu_jstr(doc, "title"), "demo");
    assert_string_equal(tu_jstr(json_object_get(doc, "settings"), "join"), "open");
    json_decref(doc);
    assert_null(newest_entry(fx, "demo"));
    /* A +json media type with parameters is JSON too; {} changes nothing. */
    doc = expect(fx, "PATCH", "/api/v1/communities/demo", NULL,
                 "application/merge-patch+json; charset=utf-8", "{}", 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "changed")), 0);
    json_decref(doc);
    assert_null(newest_entry(fx, "demo"));
}

/* Communities: list, show, edit (logged as "policy" by "api") */

static void communities(void **state)
{
    struct fx *fx = *state;
    add_member(fx, "https://m.example/u/1");
    json_t *doc = expect(fx, "GET", "/api/v1/communities", NULL, NULL, NULL, 200, NULL);
    json_t *first = json_array_get(json_object_get(doc, "communities"), 0);
    assert_string_equal(tu_jstr(first, "name"), "demo");
    assert_string_equal(tu_jstr(first, "url"), BASE "/c/demo");
    assert_int_equal(json_integer_value(json_object_get(first, "members")), 1);
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/communities/demo", NULL, NULL, NULL, 200, NULL);
    assert_string_equal(tu_jstr(doc, "handle"), "@demo@groups.example.org");
    assert_int_equal(json_integer_value(json_object_get(doc, "members")), 1);
    assert_string_equal(tu_jstr(json_object_get(doc, "settings"), "posting"), "members");
    assert_string_equal(tu_jstr(doc, "public_key_pem"), "PUB");
    char *text = json_dumps(doc, 0);
    assert_false(tu_contains(text, "PRIV")); /* the private key is never shown */
    free(text);
    json_decref(doc);

    doc =
        expect(fx, "PATCH", "/api/v1/communities/demo", NULL, JSON,
               "{\"title\":\"Demo group\",\"rules\":[\"Be kind\",\"No ads\"],\"join\":\"approval\","
               "\"settings\":{\"max_mentions\":5,\"premoderation\":true}}",
               200, NULL);
    json_t *changed = json_object_get(doc, "changed");
    assert_int_equal(json_array_size(changed), 5);
    assert_string_equal(json_string_value(json_array_get(changed, 0)), "title");
    json_t *c = json_object_get(doc, "community");
    assert_string_equal(tu_jstr(c, "title"), "Demo group");
    assert_int_equal(json_array_size(json_object_get(c, "rules")), 2);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(c, "settings"), "max_mentions")), 5);
    json_decref(doc);
    struct gm_modlog_entry *e = newest_entry(fx, "demo");
    assert_non_null(e);
    assert_string_equal(e->moderator, "api");
    assert_string_equal(e->action, "policy");
    assert_string_equal(e->target, "max_mentions");
    assert_string_equal(e->public_reason, "max_mentions: 0 → 5");
    gm_modlog_entry_free(e);
    /* GET shows it; the same PATCH again changes nothing. */
    doc = expect(fx, "GET", "/api/v1/communities/demo", NULL, NULL, NULL, 200, NULL);
    assert_string_equal(tu_jstr(json_object_get(doc, "settings"), "join"), "approval");
    assert_true(json_is_true(json_object_get(json_object_get(doc, "settings"), "premoderation")));
    json_decref(doc);
    doc = expect(fx, "PATCH", "/api/v1/communities/demo/", NULL, JSON, "{\"join\":\"approval\"}",
                 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "changed")), 0);
    json_decref(doc);
}

/* Members: pages, removal (logged), errors */

static void members(void **state)
{
    struct fx *fx = *state;
    add_member(fx, "https://m.example/u/1");
    add_member(fx, "https://m.example/u/2");
    add_member(fx, "https://m.example/u/3");
    json_t *doc =
        expect(fx, "GET", "/api/v1/communities/demo/members", "limit=2", NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "members")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 3);
    assert_string_equal(tu_jstr(doc, "next"), "https://m.example/u/2");
    json_t *m = json_array_get(json_object_get(doc, "members"), 0);
    assert_string_equal(tu_jstr(m, "actor"), "https://m.example/u/1");
    assert_string_equal(tu_jstr(m, "since"), "2023-11-14T22:13:20Z");
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/communities/demo/members",
                 "limit=2&after=https://m.example/u/2", NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "members")), 1);
    assert_true(json_is_null(json_object_get(doc, "next")));
    json_decref(doc);
    static const char *const bad_limits[] = {"limit=0",   "limit=1001",
                                             "limit=abc", "limit=-1",
                                             "limit=",    "limit=99999999999999999999999"};
    for (size_t i = 0; i < TU_ARRAY_LEN(bad_limits); i++)
        json_decref(expect(fx, "GET", "/api/v1/communities/demo/members", bad_limits[i], NULL, NULL,
                           400, "limit: a whole number from 1 to 1000"));
    json_decref(
        expect(fx, "DELETE", "/api/v1/communities/demo/members", NULL, NULL, NULL, 400, "actor"));
    json_decref(expect(fx, "DELETE", "/api/v1/communities/demo/members",
                       "actor=https://m.example/u/9", NULL, NULL, 404, "not a member"));
    json_decref(expect(fx, "DELETE", "/api/v1/communities/nope/members",
                       "actor=https://m.example/u/1", NULL, NULL, 404, "no such community"));
    doc = expect(fx, "DELETE", "/api/v1/communities/demo/members", "actor=https://m.example/u/1",
                 NULL, NULL, 200, NULL);
    assert_string_equal(tu_jstr(doc, "removed"), "https://m.example/u/1");
    json_decref(doc);
    struct gm_modlog_entry *e = newest_entry(fx, "demo");
    assert_string_equal(e->action, "remove_member");
    assert_string_equal(e->moderator, "api");
    assert_string_equal(e->target, "https://m.example/u/1");
    gm_modlog_entry_free(e);
    doc = expect(fx, "GET", "/api/v1/communities/demo/members", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 2);
    json_decref(doc);
}

/* Blocks: add (validation), list, export, import, remove; node-wide log with private notes */

static const struct {
    const char *body;
    const char *message;
} bad_blocks[] = {
    {"{}", "domain: a string"},
    {"{\"domain\":5}", "domain: a string"},
    {"{\"domain\":\"not a domain\"}", "domain: not a domain name"},
    {"{\"domain\":\"a.example\",\"severity\":\"nuke\"}", "severity: suspend or silence"},
    {"{\"domain\":\"a.example\",\"severity\":false}", "severity: a string"},
    {"{\"domain\":\"a.example\",\"reason\":[]}", "reason: a string"},
    {"{\"domain\":\"a.example\",\"public_comment\":1}", "public_comment: a string"},
    {"{\"domain\":\"a.example\",\"obfuscate\":true}", "unknown field 'obfuscate'"},
};

static void blocks(void **state)
{
    struct fx *fx = *state;
    char body[700];
    add_member(fx, "https://sub.spam.example/u/1");
    for (size_t i = 0; i < TU_ARRAY_LEN(bad_blocks); i++)
        json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, JSON, bad_blocks[i].body, 400,
                           bad_blocks[i].message));
    snprintf(body, sizeof body, "{\"domain\":\"a.example\",\"reason\":\"%0501d\"}", 0);
    json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, JSON, body, 400, "reason: at most 500"));
    json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, "text/csv", "a.example", 415,
                       "application/json"));
    assert_null(newest_entry(fx, ""));

    json_t *doc = expect(fx, "POST", "/api/v1/blocks", NULL, JSON,
                         "{\"domain\":\"Spam.Example\",\"reason\":\"PRIVATE-NOTE\","
                         "\"public_comment\":\"spam, ads\"}",
                         200, NULL);
    assert_string_equal(tu_jstr(json_object_get(doc, "block"), "domain"), "spam.example");
    assert_string_equal(tu_jstr(json_object_get(doc, "block"), "severity"), "suspend");
    assert_int_equal(json_integer_value(json_object_get(doc, "memberships_ended")), 1);
    json_decref(doc);
    json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, JSON,
                       "{\"domain\":\"quiet.example\",\"severity\":\"silence\"}", 200, NULL));
    doc = expect(fx, "GET", "/api/v1/blocks", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "blocks")), 2);
    assert_string_equal(tu_jstr(json_array_get(json_object_get(doc, "blocks"), 1), "reason"),
                        "PRIVATE-NOTE");
    json_decref(doc);

    struct gm_http_resp resp;
    assert_int_equal(send_req(fx, "GET", "/api/v1/blocks/export", NULL, NULL, NULL, &resp), 200);
    assert_string_equal(resp.content_type, "text/csv; charset=utf-8");
    assert_true(tu_contains(resp.body, "spam.example,suspend,false,false,\"spam, ads\",false\n"));
    assert_true(tu_contains(resp.body, "quiet.example,silence,"));
    gm_http_resp_clear(&resp);

    json_decref(expect(fx, "DELETE", "/api/v1/blocks/spam.example", NULL, NULL, NULL, 200, NULL));
    json_decref(expect(fx, "DELETE", "/api/v1/blocks/spam.example", NULL, NULL, NULL, 404,
                       "no block for 'spam.example'"));
    json_decref(
        expect(fx, "DELETE", "/api/v1/blocks/not%20a%20domain", NULL, NULL, NULL, 404, "no block"));
    struct gm_modlog_entry *e = newest_entry(fx, "");
    assert_string_equal(e->action, "unblock");
    assert_string_equal(e->moderator, "api");
    assert_string_equal(e->target, "spam.example");
    gm_modlog_entry_free(e);
}

static void block_import(void **state)
{
    struct fx *fx = *state;
    static const char nul_body[] = "a.example,suspend\n";
    json_decref(expect(fx, "POST", "/api/v1/blocks/import", NULL, JSON, "a.example", 415,
                       "Content-Type must be text/csv"));
    json_decref(expect(fx, "POST", "/api/v1/blocks/import", NULL, "text/csv",
                       "c.example,suspend\nno good,suspend\n", 400, "line 2"));
    json_t *doc = expect(fx, "GET", "/api/v1/blocks", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "blocks")), 0); /* nothing imported */
    json_decref(doc);
    /* A NUL byte inside the body (the fake request carries the length explicitly). */
    struct tu_req r;
    struct gm_http_resp resp = {0};
    tu_req_init(&r, "POST", "/api/v1/blocks/import", NULL);
    tu_req_add_header(&r, "Authorization", fx->auth);
    tu_req_add_header(&r, "Content-Type", "text/csv");
    r.req.body = nul_body;
    r.req.body_len = sizeof nul_body; /* includes the NUL */
    gm_router_dispatch(&fx->app, &r.req, &resp);
    assert_int_equal(resp.status, 400);
    assert_true(tu_contains(resp.body, "NUL"));
    gm_http_resp_clear(&resp);
    doc = expect(fx, "POST", "/api/v1/blocks/import", NULL, "text/csv; charset=utf-8",
                 "#domain,#severity\r\nc.example,suspend\r\nd.example,silence\r\n", 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(doc, "imported")), 2);
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/blocks", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "blocks")), 2);
    json_decref(doc);
}

/* The admin modlog: private notes included, node-wide entries too, pages with before/limit. */
static void modlog(void **state)
{
    struct fx *fx = *state;
    json_decref(expect(fx, "POST", "/api/v1/blocks", NULL, JSON,
                       "{\"domain\":\"x.example\",\"reason\":\"PRIVATE-NOTE\"}", 200, NULL));
    json_decref(expect(fx, "PATCH", "/api/v1/communities/demo", NULL, JSON,
                       "{\"join\":\"approval\"}", 200, NULL));
    json_decref(expect(fx, "PATCH", "/api/v1/communities/demo", NULL, JSON,
                       "{\"posting\":\"anyone\"}", 200, NULL));
    json_t *doc = expect(fx, "GET", "/api/v1/communities/demo/modlog", NULL, NULL, NULL, 200, NULL);
    json_t *entries = json_object_get(doc, "entries");
    assert_int_equal(json_array_size(entries), 3);
    assert_string_equal(tu_jstr(json_array_get(entries, 0), "public_reason"),
                        "posting: members → anyone");
    assert_string_equal(tu_jstr(json_array_get(entries, 2), "private_note"), "PRIVATE-NOTE");
    assert_string_equal(tu_jstr(json_array_get(entries, 2), "scope"), "node");
    assert_true(json_is_null(json_object_get(doc, "next_before")));
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/communities/demo/modlog", "limit=2", NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "entries")), 2);
    json_int_t next = json_integer_value(json_object_get(doc, "next_before"));
    assert_int_equal(next, 2);
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/communities/demo/modlog", "limit=2&before=2", NULL, NULL, 200,
                 NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "entries")), 1);
    assert_string_equal(tu_jstr(json_array_get(json_object_get(doc, "entries"), 0), "action"),
                        "suspend");
    json_decref(doc);
    doc = expect(fx, "GET", "/api/v1/modlog", NULL, NULL, NULL, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "entries")), 1); /* node-wide only */
    json_decref(doc);
    json_decref(expect(fx, "GET", "/api/v1/modlog", "before=x", NULL, NULL, 400, "before"));
    json_decref(expect(fx, "GET", "/api/v1/communities/nope/modlog", NULL, NULL, NULL, 404,
                       "no such community"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(auth_table, setup, teardown),
        cmocka_unit_test_setup_teardown(api_off, setup_off, teardown),
        cmocka_unit_test_setup_teardown(routing, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(communities, setup, teardown),
        cmocka_unit_test_setup_teardown(members, setup, teardown),
        cmocka_unit_test_setup_teardown(blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(block_import, setup, teardown),
        cmocka_unit_test_setup_teardown(modlog, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
