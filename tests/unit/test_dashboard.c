/* SPDX-License-Identifier: Apache-2.0
 * test_dashboard.c - the admin dashboard and what a browser sees: session cookies (issued,
 * expired, tampered, another token), the login form's fields, the login/logout/redirect flow
 * (no open redirect), the dashboard page with hostile remote data (script tags, event
 * handlers, javascript: links: all harmless), the public page's recent posts, and /metrics
 * access (off, loopback, proxied, token). */
#include "api_fixture.h"

#include "gemeinde/admin_routes.h"
#include "gemeinde/admin_session.h"
#include "gemeinde/community.h"
#include "gemeinde/html_community.h"
#include "gemeinde/html_dashboard.h"
#include "gemeinde/metrics.h"
#include "gemeinde/relay_store.h"

#define NOW 1800000000

static void session_cookies(void **state)
{
    (void)state;
    char v[GM_SESSION_VALUE_MAX], header[400], bad[GM_SESSION_VALUE_MAX + 20];
    assert_int_equal(gm_session_issue(TOKEN, NOW, v, sizeof v), GM_OK);
    snprintf(header, sizeof header, "a=b; " GM_SESSION_COOKIE "=%s; c=d", v);
    assert_true(gm_session_valid(TOKEN, header, NOW));
    assert_true(gm_session_valid(TOKEN, header, NOW + GM_SESSION_TTL - 1));
    assert_false(gm_session_valid(TOKEN, header, NOW + GM_SESSION_TTL)); /* expired */
    assert_false(gm_session_valid("another-token-0123456789-abcdef", header, NOW));
    assert_false(gm_session_valid(TOKEN, NULL, NOW));
    assert_false(gm_session_valid(TOKEN, "", NOW));
    snprintf(bad, sizeof bad, GM_SESSION_COOKIE "x=%s", v); /* another cookie's name */
    assert_false(gm_session_valid(TOKEN, bad, NOW));
    /* a later expiry with the old MAC */
    snprintf(bad, sizeof bad, GM_SESSION_COOKIE "=v1.9%s", v + 3);
    assert_false(gm_session_valid(TOKEN, bad, NOW));
    /* one MAC digit changed */
    snprintf(bad, sizeof bad, GM_SESSION_COOKIE "=%s", v);
    size_t n = strlen(bad);
    bad[n - 1] = bad[n - 1] == '0' ? '1' : '0';
    assert_false(gm_session_valid(TOKEN, bad, NOW));
    /* two sessions differ (nonce) */
    char w[GM_SESSION_VALUE_MAX];
    assert_int_equal(gm_session_issue(TOKEN, NOW, w, sizeof w), GM_OK);
    assert_string_not_equal(v, w);
    char cookie[300];
    gm_session_cookie(v, cookie, sizeof cookie);
    assert_true(tu_contains(cookie, "; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=43200"));
    gm_session_cookie(NULL, cookie, sizeof cookie);
    assert_string_equal(cookie, GM_SESSION_COOKIE
                        "=; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

static void form_fields(void **state)
{
    (void)state;
    static const struct {
        const char *body, *name, *want; /* want NULL: absent or refused */
    } cases[] = {
        {"token=abc%20d+e&next=%2Fadmin%2Fdemo", "token", "abc d e"},
        {"token=abc%20d+e&next=%2Fadmin%2Fdemo", "next", "/admin/demo"},
        {"tokenx=1&token=2", "token", "2"},
        {"token=", "token", ""},
        {"next=x", "token", NULL},
        {"token=%zz", "token", NULL},
        {"token=%0", "token", NULL},
        {"token=a%00b", "token", NULL},
        {"token=%E2%9C%93", "token", "\xE2\x9C\x93"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        char out[64] = "";
        int got = gm_admin_form_field(cases[i].body, strlen(cases[i].body), cases[i].name, out,
                                      sizeof out);
        if (!cases[i].want)
            assert_int_equal(got, 0);
        else if (!got || strcmp(out, cases[i].want))
            fail_msg("case %zu: got %d '%s'", i, got, out);
    }
    char tiny[4];
    assert_int_equal(gm_admin_form_field("token=abcd", 10, "token", tiny, sizeof tiny), 0);
}

/* POST /admin/login with `body`; the response is left in *resp. */
static gm_err login(struct fx *fx, const char *body, struct gm_http_resp *resp)
{
    struct tu_req r;
    tu_req_init(&r, "POST", "/admin/login", NULL);
    r.req.body = body;
    r.req.body_len = strlen(body);
    memset(resp, 0, sizeof *resp);
    return gm_admin_login(&fx->app, &r.req, resp);
}

static void login_flow(void **state)
{
    struct fx *fx = *state;
    struct gm_http_resp resp;
    struct tu_req r;
    char body[300], cookie[300];
    /* no session: to the login form, which returns to the dashboard */
    tu_req_init(&r, "GET", "/admin/demo", "demo");
    memset(&resp, 0, sizeof resp);
    assert_int_equal(gm_admin_dashboard(&fx->app, &r.req, &resp), GM_OK);
    assert_int_equal(resp.status, 303);
    assert_string_equal(tu_resp_header(&resp, "Location"), "/admin/login?next=/admin/demo");
    gm_http_resp_clear(&resp);
    /* a wrong token: 401, the form again, no cookie */
    assert_int_equal(login(fx, "token=wrong-token-0123456789abcdef&next=/admin/demo", &resp), GM_OK);
    assert_int_equal(resp.status, 401);
    assert_null(tu_resp_header(&resp, "Set-Cookie"));
    assert_true(tu_contains(resp.body, "That is not the admin token."));
    gm_http_resp_clear(&resp);
    /* the right one: a session, back to where the visitor wanted to go */
    snprintf(body, sizeof body, "token=%s&next=%%2Fadmin%%2Fdemo", TOKEN);
    assert_int_equal(login(fx, body, &resp), GM_OK);
    assert_int_equal(resp.status, 303);
    assert_string_equal(tu_resp_header(&resp, "Location"), "/admin/demo");
    const char *set = tu_resp_header(&resp, "Set-Cookie");
    assert_non_null(set);
    assert_true(tu_contains(set, "HttpOnly") && tu_contains(set, "Secure") &&
                tu_contains(set, "SameSite=Strict"));
    snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(set, ";"), set);
    gm_http_resp_clear(&resp);
    /* never away from the dashboard */
    static const char *const nexts[] = {"https://evil.example/", "//evil.example/admin",
                                        "/admin//evil.example", "/admin/x?y=a/b", "/other",
                                        "/admin/x?days=/evil", "?/admin"};
    for (size_t i = 0; i < TU_ARRAY_LEN(nexts); i++) {
        snprintf(body, sizeof body, "token=%s&next=%s", TOKEN, nexts[i]);
        assert_int_equal(login(fx, body, &resp), GM_OK);
        assert_string_equal(tu_resp_header(&resp, "Location"), "/admin");
        gm_http_resp_clear(&resp);
    }
    /* the period survives the login */
    snprintf(body, sizeof body, "token=%s&next=%%2Fadmin%%2Fdemo%%3Fdays%%3D7", TOKEN);
    assert_int_equal(login(fx, body, &resp), GM_OK);
    assert_string_equal(tu_resp_header(&resp, "Location"), "/admin/demo?days=7");
    gm_http_resp_clear(&resp);
    tu_req_init(&r, "GET", "/admin/demo", "demo");
    tu_req_add_query(&r, "days", "7");
    memset(&resp, 0, sizeof resp);
    assert_int_equal(gm_admin_dashboard(&fx->app, &r.req, &resp), GM_OK);
    assert_string_equal(tu_resp_header(&resp, "Location"), "/admin/login?next=/admin/demo%3Fdays%3D7");
    gm_http_resp_clear(&resp);
    /* with the session: the page, with a policy that allows no script */
    tu_req_init(&r, "GET", "/admin/demo", "demo");
    tu_req_add_header(&r, "Cookie", cookie);
    memset(&resp, 0, sizeof resp);
    resp.status = 200; /* as the router does */
    assert_int_equal(gm_admin_dashboard(&fx->app, &r.req, &resp), GM_OK);
    assert_int_equal(resp.status, 200);
    assert_true(tu_contains(tu_resp_header(&resp, "Content-Security-Policy"), "default-src 'none'"));
    assert_string_equal(tu_resp_header(&resp, "Cache-Control"), "no-store");
    assert_true(tu_contains(resp.body, "id=\"chart-members\""));
    assert_true(tu_contains(resp.body, "id=\"unanswered\""));
    assert_false(tu_contains(resp.body, "<script"));
    gm_http_resp_clear(&resp);
    tu_req_init(&r, "GET", "/admin/nope", "nope");
    tu_req_add_header(&r, "Cookie", cookie);
    memset(&resp, 0, sizeof resp);
    assert_int_equal(gm_admin_dashboard(&fx->app, &r.req, &resp), GM_ENOTFOUND);
    gm_http_resp_clear(&resp);
    /* logout ends it in the browser */
    tu_req_init(&r, "POST", "/admin/logout", NULL);
    memset(&resp, 0, sizeof resp);
    assert_int_equal(gm_admin_logout(&fx->app, &r.req, &resp), GM_OK);
    assert_true(tu_contains(tu_resp_header(&resp, "Set-Cookie"), "Max-Age=0"));
    gm_http_resp_clear(&resp);
}

static void off_without_token(void **state)
{
    struct fx *fx = *state;
    struct gm_http_resp resp = {0};
    struct tu_req r;
    tu_req_init(&r, "GET", "/admin/demo", "demo");
    assert_int_equal(gm_admin_dashboard(&fx->app, &r.req, &resp), GM_ENOTFOUND);
    assert_int_equal(gm_admin_login_form(&fx->app, &r.req, &resp), GM_ENOTFOUND);
    assert_int_equal(login(fx, "token=", &resp), GM_ENOTFOUND);
    gm_http_resp_clear(&resp);
}

/* No markup from remote data may survive: no tag, no event handler, no javascript: link. */
static void assert_harmless(const char *html)
{
    static const char *const never[] = {"<script", "<img", "<iframe", "href=\"javascript:",
                                        "href=\"JAVASCRIPT:", "<b>h</b>", "<svg onload"};
    for (size_t i = 0; i < TU_ARRAY_LEN(never); i++)
        if (tu_contains(html, never[i]))
            fail_msg("page contains %s", never[i]);
}

static void dashboard_escapes_remote_data(void **state)
{
    (void)state;
    struct gm_community *c;
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    c->public_key_pem = NULL;
    free(c->title);
    c->title = strdup("<script>alert(0)</script>Demo");
    json_error_t jerr;
    json_t *report = json_loads(
        "{\"community\":\"demo\",\"from\":\"2026-11-01\",\"to\":\"2026-11-02\",\"days\":2,"
        "\"now\":{\"members\":1,\"pending\":1,\"held\":1,\"open_reports\":1},"
        "\"period\":{\"posts\":1,\"replies\":0,\"answer_rate\":null},"
        "\"response_time\":{\"period\":{\"count\":0,\"median\":null,\"p90\":null},"
        "\"7d\":{\"count\":0,\"median\":null,\"p90\":null}},"
        "\"daily\":[{\"date\":\"2026-11-01\",\"members\":1,\"posts\":1,\"response\":{\"count\":0}},"
        "{\"date\":\"2026-11-02\",\"members\":1,\"posts\":0,\"response\":{\"count\":1,\"median\":60,\"p90\":60}}],"
        "\"unanswered\":{\"older_than\":3600,\"total\":1,\"posts\":[{\"url\":\"javascript:alert(1)\","
        "\"title\":\"<img src=x onerror=alert(1)>\",\"author\":\" JavaScript:alert(2)\","
        "\"waiting\":100,\"question\":true}]},"
        "\"top_contributors\":[{\"actor\":\"\\\"><script>alert(3)</script>\",\"posts\":1}],"
        "\"members_by_server\":[{\"host\":\"<b>h</b>\",\"members\":1}],\"servers\":1}",
        0, &jerr);
    if (!report)
        fail_msg("fixture: %s", jerr.text);
    json_t *pending = json_loads("[{\"key\":\"javascript:alert(4)\",\"value\":{\"at\":1}}]", 0, NULL);
    json_t *reports = json_loads(
        "[{\"id\":1,\"reporter\":\"https://r.example/u/x\",\"comment\":"
        "\"<script>alert(5)</script>\",\"objects\":[\"javascript:alert(6)\"]}]", 0, NULL);
    json_t *held = json_loads(
        "[{\"key\":\"https://h.example/1\",\"value\":{\"actor\":\"https://h.example/u\",\"rule\":"
        "\"<svg onload=alert(7)>\",\"activity\":{\"object\":{\"content\":"
        "\"<p>hi<script>alert(8)</script><iframe src=x></iframe></p>\"}}}}]", 0, NULL);
    struct gm_modlog_entry e = {.at = 1, .community = "demo", .moderator = "<script>m</script>",
                                .action = "ban", .target = "<img src=y>",
                                .public_reason = "<script>r</script>"};
    struct gm_modlog_entry *log[] = {&e};
    struct gm_dashboard d = {.c = c, .host = "groups.example", .report = report,
                             .pending = pending, .reports = reports, .held = held,
                             .log = log, .n_log = 1};
    char *html;
    size_t len;
    assert_int_equal(gm_html_dashboard(&d, &html, &len), GM_OK);
    assert_harmless(html);
    /* the texts are there, as text */
    assert_true(tu_contains(html, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_true(tu_contains(html, "&lt;script&gt;alert(5)&lt;/script&gt;"));
    assert_true(tu_contains(html, "<span class=\"q\">question</span>"));
    assert_true(tu_contains(html, "id=\"chart-response\""));
    assert_false(tu_contains(html, "alert(8)")); /* held content is shown as text */
    free(html);
    json_decref(report);
    json_decref(pending);
    json_decref(reports);
    json_decref(held);
    gm_community_free(c);
}

/* Outbox entry `seq` of demo: an Announce of a Create of a Note with `content`. */
static void relayed(struct fx *fx, uint64_t seq, const char *content)
{
    struct gm_txn *txn;
    char id[100];
    snprintf(id, sizeof id, "https://masto.example/notes/%llu", (unsigned long long)seq);
    json_t *a = json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s, s:s, s:s}}}", "type", "Announce",
                          "object", "type", "Create", "actor", "https://masto.example/users/ana",
                          "object", "id", id, "type", "Note", "content", content, "url",
                          "javascript:alert(9)");
    char *json = json_dumps(a, JSON_COMPACT);
    assert_int_equal(gm_txn_begin(fx->store->st, true, &txn), GM_OK);
    assert_int_equal(gm_outbox_put(txn, "demo", seq, json), GM_OK);
    assert_int_equal(gm_relayed_put(txn, "demo", id, seq), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    free(json);
    json_decref(a);
}

static void public_page_sanitizes_posts(void **state)
{
    struct fx *fx = *state;
    static const char *const hostile[] = {
        "<p>one<script>alert(1)</script></p>",
        "<p onclick=\"alert(2)\">two</p><img src=x onerror=alert(3)>",
        "<p><a href=\"javascript:alert(4)\">three</a> <a href=\" JaVaScRiPt:alert(5)\">x</a></p>",
        "<p><a href=\"https://ok.example/\" onmouseover=\"alert(6)\">four</a></p>"
        "<svg onload=alert(7)><circle/></svg><iframe src=\"https://evil.example\"></iframe>",
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(hostile); i++)
        relayed(fx, i + 1, hostile[i]);
    struct gm_txn *txn;
    struct gm_community *c;
    json_t *posts;
    assert_int_equal(gm_txn_begin(fx->store->st, false, &txn), GM_OK);
    assert_int_equal(gm_community_get(txn, "demo", &c), GM_OK);
    assert_int_equal(gm_html_community_posts(txn, "demo", 10, &posts), GM_OK);
    gm_txn_abort(txn);
    assert_int_equal(json_array_size(posts), 4);
    char *html;
    size_t len;
    assert_int_equal(gm_html_community_page(&fx->app, c, 3, posts, &html, &len), GM_OK);
    assert_harmless(html);
    assert_false(tu_contains(html, "alert("));
    assert_false(tu_contains(html, "onclick") || tu_contains(html, "onmouseover") ||
                 tu_contains(html, "onerror") || tu_contains(html, "onload"));
    assert_true(tu_contains(html, "<a href=\"https://ok.example/\" rel=\"nofollow noopener noreferrer ugc\">four</a>"));
    assert_true(tu_contains(html, "<p>one</p>") && tu_contains(html, "<p>two</p>"));
    /* newest first; a javascript: url falls back to the post's id */
    assert_true(tu_contains(html, "href=\"https://masto.example/notes/4\""));
    assert_true(strstr(html, "four") < strstr(html, "one"));
    assert_true(tu_contains(html, "3 members"));
    free(html);
    json_decref(posts);
    gm_community_free(c);
}

static gm_err metrics(struct fx *fx, const char *remote, const char *fwd, const char *auth,
                      struct gm_http_resp *resp)
{
    struct tu_req r;
    tu_req_init(&r, "GET", "/metrics", NULL);
    r.req.remote = remote;
    if (fwd)
        tu_req_add_header(&r, "X-Forwarded-For", fwd);
    if (auth)
        tu_req_add_header(&r, "Authorization", auth);
    memset(resp, 0, sizeof *resp);
    gm_err e = gm_metrics_get(&fx->app, &r.req, resp);
    return e;
}

static void metrics_access(void **state)
{
    struct fx *fx = *state;
    struct gm_http_resp resp;
    assert_int_equal(metrics(fx, "127.0.0.1", NULL, NULL, &resp), GM_ENOTFOUND); /* off */
    fx->cfg.metrics = true;
    assert_int_equal(metrics(fx, "127.0.0.1", NULL, NULL, &resp), GM_OK);
    assert_true(tu_contains(resp.content_type, "version=0.0.4"));
    assert_true(tu_contains(resp.body, "\ngemeinde_communities 1\n"));
    assert_true(tu_contains(resp.body, "gemeinde_members{community=\"demo\"} 0\n"));
    gm_http_resp_clear(&resp);
    add_member(fx, "https://masto.example/users/ana");
    assert_int_equal(metrics(fx, "::1", NULL, NULL, &resp), GM_OK);
    assert_true(tu_contains(resp.body, "gemeinde_members{community=\"demo\"} 1\n"));
    assert_true(tu_contains(resp.body, "gemeinde_members_gained_total{community=\"demo\"} 1\n"));
    gm_http_resp_clear(&resp);
    assert_int_equal(metrics(fx, "127.0.0.1", "203.0.113.9", NULL, &resp), GM_ENOTFOUND);
    assert_int_equal(metrics(fx, "10.0.0.1", NULL, NULL, &resp), GM_ENOTFOUND);
    assert_int_equal(metrics(fx, "10.0.0.1", NULL, "Bearer wrong", &resp), GM_ENOTFOUND);
    assert_int_equal(metrics(fx, "10.0.0.1", "203.0.113.9", fx->auth, &resp), GM_OK);
    gm_http_resp_clear(&resp);
    static const struct { const char *a; int loop; } addrs[] = {
        {"127.0.0.1", 1}, {"127.255.0.3", 1}, {"::1", 1}, {"::ffff:127.0.0.2", 1},
        {"10.0.0.1", 0}, {"::2", 0}, {"1270.0.0.1", 0}, {"", 0}, {NULL, 0}};
    for (size_t i = 0; i < TU_ARRAY_LEN(addrs); i++)
        assert_int_equal(gm_metrics_is_loopback(addrs[i].a), addrs[i].loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_cookies),
        cmocka_unit_test(form_fields),
        cmocka_unit_test_setup_teardown(login_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(off_without_token, setup_off, teardown),
        cmocka_unit_test(dashboard_escapes_remote_data),
        cmocka_unit_test_setup_teardown(public_page_sanitizes_posts, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_access, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
