/* SPDX-License-Identifier: Apache-2.0
 * test_http.c - the daemon over HTTP: health, WebFinger, host-meta, NodeInfo, the instance and
 * Group actors (JSON and the HTML page), collections, 404/405 with JSON bodies and HEAD. Each
 * test gets its own node folder and daemon; no response may carry a private key (checked by the
 * harness on every response). Limits and robustness: test_http_robust.c. */
#include "http_world.h"

static void test_healthz(void **state)
{
    struct fixture *fx = *state;
    const char *paths[] = {"/healthz", "/healthz/"};
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = get_json(fx, paths[i], NULL, "application/json");
        assert_string_equal(jstr(doc, "status"), "ok");
        json_decref(doc);
    }
    fx->finished = 1;
}

struct webfinger_case {
    const char *resource; /* NULL: no parameter; "{host}" and "{base}" are expanded */
    long status;
    const char *subject; /* for 200 */
    const char *href_suffix;
};

static const struct webfinger_case webfinger_cases[] = {
    {NULL, 400, NULL, NULL},
    {"", 400, NULL, NULL},
    {"acct:", 400, NULL, NULL},
    {"acct:rust_de", 400, NULL, NULL},
    {"acct:rust_de@", 400, NULL, NULL},
    {"acct:@{host}", 400, NULL, NULL},
    {"acct:rust de@{host}", 400, NULL, NULL},
    {"acct:rust_de/x@{host}", 400, NULL, NULL},
    {"acct:rust_de@elsewhere.example", 404, NULL, NULL},
    {"acct:rust_de@127.0.0.1", 404, NULL, NULL},
    {"acct:nobody@{host}", 404, NULL, NULL},
    {"acct:rust-de@{host}", 404, NULL, NULL},
    {"{base}/c/nobody", 404, NULL, NULL},
    {"{base}/c/rust_de/outbox", 404, NULL, NULL},
    {"https://elsewhere.example/c/rust_de", 404, NULL, NULL},
    {"acct:rust_de@{host}", 200, "acct:rust_de@{host}", "/c/rust_de"},
    {"acct:RUST_DE@{host}", 200, "acct:rust_de@{host}", "/c/rust_de"},
    {"rust_de@{host}", 200, "acct:rust_de@{host}", "/c/rust_de"},
    {"@rust_de@{host}", 200, "acct:rust_de@{host}", "/c/rust_de"},
    {"{base}/c/rust_de", 200, "acct:rust_de@{host}", "/c/rust_de"},
    {"acct:127.0.0.1@{host}", 200, "acct:127.0.0.1@{host}", "/actor"},
    {"{base}/actor", 200, "acct:127.0.0.1@{host}", "/actor"},
};

/* Replace {host} and {base} in t. */
static void expand(struct fixture *fx, const char *t, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    while (*t && n + 1 < size) {
        const char *rep = NULL;
        size_t skip = 0;
        if (!strncmp(t, "{host}", 6))
            rep = fx->d.host, skip = 6;
        else if (!strncmp(t, "{base}", 6))
            rep = fx->d.base_url, skip = 6;
        if (rep) {
            n += (size_t)snprintf(out + n, size - n, "%s", rep);
            t += skip;
        } else {
            out[n++] = *t++;
            out[n] = '\0';
        }
    }
}

static void check_jrd(struct fixture *fx, const struct gm_h_resp *resp, const char *subject,
                      const char *href)
{
    expect_header(resp, "Content-Type", "application/jrd+json; charset=utf-8");
    expect_header(resp, "Access-Control-Allow-Origin", "*");
    json_t *doc = parse_json(resp->body);
    assert_string_equal(jstr(doc, "subject"), subject);
    json_t *aliases = json_object_get(doc, "aliases");
    assert_true(json_is_array(aliases));
    assert_string_equal(json_string_value(json_array_get(aliases, 0)), href);
    json_t *links = json_object_get(doc, "links"), *link;
    size_t i;
    int self = 0, profile = 0;
    json_array_foreach(links, i, link)
    {
        const char *rel = jstr(link, "rel");
        if (!strcmp(rel, "self")) {
            assert_string_equal(jstr(link, "type"), AP_TYPE);
            assert_string_equal(jstr(link, "href"), href);
            self++;
        } else if (!strcmp(rel, "http://webfinger.net/rel/profile-page")) {
            assert_string_equal(jstr(link, "type"), "text/html");
            assert_string_equal(jstr(link, "href"), href);
            profile++;
        }
    }
    assert_int_equal(self, 1);
    assert_int_equal(profile, 1);
    json_decref(doc);
    (void)fx;
}

