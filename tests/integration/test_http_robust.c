/* SPDX-License-Identifier: Apache-2.0
 * test_http_robust.c - the daemon's limits and robustness over HTTP: 413 for large bodies,
 * keep-alive, malformed and hostile requests, NUL in paths, no private key in any answer,
 * clean shutdown and persistence across a restart. */
#include "http_world.h"

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

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
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
