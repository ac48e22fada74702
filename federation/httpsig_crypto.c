/* SPDX-License-Identifier: Apache-2.0
 * httpsig_crypto.c - the signature algorithms of HTTP signatures on OpenSSL 3 EVP: RSASSA-
 * PKCS1-v1_5 and RSASSA-PSS, ECDSA P-256 with raw r||s signatures (converted to and from DER),
 * Ed25519 and HMAC-SHA256; and loading keys from PEM. A key whose type or size does not fit the
 * algorithm is a failed verification, never a crash. */
#include "httpsig_int.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define RSA_MIN_BITS 1024 /* the draft-cavage test key is 1024-bit */
#define RSA_MAX_BITS 8192
#define HMAC_MAX_KEY 256

static const struct {
    const char *name;
    enum gm_hs_alg alg;
} alg_names[] = {
    {"rsa-v1_5-sha256", GM_HS_RSA_V15_SHA256},
    {"rsa-pss-sha512", GM_HS_RSA_PSS_SHA512},
    {"ecdsa-p256-sha256", GM_HS_ECDSA_P256_SHA256},
    {"ed25519", GM_HS_ED25519},
    {"hmac-sha256", GM_HS_HMAC_SHA256},
};

enum gm_hs_alg gm_hs_alg_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
        if (strlen(alg_names[i].name) == len && memcmp(alg_names[i].name, name, len) == 0)
            return alg_names[i].alg;
    return GM_HS_ALG_NONE;
}

const char *gm_hs_alg_name(enum gm_hs_alg alg)
{
    for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
        if (alg_names[i].alg == alg)
            return alg_names[i].name;
    return NULL;
}

static bool is_p256(EVP_PKEY *key)
{
    char group[32];
    size_t len = 0;
    if (!EVP_PKEY_is_a(key, "EC"))
        return false;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1)
        return false;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

enum gm_hs_alg gm_hs_alg_for_key(EVP_PKEY *key)
{
    if (!key)
        return GM_HS_ALG_NONE;
    if (EVP_PKEY_is_a(key, "RSA-PSS"))
        return GM_HS_RSA_PSS_SHA512;
    if (EVP_PKEY_is_a(key, "RSA"))
        return GM_HS_RSA_V15_SHA256;
    if (EVP_PKEY_is_a(key, "ED25519"))
        return GM_HS_ED25519;
    if (EVP_PKEY_is_a(key, "HMAC"))
        return GM_HS_HMAC_SHA256;
    if (is_p256(key))
        return GM_HS_ECDSA_P256_SHA256;
    return GM_HS_ALG_NONE;
}

static bool key_fits(enum gm_hs_alg alg, EVP_PKEY *key)
{
    bool rsa = EVP_PKEY_is_a(key, "RSA"), pss = EVP_PKEY_is_a(key, "RSA-PSS");
    switch (alg) {
    case GM_HS_RSA_V15_SHA256:
    case GM_HS_RSA_V15_SHA512:
        return rsa && EVP_PKEY_get_bits(key) >= RSA_MIN_BITS &&
               EVP_PKEY_get_bits(key) <= RSA_MAX_BITS;
    case GM_HS_RSA_PSS_SHA512:
    case GM_HS_RSA_PSS_SHA512_ANY:
        return (rsa || pss) && EVP_PKEY_get_bits(key) >= RSA_MIN_BITS &&
               EVP_PKEY_get_bits(key) <= RSA_MAX_BITS;
    case GM_HS_ECDSA_P256_SHA256: return is_p256(key);
    case GM_HS_ED25519: return EVP_PKEY_is_a(key, "ED25519");
    case GM_HS_HMAC_SHA256: return EVP_PKEY_is_a(key, "HMAC");
    case GM_HS_ALG_NONE: break;
    }
    return false;
}

static const EVP_MD *alg_md(enum gm_hs_alg alg)
{
    switch (alg) {
    case GM_HS_RSA_V15_SHA256:
    case GM_HS_ECDSA_P256_SHA256: return EVP_sha256();
    case GM_HS_RSA_V15_SHA512:
    case GM_HS_RSA_PSS_SHA512:
    case GM_HS_RSA_PSS_SHA512_ANY: return EVP_sha512();
    default: return NULL; /* Ed25519 signs the message itself */
    }
}

/* Start a DigestSign/DigestVerify context with the padding the algorithm needs. */
static gm_err init_ctx(EVP_MD_CTX *ctx, enum gm_hs_alg alg, EVP_PKEY *key, int sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = alg_md(alg);
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);
    if (ok != 1)
        return GM_EAUTH;
    if (alg == GM_HS_RSA_PSS_SHA512 || alg == GM_HS_RSA_PSS_SHA512_ANY) {
        int salt = alg == GM_HS_RSA_PSS_SHA512 ? 64 : RSA_PSS_SALTLEN_AUTO;
        if (sign && salt == RSA_PSS_SALTLEN_AUTO)
            salt = 64;
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) != 1)
            return GM_EAUTH;
    } else if (alg == GM_HS_RSA_V15_SHA256 || alg == GM_HS_RSA_V15_SHA512) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
            return GM_EAUTH;
    }
    return GM_OK;
}

/* ECDSA: raw r||s (32 + 32 bytes) to DER. GM_OK: *der is OPENSSL_malloc'ed. */
static gm_err ecdsa_raw_to_der(const unsigned char *raw, size_t n, unsigned char **der, int *derlen)
{
    gm_err err = GM_EAUTH;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    if (n != 64)
        return GM_EAUTH;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    if (!es || !r || !s)
        goto out;
    if (ECDSA_SIG_set0(es, r, s) != 1)
        goto out;
    r = s = NULL; /* owned by es now */
    *der = NULL;
    *derlen = i2d_ECDSA_SIG(es, der);
    if (*derlen > 0)
        err = GM_OK;
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return err;
}

