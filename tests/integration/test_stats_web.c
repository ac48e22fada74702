/* SPDX-License-Identifier: Apache-2.0
 * test_stats_web.c - a community's figures on the web, against the real daemon after the
 * traffic of stats_world.h (fake remote servers on 127.0.0.2-4):
 *   GET /metrics from loopback is valid Prometheus text (checked line by line by a checker that
 *     is itself tested on a table) with the counts the traffic determines, inbox results
 *     (accepted, unauthorized for a forged signature, duplicate, unknown community) and
 *     delivery outcomes per fake host; a proxied request gets 404 unless it brings the token;
 *   the dashboard: redirect to the login, a wrong token refused without a cookie, the cookie's
 *     flags, no open redirect, a tampered cookie, logout, no token in the log, and a page with
 *     charts and the unanswered posts in which no remote markup is live;
 *   the public page: the posts, the hostile one rendered harmless, a strict CSP;
 *   without admin_token and metrics, the dashboard and /metrics are 404. */
#define STATS_WORLD_TESTS 7

#include "stats_world.h"

/* `s` lower-cased, a new string. */
static char *lower(const char *s)
{
    char *out = strdup(s ? s : "");
    assert_non_null(out);
    for (char *p = out; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return out;
}

/* No live markup of HOSTILE in `html` (case-insensitive). */
static void expect_harmless(const char *html, const char *what)
{
    static const char *const bad[] = {"<script", "onerror", "javascript:", "<img"};
    char *low = lower(html);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(low, bad[i]))
            fail_msg("%s contains '%s':\n%s", what, bad[i], html);
    free(low);
}

/* ---- the Prometheus text format --------------------------------------------------------- */

#define FAMILIES_MAX 64
#define SAMPLES_MAX 1024

struct exposition {
    char family[FAMILIES_MAX][80], type[FAMILIES_MAX][12];
    size_t nfam;
    char *seen[SAMPLES_MAX]; /* name{labels} of every sample, to find repeats */
    size_t nseen;
};

/* Length of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), or a label name (no ':'), at s. */
static size_t name_len(const char *s, int colon)
{
    size_t n = 0;
    for (;; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (n && c >= '0' && c <= '9');
        if (!ok)
            return n;
    }
}

/* A sample value: a float as strtod reads it, NaN or +-Inf. */
static int valid_value(const char *v, size_t n)
{
    char buf[64], *end;
    if (!n || n >= sizeof buf)
        return 0;
    memcpy(buf, v, n);
    buf[n] = '\0';
    if (!strcmp(buf, "NaN") || !strcmp(buf, "+Inf") || !strcmp(buf, "-Inf"))
        return 1;
    strtod(buf, &end);
    return *end == '\0' && (buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9'));
}

/* The family a sample named `name` belongs to, or -1. */
static int family_of(const struct exposition *x, const char *name)
{
    for (size_t i = 0; i < x->nfam; i++) {
        size_t n = strlen(x->family[i]);
        if (strncmp(name, x->family[i], n) != 0)
            continue;
        const char *rest = name + n;
        int summary = !strcmp(x->type[i], "summary") || !strcmp(x->type[i], "histogram");
        if (!*rest || (summary && (!strcmp(rest, "_sum") || !strcmp(rest, "_count") ||
                                   (!strcmp(x->type[i], "histogram") && !strcmp(rest, "_bucket")))))
            return (int)i;
    }
    return -1;
}

static const char *check_comment(struct exposition *x, const char *line)
{
    static const char *const types[] = {"counter", "gauge", "summary", "histogram", "untyped"};
    int help = !strncmp(line, "# HELP ", 7), type = !strncmp(line, "# TYPE ", 7);
    if (!help && !type)
        return NULL; /* a plain comment */
    const char *p = line + 7;
    size_t n = name_len(p, 1);
    if (!n || n >= sizeof x->family[0] || p[n] != ' ')
        return "HELP or TYPE without a metric name";
    if (help)
        return NULL;
    for (size_t i = 0; i < x->nfam; i++)
        if (strlen(x->family[i]) == n && !strncmp(x->family[i], p, n))
            return "TYPE given twice";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(p + n + 1, types[i]) != 0)
            continue;
        if (x->nfam == FAMILIES_MAX)
            return "too many families for the checker";
        memcpy(x->family[x->nfam], p, n);
        x->family[x->nfam][n] = '\0';
        snprintf(x->type[x->nfam++], sizeof x->type[0], "%s", types[i]);
        return NULL;
    }
    return "unknown TYPE";
}

