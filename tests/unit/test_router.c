/* SPDX-License-Identifier: Apache-2.0
 * test_router.c - gm_router_dispatch with fake requests against a real store in a temporary
 * folder: 404 and 405 (with Allow), HEAD, trailing slashes, content negotiation on /c/{name}
 * (HTML page with escaped texts, ActivityPub JSON, Vary: Accept), errors as JSON bodies, and the
 * gm_err -> HTTP status table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/app.h"
#include "gemeinde/community.h"
#include "gemeinde/members.h"
#include "gemeinde/router.h"
#include "gemeinde/store.h"
#include "test_util.h"

#define BASE "https://groups.example.org"
#define TITLE "<b>Tom & Jerry</b>"

struct fx {
    char dir[TU_PATH_MAX], data[TU_PATH_MAX];
    struct gm_store *st;
    struct gm_app app;
};

static void add_community(struct gm_store *st, const char *name, const char *title,
                          const char *summary, const char *rule)
{
    struct gm_community *c;
    struct gm_txn *txn;
    assert_int_equal(gm_community_new(name, &c), GM_OK);
    assert_int_equal(gm_community_set_title(c, title), GM_OK);
    assert_int_equal(gm_community_set_summary(c, summary), GM_OK);
    if (rule)
        assert_int_equal(gm_community_add_rule(c, rule), GM_OK);
    c->created = 1700000000;
    c->public_key_pem = strdup("PUB");
    assert_int_equal(gm_txn_begin(st, true, &txn), GM_OK);
    assert_int_equal(gm_community_create(txn, c, "PRIV"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_community_free(c);
}

/* An app on `data` without generating the instance key. */
static gm_err make_app(struct gm_app *app, struct gm_store *st)
{
    gm_err e = gm_app_init(app, NULL, NULL, BASE);
    if (e != GM_OK)
        return e;
    app->st = st;
    app->instance_public_key_pem = strdup("INSTANCE-PEM");
    return app->instance_public_key_pem ? GM_OK : GM_ENOMEM;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char err[256] = "";
    if (!fx)
        return -1;
    tu_mkdtemp(fx->dir);
    tu_join(fx->data, fx->dir, "data");
    if (gm_store_open(fx->data, 16, &fx->st, err, sizeof err) != GM_OK ||
        make_app(&fx->app, fx->st) != GM_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    add_community(fx->st, "demo", TITLE, "Cartoons <i>daily</i>\n& more", "No \"spoilers\"");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    gm_app_clear(&fx->app);
    gm_store_close(fx->st);
    int rc = tu_rmrf(fx->dir);
    free(fx);
    return rc;
}

/* Dispatch METHOD PATH with an optional Accept header and resource query. */
static void dispatch(struct gm_app *app, const char *method, const char *path, const char *accept,
                     const char *resource, struct gm_http_resp *resp)
{
    struct tu_req r;
    tu_req_init(&r, method, path, NULL);
    if (accept)
        tu_req_add_header(&r, "Accept", accept);
    if (resource)
        tu_req_add_query(&r, "resource", resource);
    memset(resp, 0, sizeof *resp);
    gm_router_dispatch(app, &r.req, resp);
}

/* The body must be {"error": `message`} (any message when NULL). */
static void expect_error(const struct gm_http_resp *resp, unsigned status, const char *message,
                         const char *label)
{
    if (resp->status != status)
        fail_msg("%s: status %u, expected %u", label, resp->status, status);
    assert_non_null(resp->content_type);
    assert_string_equal(resp->content_type, "application/json");
    json_t *doc = tu_resp_json(resp);
    const char *got = tu_jstr(doc, "error");
    if (!got || (message && strcmp(got, message) != 0))
        fail_msg("%s: error '%s', expected '%s'", label, got ? got : "(missing)",
                 message ? message : "(any)");
    json_decref(doc);
}

static void status_table(void **state)
{
    static const struct {
        gm_err err;
        unsigned status;
    } cases[] = {
        {GM_OK, 200},      {GM_ENOMEM, 500}, {GM_EINVAL, 400},  {GM_ENOTFOUND, 404},
        {GM_EEXISTS, 409}, {GM_EAUTH, 401},  {GM_EFORBID, 403}, {GM_ETEMP, 503},
        {GM_EPERM, 403},   {GM_ESTORE, 500}, {GM_ETOOBIG, 413}, {GM_EINTERNAL, 500},
    };
    assert_int_equal(TU_ARRAY_LEN(cases), GM_EINTERNAL + 1); /* every gm_err is listed */
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++)
        if (gm_router_status(cases[i].err) != cases[i].status)
            fail_msg("%s: %u, expected %u", gm_strerror(cases[i].err),
                     gm_router_status(cases[i].err), cases[i].status);
}

