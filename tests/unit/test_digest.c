/* SPDX-License-Identifier: Apache-2.0
 * test_digest.c - Digest and Content-Digest: the RFC 9530 vectors (including its misprinted
 * values, which must be refused), the RFC 9530 example responses, the digests of the RFC 9421
 * and draft-cavage test messages and of real captured deliveries, and hostile header values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "gemeinde/digest.h"
#include "http_fixture.h"

#define RFC9530 GM_FIXTURES "/digest/rfc9530/"

static const char hello[] = "{\"hello\": \"world\"}";
static const char hello_sha256[] = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
static const char hello_sha512[] =
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==";

static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

static json_t *load_vectors(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(RFC9530 "vectors.json", 0, &jerr);
    if (!doc)
        fail_msg("vectors.json: %s", jerr.text);
    return doc;
}

static void test_rfc9530_vectors(void **state)
{
    (void)state;
    json_t *doc = load_vectors(), *v;
    size_t i, checked = 0, skipped = 0;
    json_array_foreach(json_object_get(doc, "vectors"), i, v)
    {
        unsigned char in[256];
        const char *alg = json_string_value(json_object_get(v, "algorithm"));
        const char *want = json_string_value(json_object_get(v, "computed_here"));
        size_t n = unhex(json_string_value(json_object_get(v, "input_hex")), in, sizeof(in));
        assert_int_equal(n, json_integer_value(json_object_get(v, "input_length")));
        if (strcmp(alg, "sha-256") != 0 && strcmp(alg, "sha-512") != 0) {
            /* md5 and sha are not checked: alone they leave nothing to verify */
            assert_int_equal(gm_digest_verify_content(in, n, want), GM_EINVAL);
            skipped++;
            continue;
        }
        char *got = NULL;
        unsigned bit = strcmp(alg, "sha-256") == 0 ? GM_DIGEST_SHA256 : GM_DIGEST_SHA512;
        assert_int_equal(gm_digest_format_content(in, n, bit, &got), GM_OK);
        assert_string_equal(got, want);
        free(got);
        assert_int_equal(gm_digest_verify_content(in, n, want), GM_OK);
        assert_int_equal(gm_digest_verify(in, n, NULL, want), GM_OK);
        /* one byte more or less is a different body */
        assert_int_equal(gm_digest_verify_content(in, n + 1, want), GM_EAUTH);
        if (n > 0)
            assert_int_equal(gm_digest_verify_content(in, n - 1, want), GM_EAUTH);
        checked++;
    }
    assert_int_equal(checked, 10);
    assert_int_equal(skipped, 2);

    /* values the RFC misprints: an extra "=" is malformed, the brotli ones do not match */
    json_array_foreach(json_object_get(doc, "not_matching_as_printed"), i, v)
    {
        unsigned char in[256];
        const char *printed = json_string_value(json_object_get(v, "printed_in_rfc"));
        const char *right = json_string_value(json_object_get(v, "computed_here"));
        size_t n = unhex(json_string_value(json_object_get(v, "input_hex")), in, sizeof(in));
        const char *why = json_string_value(json_object_get(v, "why"));
        gm_err want = strstr(why, "padding") ? GM_EINVAL : GM_EAUTH;
        assert_int_equal(gm_digest_verify_content(in, n, printed), want);
        assert_int_equal(gm_digest_verify_content(in, n, right), GM_OK);
    }
    assert_int_equal(i, 3);
    json_decref(doc);
}

