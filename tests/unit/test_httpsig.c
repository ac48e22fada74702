/* SPDX-License-Identifier: Apache-2.0
 * test_httpsig.c - HTTP signatures against published vectors and real captures: every RFC 9421
 * case of tests/fixtures/httpsig/rfc9421/cases.json (base byte for byte, verify, re-sign), the
 * RFC 9421 component vectors, draft-cavage-12 Appendix C, real Mastodon / bovine / Pixelfed /
 * Emissary deliveries, and hostile or tampered input. Fixture clocks are from 2014-2024, so no
 * test depends on the current time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "gemeinde/digest.h"
#include "gemeinde/httpsig.h"
#include "http_fixture.h"

#define RFC9421 GM_FIXTURES "/httpsig/rfc9421/"
#define CAVAGE GM_FIXTURES "/httpsig/cavage-12/"
#define CAPTURES GM_FIXTURES "/captures/inbound/"

static const char *path_in(char *buf, size_t size, const char *dir, const char *rel)
{
    snprintf(buf, size, "%s%s", dir, rel);
    return buf;
}

static EVP_PKEY *load_key(const char *dir, const char *rel, int private_key)
{
    char path[512];
    size_t len = 0;
    EVP_PKEY *key = NULL;
    char *pem = hf_read_file(path_in(path, sizeof(path), dir, rel), &len);
    assert_non_null(pem);
    gm_err err = private_key ? gm_httpsig_load_private_pem(pem, len, &key)
                             : gm_httpsig_load_public_pem(pem, len, &key);
    assert_int_equal(err, GM_OK);
    free(pem);
    return key;
}

static EVP_PKEY *load_shared_secret(void)
{
    char path[512];
    unsigned char raw[128];
    EVP_PKEY *key = NULL;
    char *b64 =
        hf_read_file(path_in(path, sizeof(path), RFC9421, "keys/test-shared-secret.b64"), NULL);
    assert_non_null(b64);
    size_t n = strcspn(b64, "\n");
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    assert_int_equal(len, 66); /* 64 bytes + 2 of padding */
    assert_int_equal(gm_httpsig_load_secret(raw, 64, &key), GM_OK);
    free(b64);
    return key;
}

/* The key of an RFC 9421 case: public (or shared secret) or private. */
static EVP_PKEY *rfc9421_key(json_t *keys, const char *keyid, int private_key)
{
    json_t *k = json_object_get(keys, keyid);
    assert_non_null(k);
    if (json_object_get(k, "secret_b64"))
        return load_shared_secret();
    return load_key(RFC9421,
                    json_string_value(json_object_get(k, private_key ? "private" : "public")),
                    private_key);
}

static void assert_file_equals(const char *dir, const char *rel, const char *s, size_t len)
{
    char path[512];
    size_t flen = 0;
    char *want = hf_read_file(path_in(path, sizeof(path), dir, rel), &flen);
    assert_non_null(want);
    if (flen != len || memcmp(want, s, len) != 0)
        fail_msg("%s differs:\n--- want\n%s\n--- got\n%.*s", rel, want, (int)len, s);
    free(want);
}

static json_t *load_json(const char *dir, const char *rel)
{
    char path[512];
    json_error_t jerr;
    json_t *doc = json_load_file(path_in(path, sizeof(path), dir, rel), 0, &jerr);
    if (!doc)
        fail_msg("%s: %s", rel, jerr.text);
    return doc;
}

static void load_message(struct http_fixture *f, const char *dir, const char *rel)
{
    char path[512];
    assert_int_equal(hf_load(f, path_in(path, sizeof(path), dir, rel)), 0);
}

/* ---- RFC 9421 ---- */

static void test_rfc9421_cases(void **state)
{
    (void)state;
    json_t *doc = load_json(RFC9421, "cases.json"), *c;
    json_t *keys = json_object_get(doc, "keys");
    size_t i, valid = 0, invalid = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        struct http_fixture f, req;
        struct gm_httpsig *sig = NULL;
        const char *id = json_string_value(json_object_get(c, "id"));
        json_t *reqfile = json_object_get(c, "request_message_for_req_components");
        load_message(&f, RFC9421, json_string_value(json_object_get(c, "message")));
        struct gm_httpsig_msg m = hf_view(&f, "https"), rm;
        memset(&req, 0, sizeof(req));
        if (reqfile) {
            load_message(&req, RFC9421, json_string_value(reqfile));
            rm = hf_view(&req, "https");
            m.request = &rm;
        }
        gm_err err = gm_httpsig_parse(&m, json_string_value(json_object_get(c, "label")), &sig);
        if (err != GM_OK)
            fail_msg("%s: parse %s", id, gm_strerror(err));
        assert_int_equal(gm_httpsig_scheme(sig), GM_HTTPSIG_RFC9421);
        size_t blen = 0;
        const char *base = gm_httpsig_base(sig, &blen);
        assert_file_equals(RFC9421, json_string_value(json_object_get(c, "signature_base_file")),
                           base, blen);
        assert_string_equal(gm_httpsig_key_id(sig), json_string_value(json_object_get(c, "keyid")));
        json_t *cov = json_object_get(c, "covered_components");
        assert_int_equal(gm_httpsig_component_count(sig), json_array_size(cov));
        for (size_t k = 0; k < json_array_size(cov); k++)
            assert_string_equal(gm_httpsig_component(sig, k),
                                json_string_value(json_array_get(cov, k)));
        int64_t created = 0;
        assert_int_equal(gm_httpsig_created(sig, &created), GM_OK);
        assert_int_equal(created, json_integer_value(json_array_get(
                                      json_array_get(json_object_get(c, "params"), 0), 1)));
        EVP_PKEY *key = rfc9421_key(keys, gm_httpsig_key_id(sig), 0);
        int expect = json_is_true(json_object_get(c, "expected_valid"));
        err = gm_httpsig_verify(sig, key, json_string_value(json_object_get(c, "algorithm")));
        if (err != (expect ? GM_OK : GM_EAUTH))
            fail_msg("%s: verify gave %s", id, gm_strerror(err));
        expect ? valid++ : invalid++;
        EVP_PKEY_free(key);
        gm_httpsig_free(sig);
        hf_free(&f);
        hf_free(&req);
    }
    assert_int_equal(valid, 17);
    assert_int_equal(invalid, 3);
    json_decref(doc);
}