static void test_webfinger(void **state)
{
    struct fixture *fx = *state;
    char resource[4096], path[8192], subject[512], href[512];
    create(fx, "rust_de", "Rust DE", "About Rust", NULL, NULL);
    CURL *esc = curl_easy_init();
    assert_non_null(esc);
    for (size_t i = 0; i < sizeof webfinger_cases / sizeof webfinger_cases[0]; i++) {
        const struct webfinger_case *c = &webfinger_cases[i];
        if (c->resource) {
            expand(fx, c->resource, resource, sizeof resource);
            char *e = curl_easy_escape(esc, resource, 0);
            assert_non_null(e);
            snprintf(path, sizeof path, "/.well-known/webfinger?resource=%s", e);
            curl_free(e);
        } else {
            snprintf(resource, sizeof resource, "(none)");
            snprintf(path, sizeof path, "/.well-known/webfinger");
        }
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, path, "application/jrd+json", &resp), 0);
        if (c->status != 200) {
            expect_error(&resp, c->status, resource);
        } else {
            if (resp.status != 200)
                fail_msg("webfinger %s: status %ld: %s", resource, resp.status, resp.body);
            expand(fx, c->subject, subject, sizeof subject);
            snprintf(href, sizeof href, "%s%s", fx->d.base_url, c->href_suffix);
            check_jrd(fx, &resp, subject, href);
        }
        gm_h_resp_clear(&resp);
    }
    /* an over-long resource is malformed, not a crash */
    memset(resource, 'a', 2000);
    memcpy(resource, "acct:", 5);
    snprintf(resource + 2000, sizeof resource - 2000, "@%s", fx->d.host);
    snprintf(path, sizeof path, "/.well-known/webfinger?resource=%s", resource);
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, path, NULL, &resp), 0);
    expect_error(&resp, 400, "2000-byte resource");
    gm_h_resp_clear(&resp);
    curl_easy_cleanup(esc);
    fx->finished = 1;
}

