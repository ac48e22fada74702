/* SPDX-License-Identifier: Apache-2.0
 * test_fetch.c - gm_fetch_* against real HTTP servers run in this process with libmicrohttpd
 * on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (port 0, loopback only): signed GETs verified with
 * gm_httpsig, the SSRF guard, same-origin redirects, media type / id / size / depth / speed
 * rules, status mapping, the fetch budget. The network-free tables (address classifier, host
 * normalisation, origins, JSON depth, connect guard) are in test_fetch_guard.c. Every fetch is
 * bounded by a total timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../federation/fetch_int.h"
#include "gemeinde/fetch.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/log.h"

#define AP "application/activity+json"
#define AS "https://www.w3.org/ns/activitystreams"
#define KEY_ID "https://node.test/c/demo#main-key"
#define BIG (2u * 1024 * 1024)
#define STALL_AT (1024u * 1024 + 64 * 1024) /* big bodies pause 3 s after this many bytes */

/* ---- the test servers ---- */

enum body_kind { B_SELF, B_ID, B_LIT, B_BIG, B_BIG_CHUNKED, B_SLOW, B_DEEP };

struct server {
    struct MHD_Daemon *d;
    const char *ip;
    unsigned port;
    atomic_int requests;
    /* Body bytes produced by streaming routes, per body kind: a stream of the previous case,
     * still parked at its stall point, must not count for the next one. */
    atomic_size_t served[B_DEEP + 1];
    pthread_mutex_t mu;   /* guards the fields below */
    bool signed_req;
    bool rfc9421_ok; /* the last request carried a verified RFC 9421 signature */
    gm_err sig_result;
    bool covers_all;
    char key_id[128], algorithm[32], user_agent[256], accept[256], date[64], host[128];
};

static struct server servers[3] = {{.ip = "127.0.0.1"}, {.ip = "127.0.0.2"}, {.ip = "127.0.0.3"}};
static EVP_PKEY *test_key;
static atomic_bool stopping;

enum loc_kind { L_NONE, L_REL, L_SELF_ABS, L_SELF_HTTPS, L_SRV3 };

struct route {
    const char *path;
    int status;
    const char *ctype; /* NULL: none sent */
    enum body_kind body;
    const char *arg; /* B_ID: id path; B_LIT: body; redirects: Location (path or URL) */
    enum loc_kind loc;
};

