/* SPDX-License-Identifier: Apache-2.0
 * test_keygen.c - RSA key pairs: the PEMs parse back with OpenSSL, have the requested size,
 * form one pair (a signature by the private key verifies with the public key), and small sizes
 * are refused; the instance key is made once and kept. Two RSA-2048 generations in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gemeinde/keygen.h"
#include "gemeinde/store.h"
#include "test_util.h"

static EVP_PKEY *parse_private(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return k;
}

static EVP_PKEY *parse_public(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return k;
}

/* Sign `msg` with `priv` (RSA PKCS#1 v1.5, SHA-256) and verify with `pub`. */
static int sign_verify(EVP_PKEY *priv, EVP_PKEY *pub, const char *msg, const char *checked)
{
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, priv), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, strlen(msg)), 1);
    EVP_MD_CTX_free(ctx);
    assert_int_equal(siglen, 256);

    ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
    int rc = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)checked, strlen(checked));
    EVP_MD_CTX_free(ctx);
    return rc;
}

static void rsa_2048_pair(void **state)
{
    char *priv_pem = NULL, *pub_pem = NULL;
    assert_int_equal(gm_keygen_rsa(2048, &priv_pem, &pub_pem), GM_OK);
    assert_non_null(priv_pem);
    assert_non_null(pub_pem);
    /* PKCS#8 and SPKI, as the header says. */
    assert_int_equal(strncmp(priv_pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    assert_int_equal(strncmp(pub_pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
    assert_true(tu_contains(pub_pem, "-----END PUBLIC KEY-----\n"));
    assert_false(tu_contains(pub_pem, "PRIVATE"));

    EVP_PKEY *priv = parse_private(priv_pem), *pub = parse_public(pub_pem);
    assert_non_null(priv);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_get_bits(priv), 2048);
    assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
    assert_true(EVP_PKEY_is_a(priv, "RSA"));
    assert_true(EVP_PKEY_is_a(pub, "RSA"));
    assert_int_equal(EVP_PKEY_eq(priv, pub), 1);

    const char *msg = "(request-target): post /c/demo/inbox\nhost: groups.example.org";
    assert_int_equal(sign_verify(priv, pub, msg, msg), 1);
    assert_int_equal(sign_verify(priv, pub, msg, "(request-target): post /c/demo/inbox\nhost: x"),
                     0);

    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    gm_keygen_wipe_free(priv_pem);
    free(pub_pem);
}

static void small_sizes_refused(void **state)
{
    static const unsigned bits[] = {0, 1, 512, 1024, 2047};
    for (size_t i = 0; i < TU_ARRAY_LEN(bits); i++) {
        char *priv = (char *)(uintptr_t)0x1, *pub = (char *)(uintptr_t)0x2; /* sentinels */
        assert_int_equal(gm_keygen_rsa(bits[i], &priv, &pub), GM_EINVAL);
        assert_ptr_equal(priv, (char *)(uintptr_t)0x1);
        assert_ptr_equal(pub, (char *)(uintptr_t)0x2);
    }
}

static void wipe_free(void **state)
{
    gm_keygen_wipe_free(NULL);
    char *s = strdup("-----BEGIN PRIVATE KEY-----\nsecret\n");
    assert_non_null(s);
    gm_keygen_wipe_free(s); /* ASan/LSan: freed once, no leak */
    s = strdup("");
    assert_non_null(s);
    gm_keygen_wipe_free(s);
}

static void instance_key_made_once(void **state)
{
    char dir[TU_PATH_MAX], data[TU_PATH_MAX], err[256] = "";
    tu_mkdtemp(dir);
    tu_join(data, dir, "data");
    struct gm_store *st;
    assert_int_equal(gm_store_open(data, 16, &st, err, sizeof err), GM_OK);

    char *first = NULL, *second = NULL, *third = NULL;
    assert_int_equal(gm_keygen_instance_key(st, &first), GM_OK);
    assert_int_equal(gm_keygen_instance_key(st, &second), GM_OK);
    assert_string_equal(first, second);
    assert_ptr_not_equal(first, second); /* each call returns a new string */

    EVP_PKEY *pub = parse_public(first);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_get_bits(pub), 2048);

    /* Its private half is in the meta table and matches. */
    struct gm_txn *txn;
    char *priv_pem = NULL, *pub_meta = NULL;
    assert_int_equal(gm_txn_begin(st, false, &txn), GM_OK);
    assert_int_equal(gm_meta_get(txn, "instance.private_key_pem", &priv_pem), GM_OK);
    assert_int_equal(gm_meta_get(txn, "instance.public_key_pem", &pub_meta), GM_OK);
    gm_txn_abort(txn);
    assert_string_equal(pub_meta, first);
    EVP_PKEY *priv = parse_private(priv_pem);
    assert_non_null(priv);
    assert_int_equal(EVP_PKEY_eq(priv, pub), 1);
    assert_int_equal(sign_verify(priv, pub, "instance", "instance"), 1);

    /* Kept across close and reopen. */
    gm_store_close(st);
    assert_int_equal(gm_store_open(data, 16, &st, err, sizeof err), GM_OK);
    assert_int_equal(gm_keygen_instance_key(st, &third), GM_OK);
    assert_string_equal(third, first);
    gm_store_close(st);

    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    gm_keygen_wipe_free(priv_pem);
    free(pub_meta);
    free(first);
    free(second);
    free(third);
    assert_int_equal(tu_rmrf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rsa_2048_pair),
        cmocka_unit_test(small_sizes_refused),
        cmocka_unit_test(wipe_free),
        cmocka_unit_test(instance_key_made_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