/* Sign a case's request again with its components and parameters. Deterministic algorithms
 * must give the RFC's bytes; every algorithm must round-trip and rebuild the RFC base. */
static void resign_case(json_t *c, json_t *keys)
{
    const char *alg = json_string_value(json_object_get(c, "algorithm"));
    const char *comps[GM_HTTPSIG_MAX_COMPONENTS];
    json_t *cov = json_object_get(c, "covered_components"), *p;
    struct gm_httpsig_sign_opts o = {.label = json_string_value(json_object_get(c, "label"))};
    struct http_fixture f;
    size_t k;
    for (k = 0; k < json_array_size(cov); k++)
        comps[k] = json_string_value(json_array_get(cov, k));
    o.components = comps;
    o.ncomponents = json_array_size(cov);
    json_array_foreach(json_object_get(c, "params"), k, p)
    {
        const char *name = json_string_value(json_array_get(p, 0));
        json_t *v = json_array_get(p, 1);
        if (strcmp(name, "created") == 0)
            o.created = json_integer_value(v);
        else if (strcmp(name, "expires") == 0)
            o.expires = json_integer_value(v);
        else if (strcmp(name, "keyid") == 0)
            o.key_id = json_string_value(v);
        else if (strcmp(name, "alg") == 0)
            o.write_alg = true;
        else if (strcmp(name, "nonce") == 0)
            o.nonce = json_string_value(v);
        else if (strcmp(name, "tag") == 0)
            o.tag = json_string_value(v);
    }
    o.alg = alg;
    load_message(&f, RFC9421, json_string_value(json_object_get(c, "message")));
    struct gm_httpsig_msg m = hf_view(&f, "https");
    EVP_PKEY *priv = rfc9421_key(keys, o.key_id, 1), *pub = rfc9421_key(keys, o.key_id, 0);
    char *si = NULL, *sg = NULL;
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, priv, &si, &sg), GM_OK);
    assert_string_equal(si, json_string_value(json_object_get(c, "signature_input")));
    if (strcmp(alg, "rsa-pss-sha512") != 0 && strcmp(alg, "ecdsa-p256-sha256") != 0)
        assert_string_equal(sg, json_string_value(json_object_get(c, "signature")));
    hf_override(&f, "signature-input", si);
    hf_override(&f, "signature", sg);
    struct gm_httpsig *sig = NULL;
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    size_t blen = 0;
    const char *base = gm_httpsig_base(sig, &blen);
    assert_file_equals(RFC9421, json_string_value(json_object_get(c, "signature_base_file")), base,
                       blen);
    assert_int_equal(gm_httpsig_verify(sig, pub, alg), GM_OK);
    gm_httpsig_free(sig);
    free(si);
    free(sg);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    hf_free(&f);
}

static void test_rfc9421_resign(void **state)
{
    (void)state;
    json_t *doc = load_json(RFC9421, "cases.json"), *c;
    size_t i, n = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        const char *msg = json_string_value(json_object_get(c, "message"));
        /* requests only (we sign requests), and only messages the signature belongs to */
        if (json_object_get(c, "request_message_for_req_components") ||
            !json_is_true(json_object_get(c, "expected_valid")) || strstr(msg, "response") ||
            strstr(msg, "b2.4"))
            continue;
        resign_case(c, json_object_get(doc, "keys"));
        n++;
    }
    assert_int_equal(n, 14);
    json_decref(doc);
}

/* Derive one component through a synthetic one-component signature. */
static void check_component(struct http_fixture *f, const char *scheme, const char *component,
                            const char *expected_line)
{
    char input[512];
    struct gm_httpsig *sig = NULL;
    struct gm_httpsig_msg m = hf_view(f, scheme);
    snprintf(input, sizeof(input), "t=(%s)", component);
    hf_override(f, "signature-input", input);
    hf_override(f, "signature", "t=:AAAA:");
    gm_err err = gm_httpsig_parse_rfc9421(&m, "t", &sig);
    if (err != GM_OK)
        fail_msg("%s: %s", component, gm_strerror(err));
    const char *base = gm_httpsig_base(sig, NULL);
    size_t n = strcspn(base, "\n");
    if (strlen(expected_line) != n || memcmp(base, expected_line, n) != 0)
        fail_msg("%s:\nwant %s\ngot  %.*s", component, expected_line, (int)n, base);
    gm_httpsig_free(sig);
}