static const struct route routes[] = {
    {"/actor", 200, AP, B_SELF, NULL, L_NONE},
    {"/only9421", 200, AP, B_SELF, NULL, L_NONE}, /* 401 unless signed RFC 9421 (handle()) */
    {"/actor-charset", 200, AP "; charset=utf-8", B_SELF, NULL, L_NONE},
    {"/ld", 200, "application/ld+json; profile=\"" AS "\"", B_SELF, NULL, L_NONE},
    {"/ld-caps", 200, "Application/LD+JSON ; Profile=\"" AS "\"", B_SELF, NULL, L_NONE},
    {"/ld-multi", 200, "application/ld+json;charset=utf-8;profile=\"https://x.test/p " AS "\"",
     B_SELF, NULL, L_NONE},
    {"/ld-noprofile", 200, "application/ld+json", B_SELF, NULL, L_NONE},
    {"/ld-otherprofile", 200, "application/ld+json; profile=\"https://x.test/p\"", B_SELF, NULL,
     L_NONE},
    {"/html", 200, "text/html", B_SELF, NULL, L_NONE},
    {"/json", 200, "application/json", B_SELF, NULL, L_NONE},
    {"/no-ctype", 200, NULL, B_SELF, NULL, L_NONE},
    {"/wrong-id", 200, AP, B_ID, "/other", L_NONE},
    {"/id-fragment", 200, AP, B_ID, "/id-fragment#main-key", L_NONE},
    {"/id-elsewhere", 200, AP, B_LIT, "{\"id\":\"https://evil.test/id-elsewhere\"}", L_NONE},
    {"/no-id", 200, AP, B_LIT, "{\"type\":\"Person\"}", L_NONE},
    {"/id-number", 200, AP, B_LIT, "{\"id\":5}", L_NONE},
    {"/array", 200, AP, B_LIT, "[{\"id\":\"x\"}]", L_NONE},
    {"/malformed", 200, AP, B_LIT, "{\"id\": \"x\",", L_NONE},
    {"/dup-keys", 200, AP, B_LIT, "{\"id\":\"a\",\"id\":\"b\"}", L_NONE},
    {"/empty", 200, AP, B_LIT, "", L_NONE},
    {"/deep", 200, AP, B_DEEP, NULL, L_NONE},
    {"/400", 400, AP, B_LIT, "{}", L_NONE},
    {"/403", 403, AP, B_LIT, "{}", L_NONE},
    {"/404", 404, AP, B_LIT, "{}", L_NONE},
    {"/410", 410, AP, B_LIT, "{}", L_NONE},
    {"/429", 429, AP, B_LIT, "{}", L_NONE},
    {"/500", 500, AP, B_LIT, "{}", L_NONE},
    {"/503", 503, AP, B_LIT, "{}", L_NONE},
    {"/redir-rel", 302, "text/html", B_LIT, "/actor", L_REL},
    {"/redir-abs", 301, NULL, B_LIT, "/actor", L_SELF_ABS},
    {"/redir-dots", 307, NULL, B_LIT, "sub/../actor", L_REL},
    {"/redir-chain", 308, NULL, B_LIT, "/redir-rel", L_REL},
    {"/redir-cross", 302, NULL, B_LIT, "/actor", L_SRV3},
    {"/redir-https", 302, NULL, B_LIT, "/actor", L_SELF_HTTPS},
    {"/redir-file", 302, NULL, B_LIT, "file:///etc/passwd", L_REL},
    {"/redir-userinfo", 302, NULL, B_LIT, "//user:pw@127.0.0.2/actor", L_REL},
    {"/redir-triple", 302, NULL, B_LIT, "///evil.test/actor", L_REL},
    {"/redir-loop", 302, NULL, B_LIT, "/redir-loop", L_REL},
    {"/redir-noloc", 302, NULL, B_LIT, NULL, L_NONE},
    {"/redir-id-orig", 302, NULL, B_LIT, "/id-orig-target", L_REL},
    {"/id-orig-target", 200, AP, B_ID, "/redir-id-orig", L_NONE},
    {"/big-cl", 200, AP, B_BIG, NULL, L_NONE},
    {"/big-chunked", 200, AP, B_BIG_CHUNKED, NULL, L_NONE},
    {"/slow", 200, AP, B_SLOW, NULL, L_NONE},
};

static const struct route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    return NULL;
}

static const char *mhd_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t size)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, size, "%s", v ? v : "");
}

/* Record what the request carried; verify its signature if it has one. */
static void record(struct server *s, struct MHD_Connection *c, const char *method, const char *url)
{
    struct gm_httpsig_msg msg = {.method = method, .target = url, .scheme = "http",
                                 .get_header = mhd_header, .ctx = c};
    struct gm_httpsig *sig = NULL;
    pthread_mutex_lock(&s->mu);
    copy_header(c, "User-Agent", s->user_agent, sizeof s->user_agent);
    copy_header(c, "Accept", s->accept, sizeof s->accept);
    copy_header(c, "Date", s->date, sizeof s->date);
    copy_header(c, "Host", s->host, sizeof s->host);
    s->signed_req = mhd_header(c, "Signature") != NULL;
    s->sig_result = GM_ENOTFOUND;
    s->covers_all = false;
    s->key_id[0] = s->algorithm[0] = '\0';
    if (s->signed_req && (s->sig_result = gm_httpsig_parse(&msg, NULL, &sig)) == GM_OK) {
        snprintf(s->key_id, sizeof s->key_id, "%s", gm_httpsig_key_id(sig));
        snprintf(s->algorithm, sizeof s->algorithm, "%s",
                 gm_httpsig_algorithm(sig) ? gm_httpsig_algorithm(sig) : "");
        s->covers_all = gm_httpsig_scheme(sig) == GM_HTTPSIG_CAVAGE &&
                        gm_httpsig_component_count(sig) == 3 &&
                        gm_httpsig_covers(sig, "(request-target)") &&
                        gm_httpsig_covers(sig, "host") && gm_httpsig_covers(sig, "date");
        s->sig_result = gm_httpsig_verify(sig, test_key, NULL);
        if (s->sig_result == GM_OK)
            s->sig_result = gm_httpsig_check_time(sig, (int64_t)time(NULL), 300, 60);
        s->rfc9421_ok = gm_httpsig_scheme(sig) == GM_HTTPSIG_RFC9421 && s->sig_result == GM_OK;
    } else {
        s->rfc9421_ok = false;
    }
    gm_httpsig_free(sig);
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&s->requests, 1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct stream {
    struct server *s;
    bool slow;
    enum body_kind kind;
};

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    if (st->slow) { /* one byte a second, 30 at most */
        if (pos >= 30)
            return MHD_CONTENT_READER_END_OF_STREAM;
        for (int i = 0; i < 20 && !atomic_load(&stopping); i++)
            sleep_ms(50);
        if (atomic_load(&stopping))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        buf[0] = pos == 0 ? '{' : ' ';
        atomic_fetch_add(&st->s->served[st->kind], 1);
        return 1;
    }
    if (pos >= BIG)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (pos == STALL_AT) /* a client that kept reading would wait here; a capped one is gone */
        for (int i = 0; i < 60 && !atomic_load(&stopping); i++)
            sleep_ms(50);
    size_t n = BIG - (size_t)pos < max ? BIG - (size_t)pos : max;
    if (pos < STALL_AT && n > STALL_AT - pos)
        n = STALL_AT - (size_t)pos; /* land exactly on STALL_AT */
    memset(buf, ' ', n);
    atomic_fetch_add(&st->s->served[st->kind], n);
    return (ssize_t)n;
}

