/* SPDX-License-Identifier: Apache-2.0
 * test_http.c - the daemon over HTTP: health, WebFinger, host-meta, NodeInfo, the instance and
 * Group actors (JSON and the HTML page), collections, 404/405/413 with JSON bodies, HEAD,
 * keep-alive, malformed requests, clean shutdown and persistence across a restart. Each test
 * gets its own node folder and daemon (max_body = 2048); no response may carry a private key
 * (checked by the harness on every response). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define AP_TYPE "application/activity+json"
#define AS_PROFILE "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
#define BROWSER_ACCEPT "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#define MAX_BODY 2048

static const char *binary;

struct fixture {
    struct gm_h_env env;
    struct gm_h_daemon d;
    int finished;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx || gm_h_env_init(&fx->env, binary, "max_body = 2048\nthreads = 2\n") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    if (gm_h_serve_start(&fx->env, &fx->d) != 0) {
        gm_h_env_clear(&fx->env);
        free(fx);
        return -1;
    }
    return 0;
}

/* Stops the daemon (a non-zero exit or a sanitizer report fails the test) and removes the
 * folder; prints the daemon's log when the test did not reach its end. */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = 0;
    if (fx->d.pid) {
        rc = gm_h_serve_stop(&fx->d, SIGTERM) == 0 ? 0 : -1; /* dumps the log if not 0 */
        if (rc == 0 && !fx->finished)
            gm_h_serve_dump(&fx->d);
    }
    gm_h_env_clear(&fx->env);
    free(fx);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void create(struct fixture *fx, const char *name, const char *title, const char *summary,
                   const char *rule1, const char *rule2)
{
    struct gm_h_run run;
    const char *argv[16];
    int n = 0;
    argv[n++] = "-c";
    argv[n++] = fx->env.config;
    argv[n++] = "community";
    argv[n++] = "create";
    argv[n++] = name;
    if (title)
        argv[n++] = "--title", argv[n++] = title;
    if (summary)
        argv[n++] = "--summary", argv[n++] = summary;
    if (rule1)
        argv[n++] = "--rule", argv[n++] = rule1;
    if (rule2)
        argv[n++] = "--rule", argv[n++] = rule2;
    argv[n] = NULL;
    int rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    if (rc != 0)
        fail_msg("community create %s: exit %d: %s", name, rc, run.err ? run.err : "");
    gm_h_run_clear(&run);
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s): %.500s", jerr.text, text);
    return doc;
}

static const char *jstr(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        fail_msg("member '%s' missing or not a string", key);
    return s;
}

static void expect_header(const struct gm_h_resp *resp, const char *name, const char *want)
{
    char value[512];
    if (gm_h_resp_header(resp, name, value, sizeof value) != 0)
        fail_msg("no %s header in:\n%s", name, resp->headers);
    if (strcmp(value, want) != 0)
        fail_msg("%s is '%s', want '%s'", name, value, want);
}

static void expect_header_prefix(const struct gm_h_resp *resp, const char *name, const char *prefix)
{
    char value[512];
    if (gm_h_resp_header(resp, name, value, sizeof value) != 0)
        fail_msg("no %s header in:\n%s", name, resp->headers);
    if (strncmp(value, prefix, strlen(prefix)) != 0)
        fail_msg("%s is '%s', want '%s...'", name, value, prefix);
}

/* A non-2xx answer: the status, Content-Type application/json and {"error": "..."}. */
static void expect_error(const struct gm_h_resp *resp, long status, const char *what)
{
    if (resp->status != status)
        fail_msg("%s: status %ld, want %ld; body: %s", what, resp->status, status, resp->body);
    expect_header_prefix(resp, "Content-Type", "application/json");
    json_t *doc = parse_json(resp->body);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    if (!msg || !*msg)
        fail_msg("%s: no error message in %s", what, resp->body);
    json_decref(doc);
}

/* GET path expecting 200 and JSON; returns the document (new reference). */
static json_t *get_json(struct fixture *fx, const char *path, const char *accept,
                        const char *content_type)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, path, accept, &resp), 0);
    if (resp.status != 200)
        fail_msg("GET %s: status %ld: %s", path, resp.status, resp.body);
    if (content_type)
        expect_header(&resp, "Content-Type", content_type);
    json_t *doc = parse_json(resp.body);
    gm_h_resp_clear(&resp);
    return doc;
}