static void test_rfc9421_components(void **state)
{
    (void)state;
    json_t *doc = load_json(RFC9421, "components.json"), *v;
    size_t i;
    json_array_foreach(json_object_get(doc, "vectors"), i, v)
    {
        struct http_fixture f;
        const char *text = json_string_value(json_object_get(v, "message"));
        const char *ctx = json_string_value(json_object_get(v, "context"));
        assert_int_equal(hf_parse(&f, text, strlen(text)), 0);
        check_component(&f, ctx && strstr(ctx, "plain HTTP") ? "http" : "https",
                        json_string_value(json_object_get(v, "component")),
                        json_string_value(json_object_get(v, "expected_base_line")));
        hf_free(&f);
    }
    assert_int_equal(i, 36);

    /* section 2.3: parameters are serialised in the order received */
    json_t *ser = json_object_get(doc, "signature_params_serialization");
    char input[512], line[600];
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    const char *text = "GET /path?param=value HTTP/1.1\nHost: www.example.com\n"
                       "Date: Tue, 20 Apr 2021 02:07:56 GMT\nCache-Control: max-age=60\n\n";
    const char *want = json_string_value(json_object_get(ser, "expected"));
    assert_int_equal(hf_parse(&f, text, strlen(text)), 0);
    snprintf(input, sizeof(input), "sig1=%s", want);
    hf_override(&f, "signature-input", input);
    hf_override(&f, "signature", "sig1=:AAAA:");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    snprintf(line, sizeof(line), "\"@signature-params\": %s", want);
    const char *base = gm_httpsig_base(sig, NULL);
    assert_string_equal(strrchr(base, '\n') + 1, line);
    assert_true(strstr(base, "\"@target-uri\": https://www.example.com/path?param=value\n"));
    int64_t expires = 0;
    assert_int_equal(gm_httpsig_expires(sig, &expires), GM_OK);
    assert_int_equal(expires, 1618884775);
    assert_string_equal(gm_httpsig_algorithm(sig), "rsa-pss-sha512");
    gm_httpsig_free(sig);
    hf_free(&f);
    json_decref(doc);
}

static void test_rfc9421_labels(void **state)
{
    (void)state;
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, RFC9421, "messages/s4.3-proxy-request-two-signatures.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    assert_string_equal(gm_httpsig_label(sig), "sig1");
    assert_true(gm_httpsig_covers(sig, "@authority"));
    assert_true(gm_httpsig_covers(sig, "content-digest"));
    assert_false(gm_httpsig_covers(sig, "forwarded"));
    gm_httpsig_free(sig);
    assert_int_equal(gm_httpsig_parse(&m, "proxy_sig", &sig), GM_OK);
    assert_string_equal(gm_httpsig_label(sig), "proxy_sig");
    assert_true(gm_httpsig_covers(sig, "forwarded"));
    assert_string_equal(gm_httpsig_algorithm(sig), "rsa-v1_5-sha256");
    /* the alg parameter says v1.5; a caller insisting on PSS must not get a pass */
    EVP_PKEY *rsa = load_key(RFC9421, "keys/test-key-rsa.pub.pem", 0);
    assert_int_equal(gm_httpsig_verify(sig, rsa, NULL), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, rsa, "rsa-pss-sha512"), GM_EAUTH);
    assert_int_equal(gm_httpsig_verify(sig, rsa, "no-such-alg"), GM_EINVAL);
    assert_int_equal(gm_httpsig_check_time(sig, 1618884500, 300, 60), GM_OK);
    assert_int_equal(gm_httpsig_check_time(sig, 1618884541, 300, 60), GM_EAUTH);    /* expired */
    assert_int_equal(gm_httpsig_check_time(sig, 1618884000, 300, 60), GM_EAUTH);    /* future */
    assert_int_equal(gm_httpsig_check_time(sig, 1618884480 + 10, 5, 60), GM_EAUTH); /* old */
    gm_httpsig_free(sig);
    EVP_PKEY_free(rsa);
    assert_int_equal(gm_httpsig_parse(&m, "nope", &sig), GM_EINVAL);
    assert_int_equal(gm_httpsig_parse(&m, "Bad Label", &sig), GM_EINVAL);
    hf_free(&f);
}

/* ---- draft-cavage-12 ---- */