static struct MHD_Response *stream_response(struct server *s, const struct route *r)
{
    struct stream *st = calloc(1, sizeof *st);
    struct MHD_Response *resp;
    if (!st)
        return NULL;
    st->s = s;
    st->slow = r->body == B_SLOW;
    st->kind = r->body;
    resp = MHD_create_response_from_callback(r->body == B_BIG ? BIG : MHD_SIZE_UNKNOWN,
                                             st->slow ? 16 : 16384, read_stream, st, free);
    if (!resp)
        free(st);
    return resp;
}

static char *make_body(const struct route *r, const char *host)
{
    char *b = malloc(1024);
    if (!b)
        return NULL;
    if (r->body == B_SELF || r->body == B_ID) {
        snprintf(b, 1024, "{\"@context\":\"%s\",\"id\":\"http://%s%s\",\"type\":\"Person\"}", AS,
                 host, r->body == B_SELF ? r->path : r->arg);
    } else if (r->body == B_DEEP) {
        int n = snprintf(b, 1024, "{\"id\":\"http://%s%s\",\"a\":", host, r->path);
        for (int i = 0; i < 100; i++)
            b[n++] = '[';
        for (int i = 0; i < 100; i++)
            b[n++] = ']';
        snprintf(b + n, 1024 - (size_t)n, "}");
    } else {
        snprintf(b, 1024, "%s", r->arg ? r->arg : "");
    }
    return b;
}

static struct MHD_Response *build_response(struct server *s, const struct route *r,
                                           const char *host)
{
    struct MHD_Response *resp;
    char *body, loc[256];
    if (r->body == B_BIG || r->body == B_BIG_CHUNKED || r->body == B_SLOW)
        resp = stream_response(s, r);
    else if (!(body = make_body(r, host)))
        return NULL;
    else
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return NULL;
    if (r->ctype)
        MHD_add_response_header(resp, "Content-Type", r->ctype);
    if (r->loc == L_REL)
        snprintf(loc, sizeof loc, "%s", r->arg);
    else if (r->loc == L_SELF_ABS || r->loc == L_SELF_HTTPS)
        snprintf(loc, sizeof loc, "%s://%s%s", r->loc == L_SELF_ABS ? "http" : "https", host,
                 r->arg);
    else if (r->loc == L_SRV3)
        snprintf(loc, sizeof loc, "http://%s:%u%s", servers[2].ip, servers[2].port, r->arg);
    if (r->loc != L_NONE)
        MHD_add_response_header(resp, "Location", loc);
    return resp;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    static int first_call;
    struct server *s = cls;
    const struct route *r = find_route(url);
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    struct MHD_Response *resp;
    enum MHD_Result ret;
    if (*req_cls == NULL) {
        *req_cls = &first_call;
        return MHD_YES;
    }
    record(s, c, method, url);
    if (!r) {
        static const struct route missing = {"", 404, "text/plain", B_LIT, "no such route", L_NONE};
        r = &missing;
    }
    unsigned status = (unsigned)r->status;
    pthread_mutex_lock(&s->mu);
    if (!strcmp(url, "/only9421") && !s->rfc9421_ok)
        status = 401;
    pthread_mutex_unlock(&s->mu);
    if (!(resp = build_response(s, r, host ? host : "")))
        return MHD_NO;
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int start_server(struct server *s)
{
    struct sockaddr_in sin;
    const union MHD_DaemonInfo *info;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    if (inet_pton(AF_INET, s->ip, &sin.sin_addr) != 1)
        return -1;
    pthread_mutex_init(&s->mu, NULL);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &sin,
                            MHD_OPTION_CONNECTION_TIMEOUT, 15u, MHD_OPTION_END);
    if (!s->d || !(info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)))
        return -1;
    s->port = info->port;
    return 0;
}