static void unknown_paths_404(void **state)
{
    struct fx *fx = *state;
    static const char *const paths[] = {"/",
                                        "/nope",
                                        "/c",
                                        "/c/",
                                        "/c//",
                                        "/c/demo//",
                                        "/c/demo/x",
                                        "/healthzz",
                                        "/healthz//",
                                        "/.well-known/",
                                        "/actor/outbox/x",
                                        "/C/demo",
                                        "//healthz",
                                        "/actor/x/y",
                                        ""};
    for (size_t i = 0; i < TU_ARRAY_LEN(paths); i++) {
        struct gm_http_resp resp;
        dispatch(&fx->app, "GET", paths[i], NULL, NULL, &resp);
        expect_error(&resp, 404, "not found", paths[i]);
        gm_http_resp_clear(&resp);
    }
    /* A parameter longer than the router's buffer is no match, not an overflow. */
    char path[400] = "/c/";
    memset(path + 3, 'a', 300);
    path[303] = '\0';
    struct gm_http_resp resp;
    dispatch(&fx->app, "GET", path, NULL, NULL, &resp);
    assert_int_equal(resp.status, 404);
    gm_http_resp_clear(&resp);
}

static void wrong_method_405(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *method, *path;
    } cases[] = {
        {"POST", "/healthz"},
        {"DELETE", "/c/demo"},
        {"PUT", "/.well-known/webfinger"},
        {"POST", "/c/demo/followers"},
        {"PATCH", "/nodeinfo/2.1"},
        {"OPTIONS", "/actor"},
        {"get", "/healthz"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        dispatch(&fx->app, cases[i].method, cases[i].path, NULL, NULL, &resp);
        expect_error(&resp, 405, "method not allowed", cases[i].path);
        const char *allow = tu_resp_header(&resp, "Allow");
        if (!allow || !tu_contains(allow, "GET") || !tu_contains(allow, "HEAD"))
            fail_msg("%s %s: Allow '%s'", cases[i].method, cases[i].path, allow ? allow : "(none)");
        gm_http_resp_clear(&resp);
    }
}

static void head_served_like_get(void **state)
{
    struct fx *fx = *state;
    static const char *const paths[] = {"/healthz", "/c/demo", "/actor", "/nodeinfo/2.1",
                                        "/c/demo/outbox"};
    for (size_t i = 0; i < TU_ARRAY_LEN(paths); i++) {
        struct gm_http_resp get, head;
        dispatch(&fx->app, "GET", paths[i], NULL, NULL, &get);
        dispatch(&fx->app, "HEAD", paths[i], NULL, NULL, &head);
        if (head.status != 200 || get.status != 200)
            fail_msg("%s: GET %u HEAD %u", paths[i], get.status, head.status);
        assert_string_equal(head.content_type, get.content_type);
        assert_int_equal(head.body_len, get.body_len);
        gm_http_resp_clear(&get);
        gm_http_resp_clear(&head);
    }
    struct gm_http_resp resp;
    dispatch(&fx->app, "HEAD", "/nope", NULL, NULL, &resp);
    assert_int_equal(resp.status, 404);
    gm_http_resp_clear(&resp);
}

static void trailing_slash_tolerated(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *path, *id; /* id: expected "id" of the JSON body, or NULL */
    } cases[] = {
        {"/healthz/", NULL},
        {"/c/demo/", BASE "/c/demo"},
        {"/c/demo/outbox/", BASE "/c/demo/outbox"},
        {"/c/demo/followers/", BASE "/c/demo/followers"},
        {"/actor/", BASE "/actor"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        dispatch(&fx->app, "GET", cases[i].path, NULL, NULL, &resp);
        if (resp.status != 200)
            fail_msg("%s: status %u", cases[i].path, resp.status);
        json_t *doc = tu_resp_json(&resp);
        if (cases[i].id)
            assert_string_equal(tu_jstr(doc, "id"), cases[i].id);
        json_decref(doc);
        gm_http_resp_clear(&resp);
    }
}