static void cavage_case(json_t *c, EVP_PKEY *pub, EVP_PKEY *priv)
{
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    const char *hdr = json_string_value(json_object_get(c, "signature_header"));
    const char *value = hdr + strlen("Signature: ");
    load_message(&f, CAVAGE, json_string_value(json_object_get(c, "message")));
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(gm_httpsig_parse_cavage(&m, value, &sig), GM_OK);
    size_t blen = 0;
    const char *base = gm_httpsig_base(sig, &blen);
    assert_file_equals(CAVAGE, json_string_value(json_object_get(c, "signing_string_file")), base,
                       blen);
    assert_string_equal(gm_httpsig_key_id(sig), "Test");
    assert_int_equal(gm_httpsig_verify(sig, pub, NULL), GM_OK);
    int64_t created = 0;
    assert_int_equal(gm_httpsig_created(sig, &created), GM_OK);
    assert_int_equal(created, 1388957500); /* Date: Sun, 05 Jan 2014 21:31:40 GMT */
    gm_httpsig_free(sig);

    /* re-sign: RSASSA-PKCS1-v1_5 is deterministic, the whole header must come out equal */
    const char *names[GM_HTTPSIG_MAX_COMPONENTS];
    size_t n = 0;
    json_t *eff = json_object_get(c, "effective_headers");
    if (json_is_string(json_object_get(c, "headers_param"))) /* else the default, "date" */
        for (; n < json_array_size(eff); n++)
            names[n] = json_string_value(json_array_get(eff, n));
    char *out = NULL;
    assert_int_equal(gm_httpsig_sign_cavage(&m, names, n, "Test", priv, &out), GM_OK);
    assert_string_equal(out, value);
    free(out);

    /* the same parameters in an Authorization header */
    const char *auth = json_string_value(json_object_get(c, "authorization_header"));
    if (auth) {
        hf_override(&f, "authorization", auth + strlen("Authorization: "));
        assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
        assert_int_equal(gm_httpsig_verify(sig, pub, NULL), GM_OK);
        gm_httpsig_free(sig);
    }
    /* C.3 as printed: (created) with rsa-sha256 must be refused (draft section 2.3) */
    json_t *printed = json_object_get(c, "as_printed_in_draft");
    if (printed) {
        const char *ph = json_string_value(json_object_get(printed, "signature_header"));
        assert_int_equal(gm_httpsig_parse_cavage(&m, ph + strlen("Signature: "), &sig), GM_EINVAL);
    }
    hf_free(&f);
}