static int group_setup(void **state)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    if (!getenv("GM_TEST_VERBOSE"))
        gm_log_set_level(GM_LOG_WARN);
    if (!(test_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)))
        return -1;
    for (int i = 0; i < 3; i++)
        if (start_server(&servers[i]) != 0)
            return -1;
    return 0;
}

static int group_teardown(void **state)
{
    atomic_store(&stopping, true);
    for (int i = 0; i < 3; i++) {
        if (servers[i].d)
            MHD_stop_daemon(servers[i].d);
        pthread_mutex_destroy(&servers[i].mu);
    }
    EVP_PKEY_free(test_key);
    curl_global_cleanup();
    return 0;
}

/* ---- helpers ---- */

static const char *url_of(int srv, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "http://%s:%u%s", servers[srv].ip, servers[srv].port, path);
    return buf;
}

static struct gm_fetch_opts lab_opts(void)
{
    struct gm_fetch_opts o;
    memset(&o, 0, sizeof o);
    o.allow_http = true;
    o.allow_private = true;
    o.total_timeout_ms = 5000;
    return o;
}

static int requests(int srv)
{
    return atomic_load(&servers[srv].requests);
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- tables without a network ---- */

/* ---- fetches against the test servers ---- */

struct fetch_case {
    const char *path;
    gm_err want;
    const char *final_path; /* on GM_OK; NULL: path */
};

static void run_fetch_cases(int srv, const struct fetch_case *cases, size_t n)
{
    char url[256], want_final[256];
    for (size_t i = 0; i < n; i++) {
        const struct fetch_case *c = &cases[i];
        struct gm_fetch_opts o = lab_opts();
        struct gm_fetch_result res;
        memset(&res, 0x5a, sizeof res); /* must stay untouched on failure */
        gm_err err = gm_fetch_json(&o, url_of(srv, c->path, url, sizeof url), &res);
        if (err != c->want)
            fail_msg("%s: got %s, want %s", c->path, gm_strerror(err), gm_strerror(c->want));
        if (err != GM_OK) {
            assert_int_equal(((unsigned char *)&res)[0], 0x5a);
            continue;
        }
        url_of(srv, c->final_path ? c->final_path : c->path, want_final, sizeof want_final);
        if (strcmp(res.final_url, want_final) != 0)
            fail_msg("%s: final URL %s, want %s", c->path, res.final_url, want_final);
        assert_true(json_is_object(res.doc));
        assert_int_equal(res.status, 200);
        gm_fetch_result_free(&res);
        assert_null(res.doc);
    }
}

static void test_fetch_responses(void **state)
{
    static const struct fetch_case cases[] = {
        {"/actor", GM_OK, NULL},
        {"/actor-charset", GM_OK, NULL},
        {"/ld", GM_OK, NULL},
        {"/ld-caps", GM_OK, NULL},
        {"/ld-multi", GM_OK, NULL},
        {"/ld-noprofile", GM_EPERM, NULL},
        {"/ld-otherprofile", GM_EPERM, NULL},
        {"/html", GM_EPERM, NULL},
        {"/json", GM_EPERM, NULL},
        {"/no-ctype", GM_EPERM, NULL},
        {"/wrong-id", GM_EPERM, NULL},
        {"/id-fragment", GM_OK, NULL},
        {"/id-elsewhere", GM_EPERM, NULL},
        {"/no-id", GM_EPERM, NULL},
        {"/id-number", GM_EPERM, NULL},
        {"/array", GM_EINVAL, NULL},
        {"/malformed", GM_EINVAL, NULL},
        {"/dup-keys", GM_EINVAL, NULL},
        {"/empty", GM_EINVAL, NULL},
        {"/deep", GM_EINVAL, NULL},
        {"/400", GM_EPERM, NULL},
        {"/403", GM_EPERM, NULL},
        {"/404", GM_ENOTFOUND, NULL},
        {"/410", GM_ENOTFOUND, NULL},
        {"/429", GM_ETEMP, NULL},
        {"/500", GM_ETEMP, NULL},
        {"/503", GM_ETEMP, NULL},
        {"/nowhere", GM_ENOTFOUND, NULL},
        {"/actor#main-key", GM_OK, "/actor"},
    };
    run_fetch_cases(1, cases, sizeof cases / sizeof cases[0]);
}

static void test_fetch_redirects(void **state)
{
    static const struct fetch_case cases[] = {
        {"/redir-rel", GM_OK, "/actor"},
        {"/redir-abs", GM_OK, "/actor"},
        {"/redir-dots", GM_OK, "/actor"},
        {"/redir-chain", GM_OK, "/actor"},
        {"/redir-https", GM_EPERM, NULL},
        {"/redir-file", GM_EPERM, NULL},
        {"/redir-userinfo", GM_EPERM, NULL},
        {"/redir-triple", GM_EPERM, NULL},
        {"/redir-noloc", GM_EPERM, NULL},
        {"/redir-id-orig", GM_EPERM, NULL}, /* id names the first URL, not the final one */
    };
    run_fetch_cases(1, cases, sizeof cases / sizeof cases[0]);
}

static void test_cross_host_redirect(void **state)
{
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    char url[256];
    int before2 = requests(1), before3 = requests(2);
    assert_int_equal(gm_fetch_json(&o, url_of(1, "/redir-cross", url, sizeof url), &res), GM_EPERM);
    assert_int_equal(requests(1), before2 + 1);
    assert_int_equal(requests(2), before3); /* 127.0.0.3 never asked */
}

static void test_redirect_loop(void **state)
{
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    char url[256];
    int before = requests(1);
    url_of(1, "/redir-loop", url, sizeof url);
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_EPERM);
    assert_int_equal(requests(1), before + 1 + GM_FETCH_DEFAULT_MAX_REDIRECTS);
    before = requests(1);
    o.max_redirects = -1; /* follow none */
    assert_int_equal(gm_fetch_json(&o, url_of(1, "/redir-rel", url, sizeof url), &res), GM_EPERM);
    assert_int_equal(requests(1), before + 1);
    o.max_redirects = 1;
    assert_int_equal(gm_fetch_json(&o, url_of(1, "/redir-chain", url, sizeof url), &res), GM_EPERM);
    o.max_redirects = 2;
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_OK);
    gm_fetch_result_free(&res);
}