static void group_content_negotiation(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *accept;
        int html;
    } cases[] = {
        {NULL, 0},
        {"application/activity+json", 0},
        {"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", 0},
        {"application/json", 0},
        {"*/*", 0},
        {"text/html", 1},
        {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 1},
        {"TEXT/HTML", 1},
        {"text/html, application/activity+json", 0},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        const char *label = cases[i].accept ? cases[i].accept : "(no Accept)";
        dispatch(&fx->app, "GET", "/c/demo", cases[i].accept, NULL, &resp);
        if (resp.status != 200)
            fail_msg("%s: status %u", label, resp.status);
        const char *vary = tu_resp_header(&resp, "Vary");
        if (!vary || !tu_contains(vary, "Accept"))
            fail_msg("%s: no Vary: Accept", label);
        if (cases[i].html) {
            assert_string_equal(resp.content_type, "text/html; charset=utf-8");
            assert_int_equal(strlen(resp.body), resp.body_len);
            assert_true(tu_contains(resp.body, "<!DOCTYPE html>"));
            assert_true(
                tu_contains(resp.body, "<title>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</title>"));
            assert_true(tu_contains(resp.body, "Cartoons &lt;i&gt;daily&lt;/i&gt;"));
            assert_true(tu_contains(resp.body, "No &quot;spoilers&quot;"));
            assert_true(tu_contains(resp.body, "@demo@groups.example.org"));
            assert_false(tu_contains(resp.body, "<b>Tom"));
            assert_false(tu_contains(resp.body, "<i>daily"));
        } else {
            if (strcmp(resp.content_type, "application/activity+json") != 0)
                fail_msg("%s: content type %s", label, resp.content_type);
            json_t *doc = tu_resp_json(&resp);
            assert_string_equal(tu_jstr(doc, "type"), "Group");
            assert_string_equal(tu_jstr(doc, "id"), BASE "/c/demo");
            assert_string_equal(tu_jstr(doc, "name"), TITLE);
            json_decref(doc);
        }
        gm_http_resp_clear(&resp);
    }
}

static void missing_community_404(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *path, *accept;
    } cases[] = {
        {"/c/nobody", NULL},          {"/c/nobody", "text/html"}, {"/c/Demo", NULL},
        {"/c/de-mo", NULL},           {"/c/nobody/outbox", NULL}, {"/c/nobody/followers", NULL},
        {"/c/nobody/featured", NULL},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        dispatch(&fx->app, "GET", cases[i].path, cases[i].accept, NULL, &resp);
        expect_error(&resp, 404, "no such community", cases[i].path);
        gm_http_resp_clear(&resp);
    }
}

static void collections_and_instance(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *path, *id, *type;
    } cases[] = {
        {"/c/demo/outbox", BASE "/c/demo/outbox", "OrderedCollection"},
        {"/c/demo/followers", BASE "/c/demo/followers", "OrderedCollection"},
        {"/c/demo/featured", BASE "/c/demo/featured", "OrderedCollection"},
        {"/actor", BASE "/actor", "Application"},
        {"/actor/outbox", BASE "/actor/outbox", "OrderedCollection"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        dispatch(&fx->app, "GET", cases[i].path, "application/activity+json", NULL, &resp);
        if (resp.status != 200)
            fail_msg("%s: status %u", cases[i].path, resp.status);
        assert_string_equal(resp.content_type, "application/activity+json");
        json_t *doc = tu_resp_json(&resp);
        assert_string_equal(tu_jstr(doc, "id"), cases[i].id);
        assert_string_equal(tu_jstr(doc, "type"), cases[i].type);
        if (!strcmp(cases[i].type, "OrderedCollection"))
            assert_int_equal(json_integer_value(json_object_get(doc, "totalItems")), 0);
        json_decref(doc);
        gm_http_resp_clear(&resp);
    }
}

/* Followers: the count always; the list only when the community makes it visible. */
static void followers_visibility(void **state)
{
    struct fx *fx = *state;
    struct gm_txn *txn;
    struct gm_community *c;
    char actor[64];
    assert_int_equal(gm_txn_begin(fx->st, true, &txn), GM_OK);
    for (int i = 0; i < 60; i++) {
        snprintf(actor, sizeof actor, "https://m.example/u/%02d", i);
        struct gm_member m = {.actor = actor, .inbox = "https://m.example/inbox", .since = 1};
        assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
    }
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    struct gm_http_resp resp;
    struct tu_req r;
    dispatch(&fx->app, "GET", "/c/demo/followers", NULL, NULL, &resp);
    json_t *doc = tu_resp_json(&resp);
    assert_int_equal(json_integer_value(json_object_get(doc, "totalItems")), 60);
    assert_null(json_object_get(doc, "orderedItems")); /* hidden */
    assert_null(json_object_get(doc, "first"));
    json_decref(doc);
    gm_http_resp_clear(&resp);
    /* made visible: pages of 50 */
    assert_int_equal(gm_txn_begin(fx->st, true, &txn), GM_OK);
    assert_int_equal(gm_community_get(txn, "demo", &c), GM_OK);
    c->followers_visible = true;
    assert_int_equal(gm_community_update(txn, c), GM_OK);
    gm_community_free(c);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    dispatch(&fx->app, "GET", "/c/demo/followers", NULL, NULL, &resp);
    doc = tu_resp_json(&resp);
    assert_string_equal(tu_jstr(doc, "first"), BASE "/c/demo/followers?page=1");
    json_decref(doc);
    gm_http_resp_clear(&resp);
    for (int page = 1; page <= 2; page++) {
        tu_req_init(&r, "GET", "/c/demo/followers", NULL);
        tu_req_add_query(&r, "page", page == 1 ? "1" : "2");
        memset(&resp, 0, sizeof resp);
        gm_router_dispatch(&fx->app, &r.req, &resp);
        doc = tu_resp_json(&resp);
        assert_string_equal(tu_jstr(doc, "type"), "OrderedCollectionPage");
        assert_int_equal(json_array_size(json_object_get(doc, "orderedItems")),
                         page == 1 ? 50 : 10);
        if (page == 1)
            assert_string_equal(tu_jstr(doc, "next"), BASE "/c/demo/followers?page=2");
        else
            assert_null(json_object_get(doc, "next"));
        json_decref(doc);
        gm_http_resp_clear(&resp);
    }
}

