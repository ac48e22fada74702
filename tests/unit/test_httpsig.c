/* SPDX-License-Identifier: Apache-2.0
 * test_httpsig.c - HTTP signatures against published vectors and real captures: every RFC 9421
 * case of tests/fixtures/httpsig/rfc9421/cases.json (base byte for byte, verify, re-sign), the
 * RFC 9421 component vectors, draft-cavage-12 Appendix C, real Mastodon / bovine / Pixelfed /
 * Emissary deliveries, and hostile or tampered input. Fixture clocks are from 2014-2024, so no
 * test depends on the current time. */
#include "httpsig_test_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9421_cases),
        cmocka_unit_test(test_rfc9421_resign),
        cmocka_unit_test(test_rfc9421_components),
        cmocka_unit_test(test_rfc9421_labels),
        cmocka_unit_test(test_cavage_appendix_c),
        cmocka_unit_test(test_captures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
