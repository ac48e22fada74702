/* SPDX-License-Identifier: Apache-2.0
 * httpsig_test_util.h - fixtures shared by test_httpsig.c and test_httpsig_neg.c: paths in
 * tests/fixtures, keys (PEM, RFC 9421 JWK-named, shared secret), JSON files and .http
 * messages. Header-only (static inline). */
#ifndef GEMEINDE_HTTPSIG_TEST_UTIL_H
#define GEMEINDE_HTTPSIG_TEST_UTIL_H

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

static inline EVP_PKEY *load_key(const char *dir, const char *rel, int private_key)
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

static inline EVP_PKEY *load_shared_secret(void)
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
static inline EVP_PKEY *rfc9421_key(json_t *keys, const char *keyid, int private_key)
{
    json_t *k = json_object_get(keys, keyid);
    assert_non_null(k);
    if (json_object_get(k, "secret_b64"))
        return load_shared_secret();
    return load_key(RFC9421,
                    json_string_value(json_object_get(k, private_key ? "private" : "public")),
                    private_key);
}

static inline void assert_file_equals(const char *dir, const char *rel, const char *s, size_t len)
{
    char path[512];
    size_t flen = 0;
    char *want = hf_read_file(path_in(path, sizeof(path), dir, rel), &flen);
    assert_non_null(want);
    if (flen != len || memcmp(want, s, len) != 0)
        fail_msg("%s differs:\n--- want\n%s\n--- got\n%.*s", rel, want, (int)len, s);
    free(want);
}

static inline json_t *load_json(const char *dir, const char *rel)
{
    char path[512];
    json_error_t jerr;
    json_t *doc = json_load_file(path_in(path, sizeof(path), dir, rel), 0, &jerr);
    if (!doc)
        fail_msg("%s: %s", rel, jerr.text);
    return doc;
}

static inline void load_message(struct http_fixture *f, const char *dir, const char *rel)
{
    char path[512];
    assert_int_equal(hf_load(f, path_in(path, sizeof(path), dir, rel)), 0);
}

/* ---- RFC 9421 ---- */


#endif