static void test_host_meta(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_resp resp;
    char want[600];
    assert_int_equal(gm_h_get(&fx->d, "/.well-known/host-meta", NULL, &resp), 0);
    assert_int_equal(resp.status, 200);
    expect_header(&resp, "Content-Type", "application/xrd+xml; charset=utf-8");
    snprintf(want, sizeof want, "template=\"%s/.well-known/webfinger?resource={uri}\"",
             fx->d.base_url);
    assert_non_null(strstr(resp.body, "<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">"));
    assert_non_null(strstr(resp.body, "rel=\"lrdd\""));
    assert_non_null(strstr(resp.body, want));
    gm_h_resp_clear(&resp);
    fx->finished = 1;
}


static void test_nodeinfo(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    assert_int_equal(nodeinfo_users(fx), 0);
    create(fx, "one", NULL, "first", NULL, NULL);
    create(fx, "two", NULL, "second", NULL, NULL);
    create(fx, "three", NULL, "third", NULL, NULL);
    assert_int_equal(nodeinfo_users(fx), 3);
    int rc = gm_h_cli(&fx->env, &run, "community", "delete", "two", "--yes", NULL);
    gm_h_run_clear(&run);
    assert_int_equal(rc, 0);
    assert_int_equal(nodeinfo_users(fx), 2);
    fx->finished = 1;
}

/* ---- actors ----------------------------------------------------------------------------- */

static const char *const json_accepts[] = {
    NULL,       AP_TYPE,
    AS_PROFILE, "application/json",
    "*/*",      "application/activity+json, application/ld+json",
};

static void test_group_actor(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    create(fx, "rust_de", "Rust DE", "All about Rust.\nSecond line.", "Be kind", "No spam");
    int rc = gm_h_cli(&fx->env, &run, "community", "show", "rust_de", "--json", NULL);
    assert_int_equal(rc, 0);
    json_t *cli = parse_json(run.out);
    gm_h_run_clear(&run);

    for (size_t i = 0; i < sizeof json_accepts / sizeof json_accepts[0]; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, "/c/rust_de", json_accepts[i], &resp), 0);
        if (resp.status != 200)
            fail_msg("Accept %s: status %ld: %s", json_accepts[i] ? json_accepts[i] : "(none)",
                     resp.status, resp.body);
        expect_header(&resp, "Content-Type", AP_TYPE);
        expect_header(&resp, "Vary", "Accept");
        json_t *doc = parse_json(resp.body);
        gm_h_resp_clear(&resp);

        json_t *ctx = json_object_get(doc, "@context");
        assert_string_equal(json_string_value(json_array_get(ctx, 0)),
                            "https://www.w3.org/ns/activitystreams");
        assert_string_equal(jstr(doc, "id"), url(fx, "/c/rust_de"));
        assert_string_equal(jstr(doc, "type"), "Group");
        assert_string_equal(jstr(doc, "preferredUsername"), "rust_de");
        assert_string_equal(jstr(doc, "name"), "Rust DE");
        const char *summary = jstr(doc, "summary");
        assert_non_null(strstr(summary, "All about Rust.<br>Second line."));
        assert_non_null(strstr(summary, "<li>Be kind</li>"));
        assert_non_null(strstr(summary, "<li>No spam</li>"));
        assert_string_equal(jstr(doc, "url"), url(fx, "/c/rust_de"));
        assert_string_equal(jstr(doc, "inbox"), url(fx, "/c/rust_de/inbox"));
        assert_string_equal(jstr(doc, "outbox"), url(fx, "/c/rust_de/outbox"));
        assert_string_equal(jstr(doc, "followers"), url(fx, "/c/rust_de/followers"));
        assert_string_equal(jstr(doc, "featured"), url(fx, "/c/rust_de/featured"));
        assert_string_equal(jstr(json_object_get(doc, "endpoints"), "sharedInbox"),
                            url(fx, "/inbox"));
        json_t *key = json_object_get(doc, "publicKey");
        assert_string_equal(jstr(key, "id"), url(fx, "/c/rust_de#main-key"));
        assert_string_equal(jstr(key, "owner"), url(fx, "/c/rust_de"));
        expect_public_key(jstr(key, "publicKeyPem"));
        assert_string_equal(jstr(key, "publicKeyPem"), jstr(cli, "public_key_pem"));
        assert_true(json_is_false(json_object_get(doc, "manuallyApprovesFollowers")));
        assert_true(json_is_true(json_object_get(doc, "discoverable")));
        const char *published = jstr(doc, "published");
        assert_int_equal(strlen(published), 20); /* 2026-01-02T03:04:05Z */
        assert_true(published[4] == '-' && published[10] == 'T' && published[19] == 'Z');
        json_decref(doc);
    }
    json_decref(cli);
    /* a trailing slash is the same actor */
    json_t *doc = get_json(fx, "/c/rust_de/", AP_TYPE, AP_TYPE);
    assert_string_equal(jstr(doc, "id"), url(fx, "/c/rust_de"));
    json_decref(doc);
    fx->finished = 1;
}

/* `community create NAME` with no summary and no rules: the most common case. */
static void test_group_actor_minimal(void **state)
{
    struct fixture *fx = *state;
    create(fx, "bare", NULL, NULL, NULL, NULL);
    json_t *doc = get_json(fx, "/c/bare", AP_TYPE, AP_TYPE);
    assert_string_equal(jstr(doc, "name"), "bare");
    json_t *summary = json_object_get(doc, "summary");
    assert_true(!summary || (json_is_string(summary) && json_string_length(summary) == 0));
    json_decref(doc);
    assert_true(gm_h_serve_alive(&fx->d));
    fx->finished = 1;
}

static void test_instance_actor(void **state)
{
    struct fixture *fx = *state;
    for (size_t i = 0; i < sizeof json_accepts / sizeof json_accepts[0]; i++) {
        json_t *doc = get_json(fx, "/actor", json_accepts[i], AP_TYPE);
        assert_string_equal(jstr(doc, "id"), url(fx, "/actor"));
        assert_string_equal(jstr(doc, "type"), "Application");
        assert_string_equal(jstr(doc, "preferredUsername"), "127.0.0.1");
        assert_string_equal(jstr(doc, "inbox"), url(fx, "/inbox"));
        assert_string_equal(jstr(doc, "outbox"), url(fx, "/actor/outbox"));
        assert_string_equal(jstr(json_object_get(doc, "endpoints"), "sharedInbox"),
                            url(fx, "/inbox"));
        json_t *key = json_object_get(doc, "publicKey");
        assert_string_equal(jstr(key, "id"), url(fx, "/actor#main-key"));
        assert_string_equal(jstr(key, "owner"), url(fx, "/actor"));
        expect_public_key(jstr(key, "publicKeyPem"));
        json_decref(doc);
    }
    json_t *outbox = get_json(fx, "/actor/outbox", NULL, AP_TYPE);
    assert_string_equal(jstr(outbox, "type"), "OrderedCollection");
    assert_int_equal(json_integer_value(json_object_get(outbox, "totalItems")), 0);
    json_decref(outbox);
    fx->finished = 1;
}