/* Double knocking: a 401 to the draft-cavage GET is retried once, signed RFC 9421. */
static void test_double_knock(void **state)
{
    struct gm_fetch_signer signer = {KEY_ID, test_key};
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    struct server *s = &servers[0];
    char url[256];
    o.signer = &signer;
    unsigned before = atomic_load(&s->requests);
    assert_int_equal(gm_fetch_json(&o, url_of(0, "/only9421", url, sizeof url), &res), GM_OK);
    gm_fetch_result_free(&res);
    assert_int_equal(atomic_load(&s->requests) - before, 2);
    /* unsigned: the 401 stands */
    o.signer = NULL;
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_EPERM);
}

static void test_signed_fetch(void **state)
{
    struct gm_fetch_signer signer = {KEY_ID, test_key};
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    struct server *s = &servers[0];
    char url[256], host[64];
    o.signer = &signer;
    o.base_url = "https://node.test";
    for (int i = 0; i < 2; i++) { /* direct, then re-signed on the redirect's second hop */
        assert_int_equal(
            gm_fetch_json(&o, url_of(0, i ? "/redir-rel" : "/actor", url, sizeof url), &res),
            GM_OK);
        gm_fetch_result_free(&res);
        pthread_mutex_lock(&s->mu);
        assert_true(s->signed_req);
        assert_int_equal(s->sig_result, GM_OK);
        assert_true(s->covers_all);
        assert_string_equal(s->key_id, KEY_ID);
        assert_string_equal(s->algorithm, "rsa-sha256");
        assert_string_equal(s->user_agent, "gemeinde/" GM_VERSION " (+https://node.test)");
        assert_string_equal(s->accept,
                            "application/activity+json, application/ld+json; profile=\"" AS "\"");
        snprintf(host, sizeof host, "%s:%u", s->ip, s->port);
        assert_string_equal(s->host, host);
        assert_true(strlen(s->date) == 29 && strcmp(s->date + 25, " GMT") == 0);
        pthread_mutex_unlock(&s->mu);
    }
    o.signer = NULL;
    o.base_url = NULL;
    assert_int_equal(gm_fetch_json(&o, url_of(0, "/actor", url, sizeof url), &res), GM_OK);
    gm_fetch_result_free(&res);
    pthread_mutex_lock(&s->mu);
    assert_false(s->signed_req);
    assert_string_equal(s->user_agent, "gemeinde/" GM_VERSION);
    pthread_mutex_unlock(&s->mu);
    o.base_url = "https://node.test\r\nX-Evil: 1";
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_EINVAL);
}