static void discovery_through_router(void **state)
{
    struct fx *fx = *state;
    struct gm_http_resp resp;
    dispatch(&fx->app, "GET", "/.well-known/webfinger", NULL, NULL, &resp);
    expect_error(&resp, 400, "missing resource query parameter", "webfinger without resource");
    gm_http_resp_clear(&resp);

    dispatch(&fx->app, "GET", "/.well-known/webfinger", NULL, "acct:nobody@groups.example.org",
             &resp);
    expect_error(&resp, 404, "no such community", "webfinger nobody");
    gm_http_resp_clear(&resp);

    dispatch(&fx->app, "GET", "/.well-known/webfinger", NULL, "acct:demo@groups.example.org",
             &resp);
    assert_int_equal(resp.status, 200);
    json_t *doc = tu_resp_json(&resp);
    assert_string_equal(tu_jstr(doc, "subject"), "acct:demo@groups.example.org");
    json_decref(doc);
    gm_http_resp_clear(&resp);

    dispatch(&fx->app, "GET", "/nodeinfo/2.1", NULL, NULL, &resp);
    assert_int_equal(resp.status, 200);
    doc = tu_resp_json(&resp);
    json_t *meta = json_object_get(doc, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "communities")), 1);
    json_decref(doc);
    gm_http_resp_clear(&resp);

    dispatch(&fx->app, "GET", "/.well-known/host-meta", NULL, NULL, &resp);
    assert_int_equal(resp.status, 200);
    assert_true(tu_contains(resp.body, BASE "/.well-known/webfinger?resource={uri}"));
    gm_http_resp_clear(&resp);
}

/* In a child process with its own store handle: GET /c/fresh for a community with an empty
 * summary and no rules. Returns 0 if the answer is 200. */
static int get_fresh_ok(void *arg)
{
    const char *data = arg;
    struct gm_store *st;
    struct gm_app app;
    struct gm_http_resp resp;
    struct tu_req r;
    if (gm_store_open(data, 16, &st, NULL, 0) != GM_OK || make_app(&app, st) != GM_OK)
        return 2;
    tu_req_init(&r, "GET", "/c/fresh", NULL);
    memset(&resp, 0, sizeof resp);
    gm_router_dispatch(&app, &r.req, &resp);
    int rc = resp.status == 200 ? 0 : 1;
    gm_http_resp_clear(&resp);
    gm_app_clear(&app);
    gm_store_close(st);
    return rc;
}

/* Regression, fixed (was src/buf.c:97-98, gm_buf_take without appends -> src/actor_json.c:72 summary HTML):
 * GET /c/NAME of a community with an empty summary and no rules -- the state right after
 * `gemeinde community create NAME` -- does not answer 200: the Group JSON is built from an
 * unterminated summary string (500, or an ASan abort as here). Run in a child process. */
static void fresh_community_regression(void **state)
{
    struct fx *fx = *state;
    struct gm_community *c;
    struct gm_txn *txn;
    assert_int_equal(gm_community_new("fresh", &c), GM_OK);
    c->public_key_pem = strdup("PUB");
    assert_int_equal(gm_txn_begin(fx->st, true, &txn), GM_OK);
    assert_int_equal(gm_community_create(txn, c, "PRIV"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_community_free(c);
    int rc = tu_in_child(get_fresh_ok, fx->data);
    if (rc != 0)
        fail_msg("regression: GET /c/fresh (empty summary, no rules) failed in the child (exit %d)", rc);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_table), T(unknown_paths_404),        T(wrong_method_405),
        T(head_served_like_get),        T(trailing_slash_tolerated), T(group_content_negotiation),
        T(missing_community_404),       T(collections_and_instance), T(discovery_through_router),
        T(fresh_community_regression),
        T(followers_visibility),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