static void test_html_page(void **state)
{
    struct fixture *fx = *state;
    create(fx, "xss", "Tom & \"Jerry\" <b>", "<script>alert(1)</script>\nline 'two'",
           "<img src=x onerror=alert(2)>", NULL);
    const char *accepts[] = {"text/html", BROWSER_ACCEPT};
    for (size_t i = 0; i < 2; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, "/c/xss", accepts[i], &resp), 0);
        assert_int_equal(resp.status, 200);
        expect_header(&resp, "Content-Type", "text/html; charset=utf-8");
        expect_header(&resp, "Vary", "Accept");
        const char *b = resp.body;
        assert_true(strncmp(b, "<!DOCTYPE html>", 15) == 0);
        assert_non_null(strstr(b, "&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_non_null(strstr(b, "<title>Tom &amp; &quot;Jerry&quot; &lt;b&gt;</title>"));
        assert_non_null(strstr(b, "&lt;img src=x onerror=alert(2)&gt;"));
        assert_non_null(strstr(b, "line &#39;two&#39;"));
        assert_null(strstr(b, "<script"));
        assert_null(strstr(b, "<img"));
        assert_null(strstr(b, "<b>"));
        char handle[128];
        snprintf(handle, sizeof handle, "@xss@%s", fx->d.host);
        assert_non_null(strstr(b, handle));
        gm_h_resp_clear(&resp);
    }
    /* the actor's summary is HTML too, escaped the same way */
    json_t *doc = get_json(fx, "/c/xss", AP_TYPE, AP_TYPE);
    const char *summary = jstr(doc, "summary");
    assert_non_null(strstr(summary, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(summary, "<script"));
    assert_null(strstr(summary, "<img"));
    assert_string_equal(jstr(doc, "name"), "Tom & \"Jerry\" <b>"); /* plain text field */
    json_decref(doc);
    fx->finished = 1;
}

static void test_collections(void **state)
{
    struct fixture *fx = *state;
    create(fx, "coll", NULL, "collections", NULL, NULL);
    const char *suffixes[] = {"/outbox", "/followers", "/featured"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/c/coll%s", suffixes[i]);
        json_t *doc = get_json(fx, path, AP_TYPE, AP_TYPE);
        assert_string_equal(jstr(doc, "@context"), "https://www.w3.org/ns/activitystreams");
        assert_string_equal(jstr(doc, "id"), url(fx, path));
        assert_string_equal(jstr(doc, "type"), "OrderedCollection");
        json_t *total = json_object_get(doc, "totalItems");
        assert_true(json_is_integer(total));
        assert_int_equal(json_integer_value(total), 0);
        json_t *items = json_object_get(doc, "orderedItems");
        assert_true(!items || (json_is_array(items) && json_array_size(items) == 0));
        json_decref(doc);

        struct gm_h_resp resp;
        snprintf(path, sizeof path, "/c/nobody%s", suffixes[i]);
        assert_int_equal(gm_h_get(&fx->d, path, AP_TYPE, &resp), 0);
        expect_error(&resp, 404, path);
        gm_h_resp_clear(&resp);
    }
    fx->finished = 1;
}

/* ---- errors ----------------------------------------------------------------------------- */

static const char *const not_found_paths[] = {
    "/",
    "/nope",
    "/c",
    "/c/",
    "/c/nobody",
    "/c/Exists",
    "/c/exists/inbox/extra",
    "/c/exists/unknown",
    "/c/exists//",
    "/c//outbox",
    "/.well-known/",
    "/.well-known/nodeinfo/2.1",
    "/nodeinfo/2.0",
    "/healthz//",
    "/HEALTHZ",
    "/actor/inbox/x",
    "/c/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 bytes */
};

static void test_not_found(void **state)
{
    struct fixture *fx = *state;
    create(fx, "exists", NULL, "here", NULL, NULL);
    for (size_t i = 0; i < sizeof not_found_paths / sizeof not_found_paths[0]; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, not_found_paths[i], AP_TYPE, &resp), 0);
        expect_error(&resp, 404, not_found_paths[i]);
        gm_h_resp_clear(&resp);
        assert_int_equal(gm_h_http(&fx->d, NULL, "HEAD", not_found_paths[i], NULL, NULL, 0, &resp),
                         0);
        assert_int_equal(resp.status, 404);
        assert_int_equal(resp.len, 0);
        gm_h_resp_clear(&resp);
    }
    fx->finished = 1;
}

