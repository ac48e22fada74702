/* SPDX-License-Identifier: Apache-2.0
 * test_httpsig_neg.c - what must fail: tampered messages (date, host, digest, target, body,
 * signature byte), garbage and over-cap Signature / Signature-Input headers, wrong key types
 * and algorithms, key loading errors, signing errors, unsigned messages. */
#include "httpsig_test_util.h"

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
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_cavage_garbage),
        cmocka_unit_test(test_rfc9421_garbage),
        cmocka_unit_test(test_wrong_key_and_alg),
        cmocka_unit_test(test_cavage_key_types),
        cmocka_unit_test(test_key_loading),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_unsigned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