static char *url(struct fixture *fx, const char *suffix)
{
    static char buf[8][512];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s%s", fx->d.base_url, suffix);
    return out;
}

static void expect_public_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key)
        fail_msg("publicKeyPem does not parse: %s", pem);
    assert_true(EVP_PKEY_is_a(key, "RSA"));
    assert_true(EVP_PKEY_get_bits(key) >= 2048);
    EVP_PKEY_free(key);
}

/* ---- health and discovery --------------------------------------------------------------- */

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

static json_int_t nodeinfo_users(struct fixture *fx)
{
    json_t *links = get_json(fx, "/.well-known/nodeinfo", NULL, NULL);
    json_t *link = json_array_get(json_object_get(links, "links"), 0);
    assert_string_equal(jstr(link, "rel"), "http://nodeinfo.diaspora.software/ns/schema/2.1");
    const char *href = jstr(link, "href");
    size_t blen = strlen(fx->d.base_url);
    assert_true(strncmp(href, fx->d.base_url, blen) == 0);
    assert_string_equal(href + blen, "/nodeinfo/2.1");
    json_decref(links);

    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, "/nodeinfo/2.1", NULL, &resp), 0);
    assert_int_equal(resp.status, 200);
    expect_header(&resp, "Content-Type",
                  "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/"
                  "2.1#\"");
    json_t *doc = parse_json(resp.body);
    gm_h_resp_clear(&resp);
    assert_string_equal(jstr(doc, "version"), "2.1");
    json_t *sw = json_object_get(doc, "software");
    assert_string_equal(jstr(sw, "name"), "gemeinde");
    assert_true(strlen(jstr(sw, "version")) > 0);
    json_t *protocols = json_object_get(doc, "protocols");
    assert_int_equal(json_array_size(protocols), 1);
    assert_string_equal(json_string_value(json_array_get(protocols, 0)), "activitypub");
    assert_true(json_is_object(json_object_get(doc, "services")));
    assert_true(json_is_false(json_object_get(doc, "openRegistrations")));
    json_t *total =
        json_object_get(json_object_get(json_object_get(doc, "usage"), "users"), "total");
    assert_true(json_is_integer(total));
    json_int_t n = json_integer_value(total);
    json_decref(doc);
    return n;
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

struct body_case {
    const char *what, *path;
    size_t size;
    const char *extra_header; /* NULL, "Expect:" (no 100-continue), chunked... */
    long status;
};

static const struct body_case body_cases[] = {
    {"4096 to /inbox", "/inbox", 4096, NULL, 413},
    {"4096 to /inbox, no Expect", "/inbox", 4096, "Expect:", 413},
    {"4096 to /inbox, chunked", "/inbox", 4096, "Transfer-Encoding: chunked", 413},
    {"4096 to /c/x/inbox", "/c/x/inbox", 4096, NULL, 413},
    {"4096 to /healthz", "/healthz", 4096, NULL, 413},
    {"1 MiB to /inbox", "/inbox", 1 << 20, NULL, 413},
    {"max_body + 1", "/inbox", MAX_BODY + 1, "Expect:", 413},
    {"max_body + 1, chunked", "/inbox", MAX_BODY + 1, "Transfer-Encoding: chunked", 413},
    /* at or under the cap the body reaches the router (a path that will never exist) */
    {"max_body exactly", "/no-such-endpoint", MAX_BODY, "Expect:", 404},
    {"max_body exactly, chunked", "/no-such-endpoint", MAX_BODY, "Transfer-Encoding: chunked", 404},
    {"small body", "/no-such-endpoint", 100, NULL, 404},
    {"small body to a GET route", "/healthz", 100, NULL, 405},
};

static void test_body_limit(void **state)
{
    struct fixture *fx = *state;
    char *body = malloc(1 << 20);
    assert_non_null(body);
    memset(body, '{', 1 << 20);
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        const struct body_case *c = &body_cases[i];
        const char *headers[] = {"Content-Type: application/activity+json", c->extra_header, NULL};
        struct gm_h_resp resp;
        if (gm_h_http(&fx->d, NULL, "POST", c->path, headers, body, c->size, &resp) != 0)
            fail_msg("%s: no HTTP answer", c->what);
        expect_error(&resp, c->status, c->what);
        gm_h_resp_clear(&resp);
    }
    free(body);
    /* a declared length far over the cap is refused without sending the body */
    char reply[4096];
    const char raw[] = "POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 99999999999\r\n\r\n";
    assert_true(gm_h_raw(&fx->d, raw, sizeof raw - 1, reply, sizeof reply) > 0);
    if (strncmp(reply, "HTTP/1.1 413", 12) != 0)
        fail_msg("declared 99999999999 bytes: %s", reply);
    json_t *doc = get_json(fx, "/healthz", NULL, NULL);
    json_decref(doc);
    fx->finished = 1;
}