static void test_rfc9530_responses(void **state)
{
    (void)state;
    struct http_fixture f;
    assert_int_equal(hf_load(&f, RFC9530 "b1-response-full-representation.http"), 0);
    assert_int_equal(f.body_len, 19);
    assert_int_equal(
        gm_digest_verify_content(f.body, f.body_len, hf_get_header(&f, "content-digest")), GM_OK);
    assert_int_equal(gm_digest_verify_content(f.body, f.body_len, hf_get_header(&f, "repr-digest")),
                     GM_OK);
    const char *full = "{\"hello\": \"world\"}\n";
    hf_free(&f);
    /* 206: Content-Digest covers the 9 bytes sent, Repr-Digest the whole representation */
    assert_int_equal(hf_load(&f, RFC9530 "b3-response-partial-content.http"), 0);
    assert_int_equal(f.body_len, 9);
    assert_int_equal(
        gm_digest_verify_content(f.body, f.body_len, hf_get_header(&f, "content-digest")), GM_OK);
    assert_int_equal(gm_digest_verify_content(f.body, f.body_len, hf_get_header(&f, "repr-digest")),
                     GM_EAUTH);
    assert_int_equal(gm_digest_verify_content(full, strlen(full), hf_get_header(&f, "repr-digest")),
                     GM_OK);
    hf_free(&f);
}

/* Bodies of the signature fixtures and of real deliveries, each with its digest header. */
static void test_fixture_messages(void **state)
{
    (void)state;
    static const struct {
        const char *file, *header;
        gm_err want;
    } cases[] = {
        {"/httpsig/rfc9421/messages/test-request.http", "content-digest", GM_OK},
        {"/httpsig/rfc9421/messages/b2.4-sig-b24.ASSEMBLED.http", "content-digest", GM_OK},
        {"/httpsig/rfc9421/messages/s2.4-response-signed-reqres.http", "content-digest", GM_OK},
        /* RFC 9421 B.2 prints a Content-Digest that is not its body's */
        {"/httpsig/rfc9421/messages/test-response.http", "content-digest", GM_EAUTH},
        {"/httpsig/cavage-12/messages/appendix-c-request.http", "digest", GM_OK},
        {"/captures/inbound/mastodon-4.2.12-follow.http", "digest", GM_OK},
        {"/captures/inbound/bovine-0.5.3-like.http", "digest", GM_OK}, /* "sha-256=" */
        {"/captures/inbound/pixelfed-0.11.9-undo-follow.http", "digest", GM_OK},
        {"/captures/inbound/emissary-hs2019-follow.http", "digest", GM_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_fixture f;
        char path[512];
        snprintf(path, sizeof(path), "%s%s", GM_FIXTURES, cases[i].file);
        assert_int_equal(hf_load(&f, path), 0);
        const char *v = hf_get_header(&f, cases[i].header);
        assert_non_null(v);
        int legacy = strcmp(cases[i].header, "digest") == 0;
        gm_err err = gm_digest_verify(f.body, f.body_len, legacy ? v : NULL, legacy ? NULL : v);
        if (err != cases[i].want)
            fail_msg("%s: %s", cases[i].file, gm_strerror(err));
        if (cases[i].want == GM_OK) /* and one changed byte breaks it */
            f.body[f.body_len / 2] ^= 1;
        if (cases[i].want == GM_OK)
            assert_int_equal(
                gm_digest_verify(f.body, f.body_len, legacy ? v : NULL, legacy ? NULL : v),
                GM_EAUTH);
        hf_free(&f);
    }
}

static void test_format(void **state)
{
    (void)state;
    char *v = NULL, want[256];
    assert_int_equal(gm_digest_format_legacy(hello, strlen(hello), &v), GM_OK);
    snprintf(want, sizeof(want), "SHA-256=%s", hello_sha256);
    assert_string_equal(v, want);
    free(v);
    assert_int_equal(
        gm_digest_format_content(hello, strlen(hello), GM_DIGEST_SHA256 | GM_DIGEST_SHA512, &v),
        GM_OK);
    snprintf(want, sizeof(want), "sha-256=:%s:, sha-512=:%s:", hello_sha256, hello_sha512);
    assert_string_equal(v, want);
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), v), GM_OK);
    free(v);
    assert_int_equal(gm_digest_format_content(NULL, 0, GM_DIGEST_SHA256, &v), GM_OK);
    assert_string_equal(v, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    free(v);
    v = NULL;
    assert_int_equal(gm_digest_format_content(hello, 5, 0, &v), GM_EINVAL);
    assert_int_equal(gm_digest_format_content(hello, 5, 4, &v), GM_EINVAL);
    assert_null(v);
}