struct refusal_case {
    const char *url; /* "{port}" is replaced by server 0's port */
    bool allow_http, allow_private;
    gm_err want;
};

/* Copy `tmpl` with "{port}" replaced by server 0's port. */
static void with_port(const char *tmpl, char *out, size_t size)
{
    const char *at = strstr(tmpl, "{port}");
    if (!at) {
        snprintf(out, size, "%s", tmpl);
        return;
    }
    snprintf(out, size, "%.*s%u%s", (int)(at - tmpl), tmpl, servers[0].port, at + 6);
}

/* Refused before any connection: server 0 sees no request. */
static void test_refused_before_connect(void **state)
{
    static const struct refusal_case cases[] = {
        {"http://127.0.0.1:{port}/actor", true, false, GM_EFORBID},
        {"http://localhost:{port}/actor", true, false, GM_EFORBID},
        {"http://LocalHost.:{port}/actor", true, false, GM_EFORBID},
        {"http://[::1]:{port}/actor", true, false, GM_EFORBID},
        {"http://[::ffff:127.0.0.1]:{port}/actor", true, false, GM_EFORBID},
        {"http://2130706433:{port}/actor", true, false, GM_EFORBID},
        {"http://0x7f.0.0.1:{port}/actor", true, false, GM_EFORBID},
        {"http://127.0.0.1:{port}/actor", false, true, GM_EFORBID},
        {"http://user:pw@127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"http://user@127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"http://:pw@127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"ftp://127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"gopher://127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"file:///etc/passwd", true, true, GM_EINVAL},
        {"http:///actor", true, true, GM_EINVAL},
        {"/actor", true, true, GM_EINVAL},
        {"127.0.0.1:{port}/actor", true, true, GM_EINVAL},
        {"http://ex\xc3\xa4mple.test:{port}/actor", true, true, GM_EINVAL},
        {"http://[fe80::1%25lo]:{port}/actor", true, true, GM_EINVAL},
        {"http://127.0.0.1:0/actor", true, true, GM_EINVAL},
        {"http://exa mple.test/actor", true, true, GM_EINVAL},
        {"", true, true, GM_EINVAL},
    };
    char url[256];
    int before = requests(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gm_fetch_opts o = lab_opts();
        struct gm_fetch_result res = {0};
        o.allow_http = cases[i].allow_http;
        o.allow_private = cases[i].allow_private;
        with_port(cases[i].url, url, sizeof url);
        gm_err err = gm_fetch_json(&o, url, &res);
        if (err != cases[i].want)
            fail_msg("%s: got %s, want %s", url, gm_strerror(err), gm_strerror(cases[i].want));
        assert_null(res.doc);
    }
    char *long_url = malloc(GM_FETCH_MAX_URL + 64);
    assert_non_null(long_url);
    int n = snprintf(long_url, 64, "http://127.0.0.1:%u/", servers[0].port);
    memset(long_url + n, 'a', GM_FETCH_MAX_URL);
    long_url[n + GM_FETCH_MAX_URL] = '\0';
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    assert_int_equal(gm_fetch_json(&o, long_url, &res), GM_EINVAL);
    free(long_url);
    assert_int_equal(gm_fetch_json(&o, NULL, &res), GM_EINVAL);
    assert_int_equal(requests(0), before);
}

/* A name goes through getaddrinfo and the CURLOPT_RESOLVE pin; case and trailing dot go. */
static void test_name_pinned(void **state)
{
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    char url[256], want[256];
    snprintf(url, sizeof url, "http://LocalHost.:%u/actor", servers[0].port);
    snprintf(want, sizeof want, "http://localhost:%u/actor", servers[0].port);
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_OK);
    assert_string_equal(res.final_url, want);
    assert_true(gm_fetch_same_origin(url, res.final_url));
    gm_fetch_result_free(&res);
}