/* ---- connections and robustness --------------------------------------------------------- */

static long connects(CURL *c)
{
    long n = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

static void test_keepalive(void **state)
{
    struct fixture *fx = *state;
    create(fx, "kept", NULL, "kept alive", NULL, NULL);
    CURL *c = gm_h_curl_new();
    assert_non_null(c);
    long total = 0;
    for (int i = 0; i < 50; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_http(&fx->d, c, "GET", "/healthz", NULL, NULL, 0, &resp), 0);
        assert_int_equal(resp.status, 200);
        gm_h_resp_clear(&resp);
        total += connects(c);
    }
    if (total != 1)
        fail_msg("50 GETs on one handle opened %ld connections, want 1", total);

    /* every kind of answer keeps the connection: JSON, HTML, 404, 405, HEAD, small POST */
    const char *html[] = {"Accept: text/html", NULL};
    struct {
        const char *method, *path;
        const char *const *headers;
        const char *body;
        long status;
    } mixed[] = {
        {"GET", "/c/kept", NULL, NULL, 200},
        {"GET", "/c/kept", html, NULL, 200},
        {"GET", "/c/nobody", NULL, NULL, 404},
        {"GET", "/nope", NULL, NULL, 404},
        {"DELETE", "/healthz", NULL, NULL, 405},
        {"HEAD", "/c/kept", NULL, NULL, 200},
        {"POST", "/no-such-endpoint", NULL, "{}", 404},
        {"GET", "/.well-known/webfinger", NULL, NULL, 400},
        {"GET", "/nodeinfo/2.1", NULL, NULL, 200},
    };
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof mixed / sizeof mixed[0]; i++) {
            struct gm_h_resp resp;
            assert_int_equal(gm_h_http(&fx->d, c, mixed[i].method, mixed[i].path, mixed[i].headers,
                                       mixed[i].body, mixed[i].body ? strlen(mixed[i].body) : 0,
                                       &resp),
                             0);
            if (resp.status != mixed[i].status)
                fail_msg("%s %s: %ld", mixed[i].method, mixed[i].path, resp.status);
            gm_h_resp_clear(&resp);
            long n = connects(c);
            if (n)
                fail_msg("%s %s (round %d) opened a new connection", mixed[i].method, mixed[i].path,
                         round);
        }
    }
    curl_easy_cleanup(c);
    fx->finished = 1;
}

struct raw_case {
    const char *what;
    const char *req;
    size_t len;  /* 0: strlen */
    int hang_up; /* close right after sending */
};

#define RAW(s) s, sizeof(s) - 1 /* a literal with NUL bytes and its length */