/* Header values and what they give for the body `hello`. */
static const struct {
    int legacy;
    const char *value;
    gm_err want;
} hostile[] = {
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_OK},
    {1, "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_OK},
    {1,
     "MD5=Sd/dVLAcvNLSq16eXua5uQ==, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_OK},
    {1, "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", GM_EAUTH},
    {1, "MD5=Sd/dVLAcvNLSq16eXua5uQ==", GM_EINVAL},
    {1, "", GM_EINVAL},
    {1, "SHA-256", GM_EINVAL},
    {1, "=abc", GM_EINVAL},
    {1, "SHA-256=", GM_EINVAL},
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE", GM_EINVAL}, /* no pad */
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE==", GM_EINVAL},
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBP==", GM_EINVAL}, /* 31 bytes */
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=,", GM_EINVAL},
    {1, "SHA-256=X48E9qOokqqr vdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_EINVAL},
    {1, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\x01", GM_EINVAL},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", GM_OK},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", GM_OK}, /* SF: pad optional */
    {0, "md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
     GM_OK},
    {0, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", GM_EAUTH},
    {0, "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", GM_EINVAL}, /* SF keys */
    {0, "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_EINVAL},
    {0, "sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"", GM_EINVAL},
    {0, "sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)", GM_EINVAL},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", GM_EINVAL},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,", GM_EINVAL},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBP=:", GM_EINVAL},
    {0, "sha-256", GM_EINVAL},
    {0, "unixsum=:AAAA:", GM_EINVAL},
    {0, "", GM_EINVAL},
    {0, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;q=1", GM_OK},
};

static void test_hostile_values(void **state)
{
    (void)state;
    char good256[128], good512[160], both_bad512[256];
    snprintf(good256, sizeof(good256), "sha-256=:%s:", hello_sha256);
    snprintf(good512, sizeof(good512), "sha-512=:%s:", hello_sha512);
    snprintf(
        both_bad512, sizeof(both_bad512), "sha-256=:%s:, sha-512=:%s:", hello_sha256,
        "AAAAaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==");
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        gm_err err = hostile[i].legacy
                         ? gm_digest_verify_legacy(hello, strlen(hello), hostile[i].value)
                         : gm_digest_verify_content(hello, strlen(hello), hostile[i].value);
        if (err != hostile[i].want)
            fail_msg("case %zu (%s): %s, want %s", i, hostile[i].value, gm_strerror(err),
                     gm_strerror(hostile[i].want));
    }
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), good256), GM_OK);
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), good512), GM_OK);
    /* every supported member must match, not just one */
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), both_bad512), GM_EAUTH);
    /* both headers: both must match; neither: not found */
    assert_int_equal(gm_digest_verify(hello, strlen(hello),
                                      "SHA-256="
                                      "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
                                      good512),
                     GM_OK);
    assert_int_equal(
        gm_digest_verify(hello, strlen(hello),
                         "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", good512),
        GM_EAUTH);
    assert_int_equal(gm_digest_verify(hello, strlen(hello), NULL, NULL), GM_ENOTFOUND);
    assert_int_equal(gm_digest_verify_legacy(hello, strlen(hello), NULL), GM_EINVAL);
    /* exactly at the cap is read, one byte over is refused */
    char *big = malloc(GM_DIGEST_MAX_HEADER + 2);
    assert_non_null(big);
    int n = snprintf(big, GM_DIGEST_MAX_HEADER + 2, "%s, z=", good256);
    memset(big + n, 'a', GM_DIGEST_MAX_HEADER - (size_t)n);
    big[GM_DIGEST_MAX_HEADER] = '\0';
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), big), GM_OK);
    big[GM_DIGEST_MAX_HEADER] = 'a';
    big[GM_DIGEST_MAX_HEADER + 1] = '\0';
    assert_int_equal(gm_digest_verify_content(hello, strlen(hello), big), GM_EINVAL);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9530_vectors),  cmocka_unit_test(test_rfc9530_responses),
        cmocka_unit_test(test_fixture_messages), cmocka_unit_test(test_format),
        cmocka_unit_test(test_hostile_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
