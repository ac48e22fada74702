/* SPDX-License-Identifier: Apache-2.0
 * test_fetch_guard.c - the fetch module's network-free rules, as tables: the private-address
 * classifier (every range, IPv4-mapped/compatible/NAT64/6to4 forms), host normalisation,
 * origins and same-origin comparison (Mastodon CVE-2023-42451), the JSON depth pre-scan, the
 * connect-time address check and the CURLOPT_RESOLVE pin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../federation/fetch_int.h"
#include "gemeinde/fetch.h"

struct addr_case {
    const char *addr;
    bool private;
};

static const struct addr_case addr_cases[] = {
    {"0.0.0.0", true},
    {"0.255.255.255", true},
    {"1.1.1.1", false},
    {"8.8.8.8", false},
    {"9.255.255.255", false},
    {"10.0.0.1", true},
    {"10.255.255.255", true},
    {"11.0.0.0", false},
    {"100.63.255.255", false},
    {"100.64.0.0", true},
    {"100.127.255.255", true},
    {"100.128.0.0", false},
    {"126.255.255.255", false},
    {"127.0.0.1", true},
    {"127.255.255.254", true},
    {"128.0.0.0", false},
    {"169.253.255.255", false},
    {"169.254.169.254", true},
    {"169.255.0.0", false},
    {"172.15.255.255", false},
    {"172.16.0.0", true},
    {"172.31.255.255", true},
    {"172.32.0.0", false},
    {"192.0.0.1", true},
    {"192.0.1.1", false},
    {"192.0.2.1", true},
    {"192.167.255.255", false},
    {"192.168.0.1", true},
    {"192.168.255.255", true},
    {"192.169.0.0", false},
    {"198.17.255.255", false},
    {"198.18.0.0", true},
    {"198.19.255.255", true},
    {"198.20.0.0", false},
    {"198.51.100.7", true},
    {"203.0.113.9", true},
    {"203.0.114.0", false},
    {"223.255.255.255", false},
    {"224.0.0.1", true},
    {"239.255.255.255", true},
    {"240.0.0.1", true},
    {"255.255.255.255", true},
    {"93.184.216.34", false},
    {"::", true},
    {"::1", true},
    {"::2", true},
    {"2001:4860:4860::8888", false},
    {"2606:4700::1111", false},
    {"fc00::1", true},
    {"fdff:ffff::1", true},
    {"fe00::1", false},
    {"fe80::1", true},
    {"febf:ffff::1", true},
    {"fec0::1", true},
    {"ff02::1", true},
    {"ff00::", true},
    {"::ffff:127.0.0.1", true},
    {"::ffff:10.1.2.3", true},
    {"::ffff:169.254.169.254", true},
    {"::ffff:8.8.8.8", false},
    {"::127.0.0.1", true},
    {"::8.8.8.8", false},
    {"64:ff9b::7f00:1", true},
    {"64:ff9b::808:808", false},
    {"64:ff9b:1::1", true},
    {"2002:7f00:1::1", true},
    {"2002:c0a8:101::1", true},
    {"2002:808:808::1", false},
    {"2001:db8::1", true},
    {"100::1", true},
    {"100:0:0:1::1", false},
};

static void test_addr_classifier(void **state)
{
    for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
        const struct addr_case *c = &addr_cases[i];
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (strchr(c->addr, ':')) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, c->addr, &a->sin6_addr), 1);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, c->addr, &a->sin_addr), 1);
        }
        if (gm_fetch_addr_is_private((struct sockaddr *)&ss) != c->private)
            fail_msg("%s: expected %s", c->addr, c->private ? "private" : "public");
    }
    struct sockaddr unix_like = {.sa_family = AF_UNIX};
    assert_true(gm_fetch_addr_is_private(&unix_like));
    assert_true(gm_fetch_addr_is_private(NULL));
}

struct host_case {
    const char *in, *out; /* out NULL: GM_EINVAL */
};

static void test_normalize_host(void **state)
{
    static const struct host_case cases[] = {
        {"Example.COM", "example.com"},
        {"example.com.", "example.com"},
        {"EXAMPLE.com.", "example.com"},
        {"under_score.example", "under_score.example"},
        {"127.0.0.1", "127.0.0.1"},
        {"[::1]", "[::1]"},
        {"[0:0:0:0:0:0:0:1]", "[::1]"},
        {"[FE80::A]", "[fe80::a]"},
        {"example.com..", NULL},
        {"", NULL},
        {".", NULL},
        {"a..b", NULL},
        {".a", NULL},
        {"ex\xc3\xa4mple.com", NULL},
        {"ex ample.com", NULL},
        {"ex%41mple.com", NULL},
        {"user@example.com", NULL},
        {"example.com:443", NULL},
        {"[::1", NULL},
        {"[zz::1]", NULL},
        {"[127.0.0.1]", NULL},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", NULL},
    };
    char out[GM_FETCH_MAX_HOST];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_err err = gm_fetch_normalize_host(cases[i].in, out, sizeof out);
        if (cases[i].out) {
            if (err != GM_OK || strcmp(out, cases[i].out) != 0)
                fail_msg("'%s': got %s '%s'", cases[i].in, gm_strerror(err),
                         err == GM_OK ? out : "");
        } else if (err != GM_EINVAL) {
            fail_msg("'%s': expected GM_EINVAL, got %s", cases[i].in, gm_strerror(err));
        }
    }
    assert_int_equal(gm_fetch_normalize_host("example.com", out, 11), GM_ETOOBIG);
    assert_int_equal(gm_fetch_normalize_host("example.com", out, 12), GM_OK);
    assert_int_equal(gm_fetch_normalize_host(NULL, out, sizeof out), GM_EINVAL);
}