static void test_body_caps(void **state)
{
    static const char *const paths[] = {"/big-cl", "/big-chunked"};
    static const enum body_kind kinds[] = {B_BIG, B_BIG_CHUNKED};
    char url[256];
    for (size_t i = 0; i < 2; i++) {
        struct gm_fetch_opts o = lab_opts();
        struct gm_fetch_result res = {0};
        struct timespec t0;
        atomic_store(&servers[0].served[kinds[i]], 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(gm_fetch_json(&o, url_of(0, paths[i], url, sizeof url), &res), GM_ETOOBIG);
        /* Refused while the server still holds back the rest: not read to the end, and well
         * before the 10 s total timeout (the bound is loose: sanitizers and load are slow). */
        size_t served = atomic_load(&servers[0].served[kinds[i]]);
        if (served > STALL_AT || elapsed_s(&t0) > 8.0)
            fail_msg("%s: %zu bytes served in %.1f s", paths[i], served, elapsed_s(&t0));
    }
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    o.max_bytes = 64; /* the actor document is longer */
    assert_int_equal(gm_fetch_json(&o, url_of(0, "/actor", url, sizeof url), &res), GM_ETOOBIG);
}

static void test_slow_server(void **state)
{
    char url[256];
    struct timespec t0;
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    url_of(2, "/slow", url, sizeof url);
    o.total_timeout_ms = 2000; /* total timeout cuts it */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_ETEMP);
    assert_true(elapsed_s(&t0) < 8.0); /* cut, not left to trickle (loose: sanitizers) */
    o.total_timeout_ms = 10000; /* the low-speed limit cuts it first */
    o.low_speed_limit = 100;
    o.low_speed_time = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_ETEMP);
    assert_true(elapsed_s(&t0) < 9.0); /* before the 10 s total: the low-speed limit cut it */
}

static void test_budget(void **state)
{
    struct gm_fetch_budget budget = {2};
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    char url[256];
    o.budget = &budget;
    url_of(0, "/actor", url, sizeof url);
    assert_int_equal(gm_fetch_json(&o, url, &res), GM_OK);
    gm_fetch_result_free(&res);
    assert_int_equal(budget.remaining, 1);
    assert_int_equal(gm_fetch_json(&o, url_of(0, "/404", url, sizeof url), &res), GM_ENOTFOUND);
    assert_int_equal(budget.remaining, 0); /* a failed fetch costs too */
    int before = requests(0);
    assert_int_equal(gm_fetch_json(&o, url_of(0, "/actor", url, sizeof url), &res), GM_ETOOBIG);
    assert_int_equal(requests(0), before);
    assert_null(res.doc);
}

/* A refusal is logged at info level with the URL and the reason. */
static void test_refusal_logged(void **state)
{
    struct gm_fetch_opts o = lab_opts();
    struct gm_fetch_result res = {0};
    char url[256], log[4096];
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    gm_log_level level = gm_log_get_level();
    assert_non_null(tmp);
    assert_true(saved >= 0);
    gm_log_set_level(GM_LOG_INFO);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    gm_err err = gm_fetch_json(&o, url_of(0, "/html", url, sizeof url), &res);
    dup2(saved, STDERR_FILENO);
    close(saved);
    gm_log_set_level(level);
    assert_int_equal(err, GM_EPERM);
    rewind(tmp);
    size_t n = fread(log, 1, sizeof log - 1, tmp);
    log[n] = '\0';
    fclose(tmp);
    assert_non_null(strstr(log, "INFO"));
    assert_non_null(strstr(log, url));
    assert_non_null(strstr(log, "text/html"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_responses),
        cmocka_unit_test(test_fetch_redirects),
        cmocka_unit_test(test_cross_host_redirect),
        cmocka_unit_test(test_redirect_loop),
        cmocka_unit_test(test_signed_fetch),
        cmocka_unit_test(test_double_knock),
        cmocka_unit_test(test_refused_before_connect),
        cmocka_unit_test(test_name_pinned),
        cmocka_unit_test(test_body_caps),
        cmocka_unit_test(test_slow_server),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_refusal_logged),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