struct method_case {
    const char *method, *path, *body;
};

static const struct method_case method_cases[] = {
    {"POST", "/healthz", "{}"},
    {"PUT", "/healthz", "x"},
    {"DELETE", "/actor", NULL},
    {"POST", "/.well-known/webfinger", ""},
    {"PATCH", "/nodeinfo/2.1", "{}"},
    {"DELETE", "/c/exists", NULL},
    {"PUT", "/c/exists/outbox", "{}"},
    {"POST", "/c/exists/followers", "{}"},
    {"OPTIONS", "/c/exists/featured", NULL},
    {"DELETE", "/c/nobody", NULL}, /* the route exists whether or not the community does */
};

static void test_method_not_allowed(void **state)
{
    struct fixture *fx = *state;
    create(fx, "exists", NULL, "here", NULL, NULL);
    for (size_t i = 0; i < sizeof method_cases / sizeof method_cases[0]; i++) {
        const struct method_case *c = &method_cases[i];
        struct gm_h_resp resp;
        const char *headers[] = {"Content-Type: application/json", NULL};
        assert_int_equal(gm_h_http(&fx->d, NULL, c->method, c->path, headers, c->body,
                                   c->body ? strlen(c->body) : 0, &resp),
                         0);
        char what[128], allow[128];
        snprintf(what, sizeof what, "%s %s", c->method, c->path);
        expect_error(&resp, 405, what);
        if (gm_h_resp_header(&resp, "Allow", allow, sizeof allow) != 0)
            fail_msg("%s: 405 without Allow", what);
        assert_string_equal(allow, "GET, HEAD");
        gm_h_resp_clear(&resp);
    }
    fx->finished = 1;
}

static void test_head(void **state)
{
    struct fixture *fx = *state;
    create(fx, "heads", NULL, "heads up", NULL, NULL);
    const char *paths[] = {"/healthz", "/c/heads",       "/nodeinfo/2.1", "/.well-known/host-meta",
                           "/actor",   "/c/heads/outbox"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct gm_h_resp get, head;
        char get_type[256], head_type[256], length[32];
        assert_int_equal(gm_h_get(&fx->d, paths[i], AP_TYPE, &get), 0);
        const char *headers[] = {"Accept: " AP_TYPE, NULL};
        assert_int_equal(gm_h_http(&fx->d, NULL, "HEAD", paths[i], headers, NULL, 0, &head), 0);
        assert_int_equal(get.status, 200);
        if (head.status != 200)
            fail_msg("HEAD %s: %ld", paths[i], head.status);
        assert_int_equal(head.len, 0);
        assert_int_equal(gm_h_resp_header(&get, "Content-Type", get_type, sizeof get_type), 0);
        assert_int_equal(gm_h_resp_header(&head, "Content-Type", head_type, sizeof head_type), 0);
        assert_string_equal(head_type, get_type);
        if (gm_h_resp_header(&head, "Content-Length", length, sizeof length) == 0 &&
            strtoul(length, NULL, 10) != get.len)
            fail_msg("HEAD %s: Content-Length %s, GET body %zu bytes", paths[i], length, get.len);
        gm_h_resp_clear(&get);
        gm_h_resp_clear(&head);
    }
    fx->finished = 1;
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        T(test_healthz),
        T(test_webfinger),
        T(test_host_meta),
        T(test_nodeinfo),
        T(test_group_actor),
        T(test_group_actor_minimal),
        T(test_instance_actor),
        T(test_html_page),
        T(test_collections),
        T(test_not_found),
        T(test_method_not_allowed),
        T(test_head),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