static const struct raw_case raw_cases[] = {
    {"%00 in the path", "GET /%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0},
    {"%00 in a community name", "GET /c/ab%00cd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     0, 0},
    {"%00 in the resource",
     "GET /.well-known/webfinger?resource=acct:a%00b@x HTTP/1.1\r\nHost: x\r\n"
     "Connection: close\r\n\r\n",
     0, 0},
    {"bad percent escapes", "GET /c/%zz%f%%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0,
     0},
    {"dot segments", "GET /c/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0,
     0},
    {"NUL byte in the request line",
     RAW("GET /a\0b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 0},
    {"TLS hello on plain HTTP",
     RAW("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
         "garbage"),
     1},
    {"binary garbage", RAW("\xff\xfe\xfd\r\n\r\n\x01\x02"), 0},
    {"no method", "/healthz HTTP/1.1\r\n\r\n", 0, 0},
    {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 0, 0},
    {"header without colon", "GET /healthz HTTP/1.1\r\nHost x\r\nnonsense\r\n\r\n", 0, 0},
    {"bad Content-Length", "POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 0, 0},
    {"negative Content-Length", "POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 0,
     0},
    {"bad chunk size",
     "POST /inbox HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n"
     "\r\n",
     0, 0},
    {"early close", "GET /healthz HTTP/1.1\r\nHost:", 0, 1},
    {"close before the body", "POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 0,
     1},
};

static void expect_alive(struct fixture *fx, const char *after)
{
    struct gm_h_resp resp;
    if (!gm_h_serve_alive(&fx->d))
        fail_msg("daemon died after: %s", after);
    if (gm_h_get(&fx->d, "/healthz", NULL, &resp) != 0 || resp.status != 200)
        fail_msg("/healthz fails after: %s", after);
    gm_h_resp_clear(&resp);
}

static void test_malformed(void **state)
{
    struct fixture *fx = *state;
    char reply[8192];
    create(fx, "ab", NULL, "short name", NULL, NULL);
    for (size_t i = 0; i < sizeof raw_cases / sizeof raw_cases[0]; i++) {
        const struct raw_case *c = &raw_cases[i];
        size_t len = c->len ? c->len : strlen(c->req);
        reply[0] = '\0';
        gm_h_raw(&fx->d, c->req, len, c->hang_up ? NULL : reply, sizeof reply);
        assert_null(strstr(reply, "PRIVATE KEY"));
        expect_alive(fx, c->what);
    }
    /* very long query, very long path, very long header, many headers */
    size_t big = 200000;
    char *req = malloc(big + 256), *q = malloc(big + 1);
    assert_non_null(req);
    assert_non_null(q);
    memset(q, 'a', big);
    q[big] = '\0';
    const char *forms[][2] = {
        {"GET /healthz?", " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
        {"GET /.well-known/webfinger?resource=",
         " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
        {"GET /c/", " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ", "\r\nConnection: close\r\n\r\n"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int n = snprintf(req, big + 256, "%s%s%s", forms[i][0], q, forms[i][1]);
        gm_h_raw(&fx->d, req, (size_t)n, reply, sizeof reply);
        expect_alive(fx, forms[i][0]);
    }
    size_t n = (size_t)snprintf(req, big + 256, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 5000 && n + 40 < big; i++)
        n += (size_t)snprintf(req + n, big + 256 - n, "X-H%d: v\r\n", i);
    n += (size_t)snprintf(req + n, big + 256 - n, "\r\n");
    gm_h_raw(&fx->d, req, n, reply, sizeof reply);
    expect_alive(fx, "5000 headers");
    free(req);

    /* through curl: the answers are JSON errors (400 or 404) */
    const char *curl_paths[] = {"/%00", "/c/a%00", "/c/%41B", "/c/%zz"};
    for (size_t i = 0; i < sizeof curl_paths / sizeof curl_paths[0]; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, curl_paths[i], AP_TYPE, &resp), 0);
        expect_error(&resp, resp.status == 400 ? 400 : 404, curl_paths[i]);
        gm_h_resp_clear(&resp);
    }
    char path[256];
    snprintf(path, sizeof path, "/.well-known/webfinger?resource=acct%%3Aab%%00%%40%s", fx->d.host);
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, path, NULL, &resp), 0);
    assert_true(resp.status == 400 || resp.status == 404);
    gm_h_resp_clear(&resp);
    char *long_path = malloc(big + 32);
    assert_non_null(long_path);
    snprintf(long_path, big + 32, "/healthz?q=%s", q);
    if (gm_h_get(&fx->d, long_path, NULL, &resp) == 0) { /* or the server closed: also fine */
        assert_true(resp.status >= 400);
        gm_h_resp_clear(&resp);
    }
    free(long_path);
    free(q);
    expect_alive(fx, "long query through curl");
    fx->finished = 1;
}

/* A decoded %00 must not cut the path short: /c/ab%00anything is not /c/ab. */
static void test_nul_in_path(void **state)
{
    struct fixture *fx = *state;
    create(fx, "ab", NULL, "short name", NULL, NULL);
    const char *paths[] = {"/c/ab%00", "/c/ab%00/../../admin", "/healthz%00.json",
                           "/c/ab/outbox%00x"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct gm_h_resp resp;
        assert_int_equal(gm_h_get(&fx->d, paths[i], AP_TYPE, &resp), 0);
        if (resp.status != 404 && resp.status != 400)
            fail_msg("GET %s answered %ld as if the path ended at %%00", paths[i], resp.status);
        expect_error(&resp, resp.status, paths[i]);
        gm_h_resp_clear(&resp);
    }
    fx->finished = 1;
}

/* Every endpoint in every representation: none may carry private key material, in the
 * response or in the log. */
static void test_no_private_key_anywhere(void **state)
{
    struct fixture *fx = *state;
    create(fx, "keys", "Keys", "Where are they?", "None here", NULL);
    const char *paths[] = {"/healthz",
                           "/.well-known/host-meta",
                           "/.well-known/nodeinfo",
                           "/nodeinfo/2.1",
                           "/actor",
                           "/actor/outbox",
                           "/c/keys",
                           "/c/keys/outbox",
                           "/c/keys/followers",
                           "/c/keys/featured",
                           "/nope"};
    const char *accepts[] = {NULL, AP_TYPE, AS_PROFILE, "text/html", BROWSER_ACCEPT};
    char wf[256];
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (size_t k = 0; k < sizeof accepts / sizeof accepts[0]; k++) {
            struct gm_h_resp resp;
            assert_int_equal(gm_h_get(&fx->d, paths[i], accepts[k], &resp), 0);
            gm_h_resp_clear(&resp);
        }
    }
    snprintf(wf, sizeof wf, "/.well-known/webfinger?resource=acct:keys@%s", fx->d.host);
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, wf, NULL, &resp), 0);
    assert_int_equal(resp.status, 200);
    gm_h_resp_clear(&resp);
    char *log = gm_h_serve_log(&fx->d);
    assert_non_null(log);
    assert_null(strstr(log, "PRIVATE KEY"));
    free(log);
    fx->finished = 1;
}

/* ---- process life ----------------------------------------------------------------------- */

static void test_shutdown(void **state)
{
    struct fixture *fx = *state;
    int sigs[] = {SIGTERM, SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (!fx->d.pid)
            assert_int_equal(gm_h_serve_start(&fx->env, &fx->d), 0);
        CURL *idle = NULL;
        if (i == 2) { /* an open keep-alive connection must not hold up the stop */
            struct gm_h_resp resp;
            idle = gm_h_curl_new();
            assert_int_equal(gm_h_http(&fx->d, idle, "GET", "/healthz", NULL, NULL, 0, &resp), 0);
            gm_h_resp_clear(&resp);
        }
        int status = gm_h_serve_stop(&fx->d, sigs[i]);
        if (status != 0)
            fail_msg("stop with signal %d: status %d", sigs[i], status);
        if (idle)
            curl_easy_cleanup(idle);
    }
    fx->finished = 1;
}

static void test_persistence(void **state)
{
    struct fixture *fx = *state;
    create(fx, "durable", "Durable", "Survives restarts", "Rule one", NULL);
    json_t *before = get_json(fx, "/c/durable", AP_TYPE, AP_TYPE);
    json_t *inst_before = get_json(fx, "/actor", AP_TYPE, AP_TYPE);
    char *key_before = strdup(jstr(json_object_get(before, "publicKey"), "publicKeyPem"));
    char *inst_key_before = strdup(jstr(json_object_get(inst_before, "publicKey"), "publicKeyPem"));
    char *published = strdup(jstr(before, "published"));
    json_decref(before);
    json_decref(inst_before);
    assert_int_equal(gm_h_serve_stop(&fx->d, SIGTERM), 0);

    assert_int_equal(gm_h_serve_start(&fx->env, &fx->d), 0);
    json_t *after = get_json(fx, "/c/durable", AP_TYPE, AP_TYPE);
    assert_string_equal(jstr(after, "name"), "Durable");
    assert_non_null(strstr(jstr(after, "summary"), "Rule one"));
    assert_string_equal(jstr(after, "published"), published);
    assert_string_equal(jstr(json_object_get(after, "publicKey"), "publicKeyPem"), key_before);
    assert_string_equal(jstr(after, "id"), url(fx, "/c/durable"));
    json_decref(after);
    json_t *inst_after = get_json(fx, "/actor", AP_TYPE, AP_TYPE);
    assert_string_equal(jstr(json_object_get(inst_after, "publicKey"), "publicKeyPem"),
                        inst_key_before);
    json_decref(inst_after);
    assert_int_equal(nodeinfo_users(fx), 1);
    free(key_before);
    free(inst_key_before);
    free(published);
    fx->finished = 1;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

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
        T(test_body_limit),
        T(test_keepalive),
        T(test_malformed),
        T(test_nul_in_path),
        T(test_no_private_key_anywhere),
        T(test_shutdown),
        T(test_persistence),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