struct origin_case {
    const char *url, *origin; /* origin NULL: GM_EINVAL */
};

static void test_origin(void **state)
{
    static const struct origin_case cases[] = {
        {"https://Example.COM/a", "https://example.com"},
        {"https://example.com./a", "https://example.com"},
        {"https://example.com:443/a", "https://example.com"},
        {"http://example.com:80/", "http://example.com"},
        {"HTTPS://EXAMPLE.com", "https://example.com"},
        {"https://example.com:8443/x?y#z", "https://example.com:8443"},
        {"http://example.com:443/", "http://example.com:443"},
        {"https://example.com:80/", "https://example.com:80"},
        {"https://[::1]:8080/", "https://[::1]:8080"},
        {"https://[0:0::1]/", "https://[::1]"},
        {"https://user@example.com/", NULL},
        {"https://user:pw@example.com/", NULL},
        {"ftp://example.com/", NULL},
        {"javascript:alert(1)", NULL},
        {"https://example..com/", NULL},
        {"https://ex\xc3\xa4mple.com/", NULL},
        {"https:///path", NULL},
        {"https:example.com/x", NULL},
        {"http:/example.com/x", NULL},
        {"https://?x", NULL},
        {"//example.com/x", NULL},
        {"notaurl", NULL},
        {"", NULL},
    };
    char out[GM_FETCH_MAX_ORIGIN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_err err = gm_fetch_origin(cases[i].url, out, sizeof out);
        if (cases[i].origin) {
            if (err != GM_OK || strcmp(out, cases[i].origin) != 0)
                fail_msg("'%s': got %s '%s'", cases[i].url, gm_strerror(err),
                         err == GM_OK ? out : "");
        } else if (err != GM_EINVAL) {
            fail_msg("'%s': expected GM_EINVAL, got %s '%s'", cases[i].url, gm_strerror(err),
                     err == GM_OK ? out : "");
        }
    }
    assert_int_equal(gm_fetch_origin("https://example.com/", out, 19), GM_ETOOBIG);
    assert_int_equal(gm_fetch_origin("https://example.com/", out, 20), GM_OK);
    assert_int_equal(gm_fetch_origin(NULL, out, sizeof out), GM_EINVAL);
}

struct same_case {
    const char *a, *b;
    bool same;
};