/* Labels {name="value",...} at *pp (value escapes: \\ \" \n only). */
static const char *check_labels(const char **pp)
{
    const char *p = *pp + 1;
    while (*p != '}') {
        size_t n = name_len(p, 0);
        if (!n)
            return "bad label name";
        p += n;
        if (p[0] != '=' || p[1] != '"')
            return "label without =\"";
        for (p += 2; *p && *p != '"'; p++)
            if (*p == '\\' && (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
                return "bad escape in a label value";
            else if (*p == '\\')
                p++;
            else if (*p == '\n')
                return "newline in a label value";
        if (*p++ != '"')
            return "unterminated label value";
        if (*p == ',')
            p++;
        else if (*p != '}')
            return "labels not separated by ','";
    }
    *pp = p + 1;
    return NULL;
}

static const char *check_sample(struct exposition *x, const char *line)
{
    const char *p = line;
    char name[128];
    size_t n = name_len(p, 1);
    if (!n || n >= sizeof name)
        return "no metric name";
    memcpy(name, p, n);
    name[n] = '\0';
    p += n;
    if (family_of(x, name) < 0)
        return "a sample before its TYPE";
    const char *err = *p == '{' ? check_labels(&p) : NULL;
    if (err)
        return err;
    size_t key_len = (size_t)(p - line);
    if (*p++ != ' ')
        return "no single space before the value";
    size_t vlen = strcspn(p, " ");
    if (!valid_value(p, vlen))
        return "bad value";
    p += vlen;
    if (*p == ' ') { /* a timestamp: milliseconds, an integer */
        p++;
        if (*p == '-')
            p++;
        if (!*p || strspn(p, "0123456789") != strlen(p))
            return "bad timestamp";
    }
    for (size_t i = 0; i < x->nseen; i++)
        if (strlen(x->seen[i]) == key_len && !strncmp(x->seen[i], line, key_len))
            return "the same sample twice";
    if (x->nseen == SAMPLES_MAX)
        return "too many samples for the checker";
    x->seen[x->nseen++] = strndup(line, key_len);
    return NULL;
}

/* NULL if every line of `text` is a comment or a sample `name{labels} value` of a family whose
 * TYPE came first, each sample once, and the text ends with a newline; else why not (static). */
static const char *exposition_error(const char *text)
{
    static char why[2200];
    struct exposition *x = calloc(1, sizeof *x);
    char line[2048] = "";
    const char *err = NULL;
    size_t len = strlen(text);
    if (!x)
        return "out of memory";
    if (!len || text[len - 1] != '\n')
        err = "no newline at the end";
    for (const char *p = text; *p && !err;) {
        size_t n = strcspn(p, "\n");
        if (n >= sizeof line)
            n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
        p += strcspn(p, "\n");
        p += *p == '\n';
        err = line[0] == '#' ? check_comment(x, line) : check_sample(x, line);
    }
    for (size_t i = 0; i < x->nseen; i++)
        free(x->seen[i]);
    free(x);
    if (!err)
        return NULL;
    snprintf(why, sizeof why, "%s: '%s'", err, line);
    return why;
}

static void expect_exposition(const char *text)
{
    const char *err = exposition_error(text);
    if (err)
        fail_msg("not Prometheus text: %s", err);
}

/* The value of sample `key` (name{labels}), or -1 when absent. */
static double metric(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, key, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

static double need_metric(const char *text, const char *key)
{
    double v = metric(text, key);
    if (v < 0)
        fail_msg("no sample %s in:\n%s", key, text);
    return v;
}

/* GET /metrics from loopback: 200, the exposition (new string). */
static char *metrics_text(struct world *w)
{
    struct gm_h_resp resp = http(&w->d, "GET", "/metrics", NULL, NULL);
    if (resp.status != 200)
        fail_msg("GET /metrics: status %ld: %s", resp.status, resp.body);
    const char *ct = header(&resp, "Content-Type");
    if (strncmp(ct, "text/plain; version=0.0.4", 25) != 0)
        fail_msg("/metrics Content-Type is '%s'", ct);
    char *text = strdup(resp.body);
    gm_h_resp_clear(&resp);
    assert_non_null(text);
    return text;
}

/* The checker itself: it must refuse what Prometheus refuses, or the check above proves nothing. */
static void test_exposition_checker(void **state)
{
    (void)state;
    static const char head[] = "# HELP g_x Help text.\n# TYPE g_x counter\n"
                               "# TYPE g_s summary\n";
    static const struct {
        const char *samples;
        int valid;
    } cases[] = {
        {"g_x 1\n", 1},
        {"g_x{a=\"b\"} 1.5\n", 1},
        {"g_x{a=\"b\",c=\"d\",} 0 1700000000000\n", 1},
        {"g_x{a=\"q\\\"\\\\\\n\"} 1\n", 1},
        {"g_x NaN\ng_x{a=\"1\"} +Inf\n", 1},
        {"g_s{quantile=\"0.5\"} 3\ng_s_sum 3\ng_s_count 1\n", 1},
        {"# just a comment\ng_x 2\n", 1},
        {"g_x 1", 0},                   /* no final newline */
        {"g_y 1\n", 0},                 /* no TYPE */
        {"g_x_sum 1\n", 0},             /* _sum of a counter */
        {"g_x{a=b} 1\n", 0},            /* unquoted label value */
        {"g_x{a=\"b\"c=\"d\"} 1\n", 0}, /* no comma */
        {"g_x{a=\"\\t\"} 1\n", 0},      /* bad escape */
        {"g_x{1a=\"b\"} 1\n", 0},       /* bad label name */
        {"g_x{a=\"b\" 1\n", 0},         /* unclosed */
        {"g_x  1\n", 0},                /* two spaces */
        {"g_x 1 x\n", 0},               /* bad timestamp */
        {"g_x one\n", 0},               /* bad value */
        {"g_x\n", 0},                   /* no value */
        {"g_x 1\ng_x 2\n", 0},          /* the same sample twice */
        {"\n", 0},                      /* an empty line */
        {"# TYPE g_x gauge\n", 0},      /* TYPE twice */
        {"# TYPE g_z thing\n", 0},      /* unknown TYPE */
        {"9x 1\n", 0},                  /* bad metric name */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s", head, cases[i].samples);
        const char *err = exposition_error(text);
        if (cases[i].valid ? err != NULL : err == NULL)
            fail_msg("case %zu (%s): %s", i, cases[i].valid ? "valid" : "invalid",
                     err ? err : "accepted");
    }
}

/* ---- /metrics --------------------------------------------------------------------------- */

/* Wait (bounded) until a delivery to `host` was recorded as done; the exposition then. */
static char *metrics_after_delivery(struct world *w, const char *host)
{
    char key[200];
    snprintf(key, sizeof key, "gemeinde_deliveries_total{host=\"%s\",outcome=\"done\"}", host);
    for (int waited = 0;; waited += 200) {
        char *text = metrics_text(w);
        if (metric(text, key) >= 1)
            return text;
        if (waited >= WAIT_MS)
            fail_msg("no %s >= 1 within %d ms:\n%s", key, WAIT_MS, text);
        free(text);
        msleep(200);
    }
}

static double inbox_result(const char *text, const char *result)
{
    char key[120];
    snprintf(key, sizeof key, "gemeinde_inbox_requests_total{result=\"%s\"}", result);
    return need_metric(text, key);
}

static void test_metrics_figures(void **state)
{
    struct world *w = *state;
    static const struct {
        const char *key;
        double value;
    } exact[] = {
        {"gemeinde_communities", 1},
        {"gemeinde_members{community=\"town\"}", 2},
        {"gemeinde_pending{community=\"town\"}", 0},
        {"gemeinde_members_gained_total{community=\"town\"}", 3},
        {"gemeinde_members_lost_total{community=\"town\"}", 1},
        {"gemeinde_posts_total{community=\"town\"}", 3},
        {"gemeinde_replies_total{community=\"town\"}", 1},
        {"gemeinde_likes_total{community=\"town\"}", 1},
        {"gemeinde_answered_total{community=\"town\"}", 1},
        {"gemeinde_questions_total{community=\"town\"}", 1},
        {"gemeinde_unanswered_posts{community=\"town\"}", 2},
        {"gemeinde_response_time_seconds_count{community=\"town\",window=\"7d\"}", 1},
        {"gemeinde_response_time_seconds_count{community=\"town\",window=\"30d\"}", 1},
        {"gemeinde_inbox_requests_total{result=\"invalid\"}", 0},
        {"gemeinde_inbox_requests_total{result=\"forbidden\"}", 0},
    };
    free(metrics_after_delivery(w, w->ana.host));
    free(metrics_after_delivery(w, w->cat.host));
    char *text = metrics_after_delivery(w, w->bob.host);
    expect_exposition(text);
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        double v = need_metric(text, exact[i].key);
        if (v != exact[i].value)
            fail_msg("%s is %g, want %g", exact[i].key, v, exact[i].value);
    }
    double median = need_metric(
        text, "gemeinde_response_time_seconds{community=\"town\",window=\"7d\",quantile=\"0.5\"}");
    assert_true(median >= 0 && median <= 60);
    double accepted = inbox_result(text, "accepted");
    if (accepted < SENT_ACCEPTED)
        fail_msg("%g inbox requests accepted, want at least %d", accepted, SENT_ACCEPTED);
    free(text);
    w->passed++;
}

/* A forged signature, a repeated activity, an unknown community: each counted as such, none
 * as figures. */
static void test_metrics_inbox_results(void **state)
{
    struct world *w = *state;
    char *text = metrics_text(w);
    double unauthorized = inbox_result(text, "unauthorized");
    double duplicate = inbox_result(text, "duplicate");
    double unknown = inbox_result(text, "unknown_community");
    double accepted = inbox_result(text, "accepted");
    free(text);

    json_t *forged = public_post(w, &w->ana, "forged", "<p>forged</p>", NULL, NULL, NULL, 0);
    assert_int_equal(post_signed(w, &w->ana, forged, &key_b), 401); /* ana's key id, bob's key */
    post_as(w, &w->bob, activity(&w->bob, "Like", "like-1", json_string(w->question_id)),
            "the same Like again");
    json_t *stray = activity(&w->ana, "Follow", "follow-nope", json_string("http://x/c/nope"));
    char *body = json_dumps(stray, JSON_COMPACT);
    struct gm_fp_sig sig = {.key_id = w->ana.key_id, .key = key_a.key};
    assert_int_equal(gm_fp_post(&w->d, "/c/nope/inbox", body, &sig, NULL), 404);
    free(body);
    json_decref(stray);

    text = metrics_text(w);
    expect_exposition(text);
    assert_true(inbox_result(text, "unauthorized") == unauthorized + 1);
    assert_true(inbox_result(text, "duplicate") == duplicate + 1);
    assert_true(inbox_result(text, "unknown_community") == unknown + 1);
    assert_true(inbox_result(text, "accepted") == accepted);
    assert_true(need_metric(text, "gemeinde_posts_total{community=\"town\"}") == 3);
    assert_true(need_metric(text, "gemeinde_likes_total{community=\"town\"}") == 1);
    free(text);
    w->passed++;
}

/* Behind a proxy, loopback proves nothing: the token is needed. */
static void test_metrics_proxied(void **state)
{
    struct world *w = *state;
    static const char *const proxied[] = {"X-Forwarded-For: 1.2.3.4", "X-Real-IP: 1.2.3.4",
                                          "Forwarded: for=1.2.3.4"};
    for (size_t i = 0; i < sizeof proxied / sizeof proxied[0]; i++) {
        struct gm_h_resp resp = http(&w->d, "GET", "/metrics", HDRS(proxied[i]), NULL);
        if (resp.status != 404 || strstr(resp.body, "gemeinde_"))
            fail_msg("/metrics with %s: status %ld", proxied[i], resp.status);
        gm_h_resp_clear(&resp);
        assert_int_equal(status_of(&w->d, "GET", "/metrics",
                                   HDRS(proxied[i], "Authorization: Bearer wrong-token-0123456789"),
                                   NULL),
                         404);
        resp = http(&w->d, "GET", "/metrics", HDRS(proxied[i], AUTH), NULL);
        assert_int_equal(resp.status, 200);
        expect_exposition(resp.body);
        assert_true(need_metric(resp.body, "gemeinde_members{community=\"town\"}") == 2);
        gm_h_resp_clear(&resp);
    }
    w->passed++;
}

/* ---- the dashboard ---------------------------------------------------------------------- */

/* POST /admin/login with the form `body`. */
static struct gm_h_resp login(struct world *w, const char *body)
{
    return http(&w->d, "POST", "/admin/login",
                HDRS("Content-Type: application/x-www-form-urlencoded"), body);
}

static void expect_redirect(const struct gm_h_resp *resp, const char *location, const char *what)
{
    if (resp->status != 303)
        fail_msg("%s: status %ld, want 303: %s", what, resp->status, resp->body);
    assert_string_equal(header(resp, "Location"), location);
}

/* Log in with the token: the redirect to `next`, and a session cookie with the right flags.
 * The "Cookie: gm_admin=..." line to send into `line`. */
static void session(struct world *w, char *line, size_t size)
{
    struct gm_h_resp resp = login(w, "token=" TOKEN "&next=%2Fadmin%2Ftown");
    expect_redirect(&resp, "/admin/town", "login");
    char set_cookie[512];
    snprintf(set_cookie, sizeof set_cookie, "%s", header(&resp, "Set-Cookie"));
    gm_h_resp_clear(&resp);
    static const char *const flags[] = {"; HttpOnly", "; Secure", "; SameSite=Strict",
                                        "; Path=/admin"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(set_cookie, flags[i]))
            fail_msg("Set-Cookie without %s: %s", flags[i], set_cookie);
    assert_int_equal(strncmp(set_cookie, "gm_admin=", 9), 0);
    assert_null(strstr(set_cookie, TOKEN));
    snprintf(line, size, "Cookie: %.*s", (int)strcspn(set_cookie, ";"), set_cookie);
}

static void test_dashboard_login(void **state)
{
    struct world *w = *state;
    char value[64], cookie_line[320];
    struct gm_h_resp resp = http(&w->d, "GET", "/admin/town", NULL, NULL);
    expect_redirect(&resp, "/admin/login?next=/admin/town", "no cookie");
    gm_h_resp_clear(&resp);
    resp = login(w, "token=Zq7-stats-token-4b1e9c2d8f0a7e6X&next=%2Fadmin%2Ftown");
    assert_int_equal(resp.status, 401);
    assert_int_not_equal(gm_h_resp_header(&resp, "Set-Cookie", value, sizeof value), 0);
    assert_non_null(strstr(resp.body, "not the admin token"));
    gm_h_resp_clear(&resp);
    resp = login(w, "next=%2Fadmin%2Ftown");
    assert_int_equal(resp.status, 401);
    gm_h_resp_clear(&resp);
    session(w, cookie_line, sizeof cookie_line);

    /* no open redirect */
    static const char *const evil[] = {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example%2F",
                                       "%2Fadmin%2F..%2F..%2Fevil", "%2Fadmin%2F%2Fevil.example"};
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "token=" TOKEN "&next=%s", evil[i]);
        resp = login(w, body);
        expect_redirect(&resp, "/admin", evil[i]);
        gm_h_resp_clear(&resp);
    }
    resp = http(&w->d, "GET", "/admin/login?next=https://evil.example/", NULL, NULL);
    assert_int_equal(resp.status, 200);
    assert_null(strstr(resp.body, "evil.example"));
    assert_non_null(strstr(resp.body, "name=\"next\" value=\"/admin\""));
    gm_h_resp_clear(&resp);

    resp = http(&w->d, "POST", "/admin/logout", HDRS(cookie_line), "");
    expect_redirect(&resp, "/admin/login", "logout");
    const char *gone = header(&resp, "Set-Cookie");
    if (strncmp(gone, "gm_admin=;", 10) != 0 || !strstr(gone, "Max-Age=0"))
        fail_msg("logout Set-Cookie: %s", gone);
    gm_h_resp_clear(&resp);
    /* neither the token nor what was typed instead is logged */
    char *log = gm_h_serve_log(&w->d);
    assert_non_null(log);
    assert_null(strstr(log, "Zq7-stats-token"));
    assert_non_null(strstr(log, "failed dashboard login from 127.0.0.1"));
    free(log);
    w->passed++;
}