static void test_cavage_appendix_c(void **state)
{
    (void)state;
    json_t *doc = load_json(CAVAGE, "cases.json"), *c;
    EVP_PKEY *pub = load_key(CAVAGE, "keys/Test.pub.pem", 0);
    EVP_PKEY *priv = load_key(CAVAGE, "keys/Test.priv.pem", 1);
    size_t i, n = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        if (!json_is_string(json_object_get(c, "signature_b64")))
            continue;
        cavage_case(c, pub, priv);
        n++;
    }
    assert_int_equal(n, 3);

    /* section 2.3: (created), repeated fields, an empty field, obs-fold */
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, CAVAGE, "messages/s2.3-request.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(
        gm_httpsig_parse_cavage(&m,
                                "keyId=\"x\",algorithm=\"hs2019\",created=1402170695,headers=\""
                                "(request-target) (created) host date cache-control x-emptyheader "
                                "x-example\",signature=\"AAAA\"",
                                &sig),
        GM_OK);
    size_t blen = 0;
    const char *base = gm_httpsig_base(sig, &blen);
    assert_file_equals(CAVAGE, "bases/s2.3-signing-string.txt", base, blen);
    /* hs2019 with an RSA key: v1.5 and PSS both fail on a garbage signature */
    assert_int_equal(gm_httpsig_verify(sig, pub, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    hf_free(&f);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(priv);
    json_decref(doc);
}

/* ---- captured deliveries ---- */

static void test_captures(void **state)
{
    (void)state;
    json_t *doc = load_json(CAPTURES, "index.json"), *c;
    EVP_PKEY *other = load_key(CAVAGE, "keys/Test.pub.pem", 0);
    size_t i, verified = 0;
    json_array_foreach(json_object_get(doc, "captures"), i, c)
    {
        struct http_fixture f;
        struct gm_httpsig *sig = NULL;
        const char *file = json_string_value(json_object_get(c, "file"));
        load_message(&f, CAPTURES, file);
        struct gm_httpsig_msg m = hf_view(&f, "https");
        if (!strstr(file, "HEADERS-ONLY"))
            assert_int_equal(
                gm_digest_verify(f.body, f.body_len, hf_get_header(&f, "digest"), NULL), GM_OK);
        assert_string_equal(hf_get_header(&f, "digest"),
                            json_string_value(json_object_get(c, "digest_header")));
        assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
        assert_int_equal(gm_httpsig_scheme(sig), GM_HTTPSIG_CAVAGE);
        assert_string_equal(gm_httpsig_key_id(sig), json_string_value(json_object_get(c, "keyId")));
        assert_string_equal(gm_httpsig_algorithm(sig),
                            json_string_value(json_object_get(c, "algorithm")));
        size_t blen = 0;
        const char *base = gm_httpsig_base(sig, &blen);
        assert_file_equals(CAPTURES, json_string_value(json_object_get(c, "signing_string_file")),
                           base, blen);
        const char *required[] = {"(request-target)", "host", "date", "digest"};
        for (size_t k = 0; k < 4; k++)
            assert_true(gm_httpsig_covers(sig, required[k]));
        assert_false(gm_httpsig_covers(sig, "(created)"));
        int64_t created = 0;
        assert_int_equal(gm_httpsig_created(sig, &created), GM_OK);
        assert_true(created > 1690000000 && created < 1730000000); /* 2023-2024 */
        json_t *kf = json_object_get(c, "key_file");
        if (kf) {
            EVP_PKEY *key = load_key(CAPTURES, json_string_value(kf), 0);
            assert_int_equal(gm_httpsig_verify(sig, key, NULL), GM_OK);
            assert_int_equal(gm_httpsig_verify(sig, other, NULL), GM_EAUTH);
            EVP_PKEY_free(key);
            verified++;
        }
        gm_httpsig_free(sig);
        hf_free(&f);
    }
    assert_int_equal(i, 5);
    assert_int_equal(verified, 4);
    EVP_PKEY_free(other);
    json_decref(doc);
}

/* A tampered header or signature must fail with GM_EAUTH, not parse errors. */
static void test_tampering(void **state)
{
    (void)state;
    static const struct {
        const char *header, *value;
    } cases[] = {
        {"date", "Tue, 05 Dec 2023 21:22:26 GMT"},
        {"host", "evil.example"},
        {"digest", "sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
        {"content-type", "application/json"},
    };
    EVP_PKEY *key = load_key(CAPTURES, "bovine-0.5.3-like.key.pem", 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_fixture f;
        struct gm_httpsig *sig = NULL;
        load_message(&f, CAPTURES, "bovine-0.5.3-like.http");
        hf_override(&f, cases[i].header, cases[i].value);
        struct gm_httpsig_msg m = hf_view(&f, "https");
        assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
        assert_int_equal(gm_httpsig_verify(sig, key, NULL), GM_EAUTH);
        gm_httpsig_free(sig);
        hf_free(&f);
    }
    /* a changed target, and one flipped signature byte */
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, CAPTURES, "bovine-0.5.3-like.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    m.target = "/other/inbox";
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, key, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    m.target = f.target;
    char *flipped = strdup(hf_get_header(&f, "signature"));
    char *s = strstr(flipped, "signature=\"") + 11;
    s[5] = s[5] == 'A' ? 'B' : 'A';
    hf_override(&f, "signature", flipped);
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, key, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    free(flipped);
    hf_free(&f);
    EVP_PKEY_free(key);

    /* RFC 9421: B.2.6 with a changed covered field */
    EVP_PKEY *ed = load_key(RFC9421, "keys/test-key-ed25519.pub.pem", 0);
    load_message(&f, RFC9421, "messages/b2.6-sig-b26.ASSEMBLED.http");
    m = hf_view(&f, "https");
    hf_override(&f, "content-type", "text/plain");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, ed, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    hf_free(&f);
    EVP_PKEY_free(ed);
}

/* ---- hostile input ---- */

/* A value of n bytes: `prefix` then `fill` repeated, then `suffix` (yours to free). */
static char *long_value(const char *prefix, const char *fill, const char *suffix, size_t n)
{
    char *v = malloc(n + 1);
    size_t len = strlen(prefix), flen = strlen(fill), slen = strlen(suffix);
    assert_non_null(v);
    memcpy(v, prefix, len);
    while (len + flen + slen <= n) {
        memcpy(v + len, fill, flen);
        len += flen;
    }
    memcpy(v + len, suffix, slen + 1);
    return v;
}

static void test_cavage_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        gm_err want;
    } cases[] = {
        {"", GM_EINVAL},
        {"garbage", GM_EINVAL},
        {"=", GM_EINVAL},
        {"keyId=\"Test\"", GM_EINVAL},
        {"signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=,signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",signature=\"!!!!\"", GM_EINVAL},
        {"keyId=\"Test\",signature=\"AAA\"", GM_EINVAL},
        {"keyId=\"Test\",signature=\"\"", GM_EINVAL},
        {"keyId=\"Test\",signature=\"AAAA", GM_EINVAL},
        {"keyId=\"Test\",signature=\"AAAA\",", GM_EINVAL},
        {"keyId=\"Test\",signature=\"AAAA\" x", GM_EINVAL},
        {"keyId=\"Test\",keyId=\"Other\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",headers=\"\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",headers=\"date date\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",headers=\"x-missing\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",headers=\"da:te\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",algorithm=\"rsa-sha256\",created=1,headers=\"(created)\","
         "signature=\"AAAA\"",
         GM_EINVAL},
        {"keyId=\"Test\",headers=\"(expires)\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",created=abc,signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",created=9999999999999999,signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Te\x01st\",signature=\"AAAA\"", GM_EINVAL},
        {"keyId=\"Test\",signature=\"AAAA\"\x7f", GM_EINVAL},
        {"keyId=\"Test\" , algorithm=\"rsa-sha256\" ,foo=\"bar\",signature=\"AAAA\"", GM_OK},
        {"KEYID=\"Test\",created=\"1402170695\",headers=\"(created) Date\",signature=\"AAAA\"",
         GM_OK},
    };
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, CAVAGE, "messages/appendix-c-request.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gm_err err = gm_httpsig_parse_cavage(&m, cases[i].value, &sig);
        if (err != cases[i].want)
            fail_msg("case %zu (%s): %s", i, cases[i].value, gm_strerror(err));
        gm_httpsig_free(sig);
        sig = NULL;
    }
    /* over the caps: 33 headers, a 9000-byte header, a 2000-byte signature */
    char *v = long_value("keyId=\"a\",headers=\"", "date ", "date\",signature=\"AAAA\"", 200);
    assert_int_equal(gm_httpsig_parse_cavage(&m, v, &sig), GM_EINVAL);
    free(v);
    v = long_value("keyId=\"", "a", "\",signature=\"AAAA\"", 9000);
    assert_int_equal(gm_httpsig_parse_cavage(&m, v, &sig), GM_EINVAL);
    free(v);
    v = long_value("keyId=\"a\",signature=\"", "AAAA", "\"", 2700);
    assert_int_equal(gm_httpsig_parse_cavage(&m, v, &sig), GM_EINVAL);
    free(v);
    /* truncations of a real header never crash and never parse */
    const char *real = "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) "
                       "host date\",signature=\"qdx+H7PHHDZg\"";
    for (size_t n = 0; n + 1 < strlen(real); n++) {
        char *t = strndup(real, n);
        assert_int_equal(gm_httpsig_parse_cavage(&m, t, &sig), GM_EINVAL);
        free(t);
    }
    hf_free(&f);
}