static gm_err ecdsa_der_to_raw(const unsigned char *der, size_t n, unsigned char *raw)
{
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    gm_err err = GM_EINTERNAL;
    if (!es)
        return err;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32)
        err = GM_OK;
    ECDSA_SIG_free(es);
    return err;
}

static gm_err hmac_sha256(EVP_PKEY *key, const char *data, size_t len, unsigned char *mac)
{
    unsigned char secret[HMAC_MAX_KEY];
    size_t slen = sizeof(secret), maclen = 0;
    gm_err err = GM_EAUTH;
    if (EVP_PKEY_get_raw_private_key(key, secret, &slen) != 1)
        goto out;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, slen, (const unsigned char *)data,
                  len, mac, 32, &maclen) != NULL &&
        maclen == 32)
        err = GM_OK;
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    return err;
}

gm_err gm_hs_verify(enum gm_hs_alg alg, EVP_PKEY *key, const char *data, size_t len,
                    const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = NULL;
    unsigned char *der = NULL;
    int derlen = 0;
    gm_err err = GM_EAUTH;
    if (!key || !key_fits(alg, key))
        goto out;
    if (alg == GM_HS_HMAC_SHA256) {
        unsigned char mac[32];
        if (siglen == 32 && hmac_sha256(key, data, len, mac) == GM_OK &&
            CRYPTO_memcmp(mac, sig, 32) == 0)
            err = GM_OK;
        goto out;
    }
    if (alg == GM_HS_ECDSA_P256_SHA256) {
        if (ecdsa_raw_to_der(sig, siglen, &der, &derlen) != GM_OK)
            goto out;
        sig = der;
        siglen = (size_t)derlen;
    }
    if (alg == GM_HS_ED25519 && siglen != 64)
        goto out;
    if (!(ctx = EVP_MD_CTX_new())) {
        err = GM_ENOMEM;
        goto out;
    }
    if (init_ctx(ctx, alg, key, 0) != GM_OK)
        goto out;
    if (EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)data, len) == 1)
        err = GM_OK;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return err;
}

gm_err gm_hs_sign(enum gm_hs_alg alg, EVP_PKEY *key, const char *data, size_t len,
                  unsigned char *sig, size_t *siglen)
{
    EVP_MD_CTX *ctx = NULL;
    unsigned char der[GM_HS_MAX_SIG];
    size_t n = sizeof(der);
    gm_err err = GM_EINVAL;
    if (!key || !key_fits(alg, key))
        goto out;
    if (alg == GM_HS_HMAC_SHA256) {
        if ((err = hmac_sha256(key, data, len, sig)) == GM_OK)
            *siglen = 32;
        else
            err = GM_EINVAL;
        goto out;
    }
    if (!(ctx = EVP_MD_CTX_new())) {
        err = GM_ENOMEM;
        goto out;
    }
    if (init_ctx(ctx, alg, key, 1) != GM_OK)
        goto out;
    if (EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)data, len) != 1 || n > sizeof(der))
        goto out;
    if (EVP_DigestSign(ctx, der, &n, (const unsigned char *)data, len) != 1)
        goto out;
    if (alg == GM_HS_ECDSA_P256_SHA256) {
        if ((err = ecdsa_der_to_raw(der, n, sig)) == GM_OK)
            *siglen = 64;
        goto out;
    }
    memcpy(sig, der, n);
    *siglen = n;
    err = GM_OK;
out:
    OPENSSL_cleanse(der, sizeof(der));
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return err;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* encrypted keys are not supported: never prompt */
}

gm_err gm_httpsig_load_public_pem(const char *pem, size_t len, EVP_PKEY **key)
{
    EVP_PKEY *pk = NULL;
    OSSL_DECODER_CTX *dctx = NULL;
    BIO *bio = NULL;
    if (!pem || !key || len == 0 || len > GM_HTTPSIG_MAX_PEM)
        return GM_EINVAL;
    if (!(bio = BIO_new_mem_buf(pem, (int)len)))
        return GM_ENOMEM;
    pk = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
    if (!pk) {
        /* PKCS#1 "RSA PUBLIC KEY", as some servers publish */
        const unsigned char *data = (const unsigned char *)pem;
        size_t left = len;
        dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, "PEM", "type-specific", "RSA",
                                             EVP_PKEY_PUBLIC_KEY, NULL, NULL);
        if (!dctx || OSSL_DECODER_from_data(dctx, &data, &left) != 1) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
    }
    OSSL_DECODER_CTX_free(dctx);
    BIO_free(bio);
    ERR_clear_error();
    if (!pk)
        return GM_EINVAL;
    *key = pk;
    return GM_OK;
}

gm_err gm_httpsig_load_private_pem(const char *pem, size_t len, EVP_PKEY **key)
{
    EVP_PKEY *pk = NULL;
    BIO *bio = NULL;
    if (!pem || !key || len == 0 || len > GM_HTTPSIG_MAX_PEM)
        return GM_EINVAL;
    if (!(bio = BIO_new_mem_buf(pem, (int)len)))
        return GM_ENOMEM;
    pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!pk)
        return GM_EINVAL;
    *key = pk;
    return GM_OK;
}

gm_err gm_httpsig_load_secret(const unsigned char *secret, size_t len, EVP_PKEY **key)
{
    if (!secret || !key || len == 0 || len > HMAC_MAX_KEY)
        return GM_EINVAL;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, secret, len);
    ERR_clear_error();
    if (!pk)
        return GM_ENOMEM;
    *key = pk;
    return GM_OK;
}