/* GET path with the Cookie line `cookie_line`. */
static struct gm_h_resp with_cookie(struct world *w, const char *path, const char *cookie_line)
{
    return http(&w->d, "GET", path, HDRS(cookie_line), NULL);
}

static void test_dashboard_page(void **state)
{
    struct world *w = *state;
    static const char *const parts[] = {"id=\"chart-members\"", "id=\"chart-activity\"",
                                        "id=\"unanswered\"", "Waiting for an answer (2,"};
    char cookie_line[320], link[400];
    session(w, cookie_line, sizeof cookie_line);
    struct gm_h_resp resp = with_cookie(w, "/admin/town", cookie_line);
    if (resp.status != 200)
        fail_msg("dashboard: status %ld: %s", resp.status, resp.body);
    assert_string_equal(header(&resp, "Content-Type"), "text/html; charset=utf-8");
    const char *csp = header(&resp, "Content-Security-Policy");
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "script-src"));
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!strstr(resp.body, parts[i]))
            fail_msg("the dashboard lacks %s", parts[i]);
    snprintf(link, sizeof link, "href=\"%s\"", w->plain_url);
    if (!strstr(resp.body, link))
        fail_msg("the dashboard does not link %s", w->plain_url);
    assert_null(strstr(resp.body, w->question_id)); /* answered: not listed */
    expect_harmless(resp.body, "the dashboard");
    gm_h_resp_clear(&resp);
    resp = with_cookie(w, "/admin", cookie_line);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "<a href=\"/admin/town\">town</a>"));
    gm_h_resp_clear(&resp);
    assert_int_equal(status_of(&w->d, "GET", "/admin/nope", HDRS(cookie_line), NULL), 404);

    /* a cookie whose signature does not match, or that was never issued */
    char *last = cookie_line + strlen(cookie_line) - 1;
    *last = *last == '0' ? '1' : '0';
    resp = with_cookie(w, "/admin/town", cookie_line);
    expect_redirect(&resp, "/admin/login?next=/admin/town", "tampered cookie");
    gm_h_resp_clear(&resp);
    resp = with_cookie(w, "/admin/town", "Cookie: gm_admin=v1.99999999999.00.0000");
    expect_redirect(&resp, "/admin/login?next=/admin/town", "forged cookie");
    gm_h_resp_clear(&resp);
    w->passed++;
}