static void test_rfc9421_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *input, *signature;
        gm_err want;
    } cases[] = {
        {"sig1=", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\"", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=((\"@method\"))", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\")   ;created=1", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\");created=abc", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\");created=\"1\"", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\");keyid=1", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@unknown\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"Content-Type\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\" \"@method\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@signature-params\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\";req)", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@status\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"content-type\";sf;bs)", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"content-type\";foo)", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"content-type\";key=\"a\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@query-param\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@query-param\";name=\"nope\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\";name=\"x\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"x-missing\")", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(@method)", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=\"@method\"", "sig1=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\")", "sig2=:AAAA:", GM_EINVAL},
        {"sig1=(\"@method\")", "sig1=\"AAAA\"", GM_EINVAL},
        {"sig1=(\"@method\")", "sig1=::", GM_EINVAL},
        {"sig1=(\"@method\")", "sig1=:A:", GM_EINVAL},
        {"sig1=(\"@method\")", "sig1=:AAAA", GM_EINVAL},
        {"sig1=(\"@method\")", NULL, GM_EINVAL},
        {NULL, "sig1=:AAAA:", GM_EINVAL}, /* falls back to cavage, which cannot read it */
        {"sig1=(\"@method\" \"@authority\" \"content-digest\";sf);created=1;keyid=\"k\";foo=bar",
         "sig1=:AAAA:", GM_OK},
        {"a=?0, sig1=(\"@path\" \"@query\")", "sig1=:AAAA:, a=:AAAA:", GM_EINVAL}, /* a first */
    };
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, RFC9421, "messages/test-request.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hf_override(&f, "signature-input", cases[i].input);
        hf_override(&f, "signature", cases[i].signature);
        gm_err err = gm_httpsig_parse(&m, NULL, &sig);
        if (err != cases[i].want)
            fail_msg("case %zu (%s): %s", i, cases[i].input, gm_strerror(err));
        gm_httpsig_free(sig);
        sig = NULL;
    }
    char *v = long_value("sig1=(", "\"date\" ", "\"date\")", 300); /* 33+ components */
    hf_override(&f, "signature-input", v);
    hf_override(&f, "signature", "sig1=:AAAA:");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_EINVAL);
    free(v);
    v = long_value("sig1=(\"@method\");nonce=\"", "a", "\"", 9000);
    hf_override(&f, "signature-input", v);
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_EINVAL);
    free(v);
    hf_free(&f);
}

static gm_err parse_and_verify(const char *dir, const char *msgfile, const char *sig_input,
                               EVP_PKEY *key, const char *alg)
{
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, dir, msgfile);
    if (sig_input)
        hf_override(&f, "signature-input", sig_input);
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_OK);
    gm_err err = gm_httpsig_verify(sig, key, alg);
    gm_httpsig_free(sig);
    hf_free(&f);
    return err;
}

static void test_wrong_key_and_alg(void **state)
{
    (void)state;
    EVP_PKEY *rsa = load_key(RFC9421, "keys/test-key-rsa.pub.pem", 0);
    EVP_PKEY *pss = load_key(RFC9421, "keys/test-key-rsa-pss.pub.pem", 0);
    EVP_PKEY *ec = load_key(RFC9421, "keys/test-key-ecc-p256.pub.pem", 0);
    EVP_PKEY *ed = load_key(RFC9421, "keys/test-key-ed25519.pub.pem", 0);
    EVP_PKEY *bovine = load_key(CAPTURES, "bovine-0.5.3-like.key.pem", 0);
    unsigned char other_secret[32] = {1};
    EVP_PKEY *hmac = NULL;
    assert_int_equal(gm_httpsig_load_secret(other_secret, sizeof(other_secret), &hmac), GM_OK);
    static const char *b26 = "messages/b2.6-sig-b26.ASSEMBLED.http";
    static const char *ecdsa = "messages/s4.3-client-request-signed-sig1.http";
    static const char *s32 = "messages/s3.2-request-signed-sig1.http";
    struct {
        const char *dir, *msg, *input;
        EVP_PKEY *key;
        const char *alg;
        gm_err want;
    } cases[] = {
        {RFC9421, b26, NULL, ed, NULL, GM_OK},
        {RFC9421, b26, NULL, rsa, NULL, GM_EAUTH},
        {RFC9421, b26, NULL, ec, NULL, GM_EAUTH},
        {RFC9421, b26, NULL, rsa, "rsa-v1_5-sha256", GM_EAUTH},
        {RFC9421, b26, NULL, ed, "hmac-sha256", GM_EAUTH},
        {RFC9421, b26, NULL, ed, "rsa-sha1", GM_EINVAL},
        {RFC9421, ecdsa, NULL, ec, NULL, GM_OK},
        {RFC9421, ecdsa, NULL, ed, NULL, GM_EAUTH},
        {RFC9421, ecdsa, NULL, ec, "ecdsa-p384-sha384", GM_EINVAL},
        {RFC9421, s32, NULL, pss, "rsa-pss-sha512", GM_OK},
        {RFC9421, s32, NULL, pss, NULL, GM_EAUTH}, /* an rsaEncryption key means v1.5 */
        {RFC9421, "messages/b2.5-sig-b25.ASSEMBLED.http", NULL, hmac, NULL, GM_EAUTH},
        {RFC9421, b26,
         "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
         "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\";alg=\"rsa-sha1\"",
         ed, NULL, GM_EINVAL},
        {CAPTURES, "bovine-0.5.3-like.http", NULL, bovine, NULL, GM_OK},
        {CAPTURES, "bovine-0.5.3-like.http", NULL, ed, NULL, GM_EAUTH},
        {CAPTURES, "bovine-0.5.3-like.http", NULL, ec, NULL, GM_EAUTH},
        {CAPTURES, "bovine-0.5.3-like.http", NULL, hmac, NULL, GM_EAUTH},
        {CAPTURES, "emissary-hs2019-follow.http", NULL, ed, NULL, GM_EAUTH},
        {CAPTURES, "emissary-hs2019-follow.http", NULL, ec, NULL, GM_EAUTH},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gm_err err = parse_and_verify(cases[i].dir, cases[i].msg, cases[i].input, cases[i].key,
                                      cases[i].alg);
        if (err != cases[i].want)
            fail_msg("case %zu (%s): %s", i, cases[i].msg, gm_strerror(err));
    }

    EVP_PKEY *keys[] = {rsa, pss, ec, ed, bovine, hmac};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        EVP_PKEY_free(keys[i]);
}