static void test_same_origin(void **state)
{
    static const struct same_case cases[] = {
        {"https://example.com/a", "https://EXAMPLE.com./b", true},
        {"https://example.com:443/", "https://example.com/users/x", true},
        {"http://example.com:80/a", "http://example.com/b", true},
        {"http://example.com/", "https://example.com/", false},
        {"https://example.com/", "https://example.com:8443/", false},
        {"https://example.com/", "https://sub.example.com/", false},
        {"https://example.com/", "https://example.com.evil.test/", false},
        {"https://example.com@evil.test/", "https://example.com/", false},
        {"https://example.com/", "ftp://example.com/", false},
        {"https://example.com/", NULL, false},
        {NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (gm_fetch_same_origin(cases[i].a, cases[i].b) != cases[i].same)
            fail_msg("'%s' vs '%s': expected %d", cases[i].a ? cases[i].a : "(null)",
                     cases[i].b ? cases[i].b : "(null)", cases[i].same);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    for (int i = 0; s && i < depth; i++) {
        s[i] = i % 2 ? '[' : '{';
        s[2 * depth - 1 - i] = i % 2 ? ']' : '}';
    }
    if (s)
        s[2 * depth] = '\0';
    return s;
}

static void test_json_depth(void **state)
{
    static const struct {
        const char *json;
        int max;
        bool ok;
    } cases[] = {
        {"{}", 1, true},
        {"[[]]", 1, false},
        {"[[]]", 2, true},
        {"{\"a\":\"[[[[[[[[\"}", 1, true},
        {"{\"a\":\"\\\"[[[[\"}", 1, true},
        {"{\"a\":\"\\\\\",\"b\":[[]]}", 2, false},
        {"]]]]{}", 1, true},
        {"", 0, true},
        {"\"just a string\"", 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (gm_fetch_json_depth_ok(cases[i].json, strlen(cases[i].json), cases[i].max) !=
            cases[i].ok)
            fail_msg("'%s' max %d: expected %d", cases[i].json, cases[i].max, cases[i].ok);
    char *d32 = nested(32), *d33 = nested(33), *d100 = nested(100);
    assert_non_null(d32);
    assert_non_null(d33);
    assert_non_null(d100);
    assert_true(gm_fetch_json_depth_ok(d32, strlen(d32), GM_FETCH_MAX_DEPTH));
    assert_false(gm_fetch_json_depth_ok(d33, strlen(d33), GM_FETCH_MAX_DEPTH));
    assert_false(gm_fetch_json_depth_ok(d100, strlen(d100), GM_FETCH_MAX_DEPTH));
    assert_true(gm_fetch_json_depth_ok(d100, 32, GM_FETCH_MAX_DEPTH)); /* only len bytes */
    free(d32);
    free(d33);
    free(d100);
}

/* The connect-time guard, reached directly: only checked endpoints, never private ones. */
static void test_connect_guard(void **state)
{
    struct gm_fetch_addrs a;
    struct sockaddr_in pub, loop, other;
    memset(&a, 0, sizeof a);
    memset(&pub, 0, sizeof pub);
    pub.sin_family = AF_INET;
    pub.sin_port = htons(443);
    inet_pton(AF_INET, "93.184.216.34", &pub.sin_addr);
    loop = pub;
    inet_pton(AF_INET, "127.0.0.1", &loop.sin_addr);
    memcpy(&a.addr[0], &pub, sizeof pub);
    memcpy(&a.addr[1], &loop, sizeof loop);
    a.n = 2;
    assert_true(gm_fetch_addrs_allow(&a, (struct sockaddr *)&pub, sizeof pub, false));
    assert_false(gm_fetch_addrs_allow(&a, (struct sockaddr *)&loop, sizeof loop, false));
    assert_true(gm_fetch_addrs_allow(&a, (struct sockaddr *)&loop, sizeof loop, true));
    other = pub;
    other.sin_port = htons(8080);
    assert_false(gm_fetch_addrs_allow(&a, (struct sockaddr *)&other, sizeof other, true));
    other = pub;
    inet_pton(AF_INET, "93.184.216.35", &other.sin_addr);
    assert_false(gm_fetch_addrs_allow(&a, (struct sockaddr *)&other, sizeof other, true));
    assert_false(gm_fetch_addrs_allow(&a, (struct sockaddr *)&pub, 4, true));
    assert_false(gm_fetch_addrs_allow(NULL, (struct sockaddr *)&pub, sizeof pub, true));
}

/* The CURLOPT_RESOLVE pin names every checked address; IP literals need none. */
static void test_pin_list(void **state)
{
    struct gm_fetch_url u;
    struct gm_fetch_addrs a;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    struct curl_slist *pin = NULL;
    char why[GM_FETCH_WHY];
    memset(&a, 0, sizeof a);
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    v4.sin_family = AF_INET;
    inet_pton(AF_INET, "93.184.216.34", &v4.sin_addr);
    v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2606:4700::1111", &v6.sin6_addr);
    memcpy(&a.addr[0], &v4, sizeof v4);
    memcpy(&a.addr[1], &v6, sizeof v6);
    a.n = 2;
    assert_int_equal(gm_fetch_url_parse(NULL, "https://Example.TEST./a?b=c#d", &u, why, sizeof why),
                     GM_OK);
    assert_string_equal(u.url, "https://example.test/a?b=c");
    assert_string_equal(u.target, "/a?b=c");
    assert_int_equal(gm_fetch_pin_list(&u, &a, &pin), GM_OK);
    assert_non_null(pin);
    assert_string_equal(pin->data, "example.test:443:93.184.216.34,[2606:4700::1111]");
    assert_null(pin->next);
    curl_slist_free_all(pin);
    a.literal = true;
    assert_int_equal(gm_fetch_pin_list(&u, &a, &pin), GM_OK);
    assert_null(pin);
    gm_fetch_url_free(&u);
}

/* The per-host key: normalised host, default port dropped, the same for every caller. */
static void test_authority(void **state)
{
    static const struct {
        const char *url, *want;
    } cases[] = {
        {"https://Social.Example./users/a", "social.example"},
        {"https://social.example:443/x", "social.example"},
        {"http://127.0.0.2:8080/inbox", "127.0.0.2:8080"},
        {"https://[::1]:8443/a", "[::1]:8443"},
    };
    char out[GM_FETCH_MAX_ORIGIN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(gm_fetch_authority(cases[i].url, out, sizeof out), GM_OK);
        assert_string_equal(out, cases[i].want);
    }
    assert_int_equal(gm_fetch_authority("https://u@x.example/", out, sizeof out), GM_EINVAL);
    assert_int_equal(gm_fetch_authority("https://x.example/", out, 4), GM_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_classifier), cmocka_unit_test(test_normalize_host),
        cmocka_unit_test(test_origin),          cmocka_unit_test(test_same_origin),
        cmocka_unit_test(test_json_depth),      cmocka_unit_test(test_connect_guard),
        cmocka_unit_test(test_pin_list),        cmocka_unit_test(test_authority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