/* ---- the public page -------------------------------------------------------------------- */

static void test_public_page(void **state)
{
    struct world *w = *state;
    struct gm_h_resp resp = http(&w->d, "GET", "/c/town", HDRS("Accept: text/html"), NULL);
    assert_int_equal(resp.status, 200);
    assert_string_equal(header(&resp, "Content-Type"), "text/html; charset=utf-8");
    const char *csp = header(&resp, "Content-Security-Policy");
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "script-src"));
    static const char *const shown[] = {"Where can I get my bike fixed?",
                                        "At the repair caf\xC3\xA9 on Main Street.",
                                        "Repair caf\xC3\xA9 tonight", "<p>2 members</p>"};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (!strstr(resp.body, shown[i]))
            fail_msg("the public page lacks '%s':\n%s", shown[i], resp.body);
    char link[400];
    snprintf(link, sizeof link, "href=\"%s\"", w->hostile_id); /* the hostile post is listed */
    if (!strstr(resp.body, link))
        fail_msg("the public page does not list the hostile post:\n%s", resp.body);
    expect_harmless(resp.body, "the public page");
    gm_h_resp_clear(&resp);
    w->passed++;
}

/* ---- off without admin_token and metrics ------------------------------------------------ */

struct plain {
    struct gm_h_env env;
    struct gm_h_daemon d;
    int finished;
};

