/* SPDX-License-Identifier: Apache-2.0
 * test_wellknown.c - WebFinger resource parsing against the node's host (a table over three
 * hosts), and the discovery handlers (WebFinger, host-meta, NodeInfo, healthz) called with a
 * fake request against a real store in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/app.h"
#include "gemeinde/community.h"
#include "gemeinde/store.h"
#include "gemeinde/wellknown.h"
#include "test_util.h"

#define BASE "https://groups.example.org"

/* Parsing */

enum { APP_NAMED, APP_PORT, APP_V6, APP_COUNT };
static const char *const app_bases[APP_COUNT] = {BASE, "http://localhost:8080",
                                                 "http://[::1]:8080"};

#define N64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
    int app;
    const char *resource;
    gm_err err;
    const char *name; /* on GM_OK; "" = the instance actor */
} parse_cases[] = {
    {APP_NAMED, "acct:demo@groups.example.org", GM_OK, "demo"},
    {APP_NAMED, "ACCT:demo@GROUPS.EXAMPLE.ORG", GM_OK, "demo"},
    {APP_NAMED, "Acct:demo@Groups.Example.Org", GM_OK, "demo"},
    {APP_NAMED, "demo@groups.example.org", GM_OK, "demo"},
    {APP_NAMED, "acct:@demo@groups.example.org", GM_OK, "demo"},
    {APP_NAMED, "@demo@groups.example.org", GM_OK, "demo"},
    {APP_NAMED, "acct:Demo@groups.example.org", GM_OK, "demo"},
    {APP_NAMED, "acct:DEMO_1@groups.example.org", GM_OK, "demo_1"},
    {APP_NAMED, "acct:" N64 "@groups.example.org", GM_OK, N64},
    {APP_NAMED, "acct:" N64 "a@groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:demo@other.example", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:demo@groups.example.org.evil", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:demo@evil.groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:demo@groups.example.org:443", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:de-mo@groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:de.mo@groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:dämo@groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, "acct:demo@groups.example.org@groups.example.org", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE "/c/demo", GM_OK, "demo"},
    {APP_NAMED, "HTTPS://GROUPS.EXAMPLE.ORG/c/demo", GM_OK, "demo"},
    {APP_NAMED, BASE "/actor", GM_OK, ""},
    {APP_NAMED, "acct:groups.example.org@groups.example.org", GM_OK, ""},
    {APP_NAMED, "acct:GROUPS.example.org@groups.example.org", GM_OK, ""},
    {APP_NAMED, BASE "/c/", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE "/c/Demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE "/c/demo/outbox", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE "/u/demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE "/actor/", GM_ENOTFOUND, NULL},
    {APP_NAMED, BASE, GM_ENOTFOUND, NULL},
    {APP_NAMED, "https://other.example/c/demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, "https://groups.example.org.evil/c/demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, "https://groups.example.org:8443/c/demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, "http://groups.example.org/c/demo", GM_ENOTFOUND, NULL},
    {APP_NAMED, "", GM_EINVAL, NULL},
    {APP_NAMED, "acct:", GM_EINVAL, NULL},
    {APP_NAMED, "acct:@", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo@", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo", GM_EINVAL, NULL},
    {APP_NAMED, "demo", GM_EINVAL, NULL},
    {APP_NAMED, "@", GM_EINVAL, NULL},
    {APP_NAMED, "acct:de mo@groups.example.org", GM_EINVAL, NULL},
    {APP_NAMED, " acct:demo@groups.example.org", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo@groups.example.org ", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo@groups.example.org\n", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo\t@groups.example.org", GM_EINVAL, NULL},
    {APP_NAMED, "acct:de/mo@groups.example.org", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo?x@groups.example.org", GM_EINVAL, NULL},
    {APP_NAMED, "acct:demo#x@groups.example.org", GM_EINVAL, NULL},
    {APP_PORT, "acct:demo@localhost:8080", GM_OK, "demo"},
    {APP_PORT, "acct:demo@LOCALHOST:8080", GM_OK, "demo"},
    {APP_PORT, "acct:demo@localhost", GM_ENOTFOUND, NULL},
    {APP_PORT, "acct:demo@localhost:8081", GM_ENOTFOUND, NULL},
    {APP_PORT, "acct:localhost@localhost:8080", GM_OK, ""},
    {APP_PORT, "http://localhost:8080/c/demo", GM_OK, "demo"},
    {APP_PORT, "http://localhost:8080/actor", GM_OK, ""},
    {APP_PORT, "http://localhost/c/demo", GM_ENOTFOUND, NULL},
    {APP_V6, "acct:demo@[::1]:8080", GM_OK, "demo"},
    {APP_V6, "acct:[::1]@[::1]:8080", GM_OK, ""},
    {APP_V6, "http://[::1]:8080/c/demo", GM_OK, "demo"},
    {APP_V6, "acct:demo@[::2]:8080", GM_ENOTFOUND, NULL},
};

static void parse_resource_table(void **state)
{
    struct gm_app apps[APP_COUNT];
    for (int i = 0; i < APP_COUNT; i++)
        assert_int_equal(gm_app_init(&apps[i], NULL, NULL, app_bases[i]), GM_OK);
    for (size_t i = 0; i < TU_ARRAY_LEN(parse_cases); i++) {
        char name[GM_NAME_MAX + 1];
        strcpy(name, "sentinel");
        gm_err e = gm_wellknown_parse_resource(&apps[parse_cases[i].app], parse_cases[i].resource,
                                               name, sizeof name);
        if (e != parse_cases[i].err)
            fail_msg("'%s' on %s: returned %d, expected %d", parse_cases[i].resource,
                     app_bases[parse_cases[i].app], e, parse_cases[i].err);
        if (e == GM_OK && strcmp(name, parse_cases[i].name) != 0)
            fail_msg("'%s': name '%s', expected '%s'", parse_cases[i].resource, name,
                     parse_cases[i].name);
        if (e != GM_OK && strcmp(name, "sentinel") != 0)
            fail_msg("'%s': name written on failure ('%s')", parse_cases[i].resource, name);
    }
    for (int i = 0; i < APP_COUNT; i++)
        gm_app_clear(&apps[i]);
}

static void parse_resource_limits(void **state)
{
    struct gm_app app;
    char name[GM_NAME_MAX + 1];
    assert_int_equal(gm_app_init(&app, NULL, NULL, BASE), GM_OK);
    assert_int_equal(gm_wellknown_parse_resource(&app, NULL, name, sizeof name), GM_EINVAL);

    /* Over 1024 bytes: malformed, whatever it holds. */
    char longres[1100];
    memset(longres, 'a', sizeof longres - 1);
    longres[sizeof longres - 1] = '\0';
    memcpy(longres, "acct:", 5);
    strcpy(longres + 1025 - strlen("@groups.example.org"), "@groups.example.org");
    assert_int_equal(strlen(longres), 1025);
    assert_int_equal(gm_wellknown_parse_resource(&app, longres, name, sizeof name), GM_EINVAL);
    /* 1024 bytes: well-formed, but the name is too long for a community. */
    strcpy(longres + 1024 - strlen("@groups.example.org"), "@groups.example.org");
    assert_int_equal(strlen(longres), 1024);
    assert_int_equal(gm_wellknown_parse_resource(&app, longres, name, sizeof name), GM_ENOTFOUND);
    gm_app_clear(&app);
}

/* Handlers */

struct fx {
    char dir[TU_PATH_MAX];
    struct gm_store *st;
    struct gm_app app;
};

static void add_community(struct gm_store *st, const char *name)
{
    struct gm_community *c;
    struct gm_txn *txn;
    assert_int_equal(gm_community_new(name, &c), GM_OK);
    assert_int_equal(gm_community_set_summary(c, "About"), GM_OK);
    c->public_key_pem = strdup("PUB");
    assert_int_equal(gm_txn_begin(st, true, &txn), GM_OK);
    assert_int_equal(gm_community_create(txn, c, "PRIV"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_community_free(c);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char data[TU_PATH_MAX], err[256] = "";
    if (!fx)
        return -1;
    tu_mkdtemp(fx->dir);
    tu_join(data, fx->dir, "data");
    if (gm_store_open(data, 16, &fx->st, err, sizeof err) != GM_OK ||
        gm_app_init(&fx->app, NULL, NULL, BASE) != GM_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    fx->app.st = fx->st; /* no instance key generation */
    fx->app.instance_public_key_pem = strdup("INSTANCE-PEM");
    add_community(fx->st, "demo");
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

/* Call `h` with a GET whose query has resource=`resource` (NULL: no query). */
static gm_err call(struct fx *fx, gm_http_handler h, const char *path, const char *resource,
                   struct gm_http_resp *resp)
{
    struct tu_req r;
    tu_req_init(&r, "GET", path, NULL);
    if (resource)
        tu_req_add_query(&r, "resource", resource);
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
    return h(&fx->app, &r.req, resp);
}

static void check_jrd(const struct gm_http_resp *resp, const char *subject, const char *actor)
{
    assert_non_null(resp->content_type);
    assert_int_equal(strncmp(resp->content_type, "application/jrd+json", 20), 0);
    const char *cors = tu_resp_header(resp, "Access-Control-Allow-Origin");
    assert_non_null(cors);
    assert_string_equal(cors, "*");
    json_t *doc = tu_resp_json(resp);
    assert_string_equal(tu_jstr(doc, "subject"), subject);
    json_t *aliases = json_object_get(doc, "aliases");
    assert_string_equal(json_string_value(json_array_get(aliases, 0)), actor);
    json_t *links = json_object_get(doc, "links"), *link;
    size_t i;
    int self = 0, profile = 0;
    json_array_foreach(links, i, link)
    {
        const char *rel = tu_jstr(link, "rel");
        if (rel && !strcmp(rel, "self")) {
            assert_string_equal(tu_jstr(link, "type"), "application/activity+json");
            assert_string_equal(tu_jstr(link, "href"), actor);
            self++;
        } else if (rel && !strcmp(rel, "http://webfinger.net/rel/profile-page")) {
            assert_string_equal(tu_jstr(link, "type"), "text/html");
            assert_string_equal(tu_jstr(link, "href"), actor);
            profile++;
        }
    }
    assert_int_equal(self, 1);
    assert_int_equal(profile, 1);
    json_decref(doc);
}

static void webfinger_community(void **state)
{
    static const char *const resources[] = {"acct:demo@groups.example.org",
                                            "acct:DEMO@GROUPS.EXAMPLE.ORG",
                                            "demo@groups.example.org", BASE "/c/demo"};
    for (size_t i = 0; i < TU_ARRAY_LEN(resources); i++) {
        struct gm_http_resp resp;
        assert_int_equal(
            call(*state, gm_wellknown_webfinger, "/.well-known/webfinger", resources[i], &resp),
            GM_OK);
        assert_int_equal(resp.status, 200);
        check_jrd(&resp, "acct:demo@groups.example.org", BASE "/c/demo");
        gm_http_resp_clear(&resp);
    }
}

static void webfinger_instance(void **state)
{
    struct gm_http_resp resp;
    assert_int_equal(call(*state, gm_wellknown_webfinger, "/.well-known/webfinger",
                          "acct:groups.example.org@groups.example.org", &resp),
                     GM_OK);
    check_jrd(&resp, "acct:groups.example.org@groups.example.org", BASE "/actor");
    gm_http_resp_clear(&resp);
}

static void webfinger_errors(void **state)
{
    static const struct {
        const char *resource;
        gm_err err;
        const char *error;
    } cases[] = {
        {NULL, GM_EINVAL, "missing resource query parameter"},
        {"", GM_EINVAL, "missing resource query parameter"},
        {"acct:", GM_EINVAL, "malformed resource"},
        {"acct:demo", GM_EINVAL, "malformed resource"},
        {"acct:nobody@groups.example.org", GM_ENOTFOUND, "no such community"},
        {BASE "/c/nobody", GM_ENOTFOUND, "no such community"},
        {"acct:demo@other.example", GM_ENOTFOUND, "no such account on this host"},
        {"acct:de-mo@groups.example.org", GM_ENOTFOUND, "no such account on this host"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_http_resp resp;
        gm_err e = call(*state, gm_wellknown_webfinger, "/.well-known/webfinger", cases[i].resource,
                        &resp);
        if (e != cases[i].err)
            fail_msg("'%s': returned %d, expected %d",
                     cases[i].resource ? cases[i].resource : "(none)", e, cases[i].err);
        assert_non_null(resp.error);
        assert_string_equal(resp.error, cases[i].error);
        gm_http_resp_clear(&resp);
    }
}

static void nodeinfo_counts_communities(void **state)
{
    struct fx *fx = *state;
    for (int round = 1; round <= 3; round++) {
        struct gm_http_resp resp;
        assert_int_equal(call(fx, gm_wellknown_nodeinfo, "/nodeinfo/2.1", NULL, &resp), GM_OK);
        assert_true(tu_contains(resp.content_type, "application/json"));
        assert_true(tu_contains(resp.content_type, "nodeinfo.diaspora.software/ns/schema/2.1"));
        json_t *doc = tu_resp_json(&resp);
        assert_string_equal(tu_jstr(doc, "version"), "2.1");
        json_t *sw = json_object_get(doc, "software");
        assert_string_equal(tu_jstr(sw, "name"), "gemeinde");
        assert_string_equal(tu_jstr(sw, "version"), GM_VERSION);
        json_t *protocols = json_object_get(doc, "protocols");
        assert_int_equal(json_array_size(protocols), 1);
        assert_string_equal(json_string_value(json_array_get(protocols, 0)), "activitypub");
        assert_true(json_is_false(json_object_get(doc, "openRegistrations")));
        json_t *users = json_object_get(json_object_get(doc, "usage"), "users");
        assert_int_equal(json_integer_value(json_object_get(users, "total")), round);
        json_t *meta = json_object_get(doc, "metadata");
        assert_int_equal(json_integer_value(json_object_get(meta, "communities")), round);
        assert_string_equal(tu_jstr(meta, "nodeName"), "groups.example.org");
        json_decref(doc);
        gm_http_resp_clear(&resp);
        char name[16];
        snprintf(name, sizeof name, "extra%d", round);
        add_community(fx->st, name);
    }
}

static void nodeinfo_links(void **state)
{
    struct gm_http_resp resp;
    assert_int_equal(
        call(*state, gm_wellknown_nodeinfo_links, "/.well-known/nodeinfo", NULL, &resp), GM_OK);
    assert_string_equal(resp.content_type, "application/json");
    json_t *doc = tu_resp_json(&resp);
    json_t *link = json_array_get(json_object_get(doc, "links"), 0);
    assert_string_equal(tu_jstr(link, "rel"), "http://nodeinfo.diaspora.software/ns/schema/2.1");
    assert_string_equal(tu_jstr(link, "href"), BASE "/nodeinfo/2.1");
    json_decref(doc);
    gm_http_resp_clear(&resp);
}

static void host_meta_template(void **state)
{
    struct gm_http_resp resp;
    assert_int_equal(call(*state, gm_wellknown_host_meta, "/.well-known/host-meta", NULL, &resp),
                     GM_OK);
    assert_true(tu_contains(resp.content_type, "application/xrd+xml"));
    assert_non_null(resp.body);
    assert_int_equal(strlen(resp.body), resp.body_len);
    assert_true(
        tu_contains(resp.body, "<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">"));
    assert_true(tu_contains(resp.body, "<Link rel=\"lrdd\" template=\"" BASE
                                       "/.well-known/webfinger?resource={uri}\"/>"));
    gm_http_resp_clear(&resp);
}

static void healthz_ok(void **state)
{
    struct gm_http_resp resp;
    assert_int_equal(call(*state, gm_wellknown_healthz, "/healthz", NULL, &resp), GM_OK);
    json_t *doc = tu_resp_json(&resp);
    assert_string_equal(tu_jstr(doc, "status"), "ok");
    json_decref(doc);
    gm_http_resp_clear(&resp);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_resource_table),
        cmocka_unit_test(parse_resource_limits),
        T(webfinger_community),
        T(webfinger_instance),
        T(webfinger_errors),
        T(nodeinfo_counts_communities),
        T(nodeinfo_links),
        T(host_meta_template),
        T(healthz_ok),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