/* cavage: unknown algorithm, declared algorithm vs key type, Ed25519 round trip */
static void test_cavage_key_types(void **state)
{
    (void)state;
    EVP_PKEY *ed = load_key(RFC9421, "keys/test-key-ed25519.pub.pem", 0);
    EVP_PKEY *ed_priv = load_key(RFC9421, "keys/test-key-ed25519.priv.pem", 1);
    EVP_PKEY *bovine = load_key(CAPTURES, "bovine-0.5.3-like.key.pem", 0);
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    char *value = NULL;
    load_message(&f, CAPTURES, "bovine-0.5.3-like.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(
        gm_httpsig_parse_cavage(&m, "keyId=\"k\",algorithm=\"foo\",signature=\"AAAA\"", &sig),
        GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, bovine, NULL), GM_EINVAL);
    gm_httpsig_free(sig);
    const char *names[] = {"(request-target)", "host", "date", "digest"};
    assert_int_equal(gm_httpsig_sign_cavage(&m, names, 4, "https://a.example/k", ed_priv, &value),
                     GM_OK);
    assert_non_null(strstr(value, "algorithm=\"hs2019\""));
    assert_int_equal(gm_httpsig_parse_cavage(&m, value, &sig), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, ed, NULL), GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, bovine, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    free(value);
    assert_int_equal(
        gm_httpsig_parse_cavage(&m, "keyId=\"k\",algorithm=\"ed25519\",signature=\"AAAA\"", &sig),
        GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, bovine, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    assert_int_equal(gm_httpsig_parse_cavage(
                         &m, "keyId=\"k\",algorithm=\"rsa-sha256\",signature=\"AAAA\"", &sig),
                     GM_OK);
    assert_int_equal(gm_httpsig_verify(sig, ed, NULL), GM_EAUTH);
    gm_httpsig_free(sig);
    hf_free(&f);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(ed_priv);
    EVP_PKEY_free(bovine);
}