static int plain_setup(void **state)
{
    struct plain *pl = calloc(1, sizeof *pl);
    struct gm_h_run run = {0};
    if (!pl || gm_h_env_init(&pl->env, binary, NULL) != 0)
        goto fail;
    if (gm_h_cli(&pl->env, &run, "community", "create", "town", NULL) != 0 ||
        gm_h_serve_start(&pl->env, &pl->d) != 0)
        goto fail;
    gm_h_run_clear(&run);
    *state = pl;
    return 0;
fail:
    gm_h_run_clear(&run);
    if (pl)
        gm_h_env_clear(&pl->env);
    free(pl);
    return -1;
}

static int plain_teardown(void **state)
{
    struct plain *pl = *state;
    int rc = gm_h_serve_stop(&pl->d, SIGTERM) == 0 ? 0 : -1;
    if (rc == 0 && !pl->finished)
        gm_h_serve_dump(&pl->d);
    gm_h_env_clear(&pl->env);
    free(pl);
    return rc;
}

static void test_off(void **state)
{
    struct plain *pl = *state;
    static const struct {
        const char *method, *path;
    } off[] = {{"GET", "/admin/town"},   {"GET", "/admin"},         {"GET", "/admin/login"},
               {"POST", "/admin/login"}, {"POST", "/admin/logout"}, {"GET", "/metrics"}};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        const char *body = !strcmp(off[i].method, "POST") ? "token=" TOKEN : NULL;
        long status = status_of(&pl->d, off[i].method, off[i].path, HDRS(AUTH), body);
        if (status != 404)
            fail_msg("%s %s: status %ld, want 404", off[i].method, off[i].path, status);
        status = status_of(&pl->d, off[i].method, off[i].path, NULL, body);
        if (status != 404)
            fail_msg("%s %s without a token: status %ld, want 404", off[i].method, off[i].path,
                     status);
    }
    assert_int_equal(status_of(&pl->d, "GET", "/api/v1/communities/town/stats", HDRS(AUTH), NULL),
                     404);
    /* the CLI does not need them */
    struct gm_h_run run;
    assert_int_equal(gm_h_cli(&pl->env, &run, "stats", "town", "--json", NULL), 0);
    json_t *r = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_non_null(r);
    assert_int_equal(inum(json_object_get(r, "period"), "posts"), 0);
    json_t *rt = json_object_get(json_object_get(r, "response_time"), "period");
    assert_int_equal(inum(rt, "count"), 0);
    assert_true(json_is_null(json_object_get(rt, "median")));
    json_decref(r);
    pl->finished = 1;
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (stats_keys_new() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exposition_checker),
        cmocka_unit_test(test_traffic),
        cmocka_unit_test(test_metrics_figures),
        cmocka_unit_test(test_metrics_inbox_results),
        cmocka_unit_test(test_metrics_proxied),
        cmocka_unit_test(test_dashboard_login),
        cmocka_unit_test(test_dashboard_page),
        cmocka_unit_test(test_public_page),
        cmocka_unit_test_setup_teardown(test_off, plain_setup, plain_teardown),
    };
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    stats_keys_free();
    curl_global_cleanup();
    return failed;
}