static void test_key_loading(void **state)
{
    (void)state;
    static const struct {
        const char *dir, *file;
        int private_key;
        const char *type;
    } cases[] = {
        {RFC9421, "keys/test-key-rsa.pub.pem", 0, "RSA"}, /* PKCS#1 RSA PUBLIC KEY */
        {RFC9421, "keys/test-key-rsa-pss.pub.pem", 0, "RSA"},
        {RFC9421, "keys/test-key-ecc-p256.pub.pem", 0, "EC"},
        {RFC9421, "keys/test-key-ed25519.pub.pem", 0, "ED25519"},
        {CAPTURES, "emissary-hs2019-follow.key.pem", 0, "RSA"}, /* PKCS#1 */
        {CAPTURES, "bovine-0.5.3-like.key.pem", 0, "RSA"},
        {CAVAGE, "keys/Test.pub.pem", 0, "RSA"},
        {RFC9421, "keys/test-key-rsa.priv.pem", 1, "RSA"},
        {RFC9421, "keys/test-key-rsa-pss.priv.pem", 1, "RSA-PSS"},
        {RFC9421, "keys/test-key-ecc-p256.priv.pem", 1, "EC"},
        {RFC9421, "keys/test-key-ed25519.priv.pem", 1, "ED25519"},
        {CAVAGE, "keys/Test.priv.pem", 1, "RSA"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = load_key(cases[i].dir, cases[i].file, cases[i].private_key);
        if (!EVP_PKEY_is_a(key, cases[i].type))
            fail_msg("%s is not %s", cases[i].file, cases[i].type);
        EVP_PKEY_free(key);
    }
    EVP_PKEY *key = NULL;
    char path[512];
    size_t len = 0;
    char *pem = hf_read_file(path_in(path, sizeof(path), CAVAGE, "keys/Test.pub.pem"), &len);
    assert_int_equal(gm_httpsig_load_public_pem("hello", 5, &key), GM_EINVAL);
    assert_int_equal(gm_httpsig_load_public_pem(pem, 0, &key), GM_EINVAL);
    assert_int_equal(gm_httpsig_load_public_pem(pem, 100, &key), GM_EINVAL); /* truncated */
    assert_int_equal(gm_httpsig_load_private_pem(pem, len, &key), GM_EINVAL);
    char *priv = hf_read_file(path_in(path, sizeof(path), CAVAGE, "keys/Test.priv.pem"), &len);
    assert_int_equal(gm_httpsig_load_public_pem(priv, len, &key), GM_EINVAL);
    free(priv);
    assert_int_equal(gm_httpsig_load_public_pem(pem, GM_HTTPSIG_MAX_PEM + 1, &key), GM_EINVAL);
    assert_int_equal(gm_httpsig_load_private_pem("-----BEGIN PRIVATE KEY-----\n", 28, &key),
                     GM_EINVAL);
    assert_int_equal(gm_httpsig_load_secret((const unsigned char *)"", 0, &key), GM_EINVAL);
    assert_null(key);
    free(pem);
}

static void test_sign_errors(void **state)
{
    (void)state;
    EVP_PKEY *rsa = load_key(CAVAGE, "keys/Test.priv.pem", 1);
    EVP_PKEY *rsa_pub = load_key(CAVAGE, "keys/Test.pub.pem", 0);
    EVP_PKEY *ec = load_key(RFC9421, "keys/test-key-ecc-p256.priv.pem", 1);
    struct http_fixture f;
    char *v = NULL, *v2 = NULL;
    load_message(&f, CAVAGE, "messages/appendix-c-request.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    const char *missing[] = {"date", "x-missing"}, *upper[] = {"Date"}, *created[] = {"(created)"},
               *ok[] = {"(request-target)", "host", "date"};
    assert_int_equal(gm_httpsig_sign_cavage(&m, missing, 2, "k", rsa, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, upper, 1, "k", rsa, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, created, 1, "k", rsa, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, ok, 3, "k\"", rsa, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, ok, 3, "", rsa, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, ok, 3, "k", ec, &v), GM_EINVAL);
    assert_int_equal(gm_httpsig_sign_cavage(&m, ok, 3, "k", rsa_pub, &v), GM_EINVAL);
    assert_null(v);

    const char *comps[] = {"@method", "@path", "content-digest"}, *bad[] = {"@nope"};
    struct gm_httpsig_sign_opts o = {.components = comps, .ncomponents = 2, .key_id = "k"};
    o.label = "Sig";
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    o.label = NULL;
    o.alg = "foo";
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    o.alg = "ed25519";
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    o.alg = NULL;
    o.key_id = "k\n";
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    o.key_id = "k";
    o.components = bad;
    o.ncomponents = 1;
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    o.components = comps;
    o.ncomponents = 3; /* the Appendix C request has Digest, not Content-Digest */
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_EINVAL);
    assert_null(v);
    assert_null(v2);
    /* and the happy path with defaults: label sig1, alg from the key, round trip */
    o.ncomponents = 2;
    o.created = 1700000000;
    o.write_alg = true;
    assert_int_equal(gm_httpsig_sign_rfc9421(&m, &o, ec, &v, &v2), GM_OK);
    assert_string_equal(v, "sig1=(\"@method\" \"@path\");created=1700000000;keyid=\"k\";"
                           "alg=\"ecdsa-p256-sha256\"");
    assert_int_equal(strncmp(v2, "sig1=:", 6), 0);
    assert_int_equal(strlen(v2), 6 + 88 + 1); /* 64 raw bytes */
    free(v);
    free(v2);
    hf_free(&f);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa_pub);
    EVP_PKEY_free(ec);
}

static void test_unsigned(void **state)
{
    (void)state;
    struct http_fixture f;
    struct gm_httpsig *sig = NULL;
    load_message(&f, RFC9421, "messages/test-request.http");
    struct gm_httpsig_msg m = hf_view(&f, "https");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_ENOTFOUND);
    assert_int_equal(gm_httpsig_parse_rfc9421(&m, NULL, &sig), GM_ENOTFOUND);
    hf_override(&f, "authorization", "Bearer abc");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_ENOTFOUND);
    hf_override(&f, "authorization", "Signature garbage");
    assert_int_equal(gm_httpsig_parse(&m, NULL, &sig), GM_EINVAL);
    assert_null(sig);
    hf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9421_cases),      cmocka_unit_test(test_rfc9421_resign),
        cmocka_unit_test(test_rfc9421_components), cmocka_unit_test(test_rfc9421_labels),
        cmocka_unit_test(test_cavage_appendix_c),  cmocka_unit_test(test_captures),
        cmocka_unit_test(test_tampering),          cmocka_unit_test(test_cavage_garbage),
        cmocka_unit_test(test_rfc9421_garbage),    cmocka_unit_test(test_wrong_key_and_alg),
        cmocka_unit_test(test_key_loading),        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_cavage_key_types),   cmocka_unit_test(test_unsigned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
